/**
 * The connection tracker of one namespace (nf_conntrack_core.c + nf_nat_core.c's hooks):
 * what each packet belongs to, creation and confirmation, per-protocol state and timeouts
 * on the virtual clock, nf_conntrack_max with early drop, and the NAT hooks that apply the
 * bindings chosen on a connection's first packet.
 *
 * Registered by `enableConntrack(ns)`, at the kernel's priorities:
 *   PREROUTING, OUTPUT   -200  conntrack in (lookup or create, state, RELATED for ICMP errors)
 *   PREROUTING, OUTPUT   -100  nat: destination manip (DNAT, REDIRECT)
 *   INPUT, POSTROUTING    100  nat: source manip (SNAT, MASQUERADE)
 *   INPUT, POSTROUTING  INT_MAX  confirm
 */
import {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  isIcmpError,
  type Packet,
} from '../packet/packet.js';
import type { NetDevice } from '../netns/device.js';
import type { NetNamespace } from '../netns/namespace.js';
import {
  NF_ACCEPT,
  NF_DROP,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING,
  NF_INET_PRE_ROUTING,
  type NetfilterHook,
} from '../netns/netfilter.js';
import { SEC } from '../sim/time.js';
import { formatIPv4 } from '../packet/address.js';
import { protoName } from './print.js';
import {
  Conn,
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_DYING,
  IPS_SEEN_REPLY,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  type ConnOwner,
} from './conn.js';
import {
  NF_NAT_MANIP_DST,
  NF_NAT_MANIP_SRC,
  NF_NAT_RANGE_MAP_IPS,
  NatCore,
  NatRange,
  natIcmpReply,
  natPacket,
  type NatEnv,
} from './nat.js';
import { ConntrackTable, NF_CT_EVICTION_RANGE } from './table.js';
import { TCP_VERDICT_INVALID, TCP_VERDICT_KILL, TCP_VERDICT_REPEAT, TcpTimeouts, tcpCanEarlyDrop, tcpNew, tcpPacket } from './tcp-track.js';
import { IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY, Tuple, icmpInverseType, icmpIsQuery } from './tuple.js';

/** enum ip_conntrack_info */
export const IP_CT_ESTABLISHED = 0;
export const IP_CT_RELATED = 1;
export const IP_CT_NEW = 2;
export const IP_CT_IS_REPLY = 3;
export const IP_CT_ESTABLISHED_REPLY = 3;
export const IP_CT_RELATED_REPLY = 4;
export const IP_CT_UNTRACKED = 7;
/** dpsim's "no connection": the packet is INVALID for the conntrack/state matches. */
export const IP_CT_NONE = -1;

/** Hook priorities (enum nf_ip_hook_priorities). */
export const NF_IP_PRI_CONNTRACK = -200;
export const NF_IP_PRI_NAT_DST = -100;
export const NF_IP_PRI_NAT_SRC = 100;
export const NF_IP_PRI_CONNTRACK_CONFIRM = 0x7fffffff;

/** The direction of a ctinfo. */
export function ctinfoDir(ctinfo: number): number {
  return ctinfo >= IP_CT_IS_REPLY ? IP_CT_DIR_REPLY : IP_CT_DIR_ORIGINAL;
}

/**
 * The rule engine's say on a NEW connection's first packet at a nat hook (the nat table).
 * It may bind NAT through `Conntrack.dnat/snat/masquerade/redirect`; when it binds nothing
 * the connection gets a null binding. Returns a verdict (NF_ACCEPT, NF_DROP …).
 */
export interface NatDecider {
  decide(hook: number, p: Packet, conn: Conn, ct: Conntrack, inDev: NetDevice | null, outDev: NetDevice | null): number;
}

/** net.netfilter.* settings dpsim models, with this kernel's defaults (6.18). */
export class ConntrackSysctls {
  nf_conntrack_max = 262144;
  nf_conntrack_buckets = 262144;
  nf_conntrack_tcp_loose = 1;
  nf_conntrack_tcp_be_liberal = 0;
  nf_conntrack_udp_timeout = 30;
  nf_conntrack_udp_timeout_stream = 120;
  nf_conntrack_icmp_timeout = 30;
  nf_conntrack_generic_timeout = 600;
  readonly tcp = new TcpTimeouts();
}

