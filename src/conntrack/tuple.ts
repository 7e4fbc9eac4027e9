/**
 * Connection tracking tuples (struct nf_conntrack_tuple) as plain numbers: protocol,
 * source and destination addresses, and a per-protocol pair — ports for TCP and UDP;
 * for ICMP the echo identifier in `sport` and `type << 8 | code` in `dport`, which is how
 * the kernel's union lays them out (src.u.icmp.id, dst.u.icmp.{type,code}).
 */
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../packet/packet.js';

export const IP_CT_DIR_ORIGINAL = 0;
export const IP_CT_DIR_REPLY = 1;

/** The ICMP query types and their answers (invmap of nf_conntrack_proto_icmp.c); -1 for types that are not queries. */
const ICMP_INVERSE = new Int16Array(256).fill(-1);
for (const [q, r] of [
  [8, 0], // echo → echo reply
  [13, 14], // timestamp
  [15, 16], // information
  [17, 18], // address mask
]) {
  ICMP_INVERSE[q!] = r!;
  ICMP_INVERSE[r!] = q!;
}

/** The answer type of an ICMP query type, or -1 (icmp_invert_tuple fails: the kernel cannot track it). */
export function icmpInverseType(type: number): number {
  return ICMP_INVERSE[type & 255]!;
}

/** Whether an ICMP type starts a connection (echo, timestamp, info, address mask requests: icmp_new). */
export function icmpIsQuery(type: number): boolean {
  return type === 8 || type === 13 || type === 15 || type === 17;
}

/** A tuple: one direction of a connection. */
export class Tuple {
  proto = 0;
  src = 0;
  dst = 0;
  sport = 0;
  dport = 0;

  set(proto: number, src: number, dst: number, sport: number, dport: number): this {
    this.proto = proto;
    this.src = src;
    this.dst = dst;
    this.sport = sport;
    this.dport = dport;
    return this;
  }

  copy(t: Tuple): this {
    return this.set(t.proto, t.src, t.dst, t.sport, t.dport);
  }

  equals(t: Tuple): boolean {
    return this.src === t.src && this.dst === t.dst && this.sport === t.sport && this.dport === t.dport && this.proto === t.proto;
  }

  /** nf_ct_invert_tuple: the tuple of the other direction; false for ICMP types that have no answer. */
  invertFrom(t: Tuple): boolean {
    if (t.proto === IPPROTO_ICMP) {
      const inv = icmpInverseType(t.dport >>> 8);
      if (inv < 0) return false;
      this.set(t.proto, t.dst, t.src, t.sport, (inv << 8) | (t.dport & 255));
      return true;
    }
    this.set(t.proto, t.dst, t.src, t.dport, t.sport);
    return true;
  }
}

/** Whether the protocol has ports in its tuple (TCP, UDP). */
export function hasPorts(proto: number): boolean {
  return proto === IPPROTO_TCP || proto === IPPROTO_UDP;
}

/** A 32-bit hash of a tuple's five numbers (the table's bucket index comes from it). */
export function hashTuple(proto: number, src: number, dst: number, sport: number, dport: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = (h << 13) | (h >>> 19);
  h = Math.imul(h ^ dst, 0xc2b2ae35);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h ^ ((sport << 16) | dport), 0x27d4eb2f);
  h ^= proto;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
