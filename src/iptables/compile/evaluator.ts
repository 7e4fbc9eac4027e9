/**
 * The compiled walk: the same chain walk as the interpreter (interpret.ts) — same verdict,
 * rule hits and counters, policy counters, targets, marks, NAT and modelled kernel cost —
 * over a CompiledTable, with runs of exact-match rules found by hash instead of tried one
 * by one (their cost is still every rule the kernel would have tried). With a tracer
 * attached the interpreter walks instead, so every rule evaluated can be noted.
 */
import { NF_ACCEPT, NF_DROP } from '../../netns/netfilter.js';
import type { Packet } from '../../packet/packet.js';
import { Interpreter } from '../interpret.js';
import { ipPacketMatch, matchOne, type EvalEnv } from '../match-eval.js';
import type { Table } from '../model.js';
import { runTarget, XT_CONTINUE } from '../target-eval.js';
import {
  compileTable, OP_ACCEPT, OP_DROP, OP_GOTO, OP_JUMP, OP_NONE, OP_RETURN, PRED_FIXED, PRED_KEY, PRED_TRUE, type CompiledTable,
} from './compiled-table.js';

/** Whether compiled rule `g` matches `p` (its predicate form; a run's rule after its key matched). */
function predicate(ct: CompiledTable, g: number, p: Packet, env: EvalEnv): boolean {
  switch (ct.pred[g]) {
    case PRED_TRUE:
      return true;
    case PRED_KEY:
      return (p.ipDst | 0) === ct.keyDst[g] && (p.ipProto === 6 || p.ipProto === 17) && ((p.ipProto << 16) | p.dport) === ct.keyPP[g];
    case PRED_FIXED:
      return ipPacketMatch(ct.rules[g]!, p, env.inDev, env.outDev);
    default: {
      if (!ipPacketMatch(ct.rules[g]!, p, env.inDev, env.outDev)) return false;
      const ms = ct.matchList[g]!;
      for (let k = 0; k < ms.length; k++) if (!matchOne(ms[k]!, p, env)) return false;
      return true;
    }
  }
}

/**
 * Walks chains for packets, compiled when no tracer is attached; one per hook registration
 * (its jump stack is reused). The same fields as the interpreter's: `cost` of the last walk,
 * `totalCost`, `walks`.
 */
export class Evaluator {
  cost = 0;
  totalCost = 0;
  walks = 0;
  /** Walk with the interpreter even without a tracer (to compare the two). */
  interpretOnly = false;
  /** The interpreter used while tracing (and by `interpret`). */
  readonly interp = new Interpreter();
  private compiled: CompiledTable | null = null;
  private stackChain = new Int32Array(16);
  private stackIndex = new Int32Array(16);

  /** Runs the built-in chain `chainName` of `table` for `p`: NF_ACCEPT, NF_DROP or NF_STOLEN. */
  walk(table: Table, chainName: string, p: Packet, env: EvalEnv, label: string = table.name): number {
    if (env.ns.net.tracer !== null || this.interpretOnly) return this.interpret(table, chainName, p, env, label);
    let ct = this.compiled;
    if (ct === null || ct.table !== table || ct.generation !== table.generation) ct = this.compiled = compileTable(table);
    return this.run(ct, chainName, p, env);
  }

  /** The interpreter's walk, with its cost kept in this evaluator's counts. */
  interpret(table: Table, chainName: string, p: Packet, env: EvalEnv, label: string = table.name): number {
    const v = this.interp.walk(table, chainName, p, env, label);
    this.cost = this.interp.cost;
    this.totalCost += this.cost;
    this.walks++;
    return v;
  }

  /** The compiled walk of `ct` (compiled from the table now installed). */
  run(ct: CompiledTable, chainName: string, p: Packet, env: EvalEnv): number {
    this.walks++;
    const startId = ct.chainId.get(chainName);
    if (startId === undefined || ct.absent[startId] === 1) {
      this.cost = 0;
      return NF_ACCEPT;
    }
    const bytes = p.ipTotalLength();
    const op = ct.op;
    const runOf = ct.runOf;
    const chainEnd = ct.chainEnd;
    // The packet's key for the runs' indexes (0: a packet no keyed rule can match).
    const proto = p.ipProto;
    const pp = proto === 6 || proto === 17 ? (proto << 16) | p.dport : 0;
    const dst = p.ipDst | 0;
    let c = startId;
    let i = ct.chainStart[c]!;
    let end = chainEnd[c]!;
    let depth = 0;
    let cost = 0;
    let verdict = NF_ACCEPT;
    for (;;) {
      if (i >= end) {
        if (depth > 0) {
          depth--;
          c = this.stackChain[depth]!;
          i = this.stackIndex[depth]!;
          end = chainEnd[c]!;
          continue;
        }
        verdict = this.policy(ct, startId, bytes);
        break;
      }
      const run = runOf[i]!;
      if (run >= 0) {
        const idx = ct.runs[run]!;
        let j = pp === 0 ? -1 : idx.lookup(dst, pp);
        while (j !== -1 && j < i) j = ct.nextSame[j]!;
        if (j === -1) {
          cost += idx.end - i;
          i = idx.end;
          continue;
        }
        cost += j - i + 1;
        i = j;
        if (ct.residual[j] === 1 && !predicate(ct, j, p, env)) {
          i++;
          continue;
        }
      } else {
        cost++;
        if (!predicate(ct, i, p, env)) {
          i++;
          continue;
        }
      }
      const r = ct.rules[i]!;
      r.counters.packets++;
      r.counters.bytes += bytes;
      const o = op[i]!;
      if (o === OP_NONE) {
        i++;
        continue;
      }
      if (o === OP_ACCEPT) {
        verdict = NF_ACCEPT;
        break;
      }
      if (o === OP_DROP) {
        verdict = NF_DROP;
        break;
      }
      if (o === OP_RETURN) {
        if (depth > 0) {
          depth--;
          c = this.stackChain[depth]!;
          i = this.stackIndex[depth]!;
          end = chainEnd[c]!;
          continue;
        }
        verdict = this.policy(ct, startId, bytes);
        break;
      }
      if (o === OP_JUMP || o === OP_GOTO) {
        const to = ct.jumpTo[i]!;
        if (ct.absent[to] === 1) {
          i++;
          continue;
        }
        if (o === OP_JUMP) {
          if (depth === this.stackChain.length) this.growStack();
          this.stackChain[depth] = c;
          this.stackIndex[depth] = i + 1;
          depth++;
        }
        c = to;
        i = ct.chainStart[c]!;
        end = chainEnd[c]!;
        continue;
      }
      // OP_EXT: an extension target.
      const v = runTarget(r.target!, p, env);
      if (v === XT_CONTINUE) {
        i++;
        continue;
      }
      verdict = v;
      break;
    }
    this.cost = cost;
    this.totalCost += cost;
    return verdict;
  }

  /** The start chain's policy (it counts the packet). */
  private policy(ct: CompiledTable, startId: number, bytes: number): number {
    const start = ct.chains[startId]!;
    start.counters.packets++;
    start.counters.bytes += bytes;
    return start.policy === 'DROP' ? NF_DROP : NF_ACCEPT;
  }

  private growStack(): void {
    const n = this.stackChain.length * 2;
    const sc = new Int32Array(n);
    const si = new Int32Array(n);
    sc.set(this.stackChain);
    si.set(this.stackIndex);
    this.stackChain = sc;
    this.stackIndex = si;
  }
}
