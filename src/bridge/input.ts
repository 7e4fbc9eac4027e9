/**
 * The bridge's receive path (net/bridge/br_input.c): a frame that came in on a port is
 * learned, passed to br_netfilter's PREROUTING, then forwarded by the FDB, flooded, or
 * passed up to the bridge device's own stack.
 */
import { ETH_P_IP, MAC_BROADCAST, type Packet } from '../packet/packet.js';
import { formatMac } from '../packet/address.js';
import type { BridgeDevice } from './bridge.js';
import type { BridgePort } from './port.js';
import { isMulticastMac } from './fdb.js';
import { floodFrame, forwardFrame, BR_PKT_BROADCAST, BR_PKT_MULTICAST, BR_PKT_UNICAST } from './forward.js';
import { brNfPreRouting } from './br-netfilter.js';

/** br_handle_frame: what a port's rx_handler does with a frame. */
export function bridgeInput(br: BridgeDevice, port: BridgePort, p: Packet): void {
  if (!port.forwarding) {
    traceDrop(br, p, `${port.dev.name} is not forwarding (port disabled)`);
    return;
  }
  const src = p.ethSrc;
  if (src === 0 || isMulticastMac(src)) {
    traceDrop(br, p, `invalid source MAC ${formatMac(src)}`);
    return;
  }
  if (p.ethType === ETH_P_IP && br.nfSysctls().callIptables !== 0) {
    brNfPreRouting(br, port, p);
    return;
  }
  handleFrameFinish(br, port, p);
}

/** br_handle_frame_finish: learning, then the FDB decides (after br_netfilter's PREROUTING). */
export function handleFrameFinish(br: BridgeDevice, port: BridgePort, p: Packet): void {
  if (port.learning) br.fdb.learn(port, p.ethSrc);
  const dst = p.ethDst;
  if (isMulticastMac(dst)) {
    // Broadcast and multicast go to every other port and up to the bridge's own stack.
    floodFrame(br, port, p, dst === MAC_BROADCAST ? BR_PKT_BROADCAST : BR_PKT_MULTICAST, true);
    return;
  }
  const e = br.fdb.get(dst);
  const tr = br.ns.net.tracer;
  if (e === undefined) {
    if (tr !== null) tr.record(br.ns.name, 'bridge', p.id, `${br.name}: ${formatMac(dst)} unknown, flooded`);
    floodFrame(br, port, p, BR_PKT_UNICAST, false);
    return;
  }
  if (e.local) {
    if (tr !== null) tr.record(br.ns.name, 'bridge', p.id, `${br.name}: ${formatMac(dst)} is local, up the stack`);
    passFrameUp(br, p);
    return;
  }
  e.used = br.ns.net.now;
  if (tr !== null) tr.record(br.ns.name, 'bridge', p.id, `${br.name}: ${formatMac(dst)} is behind ${e.dst!.dev.name} (FDB)`);
  forwardFrame(br, port, e.dst!, p);
}

/** br_pass_frame_up: the frame is received on the bridge device, as if it had come in there. */
export function passFrameUp(br: BridgeDevice, p: Packet): void {
  br.receive(p);
}

/** Records why the bridge dropped a frame, when a tracer is attached. */
export function traceDrop(br: BridgeDevice, p: Packet, why: string): void {
  const tr = br.ns.net.tracer;
  if (tr !== null) tr.record(br.ns.name, 'drop', p.id, `bridge ${br.name}: ${why}`);
}
