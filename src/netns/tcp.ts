import {
  ETH_P_IP,
  ICMP_DEST_UNREACH,
  ICMP_FRAG_NEEDED,
  IPPROTO_TCP,
  Packet,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
} from '../packet/packet.js';
import { MS, SEC } from '../sim/time.js';
import { Timer } from '../sim/timer.js';
import type { NetDevice } from './device.js';
import type { NetNamespace } from './namespace.js';
import { ECONNREFUSED, EHOSTUNREACH, ENETUNREACH } from './ipv4.js';
import { RTN_LOCAL } from './route-table.js';

/** TCP states, as the kernel numbers them (include/net/tcp_states.h). */
export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_FIN_WAIT1 = 4;
export const TCP_FIN_WAIT2 = 5;
export const TCP_TIME_WAIT = 6;
export const TCP_CLOSE = 7;
export const TCP_CLOSE_WAIT = 8;
export const TCP_LAST_ACK = 9;
export const TCP_LISTEN = 10;
export const TCP_CLOSING = 11;

const TCP_TIMEOUT_INIT = 1 * SEC;
const TCP_RTO_MIN = 200 * MS;
const TCP_RTO_MAX = 120 * SEC;
const TCP_TIMEWAIT_LEN = 60 * SEC;
const TCP_SYN_RETRIES = 6;
const TCP_SYNACK_RETRIES = 5;
const TCP_RETRIES2 = 15;
/** The window scale this kernel offers (tcp_rmem max of 6.x kernels gives 10, as captured). */
const WSCALE = 10;

/** What a TCP socket's owner is told. */
export interface TcpHandler {
  /** The handshake completed (connect returned, or accept would). */
  established(sock: TcpSocket): void;
  data(sock: TcpSocket, payload: Uint8Array): void;
  /** The peer sent FIN (read returns 0). */
  peerClosed(sock: TcpSocket): void;
  /** The connection failed or was reset: the errno a call would return. */
  failed(sock: TcpSocket, errno: number): void;
}

/** What a listening socket's owner is told. */
export interface TcpAcceptor {
  /** A new connection completed its handshake; return the handler for it. */
  accept(sock: TcpSocket): TcpHandler;
}

/** A socket's timers: retransmission (0, loud) and TIME_WAIT expiry (2, quiet). */
class TcpTimer extends Timer {
  constructor(
    private readonly sock: TcpSocket,
    private readonly kind: 0 | 2,
  ) {
    super(kind === 2);
  }

  fire(): void {
    if (this.kind === 0) this.sock.retransmitTimer();
    else this.sock.tcp.destroy(this.sock);
  }
}

/** A TCP socket: one connection's state machine (or a listener), with real sequence numbers, flags and timers. */
export class TcpSocket {
  state = TCP_CLOSE;
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  rcvNxt = 0;
  sndWnd = 0;
  mss = 536;
  tsOffset = 0;
  tsRecent = 0;
  retries = 0;
  rto = TCP_TIMEOUT_INIT;
  /** Bytes sent and not yet acknowledged, for retransmission. */
  unacked: Uint8Array = new Uint8Array(0);
  finQueued = false;
  /** Forward progress was acknowledged: the next transmit confirms the neighbour (sk_dst_confirm). */
  pendingConfirm = false;
  handler: TcpHandler | null = null;
  acceptor: TcpAcceptor | null = null;
  readonly rtoTimer: TcpTimer;
  readonly timewaitTimer: TcpTimer;

  constructor(
    readonly tcp: Tcp,
    public localAddr: number,
    public localPort: number,
    public remoteAddr: number,
    public remotePort: number,
  ) {
    this.rtoTimer = new TcpTimer(this, 0);
    this.timewaitTimer = new TcpTimer(this, 2);
  }

  /** shutdown(SHUT_WR) / close(): queue a FIN after whatever is unsent. */
  close(): void {
    this.tcp.close(this);
  }

  /** send(): returns the bytes queued. */
  send(data: Uint8Array): number {
    return this.tcp.sendData(this, data);
  }

  retransmitTimer(): void {
    this.tcp.retransmit(this);
  }
}

