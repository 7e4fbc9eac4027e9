/**
 * NAT bindings (nf_nat_core.c, nf_nat_proto.c): choosing the new tuple of a connection's
 * first packet (get_unique_tuple with the kernel's address hash and port search), and
 * rewriting every later packet, replies and the quoted header of RELATED ICMP errors.
 */
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, type Packet } from '../packet/packet.js';
import type { Random } from '../sim/random.js';
import { IPS_DST_NAT, IPS_DST_NAT_DONE, IPS_NAT_MASK, IPS_SRC_NAT, IPS_SRC_NAT_DONE, type Conn } from './conn.js';
import type { ConntrackTable } from './table.js';
import { IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY, Tuple } from './tuple.js';

/** Which side a binding rewrites (enum nf_nat_manip_type). */
export const NF_NAT_MANIP_SRC = 0;
export const NF_NAT_MANIP_DST = 1;

/** NF_NAT_RANGE_* flags. */
export const NF_NAT_RANGE_MAP_IPS = 1 << 0;
export const NF_NAT_RANGE_PROTO_SPECIFIED = 1 << 1;
export const NF_NAT_RANGE_PROTO_RANDOM = 1 << 2;
export const NF_NAT_RANGE_PERSISTENT = 1 << 3;
export const NF_NAT_RANGE_PROTO_RANDOM_FULLY = 1 << 4;
export const NF_NAT_RANGE_PROTO_OFFSET = 1 << 5;
export const NF_NAT_RANGE_PROTO_RANDOM_ALL = NF_NAT_RANGE_PROTO_RANDOM | NF_NAT_RANGE_PROTO_RANDOM_FULLY;

/** Ports tried before giving up on a search round (NF_NAT_MAX_ATTEMPTS). */
export const NF_NAT_MAX_ATTEMPTS = 128;

/** A NAT target's range (struct nf_nat_range2): addresses, ports (or ICMP ids), flags. */
export class NatRange {
  constructor(
    public flags = 0,
    public minAddr = 0,
    public maxAddr = 0,
    public minPort = 0,
    public maxPort = 0,
    /** base_proto, for NF_NAT_RANGE_PROTO_OFFSET (DNAT --to-destination with a port shift). */
    public basePort = 0,
  ) {}

  /** `--to a[-b][:p[-q]]`, with the flags the xtables target sets. */
  static of(minAddr: number, maxAddr = minAddr, minPort = 0, maxPort = minPort, extraFlags = 0): NatRange {
    let flags = extraFlags;
    if (minAddr !== 0 || maxAddr !== 0) flags |= NF_NAT_RANGE_MAP_IPS;
    if (minPort !== 0) flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
    return new NatRange(flags, minAddr >>> 0, maxAddr >>> 0, minPort, maxPort);
  }
}

// ---- the kernel's jhash2, for find_best_ips_proto -----------------------------------------

