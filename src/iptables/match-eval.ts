/**
 * What each match of a rule says about a packet, as the kernel's xt modules decide it:
 * ip_packet_match for the rule's fixed part (-s -d -i -o -p -f), then one function per
 * match extension (xt_tcpudp, xt_icmp, xt_statistic, xt_mark, xt_connmark, xt_addrtype,
 * xt_conntrack / xt_state, xt_multiport, xt_recent, xt_set, xt_physdev, xt_limit, xt_ipvs). No
 * allocation, no text: numbers in, a boolean out.
 */
import { IPS_DST_NAT, IPS_SRC_NAT, type Conn } from '../conntrack/conn.js';
import { Conntrack, IP_CT_IS_REPLY, IP_CT_NONE, IP_CT_UNTRACKED, ctinfoDir } from '../conntrack/conntrack.js';
import { IP_CT_DIR_ORIGINAL } from '../conntrack/tuple.js';
import type { NetDevice } from '../netns/device.js';
import type { NetNamespace } from '../netns/namespace.js';
import { RT_TABLE_LOCAL } from '../netns/route-table.js';
import type { Packet } from '../packet/packet.js';
import { SEC } from '../sim/time.js';
import { NotModelled } from './errors.js';
import type { ExtensionState } from './ext-state.js';
import type {
  AddrtypeMatch, ConntrackMatch, IcmpMatch, IpvsMatch, LimitMatch, MarkMatch, MaskedAddress, MatchData, MultiportMatch, PhysdevMatch, PortRange,
  RecentMatch, SetMatch, StatisticMatch, TcpUdpMatch,
} from './matches.js';
import { XT_IPVS_DIR, XT_IPVS_IPVS_PROPERTY, XT_IPVS_METHOD, XT_IPVS_PROTO, XT_IPVS_VADDR, XT_IPVS_VPORT, XT_IPVS_VPORTCTL } from './matches.js';
import { existingIpvs } from '../ipvs/ipvs.js';
import { IP_VS_CONN_F_FWD_MASK, IPPROTO_SCTP } from '../ipvs/service.js';
import { INV_DSTIP, INV_FRAG, INV_PROTO, INV_SRCIP, INV_VIA_IN, INV_VIA_OUT, type Rule, type TableName } from './model.js';

/**
 * What a rule sees besides the packet (struct xt_action_param): the hook, devices, the
 * namespace's conntrack and extension state. One per hook registration, refilled per packet.
 */
export class EvalEnv {
  hook = 0;
  inDev: NetDevice | null = null;
  outDev: NetDevice | null = null;
  /** The namespace's connection tracker when it is enabled, else null (every packet INVALID). */
  ct: Conntrack | null = null;
  /** The NEW connection the nat table is deciding for (only while the nat table runs). */
  conn: Conn | null = null;
  /** The table being walked (for trace notes). */
  table: TableName = 'filter';

  constructor(
    readonly ns: NetNamespace,
    readonly state: ExtensionState,
  ) {}
}

/**
 * The ipset backend a `-m set` match asks (src/ipset registers one). Until one is registered
 * a rule with `-m set` is refused when it is loaded (see hooks.ts).
 */
export interface IpsetLookup {
  /** Whether `set` exists in `ns`. */
  exists(ns: NetNamespace, set: string): boolean;
  /** ip_set_test: whether the packet's fields named by `dirs` are in the set. */
  test(ns: NetNamespace, set: string, p: Packet, dirs: readonly ('src' | 'dst')[]): boolean;
}

let ipsetLookup: IpsetLookup | null = null;

/** Installs the ipset backend the set match uses. */
export function registerIpsetLookup(l: IpsetLookup | null): void {
  ipsetLookup = l;
}

/** The installed ipset backend, or null. */
export function currentIpsetLookup(): IpsetLookup | null {
  return ipsetLookup;
}

/** ifname_compare_aligned: `pattern` "" matches anything, `eth+` a prefix, else the exact name. */
export function ifaceMatches(name: string, pattern: string): boolean {
  const n = pattern.length;
  if (n === 0) return true;
  if (pattern.charCodeAt(n - 1) === 0x2b /* + */) {
    if (name.length < n - 1) return false;
    for (let i = 0; i < n - 1; i++) if (name.charCodeAt(i) !== pattern.charCodeAt(i)) return false;
    return true;
  }
  return name === pattern;
}

