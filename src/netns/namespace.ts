import { ETH_P_ARP, ETH_P_IP, type Packet } from '../packet/packet.js';
import { IfAddr } from './address.js';
import { DummyDevice, LoopbackDevice, VethDevice, type NetDevice } from './device.js';
import { Fib } from './fib.js';
import { Icmp } from './icmp.js';
import { InetPeers } from './inet-peer.js';
import { Ipv4 } from './ipv4.js';
import { NeighbourTable } from './neighbour.js';
import { NetfilterHooks } from './netfilter.js';
import type { Network } from './network.js';
import { InetConf, Ipv4Sysctls, NeighParms } from './sysctl.js';
import { Tcp } from './tcp.js';
import { Udp } from './udp.js';
import { RT_SCOPE_HOST } from './route-table.js';

/** Why a device or address operation failed, with the message the real tool prints. */
export class NetlinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetlinkError';
  }
}

/** A network namespace: its devices, addresses, routing tables, neighbours, sockets, sysctls and netfilter hooks. */
export class NetNamespace {
  readonly devices = new Map<string, NetDevice>();
  private readonly byIndex = new Map<number, NetDevice>();
  private lastIfindex = 0;
  readonly lo: LoopbackDevice;

  readonly confAll = new InetConf();
  readonly confDefault = new InetConf();
  readonly neighDefault = new NeighParms();
  readonly ipv4Sysctls = new Ipv4Sysctls();

  readonly hooks = new NetfilterHooks();
  /** Per-remote-address rate-limit state (inet_peer). */
  readonly peers = new InetPeers();
  readonly fib: Fib;
  readonly neigh: NeighbourTable;
  readonly ip: Ipv4;
  readonly icmp: Icmp;
  readonly udp: Udp;
  readonly tcp: Tcp;

  constructor(
    readonly net: Network,
    readonly name: string,
  ) {
    this.fib = new Fib(this);
    this.neigh = new NeighbourTable(this);
    this.ip = new Ipv4(this);
    this.icmp = new Icmp(this);
    this.udp = new Udp(this);
    this.tcp = new Tcp(this);
    this.lo = new LoopbackDevice(this);
    this.attach(this.lo, 1);
  }

  // ---- devices ----------------------------------------------------------------------

  device(name: string): NetDevice | undefined {
    return this.devices.get(name);
  }

  deviceByIndex(ifindex: number): NetDevice | undefined {
    return this.byIndex.get(ifindex);
  }

