/**
 * The compiler: a table laid out flat for a fast walk. Every rule of every chain gets a
 * global index (chains contiguous), its target becomes an opcode (jumps resolved to chain
 * ids), its predicate a specialised form (nothing to test; the fixed part only; one
 * dst/proto/dport test; or the general fixed part + matches with comments and always-true
 * tcp/udp matches left out), and each run of at least MIN_RUN exact-match rules
 * (`-d A/32 -p tcp|udp … --dport P`) gets a hash index (run-index.ts), so KUBE-SERVICES'
 * thousands of service rules cost one lookup while the modelled kernel cost still counts
 * every rule the kernel would have tried.
 *
 * A compiled table is built from a table as it is at that moment, and brought up to date
 * before the next walk when the table's generation moved: an iptables-restore --noflush
 * commit changes the installed table in place and notes the chains it changed in
 * `Table.journal`, so only those are compiled again — each into a fresh range at the end of
 * the arrays (the old range becomes garbage; when the garbage outgrows the live rules the
 * whole table is compiled again, compacting it). Any other change (`tableChanged`, the
 * ruleset mutators) compiles the whole table. Chain ids are stable between patches; a jump
 * to a chain that does not exist (yet) targets an absent id and does nothing, as in the
 * interpreter.
 */
import type { MatchData, TcpUdpMatch } from '../matches.js';
import { INV_DSTIP, INV_PROTO, INV_SRCIP, type Chain, type Rule, type Table } from '../model.js';
import { chainIndex } from '../chain-index.js';
import { protoPortKey, RunIndex } from './run-index.js';

/** Target opcodes. */
export const OP_NONE = 0;
export const OP_ACCEPT = 1;
export const OP_DROP = 2;
export const OP_RETURN = 3;
export const OP_JUMP = 4;
export const OP_GOTO = 5;
/** An extension target (runTarget). */
export const OP_EXT = 6;

/** Predicate forms. */
/** Matches every packet. */
export const PRED_TRUE = 0;
/** Only the rule's fixed part (ipPacketMatch). */
export const PRED_FIXED = 1;
/** Exactly daddr/32, proto and one destination port (the key of an indexable rule), nothing else. */
export const PRED_KEY = 2;
/** The fixed part, then the rule's list of matches that can fail. */
export const PRED_GENERAL = 3;

/** Runs shorter than this are walked rule by rule. */
export const MIN_RUN = 8;

/** Matches without side effects (or throws): a rule whose key test fails after them did nothing observable. */
const PURE_MATCHES = new Set(['comment', 'tcp', 'udp', 'icmp', 'mark', 'connmark', 'addrtype', 'conntrack', 'state', 'multiport']);

const NO_MATCHES: readonly MatchData[] = Object.freeze([]);

/** A tcp/udp match that accepts every packet of its protocol (`-p tcp -m tcp` alone). */
function alwaysTrue(m: MatchData): boolean {
  if (m.name === 'comment') return true;
  if (m.name !== 'tcp' && m.name !== 'udp') return false;
  return !m.sportInvert && !m.dportInvert && m.sport[0] === 0 && m.sport[1] === 65535 && m.dport[0] === 0 && m.dport[1] === 65535 && m.flagsMask === 0;
}

/** Whether the rule's fixed part accepts every packet. */
function fixedTrivial(r: Rule): boolean {
  return r.srcMask === 0 && (r.invert & INV_SRCIP) === 0 && r.dstMask === 0 && (r.invert & INV_DSTIP) === 0 && r.inIface === '' && r.outIface === '' && r.proto === 0 && !r.fragment;
}

/** The tcp/udp match giving the rule its (daddr, proto, dport) key, if the rule has one; only pure matches may precede it. */
function keyMatch(r: Rule): TcpUdpMatch | null {
  if (r.dstMask !== 0xffffffff || (r.invert & (INV_DSTIP | INV_PROTO)) !== 0) return null;
  if (r.proto !== 6 && r.proto !== 17) return null;
  const want = r.proto === 6 ? 'tcp' : 'udp';
  const ms = r.matches;
  for (let k = 0; k < ms.length; k++) {
    const m = ms[k]!;
    if (m.name === want && !m.dportInvert && m.dport[0] === m.dport[1]) return m;
    if (!PURE_MATCHES.has(m.name)) return null;
  }
  return null;
}

