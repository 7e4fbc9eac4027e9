import { formatIPv4 } from '../packet/address.js';
import {
  ETH_P_IP,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_FRAG_NEEDED,
  ICMP_REDIRECT,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  isIcmpError,
  Packet,
} from '../packet/packet.js';
import type { NetDevice } from './device.js';
import type { NetNamespace } from './namespace.js';
import { RTN_LOCAL } from './route-table.js';
import { REDIRECT_TIMEOUT } from './fib.js';

/** An ICMP socket's owner (ping): gets echo replies and errors about its echo requests. */
export interface IcmpEchoListener {
  /** The echo identifier it listens for. */
  readonly echoId: number;
  echoReply(p: Packet): void;
  echoError(p: Packet): void;
}

/** ICMP of a namespace: echo service, error generation (icmp_send) with Linux's rate limits, and error delivery to sockets. */
export class Icmp {
  private readonly echoListeners = new Map<number, IcmpEchoListener>();
  /** icmp_global: a token bucket of icmp_msgs_burst at icmp_msgs_per_sec. */
  private globalCredit = -1;
  private globalStamp = 0;

  constructor(private readonly ns: NetNamespace) {}

  listen(l: IcmpEchoListener): void {
    this.echoListeners.set(l.echoId, l);
  }

  unlisten(l: IcmpEchoListener): void {
    if (this.echoListeners.get(l.echoId) === l) this.echoListeners.delete(l.echoId);
  }

  /** icmp_rcv: answers echo requests, hands replies and errors to their sockets. */
  receive(dev: NetDevice, p: Packet, broadcast: boolean): void {
    const type = p.icmpType;
    if (type === ICMP_ECHO) {
      if (broadcast || this.ns.ipv4Sysctls.icmp_echo_ignore_all !== 0) return;
      this.sendEchoReply(p);
      return;
    }
    if (type === ICMP_ECHOREPLY) {
      this.echoListeners.get(p.icmpId)?.echoReply(p);
      return;
    }
    if (type === ICMP_REDIRECT && p.inner !== null) this.redirect(dev, p);
    if (isIcmpError(type) && p.inner !== null) {
      const inner = p.inner;
      switch (inner.ipProto) {
        case IPPROTO_UDP:
          this.ns.udp.icmpError(p);
          break;
        case IPPROTO_TCP:
          this.ns.tcp.icmpError(p);
          break;
        case IPPROTO_ICMP:
          if (inner.icmpType === ICMP_ECHO) this.echoListeners.get(inner.icmpId)?.echoError(p);
          break;
      }
    }
  }

  /**
   * ip_do_redirect: a router says the way to the quoted destination is `icmpRest`. Accepted
   * only from the current gateway of that route, on the device the route uses, for a unicast
   * new gateway; learned once the new gateway answers ARP (until then it is only probed).
   */
  private redirect(dev: NetDevice, p: Packet): void {
    if (p.icmpCode > 3) return;
    const inner = p.inner!;
    const daddr = inner.ipDst;
    const oldGw = p.ipSrc;
    const newGw = p.icmpRest >>> 0;
    const conf = this.ns.confAll;
    const rx = dev.conf.forwarding !== 0 ? conf.accept_redirects & dev.conf.accept_redirects : conf.accept_redirects | dev.conf.accept_redirects;
    if (newGw === oldGw || rx === 0) return;
    const route = this.ns.fib.lookup(daddr);
    if (route === null || route.oif !== dev.ifindex || this.ns.fib.nexthop(route, daddr) !== oldGw) return;
    // inet_addr_type(new_gw) must be unicast (shared_media is on by default).
    if (newGw === 0 || newGw === 0xffffffff || newGw >>> 28 === 14 || this.ns.fib.local.lookup(newGw)?.type === RTN_LOCAL) return;
    const n = this.ns.neigh.kick(dev, newGw);
    if (this.ns.neigh.isValid(n))
      this.ns.fib.exceptions.set(daddr, { gateway: newGw, oif: route.oif, expires: this.ns.net.now + REDIRECT_TIMEOUT });
    const tr = this.ns.net.tracer;
    if (tr !== null) tr.record(this.ns.name, 'icmp', p.id, `redirect for ${formatIPv4(daddr)} to ${formatIPv4(newGw)} ${this.ns.neigh.isValid(n) ? 'learned' : 'awaits ARP for the new gateway'}`);
  }

