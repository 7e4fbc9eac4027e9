/**
 * Source hashing (ip_vs_sh.c): a 256-bucket table filled in list order, each server taking
 * as many consecutive buckets as its weight; a client address (plus its port with sh-port)
 * picks a bucket by hash_32(port + addr, 8). The server found is used only if available,
 * unless sh-fallback walks on to the next buckets.
 */
import { IP_VS_SVC_F_SCHED_FALLBACK, IP_VS_SVC_F_SCHED_PORT, type RealServer, type VirtualService } from '../service.js';
import { usable, type IpvsScheduler } from './scheduler.js';

export const IP_VS_SH_TAB_BITS = 8;
export const IP_VS_SH_TAB_SIZE = 1 << IP_VS_SH_TAB_BITS;
const GOLDEN_RATIO_32 = 0x61c88647;

/** hash_32(val, bits): the top `bits` of val * GOLDEN_RATIO_32 (mod 2^32). */
export function hash32(val: number, bits: number): number {
  return Math.imul(val >>> 0, GOLDEN_RATIO_32) >>> (32 - bits);
}

/** ip_vs_sh_hashkey */
export function shHashKey(addr: number, port: number, offset: number): number {
  return (offset + hash32((port + addr) >>> 0, IP_VS_SH_TAB_BITS)) & (IP_VS_SH_TAB_SIZE - 1);
}

/** Fills `table` with the servers in list order, `weight` buckets each (ip_vs_sh_reassign / ip_vs_dh_reassign). */
export function fillBuckets(table: (RealServer | null)[], svc: VirtualService, byWeight: boolean): void {
  const dests = svc.dests;
  let p = 0;
  let count = 0;
  for (let i = 0; i < table.length; i++) {
    if (dests.length === 0) {
      table[i] = null;
      continue;
    }
    if (p >= dests.length) p = 0;
    const d = dests[p]!;
    table[i] = d;
    if (!byWeight || ++count >= d.weight) {
      p++;
      count = 0;
    }
  }
}

export class SourceHashing implements IpvsScheduler {
  readonly name = 'sh';
  readonly buckets: (RealServer | null)[] = new Array(IP_VS_SH_TAB_SIZE).fill(null);

  constructor(svc: VirtualService) {
    fillBuckets(this.buckets, svc, true);
  }

  destsChanged(svc: VirtualService): void {
    fillBuckets(this.buckets, svc, true);
  }

  schedule(svc: VirtualService, src: number, sport: number): RealServer | null {
    const port = (svc.flags & IP_VS_SVC_F_SCHED_PORT) !== 0 ? sport : 0;
    const ihash = shHashKey(src, port, 0);
    let dest = this.buckets[ihash]!;
    if ((svc.flags & IP_VS_SVC_F_SCHED_FALLBACK) === 0) return dest !== null && usable(dest) ? dest : null;
    // ip_vs_sh_get_fallback
    if (dest === null) return null;
    if (usable(dest)) return dest;
    for (let offset = 0; offset < IP_VS_SH_TAB_SIZE; offset++) {
      const roffset = (offset + ihash) % IP_VS_SH_TAB_SIZE;
      dest = this.buckets[shHashKey(src, port, roffset)]!;
      if (dest === null) break;
      if (usable(dest)) return dest;
    }
    return null;
  }
}
