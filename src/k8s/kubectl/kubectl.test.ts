import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../api/manifest.js';
import { ApiStore } from '../api/store.js';
import { ControllerManager } from '../controllers/manager.js';
import { SimpleKubelet } from '../controllers/simple-kubelet.js';
import { Random } from '../../sim/random.js';
import { Scheduler } from '../../sim/scheduler.js';
import { SEC } from '../../sim/time.js';
import { humanDuration } from './duration.js';
import { kubectlDescribeService } from './describe.js';
import { kubectlGet, resolveResource } from './get.js';
import { tabwrite } from './tabwriter.js';

const HOUR = 3600 * SEC;
const SOCK_SHOP = new URL('../../../examples/sock-shop/sock-shop.yaml', import.meta.url);

/** The talk's cluster: master and three workers, then the sock-shop manifests. */
function talkCluster(seed = 7) {
  const clock = new Scheduler<unknown>();
  const store = new ApiStore({ random: new Random(seed), clock });
  const cm = new ControllerManager(store, clock);
  new SimpleKubelet(store);
  ['master', 'worker1', 'worker2', 'worker3'].forEach((name, i) => {
    store.create({
      apiVersion: 'v1', kind: 'Node',
      metadata: { name, labels: name === 'master' ? { 'node-role.kubernetes.io/master': '' } : {} },
      ...(name === 'master' ? { spec: { taints: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' as const }] } } : {}),
      status: {
        addresses: [{ type: 'InternalIP', address: `10.0.1.${i + 2}` }],
        conditions: [{ type: 'Ready', status: 'True' }],
        nodeInfo: { kubeletVersion: 'v1.12.1' },
      },
    });
  });
  for (const obj of parseManifests(readFileSync(SOCK_SHOP, 'utf8'), 'sock-shop.yaml')) store.apply(obj);
  return { clock, store, cm };
}

describe('kubectl get svc / describe svc: the talk', () => {
  it('prints `kubectl get svc -n sock-shop` as the talk shows it (42h later)', () => {
    const { store } = talkCluster();
    const out = kubectlGet(store, 'services', { namespace: 'sock-shop', now: 42 * HOUR });
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(
      'NAME           TYPE        CLUSTER-IP       EXTERNAL-IP   PORT(S)        AGE\n' +
      'carts          ClusterIP   10.111.9.53      <none>        80/TCP         42h\n' +
      'carts-db       ClusterIP   10.111.15.248    <none>        27017/TCP      42h\n' +
      'catalogue      ClusterIP   10.109.198.55    <none>        80/TCP         42h\n' +
      'catalogue-db   ClusterIP   10.100.164.170   <none>        3306/TCP       42h\n' +
      'front-end      NodePort    10.99.4.188      <none>        80:30001/TCP   42h\n' +
      'orders         ClusterIP   10.111.90.77     <none>        80/TCP         42h\n' +
      'orders-db      ClusterIP   10.101.231.237   <none>        27017/TCP      42h\n' +
      'payment        ClusterIP   10.105.157.220   <none>        80/TCP         42h\n' +
      'queue-master   ClusterIP   10.98.196.234    <none>        80/TCP         42h\n' +
      'rabbitmq       ClusterIP   10.105.237.245   <none>        5672/TCP       42h\n' +
      'shipping       ClusterIP   10.103.187.205   <none>        80/TCP         42h\n' +
      'user           ClusterIP   10.98.138.49     <none>        80/TCP         42h\n' +
      'user-db        ClusterIP   10.97.70.63      <none>        27017/TCP      42h\n',
    );
  });

  it('prints `kubectl describe svc orders -n sock-shop` with the three pinned endpoints', () => {
    const { store } = talkCluster();
    expect(kubectlDescribeService(store, 'sock-shop', 'orders').stdout).toBe(
      'Name:              orders\n' +
      'Namespace:         sock-shop\n' +
      'Labels:            name=orders\n' +
      'Annotations:       <none>\n' +
      'Selector:          name=orders\n' +
      'Type:              ClusterIP\n' +
      'IP:                10.111.90.77\n' +
      'Port:              <unset>  80/TCP\n' +
      'TargetPort:        80/TCP\n' +
      'Endpoints:         10.244.1.23:80,10.244.2.12:80,10.244.3.29:80\n' +
      'Session Affinity:  None\n' +
      'Events:            <none>\n',
    );
  });

  it('describes a NodePort service with its NodePort and traffic policy lines', () => {
    const { store } = talkCluster();
    const text = kubectlDescribeService(store, 'sock-shop', 'front-end').stdout;
    expect(text).toContain('Type:                     NodePort\n');
    expect(text).toContain('Port:                     <unset>  80/TCP\n');
    expect(text).toContain('TargetPort:               8079/TCP\n');
    expect(text).toContain('NodePort:                 <unset>  30001/TCP\n');
    expect(text).toContain('External Traffic Policy:  Cluster\n');
    expect(kubectlDescribeService(store, 'sock-shop', 'nope').stderr).toBe('Error from server (NotFound): services "nope" not found\n');
  });

  it('prints endpoints, endpointslices, pods -o wide, deploy, rs and nodes', () => {
    const { store } = talkCluster();
    const now = 78 * 60 * SEC;
    const ep = kubectlGet(store, 'endpoints', { namespace: 'sock-shop', now, names: ['orders', 'front-end'] }).stdout;
    const [head, ordersEp, front] = ep.split('\n');
    expect(head).toBe('NAME        ENDPOINTS                                      AGE');
    expect(ordersEp).toBe('orders      10.244.1.23:80,10.244.2.12:80,10.244.3.29:80   78m');
    expect(front).toMatch(/^front-end   10\.244\.[123]\.\d+:8079 +78m$/);
    const slices = kubectlGet(store, 'endpointslices', { namespace: 'sock-shop', now }).stdout.split('\n');
    expect(slices[0]).toBe('NAME                 ADDRESSTYPE   PORTS   ENDPOINTS                             AGE');
    expect(slices.find((l) => l.startsWith('orders-') && !l.startsWith('orders-db'))).toMatch(/^orders-[bcdfghjklmnpqrstvwxz2456789]{5} +IPv4 +80 +10\.244\.1\.23,10\.244\.2\.12,10\.244\.3\.29 +78m$/);
    const pods = kubectlGet(store, 'pods', { namespace: 'sock-shop', now, wide: true }).stdout.split('\n');
    expect(pods[0]).toMatch(/^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$/);
    const orders = pods.filter((l) => /^orders-[4-9bcdf]{1,10}-/.test(l) && !l.startsWith('orders-db'));
    expect(orders).toHaveLength(3);
    for (const l of orders) expect(l).toMatch(/^orders-[456789bcdf]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5} +1\/1 +Running +0 +78m +10\.244\.[123]\.\d+ +worker[123] +<none> +<none>$/);
    const deploy = kubectlGet(store, 'deployments', { namespace: 'sock-shop', now }).stdout.split('\n');
    expect(deploy[0]).toBe('NAME           READY   UP-TO-DATE   AVAILABLE   AGE');
    expect(deploy).toContain('orders         3/3     3            3           78m');
    const rs = kubectlGet(store, 'replicasets', { namespace: 'sock-shop', now }).stdout.split('\n');
    expect(rs[0]).toMatch(/^NAME +DESIRED +CURRENT +READY +AGE$/);
    expect(rs.find((l) => l.startsWith('orders-') && !l.startsWith('orders-db'))).toMatch(/^orders-[456789bcdf]{1,10} +3 +3 +3 +78m$/);
    expect(kubectlGet(store, 'nodes', { now }).stdout).toBe(
      'NAME      STATUS   ROLES    AGE   VERSION\n' +
      'master    Ready    master   78m   v1.12.1\n' +
      'worker1   Ready    <none>   78m   v1.12.1\n' +
      'worker2   Ready    <none>   78m   v1.12.1\n' +
      'worker3   Ready    <none>   78m   v1.12.1\n',
    );
    expect(kubectlGet(store, 'nodes', { now, wide: true }).stdout.split('\n')[1]).toBe(
      'master    Ready    master   78m   v1.12.1   10.0.1.2      <none>        <unknown>   <unknown>        <unknown>');
  });

  it('adds NAMESPACE with -A, says "No resources found", and reports a missing name', () => {
    const { store } = talkCluster();
    const all = kubectlGet(store, 'svc' === 'svc' ? 'services' : 'pods', { allNamespaces: true, now: 25 * HOUR }).stdout.split('\n');
    expect(all[0]).toBe('NAMESPACE   NAME           TYPE        CLUSTER-IP       EXTERNAL-IP   PORT(S)        AGE');
    expect(all[1]).toBe('sock-shop   carts          ClusterIP   10.111.9.53      <none>        80/TCP         25h');
    expect(kubectlGet(store, 'pods', { namespace: 'default', now: 0 })).toEqual({ stdout: '', stderr: 'No resources found in default namespace.\n' });
    expect(kubectlGet(store, 'services', { namespace: 'sock-shop', names: ['nope'], now: 0 }).stderr).toBe('Error from server (NotFound): services "nope" not found\n');
    expect(resolveResource('svc')).toBe('services');
    expect(resolveResource('po')).toBe('pods');
    expect(resolveResource('deploy')).toBe('deployments');
    expect(resolveResource('widgets')).toBeNull();
  });

  it('prints <pending> for a LoadBalancer without ingress and the first three endpoints then "+ N more..."', () => {
    const { store, cm } = talkCluster();
    store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'sock-shop' },
      spec: { type: 'LoadBalancer', selector: { name: 'orders' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 31000 }], externalTrafficPolicy: 'Cluster' } });
    const line = kubectlGet(store, 'services', { namespace: 'sock-shop', names: ['lb'], now: 0 }).stdout.split('\n')[1]!;
    expect(line).toMatch(/^lb +LoadBalancer +10\.\d+\.\d+\.\d+ +<pending> +80:31000\/TCP +0s$/);
    cm.scale('Deployment', 'sock-shop', 'orders', 5);
    const ep = kubectlGet(store, 'endpoints', { namespace: 'sock-shop', names: ['orders'], now: 0 }).stdout.split('\n')[1]!;
    expect(ep).toMatch(/^orders +(10\.244\.\d+\.\d+:80,){2}10\.244\.\d+\.\d+:80 \+ 2 more\.\.\. +0s$/);
  });
});

