/**
 * Round robin (ip_vs_rr.c): walks the list from the server after the last one picked,
 * wrapping once, skipping servers with weight 0 or overloaded. A removed server moves the
 * position back to its predecessor (ip_vs_rr_del_dest).
 */
import type { RealServer, VirtualService } from '../service.js';
import { usable, type IpvsScheduler } from './scheduler.js';

export class RoundRobin implements IpvsScheduler {
  readonly name = 'rr';
  /** Index of the last server picked; -1 is the list head (svc->sched_data). */
  private last = -1;

  destsChanged(_svc: VirtualService, removedIndex?: number): void {
    if (removedIndex === undefined) return;
    if (this.last >= removedIndex) this.last--;
  }

  schedule(svc: VirtualService): RealServer | null {
    const dests = svc.dests;
    const n = dests.length;
    if (n === 0) return null;
    const start = this.last;
    // From the one after `last` to the end, then (if we did not start at the head) from the first up to `last`.
    for (let i = start + 1; i < n; i++) {
      if (usable(dests[i]!)) {
        this.last = i;
        return dests[i]!;
      }
    }
    for (let i = 0; i <= start && i < n; i++) {
      if (usable(dests[i]!)) {
        this.last = i;
        return dests[i]!;
      }
    }
    return null;
  }
}
