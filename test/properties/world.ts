/**
 * A random cluster running on the simulator, and what the suite does with it: put pods in
 * the states the spec asks (unready, terminating), send one connection from a client to a
 * Service address, and observe where it went (the echo servers' accepted connections), what
 * the endpoint saw (source and destination), and what came back to the client. Beside that,
 * the reference: what kube-proxy's documented behaviour says must happen, computed from the
 * API objects alone (pods, their readiness, the Service's policies), not from any rule.
 */
import { formatIPv4, parseIPv4 } from '../../src/packet/address.js';
import { Packet } from '../../src/packet/packet.js';
import type { NetNamespace } from '../../src/netns/namespace.js';
import { newRoute, RTPROT_BOOT } from '../../src/netns/route-table.js';
import { Cluster } from '../../src/k8s/cluster/cluster.js';
import { setPodReady } from '../../src/k8s/controllers/pods.js';
import { PLACEMENT_SLOT_ANNOTATION, type Pod, type Service } from '../../src/k8s/api/types.js';
import { runProbe, type ProbeProto } from '../../src/trace/probe.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import { MS } from '../../src/sim/time.js';
import {
  clusterConfig, clusterObjects, clientPodName, deploymentName, externalIPNode, NAMESPACE, nodeAddress, nodeName, serviceName, SERVICE_CIDR,
  TERMINATING_GRACE_SECONDS, type ClusterSpec,
} from './cluster-spec.js';

export type ProxyMode = 'iptables' | 'ipvs';

export interface World {
  spec: ClusterSpec;
  mode: ProxyMode;
  seed: number;
  cluster: Cluster;
  /** Next client port: every connection gets a fresh one. */
  nextPort: number;
}

