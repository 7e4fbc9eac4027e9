/**
 * Packet flows through a dpsim node that loaded the proxier's rules via iptables-restore
 * (upstream's runPacketFlowTests rows: source, destination, endpoints, masquerade). The
 * first seven rows are pkg/proxy/iptables/proxier_test.go TestTracePacket's on the
 * TestOverallIPTablesRules services; the others apply upstream's documented behaviour
 * (traffic policies, terminating fallback, source ranges, no endpoints) to the same and a
 * second fixture. Every statistic branch is walked exactly (exploreOutcomes).
 * The node's kernel has no nfacct here (dpsim has no nfacct match), so kube-proxy writes
 * its rules without the nfacct counters, as it does on such a kernel.
 */

import { describe, expect, it } from 'vitest';
import { defaultProxyConfig } from '../config.js';
import type { ProxySnapshot } from '../service-ports.js';
import { makeService, makeSlice, tcpPort } from '../testing.js';
import { flowOutcomes, type FlowOutcome } from './flow-harness.js';
import { OVERALL_SNAPSHOT } from './fixtures.js';
import { IptablesProxier } from './proxier.js';

const CLIENT = '203.0.113.2';
const BLOCKED = '203.0.113.130';
const POD = '10.0.0.2';
const NODE = '192.168.0.2';
const NODE_ALT = '192.168.1.2';
const SOURCES = [CLIENT, BLOCKED, POD];

interface Row {
  name: string;
  src: string;
  dst: string;
  port: number;
  output: string;
  masq?: boolean;
}

function summarise(outcomes: FlowOutcome[]): { output: string; masq: boolean } {
  const outputs = [...new Set(outcomes.map((o) => o.output))].sort();
  return { output: outputs.join(', '), masq: outcomes.some((o) => o.masq) };
}

function proxier() {
  return new IptablesProxier(defaultProxyConfig({ nodeName: 'test-node', nodeIPs: [NODE], clusterCIDR: '10.0.0.0/8', nfacct: false }));
}

function runRows(snapshot: ProxySnapshot, endpoints: string[], rows: Row[]): void {
  const sync = proxier().sync(snapshot);
  for (const row of rows) {
    it(`${row.name}: ${row.src} -> ${row.dst}:${row.port}`, () => {
      const got = summarise(flowOutcomes(sync, row.src, row.dst, row.port, SOURCES, endpoints));
      expect(got).toEqual({ output: row.output, masq: row.masq ?? false });
    });
  }
}

