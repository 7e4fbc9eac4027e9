import { parseIPv4 } from '../../packet/address.js';
import { selectorMapMatches } from '../api/labels.js';
import type { ApiStore } from '../api/store.js';
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

function ipOrder(a: Endpoint, b: Endpoint): number {
  return (parseIPv4(a.addresses[0]!) ?? 0) - (parseIPv4(b.addresses[0]!) ?? 0) || (a.targetRef!.name < b.targetRef!.name ? -1 : 1);
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
  /** namespace → name → Service. */
  private readonly services = new Map<string, Map<string, Service>>();

  constructor(private readonly store: ApiStore) {
    store.watch('Service', (ev) => {
      const svc = ev.object;
      let m = this.services.get(svc.metadata.namespace!);
      if (m === undefined) this.services.set(svc.metadata.namespace!, (m = new Map()));
      if (ev.type === 'DELETED') m.delete(svc.metadata.name);
      else m.set(svc.metadata.name, svc);
      this.dirty.add(objectKey(svc));
    });
    store.watch('Pod', (ev) => {
      if (ev.old !== null) this.unindex(ev.old);
      if (ev.type !== 'DELETED') this.index(ev.object);
      this.markServicesOf(ev.object);
      if (ev.old !== null && JSON.stringify(ev.old.metadata.labels) !== JSON.stringify(ev.object.metadata.labels)) this.markServicesOf(ev.old);
    });
    store.watch('EndpointSlice', (ev) => {
      const svc = ev.object.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc !== undefined && ev.object.metadata.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_NAME) {
        this.dirty.add(`${ev.object.metadata.namespace}/${svc}`);
      }
    });
    store.onIdle(() => this.syncDirty());
  }

  private index(pod: Pod): void {
    for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) {
      const key = `${pod.metadata.namespace}\0${k}=${v}`;
      let s = this.podsByLabel.get(key);
      if (s === undefined) this.podsByLabel.set(key, (s = new Set()));
      s.add(pod.metadata.name);
    }
  }

  private unindex(pod: Pod): void {
    for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) this.podsByLabel.get(`${pod.metadata.namespace}\0${k}=${v}`)?.delete(pod.metadata.name);
  }

  private markServicesOf(pod: Pod): void {
    for (const svc of this.services.get(pod.metadata.namespace!)?.values() ?? []) {
      if (selectorMapMatches(svc.spec.selector, pod.metadata.labels)) this.dirty.add(objectKey(svc));
    }
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

  private managedSlices(ns: string, service: string): EndpointSlice[] {
    return this.store.list('EndpointSlice', ns).filter((s) =>
      s.metadata.labels?.[SERVICE_NAME_LABEL] === service && s.metadata.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_NAME);
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
      g.endpoints.sort(ipOrder);
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
      if (JSON.stringify(reuse.endpoints) === JSON.stringify(d.endpoints) && JSON.stringify(reuse.metadata.labels) === JSON.stringify(labels)) continue;
      const next = structuredClone(reuse);
      next.endpoints = d.endpoints;
      next.metadata.labels = labels;
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
