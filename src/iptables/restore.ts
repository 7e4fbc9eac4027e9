/**
 * iptables-restore (v1.8.9): `*TABLE`, `:CHAIN POLICY [PKTS:BYTES]`, command lines, `COMMIT`.
 * A table is built new (without --noflush) or edited copy-on-write (--noflush: the installed
 * table's chains are shared, a chain is copied when first written — chain-overlay.ts) and
 * takes effect at its COMMIT, so a failing table changes nothing; tables committed earlier in
 * the same file stay (both flavours do this). An edit is checked in the size of the edit
 * (table-facts.ts) and applied to the installed table in place, noting the chains it changed
 * for the compiled form; big chains written again with unchanged text take their rules
 * without parsing them (restore-pieces.ts), and a table read into plain chains takes copies of
 * the rules another namespace parsed from the same lines (rule-templates.ts). Errors are the
 * real tool's text and exit status for the flavour.
 */
import { KernelError, NotModelled, ParameterProblem } from './errors.js';
import { ChainOverlay } from './chain-overlay.js';
import type { CommentMatch, MatchData, TcpUdpMatch } from './matches.js';
import { cloneTable, isTableName, newChain, newTable, writableChain, type Chain, type Rule, type Table } from './model.js';
import type { Flavour } from './module.js';
import { COMMON_WORDS, CommandParser } from './rule-parse.js';
import { formatRuleSpec } from './rule-format.js';
import {
  deleteChain, deleteRule, flushChain, insertRule, missingJump, newUserChain, renameChain, setPolicy, validateTable, zeroCounters, type Xtables,
} from './ruleset.js';
import { IPTABLES_VERSION } from './save.js';
import { RulePieces } from './restore-pieces.js';
import { ChunkCollector, instantiateRule, templatesFor, touchChunk, type RuleChunk } from './rule-templates.js';
import { applyPlan, computeFacts, planEdit, setFacts } from './table-facts.js';
import { TARGET_PLACES, type JumpTarget } from './targets.js';

/** Options of one iptables-restore run. */
export interface RestoreOptions {
  /** The program as invoked (`iptables-restore`, `iptables-nft-restore`, `iptables-legacy-restore`). */
  program: string;
  noflush: boolean;
  counters: boolean;
  /** `-T TABLE`: restore only this table. */
  table: string | null;
  /**
   * Work on a whole copy of each table and check all of it at COMMIT, ignoring what is kept
   * to do less (copy-on-write edits, table facts, rule pieces): the plain algorithm, which
   * tests hold the incremental one to.
   */
  wholeTable?: boolean;
}

/** What the run printed (stderr as a terminal shows it) and its exit status. */
export interface RestoreResult {
  output: string;
  status: number;
}

