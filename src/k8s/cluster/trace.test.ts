import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readClusterConfig, type ClusterConfig } from './config.js';
import { Cluster } from './cluster.js';
import { traceOnCluster, traceRequest, type TraceRequest } from './trace.js';
import { parseManifests } from '../api/manifest.js';
import { addFractions, fractionText, type Fraction } from '../../sim/explore.js';
import type { TraceEvent } from '../../sim/trace.js';

const example = readClusterConfig(fileURLToPath(new URL('../../../examples/sock-shop/cluster.yaml', import.meta.url)));

const req = (from: string, to: string, more: Partial<TraceRequest> = {}): TraceRequest => ({ from, to, proto: 'tcp', allOutcomes: false, seed: 1, pcap: false, ...more });

/** A small cluster: the example's machines with these manifests instead of sock-shop. */
function small(yaml: string, patch: Partial<ClusterConfig> = {}): () => Cluster {
  // Today's kube-proxy rules (the example pins v1.12's, which predate Local policies).
  const config: ClusterConfig = { ...example, kubeProxy: { ...example.kubeProxy, version: 'current' }, ...patch, manifests: [] };
  const objects = parseManifests(yaml, 'test.yaml');
  return () => Cluster.fromObjects(config, objects, { seed: 1 });
}

const captures = (events: readonly TraceEvent[]): string[] => events.filter((e) => e.kind === 'capture').map((e) => e.text);
const notes = (events: readonly TraceEvent[], where?: string): string[] => events.filter((e) => e.kind === 'app' && (where === undefined || e.where === where)).map((e) => e.text);

function app(name: string, node: string, ip: string, port = 8080): string {
  return `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: default, annotations: { dpsim.io/placement: "${node}/${ip}" } }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [ { name: c, image: x, ports: [ { containerPort: ${port} } ] } ] }
`;
}

describe('dpsim trace on the talk\'s cluster', () => {
  it('front-end → orders: three outcomes, 1/3 each as iptables stores it, each reply un-NATed', () => {
    const { report, client } = traceRequest(example, req('sock-shop/front-end', 'sock-shop/orders', { allOutcomes: true }));
    expect(report.outcomes).toHaveLength(3);
    const total = report.outcomes.reduce<Fraction>((a, o) => addFractions(a, o.probability!), { num: 0n, den: 1n });
    expect(fractionText(total)).toBe('1');
    // 0.33333 as iptables holds it: round(0.33333 × 2^31) / 2^31
    expect(fractionText(report.outcomes[0]!.probability!)).toBe('178955181/536870912');
    const reached = report.outcomes.map((o) => /port ([\d.]+:\d+)/.exec(o.summary)![1]);
    expect(reached).toEqual(['10.244.1.23:80', '10.244.2.12:80', '10.244.3.29:80']);
    for (const o of report.outcomes) {
      // The client only ever sees the Service address answer: the SYN-ACK arrives from 10.111.90.77:80.
      const toClient = captures(o.events).filter((l) => l.startsWith(`${client} eth0 in tcp`));
      expect(toClient.length).toBeGreaterThan(0);
      for (const l of toClient) expect(l).toMatch(/ in tcp 10\.111\.90\.77:80 > 10\.244\.3\.3:\d+ /);
      expect(notes(o.events, client)).toContain('connected');
    }
    // worker3's own endpoint stays on the node; the others cross flannel's VXLAN.
    const vxlan = report.outcomes.map((o) => captures(o.events).some((l) => l.includes(' flannel.1 out ')));
    expect(vxlan).toEqual([true, true, false]);
  });
});

