/**
 * The proxier-independent view of Services and EndpointSlices that upstream kube-proxy
 * builds before any proxier runs (pkg/proxy: ServicePortName, BaseServicePortInfo,
 * EndpointSliceCache, CategorizeEndpoints): one entry per service port with its addresses,
 * policies and endpoints. Both the iptables and the IPVS proxier read only this.
 *
 * Facts kept from upstream: a service port is keyed by namespace/name, port name and
 * protocol; its endpoints come from every EndpointSlice labelled
 * `kubernetes.io/service-name` whose port has the same name and protocol (the EndpointSlice
 * controller has already resolved a named targetPort into that port's number); an endpoint
 * uses its first address; ready and serving default to true, terminating to false; the
 * endpoints of a service port are sorted by their "ip:port" text; headless (`None`), empty
 * and ExternalName services are not proxied; ClientIP affinity defaults to 10800 s;
 * LoadBalancer ingress in `Proxy` ipMode is not captured. This proxier is IPv4-only, so
 * IPv6 addresses are left to the (absent) IPv6 proxier and reported in `skipped`.
 */

import { formatIPv4, networkOf, parseCidr, parseIPv4 } from '../../packet/address.js';
import type { EndpointSlice, Node, Protocol, Service } from '../api/types.js';
import { SERVICE_NAME_LABEL } from '../api/types.js';

/** What a proxier is given on every sync: the objects as the API server holds them. */
export interface ProxySnapshot {
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly nodes?: readonly Node[];
}

/** Bad input: an object whose field a proxier cannot use, named by kind, object and field. */
export class ProxyInputError extends Error {
  constructor(
    readonly object: string,
    readonly field: string,
    readonly detail: string,
    /** The offending object itself (for its manifest's file and line). */
    readonly source?: object,
  ) {
    super(`${object}: ${field}: ${detail}`);
    this.name = 'ProxyInputError';
  }
}

/** Upstream's ServicePortName: a service port by namespace/name, port name and protocol. */
export interface ServicePortName {
  readonly namespace: string;
  readonly name: string;
  /** The service port's name; "" for an unnamed port. */
  readonly port: string;
  readonly protocol: Protocol;
}

/** `ns/name:port` as upstream's ServicePortName.String() prints it (`ns/name` when the port has no name). */
export function servicePortNameString(n: ServicePortName): string {
  return n.port === '' ? `${n.namespace}/${n.name}` : `${n.namespace}/${n.name}:${n.port}`;
}

/** One endpoint of a service port. */
export interface EndpointInfo {
  /** The address as a number, and as text. */
  readonly ip: number;
  readonly ipText: string;
  readonly port: number;
  /** "ip:port", upstream's endpoint string (hashed into KUBE-SEP names, used in DNAT). */
  readonly endpoint: string;
  /** The endpoint's nodeName is this node. */
  readonly isLocal: boolean;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName: string | undefined;
  readonly zone: string | undefined;
}

/** One service port as both proxiers see it. */
export interface ServicePortInfo {
  readonly name: ServicePortName;
  /** servicePortNameString(name), cached. */
  readonly nameString: string;
  /** `${nameString}/${protocol}`: the port's identity between syncs, cached. */
  readonly portId: string;
  /** "ns/name": the Service this port belongs to (partial syncs work per Service). */
  readonly serviceKey: string;
  readonly protocol: Protocol;
  readonly clusterIP: number;
  readonly clusterIPText: string;
  readonly port: number;
  /** 0 when the port has no node port. */
  readonly nodePort: number;
  /** The Service's targetPort as written (number or container-port name); informational. */
  readonly targetPort: number | string;
  readonly externalIPs: readonly string[];
  /** LoadBalancer ingress IPs in VIP mode. */
  readonly loadBalancerVIPs: readonly string[];
  /** loadBalancerSourceRanges, each printed as its network ("10.0.0.0/8"). */
  readonly loadBalancerSourceRanges: readonly string[];
  readonly sessionAffinityClientIP: boolean;
  /** ClientIP affinity timeout in seconds (10800 default). */
  readonly stickyMaxAgeSeconds: number;
  readonly internalPolicyLocal: boolean;
  /** externalTrafficPolicy Local on a NodePort or LoadBalancer Service. */
  readonly externalPolicyLocal: boolean;
  /** 0 unless externalPolicyLocal. */
  readonly healthCheckNodePort: number;
  /** Every endpoint of this port, sorted by "ip:port" text. */
  readonly endpoints: readonly EndpointInfo[];
}

