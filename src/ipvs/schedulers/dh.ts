/**
 * Destination hashing (ip_vs_dh.c): a 256-bucket table filled with the servers in turn
 * (weights only matter as 0 = unusable); the destination address picks the bucket by
 * (addr * 2654435761) & 255.
 */
import type { RealServer, VirtualService } from '../service.js';
import { usable, type IpvsScheduler } from './scheduler.js';
import { fillBuckets } from './sh.js';

export const IP_VS_DH_TAB_SIZE = 256;

/** ip_vs_dh_hashkey */
export function dhHashKey(addr: number): number {
  return Math.imul(addr >>> 0, 2654435761 | 0) & (IP_VS_DH_TAB_SIZE - 1);
}

export class DestinationHashing implements IpvsScheduler {
  readonly name = 'dh';
  readonly buckets: (RealServer | null)[] = new Array(IP_VS_DH_TAB_SIZE).fill(null);

  constructor(svc: VirtualService) {
    fillBuckets(this.buckets, svc, false);
  }

  destsChanged(svc: VirtualService): void {
    fillBuckets(this.buckets, svc, false);
  }

  schedule(_svc: VirtualService, _src: number, _sport: number, dst: number): RealServer | null {
    const dest = this.buckets[dhHashKey(dst)]!;
    return dest !== null && usable(dest) ? dest : null;
  }
}
