import type { ApiStore } from '../api/store.js';
import type { KubeKind, KubeObject, OwnerReference, Pod } from '../api/types.js';

/** Whether the pod's Ready condition is True (podutil.IsPodReady). */
export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Whether the pod is being deleted (it has a deletionTimestamp). */
export function isPodTerminating(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/** Whether the pod has finished (Succeeded or Failed). */
export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** controller.IsPodActive: not terminal and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !isPodTerminating(pod);
}

/** The owner reference with controller: true, or undefined. */
export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** "ns/name" of an object (name alone for cluster-scoped ones). */
export function objectKey(obj: KubeObject): string {
  return obj.metadata.namespace === undefined ? obj.metadata.name : `${obj.metadata.namespace}/${obj.metadata.name}`;
}

/** Splits "ns/name" (or "name"). */
export function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf('/');
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}

/** A reference to an object by kind, namespace and name. */
export interface ObjectRef {
  kind: KubeKind;
  namespace: string | undefined;
  name: string;
}

/**
 * Dependents by owner uid, from every object's ownerReferences, kept up to date by a watch:
 * the ReplicaSets of a Deployment, the pods of a ReplicaSet, what the garbage collector deletes.
 */
export class OwnerIndex {
  private readonly byOwner = new Map<string, Map<string, ObjectRef>>();

  constructor(store: ApiStore) {
    store.watchAll((ev) => {
      const obj = ev.object;
      const id = `${obj.kind}\0${obj.metadata.namespace ?? ''}\0${obj.metadata.name}`;
      if (ev.old !== null) for (const r of ev.old.metadata.ownerReferences ?? []) if (r.uid) this.byOwner.get(r.uid)?.delete(id);
      if (ev.type === 'DELETED') {
        for (const r of obj.metadata.ownerReferences ?? []) if (r.uid) this.byOwner.get(r.uid)?.delete(id);
        return;
      }
      for (const r of obj.metadata.ownerReferences ?? []) {
        if (!r.uid) continue;
        let m = this.byOwner.get(r.uid);
        if (m === undefined) this.byOwner.set(r.uid, (m = new Map()));
        m.set(id, { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
      }
    });
  }

  /** The dependents of an owner, in the order they were first recorded. */
  dependents(ownerUid: string): ObjectRef[] {
    return [...(this.byOwner.get(ownerUid)?.values() ?? [])];
  }

  /** Forgets an owner (after it is deleted and its dependents are handled). */
  forget(ownerUid: string): void {
    this.byOwner.delete(ownerUid);
  }
}

/** What a kubelet reports when a pod's sandbox and containers are up. */
export interface PodStarted {
  podIP: string;
  hostIP?: string;
  /** Whether the pod passes its readiness (default true). */
  ready?: boolean;
}

/**
 * The kubelet's status update for a started pod: phase Running, podIP/podIPs, hostIP, startTime
 * and the Initialized/Ready/ContainersReady/PodScheduled conditions. Returns the stored pod.
 */
export function markPodRunning(store: ApiStore, namespace: string, name: string, started: PodStarted): Pod {
  const pod = store.get('Pod', namespace, name);
  if (pod === undefined) throw new Error(`pods "${name}" not found`);
  // Shallow copies are enough: the store keeps a deep copy of what it is given.
  const next: Pod = { ...pod, metadata: { ...pod.metadata } };
  const ready = started.ready ?? true;
  const r = ready ? 'True' : 'False';
  next.status = {
    ...pod.status,
    phase: 'Running',
    podIP: started.podIP,
    podIPs: [{ ip: started.podIP }],
    ...(started.hostIP !== undefined ? { hostIP: started.hostIP } : {}),
    startTime: pod.status?.startTime ?? store.timestamp(),
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: r },
      { type: 'ContainersReady', status: r },
      { type: 'PodScheduled', status: 'True' },
    ],
  };
  delete next.metadata.resourceVersion;
  return store.update(next);
}

/** The kubelet's readiness change: sets the Ready and ContainersReady conditions. Returns the stored pod. */
export function setPodReady(store: ApiStore, namespace: string, name: string, ready: boolean): Pod {
  const pod = store.get('Pod', namespace, name);
  if (pod === undefined) throw new Error(`pods "${name}" not found`);
  const next: Pod = { ...pod, metadata: { ...pod.metadata } };
  const status = ready ? 'True' : 'False';
  const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'Ready' && c.type !== 'ContainersReady');
  conditions.push({ type: 'Ready', status }, { type: 'ContainersReady', status });
  next.status = { ...pod.status, conditions };
  delete next.metadata.resourceVersion;
  return store.update(next);
}