/** An object or address left out, and why (IPv6 on this IPv4 proxier, headless …). */
export interface Skipped {
  readonly object: string;
  readonly reason: string;
}

/** The view: service ports sorted by name string then protocol, and what was left out. */
export interface ServicePortView {
  readonly ports: readonly ServicePortInfo[];
  readonly skipped: readonly Skipped[];
}

/** The default ClientIP affinity timeout (core/v1 DefaultClientIPServiceAffinitySeconds). */
export const DEFAULT_AFFINITY_SECONDS = 10800;

/**
 * Parsed objects kept between syncs, keyed by object identity (informers hand the proxier the
 * same object until it changes), so a sync after a small change re-reads only what changed.
 * One cache belongs to one node name.
 */
export class ServicePortCache {
  readonly slices = new WeakMap<EndpointSlice, ParsedSlice>();
  readonly services = new WeakMap<Service, ParsedService>();
  /** The last view and what it was built from: a snapshot that differs only in a few slices updates it. */
  last: LastBuild | null = null;
  constructor(readonly nodeName: string) {}
}

interface ParsedSlice {
  /** Per service port key: the slice's endpoints for it, deduplicated and sorted by "ip:port". */
  readonly byPort: Map<string, EndpointInfo[]>;
  readonly skipped: Skipped[];
}
interface ParsedService {
  /** The service's ports without endpoints (endpoints: []). */
  readonly ports: ServicePortInfo[];
  readonly keys: string[];
  readonly skipped: Skipped[];
  /** The view object built for each port last time: reused while its endpoints are the same array. */
  readonly last: (ServicePortInfo | null)[];
}

/** A slice that serves a service port key, with its place in the snapshot (ties of name keep snapshot order). */
interface SliceEntry {
  readonly slice: EndpointSlice;
  readonly name: string;
  readonly pos: number;
  readonly parsed: ParsedSlice;
}
/** Where a service port key's view object lives: its service's parse, its index there, its place in the view. */
interface PortSlot {
  readonly parsed: ParsedService;
  readonly i: number;
  readonly pos: number;
}
interface LastBuild {
  /** Copies of the snapshot's arrays. */
  readonly services: readonly Service[];
  readonly slices: readonly EndpointSlice[];
  readonly view: ServicePortView;
  /** Per service port key: the slices serving it, sorted by name then snapshot place. */
  readonly slicesByKey: Map<string, SliceEntry[]>;
  readonly portsByKey: Map<string, PortSlot[]>;
}

/** At most this many changed slices are applied to the last view; more rebuild it. */
const INCREMENTAL_MAX_SLICES = 256;

/** Builds the view for the proxier of node `nodeName`. Throws ProxyInputError on malformed objects. */
export function buildServicePorts(snapshot: ProxySnapshot, nodeName: string, cache: ServicePortCache = new ServicePortCache(nodeName)): ServicePortView {
  if (cache.nodeName !== nodeName) throw new RangeError(`the cache belongs to node ${cache.nodeName}, not ${nodeName}`);
  const last = cache.last;
  if (last !== null) {
    const view = updateView(snapshot, last, nodeName, cache);
    if (view !== null) return view;
  }
  return rebuildView(snapshot, nodeName, cache);
}

function compareEntries(a: SliceEntry, b: SliceEntry): number {
  return compareText(a.name, b.name) || a.pos - b.pos;
}

/** The endpoints of port key `key` from the slices serving it. */
function endpointsOf(key: string, entries: readonly SliceEntry[] | undefined): readonly EndpointInfo[] {
  if (entries === undefined || entries.length === 0) return EMPTY;
  if (entries.length === 1) return entries[0]!.parsed.byPort.get(key)!;
  return mergeEndpoints(entries.map((e) => e.parsed.byPort.get(key)!));
}

/**
 * The last view updated for a snapshot with the same Services (same objects, same order) and
 * the same number of slices, of which a few were replaced in place and neither the old nor the
 * new ones left anything out; null when the snapshot is not such a one (then it is rebuilt).
 */