describe('dpsim trace on small clusters', () => {
  const twoApps = app('a', 'worker1', '10.244.1.10') + app('b', 'worker1', '10.244.1.11') + app('c', 'worker2', '10.244.2.10');

  it('same-node pod to pod: the bridge only, no VXLAN, no NAT', () => {
    const { report } = traceOnCluster(small(twoApps), req('a', 'b'));
    const lines = captures(report.outcomes[0]!.events);
    expect(lines.some((l) => l.includes('flannel.1'))).toBe(false);
    // bridged between the two ports, never up the node's stack (only ARP's broadcast reaches cni0 itself)
    expect(lines.some((l) => l.startsWith('worker1 cni0 ') && l.includes(' tcp '))).toBe(false);
    expect(report.outcomes[0]!.summary).toMatch(/default\/b-.* on worker1, port 10\.244\.1\.11:8080/);
  });

  it('cross-node pod to pod: encapsulated in VXLAN on UDP 8472 between the nodes', () => {
    const { report } = traceOnCluster(small(twoApps), req('a', 'c'));
    const lines = captures(report.outcomes[0]!.events);
    expect(lines.some((l) => l.startsWith('worker1 flannel.1 out tcp 10.244.1.10:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('worker1 ens3 out') && l.includes('10.0.1.3') && l.includes('10.0.1.4') && /8472|vxlan/i.test(l))).toBe(true);
    expect(report.outcomes[0]!.summary).toMatch(/on worker2, port 10\.244\.2\.10:8080/);
  });

  const svc = (name: string, selector: string, extra = '', port = 80, target = 8080) => `---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  selector: { app: ${selector} }
  ports: [ { port: ${port}, targetPort: ${target} } ]
${extra}`;

  it('node to ClusterIP: the node\'s own connection is DNATed in OUTPUT', () => {
    const { report } = traceOnCluster(small(app('a', 'worker2', '10.244.2.10') + svc('web', 'a')), req('worker1', 'web'));
    const o = report.outcomes[0]!;
    expect(o.summary).toMatch(/on worker2, port 10\.244\.2\.10:8080/);
    expect(o.events.some((e) => e.where === 'worker1' && e.text.startsWith('nat OUTPUT'))).toBe(true);
  });

  it('a Service without endpoints is rejected: the client gets connection refused', () => {
    const { report } = traceOnCluster(small(svc('empty', 'nothing')), req('worker1', 'empty'));
    expect(report.outcomes[0]!.summary).toBe('✗ connect: Connection refused');
  });

  it('external → NodePort under Cluster policy: masqueraded, the pod sees a node address', () => {
    const yaml = app('a', 'worker2', '10.244.2.10') + svc('web', 'a', '  type: NodePort\n').replace('targetPort: 8080 }', 'targetPort: 8080, nodePort: 30080 }');
    const { report } = traceOnCluster(small(yaml), req('external', 'web'));
    const accepted = notes(report.outcomes[0]!.events).find((n) => n.startsWith('accepted'))!;
    // The NodePort is on worker1; it masquerades to the address of the device it sends on: flannel.1's 10.244.1.0.
    expect(accepted).toMatch(/^accepted a connection from 10\.244\.1\.0:\d+ on 10\.244\.2\.10:8080$/);
  });

  it('external → NodePort under Local policy: the client\'s address is kept', () => {
    const yaml = app('a', 'worker1', '10.244.1.10') + svc('web', 'a', '  type: NodePort\n  externalTrafficPolicy: Local\n').replace('targetPort: 8080 }', 'targetPort: 8080, nodePort: 30080 }');
    const { report } = traceOnCluster(small(yaml), req('external', 'web'));
    const accepted = notes(report.outcomes[0]!.events).find((n) => n.startsWith('accepted'))!;
    expect(accepted).toMatch(/^accepted a connection from 203\.0\.113\.10:\d+ on 10\.244\.1\.10:8080$/);
  });

  it('hairpin: a pod reaching itself through its Service is masqueraded to the bridge address', () => {
    const { report } = traceOnCluster(small(app('a', 'worker1', '10.244.1.10') + svc('web', 'a')), req('a', 'web'));
    const accepted = notes(report.outcomes[0]!.events).find((n) => n.startsWith('accepted'))!;
    expect(accepted).toMatch(/^accepted a connection from 10\.244\.1\.1:\d+ on 10\.244\.1\.10:8080$/);
  });
});
