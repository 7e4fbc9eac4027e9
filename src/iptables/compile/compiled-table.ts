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
 * A compiled table is built from a table as it is at that moment; tables are not mutated
 * once installed (iptables and iptables-restore install a new table), and the ruleset
 * mutators bump `Table.generation`, which the evaluator checks before every walk.
 */
import type { MatchData, TcpUdpMatch } from '../matches.js';
import { chainIndex } from '../chain-index.js';
import { INV_DSTIP, INV_PROTO, INV_SRCIP, type Chain, type Rule, type Table } from '../model.js';
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
  /** The chains by id, in the table's order. */
  readonly chains: Chain[];
  readonly chainId: Map<string, number>;
  /** Per rule: the chain its jump names, -1 for none (chain-index.ts). */
  private readonly jumpIndex: Int32Array;
  /** First rule and end (exclusive) of each chain. */
  readonly chainStart: Int32Array;
  readonly chainEnd: Int32Array;
  readonly rules: Rule[];
  readonly op: Uint8Array;
  /** OP_JUMP / OP_GOTO: the chain id. */
  readonly jumpTo: Int32Array;
  readonly pred: Uint8Array;
  /** PRED_GENERAL: the matches that can fail, in order. */
  readonly matchList: (readonly MatchData[])[];
  /** Key of each rule that has one (PRED_KEY, or any rule of a run): daddr, and proto << 16 | dport (0: no key). */
  readonly keyDst: Int32Array;
  readonly keyPP: Int32Array;
  /** Whether a run's rule must still pass its general predicate once its key matched. */
  readonly residual: Uint8Array;
  /** The run a rule belongs to, -1 for none. */
  readonly runOf: Int32Array;
  readonly runs: RunIndex[] = [];
  /** Next rule of the same run with the same key, -1 at a list's end. */
  readonly nextSame: Int32Array;

  constructor(
    readonly table: Table,
    readonly generation: number,
  ) {
    const ix = chainIndex(table);
    const chains = ix.chains;
    this.chains = chains;
    this.chainId = ix.id;
    this.jumpIndex = ix.jump;
    const total = ix.start[chains.length]!;
    this.chainStart = new Int32Array(chains.length);
    this.chainEnd = new Int32Array(chains.length);
    this.rules = new Array<Rule>(total);
    this.op = new Uint8Array(total);
    this.jumpTo = new Int32Array(total);
    this.pred = new Uint8Array(total);
    this.matchList = new Array<readonly MatchData[]>(total);
    this.keyDst = new Int32Array(total);
    this.keyPP = new Int32Array(total);
    this.residual = new Uint8Array(total);
    this.runOf = new Int32Array(total).fill(-1);
    this.nextSame = new Int32Array(total).fill(-1);
    let g = 0;
    for (let c = 0; c < chains.length; c++) {
      const rules = chains[c]!.rules;
      this.chainStart[c] = g;
      for (let k = 0; k < rules.length; k++) this.rule(g++, rules[k]!);
      this.chainEnd[c] = g;
      this.indexRuns(this.chainStart[c]!, g);
    }
  }

  private rule(g: number, r: Rule): void {
    this.rules[g] = r;
    const t = r.target;
    if (t === null) this.op[g] = OP_NONE;
    else if (t.name === 'ACCEPT') this.op[g] = OP_ACCEPT;
    else if (t.name === 'DROP') this.op[g] = OP_DROP;
    else if (t.name === 'RETURN') this.op[g] = OP_RETURN;
    else if (t.name === 'jump') {
      const to = this.jumpIndex[g]!;
      // A jump to a chain that does not exist counts its hit and goes on, as the interpreter does.
      if (to < 0) this.op[g] = OP_NONE;
      else {
        this.op[g] = t.goto ? OP_GOTO : OP_JUMP;
        this.jumpTo[g] = to;
      }
    } else this.op[g] = OP_EXT;

    const key = keyMatch(r);
    if (key !== null) {
      this.keyDst[g] = r.dst | 0;
      this.keyPP[g] = protoPortKey(r.proto, key.dport[0]);
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
    if (key !== null && keyOnly(r, key)) this.pred[g] = PRED_KEY;
    else {
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

const compiled = new WeakMap<Table, CompiledTable>();

/** The compiled form of `t` as it is now (built on first use and after every change). */
export function compileTable(t: Table): CompiledTable {
  let c = compiled.get(t);
  if (c === undefined || c.generation !== t.generation) {
    c = new CompiledTable(t, t.generation);
    compiled.set(t, c);
  }
  return c;
}
