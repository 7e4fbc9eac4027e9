/**
 * The MAC-keyed table both forwarding databases are built on (the bridge's FDB and a VXLAN
 * device's FDB): one entry per MAC address, kept on one list newest first because that is
 * the order the kernel dumps them in (both tables add new entries at the head of their
 * `fdb_list`; moving an entry to another port or remote keeps its place), and aged by one
 * quiet timer armed at the earliest expiry (the bridge's `gc_work`, the VXLAN `age_timer`).
 */
import type { Scheduler } from '../sim/scheduler.js';
import { Timer } from '../sim/timer.js';
import type { Packet } from '../packet/packet.js';

/** What every FDB entry has: its MAC, its place on the dump list, and when traffic last refreshed it. */
export abstract class FdbNode {
  /** Newer neighbour on the dump list (towards the head), or null at the head. */
  newer: this | null = null;
  /** Older neighbour on the dump list, or null at the tail. */
  older: this | null = null;
  /** Virtual time (ns) the entry was created or last confirmed as a source (f->updated). */
  updated: number;
  /** Virtual time (ns) a frame was last sent by it (f->used). */
  used: number;

  constructor(
    /** The 48-bit MAC address. */
    readonly mac: number,
    now: number,
  ) {
    this.updated = now;
    this.used = now;
  }

  /** Whether the entry ages out when not refreshed (learned, not static, permanent or local). */
  abstract get ages(): boolean;
}

/** The ageing timer of one table: fires at the earliest expiry and sends nothing. */
class FdbGcTimer<E extends FdbNode> extends Timer {
  constructor(private readonly table: FdbTable<E>) {
    super(true);
  }

  fire(): void {
    this.table.collectExpired();
  }
}

/** A MAC table with newest-first dump order and ageing on the virtual clock. */
export class FdbTable<E extends FdbNode> {
  private readonly byMac = new Map<number, E>();
  private head: E | null = null;
  private tail: E | null = null;
  private readonly gc: FdbGcTimer<E>;
  /** How long an ageing entry lives without being refreshed (ns). */
  ageingTime: number;

  constructor(
    private readonly scheduler: Scheduler<Packet>,
    ageingTime: number,
    /** Told about each entry the ageing timer removes, after it left the table. */
    private readonly onExpire: ((e: E) => void) | null = null,
  ) {
    this.ageingTime = ageingTime;
    this.gc = new FdbGcTimer(this);
  }

  /** Number of entries. */
  get size(): number {
    return this.byMac.size;
  }

  /** The entry for `mac`, or undefined. */
  get(mac: number): E | undefined {
    return this.byMac.get(mac);
  }

  /** Adds a new entry at the head of the dump list (the caller checked `mac` is not there). */
  insert(e: E): void {
    this.byMac.set(e.mac, e);
    e.newer = null;
    e.older = this.head;
    if (this.head !== null) this.head.newer = e;
    else this.tail = e;
    this.head = e;
    if (e.ages) this.armFor(e);
  }

  /** Removes an entry. */
  remove(e: E): void {
    if (this.byMac.get(e.mac) !== e) return;
    this.byMac.delete(e.mac);
    if (e.newer !== null) e.newer.older = e.older;
    else this.head = e.older;
    if (e.older !== null) e.older.newer = e.newer;
    else this.tail = e.newer;
    e.newer = null;
    e.older = null;
  }

  /** Records that traffic refreshed an entry now (its source was seen again). */
  refresh(e: E, now: number): void {
    e.updated = now;
    if (e.ages && !this.gc.armed) this.armFor(e);
  }

  /** Makes sure the ageing timer will look at `e` when it expires. */
  armFor(e: E): void {
    const at = e.updated + this.ageingTime;
    if (!this.gc.armed || this.gc.at > at) this.scheduler.armAt(this.gc, at);
  }

  /** Entries newest first, as the kernel dumps them. */
  *entries(): IterableIterator<E> {
    for (let e = this.head; e !== null; e = e.older) yield e;
  }

  /** Removes every entry for which `pred` holds. */
  removeWhere(pred: (e: E) => boolean): void {
    for (let e = this.head; e !== null; ) {
      const next = e.older;
      if (pred(e)) this.remove(e);
      e = next;
    }
  }

  /** Whether `e` has outlived the ageing time at `now` (has_expired). */
  expired(e: E, now: number): boolean {
    return e.ages && e.updated + this.ageingTime <= now;
  }

  /** The ageing pass (br_fdb_cleanup, vxlan_cleanup): drops expired entries, re-arms at the next expiry. */
  collectExpired(): void {
    const now = this.scheduler.now;
    let next = -1;
    for (let e = this.tail; e !== null; ) {
      const newer = e.newer;
      if (e.ages) {
        const at = e.updated + this.ageingTime;
        if (at <= now) {
          this.remove(e);
          if (this.onExpire !== null) this.onExpire(e);
        } else if (next < 0 || at < next) next = at;
      }
      e = newer;
    }
    if (next >= 0) this.scheduler.armAt(this.gc, next);
    else this.scheduler.cancel(this.gc);
  }

  /** A new ageing time applies to every entry at once (the kernel re-runs its cleanup). */
  setAgeingTime(ns: number): void {
    this.ageingTime = ns;
    this.scheduler.cancel(this.gc);
    for (let e = this.head; e !== null; e = e.older) if (e.ages) this.armFor(e);
  }

  /** Stops the ageing timer (the device went away). */
  stop(): void {
    this.scheduler.cancel(this.gc);
  }
}
