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

/**
 * Words that iptables command lines repeat (commands, options, module and target names, a few
 * common values): iptables-restore keeps one string for each instead of a new one per line.
 */
export const COMMON_WORDS: readonly string[] = [
  ...LONG_COMMANDS.keys(), ...LONG_BASE.keys(), ...LONG_BASE.values(), ...[...'ADIRNXFZPSLECvnxfwWtsdiopmjgc'].map((c) => `-${c}`),
  '!', '--line-numbers', ...MATCHES.keys(), ...TARGETS.keys(), ...VERDICTS,
  ...[...MATCHES.values(), ...TARGETS.values()].flatMap((e) => e.options.flatMap((o) => [o.name, ...(o.aliases ?? [])])),
  'all', 'random', 'nth', 'src', 'dst', 'KUBE-MARK-MASQ', 'KUBE-MARK-DROP', 'KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING',
  'KUBE-FORWARD', 'KUBE-EXTERNAL-SERVICES', 'KUBE-PROXY-FIREWALL', 'KUBE-FIREWALL', 'RELATED,ESTABLISHED', 'INVALID', 'NEW', 'LOCAL',
  '0x4000', '0x4000/0x4000', '0x8000', '0x8000/0x8000', '0.0.0.0/0',
];

/** Options of the rule itself that may be given once (bits of `CommandParser.seenBase`). */
const ONCE_BITS: Readonly<Record<string, number>> = { '-s': 1, '-d': 2, '-i': 4, '-o': 8, '-p': 16, '-f': 32, '-j': 64 };

/** A loaded extension of the rule being parsed: its data and the options it was already given. */
interface Loaded {
  ext: Extension<MatchData> | Extension<TargetData>;
  data: MatchData | TargetData;
  seen: Set<string>;
}

/** Finds `option` (a canonical name or alias) among an extension's options. */
function findOption(ext: Extension<{ name: string }>, option: string): OptionSpec | undefined {
  const options = ext.options;
  for (let k = 0; k < options.length; k++) {
    const o = options[k]!;
    if (o.name === option || (o.aliases !== undefined && o.aliases.includes(option))) return o;
  }
  return undefined;
}

/** Whether `text` is a non-empty run of decimal digits. */
function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * The command-line parser. One instance parses any number of lines (iptables-restore keeps
 * one for a whole file): its scratch state (loaded extensions and their option sets) is
 * reused, so a line costs the rule it builds and little else.
 */
export class CommandParser {
  private argv: readonly string[] = [];
  private argc = 0;
  /** Next word to read. */
  private i = 0;
  /** A `!` is pending for the next option. */
  private invert = false;
  /** ONCE_BITS already given. */
  private seenBase = 0;
  private out!: ParsedCommand;
  /** The result object handed out again (reuseResult). */
  private result: ParsedCommand | null = null;
  private rule!: Rule;
  private readonly env: ParseEnv;
  /** Loaded matches of this line: `pool[0 .. matchCount)`; the pool only grows. */
  private readonly pool: Loaded[] = [];
  /** The same matches' data, for the rule's list. */
  private readonly matchData: MatchData[] = [];
  private matchCount = 0;
  private readonly targetSlot: Loaded;
  private hasTarget = false;
  private readonly values: string[] = [];

  /**
   * `reuseResult`: every parse returns the same ParsedCommand object, filled again (for a
   * caller that is done with one line's result before it parses the next, as iptables-restore
   * is) — one object less per line. The rule is new every time either way.
   */
  constructor(private readonly reuseResult = false) {
    this.env = { flavour: 'nft', table: 'filter', rule: emptyRule(), seen: new Set() };
    this.targetSlot = { ext: undefined!, data: undefined!, seen: new Set() };
  }

  /** Parses `argv[0 .. argc)` (one command line without the program name). Throws ParameterProblem as iptables would. */
  parse(argv: readonly string[], argc: number, opts: ParseOptions): ParsedCommand {
    const rule = emptyRule();
    let out: ParsedCommand;
    if (this.result !== null) {
      out = this.result;
      out.command = null;
      out.table = opts.table;
      out.chain = null;
      out.index = null;
      out.extra = null;
      out.rule = rule;
      out.hasRuleOptions = out.counters = out.verbose = out.numeric = out.exact = out.lineNumbers = false;
    } else {
      out = {
        command: null, table: opts.table, chain: null, index: null, extra: null, rule, hasRuleOptions: false, counters: false,
        verbose: false, numeric: false, exact: false, lineNumbers: false,
      };
      if (this.reuseResult) this.result = out;
    }
    // -t applies wherever it is written.
    for (let k = 0; k < argc - 1; k++) if (argv[k] === '-t' || argv[k] === '--table') out.table = argv[k + 1]!;
    this.argv = argv;
    this.argc = argc;
    this.i = 0;
    this.invert = false;
    this.seenBase = 0;
    this.out = out;
    this.rule = rule;
    this.matchCount = 0;
    this.hasTarget = false;
    const env = this.env;
    env.flavour = opts.flavour;
    env.table = out.table as TableName;
    env.rule = rule;

    while (this.i < this.argc) this.word(this.argv[this.i++]!);
    if (this.invert) throw new ParameterProblem('nothing appropriate following !');
    // The rule's match list, exactly as long as it needs to be (a growing array would keep spare slots for as long as the rule lives).
    if (this.matchCount > 0) rule.matches = this.matchData.slice(0, this.matchCount);
    for (let k = 0; k < this.matchCount; k++) this.check(this.pool[k]!);
    if (this.hasTarget) this.check(this.targetSlot);
    this.argv = [];
    return out;
  }

