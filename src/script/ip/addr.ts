/**
 * `ip address`: add, replace, delete, show, flush of IPv4 addresses, with iproute2's parsing
 * and the kernel's answers on this machine:
 * - Same address and prefix again: `Error: ipv4: Address already assigned.`; another address
 *   of the same subnet with a different scope: `Error: ipv4: Invalid scope value.`; deleting
 *   one that is not there: `Error: ipv4: Address not found.`
 * - `ip addr del ADDR` without a length deletes the first address ADDR whatever its length,
 *   after a four-line warning.
 * - `brd +` sets the subnet broadcast for prefixes up to /30; 127.0.0.0/8 addresses default
 *   to scope host.
 * - The kernel keeps primaries ahead of secondaries and orders primaries by scope, host
 *   first, then link, then global (__inet_insert_ifa).
 */
import type { IfAddr } from '../../netns/address.js';
import type { NetDevice } from '../../netns/device.js';
import { RT_SCOPE_HOST } from '../../netns/route-table.js';
import {
  ArgReader,
  IpExit,
  duparg,
  duparg2,
  familyWord,
  helpWord,
  getAddr,
  getPrefix,
  invarg,
  matches,
  parseScope,
  unsupported,
  type InetPrefix,
  type IpCall,
} from './args.js';
import { formatLinkWithAddresses } from './link-format.js';

/** `ip address [add|replace|change|delete|show|flush] …` */
export function doAddress(call: IpCall, argv: string[]): void {
  const sub = argv[0];
  const args = new ArgReader(argv.slice(1));
  if (sub === undefined) return showAddresses(call, args, false);
  if (matches(sub, 'add')) return modifyAddress(call, args, 'add');
  if (matches(sub, 'change') || sub === 'chg') return modifyAddress(call, args, 'replace');
  if (matches(sub, 'replace')) return modifyAddress(call, args, 'replace');
  if (matches(sub, 'delete')) return modifyAddress(call, args, 'delete');
  if (matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) return showAddresses(call, args, false);
  if (matches(sub, 'flush')) return showAddresses(call, args, true);
  if (matches(sub, 'save') || matches(sub, 'showdump') || matches(sub, 'restore') || matches(sub, 'help')) unsupported(`ip address ${sub}`);
  throw new IpExit(`Command "${sub}" is unknown, try "ip address help".\n`);
}

/** Address flags iproute2 knows: whether userspace may set them, and whether they are IPv6-only. */
const ADDRESS_FLAGS: ReadonlyMap<string, { readonly: boolean; v6only: boolean }> = new Map([
  ['secondary', { readonly: true, v6only: false }],
  ['temporary', { readonly: true, v6only: false }],
  ['nodad', { readonly: false, v6only: true }],
  ['optimistic', { readonly: false, v6only: true }],
  ['dadfailed', { readonly: true, v6only: true }],
  ['home', { readonly: false, v6only: true }],
  ['deprecated', { readonly: true, v6only: true }],
  ['tentative', { readonly: true, v6only: true }],
  ['permanent', { readonly: true, v6only: true }],
  ['mngtmpaddr', { readonly: false, v6only: true }],
  ['noprefixroute', { readonly: false, v6only: false }],
  ['autojoin', { readonly: false, v6only: false }],
  ['stable-privacy', { readonly: true, v6only: true }],
]);

interface AddressRequest {
  local: InetPrefix | null;
  localText: string;
  broadcast: number | '+' | '-' | null;
  scope: number | null;
  dev: string | null;
  label: string | null;
  noprefixroute: boolean;
  /** Whether the request's family is known to be inet (-4, or an address was given). */
  inet: boolean;
}