/** Blank characters that separate words on a restore line. */
function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/** FNV-1a-like hash step of one UTF-16 unit. */
function hashStep(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

const HASH_SEED = 0x811c9dc5 | 0;

/**
 * A fixed set of words looked up by the characters of a slice of text, so a word that every
 * line repeats (`-A`, `-m`, `comment`, `--dport`) is one shared string rather than a new copy
 * per line: fewer allocations, and Map lookups of it reuse its cached hash.
 */
class WordTable {
  private readonly slots: (string | undefined)[];
  private readonly mask: number;

  constructor(words: readonly string[]) {
    const size = 1 << Math.ceil(Math.log2(words.length * 4 + 1));
    this.slots = new Array<string | undefined>(size).fill(undefined);
    this.mask = size - 1;
    for (const w of new Set(words)) {
      let h = HASH_SEED;
      for (let i = 0; i < w.length; i++) h = hashStep(h, w.charCodeAt(i));
      let k = h & this.mask;
      while (this.slots[k] !== undefined) k = (k + 1) & this.mask;
      this.slots[k] = w;
    }
  }

  /** The word equal to `text[from, to)` whose hash is `h`, or undefined. */
  find(text: string, from: number, to: number, h: number): string | undefined {
    const len = to - from;
    for (let k = h & this.mask; ; k = (k + 1) & this.mask) {
      const w = this.slots[k];
      if (w === undefined) return undefined;
      if (w.length === len && text.startsWith(w, from)) return w;
    }
  }
}

const COMMON = new WordTable(COMMON_WORDS);

/**
 * Splits `text[start, end)` into words as iptables-restore does: blanks separate, double
 * quotes group, `\"` and `\\` inside quotes are escapes. The words go into `words` from
 * index 0 (the array is reused between lines); returns their count.
 */
export function splitRestoreWords(text: string, start: number, end: number, words: string[]): number {
  let count = 0;
  let i = start;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (isBlank(c)) {
      i++;
      continue;
    }
    // One word: plain runs and quoted runs, taken as slices (no per-character concatenation).
    let word = '';
    while (i < end) {
      c = text.charCodeAt(i);
      if (isBlank(c)) break;
      if (c === 0x22) {
        i++;
        let from = i;
        while (i < end) {
          const q = text.charCodeAt(i);
          if (q === 0x22) break;
          if (q === 0x5c && i + 1 < end && (text.charCodeAt(i + 1) === 0x22 || text.charCodeAt(i + 1) === 0x5c)) {
            word += text.slice(from, i);
            from = i + 1;
            i += 2;
            continue;
          }
          i++;
        }
        word += text.slice(from, i);
        if (i < end) i++; // the closing quote
        continue;
      }
      const from = i;
      let h = HASH_SEED;
      while (i < end) {
        const p = text.charCodeAt(i);
        if (isBlank(p) || p === 0x22) break;
        h = hashStep(h, p);
        i++;
      }
      const piece = COMMON.find(text, from, i, h) ?? text.slice(from, i);
      word = word === '' ? piece : word + piece;
    }
    words[count++] = word;
  }
  return count;
}

/** Splits a restore line into words (see splitRestoreWords). */
export function splitRestoreLine(line: string): string[] {
  const words: string[] = [];
  splitRestoreWords(line, 0, line.length, words);
  return words;
}

/** The name a flavour's messages give the program (legacy drops `-legacy`). */
export function messageProgram(program: string, flavour: Flavour): string {
  return flavour === 'legacy' ? program.replace('-legacy', '') : program;
}

/** Whether two tcp/udp matches test the same things. */
function samePorts(a: TcpUdpMatch, b: TcpUdpMatch): boolean {
  return (
    a.name === b.name && a.sport[0] === b.sport[0] && a.sport[1] === b.sport[1] && a.dport[0] === b.dport[0] && a.dport[1] === b.dport[1] &&
    a.sportInvert === b.sportInvert && a.dportInvert === b.dportInvert && a.flagsMask === b.flagsMask && a.flagsCmp === b.flagsCmp && a.flagsInvert === b.flagsInvert
  );
}

/** Installed tables with fewer chains are edited on a whole copy (see beginTable). */
const SMALL_TABLE = 16;

class RestoreFailure extends Error {
  constructor(
    readonly output: string,
    readonly status: number,
  ) {
    super(output);
  }
}

/** Whether `c` is one of the characters String.prototype.trimStart removes. */
function isTrimmable(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c >= 0xa0 && /\s/.test(text[i]!);
}

/** `[PKTS:BYTES]` at `text[i]` (iptables-restore's counter prefix): its end and values, or null. */
function parseCounterPrefix(text: string, i: number, end: number): { next: number; packets: number; bytes: number } | null {
  const m = /^\[([0-9]+):([0-9]+)\][ \t]*/.exec(text.slice(i, end));
  return m === null ? null : { next: i + m[0].length, packets: Number(m[1]), bytes: Number(m[2]) };
}

/** The fields of a `:CHAIN POLICY [PKTS:BYTES]` line after the colon, split at runs of blanks as `split(/[ \t]+/)` does. */
function chainFields(text: string, start: number, end: number): string[] {
  const fields: string[] = [];
  let from = start;
  for (let i = start; i < end && fields.length < 3; ) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      fields.push(text.slice(from, i));
      while (i < end && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
      from = i;
    } else i++;
  }
  if (fields.length < 3) fields.push(text.slice(from, end));
  return fields;
}