/** Whether, besides its key, the rule tests nothing (so the key alone decides). */
function keyOnly(r: Rule, key: TcpUdpMatch): boolean {
  if (r.srcMask !== 0 || (r.invert & INV_SRCIP) !== 0 || r.inIface !== '' || r.outIface !== '' || r.fragment) return false;
  if (key.sportInvert || key.sport[0] !== 0 || key.sport[1] !== 65535 || key.flagsMask !== 0) return false;
  const ms = r.matches;
  for (let k = 0; k < ms.length; k++) if (ms[k] !== key && ms[k]!.name !== 'comment') return false;
  return true;
}

/** A table compiled for the walk (see the file comment). All per-rule arrays are indexed by global rule index. */
export class CompiledTable {
  /** The chains by id (null: an absent chain, named by a jump but not in the table). */
  chains: (Chain | null)[] = [];
  readonly chainId = new Map<string, number>();
  /** First rule and end (exclusive) of each chain; 1 in `absent` for an absent chain. */
  chainStart: Int32Array;
  chainEnd: Int32Array;
  absent: Uint8Array;
  rules: Rule[];
  op: Uint8Array;
  /** OP_JUMP / OP_GOTO: the chain id. */
  jumpTo: Int32Array;
  pred: Uint8Array;
  /** PRED_GENERAL: the matches that can fail, in order. */
  matchList: (readonly MatchData[])[];
  /** Key of each rule that has one (PRED_KEY, or any rule of a run): daddr, and proto << 16 | dport (0: no key). */
  keyDst: Int32Array;
  keyPP: Int32Array;
  /** Whether a run's rule must still pass its general predicate once its key matched. */
  residual: Uint8Array;
  /** The run a rule belongs to, -1 for none. */
  runOf: Int32Array;
  readonly runs: RunIndex[] = [];
  /** Next rule of the same run with the same key, -1 at a list's end. */
  nextSame: Int32Array;
  /** The next free global rule index; rules in ranges of chains compiled again since the last full compile. */
  private top = 0;
  private garbage = 0;

  constructor(
    readonly table: Table,
    public generation: number,
  ) {
    // The chain index (chain-index.ts, usually already built by the load-time check) gives the ids and resolved jumps.
    const ix = chainIndex(table);
    const total = ix.start[ix.chains.length]!;
    const capacity = total + Math.max(4096, total >> 3);
    const chainCapacity = ix.chains.length + 64;
    this.chainStart = new Int32Array(chainCapacity);
    this.chainEnd = new Int32Array(chainCapacity);
    this.absent = new Uint8Array(chainCapacity);
    this.rules = new Array<Rule>(capacity);
    this.op = new Uint8Array(capacity);
    this.jumpTo = new Int32Array(capacity);
    this.pred = new Uint8Array(capacity);
    this.matchList = new Array<readonly MatchData[]>(capacity);
    this.keyDst = new Int32Array(capacity);
    this.keyPP = new Int32Array(capacity);
    this.residual = new Uint8Array(capacity);
    this.runOf = new Int32Array(capacity).fill(-1);
    this.nextSame = new Int32Array(capacity).fill(-1);
    const chains = ix.chains;
    for (let k = 0; k < chains.length; k++) this.idOf(chains[k]!.name);
    this.ixJump = ix.jump;
    for (let k = 0; k < chains.length; k++) this.compileChain(chains[k]!, k);
    this.ixJump = null;
  }

  /** While the constructor compiles: the index's resolved jumps (its global rule numbering is this one's). */
  private ixJump: Int32Array | null = null;

  /** Whether patching `names` is cheaper than compiling the whole table again. */
  canPatch(): boolean {
    return this.garbage <= Math.max(this.top - this.garbage, 65536);
  }

