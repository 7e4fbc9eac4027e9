/**
 * The VXLAN device (drivers/net/vxlan/vxlan_core.c), as flannel creates it:
 *
 *     ip link add flannel.1 type vxlan id 1 dstport 8472 dev ens3 local 192.168.50.5 nolearning
 *
 * Transmit: the inner frame (its destination MAC already set by the neighbour layer) is
 * looked up in the device's FDB (else the all-zeros entry, else dropped), wrapped in
 * Ethernet/IPv4/UDP/VXLAN (50 bytes) and sent by the namespace's own stack, so the underlay's
 * routing, netfilter and ARP apply. Receive: the namespace's UDP socket on the port hands the
 * datagram to the device of its VNI, which learns the source (when learning is on) and
 * receives the inner frame as its own.
 *
 * Facts from this machine's kernel (6.18; vxlan.test.ts): MTU = the lower device's MTU − 50
 * with `dev` (1500 without; at most lower − 50); `ttl auto` (0) gives ip_default_ttl 64; the
 * outer header has DF clear and TOS 0; `srcport 0 0` uses 32768–60999; learning is on unless
 * `nolearning`; learned entries age after 300 s; the device shows `state UNKNOWN` with carrier.
 */
import { NetDevice } from '../netns/device.js';
import { NetlinkError, type NetNamespace } from '../netns/namespace.js';
import { RTN_LOCAL, RTN_UNICAST } from '../netns/route-table.js';
import { ETH_P_IP, IPPROTO_UDP, Packet, VXLAN_PORT } from '../packet/packet.js';
import { NUD_NOARP, NUD_PERMANENT } from '../netns/neighbour.js';
import { formatIPv4, formatMac } from '../packet/address.js';
import { VxlanFdb, VxlanRemote, VXLAN_DEFAULT_AGEING, type VxlanFdbMode } from './fdb.js';
import { flowHashSeed, innerFlowHash, sourcePort } from './src-port.js';
import { closeIfUnused, findVxlanSocket, releaseVni, vxlanSocket, type VxlanSocket } from './socket.js';
import { vxlanFdbLines } from './print.js';
import type { FdbDumpSource } from '../bridge/print.js';

/** Bytes VXLAN adds in front of the inner frame over IPv4: outer IPv4 (20), UDP (8), VXLAN (8), and the inner Ethernet header (14) counts against the MTU too. */
export const VXLAN_HEADROOM = 50;

/** The largest VNI (24 bits). */
export const VXLAN_VNI_MAX = 0xffffff;

/** What `ip link add NAME type vxlan …` says. */
export interface VxlanOptions {
  /** `id VNI` (required). */
  vni: number;
  /** `dstport PORT`; the kernel's default is 8472 (iproute2 warns when it is not given). */
  dstPort?: number;
  /** `local IP`: the outer source address; 0 lets the route choose. */
  local?: number;
  /** `dev DEV`: the underlay device; sets the default MTU. */
  lower?: NetDevice | null;
  /** `learning` (default) / `nolearning`. */
  learning?: boolean;
  /** `ttl N`; 0 (`ttl auto`) uses the route's hop limit, ip_default_ttl. */
  ttl?: number;
  /** `tos N`; 1 is `tos inherit`. Default 0. */
  tos?: number;
  /** `srcport MIN MAX`; 0 0 (the default) is the namespace's local port range. */
  portMin?: number;
  portMax?: number;
  /** `ageing SECONDS` in ns; default 300 s. */
  ageing?: number;
  /** `address MAC`; random otherwise. */
  mac?: number;
  /** `mtu N`. */
  mtu?: number;
}

