/** The schedulers by name, as `ipvsadm -s NAME` asks for them (ip_vs_scheduler_get). */
import type { VirtualService } from '../service.js';
import { DestinationHashing } from './dh.js';
import { LeastConnection, NeverQueue, WeightedLeastConnection } from './lc.js';
import { MaglevHashing } from './mh.js';
import { RoundRobin } from './rr.js';
import type { IpvsScheduler } from './scheduler.js';
import { SourceHashing } from './sh.js';
import { WeightedRoundRobin } from './wrr.js';

export type { IpvsScheduler } from './scheduler.js';

/** Schedulers dpsim models. The kernel also has lblc, lblcr, fo, ovf and twos, which dpsim does not. */
export const SCHEDULER_NAMES = ['rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'sed', 'nq', 'mh'] as const;

/** Kernel schedulers dpsim does not model. */
export const UNMODELLED_SCHEDULERS = new Set(['lblc', 'lblcr', 'fo', 'ovf', 'twos']);

/** A new scheduler instance for `svc`, or null when the kernel has no scheduler of that name. */
export function createScheduler(name: string, svc: VirtualService, mhTabIndex?: number): IpvsScheduler | null {
  switch (name) {
    case 'rr': return new RoundRobin();
    case 'wrr': return new WeightedRoundRobin(svc);
    case 'lc': return new LeastConnection();
    case 'wlc': return new WeightedLeastConnection('wlc');
    case 'sed': return new WeightedLeastConnection('sed');
    case 'nq': return new NeverQueue();
    case 'sh': return new SourceHashing(svc);
    case 'dh': return new DestinationHashing(svc);
    case 'mh': return new MaglevHashing(svc, mhTabIndex);
    default: return null;
  }
}