describe('packet flows: TestOverallIPTablesRules services', () => {
  const eps = ['10.180.0.1', '10.180.0.2', '10.180.0.3', '10.180.0.4', '10.180.0.5'];
  runRows(OVERALL_SNAPSHOT, eps, [
    // TestTracePacket's rows.
    { name: 'no match', src: POD, dst: '10.0.0.3', port: 80, output: '' },
    { name: 'single endpoint', src: POD, dst: '172.30.0.41', port: 80, output: '10.180.0.1:80' },
    { name: 'multiple endpoints', src: POD, dst: '172.30.0.44', port: 80, output: '10.180.0.4:80, 10.180.0.5:80' },
    { name: 'LOCAL, KUBE-MARK-MASQ', src: NODE, dst: '192.168.99.22', port: 80, output: '10.180.0.2:80', masq: true },
    { name: 'DROP', src: CLIENT, dst: '192.168.99.22', port: 80, output: 'DROP' },
    { name: 'ACCEPT (NodePortHealthCheck)', src: NODE, dst: NODE, port: 30000, output: 'LOCAL' },
    { name: 'REJECT', src: POD, dst: '172.30.0.46', port: 80, output: 'REJECT' },
    // ClusterIP.
    { name: 'off-cluster source to cluster IP is masqueraded', src: CLIENT, dst: '172.30.0.41', port: 80, output: '10.180.0.1:80', masq: true },
    { name: 'node to cluster IP is masqueraded', src: NODE, dst: '172.30.0.41', port: 80, output: '10.180.0.1:80', masq: true },
    { name: 'wrong port is not captured', src: POD, dst: '172.30.0.41', port: 81, output: '' },
    { name: 'ETP Local service cluster IP uses all endpoints', src: POD, dst: '172.30.0.42', port: 80, output: '10.180.0.2:80' },
    { name: 'external client to no-endpoint cluster IP', src: CLIENT, dst: '172.30.0.46', port: 80, output: 'REJECT' },
    { name: 'two endpoints from outside', src: CLIENT, dst: '172.30.0.44', port: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: true },
    // ETP Local without local endpoints.
    { name: 'external to LB IP, no local endpoints', src: CLIENT, dst: '1.2.3.4', port: 80, output: 'DROP' },
    { name: 'pod to LB IP short-circuits to the cluster chain', src: POD, dst: '1.2.3.4', port: 80, output: '10.180.0.2:80' },
    { name: 'pod to external IP short-circuits', src: POD, dst: '192.168.99.22', port: 80, output: '10.180.0.2:80' },
    { name: 'external to NodePort, no local endpoints', src: CLIENT, dst: NODE, port: 3001, output: 'DROP' },
    { name: 'pod to NodePort short-circuits', src: POD, dst: NODE, port: 3001, output: '10.180.0.2:80' },
    { name: 'node to its own NodePort is masqueraded', src: NODE, dst: NODE, port: 3001, output: '10.180.0.2:80', masq: true },
    // NodePort, ETP Cluster.
    { name: 'external to NodePort', src: CLIENT, dst: NODE, port: 3003, output: '10.180.0.3:80', masq: true },
    { name: 'external to NodePort on another node IP', src: CLIENT, dst: NODE_ALT, port: 3003, output: '10.180.0.3:80', masq: true },
    { name: 'pod to NodePort is masqueraded (Cluster policy)', src: POD, dst: NODE, port: 3003, output: '10.180.0.3:80', masq: true },
    // externalIPs.
    { name: 'external to external IP', src: CLIENT, dst: '192.168.99.33', port: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: true },
    { name: 'pod to external IP (Cluster policy) is masqueraded', src: POD, dst: '192.168.99.33', port: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: true },
    // LoadBalancer with source ranges and affinity.
    { name: 'allowed source to LB IP', src: CLIENT, dst: '5.6.7.8', port: 80, output: '10.180.0.3:80', masq: true },
    { name: 'blocked source to LB IP', src: BLOCKED, dst: '5.6.7.8', port: 80, output: 'DROP' },
    { name: 'blocked source to the NodePort (ranges do not apply)', src: BLOCKED, dst: NODE, port: 3002, output: '10.180.0.3:80', masq: true },
    { name: 'pod to the source-ranged service cluster IP', src: POD, dst: '172.30.0.45', port: 80, output: '10.180.0.3:80' },
  ]);
});

const SECOND: ProxySnapshot = {
  services: [
    makeService('ns1', 'itp-local', { clusterIP: '172.30.1.1', internalTrafficPolicy: 'Local', ports: [{ name: 'p80', port: 80 }] }),
    makeService('ns2', 'itp-remote', { clusterIP: '172.30.1.2', internalTrafficPolicy: 'Local', ports: [{ name: 'p80', port: 80 }] }),
    makeService('ns3', 'terminating', { clusterIP: '172.30.1.3', ports: [{ name: 'p80', port: 80 }] }),
    makeService('ns4', 'mixed', { clusterIP: '172.30.1.4', ports: [{ name: 'p80', port: 80 }] }),
    makeService(
      'ns5',
      'none',
      { type: 'LoadBalancer', clusterIP: '172.30.1.5', externalIPs: ['192.168.99.55'], ports: [{ name: 'p80', port: 80, nodePort: 3005 }] },
      { loadBalancer: { ingress: [{ ip: '9.10.11.12' }] } },
    ),
    makeService('ns6', 'etp-local', { type: 'NodePort', externalTrafficPolicy: 'Local', clusterIP: '172.30.1.6', ports: [{ name: 'p80', port: 80, nodePort: 3006 }] }),
    makeService('ns7', 'three', { clusterIP: '172.30.1.7', ports: [{ name: 'p80', port: 80 }] }),
    makeService('ns8', 'sticky', { clusterIP: '172.30.1.8', sessionAffinity: 'ClientIP', ports: [{ name: 'p80', port: 80 }] }),
  ],
  endpointSlices: [
    makeSlice('ns1', 'itp-local', 1, [{ addresses: ['10.180.1.1'], nodeName: 'test-node' }, { addresses: ['10.180.1.2'], nodeName: 'other' }], [tcpPort('p80', 80)]),
    makeSlice('ns2', 'itp-remote', 1, [{ addresses: ['10.180.2.1'], nodeName: 'other' }], [tcpPort('p80', 80)]),
    makeSlice(
      'ns3',
      'terminating',
      1,
      [
        { addresses: ['10.180.3.1'], conditions: { ready: false, serving: true, terminating: true } },
        { addresses: ['10.180.3.2'], conditions: { ready: false, serving: false, terminating: true } },
      ],
      [tcpPort('p80', 80)],
    ),
    makeSlice(
      'ns4',
      'mixed',
      1,
      [{ addresses: ['10.180.4.1'] }, { addresses: ['10.180.4.2'], conditions: { ready: false, serving: true, terminating: true } }],
      [tcpPort('p80', 80)],
    ),
    makeSlice('ns6', 'etp-local', 1, [{ addresses: ['10.180.6.1'], nodeName: 'test-node' }, { addresses: ['10.180.6.2'], nodeName: 'other' }], [tcpPort('p80', 80)]),
    makeSlice('ns7', 'three', 1, [{ addresses: ['10.180.7.1'] }, { addresses: ['10.180.7.2'] }, { addresses: ['10.180.7.3'] }], [tcpPort('p80', 8080)]),
    makeSlice('ns8', 'sticky', 1, [{ addresses: ['10.180.8.1'] }, { addresses: ['10.180.8.2'] }], [tcpPort('p80', 80)]),
  ],
};

