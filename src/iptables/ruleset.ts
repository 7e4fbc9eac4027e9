/**
 * The xtables state of one namespace, per flavour (nft and legacy are separate rule sets in
 * the kernel, as they are on a real machine), and the edits iptables makes to a table: append,
 * insert, delete, replace, new/delete/flush/rename chain, zero, policy — each refusing what
 * the kernel refuses, with the message iptables prints.
 */
import type { NetNamespace } from '../netns/namespace.js';
import { KernelError } from './errors.js';
import { chainIndex } from './chain-index.js';
import { checkChainsEvaluable, iptablesOf, tableInstalled } from './hooks.js';
import { ChainOverlay } from './chain-overlay.js';
import { BUILTIN_CHAINS, materializeChains, newChain, newTable, TABLE_NAMES, tableChanged, writableChain, type Chain, type Rule, type Table, type TableName } from './model.js';
import { allowedHooks, editReferences, factsOf, physdevOutRefused } from './table-facts.js';
import type { Flavour } from './module.js';
import { formatRuleSpec } from './rule-format.js';
import { TARGET_PLACES } from './targets.js';

/** The tables of one flavour in one namespace. */
export class Xtables {
  /** Tables that exist (a legacy table exists once first touched; nft once a commit created it). */
  readonly tables = new Map<TableName, Table>();
  /** Legacy: the order tables were instantiated (iptables-legacy-save lists them newest first). */
  private readonly registered: TableName[] = [];

  /**
   * `ns`: the namespace whose kernel gets the tables — installing one registers it at the
   * hooks (hooks.ts). Without one (tests of the parser and printers) nothing is evaluated.
   */
  constructor(
    readonly flavour: Flavour,
    private readonly ns: NetNamespace | null = null,
  ) {}

  /** The table, created with its built-in chains if it does not exist yet. */
  table(name: TableName): Table {
    let t = this.tables.get(name);
    if (t === undefined) {
      t = newTable(name);
      this.install(t);
    }
    return t;
  }

  /** Replaces (or creates) a table as a whole: a restore's COMMIT. */
  install(t: Table): void {
    if (this.ns !== null) tableInstalled(this.ns, this, t);
    if (!this.tables.has(t.name)) this.registered.push(t.name);
    this.tables.set(t.name, t);
  }

  /**
   * Applies a checked edit (a restore --noflush's COMMIT) to the installed table `t` in place:
   * refuses first what cannot be evaluated in the chains it changed (then nothing changes),
   * then applies it, bumps the generation and notes the changed chains in the journal.
   */
  commitEdit(t: Table, edit: ChainOverlay): void {
    const changed = edit.changedChains();
    if (this.ns !== null) checkChainsEvaluable(changed);
    const names = edit.changedNames();
    edit.applyTo();
    t.generation++;
    const journal = t.journal;
    if (journal !== undefined && journal !== null) {
      // A journal longer than the table is no cheaper than rebuilding: forget it.
      if (journal.names.size + names.length > t.chains.size) t.journal = null;
      else for (const n of names) journal.names.add(n);
    }
    if (this.ns !== null) iptablesOf(this.ns).attach(this, t, changed);
  }

  /** The tables in the order iptables-save prints them for this flavour. */
  saveOrder(): Table[] {
    const names = this.flavour === 'nft' ? TABLE_NAMES.filter((n) => this.tables.has(n)) : [...this.registered].reverse();
    return names.map((n) => this.tables.get(n)!);
  }
}

/** Both rule sets of a namespace. */
export interface NamespaceXtables {
  nft: Xtables;
  legacy: Xtables;
}

/** Where each namespace's rules live. The lead may move this onto NetNamespace itself. */
const perNamespace = new WeakMap<NetNamespace, NamespaceXtables>();

/** The xtables state of a namespace (created empty on first use). */
export function xtablesOf(ns: NetNamespace): NamespaceXtables {
  let s = perNamespace.get(ns);
  if (s === undefined) {
    s = { nft: new Xtables('nft', ns), legacy: new Xtables('legacy', ns) };
    perNamespace.set(ns, s);
  }
  return s;
}

/** The chain, or the kernel's ENOENT. */
export function chainOf(t: Table, name: string): Chain {
  const c = t.chains.get(name);
  if (c === undefined) throw new KernelError('No chain/target/match by that name');
  return c;
}

/** How many rules jump or go to `name` in the table (a table being edited by a restore counts from the installed table's facts and the edit). */
export function references(t: Table, name: string): number {
  if (t.chains instanceof ChainOverlay) {
    const counted = editReferences(t.chains, name);
    if (counted !== null) return counted;
  } else {
    const facts = factsOf(t);
    if (facts !== null) return facts.refsOf(name);
  }
  let n = 0;
  for (const c of t.chains.values()) for (const r of c.rules) if (r.target?.name === 'jump' && r.target.chain === name) n++;
  return n;
}

/** `-N`: a new user chain. */
export function newUserChain(t: Table, name: string): void {
  tableChanged(t);
  if (t.chains.has(name)) throw new KernelError('Chain already exists');
  t.chains.set(name, newChain(name, false));
}

