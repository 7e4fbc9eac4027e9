/**
 * `ip route show` and `ip route flush`: iproute2's dump filter (table, type, proto, scope,
 * dev, via, src, metric, root/match/exact PREFIX) over the kernel's dump, printed by
 * route-format.ts. A selector fixes a field, so that field is left out of the lines (`ip
 * route show dev eth0` prints no `dev eth0`); `table all` names the tables.
 */
import type { NetNamespace } from '../../netns/namespace.js';
import { formatRoute, tableDumpOrder, type RouteShowFilterFields } from '../../netns/route-format.js';
import { RT_TABLE_MAIN, prefixMask, type Route, type RouteTable } from '../../netns/route-table.js';
import {
  ArgReader,
  IpExit,
  familyWord,
  getPrefix,
  helpWord,
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
import { tableExists } from './route-check.js';

/** iproute2's route dump filter (filter_nlmsg) for IPv4. */
interface RouteFilter {
  /** 0 for `table all`. */
  table: number;
  cloned: boolean;
  tos: number | null;
  protocol: number | null;
  scope: number | null;
  type: number | null;
  oif: number | null;
  metric: number | null;
  via: InetPrefix | null;
  src: InetPrefix | null;
  /** `root P`: routes inside P. */
  root: InetPrefix | null;
  /** `match P`: routes covering P. */
  match: InetPrefix | null;
}

function parseRouteFilter(call: IpCall, args: ArgReader): RouteFilter {
  const f: RouteFilter = { table: RT_TABLE_MAIN, cloned: false, tos: null, protocol: null, scope: null, type: null, oif: null, metric: null, via: null, src: null, root: null, match: null };
  const family = familyWord(call.opts);
  let devName: string | null = null;
  while (!args.done) {
    const arg = args.take();
    if (matches(arg, 'table')) {
      const v = args.value();
      const id = parseTable(v);
      if (id !== null) f.table = id;
      else if (v === 'all') f.table = 0;
      else if (v === 'cache') f.cloned = true;
      else if (v === 'help') helpWord('route', v);
      else invarg('table id value is invalid\n', v);
    } else if (matches(arg, 'vrf')) unsupported('ip route show vrf');
    else if (matches(arg, 'cached') || matches(arg, 'cloned')) f.cloned = true;
    else if (arg === 'tos' || matches(arg, 'dsfield')) {
      const v = args.value();
      const tos = parseDsfield(v);
      if (tos === null) invarg('TOS value is invalid\n', v);
      f.tos = tos;
    } else if (matches(arg, 'protocol')) {
      const v = args.value();
      const p = parseProtocol(v);
      if (p === null && v !== 'all') invarg('invalid "protocol"\n', v);
      f.protocol = p;
    } else if (matches(arg, 'scope')) {
      const v = args.value();
      const s = parseScope(v);
      if (s === null && v !== 'all') invarg('invalid "scope"\n', v);
      f.scope = s;
    } else if (matches(arg, 'type')) {
      const v = args.value();
      const t = parseRouteType(v);
      if (t === null) invarg('node type value is invalid\n', v);
      f.type = t;
    } else if (arg === 'dev' || arg === 'oif') devName = args.value();
    else if (arg === 'iif' || arg === 'mark' || matches(arg, 'realms') || matches(arg, 'from')) unsupported(`ip route show "${arg}"`);
    else if (matches(arg, 'metric') || matches(arg, 'priority') || arg === 'preference') {
      const v = args.value();
      const m = parseUnsigned(v);
      if (m === null) invarg('"metric" value is invalid\n', v);
      f.metric = m;
    } else if (arg === 'via') {
      let v = args.value();
      if (v === 'inet6') unsupported('IPv6');
      if (v === 'inet') v = args.value();
      f.via = getPrefix(v, family);
    } else if (arg === 'src') f.src = getPrefix(args.value(), family);
    else {
      let v = matches(arg, 'to') ? args.value() : arg;
      if (matches(v, 'root')) f.root = getPrefix(args.value(), family);
      else if (matches(v, 'match')) f.match = getPrefix(args.value(), family);
      else {
        if (matches(v, 'exact')) v = args.value();
        f.root = f.match = getPrefix(v, family);
      }
    }
  }
  if (devName !== null) {
    const dev = call.ctx.ns.device(devName);
    if (dev === undefined) nodev(devName);
    f.oif = dev.ifindex;
  }
  return f;
}

/** Whether `addr` is inside prefix `p` over its first `bits` bits (inet_addr_match). */
function inside(addr: number, p: InetPrefix, bits: number): boolean {
  return ((addr ^ p.addr) & prefixMask(bits)) === 0;
}

function selected(f: RouteFilter, r: Route): boolean {
  if (f.table !== 0 && r.table !== f.table) return false;
  if (f.protocol !== null && r.protocol !== f.protocol) return false;
  if (f.scope !== null && r.scope !== f.scope) return false;
  if (f.type !== null && r.type !== f.type) return false;
  if (f.tos !== null && r.tos !== f.tos) return false;
  if (f.oif !== null && r.oif !== f.oif) return false;
  if (f.metric !== null && r.priority !== f.metric) return false;
  if (f.root !== null && (f.root.len > r.prefixLen || !inside(r.dst, f.root, f.root.len))) return false;
  if (f.match !== null && (f.match.len < r.prefixLen || ((f.match.addr ^ r.dst) & prefixMask(r.prefixLen)) !== 0)) return false;
  if (f.via !== null && f.via.len > 0 && (r.gateway === 0 || !inside(r.gateway, f.via, f.via.len))) return false;
  if (f.src !== null && f.src.len > 0 && (r.prefsrc === 0 || !inside(r.prefsrc, f.src, f.src.len))) return false;
  return true;
}

/** The tables a dump visits, in the kernel's order. */
function dumpTables(ns: NetNamespace, f: RouteFilter): RouteTable[] {
  if (f.table !== 0) return tableExists(ns, f.table) ? [ns.fib.table(f.table)] : [];
  return tableDumpOrder([...ns.fib.tables.keys()]).map((id) => ns.fib.tables.get(id)!);
}

/** `ip route show|flush [SELECTOR]`: the routes a dump with that filter returns, printed or deleted. */
export function showRoutes(call: IpCall, args: ArgReader, flush: boolean): void {
  if (flush && args.done) throw new IpExit('"ip route flush" requires arguments.\n');
  const f = parseRouteFilter(call, args);
  if (f.cloned) return; // IPv4 has no route cache to show or flush
  const ns = call.ctx.ns;
  if (f.table !== 0 && !tableExists(ns, f.table)) throw new IpExit('Error: ipv4: FIB table does not exist.\nDump terminated\n');
  const routes = dumpTables(ns, f).flatMap((t) => t.routes().filter((r) => selected(f, r)));
  if (flush) {
    for (const r of routes) {
      ns.fib.table(r.table).delete({
        dst: r.dst,
        prefixLen: r.prefixLen,
        tos: r.tos,
        type: r.type,
        priority: r.priority,
        gateway: r.gateway,
        oif: r.oif,
        prefsrc: r.prefsrc,
        protocol: r.protocol,
        scope: r.scope,
      });
    }
    return;
  }
  const omit: RouteShowFilterFields = {
    dev: f.oif !== null,
    proto: f.protocol !== null,
    scope: f.scope !== null,
    via: f.via !== null && f.via.len === 32,
    src: f.src !== null && f.src.len === 32,
    metric: f.metric !== null,
  };
  const devName = (ifindex: number): string => ns.deviceByIndex(ifindex)?.name ?? `if${ifindex}`;
  const noCarrier = (ifindex: number): boolean => {
    const dev = ns.deviceByIndex(ifindex);
    return dev !== undefined && !dev.running;
  };
  let out = '';
  for (const r of routes) out += formatRoute(r, devName, { showTable: f.table === 0, noCarrier, omit }) + '\n';
  call.ctx.out(out);
}
