/**
 * TCP connection tracking (nf_conntrack_proto_tcp.c): the state table Linux 6.x uses, the
 * reopen, ignore and RST rules of nf_conntrack_tcp_packet, ASSURED, and the per-state
 * timeouts. Window tracking (tcp_in_window) is not modelled: every segment counts as in
 * window, as with nf_conntrack_tcp_be_liberal=1 (out-of-window segments are never INVALID).
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet/packet.js';
import {
  IPS_ASSURED,
  IPS_SEEN_REPLY,
  IP_CT_TCP_FLAG_CLOSE_INIT,
  TCP_CONNTRACK_CLOSE,
  TCP_CONNTRACK_ESTABLISHED,
  TCP_CONNTRACK_FIN_WAIT,
  TCP_CONNTRACK_IGNORE,
  TCP_CONNTRACK_LAST_ACK,
  TCP_CONNTRACK_MAX,
  TCP_CONNTRACK_NONE,
  TCP_CONNTRACK_SYN_RECV,
  TCP_CONNTRACK_SYN_SENT,
  TCP_CONNTRACK_SYN_SENT2,
  TCP_CONNTRACK_TIME_WAIT,
  type Conn,
} from './conn.js';

/** Which flag set a segment counts as (enum tcp_bit_set). */
export const TCP_SYN_SET = 0;
export const TCP_SYNACK_SET = 1;
export const TCP_FIN_SET = 2;
export const TCP_ACK_SET = 3;
export const TCP_RST_SET = 4;
export const TCP_NONE_SET = 5;

/** get_conntrack_index */
export function tcpIndex(flags: number): number {
  if (flags & TCP_RST) return TCP_RST_SET;
  if (flags & TCP_SYN) return flags & TCP_ACK ? TCP_SYNACK_SET : TCP_SYN_SET;
  if (flags & TCP_FIN) return TCP_FIN_SET;
  if (flags & TCP_ACK) return TCP_ACK_SET;
  return TCP_NONE_SET;
}

const sSS = TCP_CONNTRACK_SYN_SENT, sSR = TCP_CONNTRACK_SYN_RECV, sES = TCP_CONNTRACK_ESTABLISHED;
const sFW = TCP_CONNTRACK_FIN_WAIT, sCW = 5, sLA = TCP_CONNTRACK_LAST_ACK, sTW = TCP_CONNTRACK_TIME_WAIT;
const sCL = TCP_CONNTRACK_CLOSE, sS2 = TCP_CONNTRACK_SYN_SENT2, sIV = TCP_CONNTRACK_MAX, sIG = TCP_CONNTRACK_IGNORE;