/** ip_packet_match: the rule's fixed IPv4 part. dpsim has no fragments, so `-f` never matches. */
export function ipPacketMatch(r: Rule, p: Packet, inDev: NetDevice | null, outDev: NetDevice | null): boolean {
  const inv = r.invert;
  if ((((p.ipSrc & r.srcMask) >>> 0) !== r.src) !== ((inv & INV_SRCIP) !== 0)) return false;
  if ((((p.ipDst & r.dstMask) >>> 0) !== r.dst) !== ((inv & INV_DSTIP) !== 0)) return false;
  if (r.inIface !== '' && ifaceMatches(inDev === null ? '' : inDev.name, r.inIface) === ((inv & INV_VIA_IN) !== 0)) return false;
  if (r.outIface !== '' && ifaceMatches(outDev === null ? '' : outDev.name, r.outIface) === ((inv & INV_VIA_OUT) !== 0)) return false;
  if (r.proto !== 0 && (p.ipProto !== r.proto) !== ((inv & INV_PROTO) !== 0)) return false;
  if (r.fragment && (inv & INV_FRAG) === 0) return false;
  return true;
}

/** Whether every match of the rule accepts the packet (the fixed part already did). */
export function matchesAll(r: Rule, p: Packet, env: EvalEnv): boolean {
  const ms = r.matches;
  for (let i = 0; i < ms.length; i++) if (!matchOne(ms[i]!, p, env)) return false;
  return true;
}

/** One match extension. */
export function matchOne(m: MatchData, p: Packet, env: EvalEnv): boolean {
  switch (m.name) {
    case 'tcp':
    case 'udp':
      return tcpUdp(m, p);
    case 'icmp':
      return icmp(m, p);
    case 'comment':
      return true;
    case 'statistic':
      return statistic(m, env);
    case 'mark':
      return (((p.mark & m.mask) >>> 0) === m.value) !== m.invert;
    case 'connmark':
      return connmark(m, p, env);
    case 'addrtype':
      return addrtype(m, p, env);
    case 'conntrack':
    case 'state':
      return conntrack(m, p, env);
    case 'multiport':
      return multiport(m, p);
    case 'recent':
      return recent(m, p, env);
    case 'set':
      return set(m, p, env);
    case 'physdev':
      return physdev(m, p, env);
    case 'limit':
      return limit(m, env);
    case 'ipvs':
      return ipvs(m, p, env);
  }
}

// ---- xt_tcpudp / xt_icmp -----------------------------------------------------------------

function tcpUdp(m: TcpUdpMatch, p: Packet): boolean {
  const sp = p.sport;
  const dp = p.dport;
  if ((sp >= m.sport[0] && sp <= m.sport[1]) === m.sportInvert) return false;
  if ((dp >= m.dport[0] && dp <= m.dport[1]) === m.dportInvert) return false;
  if (m.name === 'tcp' && m.flagsMask !== 0 && ((p.tcpFlags & m.flagsMask) === m.flagsCmp) === m.flagsInvert) return false;
  return true;
}

function icmp(m: IcmpMatch, p: Packet): boolean {
  const hit = m.type === 0xff || (p.icmpType === m.type && p.icmpCode >= m.codeMin && p.icmpCode <= m.codeMax);
  return hit !== m.invert;
}

// ---- xt_statistic -------------------------------------------------------------------------

function statistic(m: StatisticMatch, env: EvalEnv): boolean {
  let ret = m.invert;
  if (m.mode === 'random') {
    // (get_random_u32() & 0x7FFFFFFF) < probability, the probability in 31-bit fixed point.
    if (env.ns.net.random.branch31(m.probability)) ret = !ret;
    return ret;
  }
  // nth: the kernel keeps every-1 and starts the counter at every-1-packet, so packet P+1 (1-based) is the first hit.
  const every = m.every - 1;
  let s = env.state.nth.get(m);
  if (s === undefined) {
    s = { count: every - m.packet };
    env.state.nth.set(m, s);
  }
  s.count = s.count === every ? 0 : s.count + 1;
  if (s.count === 0) ret = !ret;
  return ret;
}

// ---- xt_connmark / xt_conntrack / xt_state --------------------------------------------------