/**
 * The table a restore is filling: without --noflush (or when the table does not exist yet) a
 * new table; with --noflush an edit of the installed one (its chains a ChainOverlay, copied
 * only where written); a throwaway for `-T` on another table.
 */
interface Pending {
  table: Table;
  /** Parsed and dropped (`-T` named another table). */
  skip: boolean;
  /** Where the `*TABLE` line starts, and its number (to replay the table when a refusal must name a line). */
  headerPos: number;
  headerLine: number;
  /** A jump named a chain that did not exist yet, or a chain was deleted or renamed: COMMIT must look for jumps to nowhere. */
  maybeDangling: boolean;
}

/**
 * One iptables-restore run over a text, line by line with a cursor (no split into lines, one
 * word array and one parser reused for every line).
 */
class Restore {
  private readonly flavour: Flavour;
  private readonly prog: string;
  private readonly version: string;
  private readonly parser = new CommandParser(true);
  private readonly words: string[] = [];
  private pos = 0;
  private lineNo = 0;
  /** While replaying a table to blame a refusal: the line each jump/placed rule came from, and the table read. */
  private lines: Map<Rule, number> | null = null;
  private replayed: Table | null = null;
  /** The chain the last `-A` appended to, ready for writing (consecutive appends go to the same chain). */
  private appendName: string | null = null;
  private appendChain: Chain | null = null;
  /** The last two chains a jump named, while only -A lines follow (see loop). */
  private jumpNameA: string | null = null;
  private jumpChainA: Chain | null = null;
  private jumpNameB: string | null = null;
  private jumpChainB: Chain | null = null;
  private jumpA: JumpTarget | null = null;
  private jumpB: JumpTarget | null = null;
  /** The last comment and tcp/udp matches seen (shareMatches), rings of four. */
  private readonly comments: CommentMatch[] = [];
  private commentNext = 0;
  private readonly ports: TcpUdpMatch[] = [];
  private portNext = 0;
  private readonly matchLists: MatchData[][] = [];
  private listNext = 0;
  /** Runs of `-A` lines and the rules read from them (restore-pieces.ts). */
  private readonly pieces: RulePieces;
  /** The process-wide parsed chunks of the current table's flavour and kind (rule-templates.ts); null: neither taken nor kept. */
  private templates: Map<string, RuleChunk> | null = null;
  /** The chunks this table's parsed `-A` lines make. */
  private readonly collector: ChunkCollector;

  constructor(
    private readonly x: Xtables,
    private readonly text: string,
    private readonly opts: RestoreOptions,
  ) {
    this.flavour = x.flavour;
    this.pieces = new RulePieces(text);
    this.collector = new ChunkCollector(text);
    this.prog = messageProgram(opts.program, this.flavour);
    this.version = this.flavour === 'legacy' ? `${IPTABLES_VERSION} (legacy)` : `${IPTABLES_VERSION} (nf_tables)`;
  }

  private paramFailure(e: ParameterProblem, line: number): RestoreFailure {
    const prog = this.prog;
    const head = e.bare ? e.message : `${prog} ${this.version}: ${e.message}`;
    return new RestoreFailure(`${head}\nError occurred at line: ${line}\nTry \`${prog} -h' or '${prog} --help' for more information.\n`, 2);
  }

  private lineFailure(line: number, e: KernelError): RestoreFailure {
    // nft reports what the kernel refused in the commit batch under its version banner, as for RULE_APPEND.
    if (this.flavour === 'nft' && e.nftBatch !== null) return new RestoreFailure(`${this.prog} ${this.version}: \nline ${line}: ${e.nftBatch}\n`, 4);
    return this.flavour === 'nft' ? new RestoreFailure(`${this.prog}: line ${line} failed: ${e.message}.\n`, 1) : new RestoreFailure(`${this.prog}: line ${line} failed\n`, 1);
  }