function updateView(snapshot: ProxySnapshot, last: LastBuild, nodeName: string, cache: ServicePortCache): ServicePortView | null {
  const svcs = snapshot.services;
  const slices = snapshot.endpointSlices;
  if (svcs.length !== last.services.length || slices.length !== last.slices.length) return null;
  for (let i = 0; i < svcs.length; i++) if (svcs[i] !== last.services[i]) return null;
  const changedAt: number[] = [];
  for (let i = 0; i < slices.length; i++) {
    if (slices[i] !== last.slices[i]) {
      if (changedAt.length === INCREMENTAL_MAX_SLICES) return null;
      changedAt.push(i);
    }
  }
  if (changedAt.length === 0) return last.view;
  // Parse the new slices first: a malformed one throws before anything is changed.
  const olds: ParsedSlice[] = [];
  const news: ParsedSlice[] = [];
  for (const i of changedAt) {
    const o = parsedSlice(last.slices[i]!, nodeName, cache);
    const n = parsedSlice(slices[i]!, nodeName, cache);
    if (o.skipped.length !== 0 || n.skipped.length !== 0) return null;
    olds.push(o);
    news.push(n);
  }
  const affected = new Set<string>();
  for (let k = 0; k < changedAt.length; k++) {
    const pos = changedAt[k]!;
    const oldSlice = last.slices[pos]!;
    for (const key of olds[k]!.byPort.keys()) {
      affected.add(key);
      const list = last.slicesByKey.get(key)!;
      const at = list.findIndex((e) => e.slice === oldSlice && e.pos === pos);
      list.splice(at, 1);
      if (list.length === 0) last.slicesByKey.delete(key);
    }
    const slice = slices[pos]!;
    const entry: SliceEntry = { slice, name: slice.metadata!.name!, pos, parsed: news[k]! };
    for (const key of entry.parsed.byPort.keys()) {
      affected.add(key);
      const list = last.slicesByKey.get(key);
      if (list === undefined) last.slicesByKey.set(key, [entry]);
      else {
        list.push(entry);
        list.sort(compareEntries);
      }
    }
  }
  const ports = last.view.ports.slice();
  for (const key of affected) {
    const slots = last.portsByKey.get(key);
    if (slots === undefined) continue;
    const endpoints = endpointsOf(key, last.slicesByKey.get(key));
    for (const slot of slots) {
      let sp = slot.parsed.last[slot.i]!;
      if (sp.endpoints !== endpoints) slot.parsed.last[slot.i] = sp = { ...slot.parsed.ports[slot.i]!, endpoints };
      ports[slot.pos] = sp;
    }
  }
  const view: ServicePortView = { ports, skipped: last.view.skipped };
  cache.last = { services: last.services, slices: slices.slice(), view, slicesByKey: last.slicesByKey, portsByKey: last.portsByKey };
  return view;
}

/** The view built from scratch (and kept, with its indexes, for the next sync). */
function rebuildView(snapshot: ProxySnapshot, nodeName: string, cache: ServicePortCache): ServicePortView {
  cache.last = null;
  const skipped: Skipped[] = [];
  // Upstream walks a service's slices in name order; an endpoint seen twice keeps the ready copy.
  const entries: SliceEntry[] = [];
  snapshot.endpointSlices.forEach((slice, pos) => {
    entries.push({ slice, name: slice.metadata?.name ?? '', pos, parsed: parsedSlice(slice, nodeName, cache) });
  });
  entries.sort(compareEntries);
  const slicesByKey = new Map<string, SliceEntry[]>();
  for (const e of entries) {
    for (const sk of e.parsed.skipped) skipped.push(sk);
    for (const key of e.parsed.byPort.keys()) {
      const list = slicesByKey.get(key);
      if (list === undefined) slicesByKey.set(key, [e]);
      else list.push(e);
    }
  }
  const ports: ServicePortInfo[] = [];
  const slotOf = new Map<ServicePortInfo, { parsed: ParsedService; i: number; key: string }>();
  for (const svc of snapshot.services) {
    let parsed = cache.services.get(svc);
    if (parsed === undefined) {
      const sk: Skipped[] = [];
      const ps: ServicePortInfo[] = [];
      collectServicePorts(svc, ps, sk);
      parsed = { ports: ps, keys: ps.map((p) => portKey(p.name.namespace, p.name.name, p.name.port, p.protocol)), skipped: sk, last: ps.map(() => null) };
      cache.services.set(svc, parsed);
    }
    for (const sk of parsed.skipped) skipped.push(sk);
    for (let i = 0; i < parsed.ports.length; i++) {
      const key = parsed.keys[i]!;
      const endpoints = endpointsOf(key, slicesByKey.get(key));
      // The same object as last sync when nothing of it changed: proxiers may compare by identity.
      let sp = parsed.last[i]!;
      if (sp === null || sp.endpoints !== endpoints) parsed.last[i] = sp = { ...parsed.ports[i]!, endpoints };
      ports.push(sp);
      slotOf.set(sp, { parsed, i, key });
    }
  }
  ports.sort((a, b) => compareText(a.nameString, b.nameString) || compareText(a.protocol, b.protocol));
  const view: ServicePortView = { ports, skipped };
  // Only a view whose port objects are distinct can be updated in place (a Service listed twice cannot).
  if (slotOf.size === ports.length) {
    const portsByKey = new Map<string, PortSlot[]>();
    ports.forEach((sp, pos) => {
      const s = slotOf.get(sp)!;
      const slot: PortSlot = { parsed: s.parsed, i: s.i, pos };
      const list = portsByKey.get(s.key);
      if (list === undefined) portsByKey.set(s.key, [slot]);
      else list.push(slot);
    });
    cache.last = { services: snapshot.services.slice(), slices: snapshot.endpointSlices.slice(), view, slicesByKey, portsByKey };
  }
  return view;
}

