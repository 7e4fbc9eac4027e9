/**
 * The bridge's sending side (net/bridge/br_forward.c): a frame out one port, a flood to
 * every port that should get it, and the dispatch of frames the bridge's own stack sends.
 */
import { ETH_HLEN, ETH_P_IP, MAC_BROADCAST, type Packet } from '../packet/packet.js';
import type { BridgeDevice } from './bridge.js';
import type { BridgePort } from './port.js';
import { isMulticastMac } from './fdb.js';
import { passFrameUp, traceDrop } from './input.js';
import { brNfForward } from './br-netfilter.js';
import { formatMac } from '../packet/address.js';

/** Frame classes a flood distinguishes (enum br_pkt_type). */
export const BR_PKT_UNICAST = 0;
export const BR_PKT_MULTICAST = 1;
export const BR_PKT_BROADCAST = 2;

/** VLAN_HLEN: is_skb_forwardable allows a frame this much over ETH_HLEN + MTU. */
const VLAN_HLEN = 4;

/**
 * should_deliver: the port forwards, and is not the one the frame came in on unless it is in
 * hairpin mode (`from` is null for frames of the bridge's own stack).
 */
export function shouldDeliver(from: BridgePort | null, to: BridgePort): boolean {
  return (to.hairpin || to !== from) && to.forwarding;
}

/** br_forward: a known unicast frame out port `to`, or dropped when it may not go there. */
export function forwardFrame(br: BridgeDevice, from: BridgePort | null, to: BridgePort, p: Packet): void {
  if (shouldDeliver(from, to)) {
    deliver(br, from, to, p);
    return;
  }
  if (br.ns.net.tracer !== null)
    traceDrop(br, p, to === from ? `destination is behind ${to.dev.name}, where it came in (hairpin off)` : `${to.dev.name} is not forwarding`);
}

/** Whether a port takes a flood of this class (BR_FLOOD, BR_MCAST_FLOOD, BR_BCAST_FLOOD; the bridge's own frames ignore the last two). */
function floodsTo(port: BridgePort, pktType: number, local: boolean): boolean {
  if (pktType === BR_PKT_UNICAST) return port.flood;
  if (pktType === BR_PKT_MULTICAST) return port.mcastFlood || local;
  return port.bcastFlood || local;
}

/**
 * br_flood: one copy to every port that should get it, in port-list order (the last gets the
 * frame itself unless it also goes up the stack); with `localRcv` the frame then goes up.
 */
export function floodFrame(br: BridgeDevice, from: BridgePort | null, p: Packet, pktType: number, localRcv: boolean): void {
  const ports = br.ports;
  const local = from === null;
  let prev: BridgePort | null = null;
  for (let i = 0; i < ports.length; i++) {
    const port = ports[i]!;
    if (!floodsTo(port, pktType, local) || !shouldDeliver(from, port)) continue;
    if (prev !== null) deliver(br, from, prev, p.clone());
    prev = port;
  }
  if (prev !== null) deliver(br, from, prev, localRcv ? p.clone() : p);
  if (localRcv) passFrameUp(br, p);
}

/**
 * __br_forward and br_dev_queue_push_xmit: br_netfilter's FORWARD and POSTROUTING for a
 * bridged IPv4 frame, the port MTU check (is_skb_forwardable), then out the port.
 */
function deliver(br: BridgeDevice, from: BridgePort | null, to: BridgePort, p: Packet): void {
  if (from !== null && p.ethType === ETH_P_IP && !brNfForward(br, p, from, to)) return;
  const dev = to.dev;
  if (p.frameLength() > dev.mtu + ETH_HLEN + VLAN_HLEN) {
    traceDrop(br, p, `frame of ${p.frameLength()} bytes too big for ${dev.name} (mtu ${dev.mtu})`);
    return;
  }
  dev.transmit(p);
}

/** br_dev_xmit after the capture: broadcast and multicast flood, known unicast goes out its port, unknown unicast floods. */
export function bridgeXmit(br: BridgeDevice, p: Packet): void {
  const dst = p.ethDst;
  if (dst === MAC_BROADCAST) {
    floodFrame(br, null, p, BR_PKT_BROADCAST, false);
    return;
  }
  if (isMulticastMac(dst)) {
    floodFrame(br, null, p, BR_PKT_MULTICAST, false);
    return;
  }
  const e = br.fdb.get(dst);
  const tr = br.ns.net.tracer;
  if (e === undefined) {
    if (tr !== null) tr.record(br.ns.name, 'bridge', p.id, `${br.name}: ${formatMac(dst)} unknown, flooded`);
    floodFrame(br, null, p, BR_PKT_UNICAST, false);
    return;
  }
  if (e.dst === null) {
    traceDrop(br, p, 'destination is the bridge itself');
    return;
  }
  e.used = br.ns.net.now;
  if (tr !== null) tr.record(br.ns.name, 'bridge', p.id, `${br.name}: ${formatMac(dst)} is behind ${e.dst.dev.name} (FDB)`);
  forwardFrame(br, null, e.dst, p);
}
