import { labelSelectorMatches } from '../api/labels.js';
import { parsePlacement, type PlacementEntry } from '../api/manifest.js';
import { parseVirtualTimestamp, sameJson, type ApiStore } from '../api/store.js';
import type { DaemonSet, Deployment, Node, Pod, PodTemplateSpec, ReplicaSet, Taint, Toleration } from '../api/types.js';
import {
  PLACEMENT_ANNOTATION, PLACEMENT_SLOT_ANNOTATION, POD_IP_ANNOTATION, POD_TEMPLATE_HASH_LABEL,
} from '../api/types.js';
import { computePodTemplateHash } from './hash.js';
import { controllerRef, isPodActive, isPodReady, objectKey, splitKey, type OwnerIndex } from './pods.js';

/** The annotation the Deployment controller stamps on its ReplicaSets. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** A pod of `template` owned by `owner`, named `<generateName><5 random chars>` by the store. */
function podFromTemplate(template: PodTemplateSpec, namespace: string, generateName: string, owner: { kind: string; name: string; uid: string }): Pod {
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: '',
      generateName,
      namespace,
      labels: { ...(meta.labels ?? {}) },
      ...(meta.annotations !== undefined ? { annotations: { ...meta.annotations } } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: owner.uid, controller: true }],
    },
    // A shallow copy: callers set spec.nodeName, and the store keeps a deep copy of what it is given.
    spec: { ...template.spec },
    status: { phase: 'Pending' },
  };
}

/** The pods a ReplicaSet/DaemonSet controls: owned by it (controller reference), from the owner index. */
function ownedPods(store: ApiStore, owners: OwnerIndex, uid: string): Pod[] {
  const out: Pod[] = [];
  for (const ref of owners.dependents(uid)) {
    if (ref.kind !== 'Pod') continue;
    const pod = store.get('Pod', ref.namespace, ref.name);
    if (pod !== undefined && controllerRef(pod)?.uid === uid) out.push(pod);
  }
  return out;
}

/**
 * The order in which a ReplicaSet deletes surplus pods (controller.ActivePods' ranking, the
 * first deleted first): unscheduled before scheduled, Pending before Unknown before Running,
 * not ready before ready, then the newest first; ties by name for a reproducible order.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const sa = a.spec.nodeName ? 1 : 0;
  const sb = b.spec.nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const rank = (p: Pod): number => (p.status?.phase === 'Pending' ? 0 : p.status?.phase === 'Unknown' ? 1 : p.status?.phase === 'Running' ? 2 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const ta = parseVirtualTimestamp(a.metadata.creationTimestamp) ?? 0;
  const tb = parseVirtualTimestamp(b.metadata.creationTimestamp) ?? 0;
  if (ta !== tb) return tb - ta;
  return a.metadata.name < b.metadata.name ? 1 : a.metadata.name > b.metadata.name ? -1 : 0;
}

/**
 * The ReplicaSet controller: keeps spec.replicas active pods (named `<rs>-<5 chars>`), deletes
 * the surplus in compareForDeletion's order, and publishes status.replicas/readyReplicas/
 * availableReplicas. With the dpsim.io/placement annotation, a new pod takes the lowest slot
 * no active pod of the set holds: it is bound to that slot's node (spec.nodeName) and, when the
 * slot names one, asks for its IP through dpsim.io/pod-ip; pods beyond the slots are scheduled.
 */
export class ReplicaSetController {
  private readonly dirty = new Set<string>();

  constructor(private readonly store: ApiStore, private readonly owners: OwnerIndex) {
    store.watch('ReplicaSet', (ev) => this.dirty.add(objectKey(ev.object)));
    store.watch('Pod', (ev) => {
      const ref = controllerRef(ev.object);
      if (ref?.kind === 'ReplicaSet') this.dirty.add(`${ev.object.metadata.namespace}/${ref.name}`);
    });
    store.onIdle(() => this.syncDirty());
  }

