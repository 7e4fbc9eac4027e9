import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../api/manifest.js';
import { ApiStore } from '../api/store.js';
import type { Deployment, Pod, Service } from '../api/types.js';
import { Random } from '../../sim/random.js';
import { Scheduler } from '../../sim/scheduler.js';
import { SEC } from '../../sim/time.js';
import { computePodTemplateHash, fnv32a, safeEncodeString } from './hash.js';
import { ControllerManager } from './manager.js';
import { isPodReady, markPodRunning, setPodReady } from './pods.js';
import { SimpleKubelet } from './simple-kubelet.js';

function cluster(seed = 1, nodes = ['n1', 'n2', 'n3'], kubelet = true) {
  const clock = new Scheduler<unknown>();
  const store = new ApiStore({ random: new Random(seed), clock });
  const cm = new ControllerManager(store, clock);
  if (kubelet) new SimpleKubelet(store);
  for (const name of nodes) store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { zone: name === 'n1' ? 'a' : 'b' } } });
  return { clock, store, cm };
}

function deployment(name: string, replicas: number, ports = '        ports: [{containerPort: 8080, name: http}]\n'): Deployment {
  return parseManifests(`apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec:\n      containers:\n      - name: c\n${ports}`, 'd.yaml')[0] as Deployment;
}

function service(name: string, app: string, extra = ''): Service {
  return parseManifests(`apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  selector: {app: ${app}}\n  ports: [{port: 80, targetPort: http}]\n${extra}`, 's.yaml')[0] as Service;
}

