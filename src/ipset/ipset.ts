/**
 * The sets of one network namespace, as the kernel's ip_set_list: a table of slots a set is
 * created into (the first free one), that `swap` exchanges the contents of and `rename` renames
 * in place, so listing follows the kernel's order and a reference by index (an iptables `set`
 * match, a list:set member) follows a swap as in the kernel.
 */
import type { NetNamespace } from '../netns/namespace.js';
import type { Packet } from '../packet/packet.js';
import { KERNEL_MESSAGES, kernelError } from './errors.js';
import { BitmapPortSet } from './bitmap-port-set.js';
import { HashSet, sameExt } from './hash-set.js';
import { ListSet } from './list-set.js';
import type { IpSet, MatchFlags } from './set.js';

/** CONFIG_IP_SET_MAX default: how many sets a namespace can hold. */
export const IP_SET_MAX = 256;

/** The sets of one namespace. */
export class IpsetTable {
  private readonly slots: (IpSet | null)[] = [];

  constructor(private readonly clock: { readonly now: number }) {}

  /** Virtual time (ns) that element timeouts are measured on. */
  get now(): number {
    return this.clock.now;
  }

  /** The set in slot `id`, or null. */
  byIndex(id: number): IpSet | null {
    return this.slots[id] ?? null;
  }

  /** The slot of the set called `name`, or -1. */
  indexOf(name: string): number {
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i]?.name === name) return i;
    return -1;
  }

  /** The set called `name`, or the kernel's "does not exist". */
  get(name: string): IpSet {
    const i = this.indexOf(name);
    if (i < 0) throw kernelError(KERNEL_MESSAGES.noSet);
    return this.slots[i]!;
  }

  /** Every set, in the kernel's listing order. */
  sets(): IpSet[] {
    return this.slots.filter((s): s is IpSet => s !== null);
  }

  /** `create`: into the first free slot; with `exist`, an identical existing set is no error. */
  create(set: IpSet, exist: boolean): void {
    const i = this.indexOf(set.name);
    if (i >= 0) {
      if (exist && sameSet(this.slots[i]!, set)) return;
      throw kernelError(KERNEL_MESSAGES.exist);
    }
    let free = this.slots.indexOf(null);
    if (free < 0) {
      if (this.slots.length >= IP_SET_MAX) throw kernelError('Kernel error received: maximal number of sets reached, cannot create more.');
      free = this.slots.length;
      this.slots.push(null);
    }
    this.slots[free] = set;
  }

  /** `destroy NAME`, or every unreferenced set when `name` is null (the kernel refuses all if any is in use). */
  destroy(name: string | null): void {
    if (name === null) {
      if (this.slots.some((s) => s !== null && s.refs > 0)) throw kernelError(KERNEL_MESSAGES.destroyBusy);
      for (let i = 0; i < this.slots.length; i++) if (this.slots[i] !== null) this.release(i);
      return;
    }
    const i = this.indexOf(name);
    if (i < 0) throw kernelError(KERNEL_MESSAGES.noSet);
    if (this.slots[i]!.refs > 0) throw kernelError(KERNEL_MESSAGES.destroyBusy);
    this.release(i);
  }

  private release(i: number): void {
    const s = this.slots[i]!;
    if (s instanceof ListSet) s.flush();
    this.slots[i] = null;
    while (this.slots.length > 0 && this.slots[this.slots.length - 1] === null) this.slots.pop();
  }

  /** `flush [NAME]`. */
  flush(name: string | null): void {
    if (name === null) for (const s of this.slots) s?.flush();
    else this.get(name).flush();
  }

  /** `rename FROM TO`. */
  rename(from: string, to: string): void {
    const s = this.get(from);
    if (this.indexOf(to) >= 0) throw kernelError(KERNEL_MESSAGES.renameExist);
    s.name = to;
  }

  /** `swap A B`: the contents trade slots and the names stay where they were. */
  swap(a: string, b: string): void {
    const i = this.indexOf(a);
    const j = this.indexOf(b);
    if (i < 0 || j < 0) throw kernelError(KERNEL_MESSAGES.noSet);
    const x = this.slots[i]!;
    const y = this.slots[j]!;
    if (x.typeName !== y.typeName) throw kernelError(KERNEL_MESSAGES.swapType);
    // The kernel refuses list:set swapped with a non-list set above; two list sets swap freely.
    this.slots[i] = y;
    this.slots[j] = x;
    const name = x.name;
    x.name = y.name;
    y.name = name;
    const refs = x.refs;
    x.refs = y.refs;
    y.refs = refs;
  }

  /** The `set` match on set `id`: whether the packet is in it (a missing set never matches). Allocates nothing. */
  matchIndex(id: number, p: Packet, flags: MatchFlags): boolean {
    const s = this.slots[id];
    return s !== null && s !== undefined && s.matchPacket(p, flags, this.clock.now);
  }

  /** The `set` match by name (`-m set --match-set NAME DIRS`). Prefer resolving the name once with indexOf and calling matchIndex. */
  match(name: string, p: Packet, flags: MatchFlags): boolean {
    const i = this.indexOf(name);
    return i >= 0 && this.matchIndex(i, p, flags);
  }

  /** An iptables rule starts or stops naming set `id` (a referenced set cannot be destroyed). */
  reference(id: number, delta: 1 | -1): void {
    const s = this.slots[id];
    if (s !== null && s !== undefined) s.refs += delta;
  }
}

/** What `create -exist` accepts as the same set: the kernel's type, family and mtype_same_set. */
function sameSet(a: IpSet, b: IpSet): boolean {
  if (a.typeName !== b.typeName) return false;
  if (a instanceof HashSet && b instanceof HashSet) return a.sameAs(b);
  if (a instanceof BitmapPortSet && b instanceof BitmapPortSet) return a.first === b.first && a.last === b.last && sameExt(a.ext, b.ext);
  if (a instanceof ListSet && b instanceof ListSet) return a.size === b.size && sameExt(a.ext, b.ext);
  return false;
}

/** Where each namespace's sets live. The lead may move this onto NetNamespace itself. */
const perNamespace = new WeakMap<NetNamespace, IpsetTable>();

/** The sets of a namespace (an empty table on first use). */
export function ipsetOf(ns: NetNamespace): IpsetTable {
  let t = perNamespace.get(ns);
  if (t === undefined) {
    t = new IpsetTable(ns.net);
    perNamespace.set(ns, t);
  }
  return t;
}
