/**
 * A running cluster: the machines (src/k8s/cluster/machines.ts), the API server's store and
 * the controllers, a kubelet and a kube-proxy on every node, and the manifests of the cluster
 * file applied — all on one simulated network and one virtual clock, reproducible from the seed.
 */
import { readFileSync } from 'node:fs';
import { Network } from '../../netns/network.js';
import type { NetNamespace } from '../../netns/namespace.js';
import { formatIPv4 } from '../../packet/address.js';
import { SEC } from '../../sim/time.js';
import { ApiError, ApiStore } from '../api/store.js';
import { objectError, parseManifests } from '../api/manifest.js';
import type { KubeObject, Node } from '../api/types.js';
import { ControllerManager } from '../controllers/manager.js';
import type { ClusterConfig } from './config.js';
import { buildMachines, type ClusterNode, type Machines } from './machines.js';
import { Kubelet, type RunningPod } from './kubelet.js';
import { startKubeProxy, type NodeProxy } from './kube-proxy.js';

export class ClusterError extends Error {}

export interface ClusterOptions {
  seed: number;
}

/** Longest a cluster may take to settle after a change (virtual time). */
const SETTLE_CAP = 5 * 60 * SEC;

export class Cluster {
  readonly net: Network;
  readonly machines: Machines;
  readonly store: ApiStore;
  readonly controllers: ControllerManager;
  readonly kubelets = new Map<string, Kubelet>();
  readonly proxies = new Map<string, NodeProxy>();

  private constructor(readonly config: ClusterConfig, opts: ClusterOptions) {
    this.net = new Network(opts.seed);
    this.machines = buildMachines(this.net, config);
    const sched = this.net.scheduler;
    this.store = new ApiStore({ random: this.net.random, clock: sched });
    this.controllers = new ControllerManager(this.store, sched, { serviceCIDR: config.serviceCIDR.text, clusterCIDR: config.clusterCIDR.text });
    for (const node of this.machines.nodes) {
      this.kubelets.set(node.config.name, new Kubelet(this.net, this.store, node));
      this.store.create(nodeObject(node));
    }
    for (const node of this.machines.nodes) this.proxies.set(node.config.name, startKubeProxy(this, node));
  }

  /** Builds the cluster of `config`, applies its manifests and lets it settle. */
  static build(config: ClusterConfig, opts: ClusterOptions): Cluster {
    const c = new Cluster(config, opts);
    for (const file of config.manifests) c.applyFile(file);
    c.settle();
    return c;
  }

  /** Builds the cluster of `config` with `objects` applied instead of its manifest files, and lets it settle. */
  static fromObjects(config: ClusterConfig, objects: readonly KubeObject[], opts: ClusterOptions): Cluster {
    const c = new Cluster(config, opts);
    c.apply(objects);
    c.settle();
    return c;
  }

  /** The objects of a manifest file, validated. Throws ManifestError/ClusterError naming the file and line. */
  readManifests(file: string): KubeObject[] {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ClusterError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    return parseManifests(text, file, { serviceCIDR: this.config.serviceCIDR.text });
  }

  /** `kubectl apply -f FILE` (create, or replace what exists). */
  applyFile(file: string): KubeObject[] {
    return this.apply(this.readManifests(file));
  }

  /** Creates each object, or updates it when it exists (kubectl apply). */
  apply(objects: readonly KubeObject[]): KubeObject[] {
    const out: KubeObject[] = [];
    for (const obj of objects) {
      try {
        const existing = this.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
        if (existing === undefined) out.push(this.store.create(obj));
        else {
          const next = structuredClone(obj) as KubeObject;
          next.metadata.resourceVersion = existing.metadata.resourceVersion;
          out.push(this.store.update(next));
        }
      } catch (e) {
        if (e instanceof ApiError) throw objectError(obj, 'metadata.name', e.message);
        throw e;
      }
    }
    return out;
  }

  /**
   * Runs the clock until the cluster is steady: every pod that can run is running, and every
   * kube-proxy has synced everything it was told about. Returns the virtual time it took.
   */
  settle(): number {
    const sched = this.net.scheduler;
    const start = sched.now;
    while (sched.now - start < SETTLE_CAP) {
      if (this.steady()) return sched.now - start;
      const next = sched.nextTimerAt();
      if (next < 0) break;
      sched.runUntil(next);
    }
    return sched.now - start;
  }

  private steady(): boolean {
    for (const pod of this.store.listView('Pod')) {
      if (pod.metadata.deletionTimestamp !== undefined) return false;
      if (pod.spec.nodeName !== undefined && pod.status?.phase !== 'Running') return false;
    }
    for (const p of this.proxies.values()) if (p.pendingSync()) return false;
    return true;
  }

  /** Advances virtual time (a scenario's `sleep`). */
  sleep(duration: number): void {
    this.net.scheduler.runUntil(this.net.now + duration);
  }

  node(name: string): ClusterNode | undefined {
    return this.machines.nodes.find((n) => n.config.name === name);
  }

  /** The pod's running state (its network namespace), looking in every kubelet. */
  runningPod(namespace: string, name: string): RunningPod | undefined {
    for (const k of this.kubelets.values()) {
      const p = k.pods.get(`${namespace}/${name}`);
      if (p !== undefined) return p;
    }
    return undefined;
  }

  /** Every namespace name in the network and what it is, for trace legends. */
  describeNamespace(ns: NetNamespace): string {
    if (ns === this.machines.gateway) return `the underlay's gateway (${formatIPv4(this.config.underlay.gateway)}), router to the outside`;
    if (ns === this.machines.external) return `a client outside the cluster (${formatIPv4(this.config.external.address)})`;
    const node = this.machines.nodes.find((n) => n.ns === ns);
    if (node !== undefined) return `node ${node.config.name} (${formatIPv4(node.config.address)}, pods ${node.podCIDR.text})`;
    for (const k of this.kubelets.values()) {
      for (const p of k.pods.values()) {
        if (p.ns === ns) return `pod ${p.pod.metadata.namespace}/${p.pod.metadata.name} (${p.pod.status?.podIP ?? '?'}) on ${k.node.config.name}`;
      }
    }
    return 'a network namespace';
  }
}

/** The Node object a kubelet registers. */
function nodeObject(node: ClusterNode): Node {
  const c = node.config;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: c.name, labels: { 'kubernetes.io/hostname': c.name, 'kubernetes.io/os': 'linux', ...c.labels } },
    spec: { podCIDR: node.podCIDR.text, podCIDRs: [node.podCIDR.text], ...(c.schedulable ? {} : { taints: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }] }) },
    status: {
      addresses: [
        { type: 'InternalIP', address: formatIPv4(c.address) },
        { type: 'Hostname', address: c.name },
      ],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}
