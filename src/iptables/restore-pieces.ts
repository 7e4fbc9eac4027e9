/**
 * Rules not parsed again: iptables-restore text that is byte for byte the text a chain's
 * rules were read from last time yields the same rules, so a restore --noflush that writes a
 * big chain again, mostly unchanged, takes them instead of parsing them. kube-proxy's partial
 * sync writes all 20,000 rules of KUBE-SERVICES every time, in runs between the chains of the
 * services that changed; each run of at least PIECE_MIN consecutive `-A CHAIN` lines (no
 * counters) of a chain of at least CHAIN_MIN rules is kept as a piece: its text and the rules
 * read from it, found by its first line. Reused rules get zeroed counters, as new rules have
 * (the rule objects are shared with the chain being replaced only while their counters are
 * zero); a jump to a chain this edit deleted is read again, for the error the parser gives.
 */
import { ChainOverlay } from './chain-overlay.js';
import type { Chain, Rule, Table } from './model.js';

/** Runs shorter than this are kept only in a chain of CHAIN_MIN rules or more; chains with fewer rules keep no pieces. */
const PIECE_MIN = 16;
const CHAIN_MIN = 64;

/** A run of lines of one chain and the rules read from it. */
interface Piece {
  /** Its first line (its key). */
  first: string;
  text: string;
  rules: readonly Rule[];
}

/**
 * The pieces of each committed chain version, by its rules array, each found by its first
 * line; valid while the table is at the generation it was committed with (a change behind
 * the restore's back, tableChanged, may have changed rules in place).
 */
const piecesOf = new WeakMap<readonly Rule[], { table: Table; generation: number; pieces: Map<string, Piece> }>();

/** A finished run: chain, its rules array then, the text's range, where its rules start in the chain and how many. */
interface Run {
  name: string;
  rules: Rule[];
  start: number;
  end: number;
  from: number;
  count: number;
  /** The installed piece this run is, exactly (its very rules): kept as it is. */
  piece: Piece | null;
}

/** A flat copy of `s` (a slice would keep the whole restore text alive). */
function flatCopy(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\xff]/.test(s) ? Buffer.from(s, 'utf16le').toString('utf16le') : Buffer.from(s, 'latin1').toString('latin1');
}

/** The runs of one table's restore (see the file comment). */
export class RulePieces {
  /** Runs of PIECE_MIN lines or more, in order. */
  private readonly runs: Run[] = [];
  /** Chains changed in place by another command (-I, -D, -R …) after their runs were read: they keep no pieces. */
  private readonly touchedNames = new Set<string>();
  private allTouched = false;
  /** The run being read (fields, not an object: most runs are a line or two). */
  private name: string | null = null;
  private rules: Rule[] | null = null;
  private start = 0;
  private end = 0;
  private from = 0;
  private count = 0;
  private piece: Piece | null = null;
  /** Pieces taken in this table (one piece's rules go into the table once). */
  private readonly used = new Set<Piece>();
  /** The installed pieces of the chain asked for last. */
  private lastName: string | null = null;
  private lastEdit: ChainOverlay | null = null;
  private lastPieces: Map<string, Piece> | null = null;

  constructor(private readonly text: string) {}

  /** A new table starts. */
  reset(): void {
    this.runs.length = 0;
    this.touchedNames.clear();
    this.allTouched = false;
    this.name = null;
    this.used.clear();
    this.lastName = null;
    this.lastEdit = null;
    this.lastPieces = null;
  }

  /** The line `[lineStart, lineEnd)` appended one rule to chain `name` (now `c`); `counted`: it set counters. */
  appended(name: string, c: Chain, lineStart: number, lineEnd: number, counted: boolean): void {
    if (counted) this.finish();
    else this.extend(name, c.rules, lineStart, lineEnd, 1);
  }

  /** Lines `[lineStart, lineEnd)` gave the last `count` rules of `rules` (chain `name`): the run goes on, or a new one starts. */
  private extend(name: string, rules: Rule[], lineStart: number, lineEnd: number, count: number, piece: Piece | null = null): void {
    if (this.name !== null && this.rules === rules && this.end + 1 === lineStart && this.from + this.count + count === rules.length && this.name === name) {
      this.end = lineEnd;
      this.count += count;
      this.piece = null;
      return;
    }
    this.finish();
    this.name = name;
    this.rules = rules;
    this.start = lineStart;
    this.end = lineEnd;
    this.from = rules.length - count;
    this.count = count;
    this.piece = piece;
  }