  /** Handles one word (an option or command and whatever it consumes). */
  private word(word: string): void {
    const out = this.out;
    const rule = this.rule;
    if (word === '!') {
      if (this.invert) throw new ParameterProblem('multiple consecutive ! not allowed');
      this.invert = true;
      return;
    }
    if (word.charCodeAt(0) === 0x2d && word.charCodeAt(1) === 0x2d) {
      const cmd = LONG_COMMANDS.get(word);
      const base = cmd === undefined ? LONG_BASE.get(word) : undefined;
      if (cmd !== undefined) word = `-${cmd}`;
      else if (base !== undefined) word = base;
      else if (word === '--line-numbers') {
        out.lineNumbers = true;
        return;
      } else {
        this.extensionOption(word);
        return;
      }
    } else if (word.length > 2 && word[0] === '-' && [...word.slice(1, -1)].every((c) => SHORT_FLAGS.has(c))) {
      // A cluster of flags (`-nvL`): all but the last expanded in place.
      const rest = [...word.slice(1)].map((c) => `-${c}`);
      const at = this.i - 1;
      this.argv = [...this.argv.slice(0, at), ...rest, ...this.argv.slice(at + 1, this.argc)];
      this.argc = this.argv.length;
      word = this.argv[at]!;
    } else if (word.charCodeAt(0) !== 0x2d || word === '-') {
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
        this.setCommand(word[1] as CommandLetter);
        out.chain = this.next(word);
        if (word === '-R') out.index = this.ruleNumber(this.next(word));
        else if (word === '-I' || word === '-D') {
          const v = this.i < this.argc ? this.argv[this.i]! : undefined;
          if (v !== undefined && isDigits(v)) out.index = this.ruleNumber(this.next(word));
        } else if (word === '-P' || word === '-E') out.extra = this.next(word);
        break;
      }
      case '-X':
      case '-F':
      case '-Z':
      case '-S':
      case '-L': {
        this.setCommand(word[1] as CommandLetter);
        out.chain = this.optional();
        if (out.chain !== null && word !== '-X' && word !== '-F') {
          const v = this.optional();
          if (v !== null) out.index = this.ruleNumber(v);
        }
        break;
      }
      case '-t':
        this.next(word);
        break;
      case '-s':
      case '-d': {
        this.once(word);
        const neg = this.takeInvert(word);
        const { addr, mask } = parseAddressMask(this.next(word));
        if (word === '-s') {
          rule.src = addr;
          rule.srcMask = mask;
        } else {
          rule.dst = addr;
          rule.dstMask = mask;
        }
        if (neg) rule.invert |= word === '-s' ? INV_SRCIP : INV_DSTIP;
        out.hasRuleOptions = true;
        break;
      }
      case '-i':
      case '-o': {
        this.once(word);
        const neg = this.takeInvert(word);
        const name = this.next(word);
        if (name.length > 15) throw new ParameterProblem(`interface name \`${name}' must be shorter than IFNAMSIZ (15)`);
        if (word === '-i') rule.inIface = name;
        else rule.outIface = name;
        if (neg) rule.invert |= word === '-i' ? INV_VIA_IN : INV_VIA_OUT;
        out.hasRuleOptions = true;
        break;
      }
      case '-p': {
        this.once(word);
        const neg = this.takeInvert(word);
        rule.proto = parseProto(this.next(word));
        if (neg) {
          if (rule.proto === 0) throw new ParameterProblem('rule would never match protocol');
          rule.invert |= INV_PROTO;
        }
        out.hasRuleOptions = true;
        break;
      }
      case '-f':
        this.once(word);
        if (this.takeInvert(word)) rule.invert |= INV_FRAG;
        rule.fragment = true;
        out.hasRuleOptions = true;
        break;
      case '-m':
        this.takeInvert(word);
        this.loadMatch(this.next(word));
        out.hasRuleOptions = true;
        break;
      case '-j':
      case '-g':
        this.once('-j');
        this.takeInvert(word);
        this.loadTarget(this.next(word), word === '-g');
        break;
      case '-c': {
        const p = this.next(word);
        const b = this.i < this.argc ? this.next(word) : p;
        if (!isDigits(p) || !isDigits(b)) throw new ParameterProblem('-c packet counter not numeric');
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
        this.optional();
        break;
      default:
        throw new ParameterProblem(`unknown option "${word}"`);
    }
  }

  /** The value of `option`. */
  private next(option: string): string {
    if (this.i >= this.argc) throw new ParameterProblem(`option "${option}" requires an argument`);
    return this.argv[this.i++]!;
  }