  run(): RestoreResult {
    try {
      this.loop(null, false);
    } catch (e) {
      if (e instanceof RestoreFailure) return { output: e.output, status: e.status };
      throw e;
    }
    return { output: '', status: 0 };
  }

  /**
   * Reads lines until the end (or, with `onlyOne`, until the first table's COMMIT).
   * `current` is the table being filled when reading starts inside one.
   */
  private loop(current: Pending | null, onlyOne: boolean): void {
    const text = this.text;
    const n = text.length;
    const flavour = this.flavour;
    while (this.pos < n) {
      const lineStart = this.pos;
      let end = text.indexOf('\n', lineStart);
      if (end < 0) end = n;
      this.pos = end + 1;
      this.lineNo++;
      if (end > lineStart && text.charCodeAt(end - 1) === 0x0d) end--;
      let start = lineStart;
      while (start < end && isTrimmable(text, start)) start++;
      if (start === end) continue;
      const first = text.charCodeAt(start);
      if (first === 0x23) continue; // '#'
      const lineNo = this.lineNo;
      if (current === null) {
        if (first !== 0x2a) {
          // not '*'
          const word = splitRestoreLine(text.slice(start, end))[0] ?? '';
          throw this.paramFailure(new ParameterProblem(`Bad argument \`${word}'`, true), lineNo);
        }
        current = this.beginTable(text.slice(start + 1, end).trim(), lineStart, lineNo);
        continue;
      }
      const table = current.table;
      if (first === 0x43 && text.startsWith('COMMIT', start) && (start + 6 === end || text.charCodeAt(start + 6) === 0x20)) {
        this.commit(current);
        current = null;
        if (onlyOne) return;
        continue;
      }
      if (first === 0x3a) {
        this.appendChain = null;
        this.appendName = null;
        this.jumpNameA = this.jumpNameB = null;
        this.declareChain(table, start + 1, end);
        continue;
      }
      if (first === 0x2d && table.chains instanceof ChainOverlay && this.lines === null && this.reusePiece(table.chains, start, lineStart, this.pos - 1, lineNo)) continue;
      if (first === 0x2d && this.templates !== null && this.templates.size > 0 && this.reuseChunk(table, lineStart, this.pos - 1, lineNo)) continue;
      let counters: { next: number; packets: number; bytes: number } | null = null;
      if (first === 0x5b) {
        counters = parseCounterPrefix(text, start, end);
        if (counters !== null) start = counters.next;
      }
      const count = splitRestoreWords(text, start, end, this.words);
      let cmd;
      try {
        cmd = this.parser.parse(this.words, count, { flavour, table: table.name });
      } catch (e) {
        if (e instanceof ParameterProblem) throw this.paramFailure(e, lineNo);
        throw e;
      }
      if (cmd.command === null) throw this.paramFailure(new ParameterProblem('no command specified'), lineNo);
      const rule = cmd.rule;
      if (rule.matches.length > 0) this.shareMatches(rule);
      if (this.opts.counters && counters !== null) rule.counters = { packets: counters.packets, bytes: counters.bytes };
      else if (!this.opts.counters && cmd.counters) rule.counters = { packets: 0, bytes: 0 };
      const tg = rule.target;
      if (tg !== null && tg.name === 'jump') {
        // The last two chains jumped to (kube-proxy alternates KUBE-MARK-MASQ with each endpoint's chain); valid until a line that is not an -A.
        // A plain `-j CHAIN` shares its target object with the last rule that jumped there (target data is never changed once parsed).
        // A hit in B moves it to A, a miss replaces B: a chain most rules jump to (KUBE-MARK-MASQ) stays while each endpoint's chain passes through B.
        let target: Chain | undefined;
        if (tg.chain === this.jumpNameA) {
          target = this.jumpChainA!;
          if (!tg.goto) rule.target = this.jumpA!;
        } else if (tg.chain === this.jumpNameB) {
          target = this.jumpChainB!;
          if (!tg.goto) rule.target = this.jumpB!;
          const name = this.jumpNameA;
          const chain = this.jumpChainA;
          const jump = this.jumpA;
          this.jumpNameA = this.jumpNameB;
          this.jumpChainA = this.jumpChainB;
          this.jumpA = this.jumpB;
          this.jumpNameB = name;
          this.jumpChainB = chain;
          this.jumpB = jump;
        } else {
          target = table.chains.get(tg.chain);
          if (target !== undefined && !tg.goto) {
            this.jumpNameB = target.name;
            this.jumpChainB = target;
            this.jumpB = tg;
          }
        }
        // One string per chain name: later lookups of this name hit its cached hash and compare by identity.
        if (target !== undefined) tg.chain = target.name;
        else if (flavour === 'nft') current.maybeDangling = true;
        else {
          throw this.paramFailure(new ParameterProblem(`Couldn't load target \`${tg.chain}':No such file or directory\n`), lineNo);
        }
      }
      try {
        if (cmd.command === 'A') {
          const chain = cmd.chain!;
          let c = this.appendChain;
          if (c === null || this.appendName !== chain) {
            // A chain a recent rule jumped to (kube-proxy appends to each endpoint's chain right after the jump to it); an edit's chains are copied first.
            const plain = !(table.chains instanceof ChainOverlay);
            if (plain && chain === this.jumpNameA) c = this.jumpChainA;
            else if (plain && chain === this.jumpNameB) c = this.jumpChainB;
            else c = writableChain(table, chain) ?? null;
            if (c === null) throw new KernelError('No chain/target/match by that name');
            this.appendName = chain;
            this.appendChain = c;
          }
          c.rules.push(rule);
          if (this.lines === null) this.pieces.appended(chain, c, lineStart, this.pos - 1, cmd.counters || counters !== null);
          if (this.templates !== null && !cmd.counters && counters === null) this.collector.add(chain, rule, lineStart, this.pos - 1);
        } else {
          this.appendChain = null;
          this.appendName = null;
          this.jumpNameA = this.jumpNameB = null;
          this.pieces.touched(cmd.chain);
          if (cmd.command === 'E' && cmd.extra !== null) this.pieces.touched(cmd.extra);
          if (cmd.command === 'X' || cmd.command === 'E') current.maybeDangling = true;
          applyCommand(table, cmd.command, cmd.chain, cmd.index, cmd.extra, rule, flavour);
        }
      } catch (e) {
        if (e instanceof KernelError) throw this.lineFailure(lineNo, e);
        throw e;
      }
      if (this.lines !== null && ((tg !== null && (tg.name === 'jump' || TARGET_PLACES.has(tg.name))) || rule.matches.some((m) => m.name === 'physdev'))) this.lines.set(rule, lineNo);
    }
    if (current !== null) throw new RestoreFailure(`${this.prog}: COMMIT expected at line ${this.lineNo + 1}\n`, 1);
  }

