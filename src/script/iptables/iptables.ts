/**
 * The `iptables`, `iptables-save` and `iptables-restore` commands and their `-nft` / `-legacy`
 * names (v1.8.9; plain `iptables*` is nft, as Debian's alternatives set it). Output and error
 * text as recorded from the real tools in a private network namespace.
 */
import { KernelError, NotModelled, ParameterProblem } from '../../iptables/errors.js';
import { isTableName } from '../../iptables/model.js';
import type { Flavour } from '../../iptables/module.js';
import { applyCommand, messageProgram, restore } from '../../iptables/restore.js';
import { listTable } from '../../iptables/list.js';
import { formatRuleSpec } from '../../iptables/rule-format.js';
import { parseCommandLine } from '../../iptables/rule-parse.js';
import { chainOf, validateTable, xtablesOf, type Xtables } from '../../iptables/ruleset.js';
import { ctimeDate, IPTABLES_VERSION, saveXtables } from '../../iptables/save.js';
import { cloneTable } from '../../iptables/model.js';
import { ScriptError, type Command, type CommandHandler, type ScriptContext } from '../context.js';

/** Which rule set a program name works on. */
function flavourOf(program: string): Flavour {
  return program.includes('legacy') ? 'legacy' : 'nft';
}

function stateFor(ctx: ScriptContext, program: string): Xtables {
  const s = xtablesOf(ctx.ns);
  return flavourOf(program) === 'legacy' ? s.legacy : s.nft;
}

/** The date iptables-save prints: the virtual clock, counted from the Unix epoch (the real tool prints the wall clock). */
function saveDate(ctx: ScriptContext): string {
  return ctimeDate(new Date(Math.floor(ctx.net.now / 1_000_000)));
}

function notModelled(ctx: ScriptContext, cmd: Command, e: unknown): never {
  if (e instanceof NotModelled) throw new ScriptError(ctx.file, cmd.line, e.message);
  throw e;
}

/** `iptables [-t T] COMMAND …`. */
export const iptablesCommand: CommandHandler = (ctx, argv, cmd) => {
  const program = argv[0]!.slice(argv[0]!.lastIndexOf('/') + 1);
  const flavour = flavourOf(program);
  const x = stateFor(ctx, program);
  const version = flavour === 'legacy' ? `${IPTABLES_VERSION} (legacy)` : `${IPTABLES_VERSION} (nf_tables)`;
  const shown = messageProgram(program, flavour).replace('-nft', '');
  const tryHelp = `Try \`iptables -h' or 'iptables --help' for more information.\n`;
  try {
    const pc = parseCommandLine(argv.slice(1), { flavour, table: 'filter' });
    if (pc.command === null) throw new ParameterProblem('no command specified');
    if (!isTableName(pc.table)) {
      if (flavour === 'nft') ctx.out(`${shown} ${version}: table '${pc.table}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.\n`);
      else ctx.out(`${shown} ${version}: can't initialize iptables table \`${pc.table}': Table does not exist (do you need to insmod?)\nPerhaps iptables or your kernel needs to be upgraded.\n`);
      return;
    }
    const base = x.table(pc.table);
    if (pc.command === 'L') {
      if (pc.chain !== null && !base.chains.has(pc.chain)) {
        if (flavour === 'nft') ctx.out(`${shown} ${version}: chain \`${pc.chain}' in table \`${pc.table}' is incompatible, use 'nft' tool.\n`);
        else ctx.out('iptables: No chain/target/match by that name.\n');
        return;
      }
      ctx.out(listTable(base, pc.chain, pc.index, { verbose: pc.verbose, numeric: pc.numeric, exact: pc.exact, lineNumbers: pc.lineNumbers }));
      return;
    }
    if (pc.command === 'S') {
      ctx.out(listRules(base, pc.chain, pc.index, pc.verbose));
      return;
    }
    const rule = pc.rule;
    const tg = rule.target;
    if (tg?.name === 'jump' && !base.chains.has(tg.chain) && (pc.command === 'A' || pc.command === 'I' || pc.command === 'R')) {
      throw new ParameterProblem(flavour === 'nft' ? `Chain '${tg.chain}' does not exist` : `Couldn't load target \`${tg.chain}':No such file or directory\n`);
    }
    // The kernel validates the whole table; work on a copy and keep it only if valid.
    const t = cloneTable(base);
    applyCommand(t, pc.command, pc.chain, pc.index, pc.extra, rule, flavour);
    const fault = validateTable(t, flavour);
    if (fault !== null) {
      if (flavour === 'nft') ctx.out(`${shown} ${version}:  RULE_APPEND failed (${fault.errno}): rule in chain ${pc.chain ?? fault.chain}\n`);
      else ctx.out(`iptables: ${fault.legacyMessage}.\n`);
      return;
    }
    x.install(t);
  } catch (e) {
    if (e instanceof ParameterProblem) {
      let msg = e.message;
      if (flavour === 'legacy' && msg.endsWith('\n') && !msg.startsWith("Couldn't load")) msg = msg.slice(0, -1);
      ctx.out(e.bare ? `${msg}\n${tryHelp}` : `${shown} ${version}: ${msg}\n${tryHelp}`);
    } else if (e instanceof KernelError) {
      ctx.out(e.nftBatch !== null ? `${shown} ${version}:  ${e.nftBatch}\n` : `iptables: ${e.message}.\n`);
    } else notModelled(ctx, cmd, e);
  }
};

