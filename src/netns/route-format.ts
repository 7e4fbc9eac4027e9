/**
 * `ip route show` lines for IPv4 routes, as iproute2 6.1 prints them on this machine (names
 * from its /etc/iproute2/rt_protos, rt_scopes, rt_tables and rt_dsfield). Each line ends in a
 * space, as the real tool's do: `default via 10.0.0.1 dev eth0 `.
 *
 * Field order: [type] dst [tos T] [via G] [dev D] [table T] [proto P] [scope S] [src A]
 * [metric M] [onlink] [linkdown]. Omitted when at their usual value: type unicast, proto boot
 * (what `ip route add` gives), scope global, metric 0, and table main; other tables are named
 * only when listing `table all`.
 */
import { IPv4 } from 'ip-num';
import { RTN_UNICAST, RTPROT_BOOT, RT_SCOPE_HOST, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, type Route } from './route-table.js';

/** How to print routes: what `ip route show` knows beyond the routes themselves. */
export interface RouteFormatOptions {
  /** Name tables other than main (`ip route show table all`). */
  showTable?: boolean;
  /** Whether the device is up but has no carrier: its routes print `linkdown` (host-scoped routes never do). */
  noCarrier?: (ifindex: number) => boolean;
  /** Fields the `ip route show` selector fixed (`dev D`, `proto P`, `scope S`, `via G`, `src A`, `metric M`): iproute2 leaves them out. A `type` or `table` selector hides nothing. */
  omit?: RouteShowFilterFields;
}

/** Which selector keywords `ip route show` was given. */
export interface RouteShowFilterFields {
  dev?: boolean;
  proto?: boolean;
  scope?: boolean;
  via?: boolean;
  src?: boolean;
  metric?: boolean;
}

const NOTHING_OMITTED: RouteShowFilterFields = {};

/** Route type names (rtnl_rtntype_n2a). */
const TYPE_NAMES: readonly string[] = [
  'none', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve',
];

/** Protocol names of /etc/iproute2/rt_protos. */
const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'unspec'], [1, 'redirect'], [2, 'kernel'], [3, 'boot'], [4, 'static'], [8, 'gated'], [9, 'ra'], [10, 'mrt'],
  [11, 'zebra'], [12, 'bird'], [13, 'dnrouted'], [14, 'xorp'], [15, 'ntk'], [16, 'dhcp'], [18, 'keepalived'],
  [42, 'babel'], [99, 'openr'], [186, 'bgp'], [187, 'isis'], [188, 'ospf'], [189, 'rip'], [192, 'eigrp'],
]);

/** Scope names of /etc/iproute2/rt_scopes. */
const SCOPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'global'], [200, 'site'], [253, 'link'], [254, 'host'], [255, 'nowhere'],
]);

/** Table names of /etc/iproute2/rt_tables. */
const TABLE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'unspec'], [253, 'default'], [254, 'main'], [255, 'local'],
]);

/** TOS names of /etc/iproute2/rt_dsfield. */
const DSFIELD_NAMES: ReadonlyMap<number, string> = new Map([
  [0x28, 'AF11'], [0x30, 'AF12'], [0x38, 'AF13'], [0x48, 'AF21'], [0x50, 'AF22'], [0x58, 'AF23'],
  [0x68, 'AF31'], [0x70, 'AF32'], [0x78, 'AF33'], [0x88, 'AF41'], [0x90, 'AF42'], [0x98, 'AF43'],
  [0x20, 'CS1'], [0x40, 'CS2'], [0x60, 'CS3'], [0x80, 'CS4'], [0xa0, 'CS5'], [0xc0, 'CS6'], [0xe0, 'CS7'], [0xb8, 'EF'],
]);

/** A route type as `ip route` names it. */
export function routeTypeName(type: number): string {
  return TYPE_NAMES[type] ?? String(type);
}

/** A route protocol as `ip route` names it. */
export function routeProtocolName(protocol: number): string {
  return PROTOCOL_NAMES.get(protocol) ?? String(protocol);
}

/** A route scope as `ip route` names it. */
export function routeScopeName(scope: number): string {
  return SCOPE_NAMES.get(scope) ?? String(scope);
}

/** A table id as `ip route` names it. */
export function routeTableName(table: number): string {
  return TABLE_NAMES.get(table) ?? String(table);
}

/** A TOS value as `ip route` prints it: its DS-field name, else two hex digits. */
export function routeTosName(tos: number): string {
  return DSFIELD_NAMES.get(tos) ?? `0x${tos.toString(16).padStart(2, '0')}`;
}

function address(a: number): string {
  return new IPv4(a >>> 0).toString();
}

/** The destination as `ip route` prints it: `default`, a host address without /32, or PREFIX/LEN. */
export function formatRouteDst(route: Route): string {
  if (route.prefixLen === 0) return 'default';
  if (route.prefixLen === 32) return address(route.dst);
  return `${address(route.dst)}/${route.prefixLen}`;
}

/** One line of `ip route show` for a route, with its trailing space and without the newline. */
export function formatRoute(route: Route, devName: (ifindex: number) => string, opts: RouteFormatOptions = {}): string {
  const omit = opts.omit ?? NOTHING_OMITTED;
  let line = '';
  if (route.type !== RTN_UNICAST) line += `${routeTypeName(route.type)} `;
  line += `${formatRouteDst(route)} `;
  if (route.tos !== 0) line += `tos ${routeTosName(route.tos)} `;
  if (omit.via !== true && route.gateway !== 0) line += `via ${address(route.gateway)} `;
  if (omit.dev !== true && route.oif !== 0) line += `dev ${devName(route.oif)} `;
  if (opts.showTable === true && route.table !== RT_TABLE_MAIN) line += `table ${routeTableName(route.table)} `;
  if (omit.proto !== true && route.protocol !== RTPROT_BOOT) line += `proto ${routeProtocolName(route.protocol)} `;
  if (omit.scope !== true && route.scope !== RT_SCOPE_UNIVERSE) line += `scope ${routeScopeName(route.scope)} `;
  if (omit.src !== true && route.prefsrc !== 0) line += `src ${address(route.prefsrc)} `;
  if (omit.metric !== true && route.priority !== 0) line += `metric ${route.priority} `;
  if (route.onlink) line += 'onlink ';
  if (route.oif !== 0 && route.scope !== RT_SCOPE_HOST && opts.noCarrier?.(route.oif) === true) line += 'linkdown ';
  return line;
}

/** The whole output of `ip route show` for these routes (already in dump order): one line each, newline-terminated. */
export function formatRoutes(routes: readonly Route[], devName: (ifindex: number) => string, opts: RouteFormatOptions = {}): string {
  let out = '';
  for (const r of routes) out += formatRoute(r, devName, opts) + '\n';
  return out;
}

/**
 * The order `ip route show table all` lists tables in: by id modulo 256 (the kernel's table
 * hash buckets), and within one bucket the most recently created table first (so table 510
 * made after main comes before main). Takes the ids in creation order; main and local exist
 * from the start.
 */
export function tableDumpOrder(idsInCreationOrder: readonly number[]): number[] {
  const created = new Map(idsInCreationOrder.map((id, i) => [id, i]));
  return [...idsInCreationOrder].sort((a, b) => (a & 255) - (b & 255) || created.get(b)! - created.get(a)!);
}
