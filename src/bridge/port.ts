/**
 * A bridge port (struct net_bridge_port): a device enslaved to a bridge, whose received
 * frames go to the bridge instead of the namespace's stack (its rx_handler).
 */
import type { NetDevice, RxHandler } from '../netns/device.js';
import type { Packet } from '../packet/packet.js';
import type { BridgeDevice } from './bridge.js';

/** Port states (BR_STATE_*) with the names `bridge link` prints. STP is off, so only disabled and forwarding occur. */
export const BR_STATE_NAMES = ['disabled', 'listening', 'learning', 'forwarding', 'blocking'] as const;
export const BR_STATE_DISABLED = 0;
export const BR_STATE_FORWARDING = 3;

/** The default port priority (`priority 32` in `bridge link`). */
export const BR_PORT_DEFAULT_PRIORITY = 32;

/** A port of a bridge; its flags are the ones `bridge link set` and `ip link set … type bridge_slave` change. */
export class BridgePort implements RxHandler {
  /** Send frames back out the port they came in on (BR_HAIRPIN_MODE); off by default. */
  hairpin = false;
  /** Learn source MACs seen on this port (BR_LEARNING); on by default. */
  learning = true;
  /** Flood unknown unicast to this port (BR_FLOOD). */
  flood = true;
  /** Flood broadcast to this port (BR_BCAST_FLOOD). */
  bcastFlood = true;
  /** Flood unknown multicast to this port (BR_MCAST_FLOOD). */
  mcastFlood = true;
  priority = BR_PORT_DEFAULT_PRIORITY;
  /** The MAC the port's local FDB entry was made for (the device's MAC when last looked at). */
  localMac: number;

  constructor(
    readonly bridge: BridgeDevice,
    readonly dev: NetDevice,
    /** The port number (port_no): the lowest free one from 1 when it joined. */
    readonly portNo: number,
  ) {
    this.localMac = dev.mac;
  }

  /**
   * Whether the port forwards: with STP off a port is forwarding while the bridge is up and
   * the port device is up with carrier, disabled otherwise (br_stp_enable_port / disable).
   */
  get forwarding(): boolean {
    const dev = this.dev;
    return this.bridge.adminUp && dev.adminUp && dev.ns === this.bridge.ns && dev.hasCarrier();
  }

  /** The STP state (BR_STATE_*). */
  get state(): number {
    return this.forwarding ? BR_STATE_FORWARDING : BR_STATE_DISABLED;
  }

  /** The path cost from the link speed (port_cost): 2 for a veth's 10 Gb/s, 100 for a device without a speed. */
  get cost(): number {
    return this.dev.kind === 'veth' ? 2 : 100;
  }

  /** The port device's rx_handler (br_handle_frame): the bridge takes every frame. */
  handleFrame(_dev: NetDevice, p: Packet): boolean {
    this.bridge.input(this, p);
    return true;
  }
}