/** ipaddr_modify's parse, printing its warnings as it goes. */
function parseAddressRequest(call: IpCall, args: ArgReader): AddressRequest {
  const req: AddressRequest = { local: null, localText: '', broadcast: null, scope: null, dev: null, label: null, noprefixroute: false, inet: false };
  let family = familyWord(call.opts);
  let validLft = false;
  let preferredLft = false;
  while (!args.done) {
    const arg = args.take();
    if (arg === 'peer' || arg === 'remote') unsupported(`ip address "${arg}"`);
    else if (matches(arg, 'broadcast') || arg === 'brd') {
      const v = args.value();
      if (req.broadcast !== null) duparg('broadcast', v);
      if (v === '+' || v === '-') req.broadcast = v;
      else {
        req.broadcast = getAddr(v, family).addr;
        family = 'inet';
      }
    } else if (arg === 'anycast') unsupported('ip address "anycast"');
    else if (arg === 'scope') {
      const v = args.value();
      const scope = parseScope(v);
      if (scope === null) invarg('invalid scope value.', v);
      req.scope = scope;
    } else if (arg === 'dev') req.dev = args.value();
    else if (arg === 'label') req.label = args.value();
    else if (matches(arg, 'metric') || matches(arg, 'priority') || matches(arg, 'preference')) unsupported(`ip address "${arg}"`);
    else if (matches(arg, 'valid_lft') || matches(arg, 'preferred_lft')) {
      const valid = matches(arg, 'valid_lft');
      if (valid ? validLft : preferredLft) duparg(valid ? 'valid_lft' : 'preferred_lft', arg);
      const v = args.value();
      if (v !== 'forever') unsupported('address lifetimes other than "forever"');
      if (valid) validLft = true;
      else preferredLft = true;
    } else if (ADDRESS_FLAGS.has(arg)) {
      const flag = ADDRESS_FLAGS.get(arg)!;
      if (flag.readonly) call.ctx.out(`Warning: ${arg} option is not mutable from userspace\n`);
      else if (flag.v6only) call.ctx.out(`Warning: ${arg} option can be set only for IPv6 addresses\n`);
      else if (arg === 'noprefixroute') req.noprefixroute = true;
      else unsupported(`ip address "${arg}"`);
    } else {
      const v = arg === 'local' ? args.value() : arg;
      if (matches(v, 'help')) helpWord('address', v);
      if (req.local !== null) duparg2('local', v);
      req.localText = v;
      req.local = getPrefix(v, family);
      family = 'inet';
    }
  }
  if (req.dev === null) throw new IpExit('Not enough information: "dev" argument is required.\n');
  req.inet = family === 'inet' && !(req.local?.any ?? false);
  return req;
}

function modifyAddress(call: IpCall, args: ArgReader, op: 'add' | 'replace' | 'delete'): void {
  const req = parseAddressRequest(call, args);
  const local = req.local;
  if (op === 'delete' && local !== null && !local.any && !local.lenGiven) {
    call.ctx.out(
      'Warning: Executing wildcard deletion to stay compatible with old scripts.\n' +
        `         Explicitly specify the prefix length (${req.localText}/32) to avoid this warning.\n` +
        '         This special behaviour is likely to disappear in further releases,\n' +
        '         fix your scripts!\n',
    );
  }
  const dev = call.ctx.ns.device(req.dev!);
  if (dev === undefined) throw new IpExit(`Cannot find device "${req.dev}"\n`);
  if (local === null || local.any) {
    throw new IpExit(req.inet || call.opts.inet ? 'Error: ipv4: Local address is not supplied.\n' : 'RTNETLINK answers: Operation not supported\n');
  }
  if (op === 'delete') return deleteAddress(dev, local, req.label);
  addAddress(dev, local, req, op === 'replace');
}

/** inet_rtm_newaddr: the kernel's checks, then the address goes where __inet_insert_ifa puts it. */
function addAddress(dev: NetDevice, local: InetPrefix, req: AddressRequest, replace: boolean): void {
  const len = local.len;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const addr = local.addr;
  let broadcast = 0;
  if (typeof req.broadcast === 'number') broadcast = req.broadcast;
  else if (req.broadcast !== null && len <= 30) broadcast = req.broadcast === '+' ? (addr | ~mask) >>> 0 : (addr & mask) >>> 0;
  const scope = req.scope ?? (addr >>> 24 === 127 ? RT_SCOPE_HOST : 0);
  for (const a of dev.addrs) {
    if (a.prefixLen !== len || ((a.local ^ addr) & mask) !== 0) continue;
    if (a.local === addr) {
      if (replace) return; // only lifetimes and metric would change
      throw new IpExit('Error: ipv4: Address already assigned.\n');
    }
    if (a.scope !== scope) throw new IpExit('Error: ipv4: Invalid scope value.\n');
  }
  const ifa = dev.ns.addAddress(dev, addr, len, {
    broadcast,
    scope,
    ...(req.label !== null ? { label: req.label } : {}),
    noprefixroute: req.noprefixroute,
  });
  placeByScope(dev, ifa);
}