function rol32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** jhash2 over the four words of an IPv4 nf_inet_addr ([addr, 0, 0, 0], as stored: big-endian bytes read on a little-endian CPU). */
export function jhashAddr(addrLe: number, initval: number): number {
  let a = (0xdeadbeef + (4 << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  a = (a + addrLe) >>> 0;
  // __jhash_mix
  a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
  // the fourth word is 0: __jhash_final
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  return c;
}

/** An address as the kernel's u32 view of its network-order bytes on x86. */
export function beAsLe(addr: number): number {
  return (((addr & 255) << 24) | (((addr >>> 8) & 255) << 16) | (((addr >>> 16) & 255) << 8) | (addr >>> 24)) >>> 0;
}

/** reciprocal_scale(val, ep_ro): val scaled into [0, ep_ro). */
function reciprocalScale(val: number, range: number): number {
  return Math.floor((val * range) / 0x1_0000_0000);
}

/** What the NAT core needs from its namespace's conntrack. */
export interface NatEnv {
  readonly table: ConntrackTable;
  readonly random: Random;
  readonly now: number;
}

/** The NAT core of one namespace's conntrack: binding setup with scratch tuples (no allocation per decision). */
export class NatCore {
  private readonly curr = new Tuple();
  private readonly cand = new Tuple();
  private readonly inv = new Tuple();

  constructor(private readonly env: NatEnv) {}

  /** nf_nat_used_tuple: whether the reply of `t` belongs to another live connection. */
  private used(t: Tuple, conn: Conn): boolean {
    this.inv.invertFrom(t);
    return this.env.table.taken(this.inv, conn, this.env.now);
  }

  /**
   * nf_nat_setup_info: binds `conn` for `manip` within `range`. The reply tuple becomes the
   * inverse of the chosen tuple, and IPS_SRC_NAT / IPS_DST_NAT says a rewrite is needed.
   */
  setup(conn: Conn, range: NatRange, manip: number): void {
    const curr = this.curr;
    curr.invertFrom(conn.reply);
    const t = this.cand;
    this.uniqueTuple(t, curr, range, conn, manip);
    if (!t.equals(curr)) {
      conn.reply.invertFrom(t);
      conn.status |= manip === NF_NAT_MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
    }
    conn.status |= manip === NF_NAT_MANIP_SRC ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE;
  }

  /** nf_nat_alloc_null_binding: keep the address (but still make the tuple unique, which may move the source port). */
  nullBinding(conn: Conn, manip: number): void {
    const addr = manip === NF_NAT_MANIP_SRC ? conn.reply.dst : conn.reply.src;
    this.setup(conn, new NatRange(NF_NAT_RANGE_MAP_IPS, addr, addr), manip);
  }

  /** get_unique_tuple */
  private uniqueTuple(t: Tuple, orig: Tuple, range: NatRange, conn: Conn, manip: number): void {
    // 1) Source NAT keeps the original tuple when it is in range and free.
    if (manip === NF_NAT_MANIP_SRC && (range.flags & NF_NAT_RANGE_PROTO_RANDOM_ALL) === 0) {
      if (inRange(orig, range) && !this.used(orig, conn)) {
        t.copy(orig);
        return;
      }
      // find_appropriate_src (reuse the mapping of another connection from the same source) is not modelled.
    }
    // 2) Choose the address.
    t.copy(orig);
    this.bestAddress(t, range, manip);
    // 3) Keep the port if it is in range and unique.
    if ((range.flags & NF_NAT_RANGE_PROTO_RANDOM_ALL) === 0) {
      if (range.flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
        if ((range.flags & NF_NAT_RANGE_PROTO_OFFSET) === 0 && portInRange(t, manip, range) && (range.minPort === range.maxPort || !this.used(t, conn))) return;
      } else if (!this.used(t, conn)) return;
    }
    this.uniquePort(t, range, manip, conn);
  }

  /** find_best_ips_proto: one address, or a hash of source (and destination unless --persistent) over the range. */
  private bestAddress(t: Tuple, range: NatRange, manip: number): void {
    if ((range.flags & NF_NAT_RANGE_MAP_IPS) === 0) return;
    if (range.minAddr === range.maxAddr) {
      if (manip === NF_NAT_MANIP_SRC) t.src = range.minAddr;
      else t.dst = range.minAddr;
      return;
    }
    const persistent = (range.flags & NF_NAT_RANGE_PERSISTENT) !== 0;
    const j = jhashAddr(beAsLe(t.src), persistent ? 0 : beAsLe(t.dst));
    const dist = ((range.maxAddr - range.minAddr) >>> 0) + 1;
    const addr = (range.minAddr + reciprocalScale(j, dist)) >>> 0;
    if (manip === NF_NAT_MANIP_SRC) t.src = addr;
    else t.dst = addr;
  }

  /** nf_nat_l4proto_unique_tuple: search the port (or ICMP id) range from a random offset, 128 tries, then halving rounds. */
  private uniquePort(t: Tuple, range: NatRange, manip: number, conn: Conn): void {
    let min: number;
    let size: number;
    let isId = false;
    const proto = t.proto;
    if (proto === IPPROTO_ICMP) {
      isId = true;
      if ((range.flags & NF_NAT_RANGE_PROTO_SPECIFIED) === 0) {
        min = 0;
        size = 65536;
      } else {
        min = range.minPort;
        size = range.maxPort - range.minPort + 1;
      }
    } else if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
      if ((range.flags & NF_NAT_RANGE_PROTO_SPECIFIED) === 0) {
        if (manip === NF_NAT_MANIP_DST) return; // a destination rewrite cannot change the port
        const port = manip === NF_NAT_MANIP_SRC ? t.sport : t.dport;
        if (port < 1024) {
          if (port < 512) {
            min = 1;
            size = 511;
          } else {
            min = 600;
            size = 1023 - 600 + 1;
          }
        } else {
          min = 1024;
          size = 65535 - 1024 + 1;
        }
      } else {
        let lo = range.minPort;
        let hi = range.maxPort;
        if (hi < lo) [lo, hi] = [hi, lo];
        min = lo;
        size = hi - lo + 1;
      }
    } else return;
    const current = isId ? t.sport : manip === NF_NAT_MANIP_SRC ? t.sport : t.dport;
    let off = range.flags & NF_NAT_RANGE_PROTO_OFFSET ? (current - range.basePort) & 0xffff : this.env.random.int(0, 0xffff);
    let attempts = Math.min(size, NF_NAT_MAX_ATTEMPTS);
    for (;;) {
      for (let i = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
        const port = min + (off % size);
        if (isId || manip === NF_NAT_MANIP_SRC) t.sport = port;
        else t.dport = port;
        if (!this.used(t, conn)) return;
      }
      if (attempts >= size || attempts < 16) return;
      attempts = attempts >>> 1;
      off = this.env.random.int(0, 0xffff);
    }
  }
}

function inRange(t: Tuple, range: NatRange): boolean {
  if (range.flags & NF_NAT_RANGE_MAP_IPS) {
    if (t.src < range.minAddr || t.src > range.maxAddr) return false;
  }
  return (range.flags & NF_NAT_RANGE_PROTO_SPECIFIED) === 0 || portInRange(t, NF_NAT_MANIP_SRC, range);
}

function portInRange(t: Tuple, manip: number, range: NatRange): boolean {
  const port = t.proto === IPPROTO_ICMP || manip === NF_NAT_MANIP_SRC ? t.sport : t.dport;
  if (t.proto !== IPPROTO_ICMP && t.proto !== IPPROTO_TCP && t.proto !== IPPROTO_UDP) return true;
  return port >= range.minPort && port <= range.maxPort;
}

/** The status bit that says a packet of direction `dir` needs a `manip` rewrite at this hook. */
function natBit(manip: number, dir: number): number {
  const bit = manip === NF_NAT_MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
  return dir === IP_CT_DIR_REPLY ? bit ^ IPS_NAT_MASK : bit;
}

/**
 * nf_nat_packet: rewrites a packet of direction `dir` to look like the inverse of the other
 * direction's tuple, on the `manip` side, when the connection is NATed that way.
 */
export function natPacket(p: Packet, conn: Conn, manip: number, dir: number): void {
  if ((conn.status & natBit(manip, dir)) === 0) return;
  const other = dir === IP_CT_DIR_ORIGINAL ? conn.reply : conn.orig;
  const proto = p.ipProto;
  if (manip === NF_NAT_MANIP_SRC) {
    p.ipSrc = other.dst;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) p.sport = other.dport;
    else if (proto === IPPROTO_ICMP) p.icmpId = other.sport;
  } else {
    p.ipDst = other.src;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) p.dport = other.sport;
    else if (proto === IPPROTO_ICMP) p.icmpId = other.sport;
  }
}

