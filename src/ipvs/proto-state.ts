/**
 * Per-protocol connection states and timeouts of IPVS (ip_vs_proto_tcp.c, ip_vs_proto_udp.c):
 * IPVS's own TCP state machine, driven by the flags of packets in each direction (INPUT from
 * the client, OUTPUT from the real server, INPUT-ONLY for connections whose replies do not
 * pass the director), and the default timeout of each state.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet/packet.js';

export const IP_VS_TCP_S_NONE = 0;
export const IP_VS_TCP_S_ESTABLISHED = 1;
export const IP_VS_TCP_S_SYN_SENT = 2;
export const IP_VS_TCP_S_SYN_RECV = 3;
export const IP_VS_TCP_S_FIN_WAIT = 4;
export const IP_VS_TCP_S_TIME_WAIT = 5;
export const IP_VS_TCP_S_CLOSE = 6;
export const IP_VS_TCP_S_CLOSE_WAIT = 7;
export const IP_VS_TCP_S_LAST_ACK = 8;
export const IP_VS_TCP_S_LISTEN = 9;
export const IP_VS_TCP_S_SYNACK = 10;
export const IP_VS_TCP_S_LAST = 11;

/** tcp_state_name_table */
export const TCP_STATE_NAMES = ['NONE', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'SYNACK'] as const;

/** Default TCP timeouts in seconds, by state (tcp_timeouts). */
export const TCP_TIMEOUTS = [2, 15 * 60, 2 * 60, 60, 2 * 60, 2 * 60, 10, 60, 30, 2 * 60, 120] as const;
/** Default UDP timeout in seconds (udp_timeouts[IP_VS_UDP_S_NORMAL]). */
export const UDP_TIMEOUT = 5 * 60;

/** Directions of a packet relative to a connection (IP_VS_DIR_*). */
export const IP_VS_DIR_INPUT = 0;
export const IP_VS_DIR_OUTPUT = 1;
export const IP_VS_DIR_INPUT_ONLY = 2;

const sES = 1, sSS = 2, sSR = 3, sFW = 4, sTW = 5, sCL = 6, sCW = 7, sLA = 8, sLI = 9;

/** tcp_states: rows INPUT (syn, fin, ack, rst), OUTPUT (…), INPUT-ONLY (…); columns the current state. */
const TCP_STATES: readonly (readonly number[])[] = [
  // INPUT
  [sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR],
  [sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW],
  [sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES],
  [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR],
  // OUTPUT
  [sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR],
  [sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW],
  [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES],
  [sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL],
  // INPUT-ONLY
  [sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR],
  [sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW],
  [sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES],
  [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL],
];

/** tcp_state_idx: rst, then syn, fin, ack; -1 for none of them. */
function tcpStateIdx(flags: number): number {
  if (flags & TCP_RST) return 3;
  if (flags & TCP_SYN) return 0;
  if (flags & TCP_FIN) return 1;
  if (flags & TCP_ACK) return 2;
  return -1;
}

/** The next TCP state for a packet with `flags` in direction `dir` (set_tcp_state's table walk); CLOSE when no flag applies. */
export function nextTcpState(state: number, dir: number, flags: number): number {
  const idx = tcpStateIdx(flags);
  if (idx < 0) return IP_VS_TCP_S_CLOSE;
  return TCP_STATES[dir * 4 + idx]![state]!;
}