function connmark(m: MarkMatch, p: Packet, env: EvalEnv): boolean {
  const conn = env.ct === null ? null : env.ct.connOf(p);
  if (conn === null) return false;
  return (((conn.mark & m.mask) >>> 0) === m.value) !== m.invert;
}

/** The state bits of matches.ts (CT_STATES): INVALID 1, ESTABLISHED 2, RELATED 4, NEW 8, UNTRACKED 32, SNAT 64, DNAT 128. */
const ST_INVALID = 1;
const ST_UNTRACKED = 1 << 5;
const ST_SNAT = 1 << 6;
const ST_DNAT = 1 << 7;

/** XT_CONNTRACK_STATE_BIT(ctinfo): ESTABLISHED → 2, RELATED → 4, NEW → 8 (either direction). */
function stateBit(ctinfo: number): number {
  return 1 << ((ctinfo % IP_CT_IS_REPLY) + 1);
}

function addrMatches(a: MaskedAddress, addr: number): boolean {
  return (((addr & a.mask) >>> 0) === a.addr) !== a.invert;
}

function portMatches(r: PortRange, port: number): boolean {
  return (port >= r.lo && port <= r.hi) !== r.invert;
}

function conntrack(m: ConntrackMatch, p: Packet, env: EvalEnv): boolean {
  const ct = env.ct;
  const conn = ct === null ? null : ct.connOf(p);
  const ctinfo = ct === null ? IP_CT_NONE : ct.infoOf(p);
  if (m.state !== -1) {
    let bits: number;
    if (conn !== null) {
      bits = stateBit(ctinfo);
      const nat = Conntrack.natStatus(conn);
      if (nat & IPS_SRC_NAT) bits |= ST_SNAT;
      if (nat & IPS_DST_NAT) bits |= ST_DNAT;
    } else bits = ctinfo === IP_CT_UNTRACKED ? ST_UNTRACKED : ST_INVALID;
    if (((m.state & bits) !== 0) === m.stateInvert) return false;
  }
  if (conn === null) return m.state !== -1;
  if (m.dir !== null && (ctinfoDir(ctinfo) === IP_CT_DIR_ORIGINAL) !== (m.dir === 'ORIGINAL')) return false;
  const o = conn.orig;
  const r = conn.reply;
  if (m.origSrc !== null && !addrMatches(m.origSrc, o.src)) return false;
  if (m.origDst !== null && !addrMatches(m.origDst, o.dst)) return false;
  if (m.replSrc !== null && !addrMatches(m.replSrc, r.src)) return false;
  if (m.replDst !== null && !addrMatches(m.replDst, r.dst)) return false;
  if (m.proto !== -1 && (o.proto === m.proto) === m.protoInvert) return false;
  if (m.origSrcPort !== null && !portMatches(m.origSrcPort, o.sport)) return false;
  if (m.origDstPort !== null && !portMatches(m.origDstPort, o.dport)) return false;
  if (m.replSrcPort !== null && !portMatches(m.replSrcPort, r.sport)) return false;
  if (m.replDstPort !== null && !portMatches(m.replDstPort, r.dport)) return false;
  if (m.status !== -1 && ((m.status & conn.status) !== 0) === m.statusInvert) return false;
  if (m.expire !== null && !portMatches(m.expire, ct!.secondsLeft(conn))) return false;
  return true;
}

// ---- xt_addrtype -------------------------------------------------------------------------

/** inet_dev_addr_type: the route type of `addr` in the local table (limited to `dev` when given). */
export function addrType(ns: NetNamespace, dev: NetDevice | null, addr: number): number {
  if (addr >>> 24 === 0 || addr === 0xffffffff) return 3; // RTN_BROADCAST
  if (addr >>> 28 === 14) return 5; // RTN_MULTICAST
  const route = ns.fib.table(RT_TABLE_LOCAL).lookup(addr);
  if (route === null) return 1; // RTN_UNICAST
  return dev === null || dev.ifindex === route.oif ? route.type : 1;
}

function addrtype(m: AddrtypeMatch, p: Packet, env: EvalEnv): boolean {
  const dev = m.limitIfaceIn ? env.inDev : m.limitIfaceOut ? env.outDev : null;
  if (m.srcType !== 0 && ((m.srcType & (1 << addrType(env.ns, dev, p.ipSrc))) !== 0) === m.srcInvert) return false;
  if (m.dstType !== 0 && ((m.dstType & (1 << addrType(env.ns, dev, p.ipDst))) !== 0) === m.dstInvert) return false;
  return true;
}

