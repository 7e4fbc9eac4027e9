/**
 * net.netfilter.* sysctls of a namespace's connection tracker, with this kernel's defaults
 * (6.18: nf_conntrack_max 262144, tcp_timeout_established 432000, udp_timeout 30,
 * udp_timeout_stream 120, icmp_timeout 30, generic_timeout 600 …). nf_conntrack_count is
 * read-only; keys the kernel has and dpsim does not model answer "not modelled".
 */
import { conntrackOf, type ConntrackSysctls } from '../../conntrack/conntrack.js';
import type { NetNamespace } from '../../netns/namespace.js';
import type { SysctlBinding, SysctlLookup } from '../sysctl.js';

const TCP_KEYS = ['', 'syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close'];

const UNMODELLED = new Set([
  'nf_conntrack_acct', 'nf_conntrack_checksum', 'nf_conntrack_events', 'nf_conntrack_expect_max',
  'nf_conntrack_frag6_high_thresh', 'nf_conntrack_frag6_low_thresh', 'nf_conntrack_frag6_timeout',
  'nf_conntrack_gre_timeout', 'nf_conntrack_gre_timeout_stream', 'nf_conntrack_icmpv6_timeout',
  'nf_conntrack_log_invalid', 'nf_conntrack_sctp_timeout_closed', 'nf_conntrack_sctp_timeout_cookie_echoed',
  'nf_conntrack_sctp_timeout_cookie_wait', 'nf_conntrack_sctp_timeout_established', 'nf_conntrack_sctp_timeout_heartbeat_sent',
  'nf_conntrack_sctp_timeout_shutdown_ack_sent', 'nf_conntrack_sctp_timeout_shutdown_recd', 'nf_conntrack_sctp_timeout_shutdown_sent',
  'nf_conntrack_tcp_ignore_invalid_rst', 'nf_conntrack_tcp_max_retrans', 'nf_conntrack_timestamp', 'nf_hooks_lwtunnel',
]);

function num(read: () => number, write: ((v: number) => void) | null, min = 0): SysctlBinding {
  return {
    read,
    write: (v) => {
      if (write === null || v < min || v > 0x7fffffff) return false;
      write(v);
      return true;
    },
  };
}

type Key = keyof ConntrackSysctls & `nf_${string}`;

/** Resolves net.netfilter.KEY in a namespace. */
export function resolveNetfilterSysctl(ns: NetNamespace, parts: readonly string[]): SysctlLookup | null {
  if (parts[0] !== 'net' || parts[1] !== 'netfilter') return null;
  if (parts.length === 2) return { kind: 'directory' };
  if (parts.length !== 3) return parts[2] === 'nf_log' ? { kind: 'unmodelled' } : { kind: 'missing' };
  const key = parts[2]!;
  const ct = conntrackOf(ns);
  const s = ct.sysctls;
  if (key === 'nf_conntrack_count') return { kind: 'modelled', binding: num(() => ct.table.count, null) };
  if (key === 'nf_conntrack_buckets') return { kind: 'modelled', binding: num(() => s.nf_conntrack_buckets, null) };
  const tcp = /^nf_conntrack_tcp_timeout_(\w+)$/.exec(key);
  if (tcp !== null) {
    const i = TCP_KEYS.indexOf(tcp[1]!);
    if (i > 0) return { kind: 'modelled', binding: num(() => s.tcp.byState[i]!, (v) => (s.tcp.byState[i] = v)) };
    if (tcp[1] === 'max_retrans') return { kind: 'modelled', binding: num(() => s.tcp.max_retrans, (v) => (s.tcp.max_retrans = v)) };
    if (tcp[1] === 'unacknowledged') return { kind: 'modelled', binding: num(() => s.tcp.unacknowledged, (v) => (s.tcp.unacknowledged = v)) };
    return { kind: 'missing' };
  }
  if (key in s && key.startsWith('nf_')) {
    const k = key as Key;
    return { kind: 'modelled', binding: num(() => s[k], (v) => (s[k] = v)) };
  }
  return UNMODELLED.has(key) ? { kind: 'unmodelled' } : { kind: 'missing' };
}
