import { formatIPv4 } from '../packet/address.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PKT_FILTERED,
  ICMP_PROT_UNREACH,
  ICMP_REDIRECT,
  ICMP_REDIR_HOST,
  ICMP_TIME_EXCEEDED,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MAC_BROADCAST,
  type Packet,
} from '../packet/packet.js';
import type { NetDevice } from './device.js';
import type { NetNamespace } from './namespace.js';
import {
  NF_ACCEPT,
  NF_INET_FORWARD,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING,
  NF_INET_PRE_ROUTING,
} from './netfilter.js';
import type { UnresolvedHandler } from './neighbour.js';
import {
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_PROHIBIT,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  type Route,
} from './route-table.js';

/** errno values a local sender gets back, by their C names. */
export const ENETUNREACH = 101;
export const EHOSTUNREACH = 113;
export const EACCES = 13;
export const EINVAL = 22;
export const EMSGSIZE = 90;
export const EPERM = 1;
export const EADDRNOTAVAIL = 99;
export const ECONNREFUSED = 111;

/** strerror text for the errno values above. */
export function strerror(errno: number): string {
  switch (errno) {
    case ENETUNREACH: return 'Network is unreachable';
    case EHOSTUNREACH: return 'No route to host';
    case EACCES: return 'Permission denied';
    case EINVAL: return 'Invalid argument';
    case EMSGSIZE: return 'Message too long';
    case EPERM: return 'Operation not permitted';
    case EADDRNOTAVAIL: return 'Cannot assign requested address';
    case ECONNREFUSED: return 'Connection refused';
    default: return `errno ${errno}`;
  }
}

/** The error a route type gives a lookup (fib_props[type].error), 0 for usable types. */
export function routeError(type: number): number {
  switch (type) {
    case RTN_UNREACHABLE: return EHOSTUNREACH;
    case RTN_PROHIBIT: return EACCES;
    case RTN_BLACKHOLE: return EINVAL;
    default: return 0;
  }
}

/** ip_rt_error_cost (HZ) and ip_rt_error_burst (5·HZ), in ns. */
const ERROR_COST = 1_000_000_000;
const ERROR_BURST = 5_000_000_000;
/** ip_rt_redirect_number, ip_rt_redirect_load (HZ/50), ip_rt_redirect_silence ((HZ/50) << 10). */
const REDIRECT_NUMBER = 9;
const REDIRECT_LOAD = 20_000_000;
const REDIRECT_SILENCE = REDIRECT_LOAD * 1024;

/**
 * The IPv4 layer of a namespace: receive (ip_rcv), input routing, forwarding (ip_forward),
 * local delivery and local output, with the netfilter hooks at the kernel's five points.
 */
export class Ipv4 implements UnresolvedHandler {
  constructor(private readonly ns: NetNamespace) {
    ns.neigh.onUnresolved = this;
  }

  /** Records why; callers check `net.tracer` first so that no text is built when tracing is off. */
  private trace(kind: string, p: Packet, text: string): void {
    this.ns.net.tracer?.record(this.ns.name, kind, p.id, text);
  }

  private forwarding(dev: NetDevice): boolean {
    return dev.conf.forwarding !== 0;
  }

  // ---- receive ------------------------------------------------------------------------

  /** ip_rcv: a datagram arrived on `dev`. */
  receive(dev: NetDevice, p: Packet): void {
    // Frames for another host's MAC are seen by a capture but not taken by IP (PACKET_OTHERHOST).
    const broadcast = p.ethDst === MAC_BROADCAST;
    if (p.ethDst !== dev.mac && !broadcast && dev.usesArp) {
      if (this.ns.net.tracer !== null) this.trace('drop', p, `${dev.name}: frame for another host (PACKET_OTHERHOST)`);
      return;
    }
    const hooks = this.ns.hooks;
    if (p.nfBridgePrerouted) p.nfBridgePrerouted = false; // br_netfilter ran PREROUTING already (ip_sabotage_in)
    else if (hooks.has(NF_INET_PRE_ROUTING) && hooks.run(NF_INET_PRE_ROUTING, p, this.ns, dev, null) !== NF_ACCEPT) return;
    // Looped-back datagrams keep the route they were sent with: no input routing, straight up the stack.
    if (dev.kind === 'loopback') this.localDeliver(dev, p, false);
    else this.routeInput(dev, p, broadcast);
  }