  /** Ends the run being read. */
  private finish(): void {
    // A short run counts too once its chain is big (kube-proxy's full sync writes KUBE-SERVICES a line at a time between the services' chains).
    if (this.name !== null && (this.count >= PIECE_MIN || this.rules!.length >= CHAIN_MIN)) this.runs.push({ name: this.name, rules: this.rules!, start: this.start, end: this.end, from: this.from, count: this.count, piece: this.piece });
    this.name = null;
    this.rules = null;
  }

  /** Another command changed chain `name` in place (null: every chain). */
  touched(name: string | null): void {
    this.finish();
    if (name === null) this.allTouched = true;
    else this.touchedNames.add(name);
  }

  /** `:NAME` flushed or created the chain (its rules array is a new one: runs read before no longer match it). */
  declared(_name: string): void {
    this.finish();
  }

  /**
   * At an `-A NAME` line starting at `lineStart` (ending at `lineEnd`) of an edit: when the
   * installed chain has a piece whose text is the text from here, appends its rules to the
   * edit's chain and returns where the piece ends (its last newline) and how many lines it
   * covered; null otherwise (read the line).
   */
  reuse(edit: ChainOverlay, name: string, lineStart: number, lineEnd: number): { after: number; count: number } | null {
    let pieces = this.lastPieces;
    if (name !== this.lastName || edit !== this.lastEdit) {
      const old = edit.base.get(name);
      const kept = old === undefined ? undefined : piecesOf.get(old.rules);
      pieces = kept === undefined || kept.table !== edit.table || kept.generation !== kept.table.generation ? null : kept.pieces;
      this.lastName = name;
      this.lastEdit = edit;
      this.lastPieces = pieces;
    }
    if (pieces === null) return null;
    const text = this.text;
    const piece = pieces.get(text.slice(lineStart, lineEnd));
    if (piece === undefined || this.used.has(piece)) return null;
    const after = lineStart + piece.text.length;
    // (=== on two flat strings compares their bytes at once; startsWith goes character by character.)
    if (!(after === text.length || text.charCodeAt(after) === 0x0a) || text.slice(lineStart, after) !== piece.text) return null;
    // Only into a chain the edit flushed or created (never next to the installed rules themselves).
    if (!edit.fresh(name) || !edit.has(name)) return null;
    const rules = piece.rules;
    if (edit.deletions > 0) {
      for (let k = 0; k < rules.length; k++) {
        const tg = rules[k]!.target;
        if (tg !== null && tg.name === 'jump' && edit.deletedHere(tg.chain)) return null;
      }
    }
    const into = edit.writable(name)!;
    const from = into.rules.length;
    let counted = false;
    for (let k = 0; k < rules.length && !counted; k++) counted = rules[k]!.counters.packets !== 0 || rules[k]!.counters.bytes !== 0;
    if (from === 0 && !counted) into.rules = rules.slice();
    else {
      for (let k = 0; k < rules.length; k++) {
        const r = rules[k]!;
        into.rules.push(r.counters.packets === 0 && r.counters.bytes === 0 ? r : { ...r, counters: { packets: 0, bytes: 0 } });
      }
    }
    this.used.add(piece);
    this.extend(name, into.rules, lineStart, after, into.rules.length - from, counted ? null : piece);
    return { after, count: rules.length };
  }

  /** The table `t` was committed: keeps the pieces of its chains whose runs are still where they were read. */
  keep(t: Table): void {
    this.finish();
    if (!this.allTouched) {
      const byChain = new Map<string, Run[]>();
      for (const run of this.runs) {
        if (this.touchedNames.has(run.name)) continue;
        const c = t.chains.get(run.name);
        if (c === undefined || c.rules !== run.rules || c.rules.length < CHAIN_MIN) continue;
        let runs = byChain.get(run.name);
        if (runs === undefined) byChain.set(run.name, (runs = []));
        runs.push(run);
      }
      for (const [name, runs] of byChain) {
        const c = t.chains.get(name)!;
        const pieces = new Map<string, Piece>();
        // Runs that are an installed piece stay that piece; the others share one flat copy of their text, each a slice of it.
        const fresh = runs.filter((run) => run.piece === null);
        const texts = fresh.map((run) => this.text.slice(run.start, run.end));
        const all = fresh.length === 0 ? '' : flatCopy(texts.join('\n'));
        let at = 0;
        let f = 0;
        for (const run of runs) {
          if (run.piece !== null) {
            pieces.set(run.piece.first, run.piece);
            continue;
          }
          const length = texts[f++]!.length;
          const text = all.slice(at, at + length);
          at += length + 1;
          const nl = text.indexOf('\n');
          const first = nl < 0 ? text : text.slice(0, nl);
          pieces.set(first, { first, text, rules: c.rules.slice(run.from, run.from + run.count) });
        }
        piecesOf.set(c.rules, { table: t, generation: t.generation, pieces });
      }
    }
    this.reset();
  }
}
