import type { IfAddr } from './address.js';
import type { NetDevice } from './device.js';
import type { NetNamespace } from './namespace.js';
import {
  RouteTable,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_UNICAST,
  RTPROT_KERNEL,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  flushedByDeviceDown,
  type Route,
} from './route-table.js';

/** Builds a route with every field set, so all routes share one shape. */
export function makeRoute(fields: Partial<Route> & Pick<Route, 'dst' | 'prefixLen'>): Route {
  return {
    table: RT_TABLE_MAIN,
    type: RTN_UNICAST,
    tos: 0,
    priority: 0,
    gateway: 0,
    oif: 0,
    onlink: false,
    prefsrc: 0,
    scope: 0,
    protocol: RTPROT_KERNEL,
    ...fields,
  };
}

/** A next-hop exception (struct fib_nh_exception): a redirect learned for one destination. */
export interface NexthopException {
  gateway: number;
  oif: number;
  /** Virtual time it expires (ip_rt_gc_timeout after it was learned). */
  expires: number;
}

/** ip_rt_gc_timeout: how long a learned redirect lasts (300 s). */
export const REDIRECT_TIMEOUT = 300_000_000_000;

/**
 * The namespace's forwarding information base: its routing tables and the default policy
 * rules (`0: from all lookup local`, `32766: from all lookup main`, `32767: from all lookup
 * default`), plus the routes the kernel itself adds for interface addresses.
 */
export class Fib {
  readonly tables = new Map<number, RouteTable>();
  readonly local: RouteTable;
  readonly main: RouteTable;
  readonly fallback: RouteTable;

  /** Redirects learned, by destination (the kernel keeps them on the route's next hop). */
  readonly exceptions = new Map<number, NexthopException>();

  constructor(private readonly ns: NetNamespace) {
    this.local = this.table(RT_TABLE_LOCAL);
    this.main = this.table(RT_TABLE_MAIN);
    this.fallback = this.table(RT_TABLE_DEFAULT);
  }

  /** The table with this id, created on first use as the kernel does. */
  table(id: number): RouteTable {
    let t = this.tables.get(id);
    if (t === undefined) {
      t = new RouteTable(id);
      this.tables.set(id, t);
    }
    return t;
  }

  /**
   * The lookup under the default rules. With no custom rules the kernel merges `local` into
   * `main` (one trie), so the longest prefix across both wins, local first on a tie; then `default`.
   */
  lookup(dst: number): Route | null {
    const l = this.local.lookup(dst);
    const m = this.main.lookup(dst);
    if (l !== null && (m === null || l.prefixLen >= m.prefixLen)) return l;
    if (m !== null) return m;
    return this.fallback.lookup(dst);
  }

  /** The next hop for `dst` through `route`: a learned redirect's gateway, the route's gateway, or dst itself. */
  nexthop(route: Route, dst: number): number {
    if (this.exceptions.size > 0) {
      const e = this.exceptions.get(dst);
      if (e !== undefined && e.oif === route.oif) {
        if (e.expires > this.ns.net.now) return e.gateway;
        this.exceptions.delete(dst);
      }
    }
    return route.gateway !== 0 ? route.gateway : dst;
  }

  /** Whether `addr` is one of this namespace's local addresses (a `local` route in table local). */
  isLocal(addr: number): boolean {
    const r = this.local.lookup(addr);
    return r !== null && r.type === RTN_LOCAL;
  }

  /**
   * The routes an address brings (fib_add_ifaddr): its `local` /32 always; when the device
   * is up, the given broadcast, and for a primary the subnet route (a `local` route on a
   * loopback device) and the subnet's broadcast.
   */
  addIfaddrRoutes(ifa: IfAddr): void {
    const dev = ifa.dev;
    const prim = ifa.secondary ? this.primaryFor(ifa) ?? ifa : ifa;
    const loopback = dev.kind === 'loopback';
    this.addKernelRoute(RT_TABLE_LOCAL, RTN_LOCAL, ifa.local, 32, dev, prim.local);
    if (!dev.adminUp) return;
    if (ifa.broadcast !== 0 && ifa.broadcast !== 0xffffffff) this.addKernelRoute(RT_TABLE_LOCAL, RTN_BROADCAST, ifa.broadcast, 32, dev, prim.local);
    const prefix = ifa.network;
    if (prefix !== 0 && !ifa.secondary && (prefix !== ifa.local || ifa.prefixLen < 32)) {
      if (!ifa.noprefixroute)
        this.addKernelRoute(loopback ? RT_TABLE_LOCAL : RT_TABLE_MAIN, loopback ? RTN_LOCAL : RTN_UNICAST, prefix, ifa.prefixLen, dev, prim.local);
      if (ifa.prefixLen < 31) this.addKernelRoute(RT_TABLE_LOCAL, RTN_BROADCAST, (prefix | ~ifa.mask) >>> 0, 32, dev, prim.local);
    }
  }

  private addKernelRoute(table: number, type: number, dst: number, prefixLen: number, dev: NetDevice, prefsrc: number): void {
    const scope = type === RTN_LOCAL ? RT_SCOPE_HOST : RT_SCOPE_LINK;
    const t = this.table(table);
    // fib_magic appends; an identical route already there is left alone.
    for (const r of t.routes())
      if (r.dst === dst && r.prefixLen === prefixLen && r.type === type && r.oif === dev.ifindex && r.prefsrc === prefsrc && r.priority === 0) return;
    t.append(makeRoute({ table, type, dst, prefixLen, oif: dev.ifindex, prefsrc, scope }));
  }

  /**
   * Removes what addIfaddrRoutes added (fib_del_ifaddr): the address's local route, and for
   * a primary its subnet and broadcast routes; then every route that used it as source.
   */
  removeIfaddrRoutes(ifa: IfAddr): void {
    const ifindex = ifa.dev.ifindex;
    const stillLocal = this.ns.addressOwner(ifa.local) !== null;
    for (const t of this.tables.values()) {
      t.removeWhere(
        (r) =>
          (!stillLocal && r.type === RTN_LOCAL && r.dst === ifa.local && r.prefixLen === 32 && r.oif === ifindex) ||
          (!ifa.secondary && r.protocol === RTPROT_KERNEL && r.oif === ifindex && r.prefsrc === ifa.local && r.type !== RTN_LOCAL) ||
          (!stillLocal && r.prefsrc === ifa.local),
      );
    }
  }

  /** A device went down or away: every route through it goes except host-scoped ones (fib_sync_down_dev + fib_flush). */
  flushDevice(dev: NetDevice, gone = false): void {
    for (const t of this.tables.values()) t.removeWhere((r) => (gone ? r.oif === dev.ifindex : flushedByDeviceDown(r, dev.ifindex)));
  }

  private primaryFor(ifa: IfAddr): IfAddr | null {
    for (const a of ifa.dev.addrs) if (!a.secondary && a.prefixLen === ifa.prefixLen && a.contains(ifa.local)) return a;
    return null;
  }
}
