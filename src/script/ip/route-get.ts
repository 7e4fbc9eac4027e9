/**
 * `ip route get ADDR [from ADDR] [oif DEV]`: the output route the kernel would give a locally
 * generated packet (inet_rtm_getroute → ip_route_output_key_hash_rcu), printed as iproute2
 * does on this machine:
 *
 *     10.0.0.2 dev veth0 src 10.0.0.1 uid 0 \n    cache \n
 *     local 10.0.0.1 dev lo src 10.0.0.1 uid 0 \n    cache <local> \n
 *     broadcast 10.0.0.255 dev veth0 src 10.0.0.1 uid 0 \n    cache <local,brd> \n
 *     10.8.1.1 from 10.0.0.1 via 10.0.0.2 dev veth0 uid 0 \n    cache \n
 *
 * Failures print `RTNETLINK answers: Network is unreachable` (no route, or a `from` that is
 * not a local address), `No route to host` (unreachable), `Permission denied` (prohibit),
 * `Invalid argument` (blackhole, or a loopback source leaving through another device).
 * With `oif DEV`, only routes through DEV count, and with none the destination is taken to
 * be on DEV's link.
 */
import type { NetDevice } from '../../netns/device.js';
import type { NetNamespace } from '../../netns/namespace.js';
import { EACCES, EHOSTUNREACH, EINVAL, ENETUNREACH, strerror } from '../../netns/ipv4.js';
import { RTN_BLACKHOLE, RTN_BROADCAST, RTN_LOCAL, RTN_PROHIBIT, RTN_UNICAST, RTN_UNREACHABLE, RT_SCOPE_LINK } from '../../netns/route-table.js';
import { formatIPv4 } from '../../packet/address.js';
import { ArgReader, IpExit, familyWord, helpWord, getPrefix, invarg, matches, nodev, parseDsfield, unsupported, type IpCall } from './args.js';
import { fibLookup } from './route-check.js';

/** What ip_route_output resolved: the route's type, device, gateway and source, and the cache flags. */
interface OutputRoute {
  type: 'unicast' | 'local' | 'broadcast';
  dev: NetDevice;
  gateway: number;
  src: number;
}

/** The errno a route type gives a lookup. */
function typeErrno(type: number): number {
  if (type === RTN_BLACKHOLE) return EINVAL;
  if (type === RTN_UNREACHABLE) return EHOSTUNREACH;
  if (type === RTN_PROHIBIT) return EACCES;
  return ENETUNREACH; // throw
}

function fail(errno: number): never {
  throw new IpExit(`RTNETLINK answers: ${strerror(errno)}\n`);
}

/** ip_route_output_key_hash_rcu for (dst, src, oif). */
function routeOutput(ns: NetNamespace, dst: number, from: number, oifDev: NetDevice | null): OutputRoute {
  if (from !== 0) {
    if (from >>> 28 === 14 || from === 0xffffffff || from >>> 24 === 0) fail(EINVAL);
    if (ns.addressOwner(from) === null) fail(ENETUNREACH);
  }
  let src = from;
  if (oifDev !== null) {
    if (!oifDev.adminUp) fail(ENETUNREACH);
    if (dst === 0xffffffff || (dst & 0xffffff00) >>> 0 === 0xe0000000) {
      if (src === 0) src = ns.ip.selectAddress(oifDev, 0, RT_SCOPE_LINK);
      return finish({ type: dst === 0xffffffff ? 'broadcast' : 'unicast', dev: oifDev, gateway: 0, src }, dst);
    }
  }
  if (dst === 0) {
    const local = src !== 0 ? src : 0x7f000001;
    return { type: 'local', dev: ns.lo, gateway: 0, src: local };
  }
  const route = fibLookup(ns, { dst, oif: oifDev?.ifindex ?? 0 });
  if (route === null || (route.type !== RTN_LOCAL && route.type !== RTN_BROADCAST && route.type !== RTN_UNICAST)) {
    if (oifDev !== null) {
      // No usable route through the device: the destination is assumed to be on its link.
      if (src === 0) src = ns.ip.selectAddress(oifDev, 0, RT_SCOPE_LINK);
      return finish({ type: 'unicast', dev: oifDev, gateway: 0, src }, dst);
    }
    fail(route === null ? ENETUNREACH : typeErrno(route.type));
  }
  if (route.type === RTN_LOCAL) {
    if (src === 0) src = route.prefsrc !== 0 ? route.prefsrc : dst;
    return { type: 'local', dev: ns.lo, gateway: 0, src };
  }
  const dev = ns.deviceByIndex(route.oif);
  if (dev === undefined) fail(ENETUNREACH);
  if (src === 0) src = route.prefsrc !== 0 ? route.prefsrc : ns.ip.selectAddress(dev, route.gateway, route.scope);
  return finish({ type: route.type === RTN_BROADCAST ? 'broadcast' : 'unicast', dev, gateway: route.gateway, src }, dst);
}

