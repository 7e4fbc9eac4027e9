/**
 * bitmap:port (net/netfilter/ipset/ip_set_bitmap_port.c, revision 3): one bit per port of the
 * set's range, extensions in an array beside it. Members list in port order.
 */
import { IPPROTO_TCP, IPPROTO_UDP, type Elem } from './element.js';
import type { Packet } from '../packet/packet.js';
import { KERNEL_MESSAGES, kernelError } from './errors.js';
import { ExtOps, ExtSlots, IpSet, elemLen, type ExtValues, type ListedMember, type MatchFlags, type SetExtensions } from './set.js';

/** sizeof(struct bitmap_port) on this kernel (measured: range 0-65535 lists 8264 = 72 + 8192). */
const MAP_STRUCT_SIZE = 72;

export class BitmapPortSet extends IpSet {
  readonly typeName = 'bitmap:port';
  readonly revision = 3;
  readonly dimension = 1;
  private readonly members: Uint8Array;
  private readonly slots: ExtSlots;
  private readonly ops: ExtOps;
  private readonly dsize: number;

  constructor(
    name: string,
    ext: SetExtensions,
    readonly first: number,
    readonly last: number,
  ) {
    super(name, ext);
    const n = last - first + 1;
    this.members = new Uint8Array(n);
    this.slots = new ExtSlots(n);
    this.ops = new ExtOps(this);
    this.dsize = elemLen(ext, 0, 0);
  }

  headerHead(): string {
    return `range ${this.first}-${this.last}`;
  }

  memsize(): number {
    const n = this.last - this.first + 1;
    return MAP_STRUCT_SIZE + Math.ceil(n / 64) * 8 + this.dsize * n + this.extSize;
  }

  count(now: number): number {
    let c = 0;
    for (let i = 0; i < this.members.length; i++) if (this.members[i] === 1 && !this.ops.expired(this.slots, i, now)) c++;
    return c;
  }

  list(now: number): ListedMember[] {
    const out: ListedMember[] = [];
    for (let i = 0; i < this.members.length; i++)
      if (this.members[i] === 1 && !this.ops.expired(this.slots, i, now)) out.push(this.ops.listed(this.slots, i, String(this.first + i), false, now));
    return out;
  }

  private index(port: number): number {
    if (port < this.first || port > this.last) throw kernelError(KERNEL_MESSAGES.bitmapRange);
    return port - this.first;
  }

  add(e: Elem, ext: ExtValues, exist: boolean, now: number): void {
    const i = this.index(e.port);
    if (this.members[i] === 1 && !this.ops.expired(this.slots, i, now) && !exist) throw kernelError(KERNEL_MESSAGES.addExist);
    if (this.members[i] === 1) this.ops.destroy(this.slots, i);
    this.members[i] = 1;
    if (this.ext.counters && (ext.packets === null || ext.bytes === null)) {
      // A fresh bitmap element starts its counters from zero unless given.
      this.slots.packets[i] = ext.packets ?? 0;
      this.slots.bytes[i] = ext.bytes ?? 0;
    }
    this.ops.init(this.slots, i, ext, now);
  }

  del(e: Elem, exist: boolean, now: number): void {
    const i = this.index(e.port);
    if (this.members[i] !== 1 || this.ops.expired(this.slots, i, now)) {
      if (!exist) throw kernelError(KERNEL_MESSAGES.delMissing);
      return;
    }
    this.members[i] = 0;
    this.ops.destroy(this.slots, i);
  }

  test(e: Elem, now: number): boolean {
    if (e.port < this.first || e.port > this.last) return false;
    const i = e.port - this.first;
    return this.members[i] === 1 && !this.ops.expired(this.slots, i, now);
  }

  matchPacket(p: Packet, flags: MatchFlags, now: number): boolean {
    if (flags.dim < 1) return false;
    // bitmap:port reads ports of TCP and UDP only (its ip_set_get_ip_port).
    if (p.ipProto !== IPPROTO_TCP && p.ipProto !== IPPROTO_UDP) return false;
    const port = (flags.src & 1) !== 0 ? p.sport : p.dport;
    if (port < this.first || port > this.last) return false;
    const i = port - this.first;
    if (this.members[i] !== 1 || this.ops.expired(this.slots, i, now)) return false;
    this.ops.count(this.slots, i, p.ipTotalLength());
    return true;
  }

  flush(): void {
    for (let i = 0; i < this.members.length; i++) if (this.members[i] === 1) this.ops.destroy(this.slots, i);
    this.members.fill(0);
  }
}
