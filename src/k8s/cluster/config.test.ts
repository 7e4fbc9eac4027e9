import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { parseClusterConfig, readClusterConfig } from './config.js';
import { assignPodCIDRs } from './machines.js';
import { SEC } from '../../sim/time.js';

const example = fileURLToPath(new URL('../../../examples/sock-shop/cluster.yaml', import.meta.url));

const base = (nodes: string, extra = '') => `apiVersion: dpsim.io/v1alpha1
kind: Cluster
metadata:
  name: t
spec:
  underlay:
    device: eth0
    subnet: 192.168.0.0/24
    gateway: 192.168.0.1
${extra}  nodes:
${nodes}`;

describe('cluster file', () => {
  it('reads the talk\'s cluster', () => {
    const c = readClusterConfig(example);
    expect(c.nodes.map((n) => n.name)).toEqual(['master', 'worker1', 'worker2', 'worker3']);
    expect(c.underlay).toMatchObject({ device: 'ens3', mtu: 9000 });
    expect(c.kubeProxy).toMatchObject({ mode: 'iptables', version: '1.12', minSyncPeriod: 1 * SEC, syncPeriod: 30 * SEC, masqueradeBit: 14 });
    expect(c.nodes[0]!.schedulable).toBe(false);
    expect(c.manifests[0]).toMatch(/examples\/sock-shop\/sock-shop\.yaml$/);
  });

  it('fills defaults and gives unpinned nodes the next free /24', () => {
    const c = parseClusterConfig(base('    - name: a\n      address: 192.168.0.10\n      podCIDR: 10.244.0.0/24\n    - name: b\n      address: 192.168.0.11\n'), 'c.yaml');
    expect(c.clusterCIDR.text).toBe('10.244.0.0/16');
    expect(c.serviceCIDR.text).toBe('10.96.0.0/12');
    expect(c.kubeProxy.mode).toBe('iptables');
    expect(c.kubeProxy.version).toBe('current');
    expect(assignPodCIDRs(c).map((x) => x.text)).toEqual(['10.244.0.0/24', '10.244.1.0/24']);
  });

  it.each([
    ['    - name: a\n      address: 192.168.1.10\n', 'c.yaml:12: spec.nodes[0].address: Invalid value: must be a free address inside 192.168.0.0/24'],
    ['    - name: A\n      address: 192.168.0.10\n', 'c.yaml:11: spec.nodes[0].name: Invalid value: "A": a lowercase RFC 1123 label'],
    ['    - name: a\n      address: 192.168.0.10\n      colour: red\n', 'c.yaml:13: spec.nodes[0].colour: unknown field (known: name, address, podCIDR, schedulable, labels)'],
    ['    - name: a\n      address: 192.168.0.10\n    - name: a\n      address: 192.168.0.11\n', 'c.yaml:13: spec.nodes[1].name: Duplicate value: "a"'],
    ['    - name: a\n      address: 192.168.0.10\n      podCIDR: 10.244.1.1/24\n', 'c.yaml:13: spec.nodes[0].podCIDR: Invalid value: "10.244.1.1/24": host bits set (the network is 10.244.1.0/24)'],
  ])('names file, line and field for bad input %#', (nodes, message) => {
    expect(() => parseClusterConfig(base(nodes), 'c.yaml')).toThrow(message);
  });

  it('refuses an unknown proxy mode with the supported values', () => {
    expect(() => parseClusterConfig(base('    - name: a\n      address: 192.168.0.10\n', '  kubeProxy:\n    mode: userspace\n'), 'c.yaml')).toThrow(
      'c.yaml:11: spec.kubeProxy.mode: Unsupported value: "userspace": supported values: "iptables", "ipvs"',
    );
  });
});