/** A UDP flow seen both ways counts as a stream once it is older than this (stream_ts = jiffies + 2 s). */
const UDP_STREAM_DELAY = 2 * SEC;

/** The connection tracker of a namespace. */
export class Conntrack implements ConnOwner, NatEnv {
  readonly table = new ConntrackTable();
  readonly sysctls = new ConntrackSysctls();
  readonly nat: NatCore;
  /** The nat table's decision for NEW connections; null: every connection gets null bindings. */
  decider: NatDecider | null = null;
  /** Whether the NAT hooks are registered (iptable_nat loaded): they set the NAT_DONE bits. */
  natEnabled = false;
  enabled = false;
  /** Packets dropped because the table was full (the kernel's "table full, dropping packet"). */
  drops = 0;
  /** Early drops done (nf_conntrack stat early_drop). */
  earlyDrops = 0;

  private readonly key = new Tuple();
  private readonly timeoutOut = new Float64Array(1);

  constructor(readonly ns: NetNamespace) {
    this.nat = new NatCore(this);
  }

  get random() {
    return this.ns.net.random;
  }

  get now(): number {
    return this.ns.net.now;
  }

  // ---- what a packet belongs to (nf_ct_get) -------------------------------------------

  /** The connection a packet was associated with in this namespace, or null (INVALID or UNTRACKED). */
  connOf(p: Packet): Conn | null {
    return p.ctOwner === this ? (p.ct as Conn | null) : null;
  }

  /** The packet's ctinfo: IP_CT_* or IP_CT_NONE when it has no connection (INVALID). */
  infoOf(p: Packet): number {
    return p.ctOwner === this ? p.ctinfo : IP_CT_NONE;
  }

  /**
   * Associates a packet with a connection (nf_ct_set). The association lives on the packet
   * (skb->_nfct), tagged with this tracker: another namespace's tracker sees none, as the
   * kernel scrubs skb->_nfct when a packet changes namespace. No allocation per packet.
   */
  attach(p: Packet, conn: Conn | null, ctinfo: number): void {
    p.ct = conn;
    p.ctinfo = ctinfo;
    p.ctOwner = this;
    p.ctKeep = false;
  }

  /** Marks a packet NOTRACK (raw table `-j CT --notrack`): conntrack leaves it alone. */
  untrack(p: Packet): void {
    this.attach(p, null, IP_CT_UNTRACKED);
    p.ctKeep = true;
  }

  /**
   * nf_ct_attach (nf_conntrack_attach): a packet this host sends because of another one — the
   * RST of REJECT --reject-with tcp-reset (nf_send_reset), or an ICMP error (icmp_glue_bits
   * attaches every error icmp_send builds to the packet it quotes) — belongs to that packet's
   * connection as RELATED, in the opposite direction: RELATED_REPLY when the cause went the
   * original way. It needs no lookup, so it works for a connection not yet confirmed (a packet
   * a REJECT dropped before confirmation), and NAT un-does the connection's bindings on it (a
   * REJECT after DNAT answers from the service address). Conntrack in leaves it as it is.
   * False (nothing attached) when the cause has no connection in this namespace.
   */
  attachRelated(p: Packet, cause: Packet): boolean {
    if (cause.ctOwner !== this || cause.ct === null) return false;
    this.attach(p, cause.ct as Conn, ctinfoDir(cause.ctinfo) === IP_CT_DIR_ORIGINAL ? IP_CT_RELATED_REPLY : IP_CT_RELATED);
    p.ctKeep = true;
    return true;
  }

  /**
   * Keeps the packet's connection through the next conntrack-in hook: a packet IPVS sends on
   * through LOCAL_OUT (ip_vs_nat_send_or_cont) keeps skb->_nfct, as the kernel's skb does.
   */
  keepConnection(p: Packet): void {
    if (p.ctOwner === this && p.ctinfo !== IP_CT_NONE) p.ctKeep = true;
  }

  // ---- conntrack in (nf_conntrack_in) ------------------------------------------------

