import { formatLabels, formatLabelSelector } from '../api/labels.js';
import { parseVirtualTimestamp, type ApiStore } from '../api/store.js';
import type { EndpointPort, EndpointSlice, KubeKind, KubeObject, Node, Pod, Service } from '../api/types.js';
import { ENDPOINTSLICE_CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '../api/types.js';
import { isPodReady } from '../controllers/pods.js';
import { humanDuration } from './duration.js';
import { tableWrite } from './tabwriter.js';

/** What a kubectl command printed: stdout, and stderr ("No resources found …", errors). */
export interface KubectlOutput {
  stdout: string;
  stderr: string;
}

/** The resources `kubectl get` prints here. */
export type GetResource = 'pods' | 'services' | 'endpoints' | 'endpointslices' | 'nodes' | 'deployments' | 'replicasets' | 'daemonsets' | 'namespaces';

const ALIASES: Record<string, GetResource> = {
  po: 'pods', pod: 'pods', pods: 'pods',
  svc: 'services', service: 'services', services: 'services',
  ep: 'endpoints', endpoints: 'endpoints',
  endpointslice: 'endpointslices', endpointslices: 'endpointslices', 'endpointslices.discovery.k8s.io': 'endpointslices',
  no: 'nodes', node: 'nodes', nodes: 'nodes',
  deploy: 'deployments', deployment: 'deployments', deployments: 'deployments', 'deployments.apps': 'deployments',
  rs: 'replicasets', replicaset: 'replicasets', replicasets: 'replicasets', 'replicasets.apps': 'replicasets',
  ds: 'daemonsets', daemonset: 'daemonsets', daemonsets: 'daemonsets', 'daemonsets.apps': 'daemonsets',
  ns: 'namespaces', namespace: 'namespaces', namespaces: 'namespaces',
};

/** The resource a kubectl resource argument names (`svc`, `po`, `deploy`, `endpointslices`…), or null. */
export function resolveResource(name: string): GetResource | null {
  return ALIASES[name.toLowerCase()] ?? null;
}

const KIND_OF: Record<Exclude<GetResource, 'endpoints'>, KubeKind> = {
  pods: 'Pod', services: 'Service', endpointslices: 'EndpointSlice', nodes: 'Node',
  deployments: 'Deployment', replicasets: 'ReplicaSet', daemonsets: 'DaemonSet', namespaces: 'Namespace',
};

/** Options of kubectlGet: `-n NS` (default "default"), `-A`, `-o wide`, names to get, and the virtual time AGE counts to. */
export interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  wide?: boolean;
  names?: string[];
  /** Virtual time (ns) of the listing. */
  now: number;
}

/** How kubectl prints a creation time's age. */
export function age(obj: KubeObject, now: number): string {
  const t = parseVirtualTimestamp(obj.metadata.creationTimestamp);
  return t === null ? '<unknown>' : humanDuration(now - t);
}

/** An Endpoints object as the endpoints controller would keep it for a service, derived from its EndpointSlices. */
export interface EndpointsView {
  name: string;
  namespace: string;
  creationTimestamp?: string;
  subsets: { addresses: string[]; notReadyAddresses: string[]; ports: EndpointPort[] }[];
}

/**
 * The Endpoints of every service with a selector (the endpoints controller's view): ready
 * endpoints are addresses, not-ready ones that are not terminating are notReadyAddresses,
 * terminating ones are left out (unless publishNotReadyAddresses); subsets group addresses by
 * ports, addresses sorted as RepackSubsets sorts them.
 */
export function endpointsOf(store: ApiStore, svc: Service): EndpointsView {
  const ns = svc.metadata.namespace!;
  const slices = store.list('EndpointSlice', ns).filter((s) =>
    s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name && s.metadata.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_NAME);
  const groups = new Map<string, { addresses: string[]; notReadyAddresses: string[]; ports: EndpointPort[] }>();
  const publish = svc.spec.publishNotReadyAddresses === true;
  for (const s of slices) {
    const ports = [...(s.ports ?? [])].sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0));
    const key = JSON.stringify(ports);
    for (const e of s.endpoints) {
      const c = e.conditions ?? {};
      let g = groups.get(key);
      if (c.ready === true || publish) {
        if (g === undefined) groups.set(key, (g = { addresses: [], notReadyAddresses: [], ports }));
        g.addresses.push(...e.addresses);
      } else if (c.terminating !== true) {
        if (g === undefined) groups.set(key, (g = { addresses: [], notReadyAddresses: [], ports }));
        g.notReadyAddresses.push(...e.addresses);
      }
    }
  }
  const byIp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const subsets = [...groups.keys()].sort().map((k) => {
    const g = groups.get(k)!;
    g.addresses.sort(byIp);
    g.notReadyAddresses.sort(byIp);
    return g;
  });
  const view: EndpointsView = { name: svc.metadata.name, namespace: ns, subsets };
  if (svc.metadata.creationTimestamp !== undefined) view.creationTimestamp = svc.metadata.creationTimestamp;
  return view;
}

