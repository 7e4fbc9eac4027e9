/**
 * The interpreter: walks a table's chain for one packet as ipt_do_table (and nft_do_chain
 * for iptables-nft's chains) does — rules in order; a rule matches when its fixed part and
 * every match do; a matching rule counts the packet and its bytes, then its target decides:
 * ACCEPT / DROP end the walk, `-j CHAIN` pushes the next rule and enters CHAIN, `-g CHAIN`
 * enters it without pushing, RETURN (or the end of a user chain) pops, and with nothing left
 * to pop the built-in chain's policy applies and counts. Extension targets either decide or
 * continue (XT_CONTINUE).
 *
 * The modelled kernel cost of a walk is the number of rules whose matching was attempted
 * (each visit of a rule counts once, whether it matched or not; a jump's target chain adds
 * its own rules; the implicit return at a user chain's end and the policy are not rules and
 * cost nothing). It is what makes 20,000 services slow in the kernel.
 *
 * With `net.tracer` set, each rule evaluated is recorded as `iptables -S` prints it, with
 * whether it hit, and the walk's verdict and cost; with no tracer no text is built.
 */
import { HOOK_NAMES, NF_ACCEPT, NF_DROP } from '../netns/netfilter.js';
import type { Packet } from '../packet/packet.js';
import { ipPacketMatch, matchesAll, type EvalEnv } from './match-eval.js';
import type { Chain, Rule, Table } from './model.js';
import { formatRuleSpec } from './rule-format.js';
import { runTarget, XT_CONTINUE } from './target-eval.js';

/** A verdict as a word, for trace notes. */
export function verdictName(v: number): string {
  return v === NF_ACCEPT ? 'ACCEPT' : v === NF_DROP ? 'DROP' : 'STOLEN';
}

/** The chain a table runs at a hook (`PREROUTING` … `POSTROUTING`). */
export function hookChainName(hook: number): string {
  return HOOK_NAMES[hook]!;
}

/** Walks chains for packets; one per hook registration (its jump stack is reused, never reallocated per packet). */
export class Interpreter {
  /** Rules evaluated by the last walk: the modelled kernel cost. */
  cost = 0;
  /** Rules evaluated by every walk so far. */
  totalCost = 0;
  /** Walks so far. */
  walks = 0;
  private readonly stackChain: Chain[] = [];
  private readonly stackIndex: number[] = [];

  /**
   * Runs the built-in chain `chainName` of `table` for `p`. Returns NF_ACCEPT, NF_DROP or
   * NF_STOLEN. `label` names the table in trace notes (`filter`, `legacy nat` …).
   */
  walk(table: Table, chainName: string, p: Packet, env: EvalEnv, label: string = table.name): number {
    const start = table.chains.get(chainName);
    this.walks++;
    if (start === undefined) {
      this.cost = 0;
      return NF_ACCEPT;
    }
    const tracer = env.ns.net.tracer;
    const bytes = p.ipTotalLength();
    let chain = start;
    let i = 0;
    let depth = 0;
    let cost = 0;
    let verdict = NF_ACCEPT;
    for (;;) {
      const rules = chain.rules;
      if (i >= rules.length) {
        // The end of a chain: a user chain returns to its caller; with nothing to return to, the policy.
        if (depth > 0) {
          depth--;
          chain = this.stackChain[depth]!;
          i = this.stackIndex[depth]!;
          continue;
        }
        verdict = this.policy(start, bytes, p, env, label, tracer !== null);
        break;
      }
      const r = rules[i]!;
      cost++;
      if (!ipPacketMatch(r, p, env.inDev, env.outDev) || !matchesAll(r, p, env)) {
        if (tracer !== null) this.note(env, p, label, chain, i, r, 'miss');
        i++;
        continue;
      }
      r.counters.packets++;
      r.counters.bytes += bytes;
      if (tracer !== null) this.note(env, p, label, chain, i, r, 'hit');
      const t = r.target;
      if (t === null) {
        i++;
        continue;
      }
      if (t.name === 'ACCEPT') {
        verdict = NF_ACCEPT;
        break;
      }
      if (t.name === 'DROP') {
        verdict = NF_DROP;
        break;
      }
      if (t.name === 'RETURN') {
        if (depth > 0) {
          depth--;
          chain = this.stackChain[depth]!;
          i = this.stackIndex[depth]!;
          continue;
        }
        verdict = this.policy(start, bytes, p, env, label, tracer !== null);
        break;
      }
      if (t.name === 'jump') {
        const next = table.chains.get(t.chain);
        if (next === undefined) {
          i++;
          continue;
        }
        if (!t.goto) {
          this.stackChain[depth] = chain;
          this.stackIndex[depth] = i + 1;
          depth++;
        }
        chain = next;
        i = 0;
        continue;
      }
      const v = runTarget(t, p, env);
      if (v === XT_CONTINUE) {
        i++;
        continue;
      }
      verdict = v;
      break;
    }
    this.cost = cost;
    this.totalCost += cost;
    if (tracer !== null) tracer.record(env.ns.name, 'nf', p.id, `${label} ${chainName}: ${verdictName(verdict)} (${cost} rule${cost === 1 ? '' : 's'} evaluated)`);
    return verdict;
  }

  /** The built-in chain's policy applies (the underflow entry): it counts the packet. */
  private policy(start: Chain, bytes: number, p: Packet, env: EvalEnv, label: string, tracing: boolean): number {
    start.counters.packets++;
    start.counters.bytes += bytes;
    const v = start.policy === 'DROP' ? NF_DROP : NF_ACCEPT;
    if (tracing) {
      env.ns.net.tracer!.record(env.ns.name, 'nf', p.id, `${label} ${start.name}: policy ${start.policy ?? 'ACCEPT'}`);
      if (env.state.traced.has(p)) env.ns.net.tracer!.record(env.ns.name, 'nf', p.id, `TRACE: ${env.table}:${start.name}:policy:${start.rules.length + 1}`);
    }
    return v;
  }

  /** A trace note for one rule evaluated (only called when a tracer is attached). */
  private note(env: EvalEnv, p: Packet, label: string, chain: Chain, i: number, r: Rule, what: 'hit' | 'miss'): void {
    const tr = env.ns.net.tracer!;
    tr.record(env.ns.name, 'nf', p.id, `${label} ${chain.name} #${i + 1} ${what}: -A ${chain.name}${formatRuleSpec(r)}`);
    if (what === 'hit' && env.state.traced.has(p)) {
      const kind = r.target?.name === 'RETURN' ? 'return' : 'rule';
      tr.record(env.ns.name, 'nf', p.id, `TRACE: ${env.table}:${chain.name}:${kind}:${i + 1}`);
    }
  }
}