  /** ip_route_input_slow: decides local delivery, forwarding or an error. */
  private routeInput(dev: NetDevice, p: Packet, linkBroadcast: boolean): void {
    const src = p.ipSrc;
    const dst = p.ipDst;
    if (dst === 0xffffffff || (src === 0 && dst === 0)) {
      if (dst === 0xffffffff) this.localDeliver(dev, p, true);
      return;
    }
    // Martian sources: multicast, limited broadcast, zeronet; loopback unless it arrived on lo.
    if (src >>> 28 === 14 || src === 0xffffffff || src >>> 24 === 0 || (src >>> 24 === 127 && dev.kind !== 'loopback')) {
      if (this.ns.net.tracer !== null) this.trace('drop', p, `martian source ${formatIPv4(src)} on ${dev.name}`);
      return;
    }
    // fib_validate_source: a source address of our own arriving from outside is martian (unless accept_local).
    if ((this.ns.confAll.accept_local | dev.conf.accept_local) === 0 && this.ns.fib.isLocal(src)) {
      if (this.ns.net.tracer !== null) this.trace('drop', p, `martian source ${formatIPv4(src)} on ${dev.name}: the address is local`);
      return;
    }
    const route = this.ns.fib.lookup(dst);
    if (route === null) {
      if (this.ns.net.tracer !== null) this.trace('route', p, `no route to ${formatIPv4(dst)}`);
      this.inputError(dev, p, this.forwarding(dev) ? ENETUNREACH : EHOSTUNREACH);
      return;
    }
    const type = route.type;
    if (type === RTN_LOCAL || type === RTN_BROADCAST) {
      if (this.ns.net.tracer !== null) this.trace('route', p, `${formatIPv4(dst)} is local (${type === RTN_LOCAL ? 'local' : 'broadcast'} route)`);
      this.localDeliver(dev, p, type === RTN_BROADCAST);
      return;
    }
    const err = routeError(type);
    if (err !== 0) {
      if (this.ns.net.tracer !== null) this.trace('route', p, `route ${formatIPv4(route.dst)}/${route.prefixLen} is ${type === RTN_UNREACHABLE ? 'unreachable' : type === RTN_PROHIBIT ? 'prohibit' : 'blackhole'}`);
      this.inputError(dev, p, this.forwarding(dev) ? err : EHOSTUNREACH);
      return;
    }
    if (!this.forwarding(dev)) {
      if (this.ns.net.tracer !== null) this.trace('drop', p, `not forwarding on ${dev.name} (net.ipv4.conf.${dev.name}.forwarding = 0)`);
      return;
    }
    if (type !== RTN_UNICAST || linkBroadcast) {
      if (this.ns.net.tracer !== null) this.trace('drop', p, 'not a unicast route or frame');
      return;
    }
    this.forward(dev, p, route);
  }

  /** ip_error: ICMP for what routing refused, rate-limited per source, silent when not forwarding or for blackholes. */
  private inputError(dev: NetDevice, p: Packet, err: number): void {
    if (!this.forwarding(dev)) {
      if (this.ns.net.tracer !== null) this.trace('drop', p, `dropped on ${dev.name}: not forwarding`);
      return;
    }
    let code: number;
    if (err === EHOSTUNREACH) code = ICMP_HOST_UNREACH;
    else if (err === ENETUNREACH) code = ICMP_NET_UNREACH;
    else if (err === EACCES) code = ICMP_PKT_FILTERED;
    else {
      if (this.ns.net.tracer !== null) this.trace('drop', p, 'blackhole route: dropped silently');
      return;
    }
    const now = this.ns.net.now;
    const peer = this.ns.peers.get(p.ipSrc, now);
    peer.tokens = Math.min(ERROR_BURST, peer.tokens + (now - peer.last));
    peer.last = now;
    if (peer.tokens < ERROR_COST) {
      if (this.ns.net.tracer !== null) this.trace('drop', p, 'ICMP error rate-limited (ip_error)');
      return;
    }
    peer.tokens -= ERROR_COST;
    this.ns.icmp.sendError(p, ICMP_DEST_UNREACH, code, 0, dev, false);
  }

