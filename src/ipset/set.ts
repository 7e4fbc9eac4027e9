/**
 * What every set type shares: its name and options, the extensions an element can carry
 * (timeout, counters, comment) and the kernel's accounting of them, and the operations the
 * ipset tool and the `set` match call.
 */
import type { Packet } from '../packet/packet.js';
import type { Elem } from './element.js';

/** The kernel's tick rate on this machine: element timeouts are kept in jiffies. */
export const HZ = 250;
const NS_PER_JIFFY = 1_000_000_000 / HZ;

/** Jiffies at virtual time `now` (ns). */
export function jiffiesAt(now: number): number {
  return Math.floor(now / NS_PER_JIFFY);
}

/** IPSET_MAX_COMMENT_SIZE: longer comments are cut. */
export const MAX_COMMENT = 255;

/** The extensions a set was created with. */
export interface SetExtensions {
  /** Default timeout in seconds when created with `timeout`, else null (no timeout extension). */
  timeout: number | null;
  counters: boolean;
  comment: boolean;
}

/** The extension values one add gives (null: not given). */
export interface ExtValues {
  timeout: number | null;
  packets: number | null;
  bytes: number | null;
  comment: string | null;
}

export function noExt(): ExtValues {
  return { timeout: null, packets: null, bytes: null, comment: null };
}

/** The extension length ip_set_elem_len adds to an element of `len` bytes aligned to `align`. */
export function elemLen(ext: SetExtensions, len: number, align: number): number {
  const any = ext.timeout !== null || ext.counters || ext.comment;
  if (!any) return Math.ceil(len / Math.max(align, 1)) * Math.max(align, 1);
  let n = Math.ceil(len / 8) * 8;
  if (ext.counters) n += 16; // struct ip_set_counter
  if (ext.timeout !== null) n += 8; // unsigned long
  if (ext.comment) n += 8; // struct ip_set_comment (an RCU pointer)
  return n;
}

/** One listed element: its text and extension values as `ipset list` shows them. */
export interface ListedMember {
  text: string;
  nomatch: boolean;
  /** Remaining seconds (0: permanent), or null without the timeout extension. */
  timeout: number | null;
  packets: number;
  bytes: number;
  comment: string | null;
}

/** Match options of `-m set --match-set NAME DIRS`: how many dimensions were given and which take the source. */
export interface MatchFlags {
  /** Number of src/dst words given; a set with more dimensions never matches. */
  dim: number;
  /** Bit i set: dimension i+1 reads the packet's source (address or port). */
  src: number;
}

/** Parses `src`, `dst,dst`, `src,dst,dst` into match flags, or null when malformed. */
export function parseMatchFlags(text: string): MatchFlags | null {
  const words = text.split(',');
  if (words.length === 0 || words.length > 6) return null;
  let src = 0;
  for (let i = 0; i < words.length; i++) {
    if (words[i] === 'src') src |= 1 << i;
    else if (words[i] !== 'dst') return null;
  }
  return { dim: words.length, src };
}

/** A set the kernel holds. */
export abstract class IpSet {
  /** Kernel references: list:set members and iptables rules that name the set. */
  refs = 0;
  /** set->ext_size: memory of comment strings. */
  extSize = 0;

  constructor(
    public name: string,
    readonly ext: SetExtensions,
  ) {}

  abstract readonly typeName: string;
  /** The type's revision the kernel reports (its IPSET_TYPE_REV_MAX on this kernel). */
  abstract readonly revision: number;
  /** The set's dimension (1 for hash:ip … 3 for hash:ip,port,ip). */
  abstract readonly dimension: number;

  /** The part of `Header:` before the extensions (`family inet hashsize 1024 maxelem 65536`). */
  abstract headerHead(): string;
  /** The part of `Header:` after the extensions (`bucketsize 12 initval 0x…`). */
  headerTail(): string {
    return '';
  }
  /** Size in memory as the kernel computes it for the header. */
  abstract memsize(): number;
  /** Number of live elements. */
  abstract count(now: number): number;
  /** The live elements in the kernel's dump order. */
  abstract list(now: number): ListedMember[];
  /** Adds one element; throws IpsetError with the kernel's refusal. */
  abstract add(e: Elem, ext: ExtValues, exist: boolean, now: number): void;
  /** Deletes one element; throws IpsetError when it is not there (unless `exist`). */
  abstract del(e: Elem, exist: boolean, now: number): void;
  /** `ipset test`: whether the element is in the set (for nets: as the kernel tests a host against every prefix). */
  abstract test(e: Elem, now: number): boolean;
  /** The `set` match: whether the packet's fields (chosen by `flags`) are in the set. Allocates nothing. */
  abstract matchPacket(p: Packet, flags: MatchFlags, now: number): boolean;
  abstract flush(): void;

