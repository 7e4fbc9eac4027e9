/**
 * The least-connection family (ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c, ip_vs_nq.c). Overheads:
 * lc and wlc count an active connection as 256 inactive ones ((active << 8) + inactive);
 * sed and nq use active + 1. lc picks the least overhead; wlc, sed and nq the least
 * overhead per weight (loh * w(dest) > doh * w(least)); nq takes an idle server at once.
 * Ties keep the first server in list order.
 */
import type { RealServer, VirtualService } from '../service.js';
import { usable, type IpvsScheduler } from './scheduler.js';

/** ip_vs_dest_conn_overhead */
export function connOverhead(d: RealServer): number {
  return d.activeConns * 256 + d.inactConns;
}

/** ip_vs_sed_dest_overhead / ip_vs_nq_dest_overhead */
export function sedOverhead(d: RealServer): number {
  return d.activeConns + 1;
}

export class LeastConnection implements IpvsScheduler {
  readonly name = 'lc';
  destsChanged(): void {}
  schedule(svc: VirtualService): RealServer | null {
    let least: RealServer | null = null;
    let loh = 0;
    for (const d of svc.dests) {
      if (!usable(d)) continue;
      const doh = connOverhead(d);
      if (least === null || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}

/** wlc and sed: the least overhead per unit of weight. */
export class WeightedLeastConnection implements IpvsScheduler {
  constructor(readonly name: 'wlc' | 'sed') {}
  destsChanged(): void {}
  schedule(svc: VirtualService): RealServer | null {
    const overhead = this.name === 'wlc' ? connOverhead : sedOverhead;
    let least: RealServer | null = null;
    let loh = 0;
    for (const d of svc.dests) {
      if (!usable(d)) continue;
      const doh = overhead(d);
      if (least === null || loh * d.weight > doh * least.weight) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}

/** Never queue: a server without active connections is taken at once, else as sed. */
export class NeverQueue implements IpvsScheduler {
  readonly name = 'nq';
  destsChanged(): void {}
  schedule(svc: VirtualService): RealServer | null {
    let least: RealServer | null = null;
    let loh = 0;
    for (const d of svc.dests) {
      if (!usable(d)) continue;
      const doh = sedOverhead(d);
      if (d.activeConns === 0) return d;
      if (least === null || loh * d.weight > doh * least.weight) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}
