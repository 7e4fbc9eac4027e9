/**
 * list:set (net/netfilter/ipset/ip_set_list_set.c, revision 3): an ordered list of other sets,
 * referenced by their index in the namespace's set table (so `ipset swap` of a member changes
 * what the list holds, as in the kernel). A packet matches when any member set matches it.
 */
import type { Packet } from '../packet/packet.js';
import type { Elem } from './element.js';
import { KERNEL_MESSAGES, kernelError } from './errors.js';
import { ExtOps, ExtSlots, IpSet, elemLen, type ExtValues, type ListedMember, type MatchFlags, type SetExtensions } from './set.js';

/** sizeof(struct list_set) on this kernel (an empty list:set lists 80). */
const LIST_STRUCT_SIZE = 80;
/** sizeof(struct set_elem): RCU head, list head, set pointer, id. */
const SET_ELEM_SIZE = 48;

/** How a list:set reaches the sets it holds. */
export interface SetTable {
  byIndex(id: number): IpSet | null;
}

/** Where an added member goes: at the end, or before/after a named member. */
export interface ListPosition {
  where: 'end' | 'before' | 'after';
  /** The reference member's index for before/after. */
  ref: number;
}

export class ListSet extends IpSet {
  readonly typeName = 'list:set';
  readonly revision = 3;
  readonly dimension = 1;
  /** Member set indexes, in list order. */
  private ids: number[] = [];
  private slots: ExtSlots[] = [];
  private readonly ops: ExtOps;
  private readonly dsize: number;

  constructor(
    name: string,
    ext: SetExtensions,
    readonly size: number,
    private readonly table: SetTable,
  ) {
    super(name, ext);
    this.ops = new ExtOps(this);
    this.dsize = elemLen(ext, SET_ELEM_SIZE, 8);
  }

  headerHead(): string {
    return `size ${this.size}`;
  }

  memsize(): number {
    return LIST_STRUCT_SIZE + this.ids.length * this.dsize + this.extSize;
  }

  count(now: number): number {
    let c = 0;
    for (const x of this.slots) if (!this.ops.expired(x, 0, now)) c++;
    return c;
  }

  list(now: number): ListedMember[] {
    const out: ListedMember[] = [];
    this.ids.forEach((id, i) => {
      const x = this.slots[i]!;
      if (!this.ops.expired(x, 0, now)) out.push(this.ops.listed(x, 0, this.table.byIndex(id)?.name ?? '', false, now));
    });
    return out;
  }

  /** Member index of a set id, or -1. */
  private find(id: number, now: number): number {
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i] === id && !this.ops.expired(this.slots[i]!, 0, now)) return i;
    return -1;
  }

  /** Adds set `id` (already resolved from its name) at `pos`. */
  addMember(id: number, pos: ListPosition, ext: ExtValues, exist: boolean, now: number): void {
    const at = this.find(id, now);
    if (at >= 0) {
      if (!exist) throw kernelError(KERNEL_MESSAGES.addExist);
      this.ops.init(this.slots[at]!, 0, ext, now);
      return;
    }
    let index = this.ids.length;
    if (pos.where !== 'end') {
      const r = this.find(pos.ref, now);
      if (r < 0) throw kernelError(KERNEL_MESSAGES.listRefMissing);
      index = pos.where === 'before' ? r : r + 1;
    }
    const x = new ExtSlots(1);
    this.ops.init(x, 0, ext, now);
    this.ids.splice(index, 0, id);
    this.slots.splice(index, 0, x);
    const member = this.table.byIndex(id);
    if (member !== null) member.refs++;
  }

  delMember(id: number, exist: boolean, now: number): void {
    const at = this.find(id, now);
    if (at < 0) {
      if (!exist) throw kernelError(KERNEL_MESSAGES.delMissing);
      return;
    }
    this.removeAt(at);
  }

  private removeAt(at: number): void {
    this.ops.destroy(this.slots[at]!, 0);
    const member = this.table.byIndex(this.ids[at]!);
    if (member !== null) member.refs--;
    this.ids.splice(at, 1);
    this.slots.splice(at, 1);
  }

  testMember(id: number, now: number): boolean {
    return this.find(id, now) >= 0;
  }

  add(_e: Elem, _ext: ExtValues, _exist: boolean, _now: number): void {
    throw new Error('list:set members are added by set index (addMember)');
  }

  del(_e: Elem, _exist: boolean, _now: number): void {
    throw new Error('list:set members are deleted by set index (delMember)');
  }

  test(_e: Elem, _now: number): boolean {
    throw new Error('list:set members are tested by set index (testMember)');
  }

  matchPacket(p: Packet, flags: MatchFlags, now: number): boolean {
    for (let i = 0; i < this.ids.length; i++) {
      const x = this.slots[i]!;
      if (this.ops.expired(x, 0, now)) continue;
      const member = this.table.byIndex(this.ids[i]!);
      if (member !== null && member.matchPacket(p, flags, now)) {
        this.ops.count(x, 0, p.ipTotalLength());
        return true;
      }
    }
    return false;
  }

  flush(): void {
    while (this.ids.length > 0) this.removeAt(this.ids.length - 1);
  }

  /** The member set ids (for destroy: the kernel drops the references). */
  memberIds(): readonly number[] {
    return this.ids;
  }
}
