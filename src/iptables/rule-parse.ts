/**
 * The iptables command line (do_parse in iptables/xshared.c) for one command or one
 * iptables-restore line: the command letter with its chain and number, and the rule its
 * options build. Options are read in order as getopt does; a module's options exist once
 * `-m` loaded it (or implicitly for `-p tcp|udp|icmp`), a target's once `-j` named it.
 */
import { ParameterProblem } from './errors.js';
import { emptyRule, INV_DSTIP, INV_FRAG, INV_PROTO, INV_SRCIP, INV_VIA_IN, INV_VIA_OUT, type Rule, type TableName } from './model.js';
import type { Extension, Flavour, OptionSpec, ParseEnv } from './module.js';
import { MATCHES, type MatchData } from './matches.js';
import { TARGETS, VERDICTS, type TargetData } from './targets.js';
import { parseAddressMask, parseProto, parseU32 } from './values.js';

/** The command letters iptables has (the long forms map to these). */
export type CommandLetter = 'A' | 'I' | 'D' | 'R' | 'N' | 'X' | 'F' | 'Z' | 'P' | 'S' | 'L' | 'E' | 'C';

/** One parsed command line. */
export interface ParsedCommand {
  command: CommandLetter | null;
  table: string;
  chain: string | null;
  /** 1-based rule number for -I/-D/-R/-S/-L/-Z, or null. */
  index: number | null;
  /** -P's policy, -E's new name. */
  extra: string | null;
  /** The rule the options built (also for commands that take none: then it is empty). */
  rule: Rule;
  /** Whether any rule option (match, address, target …) was given. */
  hasRuleOptions: boolean;
  /** `-c PKTS BYTES` given. */
  counters: boolean;
  verbose: boolean;
  numeric: boolean;
  exact: boolean;
  lineNumbers: boolean;
}

/** Options the caller decides: flavour, the table when -t is absent. */
export interface ParseOptions {
  flavour: Flavour;
  table: string;
}

const LONG_COMMANDS = new Map<string, CommandLetter>([
  ['--append', 'A'], ['--insert', 'I'], ['--delete', 'D'], ['--replace', 'R'], ['--new-chain', 'N'], ['--new', 'N'],
  ['--delete-chain', 'X'], ['--flush', 'F'], ['--zero', 'Z'], ['--policy', 'P'], ['--list-rules', 'S'], ['--list', 'L'],
  ['--rename-chain', 'E'], ['--check', 'C'],
]);
const LONG_BASE = new Map<string, string>([
  ['--table', '-t'], ['--source', '-s'], ['--src', '-s'], ['--destination', '-d'], ['--dst', '-d'], ['--in-interface', '-i'],
  ['--out-interface', '-o'], ['--protocol', '-p'], ['--fragment', '-f'], ['--match', '-m'], ['--jump', '-j'], ['--goto', '-g'],
  ['--set-counters', '-c'], ['--verbose', '-v'], ['--numeric', '-n'], ['--exact', '-x'], ['--wait', '-w'], ['--wait-interval', '-W'],
]);
/** Short options that take no value (and may be clustered: `-nvL`). */
const SHORT_FLAGS = new Set(['v', 'n', 'x', 'f', 'L', 'S', 'F', 'X', 'Z', 'w']);

interface Loaded {
  ext: Extension<MatchData> | Extension<TargetData>;
  data: MatchData | TargetData;
  seen: Set<string>;
}

/** Finds `option` (a canonical name or alias) among an extension's options. */
function findOption(ext: Extension<{ name: string }>, option: string): OptionSpec | undefined {
  return ext.options.find((o) => o.name === option || (o.aliases?.includes(option) ?? false));
}

