/**
 * The chains of a table while iptables-restore --noflush edits it: a copy-on-write view of
 * the installed table's chains. Reads fall through to the installed chains; a chain is copied
 * only when it is first written (`writable`), created and deleted chains are noted here, and
 * the installed table is not touched until COMMIT applies the edit (`applyTo`) — so an edit of
 * a few chains costs the size of those chains, not of the table, and a refused table is simply
 * dropped. Iteration keeps iptables-save's order: the installed order, a replaced chain in its
 * place, then the chains created by the edit in creation order (a chain deleted and created
 * again moves to the end, as it does in a Map).
 *
 * It is a Map to everything that reads a table (list, save, the validation), so the code that
 * edits tables works on it unchanged except that writes go through `writableChain` (model.ts).
 */
import type { Chain, Table } from './model.js';

/** See the file comment. */
export class ChainOverlay extends Map<string, Chain> {
  /** Chains of `base` replaced by a private copy, or deleted (null). */
  readonly own = new Map<string, Chain | null>();
  /** Chains created by the edit (new names, or base names deleted and created again), in creation order. */
  readonly created = new Map<string, Chain>();
  /** Every name the edit wrote: its chain now, or null when deleted (one lookup for `get`). */
  private readonly local = new Map<string, Chain | null>();
  /** Bumped by every write, so derived facts of the edit (reference counts) know when to recount. */
  writes = 0;
  private count: number;

  /** `base`: the chains of `table`, the installed table being edited (null: a table not installed). */
  constructor(
    readonly base: Map<string, Chain>,
    readonly table: Table | null = null,
  ) {
    super();
    this.count = base.size;
  }

  override get size(): number {
    return this.count;
  }

  override get(name: string): Chain | undefined {
    const c = this.local.get(name);
    if (c !== undefined) return c ?? undefined;
    return this.base.get(name);
  }

  override has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  override set(name: string, chain: Chain): this {
    this.writes++;
    if (this.created.has(name)) this.created.set(name, chain);
    else if (this.base.has(name) && this.own.get(name) !== null) this.own.set(name, chain);
    else {
      this.created.set(name, chain);
      this.count++;
    }
    this.local.set(name, chain);
    return this;
  }

  override delete(name: string): boolean {
    const c = this.get(name);
    if (c === undefined) return false;
    this.noteDeleted(c);
    this.writes++;
    if (this.refDelta !== null && this.refDeltaWrites === this.writes - 1) this.refDeltaWrites = this.writes;
    if (!this.created.delete(name)) this.own.set(name, null);
    this.local.set(name, null);
    this.count--;
    this.deletions++;
    return true;
  }

  /** Chains deleted by the edit so far. */
  deletions = 0;

  /**
   * The change of the jump counts the edit makes so far (per target chain: rules added minus
   * removed), as computed by the caller for `writes`; kept across deletions, which adjust it.
   * Appends through a chain already returned by `writable` do not bump `writes`: a restore
   * fetches the chain again (writable) after any other command, so a count computed in
   * between is never reused across an append.
   */
  refDelta: Map<string, number> | null = null;
  refDeltaWrites = -1;

  private noteDeleted(c: Chain): void {
    const delta = this.refDelta;
    if (delta === null || this.refDeltaWrites !== this.writes) return;
    const rules = c.rules;
    for (let i = 0; i < rules.length; i++) {
      const tg = rules[i]!.target;
      if (tg !== null && tg.name === 'jump') delta.set(tg.chain, (delta.get(tg.chain) ?? 0) - 1);
    }
  }

  override clear(): void {
    for (const name of [...this.keys()]) this.delete(name);
  }

  /**
   * The chain to edit: the edit's own copy (made now from the installed chain when this is the
   * first write; with `flush`, the copy starts with no rules instead of copying them), or
   * undefined when there is no such chain.
   */
  writable(name: string, flush = false): Chain | undefined {
    this.writes++;
    const mine = this.local.get(name);
    if (mine !== undefined) return mine ?? undefined;
    const c = this.base.get(name);
    if (c === undefined) return undefined;
    const copy: Chain = { name: c.name, builtin: c.builtin, policy: c.policy, counters: { ...c.counters }, rules: flush ? [] : c.rules.slice() };
    if (flush) this.flushed.add(name);
    this.own.set(name, copy);
    this.local.set(name, copy);
    return copy;
  }

  /** The chains the edit replaced or created (their new versions). */
  changedChains(): Chain[] {
    const out: Chain[] = [];
    for (const c of this.own.values()) if (c !== null) out.push(c);
    for (const c of this.created.values()) out.push(c);
    return out;
  }

  /** The names of the chains the edit replaced, created or deleted. */
  changedNames(): string[] {
    return [...this.own.keys(), ...this.created.keys()];
  }

  /** Whether the edit flushed or created chain `name` (its rules are all the edit's own). */
  fresh(name: string): boolean {
    return this.created.has(name) || this.flushed.has(name);
  }

  /** Chains of `base` the edit copied without their rules (writable with `flush`). */
  private readonly flushed = new Set<string>();

  /** Whether the edit deleted chain `name` (and has not created it again). */
  deletedHere(name: string): boolean {
    return this.local.get(name) === null;
  }

  /** Whether `name` is a chain of the installed table that the edit replaced or deleted. */
  touched(name: string): boolean {
    return this.own.has(name);
  }

  override *entries(): MapIterator<[string, Chain]> {
    const own = this.own;
    for (const e of this.base) {
      const o = own.get(e[0]);
      if (o === undefined) yield e;
      else if (o !== null) yield [e[0], o];
    }
    yield* this.created;
  }

  override [Symbol.iterator](): MapIterator<[string, Chain]> {
    return this.entries();
  }

  override *keys(): MapIterator<string> {
    for (const e of this.entries()) yield e[0];
  }

  override *values(): MapIterator<Chain> {
    for (const e of this.entries()) yield e[1];
  }

  override forEach(fn: (value: Chain, key: string, map: Map<string, Chain>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  /**
   * Applies the edit to `base` in place (replaced chains keep their place, deleted ones go,
   * created ones are appended in order). The overlay must not be used afterwards.
   */
  applyTo(): void {
    const base = this.base;
    for (const [name, c] of this.own) {
      if (c === null) base.delete(name);
      else base.set(name, c);
    }
    for (const [name, c] of this.created) {
      base.delete(name);
      base.set(name, c);
    }
  }
}
