/**
 * `brctl show [BRIDGE…]` and `brctl showmacs BRIDGE` (Debian's bridge-utils 1.7.1). Its
 * error lines go to stderr, which reaches the harness's pipe before the buffered stdout, so
 * they are printed first. Its other commands (addbr, addif, hairpin, setageing …) are not
 * modelled: scenarios use `ip link` and `bridge link` for those.
 */
import { brctlShow, brctlShowmacs, type ToolOutput } from '../../bridge/print.js';
import { ScriptError, type Command, type CommandHandler, type ScriptContext } from '../context.js';

/** brctl's other commands, by name. */
const OTHER_COMMANDS = new Set([
  'addbr', 'delbr', 'addif', 'delif', 'hairpin', 'setageing', 'setbridgeprio', 'setfd', 'sethello', 'setmaxage', 'setpathcost',
  'setportprio', 'showstp', 'stp', 'setgcint',
]);

function print(ctx: ScriptContext, r: ToolOutput): void {
  ctx.out(r.stderr + r.stdout);
}

/** `brctl show|showmacs …` */
export const brctlCommand: CommandHandler = (ctx: ScriptContext, argv: string[], cmd: Command) => {
  const fail = (message: string): never => {
    throw new ScriptError(ctx.file, cmd.line, message);
  };
  const sub = argv[1];
  if (sub === 'show') return print(ctx, brctlShow(ctx.ns, argv.slice(2)));
  if (sub === 'showmacs') {
    if (argv.length < 3) fail('brctl showmacs needs a bridge (the real tool prints its usage)');
    return print(ctx, brctlShowmacs(ctx.ns, argv[2]!));
  }
  if (sub !== undefined && OTHER_COMMANDS.has(sub)) fail(`brctl ${sub} is not supported by dpsim`);
  fail(`brctl ${sub === undefined ? 'without a command' : `"${sub}"`} prints its usage; not supported by dpsim`);
};