describe('tabwriter', () => {
  it('pads each column block to its widest cell plus padding, and leaves the last cell alone', () => {
    expect(tabwrite('a\tbb\tc\nccc\td\te\n', 0, 2)).toBe('a    bb  c\nccc  d   e\n');
    // a line without tabs ends the column block
    expect(tabwrite('x\t1\nlong-line\nxxxxx\t2\n', 0, 2)).toBe('x  1\nlong-line\nxxxxx  2\n');
    // minimum width
    expect(tabwrite('a\tb\n', 6, 3)).toBe('a     b\n');
  });
});

describe('humanDuration', () => {
  it('prints ages as kubectl does', () => {
    const cases: [number, string][] = [[0, '0s'], [119, '119s'], [120, '2m'], [200, '3m20s'], [599, '9m59s'], [600, '10m'], [78 * 60, '78m'],
      [141 * 60, '141m'], [3 * 3600, '3h'], [5 * 3600 + 30 * 60, '5h30m'], [25 * 3600, '25h'], [42 * 3600, '42h'], [48 * 3600, '2d'],
      [3 * 86400 + 4 * 3600, '3d4h'], [10 * 86400, '10d'], [800 * 86400, '2y70d']];
    for (const [s, text] of cases) expect(humanDuration(s * SEC)).toBe(text);
  });
});