/** A VXLAN tunnel endpoint (VTEP) device. */
export class VxlanDevice extends NetDevice implements FdbDumpSource {
  readonly vni: number;
  readonly dstPort: number;
  readonly local: number;
  readonly lower: NetDevice | null;
  learning: boolean;
  readonly ttl: number;
  readonly tos: number;
  readonly portMin: number;
  readonly portMax: number;
  readonly fdb: VxlanFdb;
  /** Largest MTU the device takes: lower MTU − 50 with a lower device, else 65535. */
  readonly maxMtu: number;
  /** Transmit errors: no route, routing loop (tx_errors). */
  txErrors = 0;
  private readonly seed: number;
  private ipIdent: number;
  private socket: VxlanSocket | null = null;

  constructor(ns: NetNamespace, ifindex: number, name: string, o: VxlanOptions) {
    const lower = o.lower ?? null;
    super(ns, ifindex, name, 'vxlan', o.mac ?? ns.net.randomMac(), o.mtu ?? (lower !== null ? lower.mtu - VXLAN_HEADROOM : 1500));
    this.vni = o.vni;
    this.dstPort = o.dstPort ?? VXLAN_PORT;
    this.local = o.local ?? 0;
    this.lower = lower;
    this.learning = o.learning ?? true;
    this.ttl = o.ttl ?? 0;
    this.tos = o.tos ?? 0;
    this.portMin = o.portMin ?? 0;
    this.portMax = o.portMax ?? 0;
    this.maxMtu = lower !== null ? lower.mtu - VXLAN_HEADROOM : 65535;
    this.fdb = new VxlanFdb(ns.net.scheduler, o.ageing ?? VXLAN_DEFAULT_AGEING);
    this.seed = flowHashSeed(ns.net);
    this.ipIdent = ns.net.random.int(0, 0xffff);
  }

  hasCarrier(): boolean {
    return true;
  }

