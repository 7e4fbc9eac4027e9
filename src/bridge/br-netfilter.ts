/**
 * br_netfilter (net/bridge/br_netfilter_hooks.c): with `net.bridge.bridge-nf-call-iptables`
 * (1 by default in every namespace on this kernel, where br_netfilter is built in), bridged
 * IPv4 frames pass the iptables hooks at the bridge layer: PREROUTING when they come in a
 * port (in = the bridge), FORWARD (in = out = the bridge) and POSTROUTING (out = the bridge)
 * for each copy that goes out a port. Frames the bridge's own stack sends pass none.
 *
 * A DNAT in PREROUTING changes what happens next (br_nf_pre_routing_finish), as the kernel
 * showed (bridge.test.ts, "br_netfilter"):
 * - new destination routed out the bridge itself (a pod on the same bridge): the frame stays
 *   bridged, to the new destination's MAC from the bridge's neighbour table if that entry is
 *   CONNECTED (REACHABLE, PERMANENT, NOARP); otherwise the neighbour layer resolves it and sends it through the bridge device (captured `out` there),
 *   which forwards it on as if it came in its port (bridged_dnat); with the ingress port as
 *   destination that needs hairpin;
 * - anything else (another device, local): the frame is addressed to the bridge and passed up
 *   to be routed (captured `in` on the bridge with the new destination).
 *
 * The kernel runs IPv4 PREROUTING once for such a frame: after it ran at the bridge,
 * ip_sabotage_in skips it in ip_rcv (Packet.nfBridgePrerouted).
 *
 * The ports are kept on the packet as nf_bridge_info keeps them (Packet.physIn/physOut), for
 * `-m physdev`: the in port from PREROUTING on (also for a frame passed up and routed), the
 * out port for a bridged copy at FORWARD and POSTROUTING.
 */
