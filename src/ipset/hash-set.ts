/**
 * The kernel's hash set types (net/netfilter/ipset/ip_set_hash_gen.h) as the kernel lays them
 * out: a table of 2^bits buckets chosen by jhash2 of the element's words with the set's initval,
 * each bucket an array that starts with 2 slots and grows by 2 up to `bucketsize` (12), after
 * which the table doubles. Slots freed by a delete are reused; buckets shrink as the kernel's
 * do. So `ipset list` prints members in the kernel's order and `Size in memory` is the kernel's
 * figure, including its accounting quirks (a grown bucket is charged a whole new bucket header).
 */
import type { Packet } from '../packet/packet.js';
import { Elem, HASH_LAYOUTS, IPPROTO_ICMP, formatHashElem, protoWithPorts, type HashLayout, type HashTypeName } from './element.js';
import { KERNEL_MESSAGES, kernelError } from './errors.js';
import { jhash2 } from './jhash.js';
import { ExtOps, ExtSlots, IpSet, elemLen, type ExtValues, type ListedMember, type MatchFlags, type SetExtensions } from './set.js';

/** AHASH_INIT_SIZE: slots in a new bucket, and how many a bucket grows or shrinks by. */
const AHASH_INIT_SIZE = 2;
/** AHASH_MAX_SIZE: the default (and largest) bucketsize. */
export const AHASH_MAX_SIZE = 6 * AHASH_INIT_SIZE;
/** sizeof(struct hbucket): RCU head, 64-bit used bitmap, size, pos, padded to 8. */
const HBUCKET_SIZE = 32;
/** sizeof(struct ip_set_region): one per 1024 buckets. */
const REGION_SIZE = 24;
const HTABLE_REGION_BITS = 10;
/** IPSET_MIMINAL_HASHSIZE. */
const MIN_HASHSIZE = 64;

/** Per type: the kernel's revision on this machine, its dimension, and its memory with an empty table of ≤ 1024 buckets (sizeof htype + htable + one region), measured on kernel 6.18. */
export const HASH_TYPES: Record<HashTypeName, { revision: number; dimension: number; emptyMemsize: number }> = {
  'hash:ip': { revision: 6, dimension: 1, emptyMemsize: 216 },
  'hash:ip,port': { revision: 7, dimension: 2, emptyMemsize: 216 },
  'hash:ip,port,ip': { revision: 6, dimension: 3, emptyMemsize: 208 },
  'hash:ip,port,net': { revision: 8, dimension: 3, emptyMemsize: 464 },
  'hash:net': { revision: 7, dimension: 1, emptyMemsize: 456 },
  'hash:net,port': { revision: 8, dimension: 2, emptyMemsize: 456 },
};

/** A hash bucket: an array of element slots with a used bitmap. */
class Bucket {
  pos = 0;
  readonly used: Uint8Array;
  readonly words: Uint32Array;
  readonly nomatch: Uint8Array;
  ext: ExtSlots;

  constructor(
    readonly size: number,
    w: number,
  ) {
    this.used = new Uint8Array(size);
    this.words = new Uint32Array(size * w);
    this.nomatch = new Uint8Array(size);
    this.ext = new ExtSlots(size);
  }
}

/** Create options of a hash set. */
export interface HashCreateOptions {
  hashsize: number;
  maxelem: number;
  initval: number;
  bucketsize: number;
}

/** A hash:* set. */
export class HashSet extends IpSet {
  readonly revision: number;
  readonly dimension: number;
  private readonly layout: HashLayout;
  private readonly w: number;
  private readonly dsize: number;
  private readonly ops: ExtOps;
  bits: number;
  private buckets: (Bucket | null)[];
  readonly maxelem: number;
  readonly initval: number;
  readonly bucketsize: number;
  /** Elements stored, expired ones included (the kernel's hregion elements). */
  private elements = 0;
  /** Σ of the regions' ext_size: what the buckets are charged. */
  private bucketMem = 0;
  /** Stored prefix lengths, longest first, 0-terminated (h->nets[].cidr) … */
  private readonly cidrs = new Uint8Array(34);
  /** … and how many elements have each (h->nets[].nets). */
  private readonly cidrCount = new Int32Array(33);
  private readonly key = new Uint32Array(3);
  private readonly probe = new Elem();