  private syncDirty(): void {
    while (this.dirty.size > 0) {
      const key = this.dirty.values().next().value!;
      this.dirty.delete(key);
      const [ns, name] = splitKey(key);
      const rs = this.store.get('ReplicaSet', ns, name);
      if (rs !== undefined && rs.metadata.deletionTimestamp === undefined) this.sync(rs);
    }
  }

  private sync(rs: ReplicaSet): void {
    const ns = rs.metadata.namespace!;
    const pods = ownedPods(this.store, this.owners, rs.metadata.uid!).filter(isPodActive);
    const want = rs.spec.replicas ?? 1;
    const settled = pods.length === want;
    if (pods.length < want) {
      const placement = placementOf(rs);
      const taken = new Set(pods.map((p) => p.metadata.annotations?.[PLACEMENT_SLOT_ANNOTATION]).filter((s) => s !== undefined));
      for (let i = pods.length; i < want; i++) {
        const pod = podFromTemplate(rs.spec.template, ns, `${rs.metadata.name}-`, { kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid! });
        const slot = placement.findIndex((_, k) => !taken.has(String(k)));
        if (slot >= 0) {
          taken.add(String(slot));
          const entry = placement[slot]!;
          pod.spec.nodeName = entry.node;
          pod.metadata.annotations = { ...pod.metadata.annotations, [PLACEMENT_SLOT_ANNOTATION]: String(slot) };
          if (entry.ip !== null) pod.metadata.annotations[POD_IP_ANNOTATION] = entry.ip;
        }
        pods.push(this.store.create(pod));
      }
    } else if (pods.length > want) {
      const victims = [...pods].sort(compareForDeletion).slice(0, pods.length - want);
      for (const v of victims) this.store.delete('Pod', ns, v.metadata.name);
    }
    // Unless pods were created or deleted just now, the store holds what `pods` already is.
    const current = settled ? pods : ownedPods(this.store, this.owners, rs.metadata.uid!).filter(isPodActive);
    const ready = current.filter(isPodReady).length;
    const status = { replicas: current.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation ?? 1 };
    const fresh = this.store.get('ReplicaSet', ns, rs.metadata.name)!;
    if (!sameJson(fresh.status ?? {}, status)) {
      const next = { ...fresh, metadata: { ...fresh.metadata }, status };
      delete next.metadata.resourceVersion;
      this.store.update(next);
    }
  }
}

function placementOf(obj: ReplicaSet | Deployment): PlacementEntry[] {
  const text = obj.metadata.annotations?.[PLACEMENT_ANNOTATION];
  return text === undefined ? [] : parsePlacement(text);
}

/**
 * The Deployment controller: the ReplicaSet of the current template is `<deploy>-<hash>` (the
 * pod-template-hash of computePodTemplateHash, added to its selector and pod labels) with the
 * Deployment's replicas; ReplicaSets of older templates are scaled to 0 (a rollout in one step;
 * surge and unavailability limits are not modelled). Status sums the ReplicaSets'.
 */
export class DeploymentController {
  private readonly dirty = new Set<string>();
  /** The last template hashed per Deployment uid: every status update re-syncs, the template seldom changes. */
  private readonly hashes = new Map<string, { template: PodTemplateSpec; collisionCount: number | undefined; hash: string }>();

  constructor(private readonly store: ApiStore, private readonly owners: OwnerIndex) {
    store.watch('Deployment', (ev) => {
      if (ev.type === 'DELETED') this.hashes.delete(ev.object.metadata.uid!);
      this.dirty.add(objectKey(ev.object));
    });
    store.watch('ReplicaSet', (ev) => {
      const ref = controllerRef(ev.object);
      if (ref?.kind === 'Deployment') this.dirty.add(`${ev.object.metadata.namespace}/${ref.name}`);
    });
    store.onIdle(() => this.syncDirty());
  }

  private syncDirty(): void {
    while (this.dirty.size > 0) {
      const key = this.dirty.values().next().value!;
      this.dirty.delete(key);
      const [ns, name] = splitKey(key);
      const d = this.store.get('Deployment', ns, name);
      if (d !== undefined && d.metadata.deletionTimestamp === undefined) this.sync(d);
    }
  }

