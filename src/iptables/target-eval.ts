/**
 * What an extension target does to a packet (the standard verdicts and jumps are the
 * interpreter's): REJECT (ipt_REJECT with nf_reject_ipv4), the NAT targets through
 * conntrack's NAT core, MARK, CONNMARK, LOG, TRACE, NOTRACK and CT --notrack. Each returns
 * a netfilter verdict or XT_CONTINUE, as the kernel's target functions do.
 */
import { resetFor } from '../netns/tcp.js';
import { IP_CT_NONE } from '../conntrack/conntrack.js';
import {
  NF_NAT_RANGE_MAP_IPS, NF_NAT_RANGE_PERSISTENT, NF_NAT_RANGE_PROTO_RANDOM, NF_NAT_RANGE_PROTO_RANDOM_FULLY, NF_NAT_RANGE_PROTO_SPECIFIED, NatRange,
} from '../conntrack/nat.js';
import { NF_ACCEPT, NF_DROP, NF_INET_LOCAL_IN } from '../netns/netfilter.js';
import {
  ICMP_DEST_UNREACH, ICMP_HOST_ANO, ICMP_HOST_UNREACH, ICMP_NET_ANO, ICMP_NET_UNREACH, ICMP_PKT_FILTERED, ICMP_PORT_UNREACH,
  ICMP_PROT_UNREACH, IPPROTO_TCP, type Packet,
} from '../packet/packet.js';
import { formatIPv4 } from '../packet/address.js';
import type { EvalEnv } from './match-eval.js';
import type { ConnmarkTarget, LogTarget, MasqueradeTarget, NatTarget, RejectTarget, TargetData } from './targets.js';
import { protoName } from './values.js';

/** The target did not decide: go on with the next rule (XT_CONTINUE). */
export const XT_CONTINUE = -1;

/** The ICMP code of each `--reject-with` (ipt_REJECT). */
const REJECT_CODES = new Map<string, number>([
  ['icmp-net-unreachable', ICMP_NET_UNREACH],
  ['icmp-host-unreachable', ICMP_HOST_UNREACH],
  ['icmp-proto-unreachable', ICMP_PROT_UNREACH],
  ['icmp-port-unreachable', ICMP_PORT_UNREACH],
  ['icmp-net-prohibited', ICMP_NET_ANO],
  ['icmp-host-prohibited', ICMP_HOST_ANO],
  ['icmp-admin-prohibited', ICMP_PKT_FILTERED],
]);

/** Runs an extension target (not ACCEPT/DROP/RETURN or a jump). */
export function runTarget(t: TargetData, p: Packet, env: EvalEnv): number {
  switch (t.name) {
    case 'REJECT':
      reject(t, p, env);
      return NF_DROP;
    case 'DNAT':
    case 'SNAT':
      return nat(t, env);
    case 'MASQUERADE':
    case 'REDIRECT':
      return masqueradeOrRedirect(t, p, env);
    case 'MARK':
      p.mark = ((p.mark & ~t.mask) ^ t.value) >>> 0;
      return XT_CONTINUE;
    case 'CONNMARK':
      connmark(t, p, env);
      return XT_CONTINUE;
    case 'LOG':
      log(t, p, env);
      return XT_CONTINUE;
    case 'TRACE':
      env.state.traced.add(p);
      return XT_CONTINUE;
    case 'NOTRACK':
    case 'CT':
      // notrack_tg / xt_ct_target: only a packet without a connection yet becomes UNTRACKED.
      if (env.ct !== null && env.ct.infoOf(p) === IP_CT_NONE) env.ct.untrack(p);
      return XT_CONTINUE;
    default:
      // Verdicts and jumps never get here (the interpreter handles them).
      return XT_CONTINUE;
  }
}

// ---- REJECT ------------------------------------------------------------------------------

function reject(t: RejectTarget, p: Packet, env: EvalEnv): void {
  if (t.with === 'tcp-reset') {
    sendReset(p, env);
    return;
  }
  const code = REJECT_CODES.get(t.with) ?? ICMP_PORT_UNREACH;
  // nf_send_unreach → icmp_send: from the offender's destination when it was for this host.
  env.ns.icmp.sendError(p, ICMP_DEST_UNREACH, code, 0, env.inDev, env.hook === NF_INET_LOCAL_IN);
}

/**
 * nf_send_reset: the RST tcp_v4_send_reset would send, attached to the rejected packet's
 * connection (nf_ct_attach: RELATED, so NAT un-does a DNAT on it) and sent by ip_local_out
 * (so OUTPUT and POSTROUTING see it).
 */