  /** Compiles again the chains named `names` (changed, created or deleted) as `table` holds them now. */
  patch(names: Iterable<string>): void {
    const chains = this.table.chains;
    const todo: Chain[] = [];
    for (const name of names) {
      const c = chains.get(name);
      const id = this.chainId.get(name);
      if (c !== undefined) {
        this.idOf(name);
        todo.push(c);
      } else if (id !== undefined && this.absent[id] === 0) {
        // Deleted: its id stays, absent, for any jump still naming it.
        this.garbage += this.chainEnd[id]! - this.chainStart[id]!;
        this.chains[id] = null;
        this.absent[id] = 1;
        this.chainStart[id] = this.chainEnd[id] = 0;
      }
    }
    for (const c of todo) this.compileChain(c);
  }

  /** The id of chain `name`, allocated (absent) if it has none. */
  private idOf(name: string): number {
    let id = this.chainId.get(name);
    if (id !== undefined) return id;
    id = this.chains.length;
    this.chains.push(null);
    if (id >= this.chainStart.length) {
      const n = this.chainStart.length * 2;
      this.chainStart = grow(this.chainStart, n);
      this.chainEnd = grow(this.chainEnd, n);
      this.absent = grow(this.absent, n);
    }
    this.absent[id] = 1;
    this.chainId.set(name, id);
    return id;
  }

  /** Compiles chain `c` into a fresh range at the end of the arrays. */
  private compileChain(c: Chain, id = this.chainId.get(c.name)!): void {
    const rules = c.rules;
    const n = rules.length;
    let oldFrom = 0;
    let oldEnd = 0;
    if (this.absent[id] === 0) {
      // The same rules as compiled before (a chain written again unchanged): keep the range.
      oldFrom = this.chainStart[id]!;
      oldEnd = this.chainEnd[id]!;
      if (oldEnd - oldFrom === n) {
        let same = true;
        for (let k = 0; k < n && same; k++) same = this.rules[oldFrom + k] === rules[k];
        if (same) {
          this.chains[id] = c;
          return;
        }
      }
      this.garbage += oldEnd - oldFrom;
    }
    if (this.top + n > this.op.length) this.growRules(this.top + n);
    const start = this.top;
    // Rules kept from the chain's previous version (the same objects, mostly in the same order) copy their compiled form.
    let j = oldFrom;
    for (let k = 0; k < n; k++) {
      const r = rules[k]!;
      if (j < oldEnd && this.rules[j] === r) this.copyRule(start + k, j++);
      else {
        this.rule(start + k, r);
        // Replaced rather than inserted: the old position moves on too.
        if (j < oldEnd && rules[k + 1] !== this.rules[j]) j++;
      }
    }
    this.top = start + n;
    this.chains[id] = c;
    this.absent[id] = 0;
    this.chainStart[id] = start;
    this.chainEnd[id] = start + n;
    this.indexRuns(start, start + n);
  }

  private growRules(need: number): void {
    let n = this.op.length * 2;
    while (n < need) n *= 2;
    const rules = new Array<Rule>(n);
    const matchList = new Array<readonly MatchData[]>(n);
    for (let g = 0; g < this.top; g++) {
      rules[g] = this.rules[g]!;
      matchList[g] = this.matchList[g]!;
    }
    this.rules = rules;
    this.matchList = matchList;
    this.op = grow(this.op, n);
    this.jumpTo = grow(this.jumpTo, n);
    this.pred = grow(this.pred, n);
    this.keyDst = grow(this.keyDst, n);
    this.keyPP = grow(this.keyPP, n);
    this.residual = grow(this.residual, n);
    const runOf = new Int32Array(n).fill(-1);
    runOf.set(this.runOf.subarray(0, this.top));
    this.runOf = runOf;
    const nextSame = new Int32Array(n).fill(-1);
    nextSame.set(this.nextSame.subarray(0, this.top));
    this.nextSame = nextSame;
  }

