import { parseIPv4 } from '../../packet/address.js';
import { selectorMapMatches } from '../api/labels.js';
import { sameJson, type ApiStore } from '../api/store.js';
import type { Endpoint, EndpointPort, EndpointSlice, Pod, Service, ServicePort } from '../api/types.js';
import { ENDPOINTSLICE_CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '../api/types.js';
import { isPodReady, isPodTerminal, objectKey, splitKey } from './pods.js';

/** At most this many endpoints go into one slice (the controller's --max-endpoints-per-slice default). */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** The label marking slices of headless services. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/**
 * The port a service port reaches on a pod (podutil.FindPort): a number as is; a name looked up
 * among the pod's container ports with the same protocol. Null when the name is not found.
 */
export function findPodPort(pod: Pod, port: ServicePort): number | null {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const protocol = port.protocol ?? 'TCP';
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return null;
}

/** The ports of a service resolved on one pod; service ports the pod cannot resolve are left out. */
export function endpointPortsOf(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec.ports ?? []) {
    const port = findPodPort(pod, sp);
    if (port === null) continue;
    const ep: EndpointPort = { name: sp.name ?? '', protocol: sp.protocol ?? 'TCP', port };
    if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** Whether a pod belongs in a service's slices (ShouldPodBeInEndpoints with terminating pods included): it has an IP and has not finished. */
export function podHasEndpoint(pod: Pod): boolean {
  return !!pod.status?.podIP && !isPodTerminal(pod);
}

/** The endpoint of a pod: ready = serving and not terminating (or publishNotReadyAddresses), serving = pod Ready, terminating = being deleted. */
export function podEndpoint(svc: Service, pod: Pod): Endpoint {
  const serving = isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const ready = svc.spec.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: [pod.status!.podIP!],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name, uid: pod.metadata.uid! },
  };
  if (pod.spec.nodeName) ep.nodeName = pod.spec.nodeName;
  if (pod.spec.hostname && pod.spec.subdomain === svc.metadata.name) ep.hostname = pod.spec.hostname;
  return ep;
}

/** Sorts endpoints by address (as a number), then pod name; each address parsed once. */
function sortByAddress(endpoints: Endpoint[]): void {
  if (endpoints.length < 2) return;
  const keyed = endpoints.map((ep) => ({ ep, ip: parseIPv4(ep.addresses[0]!) ?? 0, name: ep.targetRef!.name }));
  keyed.sort((a, b) => a.ip - b.ip || (a.name < b.name ? -1 : 1));
  for (let i = 0; i < keyed.length; i++) endpoints[i] = keyed[i]!.ep;
}

/**
 * The EndpointSlice controller. For every Service with a selector (not ExternalName) it keeps
 * slices named `<service>-<5 chars>`, labelled kubernetes.io/service-name and
 * endpointslice.kubernetes.io/managed-by, owned by the Service: one endpoint per selected pod
 * that has an IP and has not finished, grouped by the ports resolved on that pod (pods whose
 * named targetPort resolves differently go into different slices), at most 100 per slice,
 * ordered by address. A service whose selector picks no such pod keeps one empty placeholder
 * slice without ports, as upstream. Services without selector get none. Work is batched: a
 * change marks the services it touches, and each is reconciled once when events have drained.
 */
export class EndpointSliceController {
  private readonly dirty = new Set<string>();
  /** namespace\0key=value → pod names with that label. */
  private readonly podsByLabel = new Map<string, Set<string>>();
  /** namespace → name → the Service as last seen, with its place in the namespace's watch order. */
  private readonly services = new Map<string, Map<string, IndexedService>>();
  /** namespace\0key=value → names of the services whose selector's first pair it is. */
  private readonly servicesByAnchor = new Map<string, Set<string>>();
  /** namespace/service → names of the slices labelled as this controller's for that service. */
  private readonly slicesByService = new Map<string, Set<string>>();
  private serviceSeq = 0;

