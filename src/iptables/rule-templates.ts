/**
 * Rules parsed once per process: the exact text of a run of `-A` lines (no counters) read by
 * one table's iptables-restore, with the rules parsed from it, kept process-wide so another
 * namespace's restore of byte-identical text (every node of a cluster loads the same
 * kube-proxy rules, give or take a few node-specific lines) takes copies of them instead of
 * parsing the lines again. A chunk is at most CHUNK_LINES consecutive lines, found by its
 * first line, per flavour and table (the parse depends on both); a line that differs costs
 * the chunk around it, and reading resumes at the next chunk that starts where the text goes
 * on as before.
 *
 * A table never shares a rule object with another one: each reuse makes new Rule objects
 * with fresh counters (which the walk increments in place). What they share is immutable
 * once parsed: addresses, interfaces, target data, and match data — except the matches whose
 * per-rule state the namespace keeps keyed by the match object (ext-state.ts: the statistic
 * match's nth counter, the limit match's bucket), which each copy gets as its own object, so
 * no two rules, in one table or across tables, share that state.
 *
 * Bounded: at most 16 Mi characters of text in all (setRuleTemplateBudget); least recently
 * used chunks leave first, but never chunks the same table's restore took or stored (a text
 * bigger than the budget keeps the first part that fits instead of each part pushing out the
 * one before, and a table stops collecting once it has more than the budget).
 */
import type { MatchData } from './matches.js';
import type { Rule } from './model.js';

/** Lines per chunk at most (a differing line costs at most this many parsed lines). */
const CHUNK_LINES = 32;
/** Characters of chunk text kept at most, process-wide (setRuleTemplateBudget changes it). */
let budget = 16 * 2 ** 20;

/** A run of `-A` lines and the rules read from them. */
export interface RuleChunk {
  /** Its first line (the key). */
  readonly first: string;
  /** Its lines, newline-separated (no trailing newline). */
  readonly text: string;
  /** Per line: its chain and the rule it gave (a template: copied, never installed). */
  readonly chains: readonly string[];
  readonly rules: readonly Rule[];
  /** Per line: where it ends (its newline) relative to the chunk's start. */
  readonly ends: Int32Array;
  /** Whether some rule has a match with per-object state (then copies get their own). */
  readonly stateful: boolean;
  /** When it was last stored or taken (a process-wide clock). */
  used: number;
}

/** Chunks by flavour and table, then by first line; Map order is recency. */
const byKind = new Map<string, Map<string, RuleChunk>>();
let kept = 0;
let clock = 0;

/** The chunks of one flavour and table (created on first use). */
export function templatesFor(flavour: string, table: string): Map<string, RuleChunk> {
  const key = `${flavour} ${table}`;
  let m = byKind.get(key);
  if (m === undefined) byKind.set(key, (m = new Map()));
  return m;
}

/** Forgets every chunk (benchmarks measure a cold parse with it). */
export function clearRuleTemplates(): void {
  byKind.clear();
  kept = 0;
}

/** Sets the most characters of chunk text kept (dropping chunks beyond it); returns the previous bound. */
export function setRuleTemplateBudget(chars: number): number {
  const was = budget;
  budget = chars;
  while (kept > budget) if (!evictOne(Infinity)) break;
  return was;
}

/** How many chunks and characters of text are kept. */
export function ruleTemplateStats(): { chunks: number; chars: number } {
  let chunks = 0;
  for (const m of byKind.values()) chunks += m.size;
  return { chunks, chars: kept };
}

/** Whether match `m` has state the namespace keeps by the match object (ext-state.ts). */
function statefulMatch(m: MatchData): boolean {
  return m.name === 'statistic' || m.name === 'limit';
}

/** A flat copy of `s` (a slice would keep the whole restore text alive). */
function flatCopy(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\xff]/.test(s) ? Buffer.from(s, 'utf16le').toString('utf16le') : Buffer.from(s, 'latin1').toString('latin1');
}

