/**
 * Packet flows through a simulated node that loaded kube-proxy's rules through its own
 * iptables-restore: the test counterpart of upstream's runPacketFlowTests, but every packet
 * crosses the real dpsim stack (routing, conntrack, nat/filter hooks, MASQUERADE) and the
 * outcome is read off the capture, as tcpdump on the node would show it.
 *
 * Topology: namespace `node` (the kube-proxy node: eth0 192.168.0.2/24 plus the extra node
 * addresses, eth1 172.31.0.1/24 towards the pods); namespace `client` behind eth0 holding
 * every external/pod source address; namespace `pods` behind eth1 holding every endpoint
 * address. A forwarded, DNATed packet leaves `node` on eth1; its source shows masquerade.
 */

import { NetNamespace } from '../../../netns/namespace.js';
import { Network } from '../../../netns/network.js';
import { parseIPv4 } from '../../../packet/address.js';
import { dispatch } from '../../../script/commands.js';
import type { Command, ScriptContext } from '../../../script/context.js';
import { exploreOutcomes, fractionText } from '../../../sim/explore.js';
import { runProbe } from '../../../trace/probe.js';
import { applyRestore, ensureJumps } from './apply.js';
import type { IptablesSyncResult } from './proxier.js';

/** The node's own addresses (upstream's testNodeIPs, IPv4 ones). */
export const NODE_IPS = ['192.168.0.2', '192.168.1.2', '192.168.99.11'];
const MASQ_SOURCE = '172.31.0.1';

/** One outcome of a flow: where the packet went, whether it was masqueraded, and its exact probability. */
export interface FlowOutcome {
  /** "ip:port" of the endpoint it was DNATed to, "DROP", "REJECT", or "LOCAL" (delivered to the node unchanged). */
  readonly output: string;
  readonly masq: boolean;
  readonly probability: string;
}

/** Runs one scenario command line (`ip …`, `iptables …`, `sysctl …`) in `ns`; throws if it printed anything. */
export function runCommand(net: Network, ns: NetNamespace, line: string): void {
  let out = '';
  const ctx: ScriptContext = {
    net,
    ns,
    file: 'flow-harness',
    out: (t) => {
      out += t;
    },
    exec: (target, argv, cmd) => dispatch({ ...ctx, ns: target }, argv, cmd),
  };
  const cmd: Command = { argv: line.split(' '), line: 1, stdin: null, text: line };
  dispatch(ctx, cmd.argv, cmd);
  if (out !== '') throw new Error(`${line}: ${out}`);
}

/** Builds the node and its neighbours, loads `sync` through iptables-restore, and returns the network. */
export function buildNode(sync: IptablesSyncResult, sources: readonly string[], endpoints: readonly string[], seed = 1): Network {
  const net = buildTopology(sources, endpoints, seed);
  const node = net.namespaces.get('node')!;
  ensureJumps(node, sync.jumps);
  applyRestore(node, sync.text);
  return net;
}

/** The node, client and pods namespaces without any kube-proxy rules. */
export function buildTopology(sources: readonly string[], endpoints: readonly string[], seed = 1): Network {
  const net = new Network(seed);
  const root = net.root;
  const cmds = [
    'ip netns add node',
    'ip netns add client',
    'ip netns add pods',
    'ip -n node link add eth0 type veth peer name c0 netns client',
    'ip -n node link add eth1 type veth peer name p0 netns pods',
    'ip -n node link set lo up',
    'ip -n node link set eth0 up',
    'ip -n node link set eth1 up',
    'ip -n client link set c0 up',
    'ip -n pods link set p0 up',
    ...NODE_IPS.map((a) => `ip -n node addr add ${a}/24 dev eth0`),
    `ip -n node addr add ${MASQ_SOURCE}/24 dev eth1`,
    'ip -n client addr add 192.168.0.100/24 dev c0',
    'ip -n pods addr add 172.31.0.2/24 dev p0',
    'ip -n client route add default via 192.168.0.2',
    'ip -n pods route add default via 172.31.0.1',
    'ip -n node route add 10.180.0.0/16 via 172.31.0.2',
    'ip -n node route add default via 192.168.0.100',
    'sysctl -q -w net.ipv4.ip_forward=1',
    'sysctl -q -w net.ipv4.conf.all.route_localnet=1',
  ];
  for (const s of sources) if (!NODE_IPS.includes(s) && s !== '192.168.0.100') cmds.push(`ip -n client addr add ${s}/32 dev c0`);
  for (const e of endpoints) cmds.push(`ip -n pods addr add ${e}/32 dev p0`);
  for (const c of cmds) {
    if (c.startsWith('sysctl')) runCommand(net, net.namespaces.get('node')!, c);
    else runCommand(net, root, c);
  }
  return net;
}

/** Sends one TCP SYN from `from` and says where it went (see FlowOutcome.output), with the network's own randomness. */
export function probeOnce(net: Network, src: string, dst: string, dport: number, sport = 40000): { output: string; masq: boolean } {
  const local = NODE_IPS.includes(src) || src.startsWith('127.');
  const ns = net.namespaces.get(local ? 'node' : 'client')!;
  const r = runProbe(net, { ns, proto: 'tcp', src: parseIPv4(src)!, sport, dst: parseIPv4(dst)!, dport }, { explain: false, pcap: false });
  return classify(
    r.events.filter((e) => e.kind === 'capture').map((e) => e.text),
    src,
    dst,
    dport,
    sport,
  );
}

/** Every outcome of one TCP SYN from `src` to `dst:dport` (from the node itself when `src` is a node address). */
export function flowOutcomes(sync: IptablesSyncResult, src: string, dst: string, dport: number, sources: readonly string[], endpoints: readonly string[]): FlowOutcome[] {
  const outcomes = exploreOutcomes((oracle) => {
    const net = buildNode(sync, sources, endpoints);
    net.random.oracle = oracle;
    return probeOnce(net, src, dst, dport);
  });
  return outcomes.map((o) => ({ ...o.result, probability: fractionText(o.probability) }));
}

function classify(lines: readonly string[], src: string, dst: string, dport: number, sport: number): { output: string; masq: boolean } {
  // The first SYN the node sends towards the pods.
  for (const l of lines) {
    const m = /^node eth1 out tcp (\S+):(\d+) > (\S+):(\d+) S$/.exec(l);
    if (m !== null) return { output: `${m[3]}:${m[4]}`, masq: m[1] !== src };
  }
  // Forwarded on unchanged (no kube-proxy rule applied).
  if (lines.some((l) => l === `node eth0 out tcp ${src}:${sport} > ${dst}:${dport} S`)) return { output: '', masq: false };
  // Refused by REJECT: an ICMP port unreachable (its default) back to the client.
  if (lines.some((l) => l.startsWith('node') && l.includes(' out icmp') && l.includes('unreachable'))) return { output: 'REJECT', masq: false };
  // Delivered to the node's own stack (no listener: it answers with a RST from the address asked).
  if (lines.some((l) => l.startsWith('node') && l.includes(` ${dst}:${dport} > `) && / R\.?$/.test(l))) return { output: 'LOCAL', masq: false };
  // Seen by the node and never answered nor forwarded: dropped.
  const seen = lines.some((l) => l.startsWith('node') && l.includes(`> ${dst}:${dport}`));
  return { output: seen ? 'DROP' : 'NONE', masq: false };
}
