import type { Packet } from '../packet/packet.js';
import type { NetNamespace } from './namespace.js';
import type { IfAddr } from './address.js';
import { InetConf } from './sysctl.js';

/** What kind of device it is, as `ip -d link` names it. */
export type DeviceKind = 'loopback' | 'veth' | 'dummy' | 'bridge' | 'vxlan';

/** Which way a frame crossed a device, as a capture on it sees it. */
export type Direction = 'in' | 'out';

/**
 * A frame handler a device's master installs on it (the kernel's rx_handler): a bridge port
 * hands received frames to its bridge instead of the namespace's protocol stack. Returns
 * true when it consumed the frame.
 */
export interface RxHandler {
  handleFrame(port: NetDevice, p: Packet): boolean;
}

/** A network device (struct net_device): a name and index in one namespace, a MAC, an MTU and up/down state. */
export abstract class NetDevice {
  /** Interface addresses in the order `ip addr` lists them (struct in_device's ifa_list). */
  readonly addrs: IfAddr[] = [];
  /** Per-device IPv4 settings (net.ipv4.conf.DEV.*). */
  conf: InetConf;
  adminUp = false;
  /** Bridge this device is a port of, or null. */
  master: NetDevice | null = null;
  rxHandler: RxHandler | null = null;
  /** Transmit queue length shown by `ip link` (qlen). */
  txqueuelen = 1000;
  /** Interface statistics (as `ip -s link` counts them). */
  rxPackets = 0;
  txPackets = 0;
  rxBytes = 0;
  txBytes = 0;
  rxDropped = 0;
  txDropped = 0;

  constructor(
    public ns: NetNamespace,
    public ifindex: number,
    public name: string,
    readonly kind: DeviceKind,
    public mac: number,
    public mtu: number,
  ) {
    this.conf = ns.confDefault.clone();
  }

  /** Whether the device resolves neighbours with ARP (loopback and dummy do not: IFF_NOARP / no link layer). */
  get usesArp(): boolean {
    return true;
  }

  /** Whether the lower layer is up (IFF_LOWER_UP / carrier). */
  abstract hasCarrier(): boolean;

  /** Whether the device can pass frames: administratively up and with carrier. */
  get running(): boolean {
    return this.adminUp && this.hasCarrier();
  }

  /** `state` as `ip link` prints it (the RFC 2863 operstate). */
  operState(): string {
    if (!this.adminUp) return 'DOWN';
    return this.hasCarrier() ? 'UP' : 'LOWERLAYERDOWN';
  }

  /**
   * Puts a frame on this device's wire (ndo_start_xmit). The capture on this device sees it
   * leave; where it goes next is the device's business.
   */
  abstract transmit(p: Packet): void;

  /** A frame arrives on this device (netif_receive_skb): captured, offered to the master, then to the stack. */
  receive(p: Packet): void {
    if (!this.adminUp) {
      this.rxDropped++;
      return;
    }
    this.rxPackets++;
    this.rxBytes += p.frameLength();
    const net = this.ns.net;
    if (net.tap !== null) net.tap.frame(this, 'in', p);
    if (this.rxHandler !== null && this.rxHandler.handleFrame(this, p)) return;
    this.ns.netifReceive(this, p);
  }

  /** Counts and captures a frame leaving; returns false (and counts a drop) when the device cannot send. */
  protected beginTransmit(p: Packet): boolean {
    if (!this.running) {
      this.txDropped++;
      return false;
    }
    this.txPackets++;
    this.txBytes += p.frameLength();
    const net = this.ns.net;
    if (net.tap !== null) net.tap.frame(this, 'out', p);
    return true;
  }
}

/** The loopback device `lo`: what it sends, it receives. */
export class LoopbackDevice extends NetDevice {
  constructor(ns: NetNamespace) {
    super(ns, 1, 'lo', 'loopback', 0, 65536);
  }

  override get usesArp(): boolean {
    return false;
  }

  hasCarrier(): boolean {
    return true;
  }

  override operState(): string {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  transmit(p: Packet): void {
    if (!this.beginTransmit(p)) return;
    this.ns.net.scheduler.enqueue(this, p);
  }
}

/** A dummy device: holds addresses and routes; frames sent to it vanish (drivers/net/dummy.c). */
export class DummyDevice extends NetDevice {
  override get usesArp(): boolean {
    return false;
  }

  hasCarrier(): boolean {
    return true;
  }

  override operState(): string {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  transmit(p: Packet): void {
    this.beginTransmit(p);
  }
}

/** One end of a veth pair: what one end sends, the other receives, in whichever namespace it is. */
export class VethDevice extends NetDevice {
  peer!: VethDevice;

  hasCarrier(): boolean {
    return this.peer.adminUp;
  }

  transmit(p: Packet): void {
    if (!this.beginTransmit(p)) return;
    // skb_scrub_packet runs for every veth transmit: the bridge netfilter info (an skb extension) goes.
    p.physIn = null;
    p.physOut = null;
    // Crossing into another namespace scrubs the skb (skb_scrub_packet): mark and netfilter state stay behind.
    if (this.peer.ns !== this.ns) {
      p.mark = 0;
      p.nfBridgePrerouted = false;
    }
    this.ns.net.scheduler.enqueue(this.peer, p);
  }
}