/**
 * The RST answering segment `p` (as tcp_v4_send_reset and netfilter's nf_send_reset build it):
 * from its destination to its source, DF set, IP id 0; sequence = its ACK when it had one,
 * else sequence 0 and ACK = its sequence plus SYN, FIN and data. Null for a RST (never answered).
 */
export function resetFor(p: Packet, ttl: number): Packet | null {
  if (p.tcpFlags & TCP_RST) return null;
  const r = new Packet();
  r.ethType = ETH_P_IP;
  r.ipProto = IPPROTO_TCP;
  r.ipSrc = p.ipDst;
  r.ipDst = p.ipSrc;
  r.ipTtl = ttl;
  r.ipDf = true;
  r.ipId = 0;
  r.sport = p.dport;
  r.dport = p.sport;
  if (p.tcpFlags & TCP_ACK) {
    r.tcpSeq = p.tcpAck;
    r.tcpFlags = TCP_RST;
  } else {
    r.tcpSeq = 0;
    const len = p.payloadLength + (p.tcpFlags & TCP_SYN ? 1 : 0) + (p.tcpFlags & TCP_FIN ? 1 : 0);
    r.tcpAck = (p.tcpSeq + len) >>> 0;
    r.tcpFlags = TCP_RST | TCP_ACK;
  }
  r.tcpWindow = 0;
  return r;
}

function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** TCP of a namespace: listeners, connections, segment processing as tcp_v4_rcv and the state machine do, resets for strays. */
export class Tcp {
  private readonly listeners = new Map<number, TcpSocket[]>();
  /** Connections by (localPort << 16 | remotePort), each list scanned for the addresses. */
  private readonly conns = new Map<number, TcpSocket[]>();

  constructor(private readonly ns: NetNamespace) {}

  private key(localPort: number, remotePort: number): number {
    return localPort * 65536 + remotePort;
  }

  /** Every socket (listeners and connections), for `ss`-style listings. */
  sockets(): TcpSocket[] {
    const out: TcpSocket[] = [];
    for (const l of this.listeners.values()) out.push(...l);
    for (const l of this.conns.values()) out.push(...l);
    return out;
  }

  /** listen(): a listener on addr (0 = any) and port; a string error when taken or not local. */
  listen(addr: number, port: number, acceptor: TcpAcceptor): TcpSocket | string {
    if (addr !== 0 && this.ns.addressOwner(addr) === null) return 'Cannot assign requested address';
    const list = this.listeners.get(port) ?? [];
    for (const s of list) if (s.localAddr === 0 || addr === 0 || s.localAddr === addr) return 'Address already in use';
    const sock = new TcpSocket(this, addr, port, 0, 0);
    sock.state = TCP_LISTEN;
    sock.acceptor = acceptor;
    list.push(sock);
    this.listeners.set(port, list);
    return sock;
  }

  /** connect(): from src:sport (src 0 = chosen by the route) to dst:dport. Returns the socket, or an errno when no route. */
  connect(src: number, sport: number, dst: number, dport: number, handler: TcpHandler): TcpSocket | number {
    const sock = new TcpSocket(this, src, sport, dst, dport);
    sock.handler = handler;
    sock.state = TCP_SYN_SENT;
    sock.iss = this.ns.net.random.u32();
    sock.tsOffset = this.ns.net.random.u32();
    sock.sndUna = sock.iss;
    sock.sndNxt = (sock.iss + 1) >>> 0;
    this.addConn(sock);
    const err = this.transmit(sock, TCP_SYN, sock.iss, 0, null);
    if (err !== 0) {
      this.removeConn(sock);
      sock.state = TCP_CLOSE;
      return err;
    }
    this.armRto(sock, TCP_TIMEOUT_INIT);
    return sock;
  }

  private addConn(sock: TcpSocket): void {
    const k = this.key(sock.localPort, sock.remotePort);
    const list = this.conns.get(k);
    if (list === undefined) this.conns.set(k, [sock]);
    else list.push(sock);
  }

  private removeConn(sock: TcpSocket): void {
    const k = this.key(sock.localPort, sock.remotePort);
    const list = this.conns.get(k);
    if (list === undefined) return;
    const i = list.indexOf(sock);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.conns.delete(k);
  }

