/**
 * Entries as conntrack-tools 1.4.7 prints them (libnetfilter_conntrack's default output):
 *   tcp      6 431999 ESTABLISHED src=… dst=… sport=… dport=… src=… … [ASSURED] mark=0 use=1
 * `%-8s %u %u ` for protocol name, number and seconds left; the TCP state; the original
 * tuple; `[UNREPLIED]` before the reply tuple when no reply was seen; `[ASSURED]` after it.
 */
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../packet/packet.js';
import { IPS_ASSURED, IPS_SEEN_REPLY, TCP_STATE_NAMES, type Conn } from './conn.js';
import type { Tuple } from './tuple.js';

/** The name conntrack prints for a protocol number (/etc/protocols). */
export function protoName(proto: number): string {
  switch (proto) {
    case IPPROTO_TCP: return 'tcp';
    case IPPROTO_UDP: return 'udp';
    case IPPROTO_ICMP: return 'icmp';
    case 47: return 'gre';
    case 132: return 'sctp';
    default: return 'unknown';
  }
}

function ip(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function tupleText(t: Tuple): string {
  let s = `src=${ip(t.src)} dst=${ip(t.dst)} `;
  if (t.proto === IPPROTO_TCP || t.proto === IPPROTO_UDP) s += `sport=${t.sport} dport=${t.dport} `;
  else if (t.proto === IPPROTO_ICMP) s += `type=${t.dport >>> 8} code=${t.dport & 255} id=${t.sport} `;
  return s;
}

/** One `conntrack -L` line (without newline); `extended` prefixes `ipv4     2 ` as `-o extended` does. */
export function formatConn(conn: Conn, secondsLeft: number, extended = false): string {
  const proto = conn.orig.proto;
  let s = extended ? 'ipv4     2 ' : '';
  s += `${protoName(proto).padEnd(8)} ${proto} ${secondsLeft} `;
  if (proto === IPPROTO_TCP) s += `${TCP_STATE_NAMES[conn.tcpState]} `;
  s += tupleText(conn.orig);
  if ((conn.status & IPS_SEEN_REPLY) === 0) s += '[UNREPLIED] ';
  s += tupleText(conn.reply);
  if (conn.status & IPS_ASSURED) s += '[ASSURED] ';
  s += `mark=${conn.mark} use=1`;
  return s;
}
