import type { ApiStore } from '../api/store.js';
import type { Node, Pod } from '../api/types.js';
import { isPodTerminal, objectKey, splitKey } from './pods.js';
import { nodeMatchesSelector, toleratesNode } from './workloads.js';

/** Whether a node takes new pods: not cordoned, and not reporting Ready=False/Unknown. */
export function nodeSchedulable(node: Node): boolean {
  if (node.spec?.unschedulable === true) return false;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return ready === undefined || ready.status === 'True';
}

/**
 * The scheduler: binds each pending pod (no spec.nodeName, not being deleted) to a node, in
 * the order the pods were created. Feasible nodes are the schedulable ones whose labels match
 * the pod's nodeSelector and whose NoSchedule/NoExecute taints the pod tolerates; among them the one with the fewest non-terminal pods wins, and a tie
 * is broken by the simulation's seeded generator (uniformly among the tied nodes, as the real
 * scheduler samples among equal scores), so placement is reproducible from the seed. A pod
 * with no feasible node stays Pending and is retried when nodes change.
 */
export class PodScheduler {
  private readonly pending = new Set<string>();
  private readonly podsOnNode = new Map<string, number>();
  private readonly nodeOfPod = new Map<string, string>();

  constructor(private readonly store: ApiStore) {
    store.watch('Pod', (ev) => {
      const pod = ev.object;
      const key = objectKey(pod);
      if (ev.type === 'DELETED') {
        this.pending.delete(key);
        this.place(key, undefined);
        return;
      }
      this.place(key, pod.spec.nodeName && !isPodTerminal(pod) ? pod.spec.nodeName : undefined);
      if (!pod.spec.nodeName && pod.metadata.deletionTimestamp === undefined) this.pending.add(key);
      else this.pending.delete(key);
    });
    store.watch('Node', (ev) => {
      if (ev.type === 'DELETED') this.podsOnNode.delete(ev.object.metadata.name);
    });
    store.onIdle(() => this.schedulePending());
  }

  /** How many non-terminal pods are bound to `node`. */
  podCount(node: string): number {
    return this.podsOnNode.get(node) ?? 0;
  }

  /** Records that pod `key` counts against `node` (or no node), adjusting the per-node counts. */
  private place(key: string, node: string | undefined): void {
    const before = this.nodeOfPod.get(key);
    if (before === node) return;
    if (before !== undefined) this.podsOnNode.set(before, (this.podsOnNode.get(before) ?? 1) - 1);
    if (node === undefined) this.nodeOfPod.delete(key);
    else {
      this.nodeOfPod.set(key, node);
      this.podsOnNode.set(node, (this.podsOnNode.get(node) ?? 0) + 1);
    }
  }

  private schedulePending(): void {
    if (this.pending.size === 0) return;
    const nodes = this.store.list('Node').filter(nodeSchedulable);
    for (const key of [...this.pending]) {
      const [ns, name] = splitKey(key);
      const pod = this.store.get('Pod', ns, name);
      if (pod === undefined || pod.spec.nodeName) {
        this.pending.delete(key);
        continue;
      }
      const feasible = nodes.filter((n) => nodeMatchesSelector(n, pod.spec.nodeSelector) && toleratesNode(n, pod.spec.tolerations));
      if (feasible.length === 0) continue;
      let best = Infinity;
      let tied: Node[] = [];
      for (const n of feasible) {
        const c = this.podCount(n.metadata.name);
        if (c < best) {
          best = c;
          tied = [n];
        } else if (c === best) tied.push(n);
      }
      const chosen = tied.length === 1 ? tied[0]! : tied[this.store.random.int(0, tied.length - 1)]!;
      this.pending.delete(key);
      this.place(key, chosen.metadata.name);
      // Shallow copies are enough: the store keeps a deep copy of what it is given.
      const next: Pod = {
        ...pod,
        metadata: { ...pod.metadata },
        spec: { ...pod.spec, nodeName: chosen.metadata.name },
        status: { ...pod.status, conditions: [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'True' }] },
      };
      delete next.metadata.resourceVersion;
      this.store.update(next);
    }
  }
}