  /** Frees a socket: timers stop, it leaves the tables (tcp_done / inet_twsk_kill). */
  destroy(sock: TcpSocket): void {
    const sched = this.ns.net.scheduler;
    sched.cancel(sock.rtoTimer);
    sched.cancel(sock.timewaitTimer);
    if (sock.state === TCP_LISTEN) {
      const list = this.listeners.get(sock.localPort);
      if (list !== undefined) {
        list.splice(list.indexOf(sock), 1);
        if (list.length === 0) this.listeners.delete(sock.localPort);
      }
    } else this.removeConn(sock);
    sock.state = TCP_CLOSE;
  }

  /** Aborts a connection without telling the peer (the process exited before anything else happened). */
  abort(sock: TcpSocket): void {
    this.destroy(sock);
  }

  private armRto(sock: TcpSocket, delay: number): void {
    sock.rto = delay;
    this.ns.net.scheduler.arm(sock.rtoTimer, delay);
  }

  private findConn(p: Packet): TcpSocket | null {
    const list = this.conns.get(this.key(p.dport, p.sport));
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (s.remoteAddr === p.ipSrc && (s.localAddr === p.ipDst || s.localAddr === 0)) return s;
    }
    return null;
  }

  private findListener(addr: number, port: number): TcpSocket | null {
    const list = this.listeners.get(port);
    if (list === undefined) return null;
    let wildcard: TcpSocket | null = null;
    for (const s of list) {
      if (s.localAddr === addr) return s;
      if (s.localAddr === 0) wildcard = s;
    }
    return wildcard;
  }

  // ---- segments out -------------------------------------------------------------------

  /** Linux's option block: MSS, SACK-permitted, timestamps, NOP, window scale on SYNs; NOP NOP timestamps after. */
  private options(sock: TcpSocket, syn: boolean): Uint8Array {
    const tsval = (sock.tsOffset + Math.floor(this.ns.net.now / MS)) >>> 0;
    const o = new Uint8Array(syn ? 20 : 12);
    let i = 0;
    if (syn) {
      o[i++] = 2; o[i++] = 4; o[i++] = sock.mss >>> 8; o[i++] = sock.mss & 255;
      o[i++] = 4; o[i++] = 2;
    } else {
      o[i++] = 1; o[i++] = 1;
    }
    o[i++] = 8; o[i++] = 10;
    o[i++] = tsval >>> 24; o[i++] = (tsval >>> 16) & 255; o[i++] = (tsval >>> 8) & 255; o[i++] = tsval & 255;
    const ecr = sock.tsRecent;
    o[i++] = ecr >>> 24; o[i++] = (ecr >>> 16) & 255; o[i++] = (ecr >>> 8) & 255; o[i++] = ecr & 255;
    if (syn) {
      o[i++] = 1; o[i++] = 3; o[i++] = 3; o[i++] = WSCALE;
    }
    return o;
  }

  /** Sends one segment of `sock`; returns the errno of the IP output. */
  private transmit(sock: TcpSocket, flags: number, seq: number, ack: number, payload: Uint8Array | null): number {
    const p = new Packet();
    p.ethType = ETH_P_IP;
    p.ipProto = IPPROTO_TCP;
    p.ipSrc = sock.localAddr;
    p.ipDst = sock.remoteAddr;
    p.ipTtl = this.ns.ipv4Sysctls.ip_default_ttl;
    p.ipDf = true;
    p.ipId = 0;
    p.sport = sock.localPort;
    p.dport = sock.remotePort;
    p.tcpSeq = seq >>> 0;
    p.tcpAck = flags & TCP_ACK ? ack >>> 0 : 0;
    p.tcpFlags = flags;
    const syn = (flags & TCP_SYN) !== 0;
    if (syn && sock.localAddr === 0) {
      // Source chosen by the route now, then fixed for the connection.
      const r = this.ns.ip.routeOutput(p);
      if (typeof r === 'number') return r;
      sock.localAddr = p.ipSrc;
    }
    if (syn) {
      const dev = this.outDevice(p);
      sock.mss = Math.max(536, (dev?.mtu ?? 1500) - 40);
      p.tcpWindow = Math.min(65535, Math.floor(65535 / sock.mss) * sock.mss);
    } else p.tcpWindow = Math.min(65535, (64 * 1024) >>> WSCALE);
    p.tcpOptions = this.options(sock, syn);
    p.payload = payload;
    const confirm = sock.pendingConfirm;
    sock.pendingConfirm = false;
    return this.ns.ip.output(p, confirm);
  }

  private outDevice(p: Packet): NetDevice | undefined {
    const r = this.ns.fib.lookup(p.ipDst);
    return r === null ? undefined : r.type === RTN_LOCAL ? this.ns.lo : this.ns.deviceByIndex(r.oif);
  }

  sendAck(sock: TcpSocket): void {
    this.transmit(sock, TCP_ACK, sock.sndNxt, sock.rcvNxt, null);
  }

  sendData(sock: TcpSocket, data: Uint8Array): number {
    if (sock.state !== TCP_ESTABLISHED && sock.state !== TCP_CLOSE_WAIT) return 0;
    const merged = new Uint8Array(sock.unacked.length + data.length);
    merged.set(sock.unacked);
    merged.set(data, sock.unacked.length);
    sock.unacked = merged;
    this.transmit(sock, TCP_ACK | TCP_PSH, sock.sndNxt, sock.rcvNxt, data);
    sock.sndNxt = (sock.sndNxt + data.length) >>> 0;
    if (!sock.rtoTimer.armed) this.armRto(sock, TCP_RTO_MIN);
    return data.length;
  }

  /** close(): FIN from ESTABLISHED (→ FIN_WAIT1) or CLOSE_WAIT (→ LAST_ACK); a connecting socket just goes away. */
  close(sock: TcpSocket): void {
    switch (sock.state) {
      case TCP_LISTEN:
      case TCP_SYN_SENT:
        this.destroy(sock);
        return;
      case TCP_ESTABLISHED:
      case TCP_SYN_RECV:
        sock.state = TCP_FIN_WAIT1;
        break;
      case TCP_CLOSE_WAIT:
        sock.state = TCP_LAST_ACK;
        break;
      default:
        return;
    }
    sock.finQueued = true;
    this.transmit(sock, TCP_FIN | TCP_ACK, sock.sndNxt, sock.rcvNxt, null);
    sock.sndNxt = (sock.sndNxt + 1) >>> 0;
    this.armRto(sock, Math.max(TCP_RTO_MIN, sock.rto === TCP_TIMEOUT_INIT ? TCP_RTO_MIN : sock.rto));
  }

  /** The retransmission timer: resend what is unacknowledged, backing off, until the retry limit. */
  retransmit(sock: TcpSocket): void {
    sock.retries++;
    const limit = sock.state === TCP_SYN_SENT ? TCP_SYN_RETRIES : sock.state === TCP_SYN_RECV ? TCP_SYNACK_RETRIES : TCP_RETRIES2;
    if (sock.retries > limit) {
      const h = sock.handler;
      this.destroy(sock);
      h?.failed(sock, 110);
      return;
    }
    switch (sock.state) {
      case TCP_SYN_SENT:
        this.transmit(sock, TCP_SYN, sock.iss, 0, null);
        break;
      case TCP_SYN_RECV:
        this.transmit(sock, TCP_SYN | TCP_ACK, sock.iss, sock.rcvNxt, null);
        break;
      default:
        if (sock.unacked.length > 0) this.transmit(sock, TCP_ACK | TCP_PSH, sock.sndUna, sock.rcvNxt, sock.unacked);
        else if (sock.finQueued) this.transmit(sock, TCP_FIN | TCP_ACK, (sock.sndNxt - 1) >>> 0, sock.rcvNxt, null);
        else return;
    }
    this.armRto(sock, Math.min(TCP_RTO_MAX, sock.rto * 2));
  }

  /** tcp_v4_send_reset: answer a segment nobody owns. */
  private sendReset(p: Packet): void {
    const r = resetFor(p, this.ns.ipv4Sysctls.ip_default_ttl);
    if (r !== null) this.ns.ip.output(r);
  }

  // ---- segments in --------------------------------------------------------------------

  /** tcp_v4_rcv. */
  receive(dev: NetDevice, p: Packet): void {
    void dev;
    const sock = this.findConn(p);
    if (sock !== null) {
      this.segment(sock, p);
      return;
    }
    const listener = this.findListener(p.ipDst, p.dport);
    if (listener !== null) {
      this.listenSegment(listener, p);
      return;
    }
    const tr = this.ns.net.tracer;
    if (tr !== null) tr.record(this.ns.name, 'drop', p.id, `no TCP socket for port ${p.dport}: reset`);
    this.sendReset(p);
  }

  private readTimestamp(sock: TcpSocket, p: Packet): void {
    const o = p.tcpOptions;
    if (o === null) return;
    for (let i = 0; i < o.length; ) {
      const kind = o[i]!;
      if (kind === 0) break;
      if (kind === 1) {
        i++;
        continue;
      }
      const len = o[i + 1] ?? 2;
      if (kind === 8 && len === 10) sock.tsRecent = ((o[i + 2]! << 24) | (o[i + 3]! << 16) | (o[i + 4]! << 8) | o[i + 5]!) >>> 0;
      i += Math.max(2, len);
    }
  }

  private listenSegment(listener: TcpSocket, p: Packet): void {
    const f = p.tcpFlags;
    if (f & TCP_RST) return;
    if (f & TCP_ACK) {
      this.sendReset(p);
      return;
    }
    if (!(f & TCP_SYN)) return;
    const child = new TcpSocket(this, p.ipDst, p.dport, p.ipSrc, p.sport);
    child.state = TCP_SYN_RECV;
    child.acceptor = listener.acceptor;
    child.iss = this.ns.net.random.u32();
    child.tsOffset = this.ns.net.random.u32();
    child.sndUna = child.iss;
    child.sndNxt = (child.iss + 1) >>> 0;
    child.rcvNxt = (p.tcpSeq + 1) >>> 0;
    this.readTimestamp(child, p);
    this.addConn(child);
    this.transmit(child, TCP_SYN | TCP_ACK, child.iss, child.rcvNxt, null);
    this.armRto(child, TCP_TIMEOUT_INIT);
  }

  /** Handles an acknowledgment: advances snd_una; returns whether it acknowledged something new. */
  private processAck(sock: TcpSocket, p: Packet): boolean {
    const ack = p.tcpAck;
    if (!seqLt(sock.sndUna, ack) || seqLt(sock.sndNxt, ack)) return false;
    const acked = (ack - sock.sndUna) >>> 0;
    const dataAcked = Math.min(acked, sock.unacked.length);
    if (dataAcked > 0) sock.unacked = sock.unacked.subarray(dataAcked);
    sock.sndUna = ack;
    sock.retries = 0;
    // No sk_dst_confirm here: on this kernel a handshake and teardown do not confirm the
    // neighbour (the server still re-probes it by ARP 5 s later, as captured).
    if (sock.sndUna === sock.sndNxt) this.ns.net.scheduler.cancel(sock.rtoTimer);
    else this.armRto(sock, TCP_RTO_MIN);
    return true;
  }

  private segment(sock: TcpSocket, p: Packet): void {
    const f = p.tcpFlags;
    this.readTimestamp(sock, p);
    if (sock.state === TCP_SYN_SENT) {
      if (f & TCP_ACK && p.tcpAck !== sock.sndNxt) {
        if (!(f & TCP_RST)) this.sendReset(p);
        return;
      }
      if (f & TCP_RST) {
        if (f & TCP_ACK) {
          const h = sock.handler;
          this.destroy(sock);
          h?.failed(sock, ECONNREFUSED);
        }
        return;
      }
      if (f & TCP_SYN && f & TCP_ACK) {
        sock.rcvNxt = (p.tcpSeq + 1) >>> 0;
        this.processAck(sock, p);
        sock.state = TCP_ESTABLISHED;
        this.sendAck(sock);
        sock.handler?.established(sock);
      }
      return;
    }
    if (f & TCP_RST) {
      if (p.tcpSeq === sock.rcvNxt) {
        const h = sock.handler;
        const wasTimeWait = sock.state === TCP_TIME_WAIT;
        this.destroy(sock);
        if (!wasTimeWait) h?.failed(sock, 104);
      }
      return;
    }
    if (sock.state === TCP_TIME_WAIT) {
      // A retransmitted FIN is re-acknowledged and restarts the TIME_WAIT timer.
      if (f & TCP_FIN) {
        this.sendAck(sock);
        this.ns.net.scheduler.arm(sock.timewaitTimer, TCP_TIMEWAIT_LEN);
      }
      return;
    }
    if (f & TCP_SYN) {
      // A SYN in a synchronized state: challenge ACK.
      this.sendAck(sock);
      return;
    }
    if (!(f & TCP_ACK)) return;
    if (p.tcpSeq !== sock.rcvNxt) {
      // Out of window / duplicate: re-acknowledge what we have.
      this.sendAck(sock);
      return;
    }
    const advanced = this.processAck(sock, p);
    if (sock.state === TCP_SYN_RECV) {
      if (!advanced && sock.sndUna !== sock.sndNxt) return;
      sock.state = TCP_ESTABLISHED;
      sock.handler = sock.acceptor!.accept(sock);
      sock.handler.established(sock);
    }
    if (sock.state === TCP_FIN_WAIT1 && sock.sndUna === sock.sndNxt) sock.state = TCP_FIN_WAIT2;
    else if (sock.state === TCP_CLOSING && sock.sndUna === sock.sndNxt) {
      this.enterTimeWait(sock);
      return;
    } else if (sock.state === TCP_LAST_ACK && sock.sndUna === sock.sndNxt) {
      this.destroy(sock);
      return;
    }
    const len = p.payloadLength;
    if (len > 0) {
      sock.rcvNxt = (sock.rcvNxt + len) >>> 0;
      this.sendAck(sock);
      sock.handler?.data(sock, p.payload!);
    }
    if (f & TCP_FIN) this.finReceived(sock);
  }

  /** tcp_fin: the peer is done sending. */
  private finReceived(sock: TcpSocket): void {
    sock.rcvNxt = (sock.rcvNxt + 1) >>> 0;
    switch (sock.state) {
      case TCP_ESTABLISHED:
        sock.state = TCP_CLOSE_WAIT;
        // The FIN is acknowledged at once; the application's own FIN follows separately (as captured on the kernel).
        this.sendAck(sock);
        sock.handler?.peerClosed(sock);
        return;
      case TCP_FIN_WAIT1:
        sock.state = TCP_CLOSING;
        this.sendAck(sock);
        return;
      case TCP_FIN_WAIT2:
        this.sendAck(sock);
        this.enterTimeWait(sock);
        sock.handler?.peerClosed(sock);
        return;
      default:
        this.sendAck(sock);
    }
  }

  private enterTimeWait(sock: TcpSocket): void {
    const sched = this.ns.net.scheduler;
    sched.cancel(sock.rtoTimer);
    sock.state = TCP_TIME_WAIT;
    sched.arm(sock.timewaitTimer, TCP_TIMEWAIT_LEN);
  }

  /** tcp_v4_err: an ICMP error about one of our segments. A connecting socket gives up on unreachables. */
  icmpError(icmp: Packet): void {
    const inner = icmp.inner!;
    const list = this.conns.get(this.key(inner.sport, inner.dport));
    if (list === undefined) return;
    const sock = list.find((s) => s.remoteAddr === inner.ipDst && s.localAddr === inner.ipSrc);
    if (sock === undefined) return;
    if (icmp.icmpType !== ICMP_DEST_UNREACH || icmp.icmpCode === ICMP_FRAG_NEEDED) return;
    if (sock.state === TCP_SYN_SENT || sock.state === TCP_SYN_RECV) {
      const h = sock.handler;
      this.destroy(sock);
      h?.failed(sock, icmp.icmpCode === 3 ? ECONNREFUSED : icmp.icmpCode === 0 ? ENETUNREACH : EHOSTUNREACH);
    }
  }
}
