/**
 * The conntrack hash table (nf_conntrack_hash): confirmed connections by both tuples,
 * chained per bucket through `TupleHash.next`, looked up by five numbers with no
 * allocation. Also the table-wide list in creation order (for conntrack -L and -F).
 */
import type { Conn, TupleHash } from './conn.js';
import { hashTuple, type Tuple } from './tuple.js';

/** Buckets early_drop scans from the new tuple's bucket (NF_CT_EVICTION_RANGE). */
export const NF_CT_EVICTION_RANGE = 8;

export class ConntrackTable {
  private buckets: (TupleHash | null)[];
  private mask: number;
  /** Confirmed connections (nf_conntrack_count). */
  count = 0;
  private head: Conn | null = null;
  private tail: Conn | null = null;

  constructor(initialBuckets = 1024) {
    let n = 16;
    while (n < initialBuckets) n *= 2;
    this.buckets = new Array<TupleHash | null>(n).fill(null);
    this.mask = n - 1;
  }

  get bucketCount(): number {
    return this.buckets.length;
  }

  /** The bucket a tuple hashes to. */
  bucketOf(proto: number, src: number, dst: number, sport: number, dport: number): number {
    return hashTuple(proto, src, dst, sport, dport) & this.mask;
  }

  /**
   * The tuple hash matching exactly (either direction of a confirmed connection), or null.
   * An entry whose time is up (`expires <= now`) counts as gone, as nf_ct_is_expired makes it.
   */
  lookup(proto: number, src: number, dst: number, sport: number, dport: number, now: number): TupleHash | null {
    let h: TupleHash | null = this.buckets[hashTuple(proto, src, dst, sport, dport) & this.mask]!;
    while (h !== null) {
      if (h.src === src && h.dst === dst && h.sport === sport && h.dport === dport && h.proto === proto && h.conn.expires > now) return h;
      h = h.next;
    }
    return null;
  }

  /** nf_conntrack_tuple_taken: whether a live connection other than `ignored` has `t` as one of its tuples. */
  taken(t: Tuple, ignored: Conn | null, now: number): boolean {
    let h: TupleHash | null = this.buckets[hashTuple(t.proto, t.src, t.dst, t.sport, t.dport) & this.mask]!;
    while (h !== null) {
      if (h.conn !== ignored && h.src === t.src && h.dst === t.dst && h.sport === t.sport && h.dport === t.dport && h.proto === t.proto && h.conn.expires > now) return true;
      h = h.next;
    }
    return false;
  }

  /** Adds a connection under both its tuples (__nf_conntrack_hash_insert). */
  insert(conn: Conn): void {
    if (this.count >= this.buckets.length) this.grow();
    this.link(conn.orig);
    this.link(conn.reply);
    this.count++;
    conn.prevAll = this.tail;
    conn.nextAll = null;
    if (this.tail !== null) this.tail.nextAll = conn;
    else this.head = conn;
    this.tail = conn;
  }

  /** Removes a confirmed connection. */
  remove(conn: Conn): void {
    this.unlink(conn.orig);
    this.unlink(conn.reply);
    this.count--;
    if (conn.prevAll !== null) conn.prevAll.nextAll = conn.nextAll;
    else this.head = conn.nextAll;
    if (conn.nextAll !== null) conn.nextAll.prevAll = conn.prevAll;
    else this.tail = conn.prevAll;
    conn.prevAll = conn.nextAll = null;
  }

  private link(h: TupleHash): void {
    const b = hashTuple(h.proto, h.src, h.dst, h.sport, h.dport) & this.mask;
    h.next = this.buckets[b]!;
    this.buckets[b] = h;
  }

  private unlink(h: TupleHash): void {
    const b = hashTuple(h.proto, h.src, h.dst, h.sport, h.dport) & this.mask;
    let p: TupleHash | null = this.buckets[b]!;
    if (p === h) {
      this.buckets[b] = h.next;
      h.next = null;
      return;
    }
    while (p !== null && p.next !== h) p = p.next;
    if (p !== null) p.next = h.next;
    h.next = null;
  }

  private grow(): void {
    const old = this.buckets;
    this.buckets = new Array<TupleHash | null>(old.length * 2).fill(null);
    this.mask = this.buckets.length - 1;
    for (let c = this.head; c !== null; c = c.nextAll) {
      this.link(c.orig);
      this.link(c.reply);
    }
  }

  /** The connections of bucket `b` (for early drop), original directions only. */
  *bucket(b: number): Generator<Conn> {
    for (let h: TupleHash | null = this.buckets[b & this.mask]!; h !== null; h = h.next) if (h.dir === 0) yield h.conn;
  }

  /** Every confirmed connection in creation order. */
  *all(): Generator<Conn> {
    for (let c = this.head; c !== null; ) {
      const next = c.nextAll;
      yield c;
      c = next;
    }
  }
}