  constructor(private readonly store: ApiStore) {
    store.watch('Service', (ev) => {
      const svc = ev.object;
      const ns = svc.metadata.namespace!;
      let m = this.services.get(ns);
      if (m === undefined) this.services.set(ns, (m = new Map()));
      const prev = m.get(svc.metadata.name);
      if (prev !== undefined && prev.anchor !== null) this.servicesByAnchor.get(prev.anchor)?.delete(svc.metadata.name);
      if (ev.type === 'DELETED') m.delete(svc.metadata.name);
      else {
        const anchor = selectorAnchor(ns, svc.spec.selector);
        // A Map keeps an updated key in place: the service keeps its sequence number.
        m.set(svc.metadata.name, { svc, seq: prev?.seq ?? ++this.serviceSeq, anchor });
        if (anchor !== null) {
          let set = this.servicesByAnchor.get(anchor);
          if (set === undefined) this.servicesByAnchor.set(anchor, (set = new Set()));
          set.add(svc.metadata.name);
        }
      }
      this.dirty.add(objectKey(svc));
    });
    store.watch('Pod', (ev) => {
      if (ev.old !== null) this.unindex(ev.old);
      if (ev.type !== 'DELETED') this.index(ev.object);
      this.markServicesOf(ev.object);
      if (ev.old !== null && !sameLabels(ev.old.metadata.labels, ev.object.metadata.labels)) this.markServicesOf(ev.old);
    });
    store.watch('EndpointSlice', (ev) => {
      if (ev.old !== null) this.unindexSlice(ev.old);
      if (ev.type === 'DELETED') this.unindexSlice(ev.object);
      else this.indexSlice(ev.object);
      const svc = ev.object.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc !== undefined && ev.object.metadata.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_NAME) {
        this.dirty.add(`${ev.object.metadata.namespace}/${svc}`);
      }
    });
    store.onIdle(() => this.syncDirty());
  }

  private index(pod: Pod): void {
    const labels = pod.metadata.labels;
    if (labels === undefined) return;
    for (const k in labels) {
      const key = `${pod.metadata.namespace}\0${k}=${labels[k]}`;
      let s = this.podsByLabel.get(key);
      if (s === undefined) this.podsByLabel.set(key, (s = new Set()));
      s.add(pod.metadata.name);
    }
  }

  private unindex(pod: Pod): void {
    const labels = pod.metadata.labels;
    if (labels === undefined) return;
    for (const k in labels) this.podsByLabel.get(`${pod.metadata.namespace}\0${k}=${labels[k]}`)?.delete(pod.metadata.name);
  }

  private indexSlice(slice: EndpointSlice): void {
    const key = managedSliceKey(slice);
    if (key === null) return;
    let set = this.slicesByService.get(key);
    if (set === undefined) this.slicesByService.set(key, (set = new Set()));
    set.add(slice.metadata.name);
  }

  private unindexSlice(slice: EndpointSlice): void {
    const key = managedSliceKey(slice);
    if (key !== null) this.slicesByService.get(key)?.delete(slice.metadata.name);
  }

  /**
   * Marks every service whose selector matches the pod's labels, in the order the services
   * were first seen. Only services anchored on one of the pod's own labels can match.
   */
  private markServicesOf(pod: Pod): void {
    const ns = pod.metadata.namespace!;
    const labels = pod.metadata.labels;
    const services = this.services.get(ns);
    if (labels === undefined || services === undefined) return;
    let found: IndexedService[] | null = null;
    for (const k in labels) {
      const names = this.servicesByAnchor.get(`${ns}\0${k}=${labels[k]}`);
      if (names === undefined) continue;
      for (const name of names) {
        const e = services.get(name)!;
        if (selectorMapMatches(e.svc.spec.selector, labels)) (found ??= []).push(e);
      }
    }
    if (found === null) return;
    if (found.length > 1) found.sort((a, b) => a.seq - b.seq);
    for (const e of found) this.dirty.add(objectKey(e.svc));
  }

  /** The pods a service selects, from the label index (smallest candidate set first). */
  private selectedPods(svc: Service): Pod[] {
    const sel = svc.spec.selector ?? {};
    let smallest: Set<string> | undefined;
    for (const [k, v] of Object.entries(sel)) {
      const s = this.podsByLabel.get(`${svc.metadata.namespace}\0${k}=${v}`);
      if (s === undefined) return [];
      if (smallest === undefined || s.size < smallest.size) smallest = s;
    }
    const out: Pod[] = [];
    for (const name of smallest ?? []) {
      const pod = this.store.get('Pod', svc.metadata.namespace, name);
      if (pod !== undefined && selectorMapMatches(sel, pod.metadata.labels)) out.push(pod);
    }
    return out;
  }

  private syncDirty(): void {
    while (this.dirty.size > 0) {
      const key = this.dirty.values().next().value!;
      this.dirty.delete(key);
      const [ns, name] = splitKey(key);
      this.sync(ns!, name);
    }
  }

  /** The slices this controller manages for a service, in name order (from the slice index, checked against the store). */
  private managedSlices(ns: string, service: string): EndpointSlice[] {
    const names = this.slicesByService.get(`${ns}/${service}`);
    if (names === undefined || names.size === 0) return [];
    const out: EndpointSlice[] = [];
    for (const name of names) {
      const s = this.store.get('EndpointSlice', ns, name);
      if (s !== undefined && s.metadata.labels?.[SERVICE_NAME_LABEL] === service && s.metadata.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_NAME) out.push(s);
    }
    if (out.length > 1) out.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    return out;
  }

  private sync(ns: string, name: string): void {
    const svc = this.store.get('Service', ns, name);
    const existing = this.managedSlices(ns, name);
    if (svc === undefined || svc.spec.selector === undefined || svc.spec.type === 'ExternalName') {
      for (const s of existing) this.store.delete('EndpointSlice', ns, s.metadata.name);
      return;
    }
    // Desired: endpoints grouped by resolved ports.
    const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
    for (const pod of this.selectedPods(svc)) {
      if (!podHasEndpoint(pod)) continue;
      const ports = endpointPortsOf(svc, pod);
      const key = JSON.stringify(ports);
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { ports, endpoints: [] }));
      g.endpoints.push(podEndpoint(svc, pod));
    }
    const desired: { ports: EndpointPort[]; endpoints: Endpoint[] }[] = [];
    for (const key of [...groups.keys()].sort()) {
      const g = groups.get(key)!;
      sortByAddress(g.endpoints);
      for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
        desired.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
      }
    }
    if (desired.length === 0) desired.push({ ports: [], endpoints: [] });
    // Reuse existing slices with the same ports, in name order; create the rest; delete leftovers.
    const pool = new Map<string, EndpointSlice[]>();
    for (const s of existing) {
      const key = JSON.stringify(s.ports ?? []);
      if (!pool.has(key)) pool.set(key, []);
      pool.get(key)!.push(s);
    }
    const labels = this.sliceLabels(svc);
    for (const d of desired) {
      const reuse = pool.get(JSON.stringify(d.ports))?.shift();
      if (reuse === undefined) {
        this.store.create<EndpointSlice>({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: '',
            generateName: `${name}-`,
            namespace: ns,
            labels,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid!, controller: true }],
          },
          addressType: 'IPv4',
          endpoints: d.endpoints,
          ports: d.ports,
        });
        continue;
      }
      if (sameJson(reuse.endpoints, d.endpoints) && sameJson(reuse.metadata.labels, labels)) continue;
      // Shallow copies are enough: the store keeps a deep copy of what it is given.
      const next = { ...reuse, metadata: { ...reuse.metadata, labels }, endpoints: d.endpoints };
      delete next.metadata.resourceVersion;
      this.store.update(next);
    }
    for (const left of pool.values()) for (const s of left) this.store.delete('EndpointSlice', ns, s.metadata.name);
  }

  private sliceLabels(svc: Service): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
      if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
    }
    if (svc.spec.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    labels[SERVICE_NAME_LABEL] = svc.metadata.name;
    labels[MANAGED_BY_LABEL] = ENDPOINTSLICE_CONTROLLER_NAME;
    return labels;
  }
}

