import type { ApiStore } from '../api/store.js';
import { ApiError } from '../api/store.js';
import { ClusterIPAllocator, PortAllocator, registerServiceAllocation } from './allocators.js';
import { EndpointSliceController } from './endpointslice.js';
import { GarbageCollector, PodTermination, type TimerHost } from './lifecycle.js';
import { NodeIpam } from './node-ipam.js';
import { PodScheduler } from './pod-scheduler.js';
import { OwnerIndex } from './pods.js';
import { DaemonSetController, DeploymentController, ReplicaSetController } from './workloads.js';

/** Options of a ControllerManager (kube-apiserver's and kube-controller-manager's flags). */
export interface ControllerManagerOptions {
  /** --service-cluster-ip-range; default 10.96.0.0/12. */
  serviceCIDR?: string;
  /** --cluster-cidr; default 10.244.0.0/16 (flannel's). */
  clusterCIDR?: string;
  /** --node-cidr-mask-size; default 24. */
  nodeCIDRMaskSize?: number;
  /** --service-node-port-range; default [30000, 32767]. */
  nodePortRange?: [number, number];
  /** Remove terminating pods when their grace period ends (default true; a kubelet may do it instead). */
  terminatePods?: boolean;
}

/**
 * Everything that turns objects into other objects, wired to one store and one virtual clock:
 * the service registry's allocators (ClusterIP, NodePort) and node IPAM as admission steps, the
 * Deployment, ReplicaSet and DaemonSet controllers, the scheduler, the EndpointSlice controller,
 * pod termination and the garbage collector. Randomness (names, uids, ClusterIPs, NodePorts,
 * tie-breaks) comes from the store's seeded generator.
 *
 * Controllers react within the store's event delivery (see ApiStore): after `store.create` of
 * a Deployment returns, its ReplicaSet and pods exist and are bound to nodes. Pods get an IP
 * and Ready only from a kubelet (markPodRunning); then the EndpointSlices follow at once.
 */
export class ControllerManager {
  readonly clusterIPs: ClusterIPAllocator;
  readonly nodePorts: PortAllocator;
  readonly nodeIpam: NodeIpam;
  readonly owners: OwnerIndex;
  readonly scheduler: PodScheduler;
  readonly endpointSlices: EndpointSliceController;
  readonly termination: PodTermination | null;

  constructor(readonly store: ApiStore, readonly timers: TimerHost, options: ControllerManagerOptions = {}) {
    const [npFirst, npLast] = options.nodePortRange ?? [30000, 32767];
    this.clusterIPs = new ClusterIPAllocator(options.serviceCIDR ?? '10.96.0.0/12', store.random);
    this.nodePorts = new PortAllocator(npFirst, npLast, store.random);
    this.nodeIpam = new NodeIpam(options.clusterCIDR ?? '10.244.0.0/16', options.nodeCIDRMaskSize ?? 24);
    for (const svc of store.list('Service')) {
      if (svc.spec.clusterIP !== undefined && svc.spec.clusterIP !== 'None') this.clusterIPs.allocate(`${svc.metadata.namespace}/${svc.metadata.name}`, svc.spec.clusterIP);
    }
    registerServiceAllocation(store, this.clusterIPs, this.nodePorts);
    this.nodeIpam.register(store);
    this.owners = new OwnerIndex(store);
    new DeploymentController(store, this.owners);
    new ReplicaSetController(store, this.owners);
    new DaemonSetController(store, this.owners);
    this.scheduler = new PodScheduler(store);
    this.endpointSlices = new EndpointSliceController(store);
    this.termination = options.terminatePods === false ? null : new PodTermination(store, timers);
    new GarbageCollector(store, this.owners);
  }

  /** `kubectl scale KIND/NAME --replicas=N`: sets spec.replicas of a Deployment or ReplicaSet. */
  scale(kind: 'Deployment' | 'ReplicaSet', namespace: string, name: string, replicas: number): void {
    if (!(Number.isInteger(replicas) && replicas >= 0)) throw new ApiError('Invalid', `The ${kind} "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`);
    const obj = this.store.get(kind, namespace, name);
    if (obj === undefined) throw new ApiError('NotFound', `${kind === 'Deployment' ? 'deployments.apps' : 'replicasets.apps'} "${name}" not found`);
    const next = structuredClone(obj);
    next.spec.replicas = replicas;
    delete next.metadata.resourceVersion;
    this.store.update(next);
  }
}