  /** Runs conntrack on a packet at PREROUTING or OUTPUT. Returns a verdict. */
  packetIn(p: Packet, hook: number, inDev: NetDevice | null): number {
    if (p.ctOwner === this && p.ctinfo !== IP_CT_NONE) {
      // A looped-back packet keeps the connection it was sent with; elsewhere (veth) the
      // stack scrubs skb->_nfct when a packet changes device, so it is looked up afresh.
      if (hook === NF_INET_PRE_ROUTING && inDev !== null && inDev.kind === 'loopback') return NF_ACCEPT;
      if (p.ctKeep) {
        p.ctKeep = false;
        return NF_ACCEPT;
      }
      if (p.ctinfo === IP_CT_UNTRACKED && hook !== NF_INET_PRE_ROUTING) return NF_ACCEPT;
      this.attach(p, null, IP_CT_NONE);
    }
    const proto = p.ipProto;
    if (proto === IPPROTO_ICMP && isIcmpError(p.icmpType)) {
      if (hook === NF_INET_LOCAL_OUT && p.inner !== null && this.attachRelated(p, p.inner)) return NF_ACCEPT;
      this.icmpError(p);
      return NF_ACCEPT;
    }
    const t = this.key;
    if (!this.packetTuple(p, t)) return NF_ACCEPT; // cannot track: INVALID
    for (let repeat = 0; repeat < 2; repeat++) {
      const now = this.now;
      const h = this.table.lookup(t.proto, t.src, t.dst, t.sport, t.dport, now);
      let conn: Conn;
      let ctinfo: number;
      if (h === null) {
        const created = this.newConn(p, t);
        if (created === null) return NF_ACCEPT; // invalid first packet
        if (created === 'full') return NF_DROP;
        conn = created;
        ctinfo = IP_CT_NEW;
      } else {
        conn = h.conn;
        if (h.dir === IP_CT_DIR_REPLY) ctinfo = IP_CT_ESTABLISHED_REPLY;
        else ctinfo = conn.status & IPS_SEEN_REPLY ? IP_CT_ESTABLISHED : IP_CT_NEW;
      }
      const dir = ctinfoDir(ctinfo);
      const verdict = this.protoPacket(conn, p, dir);
      if (verdict === TCP_VERDICT_REPEAT) {
        this.kill(conn);
        continue;
      }
      if (verdict === TCP_VERDICT_INVALID) return NF_ACCEPT;
      this.attach(p, conn, ctinfo);
      if (verdict === TCP_VERDICT_KILL) {
        this.kill(conn);
        return NF_ACCEPT;
      }
      if (dir === IP_CT_DIR_REPLY) conn.status |= IPS_SEEN_REPLY;
      if (this.ns.net.tracer !== null) this.traceIn(p, conn, ctinfo);
      return NF_ACCEPT;
    }
    return NF_ACCEPT;
  }

  /** The trace's conntrack line: which entry the packet belongs to and in which state. */
  private traceIn(p: Packet, conn: Conn, ctinfo: number): void {
    const state = ctinfo === IP_CT_NEW ? (conn.confirmed ? 'NEW (no reply seen yet)' : 'NEW') : ctinfo === IP_CT_ESTABLISHED_REPLY ? 'ESTABLISHED, reply direction' : 'ESTABLISHED';
    const entry = conn.confirmed ? `entry ${tupleText(conn.orig)}` : `new entry ${tupleText(conn.orig)}`;
    this.ns.net.tracer!.record(this.ns.name, 'conntrack', p.id, `conntrack: ${state}: ${entry}`);
  }