/** A service in the controller's index. */
interface IndexedService {
  readonly svc: Service;
  /** When the service was first seen (the order services are marked in). */
  readonly seq: number;
  /** The podsByLabel-style key of its selector's first pair; null when the selector matches nothing. */
  readonly anchor: string | null;
}

/** `namespace\0key=value` of a map selector's first pair, or null for an absent or empty selector (which selects no pod). */
function selectorAnchor(ns: string, selector: Record<string, string> | undefined): string | null {
  if (selector === undefined) return null;
  for (const k in selector) return `${ns}\0${k}=${selector[k]}`;
  return null;
}

/** `namespace/service` of a slice this controller manages, or null. */
function managedSliceKey(slice: EndpointSlice): string | null {
  const labels = slice.metadata.labels;
  const svc = labels?.[SERVICE_NAME_LABEL];
  if (svc === undefined || labels![MANAGED_BY_LABEL] !== ENDPOINTSLICE_CONTROLLER_NAME) return null;
  return `${slice.metadata.namespace}/${svc}`;
}

/** Whether two label maps hold the same pairs. */
function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  let n = 0;
  if (a !== undefined) {
    for (const k in a) {
      if (b === undefined || b[k] !== a[k]) return false;
      n++;
    }
  }
  if (b !== undefined) for (const _ in b) if (--n < 0) return false;
  return n === 0;
}
