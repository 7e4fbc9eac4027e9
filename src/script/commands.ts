/**
 * The command registry: which program a scenario's command runs. `ip`, `sysctl`, `bridge`
 * and `brctl` are built in; the scenario runner and higher layers add theirs with `registerCommand`.
 */
import { ScriptError, type Command, type CommandHandler, type ScriptContext } from './context.js';
import { ipCommand } from './ip/ip.js';
import { IPTABLES_COMMANDS } from './iptables/iptables.js';
import { sysctlCommand } from './sysctl.js';
import { bridgeCommand, brctlCommand } from './bridge/index.js';
import { conntrackCommand } from './conntrack/index.js';
import { ipsetCommand } from './ipset/ipset.js';
import { kubectlCommand } from './kubectl/kubectl.js';
import { IPVSADM_COMMANDS } from './ipvsadm/index.js';
import { registerIpsetLookup } from '../iptables/match-eval.js';
import { ipsetMatchBackend } from '../ipset/set-match.js';

// iptables' set match asks the namespace's ipsets.
registerIpsetLookup(ipsetMatchBackend);

/** The commands a scenario can run, by program name. */
export const commandHandlers = new Map<string, CommandHandler>([
  ['ip', ipCommand],
  ['sysctl', sysctlCommand],
  ...IPTABLES_COMMANDS,
  ['bridge', bridgeCommand],
  ['brctl', brctlCommand],
  ['conntrack', conntrackCommand],
  ['ipset', ipsetCommand],
  ['kubectl', kubectlCommand],
  ...IPVSADM_COMMANDS,
]);

/** Adds (or replaces) the handler of a command name. */
export function registerCommand(name: string, handler: CommandHandler): void {
  commandHandlers.set(name, handler);
}

/** The directories a program may be named from (`/sbin/ip`, `/usr/sbin/sysctl`). */
const PROGRAM_DIRS = new Set(['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']);

/** Runs one command: looks its program up and calls it; an unknown program is a ScriptError naming the line. */
export function dispatch(ctx: ScriptContext, argv: string[], cmd: Command): void {
  const name = argv[0];
  if (name === undefined) throw new ScriptError(ctx.file, cmd.line, 'empty command');
  const handler = commandHandlers.get(programName(name));
  if (handler === undefined) throw new ScriptError(ctx.file, cmd.line, `unknown command "${name}"`);
  handler(ctx, argv, cmd);
}

/** `ip` for `ip` and for `/sbin/ip`; anything else as written. */
function programName(name: string): string {
  const slash = name.lastIndexOf('/');
  if (slash < 0) return name;
  return PROGRAM_DIRS.has(name.slice(0, slash)) ? name.slice(slash + 1) : name;
}