  /** The original-direction tuple of a packet (nf_ct_get_tuple); false when it cannot be tracked. */
  private packetTuple(p: Packet, t: Tuple): boolean {
    const proto = p.ipProto;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) t.set(proto, p.ipSrc, p.ipDst, p.sport, p.dport);
    else if (proto === IPPROTO_ICMP) {
      if (icmpInverseType(p.icmpType) < 0) return false;
      t.set(proto, p.ipSrc, p.ipDst, p.icmpId, (p.icmpType << 8) | p.icmpCode);
    } else t.set(proto, p.ipSrc, p.ipDst, 0, 0);
    return true;
  }

  /** init_conntrack: an unconfirmed connection for a first packet, or null (not a valid first packet), or 'full'. */
  private newConn(p: Packet, t: Tuple): Conn | null | 'full' {
    const proto = t.proto;
    if (proto === IPPROTO_ICMP && !icmpIsQuery(p.icmpType)) return null;
    if (this.table.count >= this.sysctls.nf_conntrack_max && this.sysctls.nf_conntrack_max > 0) {
      if (!this.earlyDrop(t)) {
        this.drops++;
        if (this.ns.net.tracer !== null) this.ns.net.tracer.record(this.ns.name, 'nf', p.id, 'nf_conntrack: table full, dropping packet');
        this.gcEarlyDrop();
        return 'full';
      }
    }
    const conn = new Conn(this);
    conn.orig.copy(t);
    conn.reply.invertFrom(t);
    if (proto === IPPROTO_TCP && !tcpNew(conn, p.tcpFlags, this.sysctls.nf_conntrack_tcp_loose !== 0)) return null;
    if (proto === IPPROTO_UDP) conn.udpStreamTs = this.now + UDP_STREAM_DELAY;
    return conn;
  }

  /** Per-protocol packet handling: state and timeout refresh. Returns a TCP_VERDICT_*. */
  private protoPacket(conn: Conn, p: Packet, dir: number): number {
    const s = this.sysctls;
    switch (conn.orig.proto) {
      case IPPROTO_TCP: {
        const ack = p.tcpAck >>> 0;
        const end = (p.tcpSeq + p.payloadLength + ((p.tcpFlags & 2) !== 0 ? 1 : 0) + ((p.tcpFlags & 1) !== 0 ? 1 : 0)) >>> 0;
        const v = tcpPacket(conn, dir, p.tcpFlags, ack, end, s.tcp, this.timeoutOut);
        if (v === 0 && this.timeoutOut[0]! >= 0) this.refresh(conn, this.timeoutOut[0]! * SEC);
        return v;
      }
      case IPPROTO_UDP: {
        if (conn.status & IPS_SEEN_REPLY) {
          let extra = s.nf_conntrack_udp_timeout;
          let stream = false;
          if (this.now > conn.udpStreamTs) {
            extra = s.nf_conntrack_udp_timeout_stream;
            stream = (conn.status & IPS_ASSURED) === 0;
          }
          this.refresh(conn, extra * SEC);
          if (stream) conn.status |= IPS_ASSURED;
        } else this.refresh(conn, s.nf_conntrack_udp_timeout * SEC);
        return 0;
      }
      case IPPROTO_ICMP:
        this.refresh(conn, s.nf_conntrack_icmp_timeout * SEC);
        return 0;
      default:
        this.refresh(conn, s.nf_conntrack_generic_timeout * SEC);
        return 0;
    }
  }

  /** nf_ct_refresh: a confirmed connection expires `timeout` from now; an unconfirmed one keeps it for confirmation. */
  private refresh(conn: Conn, timeout: number): void {
    if (conn.confirmed) conn.expires = this.now + timeout;
    else conn.expires = timeout;
  }

  /**
   * icmp_error_message: an ICMP error is RELATED to the connection its quoted datagram
   * belongs to (looked up by the quoted tuple inverted), in the direction opposite the quote.
   */
  private icmpError(p: Packet): void {
    const inner = p.inner;
    if (inner === null) return;
    const t = this.key;
    const iproto = inner.ipProto;
    if (iproto === IPPROTO_TCP || iproto === IPPROTO_UDP) t.set(iproto, inner.ipDst, inner.ipSrc, inner.dport, inner.sport);
    else if (iproto === IPPROTO_ICMP) {
      const inv = icmpInverseType(inner.icmpType);
      if (inv < 0) return;
      t.set(iproto, inner.ipDst, inner.ipSrc, inner.icmpId, (inv << 8) | inner.icmpCode);
    } else t.set(iproto, inner.ipDst, inner.ipSrc, 0, 0);
    const h = this.table.lookup(t.proto, t.src, t.dst, t.sport, t.dport, this.now);
    if (h === null) return; // no match: INVALID
    this.attach(p, h.conn, h.dir === IP_CT_DIR_REPLY ? IP_CT_RELATED_REPLY : IP_CT_RELATED);
  }

  // ---- confirm (__nf_conntrack_confirm) ---------------------------------------------

  /** Confirms the packet's connection at INPUT or POSTROUTING: it enters the table and its timer starts. */
  confirm(p: Packet): number {
    if (p.ctOwner !== this) return NF_ACCEPT;
    const conn = p.ct as Conn | null;
    if (conn === null || conn.confirmed) return NF_ACCEPT;
    const info = p.ctinfo;
    if (ctinfoDir(info) !== IP_CT_DIR_ORIGINAL) return NF_ACCEPT;
    if (conn.status & IPS_DYING) return NF_DROP;
    const now = this.now;
    const o = conn.orig;
    const r = conn.reply;
    const clashO = this.table.lookup(o.proto, o.src, o.dst, o.sport, o.dport, now);
    const clashR = this.table.lookup(r.proto, r.src, r.dst, r.sport, r.dport, now);
    if (clashO !== null || clashR !== null) {
      // nf_ct_resolve_clash: the same flow confirmed meanwhile with the same reply takes the packet; otherwise insert_failed.
      const other = (clashO ?? clashR)!.conn;
      if (clashO !== null && other.reply.equals(conn.reply)) {
        this.attach(p, other, info);
        return NF_ACCEPT;
      }
      return NF_DROP;
    }
    const timeout = conn.expires;
    conn.expires = now + timeout;
    conn.status |= IPS_CONFIRMED;
    this.table.insert(conn);
    this.ns.net.scheduler.armAt(conn, conn.expires);
    return NF_ACCEPT;
  }

  /** The connection's timer ran: it goes, unless a packet refreshed it meanwhile (then the timer follows). */
  expire(conn: Conn): void {
    if (!conn.confirmed || (conn.status & IPS_DYING) !== 0) return;
    if (conn.expires > this.now) {
      this.ns.net.scheduler.armAt(conn, conn.expires);
      return;
    }
    this.kill(conn);
  }

  /** nf_ct_kill / nf_ct_delete: removes a connection now. */
  kill(conn: Conn): void {
    if (conn.status & IPS_DYING) return;
    conn.status |= IPS_DYING;
    if (conn.confirmed) {
      this.table.remove(conn);
      this.ns.net.scheduler.cancel(conn);
    }
  }

  /** conntrack -F */
  flush(): void {
    for (const c of this.table.all()) this.kill(c);
  }

  /** early_drop: evict one bucket's worth of unassured entries near the new tuple's bucket; false when none. */
  private earlyDrop(t: Tuple): boolean {
    let b = this.table.bucketOf(t.proto, t.src, t.dst, t.sport, t.dport);
    for (let i = 0; i < NF_CT_EVICTION_RANGE; i++, b++) {
      let dropped = 0;
      for (const c of [...this.table.bucket(b)]) {
        if (c.status & IPS_ASSURED) continue;
        this.kill(c);
        dropped++;
      }
      if (dropped > 0) {
        this.earlyDrops += dropped;
        return true;
      }
    }
    return false;
  }

  /** The gc worker's early_drop pass after a failed allocation: evicts unassured and closing TCP entries. */
  private gcEarlyDrop(): void {
    for (const c of this.table.all()) {
      if ((c.status & IPS_ASSURED) === 0 || (c.orig.proto === IPPROTO_TCP && tcpCanEarlyDrop(c))) {
        this.kill(c);
        this.earlyDrops++;
      }
    }
  }

  /** Remaining lifetime in whole seconds, as ctnetlink reports it. */
  secondsLeft(conn: Conn): number {
    const left = conn.confirmed ? conn.expires - this.now : conn.expires;
    return left <= 0 ? 0 : Math.floor(left / SEC);
  }

  // ---- NAT ------------------------------------------------------------------------------

  /** DNAT --to-destination (a range): binds the destination of a NEW connection. */
  dnat(conn: Conn, range: NatRange): number {
    this.nat.setup(conn, range, NF_NAT_MANIP_DST);
    return NF_ACCEPT;
  }

  /** SNAT --to-source (a range, --random, --persistent). */
  snat(conn: Conn, range: NatRange): number {
    this.nat.setup(conn, range, NF_NAT_MANIP_SRC);
    return NF_ACCEPT;
  }

  /**
   * MASQUERADE (nf_nat_masquerade_ipv4): SNAT to the address inet_select_addr picks on the
   * out device for the next hop, with the ports/flags of `ports` (--to-ports, --random, --random-fully).
   */
  masquerade(conn: Conn, p: Packet, outDev: NetDevice, ports: NatRange | null = null): number {
    const route = this.ns.fib.lookup(p.ipDst);
    const nexthop = route === null ? p.ipDst : this.ns.fib.nexthop(route, p.ipDst);
    const newsrc = this.ns.ip.selectAddress(outDev, nexthop, 0);
    if (newsrc === 0) {
      if (this.ns.net.tracer !== null) this.ns.net.tracer.record(this.ns.name, 'nf', p.id, `MASQUERADE: ${outDev.name} ate my IP address`);
      return NF_DROP;
    }
    conn.masqIndex = outDev.ifindex;
    const range = new NatRange((ports?.flags ?? 0) | NF_NAT_RANGE_MAP_IPS, newsrc, newsrc, ports?.minPort ?? 0, ports?.maxPort ?? 0);
    this.nat.setup(conn, range, NF_NAT_MANIP_SRC);
    return NF_ACCEPT;
  }

  /**
   * REDIRECT (nf_nat_redirect_ipv4): DNAT to 127.0.0.1 for locally generated packets, else to
   * the first address of the in device (dropped when it has none), with --to-ports.
   */
  redirect(conn: Conn, hook: number, inDev: NetDevice | null, ports: NatRange | null = null): number {
    let newdst: number;
    if (hook === NF_INET_LOCAL_OUT) newdst = 0x7f000001;
    else {
      const first = inDev?.addrs[0];
      if (first === undefined) return NF_DROP;
      newdst = first.local;
    }
    const range = new NatRange((ports?.flags ?? 0) | NF_NAT_RANGE_MAP_IPS, newdst, newdst, ports?.minPort ?? 0, ports?.maxPort ?? 0);
    this.nat.setup(conn, range, NF_NAT_MANIP_DST);
    return NF_ACCEPT;
  }

  /** nf_nat_ipv4_fn: the NAT hook body at `hook` for `manip`. */
  natHook(hook: number, manip: number, p: Packet, inDev: NetDevice | null, outDev: NetDevice | null): number {
    if (p.ctOwner !== this) return NF_ACCEPT;
    const conn = p.ct as Conn | null;
    if (conn === null) return NF_ACCEPT;
    const ctinfo = p.ctinfo;
    if (ctinfo === IP_CT_RELATED || ctinfo === IP_CT_RELATED_REPLY) {
      if (p.ipProto === IPPROTO_ICMP) return natIcmpReply(p, conn, manip, ctinfoDir(ctinfo)) ? NF_ACCEPT : NF_DROP;
    }
    if (ctinfo === IP_CT_NEW || ctinfo === IP_CT_RELATED || ctinfo === IP_CT_RELATED_REPLY) {
      const done = manip === NF_NAT_MANIP_SRC ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE;
      if ((conn.status & done) === 0) {
        if (this.decider !== null) {
          const verdict = this.decider.decide(hook, p, conn, this, inDev, outDev);
          if (verdict !== NF_ACCEPT) return verdict;
        }
        if ((conn.status & done) === 0) this.nat.nullBinding(conn, manip);
      }
    } else if (conn.masqIndex !== 0 && hook === NF_INET_POST_ROUTING && ctinfoDir(ctinfo) === IP_CT_DIR_ORIGINAL && outDev !== null && outDev.ifindex !== conn.masqIndex) {
      // nf_nat_oif_changed: a masqueraded connection now leaves by another device.
      this.kill(conn);
      return NF_DROP;
    }
    if (this.ns.net.tracer !== null) {
      const before = manip === NF_NAT_MANIP_SRC ? `${formatIPv4(p.ipSrc)}:${p.sport}` : `${formatIPv4(p.ipDst)}:${p.dport}`;
      natPacket(p, conn, manip, ctinfoDir(ctinfo));
      const after = manip === NF_NAT_MANIP_SRC ? `${formatIPv4(p.ipSrc)}:${p.sport}` : `${formatIPv4(p.ipDst)}:${p.dport}`;
      if (before !== after) {
        const what = manip === NF_NAT_MANIP_SRC ? 'source' : 'destination';
        const why = ctinfoDir(ctinfo) === IP_CT_DIR_REPLY ? ' (reply: un-NAT from the conntrack entry)' : ctinfo === IP_CT_NEW ? '' : ' (from the conntrack entry)';
        this.ns.net.tracer.record(this.ns.name, 'nat', p.id, `NAT ${what} ${before} -> ${after}${why}`);
      }
      return NF_ACCEPT;
    }
    natPacket(p, conn, manip, ctinfoDir(ctinfo));
    return NF_ACCEPT;
  }

  /** Whether the connection is NATed (either way), for `--ctstate SNAT/DNAT` and conntrack -L filters. */
  static natStatus(conn: Conn): number {
    return conn.status & (IPS_SRC_NAT | IPS_DST_NAT);
  }
}