  constructor(
    name: string,
    readonly typeName: HashTypeName,
    ext: SetExtensions,
    opts: HashCreateOptions,
  ) {
    super(name, ext);
    const info = HASH_TYPES[typeName];
    this.revision = info.revision;
    this.dimension = info.dimension;
    this.layout = HASH_LAYOUTS[typeName];
    this.w = this.layout.words;
    this.dsize = elemLen(ext, this.w * 4, 4);
    this.ops = new ExtOps(this);
    this.bits = hashBits(opts.hashsize);
    this.buckets = new Array<Bucket | null>(1 << this.bits).fill(null);
    this.maxelem = opts.maxelem;
    this.initval = opts.initval >>> 0;
    this.bucketsize = opts.bucketsize;
  }

  headerHead(): string {
    return `family inet hashsize ${1 << this.bits} maxelem ${this.maxelem}`;
  }

  override headerTail(): string {
    return `bucketsize ${this.bucketsize} initval 0x${this.initval.toString(16).padStart(8, '0')}`;
  }

  memsize(): number {
    const locks = this.bits < HTABLE_REGION_BITS ? 1 : 1 << (this.bits - HTABLE_REGION_BITS);
    return HASH_TYPES[this.typeName].emptyMemsize + (locks - 1) * REGION_SIZE + this.bucketMem + this.extSize;
  }

  /** ext_size(n, dsize): what the kernel charges for a bucket of n slots (or for growing one by n). */
  private charge(n: number): number {
    return HBUCKET_SIZE + n * this.dsize;
  }

  private hkey(bits: number): number {
    return jhash2(this.key, 0, this.w, this.initval) & ((1 << bits) - 1);
  }

  private equalAt(n: Bucket, i: number): boolean {
    const base = i * this.w;
    for (let k = 0; k < this.w; k++) if (n.words[base + k] !== this.key[k]) return false;
    return true;
  }

  count(now: number): number {
    let c = 0;
    for (const n of this.buckets) {
      if (n === null) continue;
      for (let i = 0; i < n.pos; i++) if (n.used[i] === 1 && !this.ops.expired(n.ext, i, now)) c++;
    }
    return c;
  }

  list(now: number): ListedMember[] {
    const out: ListedMember[] = [];
    const e = new Elem();
    for (const n of this.buckets) {
      if (n === null) continue;
      for (let i = 0; i < n.pos; i++) {
        if (n.used[i] !== 1 || this.ops.expired(n.ext, i, now)) continue;
        e.reset();
        this.layout.decode(n.words, i * this.w, e);
        out.push(this.ops.listed(n.ext, i, formatHashElem(this.typeName, e), n.nomatch[i] === 1, now));
      }
    }
    return out;
  }

  private addCidr(cidr: number): void {
    if (!this.layout.nets) return;
    if (this.cidrCount[cidr]! > 0) {
      this.cidrCount[cidr]!++;
      return;
    }
    this.cidrCount[cidr] = 1;
    let i = 0;
    while (this.cidrs[i] !== 0 && this.cidrs[i]! > cidr) i++;
    this.cidrs.copyWithin(i + 1, i, 33);
    this.cidrs[i] = cidr;
  }

  private delCidr(cidr: number): void {
    if (!this.layout.nets || this.cidrCount[cidr]! === 0) return;
    if (--this.cidrCount[cidr]! > 0) return;
    const i = this.cidrs.indexOf(cidr);
    this.cidrs.copyWithin(i, i + 1, 34);
    this.cidrs[33] = 0;
  }