/** printers' formatEndpoints: `ip:port` of ready addresses (of the ports named in `portNames`, or all), three at most then ` + N more...`, `<none>` without subsets. */
export function formatEndpoints(ep: EndpointsView, portNames: Set<string> | null): string {
  if (ep.subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let count = 0;
  for (const ss of ep.subsets) {
    if (ss.ports.length === 0) {
      for (const a of ss.addresses) {
        if (list.length < max) list.push(a);
        count++;
      }
      continue;
    }
    for (const p of ss.ports) {
      if (portNames !== null && !portNames.has(p.name ?? '')) continue;
      for (const a of ss.addresses) {
        if (list.length < max) list.push(`${a}:${p.port}`);
        count++;
      }
    }
  }
  const ret = list.join(',');
  return count > max ? `${ret} + ${count - max} more...` : ret;
}

function listWithMore(list: string[], count: number): string {
  const ret = list.join(',');
  if (count > 3) return `${ret} + ${count - 3} more...`;
  return ret === '' ? '<unset>' : ret;
}

function sliceColumns(s: EndpointSlice): [string, string] {
  const ports = (s.ports ?? []).slice(0, 3).map((p) => (p.port !== undefined ? String(p.port) : p.name !== undefined ? p.name : '*'));
  const addrs: string[] = [];
  let count = 0;
  for (const e of s.endpoints) for (const a of e.addresses) {
    if (addrs.length < 3) addrs.push(a);
    count++;
  }
  return [listWithMore(ports, (s.ports ?? []).length), listWithMore(addrs, count)];
}

function externalIP(svc: Service): string {
  const ext = svc.spec.externalIPs ?? [];
  switch (svc.spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length > 0 ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter((s) => s !== '');
      const all = [...lb, ...ext];
      if (all.length > 0) return all.join(',');
      return '<pending>';
    }
    case 'ExternalName':
      return svc.spec.externalName ?? '';
  }
}

/** PORT(S) as makePortString prints them: `80/TCP`, `80:30001/TCP`, comma separated. */
export function portString(svc: Service): string {
  const s = (svc.spec.ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
  return s === '' ? '<none>' : s;
}

function podStatus(pod: Pod): string {
  if (pod.metadata.deletionTimestamp !== undefined) return 'Terminating';
  if (pod.status?.reason) return pod.status.reason;
  const phase = pod.status?.phase ?? 'Pending';
  if (phase === 'Pending' && pod.spec.nodeName) return 'ContainerCreating';
  return phase;
}

function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  // printNode: Ready when the condition is True, NotReady for False and Unknown alike; Unknown only without one.
  const parts = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role') roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function or(v: string | undefined, dflt: string): string {
  return v === undefined || v === '' ? dflt : v;
}

function header(resource: GetResource, wide: boolean): string[] {
  switch (resource) {
    case 'pods': return wide ? ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
    case 'services': return wide ? ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'] : ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'];
    case 'endpoints': return ['NAME', 'ENDPOINTS', 'AGE'];
    case 'endpointslices': return ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'];
    case 'nodes': return wide ? ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'] : ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'];
    case 'deployments': return wide ? ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'] : ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'];
    case 'replicasets': return wide ? ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'] : ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'];
    case 'daemonsets': return wide ? ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'] : ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'];
    case 'namespaces': return ['NAME', 'STATUS', 'AGE'];
  }
}

function containersImages(spec: { containers: { name: string; image?: string }[] }): [string, string] {
  return [spec.containers.map((c) => c.name).join(','), spec.containers.map((c) => c.image ?? '').join(',')];
}

