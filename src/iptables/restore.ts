/**
 * iptables-restore (v1.8.9): `*TABLE`, `:CHAIN POLICY [PKTS:BYTES]`, command lines, `COMMIT`.
 * Each table is built on a copy and swapped in at its COMMIT, so a failing table changes
 * nothing; tables committed earlier in the same file stay (both flavours do this). Errors are
 * the real tool's text and exit status for the flavour.
 */
import { KernelError, NotModelled, ParameterProblem } from './errors.js';
import { cloneTable, isTableName, newChain, newTable, type Table } from './model.js';
import type { Flavour } from './module.js';
import { parseCommandLine } from './rule-parse.js';
import { formatRuleSpec } from './rule-format.js';
import {
  deleteChain, deleteRule, flushChain, insertRule, missingJump, newUserChain, renameChain, setPolicy, validateTable, zeroCounters, type Xtables,
} from './ruleset.js';
import { IPTABLES_VERSION } from './save.js';
import { TARGET_PLACES } from './targets.js';

/** Options of one iptables-restore run. */
export interface RestoreOptions {
  /** The program as invoked (`iptables-restore`, `iptables-nft-restore`, `iptables-legacy-restore`). */
  program: string;
  noflush: boolean;
  counters: boolean;
  /** `-T TABLE`: restore only this table. */
  table: string | null;
}

/** What the run printed (stderr as a terminal shows it) and its exit status. */
export interface RestoreResult {
  output: string;
  status: number;
}

/** Splits a restore line into words as iptables-restore does: blanks separate, double quotes group, `\"` and `\\` inside quotes are escapes. */
export function splitRestoreLine(line: string): string[] {
  const words: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d) {
      i++;
      continue;
    }
    // One word: plain runs and quoted runs, taken as slices (no per-character concatenation).
    let word = '';
    while (i < n) {
      c = line.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0d) break;
      if (c === 0x22) {
        i++;
        let start = i;
        while (i < n) {
          const q = line.charCodeAt(i);
          if (q === 0x22) break;
          if (q === 0x5c && i + 1 < n && (line.charCodeAt(i + 1) === 0x22 || line.charCodeAt(i + 1) === 0x5c)) {
            word += line.slice(start, i);
            start = i + 1;
            i += 2;
            continue;
          }
          i++;
        }
        word += line.slice(start, i);
        if (i < n) i++; // the closing quote
        continue;
      }
      const start = i;
      while (i < n) {
        const p = line.charCodeAt(i);
        if (p === 0x20 || p === 0x09 || p === 0x0d || p === 0x22) break;
        i++;
      }
      word += line.slice(start, i);
    }
    words.push(word);
  }
  return words;
}

/** The name a flavour's messages give the program (legacy drops `-legacy`). */
export function messageProgram(program: string, flavour: Flavour): string {
  return flavour === 'legacy' ? program.replace('-legacy', '') : program;
}

class RestoreFailure extends Error {
  constructor(
    readonly output: string,
    readonly status: number,
  ) {
    super(output);
  }
}

