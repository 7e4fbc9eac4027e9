/**
 * net.ipv4.vs.* of a namespace's IPVS, with the kernel's defaults (conntrack 0,
 * expire_nodest_conn 0, expire_quiescent_template 0, conn_reuse_mode 1). The keys exist as on
 * a node with ip_vs loaded; the ones dpsim does not model answer "not modelled".
 */
import { ipvsOf, type IpvsSysctls } from '../../ipvs/ipvs.js';
import type { NetNamespace } from '../../netns/namespace.js';
import type { SysctlLookup } from '../sysctl.js';

const MODELLED = ['conntrack', 'expire_nodest_conn', 'expire_quiescent_template', 'conn_reuse_mode'] as const;

const UNMODELLED = new Set([
  'am_droprate', 'amemthresh', 'backup_only', 'cache_bypass', 'debug_level', 'drop_entry', 'drop_packet', 'est_cpulist',
  'est_nice', 'ignore_tunneled', 'lblc_expiration', 'lblcr_expiration', 'nat_icmp_send', 'pmtu_disc', 'run_estimation',
  'schedule_icmp', 'secure_tcp', 'sloppy_sctp', 'sloppy_tcp', 'snat_reroute', 'sync_persist_mode', 'sync_ports',
  'sync_qlen_max', 'sync_refresh_period', 'sync_retries', 'sync_sock_size', 'sync_threshold', 'sync_version',
]);

/** Resolves net.ipv4.vs.KEY. */
export function resolveIpvsSysctl(ns: NetNamespace, parts: readonly string[]): SysctlLookup | null {
  if (parts[0] !== 'net' || parts[1] !== 'ipv4' || parts[2] !== 'vs') return null;
  if (parts.length === 3) return { kind: 'directory' };
  if (parts.length !== 4) return { kind: 'missing' };
  const key = parts[3]!;
  if ((MODELLED as readonly string[]).includes(key)) {
    const s: IpvsSysctls = ipvsOf(ns).sysctls;
    const k = key as (typeof MODELLED)[number];
    return {
      kind: 'modelled',
      binding: {
        read: () => s[k],
        write: (v) => {
          if (v < -0x80000000 || v > 0x7fffffff) return false;
          s[k] = v;
          return true;
        },
      },
    };
  }
  return UNMODELLED.has(key) ? { kind: 'unmodelled' } : { kind: 'missing' };
}