// ---- xt_multiport ------------------------------------------------------------------------

function multiport(m: MultiportMatch, p: Packet): boolean {
  const src = p.sport;
  const dst = p.dport;
  const rs = m.ranges;
  for (let i = 0; i < rs.length; i++) {
    const [lo, hi] = rs[i]!;
    const s = src >= lo && src <= hi;
    const d = dst >= lo && dst <= hi;
    if (m.which === 'sports' ? s : m.which === 'dports' ? d : s || d) return !m.invert;
  }
  return m.invert;
}

// ---- xt_recent ---------------------------------------------------------------------------

function recent(m: RecentMatch, p: Packet, env: EvalEnv): boolean {
  let ret = m.invert;
  const addr = ((m.source ? p.ipSrc : p.ipDst) & m.mask) >>> 0;
  // The TTL as seen before forwarding: a forwarded packet (in and out device) has already lost one.
  const ttl = env.outDev !== null && env.inDev !== null ? p.ipTtl + 1 : p.ipTtl;
  const now = env.ns.net.now;
  const t = env.state.recentTable(m.list);
  const e = t.entries.get(addr);
  if (e === undefined || (m.rttl && e.ttl !== 0 && e.ttl !== ttl)) {
    if (m.command !== 'set') return ret;
    t.add(addr, now, ttl);
    return !ret;
  }
  if (m.command === 'set') ret = !ret;
  else if (m.command === 'remove') {
    t.entries.delete(addr);
    return !ret;
  } else {
    const since = now - m.seconds * SEC;
    let hits = 0;
    const n = e.stamps.length;
    for (let i = 0; i < n; i++) {
      if (m.seconds !== 0 && e.stamps[i]! < since) continue;
      if (m.hitcount === 0 || ++hits >= m.hitcount) {
        ret = !ret;
        break;
      }
    }
    // recent_entry_reap: forget the least recently updated entry if it is stale (not the one being updated).
    if (m.reap) {
      const oldest = t.entries.values().next().value;
      if (oldest !== undefined && !(oldest === e && m.command === 'update' && ret !== m.invert) && oldest.last < since) t.entries.delete(oldest.addr);
    }
  }
  if (m.command === 'set' || (m.command === 'update' && ret !== m.invert)) {
    if (t.entries.has(e.addr)) {
      e.update(now);
      t.touch(e);
    }
    e.ttl = ttl;
  }
  return ret;
}

// ---- xt_set ------------------------------------------------------------------------------

function set(m: SetMatch, p: Packet, env: EvalEnv): boolean {
  const l = ipsetLookup;
  if (l === null) throw new NotModelled('the set match (ipset) is not modelled by dpsim yet');
  return l.test(env.ns, m.set, p, m.dirs) !== m.invert;
}

// ---- xt_physdev --------------------------------------------------------------------------

/**
 * physdev_mt: the bridge ports of a frame br_netfilter handled (nf_bridge_info: the port it
 * came in, and for a bridged frame at FORWARD/POSTROUTING the port it leaves by). A packet
 * without that info (not from a bridge port, or from another namespace's bridge: the kernel
 * drops nf_bridge_info when a packet changes namespace) matches only where every tested
 * option is inverted. With the info, an untested-able `--physdev-in` (no in port) passes and
 * `--physdev-out` fails without an out port, as the kernel's code has it.
 */
function physdev(m: PhysdevMatch, p: Packet, env: EvalEnv): boolean {
  const physIn = p.physIn;
  if (physIn === null || physIn.ns !== env.ns) {
    if (m.isBridged === true || m.isIn === true || m.isOut === true) return false;
    if (m.physIn !== null && !m.physInInvert) return false;
    if (m.physOut !== null && !m.physOutInvert) return false;
    return true;
  }
  const physOut = p.physOut;
  // --physdev-is-bridged: only a bridged frame has an out port.
  if (m.isBridged !== null && (physOut !== null) !== m.isBridged) return false;
  if (m.isIn !== null && !m.isIn) return false; // the in port is known
  if (m.isOut !== null && (physOut !== null) !== m.isOut) return false;
  if (m.physIn !== null && ifaceMatches(physIn.name, m.physIn) === m.physInInvert) return false;
  if (m.physOut === null) return true;
  if (physOut === null) return false;
  return ifaceMatches(physOut.name, m.physOut) !== m.physOutInvert;
}

