/**
 * What the kernel's load-time check needs to know about an installed table, kept so that a
 * restore --noflush that edits a few chains is checked in the size of the edit, not of the
 * table (kube-proxy's partial syncs rewrite a handful of chains of a 220,000-chain table):
 *
 * - refs: how many rules jump to each chain (`-X` refuses a referenced chain; a deleted chain
 *   must be left unreferenced);
 * - depth: a number per chain that grows along every jump (depth(target) > depth(source)) —
 *   a certificate that the table has no loop. An edit keeps it by raising the depth of what
 *   its new jumps reach (forward only, through the chains the raise touches); a raise that
 *   comes back onto its own path has found a loop;
 * - hooks: for each chain, a superset of the built-in chains (hooks) that reach it, for the
 *   targets that are only valid at some hooks (DNAT, MASQUERADE, REJECT …) and physdev's
 *   OUTPUT rule. An edit ORs its new jumps' masks forward and checks the rules of the chains
 *   it changed or whose mask grew.
 *
 * Whenever the quick check is not sure — facts missing, a loop or a refused target seen
 * (the superset may be stale, and a loop no built-in chain reaches is allowed), a jump to a
 * chain that does not exist, too much work — the caller runs the whole-table check
 * (validateTable), which gives the exact verdict and message. Facts are valid for one
 * generation of the table; anything that changes a table behind their back
 * (tableChanged) makes them stale.
 */
import { ChainOverlay } from './chain-overlay.js';
import { chainIndex } from './chain-index.js';
import { BUILTIN_CHAINS, type Chain, type Rule, type Table } from './model.js';
import type { Flavour } from './module.js';
import { TARGET_PLACES } from './targets.js';

/** See the file comment: per chain (a slot, by name) its reference count, depth and hooks. */
export class TableFacts {
  private refs: Int32Array;
  private depth: Float64Array;
  private hooks: Int32Array;
  private readonly free: number[] = [];

  constructor(
    public generation: number,
    private readonly slot: Map<string, number>,
    refs: Int32Array,
    depth: Float64Array,
    hooks: Int32Array,
  ) {
    this.refs = refs;
    this.depth = depth;
    this.hooks = hooks;
  }

  /** Rules jumping to `name`. */
  refsOf(name: string): number {
    const k = this.slot.get(name);
    return k === undefined ? 0 : this.refs[k]!;
  }

  /** The depth of chain `name`, undefined for a chain the facts do not know. */
  depthOf(name: string): number | undefined {
    const k = this.slot.get(name);
    return k === undefined ? undefined : this.depth[k]!;
  }

  /** The hooks reaching chain `name` (a superset). */
  hooksOf(name: string): number {
    const k = this.slot.get(name);
    return k === undefined ? 0 : this.hooks[k]!;
  }

  /** Sets the facts of `name` (a field left undefined keeps its value; a new chain starts at 0). */
  set(name: string, refs: number | undefined, depth: number | undefined, hooks: number | undefined): void {
    let k = this.slot.get(name);
    if (k === undefined) {
      k = this.free.pop() ?? this.slot.size;
      if (k >= this.refs.length) this.grow(k * 2 + 16);
      this.slot.set(name, k);
      this.refs[k] = 0;
      this.depth[k] = 0;
      this.hooks[k] = 0;
    }
    if (refs !== undefined) this.refs[k] = refs;
    if (depth !== undefined) this.depth[k] = depth;
    if (hooks !== undefined) this.hooks[k] = hooks;
  }

  /** Forgets chain `name` (deleted). */
  remove(name: string): void {
    const k = this.slot.get(name);
    if (k === undefined) return;
    this.slot.delete(name);
    this.free.push(k);
  }

  private grow(n: number): void {
    const refs = new Int32Array(n);
    refs.set(this.refs);
    this.refs = refs;
    const depth = new Float64Array(n);
    depth.set(this.depth);
    this.depth = depth;
    const hooks = new Int32Array(n);
    hooks.set(this.hooks);
    this.hooks = hooks;
  }
}

const factsByTable = new WeakMap<Table, TableFacts>();

