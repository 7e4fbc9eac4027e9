/**
 * The tables at the kernel's hook points. When a namespace's table is first loaded (by
 * iptables-restore or iptables), its chains are registered at their hooks with the kernel's
 * priorities (enum nf_ip_hook_priorities):
 *
 *   raw        PREROUTING, OUTPUT                          -300
 *   conntrack  PREROUTING, OUTPUT                          -200   (src/conntrack)
 *   mangle     all five                                    -150
 *   nat        PREROUTING, OUTPUT (DNAT)                   -100   (conntrack's NAT hook asks the nat table,
 *              INPUT, POSTROUTING (SNAT)                    100    first packets of a connection only)
 *   filter     INPUT, FORWARD, OUTPUT                         0
 *   confirm    INPUT, POSTROUTING                       INT_MAX   (src/conntrack)
 *
 * Conntrack is enabled in the namespace when the kernel would load it for the rules: a nat
 * table, or a rule using conntrack (conntrack/state/connmark matches, CONNMARK, NOTRACK, CT,
 * the NAT targets). A namespace without rules registers nothing and behaves as before.
 * Both flavours (nft and legacy) register their own tables, as they coexist in the kernel.
 */
import type { Conn } from '../conntrack/conn.js';
import { IPS_DST_NAT_DONE, IPS_SRC_NAT_DONE } from '../conntrack/conn.js';
import { enableConntrack, existingConntrack, IP_CT_NONE, type Conntrack, type NatDecider } from '../conntrack/conntrack.js';
import type { NetDevice } from '../netns/device.js';
import type { NetNamespace } from '../netns/namespace.js';
import {
  NF_ACCEPT, NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING, type NetfilterHook,
} from '../netns/netfilter.js';
import type { Packet } from '../packet/packet.js';
import { NotModelled } from './errors.js';
import { ExtensionState } from './ext-state.js';
import { Evaluator } from './compile/evaluator.js';
import { hookChainName } from './interpret.js';
import { currentIpsetLookup, EvalEnv } from './match-eval.js';
import type { Chain, Table, TableName } from './model.js';
import type { Xtables } from './ruleset.js';

/** NF_IP_PRI_RAW, NF_IP_PRI_MANGLE, NF_IP_PRI_FILTER. */
export const NF_IP_PRI_RAW = -300;
export const NF_IP_PRI_MANGLE = -150;
export const NF_IP_PRI_FILTER = 0;

const TABLE_HOOKS: Readonly<Record<Exclude<TableName, 'nat'>, { priority: number; hooks: readonly number[] }>> = {
  raw: { priority: NF_IP_PRI_RAW, hooks: [NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT] },
  mangle: { priority: NF_IP_PRI_MANGLE, hooks: [NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING] },
  filter: { priority: NF_IP_PRI_FILTER, hooks: [NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT] },
};

/** Matches and targets whose kernel modules take a conntrack reference (nf_ct_netns_get). */
const CT_MATCHES = new Set(['conntrack', 'state', 'connmark']);
const CT_TARGETS = new Set(['CONNMARK', 'NOTRACK', 'CT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT']);

/** Whether loading the table makes the kernel track connections in the namespace. */
export function tableNeedsConntrack(t: Table): boolean {
  return t.name === 'nat' || chainsNeedConntrack(t.chains.values());
}

/** Whether any rule of `chains` makes the kernel track connections. */
function chainsNeedConntrack(chains: Iterable<Chain>): boolean {
  for (const c of chains)
    for (const r of c.rules) {
      if (r.target !== null && CT_TARGETS.has(r.target.name)) return true;
      for (const m of r.matches) if (CT_MATCHES.has(m.name)) return true;
    }
  return false;
}

/** Refuses, at load, what the interpreter cannot evaluate: `-m set` without the ipset backend. */
export function checkEvaluable(t: Table): void {
  checkChainsEvaluable(t.chains.values());
}

/** checkEvaluable for some chains of a table (those an edit changed). */
export function checkChainsEvaluable(chains: Iterable<Chain>): void {
  if (currentIpsetLookup() !== null) return;
  for (const c of chains)
    for (const r of c.rules)
      for (const m of r.matches)
        if (m.name === 'set') throw new NotModelled(`-m set --match-set ${m.set}: the set match (ipset) is not modelled by dpsim yet`);
}

/** The namespace's tracker when conntrack is enabled there, else null. */
function trackerOf(ns: NetNamespace): Conntrack | null {
  const ct = existingConntrack(ns);
  return ct !== null && ct.enabled ? ct : null;
}

/** One table of one flavour at its hooks (the raw, mangle and filter tables). */
class TableHook implements NetfilterHook {
  /** Compiled walks, the interpreter's while tracing. */
  readonly interp = new Evaluator();
  private readonly env: EvalEnv;

  constructor(
    private readonly x: Xtables,
    private readonly name: TableName,
    readonly priority: number,
    ns: NetNamespace,
    state: ExtensionState,
    private readonly label: string,
  ) {
    this.env = new EvalEnv(ns, state);
    this.env.table = name;
  }