  /** Devices in ifindex order, as `ip link` lists them. */
  deviceList(): NetDevice[] {
    return [...this.byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  }

  /** The next free ifindex of this namespace (dev_index_reserve). */
  private allocIfindex(): number {
    do this.lastIfindex++;
    while (this.byIndex.has(this.lastIfindex));
    return this.lastIfindex;
  }

  private attach(dev: NetDevice, ifindex: number): void {
    dev.ns = this;
    dev.ifindex = ifindex;
    if (ifindex > this.lastIfindex) this.lastIfindex = ifindex;
    this.devices.set(dev.name, dev);
    this.byIndex.set(ifindex, dev);
  }

  private checkNewName(name: string): void {
    if (name.length === 0 || name.length > 15 || /[\s/:]/.test(name) || name === '.' || name === '..')
      throw new NetlinkError(`Error: argument "${name}" is wrong: "name" not a valid ifname`);
    if (this.devices.has(name)) throw new NetlinkError('RTNETLINK answers: File exists');
  }

  /** `ip link add NAME type veth peer name PEER [netns PEERNS]`: the peer is registered first, as veth_newlink does. */
  addVethPair(name: string, peerName: string, peerNs: NetNamespace = this, mac?: number, peerMac?: number): [VethDevice, VethDevice] {
    this.checkNewName(name);
    peerNs.checkNewName(peerName);
    if (peerNs === this && name === peerName) throw new NetlinkError('RTNETLINK answers: File exists');
    const peer = new VethDevice(peerNs, 0, peerName, 'veth', peerMac ?? this.net.randomMac(), 1500);
    peerNs.attach(peer, peerNs.allocIfindex());
    const dev = new VethDevice(this, 0, name, 'veth', mac ?? this.net.randomMac(), 1500);
    this.attach(dev, this.allocIfindex());
    dev.peer = peer;
    peer.peer = dev;
    return [dev, peer];
  }

  /** `ip link add NAME type dummy`. */
  addDummy(name: string, mac?: number): DummyDevice {
    this.checkNewName(name);
    const dev = new DummyDevice(this, 0, name, 'dummy', mac ?? this.net.randomMac(), 1500);
    this.attach(dev, this.allocIfindex());
    return dev;
  }

  /** Registers a device built by a higher layer (bridge, vxlan). */
  addDevice(make: (ifindex: number) => NetDevice): NetDevice {
    const dev = make(this.allocIfindex());
    this.checkNewName(dev.name);
    this.attach(dev, dev.ifindex);
    return dev;
  }

  /** `ip link del NAME`: a veth takes its peer with it. */
  deleteDevice(dev: NetDevice): void {
    if (dev === this.lo) throw new NetlinkError('RTNETLINK answers: Operation not supported');
    this.detach(dev);
    if (dev instanceof VethDevice) dev.peer.ns.detach(dev.peer);
  }

  private detach(dev: NetDevice): void {
    this.setDown(dev);
    while (dev.addrs.length > 0) this.removeAddress(dev.addrs[dev.addrs.length - 1]!);
    this.fib.flushDevice(dev, true);
    this.neigh.flushDevice(dev, true);
    this.devices.delete(dev.name);
    this.byIndex.delete(dev.ifindex);
  }

  /** `ip link set DEV netns NS`: the device is closed, loses its addresses, and keeps its ifindex when free there. */
  moveDevice(dev: NetDevice, target: NetNamespace): void {
    if (target === this) return;
    if (dev === this.lo) throw new NetlinkError('RTNETLINK answers: Invalid argument');
    if (target.devices.has(dev.name)) throw new NetlinkError('RTNETLINK answers: File exists');
    this.detach(dev);
    const ifindex = target.byIndex.has(dev.ifindex) ? target.allocIfindex() : dev.ifindex;
    dev.conf = target.confDefault.clone();
    target.attach(dev, ifindex);
  }

  /** `ip link set DEV name NEW` (this kernel renames devices that are up, too). */
  renameDevice(dev: NetDevice, name: string): void {
    if (dev.name === name) return;
    this.checkNewName(name);
    this.devices.delete(dev.name);
    dev.name = name;
    this.devices.set(name, dev);
  }

  /** `ip link set DEV up`: addresses get their routes back (fib_add_ifaddr on NETDEV_UP). */
  setUp(dev: NetDevice): void {
    if (dev.adminUp) return;
    dev.adminUp = true;
    for (const a of dev.addrs) this.fib.addIfaddrRoutes(a);
  }

  /**
   * `ip link set DEV down`: every route through the device goes but host-scoped ones (IPv4
   * flushes static routes too), and all its neighbour entries, permanent ones included (neigh_ifdown).
   */
  setDown(dev: NetDevice): void {
    if (!dev.adminUp) return;
    dev.adminUp = false;
    this.fib.flushDevice(dev);
    this.neigh.flushDevice(dev, true);
  }

  /**
   * inet_forward_change, run after conf.all.forwarding was written: conf.default and every
   * device follow it, and conf.all.accept_redirects becomes its negation.
   */
  forwardChange(): void {
    const on = this.confAll.forwarding;
    this.confAll.accept_redirects = on === 0 ? 1 : 0;
    this.confDefault.forwarding = on;
    for (const dev of this.deviceList()) dev.conf.forwarding = on;
  }

  /** `sysctl -w net.ipv4.ip_forward=1`. */
  enableForwarding(): void {
    this.confAll.forwarding = 1;
    this.forwardChange();
  }

  /** `ip link set lo up`: inetdev gives loopback 127.0.0.1/8 (scope host) when it first comes up. */
  loopbackUp(): void {
    this.setUp(this.lo);
    if (!this.lo.addrs.some((a) => a.local === 0x7f000001 && a.prefixLen === 8)) this.addAddress(this.lo, 0x7f000001, 8);
  }

  /** `ip link set DEV mtu N`. */
  setMtu(dev: NetDevice, mtu: number): void {
    const max = dev.kind === 'veth' ? 65535 : 0x7fffffff;
    if (mtu < 68 || mtu > max) throw new NetlinkError(`Error: mtu ${mtu < 68 ? 'less than device minimum' : 'greater than device maximum'}.`);
    dev.mtu = mtu;
  }

  // ---- addresses ----------------------------------------------------------------------

  /** `ip addr add LOCAL/LEN [brd B] [scope S] [label L] [noprefixroute] dev D` (__inet_insert_ifa + fib_add_ifaddr). */
  addAddress(dev: NetDevice, local: number, prefixLen: number, opts: { broadcast?: number; scope?: number; label?: string; noprefixroute?: boolean } = {}): IfAddr {
    const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
    let secondary = false;
    for (const a of dev.addrs) {
      if (a.local === local && a.prefixLen === prefixLen) throw new NetlinkError('RTNETLINK answers: File exists');
      if (!a.secondary && a.prefixLen === prefixLen && ((a.local ^ local) & mask) === 0) secondary = true;
    }
    const scope = opts.scope ?? (local >>> 24 === 127 ? RT_SCOPE_HOST : 0);
    const ifa = new IfAddr(dev, local, prefixLen, opts.broadcast ?? 0, scope, opts.label ?? dev.name, secondary, opts.noprefixroute ?? false);
    // Primaries come before secondaries; a new primary goes after the last primary.
    if (secondary) dev.addrs.push(ifa);
    else {
      let i = 0;
      while (i < dev.addrs.length && !dev.addrs[i]!.secondary) i++;
      dev.addrs.splice(i, 0, ifa);
    }
    this.fib.addIfaddrRoutes(ifa);
    return ifa;
  }

  /** `ip addr del`: removes the address, its kernel routes, routes using it as source, and (promote_secondaries off) its secondaries. */
  removeAddress(ifa: IfAddr): void {
    const dev = ifa.dev;
    const i = dev.addrs.indexOf(ifa);
    if (i < 0) return;
    dev.addrs.splice(i, 1);
    if (!ifa.secondary) {
      for (const s of dev.addrs.filter((a) => a.secondary && a.prefixLen === ifa.prefixLen && ifa.contains(a.local))) {
        dev.addrs.splice(dev.addrs.indexOf(s), 1);
        this.fib.removeIfaddrRoutes(s);
      }
    }
    this.fib.removeIfaddrRoutes(ifa);
  }

  /** The device owning local address `addr`, if any (searching every device, as the weak host model does). */
  addressOwner(addr: number): IfAddr | null {
    for (const dev of this.byIndex.values()) for (const a of dev.addrs) if (a.local === addr) return a;
    return null;
  }

  // ---- frames in --------------------------------------------------------------------

  /** A frame came up from a device to the protocol stack (__netif_receive_skb's protocol dispatch). */
  netifReceive(dev: NetDevice, p: Packet): void {
    if (p.ethType === ETH_P_IP) this.ip.receive(dev, p);
    else if (p.ethType === ETH_P_ARP) this.neigh.arpReceive(dev, p);
    else dev.rxDropped++;
  }
}