  /** The prefix length stored in a slot (32 for types without networks). */
  private cidrAt(n: Bucket, i: number): number {
    if (!this.layout.nets) return 32;
    this.layout.decode(n.words, i * this.w, this.probe.reset());
    return this.probe.cidr;
  }

  add(e: Elem, ext: ExtValues, exist: boolean, now: number): void {
    this.layout.encode(e, this.key, 0);
    const key = this.hkey(this.bits);
    if (this.elements >= this.maxelem && this.ext.timeout !== null) this.expireAll(now);
    const full = this.elements >= this.maxelem;
    let n = this.buckets[key] ?? null;
    let j = -1;
    if (n === null) {
      if (full) throw kernelError(KERNEL_MESSAGES.hashFull);
      n = new Bucket(AHASH_INIT_SIZE, this.w);
      this.buckets[key] = n;
      this.bucketMem += this.charge(AHASH_INIT_SIZE);
      j = n.pos++;
    } else {
      let deleted = false;
      let reuse = false;
      for (let i = 0; i < n.pos; i++) {
        if (n.used[i] !== 1) {
          if (j === -1) {
            deleted = reuse = true;
            j = i;
          }
          continue;
        }
        if (this.equalAt(n, i)) {
          if (exist || this.ops.expired(n.ext, i, now)) {
            // Only the extensions (and nomatch) are overwritten.
            n.nomatch[i] = e.nomatch ? 1 : 0;
            this.ops.init(n.ext, i, ext, now);
            return;
          }
          throw kernelError(KERNEL_MESSAGES.addExist);
        }
        if (j === -1 && this.ops.expired(n.ext, i, now)) {
          j = i;
          reuse = true;
        }
      }
      if (reuse) {
        if (!deleted) {
          this.delCidr(this.cidrAt(n, j));
          this.ops.destroy(n.ext, j);
          this.elements--;
        }
      } else {
        if (full) throw kernelError(KERNEL_MESSAGES.hashFull);
        if (n.pos >= n.size) {
          if (n.size >= this.bucketsize) {
            this.resize(now);
            this.add(e, ext, exist, now);
            return;
          }
          const grown = new Bucket(n.size + AHASH_INIT_SIZE, this.w);
          grown.pos = n.pos;
          grown.used.set(n.used);
          grown.words.set(n.words);
          grown.nomatch.set(n.nomatch);
          grown.ext = n.ext.resized(grown.size, n.size);
          this.bucketMem += this.charge(AHASH_INIT_SIZE);
          this.buckets[key] = grown;
          n = grown;
        }
        j = n.pos++;
      }
    }
    this.elements++;
    this.addCidr(e.cidr);
    n.words.set(this.key.subarray(0, this.w), j * this.w);
    n.nomatch[j] = e.nomatch ? 1 : 0;
    this.ops.init(n.ext, j, ext, now);
    n.used[j] = 1;
  }

  del(e: Elem, exist: boolean, now: number): void {
    this.layout.encode(e, this.key, 0);
    const key = this.hkey(this.bits);
    const n = this.buckets[key] ?? null;
    if (n !== null) {
      let pos = n.pos;
      let k = 0;
      for (let i = 0; i < pos; i++) {
        if (n.used[i] !== 1) {
          k++;
          continue;
        }
        if (!this.equalAt(n, i)) continue;
        if (this.ops.expired(n.ext, i, now)) break;
        n.used[i] = 0;
        if (i + 1 === pos) n.pos = --pos;
        this.elements--;
        this.delCidr(e.cidr);
        this.ops.destroy(n.ext, i);
        for (; i < pos; i++) if (n.used[i] !== 1) k++;
        if (k === pos) {
          this.bucketMem -= this.charge(n.size);
          this.buckets[key] = null;
        } else if (k >= AHASH_INIT_SIZE) {
          const tmp = new Bucket(n.size - AHASH_INIT_SIZE, this.w);
          let d = 0;
          for (let s = 0; s < pos; s++) {
            if (n.used[s] !== 1) continue;
            this.moveSlot(n, s, tmp, d++);
          }
          tmp.pos = d;
          this.bucketMem -= this.charge(AHASH_INIT_SIZE);
          this.buckets[key] = tmp;
        }
        return;
      }
    }
    if (!exist) throw kernelError(KERNEL_MESSAGES.delMissing);
  }

