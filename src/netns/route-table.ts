/**
 * One IPv4 FIB table (struct fib_table): its routes in the order the kernel keeps and dumps
 * them, and the longest-prefix-match lookup of fib_table_lookup.
 *
 * Facts from this machine's kernel (6.18, iproute2 6.1; commands in route-format.test.ts):
 * - Routes of one prefix (dst/prefixLen) are kept as one list ordered by tos descending,
 *   then priority (metric) ascending; routes with equal dst/prefixLen/tos/priority form a
 *   run in which `add` fails, `append` adds at the end, `prepend` at the start and
 *   `replace`/`change` overwrite the first.
 * - A dump visits prefixes by dst ascending, and for one dst the longer prefix first
 *   (0.0.0.0/1 before default; 10.0.0.0/24 before 10.0.0.0/16 before 10.0.0.0/8).
 * - A lookup with tos 0 takes the longest prefix that has a route with tos 0, and of that
 *   prefix the first such route in list order, whatever its type (a blackhole ahead of a
 *   unicast route in the same run wins).
 */

export const RTN_UNSPEC = 0;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_ANYCAST = 4;
export const RTN_MULTICAST = 5;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;
export const RTN_NAT = 10;

export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

export const RTPROT_UNSPEC = 0;
export const RTPROT_REDIRECT = 1;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;
export const RTPROT_DHCP = 16;

export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

/** An IPv4 route (a fib_alias with its fib_info and single nexthop). */
export interface Route {
  readonly table: number;
  /** RTN_* */
  readonly type: number;
  /** Unsigned 32-bit, host bits zero. */
  readonly dst: number;
  readonly prefixLen: number;
  readonly tos: number;
  /** The metric. */
  readonly priority: number;
  /** 0 = none. */
  readonly gateway: number;
  /** ifindex, 0 = none. */
  readonly oif: number;
  readonly onlink: boolean;
  /** 0 = none. */
  readonly prefsrc: number;
  /** RT_SCOPE_* */
  readonly scope: number;
  /** RTPROT_* */
  readonly protocol: number;
}

/** The fields a new route must have; the others default to what `ip route add PREFIX` gives. */
export type RouteInit = Partial<Route> & Pick<Route, 'dst' | 'prefixLen'>;

/** Builds a route with every field set in one order, so all routes share one shape. */
export function newRoute(init: RouteInit): Route {
  return {
    table: init.table ?? RT_TABLE_MAIN,
    type: init.type ?? RTN_UNICAST,
    dst: init.dst >>> 0,
    prefixLen: init.prefixLen,
    tos: init.tos ?? 0,
    priority: init.priority ?? 0,
    gateway: (init.gateway ?? 0) >>> 0,
    oif: init.oif ?? 0,
    onlink: init.onlink ?? false,
    prefsrc: (init.prefsrc ?? 0) >>> 0,
    scope: init.scope ?? RT_SCOPE_UNIVERSE,
    protocol: init.protocol ?? RTPROT_BOOT,
  };
}

/** The scope `ip route add` gives when none is named: host for local/nat, link for broadcast/multicast/anycast and gatewayless unicast, else global. */
export function defaultRouteScope(type: number, gateway: number): number {
  if (type === RTN_LOCAL || type === RTN_NAT) return RT_SCOPE_HOST;
  if (type === RTN_BROADCAST || type === RTN_MULTICAST || type === RTN_ANYCAST) return RT_SCOPE_LINK;
  if ((type === RTN_UNICAST || type === RTN_UNSPEC) && gateway === 0) return RT_SCOPE_LINK;
  return RT_SCOPE_UNIVERSE;
}

/** The table `ip route add` uses when none is named: local for local/broadcast/anycast/nat, else main. */
export function defaultRouteTable(type: number): number {
  return type === RTN_LOCAL || type === RTN_BROADCAST || type === RTN_ANYCAST || type === RTN_NAT ? RT_TABLE_LOCAL : RT_TABLE_MAIN;
}

/** Whether a device going down (fib_sync_down_dev) flushes this route: it goes through the device and is not host-scoped; `local` routes stay. */
export function flushedByDeviceDown(route: Route, ifindex: number): boolean {
  return route.oif === ifindex && route.scope !== RT_SCOPE_HOST;
}

/** The netmask of a prefix length, unsigned. */
export function prefixMask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** The errno names the kernel answers route changes with. */
export type RouteErrno = 'EEXIST' | 'ESRCH' | 'ENOENT' | 'EINVAL' | 'ENETDOWN' | 'ENETUNREACH' | 'ENODEV';

/** A failed route change: the kernel's errno and the exact line `ip route` prints for it (exit status 2). */
export class RouteError {
  constructor(
    readonly errno: RouteErrno,
    readonly message: string,
  ) {}
}