  /**
   * Makes a comment or tcp/udp match, and then the rule's whole match list, equal to one of
   * the last few seen the same object (match data and lists are never changed once parsed):
   * kube-proxy repeats each service's comment and port on the rules of its chains, so most
   * rules keep no such match or list of their own — fewer objects for the collector.
   */
  private shareMatches(rule: Rule): void {
    const matches = rule.matches;
    for (let k = 0; k < matches.length; k++) {
      const m = matches[k]!;
      if (m.name === 'comment') {
        const recent = this.comments;
        let shared: CommentMatch | undefined;
        for (let j = 0; j < recent.length && shared === undefined; j++) if (recent[j]!.comment === m.comment) shared = recent[j]!;
        if (shared !== undefined) matches[k] = shared;
        else {
          recent[this.commentNext] = m;
          this.commentNext = (this.commentNext + 1) & 3;
        }
      } else if (m.name === 'tcp' || m.name === 'udp') {
        // `-m tcp` alone or with the same ports as a recent rule (`--dport 80` on every service's rules).
        const recent = this.ports;
        let shared: TcpUdpMatch | undefined;
        for (let j = 0; j < recent.length && shared === undefined; j++) if (samePorts(recent[j]!, m)) shared = recent[j]!;
        if (shared !== undefined) matches[k] = shared;
        else {
          recent[this.portNext] = m;
          this.portNext = (this.portNext + 1) & 3;
        }
      }
    }
    // The whole list, when a recent rule has the very same matches (each service's endpoint rules).
    const lists = this.matchLists;
    for (let j = 0; j < lists.length; j++) {
      const l = lists[j]!;
      if (l.length !== matches.length) continue;
      let same = true;
      for (let k = 0; k < l.length && same; k++) same = l[k] === matches[k];
      if (same) {
        rule.matches = l;
        return;
      }
    }
    lists[this.listNext] = matches;
    this.listNext = (this.listNext + 1) & 3;
  }

