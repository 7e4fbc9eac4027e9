import { ETH_P_IP, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, IPPROTO_UDP, Packet } from '../packet/packet.js';
import type { NetDevice } from './device.js';
import type { NetNamespace } from './namespace.js';

/** What a UDP socket's owner is told. */
export interface UdpHandler {
  datagram(sock: UdpSocket, p: Packet): void;
  /** An ICMP error about one of its datagrams (IP_RECVERR-less sockets see it as an errno on the next call). */
  error(sock: UdpSocket, icmp: Packet): void;
}

/** A UDP socket bound to an address (0 = any) and port. */
export class UdpSocket {
  closed = false;
  constructor(
    readonly udp: Udp,
    readonly localAddr: number,
    readonly localPort: number,
    readonly handler: UdpHandler,
  ) {}

  /** sendto(): returns 0 or the errno the call fails with. */
  sendTo(dst: number, dport: number, payload: Uint8Array): number {
    return this.udp.send(this, dst, dport, payload);
  }

  close(): void {
    this.udp.close(this);
  }
}

/** UDP of a namespace: the socket table, demultiplexing, and port unreachable for datagrams nobody wants. */
export class Udp {
  private readonly byPort = new Map<number, UdpSocket[]>();
  private nextEphemeral = 32768;

  constructor(private readonly ns: NetNamespace) {}

  /** bind(): null when the address/port is taken (EADDRINUSE) or not local (EADDRNOTAVAIL). */
  bind(addr: number, port: number, handler: UdpHandler): UdpSocket | string {
    if (addr !== 0 && this.ns.addressOwner(addr) === null) return 'Cannot assign requested address';
    if (port === 0) port = this.ephemeralPort();
    const list = this.byPort.get(port) ?? [];
    for (const s of list) if (s.localAddr === 0 || addr === 0 || s.localAddr === addr) return 'Address already in use';
    const sock = new UdpSocket(this, addr, port, handler);
    list.push(sock);
    this.byPort.set(port, list);
    return sock;
  }

  private ephemeralPort(): number {
    // ip_local_port_range 32768–60999, chosen at random as the kernel does.
    for (let i = 0; i < 28232; i++) {
      const port = this.ns.net.random.int(32768, 60999);
      if (!this.byPort.has(port)) return port;
    }
    return this.nextEphemeral++;
  }

  close(sock: UdpSocket): void {
    sock.closed = true;
    const list = this.byPort.get(sock.localPort);
    if (list === undefined) return;
    const i = list.indexOf(sock);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byPort.delete(sock.localPort);
  }

  private lookup(addr: number, port: number): UdpSocket | null {
    const list = this.byPort.get(port);
    if (list === undefined) return null;
    let wildcard: UdpSocket | null = null;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (s.localAddr === addr) return s;
      if (s.localAddr === 0) wildcard = s;
    }
    return wildcard;
  }

  send(sock: UdpSocket, dst: number, dport: number, payload: Uint8Array): number {
    const p = new Packet();
    p.ethType = ETH_P_IP;
    p.ipProto = IPPROTO_UDP;
    p.ipSrc = sock.localAddr;
    p.ipDst = dst;
    p.ipTtl = this.ns.ipv4Sysctls.ip_default_ttl;
    p.ipDf = this.ns.ipv4Sysctls.ip_no_pmtu_disc === 0;
    p.ipId = this.ns.net.random.int(0, 0xffff);
    p.sport = sock.localPort;
    p.dport = dport;
    p.payload = payload;
    return this.ns.ip.output(p);
  }

  /** udp_rcv: to the bound socket, else ICMP port unreachable (never for broadcasts). */
  receive(dev: NetDevice, p: Packet, broadcast: boolean): void {
    const sock = this.lookup(p.ipDst, p.dport);
    if (sock !== null) {
      sock.handler.datagram(sock, p);
      return;
    }
    const tr = this.ns.net.tracer;
    if (tr !== null) tr.record(this.ns.name, 'drop', p.id, `no UDP socket on port ${p.dport}`);
    if (!broadcast) this.ns.icmp.sendError(p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, dev, true);
  }

  /** An ICMP error quoting one of our datagrams: tell the socket that sent it. */
  icmpError(icmp: Packet): void {
    const inner = icmp.inner!;
    const sock = this.lookup(inner.ipSrc, inner.sport);
    if (sock !== null) sock.handler.error(sock, icmp);
  }
}