/** The failures of `ip route add/append/prepend/replace/change/del` on this machine, errno checked with strace. */
export const RouteErrors = {
  /** add: a route with the same dst/prefixLen/tos/priority exists; append/prepend/replace: an identical one does. */
  fileExists: new RouteError('EEXIST', 'RTNETLINK answers: File exists'),
  /** del: nothing matched the selector. */
  noSuchProcess: new RouteError('ESRCH', 'RTNETLINK answers: No such process'),
  /** change: no route with the same dst/prefixLen/tos/priority. */
  noSuchFile: new RouteError('ENOENT', 'RTNETLINK answers: No such file or directory'),
  /** dst has bits set beyond the prefix length (`ip route add 10.2.0.1/16 ...`). */
  invalidPrefix: new RouteError('EINVAL', 'Error: Invalid prefix for given prefix length.'),
  /** The gateway is not reachable by a link-scope route through the device (and no `onlink`), or is broadcast/multicast. */
  invalidGateway: new RouteError('ENETUNREACH', 'Error: Nexthop has invalid gateway.'),
  /** `dev D` without `via` and D is down. */
  deviceNotUp: new RouteError('ENETDOWN', 'Error: Device for nexthop is not up.'),
  /** `via G dev D onlink` and D is down. */
  nexthopDeviceNotUp: new RouteError('ENETDOWN', 'Error: Nexthop device is not up.'),
  /** `src` is not a local address of the namespace. */
  invalidPrefsrc: new RouteError('EINVAL', 'Error: Invalid prefsrc address.'),
  /** blackhole/unreachable/prohibit/throw with `via` or `dev`. */
  nexthopForbidden: new RouteError('EINVAL', 'Error: Gateway, device and multipath can not be specified for this route type.'),
  /** `scope host` with `via`. */
  hostScopeGateway: new RouteError('EINVAL', 'Error: Route with host scope can not have a gateway.'),
  /** e.g. `local ... scope link`, or `nat`. */
  invalidScope: new RouteError('EINVAL', 'Error: Invalid scope.'),
  /** del in a table that was never created. */
  noSuchTable: new RouteError('ESRCH', 'Error: FIB table does not exist.'),
  /** A unicast route with neither `via` nor `dev`. */
  noSuchDevice: new RouteError('ENODEV', 'RTNETLINK answers: No such device'),
} as const;

/** What `ip route del` names: dst/prefixLen always, tos exactly (0 when not given); other fields only when given (absent, or 0 for type/priority/gateway/oif/prefsrc/protocol, or RT_SCOPE_NOWHERE for scope, match any). */
export interface RouteSelector {
  dst: number;
  prefixLen: number;
  tos?: number;
  type?: number;
  priority?: number;
  gateway?: number;
  oif?: number;
  prefsrc?: number;
  protocol?: number;
  scope?: number;
}

/** The routes of one dst/prefixLen (a trie leaf's aliases of one length), in kernel order. */
class Prefix {
  readonly routes: Route[] = [];
  /** The first route with tos 0: what a lookup landing here returns. */
  best: Route | null = null;

  constructor(
    readonly dst: number,
    readonly prefixLen: number,
  ) {}

  refreshBest(): void {
    this.best = null;
    for (const r of this.routes)
      if (r.tos === 0) {
        this.best = r;
        return;
      }
  }
}

const TWO_32 = 0x1_0000_0000;
/** Flips the sign bit so that unsigned order becomes int32 order. */
const BIAS = 0x80000000;

/** An IPv4 routing table (struct fib_table). */
export class RouteTable {
  /** Key: dst + prefixLen * 2^32. */
  private readonly prefixes = new Map<number, Prefix>();
  private count = 0;

  // The lookup index, rebuilt by the first lookup after a change: the address space cut into
  // ranges that one route owns (starts[i] ^ BIAS is where range i begins, owners[i] its
  // route), and a bucket table by the top address bits that narrows the binary search to a
  // few ranges.
  private stale = true;
  private starts = new Int32Array(1);
  private owners: (Route | null)[] = [null];
  private ranges = 1;
  /** bucketFirst[b]: the range holding the first address of bucket b (addresses >>> bucketShift). */
  private bucketFirst = new Int32Array([0, 0, 0]);
  private bucketShift = 31;
  private dump: Route[] | null = null;

  constructor(
    /** The table id (RT_TABLE_* or 1..2^32-1). */
    readonly id: number = RT_TABLE_MAIN,
  ) {}

  /** How many routes the table holds. */
  get size(): number {
    return this.count;
  }

  /** `ip route add`: fails when a route with the same dst/prefixLen/tos/priority exists. */
  add(route: RouteInit): RouteError | null {
    const p = this.prefixFor(route);
    if (p === null) return RouteErrors.invalidPrefix;
    const run = findRun(p.routes, route.tos ?? 0, route.priority ?? 0);
    if (run.end > run.start) return RouteErrors.fileExists;
    this.insert(p, run.start, newRoute(route));
    return null;
  }

