/**
 * `ip neighbour`: add, change, replace, delete, show, flush of ARP entries, with the
 * kernel's answers on this machine:
 * - `add` of an entry that exists in any state (even FAILED or INCOMPLETE):
 *   `RTNETLINK answers: File exists`; `change` or `delete` of a missing one:
 *   `RTNETLINK answers: No such file or directory`.
 * - The state defaults to PERMANENT; a valid state without `lladdr` on a new entry:
 *   `Error: No link layer address given.`
 * - `show` hides NOARP and NONE entries unless `nud` asks for them; `flush` leaves PERMANENT
 *   and NOARP ones unless `nud all`/`nud permanent` is given.
 * - The kernel dumps entries in hash order, randomized per boot; dpsim lists them by device,
 *   oldest first.
 */
import type { NetDevice } from '../../netns/device.js';
import {
  NUD_DELAY,
  NUD_FAILED,
  NUD_INCOMPLETE,
  NUD_NOARP,
  NUD_NONE,
  NUD_PERMANENT,
  NUD_PROBE,
  NUD_REACHABLE,
  NUD_STALE,
  nudStateName,
  type Neighbour,
} from '../../netns/neighbour.js';
import { formatIPv4, formatMac } from '../../packet/address.js';
import { ArgReader, IpExit, duparg, duparg2, familyWord, helpWord, getAddr, getPrefix, invarg, macFromBytes, matches, nodev, parseLladdr, parseUnsigned, unsupported, type InetPrefix, type IpCall } from './args.js';

const NUD_VALID = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;

/** nud_state_a2n: a state name (`perm`, `reach` and `fail` may be abbreviated) or a single-bit number. */
function parseNudState(text: string): number | null {
  if (matches(text, 'permanent')) return NUD_PERMANENT;
  if (matches(text, 'reachable')) return NUD_REACHABLE;
  const exact: Record<string, number> = { noarp: NUD_NOARP, none: NUD_NONE, stale: NUD_STALE, incomplete: NUD_INCOMPLETE, delay: NUD_DELAY, probe: NUD_PROBE };
  if (text in exact) return exact[text]!;
  if (matches(text, 'failed')) return NUD_FAILED;
  const n = parseUnsigned(text);
  return n !== null && n < 0x100 && (n & (n - 1)) === 0 ? n : null;
}

/** `ip neigh [add|change|replace|delete|show|flush] …` */
export function doNeigh(call: IpCall, argv: string[]): void {
  const sub = argv[0];
  const args = new ArgReader(argv.slice(1));
  if (sub === undefined) return showNeighbours(call, args, false);
  if (matches(sub, 'add')) return modifyNeighbour(call, args, 'add');
  if (matches(sub, 'change') || sub === 'chg') return modifyNeighbour(call, args, 'change');
  if (matches(sub, 'replace')) return modifyNeighbour(call, args, 'replace');
  if (matches(sub, 'delete')) return modifyNeighbour(call, args, 'delete');
  if (matches(sub, 'get') || matches(sub, 'help')) unsupported(`ip neigh ${sub}`);
  if (matches(sub, 'show') || matches(sub, 'lst') || matches(sub, 'list')) return showNeighbours(call, args, false);
  if (matches(sub, 'flush')) return showNeighbours(call, args, true);
  throw new IpExit(`Command "${sub}" is unknown, try "ip neigh help".\n`);
}