  /** The `Header:` text. */
  header(): string {
    let s = this.headerHead();
    if (this.ext.timeout !== null) s += ` timeout ${this.ext.timeout}`;
    if (this.ext.counters) s += ' counters';
    if (this.ext.comment) s += ' comment';
    const tail = this.headerTail();
    return tail === '' ? s : `${s} ${tail}`;
  }
}

/** Memory a comment string takes in the kernel (struct ip_set_comment_rcu + text + NUL), 0 for none. */
export function commentSize(c: string | null): number {
  return c === null ? 0 : 16 + Buffer.byteLength(c) + 1;
}

/** Per-slot extension storage for elements (expiry in jiffies, 0 = permanent; counters; comments). */
export class ExtSlots {
  expires: Float64Array;
  packets: Float64Array;
  bytes: Float64Array;
  comments: (string | null)[];

  constructor(n: number) {
    this.expires = new Float64Array(n);
    this.packets = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.comments = new Array<string | null>(n).fill(null);
  }

  /** A copy with room for `n` slots, keeping the first `keep` (a kernel memcpy into a larger bucket). */
  resized(n: number, keep: number): ExtSlots {
    const x = new ExtSlots(n);
    const k = Math.min(keep, n);
    x.expires.set(this.expires.subarray(0, k));
    x.packets.set(this.packets.subarray(0, k));
    x.bytes.set(this.bytes.subarray(0, k));
    for (let i = 0; i < k; i++) x.comments[i] = this.comments[i]!;
    return x;
  }

  copySlot(from: ExtSlots, i: number, j: number): void {
    this.expires[j] = from.expires[i]!;
    this.packets[j] = from.packets[i]!;
    this.bytes[j] = from.bytes[i]!;
    this.comments[j] = from.comments[i]!;
  }
}

/** Helpers that apply the kernel's extension rules to one slot of a set. */
export class ExtOps {
  constructor(private readonly set: IpSet) {}

  /** Whether the slot has timed out (time_after(jiffies, expiry)). */
  expired(x: ExtSlots, i: number, now: number): boolean {
    if (this.set.ext.timeout === null) return false;
    const t = x.expires[i]!;
    return t !== 0 && jiffiesAt(now) > t;
  }

  /** ip_set_init_counter / _comment / timeout_set on an add. */
  init(x: ExtSlots, i: number, ext: ExtValues, now: number): void {
    const ex = this.set.ext;
    if (ex.counters) {
      if (ext.bytes !== null) x.bytes[i] = ext.bytes;
      if (ext.packets !== null) x.packets[i] = ext.packets;
    }
    if (ex.comment) {
      this.destroy(x, i);
      let c = ext.comment;
      if (c !== null && c.length === 0) c = null;
      if (c !== null && c.length > MAX_COMMENT) c = c.slice(0, MAX_COMMENT);
      x.comments[i] = c;
      this.set.extSize += commentSize(c);
    }
    if (ex.timeout !== null) {
      const secs = ext.timeout ?? ex.timeout;
      x.expires[i] = secs === 0 ? 0 : jiffiesAt(now) + secs * HZ;
    }
  }

  /** ip_set_ext_destroy: frees the slot's comment. */
  destroy(x: ExtSlots, i: number): void {
    const c = x.comments[i] ?? null;
    if (c !== null) {
      this.set.extSize -= commentSize(c);
      x.comments[i] = null;
    }
  }

  /** Counts a matching packet (the match updates counters by default). */
  count(x: ExtSlots, i: number, bytes: number): void {
    if (!this.set.ext.counters) return;
    x.packets[i] = x.packets[i]! + 1;
    x.bytes[i] = x.bytes[i]! + bytes;
  }

  /** What `ipset list` shows for the slot. */
  listed(x: ExtSlots, i: number, text: string, nomatch: boolean, now: number): ListedMember {
    let timeout: number | null = null;
    if (this.set.ext.timeout !== null) {
      const t = x.expires[i]!;
      if (t === 0) timeout = 0;
      else {
        const secs = Math.floor(((t - jiffiesAt(now)) * 1000) / HZ / 1000);
        timeout = secs === 0 ? 1 : secs;
      }
    }
    return { text, nomatch, timeout, packets: x.packets[i]!, bytes: x.bytes[i]!, comment: x.comments[i] ?? null };
  }
}
