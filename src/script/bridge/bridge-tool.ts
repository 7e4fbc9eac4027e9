/**
 * The `bridge` command (iproute2 6.1): global options `-n NS` and `-V`, objects `fdb` and
 * `link` (abbreviated as it allows). What the real tool prints when it fails goes to the
 * script's output and the script goes on; what dpsim does not model stops it.
 */
import type { Command, CommandHandler, ScriptContext } from '../context.js';
import { IpExit, matches, runTool, unsupported } from '../ip/args.js';
import { openNetns } from '../ip/netns.js';
import type { BridgeCall } from './call.js';
import { doFdb } from './fdb.js';
import { doBridgeLink } from './link.js';

/** What `bridge -V` prints on this machine. */
const VERSION = 'bridge utility, 6.1.0\n';

/** The objects of `bridge`, in its order (the first one an abbreviation matches wins), with dpsim's handler or null. */
const OBJECTS: readonly [string, ((call: BridgeCall, argv: string[]) => void) | null][] = [
  ['link', doBridgeLink],
  ['fdb', doFdb],
  ['mdb', null],
  ['vlan', null],
  ['vni', null],
  ['monitor', null],
  ['help', null],
];

/** Reads the global options; the index of the object word, or -1 when the tool has printed and is done. */
function parseOptions(call: BridgeCall, argv: string[]): number {
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) break;
    const opt = a[1] === '-' ? a.slice(1) : a;
    if (matches(opt, '-netns')) {
      const v = argv[++i];
      if (v === undefined) unsupported('bridge -n without a namespace');
      call.ns = openNetns(call.ns.net, v);
    } else if (matches(opt, '-Version')) {
      call.out(VERSION);
      return -1;
    } else if (matches(opt, '-help')) unsupported('bridge usage text');
    else unsupported(`bridge option "${a}"`);
  }
  return i;
}

/** `bridge [OPTIONS] OBJECT [COMMAND [ARGS]]` */
export const bridgeCommand: CommandHandler = (ctx: ScriptContext, argv: string[], cmd: Command) => {
  const call: BridgeCall = { ns: ctx.ns, out: (text) => ctx.out(text) };
  runTool(ctx, cmd, () => {
    const at = parseOptions(call, argv);
    if (at < 0) return;
    const object = argv[at];
    if (object === undefined) unsupported('bridge without an object (the real tool prints its usage)');
    const entry = OBJECTS.find(([name]) => matches(object, name));
    if (entry === undefined) throw new IpExit(`Object "${object}" is unknown, try "bridge help".\n`);
    const [name, handler] = entry;
    if (handler === null) unsupported(`bridge ${name}`);
    handler(call, argv.slice(at + 1));
  });
};