describe('hash and names', () => {
  it('fnv32a and SafeEncodeString match their definitions', () => {
    expect(fnv32a(new TextEncoder().encode(''))).toBe(0x811c9dc5);
    expect(fnv32a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });
  it('pod-template-hash has the upstream shape and follows the template', () => {
    const d = deployment('web', 1);
    const h = computePodTemplateHash(d.spec.template);
    expect(h).toMatch(/^[456789bcdf]{1,10}$/);
    expect(computePodTemplateHash(structuredClone(d.spec.template))).toBe(h);
    expect(computePodTemplateHash(d.spec.template, 1)).not.toBe(h);
  });
});

describe('Deployment → ReplicaSet → Pods', () => {
  it('creates, scales and deletes, with upstream name shapes', () => {
    const { store, cm, clock } = cluster();
    store.create(deployment('web', 3));
    const [rs] = store.list('ReplicaSet');
    expect(rs!.metadata.name).toMatch(/^web-[456789bcdf]{1,10}$/);
    expect(rs!.spec.selector.matchLabels!['pod-template-hash']).toBe(rs!.metadata.name.slice(4));
    let pods = store.list('Pod');
    expect(pods).toHaveLength(3);
    for (const p of pods) expect(p.metadata.name).toMatch(new RegExp(`^${rs!.metadata.name}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set(['n1', 'n2', 'n3']));
    expect(store.get('Deployment', 'default', 'web')!.status).toMatchObject({ replicas: 3, readyReplicas: 3, updatedReplicas: 3 });

    cm.scale('Deployment', 'default', 'web', 1);
    pods = store.list('Pod');
    expect(pods.filter((p) => p.metadata.deletionTimestamp !== undefined)).toHaveLength(2);
    clock.runUntil(29 * SEC);
    expect(store.list('Pod')).toHaveLength(3);
    clock.runUntil(30 * SEC);
    expect(store.list('Pod')).toHaveLength(1);

    cm.scale('Deployment', 'default', 'web', 4);
    expect(store.list('Pod')).toHaveLength(4);
    store.delete('Deployment', 'default', 'web');
    expect(store.list('ReplicaSet')).toHaveLength(0);
    expect(store.list('Pod').every((p) => p.metadata.deletionTimestamp !== undefined)).toBe(true);
    clock.runUntil(60 * SEC);
    expect(store.list('Pod')).toHaveLength(0);
  });

  it('a template change makes a new ReplicaSet and scales the old one to 0', () => {
    const { store } = cluster();
    const d = store.create(deployment('web', 2));
    const next = structuredClone(d);
    next.spec.template.spec.containers[0]!.image = 'nginx:2';
    delete next.metadata.resourceVersion;
    store.update(next);
    const rss = store.list('ReplicaSet');
    expect(rss).toHaveLength(2);
    expect(rss.map((r) => r.spec.replicas).sort()).toEqual([0, 2]);
  });

  it('schedules reproducibly from the seed, least-loaded first, honouring nodeSelector, taints and cordons', () => {
    const place = (seed: number): string[] => {
      const { store } = cluster(seed);
      store.create(deployment('web', 7));
      return store.list('Pod').map((p) => `${p.metadata.name}@${p.spec.nodeName}`);
    };
    expect(place(5)).toEqual(place(5));
    const counts = new Map<string, number>();
    for (const p of place(5)) counts.set(p.split('@')[1]!, (counts.get(p.split('@')[1]!) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([2, 2, 3]);

    const { store } = cluster(3);
    const n3 = structuredClone(store.get('Node', undefined, 'n3')!);
    n3.spec = { ...n3.spec, unschedulable: true };
    delete n3.metadata.resourceVersion;
    store.update(n3);
    const d = deployment('pinned', 4);
    d.spec.template.spec.nodeSelector = { zone: 'b' };
    store.create(d);
    expect(store.list('Pod').map((p) => p.spec.nodeName)).toEqual(['n2', 'n2', 'n2', 'n2']);
  });

  it('places pods by the dpsim.io/placement annotation and asks for their IPs', () => {
    const { store, cm } = cluster();
    const d = deployment('orders', 2);
    d.metadata.annotations = { 'dpsim.io/placement': 'n3/10.244.2.29 n1' };
    store.create(d);
    const pods = store.list('Pod');
    expect(pods.map((p) => [p.spec.nodeName, p.metadata.annotations?.['dpsim.io/pod-ip'], p.status?.podIP]).sort()).toEqual([
      ['n1', undefined, '10.244.0.2'], ['n3', '10.244.2.29', '10.244.2.29']]);
    cm.scale('Deployment', 'default', 'orders', 3);
    expect(store.list('Pod').filter((p) => p.metadata.annotations?.['dpsim.io/placement-slot'] === undefined)).toHaveLength(1);
  });

  it('runs one DaemonSet pod per node', () => {
    const { store } = cluster();
    store.create(parseManifests('apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: proxy, namespace: kube-system}\nspec:\n  selector: {matchLabels: {k: p}}\n  template:\n    metadata: {labels: {k: p}}\n    spec: {containers: [{name: p}]}\n', 'ds.yaml')[0]!);
    expect(store.list('Pod', 'kube-system').map((p) => p.spec.nodeName).sort()).toEqual(['n1', 'n2', 'n3']);
    store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n4' } });
    expect(store.list('Pod', 'kube-system')).toHaveLength(4);
    expect(store.get('DaemonSet', 'kube-system', 'proxy')!.status!.desiredNumberScheduled).toBe(4);
  });
});

describe('allocators and IPAM', () => {
  it('gives nodes /24s in order, honouring a pinned podCIDR', () => {
    const { store } = cluster(1, ['a', 'b']);
    store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'c' }, spec: { podCIDR: '10.244.7.0/24' } });
    store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'd' } });
    expect(store.list('Node').map((n) => n.spec!.podCIDR)).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.7.0/24', '10.244.2.0/24']);
    expect(() => store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'e' }, spec: { podCIDR: '10.244.7.0/24' } })).toThrow(/already allocated to node c/);
  });

  it('allocates ClusterIPs in the service CIDR, honours requested ones and refuses used or outside ones', () => {
    const { store } = cluster();
    const a = store.create(service('a', 'x'));
    expect(a.spec.clusterIP).toMatch(/^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
    const b = store.create(service('b', 'x', '  clusterIP: 10.96.0.10\n'));
    expect(b.spec.clusterIPs).toEqual(['10.96.0.10']);
    const dup = parseManifests('apiVersion: v1\nkind: Service\nmetadata: {name: c}\nspec:\n  clusterIP: 10.96.0.10\n  ports: [{port: 80}]\n', 'c.yaml')[0]!;
    expect(() => store.create(dup)).toThrow('c.yaml:5: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated');
    const out = parseManifests('apiVersion: v1\nkind: Service\nmetadata: {name: d}\nspec:\n  clusterIP: 192.168.0.1\n  ports: [{port: 80}]\n', 'd.yaml')[0]!;
    expect(() => store.create(out)).toThrow('d.yaml:5: spec.clusterIPs: Invalid value: ["192.168.0.1"]: failed to allocate IP 192.168.0.1: the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12');
    store.delete('Service', 'default', 'b');
    expect(store.create(dup as Service).spec.clusterIP).toBe('10.96.0.10');
    const np = store.create(service('np', 'x', '  type: NodePort\n'));
    expect(np.spec.ports![0]!.nodePort).toBeGreaterThanOrEqual(30000);
    const np2 = store.apply(service('np', 'x', '  type: NodePort\n'));
    expect(np2.spec.ports![0]!.nodePort).toBe(np.spec.ports![0]!.nodePort);
    expect(np2.spec.clusterIP).toBe(np.spec.clusterIP);
  });
});

describe('EndpointSlices', () => {
  it('follow the pod lifecycle: pending, running, not ready, terminating, gone', () => {
    const { store, cm, clock } = cluster(1, ['n1'], false);
    store.create(service('web', 'web'));
    store.create(deployment('web', 1));
    const slice = () => store.list('EndpointSlice')[0]!;
    expect(store.list('EndpointSlice')).toHaveLength(1);
    expect(slice().metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(slice().metadata.labels).toMatchObject({ 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice().endpoints).toEqual([]);
    const pod = store.list('Pod')[0]!;
    markPodRunning(store, 'default', pod.metadata.name, { podIP: '10.244.0.5' });
    expect(slice().endpoints).toEqual([{ addresses: ['10.244.0.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1',
      targetRef: { kind: 'Pod', namespace: 'default', name: pod.metadata.name, uid: pod.metadata.uid } }]);
    expect(slice().ports).toEqual([{ name: '', protocol: 'TCP', port: 8080 }]);
    setPodReady(store, 'default', pod.metadata.name, false);
    expect(slice().endpoints[0]!.conditions).toEqual({ ready: false, serving: false, terminating: false });
    setPodReady(store, 'default', pod.metadata.name, true);
    cm.scale('Deployment', 'default', 'web', 0);
    expect(slice().endpoints[0]!.conditions).toEqual({ ready: false, serving: true, terminating: true });
    clock.runUntil(30 * SEC);
    expect(slice().endpoints).toEqual([]);
    store.delete('Service', 'default', 'web');
    expect(store.list('EndpointSlice')).toHaveLength(0);
  });

  it('resolve named target ports per pod, split pods with different ports, skip selectorless services', () => {
    const { store } = cluster();
    store.create(service('web', 'web'));
    store.create(service('manual', 'web').spec.selector ? { ...service('manual', 'web'), spec: { ...service('manual', 'web').spec, selector: undefined } } as Service : service('manual', 'web'));
    store.create(deployment('web', 2));
    const other = deployment('web2', 1, '        ports: [{containerPort: 9090, name: http}]\n');
    other.spec.template.metadata!.labels = { app: 'web', v: '2' };
    other.spec.selector = { matchLabels: { app: 'web', v: '2' } };
    store.create(other);
    const slices = store.list('EndpointSlice').filter((s) => s.metadata.labels!['kubernetes.io/service-name'] === 'web');
    expect(slices.map((s) => [s.ports![0]!.port, s.endpoints.length]).sort()).toEqual([[8080, 2], [9090, 1]]);
    expect(store.list('EndpointSlice').some((s) => s.metadata.labels!['kubernetes.io/service-name'] === 'manual')).toBe(false);
  });

  it('hold at most 100 endpoints each', () => {
    const { store } = cluster(2, ['n1', 'n2', 'n3', 'n4']);
    store.create(service('big', 'big'));
    store.create(deployment('big', 250));
    const slices = store.list('EndpointSlice');
    expect(slices.map((s) => s.endpoints.length).sort((a, b) => a - b)).toEqual([50, 100, 100]);
  });

  it('always equal the ready/serving/terminating pods of each selector (property)', () => {
    type Op = { kind: 'scale'; app: number; n: number } | { kind: 'ready'; pick: number; ready: boolean } | { kind: 'delete'; pick: number } | { kind: 'wait'; s: number } | { kind: 'remove'; app: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('scale' as const), app: fc.integer({ min: 0, max: 2 }), n: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant('ready' as const), pick: fc.nat(), ready: fc.boolean() }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('wait' as const), s: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('remove' as const), app: fc.integer({ min: 0, max: 2 }) }),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(op, { maxLength: 25 }), (seed, ops) => {
      const { store, cm, clock } = cluster(seed);
      const apps = ['a', 'b', 'c'];
      for (const a of apps) store.create(service(a, a));
      for (const o of ops) {
        const pods = store.list('Pod').filter((p) => p.metadata.deletionTimestamp === undefined);
        if (o.kind === 'scale') {
          if (store.get('Deployment', 'default', apps[o.app]!) === undefined) store.create(deployment(apps[o.app]!, o.n));
          else cm.scale('Deployment', 'default', apps[o.app]!, o.n);
        } else if (o.kind === 'ready' && pods.length > 0) {
          setPodReady(store, 'default', pods[o.pick % pods.length]!.metadata.name, o.ready);
        } else if (o.kind === 'delete' && pods.length > 0) {
          store.delete('Pod', 'default', pods[o.pick % pods.length]!.metadata.name);
        } else if (o.kind === 'wait') {
          clock.runUntil(clock.now + o.s * SEC);
        } else if (o.kind === 'remove') {
          store.delete('Deployment', 'default', apps[o.app]!);
        }
      }
      for (const a of apps) {
        const expected = store.list('Pod').filter((p: Pod) => p.metadata.labels?.app === a && p.status?.podIP)
          .map((p) => `${p.status!.podIP} ${isPodReady(p) && !p.metadata.deletionTimestamp} ${isPodReady(p)} ${!!p.metadata.deletionTimestamp}`).sort();
        const actual = store.list('EndpointSlice').filter((s) => s.metadata.labels!['kubernetes.io/service-name'] === a)
          .flatMap((s) => s.endpoints.map((e) => `${e.addresses[0]} ${e.conditions!.ready} ${e.conditions!.serving} ${e.conditions!.terminating}`)).sort();
        expect(actual).toEqual(expected);
        expect(store.list('EndpointSlice').filter((s) => s.metadata.labels!['kubernetes.io/service-name'] === a).length).toBeGreaterThanOrEqual(1);
      }
    }), { numRuns: 60 });
  });
});