  /**
   * At an `-A` line (at `start`; the line from `lineStart` to its newline at `lineEnd`) of an
   * edit: takes the rules of the installed chain's piece that starts with this line, if there
   * is one and the text goes on as it does (restore-pieces.ts), and skips its lines. False:
   * read the line.
   */
  private reusePiece(edit: ChainOverlay, start: number, lineStart: number, lineEnd: number, lineNo: number): boolean {
    const text = this.text;
    if (text.charCodeAt(start + 1) !== 0x41 || !isBlank(text.charCodeAt(start + 2))) return false;
    let i = start + 3;
    while (isBlank(text.charCodeAt(i))) i++;
    const last = this.appendName;
    let name: string;
    if (last !== null && text.startsWith(last, i) && isBlank(text.charCodeAt(i + last.length))) name = last;
    else {
      let j = i;
      while (j < lineEnd) {
        const c = text.charCodeAt(j);
        if (isBlank(c) || c === 0x22) break;
        j++;
      }
      name = text.slice(i, j);
    }
    const got = this.pieces.reuse(edit, name, lineStart, lineEnd);
    if (got === null) return false;
    this.appendName = name;
    this.appendChain = edit.writable(name)!;
    this.pos = got.after + 1;
    this.lineNo = lineNo + got.count - 1;
    return true;
  }

  /**
   * At an `-A` line (`[lineStart, lineEnd)`, lineEnd its newline) of a table read into plain
   * chains: when a chunk parsed before (by any namespace) starts with this line and the text
   * goes on as it does, appends copies of its rules (rule-templates.ts) and skips its lines.
   * False (read the line): no such chunk, or a chain it appends to or jumps to does not exist
   * here (the line's own parse gives the tool's answer).
   */
  private reuseChunk(table: Table, lineStart: number, lineEnd: number, lineNo: number): boolean {
    const text = this.text;
    const chunks = this.templates!;
    const c = chunks.get(text.slice(lineStart, lineEnd));
    if (c === undefined) return false;
    const after = lineStart + c.text.length;
    if (!(after === text.length || text.charCodeAt(after) === 0x0a) || text.slice(lineStart, after) !== c.text) return false;
    const chains = table.chains;
    const names = c.chains;
    const rules = c.rules;
    let name: string | null = null;
    for (let k = 0; k < rules.length; k++) {
      if (names[k] !== name) {
        name = names[k]!;
        if (!chains.has(name)) return false;
      }
      const tg = rules[k]!.target;
      if (tg !== null && tg.name === 'jump' && !chains.has(tg.chain)) return false;
    }
    this.collector.end();
    const ends = c.ends;
    const stateful = c.stateful;
    let chain: Chain | null = null;
    name = null;
    let from = lineStart;
    for (let k = 0; k < rules.length; k++) {
      if (names[k] !== name) {
        name = names[k]!;
        chain = chains.get(name)!;
      }
      chain!.rules.push(instantiateRule(rules[k]!, stateful));
      const to = lineStart + ends[k]!;
      this.pieces.appended(name, chain!, from, to, false);
      from = to + 1;
    }
    touchChunk(chunks, c);
    this.appendChain = null;
    this.appendName = null;
    this.jumpNameA = this.jumpNameB = null;
    this.pos = after + 1;
    this.lineNo = lineNo + rules.length - 1;
    return true;
  }