/** The facts of `t` as it is now, or null when they were never computed or are stale. */
export function factsOf(t: Table): TableFacts | null {
  const f = factsByTable.get(t);
  return f !== undefined && f.generation === t.generation ? f : null;
}

/**
 * Computes the facts of a whole table (after it passed validateTable). Null when there is no
 * certificate to keep: a loop somewhere (unreachable ones are allowed) or a jump to a chain
 * that does not exist.
 */
export function computeFacts(t: Table): TableFacts | null {
  const { chains, id, start, jump } = chainIndex(t);
  const n = chains.length;
  const refCount = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    const rules = chains[c]!.rules;
    const base = start[c]!;
    for (let i = 0; i < rules.length; i++) {
      const next = jump[base + i]!;
      if (next >= 0) refCount[next]!++;
      else if (rules[i]!.target?.name === 'jump') return null;
    }
  }
  // Post-order of a DFS over every chain: a child finishes before its parents.
  const state = new Uint8Array(n);
  const postOrder = new Int32Array(n);
  let done = 0;
  const stackChain = new Int32Array(n);
  const stackRule = new Int32Array(n);
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    let depth = 0;
    stackChain[0] = root;
    stackRule[0] = 0;
    state[root] = 1;
    while (depth >= 0) {
      const c = stackChain[depth]!;
      const end = start[c + 1]!;
      let g = start[c]! + stackRule[depth]!;
      let pushed = false;
      for (; g < end; g++) {
        const next = jump[g]!;
        if (next < 0 || state[next] === 2) continue;
        if (state[next] === 1) return null;
        stackRule[depth] = g - start[c]! + 1;
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
  const builtins = BUILTIN_CHAINS[t.name];
  const mask = new Int32Array(n);
  builtins.forEach((b, i) => {
    const c = id.get(b);
    if (c !== undefined) mask[c] = 1 << i;
  });
  for (let k = n - 1; k >= 0; k--) {
    const c = postOrder[k]!;
    const m = mask[c]!;
    if (m === 0) continue;
    for (let g = start[c]!; g < start[c + 1]!; g++) if (jump[g]! >= 0) mask[jump[g]!]! |= m;
  }
  // Slots are the chain ids: the index's name map becomes the facts' (the index is stale once the table changes).
  const depthOf = new Float64Array(n);
  for (let k = 0; k < n; k++) depthOf[postOrder[k]!] = n - k;
  return new TableFacts(t.generation, id, refCount, depthOf, mask);
}

/** Keeps `facts` as the facts of `t` (their generation must be t's). */
export function setFacts(t: Table, facts: TableFacts | null): void {
  if (facts === null) factsByTable.delete(t);
  else factsByTable.set(t, facts);
}

/**
 * Adds to `delta` the jumps of `now` minus those of `old`, comparing the rules position by
 * position (kube-proxy writes a chain again in the same order, so most positions jump where
 * they jumped before and cost a comparison), and appends to `fresh` the targets of the jumps
 * of `now` that `old` does not have at the same position — the edges the edit may have added.
 */
function diffJumps(old: readonly Rule[] | null, now: readonly Rule[], delta: Map<string, number>, fresh: string[] | null): void {
  const n = Math.max(old === null ? 0 : old.length, now.length);
  for (let i = 0; i < n; i++) {
    const o = old === null || i >= old.length ? null : old[i]!.target;
    const w = i >= now.length ? null : now[i]!.target;
    const from = o !== null && o.name === 'jump' ? o.chain : null;
    const to = w !== null && w.name === 'jump' ? w.chain : null;
    if (from === to) continue;
    if (from !== null) delta.set(from, (delta.get(from) ?? 0) - 1);
    if (to !== null) {
      delta.set(to, (delta.get(to) ?? 0) + 1);
      fresh?.push(to);
    }
  }
}

/** The change an edit makes to the jump counts (per target: rules added minus removed), kept on the edit until it writes again. */
function referenceDelta(edit: ChainOverlay): Map<string, number> {
  if (edit.refDelta !== null && edit.refDeltaWrites === edit.writes) return edit.refDelta;
  const delta = new Map<string, number>();
  for (const [name, c] of edit.own) diffJumps(edit.base.get(name)!.rules, c === null ? [] : c.rules, delta, null);
  for (const c of edit.created.values()) diffJumps(null, c.rules, delta, null);
  edit.refDelta = delta;
  edit.refDeltaWrites = edit.writes;
  return delta;
}

/** How many rules of an edited table jump to `name`, from the installed table's facts and the edit; null without facts. */
export function editReferences(edit: ChainOverlay, name: string): number | null {
  const facts = edit.table === null ? null : factsOf(edit.table);
  if (facts === null) return null;
  return facts.refsOf(name) + (referenceDelta(edit).get(name) ?? 0);
}

/** A checked edit: the new versions of the chains it changed, the chains it deleted, and the facts' updates. */
export interface EditPlan {
  changed: Chain[];
  deleted: string[];
  refs: Map<string, number>;
  depth: Map<string, number>;
  hooks: Map<string, number>;
}

/**
 * physdev_mt_check's hook rule: a physdev match testing the out port (--physdev-out or
 * --physdev-is-out) without a plain --physdev-is-bridged cannot run at LOCAL_OUT (EINVAL).
 */
export function physdevOutRefused(r: Rule): boolean {
  const ms = r.matches;
  for (let k = 0; k < ms.length; k++) {
    const m = ms[k]!;
    if (m.name === 'physdev' && (m.physOut !== null || m.isOut !== null) && m.isBridged !== true) return true;
  }
  return false;
}

/** The hooks (bits of the table's built-in chains) a target place allows in table `table`, -1 when the table is wrong. */
export function allowedHooks(place: { table: string | null; hooks: readonly string[] }, table: Table['name']): number {
  if (place.table !== null && place.table !== table) return -1;
  const builtins = BUILTIN_CHAINS[table];
  let ok = 0;
  for (let b = 0; b < builtins.length; b++) if (place.hooks.includes(builtins[b]!)) ok |= 1 << b;
  return ok;
}

/**
 * The quick check of an edit of installed table `live` (see the file comment): a plan to
 * apply when the edited table is certainly valid, or null when the whole table must be
 * checked.
 */
export function planEdit(live: Table, edit: ChainOverlay, flavour: Flavour): EditPlan | null {
  const facts = factsOf(live);
  if (facts === null || edit.base !== live.chains) return null;
  const changed: Chain[] = [];
  /** Per changed chain, the targets of the jumps it may have gained. */
  const freshOf: string[][] = [];
  const deleted: string[] = [];
  const delta = new Map<string, number>();
  let work = 0;
  for (const [name, c] of edit.own) {
    const old = edit.base.get(name)!.rules;
    if (c === null) {
      diffJumps(old, [], delta, null);
      if (!edit.created.has(name)) deleted.push(name);
      continue;
    }
    const fresh: string[] = [];
    diffJumps(old, c.rules, delta, fresh);
    changed.push(c);
    freshOf.push(fresh);
    work += fresh.length;
  }
  for (const c of edit.created.values()) {
    const fresh: string[] = [];
    diffJumps(null, c.rules, delta, fresh);
    changed.push(c);
    freshOf.push(fresh);
    work += fresh.length;
  }
  edit.refDelta = delta;
  edit.refDeltaWrites = edit.writes;
  for (const fresh of freshOf) for (const to of fresh) if (!edit.has(to)) return null;
  for (const name of deleted) if (facts.refsOf(name) + (delta.get(name) ?? 0) !== 0) return null;

  // The loop certificate: raise what the new jumps reach.
  const depth = new Map<string, number>();
  const depthOf = (name: string): number | undefined => depth.get(name) ?? facts.depthOf(name);
  for (const c of edit.created.keys()) depth.set(c, 0);
  let budget = 100_000 + 8 * work;
  const onPath = new Set<string>();
  const pathName: string[] = [];
  const pathIndex: number[] = [];
  /** Makes depth(name) at least `min`, and everything it reaches deeper than it; false on a loop or out of budget. */
  const raise = (name: string, min: number): boolean => {
    const d = depthOf(name);
    if (d !== undefined && d >= min) return true;
    depth.set(name, min);
    onPath.add(name);
    pathName.push(name);
    pathIndex.push(0);
    while (pathName.length > 0) {
      const top = pathName.length - 1;
      const v = pathName[top]!;
      const rules = edit.get(v)!.rules;
      const dv = depth.get(v)!;
      let i = pathIndex[top]!;
      let pushed = false;
      for (; i < rules.length; i++) {
        if (--budget < 0) return false;
        const tg = rules[i]!.target;
        if (tg === null || tg.name !== 'jump') continue;
        const w = tg.chain;
        if (onPath.has(w)) return false;
        const dw = depthOf(w);
        if (dw !== undefined && dw > dv) continue;
        depth.set(w, dv + 1);
        pathIndex[top] = i + 1;
        onPath.add(w);
        pathName.push(w);
        pathIndex.push(0);
        pushed = true;
        break;
      }
      if (pushed) continue;
      onPath.delete(v);
      pathName.pop();
      pathIndex.pop();
    }
    return true;
  };
  for (let k = 0; k < changed.length; k++) {
    const name = changed[k]!.name;
    for (const to of freshOf[k]!) if (!raise(to, depthOf(name)! + 1)) return null;
  }

  // The hooks reaching each chain, grown along the new jumps; then the rules to check.
  const builtins = BUILTIN_CHAINS[live.name];
  const hooks = new Map<string, number>();
  const hooksOf = (name: string): number => hooks.get(name) ?? facts.hooksOf(name);
  for (const name of edit.created.keys()) if (!builtins.includes(name)) hooks.set(name, 0);
  const toCheck = new Set<string>();
  const grown: string[] = [];
  const reach = (from: string, to: string): void => {
    const m = hooksOf(from);
    const h = hooksOf(to);
    if ((m & ~h) === 0) return;
    hooks.set(to, h | m);
    toCheck.add(to);
    grown.push(to);
  };
  for (let k = 0; k < changed.length; k++) {
    const name = changed[k]!.name;
    toCheck.add(name);
    if (hooksOf(name) !== 0) for (const to of freshOf[k]!) reach(name, to);
  }
  while (grown.length > 0) {
    const v = grown.pop()!;
    const rules = edit.get(v)!.rules;
    for (let i = 0; i < rules.length; i++) {
      const tg = rules[i]!.target;
      if (tg !== null && tg.name === 'jump') reach(v, tg.chain);
      if (--budget < 0) return null;
    }
  }
  const outputIndex = builtins.indexOf('OUTPUT');
  const outputBit = outputIndex < 0 ? 0 : 1 << outputIndex;
  for (const name of toCheck) {
    const m = hooksOf(name);
    if (m === 0) continue;
    const physdev = flavour === 'nft' ? name === 'OUTPUT' : (m & outputBit) !== 0;
    const rules = edit.get(name)!.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (physdev && r.matches.length > 0 && physdevOutRefused(r)) return null;
      const tg = r.target;
      if (tg === null || tg.name === 'jump') continue;
      const place = TARGET_PLACES.get(tg.name);
      if (place === undefined) continue;
      const ok = allowedHooks(place, live.name);
      if (ok === -1 || (m & ~ok) !== 0) return null;
    }
  }
  const refs = new Map<string, number>();
  for (const [name, d] of delta) if (d !== 0) refs.set(name, facts.refsOf(name) + d);
  return { changed, deleted, refs, depth, hooks };
}

/** Brings the facts of `live` (just edited in place by `plan`, generation already bumped) up to date. */
export function applyPlan(live: Table, plan: EditPlan): void {
  const facts = factsByTable.get(live)!;
  for (const name of plan.deleted) facts.remove(name);
  for (const [name, n] of plan.refs) facts.set(name, n, undefined, undefined);
  for (const [name, d] of plan.depth) facts.set(name, undefined, d, undefined);
  for (const [name, h] of plan.hooks) facts.set(name, undefined, undefined, h);
  facts.generation = live.generation;
}
