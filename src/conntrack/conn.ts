/**
 * A tracked connection (struct nf_conn): its two tuple hashes, status bits, per-protocol
 * state and expiry. A connection is its own quiet timer (an expiring entry sends nothing),
 * as the kernel embeds the timeout in nf_conn.
 */
import { Timer } from '../sim/timer.js';
import { IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY, Tuple } from './tuple.js';

/** Status bits (enum ip_conntrack_status). */
export const IPS_EXPECTED = 1 << 0;
export const IPS_SEEN_REPLY = 1 << 1;
export const IPS_ASSURED = 1 << 2;
export const IPS_CONFIRMED = 1 << 3;
export const IPS_SRC_NAT = 1 << 4;
export const IPS_DST_NAT = 1 << 5;
export const IPS_NAT_MASK = IPS_SRC_NAT | IPS_DST_NAT;
export const IPS_SRC_NAT_DONE = 1 << 7;
export const IPS_DST_NAT_DONE = 1 << 8;
export const IPS_NAT_DONE_MASK = IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;
export const IPS_DYING = 1 << 9;

/** TCP conntrack states (enum tcp_conntrack), in the kernel's order. */
export const TCP_CONNTRACK_NONE = 0;
export const TCP_CONNTRACK_SYN_SENT = 1;
export const TCP_CONNTRACK_SYN_RECV = 2;
export const TCP_CONNTRACK_ESTABLISHED = 3;
export const TCP_CONNTRACK_FIN_WAIT = 4;
export const TCP_CONNTRACK_CLOSE_WAIT = 5;
export const TCP_CONNTRACK_LAST_ACK = 6;
export const TCP_CONNTRACK_TIME_WAIT = 7;
export const TCP_CONNTRACK_CLOSE = 8;
export const TCP_CONNTRACK_SYN_SENT2 = 9;
export const TCP_CONNTRACK_MAX = 10;
export const TCP_CONNTRACK_IGNORE = 11;

/** tcp_conntrack_names, as /proc and conntrack -L print them. */
export const TCP_STATE_NAMES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'] as const;

/** One direction of a connection in the hash table (struct nf_conntrack_tuple_hash): a tuple and the chain link. */
export class TupleHash extends Tuple {
  /** The next entry in the same bucket (hlist_nulls). */
  next: TupleHash | null = null;
  constructor(
    readonly conn: Conn,
    readonly dir: number,
  ) {
    super();
  }
}

/** What the connection's timer calls when it runs out. */
export interface ConnOwner {
  expire(conn: Conn): void;
}

let nextConnId = 1;

/** A tracked connection (struct nf_conn). */
export class Conn extends Timer {
  /** The ctnetlink id (conntrack -L -o id). */
  readonly id = nextConnId++;
  readonly orig: TupleHash;
  readonly reply: TupleHash;
  status = 0;
  /** ct->mark */
  mark = 0;
  /**
   * Unconfirmed: the timeout (ns) to start at confirmation. Confirmed: the virtual time it
   * expires (ct->timeout). The timer fires no earlier; refreshes only move this stamp.
   */
  expires = 0;
  /** The out device a MASQUERADE binding belongs to (nat->masq_index), 0 if none. */
  masqIndex = 0;
  /** Insertion order, for listing (the kernel lists in hash order; dpsim in creation order). */
  prevAll: Conn | null = null;
  nextAll: Conn | null = null;

  // TCP (struct ip_ct_tcp), without window tracking.
  tcpState = TCP_CONNTRACK_NONE;
  tcpLastIndex = 5;
  tcpLastDir = 0;
  /** seen[dir].flags: IP_CT_TCP_FLAG_* per direction. */
  tcpFlags0 = 0;
  tcpFlags1 = 0;
  /** For the ignore-SYN/ACK resync: ack number the last ignored packet would need. */
  tcpLastEnd = 0;

  // UDP: when a two-way flow counts as a stream (ct->proto.udp.stream_ts).
  udpStreamTs = 0;

  constructor(readonly owner: ConnOwner) {
    super(true);
    this.orig = new TupleHash(this, IP_CT_DIR_ORIGINAL);
    this.reply = new TupleHash(this, IP_CT_DIR_REPLY);
  }

  /** The tuple hash of direction `dir`. */
  tuple(dir: number): TupleHash {
    return dir === IP_CT_DIR_ORIGINAL ? this.orig : this.reply;
  }

  get confirmed(): boolean {
    return (this.status & IPS_CONFIRMED) !== 0;
  }

  fire(): void {
    this.owner.expire(this);
  }
}

/** IP_CT_TCP_FLAG_* bits of seen[dir].flags that dpsim keeps. */
export const IP_CT_TCP_FLAG_CLOSE_INIT = 0x04;