// ---- hook objects ---------------------------------------------------------------------

class ConntrackInHook implements NetfilterHook {
  readonly priority = NF_IP_PRI_CONNTRACK;
  constructor(private readonly ct: Conntrack) {}
  run(hook: number, p: Packet, _ns: NetNamespace, inDev: NetDevice | null): number {
    return this.ct.packetIn(p, hook, inDev);
  }
}

class ConfirmHook implements NetfilterHook {
  readonly priority = NF_IP_PRI_CONNTRACK_CONFIRM;
  constructor(private readonly ct: Conntrack) {}
  run(_hook: number, p: Packet): number {
    return this.ct.confirm(p);
  }
}

class NatHook implements NetfilterHook {
  constructor(
    private readonly ct: Conntrack,
    readonly priority: number,
    private readonly manip: number,
  ) {}
  run(hook: number, p: Packet, _ns: NetNamespace, inDev: NetDevice | null, outDev: NetDevice | null): number {
    return this.ct.natHook(hook, this.manip, p, inDev, outDev);
  }
}

const trackers = new WeakMap<NetNamespace, Conntrack>();

/** The namespace's connection tracker (created on first use, like loading nf_conntrack; hooks only once enabled). */
export function conntrackOf(ns: NetNamespace): Conntrack {
  let ct = trackers.get(ns);
  if (ct === undefined) {
    ct = new Conntrack(ns);
    trackers.set(ns, ct);
  }
  return ct;
}