  override operState(): string {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  /** Binds the receive socket (the kernel does it when the device goes up). */
  attachSocket(vs: VxlanSocket): void {
    this.socket = vs;
    vs.byVni.set(this.vni, this);
  }

  // ---- transmit (vxlan_xmit) --------------------------------------------------------

  /** vxlan_xmit: FDB lookup on the inner destination MAC, then one encapsulated copy per remote. */
  transmit(p: Packet): void {
    if (!this.adminUp) {
      this.txDropped++;
      return;
    }
    this.txPackets++;
    this.txBytes += p.frameLength();
    const net = this.ns.net;
    if (net.tap !== null) net.tap.frame(this, 'out', p);
    let f = this.fdb.get(p.ethDst);
    if (f === undefined) f = this.fdb.get(0);
    if (f === undefined || f.remotes.length === 0) {
      this.txDropped++;
      const tr = net.tracer;
      if (tr !== null) tr.record(this.ns.name, 'drop', p.id, `${this.name}: no FDB entry for ${formatMac(p.ethDst)} and no default (00:00:00:00:00:00)`);
      return;
    }
    f.used = net.now;
    const remotes = f.remotes;
    // The first remote gets the frame itself, after copies went to the others.
    for (let i = 1; i < remotes.length; i++) this.xmitOne(p.clone(), remotes[i]!);
    this.xmitOne(p, remotes[0]!);
  }

  /** vxlan_xmit_one: route to the VTEP, then encapsulate and send, or hand to a local VXLAN device. */
  private xmitOne(inner: Packet, rdst: VxlanRemote): void {
    const ns = this.ns;
    const dst = rdst.ip;
    const route = ns.fib.lookup(dst);
    if (route === null || (route.type !== RTN_UNICAST && route.type !== RTN_LOCAL)) {
      this.txError(inner, `no route to VTEP ${formatIPv4(dst)}`);
      return;
    }
    if (route.type === RTN_LOCAL) {
      this.bypass(inner, rdst);
      return;
    }
    if (route.oif === this.ifindex) {
      this.txError(inner, `circular route to ${formatIPv4(dst)}`);
      return;
    }
    const tr = ns.net.tracer;
    if (tr !== null) this.traceEncap(inner, rdst, route.oif);
    const err = ns.ip.output(this.encapsulate(inner, rdst));
    if (err !== 0) this.txError(inner, `underlay output failed (errno ${err})`);
  }

  /** Explains an encapsulation to the tracer, and that the kernel would fragment an outer packet too big for the underlay. */
  private traceEncap(inner: Packet, rdst: VxlanRemote, oif: number): void {
    const tr = this.ns.net.tracer!;
    tr.record(this.ns.name, 'vxlan', inner.id, `${this.name}: to VTEP ${formatIPv4(rdst.ip)} (VNI ${rdst.vni}) for ${formatMac(inner.ethDst)}`);
    const out = this.ns.deviceByIndex(oif);
    const outerLength = inner.frameLength() + VXLAN_HEADROOM - 14;
    if (out !== undefined && outerLength > out.mtu)
      tr.record(this.ns.name, 'vxlan', inner.id, `${this.name}: the ${outerLength}-byte outer packet exceeds ${out.name}'s MTU ${out.mtu}: the kernel fragments it (DF clear), dpsim sends it whole`);
  }

  /** The outer packet: IPv4 (DF clear, TTL from the route, TOS with the inner ECN), UDP from the flow's port, VXLAN with the I flag and VNI. */
  encapsulate(inner: Packet, rdst: VxlanRemote): Packet {
    const o = new Packet();
    o.ethType = ETH_P_IP;
    o.ipProto = IPPROTO_UDP;
    o.ipSrc = this.local;
    o.ipDst = rdst.ip;
    o.ipTtl = this.ttl !== 0 ? this.ttl : this.ns.ipv4Sysctls.ip_default_ttl;
    o.ipTos = this.outerTos(inner);
    o.ipDf = false;
    this.ipIdent = (this.ipIdent + 1) & 0xffff;
    o.ipId = this.ipIdent;
    o.sport = sourcePort(innerFlowHash(inner, this.seed), this.portMin, this.portMax);
    o.dport = rdst.port;
    o.vxlanVni = rdst.vni;
    o.inner = inner;
    o.mark = inner.mark;
    return o;
  }

  /** ip_tunnel_ecn_encap: the configured TOS (or the inner one with `tos inherit`), carrying the inner ECN bits (CE becomes ECT(0)). */
  private outerTos(inner: Packet): number {
    if (inner.ethType !== ETH_P_IP) return this.tos === 1 ? 0 : this.tos;
    const innerTos = inner.ipTos;
    const tos = this.tos === 1 ? innerTos : this.tos;
    const ecn = innerTos & 3;
    return (tos & ~3) | (ecn === 3 ? 2 : ecn);
  }

  /** vxlan_encap_bypass: the VTEP is a local address, so the frame goes straight to the local device of that VNI and port. */
  private bypass(inner: Packet, rdst: VxlanRemote): void {
    const dst = findVxlanSocket(this.ns, rdst.port)?.byVni.get(rdst.vni);
    if (dst === undefined || !dst.adminUp) {
      this.txDropped++;
      return;
    }
    this.ns.net.scheduler.enqueue(dst, inner);
  }

  private txError(p: Packet, why: string): void {
    this.txErrors++;
    const tr = this.ns.net.tracer;
    if (tr !== null) tr.record(this.ns.name, 'drop', p.id, `${this.name}: ${why}`);
  }

  // ---- receive (vxlan_rcv) ------------------------------------------------------------

  /** vxlan_rcv for a datagram of this device's VNI: loop check, learning, ECN, then the inner frame is received here. */
  decapsulate(outer: Packet): void {
    const inner = outer.inner!;
    const tr = this.ns.net.tracer;
    if (!this.adminUp) {
      this.rxDropped++;
      return;
    }
    if (inner.ethSrc === this.mac) {
      this.rxDropped++;
      if (tr !== null) tr.record(this.ns.name, 'drop', outer.id, `${this.name}: inner source is our own MAC (loop)`);
      return;
    }
    if (this.learning && this.fdb.snoop(inner.ethSrc, outer.ipSrc, this.dstPort, this.vni)) {
      this.rxDropped++;
      if (tr !== null) tr.record(this.ns.name, 'drop', outer.id, `${this.name}: ${formatMac(inner.ethSrc)} is a static entry elsewhere than ${formatIPv4(outer.ipSrc)}`);
      return;
    }
    if ((outer.ipTos & 3) === 3 && inner.ethType === ETH_P_IP) {
      // ECN decapsulation (RFC 6040): CE on the outer header marks an ECN-capable inner one, and drops one that is not.
      if ((inner.ipTos & 3) === 0) {
        this.rxDropped++;
        return;
      }
      inner.ipTos |= 3;
    }
    if (tr !== null) tr.record(this.ns.name, 'vxlan', outer.id, `${this.name}: VNI ${outer.vxlanVni} from VTEP ${formatIPv4(outer.ipSrc)}`);
    // The inner frame is the same skb with the outer headers pulled: it has the outer's mark
    // (scrubbed when the datagram crossed into this namespace) and no bridge netfilter state.
    inner.mark = outer.mark;
    inner.nfBridgePrerouted = false;
    // gro_cells_receive: the inner frame is received on this device from the backlog.
    this.ns.net.scheduler.enqueue(this, inner);
  }

  // ---- FDB administration ------------------------------------------------------------

  /**
   * `bridge fdb add|append|replace MAC dev DEV dst IP [port P] [vni V] [static]`: returns
   * null, or the line the tool prints when the kernel refuses.
   */
  fdbUpdate(mac: number, dst: number, mode: VxlanFdbMode, opts: { port?: number; vni?: number; ifindex?: number; static?: boolean } = {}): string | null {
    const remote = dst === 0 ? null : new VxlanRemote(dst, opts.port ?? this.dstPort, opts.vni ?? this.vni, opts.ifindex ?? 0);
    return this.fdb.userUpdate(mac, remote, opts.static === true ? NUD_NOARP : NUD_PERMANENT, mode);
  }

  /** `bridge fdb del MAC dev DEV [dst IP]`. */
  fdbDelete(mac: number, dst = 0): string | null {
    return this.fdb.userDelete(mac, dst);
  }

  /** ndo_fdb_dump: this device's entries as `bridge fdb show` prints them (see print.ts). */
  fdbDumpLines(showDev: boolean): string[] {
    return vxlanFdbLines(this, showDev);
  }

  /** `ip link del DEV`: releases the VNI (and the socket with its last device) and removes the device. */
  destroy(): void {
    if (this.socket !== null) releaseVni(this.socket, this.vni, this);
    this.socket = null;
    this.fdb.table.stop();
    this.ns.deleteDevice(this);
  }
}

/**
 * `ip link add NAME type vxlan id VNI [dstport P] [dev DEV] [local IP] [nolearning] …`.
 * Throws NetlinkError with the kernel's message (VNI in use on that port, bad MTU, port taken).
 */
export function addVxlan(ns: NetNamespace, name: string, o: VxlanOptions): VxlanDevice {
  const port = o.dstPort ?? VXLAN_PORT;
  const vs = vxlanSocket(ns, port);
  if (typeof vs === 'string') throw new NetlinkError(`RTNETLINK answers: ${vs}`);
  const other = vs.byVni.get(o.vni);
  if (other !== undefined && other.lower === (o.lower ?? null)) throw new NetlinkError('Error: A VXLAN device with the specified VNI already exists.');
  const max = o.lower ? o.lower.mtu - VXLAN_HEADROOM : 65535;
  if (o.mtu !== undefined && (o.mtu < 68 || o.mtu > max)) throw new NetlinkError('RTNETLINK answers: Invalid argument');
  let dev: VxlanDevice;
  try {
    dev = ns.addDevice((ifindex) => new VxlanDevice(ns, ifindex, name, o)) as VxlanDevice;
  } catch (e) {
    closeIfUnused(vs);
    throw e;
  }
  if (other === undefined) dev.attachSocket(vs);
  return dev;
}
