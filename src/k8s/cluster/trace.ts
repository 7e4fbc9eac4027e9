/**
 * `dpsim trace FROM TO`: one request across a cluster, hop by hop, with every outcome the
 * random choices on its way allow (kube-proxy's `statistic` rules) and its exact probability.
 *
 * Each outcome is its own run: the cluster is built afresh from the same seed, so everything
 * but the explored branches is the same, and the request is sent once the cluster has
 * settled. The branches are decided by the outcome explorer (src/sim/explore.ts) only while
 * the request is in flight.
 */
import { formatIPv4, parseIPv4 } from '../../packet/address.js';
import { Packet } from '../../packet/packet.js';
import type { NetNamespace } from '../../netns/namespace.js';
import { exploreOutcomes } from '../../sim/explore.js';
import type { BranchOracle } from '../../sim/random.js';
import type { TraceEvent } from '../../sim/trace.js';
import { runProbe, type ProbeProto } from '../../trace/probe.js';
import type { TraceOutcome, TraceReport } from '../../trace/report.js';
import type { Pod, Service } from '../api/types.js';
import { Cluster } from './cluster.js';
import type { ClusterConfig } from './config.js';

export class TraceError extends Error {}

export interface TraceRequest {
  /** A pod (NAME or NAMESPACE/NAME), a workload (one of its pods), a node, or `external`. */
  from: string;
  /** A Service (NAME or NAMESPACE/NAME), an IP, or a pod; each with an optional :PORT (number or port name). */
  to: string;
  proto: ProbeProto;
  allOutcomes: boolean;
  seed: number;
  pcap: boolean;
}

export interface TraceResult {
  report: TraceReport;
  /** The namespace name of the client (where the request starts). */
  client: string;
}

interface Endpoints {
  ns: NetNamespace;
  src: number;
  dst: number;
  dport: number;
  describeTo: string;
}

function podsMatching(cluster: Cluster, text: string): Pod[] {
  const slash = text.indexOf('/');
  const ns = slash < 0 ? undefined : text.slice(0, slash);
  const name = slash < 0 ? text : text.slice(slash + 1);
  const pods = cluster.store.list('Pod', ns).filter((p) => p.status?.phase === 'Running' && p.metadata.deletionTimestamp === undefined);
  const exact = pods.filter((p) => p.metadata.name === name);
  if (exact.length > 0) return exact;
  // A workload: its pods are NAME-<hash>-<suffix> (Deployment) or NAME-<suffix> (DaemonSet, ReplicaSet).
  const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-([a-z0-9]+-)?[a-z0-9]{5}$`);
  return pods.filter((p) => re.test(p.metadata.name));
}

function podNamespace(cluster: Cluster, pod: Pod): NetNamespace {
  const running = cluster.runningPod(pod.metadata.namespace!, pod.metadata.name);
  if (running === undefined) throw new TraceError(`pod ${pod.metadata.namespace}/${pod.metadata.name} is not running on any node`);
  return running.ns;
}

/** The source address the kernel would choose for `dst` (ip_route_output's inet_select_addr). */
export function sourceFor(ns: NetNamespace, dst: number): number {
  const p = new Packet();
  p.ipDst = dst;
  const r = ns.ip.routeOutput(p);
  if (typeof r === 'number') throw new TraceError(`${ns.name} has no route to ${formatIPv4(dst)}`);
  return p.ipSrc;
}

export function resolveFrom(cluster: Cluster, from: string): NetNamespace {
  if (from === 'external') return cluster.machines.external;
  const node = cluster.node(from);
  if (node !== undefined) return node.ns;
  const pods = podsMatching(cluster, from);
  if (pods.length === 0) throw new TraceError(`no running pod, workload or node "${from}" (try a name from \`kubectl get pods -A\`, a node name, or external)`);
  return podNamespace(cluster, pods[0]!);
}

function splitPort(text: string): [string, string | null] {
  const m = /^(.*?)(?::([A-Za-z0-9-]+))?$/.exec(text)!;
  return [m[1]!, m[2] ?? null];
}