/**
 * Moves a new primary where __inet_insert_ifa puts it: after the last primary whose scope
 * is at least as wide (numerically not smaller), so host-scope addresses lead. Kernel
 * ordering belongs in NetNamespace.addAddress; this corrects it until it does.
 */
export function placeByScope(dev: NetDevice, ifa: IfAddr): void {
  if (ifa.secondary) return;
  const list = dev.addrs;
  list.splice(list.indexOf(ifa), 1);
  let at = 0;
  for (let i = 0; i < list.length; i++) if (!list[i]!.secondary && ifa.scope <= list[i]!.scope) at = i + 1;
  list.splice(at, 0, ifa);
}

/** inet_rtm_deladdr: the first address matching local (and, with a length, that prefix; and the label). */
function deleteAddress(dev: NetDevice, local: InetPrefix, label: string | null): void {
  const mask = local.len === 0 ? 0 : (0xffffffff << (32 - local.len)) >>> 0;
  const found = dev.addrs.find(
    (a) =>
      a.local === local.addr &&
      (label === null || a.label === label) &&
      (!local.lenGiven || (a.prefixLen === local.len && ((a.local ^ local.addr) & mask) === 0)),
  );
  if (found === undefined) throw new IpExit('Error: ipv4: Address not found.\n');
  dev.ns.removeAddress(found);
}

// ---- show and flush ----------------------------------------------------------------------

interface AddressFilter {
  dev: string | null;
  up: boolean;
  /** RT_SCOPE_* to keep, or null for all. */
  scope: number | null;
  /** true: secondaries only; false: primaries only. */
  secondary: boolean | null;
}

function parseAddressFilter(args: ArgReader): AddressFilter {
  const f: AddressFilter = { dev: null, up: false, scope: null, secondary: null };
  while (!args.done) {
    const arg = args.take();
    if (arg === 'scope') {
      const v = args.value();
      const scope = parseScope(v);
      if (scope === null && v !== 'all') invarg('invalid "scope"\n', v);
      f.scope = scope;
    } else if (arg === 'up') f.up = true;
    else if (arg === 'primary') f.secondary = false;
    else if (arg === 'secondary' || arg === 'temporary') f.secondary = true;
    else if (['to', 'label', 'group', 'master', 'vrf', 'nomaster', 'type'].includes(arg) || ADDRESS_FLAGS.has(arg.replace(/^-/, '')) || arg === 'dynamic')
      unsupported(`ip address show "${arg}"`);
    else {
      if (arg !== 'dev' && matches(arg, 'help')) helpWord('address', arg);
      const v = arg === 'dev' ? args.value() : arg;
      if (f.dev !== null) duparg2('dev', v);
      f.dev = v;
    }
  }
  return f;
}

function showAddresses(call: IpCall, args: ArgReader, flush: boolean): void {
  if (flush && args.done) throw new IpExit('Flush requires arguments.\n');
  const f = parseAddressFilter(args);
  const ns = call.ctx.ns;
  let devices = ns.deviceList();
  if (f.dev !== null) {
    const dev = ns.device(f.dev);
    if (dev === undefined) throw new IpExit(`Device "${f.dev}" does not exist.\n`);
    devices = [dev];
  }
  const keep = (a: IfAddr): boolean => (f.scope === null || a.scope === f.scope) && (f.secondary === null || a.secondary === f.secondary);
  for (const dev of devices) {
    if (f.up && !dev.adminUp) continue;
    const addrs = dev.addrs.filter(keep);
    if (flush) {
      for (const a of addrs) if (dev.addrs.includes(a)) ns.removeAddress(a);
      continue;
    }
    // ipaddr_filter: a device whose addresses all fail the filter is left out; one with no
    // address at all stays, unless a family was asked for.
    if (addrs.length === 0 && (dev.addrs.length > 0 || call.opts.inet)) continue;
    call.ctx.out(formatLinkWithAddresses(dev, addrs, call.opts));
  }
}