/** `-X [CHAIN]`: deletes one empty, unreferenced user chain, or every user chain that is unreferenced. */
export function deleteChain(t: Table, name: string | null, flavour: Flavour): void {
  tableChanged(t);
  if (name === null) {
    // In table order, each unreferenced user chain goes, and its jumps stop counting for the chains after it.
    const refs = new Map<string, number>();
    for (const c of t.chains.values()) for (const r of c.rules) if (r.target?.name === 'jump') refs.set(r.target.chain, (refs.get(r.target.chain) ?? 0) + 1);
    for (const c of [...t.chains.values()]) {
      if (c.builtin || (refs.get(c.name) ?? 0) !== 0) continue;
      for (const r of c.rules) if (r.target?.name === 'jump') refs.set(r.target.chain, refs.get(r.target.chain)! - 1);
      t.chains.delete(c.name);
    }
    return;
  }
  const c = chainOf(t, name);
  if (c.builtin) throw new KernelError('Invalid argument');
  if (references(t, name) > 0 || c.rules.length > 0) {
    if (flavour === 'nft') throw new KernelError(`CHAIN_DEL failed (Device or resource busy): chain ${name}`, `CHAIN_DEL failed (Device or resource busy): chain ${name}`);
    throw new KernelError('Too many links');
  }
  t.chains.delete(name);
}

/** `-F [CHAIN]`. */
export function flushChain(t: Table, name: string | null): void {
  tableChanged(t);
  if (name === null) for (const n of [...t.chains.keys()]) writableChain(t, n, true)!.rules = [];
  else {
    chainOf(t, name);
    writableChain(t, name, true)!.rules = [];
  }
}

/** `-Z [CHAIN [N]]`: zeroes rule counters (and built-in policy counters). */
export function zeroCounters(t: Table, name: string | null, index: number | null): void {
  tableChanged(t);
  const names = name === null ? [...t.chains.keys()] : [chainOf(t, name).name];
  for (const n of names) {
    const c = writableChain(t, n)!;
    if (index === null) c.counters = { packets: 0, bytes: 0 };
    c.rules = c.rules.map((r, i) => (index === null || i === index - 1 ? { ...r, counters: { packets: 0, bytes: 0 } } : r));
  }
}

/** `-P CHAIN POLICY`. */
export function setPolicy(t: Table, name: string, policy: string): void {
  tableChanged(t);
  const c = t.chains.get(name);
  if (c === undefined || !c.builtin) throw new KernelError('Bad built-in chain name');
  if (policy !== 'ACCEPT' && policy !== 'DROP') throw new KernelError("Bad policy name. Run `dmesg' for more information");
  writableChain(t, name)!.policy = policy;
}

/** `-E OLD NEW`. */
export function renameChain(t: Table, from: string, to: string): void {
  tableChanged(t);
  const c = chainOf(t, from);
  if (c.builtin) throw new KernelError('Invalid argument');
  if (t.chains.has(to)) throw new KernelError('File exists');
  materializeChains(t);
  const chains = new Map<string, Chain>();
  for (const [n, ch] of t.chains) chains.set(n === from ? to : n, n === from ? { ...ch, name: to } : ch);
  t.chains = chains;
  for (const ch of t.chains.values())
    ch.rules = ch.rules.map((r) => (r.target?.name === 'jump' && r.target.chain === from ? { ...r, target: { ...r.target, chain: to } } : r));
}

/** Inserts a rule at 1-based `index` (null: append). */
export function insertRule(t: Table, chain: string, rule: Rule, index: number | null, replace = false): void {
  tableChanged(t);
  chainOf(t, chain);
  const c = writableChain(t, chain)!;
  if (index === null) {
    c.rules.push(rule);
    return;
  }
  if (replace) {
    if (index > c.rules.length) throw new KernelError('Index of replacement too big');
    c.rules[index - 1] = rule;
  } else {
    if (index > c.rules.length + 1) throw new KernelError('Index of insertion too big');
    c.rules.splice(index - 1, 0, rule);
  }
}

/** `-D CHAIN N` or `-D CHAIN RULE` (the first rule equal to it). */
export function deleteRule(t: Table, chain: string, index: number | null, rule: Rule): void {
  tableChanged(t);
  chainOf(t, chain);
  const c = writableChain(t, chain)!;
  if (index !== null) {
    if (index > c.rules.length) throw new KernelError('Index of deletion too big');
    c.rules.splice(index - 1, 1);
    return;
  }
  const text = formatRuleSpec(rule);
  const i = c.rules.findIndex((r) => formatRuleSpec(r) === text);
  if (i < 0) throw new KernelError('Bad rule (does a matching rule exist in that chain?)');
  c.rules.splice(i, 1);
}

/** The first rule (chain and position) whose target is a chain that does not exist, or null. */
export function missingJump(t: Table): { chain: string; target: string; index: number } | null {
  for (const c of t.chains.values())
    for (let i = 0; i < c.rules.length; i++) {
      const tg = c.rules[i]!.target;
      if (tg?.name === 'jump' && !t.chains.has(tg.chain)) return { chain: c.name, target: tg.chain, index: i };
    }
  return null;
}