  /** `*NAME`: the copy of the table that the lines until COMMIT fill. */
  private beginTable(name: string, headerPos: number, lineNo: number): Pending {
    const x = this.x;
    const flavour = this.flavour;
    if (!isTableName(name)) {
      if (name === 'security') throw new NotModelled('the security table is not modelled by dpsim');
      const msg = flavour === 'nft' ? `${this.prog}: line ${lineNo} table name '${name}' invalid` : `${this.prog}: unable to initialize table '${name}'`;
      throw this.paramFailure(new ParameterProblem(msg), lineNo);
    }
    this.templates = null;
    if (this.opts.table !== null && this.opts.table !== name) return { table: newTable(name), skip: true, headerPos, headerLine: lineNo, maybeDangling: false };
    // A legacy table exists from the moment it is named, even if its COMMIT fails.
    const base = flavour === 'legacy' ? x.table(name) : (x.tables.get(name) ?? null);
    this.appendChain = null;
    this.appendName = null;
    this.jumpNameA = this.jumpNameB = null;
    this.pieces.reset();
    this.collector.reset();
    this.templates = null;
    // A small installed table is simply copied: an edit of it is cheap either way, and a big load on top of it (kube-proxy's first sync) reads faster into plain chains.
    // A table read into plain chains takes and keeps parsed chunks (an edit of a big table has its pieces instead); not while replaying.
    if (this.opts.wholeTable !== true && this.lines === null && !(this.opts.noflush && base !== null && base.chains.size >= SMALL_TABLE)) this.templates = templatesFor(flavour, name);
    if (this.opts.noflush && base !== null && (this.opts.wholeTable === true || base.chains.size < SMALL_TABLE)) return { table: cloneTable(base), skip: false, headerPos, headerLine: lineNo, maybeDangling: false };
    if (this.opts.noflush && base !== null) {
      const table: Table = { name, chains: new ChainOverlay(base.chains, base), generation: 0 };
      return { table, skip: false, headerPos, headerLine: lineNo, maybeDangling: false };
    }
    // Flushed: the built-in chains keep their policies and counters, nothing else stays.
    const table = newTable(name);
    if (base !== null) {
      for (const c of table.chains.values()) {
        const old = base.chains.get(c.name)!;
        c.policy = old.policy;
        c.counters = { ...old.counters };
      }
    }
    return { table, skip: false, headerPos, headerLine: lineNo, maybeDangling: false };
  }

  /** `:NAME POLICY [PKTS:BYTES]` (built-in) or `:NAME - [0:0]` (user chain), fields after the colon in `text[start, end)`. */
  private declareChain(table: Table, start: number, end: number): void {
    // The name is the first field; a new user chain needs nothing else (the common case: no array, no regex).
    const text = this.text;
    let i = start;
    while (i < end && text.charCodeAt(i) !== 0x20 && text.charCodeAt(i) !== 0x09) i++;
    const first = text.slice(start, i);
    if (!table.chains.has(first)) {
      if (first === '' || first.length > 28) throw this.paramFailure(new ParameterProblem(`Invalid chain name \`${first}'`), this.lineNo);
      table.chains.set(first, newChain(first, false));
      this.pieces.declared(first);
      return;
    }
    const [name = '', policy = '-', counters = '[0:0]'] = chainFields(text, start, end);
    const existing = table.chains.get(name);
    if (existing?.builtin === true) {
      if (policy !== '-') {
        if (policy !== 'ACCEPT' && policy !== 'DROP') {
          if (this.flavour === 'nft') throw new RestoreFailure(`${this.prog}: line ${this.lineNo} failed: Bad policy name.\n`, 1);
          throw new RestoreFailure(`${this.prog} ${this.version}: Can't set policy \`${policy}' on \`${name}' line ${this.lineNo}: Bad policy name\n`, 1);
        }
        writableChain(table, name)!.policy = policy;
      }
      const m = /^\[([0-9]+):([0-9]+)\]$/.exec(counters);
      if (this.opts.counters && m !== null) writableChain(table, name)!.counters = { packets: Number(m[1]), bytes: Number(m[2]) };
    } else if (existing !== undefined) {
      writableChain(table, name, true)!.rules = []; // declaring an existing user chain flushes it (what --noflush users rely on)
      this.pieces.declared(name);
    } else {
      if (name === '' || name.length > 28) throw this.paramFailure(new ParameterProblem(`Invalid chain name \`${name}'`), this.lineNo);
      table.chains.set(name, newChain(name, false));
      this.pieces.declared(name);
    }
  }

