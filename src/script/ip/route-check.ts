/**
 * What the kernel checks before it accepts a route (fib_table_insert's prefix check and
 * fib_create_info with fib_check_nh), and the constrained FIB lookups those checks and
 * `ip route get` make. Facts from this machine (kernel 6.18):
 * - With no policy rules added, the local and main tables are one trie: a lookup takes the
 *   longest prefix across both (a main /16 beats a local /8), local routes first within one
 *   prefix; the default table is consulted only when that finds nothing.
 * - A gateway must be reachable by a route of scope link or host (the route's scope + 1,
 *   at least link) through the given device: `Error: Nexthop has invalid gateway.` otherwise,
 *   also for broadcast gateways; a local address is a valid gateway (the route goes via its
 *   device). `onlink` skips that lookup but wants an up device and a non-local gateway.
 *
 * These are kernel rules and belong in src/netns; they live here until they move.
 */
import type { NetNamespace } from '../../netns/namespace.js';
import {
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_PROHIBIT,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  prefixMask,
  type Route,
  type RouteInit,
  type RouteTable,
} from '../../netns/route-table.js';

/** The constraints of a flow on a FIB lookup. */
export interface FibQuery {
  dst: number;
  /** Routes of a narrower scope than this are skipped (flowi4_scope). */
  minScope?: number;
  /** Only routes through this device (flowi4_oif); 0 or absent for any. */
  oif?: number;
}

/** Whether a route type answers a lookup with an error (fib_props[type].error). */
export function isErrorType(type: number): boolean {
  return type === RTN_BLACKHOLE || type === RTN_UNREACHABLE || type === RTN_PROHIBIT || type === RTN_THROW;
}

/**
 * An exact-prefix accessor a RouteTable may offer (`routesAt(dst, len)`: the routes of that
 * prefix in list order). With it a constrained lookup probes 33 prefixes; without it, it
 * must scan the table, and its first lookup after every change rebuilds the LPM index.
 */
interface ExactPrefixAccess {
  routesAt?(dst: number, prefixLen: number): readonly Route[];
}

/** The routes of some tables that contain `dst`, longest prefix first, earlier tables first within one prefix, list order kept. */
function candidates(tables: readonly (RouteTable | undefined)[], dst: number): Route[] {
  const exact = tables.map((t) => (t as (RouteTable & ExactPrefixAccess) | undefined)?.routesAt?.bind(t));
  if (exact.every((f, i) => f !== undefined || tables[i] === undefined)) {
    const found: Route[] = [];
    for (let len = 32; len >= 0; len--) {
      const key = (dst & prefixMask(len)) >>> 0;
      for (const at of exact) if (at !== undefined) found.push(...at(key, len));
    }
    return found;
  }
  const found: { r: Route; t: number; i: number }[] = [];
  tables.forEach((table, t) => {
    if (table === undefined) return;
    table.routes().forEach((r, i) => {
      if (((dst ^ r.dst) & prefixMask(r.prefixLen)) === 0) found.push({ r, t, i });
    });
  });
  found.sort((a, b) => b.r.prefixLen - a.r.prefixLen || a.t - b.t || a.i - b.i);
  return found.map((f) => f.r);
}

/** Whether a lookup's constraints accept a route (error routes answer whatever their device). */
function fits(r: Route, q: FibQuery): boolean {
  if (q.minScope !== undefined && r.scope < q.minScope) return false;
  return isErrorType(r.type) || q.oif === undefined || q.oif === 0 || r.oif === q.oif;
}

/** fib_table_lookup over the given tables taken as one trie; null when nothing fits. */
function lookupIn(tables: readonly (RouteTable | undefined)[], q: FibQuery): Route | null {
  if (!tables.every((t) => t === undefined || typeof (t as RouteTable & ExactPrefixAccess).routesAt === 'function')) {
    // The tables' own longest-prefix answers: when the best of them fits, it is the answer.
    let best: Route | null = null;
    for (const t of tables) {
      const r = t?.lookup(q.dst) ?? null;
      if (r !== null && (best === null || r.prefixLen > best.prefixLen)) best = r;
    }
    if (best === null) return null;
    if (fits(best, q)) return best;
  }
  for (const r of candidates(tables, q.dst)) {
    if (r.tos === 0 && fits(r, q)) return r;
  }
  return null;
}

/** fib_lookup without policy rules: local and main as one trie, then the default table. */
export function fibLookup(ns: NetNamespace, q: FibQuery): Route | null {
  const fib = ns.fib;
  return lookupIn([fib.tables.get(RT_TABLE_LOCAL), fib.tables.get(RT_TABLE_MAIN)], q) ?? lookupIn([fib.tables.get(RT_TABLE_DEFAULT)], q);
}

/** Whether `addr` is a local address (its longest match in local+main is a `local` route). */
export function isLocalAddress(ns: NetNamespace, addr: number): boolean {
  return lookupIn([ns.fib.tables.get(RT_TABLE_LOCAL), ns.fib.tables.get(RT_TABLE_MAIN)], { dst: addr })?.type === RTN_LOCAL;
}

