/**
 * The IPVS proxier driving a dpsim node: each sync computes what the node should hold,
 * prices it with a dry run (cost.ts), and on commit applies it through the node's IPVS,
 * ipset, address and iptables interfaces (apply.ts). The graceful-termination list is
 * retried every minute on the virtual clock, as upstream's manager goroutine does.
 */

import type { NetNamespace } from '../../../netns/namespace.js';
import type { TableName } from '../../../iptables/model.js';
import { MATCHES } from '../../../iptables/matches.js';
import { ipvsOf } from '../../../ipvs/ipvs.js';
import { CallbackTimer } from '../../../sim/timer.js';
import { MS } from '../../../sim/time.js';
import type { ProxySnapshot } from '../service-ports.js';
import type { ProxyBackend, SyncLoopOptions, SyncWork } from '../sync-loop.js';
import { chainExists, ensureChain } from '../iptables/apply.js';
import { KUBE_PROXY_CANARY } from '../iptables/chain-names.js';
import { applyIpvsSync, initIpvsNode, nodeAddresses, type IpvsApplyReport } from './apply.js';
import { ipvsSyncCostNs } from './cost.js';
import { GracefulTermination, RS_CHECK_DELETE_INTERVAL } from './graceful.js';
import type { IpvsProxier, IpvsSyncResult } from './proxier.js';

/** The tables the IPVS proxier writes (and where dpsim puts canaries when asked). */
const CANARY_TABLES: readonly TableName[] = ['nat', 'filter'];

/**
 * The sync loop timing upstream gives the IPVS proxier: BoundedFrequencyRunner(minSyncPeriod,
 * syncPeriod, burst 2) — a full sync at least every sync period — and no canary monitor.
 */
export function ipvsSyncLoopOptions(cfg: { minSyncPeriodMs: number; syncPeriodMs: number }): SyncLoopOptions {
  return { minSyncPeriod: cfg.minSyncPeriodMs * MS, maxInterval: cfg.syncPeriodMs * MS, syncPeriod: cfg.syncPeriodMs * MS, burst: 2, canary: false };
}

/** A node's IPVS kube-proxy backend. */
export class IpvsBackend implements ProxyBackend {
  readonly canaryTables = CANARY_TABLES.length;
  readonly graceful: GracefulTermination;
  /** The last computed sync, the last applied report, and the last error, for inspection. */
  last: IpvsSyncResult | null = null;
  lastReport: IpvsApplyReport | null = null;
  lastError: string | null = null;
  private initialSync = true;
  private readonly gracefulTimer: CallbackTimer;

  constructor(
    readonly ns: NetNamespace,
    readonly proxier: IpvsProxier,
    /** The objects as the informers hold them now. */
    private readonly snapshot: () => ProxySnapshot,
    readonly flavour: 'nft' | 'legacy' = 'nft',
  ) {
    initIpvsNode(ns, proxier.cfg);
    this.graceful = new GracefulTermination(ipvsOf(ns));
    const sched = ns.net.scheduler;
    this.gracefulTimer = new CallbackTimer(true, () => {
      this.graceful.tick();
      sched.arm(this.gracefulTimer, RS_CHECK_DELETE_INTERVAL);
    });
    sched.arm(this.gracefulTimer, RS_CHECK_DELETE_INTERVAL);
  }

  sync(_full: boolean): SyncWork {
    const r = this.proxier.sync(this.snapshot(), { nodeAddresses: nodeAddresses(this.ns), ipvsMatch: MATCHES.has('ipvs') });
    this.last = r;
    const plan = applyIpvsSync(this.ns, r, this.graceful, { dryRun: true, initialSync: this.initialSync, flavour: this.flavour });
    return {
      kernelNs: ipvsSyncCostNs(plan.ops, r.iptablesText, this.flavour),
      full: true,
      commit: () => {
        const report = applyIpvsSync(this.ns, r, this.graceful, { initialSync: this.initialSync, flavour: this.flavour });
        this.initialSync = false;
        this.lastReport = report;
        this.lastError = report.errors.length > 0 ? report.errors.join('\n') : null;
        return report.ok;
      },
    };
  }

  /** Stops the graceful-termination timer. */
  stop(): void {
    this.ns.net.scheduler.cancel(this.gracefulTimer);
  }

  ensureCanary(): void {
    for (const t of CANARY_TABLES) ensureChain(this.ns, t, KUBE_PROXY_CANARY, this.flavour);
  }

  canaryPresent(index: number): boolean {
    return chainExists(this.ns, CANARY_TABLES[index]!, KUBE_PROXY_CANARY, this.flavour);
  }
}
