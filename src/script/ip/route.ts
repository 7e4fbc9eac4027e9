/**
 * `ip route`: add, append, prepend, replace, change, delete, show, flush (and `get`, in
 * route-get.ts) with iproute2's keyword rules and defaults (table local for local/broadcast
 * routes, scope link for gatewayless unicast, proto boot) and the kernel's checks and
 * answers (route-check.ts, RouteTable). Facts from this machine:
 * - Only the main table exists in a fresh namespace; local appears with the first address,
 *   others with their first route. Showing or deleting in one that does not exist:
 *   `Error: ipv4: FIB table does not exist.` + `Dump terminated` / `Error: FIB table does not exist.`
 * - Routes through an up device without carrier print `linkdown`.
 */
import {
  RTN_ANYCAST,
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_NAT,
  RTN_PROHIBIT,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTN_UNSPEC,
  RTPROT_BOOT,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  type RouteError,
  type RouteInit,
} from '../../netns/route-table.js';
import {
  ArgReader,
  IpExit,
  duparg2,
  familyWord,
  helpWord,
  getAddr,
  getPrefix,
  invarg,
  matches,
  nodev,
  parseDsfield,
  parseProtocol,
  parseRouteType,
  parseScope,
  parseTable,
  parseUnsigned,
  unsupported,
  type InetPrefix,
  type IpCall,
} from './args.js';
import { checkNewRoute, tableExists } from './route-check.js';
import { showRoutes } from './route-show.js';
import { doRouteGet } from './route-get.js';

/** `ip route [add|append|prepend|replace|change|delete|show|flush|get] …` */
export function doRoute(call: IpCall, argv: string[]): void {
  const sub = argv[0];
  const args = new ArgReader(argv.slice(1));
  if (sub === undefined) return showRoutes(call, args, false);
  if (matches(sub, 'add')) return modifyRoute(call, args, 'add');
  if (matches(sub, 'change') || sub === 'chg') return modifyRoute(call, args, 'change');
  if (matches(sub, 'replace')) return modifyRoute(call, args, 'replace');
  if (matches(sub, 'prepend')) return modifyRoute(call, args, 'prepend');
  if (matches(sub, 'append')) return modifyRoute(call, args, 'append');
  if (matches(sub, 'test')) unsupported('ip route test');
  if (matches(sub, 'delete')) return modifyRoute(call, args, 'delete');
  if (matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) return showRoutes(call, args, false);
  if (matches(sub, 'get')) return doRouteGet(call, args);
  if (matches(sub, 'flush')) return showRoutes(call, args, true);
  if (matches(sub, 'save') || matches(sub, 'restore') || matches(sub, 'showdump') || matches(sub, 'help')) unsupported(`ip route ${sub}`);
  throw new IpExit(`Command "${sub}" is unknown, try "ip route help".\n`);
}

type RouteOp = 'add' | 'append' | 'prepend' | 'replace' | 'change' | 'delete';

/** Route types dpsim's FIB models (throw, nat, anycast, multicast and xresolve it does not). */
const MODELLED_TYPES = new Set([RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, RTN_BLACKHOLE, RTN_UNREACHABLE, RTN_PROHIBIT]);
const TYPE_NAMES = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'];

/** What `ip route add|del …` asked for (iproute_modify's request). */
interface RouteRequest {
  type: number | null;
  dst: InetPrefix | null;
  tos: number;
  priority: number;
  gateway: number;
  prefsrc: number;
  dev: string | null;
  onlink: boolean;
  scope: number | null;
  protocol: number | null;
  table: number | null;
}

/** Keywords of iproute_modify, in its order, that set route metrics or features dpsim does not model (exact, or abbreviable). */
const UNMODELLED_EXACT = ['as', 'from', 'expires', 'mtu', 'hoplimit', 'advmss', 'rtt', 'rto_min', 'nexthop', 'nhid', 'encap', 'ttl-propagate'];
const UNMODELLED_PREFIX = ['reordering', 'window', 'cwnd', 'initcwnd', 'initrwnd', 'features', 'quickack', 'congctl', 'rttvar', 'ssthresh', 'realms'];

