/**
 * Random clusters for the DNAT property suite: a small description (ClusterSpec) that
 * fast-check generates and shrinks, and what it becomes — a ClusterConfig and the Kubernetes
 * objects to apply (a Deployment and a Service per service, a client pod per node), plus the
 * cluster file and manifests as YAML so a failure can be rerun with `dpsim trace --cluster`.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseIPv4 } from '../../src/packet/address.js';
import { SEC } from '../../src/sim/time.js';
import type { ClusterConfig, KubeProxyFlags } from '../../src/k8s/cluster/config.js';
import { PLACEMENT_ANNOTATION, type Deployment, type KubeObject, type Pod, type Service } from '../../src/k8s/api/types.js';

/** The state a pod of a service is put in after the cluster settled. */
export type PodState = 'ready' | 'unready' | 'terminating';

/** One Service and the Deployment behind it. */
export interface ServiceGen {
  proto: 'TCP' | 'UDP';
  /** The container port the Service targets (by number or by the name "web"). */
  namedTarget: boolean;
  nodePort: boolean;
  externalIP: boolean;
  affinity: boolean;
  internalLocal: boolean;
  externalLocal: boolean;
  /** Its pods: the node (index) each is placed on and the state it is put in. */
  pods: { node: number; state: PodState }[];
}

export interface ClusterSpec {
  nodes: number;
  services: ServiceGen[];
}

export const NAMESPACE = 'default';
export const NODE_SUBNET = '10.0.1.0/24';
export const CLUSTER_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/12';
export const EXTERNAL_ADDRESS = '203.0.113.10';
/** Grace period of the deletes that make pods terminating: longer than any test runs. */
export const TERMINATING_GRACE_SECONDS = 24 * 3600;

export const nodeName = (i: number): string => `node${i}`;
export const nodeAddress = (i: number): string => `10.0.1.${10 + i}`;
export const serviceName = (i: number): string => `svc${i}`;
export const deploymentName = (i: number): string => `app${i}`;
export const clientPodName = (i: number): string => `client${i}`;
/** Service i's port: distinct per service, so no two rules can be confused. */
export const servicePort = (i: number): number => 1000 + i;
/** Service i's container port; every pod also listens on DECOY_OFFSET above it, so a wrong port is seen. */
export const targetPort = (i: number): number => 8000 + 2 * i;
export const DECOY_OFFSET = 1;
/** The externalIP of a service: the address of a node (routable without extra routes). */
export const externalIPNode = (svc: number, nodes: number): number => svc % nodes;

export interface SpecLimits {
  maxNodes: number;
  maxServices: number;
  maxEndpoints: number;
}

/** The issue's sizes (1–5 nodes, 1–50 services, 0–10 endpoints); CI runs draw mostly small ones. */
export const ISSUE_LIMITS: SpecLimits = { maxNodes: 5, maxServices: 50, maxEndpoints: 10 };

export function arbClusterSpec(limits: SpecLimits = ISSUE_LIMITS): fc.Arbitrary<ClusterSpec> {
  return fc.integer({ min: 1, max: limits.maxNodes }).chain((nodes) =>
    fc.record({
      nodes: fc.constant(nodes),
      services: fc.array(arbService(nodes, limits.maxEndpoints), { minLength: 1, maxLength: limits.maxServices, size: 'small' }),
    }),
  );
}

export function arbService(nodes: number, maxEndpoints: number): fc.Arbitrary<ServiceGen> {
  const state = fc.oneof({ weight: 6, arbitrary: fc.constant<PodState>('ready') }, { weight: 1, arbitrary: fc.constant<PodState>('unready') }, { weight: 1, arbitrary: fc.constant<PodState>('terminating') });
  return fc.record({
    proto: fc.constantFrom<('TCP' | 'UDP')[]>('TCP', 'UDP'),
    namedTarget: fc.boolean(),
    nodePort: fc.boolean(),
    externalIP: fc.boolean(),
    affinity: fc.boolean(),
    internalLocal: fc.boolean(),
    externalLocal: fc.boolean(),
    pods: fc.array(fc.record({ node: fc.integer({ min: 0, max: nodes - 1 }), state }), { maxLength: maxEndpoints }),
  });
}

/** kube-proxy flags of the suite's clusters: current upstream rules in `mode`. */
export function proxyFlags(mode: 'iptables' | 'ipvs'): KubeProxyFlags {
  return { mode, version: 'current', minSyncPeriod: 1 * SEC, syncPeriod: 30 * SEC, masqueradeAll: false, masqueradeBit: 14, ipvsScheduler: 'rr', nodePortAddresses: [] };
}

function cidr(text: string): { addr: number; prefixLen: number; text: string } {
  const [a, l] = text.split('/') as [string, string];
  return { addr: parseIPv4(a)!, prefixLen: Number(l), text };
}

