/**
 * Packets through a dpsim node running the IPVS backend: a client outside the node, two
 * endpoint pods behind it (flow-harness topology). The SYN is scheduled by IPVS to a real
 * server, masqueraded where upstream's rules mark it, and the reply comes back un-NATed.
 */

import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../packet/address.js';
import { runProbe } from '../../../trace/probe.js';
import type { Network } from '../../../netns/network.js';
import { defaultProxyConfig } from '../config.js';
import { makeService, makeSlice, tcpPort } from '../testing.js';
import { buildTopology } from '../iptables/flow-harness.js';
import { TcpEcho } from '../../../trace/harness.js';
import { IpvsBackend } from './backend.js';
import { IpvsProxier } from './proxier.js';

const CLIENT = '192.168.0.100';
const POD_CLIENT = '10.180.9.9';
const EPS = ['10.180.0.1', '10.180.0.2'];
const SNAPSHOT = {
  services: [makeService('ns1', 'svc1', { type: 'NodePort', clusterIP: '10.20.30.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }] })],
  endpointSlices: [makeSlice('ns1', 'svc1', 1, EPS.map((a) => ({ addresses: [a] })), [tcpPort('p80', 80)])],
};

function node(masqueradeAll = false): { net: Network; backend: IpvsBackend } {
  const net = buildTopology([CLIENT, POD_CLIENT], EPS);
  const ns = net.namespaces.get('node')!;
  net.namespaces.get('pods')!.tcp.listen(0, 80, new TcpEcho(() => {}, net.scheduler));
  const cfg = defaultProxyConfig({ nodeName: 'test-node', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.180.0.0/16', masqueradeAll });
  const backend = new IpvsBackend(ns, new IpvsProxier(cfg), () => SNAPSHOT);
  expect(backend.sync(true).commit()).toBe(true);
  return { net, backend };
}

function probe(net: Network, src: string, dst: string, dport: number, sport: number): string[] {
  const r = runProbe(net, { ns: net.namespaces.get('client')!, proto: 'tcp', src: parseIPv4(src)!, sport, dst: parseIPv4(dst)!, dport }, { explain: false, pcap: false });
  return r.events.filter((e) => e.kind === 'capture').map((e) => e.text);
}

function forwardedSyn(lines: string[]): { src: string; dst: string } {
  for (const l of lines) {
    const m = /^node eth1 out tcp (\S+) > (\S+) S$/.exec(l);
    if (m !== null) return { src: m[1]!, dst: m[2]! };
  }
  throw new Error(`no SYN towards the pods:\n${lines.join('\n')}`);
}

describe('IPVS backend: packets', () => {
  it('ClusterIP from an off-cluster client: scheduled round-robin over both pods, masqueraded, reply un-NATed', () => {
    const { net } = node();
    const seen: string[] = [];
    for (const sport of [40001, 40002]) {
      const lines = probe(net, CLIENT, '10.20.30.41', 80, sport);
      const syn = forwardedSyn(lines);
      expect(syn.src.startsWith('172.31.0.1:')).toBe(true); // KUBE-MARK-MASQ (source outside the cluster CIDR), MASQUERADE
      seen.push(syn.dst);
      expect(lines).toContain(`client c0 in tcp 10.20.30.41:80 > ${CLIENT}:${sport} S.`);
    }
    expect(seen.sort()).toEqual(['10.180.0.1:80', '10.180.0.2:80']);
  });

  it('NodePort: the node address and node port reach a pod, masqueraded, reply from the node address', () => {
    const { net } = node();
    const lines = probe(net, CLIENT, '192.168.0.2', 3001, 40003);
    const syn = forwardedSyn(lines);
    expect(EPS.map((e) => `${e}:80`)).toContain(syn.dst);
    expect(syn.src.startsWith('172.31.0.1:')).toBe(true);
    expect(lines).toContain(`client c0 in tcp 192.168.0.2:3001 > ${CLIENT}:40003 S.`);
  });

  it('a pod source (inside the cluster CIDR) keeps its address; with masqueradeAll it is masqueraded too', () => {
    const plain = forwardedSyn(probe(node().net, POD_CLIENT, '10.20.30.41', 80, 40004));
    expect(plain.src).toBe(`${POD_CLIENT}:40004`);
    const all = forwardedSyn(probe(node(true).net, POD_CLIENT, '10.20.30.41', 80, 40005));
    expect(all.src.startsWith('172.31.0.1:')).toBe(true);
  });

  it('a port of a kube-ipvs0 address that is no service is refused by KUBE-IPVS-FILTER', () => {
    const lines = probe(node().net, CLIENT, '10.20.30.41', 22, 40006);
    expect(lines.some((l) => l.startsWith('node eth0 out icmp') && l.includes('unreachable'))).toBe(true);
  });
});