/** A new rule equal to template `t`: fresh counters; its own objects for stateful matches when `stateful`. */
export function instantiateRule(t: Rule, stateful: boolean): Rule {
  let matches = t.matches;
  if (stateful) {
    for (let k = 0; k < matches.length; k++) {
      if (!statefulMatch(matches[k]!)) continue;
      matches = matches.slice();
      for (let j = k; j < matches.length; j++) if (statefulMatch(matches[j]!)) matches[j] = { ...matches[j]! };
      break;
    }
  }
  return {
    src: t.src, srcMask: t.srcMask, dst: t.dst, dstMask: t.dstMask, inIface: t.inIface, outIface: t.outIface, proto: t.proto,
    fragment: t.fragment, invert: t.invert, matches, target: t.target, counters: { packets: 0, bytes: 0 },
  };
}

/**
 * Collects the chunks of one table's restore as its `-A` lines are read; `keep` stores them
 * once the table is committed.
 */
export class ChunkCollector {
  private readonly done: { start: number; chains: string[]; rules: Rule[]; ends: number[] }[] = [];
  private start = -1;
  private last = -1;
  private chains: string[] = [];
  private rules: Rule[] = [];
  private ends: number[] = [];

  constructor(private readonly text: string) {}

  /** The clock when the table started: chunks used since are not dropped for its own. */
  private since = 0;

  /** Characters of the chunks collected so far. */
  private collected = 0;

  /** Drops what was collected (a new table starts). */
  reset(): void {
    this.done.length = 0;
    this.start = -1;
    this.collected = 0;
    this.since = clock;
  }

  /** The line `[lineStart, lineEnd)` appended `rule` (parsed from it alone, no counters) to chain `chain`. */
  add(chain: string, rule: Rule, lineStart: number, lineEnd: number): void {
    if (this.start >= 0 && (this.last + 1 !== lineStart || this.rules.length >= CHUNK_LINES)) this.end();
    if (this.start < 0) {
      if (this.collected > budget) return;
      this.start = lineStart;
      this.chains = [];
      this.rules = [];
      this.ends = [];
    }
    this.chains.push(chain);
    this.rules.push(rule);
    this.ends.push(lineEnd - this.start);
    this.last = lineEnd;
  }

  /** Ends the chunk being collected (a line that is not a plain `-A`, or a reused chunk, follows). */
  end(): void {
    if (this.start < 0) return;
    this.done.push({ start: this.start, chains: this.chains, rules: this.rules, ends: this.ends });
    this.collected += this.ends[this.ends.length - 1]!;
    this.start = -1;
  }

  /** Stores the collected chunks for `chunks` (the table's flavour and kind), within the budget. */
  keep(chunks: Map<string, RuleChunk>): void {
    this.end();
    for (const d of this.done) {
      const ends = d.ends;
      const length = ends[ends.length - 1]!;
      if (length > budget / 4) continue;
      const text = flatCopy(this.text.slice(d.start, d.start + length));
      const first = text.slice(0, ends[0]!);
      const rules = d.rules;
      let stateful = false;
      for (let k = 0; k < rules.length && !stateful; k++) stateful = rules[k]!.matches.some(statefulMatch);
      const old = chunks.get(first);
      if (old !== undefined) {
        kept -= old.text.length;
        chunks.delete(first);
      }
      while (kept + length > budget) if (!evictOne(this.since)) break;
      if (kept + length > budget) break;
      chunks.set(first, { first, text, chains: d.chains, rules, ends: Int32Array.from(ends), stateful, used: ++clock });
      kept += length;
    }
    this.done.length = 0;
  }
}

/** Drops the least recently used chunk of all, unless it was used after clock `since`; false: nothing dropped. */
function evictOne(since: number): boolean {
  let from: Map<string, RuleChunk> | null = null;
  let oldest: RuleChunk | null = null;
  for (const m of byKind.values()) {
    if (m.size === 0) continue;
    const c = m.values().next().value as RuleChunk;
    if (oldest === null || c.used < oldest.used) {
      oldest = c;
      from = m;
    }
  }
  if (oldest === null || oldest.used > since) return false;
  from!.delete(oldest.first);
  kept -= oldest.text.length;
  return true;
}

/** Marks `c` (of `chunks`) just used. */
export function touchChunk(chunks: Map<string, RuleChunk>, c: RuleChunk): void {
  chunks.delete(c.first);
  chunks.set(c.first, c);
  c.used = ++clock;
}
