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
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
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
  spec?: { podCIDR?: string; podCIDRs?: string[]; unschedulable?: boolean };
  status?: { addresses?: NodeAddress[]; conditions?: { type: string; status: string }[] };
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
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface PodStatus {
  phase?: PodPhase;
  podIP?: string;
  podIPs?: { ip: string }[];
  hostIP?: string;
  conditions?: { type: string; status: 'True' | 'False' | 'Unknown' }[];
  startTime?: string;
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

export interface Deployment {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: ObjectMeta;
  spec: { replicas?: number; selector: LabelSelector; template: PodTemplateSpec };
}

export interface ReplicaSet {
  apiVersion: 'apps/v1';
  kind: 'ReplicaSet';
  metadata: ObjectMeta;
  spec: { replicas?: number; selector: LabelSelector; template: PodTemplateSpec };
}

export interface DaemonSet {
  apiVersion: 'apps/v1';
  kind: 'DaemonSet';
  metadata: ObjectMeta;
  spec: { selector: LabelSelector; template: PodTemplateSpec };
}

export type KubeObject = Service | EndpointSlice | Node | Pod | Namespace | Deployment | ReplicaSet | DaemonSet;