const EMPTY: readonly EndpointInfo[] = Object.freeze([]);

/** Endpoints of one port from several slices: one per "ip:port" (the ready copy wins), sorted. */
function mergeEndpoints(lists: readonly EndpointInfo[][]): EndpointInfo[] {
  const set = new Map<string, EndpointInfo>();
  for (const list of lists) {
    for (const e of list) {
      const prev = set.get(e.endpoint);
      if (prev === undefined || (!prev.ready && e.ready)) set.set(e.endpoint, e);
    }
  }
  return [...set.values()].sort((a, b) => compareText(a.endpoint, b.endpoint));
}

/** Whether traffic to any external destination (NodePort, externalIP, LB IP) is captured. */
export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.loadBalancerVIPs.length !== 0 || sp.externalIPs.length !== 0;
}

/**
 * Whether some traffic to this port uses the cluster-wide endpoint set: internal traffic under
 * Cluster policy, or any external traffic at all — even under external Local policy, where the
 * cluster chain serves the short circuit for traffic from pods and the node itself.
 */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp);
}

/** Whether some traffic to this port uses only this node's endpoints. */
export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (externallyAccessible(sp) && sp.externalPolicyLocal);
}

/** Upstream's CategorizeEndpoints (without topology hints). */
export interface CategorizedEndpoints {
  /** Endpoints for Cluster policy: the ready ones, else the serving-and-terminating ones. */
  readonly cluster: readonly EndpointInfo[];
  /** Endpoints for Local policy: local ready ones, else local serving-and-terminating ones. */
  readonly local: readonly EndpointInfo[];
  /** The union of the two, cluster first: every endpoint this node's rules can reach. */
  readonly allReachable: readonly EndpointInfo[];
  /** Whether the service has usable endpoints anywhere in the cluster. */
  readonly hasAny: boolean;
}

/** Splits a port's endpoints by traffic policy as upstream's CategorizeEndpoints does. */
export function categorizeEndpoints(sp: ServicePortInfo): CategorizedEndpoints {
  const eps = sp.endpoints;
  let cluster: EndpointInfo[] = [];
  let hasAny = false;
  const useCluster = usesClusterEndpoints(sp);
  if (useCluster) {
    cluster = eps.filter((e) => e.ready);
    if (cluster.length === 0) cluster = eps.filter((e) => e.serving && e.terminating);
    if (cluster.length > 0) hasAny = true;
  }
  if (!usesLocalEndpoints(sp)) return { cluster, local: [], allReachable: cluster, hasAny };
  let localReady = false;
  let localServingTerminating = false;
  for (const e of eps) {
    if (e.ready) {
      hasAny = true;
      if (e.isLocal) localReady = true;
    } else if (e.serving && e.terminating) {
      hasAny = true;
      if (e.isLocal) localServingTerminating = true;
    }
  }
  let local: EndpointInfo[] = [];
  if (localReady) local = eps.filter((e) => e.isLocal && e.ready);
  else if (localServingTerminating) local = eps.filter((e) => e.isLocal && e.serving && e.terminating);
  if (!useCluster) return { cluster, local, allReachable: local, hasAny };
  const all = cluster.slice();
  for (const e of local) if (!cluster.includes(e)) all.push(e);
  return { cluster, local, allReachable: all, hasAny };
}