/** Whether the cluster can be built in `mode` (IPVS mode throws until it is wired into clusters). */
export function modeAvailable(mode: ProxyMode): { ok: true } | { ok: false; why: string } {
  try {
    buildWorld({ nodes: 1, services: [] }, mode, 1);
    return { ok: true };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
}

/** Runs the clock until every kube-proxy wrote what it was told and every live pod runs (terminating pods may stay). */
export function catchUp(cluster: Cluster, limit = 5 * 60 * 1000 * MS): void {
  const sched = cluster.net.scheduler;
  const start = sched.now;
  while (sched.now - start < limit) {
    const podsUp = cluster.store.list('Pod').every((p) => p.metadata.deletionTimestamp !== undefined || p.spec.nodeName === undefined || p.status?.phase === 'Running');
    const synced = [...cluster.proxies.values()].every((p) => !p.pendingSync());
    if (podsUp && synced) return;
    const next = sched.nextTimerAt();
    if (next < 0) return;
    sched.runUntil(next);
  }
  const stuck = [...cluster.proxies].filter(([, p]) => p.pendingSync()).map(([n, p]) => {
    const last = p.loop.history[p.loop.history.length - 1];
    return `${n} (last sync ${last === undefined ? 'none' : last.ok ? 'ok' : 'FAILED: kube-proxy cannot load its rules'})`;
  });
  throw new Error(`the cluster did not catch up within ${limit / 1e9}s of virtual time; kube-proxy still behind on: ${stuck.join(', ') || 'none (pods not running)'}`);
}

/** The pods of service `i`'s Deployment that are not being deleted, by placement slot. */
export function livePodsBySlot(cluster: Cluster, i: number): Map<number, Pod> {
  const out = new Map<number, Pod>();
  for (const p of cluster.store.list('Pod', NAMESPACE)) {
    if (p.metadata.labels?.app !== deploymentName(i) || p.metadata.deletionTimestamp !== undefined) continue;
    const slot = Number(p.metadata.annotations?.[PLACEMENT_SLOT_ANNOTATION] ?? -1);
    out.set(slot, p);
  }
  return out;
}

/** Builds the cluster of `spec`, then puts each pod in its state and lets kube-proxy catch up. */
export function buildWorld(spec: ClusterSpec, mode: ProxyMode, seed: number): World {
  const cluster = Cluster.fromObjects(clusterConfig(spec, mode), clusterObjects(spec), { seed });
  // The gateway routes the Service CIDR to the first node (an off-cluster client reaching ClusterIPs).
  const gw = cluster.machines.gateway;
  const seg = gw.device('vcn0')!;
  const [a, l] = SERVICE_CIDR.split('/') as [string, string];
  gw.fib.main.add(newRoute({ dst: parseIPv4(a)!, prefixLen: Number(l), gateway: parseIPv4(nodeAddress(0))!, oif: seg.ifindex, protocol: RTPROT_BOOT }));
  let deleted = false;
  spec.services.forEach((s, i) => {
    const pods = livePodsBySlot(cluster, i);
    s.pods.forEach((p, slot) => {
      const pod = pods.get(slot);
      if (pod === undefined) throw new Error(`deployment ${deploymentName(i)} has no pod in slot ${slot}`);
      if (p.state === 'unready') setPodReady(cluster.store, NAMESPACE, pod.metadata.name, false);
      if (p.state === 'terminating') {
        cluster.store.delete('Pod', NAMESPACE, pod.metadata.name, { gracePeriodSeconds: TERMINATING_GRACE_SECONDS });
        deleted = true;
      }
    });
  });
  catchUp(cluster);
  if (deleted) {
    // The ReplicaSet replaced each terminating pod; the replacement is kept unready, so the
    // spec's count of ready pods is what runs.
    spec.services.forEach((s, i) => {
      const pods = livePodsBySlot(cluster, i);
      s.pods.forEach((p, slot) => {
        if (p.state === 'terminating' && pods.has(slot)) setPodReady(cluster.store, NAMESPACE, pods.get(slot)!.metadata.name, false);
      });
    });
    catchUp(cluster);
  }
  return { spec, mode, seed, cluster, nextPort: 40000 };
}

// ---- accesses -----------------------------------------------------------------------------

export type ClientKind = 'pod' | 'node' | 'external';
export type AccessKind = 'clusterIP' | 'nodePort' | 'externalIP';

/** One way to reach a Service: who connects, to which of its addresses. */
export interface Access {
  svc: number;
  client: ClientKind;
  /** The client's node (pod and node clients). */
  clientNode: number;
  kind: AccessKind;
  /** The node whose address is dialled (nodePort). */
  target: number;
}

/** A connection choice as fast-check draws it; `accessOf` maps it onto what the spec allows. */
export type AccessPick = [number, number, number, number, number];

export function accessOf(spec: ClusterSpec, pick: AccessPick): Access {
  const [sv, cl, cn, kd, tg] = pick;
  const svc = sv % spec.services.length;
  const s = spec.services[svc]!;
  const client = (['pod', 'node', 'external'] as const)[cl % 3]!;
  const clientNode = cn % spec.nodes;
  const kinds: AccessKind[] = ['clusterIP'];
  if (s.nodePort) kinds.push('nodePort');
  if (s.externalIP) kinds.push('externalIP');
  const kind = kinds[kd % kinds.length]!;
  // A pod dials its own node's NodePort (another node's would leave through flannel's masquerade).
  const target = kind === 'nodePort' && client === 'pod' ? clientNode : tg % spec.nodes;
  return { svc, client, clientNode, kind, target };
}

export function describeAccess(w: World, a: Access): string {
  const who = a.client === 'pod' ? `pod ${clientPodName(a.clientNode)} on ${nodeName(a.clientNode)}` : a.client === 'node' ? `node ${nodeName(a.clientNode)}` : 'the external client';
  const d = destination(w, a);
  return `${who} → ${serviceName(a.svc)} ${a.kind} ${formatIPv4(d.dst)}:${d.dport}/${w.spec.services[a.svc]!.proto}`;
}

export function serviceOf(w: World, i: number): Service {
  const s = w.cluster.store.get('Service', NAMESPACE, serviceName(i));
  if (s === undefined) throw new Error(`Service ${serviceName(i)} is missing`);
  return s;
}

export function destination(w: World, a: Access): { dst: number; dport: number } {
  const svc = serviceOf(w, a.svc);
  const port = svc.spec.ports![0]!;
  if (a.kind === 'clusterIP') return { dst: parseIPv4(svc.spec.clusterIP!)!, dport: port.port };
  if (a.kind === 'externalIP') return { dst: parseIPv4(svc.spec.externalIPs![0]!)!, dport: port.port };
  return { dst: parseIPv4(nodeAddress(a.target))!, dport: port.nodePort! };
}

export function clientNs(w: World, a: Access): NetNamespace {
  if (a.client === 'external') return w.cluster.machines.external;
  if (a.client === 'node') return w.cluster.machines.nodes[a.clientNode]!.ns;
  const p = w.cluster.runningPod(NAMESPACE, clientPodName(a.clientNode));
  if (p === undefined) throw new Error(`client pod ${clientPodName(a.clientNode)} is not running`);
  return p.ns;
}

/** The source address the kernel picks towards `dst` (the route's preferred source). */
export function sourceFor(ns: NetNamespace, dst: number): number {
  const p = new Packet();
  p.ipDst = dst;
  const r = ns.ip.routeOutput(p);
  if (typeof r === 'number') throw new Error(`${ns.name} has no route to ${formatIPv4(dst)}`);
  return p.ipSrc;
}

// ---- the reference ------------------------------------------------------------------------

/** An endpoint: a pod of the Service, where it runs and the address:port the Service sends to. */
export interface EndpointRef {
  pod: string;
  node: number;
  ip: number;
  port: number;
}

export type Expected =
  | { kind: 'reach'; candidates: EndpointRef[]; masquerade: boolean; entry: number; clientSource: number }
  | { kind: 'reject' }
  | { kind: 'drop' };

function podReadyCondition(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The container port a Service port targets on `pod` (a number, or a named container port). */
function resolveTargetPort(svc: Service, pod: Pod): number | null {
  const sp = svc.spec.ports![0]!;
  const t = sp.targetPort ?? sp.port;
  if (typeof t === 'number') return t;
  for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name === t && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP')) return p.containerPort;
  return null;
}

/** Every pod of every Service by its network namespace name, for reading the echo servers' notes. */
export function podsByNamespace(w: World): Map<string, { svc: number; pod: string; node: number }> {
  const out = new Map<string, { svc: number; pod: string; node: number }>();
  w.cluster.kubelets.forEach((k) => {
    const node = w.cluster.machines.nodes.indexOf(k.node);
    for (const [key, rp] of k.pods) {
      const m = /^app(\d+)$/.exec(rp.pod.metadata.labels?.app ?? '');
      out.set(rp.ns.name, { svc: m === null ? -1 : Number(m[1]), pod: key, node });
    }
  });
  return out;
}

/**
 * The Service's endpoints as kube-proxy must use them: its selected pods that are Ready and
 * not terminating; only when there are none, the terminating ones still serving
 * (KEP-1669). Unready pods are never used.
 */
export function usableEndpoints(w: World, i: number): { ready: EndpointRef[]; unusable: EndpointRef[] } {
  const svc = serviceOf(w, i);
  const nodes = w.cluster.machines.nodes.map((n) => n.config.name);
  const ready: EndpointRef[] = [];
  const serving: EndpointRef[] = [];
  const unusable: EndpointRef[] = [];
  for (const p of w.cluster.store.list('Pod', NAMESPACE)) {
    if (p.metadata.labels?.app !== deploymentName(i) || p.status?.podIP === undefined || p.status.phase !== 'Running') continue;
    const port = resolveTargetPort(svc, p);
    if (port === null) continue;
    const ref = { pod: `${NAMESPACE}/${p.metadata.name}`, node: nodes.indexOf(p.spec.nodeName!), ip: parseIPv4(p.status.podIP)!, port };
    const terminating = p.metadata.deletionTimestamp !== undefined;
    if (podReadyCondition(p) && !terminating) ready.push(ref);
    else if (podReadyCondition(p) && terminating) serving.push(ref);
    else unusable.push(ref);
  }
  if (ready.length > 0) return { ready, unusable: [...unusable, ...serving] };
  return { ready: serving, unusable };
}

/** Where the connection's first packet meets kube-proxy's rules, and the source it has there. */
export function entryOf(w: World, a: Access): { entry: number; source: number; inCluster: boolean; local: boolean } {
  const ns = clientNs(w, a);
  const { dst } = destination(w, a);
  const src = sourceFor(ns, dst);
  if (a.client === 'pod') return { entry: a.clientNode, source: src, inCluster: true, local: false };
  if (a.client === 'node') {
    const entry = a.kind === 'nodePort' ? a.target : a.clientNode;
    return { entry, source: src, inCluster: false, local: entry === a.clientNode };
  }
  const entry = a.kind === 'clusterIP' ? 0 : a.kind === 'nodePort' ? a.target : externalIPNode(a.svc, w.spec.nodes);
  return { entry, source: src, inCluster: false, local: false };
}

/**
 * What kube-proxy's documented behaviour says happens to a new connection:
 * - no usable endpoint at all: REJECT (ICMP port unreachable; TCP's connect fails with ECONNREFUSED);
 * - ClusterIP: internalTrafficPolicy Local keeps it to endpoints on the entry node;
 *   externalTrafficPolicy Local does the same for NodePort/externalIP traffic from off-cluster
 *   sources, while pods and the node itself are short-circuited to every endpoint;
 * - Local with no endpoint on the node: DROP;
 * - masquerade: ClusterIP traffic from outside the cluster CIDR; NodePort/externalIP traffic
 *   under Cluster policy, and under Local policy from the node itself; hairpin (an endpoint
 *   reaching itself) always.
 */
export function expectedOutcome(w: World, a: Access): Expected {
  const { ready } = usableEndpoints(w, a.svc);
  if (ready.length === 0) return { kind: 'reject' };
  const e = entryOf(w, a);
  const internalLocal = serviceOf(w, a.svc).spec.internalTrafficPolicy === 'Local';
  const externalLocal = serviceOf(w, a.svc).spec.externalTrafficPolicy === 'Local';
  const local = a.kind === 'clusterIP' ? internalLocal : externalLocal && !e.inCluster && !e.local;
  const candidates = local ? ready.filter((r) => r.node === e.entry) : ready;
  if (candidates.length === 0) return { kind: 'drop' };
  const masquerade = a.kind === 'clusterIP' ? !e.inCluster : !externalLocal || e.local;
  return { kind: 'reach', candidates, masquerade, entry: e.entry, clientSource: e.source };
}

/** The source an endpoint sees after a masquerade on the entry node: the entry node's address towards it. */
export function masqueradeSource(w: World, entry: number, ep: EndpointRef): number {
  return sourceFor(w.cluster.machines.nodes[entry]!.ns, ep.ip);
}

// ---- one connection -----------------------------------------------------------------------

export interface Reached {
  svc: number;
  pod: string;
  node: number;
  /** Where the endpoint saw the connection come from, and the address:port it arrived on. */
  from: [number, number];
  on: [number, number];
}

export interface Observation {
  access: Access;
  src: number;
  sport: number;
  dst: number;
  dport: number;
  reached: Reached[];
  /** The client completed: TCP connected, or the UDP echo came back. */
  answered: boolean;
  /** The client was refused: ECONNREFUSED, or an ICMP port unreachable on its UDP socket. */
  refused: boolean;
  /** Other client notes. */
  clientNotes: string[];
  /** Frames delivered to the client's port from anywhere but the address it dialled. */
  strayReplies: string[];
  events: TraceEvent[];
}

const ACCEPTED = /^accepted a connection from ([\d.]+):(\d+) on ([\d.]+):(\d+)$/;
const ECHOED = /^echoing a datagram from ([\d.]+):(\d+) to ([\d.]+):(\d+)$/;

/** Sends one new connection of `a` (a fresh client port) and observes it. */
export function connect(w: World, a: Access): Observation {
  const ns = clientNs(w, a);
  const { dst, dport } = destination(w, a);
  const src = sourceFor(ns, dst);
  const sport = w.nextPort++;
  if (w.nextPort > 60999) w.nextPort = 40000;
  const proto: ProbeProto = w.spec.services[a.svc]!.proto === 'UDP' ? 'udp' : 'tcp';
  const run = runProbe(w.cluster.net, { ns, proto, src, sport, dst, dport }, { explain: true, pcap: false });
  const pods = podsByNamespace(w);
  const reached: Reached[] = [];
  const clientNotes: string[] = [];
  let answered = false;
  let refused = false;
  const strayReplies: string[] = [];
  const me = `${formatIPv4(src)}:${sport}`;
  const dialled = `${formatIPv4(dst)}:${dport}`;
  for (const e of run.events) {
    if (e.kind === 'app') {
      const m = ACCEPTED.exec(e.text) ?? ECHOED.exec(e.text);
      if (m !== null && e.where !== ns.name) {
        const p = pods.get(e.where);
        reached.push({ svc: p?.svc ?? -1, pod: p?.pod ?? e.where, node: p?.node ?? -1, from: [parseIPv4(m[1]!)!, Number(m[2])], on: [parseIPv4(m[3]!)!, Number(m[4])] });
      } else if (e.where === ns.name) {
        if (e.text === 'connected' || e.text.startsWith('probe got ')) answered = true;
        else if (e.text === 'connect: Connection refused' || e.text === 'probe socket got ICMP type 3 code 3') refused = true;
        else clientNotes.push(e.text);
      }
    } else if (e.kind === 'capture' && e.where === ns.name) {
      // "<ns> <dev> in <proto> SRC > DST …": a frame for the client's socket must come from what it dialled.
      const f = /^\S+ \S+ in (tcp|udp) (\S+) > (\S+)/.exec(e.text);
      // Only where the client is its own namespace: a node's other devices see replies before un-NAT, as tcpdump does.
      if (f !== null && f[3] === me && f[2] !== dialled && a.client !== 'node') strayReplies.push(e.text);
    }
  }
  return { access: a, src, sport, dst, dport, reached, answered, refused, clientNotes, strayReplies, events: run.events };
}