  /** computePodTemplateHash of the Deployment's template and collision count, reused while both stay the same. */
  private templateHash(d: Deployment): string {
    const uid = d.metadata.uid!;
    const collisionCount = d.status?.collisionCount;
    const last = this.hashes.get(uid);
    // Same JSON implies the same canonical JSON, so the same hash.
    if (last !== undefined && last.collisionCount === collisionCount && sameJson(last.template, d.spec.template)) return last.hash;
    const hash = computePodTemplateHash(d.spec.template, collisionCount);
    // Stored objects are never mutated, so keeping a reference to the template is safe.
    this.hashes.set(uid, { template: d.spec.template, collisionCount, hash });
    return hash;
  }

  private sync(d: Deployment): void {
    const ns = d.metadata.namespace!;
    const hash = this.templateHash(d);
    const rsName = `${d.metadata.name}-${hash}`;
    const owned = this.owners.dependents(d.metadata.uid!).filter((r) => r.kind === 'ReplicaSet')
      .map((r) => this.store.get('ReplicaSet', r.namespace, r.name)).filter((rs): rs is ReplicaSet => rs !== undefined);
    const replicas = d.spec.replicas ?? 1;
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
      if (k !== 'kubectl.kubernetes.io/last-applied-configuration') annotations[k] = v;
    }
    let current = owned.find((rs) => rs.metadata.name === rsName);
    let wrote = false;
    if (current === undefined) {
      wrote = true;
      const existing = this.store.get('ReplicaSet', ns, rsName);
      if (existing !== undefined) throw new Error(`replicasets.apps "${rsName}" exists and is not owned by deployment ${d.metadata.name}`);
      const template = structuredClone(d.spec.template);
      template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
      const revision = 1 + Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0)));
      current = this.store.create<ReplicaSet>({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace: ns,
          labels: { ...(d.spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash },
          annotations: { ...annotations, [REVISION_ANNOTATION]: String(revision) },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid!, controller: true }],
        },
        spec: {
          replicas,
          selector: {
            ...d.spec.selector,
            matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash },
          },
          template,
        },
      });
    } else {
      const wantAnn = { ...annotations, [REVISION_ANNOTATION]: current.metadata.annotations?.[REVISION_ANNOTATION] ?? '1' };
      if ((current.spec.replicas ?? 1) !== replicas || !sameJson(current.metadata.annotations ?? {}, wantAnn)) {
        const next = { ...current, metadata: { ...current.metadata, annotations: wantAnn }, spec: { ...current.spec, replicas } };
        delete next.metadata.resourceVersion;
        current = this.store.update(next);
        wrote = true;
      }
    }
    for (const rs of owned) {
      if (rs.metadata.name === rsName || (rs.spec.replicas ?? 1) === 0) continue;
      const next = { ...rs, metadata: { ...rs.metadata }, spec: { ...rs.spec, replicas: 0 } };
      delete next.metadata.resourceVersion;
      this.store.update(next);
      wrote = true;
    }
    // Unless a ReplicaSet was written just now, the store holds what `owned` already is.
    const all = !wrote
      ? owned
      : this.owners.dependents(d.metadata.uid!).filter((r) => r.kind === 'ReplicaSet')
        .map((r) => this.store.get('ReplicaSet', r.namespace, r.name)).filter((rs): rs is ReplicaSet => rs !== undefined);
    let total = 0;
    let ready = 0;
    for (const rs of all) {
      total += rs.status?.replicas ?? 0;
      ready += rs.status?.readyReplicas ?? 0;
    }
    const latest = this.store.get('ReplicaSet', ns, rsName);
    const status = {
      replicas: total,
      updatedReplicas: latest?.status?.replicas ?? 0,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: d.metadata.generation ?? 1,
      ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    };
    const fresh = this.store.get('Deployment', ns, d.metadata.name)!;
    if (!sameJson(fresh.status ?? {}, status)) {
      const next = { ...fresh, metadata: { ...fresh.metadata }, status };
      delete next.metadata.resourceVersion;
      this.store.update(next);
    }
  }
}