  /** ip_forward: TTL, MTU, redirect, FORWARD and POSTROUTING, then the neighbour layer. */
  private forward(inDev: NetDevice, p: Packet, route: Route): void {
    if (p.ipTtl <= 1) {
      if (this.ns.net.tracer !== null) this.trace('drop', p, 'TTL expired in transit');
      this.ns.icmp.sendError(p, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, inDev, false);
      return;
    }
    const outDev = this.ns.deviceByIndex(route.oif);
    if (outDev === undefined) return;
    const nexthop = this.ns.fib.nexthop(route, p.ipDst);
    if (p.ipDf && p.ipTotalLength() > outDev.mtu) {
      if (this.ns.net.tracer !== null) this.trace('drop', p, `${p.ipTotalLength()} bytes exceed the MTU ${outDev.mtu} of ${outDev.name} with DF set`);
      this.ns.icmp.sendError(p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, outDev.mtu, inDev, false);
      return;
    }
    if (outDev === inDev && this.shouldRedirect(inDev, p, route)) this.sendRedirect(inDev, p, nexthop);
    p.ipTtl--;
    if (this.ns.net.tracer !== null) this.trace('route', p, `forward ${formatIPv4(p.ipDst)} via ${route.gateway !== 0 ? formatIPv4(route.gateway) + ' ' : ''}dev ${outDev.name}, ttl now ${p.ipTtl}`);
    const hooks = this.ns.hooks;
    if (hooks.has(NF_INET_FORWARD) && hooks.run(NF_INET_FORWARD, p, this.ns, inDev, outDev) !== NF_ACCEPT) return;
    this.postRouting(outDev, nexthop, p, inDev);
  }

  /** The redirect condition of __mkroute_input: out = in, send_redirects on, and sender (and gateway) on-link. */
  private shouldRedirect(dev: NetDevice, p: Packet, route: Route): boolean {
    if ((this.ns.confAll.send_redirects | dev.conf.send_redirects) === 0) return false;
    let srcOnLink = false;
    let gwOnLink = route.gateway === 0;
    for (const a of dev.addrs) {
      if (a.contains(p.ipSrc)) srcOnLink = true;
      if (!gwOnLink && a.contains(route.gateway)) gwOnLink = true;
    }
    return srcOnLink && gwOnLink;
  }

  /** ip_rt_send_redirect with its exponential backoff per source. */
  private sendRedirect(dev: NetDevice, p: Packet, gateway: number): void {
    const now = this.ns.net.now;
    const peer = this.ns.peers.get(p.ipSrc, now);
    if (now > peer.last + REDIRECT_SILENCE) {
      peer.tokens = 0;
      peer.redirects = 0;
    }
    if (peer.redirects >= REDIRECT_NUMBER) {
      peer.last = now;
      return;
    }
    if (peer.redirects === 0 || now > peer.last + REDIRECT_LOAD * 2 ** peer.redirects) {
      this.ns.icmp.sendError(p, ICMP_REDIRECT, ICMP_REDIR_HOST, gateway, dev, false);
      peer.last = now;
      peer.redirects++;
    }
  }

  /** ip_output: POSTROUTING, then the neighbour layer (or lo). */
  private postRouting(outDev: NetDevice, nexthop: number, p: Packet, inDev: NetDevice | null): void {
    const hooks = this.ns.hooks;
    if (hooks.has(NF_INET_POST_ROUTING) && hooks.run(NF_INET_POST_ROUTING, p, this.ns, inDev, outDev) !== NF_ACCEPT) return;
    this.ns.neigh.output(outDev, nexthop, p);
  }

  /** ip_local_deliver: INPUT, then the transport protocol. */
  private localDeliver(dev: NetDevice, p: Packet, broadcast: boolean): void {
    const hooks = this.ns.hooks;
    if (hooks.has(NF_INET_LOCAL_IN) && hooks.run(NF_INET_LOCAL_IN, p, this.ns, dev, null) !== NF_ACCEPT) return;
    switch (p.ipProto) {
      case IPPROTO_ICMP:
        this.ns.icmp.receive(dev, p, broadcast);
        return;
      case IPPROTO_UDP:
        this.ns.udp.receive(dev, p, broadcast);
        return;
      case IPPROTO_TCP:
        if (!broadcast) this.ns.tcp.receive(dev, p);
        return;
      default:
        if (!broadcast) this.ns.icmp.sendError(p, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, dev, true);
    }
  }

