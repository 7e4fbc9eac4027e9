/**
 * The state some extensions keep between packets, per namespace: xt_recent's address lists,
 * the statistic match's nth counters, the limit match's token buckets, and the packets a
 * TRACE target marked (skb->nf_trace). Match data stays plain and immutable; the state hangs
 * beside it, keyed by the match object, as the kernel keeps it in the match's private area.
 */
import type { Packet } from '../packet/packet.js';
import type { LimitMatch, StatisticMatch } from './matches.js';

/** ip_pkt_list_tot: timestamps kept per address. */
export const RECENT_PKT_LIST_TOT = 20;
/** ip_list_tot: addresses kept per list (the oldest is forgotten beyond it). */
export const RECENT_LIST_TOT = 100;

/** One address of an xt_recent list (struct recent_entry). */
export class RecentEntry {
  /** Virtual times (ns) the address was seen, a ring of RECENT_PKT_LIST_TOT. */
  readonly stamps: number[] = [];
  /** Next slot of the ring. */
  index = 0;
  ttl = 0;
  constructor(readonly addr: number) {}

  /** recent_entry_update: one more timestamp. */
  update(now: number): void {
    this.index %= RECENT_PKT_LIST_TOT;
    this.stamps[this.index++] = now;
  }

  /** The newest timestamp. */
  get last(): number {
    return this.stamps[this.index - 1]!;
  }
}

/** One `--name` list of xt_recent: entries by address, in least-recently-updated order (Map insertion order). */
export class RecentTable {
  readonly entries = new Map<number, RecentEntry>();

  /** recent_entry_init: a new entry (evicting the least recently updated one when full). */
  add(addr: number, now: number, ttl: number): RecentEntry {
    if (this.entries.size >= RECENT_LIST_TOT) {
      const oldest = this.entries.keys().next().value as number;
      this.entries.delete(oldest);
    }
    const e = new RecentEntry(addr);
    e.stamps.push(now);
    e.index = 1;
    e.ttl = ttl;
    this.entries.set(addr, e);
    return e;
  }

  /** Moves an entry to the most-recently-updated end (list_move_tail on the LRU list). */
  touch(e: RecentEntry): void {
    this.entries.delete(e.addr);
    this.entries.set(e.addr, e);
  }
}

/** A limit match's bucket (struct xt_limit_priv): previous jiffies and credit. */
export interface LimitBucket {
  prev: number;
  credit: number;
  creditCap: number;
  cost: number;
}

/** Everything the extensions of one namespace remember. */
export class ExtensionState {
  readonly recent = new Map<string, RecentTable>();
  /** The statistic match's nth counter (info->master->count). */
  readonly nth = new WeakMap<StatisticMatch, { count: number }>();
  readonly limits = new WeakMap<LimitMatch, LimitBucket>();
  /** Packets a TRACE target marked. */
  readonly traced = new WeakSet<Packet>();

  /** The list named `name`, created on first use (as checkentry creates it). */
  recentTable(name: string): RecentTable {
    let t = this.recent.get(name);
    if (t === undefined) {
      t = new RecentTable();
      this.recent.set(name, t);
    }
    return t;
  }
}