import { NF_ACCEPT, NF_INET_FORWARD, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../netns/netfilter.js';
import { NUD_NOARP, NUD_PERMANENT, NUD_REACHABLE } from '../netns/neighbour.js';
import { RTN_UNICAST } from '../netns/route-table.js';
import type { NetNamespace } from '../netns/namespace.js';
import type { Packet } from '../packet/packet.js';
import type { BridgeDevice } from './bridge.js';
import type { BridgePort } from './port.js';
import { handleFrameFinish, passFrameUp, traceDrop } from './input.js';

/** The net.bridge.* sysctls of one namespace (per namespace since Linux 5.x), kernel defaults. */
export class BridgeNfSysctls {
  callArptables = 1;
  callIp6tables = 1;
  callIptables = 1;
  filterPppoeTagged = 0;
  filterVlanTagged = 0;
  passVlanInputDev = 0;
}

/** The sysctl names under net.bridge, in `sysctl -a` order, with the field each sets. */
export const BRIDGE_NF_SYSCTL_KEYS: readonly (readonly [string, keyof BridgeNfSysctls])[] = [
  ['bridge-nf-call-arptables', 'callArptables'],
  ['bridge-nf-call-ip6tables', 'callIp6tables'],
  ['bridge-nf-call-iptables', 'callIptables'],
  ['bridge-nf-filter-pppoe-tagged', 'filterPppoeTagged'],
  ['bridge-nf-filter-vlan-tagged', 'filterVlanTagged'],
  ['bridge-nf-pass-vlan-input-dev', 'passVlanInputDev'],
];

const sysctlsByNs = new WeakMap<NetNamespace, BridgeNfSysctls>();

/** The net.bridge.* settings of `ns` (created with the defaults on first use). */
export function bridgeNfSysctls(ns: NetNamespace): BridgeNfSysctls {
  let s = sysctlsByNs.get(ns);
  if (s === undefined) {
    s = new BridgeNfSysctls();
    sysctlsByNs.set(ns, s);
  }
  return s;
}

/** A frame a DNAT sent through the neighbour layer: the port it came in on and its source MAC. */
export interface BridgedDnatFrame {
  port: BridgePort;
  ethSrc: number;
}

/** Entries br_nf_pre_routing_finish_bridge bridges through directly (NUD_CONNECTED); any other goes through neigh->output. */
const NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE;

/**
 * br_nf_pre_routing and br_nf_pre_routing_finish for an IPv4 frame that came in `port`
 * (bridge-nf-call-iptables on): the frame gets its nf_bridge_info (setup_pre_routing: the
 * in port, no out port yet), which xt_physdev reads at every later hook of this namespace,
 * bridged or routed; then PREROUTING runs with the bridge as in device.
 */
export function brNfPreRouting(br: BridgeDevice, port: BridgePort, p: Packet): void {
  const ns = br.ns;
  const dst = p.ipDst;
  p.physIn = port.dev;
  p.physOut = null;
  if (ns.hooks.has(NF_INET_PRE_ROUTING) && ns.hooks.run(NF_INET_PRE_ROUTING, p, ns, br, null) !== NF_ACCEPT) {
    traceDrop(br, p, 'dropped in PREROUTING (br_netfilter)');
    return;
  }
  // If the frame goes up to this namespace's IP layer, PREROUTING is not run a second time.
  p.nfBridgePrerouted = true;
  if (p.ipDst === dst) {
    handleFrameFinish(br, port, p);
    return;
  }
  const route = ns.fib.lookup(p.ipDst);
  if (route !== null && route.type === RTN_UNICAST && route.oif === br.ifindex) {
    bridgeDnatted(br, port, p, route.gateway !== 0 ? route.gateway : p.ipDst);
    return;
  }
  // Routed: the frame is now for the bridge itself (PACKET_HOST) and goes up the stack.
  p.ethDst = br.mac;
  passFrameUp(br, p);
}

/** br_nf_pre_routing_finish_bridge: a DNAT to a destination on the bridge keeps the frame bridged. */
function bridgeDnatted(br: BridgeDevice, port: BridgePort, p: Packet, nexthop: number): void {
  const n = br.ns.neigh.lookup(br, nexthop);
  // The kernel bridges directly only through a CONNECTED entry (with its header cache): a
  // STALE/DELAY/PROBE one sends every frame through the neighbour layer on the bridge device
  // (captured `out` on it, and the first use moves STALE to DELAY, so the delayed ARP probe
  // follows), until the entry is REACHABLE again (kp-hairpin-own-service probe 1). The header
  // cache (hh_len, unset for a PERMANENT entry never sent through) is not modelled.
  if (n !== undefined && (n.state & NUD_CONNECTED) !== 0) {
    // neigh_hh_bridge: only the destination MAC changes.
    p.ethDst = n.mac;
    handleFrameFinish(br, port, p);
    return;
  }
  br.bridgedDnat.set(p, { port, ethSrc: p.ethSrc });
  br.ns.neigh.output(br, nexthop, p);
}

/** br_nf_pre_routing_finish_bridge_slow: the resolved frame continues as if it came in its port, with its own source MAC. */
export function finishBridgedDnat(br: BridgeDevice, frame: BridgedDnatFrame, p: Packet): void {
  p.ethSrc = frame.ethSrc;
  handleFrameFinish(br, frame.port, p);
}

/**
 * br_nf_forward_ip and br_nf_post_routing for one bridged copy that came in `from` and goes
 * out `to`: the copy's own nf_bridge_info gets the out port (physoutdev; nf_bridge_unshare
 * gives each flooded copy its own), then FORWARD (in = out = the bridge) and POSTROUTING
 * (out = the bridge). False when a hook dropped or took it.
 */
export function brNfForward(br: BridgeDevice, p: Packet, from: BridgePort, to: BridgePort): boolean {
  const ns = br.ns;
  const hooks = ns.hooks;
  if (br.nfSysctls().callIptables === 0) return true;
  p.physIn = from.dev;
  p.physOut = to.dev;
  const forward = hooks.has(NF_INET_FORWARD);
  const post = hooks.has(NF_INET_POST_ROUTING);
  if (!forward && !post) return true;
  if (forward && hooks.run(NF_INET_FORWARD, p, ns, br, br) !== NF_ACCEPT) {
    traceDrop(br, p, 'dropped in FORWARD (br_netfilter)');
    return false;
  }
  if (post && hooks.run(NF_INET_POST_ROUTING, p, ns, null, br) !== NF_ACCEPT) {
    traceDrop(br, p, 'dropped in POSTROUTING (br_netfilter)');
    return false;
  }
  return true;
}