/** tcp_conntracks[dir][index][state] of Linux 6.x. */
const TABLE: readonly (readonly (readonly number[])[])[] = [
  [
    /* ORIGINAL  sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
    /* syn    */ [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    /* synack */ [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack    */ [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [
    /* REPLY     sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
    /* syn    */ [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
    /* synack */ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack    */ [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** The state a segment moves a connection to, before the special cases. */
export function tcpNextState(dir: number, index: number, state: number): number {
  return TABLE[dir]![index]![state]!;
}

/** net.netfilter.nf_conntrack_tcp_* settings, in seconds as sysctl shows them. */
export class TcpTimeouts {
  /** Indexed by TCP_CONNTRACK_*: NONE unused, SYN_SENT … SYN_SENT2. */
  readonly byState = [0, 120, 60, 432000, 120, 60, 30, 120, 10, 120];
  max_retrans = 300;
  unacknowledged = 300;
}

/** What tcpPacket decided. */
export const TCP_VERDICT_OK = 0;
/** The segment is INVALID: the packet goes on without a connection. */
export const TCP_VERDICT_INVALID = 1;
/** A SYN reopens a closed connection: kill it and look again (-NF_REPEAT). */
export const TCP_VERDICT_REPEAT = 2;
/** Kill the connection (an RST answered the first segment); the packet is accepted. */
export const TCP_VERDICT_KILL = 3;

/** tcp_new: whether a first segment may create a connection (SYN, or any ACK-bearing pickup when loose). */
export function tcpNew(conn: Conn, flags: number, loose: boolean): boolean {
  const state = tcpNextState(0, tcpIndex(flags), TCP_CONNTRACK_NONE);
  if (state >= TCP_CONNTRACK_MAX) return false;
  if (state !== TCP_CONNTRACK_SYN_SENT && !loose) return false;
  conn.tcpState = TCP_CONNTRACK_NONE;
  conn.tcpFlags0 = conn.tcpFlags1 = 0;
  conn.tcpLastIndex = TCP_NONE_SET;
  return true;
}

/**
 * nf_conntrack_tcp_packet without tcp_in_window: moves the state and returns a verdict;
 * `timeoutOut[0]` receives the new timeout in seconds when the verdict is OK.
 */
export function tcpPacket(conn: Conn, dir: number, flags: number, ack: number, endSeq: number, timeouts: TcpTimeouts, timeoutOut: Float64Array): number {
  const oldState = conn.tcpState;
  const index = tcpIndex(flags);
  let newState = tcpNextState(dir, index, oldState);
  let ignore = newState === TCP_CONNTRACK_IGNORE;
  if (newState === TCP_CONNTRACK_SYN_SENT && oldState >= TCP_CONNTRACK_TIME_WAIT) {
    // A SYN reopens a connection closed (by FIN) or aborted (RST from this side) …
    if (((conn.tcpFlags0 | conn.tcpFlags1) & IP_CT_TCP_FLAG_CLOSE_INIT) !== 0 || (conn.tcpLastDir === dir && conn.tcpLastIndex === TCP_RST_SET))
      return TCP_VERDICT_REPEAT;
    ignore = true; // … otherwise it is let through without a state change.
  }
  if (newState === TCP_CONNTRACK_MAX) return TCP_VERDICT_INVALID;
  if (ignore) {
    if (index === TCP_SYNACK_SET && conn.tcpLastIndex === TCP_SYN_SET && conn.tcpLastDir !== dir && ack === conn.tcpLastEnd) {
      // This SYN/ACK answers a SYN we ignored: both ends are in sync, get in sync with them.
      newState = TCP_CONNTRACK_SYN_RECV;
    } else {
      conn.tcpLastIndex = index;
      conn.tcpLastDir = dir;
      conn.tcpLastEnd = endSeq;
      timeoutOut[0] = -1; // accepted, state and timeout unchanged
      return TCP_VERDICT_OK;
    }
  }
  conn.tcpLastIndex = index;
  conn.tcpLastDir = dir;
  conn.tcpState = newState;
  if (oldState !== newState && newState === TCP_CONNTRACK_FIN_WAIT) {
    if (dir === 0) conn.tcpFlags0 |= IP_CT_TCP_FLAG_CLOSE_INIT;
    else conn.tcpFlags1 |= IP_CT_TCP_FLAG_CLOSE_INIT;
  }
  let timeout = index === TCP_RST_SET ? timeouts.byState[TCP_CONNTRACK_CLOSE]! : timeouts.byState[newState]!;
  if ((conn.status & IPS_SEEN_REPLY) === 0) {
    // Only an RST came back: not a connection worth keeping.
    if (flags & TCP_RST) return TCP_VERDICT_KILL;
    // A picked-up connection without a reply yet does not get the long ESTABLISHED timeout.
    if (newState === TCP_CONNTRACK_ESTABLISHED && timeout > timeouts.unacknowledged) timeout = timeouts.unacknowledged;
  } else if ((conn.status & IPS_ASSURED) === 0 && (oldState === TCP_CONNTRACK_SYN_RECV || oldState === TCP_CONNTRACK_ESTABLISHED) && newState === TCP_CONNTRACK_ESTABLISHED) {
    conn.status |= IPS_ASSURED;
  }
  timeoutOut[0] = timeout;
  return TCP_VERDICT_OK;
}

/** tcp_can_early_drop: closing states may be evicted even when assured. */
export function tcpCanEarlyDrop(conn: Conn): boolean {
  const s = conn.tcpState;
  return s === TCP_CONNTRACK_FIN_WAIT || s === TCP_CONNTRACK_LAST_ACK || s === TCP_CONNTRACK_TIME_WAIT || s === TCP_CONNTRACK_CLOSE || s === sCW;
}