function findService(cluster: Cluster, name: string): Service | null {
  const slash = name.indexOf('/');
  const found = cluster.store.list('Service', slash < 0 ? undefined : name.slice(0, slash)).filter((s) => s.metadata.name === (slash < 0 ? name : name.slice(slash + 1)));
  if (found.length > 1) throw new TraceError(`"${name}" names a Service in ${found.length} namespaces (${found.map((s) => s.metadata.namespace).join(', ')}): say NAMESPACE/NAME`);
  return found[0] ?? null;
}

export function resolveTo(cluster: Cluster, fromNs: NetNamespace, to: string, proto: ProbeProto): Omit<Endpoints, 'ns' | 'src'> {
  const [target, portText] = splitPort(to);
  const protoName = proto === 'udp' ? 'UDP' : 'TCP';
  const svc = findService(cluster, target);
  if (svc !== null) {
    const ports = (svc.spec.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === protoName || proto === 'icmp');
    const port = portText === null ? ports[0] : ports.find((p) => String(p.port) === portText || p.name === portText);
    const svcName = `${svc.metadata.namespace}/${svc.metadata.name}`;
    if (port === undefined) throw new TraceError(`Service ${svcName} has no ${protoName} port ${portText ?? ''}`.trimEnd());
    if (svc.spec.clusterIP === undefined || svc.spec.clusterIP === 'None') throw new TraceError(`Service ${svcName} is headless: trace to one of its pods instead`);
    if (fromNs === cluster.machines.external) {
      const lb = svc.status?.loadBalancer?.ingress?.[0]?.ip;
      if (lb !== undefined) return { dst: parseIPv4(lb)!, dport: port.port, describeTo: `Service ${svcName} LoadBalancer ${lb}:${port.port}/${protoName}` };
      const ext = svc.spec.externalIPs?.[0];
      if (ext !== undefined) return { dst: parseIPv4(ext)!, dport: port.port, describeTo: `Service ${svcName} external IP ${ext}:${port.port}/${protoName}` };
      if (port.nodePort === undefined) throw new TraceError(`Service ${svcName} is not reachable from outside (no NodePort, LoadBalancer or external IP)`);
      const node = cluster.machines.nodes.find((n) => n.config.schedulable) ?? cluster.machines.nodes[0]!;
      return { dst: node.config.address, dport: port.nodePort, describeTo: `Service ${svcName} NodePort ${formatIPv4(node.config.address)}:${port.nodePort}/${protoName} on ${node.config.name}` };
    }
    return { dst: parseIPv4(svc.spec.clusterIP)!, dport: port.port, describeTo: `Service ${svcName} ${svc.spec.clusterIP}:${port.port}/${protoName} (targetPort ${port.targetPort ?? port.port})` };
  }
  const ip = parseIPv4(target);
  if (ip !== null) {
    if (portText === null && proto !== 'icmp') throw new TraceError(`give a port: ${target}:PORT`);
    return { dst: ip, dport: portText === null ? 0 : Number(portText), describeTo: `${target}${portText === null ? '' : `:${portText}`}/${protoName}` };
  }
  const pods = podsMatching(cluster, target);
  if (pods.length > 0) {
    const pod = pods[0]!;
    const cports = pod.spec.containers.flatMap((c) => c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === protoName);
    const port = portText === null ? cports[0]?.containerPort : /^\d+$/.test(portText) ? Number(portText) : cports.find((p) => p.name === portText)?.containerPort;
    if (port === undefined && proto !== 'icmp') throw new TraceError(`pod ${pod.metadata.name} declares no ${protoName} port ${portText ?? ''}: give one as ${target}:PORT`.trimEnd());
    return { dst: parseIPv4(pod.status!.podIP!)!, dport: port ?? 0, describeTo: `pod ${pod.metadata.namespace}/${pod.metadata.name} ${pod.status!.podIP}${port === undefined ? '' : `:${port}`}/${protoName}` };
  }
  throw new TraceError(`no Service, pod or IP address "${target}"`);
}