/** Whether a toleration tolerates a taint (v1helper.ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  if ((t.operator ?? 'Equal') === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** Whether a pod may be placed on a node: every NoSchedule/NoExecute taint is tolerated. */
export function toleratesNode(node: Node, tolerations: Toleration[] | undefined): boolean {
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (!(tolerations ?? []).some((t) => tolerates(t, taint))) return false;
  }
  return true;
}

/** Whether a node satisfies a pod's nodeSelector. */
export function nodeMatchesSelector(node: Node, selector: Record<string, string> | undefined): boolean {
  if (selector === undefined) return true;
  const labels = node.metadata.labels ?? {};
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/**
 * The DaemonSet controller: one active pod (`<ds>-<5 chars>`, bound directly to its node) on
 * every node that matches the template's nodeSelector and whose NoSchedule/NoExecute taints its
 * tolerations tolerate — cordoned (unschedulable) nodes included, as DaemonSet pods tolerate
 * that; pods on nodes that left are deleted.
 */
export class DaemonSetController {
  private readonly dirty = new Set<string>();

  constructor(private readonly store: ApiStore, private readonly owners: OwnerIndex) {
    store.watch('DaemonSet', (ev) => this.dirty.add(objectKey(ev.object)));
    store.watch('Pod', (ev) => {
      const ref = controllerRef(ev.object);
      if (ref?.kind === 'DaemonSet') this.dirty.add(`${ev.object.metadata.namespace}/${ref.name}`);
    });
    store.watch('Node', () => {
      for (const ds of store.list('DaemonSet')) this.dirty.add(objectKey(ds));
    });
    store.onIdle(() => this.syncDirty());
  }

  private syncDirty(): void {
    while (this.dirty.size > 0) {
      const key = this.dirty.values().next().value!;
      this.dirty.delete(key);
      const [ns, name] = splitKey(key);
      const ds = this.store.get('DaemonSet', ns, name);
      if (ds !== undefined) this.sync(ds);
    }
  }

  private sync(ds: DaemonSet): void {
    const ns = ds.metadata.namespace!;
    const tspec = ds.spec.template.spec;
    const nodes = this.store.list('Node').filter((n) => nodeMatchesSelector(n, tspec.nodeSelector) && toleratesNode(n, tspec.tolerations));
    const wanted = new Set(nodes.map((n) => n.metadata.name));
    const pods = ownedPods(this.store, this.owners, ds.metadata.uid!).filter(isPodActive);
    const byNode = new Map<string, Pod[]>();
    for (const p of pods) {
      const n = p.spec.nodeName ?? '';
      if (!byNode.has(n)) byNode.set(n, []);
      byNode.get(n)!.push(p);
    }
    for (const [node, list] of byNode) {
      const keep = wanted.has(node) ? 1 : 0;
      const surplus = [...list].sort(compareForDeletion).slice(0, list.length - keep);
      for (const p of surplus) this.store.delete('Pod', ns, p.metadata.name);
    }
    for (const node of nodes) {
      if (byNode.has(node.metadata.name)) continue;
      const pod = podFromTemplate(ds.spec.template, ns, `${ds.metadata.name}-`, { kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid! });
      pod.spec.nodeName = node.metadata.name;
      this.store.create(pod);
    }
    const current = ownedPods(this.store, this.owners, ds.metadata.uid!).filter(isPodActive);
    const ready = current.filter(isPodReady).length;
    const status = {
      desiredNumberScheduled: nodes.length,
      currentNumberScheduled: current.length,
      numberReady: ready,
      updatedNumberScheduled: current.length,
      numberAvailable: ready,
    };
    const fresh = this.store.get('DaemonSet', ns, ds.metadata.name)!;
    if (!sameJson(fresh.status ?? {}, status)) {
      const next = { ...fresh, metadata: { ...fresh.metadata }, status };
      delete next.metadata.resourceVersion;
      this.store.update(next);
    }
  }
}

/** The selector-matching check the workload controllers rely on, exported for tests. */
export function workloadSelects(obj: ReplicaSet | Deployment | DaemonSet, pod: Pod): boolean {
  return labelSelectorMatches(obj.spec.selector, pod.metadata.labels);
}
