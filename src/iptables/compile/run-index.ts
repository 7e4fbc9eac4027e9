/**
 * The hash index of one run of exact-match rules: consecutive rules of a chain that each
 * require one destination address (/32), one protocol (tcp or udp) and one destination port
 * — KUBE-SERVICES' `-d VIP/32 -p tcp -m tcp --dport P -j KUBE-SVC-…` rules. A packet's
 * (daddr, proto, dport) finds the first rule of the run with that key; rules sharing a key
 * are linked in order (`nextSame`, table-wide, indexed by rule). Open addressing over typed
 * arrays: a lookup allocates nothing.
 */

/** The protocol and port half of a key: proto << 16 | port (never 0: proto is 6 or 17). */
export function protoPortKey(proto: number, port: number): number {
  return (proto << 16) | port;
}

function slotOf(dst: number, pp: number, mask: number): number {
  let h = Math.imul(dst ^ Math.imul(pp, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  return h & mask;
}

/** One run's index: key → first rule (global index) of the run with that key. */
export class RunIndex {
  private readonly keyDst: Int32Array;
  /** 0 marks an empty slot. */
  private readonly keyPP: Int32Array;
  private readonly first: Int32Array;
  private readonly mask: number;

  /**
   * `start`..`end` (global rule indices, end exclusive) are the run; `dst[i]`, `pp[i]` its keys.
   * Fills `nextSame` for the run's rules (-1 ends a list).
   */
  constructor(
    readonly start: number,
    readonly end: number,
    dst: Int32Array,
    pp: Int32Array,
    nextSame: Int32Array,
  ) {
    const n = end - start;
    let size = 8;
    while (size < n * 2) size <<= 1;
    this.mask = size - 1;
    this.keyDst = new Int32Array(size);
    this.keyPP = new Int32Array(size);
    this.first = new Int32Array(size);
    // Backwards, so each list is built by prepending: ascending order.
    for (let i = end - 1; i >= start; i--) {
      const d = dst[i]!;
      const k = pp[i]!;
      let s = slotOf(d, k, this.mask);
      for (;;) {
        const e = this.keyPP[s]!;
        if (e === 0) {
          this.keyDst[s] = d;
          this.keyPP[s] = k;
          this.first[s] = i;
          nextSame[i] = -1;
          break;
        }
        if (e === k && this.keyDst[s] === d) {
          nextSame[i] = this.first[s]!;
          this.first[s] = i;
          break;
        }
        s = (s + 1) & this.mask;
      }
    }
  }

  /** The first rule of the run with key (dst, pp), or -1. `dst` as a signed or unsigned u32. */
  lookup(dst: number, pp: number): number {
    const d = dst | 0;
    const keyPP = this.keyPP;
    const mask = this.mask;
    for (let s = slotOf(d, pp, mask); ; s = (s + 1) & mask) {
      const e = keyPP[s]!;
      if (e === 0) return -1;
      if (e === pp && this.keyDst[s] === d) return this.first[s]!;
    }
  }
}