/** Loads restore text into `x`. Never throws for bad input: the result carries the tool's message. */
export function restore(x: Xtables, text: string, opts: RestoreOptions): RestoreResult {
  const flavour = x.flavour;
  const prog = messageProgram(opts.program, flavour);
  const version = flavour === 'legacy' ? `${IPTABLES_VERSION} (legacy)` : `${IPTABLES_VERSION} (nf_tables)`;
  const paramFailure = (e: ParameterProblem, line: number): RestoreFailure => {
    const head = e.bare ? e.message : `${prog} ${version}: ${e.message}`;
    return new RestoreFailure(`${head}\nError occurred at line: ${line}\nTry \`${prog} -h' or '${prog} --help' for more information.\n`, 2);
  };
  const lineFailure = (line: number, e: KernelError): RestoreFailure =>
    flavour === 'nft' ? new RestoreFailure(`${prog}: line ${line} failed: ${e.message}.\n`, 1) : new RestoreFailure(`${prog}: line ${line} failed\n`, 1);

  let current: { table: Table; lines: Map<object, number> } | null = null;
  let lineNo = 0;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  try {
    for (const raw of lines) {
      lineNo++;
      const line = raw.replace(/\r$/, '');
      const trimmed = line.trimStart();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      if (current === null) {
        if (trimmed.startsWith('*')) {
          const name = trimmed.slice(1).trim();
          if (!isTableName(name)) {
            if (name === 'security') throw new NotModelled("the security table is not modelled by dpsim");
            const msg = flavour === 'nft' ? `${prog}: line ${lineNo} table name '${name}' invalid` : `${prog}: unable to initialize table '${name}'`;
            throw paramFailure(new ParameterProblem(msg), lineNo);
          }
          if (opts.table !== null && opts.table !== name) {
            current = { table: newTable(name), lines: new Map() }; // parsed and dropped
            (current as { skip?: boolean }).skip = true;
            continue;
          }
          // A legacy table exists from the moment it is named, even if its COMMIT fails.
          const base = flavour === 'legacy' ? x.table(name) : (x.tables.get(name) ?? newTable(name));
          const table = cloneTable(base);
          if (!opts.noflush) {
            for (const c of [...table.chains.values()]) {
              c.rules = [];
              if (!c.builtin) table.chains.delete(c.name);
            }
          }
          current = { table, lines: new Map() };
          continue;
        }
        throw paramFailure(new ParameterProblem(`Bad argument \`${splitRestoreLine(trimmed)[0] ?? ''}'`, true), lineNo);
      }
      const table = current.table;
      if (trimmed === 'COMMIT' || trimmed.startsWith('COMMIT ')) {
        commit(x, current, lineNo, flavour, prog, version, paramFailure);
        current = null;
        continue;
      }
      if (trimmed.startsWith(':')) {
        const words = trimmed.slice(1).split(/[ \t]+/);
        const [name = '', policy = '-', counters = '[0:0]'] = words;
        const existing = table.chains.get(name);
        if (existing?.builtin === true) {
          if (policy !== '-') {
            if (policy !== 'ACCEPT' && policy !== 'DROP') {
              if (flavour === 'nft') throw new RestoreFailure(`${prog}: line ${lineNo} failed: Bad policy name.\n`, 1);
              throw new RestoreFailure(`${prog} ${version}: Can't set policy \`${policy}' on \`${name}' line ${lineNo}: Bad policy name\n`, 1);
            }
            existing.policy = policy;
          }
          const m = /^\[([0-9]+):([0-9]+)\]$/.exec(counters);
          if (opts.counters && m !== null) existing.counters = { packets: Number(m[1]), bytes: Number(m[2]) };
        } else if (existing !== undefined) {
          existing.rules = []; // declaring an existing user chain flushes it (what --noflush users rely on)
        } else {
          if (name === '' || name.length > 28) throw paramFailure(new ParameterProblem(`Invalid chain name \`${name}'`), lineNo);
          table.chains.set(name, newChain(name, false));
        }
        continue;
      }
      let rest = trimmed;
      let counters: { packets: number; bytes: number } | null = null;
      const cm = rest.charCodeAt(0) === 0x5b ? /^\[([0-9]+):([0-9]+)\][ \t]*/.exec(rest) : null;
      if (cm !== null) {
        counters = { packets: Number(cm[1]), bytes: Number(cm[2]) };
        rest = rest.slice(cm[0].length);
      }
      const words = splitRestoreLine(rest);
      let cmd;
      try {
        cmd = parseCommandLine(words, { flavour, table: table.name });
      } catch (e) {
        if (e instanceof ParameterProblem) throw paramFailure(e, lineNo);
        throw e;
      }
      if (cmd.command === null) throw paramFailure(new ParameterProblem('no command specified'), lineNo);
      const rule = cmd.rule;
      if (opts.counters && counters !== null) rule.counters = counters;
      else if (!opts.counters || !cmd.counters) rule.counters = { packets: 0, bytes: 0 };
      try {
        const tg = rule.target;
        if (tg?.name === 'jump' && flavour === 'legacy' && !table.chains.has(tg.chain)) {
          throw paramFailure(new ParameterProblem(`Couldn't load target \`${tg.chain}':No such file or directory\n`), lineNo);
        }
        applyCommand(table, cmd.command, cmd.chain, cmd.index, cmd.extra, rule, flavour);
        if (flavour === 'nft' && tg !== null && (tg.name === 'jump' || TARGET_PLACES.has(tg.name))) current.lines.set(rule, lineNo); // to blame a refusal on its line
      } catch (e) {
        if (e instanceof KernelError) throw lineFailure(lineNo, e);
        throw e;
      }
    }
    if (current !== null) throw new RestoreFailure(`${prog}: COMMIT expected at line ${lineNo + 1}\n`, 1);
  } catch (e) {
    if (e instanceof RestoreFailure) return { output: e.output, status: e.status };
    throw e;
  }
  return { output: '', status: 0 };
}