  /** `ip route append`: adds after the routes with the same dst/prefixLen/tos/priority; fails on an identical one. */
  append(route: RouteInit): RouteError | null {
    return this.create(route, true);
  }

  /** `ip route prepend`: adds before the routes with the same dst/prefixLen/tos/priority; fails on an identical one. */
  prepend(route: RouteInit): RouteError | null {
    return this.create(route, false);
  }

  /**
   * `ip route replace`: overwrites the first route with the same dst/prefixLen/tos/priority, or
   * adds. When an identical route is already there it is a no-op if it is that first one, and
   * "File exists" otherwise.
   */
  replace(route: RouteInit): RouteError | null {
    return this.overwrite(route, true);
  }

  /** `ip route change`: as replace, but "No such file or directory" when there is nothing to overwrite. */
  change(route: RouteInit): RouteError | null {
    return this.overwrite(route, false);
  }

  /** `ip route del`: deletes the first route, in list order, that the selector matches. */
  delete(sel: RouteSelector): RouteError | null {
    const dst = sel.dst >>> 0;
    if (!validPrefix(dst, sel.prefixLen)) return RouteErrors.invalidPrefix;
    const p = this.prefixes.get(dst + sel.prefixLen * TWO_32);
    if (p === undefined) return RouteErrors.noSuchProcess;
    const i = p.routes.findIndex((r) => selects(sel, r));
    if (i < 0) return RouteErrors.noSuchProcess;
    p.routes.splice(i, 1);
    this.count--;
    this.settle(p);
    return null;
  }

  /** Removes every route the predicate holds for (a device going down, an address going away); returns how many. */
  removeWhere(pred: (route: Route) => boolean): number {
    let removed = 0;
    for (const p of this.prefixes.values()) {
      const kept = p.routes.filter((r) => !pred(r));
      if (kept.length === p.routes.length) continue;
      removed += p.routes.length - kept.length;
      p.routes.length = 0;
      p.routes.push(...kept);
      this.settle(p);
    }
    this.count -= removed;
    return removed;
  }

  /** The route fib_table_lookup picks for `dst` with tos 0, or null; allocates nothing, except that the first lookup after a change rebuilds the index. */
  lookup(dst: number): Route | null {
    if (this.stale) this.rebuild();
    const starts = this.starts;
    const key = dst ^ BIAS;
    const b = dst >>> this.bucketShift;
    let lo = this.bucketFirst[b]!;
    let n = this.bucketFirst[b + 1]! - lo + 1;
    while (n > 1) {
      const half = n >>> 1;
      if (starts[lo + half]! <= key) lo += half;
      n -= half;
    }
    return this.owners[lo]!;
  }

  /** Every route, in the order `ip route show` dumps them. */
  routes(): readonly Route[] {
    if (this.dump === null) {
      const list = [...this.prefixes.values()].sort((a, b) => a.dst - b.dst || b.prefixLen - a.prefixLen);
      this.dump = list.flatMap((p) => p.routes);
    }
    return this.dump;
  }

  private create(route: RouteInit, atEnd: boolean): RouteError | null {
    const p = this.prefixFor(route);
    if (p === null) return RouteErrors.invalidPrefix;
    const run = findRun(p.routes, route.tos ?? 0, route.priority ?? 0);
    const r = newRoute(route);
    for (let i = run.start; i < run.end; i++) if (sameRoute(p.routes[i]!, r)) return RouteErrors.fileExists;
    this.insert(p, atEnd ? run.end : run.start, r);
    return null;
  }

  private overwrite(route: RouteInit, create: boolean): RouteError | null {
    const p = this.prefixFor(route);
    if (p === null) return RouteErrors.invalidPrefix;
    const run = findRun(p.routes, route.tos ?? 0, route.priority ?? 0);
    const r = newRoute(route);
    if (run.end === run.start) {
      if (!create) {
        this.settle(p);
        return RouteErrors.noSuchFile;
      }
      this.insert(p, run.start, r);
      return null;
    }
    for (let i = run.start; i < run.end; i++) if (sameRoute(p.routes[i]!, r)) return i === run.start ? null : RouteErrors.fileExists;
    p.routes[run.start] = r;
    this.settle(p);
    return null;
  }

  /** The prefix entry for a route, created empty if new; null when dst has host bits set. */
  private prefixFor(route: RouteInit): Prefix | null {
    const dst = route.dst >>> 0;
    if (!validPrefix(dst, route.prefixLen)) return null;
    const key = dst + route.prefixLen * TWO_32;
    let p = this.prefixes.get(key);
    if (p === undefined) {
      p = new Prefix(dst, route.prefixLen);
      this.prefixes.set(key, p);
    }
    return p;
  }