/**
 * nf_nat_icmp_reply_translation: an ICMP error RELATED to `conn`, travelling in direction
 * `dir`. The quoted datagram is rewritten with the other direction's tuple on the opposite
 * side, and the outer header as a reply would be. Returns false when the packet must be dropped.
 */
export function natIcmpReply(p: Packet, conn: Conn, manip: number, dir: number): boolean {
  const inner = p.inner;
  if (inner === null) return false;
  if (p.icmpType === 5 /* ICMP_REDIRECT */) {
    if ((conn.status & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE)) !== (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE)) return false;
    if (conn.status & IPS_NAT_MASK) return false;
  }
  if ((conn.status & natBit(manip, dir)) === 0) return true;
  const other = dir === IP_CT_DIR_ORIGINAL ? conn.reply : conn.orig;
  const proto = inner.ipProto;
  // Inner: the other direction's tuple as is, on the opposite side.
  if (manip === NF_NAT_MANIP_DST) {
    inner.ipSrc = other.src;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) inner.sport = other.sport;
    else if (proto === IPPROTO_ICMP) inner.icmpId = other.sport;
  } else {
    inner.ipDst = other.dst;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) inner.dport = other.dport;
    else if (proto === IPPROTO_ICMP) inner.icmpId = other.sport;
  }
  // Outer: addresses only (the ICMP header has no ports).
  if (manip === NF_NAT_MANIP_SRC) p.ipSrc = other.dst;
  else p.ipDst = other.src;
  return true;
}