  /** icmp_reply to an echo request: from the address it was sent to, same id, sequence and data. */
  private sendEchoReply(req: Packet): void {
    const p = new Packet();
    p.ethType = ETH_P_IP;
    p.ipProto = IPPROTO_ICMP;
    p.ipSrc = req.ipDst;
    p.ipDst = req.ipSrc;
    p.ipTtl = this.ns.ipv4Sysctls.ip_default_ttl;
    p.ipTos = req.ipTos;
    p.ipDf = false; // the kernel's ICMP socket does not set DF on replies
    p.ipId = this.ns.net.random.int(0, 0xffff);
    p.icmpType = ICMP_ECHOREPLY;
    p.icmpId = req.icmpId;
    p.icmpSeq = req.icmpSeq;
    p.payload = req.payload;
    this.ns.ip.output(p);
  }

  /**
   * icmp_send: an error about `offender`. Not about ICMP errors, broadcasts or packets not
   * addressed to this host's MAC; from the offender's destination when that was local, else
   * from the address the route back selects; rate-limited as icmpv4_xrlim_allow does.
   */
  sendError(offender: Packet, type: number, code: number, info: number, inDev: NetDevice | null, destinedHere: boolean): void {
    if (offender.ipProto === IPPROTO_ICMP && isIcmpError(offender.icmpType)) return;
    if (offender.ipDst === 0xffffffff || offender.ipDst >>> 28 === 14) return;
    if (offender.ipSrc === 0 || offender.ipSrc >>> 28 === 14) return;
    const local = destinedHere || this.ns.fib.isLocal(offender.ipDst);
    const p = new Packet();
    p.ethType = ETH_P_IP;
    p.ipProto = IPPROTO_ICMP;
    p.ipDst = offender.ipSrc;
    p.ipSrc = local ? offender.ipDst : 0;
    if (!local && inDev !== null && this.ns.ipv4Sysctls.icmp_errors_use_inbound_ifaddr !== 0)
      p.ipSrc = this.ns.ip.selectAddress(inDev, offender.ipSrc, 253);
    p.ipTtl = this.ns.ipv4Sysctls.ip_default_ttl;
    p.ipTos = (offender.ipTos & 0x1e) | 0xc0;
    p.ipDf = false;
    p.ipId = this.ns.net.random.int(0, 0xffff);
    p.icmpType = type;
    p.icmpCode = code;
    p.icmpRest = info >>> 0;
    p.inner = offender.clone();
    p.inner.ethType = ETH_P_IP;
    if (!this.allowed(p)) {
      const tr = this.ns.net.tracer;
      if (tr !== null) tr.record(this.ns.name, 'icmp', offender.id, 'ICMP error rate-limited (icmp_ratelimit)');
      return;
    }
    this.ns.ip.output(p);
  }

  /** icmpv4_xrlim_allow + icmp_global_allow for an error about to be sent. */
  private allowed(p: Packet): boolean {
    const type = p.icmpType;
    if (type === ICMP_DEST_UNREACH && p.icmpCode === ICMP_FRAG_NEEDED) return true;
    const sys = this.ns.ipv4Sysctls;
    if (((1 << type) & sys.icmp_ratemask) === 0) return true;
    // Errors to one of our own addresses leave through lo and are never limited.
    const r = this.ns.fib.local.lookup(p.ipDst);
    if (r !== null && r.type === RTN_LOCAL) return true;
    const now = this.ns.net.now;
    if (!this.globalAllow(now)) return false;
    const timeout = sys.icmp_ratelimit * 1_000_000;
    if (timeout === 0) return true;
    return this.ns.peers.get(p.ipDst, now).xrlimAllow(now, timeout);
  }

  private globalAllow(now: number): boolean {
    const sys = this.ns.ipv4Sysctls;
    if (this.globalCredit < 0) {
      this.globalCredit = sys.icmp_msgs_burst;
      this.globalStamp = now;
    }
    const delta = Math.floor(((now - this.globalStamp) / 1_000_000_000) * sys.icmp_msgs_per_sec);
    if (delta > 0) {
      this.globalCredit = Math.min(sys.icmp_msgs_burst, this.globalCredit + delta);
      this.globalStamp = now;
    }
    if (this.globalCredit <= 0) return false;
    this.globalCredit--;
    return true;
  }
}