function parseRouteRequest(call: IpCall, args: ArgReader): RouteRequest {
  const req: RouteRequest = { type: null, dst: null, tos: 0, priority: 0, gateway: 0, prefsrc: 0, dev: null, onlink: false, scope: null, protocol: null, table: null };
  let family = familyWord(call.opts);
  let viaSeen = false;
  while (!args.done) {
    const arg = args.take();
    if (arg === 'src') {
      req.prefsrc = getAddr(args.value(), family).addr;
      family = 'inet';
    } else if (arg === 'via') {
      if (viaSeen) invarg('use nexthop syntax to specify multiple via\n', arg);
      viaSeen = true;
      let v = args.value();
      if (v === 'inet6') unsupported('IPv6');
      if (v === 'inet') v = args.value();
      req.gateway = getAddr(v, family).addr;
      family = 'inet';
    } else if (arg === 'tos' || matches(arg, 'dsfield')) {
      const v = args.value();
      const tos = parseDsfield(v);
      if (tos === null) invarg('"tos" value is invalid\n', v);
      req.tos = tos;
    } else if (matches(arg, 'metric') || matches(arg, 'priority') || arg === 'preference') {
      const v = args.value();
      const metric = parseUnsigned(v);
      if (metric === null) invarg('"metric" value is invalid\n', v);
      req.priority = metric;
    } else if (arg === 'scope') {
      const v = args.value();
      const scope = parseScope(v);
      if (scope === null) invarg('invalid "scope" value\n', v);
      req.scope = scope;
    } else if (UNMODELLED_EXACT.includes(arg) || UNMODELLED_PREFIX.some((w) => matches(arg, w))) {
      unsupported(`ip route "${arg}"`);
    } else if (arg === 'onlink') {
      req.onlink = true;
    } else if (matches(arg, 'protocol')) {
      const v = args.value();
      const proto = parseProtocol(v);
      if (proto === null) invarg('"protocol" value is invalid\n', v);
      req.protocol = proto;
    } else if (matches(arg, 'table')) {
      const v = args.value();
      const table = parseTable(v);
      if (table === null) invarg('"table" value is invalid\n', v);
      req.table = table;
    } else if (matches(arg, 'vrf') || matches(arg, 'pref')) {
      unsupported(`ip route "${arg}"`);
    } else if (arg === 'dev' || arg === 'oif') {
      req.dev = args.value();
    } else {
      let v = arg === 'to' ? args.value() : arg;
      const c = v.charCodeAt(0);
      const type = c >= 0x30 && c <= 0x39 ? null : parseRouteType(v);
      if (type !== null) {
        req.type = type;
        v = args.value();
      }
      if (matches(v, 'help')) helpWord('route', v);
      if (req.dst !== null) duparg2('to', v);
      req.dst = getPrefix(v, family);
      family = 'inet';
    }
  }
  return req;
}

/** The table a request goes to when it names none: local for local, broadcast, nat and anycast routes. */
function tableFor(req: RouteRequest): number {
  if (req.table !== null) return req.table;
  const t = req.type;
  return t === RTN_LOCAL || t === RTN_BROADCAST || t === RTN_NAT || t === RTN_ANYCAST ? RT_TABLE_LOCAL : RT_TABLE_MAIN;
}

/** The scope iproute2 sends when none is named. */
function scopeFor(req: RouteRequest, op: RouteOp): number {
  if (req.scope !== null) return req.scope;
  const t = req.type ?? (op === 'delete' ? RTN_UNSPEC : RTN_UNICAST);
  if (t === RTN_LOCAL || t === RTN_NAT) return RT_SCOPE_HOST;
  if (t === RTN_BROADCAST || t === RTN_MULTICAST || t === RTN_ANYCAST) return RT_SCOPE_LINK;
  if (t === RTN_UNICAST || t === RTN_UNSPEC) {
    if (op === 'delete') return RT_SCOPE_NOWHERE;
    if (req.gateway === 0) return RT_SCOPE_LINK;
  }
  return RT_SCOPE_UNIVERSE;
}

function modifyRoute(call: IpCall, args: ArgReader, op: RouteOp): void {
  const req = parseRouteRequest(call, args);
  if (req.dst === null) unsupported('ip route without a destination (the real tool prints its usage)');
  const ns = call.ctx.ns;
  let oif = 0;
  if (req.dev !== null) {
    const dev = ns.device(req.dev);
    if (dev === undefined) nodev(req.dev);
    oif = dev.ifindex;
  }
  if (req.type !== null && !MODELLED_TYPES.has(req.type)) unsupported(`route type "${TYPE_NAMES[req.type] ?? req.type}"`);
  const dst = req.dst.any ? 0 : req.dst.addr;
  const prefixLen = req.dst.len;
  const table = tableFor(req);
  const scope = scopeFor(req, op);
  if (op === 'delete') {
    if (!tableExists(ns, table)) throw new IpExit('Error: FIB table does not exist.\n');
    const err = ns.fib.table(table).delete({
      dst,
      prefixLen,
      tos: req.tos,
      type: req.type ?? 0,
      priority: req.priority,
      gateway: req.gateway,
      oif,
      prefsrc: req.prefsrc,
      protocol: req.protocol ?? 0,
      scope,
    });
    if (err !== null) throw new IpExit(err.message + '\n');
    return;
  }
  const route: Required<RouteInit> = {
    table,
    type: req.type ?? RTN_UNICAST,
    dst,
    prefixLen,
    tos: req.tos,
    priority: req.priority,
    gateway: req.gateway,
    oif,
    onlink: req.onlink,
    prefsrc: req.prefsrc,
    scope,
    protocol: req.protocol ?? RTPROT_BOOT,
  };
  const checked = checkNewRoute(ns, route);
  if (!checked.ok) throw new IpExit(checked.message + '\n');
  const t = ns.fib.table(table);
  let err: RouteError | null;
  switch (op) {
    case 'add':
      err = t.add(checked.route);
      break;
    case 'append':
      err = t.append(checked.route);
      break;
    case 'prepend':
      err = t.prepend(checked.route);
      break;
    case 'replace':
      err = t.replace(checked.route);
      break;
    case 'change':
      err = t.change(checked.route);
      break;
  }
  if (err !== null) throw new IpExit(err.message + '\n');
}