/** inet_addr_type_dev_table: what `addr` is on `ifindex` (unicast unless a local/broadcast route of that device says otherwise). */
function addressTypeOnDevice(ns: NetNamespace, addr: number, ifindex: number): number {
  if (addr === 0 || addr === 0xffffffff || addr >>> 24 === 0) return RTN_BROADCAST;
  if (addr >>> 28 === 14) return RTN_MULTICAST;
  const r = lookupIn([ns.fib.tables.get(RT_TABLE_LOCAL), ns.fib.tables.get(RT_TABLE_MAIN)], { dst: addr });
  return r !== null && r.oif === ifindex ? r.type : RTN_UNICAST;
}

/** The smallest scope a route type may have (fib_props[type].scope). */
function minimumScope(type: number): number {
  if (type === RTN_LOCAL) return RT_SCOPE_HOST;
  if (type === RTN_BROADCAST) return RT_SCOPE_LINK;
  return 0;
}

/** The route as the kernel stores it, or the line `ip` prints for why it refused it. */
export type RouteCheck = { ok: true; route: RouteInit } | { ok: false; message: string };

function refuse(message: string): RouteCheck {
  return { ok: false, message };
}

/**
 * Validates a new route as fib_table_insert and fib_create_info do, resolving the output
 * device of a gateway route. `route.oif` is the `dev` given (0 for none).
 */
export function checkNewRoute(ns: NetNamespace, route: Required<RouteInit>): RouteCheck {
  if ((route.dst & ~prefixMask(route.prefixLen)) !== 0) return refuse('Error: Invalid prefix for given prefix length.');
  if (route.scope < minimumScope(route.type)) return refuse('Error: Invalid scope.');
  if (isErrorType(route.type)) {
    if (route.gateway !== 0 || route.oif !== 0) return refuse('Error: Gateway, device and multipath can not be specified for this route type.');
    return { ok: true, route };
  }
  if (route.scope > RT_SCOPE_HOST) return refuse('Error: Invalid scope.');
  let oif = route.oif;
  if (route.scope === RT_SCOPE_HOST) {
    if (route.gateway !== 0) return refuse('Error: Route with host scope can not have a gateway.');
    if (ns.deviceByIndex(oif) === undefined) return refuse('RTNETLINK answers: No such device');
  } else if (route.gateway !== 0) {
    const checked = checkGateway(ns, route);
    if (typeof checked === 'string') return refuse(checked);
    oif = checked;
  } else {
    if (route.onlink) return refuse('Error: Invalid flags for nexthop - PERVASIVE and ONLINK can not be set.');
    const dev = ns.deviceByIndex(oif);
    if (dev === undefined) return refuse('RTNETLINK answers: No such device');
    if (!dev.adminUp) return refuse('Error: Device for nexthop is not up.');
  }
  if (route.prefsrc !== 0 && !(route.type === RTN_LOCAL && route.dst !== 0 && route.prefsrc === route.dst) && !isLocalAddress(ns, route.prefsrc))
    return refuse('Error: Invalid prefsrc address.');
  return { ok: true, route: { ...route, oif } };
}

/** fib_check_nh_v4_gw: the output ifindex of a gateway route, or the refusal. */
function checkGateway(ns: NetNamespace, route: Required<RouteInit>): number | string {
  if (route.onlink) {
    if (route.scope >= RT_SCOPE_LINK) return 'Error: Nexthop has invalid scope.';
    const dev = ns.deviceByIndex(route.oif);
    if (dev === undefined) return 'Error: Nexthop device required for onlink.';
    if (!dev.adminUp) return 'Error: Nexthop device is not up.';
    if (addressTypeOnDevice(ns, route.gateway, dev.ifindex) !== RTN_UNICAST) return 'Error: Nexthop has invalid gateway.';
    return dev.ifindex;
  }
  const q: FibQuery = { dst: route.gateway, minScope: Math.max(route.scope + 1, RT_SCOPE_LINK), oif: route.oif };
  let found: Route | null = null;
  if (route.table !== RT_TABLE_MAIN) {
    const own = ns.fib.tables.get(route.table);
    if (own !== undefined) found = lookupIn([own], q);
  }
  if (found === null || isErrorType(found.type)) found = fibLookup(ns, q);
  if (found === null || isErrorType(found.type)) return 'Error: Nexthop has invalid gateway.';
  if (found.type !== RTN_UNICAST && found.type !== RTN_LOCAL) return 'Error: Nexthop has invalid gateway.';
  const dev = ns.deviceByIndex(found.oif);
  if (dev === undefined) return 'Error: No egress device for nexthop.';
  if (!dev.adminUp) return 'RTNETLINK answers: Network is down';
  return dev.ifindex;
}

/** Whether a table exists as the kernel sees it: main always; local and default once they hold a route; others once created. */
export function tableExists(ns: NetNamespace, id: number): boolean {
  if (id === RT_TABLE_MAIN) return true;
  const t = ns.fib.tables.get(id);
  if (t === undefined) return false;
  return (id !== RT_TABLE_LOCAL && id !== RT_TABLE_DEFAULT) || t.size > 0;
}

