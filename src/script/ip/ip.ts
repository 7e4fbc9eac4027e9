/**
 * The `ip` command: iproute2 6.1's global options (abbreviated as it allows: `-o`, `-br`,
 * `-4`, `-n NS`) and objects (`ip a`, `ip r`, `ip n`, `ip l`, `ip netns`). What the real tool
 * prints when it fails goes to the script's output and the script goes on; a real feature
 * dpsim does not model stops the scenario with a ScriptError.
 */
import type { Command, CommandHandler, ScriptContext } from '../context.js';
import { doAddress } from './addr.js';
import { IpExit, matches, runTool, unsupported, type IpCall, type IpOptions } from './args.js';
import { doLink } from './link.js';
import { doNeigh } from './neigh.js';
import { doNetns, openNetns } from './netns.js';
import { doRoute } from './route.js';

/** What `ip -V` prints on this machine. */
const VERSION = 'ip utility, iproute2-6.1.0, libbpf 1.1.2\n';

/** The objects of `ip`, in iproute2's order (the first one an abbreviation matches wins), with dpsim's handler or null. */
const OBJECTS: readonly [string, ((call: IpCall, argv: string[]) => void) | null][] = [
  ['address', doAddress],
  ['addrlabel', null],
  ['maddress', null],
  ['route', doRoute],
  ['rule', null],
  ['neighbor', doNeigh],
  ['neighbour', doNeigh],
  ['ntable', null],
  ['ntbl', null],
  ['link', doLink],
  ['l2tp', null],
  ['fou', null],
  ['ila', null],
  ['macsec', null],
  ['tunnel', null],
  ['tunl', null],
  ['tuntap', null],
  ['tap', null],
  ['token', null],
  ['tcpmetrics', null],
  ['tcp_metrics', null],
  ['monitor', null],
  ['xfrm', null],
  ['mroute', null],
  ['mrule', null],
  ['netns', doNetns],
  ['netconf', null],
  ['vrf', null],
  ['sr', null],
  ['nexthop', null],
  ['mptcp', null],
  ['ioam', null],
  ['help', null],
  ['stats', null],
];

/** Global options in iproute2's order of matching; `null` for ones dpsim does not model. */
const UNMODELLED_OPTIONS = ['-loops', '-human', '-human-readable', '-iec', '-stats', '-statistics', '-details', '-resolve'];

/** A context whose commands run in another namespace (`ip -n NS`). */
function inNamespace(ctx: ScriptContext, ns: ScriptContext['ns']): ScriptContext {
  return { net: ctx.net, ns, file: ctx.file, out: (text) => ctx.out(text), exec: (n, argv, cmd) => ctx.exec(n, argv, cmd) };
}

/** Parses the global options; returns the index of the object word, or -1 when `ip` has printed and is done. */
function parseOptions(call: IpCall, argv: string[]): number {
  const opts = call.opts;
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return i + 1;
    if (!a.startsWith('-')) break;
    const opt = a[1] === '-' ? a.slice(1) : a;
    if (matches(opt, '-loops')) unsupported(`ip option "${a}"`);
    else if (matches(opt, '-family')) {
      const v = argv[++i];
      if (v === undefined || v === 'help') unsupported('ip usage text');
      if (v === 'inet') opts.inet = true;
      else if (v === 'inet6') unsupported('IPv6');
      else if (['link', 'mpls', 'bridge'].includes(v)) unsupported(`ip -family ${v}`);
      else throw new IpExit(`Error: argument "${v}" is wrong: invalid protocol family\n`);
    } else if (opt === '-4') opts.inet = true;
    else if (opt === '-6') unsupported('IPv6');
    else if (opt === '-0' || opt === '-M' || opt === '-B') unsupported(`ip option "${a}"`);
    else if (UNMODELLED_OPTIONS.some((o) => matches(opt, o))) unsupported(`ip option "${a}"`);
    else if (matches(opt, '-oneline')) opts.oneline = true;
    else if (matches(opt, '-timestamp') || matches(opt, '-tshort')) unsupported(`ip option "${a}"`);
    else if (matches(opt, '-Version')) {
      call.ctx.out(VERSION);
      return -1;
    } else if (matches(opt, '-force') || matches(opt, '-batch')) unsupported(`ip option "${a}"`);
    else if (matches(opt, '-brief')) opts.brief = true;
    else if (matches(opt, '-json') || matches(opt, '-pretty') || matches(opt, '-rcvbuf')) unsupported(`ip option "${a}"`);
    else if (matches(opt.split('=')[0]!, '-color') || matches(opt.split('=')[0]!, '-colour')) unsupported(`ip option "${a}"`);
    else if (matches(opt, '-help')) unsupported('ip usage text');
    else if (matches(opt, '-netns')) {
      // iproute2 6.1 passes a missing name on as NULL.
      const v = argv[++i] ?? '(null)';
      call.ctx = inNamespace(call.ctx, openNetns(call.ctx.net, v));
    } else if (matches(opt, '-Numeric') || matches(opt, '-all') || opt === '-echo') unsupported(`ip option "${a}"`);
    else throw new IpExit(`Option "${a}" is unknown, try "ip -help".\n`);
  }
  return i;
}

/** `ip [OPTIONS] OBJECT [COMMAND [ARGS]]` */
export const ipCommand: CommandHandler = (ctx: ScriptContext, argv: string[], cmd: Command) => {
  const opts: IpOptions = { inet: false, oneline: false, brief: false };
  const call: IpCall = { ctx, cmd, opts };
  runTool(ctx, cmd, () => {
    const at = parseOptions(call, argv);
    if (at < 0) return;
    const object = argv[at];
    if (object === undefined) unsupported('ip without an object (the real tool prints its usage)');
    const entry = OBJECTS.find(([name]) => matches(object, name));
    if (entry === undefined) throw new IpExit(`Object "${object}" is unknown, try "ip help".\n`);
    const [name, handler] = entry;
    if (handler === null) unsupported(`ip ${name}`);
    handler(call, argv.slice(at + 1));
  });
};
