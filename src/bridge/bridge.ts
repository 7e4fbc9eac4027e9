/**
 * The bridge device (net/bridge/br_device.c, br_if.c): its ports, its FDB, the MAC it picks,
 * its carrier and MTU, and its own transmit path (br_dev_xmit). STP is off.
 *
 * Facts from this machine's kernel (6.18; experiments recorded in bridge.test.ts):
 * - Created without an address, a bridge has a random MAC (addr_assign_type 1) but a zero
 *   bridge id; its first port makes it take the lowest port MAC, and every port change
 *   recomputes it: the lowest MAC of the ports left, 00:00:00:00:00:00 when none is left.
 * - An address set by the user (`ip link add br0 address X type bridge`, `ip link set br0
 *   address X`; addr_assign_type 3) is kept whatever ports come and go.
 * - Carrier: a bridge has carrier until its bridge id first changes (it shows `state
 *   UNKNOWN`); from then on it has carrier exactly while one of its ports is up with carrier
 *   (`NO-CARRIER … state DOWN` otherwise). So a bridge created with an address has none until
 *   a live port joins.
 * - The MTU follows the smallest port MTU (1500 without ports) until the user sets one.
 */
import { NetlinkError, type NetNamespace } from '../netns/namespace.js';
import { NetDevice } from '../netns/device.js';
import type { Packet } from '../packet/packet.js';
import { BridgeFdb } from './fdb.js';
import { BridgePort } from './port.js';
import { bridgeNfSysctls, finishBridgedDnat, type BridgedDnatFrame, type BridgeNfSysctls } from './br-netfilter.js';
import { bridgeInput } from './input.js';
import { bridgeXmit } from './forward.js';

/** The bridge priority of the bridge id (`8000.` in `brctl show`). */
export const BR_DEFAULT_PRIORITY = 0x8000;

/** Most ports a bridge takes (BR_MAX_PORTS). */
export const BR_MAX_PORTS = 1024;

/** A Linux bridge (`ip link add NAME type bridge`). */
export class BridgeDevice extends NetDevice {
  /** The ports in the kernel's port_list order: the newest first (br_add_if adds at the head). */
  readonly ports: BridgePort[] = [];
  readonly fdb: BridgeFdb;
  /** The MAC part of the bridge id; zero until the first port or an address set by the user. */
  bridgeIdMac = 0;
  /** The user chose the MAC (NET_ADDR_SET): ports no longer change it. */
  addrSetByUser = false;
  /** The user chose the MTU (BROPT_MTU_SET_BY_USER): ports no longer change it. */
  mtuSetByUser = false;
  /** Whether carrier has been computed from the ports yet (br_port_state_selection ran). */
  private carrierFromPorts = false;
  /** The MAC and MTU this code last gave the device, to notice when someone else set them. */
  private knownMac: number;
  private autoMtu = 1500;
  /** Frames a br_netfilter DNAT sent through the neighbour layer, with the port they came in on (bridged_dnat). */
  readonly bridgedDnat = new Map<Packet, BridgedDnatFrame>();
  private nfNs: NetNamespace | null = null;
  private nf: BridgeNfSysctls | null = null;

  constructor(ns: NetNamespace, ifindex: number, name: string, mac?: number) {
    super(ns, ifindex, name, 'bridge', mac ?? ns.net.randomMac(), 1500);
    this.knownMac = this.mac;
    this.fdb = new BridgeFdb(ns.net.scheduler);
    this.fdb.addLocal(null, this.mac);
    if (mac !== undefined) {
      // br_dev_newlink with IFLA_ADDRESS: br_stp_change_bridge_id, which also selects port states.
      this.addrSetByUser = true;
      this.bridgeIdMac = mac;
      this.carrierFromPorts = true;
    }
  }

  /** Carrier: on until computed from the ports, then on while a port is up with carrier. */
  hasCarrier(): boolean {
    if (!this.carrierFromPorts) return true;
    for (let i = 0; i < this.ports.length; i++) {
      const d = this.ports[i]!.dev;
      if (d.adminUp && d.hasCarrier()) return true;
    }
    return false;
  }

  override operState(): string {
    if (!this.adminUp) return 'DOWN';
    if (!this.carrierFromPorts) return 'UNKNOWN';
    return this.hasCarrier() ? 'UP' : 'DOWN';
  }