/** __mkroute_output's last word: limited broadcast is broadcast; a zero-net destination or a loopback source off lo is refused. */
function finish(r: OutputRoute, dst: number): OutputRoute {
  if (dst === 0xffffffff) r.type = 'broadcast';
  else if (dst >>> 24 === 0) fail(EINVAL);
  if (r.src >>> 24 === 127 && r.dev.kind !== 'loopback') fail(EINVAL);
  return r;
}

/** `ip route get …` */
export function doRouteGet(call: IpCall, args: ArgReader): void {
  const family = familyWord(call.opts);
  let dst: number | null = null;
  let from = 0;
  let oifName: string | null = null;
  while (!args.done) {
    const arg = args.take();
    if (arg === 'tos' || matches(arg, 'dsfield')) {
      const v = args.value();
      const tos = parseDsfield(v);
      if (tos === null) invarg('TOS value is invalid\n', v);
      if (tos !== 0) unsupported('ip route get with a TOS');
    } else if (matches(arg, 'from')) {
      const v = args.value();
      if (matches(v, 'help')) helpWord('route', v);
      from = getPrefix(v, family).addr;
    } else if (matches(arg, 'iif')) unsupported('ip route get iif (an input route)');
    else if (matches(arg, 'mark')) unsupported('ip route get mark');
    else if (matches(arg, 'oif') || arg === 'dev') oifName = args.value();
    else if (['notify', 'connected', 'vrf', 'uid', 'fibmatch', 'sport', 'dport', 'ipproto'].some((w) => matches(arg, w)) || arg === 'as')
      unsupported(`ip route get "${arg}"`);
    else {
      const v = arg === 'to' ? args.value() : arg;
      if (matches(v, 'help')) helpWord('route', v);
      const p = getPrefix(v, family);
      if (p.len !== 32) call.ctx.out(`Warning: /${p.len} as prefix is invalid, only /32 (or none) is supported.\n`);
      dst = p.addr;
    }
  }
  if (dst === null) throw new IpExit('need at least a destination address\n');
  let oifDev: NetDevice | null = null;
  if (oifName !== null) {
    const dev = call.ctx.ns.device(oifName);
    if (dev === undefined) nodev(oifName);
    oifDev = dev;
  }
  const r = routeOutput(call.ctx.ns, dst, from, oifDev);
  let line = r.type === 'unicast' ? '' : `${r.type} `;
  line += `${formatIPv4(dst)} `;
  if (from !== 0) line += `from ${formatIPv4(from)} `;
  if (r.gateway !== 0) line += `via ${formatIPv4(r.gateway)} `;
  line += `dev ${r.dev.name} `;
  if (r.src !== from) line += `src ${formatIPv4(r.src)} `;
  line += 'uid 0 ';
  const local = r.type !== 'unicast' || r.dev.kind === 'loopback';
  const flags = r.type === 'broadcast' ? '<local,brd> ' : local ? '<local> ' : '';
  call.ctx.out(`${line}${call.opts.oneline ? '\\' : '\n'}    cache ${flags}\n`);
}