/** The cluster configuration of `spec` (what a cluster file would say). */
export function clusterConfig(spec: ClusterSpec, mode: 'iptables' | 'ipvs'): ClusterConfig {
  return {
    file: 'property-cluster.yaml',
    name: 'property',
    underlay: { device: 'eth0', subnet: cidr(NODE_SUBNET), gateway: parseIPv4('10.0.1.1')!, mtu: 1500 },
    external: { address: parseIPv4(EXTERNAL_ADDRESS)!, subnet: cidr('203.0.113.0/24') },
    clusterCIDR: cidr(CLUSTER_CIDR),
    serviceCIDR: cidr(SERVICE_CIDR),
    docker0: false,
    kubeProxy: proxyFlags(mode),
    nodes: Array.from({ length: spec.nodes }, (_, i) => ({ name: nodeName(i), address: parseIPv4(nodeAddress(i))!, podCIDR: null, schedulable: true, labels: {} })),
    manifests: [],
  };
}

/** The objects of `spec`: per service a Deployment and a Service; a client pod on every node. */
export function clusterObjects(spec: ClusterSpec): KubeObject[] {
  const out: KubeObject[] = [];
  spec.services.forEach((s, i) => {
    const labels = { app: deploymentName(i) };
    const dep: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: deploymentName(i),
        namespace: NAMESPACE,
        ...(s.pods.length > 0 ? { annotations: { [PLACEMENT_ANNOTATION]: s.pods.map((p) => nodeName(p.node)).join(' ') } } : {}),
      },
      spec: {
        replicas: s.pods.length,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'echo',
                ports: [
                  { name: 'web', containerPort: targetPort(i), protocol: s.proto },
                  { name: 'decoy', containerPort: targetPort(i) + DECOY_OFFSET, protocol: s.proto },
                ],
              },
            ],
          },
        },
      },
    };
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: serviceName(i), namespace: NAMESPACE },
      spec: {
        type: s.nodePort ? 'NodePort' : 'ClusterIP',
        selector: labels,
        ports: [{ name: 'p', protocol: s.proto, port: servicePort(i), targetPort: s.namedTarget ? 'web' : targetPort(i) }],
        ...(s.externalIP ? { externalIPs: [nodeAddress(externalIPNode(i, spec.nodes))] } : {}),
        ...(s.affinity ? { sessionAffinity: 'ClientIP' as const } : {}),
        ...(s.internalLocal ? { internalTrafficPolicy: 'Local' as const } : {}),
        ...(s.externalLocal && (s.nodePort || s.externalIP) ? { externalTrafficPolicy: 'Local' as const } : {}),
      },
    };
    out.push(dep, svc);
  });
  for (let n = 0; n < spec.nodes; n++) {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: clientPodName(n), namespace: NAMESPACE, labels: { role: 'client' } },
      spec: { nodeName: nodeName(n), containers: [{ name: 'client' }] },
    };
    out.push(pod);
  }
  return out;
}

/**
 * The cluster as files a user can rerun: the cluster file, the manifests, and the steps that
 * manifests cannot say (pods made unready or terminating, the gateway's route to the Service CIDR).
 */
export function specAsYaml(spec: ClusterSpec, mode: 'iptables' | 'ipvs'): string {
  const cfg = clusterConfig(spec, mode);
  const clusterFile = {
    apiVersion: 'dpsim.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: cfg.name },
    spec: {
      underlay: { device: 'eth0', subnet: NODE_SUBNET, gateway: '10.0.1.1', mtu: 1500 },
      external: { address: EXTERNAL_ADDRESS, subnet: '203.0.113.0/24' },
      clusterCIDR: CLUSTER_CIDR,
      serviceCIDR: SERVICE_CIDR,
      kubeProxy: { mode, minSyncPeriod: '1s', syncPeriod: '30s' },
      nodes: cfg.nodes.map((n, i) => ({ name: n.name, address: nodeAddress(i) })),
      manifests: ['manifests.yaml'],
    },
  };
  const steps: string[] = [`ip -n gateway route add ${SERVICE_CIDR} via ${nodeAddress(0)}`];
  spec.services.forEach((s, i) =>
    s.pods.forEach((p, k) => {
      if (p.state === 'unready') steps.push(`pod ${k} of deployment ${deploymentName(i)} (on ${nodeName(p.node)}): readiness false`);
      if (p.state === 'terminating') steps.push(`pod ${k} of deployment ${deploymentName(i)} (on ${nodeName(p.node)}): kubectl delete --grace-period=${TERMINATING_GRACE_SECONDS}`);
    }),
  );
  const manifests = clusterObjects(spec)
    .map((o) => stringify(o))
    .join('---\n');
  return `# cluster.yaml\n${stringify(clusterFile)}\n# manifests.yaml\n${manifests}\n# then:\n${steps.map((s) => `#   ${s}`).join('\n')}\n`;
}