  /** Rule `g` compiled as rule `from` was (the same rule object). */
  private copyRule(g: number, from: number): void {
    this.rules[g] = this.rules[from]!;
    this.op[g] = this.op[from]!;
    this.jumpTo[g] = this.jumpTo[from]!;
    this.pred[g] = this.pred[from]!;
    this.matchList[g] = this.matchList[from]!;
    this.keyDst[g] = this.keyDst[from]!;
    this.keyPP[g] = this.keyPP[from]!;
    this.residual[g] = this.residual[from]!;
    this.runOf[g] = -1;
  }

  private rule(g: number, r: Rule): void {
    this.rules[g] = r;
    const t = r.target;
    if (t === null) this.op[g] = OP_NONE;
    else if (t.name === 'ACCEPT') this.op[g] = OP_ACCEPT;
    else if (t.name === 'DROP') this.op[g] = OP_DROP;
    else if (t.name === 'RETURN') this.op[g] = OP_RETURN;
    else if (t.name === 'jump') {
      // A jump to a chain that does not exist counts its hit and goes on, as the interpreter does (absent ids, checked by the walk).
      this.op[g] = t.goto ? OP_GOTO : OP_JUMP;
      const known = this.ixJump === null ? -1 : this.ixJump[g]!;
      this.jumpTo[g] = known >= 0 ? known : this.idOf(t.chain);
    } else this.op[g] = OP_EXT;

    const key = keyMatch(r);
    if (key !== null) {
      this.keyDst[g] = r.dst | 0;
      this.keyPP[g] = protoPortKey(r.proto, key.dport[0]);
    } else {
      this.keyDst[g] = 0;
      this.keyPP[g] = 0;
    }
    // The matches that can fail: the rule's own list when none is trivial, else a filtered copy.
    const ms = r.matches;
    let failing = 0;
    for (let k = 0; k < ms.length; k++) if (!alwaysTrue(ms[k]!)) failing++;
    let list: readonly MatchData[] | null = null;
    if (failing === ms.length && failing > 0) list = ms;
    else if (failing > 0) {
      const l: MatchData[] = new Array<MatchData>(failing);
      let n = 0;
      for (let k = 0; k < ms.length; k++) if (!alwaysTrue(ms[k]!)) l[n++] = ms[k]!;
      list = l;
    }
    this.matchList[g] = list ?? NO_MATCHES;
    this.runOf[g] = -1;
    if (key !== null && keyOnly(r, key)) {
      this.pred[g] = PRED_KEY;
      this.residual[g] = 0;
    } else {
      this.residual[g] = 1;
      const trivial = fixedTrivial(r);
      this.pred[g] = list === null ? (trivial ? PRED_TRUE : PRED_FIXED) : PRED_GENERAL;
    }
  }

  /** Indexes each run of at least MIN_RUN keyed rules in `[start, end)`. */
  private indexRuns(start: number, end: number): void {
    let i = start;
    while (i < end) {
      if (this.keyPP[i] === 0) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < end && this.keyPP[j] !== 0) j++;
      if (j - i >= MIN_RUN) {
        const id = this.runs.length;
        this.runs.push(new RunIndex(i, j, this.keyDst, this.keyPP, this.nextSame));
        this.runOf.fill(id, i, j);
      }
      i = j;
    }
  }
}

/** A copy of `a` with length `n`. */
function grow<T extends Int32Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

const compiled = new WeakMap<Table, CompiledTable>();

/**
 * The compiled form of `t` as it is now: built on first use, patched after an in-place edit
 * that the table's journal describes, built again after any other change.
 */
export function compileTable(t: Table): CompiledTable {
  let c = compiled.get(t);
  if (c !== undefined && c.generation === t.generation) return c;
  const journal = t.journal;
  if (c !== undefined && journal !== undefined && journal !== null && journal.since === c.generation && c.canPatch()) {
    c.patch(journal.names);
    c.generation = t.generation;
  } else {
    c = new CompiledTable(t, t.generation);
    compiled.set(t, c);
  }
  t.journal = { since: t.generation, names: new Set() };
  return c;
}