  /** The net.bridge.* settings of the bridge's namespace. */
  nfSysctls(): BridgeNfSysctls {
    if (this.nfNs !== this.ns || this.nf === null) {
      this.nfNs = this.ns;
      this.nf = bridgeNfSysctls(this.ns);
    }
    return this.nf;
  }

  /** The port whose device is `dev`, or null. */
  portOf(dev: NetDevice): BridgePort | null {
    for (const p of this.ports) if (p.dev === dev) return p;
    return null;
  }

  /** A frame arrived on one of the ports (br_handle_frame). */
  input(port: BridgePort, p: Packet): void {
    if (port.dev.ns !== this.ns) {
      // The device left the namespace without telling its master: it is no port any more.
      this.release(port.dev);
      port.dev.ns.netifReceive(port.dev, p);
      return;
    }
    bridgeInput(this, port, p);
  }

  /** A frame from the bridge's own stack (br_dev_xmit): FDB lookup, then out a port or flooded. */
  transmit(p: Packet): void {
    if (!this.adminUp) {
      this.txDropped++;
      return;
    }
    this.txPackets++;
    this.txBytes += p.frameLength();
    const net = this.ns.net;
    if (net.tap !== null) net.tap.frame(this, 'out', p);
    if (this.bridgedDnat.size > 0) {
      const frame = this.bridgedDnat.get(p);
      if (frame !== undefined) {
        this.bridgedDnat.delete(p);
        finishBridgedDnat(this, frame, p);
        return;
      }
    }
    bridgeXmit(this, p);
  }

  // ---- ports (br_add_if, br_del_if) ----------------------------------------------------

  /** `ip link set DEV master BRIDGE`: DEV becomes a port (leaving its old bridge first). Throws NetlinkError as the kernel refuses. */
  enslave(dev: NetDevice): BridgePort {
    if (dev.kind === 'bridge') throw new NetlinkError('Error: Can not enslave a bridge to a bridge.');
    if (dev.kind === 'loopback' || dev.ns !== this.ns || dev.mac === 0) throw new NetlinkError('RTNETLINK answers: Invalid argument');
    const existing = this.portOf(dev);
    if (existing !== null) return existing;
    if (dev.master instanceof BridgeDevice) dev.master.release(dev);
    if (dev.rxHandler !== null || dev.master !== null) throw new NetlinkError('RTNETLINK answers: Device or resource busy');
    if (this.ports.length >= BR_MAX_PORTS) throw new NetlinkError('RTNETLINK answers: Exchange full');
    this.syncSettings();
    const port = new BridgePort(this, dev, this.freePortNo());
    this.ports.unshift(port);
    dev.master = this;
    dev.rxHandler = port;
    this.fdb.addLocal(port, dev.mac);
    this.portsChanged();
    return port;
  }

  /** `ip link set DEV nomaster`: DEV stops being a port; its FDB entries go. Nothing happens if it is not one. */
  release(dev: NetDevice): void {
    const port = this.portOf(dev);
    if (port === null) return;
    this.syncExternal();
    this.ports.splice(this.ports.indexOf(port), 1);
    if (dev.master === this) dev.master = null;
    if (dev.rxHandler === port) dev.rxHandler = null;
    this.fdb.deleteByPort(port, this.ports, this.mac);
    for (const [pkt, frame] of this.bridgedDnat) if (frame.port === port) this.bridgedDnat.delete(pkt);
    this.portsChanged();
  }

  /** Port numbers in use are skipped; the lowest free one from 1 (find_portno). */
  private freePortNo(): number {
    const used = new Set(this.ports.map((p) => p.portNo));
    let n = 1;
    while (used.has(n)) n++;
    return n;
  }

  private portsChanged(): void {
    this.recalculateBridgeId();
    this.carrierFromPorts = true;
    this.adjustMtu();
  }

  /** br_stp_recalculate_bridge_id: the lowest port MAC (zero without ports), unless the user set one. */
  private recalculateBridgeId(): void {
    if (this.addrSetByUser) return;
    let lowest = 0;
    for (const p of this.ports) if (lowest === 0 || p.dev.mac < lowest) lowest = p.dev.mac;
    if (lowest !== this.bridgeIdMac) this.changeBridgeId(lowest);
  }