describe('packet flows: traffic policies, terminating endpoints, no endpoints', () => {
  const eps = ['10.180.1.1', '10.180.1.2', '10.180.2.1', '10.180.3.1', '10.180.3.2', '10.180.4.1', '10.180.4.2', '10.180.6.1', '10.180.6.2', '10.180.7.1', '10.180.7.2', '10.180.7.3', '10.180.8.1', '10.180.8.2'];
  runRows(SECOND, eps, [
    { name: 'ITP Local uses only the local endpoint', src: POD, dst: '172.30.1.1', port: 80, output: '10.180.1.1:80' },
    { name: 'ITP Local without local endpoints drops', src: POD, dst: '172.30.1.2', port: 80, output: 'DROP' },
    { name: 'only serving-terminating endpoints: fallback to them', src: POD, dst: '172.30.1.3', port: 80, output: '10.180.3.1:80' },
    { name: 'ready endpoints win over terminating ones', src: POD, dst: '172.30.1.4', port: 80, output: '10.180.4.1:80' },
    { name: 'no endpoints: cluster IP', src: POD, dst: '172.30.1.5', port: 80, output: 'REJECT' },
    { name: 'no endpoints: external IP', src: CLIENT, dst: '192.168.99.55', port: 80, output: 'REJECT' },
    { name: 'no endpoints: LB IP', src: CLIENT, dst: '9.10.11.12', port: 80, output: 'REJECT' },
    { name: 'no endpoints: NodePort', src: CLIENT, dst: NODE, port: 3005, output: 'REJECT' },
    { name: 'ETP Local NodePort keeps the client source', src: CLIENT, dst: NODE, port: 3006, output: '10.180.6.1:80' },
    { name: 'ETP Local NodePort from a pod uses every endpoint', src: POD, dst: NODE, port: 3006, output: '10.180.6.1:80, 10.180.6.2:80' },
    { name: 'ETP Local NodePort from the node is masqueraded', src: NODE, dst: NODE, port: 3006, output: '10.180.6.1:80, 10.180.6.2:80', masq: true },
    { name: 'ETP Local cluster IP uses every endpoint', src: POD, dst: '172.30.1.6', port: 80, output: '10.180.6.1:80, 10.180.6.2:80' },
    { name: 'three endpoints, target port 8080', src: POD, dst: '172.30.1.7', port: 80, output: '10.180.7.1:8080, 10.180.7.2:8080, 10.180.7.3:8080' },
    { name: 'ClientIP affinity, first packet', src: POD, dst: '172.30.1.8', port: 80, output: '10.180.8.1:80, 10.180.8.2:80' },
  ]);
});

describe('statistic probabilities', () => {
  it('three endpoints split by 1/3, 1/2, rest as the kernel rounds them (31-bit)', () => {
    const sync = proxier().sync(SECOND);
    const out = flowOutcomes(sync, POD, '172.30.1.7', 80, SOURCES, ['10.180.7.1', '10.180.7.2', '10.180.7.3']);
    expect(out.map((o) => [o.output, o.probability])).toEqual([
      ['10.180.7.1:8080', '715827883/2147483648'],
      ['10.180.7.2:8080', '1431655765/4294967296'],
      ['10.180.7.3:8080', '1431655765/4294967296'],
    ]);
  });
});
