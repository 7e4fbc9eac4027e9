/**
 * A node going down and coming back, as a cluster sees it: the node's underlay link goes down
 * (nothing reaches it or leaves it), its kubelet stops reporting, and after the node lifecycle
 * controller's grace period (--node-monitor-grace-period, 40 s) the Node's Ready condition
 * becomes Unknown and its pods are marked not ready — so the EndpointSlice controller drops
 * them and every kube-proxy stops sending traffic there. Eviction (5 min later) is not modelled.
 * When the node comes back its link is up, the kubelet reports Ready and its pods ready again.
 */
import { newRoute, RTPROT_BOOT } from '../../netns/route-table.js';
import { CallbackTimer } from '../../sim/timer.js';
import { SEC } from '../../sim/time.js';
import type { Node } from '../api/types.js';
import { setPodReady } from '../controllers/pods.js';
import type { Cluster } from './cluster.js';

/** kube-controller-manager's --node-monitor-grace-period. */
export const NODE_MONITOR_GRACE_PERIOD = 40 * SEC;

const pendingNotReady = new WeakMap<Cluster, Map<string, CallbackTimer>>();

function setNodeReady(cluster: Cluster, name: string, status: 'True' | 'Unknown'): void {
  const node = cluster.store.get('Node', undefined, name);
  if (node === undefined) return;
  const next: Node = structuredClone(node);
  const conditions = (next.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  conditions.push({ type: 'Ready', status });
  next.status = { ...next.status, conditions };
  delete next.metadata.resourceVersion;
  cluster.store.update(next);
}

function setPodsReady(cluster: Cluster, name: string, ready: boolean): void {
  for (const pod of cluster.store.list('Pod')) {
    if (pod.spec.nodeName !== name || pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp !== undefined) continue;
    setPodReady(cluster.store, pod.metadata.namespace!, pod.metadata.name, ready);
  }
}

/** Takes node `name` off the network; its pods stop counting as ready after the grace period. Returns false for an unknown node. */
export function nodeDown(cluster: Cluster, name: string): boolean {
  const node = cluster.node(name);
  if (node === undefined) return false;
  const nic = node.ns.device(cluster.config.underlay.device)!;
  node.ns.setDown(nic);
  let timers = pendingNotReady.get(cluster);
  if (timers === undefined) pendingNotReady.set(cluster, (timers = new Map()));
  if (!timers.has(name)) {
    const t = new CallbackTimer(true, () => {
      timers!.delete(name);
      setNodeReady(cluster, name, 'Unknown');
      setPodsReady(cluster, name, false);
    });
    timers.set(name, t);
    cluster.net.scheduler.arm(t, NODE_MONITOR_GRACE_PERIOD);
  }
  return true;
}

/** Brings node `name` back: link up, Node Ready, its running pods ready again. */
export function nodeUp(cluster: Cluster, name: string): boolean {
  const node = cluster.node(name);
  if (node === undefined) return false;
  const timers = pendingNotReady.get(cluster);
  const t = timers?.get(name);
  if (t !== undefined) {
    cluster.net.scheduler.cancel(t);
    timers!.delete(name);
  }
  const nic = node.ns.device(cluster.config.underlay.device)!;
  node.ns.setUp(nic);
  // Taking the link down flushed its static routes; the node's network service puts the default route back.
  node.ns.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: cluster.config.underlay.gateway, oif: nic.ifindex, protocol: RTPROT_BOOT }));
  setNodeReady(cluster, name, 'True');
  setPodsReady(cluster, name, true);
  return true;
}