  run(hook: number, p: Packet, ns: NetNamespace, inDev: NetDevice | null, outDev: NetDevice | null): number {
    const t = this.x.tables.get(this.name);
    if (t === undefined) return NF_ACCEPT;
    const env = this.env;
    env.hook = hook;
    env.inDev = inDev;
    env.outDev = outDev;
    env.ct = trackerOf(ns);
    // raw PREROUTING runs before conntrack: a received packet has no connection yet (the
    // kernel scrubs skb->_nfct between namespaces; dpsim's packet may carry an old one).
    if (this.name === 'raw' && hook === NF_INET_PRE_ROUTING && env.ct !== null && inDev?.kind !== 'loopback') env.ct.attach(p, null, IP_CT_NONE);
    return this.interp.walk(t, hookChainName(hook), p, env, this.label);
  }
}

/** The nat tables of a namespace as conntrack's NAT decision for a connection's first packet. */
class NatTables implements NatDecider {
  readonly entries: { x: Xtables; interp: Evaluator; env: EvalEnv; label: string }[] = [];

  constructor(
    private readonly ns: NetNamespace,
    private readonly state: ExtensionState,
  ) {}

  add(x: Xtables, label: string): void {
    const env = new EvalEnv(this.ns, this.state);
    env.table = 'nat';
    this.entries.push({ x, interp: new Evaluator(), env, label });
  }

  /** nf_nat_inet_fn: each nat table in turn until one bound the connection (or one said no). */
  decide(hook: number, p: Packet, conn: Conn, ct: Conntrack, inDev: NetDevice | null, outDev: NetDevice | null): number {
    const done = hook === NF_INET_PRE_ROUTING || hook === NF_INET_LOCAL_OUT ? IPS_DST_NAT_DONE : IPS_SRC_NAT_DONE;
    for (const e of this.entries) {
      const t = e.x.tables.get('nat');
      if (t === undefined) continue;
      const env = e.env;
      env.hook = hook;
      env.inDev = inDev;
      env.outDev = outDev;
      env.ct = ct;
      env.conn = conn;
      const v = e.interp.walk(t, hookChainName(hook), p, env, e.label);
      env.conn = null;
      if (v !== NF_ACCEPT) return v;
      if ((conn.status & done) !== 0) return NF_ACCEPT;
    }
    return NF_ACCEPT;
  }
}

/** The iptables side of one namespace: which tables are registered, their interpreters, the extensions' state. */
export class NamespaceIptables {
  readonly state = new ExtensionState();
  private readonly registered = new Set<string>();
  private readonly hooks: TableHook[] = [];
  private nat: NatTables | null = null;

  constructor(private readonly ns: NetNamespace) {}

  /**
   * Registers a table of `x` at its hooks (once) and enables conntrack when the table needs it
   * (`changed`: only these chains changed since the table was last attached).
   */
  attach(x: Xtables, t: Table, changed: Iterable<Chain> | null = null): void {
    const key = `${x.flavour} ${t.name}`;
    const label = x.flavour === 'legacy' ? `legacy ${t.name}` : t.name;
    if (!this.registered.has(key)) {
      this.registered.add(key);
      if (t.name === 'nat') {
        if (this.nat === null) this.nat = new NatTables(this.ns, this.state);
        this.nat.add(x, label);
      } else {
        const spec = TABLE_HOOKS[t.name];
        const hook = new TableHook(x, t.name, spec.priority, this.ns, this.state, label);
        this.hooks.push(hook);
        for (const h of spec.hooks) this.ns.hooks.register(h, hook);
      }
    }
    if (t.name === 'nat') enableConntrack(this.ns, { nat: true, decider: this.nat });
    else if (changed === null ? tableNeedsConntrack(t) : chainsNeedConntrack(changed)) enableConntrack(this.ns, { nat: false });
  }

  /**
   * Makes every table of this namespace walk with the interpreter (true) or compiled (false,
   * the default; the interpreter still walks while a tracer is attached). For comparisons.
   */
  setInterpreted(on: boolean): void {
    for (const h of this.hooks) h.interp.interpretOnly = on;
    if (this.nat !== null) for (const e of this.nat.entries) e.interp.interpretOnly = on;
  }

  /** The modelled kernel cost of the last nat-table decision (rules evaluated by the walk that ran last), or 0. */
  lastNatCost(): number {
    let cost = 0;
    if (this.nat !== null) for (const e of this.nat.entries) cost = e.interp.cost;
    return cost;
  }

  /** Rules evaluated in this namespace so far, every table and hook together (the modelled kernel cost). */
  rulesEvaluated(): number {
    let n = 0;
    for (const h of this.hooks) n += h.interp.totalCost;
    if (this.nat !== null) for (const e of this.nat.entries) n += e.interp.totalCost;
    return n;
  }
}

const perNamespace = new WeakMap<NetNamespace, NamespaceIptables>();

/** The iptables hook state of a namespace (created on first use). */
export function iptablesOf(ns: NetNamespace): NamespaceIptables {
  let s = perNamespace.get(ns);
  if (s === undefined) {
    s = new NamespaceIptables(ns);
    perNamespace.set(ns, s);
  }
  return s;
}

/** Called by Xtables.install before a table is swapped in: refuses what cannot be evaluated, then wires the table. */
export function tableInstalled(ns: NetNamespace, x: Xtables, t: Table): void {
  checkEvaluable(t);
  iptablesOf(ns).attach(x, t);
}