// ---- building --------------------------------------------------------------------------

function portKey(ns: string, svc: string, port: string, proto: Protocol): string {
  return `${ns}/${svc}\u0000${port}\u0000${proto}`;
}

function objectName(kind: string, meta: { name?: string; namespace?: string } | undefined): string {
  return `${kind} ${meta?.namespace ?? 'default'}/${meta?.name ?? '?'}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkProtocol(p: unknown, object: string, field: string, src?: object): Protocol {
  if (p === undefined) return 'TCP';
  if (p === 'TCP' || p === 'UDP' || p === 'SCTP') return p;
  throw new ProxyInputError(object, field, `protocol ${JSON.stringify(p)} is not TCP, UDP or SCTP`, src);
}

function checkPort(n: unknown, object: string, field: string, src?: object): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ProxyInputError(object, field, `${JSON.stringify(n)} is not a port number 1..65535`, src);
  }
  return n;
}

function isIPv6Text(s: string): boolean {
  return s.includes(':');
}

/** Parses an IPv4 address field; returns null (and records a skip) for IPv6; throws for garbage. */
function ipv4Field(text: unknown, object: string, field: string, skipped: Skipped[], src?: object): number | null {
  if (typeof text !== 'string') throw new ProxyInputError(object, field, `${JSON.stringify(text)} is not an IP address`, src);
  const t = text.trim();
  const n = parseIPv4(t);
  if (n !== null) return n;
  if (isIPv6Text(t)) {
    skipped.push({ object, reason: `${field} ${t} is IPv6; this proxier is IPv4-only` });
    return null;
  }
  throw new ProxyInputError(object, field, `${JSON.stringify(text)} is not an IP address`, src);
}

/**
 * Slices parsed for no node in particular (every endpoint not local), shared by every node's
 * cache: most nodes run none of a slice's endpoints and see exactly this. A node that runs
 * one of them parses the slice for itself. `nodes` holds every endpoint's nodeName.
 */
const sharedSlices = new WeakMap<EndpointSlice, { readonly parsed: ParsedSlice; readonly nodes: ReadonlySet<string> }>();

/** The slice parsed as node `nodeName` sees it, from the shared or the node's own cache. */
function parsedSlice(slice: EndpointSlice, nodeName: string, cache: ServicePortCache): ParsedSlice {
  let own = cache.slices.get(slice);
  if (own !== undefined) return own;
  let shared = sharedSlices.get(slice);
  if (shared === undefined) {
    const parsed = parseSlice(slice, null); // throws on a malformed slice before anything is kept
    const nodes = new Set<string>();
    if (Array.isArray(slice.endpoints)) for (const ep of slice.endpoints) if (ep?.nodeName !== undefined) nodes.add(ep.nodeName);
    shared = { parsed, nodes };
    sharedSlices.set(slice, shared);
  }
  if (!shared.nodes.has(nodeName)) return shared.parsed;
  own = parseSlice(slice, nodeName);
  cache.slices.set(slice, own);
  return own;
}

/** Parses a slice for node `nodeName` (null: a node that runs none of its endpoints). */
function parseSlice(slice: EndpointSlice, nodeName: string | null): ParsedSlice {
  const skipped: Skipped[] = [];
  const sets = new Map<string, Map<string, EndpointInfo>>();
  const object = objectName('EndpointSlice', slice.metadata);
  const done = (): ParsedSlice => {
    const byPort = new Map<string, EndpointInfo[]>();
    for (const [key, set] of sets) byPort.set(key, [...set.values()].sort((a, b) => compareText(a.endpoint, b.endpoint)));
    return { byPort, skipped };
  };
  if (slice.metadata === undefined || typeof slice.metadata.name !== 'string') {
    throw new ProxyInputError(object, 'metadata.name', 'missing', slice);
  }
  const svcName = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  if (svcName === undefined || svcName === '') {
    skipped.push({ object, reason: `no ${SERVICE_NAME_LABEL} label` });
    return done();
  }
  if (slice.addressType !== 'IPv4') {
    if (slice.addressType === 'IPv6' || slice.addressType === 'FQDN') {
      skipped.push({ object, reason: `addressType ${slice.addressType} is not used by an IPv4 proxier` });
      return done();
    }
    throw new ProxyInputError(object, 'addressType', `${JSON.stringify(slice.addressType)} is not IPv4, IPv6 or FQDN`, slice);
  }
  const ns = slice.metadata.namespace ?? 'default';
  const ports = slice.ports ?? [];
  const endpoints = slice.endpoints ?? [];
  for (let pi = 0; pi < ports.length; pi++) {
    const p = ports[pi]!;
    if (p.port === undefined || p.port === null) {
      skipped.push({ object, reason: `ports[${pi}] has no port number` });
      continue;
    }
    const portNum = checkPort(p.port, object, `ports[${pi}].port`, slice);
    const proto = checkProtocol(p.protocol, object, `ports[${pi}].protocol`, slice);
    const key = portKey(ns, svcName, p.name ?? '', proto);
    let set = sets.get(key);
    if (set === undefined) sets.set(key, (set = new Map()));
    for (let ei = 0; ei < endpoints.length; ei++) {
      const ep = endpoints[ei]!;
      const field = `endpoints[${ei}].addresses`;
      if (!Array.isArray(ep.addresses)) throw new ProxyInputError(object, field, 'missing', slice);
      if (ep.addresses.length === 0) continue; // upstream: an endpoint without addresses is skipped
      const ip = ipv4Field(ep.addresses[0], object, `${field}[0]`, skipped, slice);
      if (ip === null) continue;
      const c = ep.conditions ?? {};
      const ipText = formatIPv4(ip);
      const info: EndpointInfo = {
        ip,
        ipText,
        port: portNum,
        endpoint: `${ipText}:${portNum}`,
        isLocal: nodeName !== null && ep.nodeName !== undefined && ep.nodeName === nodeName,
        ready: c.ready ?? true,
        serving: c.serving ?? true,
        terminating: c.terminating ?? false,
        nodeName: ep.nodeName,
        zone: ep.zone,
      };
      const prev = set.get(info.endpoint);
      if (prev === undefined || (!prev.ready && info.ready)) set.set(info.endpoint, info);
    }
  }
  return done();
}

function collectServicePorts(svc: Service, out: ServicePortInfo[], skipped: Skipped[]): void {
  const object = objectName('Service', svc.metadata);
  if (svc.metadata === undefined || typeof svc.metadata.name !== 'string' || svc.metadata.name === '') {
    throw new ProxyInputError(object, 'metadata.name', 'missing', svc);
  }
  const spec = svc.spec;
  if (spec === undefined || spec === null) throw new ProxyInputError(object, 'spec', 'missing', svc);
  const ns = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name;
  const type = spec.type ?? 'ClusterIP';
  if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer' && type !== 'ExternalName') {
    throw new ProxyInputError(object, 'spec.type', `${JSON.stringify(type)} is not ClusterIP, NodePort, LoadBalancer or ExternalName`, svc);
  }
  if (type === 'ExternalName') {
    skipped.push({ object, reason: 'ExternalName services are not proxied' });
    return;
  }
  const ipTexts = spec.clusterIPs !== undefined && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP !== undefined ? [spec.clusterIP] : [];
  if (ipTexts.length === 0 || ipTexts[0] === '' || ipTexts[0] === 'None') {
    skipped.push({ object, reason: ipTexts[0] === 'None' ? 'headless (clusterIP None)' : 'no cluster IP' });
    return;
  }
  let clusterIP: number | null = null;
  for (let i = 0; i < ipTexts.length && clusterIP === null; i++) {
    clusterIP = ipv4Field(ipTexts[i], object, spec.clusterIPs !== undefined ? `spec.clusterIPs[${i}]` : 'spec.clusterIP', skipped, svc);
  }
  if (clusterIP === null) return;

  const externalIPs: string[] = [];
  (spec.externalIPs ?? []).forEach((t, i) => {
    const n = ipv4Field(t, object, `spec.externalIPs[${i}]`, skipped, svc);
    if (n !== null) externalIPs.push(formatIPv4(n));
  });
  const lbVIPs: string[] = [];
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    if (ing.ip === undefined || ing.ip === '') return;
    if (ing.ipMode === 'Proxy') return; // upstream: proxy-mode LBs are not captured by the node
    const n = ipv4Field(ing.ip, object, `status.loadBalancer.ingress[${i}].ip`, skipped, svc);
    if (n !== null) lbVIPs.push(formatIPv4(n));
  });
  const sourceRanges: string[] = [];
  (spec.loadBalancerSourceRanges ?? []).forEach((t, i) => {
    const field = `spec.loadBalancerSourceRanges[${i}]`;
    const text = typeof t === 'string' ? t.trim() : '';
    const c = parseCidr(text);
    if (c === null) {
      if (isIPv6Text(text)) {
        skipped.push({ object, reason: `${field} ${text} is IPv6; this proxier is IPv4-only` });
        return;
      }
      throw new ProxyInputError(object, field, `${JSON.stringify(t)} is not a CIDR`, svc);
    }
    sourceRanges.push(`${formatIPv4(networkOf(c.addr, c.prefixLen))}/${c.prefixLen}`);
  });

  const affinity = spec.sessionAffinity ?? 'None';
  if (affinity !== 'None' && affinity !== 'ClientIP') {
    throw new ProxyInputError(object, 'spec.sessionAffinity', `${JSON.stringify(affinity)} is not None or ClientIP`, svc);
  }
  let sticky = DEFAULT_AFFINITY_SECONDS;
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined) {
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 86400) {
      throw new ProxyInputError(object, 'spec.sessionAffinityConfig.clientIP.timeoutSeconds', `${JSON.stringify(timeout)} is not 1..86400`, svc);
    }
    sticky = timeout;
  }
  const itp = spec.internalTrafficPolicy ?? 'Cluster';
  const etp = spec.externalTrafficPolicy ?? 'Cluster';
  if (itp !== 'Cluster' && itp !== 'Local') throw new ProxyInputError(object, 'spec.internalTrafficPolicy', `${JSON.stringify(itp)} is not Cluster or Local`, svc);
  if (etp !== 'Cluster' && etp !== 'Local') throw new ProxyInputError(object, 'spec.externalTrafficPolicy', `${JSON.stringify(etp)} is not Cluster or Local`, svc);
  // ExternalPolicyLocal: Local matters wherever the Service is reachable from outside, which
  // includes a ClusterIP Service with externalIPs.
  const externalPolicyLocal = etp === 'Local' && (type === 'NodePort' || type === 'LoadBalancer' || (spec.externalIPs?.length ?? 0) > 0);
  const hcnp = externalPolicyLocal && spec.healthCheckNodePort !== undefined ? checkPort(spec.healthCheckNodePort, object, 'spec.healthCheckNodePort', svc) : 0;

  const ports = spec.ports ?? [];
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const field = `spec.ports[${i}]`;
    const port = checkPort(p.port, object, `${field}.port`, svc);
    const protocol = checkProtocol(p.protocol, object, `${field}.protocol`, svc);
    const portName = p.name ?? '';
    if (ports.length > 1 && portName === '') throw new ProxyInputError(object, `${field}.name`, 'required when a Service has more than one port', svc);
    const dup = `${portName}/${protocol}`;
    if (seen.has(dup)) throw new ProxyInputError(object, `${field}.name`, `duplicate port ${JSON.stringify(portName)}/${protocol}`, svc);
    seen.add(dup);
    const nodePort = p.nodePort === undefined || p.nodePort === 0 ? 0 : checkPort(p.nodePort, object, `${field}.nodePort`, svc);
    if (nodePort !== 0 && type === 'ClusterIP') throw new ProxyInputError(object, `${field}.nodePort`, 'a ClusterIP Service has no node ports', svc);
    const spn: ServicePortName = { namespace: ns, name, port: portName, protocol };
    out.push({
      name: spn,
      nameString: servicePortNameString(spn),
      portId: `${servicePortNameString(spn)}/${protocol}`,
      serviceKey: `${ns}/${name}`,
      protocol,
      clusterIP,
      clusterIPText: formatIPv4(clusterIP),
      port,
      nodePort,
      targetPort: p.targetPort ?? port,
      externalIPs,
      loadBalancerVIPs: lbVIPs,
      loadBalancerSourceRanges: sourceRanges,
      sessionAffinityClientIP: affinity === 'ClientIP',
      stickyMaxAgeSeconds: sticky,
      internalPolicyLocal: itp === 'Local',
      externalPolicyLocal,
      healthCheckNodePort: hcnp,
      endpoints: EMPTY,
    });
  });
}