  // ---- output -------------------------------------------------------------------------

  /**
   * The output route for a locally generated datagram (ip_route_output_key): the route, or
   * an errno the sender gets (nothing goes on the wire). Fills in the source address when unset.
   */
  routeOutput(p: Packet): Route | number {
    const route = this.ns.fib.lookup(p.ipDst);
    if (route === null) return ENETUNREACH;
    const err = routeError(route.type);
    if (err !== 0) return err;
    if (p.ipSrc === 0) {
      if (route.prefsrc !== 0) p.ipSrc = route.prefsrc;
      else if (route.type === RTN_LOCAL) p.ipSrc = p.ipDst;
      else {
        const dev = this.ns.deviceByIndex(route.oif);
        if (dev === undefined) return ENETUNREACH;
        p.ipSrc = this.selectAddress(dev, route.gateway !== 0 ? route.gateway : p.ipDst, route.gateway !== 0 ? RT_SCOPE_LINK : RT_SCOPE_HOST);
      }
    }
    return route;
  }

  /**
   * Sends a locally generated datagram (ip_local_out): route, OUTPUT, POSTROUTING, neighbour.
   * Returns 0 or the errno the sending socket would see. `confirm` marks upper-layer proof that the next hop is alive.
   */
  output(p: Packet, confirm = false): number {
    let route = this.routeOutput(p);
    if (typeof route === 'number') {
      if (this.ns.net.tracer !== null) this.trace('route', p, `no usable route to ${formatIPv4(p.ipDst)}: error returned to the sender`);
      return route;
    }
    const hooks = this.ns.hooks;
    if (hooks.has(NF_INET_LOCAL_OUT)) {
      const dst = p.ipDst;
      if (hooks.run(NF_INET_LOCAL_OUT, p, this.ns, null, this.ns.deviceByIndex(route.oif) ?? null) !== NF_ACCEPT) return 0;
      if (p.ipDst !== dst) {
        // ip_route_me_harder: the destination was rewritten, route again.
        route = this.routeOutput(p);
        if (typeof route === 'number') return route;
      }
    }
    const outDev = route.type === RTN_LOCAL || route.type === RTN_BROADCAST ? this.ns.lo : this.ns.deviceByIndex(route.oif);
    if (outDev === undefined) return ENETUNREACH;
    if (p.ipDf && p.ipTotalLength() > outDev.mtu) return EMSGSIZE;
    const nexthop = this.ns.fib.nexthop(route, p.ipDst);
    if (this.ns.net.tracer !== null) this.trace('route', p, `output ${formatIPv4(p.ipDst)} ${route.gateway !== 0 ? 'via ' + formatIPv4(route.gateway) + ' ' : ''}dev ${outDev.name} src ${formatIPv4(p.ipSrc)}`);
    if (confirm) this.ns.neigh.confirm(outDev, nexthop);
    this.postRouting(outDev, nexthop, p, null);
    return 0;
  }

  /**
   * inet_select_addr: the source address for talking to `dst` through `dev` — a primary
   * address of `dev` within `scope` in dst's subnet, else its first, else any device's.
   */
  selectAddress(dev: NetDevice, dst: number, scope: number): number {
    let first = 0;
    for (const a of dev.addrs) {
      if (a.secondary || a.scope > scope) continue;
      if (dst === 0 || a.contains(dst)) return a.local;
      if (first === 0) first = a.local;
    }
    if (first !== 0) return first;
    for (const other of this.ns.deviceList()) {
      if (other === dev) continue;
      for (const a of other.addrs) if (!a.secondary && a.scope !== RT_SCOPE_LINK && a.scope <= scope && a.scope !== RT_SCOPE_HOST) return a.local;
    }
    return 0;
  }

  /** Neighbour resolution failed for a queued datagram: ICMP host unreachable to its sender (arp_error_report). */
  neighbourFailed(dev: NetDevice, p: Packet): void {
    if (this.ns.net.tracer !== null) this.trace('drop', p, `neighbour resolution failed on ${dev.name}`);
    this.ns.icmp.sendError(p, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, null, false);
  }
}
