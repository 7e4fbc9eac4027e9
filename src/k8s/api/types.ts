/**
 * The Kubernetes objects dpsim reads, shaped exactly as the API server's JSON (v1 and
 * discovery.k8s.io/v1), so a manifest parsed from YAML is already one of these. Only the
 * fields the data plane depends on are listed; everything else in a manifest is kept but
 * ignored by the simulator (as the API server stores fields kube-proxy never reads).
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  generateName?: string;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
  /** Set with deletionTimestamp: the grace period the deletion was asked with. */
  deletionGracePeriodSeconds?: number;
  /** The store's version of the object, a decimal counter shared by all objects. */
  resourceVersion?: string;
  /** Bumped by the store on every change of spec. */
  generation?: number;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

// ---- core/v1 Service ---------------------------------------------------------------------

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type TrafficPolicy = 'Cluster' | 'Local';

export interface ServicePort {
  name?: string;
  protocol?: Protocol; // default TCP
  port: number;
  /** A number or the name of a container port. Default: the same as `port`. */
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

export interface SessionAffinityConfig {
  clientIP?: { timeoutSeconds?: number }; // default 10800
}

export interface ServiceSpec {
  type?: ServiceType; // default ClusterIP
  selector?: Record<string, string>;
  ports?: ServicePort[];
  /** "None" for a headless service. */
  clusterIP?: string;
  clusterIPs?: string[];
  externalIPs?: string[];
  loadBalancerSourceRanges?: string[];
  sessionAffinity?: 'None' | 'ClientIP';
  sessionAffinityConfig?: SessionAffinityConfig;
  externalTrafficPolicy?: TrafficPolicy;
  internalTrafficPolicy?: TrafficPolicy;
  healthCheckNodePort?: number;
  externalName?: string;
  ipFamilies?: string[];
  publishNotReadyAddresses?: boolean;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: 'VIP' | 'Proxy';
}

export interface ServiceStatus {
  loadBalancer?: { ingress?: LoadBalancerIngress[] };
}

export interface Service {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: ObjectMeta;
  spec: ServiceSpec;
  status?: ServiceStatus;
}

// ---- discovery.k8s.io/v1 EndpointSlice ---------------------------------------------------

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind: string; name: string; namespace?: string; uid?: string };
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
}

export interface EndpointPort {
  name?: string;
  protocol?: Protocol;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice {
  apiVersion: 'discovery.k8s.io/v1';
  kind: 'EndpointSlice';
  /** labels["kubernetes.io/service-name"] names the Service the slice belongs to. */
  metadata: ObjectMeta;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: Endpoint[];
  ports?: EndpointPort[];
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

// ---- core/v1 Node, Pod, Namespace --------------------------------------------------------

export interface NodeAddress {
  type: 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}

export interface Node {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: ObjectMeta;
  spec?: { podCIDR?: string; podCIDRs?: string[]; unschedulable?: boolean; taints?: Taint[] };
  status?: {
    addresses?: NodeAddress[];
    conditions?: { type: string; status: string }[];
    nodeInfo?: NodeSystemInfo;
  };
}

/** What `kubectl get nodes -o wide` shows of a node's software. */
export interface NodeSystemInfo {
  kubeletVersion?: string;
  osImage?: string;
  kernelVersion?: string;
  containerRuntimeVersion?: string;
}

/** A node taint (a kubeadm control-plane node carries node-role.kubernetes.io/master:NoSchedule). */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** A pod's toleration of taints. */
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
}

export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
}

export interface PodSpec {
  nodeName?: string;
  containers: Container[];
  hostNetwork?: boolean;
  nodeSelector?: Record<string, string>;
  /** Seconds between a delete and the pod's removal; default 30. */
  terminationGracePeriodSeconds?: number;
  hostname?: string;
  subdomain?: string;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  tolerations?: Toleration[];
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface PodStatus {
  phase?: PodPhase;
  podIP?: string;
  podIPs?: { ip: string }[];
  hostIP?: string;
  conditions?: { type: string; status: 'True' | 'False' | 'Unknown' }[];
  startTime?: string;
  reason?: string;
}

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

export interface Namespace {
  apiVersion: 'v1';
  kind: 'Namespace';
  metadata: ObjectMeta;
}

// ---- apps/v1 -----------------------------------------------------------------------------

export interface PodTemplateSpec {
  metadata?: Omit<ObjectMeta, 'name'> & { name?: string };
  spec: PodSpec;
}

/** The replica counts the workload controllers publish (what `kubectl get deploy|rs` prints). */
export interface WorkloadStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  observedGeneration?: number;
}

export interface DaemonSetStatus {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberReady: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
}

export interface Deployment {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: ObjectMeta;
  spec: { replicas?: number; selector: LabelSelector; template: PodTemplateSpec };
  status?: WorkloadStatus & { collisionCount?: number };
}

export interface ReplicaSet {
  apiVersion: 'apps/v1';
  kind: 'ReplicaSet';
  metadata: ObjectMeta;
  spec: { replicas?: number; selector: LabelSelector; template: PodTemplateSpec };
  status?: WorkloadStatus;
}

export interface DaemonSet {
  apiVersion: 'apps/v1';
  kind: 'DaemonSet';
  metadata: ObjectMeta;
  spec: { selector: LabelSelector; template: PodTemplateSpec };
  status?: DaemonSetStatus;
}

export type KubeObject = Service | EndpointSlice | Node | Pod | Namespace | Deployment | ReplicaSet | DaemonSet;

/** The kinds dpsim's API store holds. */
export type KubeKind = KubeObject['kind'];

/** The object type of a kind. */
export type ObjectOfKind<K extends KubeKind> = Extract<KubeObject, { kind: K }>;

/** Kinds that are not namespaced. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<KubeKind> = new Set<KubeKind>(['Namespace', 'Node']);

/** The EndpointSlice label naming the controller that manages the slice. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** The value of MANAGED_BY_LABEL on slices the EndpointSlice controller owns. */
export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** The label the Deployment controller adds to a ReplicaSet's pods and selector. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** dpsim: a Deployment/ReplicaSet annotation pinning its i-th pod to `node[/ip]` (space separated). */
export const PLACEMENT_ANNOTATION = 'dpsim.io/placement';
/** dpsim: a pod annotation asking the CNI (host-local's IP= argument) for this pod IP. */
export const POD_IP_ANNOTATION = 'dpsim.io/pod-ip';
/** dpsim: which placement slot (0-based) of its ReplicaSet a pod holds. */
export const PLACEMENT_SLOT_ANNOTATION = 'dpsim.io/placement-slot';