// ---- xt_ipvs ----------------------------------------------------------------------------

/** Protocols IPVS has a handler for (ip_vs_proto_get; AH/ESP are not modelled). */
function ipvsProto(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === IPPROTO_SCTP;
}

/**
 * ipvs_mt: `--ipvs` alone asks whether IPVS handled the packet (skb->ipvs_property); any other
 * option needs that and the packet's IPVS connection (found with the header inverted, as
 * xt_ipvs does), then tests it: virtual address/port, forwarding method, the controlling
 * template's port, and the conntrack direction of the packet.
 */
function ipvs(m: IpvsMatch, p: Packet, env: EvalEnv): boolean {
  const v = existingIpvs(env.ns);
  const property = v !== null && v.sentOn(p);
  if (m.bitmask === XT_IPVS_IPVS_PROPERTY) return property !== ((m.invert & XT_IPVS_IPVS_PROPERTY) !== 0);
  if (!property) return false;
  const inv = m.invert;
  if ((m.bitmask & XT_IPVS_PROTO) !== 0 && (p.ipProto === m.l4proto) === ((inv & XT_IPVS_PROTO) !== 0)) return false;
  if (!ipvsProto(p.ipProto)) return false;
  const cp = v!.connOfSent(p);
  if (cp === null) return false;
  if ((m.bitmask & XT_IPVS_VPORT) !== 0 && (cp.vport === m.vport) === ((inv & XT_IPVS_VPORT) !== 0)) return false;
  if ((m.bitmask & XT_IPVS_VPORTCTL) !== 0 && (cp.control !== null && cp.control.vport === m.vportctl) === ((inv & XT_IPVS_VPORTCTL) !== 0)) return false;
  if ((m.bitmask & XT_IPVS_DIR) !== 0) {
    const ct = env.ct;
    if (ct === null || ct.connOf(p) === null) return false;
    if ((ct.infoOf(p) >= IP_CT_IS_REPLY) !== ((inv & XT_IPVS_DIR) !== 0)) return false;
  }
  if ((m.bitmask & XT_IPVS_METHOD) !== 0 && ((cp.flags & IP_VS_CONN_F_FWD_MASK) === m.fwdMethod) === ((inv & XT_IPVS_METHOD) !== 0)) return false;
  if ((m.bitmask & XT_IPVS_VADDR) !== 0 && ((((cp.vaddr ^ m.vaddr) & m.vmask) >>> 0) === 0) === ((inv & XT_IPVS_VADDR) !== 0)) return false;
  return true;
}

// ---- xt_limit ----------------------------------------------------------------------------

/** CONFIG_HZ of the reference kernel (6.18, this machine). */
export const HZ = 250;
/** CREDITS_PER_JIFFY = POW2_BELOW32(0xFFFFFFFF / (HZ·86400)). */
const CREDITS_PER_JIFFY = 128;
const XT_LIMIT_SCALE = 10000;
const JIFFY = SEC / HZ;

function user2credits(user: number): number {
  if (user > Math.floor(0xffffffff / (HZ * CREDITS_PER_JIFFY))) return Math.floor(user / XT_LIMIT_SCALE) * HZ * CREDITS_PER_JIFFY;
  return Math.floor((user * HZ * CREDITS_PER_JIFFY) / XT_LIMIT_SCALE);
}

function limit(m: LimitMatch, env: EvalEnv): boolean {
  const jiffies = Math.floor(env.ns.net.now / JIFFY);
  let b = env.state.limits.get(m);
  if (b === undefined) {
    const full = user2credits(m.avg * m.burst);
    b = { prev: jiffies, credit: full, creditCap: full, cost: user2credits(m.avg) };
    env.state.limits.set(m, b);
  }
  let credit = b.credit + (jiffies - b.prev) * CREDITS_PER_JIFFY;
  b.prev = jiffies;
  if (credit > b.creditCap) credit = b.creditCap;
  if (credit >= b.cost) {
    b.credit = credit - b.cost;
    return true;
  }
  b.credit = credit;
  return false;
}
