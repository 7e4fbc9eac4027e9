import { ETH_P_IP, ICMP_ECHO, IPPROTO_ICMP, Packet } from '../packet/packet.js';
import type { IcmpEchoListener } from '../netns/icmp.js';
import type { NetNamespace } from '../netns/namespace.js';
import { TCP_SYN_SENT, type TcpAcceptor, type TcpHandler, type TcpSocket } from '../netns/tcp.js';
import type { UdpHandler, UdpSocket } from '../netns/udp.js';
import { strerror } from '../netns/ipv4.js';
import { formatIPv4 } from '../packet/address.js';
import type { Scheduler } from '../sim/scheduler.js';
import { SEC } from '../sim/time.js';
import { CallbackTimer } from '../sim/timer.js';

/**
 * The applications behind the harness commands (../shared/CAPTURE.md): `listen`'s echo
 * servers (socat … EXEC:cat) and `probe`'s clients (socat, ping). Each reports what it saw
 * through `note`, which the runner turns into trace lines.
 */
export type Note = (text: string) => void;

/** The datagram a UDP probe sends: 6 bytes, as the kernel harness's `printf 'hello\n'`. */
export const UDP_PROBE_PAYLOAD = new TextEncoder().encode('hello\n');

/** ping's 56 data bytes: an 8-byte timestamp then 0x08, 0x09, … as iputils fills them. */
function pingPayload(now: number): Uint8Array {
  const data = new Uint8Array(56);
  const sec = Math.floor(now / 1e9);
  const usec = Math.floor((now % 1e9) / 1e3);
  new DataView(data.buffer).setUint32(0, sec, true);
  new DataView(data.buffer).setUint32(8, usec, true);
  for (let i = 16; i < 56; i++) data[i] = i;
  return data;
}

/** UDP echo (socat UDP4-RECVFROM:PORT,fork EXEC:cat): every datagram goes back to its sender from the same socket. */
export class UdpEcho implements UdpHandler {
  constructor(private readonly note: Note) {}

  datagram(sock: UdpSocket, p: Packet): void {
    this.note(`echoing a datagram from ${formatIPv4(p.ipSrc)}:${p.sport} to ${formatIPv4(p.ipDst)}:${p.dport}`);
    const err = sock.sendTo(p.ipSrc, p.sport, p.payload ?? new Uint8Array(0));
    if (err !== 0) this.note(`echo reply failed: ${strerror(err)}`);
  }

  error(): void {}
}

/** How long the kernel harness's TCP echo server waits after the peer's FIN before closing its side. */
export const TCP_ECHO_CLOSE_DELAY = 1 * SEC;

/**
 * TCP echo (the kernel harness's socat TCP4-LISTEN server): echoes data, and closes its side
 * one second after the peer closed (a fixed delay keeps the kernel's capture deterministic).
 */
export class TcpEcho implements TcpAcceptor, TcpHandler {
  constructor(
    private readonly note: Note,
    private readonly scheduler: Scheduler<Packet>,
  ) {}

  accept(sock: TcpSocket): TcpHandler {
    this.note(`accepted a connection from ${formatIPv4(sock.remoteAddr)}:${sock.remotePort} on ${formatIPv4(sock.localAddr)}:${sock.localPort}`);
    return this;
  }

  established(): void {}

  data(sock: TcpSocket, payload: Uint8Array): void {
    sock.send(payload);
  }

  peerClosed(sock: TcpSocket): void {
    this.scheduler.arm(new CallbackTimer(false, () => sock.close()), TCP_ECHO_CLOSE_DELAY);
  }

  failed(_sock: TcpSocket, errno: number): void {
    this.note(`echo connection failed: ${strerror(errno)}`);
  }
}

/** A probe's client: sends its packet, notes what came back, and is closed when the probe block ends. */
export interface ProbeClient {
  close(): void;
}

/** `probe NS udp SRC:SPORT DST:DPORT`: one datagram; the socket stays open for the echo. */
export class UdpProbe implements UdpHandler, ProbeClient {
  private sock: UdpSocket | null = null;

  constructor(private readonly note: Note) {}

  start(ns: NetNamespace, src: number, sport: number, dst: number, dport: number): string | null {
    const s = ns.udp.bind(src, sport, this);
    if (typeof s === 'string') return `bind: ${s}`;
    this.sock = s;
    const err = s.sendTo(dst, dport, UDP_PROBE_PAYLOAD);
    if (err !== 0) this.note(`sendto: ${strerror(err)}`);
    return null;
  }

  datagram(_sock: UdpSocket, p: Packet): void {
    this.note(`probe got ${p.payloadLength} bytes back`);
  }

  error(_sock: UdpSocket, icmp: Packet): void {
    this.note(`probe socket got ICMP type ${icmp.icmpType} code ${icmp.icmpCode}`);
  }

  close(): void {
    this.sock?.close();
  }
}

/** `probe NS tcp SRC:SPORT DST:DPORT`: connect, then close at once (socat -u /dev/null TCP4:…). */
export class TcpProbe implements TcpHandler, ProbeClient {
  private sock: TcpSocket | null = null;

  constructor(private readonly note: Note) {}

  start(ns: NetNamespace, src: number, sport: number, dst: number, dport: number): string | null {
    if (ns.addressOwner(src) === null) return 'bind: Cannot assign requested address';
    const s = ns.tcp.connect(src, sport, dst, dport, this);
    if (typeof s === 'number') {
      this.note(`connect: ${strerror(s)}`);
      return null;
    }
    this.sock = s;
    return null;
  }

  established(sock: TcpSocket): void {
    this.note('connected');
    sock.close();
  }

  data(): void {}

  peerClosed(): void {}

  failed(_sock: TcpSocket, errno: number): void {
    this.note(`connect: ${strerror(errno)}`);
    this.sock = null;
  }

  close(): void {
    // socat is killed at the end of the block: a socket still connecting just goes away.
    if (this.sock !== null && this.sock.state === TCP_SYN_SENT) this.sock.tcp.abort(this.sock);
  }
}

/** `probe NS icmp SRC DST`: one echo request with TTL 64 (ping -c1 -I SRC DST). */
export class PingProbe implements IcmpEchoListener, ProbeClient {
  readonly echoId: number;
  private ns: NetNamespace | null = null;

  constructor(
    private readonly note: Note,
    echoId: number,
  ) {
    this.echoId = echoId;
  }

  start(ns: NetNamespace, src: number, dst: number): string | null {
    if (ns.addressOwner(src) === null) return 'ping: bind: Cannot assign requested address';
    this.ns = ns;
    ns.icmp.listen(this);
    const p = new Packet();
    p.ethType = ETH_P_IP;
    p.ipProto = IPPROTO_ICMP;
    p.ipSrc = src;
    p.ipDst = dst;
    p.ipTtl = 64;
    p.ipDf = true;
    p.ipId = ns.net.random.int(0, 0xffff);
    p.icmpType = ICMP_ECHO;
    p.icmpId = this.echoId;
    p.icmpSeq = 1;
    p.payload = pingPayload(ns.net.now);
    const err = ns.ip.output(p);
    if (err !== 0) this.note(`ping: sendmsg: ${strerror(err)}`);
    return null;
  }

  echoReply(): void {
    this.note('ping: echo reply received');
  }

  echoError(icmp: Packet): void {
    this.note(`ping: ICMP type ${icmp.icmpType} code ${icmp.icmpCode} received`);
  }

  close(): void {
    this.ns?.icmp.unlisten(this);
  }
}
