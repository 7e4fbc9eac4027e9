/**
 * Maglev hashing (ip_vs_mh.c): each server gets a permutation of the lookup table from two
 * hsiphash values of its address+port (offset with key 2654435761, skip with key 2654446892);
 * servers take turns (weight / gcd, shifted down to 6 significant bits) claiming their next
 * free position until the table is full. A client address (plus port with mh-port) selects an
 * entry by hsiphash. The table has a prime size: primes[CONFIG_IP_VS_MH_TAB_INDEX - 8], 4093
 * for the kernel's default index 12. Quiesced servers (weight 0) keep their entries through
 * last_weight, so removing or quiescing one server moves only the clients it held.
 */
import { IP_VS_SVC_F_SCHED_FALLBACK, IP_VS_SVC_F_SCHED_PORT, type RealServer, type VirtualService } from '../service.js';
import { gcd, usable, type IpvsScheduler } from './scheduler.js';
import { hsiphash32 } from './siphash.js';

/** The table sizes the kernel offers, indexed by CONFIG_IP_VS_MH_TAB_INDEX - 8. */
export const MH_PRIMES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071] as const;
/** CONFIG_IP_VS_MH_TAB_INDEX's default. */
export const MH_DEFAULT_TAB_INDEX = 12;

const HASH1 = 2654435761;
const HASH2 = 2654446892;

/** ip_vs_mh_hashkey */
export function mhHashKey(addr: number, port: number, key: number, offset: number): number {
  return hsiphash32((offset + port + addr) >>> 0, key, key);
}

function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

export class MaglevHashing implements IpvsScheduler {
  readonly name = 'mh';
  readonly size: number;
  private readonly bits: number;
  /** The lookup table: a server per entry (s->lookup). */
  readonly lookup: (RealServer | null)[];
  private readonly taken: Uint8Array;

  constructor(svc: VirtualService, tabIndex = MH_DEFAULT_TAB_INDEX) {
    const prime = MH_PRIMES[tabIndex - 8];
    if (prime === undefined) throw new RangeError(`CONFIG_IP_VS_MH_TAB_INDEX must be 8..17, not ${tabIndex}`);
    this.size = prime;
    this.bits = tabIndex >> 1;
    this.lookup = new Array(prime).fill(null);
    this.taken = new Uint8Array(prime);
    this.reassign(svc);
  }

  destsChanged(svc: VirtualService): void {
    this.reassign(svc);
  }

  /** ip_vs_mh_gcd_weight, ip_vs_mh_shift_weight, ip_vs_mh_permutate and ip_vs_mh_populate. */
  private reassign(svc: VirtualService): void {
    const dests = svc.dests;
    const size = this.size;
    let g = 0;
    let maxW = 0;
    for (const d of dests) {
      if (d.lastWeight > 0) g = g > 0 ? gcd(d.lastWeight, g) : d.lastWeight;
      if (d.lastWeight > maxW) maxW = d.lastWeight;
    }
    if (g < 1) {
      this.lookup.fill(null);
      return;
    }
    const shift = Math.max(0, fls(Math.floor(maxW / g)) - this.bits);
    const n = dests.length;
    const skip = new Array<number>(n);
    const perm = new Array<number>(n);
    const turns = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const d = dests[i]!;
      perm[i] = mhHashKey(d.addr, d.port, HASH1, 0) % size;
      skip[i] = (mhHashKey(d.addr, d.port, HASH2, 0) % (size - 1)) + 1;
      const lw = d.lastWeight;
      turns[i] = (Math.floor(lw / g) >> shift) || (lw !== 0 ? 1 : 0);
    }
    const taken = this.taken;
    taken.fill(0);
    let filled = 0;
    let dtCount = 0;
    let p = 0;
    while (filled < size) {
      if (p >= n) p = 0;
      while (p < n) {
        if (turns[p]! < 1) {
          p++;
          continue;
        }
        let c = perm[p]!;
        while (taken[c] !== 0) {
          c += skip[p]!;
          if (c >= size) c -= size;
        }
        perm[p] = c;
        taken[c] = 1;
        this.lookup[c] = dests[p]!;
        if (++filled === size) return;
        if (++dtCount >= turns[p]!) {
          dtCount = 0;
          p++;
        }
      }
    }
  }

  schedule(svc: VirtualService, src: number, sport: number): RealServer | null {
    const port = (svc.flags & IP_VS_SVC_F_SCHED_PORT) !== 0 ? sport : 0;
    const size = this.size;
    const ihash = mhHashKey(src, port, HASH1, 0) % size;
    let dest = this.lookup[ihash]!;
    if ((svc.flags & IP_VS_SVC_F_SCHED_FALLBACK) === 0) return dest !== null && usable(dest) ? dest : null;
    if (dest === null) return null;
    if (usable(dest)) return dest;
    for (let offset = 0; offset < size; offset++) {
      const roffset = (offset + ihash) % size;
      dest = this.lookup[mhHashKey(src, port, HASH1, roffset) % size]!;
      if (dest === null) break;
      if (usable(dest)) return dest;
    }
    return null;
  }
}
