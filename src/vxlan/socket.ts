/**
 * The UDP socket VXLAN devices receive on (struct vxlan_sock): one per namespace and UDP
 * port, bound to 0.0.0.0, shared by every VXLAN device of that port and handing each
 * datagram to the device with its VNI. A datagram for a VNI no device has is dropped
 * silently (no ICMP: the port is open).
 */
import type { NetNamespace } from '../netns/namespace.js';
import type { UdpHandler, UdpSocket } from '../netns/udp.js';
import type { Packet } from '../packet/packet.js';
import type { VxlanDevice } from './vxlan.js';

/** The receive socket of one UDP port in one namespace, with its devices by VNI. */
export class VxlanSocket implements UdpHandler {
  readonly byVni = new Map<number, VxlanDevice>();
  /** Datagrams dropped for a VNI no device has, or for not being VXLAN. */
  dropped = 0;
  sock: UdpSocket | null = null;

  constructor(
    readonly ns: NetNamespace,
    readonly port: number,
  ) {}

  /** vxlan_rcv's demultiplexing: the device of the datagram's VNI decapsulates it. */
  datagram(_sock: UdpSocket, p: Packet): void {
    const dev = p.vxlanVni >= 0 && p.inner !== null ? this.byVni.get(p.vxlanVni) : undefined;
    if (dev === undefined) {
      this.dropped++;
      const tr = this.ns.net.tracer;
      if (tr !== null) tr.record(this.ns.name, 'drop', p.id, p.vxlanVni < 0 ? `not VXLAN on UDP port ${this.port}` : `no VXLAN device with VNI ${p.vxlanVni} on UDP port ${this.port}`);
      return;
    }
    dev.decapsulate(p);
  }

  error(): void {}
}

const socketsByNs = new WeakMap<NetNamespace, Map<number, VxlanSocket>>();

/** The VXLAN socket of `port` in `ns`, bound on first use; a string when the port is taken by something else. */
export function vxlanSocket(ns: NetNamespace, port: number): VxlanSocket | string {
  let byPort = socketsByNs.get(ns);
  if (byPort === undefined) {
    byPort = new Map();
    socketsByNs.set(ns, byPort);
  }
  let vs = byPort.get(port);
  if (vs === undefined) {
    vs = new VxlanSocket(ns, port);
    const sock = ns.udp.bind(0, port, vs);
    if (typeof sock === 'string') return sock;
    vs.sock = sock;
    byPort.set(port, vs);
  }
  return vs;
}

/** The VXLAN socket of `port` in `ns` if one is bound. */
export function findVxlanSocket(ns: NetNamespace, port: number): VxlanSocket | undefined {
  return socketsByNs.get(ns)?.get(port);
}

/** Releases a device's VNI; the socket closes with its last device. */
export function releaseVni(vs: VxlanSocket, vni: number, dev: VxlanDevice): void {
  if (vs.byVni.get(vni) === dev) vs.byVni.delete(vni);
  closeIfUnused(vs);
}

/** Closes the socket when no device uses it any more. */
export function closeIfUnused(vs: VxlanSocket): void {
  if (vs.byVni.size > 0) return;
  vs.sock?.close();
  socketsByNs.get(vs.ns)?.delete(vs.port);
}
