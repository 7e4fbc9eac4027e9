/**
 * Cluster build times (issue #7): the built-in example, and a synthetic 100-node,
 * 1,000-Service, 10,000-pod cluster (kube-proxy in iptables mode on every node, flannel).
 * Run: npx tsx bench/cluster-build.ts [NODES,SERVICES,REPLICAS] (default 100,1000,10).
 * Prints wall time, this process's CPU time (user+sys: steadier than wall time on a shared
 * machine) and RSS.
 */
import { fileURLToPath } from 'node:url';
import { readClusterConfig, type ClusterConfig } from '../src/k8s/cluster/config.js';
import { Cluster } from '../src/k8s/cluster/cluster.js';
import type { KubeObject } from '../src/k8s/api/types.js';
import { parseIPv4 } from '../src/packet/address.js';
import { SEC } from '../src/sim/time.js';

export const EXAMPLE = readClusterConfig(fileURLToPath(new URL('../examples/sock-shop/cluster.yaml', import.meta.url)));

/** N nodes on 10.0.0.0/16, services × replicas pods spread by the scheduler. */
export function syntheticCluster(nodes: number, services: number, replicas: number): { config: ClusterConfig; objects: KubeObject[] } {
  const config: ClusterConfig = {
    ...EXAMPLE,
    name: `synthetic-${nodes}x${services}x${replicas}`,
    underlay: { device: 'eth0', subnet: { addr: parseIPv4('10.0.0.0')!, prefixLen: 16, text: '10.0.0.0/16' }, gateway: parseIPv4('10.0.0.1')!, mtu: 1500 },
    docker0: false,
    kubeProxy: { ...EXAMPLE.kubeProxy, version: 'current', minSyncPeriod: 1 * SEC },
    nodes: Array.from({ length: nodes }, (_, i) => ({ name: `node-${i + 1}`, address: (parseIPv4('10.0.1.0')! + i + 1) >>> 0, podCIDR: null, schedulable: true, labels: {} })),
    manifests: [],
  };
  const objects: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }];
  for (let s = 0; s < services; s++) {
    const app = `app-${s}`;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace: 'bench' },
      spec: { replicas, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] } } },
    });
    objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace: 'bench' }, spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } });
  }
  return { config, objects };
}

function measure(label: string, build: () => Cluster): void {
  const before = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const c = build();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rss = process.memoryUsage().rss;
  console.log(
    `${label}: built and settled in ${ms.toFixed(0)} ms (cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; virtual ${(c.net.now / 1e9).toFixed(1)} s), ` +
      `${c.store.count('Pod')} pods, ${c.net.namespaces.size} namespaces, rss ${(rss / 2 ** 20).toFixed(0)} MiB (+${((rss - before) / 2 ** 20).toFixed(0)})`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (let i = 0; i < 3; i++) measure('example (talk cluster, sock-shop)', () => Cluster.build(EXAMPLE, { seed: 1 }));
  const [n, s, r] = (process.argv[2] ?? '100,1000,10').split(',').map(Number) as [number, number, number];
  const big = syntheticCluster(n, s, r);
  measure(`synthetic ${n} nodes × ${s} services × ${r} replicas`, () => Cluster.fromObjects(big.config, big.objects, { seed: 1 }));
}