  /** getopt's optional positional argument: taken when the next word is not an option. */
  private optional(): string | null {
    if (this.i >= this.argc) return null;
    const v = this.argv[this.i]!;
    if (v.charCodeAt(0) === 0x2d || v === '!') return null;
    this.i++;
    return v;
  }

  private setCommand(letter: CommandLetter): void {
    if (this.out.command !== null) throw new ParameterProblem('Cannot use -' + letter + ' with -' + this.out.command + '\n');
    this.out.command = letter;
  }

  private once(flag: string): void {
    const bit = ONCE_BITS[flag]!;
    if ((this.seenBase & bit) !== 0) throw new ParameterProblem(`multiple ${flag} flags not allowed`);
    this.seenBase |= bit;
  }

  private takeInvert(flag: string): boolean {
    const v = this.invert;
    this.invert = false;
    if (v && (flag === '-j' || flag === '-g' || flag === '-m')) throw new ParameterProblem(`cannot have ! before ${flag}`);
    return v;
  }

  private ruleNumber(text: string): number {
    const n = parseU32(text);
    if (n === null || n < 1 || !isDigits(text)) throw new ParameterProblem(`Invalid rule number \`${text}'`);
    return n;
  }

  private loadTarget(name: string, isGoto: boolean): void {
    const rule = this.rule;
    this.out.hasRuleOptions = true;
    if (!isGoto && VERDICTS.has(name)) {
      rule.target = { name: name as 'ACCEPT' | 'DROP' | 'RETURN' };
      return;
    }
    const ext = isGoto ? undefined : TARGETS.get(name);
    if (ext === undefined) {
      rule.target = { name: 'jump', chain: name, goto: isGoto };
      return;
    }
    const data = ext.create(this.env);
    const t = this.targetSlot;
    t.ext = ext;
    t.data = data;
    t.seen.clear();
    this.hasTarget = true;
    rule.target = data;
  }

  private loadMatch(name: string): Loaded {
    const ext = MATCHES.get(name);
    if (ext === undefined) throw new ParameterProblem(`Couldn't load match \`${name}':No such file or directory\n`);
    const data = ext.create(this.env);
    let l = this.pool[this.matchCount];
    if (l === undefined) {
      l = { ext, data, seen: new Set() };
      this.pool.push(l);
    } else {
      l.ext = ext;
      l.data = data;
      l.seen.clear();
    }
    this.matchData[this.matchCount++] = data as MatchData;
    return l;
  }

  private applyExtension(l: Loaded, spec: OptionSpec, inline: string | null): void {
    const neg = this.invert;
    this.invert = false;
    if (neg && spec.invertible !== true) throw new ParameterProblem(`${l.ext.name}: option "${spec.name}" cannot be inverted.\n`);
    // One scratch array for every option's values (extensions read them, never keep the array).
    const values = this.values;
    values.length = 0;
    if (spec.arg !== 'none') values.push(inline ?? this.next(spec.name));
    if (spec.arg === 'two') values.push(this.next(spec.name));
    this.env.seen = l.seen;
    (l.ext as Extension<{ name: string }>).parse(l.data, spec.name, values, neg, this.env);
    l.seen.add(spec.name);
    this.out.hasRuleOptions = true;
  }

  /** Offers a long option to the loaded matches, then the target; then the protocol's implicit match. */
  private extensionOption(word: string): void {
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    const inline = eq < 0 ? null : word.slice(eq + 1);
    for (let k = 0; k < this.matchCount; k++) {
      const l = this.pool[k]!;
      const spec = findOption(l.ext, name);
      if (spec !== undefined) return this.applyExtension(l, spec, inline);
    }
    if (this.hasTarget) {
      const spec = findOption(this.targetSlot.ext, name);
      if (spec !== undefined) return this.applyExtension(this.targetSlot, spec, inline);
    }
    const rule = this.rule;
    const implicit = rule.proto === 6 ? 'tcp' : rule.proto === 17 ? 'udp' : rule.proto === 1 ? 'icmp' : null;
    if (implicit !== null && (rule.invert & INV_PROTO) === 0 && !this.hasMatch(implicit)) {
      const spec = findOption(MATCHES.get(implicit)!, name);
      if (spec !== undefined) return this.applyExtension(this.loadMatch(implicit), spec, inline);
    }
    throw new ParameterProblem(`unknown option "${name}"`);
  }

  private hasMatch(name: string): boolean {
    for (let k = 0; k < this.matchCount; k++) if (this.pool[k]!.ext.name === name) return true;
    return false;
  }

  /** The extension's final check (x6_fcheck). */
  private check(l: Loaded): void {
    this.env.seen = l.seen;
    (l.ext as Extension<{ name: string }>).check?.(l.data, this.env);
  }
}

const shared = new CommandParser();

/** Parses one command line (without the program name). Throws ParameterProblem as iptables would. */
export function parseCommandLine(argv: readonly string[], opts: ParseOptions): ParsedCommand {
  return shared.parse(argv, argv.length, opts);
}