/** The tracker if the namespace has one, else null. */
export function existingConntrack(ns: NetNamespace): Conntrack | null {
  return trackers.get(ns) ?? null;
}

/**
 * Turns connection tracking on in a namespace (nf_conntrack + nf_nat + iptable_nat loaded):
 * registers the conntrack, NAT and confirm hooks. `decider` is the nat table's choice for
 * NEW connections. Idempotent; returns the tracker.
 */
export function enableConntrack(ns: NetNamespace, opts: { nat?: boolean; decider?: NatDecider | null } = {}): Conntrack {
  const ct = conntrackOf(ns);
  if (opts.decider !== undefined) ct.decider = opts.decider;
  if (!ct.enabled) {
    ct.enabled = true;
    const inHook = new ConntrackInHook(ct);
    const confirm = new ConfirmHook(ct);
    ns.hooks.register(NF_INET_PRE_ROUTING, inHook);
    ns.hooks.register(NF_INET_LOCAL_OUT, inHook);
    ns.hooks.register(NF_INET_LOCAL_IN, confirm);
    ns.hooks.register(NF_INET_POST_ROUTING, confirm);
  }
  if ((opts.nat ?? true) && !ct.natEnabled) {
    ct.natEnabled = true;
    const dst = new NatHook(ct, NF_IP_PRI_NAT_DST, NF_NAT_MANIP_DST);
    const src = new NatHook(ct, NF_IP_PRI_NAT_SRC, NF_NAT_MANIP_SRC);
    ns.hooks.register(NF_INET_PRE_ROUTING, dst);
    ns.hooks.register(NF_INET_LOCAL_OUT, dst);
    ns.hooks.register(NF_INET_LOCAL_IN, src);
    ns.hooks.register(NF_INET_POST_ROUTING, src);
  }
  return ct;
}

/** `tcp 10.244.2.5:43210 -> 10.111.90.77:80` (a tuple as the trace prints it). */
function tupleText(t: Tuple): string {
  const ports = t.proto === IPPROTO_TCP || t.proto === IPPROTO_UDP;
  return ports ? `${protoName(t.proto)} ${formatIPv4(t.src)}:${t.sport} -> ${formatIPv4(t.dst)}:${t.dport}` : `${protoName(t.proto)} ${formatIPv4(t.src)} -> ${formatIPv4(t.dst)}`;
}