/** `iptables -S [CHAIN [N]]`. */
function listRules(t: import('../../iptables/model.js').Table, chain: string | null, index: number | null, verbose: boolean): string {
  // Built-in chains in hook order, then user chains sorted by name (as both flavours list them).
  const all = [...t.chains.values()];
  const sorted = [...all.filter((c) => c.builtin), ...all.filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))];
  const chains = chain === null ? sorted : [chainOf(t, chain)];
  let out = '';
  if (index === null) {
    for (const c of chains) {
      if (c.builtin) out += `-P ${c.name} ${c.policy}${verbose ? ` -c ${c.counters.packets} ${c.counters.bytes}` : ''}\n`;
      else out += `-N ${c.name}\n`;
    }
  }
  for (const c of chains)
    c.rules.forEach((r, i) => {
      if (index === null || index === i + 1) out += `-A ${c.name}${formatRuleSpec(r, verbose ? ` -c ${r.counters.packets} ${r.counters.bytes}` : '')}\n`;
    });
  return out;
}

/** `iptables-save [-c] [-t TABLE]`. */
export const iptablesSaveCommand: CommandHandler = (ctx, argv, cmd) => {
  const program = argv[0]!.slice(argv[0]!.lastIndexOf('/') + 1);
  let counters = false;
  let table: string | null = null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--counters') counters = true;
    else if (a === '-t' || a === '--table') table = argv[++i] ?? null;
    else throw new ScriptError(ctx.file, cmd.line, `${program} option "${a}" is not supported by dpsim`);
  }
  const x = stateFor(ctx, program);
  if (table !== null && !isTableName(table)) throw new ScriptError(ctx.file, cmd.line, `${program} -t ${table}: table not modelled by dpsim`);
  if (table !== null) x.table(table);
  // nft_check_xt_legacy: the nft tool warns, before the tables, when the legacy rule set has
  // tables in this namespace (kp-save-clusterip-nodeport).
  if (x.flavour === 'nft' && xtablesOf(ctx.ns).legacy.tables.size > 0) {
    ctx.out('# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n');
  }
  ctx.out(saveXtables(x, { program: program.replace('-legacy', ''), counters, table, date: saveDate(ctx) }));
};

/** `iptables-restore [-n] [-c] [-T TABLE] [-w …] < FILE`. */
export const iptablesRestoreCommand: CommandHandler = (ctx, argv, cmd) => {
  const program = argv[0]!.slice(argv[0]!.lastIndexOf('/') + 1);
  let noflush = false;
  let counters = false;
  let table: string | null = null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-n' || a === '--noflush') noflush = true;
    else if (a === '-c' || a === '--counters') counters = true;
    else if (a === '-T' || a === '--table') table = argv[++i] ?? null;
    else if (a === '-w' || a === '--wait' || a === '-W' || a === '--wait-interval') {
      if (argv[i + 1] !== undefined && /^[0-9]+$/.test(argv[i + 1]!)) i++;
      // The legacy tool says so on stderr for -W (kp-save-affinity-partial-sync); -w and the nft tool are silent.
      if ((a === '-W' || a === '--wait-interval') && flavourOf(program) === 'legacy') ctx.out('Ignoring deprecated --wait-interval option.\n');
    } else if (/^-[nc]+$/.test(a)) {
      noflush ||= a.includes('n');
      counters ||= a.includes('c');
    } else throw new ScriptError(ctx.file, cmd.line, `${program} option "${a}" is not supported by dpsim (give the rules on stdin)`);
  }
  if (cmd.stdin === null) throw new ScriptError(ctx.file, cmd.line, `${program} needs its rules on stdin (< FILE or a heredoc)`);
  try {
    const r = restore(stateFor(ctx, program), cmd.stdin, { program, noflush, counters, table });
    ctx.out(r.output);
  } catch (e) {
    notModelled(ctx, cmd, e);
  }
};

/** Every program name this module answers to. */
export const IPTABLES_COMMANDS: readonly (readonly [string, CommandHandler])[] = [
  ['iptables', iptablesCommand], ['iptables-nft', iptablesCommand], ['iptables-legacy', iptablesCommand],
  ['iptables-save', iptablesSaveCommand], ['iptables-nft-save', iptablesSaveCommand], ['iptables-legacy-save', iptablesSaveCommand],
  ['iptables-restore', iptablesRestoreCommand], ['iptables-nft-restore', iptablesRestoreCommand], ['iptables-legacy-restore', iptablesRestoreCommand],
];