/** Parses one command line (without the program name). Throws ParameterProblem as iptables would. */
export function parseCommandLine(argv: readonly string[], opts: ParseOptions): ParsedCommand {
  const rule = emptyRule();
  const out: ParsedCommand = {
    command: null, table: opts.table, chain: null, index: null, extra: null, rule, hasRuleOptions: false, counters: false,
    verbose: false, numeric: false, exact: false, lineNumbers: false,
  };
  // -t applies wherever it is written.
  for (let i = 0; i < argv.length - 1; i++) if (argv[i] === '-t' || argv[i] === '--table') out.table = argv[i + 1]!;
  const env: ParseEnv = { flavour: opts.flavour, table: out.table as TableName, rule, seen: new Set() };
  const matches: Loaded[] = [];
  let target: Loaded | null = null;
  const seenBase = new Set<string>();
  let invert = false;
  let i = 0;

  const next = (option: string): string => {
    const v = argv[i];
    if (v === undefined) throw new ParameterProblem(`option "${option}" requires an argument`);
    i++;
    return v;
  };
  /** getopt's optional positional argument: taken when the next word is not an option. */
  const optional = (): string | null => {
    const v = argv[i];
    if (v === undefined || v.startsWith('-') || v === '!') return null;
    i++;
    return v;
  };
  const setCommand = (letter: CommandLetter): void => {
    if (out.command !== null) throw new ParameterProblem('Cannot use -' + letter + ' with -' + out.command + '\n');
    out.command = letter;
  };
  const once = (flag: string): void => {
    if (seenBase.has(flag)) throw new ParameterProblem(`multiple ${flag} flags not allowed`);
    seenBase.add(flag);
  };
  const takeInvert = (flag: string): boolean => {
    const v = invert;
    invert = false;
    if (v && (flag === '-j' || flag === '-g' || flag === '-m')) throw new ParameterProblem(`cannot have ! before ${flag}`);
    return v;
  };
  const ruleNumber = (text: string, what: string): number => {
    const n = parseU32(text);
    if (n === null || n < 1 || !/^[0-9]+$/.test(text)) throw new ParameterProblem(`Invalid rule number \`${text}'`);
    void what;
    return n;
  };
  const loadTarget = (name: string, isGoto: boolean): void => {
    out.hasRuleOptions = true;
    if (!isGoto && VERDICTS.has(name)) {
      rule.target = { name: name as 'ACCEPT' | 'DROP' | 'RETURN' };
      return;
    }
    const ext = isGoto ? undefined : TARGETS.get(name);
    if (ext === undefined) {
      rule.target = { name: 'jump', chain: name, goto: isGoto };
      return;
    }
    const data = ext.create(env);
    target = { ext, data, seen: new Set() };
    rule.target = data;
  };
  const loadMatch = (name: string): Loaded => {
    const ext = MATCHES.get(name);
    if (ext === undefined) throw new ParameterProblem(`Couldn't load match \`${name}':No such file or directory\n`);
    const data = ext.create(env);
    const l: Loaded = { ext, data, seen: new Set() };
    matches.push(l);
    rule.matches.push(data);
    return l;
  };
  const applyExtension = (l: Loaded, spec: OptionSpec, inline: string | null): void => {
    const neg = invert;
    invert = false;
    if (neg && spec.invertible !== true) throw new ParameterProblem(`${l.ext.name}: option "${spec.name}" cannot be inverted.\n`);
    const values: string[] = [];
    if (spec.arg !== 'none') values.push(inline ?? next(spec.name));
    if (spec.arg === 'two') values.push(next(spec.name));
    env.seen = l.seen;
    (l.ext as Extension<{ name: string }>).parse(l.data, spec.name, values, neg, env);
    l.seen.add(spec.name);
    out.hasRuleOptions = true;
  };
  /** Offers a long option to the loaded matches, then the target; then the protocol's implicit match. */
  const extensionOption = (word: string): void => {
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    const inline = eq < 0 ? null : word.slice(eq + 1);
    for (const l of matches) {
      const spec = findOption(l.ext, name);
      if (spec !== undefined) return applyExtension(l, spec, inline);
    }
    if (target !== null) {
      const spec = findOption(target.ext, name);
      if (spec !== undefined) return applyExtension(target, spec, inline);
    }
    const implicit = rule.proto === 6 ? 'tcp' : rule.proto === 17 ? 'udp' : rule.proto === 1 ? 'icmp' : null;
    if (implicit !== null && (rule.invert & INV_PROTO) === 0 && !matches.some((l) => l.ext.name === implicit)) {
      const ext = MATCHES.get(implicit)!;
      const spec = findOption(ext, name);
      if (spec !== undefined) return applyExtension(loadMatch(implicit), spec, inline);
    }
    throw new ParameterProblem(`unknown option "${name}"`);
  };

  while (i < argv.length) {
    let word = argv[i++]!;
    if (word === '!') {
      if (invert) throw new ParameterProblem('multiple consecutive ! not allowed');
      invert = true;
      continue;
    }
    if (word.startsWith('--')) {
      const cmd = LONG_COMMANDS.get(word);
      const base = LONG_BASE.get(word);
      if (cmd !== undefined) word = `-${cmd}`;
      else if (base !== undefined) word = base;
      else if (word === '--line-numbers') {
        out.lineNumbers = true;
        continue;
      } else {
        extensionOption(word);
        continue;
      }
    } else if (word.length > 2 && word[0] === '-' && [...word.slice(1, -1)].every((c) => SHORT_FLAGS.has(c))) {
      // A cluster of flags (`-nvL`): all but the last expanded in place.
      const rest = [...word.slice(1)].map((c) => `-${c}`);
      (argv as string[]) = [...argv.slice(0, i - 1), ...rest, ...argv.slice(i)];
      word = argv[i - 1]!;
    } else if (!word.startsWith('-') || word === '-') {
      throw new ParameterProblem(`Bad argument \`${word}'`, true);
    }
    switch (word) {
      case '-A':
      case '-D':
      case '-I':
      case '-R':
      case '-N':
      case '-P':
      case '-E':
      case '-C': {
        setCommand(word[1] as CommandLetter);
        out.chain = next(word);
        if (word === '-R') out.index = ruleNumber(next(word), word);
        else if (word === '-I' || word === '-D') {
          const v = argv[i];
          if (v !== undefined && /^[0-9]+$/.test(v)) out.index = ruleNumber(next(word), word);
        } else if (word === '-P' || word === '-E') out.extra = next(word);
        break;
      }
      case '-X':
      case '-F':
      case '-Z':
      case '-S':
      case '-L': {
        setCommand(word[1] as CommandLetter);
        out.chain = optional();
        if (out.chain !== null && word !== '-X' && word !== '-F') {
          const v = optional();
          if (v !== null) out.index = ruleNumber(v, word);
        }
        break;
      }
      case '-t':
        next(word);
        break;
      case '-s':
      case '-d': {
        once(word);
        const neg = takeInvert(word);
        const { addr, mask } = parseAddressMask(next(word));
        if (word === '-s') [rule.src, rule.srcMask] = [addr, mask];
        else [rule.dst, rule.dstMask] = [addr, mask];
        if (neg) rule.invert |= word === '-s' ? INV_SRCIP : INV_DSTIP;
        out.hasRuleOptions = true;
        break;
      }
      case '-i':
      case '-o': {
        once(word);
        const neg = takeInvert(word);
        const name = next(word);
        if (name.length > 15) throw new ParameterProblem(`interface name \`${name}' must be shorter than IFNAMSIZ (15)`);
        if (word === '-i') rule.inIface = name;
        else rule.outIface = name;
        if (neg) rule.invert |= word === '-i' ? INV_VIA_IN : INV_VIA_OUT;
        out.hasRuleOptions = true;
        break;
      }
      case '-p': {
        once(word);
        const neg = takeInvert(word);
        rule.proto = parseProto(next(word));
        if (neg) {
          if (rule.proto === 0) throw new ParameterProblem('rule would never match protocol');
          rule.invert |= INV_PROTO;
        }
        out.hasRuleOptions = true;
        break;
      }
      case '-f':
        once(word);
        if (takeInvert(word)) rule.invert |= INV_FRAG;
        rule.fragment = true;
        out.hasRuleOptions = true;
        break;
      case '-m':
        takeInvert(word);
        loadMatch(next(word));
        out.hasRuleOptions = true;
        break;
      case '-j':
      case '-g':
        once('-j');
        takeInvert(word);
        loadTarget(next(word), word === '-g');
        break;
      case '-c': {
        const p = next(word);
        const b = argv[i] === undefined ? p : next(word);
        if (!/^[0-9]+$/.test(p) || !/^[0-9]+$/.test(b)) throw new ParameterProblem('-c packet counter not numeric');
        rule.counters = { packets: Number(p), bytes: Number(b) };
        out.counters = true;
        break;
      }
      case '-v':
        out.verbose = true;
        break;
      case '-n':
        out.numeric = true;
        break;
      case '-x':
        out.exact = true;
        break;
      case '-w':
      case '-W':
        optional();
        break;
      default:
        throw new ParameterProblem(`unknown option "${word}"`);
    }
  }
  if (invert) throw new ParameterProblem("nothing appropriate following !");
  for (const l of matches) {
    env.seen = l.seen;
    (l.ext as Extension<{ name: string }>).check?.(l.data, env);
  }
  const t = target as Loaded | null;
  if (t !== null) {
    env.seen = t.seen;
    (t.ext as Extension<{ name: string }>).check?.(t.data, env);
  }
  return out;
}
