/**
 * When kube-proxy syncs, on dpsim's virtual clock: upstream's BoundedFrequencyRunner
 * (k8s.io/kubernetes/pkg/util/async) — a token bucket of `burst` runs refilled one per
 * min-sync-period, a run at least every `maxInterval`, requests while a run is in progress
 * coalesced into one — and utiliptables' canary Monitor: every sync period it checks the
 * canary chain in the first table; once it is gone it polls every 100 ms (for at most 5 s)
 * until the canaries of the other tables are gone too, then forces a full sync and
 * re-creates the canaries. A sync takes the virtual time the backend reports (the modelled
 * kernel restore); its rules take effect when it completes.
 */

import type { Scheduler } from '../../sim/scheduler.js';
import { CallbackTimer } from '../../sim/timer.js';
import { MS, SEC } from '../../sim/time.js';
import { ProxyMetrics } from './metrics.js';

/** One prepared sync: how long the kernel takes to load it, and the load itself. */
export interface SyncWork {
  /** Modelled kernel time of the load, ns. */
  readonly kernelNs: number;
  /** Whether this is a full sync. */
  readonly full: boolean;
  /** Loads the rules into the node; false when the kernel refused them. */
  commit(): boolean;
}

/** A proxier as the sync loop drives it (the iptables and the IPVS proxier both plug in). */
export interface ProxyBackend {
  /** Prepares a sync of the current state (`full`: rewrite everything). */
  sync(full: boolean): SyncWork;
  /** Creates the canary chains in every monitored table. */
  ensureCanary(): void;
  /** Whether the canary of monitored table `index` exists (0 is the one polled every period). */
  canaryPresent(index: number): boolean;
  /** How many tables carry a canary (upstream: mangle, nat, filter). */
  readonly canaryTables: number;
}

/** The loop's timing, in ns. */
export interface SyncLoopOptions {
  /** --iptables-min-sync-period (1 s). */
  readonly minSyncPeriod: number;
  /** The runner's maximum interval between runs (current: FullSyncPeriod 1 h; v1.12: the sync period). */
  readonly maxInterval: number;
  /** --iptables-sync-period (30 s): canary poll interval and retry delay after a failed sync. */
  readonly syncPeriod: number;
  /** Runs allowed back to back (upstream: 2). */
  readonly burst: number;
  /** Whether the canary monitor runs (not in v1.12). */
  readonly canary: boolean;
}

/** What happened at one sync. */
export interface SyncRecord {
  /** Virtual time the sync started and finished, ns. */
  readonly start: number;
  readonly end: number;
  readonly full: boolean;
  readonly ok: boolean;
  readonly reason: 'request' | 'periodic' | 'canary' | 'retry' | 'initial';
}

/** Upstream's iptablesFlushPollTime and iptablesFlushTimeout. */
export const FLUSH_POLL = 100 * MS;
export const FLUSH_TIMEOUT = 5 * SEC;

/** The BoundedFrequencyRunner and canary Monitor of one proxier. */
export class SyncLoop {
  readonly history: SyncRecord[] = [];
  private tokens: number;
  private lastRefill: number;
  private lastRun = Number.NEGATIVE_INFINITY;
  private busy = false;
  private pending: SyncRecord['reason'] | null = null;
  private pendingForce = false;
  /** When the changes not yet synced happened, run-length coded: [time, count, time, count, …] (a burst of changes shares one instant). */
  private triggers: number[] = [];
  private readonly runTimer = new CallbackTimer(true, () => this.tryRun('periodic'));
  private readonly retryTimer = new CallbackTimer(true, () => this.tryRun('retry'));
  private readonly canaryTimer = new CallbackTimer(true, () => this.canaryTick());
  private readonly doneTimer = new CallbackTimer(true, () => this.finish());
  private flushWaitStart = -1;
  private inFlight: { work: SyncWork; start: number; reason: SyncRecord['reason'] } | null = null;
  private stopped = false;

  constructor(
    private readonly sched: Scheduler<unknown>,
    private readonly backend: ProxyBackend,
    readonly opts: SyncLoopOptions,
    readonly metrics: ProxyMetrics = new ProxyMetrics(),
  ) {
    this.tokens = opts.burst;
    this.lastRefill = sched.now;
  }

  /** Starts the proxier: the initial (full) sync, the periodic timer and the canary monitor. */
  start(): void {
    if (this.opts.canary) this.backend.ensureCanary();
    this.runNow('initial', true);
    if (this.opts.canary) this.sched.arm(this.canaryTimer, this.opts.syncPeriod);
  }

