/**
 * The kernel and tool time an IPVS sync costs a real node, charged on the virtual clock.
 * Upstream's IPVS proxier execs the `ipset` binary once per set operation (create -exist and
 * list for all 17 sets on every sync, then one add or del per changed entry) and `iptables`
 * once per EnsureChain/EnsureRule; it talks netlink directly for IPVS and addresses; and it
 * loads its rules with one iptables-restore (priced by restore-cost.ts).
 *
 * Measured on this machine (2 shared cores, kernel 6.x, iptables 1.8.9 nft, ipset 7.17), in a
 * private `unshare --mount --net` namespace, 2025: 200 × `ipset add SET IP,tcp:PORT -exist`
 * took 4.06 ms each (fork+exec dominates; the kernel part, from a 500-entry `ipset restore`,
 * is 34 µs); 50 × `iptables -t nat -C OUTPUT -j ACCEPT` took 2.96 ms each; 500 address adds
 * through `ip -batch` took 43 µs each, which dpsim also charges for each IPVS netlink request
 * (this kernel has no ip_vs module to time IPVS itself).
 */

import { restoreCostNs } from '../restore-cost.js';
import type { IpvsOpCounts } from './apply.js';

/** One `ipset` command execution, ns. */
export const IPSET_EXEC_NS = 4_060_000;
/** One `iptables` command execution, ns. */
export const IPTABLES_EXEC_NS = 2_960_000;
/** One netlink request (IPVS or address), ns. */
export const NETLINK_NS = 43_000;

/** The modelled time (ns) of a sync that issues `ops` and restores `iptablesText`. */
export function ipvsSyncCostNs(ops: IpvsOpCounts, iptablesText: string, flavour: 'nft' | 'legacy' = 'nft'): number {
  return ops.ipsetExecs * IPSET_EXEC_NS + ops.iptablesExecs * IPTABLES_EXEC_NS + ops.netlink * NETLINK_NS + restoreCostNs(iptablesText, flavour);
}