/** Where a run ended: the pod that accepted it, or what the client saw. */
export function summarize(cluster: Cluster, client: NetNamespace, events: readonly TraceEvent[]): string {
  let reached: string | null = null;
  let clientSaw: string | null = null;
  for (const e of events) {
    if (e.kind !== 'app') continue;
    if (e.where !== client.name && reached === null && (e.text.startsWith('accepted a connection') || e.text.startsWith('echoing a datagram'))) {
      const m = /on ([\d.]+:\d+)$|to ([\d.]+:\d+)$/.exec(e.text);
      const ns = cluster.net.namespaces.get(e.where);
      const what = ns === undefined ? e.where : cluster.describeNamespace(ns).replace(/ \([\d.]+\)/, '');
      reached = `${what.replace(/^pod /, '')}, port ${m?.[1] ?? m?.[2] ?? '?'}`;
    }
    if (e.where === client.name && clientSaw === null) clientSaw = e.text;
  }
  if (reached !== null) return `→ ${reached}${clientSaw === null ? '' : ` (client: ${clientSaw})`}`;
  return `✗ ${clientSaw ?? 'no answer'}`;
}

/** Runs the request once on a freshly built cluster. */
function runOnce(build: () => Cluster, req: TraceRequest, oracle: BranchOracle | null): { outcome: TraceOutcome; cluster: Cluster; client: NetNamespace; e: Endpoints } {
  const cluster = build();
  const ns = resolveFrom(cluster, req.from);
  const to = resolveTo(cluster, ns, req.to, req.proto);
  const e: Endpoints = { ns, src: sourceFor(ns, to.dst), ...to };
  const sport = req.proto === 'icmp' ? 0 : cluster.net.random.int(32768, 60999);
  cluster.net.random.oracle = oracle;
  const run = runProbe(cluster.net, { ns, proto: req.proto, src: e.src, sport, dst: e.dst, dport: e.dport, echoId: 0x1001 }, { explain: true, pcap: req.pcap });
  cluster.net.random.oracle = null;
  return { outcome: { probability: null, summary: summarize(cluster, ns, run.events), events: run.events, pcapng: run.pcapng }, cluster, client: ns, e };
}

/** Traces the request on the cluster of `config` (its manifests applied). */
export function traceRequest(config: ClusterConfig, req: TraceRequest): TraceResult {
  return traceOnCluster(() => Cluster.build(config, { seed: req.seed }), req);
}

/** Traces the request on clusters `build` makes: each call must make the same settled cluster afresh. */
export function traceOnCluster(build: () => Cluster, req: TraceRequest): TraceResult {
  let first: ReturnType<typeof runOnce> | null = null;
  let outcomes: TraceOutcome[];
  if (req.allOutcomes) {
    outcomes = exploreOutcomes((oracle) => {
      const r = runOnce(build, req, oracle);
      first ??= r;
      return r.outcome;
    }).map((o) => ({ ...o.result, probability: o.probability }));
  } else {
    first = runOnce(build, req, null);
    outcomes = [first.outcome];
  }
  const { cluster, client, e } = first!;
  const seen = new Set<string>();
  const legend: (readonly [string, string])[] = [];
  for (const o of outcomes) {
    for (const ev of o.events) {
      if (seen.has(ev.where)) continue;
      seen.add(ev.where);
      const ns = cluster.net.namespaces.get(ev.where);
      legend.push([ev.where, ns === undefined ? 'a network namespace' : cluster.describeNamespace(ns)]);
    }
  }
  const config = cluster.config;
  const kp = config.kubeProxy;
  const report: TraceReport = {
    title: `${req.proto} ${formatIPv4(e.src)} (${client.name}) → ${e.describeTo}`,
    context: [
      `cluster ${config.name}: ${config.nodes.length} nodes, flannel VXLAN (VNI 1, UDP 8472), kube-proxy ${kp.mode} mode (${kp.version === '1.12' ? 'v1.12 rules' : 'current upstream rules'}), seed ${req.seed}`,
      req.allOutcomes ? 'every random branch explored (iptables statistic rules); probabilities are exact' : 'one run; --all-outcomes explores every random branch with its exact probability',
      ...(kp.mode === 'ipvs' ? [`IPVS schedules without randomness: the outcome is the real server ${kp.ipvsScheduler} picks next in the scheduler's current state`] : []),
    ],
    legend,
    outcomes,
  };
  return { report, client: client.name };
}