/** Validates a table as the kernel does at COMMIT and swaps it in. */
function commit(
  x: Xtables,
  current: { table: Table; lines: Map<object, number> },
  lineNo: number,
  flavour: Flavour,
  prog: string,
  version: string,
  paramFailure: (e: ParameterProblem, line: number) => RestoreFailure,
): void {
  if ((current as { skip?: boolean }).skip === true) return;
  const t = current.table;
  if (flavour === 'nft') {
    const missing = missingJump(t);
    if (missing !== null) throw paramFailure(new ParameterProblem(`Chain '${missing.target}' does not exist`), lineNo);
  }
  const fault = validateTable(t);
  if (fault !== null) {
    if (flavour === 'legacy') throw new RestoreFailure(`${prog}: line ${lineNo} failed\n`, 1);
    // nft refuses the rule whose addition made the loop reachable: the latest line on the path.
    let blamed = { chain: fault.chain, line: current.lines.get(t.chains.get(fault.chain)!.rules[fault.index]!) ?? lineNo };
    for (const step of fault.path) {
      const line = current.lines.get(t.chains.get(step.chain)!.rules[step.index]!) ?? 0;
      if (line > blamed.line) blamed = { chain: step.chain, line };
    }
    throw new RestoreFailure(`${prog} ${version}: \nline ${blamed.line}: RULE_APPEND failed (${fault.errno}): rule in chain ${blamed.chain}\n`, 4);
  }
  x.install(t);
}

/** Applies one parsed command to a table (shared by iptables-restore lines and the iptables command). */
export function applyCommand(
  t: Table,
  command: string,
  chain: string | null,
  index: number | null,
  extra: string | null,
  rule: import('./model.js').Rule,
  flavour: Flavour,
): void {
  switch (command) {
    case 'A':
      insertRule(t, chain!, rule, null);
      break;
    case 'I':
      insertRule(t, chain!, rule, index ?? 1);
      break;
    case 'R':
      insertRule(t, chain!, rule, index, true);
      break;
    case 'D':
      deleteRule(t, chain!, index, rule);
      break;
    case 'N':
      newUserChain(t, chain!);
      break;
    case 'X':
      deleteChain(t, chain, flavour);
      break;
    case 'F':
      flushChain(t, chain);
      break;
    case 'Z':
      zeroCounters(t, chain, index);
      break;
    case 'P':
      setPolicy(t, chain!, extra!);
      break;
    case 'E':
      renameChain(t, chain!, extra!);
      break;
    case 'C': {
      const c = t.chains.get(chain!);
      const text = formatRuleSpec(rule);
      if (c === undefined || !c.rules.some((r) => formatRuleSpec(r) === text)) throw new KernelError('Bad rule (does a matching rule exist in that chain?)');
      break;
    }
    default:
      throw new NotModelled(`iptables-restore command -${command} is not modelled by dpsim`);
  }
}