  private moveSlot(from: Bucket, i: number, to: Bucket, j: number): void {
    to.words.set(from.words.subarray(i * this.w, (i + 1) * this.w), j * this.w);
    to.nomatch[j] = from.nomatch[i]!;
    to.ext.copySlot(from.ext, i, j);
    to.used[j] = 1;
  }

  /** mtype_resize: a table twice as large (again, while a bucket would overflow), elements re-added in bucket order, expired ones dropped. */
  private resize(now: number): void {
    for (let bits = this.bits + 1; bits <= 31; bits++) {
      const table = new Array<Bucket | null>(1 << bits).fill(null);
      let mem = 0;
      let elements = 0;
      let overflow = false;
      outer: for (const n of this.buckets) {
        if (n === null) continue;
        for (let i = 0; i < n.pos; i++) {
          if (n.used[i] !== 1 || this.ops.expired(n.ext, i, now)) continue;
          for (let k = 0; k < this.w; k++) this.key[k] = n.words[i * this.w + k]!;
          const key = this.hkey(bits);
          let m = table[key] ?? null;
          if (m === null) {
            m = new Bucket(AHASH_INIT_SIZE, this.w);
            table[key] = m;
            mem += this.charge(AHASH_INIT_SIZE);
          } else if (m.pos >= m.size) {
            if (m.size >= this.bucketsize) {
              overflow = true;
              break outer;
            }
            const grown = new Bucket(m.size + AHASH_INIT_SIZE, this.w);
            grown.pos = m.pos;
            grown.used.set(m.used);
            grown.words.set(m.words);
            grown.nomatch.set(m.nomatch);
            grown.ext = m.ext.resized(grown.size, m.size);
            mem += this.charge(AHASH_INIT_SIZE);
            table[key] = grown;
            m = grown;
          }
          this.moveSlot(n, i, m, m.pos++);
          elements++;
        }
      }
      if (overflow) continue;
      this.bits = bits;
      this.buckets = table;
      this.bucketMem = mem;
      this.elements = elements;
      return;
    }
    throw kernelError(KERNEL_MESSAGES.hashFull);
  }

  /** The garbage collector's pass over timed-out elements (run when the set is full). */
  private expireAll(now: number): void {
    for (let b = 0; b < this.buckets.length; b++) {
      const n = this.buckets[b];
      if (n === null || n === undefined) continue;
      let d = 0;
      for (let j = 0; j < n.pos; j++) {
        if (n.used[j] !== 1) {
          d++;
          continue;
        }
        if (!this.ops.expired(n.ext, j, now)) continue;
        n.used[j] = 0;
        this.delCidr(this.cidrAt(n, j));
        this.elements--;
        this.ops.destroy(n.ext, j);
        d++;
      }
      if (d >= AHASH_INIT_SIZE) {
        if (d >= n.size) {
          this.bucketMem -= this.charge(n.size);
          this.buckets[b] = null;
          continue;
        }
        const tmp = new Bucket(n.size - AHASH_INIT_SIZE, this.w);
        let k = 0;
        for (let j = 0; j < n.pos; j++) if (n.used[j] === 1) this.moveSlot(n, j, tmp, k++);
        tmp.pos = k;
        this.bucketMem -= this.charge(AHASH_INIT_SIZE);
        this.buckets[b] = tmp;
      }
    }
  }

