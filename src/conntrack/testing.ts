/**
 * Test support for conntrack: the topology of the kernel recordings (client c — router
 * root — server s), a small nat-table stand-in, and `conntrack` run as a command.
 */
import type { Packet } from '../packet/packet.js';
import type { NetDevice } from '../netns/device.js';
import type { Network } from '../netns/network.js';
import { runScenario } from '../script/run.js';
import { conntrackCommand } from '../script/conntrack/conntrack-tool.js';
import type { Conn } from './conn.js';
import type { Conntrack, NatDecider } from './conntrack.js';

export const CLIENT = 0x0a000102; // 10.0.1.2
export const CLIENT2 = 0x0a000103; // 10.0.1.3
export const ROUTER_C = 0x0a000101; // 10.0.1.1
export const ROUTER_S = 0x0a000201; // 10.0.2.1
export const SERVER = 0x0a000202; // 10.0.2.2

/** The recordings' topology: c (10.0.1.2, .3) — vc 10.0.1.1 | root, forwarding | vs 10.0.2.1 — s (10.0.2.2). */
export const TOPOLOGY = `
ip netns add c
ip netns add s
ip link add vc type veth peer name eth0 netns c
ip link add vs type veth peer name eth0 netns s
ip addr add 10.0.1.1/24 dev vc
ip link set vc up
ip addr add 10.0.2.1/24 dev vs
ip link set vs up
ip -n c addr add 10.0.1.2/24 dev eth0
ip -n c addr add 10.0.1.3/24 dev eth0
ip -n c link set eth0 up
ip -n c route add default via 10.0.1.1
ip -n s addr add 10.0.2.2/24 dev eth0
ip -n s link set eth0 up
ip -n s route add default via 10.0.2.1
sysctl -w net.ipv4.ip_forward=1
`;

/** A fresh machine with the topology built. */
export function topology(seed = 1): Network {
  return runScenario(TOPOLOGY, { file: 'topology.sh', seed }).network;
}

/** One nat-table rule of the stand-in: a match on the first packet and what it binds. */
export interface FakeRule {
  hook: number;
  match(p: Packet): boolean;
  bind(ct: Conntrack, conn: Conn, p: Packet, inDev: NetDevice | null, outDev: NetDevice | null, hook: number): number;
}

/** The nat table as the iptables engine will be: first matching rule of the hook binds, else nothing. */
export class FakeNatTable implements NatDecider {
  /** How many times each hook was consulted (the nat table sees only first packets). */
  readonly consulted = [0, 0, 0, 0, 0];
  constructor(readonly rules: FakeRule[]) {}

  decide(hook: number, p: Packet, conn: Conn, ct: Conntrack, inDev: NetDevice | null, outDev: NetDevice | null): number {
    this.consulted[hook]!++;
    for (const r of this.rules) if (r.hook === hook && r.match(p)) return r.bind(ct, conn, p, inDev, outDev, hook);
    return 1;
  }
}

/** Runs `conntrack ARGS…` in the root namespace and returns what it printed. */
export function conntrack(net: Network, ...args: string[]): string {
  let out = '';
  const ctx = { net, ns: net.root, file: 'test.sh', out: (t: string) => (out += t), exec: () => {} };
  conntrackCommand(ctx, ['conntrack', ...args], { argv: ['conntrack', ...args], line: 1, stdin: null, text: '' });
  return out;
}