  /** Stops every timer. */
  stop(): void {
    this.stopped = true;
    for (const t of [this.runTimer, this.retryTimer, this.canaryTimer, this.doneTimer]) this.sched.cancel(t);
  }

  /**
   * An object event changed what the proxier should write (upstream's Sync()). `changedAt`
   * (ns) is when the change happened, for network_programming_duration_seconds.
   */
  requestSync(changedAt: number = this.sched.now): void {
    const n = this.triggers.length;
    if (n > 0 && this.triggers[n - 2] === changedAt) this.triggers[n - 1]!++;
    else this.triggers.push(changedAt, 1);
    this.tryRun('request');
  }

  /** Forces a full sync now (what the canary monitor and node changes do). */
  forceFullSync(): void {
    this.runNow('canary', true);
  }

  private refill(now: number): void {
    if (this.opts.minSyncPeriod <= 0) {
      this.tokens = this.opts.burst;
      return;
    }
    this.tokens = Math.min(this.opts.burst, this.tokens + (now - this.lastRefill) / this.opts.minSyncPeriod);
    this.lastRefill = now;
  }

  private tryRun(reason: SyncRecord['reason']): void {
    if (this.stopped) return;
    if (this.busy) {
      this.pending ??= reason;
      return;
    }
    const now = this.sched.now;
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.runNow(reason, false);
      return;
    }
    // Not allowed yet: make sure the runner wakes when the next run becomes possible.
    const nextPossible = Math.max(0, this.lastRun + this.opts.minSyncPeriod - now, Math.ceil((1 - this.tokens) * this.opts.minSyncPeriod));
    const scheduled = this.runTimer.armed ? this.runTimer.at - now : Number.POSITIVE_INFINITY;
    if (nextPossible < scheduled) this.sched.arm(this.runTimer, nextPossible);
  }

  private runNow(reason: SyncRecord['reason'], force: boolean): void {
    if (this.busy) {
      this.pending ??= reason;
      this.pendingForce ||= force;
      return;
    }
    this.busy = true;
    const work = this.backend.sync(force);
    this.inFlight = { work, start: this.sched.now, reason };
    this.sched.arm(this.doneTimer, work.kernelNs);
  }

  private finish(): void {
    const f = this.inFlight!;
    this.inFlight = null;
    const now = this.sched.now;
    const ok = f.work.commit();
    this.busy = false;
    this.lastRun = now;
    this.history.push({ start: f.start, end: now, full: f.work.full, ok, reason: f.reason });
    this.metrics.syncs++;
    if (!f.work.full) this.metrics.partialSyncs++;
    this.metrics.syncProxyRules.observe((now - f.start) / SEC);
    if (ok) {
      for (let i = 0; i < this.triggers.length; i += 2) this.metrics.networkProgramming.observe((now - this.triggers[i]!) / SEC, this.triggers[i + 1]!);
      this.triggers = [];
    } else {
      this.sched.arm(this.retryTimer, this.opts.syncPeriod);
    }
    this.sched.arm(this.runTimer, this.opts.maxInterval);
    if (this.pending !== null) {
      const reason = this.pending;
      const force = this.pendingForce;
      this.pending = null;
      this.pendingForce = false;
      if (force) this.runNow(reason, true);
      else this.tryRun(reason);
    }
  }

  /** The canary monitor's poll. */
  private canaryTick(): void {
    if (this.stopped) return;
    const now = this.sched.now;
    if (this.flushWaitStart < 0) {
      if (this.backend.canaryPresent(0)) {
        this.sched.arm(this.canaryTimer, this.opts.syncPeriod);
        return;
      }
      this.flushWaitStart = now;
    }
    // Wait (100 ms polls, at most 5 s) for the other tables' canaries to be gone too.
    let othersGone = true;
    for (let i = 1; i < this.backend.canaryTables; i++) if (this.backend.canaryPresent(i)) othersGone = false;
    if (!othersGone && now - this.flushWaitStart < FLUSH_TIMEOUT) {
      this.sched.arm(this.canaryTimer, FLUSH_POLL);
      return;
    }
    this.flushWaitStart = -1;
    this.forceFullSync();
    this.backend.ensureCanary();
    this.sched.arm(this.canaryTimer, this.opts.syncPeriod);
  }
}