  /**
   * Looks the key words up: 1 a live match, -1 a live nomatch entry (the kernel's -ENOTEMPTY),
   * 0 none. Counts the packet on the entry when `bytes` ≥ 0.
   */
  private lookup(now: number, bytes: number): number {
    const n = this.buckets[this.hkey(this.bits)] ?? null;
    if (n === null) return 0;
    for (let i = 0; i < n.pos; i++) {
      if (n.used[i] !== 1 || !this.equalAt(n, i)) continue;
      if (this.ops.expired(n.ext, i, now)) continue;
      if (bytes >= 0) this.ops.count(n.ext, i, bytes);
      return n.nomatch[i] === 1 ? -1 : 1;
    }
    return 0;
  }

  /** mtype_test / mtype_test_cidrs on the probe element. */
  private testProbe(e: Elem, now: number, bytes: number): boolean {
    if (this.layout.nets && e.cidr === 32) {
      for (let j = 0; j < 33 && this.cidrs[j] !== 0; j++) {
        e.cidr = this.cidrs[j]!;
        this.layout.encode(e, this.key, 0);
        const r = this.lookup(now, bytes);
        if (r !== 0) {
          e.cidr = 32;
          return r > 0;
        }
      }
      e.cidr = 32;
      return false;
    }
    this.layout.encode(e, this.key, 0);
    return this.lookup(now, bytes) > 0;
  }

  test(e: Elem, now: number): boolean {
    this.probe.copyFrom(e);
    return this.testProbe(this.probe, now, -1);
  }

  matchPacket(p: Packet, flags: MatchFlags, now: number): boolean {
    if (flags.dim < this.dimension) return false;
    const e = this.probe.reset();
    const src = flags.src;
    if (this.typeName === 'hash:ip' || this.typeName === 'hash:net') {
      e.ip = (src & 1) !== 0 ? p.ipSrc : p.ipDst;
    } else if (this.typeName === 'hash:net,port' || this.typeName === 'hash:ip,port') {
      if (!packetPort(p, (src & 2) !== 0, e)) return false;
      e.ip = (src & 1) !== 0 ? p.ipSrc : p.ipDst;
    } else {
      if (!packetPort(p, (src & 2) !== 0, e)) return false;
      e.ip = (src & 1) !== 0 ? p.ipSrc : p.ipDst;
      e.ip2 = (src & 4) !== 0 ? p.ipSrc : p.ipDst;
    }
    return this.testProbe(e, now, p.ipTotalLength());
  }

  flush(): void {
    for (const n of this.buckets) if (n !== null) for (let i = 0; i < n.pos; i++) if (n.used[i] === 1) this.ops.destroy(n.ext, i);
    this.buckets.fill(null);
    this.bucketMem = 0;
    this.elements = 0;
    this.cidrs.fill(0);
    this.cidrCount.fill(0);
  }

  /** mtype_same_set: what `create -exist` compares (resizing makes hashsize irrelevant). */
  sameAs(other: HashSet): boolean {
    return this.maxelem === other.maxelem && sameExt(this.ext, other.ext);
  }
}

export function sameExt(a: SetExtensions, b: SetExtensions): boolean {
  return a.timeout === b.timeout && a.counters === b.counters && a.comment === b.comment;
}

/** htable_bits for a requested hashsize: at least 64, rounded up to a power of two (fls(hashsize - 1)). */
export function hashBits(hashsize: number): number {
  const h = Math.max(hashsize, MIN_HASHSIZE);
  return 32 - Math.clz32(h - 1);
}

/**
 * ip_set_get_ip4_port: the port (or ICMP type/code) and protocol of a packet, as the hash types
 * read them; false when the packet has none to offer (the kernel's -EINVAL: no match).
 */
export function packetPort(p: Packet, src: boolean, e: Elem): boolean {
  const proto = p.ipProto;
  if (proto <= 0) return false;
  e.proto = proto;
  if (protoWithPorts(proto)) e.port = src ? p.sport : p.dport;
  else if (proto === IPPROTO_ICMP) e.port = ((p.icmpType & 0xff) << 8) | (p.icmpCode & 0xff);
  else e.port = 0;
  return true;
}