function modifyNeighbour(call: IpCall, args: ArgReader, op: 'add' | 'change' | 'replace' | 'delete'): void {
  let lladdr: string | null = null;
  let state = NUD_PERMANENT;
  let devName: string | null = null;
  let dst: InetPrefix | null = null;
  const family = familyWord(call.opts);
  while (!args.done) {
    const arg = args.take();
    if (matches(arg, 'lladdr')) {
      const v = args.value();
      if (lladdr !== null) duparg('lladdr', v);
      lladdr = v;
    } else if (arg === 'nud') {
      const v = args.value();
      const s = parseNudState(v);
      if (s === null) invarg('nud state is bad', v);
      state = s;
    } else if (matches(arg, 'proxy') || matches(arg, 'extern_learn') || matches(arg, 'protocol') || ['router', 'use', 'managed'].includes(arg)) {
      unsupported(`ip neigh "${arg}"`);
    } else if (arg === 'dev') {
      devName = args.value();
    } else {
      const v = arg === 'to' ? args.value() : arg;
      if (matches(v, 'help')) helpWord('neigh', v);
      if (dst !== null) duparg2('to', v);
      dst = getAddr(v, family);
    }
  }
  if (devName === null || dst === null || dst.any) throw new IpExit('Device and destination are required arguments.\n');
  const mac = lladdr !== null && lladdr !== 'null' ? parseLladdr(lladdr) : null;
  const dev = call.ctx.ns.device(devName);
  if (dev === undefined) nodev(devName);
  if (!dev.usesArp) unsupported(`neighbour entries on ${dev.name} (a device without ARP)`);
  const table = call.ctx.ns.neigh;
  const existing = table.lookup(dev, dst.addr);
  if (op === 'delete') {
    if (existing === undefined) throw new IpExit('RTNETLINK answers: No such file or directory\n');
    table.remove(existing);
    return;
  }
  if (mac !== null && mac.length < 6) throw new IpExit('Error: Invalid link address.\n');
  if (existing !== undefined && op === 'add') throw new IpExit('RTNETLINK answers: File exists\n');
  if (existing === undefined && op === 'change') throw new IpExit('RTNETLINK answers: No such file or directory\n');
  let address = mac === null ? null : macFromBytes(mac.slice(0, 6));
  if (address === null && (state & NUD_VALID) !== 0) {
    if (existing === undefined || (existing.state & NUD_VALID) === 0) throw new IpExit('Error: No link layer address given.\n');
    address = existing.mac;
  }
  const err = table.adminSet(dev, dst.addr, address ?? existing?.mac ?? 0, state, true);
  if (err !== null) throw new IpExit(err + '\n');
}

/** Which entries a show or flush selects (iproute2's filter.state and filter.pfx). */
interface NeighFilter {
  dev: NetDevice | null;
  /** NUD bits to show; 0x100 stands for NUD_NONE. */
  states: number;
  prefix: InetPrefix | null;
}

function parseNeighFilter(call: IpCall, args: ArgReader, flush: boolean): NeighFilter {
  let states = flush ? ~(NUD_PERMANENT | NUD_NOARP) & 0x1ff : 0xff & ~NUD_NOARP;
  let stateGiven = false;
  let devName: string | null = null;
  let prefix: InetPrefix | null = null;
  const family = familyWord(call.opts);
  while (!args.done) {
    const arg = args.take();
    if (arg === 'dev') {
      const v = args.value();
      if (devName !== null) duparg('dev', v);
      devName = v;
    } else if (['master', 'vrf', 'nomaster', 'unused', 'proxy'].includes(arg) || matches(arg, 'protocol')) {
      unsupported(`ip neigh show "${arg}"`);
    } else if (arg === 'nud') {
      const v = args.value();
      if (!stateGiven) {
        stateGiven = true;
        states = 0;
      }
      let s = parseNudState(v);
      if (s === null) {
        if (v !== 'all') invarg('nud state is bad', v);
        s = flush ? 0x1ff & ~NUD_NOARP : 0x1ff;
      }
      states |= s === 0 ? 0x100 : s;
    } else {
      const v = arg === 'to' ? args.value() : arg;
      if (matches(v, 'help')) helpWord('neigh', v);
      prefix = getPrefix(v, family);
    }
  }
  let dev: NetDevice | null = null;
  if (devName !== null) {
    const d = call.ctx.ns.device(devName);
    if (d === undefined) nodev(devName);
    dev = d;
  }
  return { dev, states, prefix };
}

function selected(f: NeighFilter, n: Neighbour): boolean {
  if (f.dev !== null && n.dev !== f.dev) return false;
  if (n.state === NUD_NONE ? (f.states & 0x100) === 0 : (f.states & n.state) === 0) return false;
  if (f.prefix !== null && !f.prefix.any && f.prefix.len > 0) {
    const mask = (0xffffffff << (32 - f.prefix.len)) >>> 0;
    if (((n.ip ^ f.prefix.addr) & mask) !== 0) return false;
  }
  return true;
}

function showNeighbours(call: IpCall, args: ArgReader, flush: boolean): void {
  if (flush && args.done) throw new IpExit('Flush requires arguments.\n');
  const f = parseNeighFilter(call, args, flush);
  const table = call.ctx.ns.neigh;
  const chosen = table.entries().filter((n) => selected(f, n));
  if (flush) {
    for (const n of chosen) table.remove(n);
    return;
  }
  let out = '';
  for (const n of chosen) {
    let line = `${formatIPv4(n.ip)} `;
    if (f.dev === null) line += `dev ${n.dev.name} `;
    if ((n.state & NUD_VALID) !== 0) line += `lladdr ${formatMac(n.mac)} `;
    line += `${nudStateName(n.state)} `;
    out += line + '\n';
  }
  call.ctx.out(out);
}