  private insert(p: Prefix, at: number, route: Route): void {
    p.routes.splice(at, 0, route);
    this.count++;
    this.settle(p);
  }

  /** After a change to `p`: drop it if empty, recompute its lookup result, invalidate the index and dump. */
  private settle(p: Prefix): void {
    if (p.routes.length === 0) this.prefixes.delete(p.dst + p.prefixLen * TWO_32);
    p.refreshBest();
    this.stale = true;
    this.dump = null;
  }

  /** Flattens the nested prefixes that have a tos-0 route into disjoint ranges, each owned by its longest prefix. */
  private rebuild(): void {
    const list: Prefix[] = [];
    for (const p of this.prefixes.values()) if (p.best !== null) list.push(p);
    list.sort((a, b) => a.dst - b.dst || a.prefixLen - b.prefixLen);
    const starts = new Int32Array(2 * list.length + 1);
    const owners: (Route | null)[] = [null];
    let n = 1;
    starts[0] = 0 ^ BIAS;
    const emit = (at: number, owner: Route | null): void => {
      if (at >= TWO_32) return;
      const key = at ^ BIAS;
      if (starts[n - 1] === key) {
        owners[n - 1] = owner;
        if (n > 1 && owners[n - 2] === owner) n--;
      } else if (owners[n - 1] !== owner) {
        starts[n] = key;
        owners[n] = owner;
        n++;
      }
    };
    const open: Prefix[] = [];
    const close = (until: number): void => {
      while (open.length > 0 && endOf(open[open.length - 1]!) < until) {
        const done = open.pop()!;
        emit(endOf(done) + 1, open.length > 0 ? open[open.length - 1]!.best : null);
      }
    };
    for (const p of list) {
      close(p.dst);
      emit(p.dst, p.best);
      open.push(p);
    }
    close(TWO_32);
    owners.length = n;
    this.starts = starts;
    this.owners = owners;
    this.ranges = n;
    this.indexBuckets();
    this.stale = false;
  }

  /** Splits the address space into 2^bits buckets (two to four ranges each, at most 65536) and records the range each starts in. */
  private indexBuckets(): void {
    const bits = Math.min(16, Math.max(1, Math.floor(Math.log2(this.ranges)) - 1));
    const shift = 32 - bits;
    const first = new Int32Array((1 << bits) + 1);
    let i = 0;
    for (let b = 0; b < 1 << bits; b++) {
      const key = (b * 2 ** shift) ^ BIAS;
      while (i + 1 < this.ranges && this.starts[i + 1]! <= key) i++;
      first[b] = i;
    }
    first[1 << bits] = this.ranges - 1;
    this.bucketFirst = first;
    this.bucketShift = shift;
  }
}

/** The last address of a prefix, unsigned. */
function endOf(p: Prefix): number {
  return p.dst + (TWO_32 / 2 ** p.prefixLen - 1);
}

function validPrefix(dst: number, prefixLen: number): boolean {
  return Number.isInteger(prefixLen) && prefixLen >= 0 && prefixLen <= 32 && (dst & ~prefixMask(prefixLen)) === 0;
}

/** Where the routes with this tos and priority sit (or would go) in a prefix's list: [start, end). */
function findRun(routes: readonly Route[], tos: number, priority: number): { start: number; end: number } {
  let start = 0;
  while (start < routes.length && (routes[start]!.tos > tos || (routes[start]!.tos === tos && routes[start]!.priority < priority))) start++;
  let end = start;
  while (end < routes.length && routes[end]!.tos === tos && routes[end]!.priority === priority) end++;
  return { start, end };
}

/** Whether two routes of one run are the same route to the kernel (type, nexthop, source, scope, protocol). */
function sameRoute(a: Route, b: Route): boolean {
  return (
    a.type === b.type &&
    a.gateway === b.gateway &&
    a.oif === b.oif &&
    a.onlink === b.onlink &&
    a.prefsrc === b.prefsrc &&
    a.scope === b.scope &&
    a.protocol === b.protocol
  );
}

function selects(sel: RouteSelector, r: Route): boolean {
  return (
    r.tos === (sel.tos ?? 0) &&
    (!sel.type || r.type === sel.type) &&
    (!sel.priority || r.priority === sel.priority) &&
    (!sel.gateway || r.gateway === sel.gateway >>> 0) &&
    (!sel.oif || r.oif === sel.oif) &&
    (!sel.prefsrc || r.prefsrc === sel.prefsrc >>> 0) &&
    (!sel.protocol || r.protocol === sel.protocol) &&
    (sel.scope === undefined || sel.scope === RT_SCOPE_NOWHERE || r.scope === sel.scope)
  );
}