  /** br_stp_change_bridge_id: new bridge id and device MAC, the FDB follows, port states are reselected. */
  private changeBridgeId(mac: number): void {
    this.fdb.changeBridgeMac(this.mac, mac);
    this.bridgeIdMac = mac;
    this.mac = mac;
    this.knownMac = mac;
    this.carrierFromPorts = true;
  }

  /** br_mtu_auto_adjust: the smallest port MTU, 1500 without ports, unless the user set the MTU. */
  private adjustMtu(): void {
    if (this.mtuSetByUser) return;
    let mtu = 0;
    for (const p of this.ports) if (mtu === 0 || p.dev.mtu < mtu) mtu = p.dev.mtu;
    this.mtu = mtu === 0 ? 1500 : mtu;
    this.autoMtu = this.mtu;
  }

  // ---- settings a user changes ----------------------------------------------------------

  /** `ip link set BRIDGE address MAC` (br_set_mac_address): kept from now on whatever the ports. */
  setAddress(mac: number): void {
    if (mac === 0 || ((mac / 0x100_0000_0000) & 1) === 1) throw new NetlinkError('RTNETLINK answers: Cannot assign requested address');
    this.syncSettings();
    this.addrSetByUser = true;
    if (mac !== this.mac || mac !== this.bridgeIdMac) this.changeBridgeId(mac);
  }

  /** `ip link set BRIDGE mtu N` (br_change_mtu): kept from now on whatever the ports. */
  setMtu(mtu: number): void {
    this.mtu = mtu;
    this.mtuSetByUser = true;
  }

  /** `ip link set BRIDGE type bridge ageing_time CS`, in ns here (the tool takes centiseconds). */
  setAgeingTime(ns: number): void {
    this.fdb.table.setAgeingTime(ns);
  }

  /** The FDB's ageing time (ns). */
  get ageingTime(): number {
    return this.fdb.table.ageingTime;
  }

  /**
   * Takes in what was changed behind the bridge's back (the generic `ip link set … address|mtu`
   * writes the device fields directly): a MAC or MTU it did not set is the user's choice.
   */
  syncSettings(): void {
    // A port deleted or moved away without telling its master stops being a port (br_del_if on NETDEV_UNREGISTER).
    for (const p of [...this.ports]) if (p.dev.ns !== this.ns || this.ns.deviceByIndex(p.dev.ifindex) !== p.dev) this.release(p.dev);
    this.syncExternal();
  }

  /** The part of syncSettings that looks at the bridge's and its ports' own fields. */
  private syncExternal(): void {
    if (this.mac !== this.knownMac) {
      const mac = this.mac;
      this.mac = this.knownMac;
      this.addrSetByUser = true;
      this.changeBridgeId(mac);
    }
    if (this.mtu !== this.autoMtu) this.mtuSetByUser = true;
    // br_fdb_changeaddr: a port whose MAC changed gets its local entry moved, and the bridge id may follow.
    let portMacChanged = false;
    for (const p of this.ports) {
      if (p.dev.mac === p.localMac) continue;
      this.fdb.deleteLocal(p, p.localMac, this.ports, this.mac);
      p.localMac = p.dev.mac;
      this.fdb.addLocal(p, p.localMac);
      portMacChanged = true;
    }
    if (portMacChanged) this.recalculateBridgeId();
  }

  /** `ip link del BRIDGE`: its ports are released and its timers stop (the namespace removes the device). */
  destroy(): void {
    for (const p of [...this.ports]) this.release(p.dev);
    this.fdb.table.stop();
    this.ns.deleteDevice(this);
  }
}

/** `ip link add NAME [address MAC] type bridge`: a new bridge in `ns`. Throws NetlinkError as `ip` reports it. */
export function addBridge(ns: NetNamespace, name: string, mac?: number): BridgeDevice {
  return ns.addDevice((ifindex) => new BridgeDevice(ns, ifindex, name, mac)) as BridgeDevice;
}

/** The bridge `dev` is a port of, or null. */
export function masterBridge(dev: NetDevice): BridgeDevice | null {
  return dev.master instanceof BridgeDevice ? dev.master : null;
}

/** The bridge port that `dev` is, or null. */
export function bridgePortOf(dev: NetDevice): BridgePort | null {
  const br = masterBridge(dev);
  return br === null ? null : br.portOf(dev);
}