function sendReset(old: Packet, env: EvalEnv): void {
  if (old.ipProto !== IPPROTO_TCP) return;
  const r = resetFor(old, env.ns.ipv4Sysctls.ip_default_ttl);
  if (r === null) return;
  if (env.ct !== null) env.ct.attachRelated(r, old);
  env.ns.ip.output(r);
}

// ---- NAT ---------------------------------------------------------------------------------

/** The nf_nat_range2 of each NAT target, built once (targets are immutable). */
const ranges = new WeakMap<object, NatRange>();

function randomFlags(random: boolean, randomFully: boolean, persistent: boolean): number {
  return (random ? NF_NAT_RANGE_PROTO_RANDOM : 0) | (randomFully ? NF_NAT_RANGE_PROTO_RANDOM_FULLY : 0) | (persistent ? NF_NAT_RANGE_PERSISTENT : 0);
}

function natRangeOf(t: NatTarget): NatRange {
  let r = ranges.get(t);
  if (r === undefined) {
    const x = t.range!;
    const flags = (x.hasAddr ? NF_NAT_RANGE_MAP_IPS : 0) | (x.hasPorts ? NF_NAT_RANGE_PROTO_SPECIFIED : 0) | randomFlags(t.random, t.randomFully, t.persistent);
    r = new NatRange(flags, x.minAddr, x.maxAddr, x.minPort, x.maxPort);
    ranges.set(t, r);
  }
  return r;
}

function portsRangeOf(t: MasqueradeTarget): NatRange | null {
  if (t.ports === null && !t.random && !t.randomFully) return null;
  let r = ranges.get(t);
  if (r === undefined) {
    const flags = (t.ports !== null ? NF_NAT_RANGE_PROTO_SPECIFIED : 0) | randomFlags(t.random, t.randomFully, false);
    r = new NatRange(flags, 0, 0, t.ports?.[0] ?? 0, t.ports?.[1] ?? 0);
    ranges.set(t, r);
  }
  return r;
}

function nat(t: NatTarget, env: EvalEnv): number {
  const conn = env.conn;
  if (conn === null || env.ct === null) return NF_ACCEPT;
  return t.name === 'DNAT' ? env.ct.dnat(conn, natRangeOf(t)) : env.ct.snat(conn, natRangeOf(t));
}

function masqueradeOrRedirect(t: MasqueradeTarget, p: Packet, env: EvalEnv): number {
  const conn = env.conn;
  if (conn === null || env.ct === null) return NF_ACCEPT;
  if (t.name === 'REDIRECT') return env.ct.redirect(conn, env.hook, env.inDev, portsRangeOf(t));
  if (env.outDev === null) return NF_DROP;
  return env.ct.masquerade(conn, p, env.outDev, portsRangeOf(t));
}

// ---- CONNMARK / LOG ----------------------------------------------------------------------

function connmark(t: ConnmarkTarget, p: Packet, env: EvalEnv): void {
  const conn = env.ct === null ? null : env.ct.connOf(p);
  if (conn === null) return;
  if (t.mode === 'set') conn.mark = ((conn.mark & ~t.ctmask) ^ t.value) >>> 0;
  else if (t.mode === 'save') conn.mark = ((conn.mark & ~t.ctmask) ^ (p.mark & t.nfmask)) >>> 0;
  else p.mark = ((p.mark & ~t.nfmask) ^ (conn.mark & t.ctmask)) >>> 0;
}

/** The LOG target writes to the kernel log; dpsim writes a trace note in the kernel's format (only when tracing). */
function log(t: LogTarget, p: Packet, env: EvalEnv): void {
  const tr = env.ns.net.tracer;
  if (tr === null) return;
  let s = `${t.prefix}IN=${env.inDev?.name ?? ''} OUT=${env.outDev?.name ?? ''} SRC=${formatIPv4(p.ipSrc)} DST=${formatIPv4(p.ipDst)} LEN=${p.ipTotalLength()} TTL=${p.ipTtl} ID=${p.ipId}${p.ipDf ? ' DF' : ''} PROTO=${protoName(p.ipProto).toUpperCase()}`;
  if (p.ipProto === IPPROTO_TCP || p.ipProto === 17) s += ` SPT=${p.sport} DPT=${p.dport}`;
  else if (p.ipProto === 1) s += ` TYPE=${p.icmpType} CODE=${p.icmpCode}`;
  if (p.mark !== 0) s += ` MARK=0x${p.mark.toString(16)}`;
  tr.record(env.ns.name, 'nf', p.id, `LOG: ${s}`);
}