function rowOf(resource: GetResource, obj: KubeObject | EndpointsView, o: GetOptions): string[] {
  const wide = o.wide === true;
  if (resource === 'endpoints') {
    const ep = obj as EndpointsView;
    const t = parseVirtualTimestamp(ep.creationTimestamp);
    return [ep.name, formatEndpoints(ep, null), t === null ? '<unknown>' : humanDuration(o.now - t)];
  }
  const k = obj as KubeObject;
  const a = age(k, o.now);
  switch (k.kind) {
    case 'Pod': {
      const total = k.spec.containers.length;
      const ready = isPodReady(k) && k.status?.phase === 'Running' ? total : 0;
      const cells = [k.metadata.name, `${ready}/${total}`, podStatus(k), '0', a];
      if (wide) cells.push(or(k.status?.podIP, '<none>'), or(k.spec.nodeName, '<none>'), '<none>', '<none>');
      return cells;
    }
    case 'Service': {
      const cells = [k.metadata.name, k.spec.type ?? 'ClusterIP', or(k.spec.clusterIPs?.[0] ?? k.spec.clusterIP, '<none>'), externalIP(k), portString(k), a];
      if (wide) cells.push(formatLabels(k.spec.selector));
      return cells;
    }
    case 'EndpointSlice': {
      const [ports, eps] = sliceColumns(k);
      return [k.metadata.name, k.addressType, ports, eps, a];
    }
    case 'Node': {
      const cells = [k.metadata.name, nodeStatus(k), nodeRoles(k), a, k.status?.nodeInfo?.kubeletVersion ?? ''];
      if (wide) {
        const addr = (t: string): string => or(k.status?.addresses?.find((x) => x.type === t)?.address, '<none>');
        const info = k.status?.nodeInfo ?? {};
        cells.push(addr('InternalIP'), addr('ExternalIP'), or(info.osImage, '<unknown>'), or(info.kernelVersion, '<unknown>'), or(info.containerRuntimeVersion, '<unknown>'));
      }
      return cells;
    }
    case 'Deployment': {
      const s = k.status ?? {};
      const cells = [k.metadata.name, `${s.readyReplicas ?? 0}/${k.spec.replicas ?? 1}`, String(s.updatedReplicas ?? 0), String(s.availableReplicas ?? 0), a];
      if (wide) cells.push(...containersImages(k.spec.template.spec), formatLabelSelector(k.spec.selector));
      return cells;
    }
    case 'ReplicaSet': {
      const s = k.status ?? {};
      const cells = [k.metadata.name, String(k.spec.replicas ?? 1), String(s.replicas ?? 0), String(s.readyReplicas ?? 0), a];
      if (wide) cells.push(...containersImages(k.spec.template.spec), formatLabelSelector(k.spec.selector));
      return cells;
    }
    case 'DaemonSet': {
      const s = k.status ?? { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberReady: 0 };
      const ns = k.spec.template.spec.nodeSelector;
      const cells = [k.metadata.name, String(s.desiredNumberScheduled), String(s.currentNumberScheduled), String(s.numberReady), String(s.updatedNumberScheduled ?? 0), String(s.numberAvailable ?? 0), ns === undefined || Object.keys(ns).length === 0 ? '<none>' : formatLabels(ns), a];
      if (wide) cells.push(...containersImages(k.spec.template.spec), formatLabelSelector(k.spec.selector));
      return cells;
    }
    case 'Namespace':
      return [k.metadata.name, k.metadata.deletionTimestamp === undefined ? 'Active' : 'Terminating', a];
  }
  return [];
}

const CLUSTER_SCOPED: ReadonlySet<GetResource> = new Set(['nodes', 'namespaces']);

/**
 * `kubectl get RESOURCE [NAME…] [-n NS | -A] [-o wide]`, printed as kubectl prints it: a
 * table through its tabwriter (3-space gaps), rows ordered by namespace then name, AGE from the
 * virtual clock, a NAMESPACE column with -A. An empty listing writes kubectl's
 * "No resources found in NS namespace." to stderr; a missing name, its NotFound error.
 */
export function kubectlGet(store: ApiStore, resource: GetResource, o: GetOptions): KubectlOutput {
  const ns = o.allNamespaces ? undefined : o.namespace ?? 'default';
  const clusterScoped = CLUSTER_SCOPED.has(resource);
  let objs: (KubeObject | EndpointsView)[];
  if (resource === 'endpoints') {
    objs = store.list('Service', ns).filter((s) => s.spec.selector !== undefined && s.spec.type !== 'ExternalName').map((s) => endpointsOf(store, s));
  } else {
    objs = store.list(KIND_OF[resource], clusterScoped ? undefined : ns);
  }
  let stderr = '';
  if (o.names !== undefined && o.names.length > 0) {
    const byName = new Map(objs.map((x) => [nameOf(x), x]));
    const picked: (KubeObject | EndpointsView)[] = [];
    for (const n of o.names) {
      const x = byName.get(n);
      if (x === undefined) stderr += `Error from server (NotFound): ${resourceLabel(resource)} "${n}" not found\n`;
      else picked.push(x);
    }
    objs = picked;
  }
  if (objs.length === 0) {
    if (stderr === '') stderr = clusterScoped || ns === undefined ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`;
    return { stdout: '', stderr };
  }
  const withNs = o.allNamespaces === true && !clusterScoped;
  const rows: string[][] = [withNs ? ['NAMESPACE', ...header(resource, o.wide === true)] : header(resource, o.wide === true)];
  for (const x of objs) {
    const cells = rowOf(resource, x, o);
    rows.push(withNs ? [namespaceOf(x), ...cells] : cells);
  }
  return { stdout: tableWrite(rows), stderr };
}

function nameOf(x: KubeObject | EndpointsView): string {
  return 'metadata' in x ? x.metadata.name : x.name;
}

function namespaceOf(x: KubeObject | EndpointsView): string {
  return 'metadata' in x ? x.metadata.namespace ?? '' : x.namespace;
}

function resourceLabel(r: GetResource): string {
  switch (r) {
    case 'endpointslices': return 'endpointslices.discovery.k8s.io';
    case 'deployments': return 'deployments.apps';
    case 'replicasets': return 'replicasets.apps';
    case 'daemonsets': return 'daemonsets.apps';
    default: return r;
  }
}
