import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runScenario } from './run.js';
import { renderCapture } from './result.js';

const example = (name: string) => fileURLToPath(new URL(`../../examples/sock-shop/${name}`, import.meta.url));
const run = (name: string) => renderCapture(runScenario(readFileSync(example(name), 'utf8'), { file: example(name) }));

describe('scenarios on a cluster', () => {
  it('the talk\'s iptables -F demo: the NodePort fails after the flush and comes back at kube-proxy\'s next periodic sync', () => {
    const lines = run('iptables-flush.sh').split('\n').filter((l) => l.startsWith('['));
    const at = (l: string) => Number(/^\[([\d.]+)s\]/.exec(l)![1]);
    const ok = lines.map((l) => l.includes('(client: connected)'));
    expect(ok[0]).toBe(true);
    expect(ok[1]).toBe(false);
    const recovered = ok.indexOf(true, 1);
    expect(recovered).toBeGreaterThan(1);
    // Broken for less than one sync period (30 s) plus the spacing of the requests (7 s).
    expect(at(lines[recovered]!) - at(lines[1]!)).toBeLessThanOrEqual(37);
    expect(at(lines[recovered - 1]!) - at(lines[1]!)).toBeGreaterThanOrEqual(14);
  });

  it('kubectl on the talk\'s cluster: the listings, then a scale to four rewrites the statistic chain', () => {
    const out = run('kubectl.sh');
    expect(out).toContain('orders         ClusterIP   10.111.90.77     <none>        80/TCP');
    expect(out).toContain('Endpoints:         10.244.1.23:80,10.244.2.12:80,10.244.3.29:80\n');
    expect(out).toContain('deployment.apps/orders scaled\n');
    const chainAfter = out.slice(out.indexOf('deployment.apps/orders scaled'));
    expect(chainAfter.match(/--probability [\d.]+/g)).toEqual(['--probability 0.25000000000', '--probability 0.33332999982', '--probability 0.50000000000']);
    expect(out).toMatch(/sock-shop\/front-end → Service sock-shop\/orders .*\(client: connected\)/);
  });

  it('metrics NODE prints the node\'s kube-proxy histograms in the Prometheus format, counting its syncs', () => {
    const file = example('cluster.yaml');
    const out = renderCapture(runScenario(`cluster ${file}\nmetrics worker1\n`, { file: example('m.sh') }));
    const count = Number(/^kubeproxy_sync_proxy_rules_duration_seconds_count\{ip_family="IPv4"\} (\d+)$/m.exec(out)![1]);
    expect(count).toBeGreaterThanOrEqual(2); // the initial sync and the one that wrote sock-shop
    expect(out).toContain('# TYPE kubeproxy_network_programming_duration_seconds histogram\n');
    expect(() => runScenario(`cluster ${file}\nmetrics nosuch\n`, { file: 's.sh' })).toThrow('s.sh:2: metrics: no node "nosuch" (nodes: master, worker1, worker2, worker3)');
  });

  it('a node going down: its endpoint stays until the 40 s grace period, then leaves the Service; it returns with the node', () => {
    const out = run('node-down.sh');
    const eps = out.split('\n').filter((l) => l.startsWith('orders '));
    expect(eps[0]).toMatch(/^orders +10\.244\.1\.23:80,10\.244\.2\.12:80,10\.244\.3\.29:80 /);
    expect(eps[1]).toMatch(/^orders +10\.244\.2\.12:80,10\.244\.3\.29:80 /);
    expect(eps[2]).toMatch(/^orders +10\.244\.1\.23:80,10\.244\.2\.12:80,10\.244\.3\.29:80 /);
    expect(out).toMatch(/^worker1 +NotReady /m);
    // kube-proxy rewrote the chain with the two endpoints left: 1/2, then the rest.
    expect(out.match(/--probability [\d.]+/g)).toEqual(['--probability 0.50000000000']);
  });

  it('refuses kubectl without a cluster, naming the line', () => {
    expect(() => runScenario('ip netns add a\nkubectl get pods\n', { file: 's.sh' })).toThrow('s.sh:2: kubectl needs a cluster: start the scenario with `cluster FILE`');
  });

  it('refuses a cluster line after namespaces exist', () => {
    expect(() => runScenario(`ip netns add a\ncluster ${example('cluster.yaml')}\n`, { file: 's.sh' })).toThrow('s.sh:2: cluster: must come before anything that makes namespaces, and only once');
  });
});
