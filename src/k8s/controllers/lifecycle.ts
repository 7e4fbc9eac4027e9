import { CallbackTimer, type Timer } from '../../sim/timer.js';
import { parseVirtualTimestamp, type ApiStore } from '../api/store.js';
import { CLUSTER_SCOPED_KINDS } from '../api/types.js';
import { objectKey, splitKey, type OwnerIndex } from './pods.js';

/** The timers of the virtual clock the controllers use (a sim Scheduler is one). */
export interface TimerHost {
  readonly now: number;
  arm(timer: Timer, delay: number): void;
  cancel(timer: Timer): void;
}

/**
 * Pod termination: when a pod gets its deletionTimestamp (a graceful delete), a timer fires at
 * that time and removes the pod (the final delete with grace 0 that the kubelet sends once the
 * containers are gone). The timers are quiet: they send no packets themselves. A kubelet that
 * finishes earlier may delete the pod with gracePeriodSeconds 0 itself; the timer is then dropped.
 */
export class PodTermination {
  private readonly timers = new Map<string, Timer>();

  constructor(private readonly store: ApiStore, private readonly host: TimerHost) {
    store.watch('Pod', (ev) => {
      const pod = ev.object;
      const key = objectKey(pod);
      if (ev.type === 'DELETED') {
        const t = this.timers.get(key);
        if (t !== undefined) this.host.cancel(t);
        this.timers.delete(key);
        return;
      }
      if (pod.metadata.deletionTimestamp === undefined || this.timers.has(key)) return;
      const at = parseVirtualTimestamp(pod.metadata.deletionTimestamp) ?? this.host.now;
      const uid = pod.metadata.uid;
      const timer = new CallbackTimer(true, () => {
        this.timers.delete(key);
        const [ns, name] = splitKey(key);
        const current = this.store.get('Pod', ns, name);
        if (current !== undefined && current.metadata.uid === uid) this.store.delete('Pod', ns, name, { gracePeriodSeconds: 0 });
      });
      this.timers.set(key, timer);
      this.host.arm(timer, Math.max(0, at - this.host.now));
    });
  }

  /** How many pods are waiting out their grace period. */
  get terminating(): number {
    return this.timers.size;
  }
}


/**
 * The garbage collector (background propagation): when an object is deleted, every object that
 * names it in ownerReferences is deleted too (pods gracefully), and so on down the chain:
 * Deployment → ReplicaSets → Pods, Service → EndpointSlices.
 */
export class GarbageCollector {
  private readonly orphaned: string[] = [];

  constructor(private readonly store: ApiStore, private readonly owners: OwnerIndex) {
    store.watchAll((ev) => {
      if (ev.type === 'DELETED' && ev.object.metadata.uid !== undefined) this.orphaned.push(ev.object.metadata.uid);
    });
    store.onIdle(() => this.collect());
  }

  private collect(): void {
    while (this.orphaned.length > 0) {
      const uid = this.orphaned.shift()!;
      for (const ref of this.owners.dependents(uid)) {
        const obj = this.store.get(ref.kind, ref.namespace, ref.name);
        if (obj === undefined) continue;
        if (!(obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) continue;
        if (obj.metadata.deletionTimestamp !== undefined && !CLUSTER_SCOPED_KINDS.has(obj.kind)) continue;
        this.store.delete(ref.kind, ref.namespace, ref.name);
      }
      this.owners.forget(uid);
    }
  }
}
