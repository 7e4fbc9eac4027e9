/**
 * A small flannel cluster for tests and benchmarks: nodes joined by one underlay link
 * (veth `ens3`, 192.168.50.0/24), each programmed by programFlannel with its lease
 * 10.244.K.0/24 and holding pods on its cni0. Every MAC is fixed, so outputs are stable; the
 * same names and addresses as the kernel recordings in flannel.test.ts.
 */
import { parseIPv4, parseMac } from '../../packet/address.js';
import type { NetNamespace } from '../../netns/namespace.js';
import { Network } from '../../netns/network.js';
import { newRoute, RTPROT_BOOT } from '../../netns/route-table.js';
import type { VethDevice } from '../../netns/device.js';
import { programFlannel, type FlannelNode } from './program.js';
import type { FlannelLease } from './lease.js';

const ip = (s: string): number => parseIPv4(s)!;
const mac = (s: string): number => parseMac(s)!;

/** Node K's lease: 10.244.K.0/24 behind 192.168.50.(4+K), VTEP MAC 02:00:00:00:fK:01. */
export function testLease(k: number): FlannelLease {
  return { subnet: ip(`10.244.${k}.0`), prefixLen: 24, publicIp: ip(`192.168.50.${4 + k}`), vtepMac: mac(`02:00:00:00:f${k}:01`) };
}

/** One node of the testbed. */
export interface TestNode extends FlannelNode {
  ns: NetNamespace;
  lease: FlannelLease;
}

/** A pod: its namespace, its eth0 and the host end of its veth on the node's bridge. */
export interface TestPod {
  ns: NetNamespace;
  eth0: VethDevice;
  host: VethDevice;
  addr: number;
}

/** The testbed: the machine, its nodes (n1, n2) and their pods by name. */
export interface Testbed {
  net: Network;
  nodes: TestNode[];
  pods: Map<string, TestPod>;
}

/**
 * Two nodes n1 (192.168.50.5) and n2 (192.168.50.6) on a veth underlay, flannel on both;
 * `pods` lists for each pod its name and node (1 or 2): pod number j on node K gets
 * 10.244.K.(j+1), host end vethJ (02:00:00:00:1K:0J) and eth0 (02:00:00:00:2K:0J).
 */
export function flannelTestbed(pods: readonly (readonly [string, number])[] = [['p1', 1], ['p2', 2]], seed = 1): Testbed {
  const net = new Network(seed);
  const n1 = net.addNamespace('n1')!;
  const n2 = net.addNamespace('n2')!;
  const [u1, u2] = n1.addVethPair('ens3', 'ens3', n2, mac('02:00:00:00:00:05'), mac('02:00:00:00:00:06'));
  n1.addAddress(u1, ip('192.168.50.5'), 24);
  n2.addAddress(u2, ip('192.168.50.6'), 24);
  n1.setUp(u1);
  n2.setUp(u2);
  const nodes: TestNode[] = [n1, n2].map((ns, i) => {
    const lease = testLease(i + 1);
    const other = testLease(2 - i);
    const made = programFlannel(ns, lease, [other], { underlay: 'ens3', bridgeMac: mac(`02:00:00:00:0${i + 1}:01`) });
    return { ns, lease, ...made };
  });
  const result = new Map<string, TestPod>();
  const count = [0, 0];
  for (const [name, k] of pods) {
    const node = nodes[k - 1]!;
    const j = ++count[k - 1]!;
    const pod = net.addNamespace(name)!;
    const [host, eth0] = node.ns.addVethPair(`veth${j}`, 'eth0', pod, mac(`02:00:00:00:1${k}:0${j}`), mac(`02:00:00:00:2${k}:0${j}`));
    node.bridge.enslave(host);
    node.ns.setUp(host);
    const addr = ip(`10.244.${k}.${j + 1}`);
    pod.addAddress(eth0, addr, 24);
    pod.setUp(eth0);
    pod.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: ip(`10.244.${k}.1`), oif: eth0.ifindex, protocol: RTPROT_BOOT }));
    result.set(name, { ns: pod, eth0, host, addr });
  }
  return { net, nodes, pods: result };
}