  /** Validates a table as the kernel does at COMMIT and swaps it in. */
  private commit(current: Pending): void {
    if (current.skip) return;
    const t = current.table;
    const lineNo = this.lineNo;
    // An edit of the installed table: checked in the size of the edit when the table's facts allow.
    const edit = t.chains instanceof ChainOverlay && t.chains.table !== null && this.x.tables.get(t.name) === t.chains.table ? t.chains : null;
    const plan = edit !== null && this.lines === null ? planEdit(edit.table!, edit, this.flavour) : null;
    if (plan !== null) {
      const live = edit!.table!;
      this.x.commitEdit(live, edit!);
      applyPlan(live, plan);
      this.pieces.keep(live);
      return;
    }
    if (this.flavour === 'nft' && current.maybeDangling) {
      const missing = missingJump(t);
      if (missing !== null) throw this.paramFailure(new ParameterProblem(`Chain '${missing.target}' does not exist`), lineNo);
    }
    if (this.lines !== null) {
      this.replayed = t; // replaying: the caller blames
      return;
    }
    const fault = validateTable(t, this.flavour);
    if (fault !== null) {
      if (this.flavour === 'legacy') throw new RestoreFailure(`${this.prog}: line ${lineNo} failed\n`, 1);
      // nft refuses the rule whose addition made the loop reachable: the latest line on the path.
      const { table, lines } = this.replay(current);
      const lineOf = (chain: string, index: number): number | undefined => lines.get(table.chains.get(chain)!.rules[index]!);
      let blamed = { chain: fault.chain, line: lineOf(fault.chain, fault.index) ?? lineNo };
      for (const step of fault.path) {
        const line = lineOf(step.chain, step.index) ?? 0;
        if (line > blamed.line) blamed = { chain: step.chain, line };
      }
      throw new RestoreFailure(`${this.prog} ${this.version}: \nline ${blamed.line}: RULE_APPEND failed (${fault.errno}): rule in chain ${blamed.chain}\n`, 4);
    }
    if (edit !== null && edit.base === edit.table!.chains) {
      const live = edit.table!;
      this.x.commitEdit(live, edit);
      setFacts(live, computeFacts(live));
      this.pieces.keep(live);
      return;
    }
    if (t.chains instanceof ChainOverlay) t.chains = new Map(t.chains); // (a table that was not installed: keep its own chains)
    this.x.install(t);
    if (this.opts.wholeTable === true) return;
    setFacts(t, computeFacts(t));
    this.pieces.keep(t);
    if (this.templates !== null) this.collector.keep(this.templates);
  }

  /**
   * Reads the failing table again, this time noting the line of every rule that can be
   * refused, so the message can name it. (Only a refused table pays for this.)
   */
  private replay(failed: Pending): { table: Table; lines: Map<Rule, number> } {
    const again = new Restore(this.x, this.text, this.opts);
    again.lines = new Map();
    again.pos = failed.headerPos;
    again.lineNo = failed.headerLine - 1;
    again.loop(null, true);
    return { table: again.replayed!, lines: again.lines };
  }
}

/** Loads restore text into `x`. Never throws for bad input: the result carries the tool's message. */
export function restore(x: Xtables, text: string, opts: RestoreOptions): RestoreResult {
  return new Restore(x, text, opts).run();
}

/** Applies one parsed command to a table (shared by iptables-restore lines and the iptables command). */
export function applyCommand(
  t: Table,
  command: string,
  chain: string | null,
  index: number | null,
  extra: string | null,
  rule: Rule,
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