/** A rule the kernel refuses when the table is loaded: a loop reachable from a built-in chain, or a target outside its hooks. */
export interface TableFault {
  chain: string;
  /** 0-based rule index in `chain`. */
  index: number;
  /** errno text as iptables shows it: "Too many links" (nft loop), "Invalid argument". */
  errno: string;
  /** Legacy's wording for the same refusal on the iptables command line. */
  legacyMessage: string;
  /** For a loop: every jump on the way from the built-in chain round the loop (nft blames the one added last). */
  path: { chain: string; index: number }[];
}

/**
 * What translate_table / nft's validation would refuse: the first loop reachable from a
 * built-in chain (kernel: ELOOP), or a target in a table or hook it is not valid in (EINVAL).
 */
export function validateTable(t: Table, flavour: Flavour = 'legacy'): TableFault | null {
  const builtins = BUILTIN_CHAINS[t.name];
  // Chains by id (the table's order), jumps resolved once, so the walk below keeps its state in typed arrays.
  const { chains, id, start, jump } = chainIndex(t);
  const n = chains.length;
  // One iterative DFS from the built-in chains: a jump back onto the stack is a loop; the
  // post-order of the reachable chains then orders them for propagating which hooks reach each.
  const state = new Uint8Array(n); // 0 unseen, 1 on the stack, 2 done
  const postOrder = new Int32Array(n);
  let done = 0;
  const stackChain = new Int32Array(n);
  const stackRule = new Int32Array(n);
  for (const b of builtins) {
    const root = id.get(b)!;
    if (state[root] !== 0) continue;
    let depth = 0;
    stackChain[0] = root;
    stackRule[0] = 0;
    state[root] = 1;
    while (depth >= 0) {
      const c = stackChain[depth]!;
      const rules = chains[c]!.rules;
      let i = stackRule[depth]!;
      let pushed = false;
      const base = start[c]!;
      for (; i < rules.length; i++) {
        const next = jump[base + i]!;
        if (next < 0) continue;
        const st = state[next]!;
        if (st === 2) continue;
        stackRule[depth] = i;
        if (st === 1) {
          const path: { chain: string; index: number }[] = [];
          for (let k = 0; k <= depth; k++) path.push({ chain: chains[stackChain[k]!]!.name, index: k < depth ? stackRule[k]! - 1 : i });
          return { chain: chains[c]!.name, index: i, errno: 'Too many links', legacyMessage: 'Too many levels of symbolic links', path };
        }
        stackRule[depth] = i + 1;
        depth++;
        stackChain[depth] = next;
        stackRule[depth] = 0;
        state[next] = 1;
        pushed = true;
        break;
      }
      if (pushed) continue;
      state[c] = 2;
      postOrder[done++] = c;
      depth--;
    }
  }
  // Hooks reaching each chain (bit i = builtins[i]), parents before children.
  const hooks = new Int32Array(n);
  builtins.forEach((b, i) => (hooks[id.get(b)!] = 1 << i));
  // physdev_mt_check refuses --physdev-out/--physdev-is-out in OUTPUT unless --physdev-is-bridged:
  // legacy checks every chain OUTPUT reaches, nft (nft_compat) only the rules of the OUTPUT chain itself.
  const outputId = id.get('OUTPUT') ?? -1;
  const outputIndex = builtins.indexOf('OUTPUT');
  const outputBit = outputIndex < 0 ? 0 : 1 << outputIndex;
  /** Per target place: the hooks (bits) it may run at in this table, -1 when the table is wrong. */
  const allowed = new Map<object, number>();
  for (let k = done - 1; k >= 0; k--) {
    const c = postOrder[k]!;
    const mask = hooks[c]!;
    const rules = chains[c]!.rules;
    const base = start[c]!;
    for (let i = 0; i < rules.length; i++) {
      if ((flavour === 'nft' ? c === outputId : (mask & outputBit) !== 0) && physdevOutRefused(rules[i]!)) {
        return { chain: chains[c]!.name, index: i, errno: 'Invalid argument', legacyMessage: "Invalid argument. Run `dmesg' for more information", path: [] };
      }
      const tg = rules[i]!.target;
      if (tg === null) continue;
      if (tg.name === 'jump') {
        const next = jump[base + i]!;
        if (next >= 0) hooks[next] |= mask;
        continue;
      }
      const place = TARGET_PLACES.get(tg.name);
      if (place === undefined) continue;
      let ok = allowed.get(place);
      if (ok === undefined) {
        ok = allowedHooks(place, t.name);
        allowed.set(place, ok);
      }
      if (ok === -1 || (mask & ~ok) !== 0) {
        return { chain: chains[c]!.name, index: i, errno: 'Invalid argument', legacyMessage: "Invalid argument. Run `dmesg' for more information", path: [] };
      }
    }
  }
  return null;
}
