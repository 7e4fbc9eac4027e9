/**
 * kube-proxy's configuration as dpsim models it, with upstream's defaults
 * (KubeProxyConfiguration v1alpha1 defaults and the iptables proxier's constants).
 */

import { parseCidr, parseIPv4 } from '../../packet/address.js';

/** Which kube-proxy's rules to write: today's upstream proxier, or v1.12 as the talk shows it. */
export type RuleGeneration = 'current' | '1.12';

/** A kube-proxy's settings. */
export interface ProxyConfig {
  /** This node's name (endpoints with this nodeName are local). */
  readonly nodeName: string;
  /** This node's IPs (the first is upstream's nodeIP, used by LB source-range checks). */
  readonly nodeIPs: readonly string[];
  /** --cluster-cidr: the local-traffic detector's pod range; undefined = detector not implemented. */
  readonly clusterCIDR: string | undefined;
  /** --masquerade-all. */
  readonly masqueradeAll: boolean;
  /** --iptables-masquerade-bit (14). */
  readonly masqueradeBit: number;
  /** --nodeport-addresses CIDRs; empty = every local address (match all). */
  readonly nodePortAddresses: readonly string[];
  /** --iptables-localhost-nodeports (true). */
  readonly localhostNodePorts: boolean;
  readonly generation: RuleGeneration;
  /** --iptables-min-sync-period (1 s). */
  readonly minSyncPeriodMs: number;
  /** --iptables-sync-period (30 s): the canary poll interval (and v1.12's periodic sync). */
  readonly syncPeriodMs: number;
  /** nf_conntrack_tcp_be_liberal is set: no INVALID drop rule. */
  readonly conntrackTcpBeLiberal: boolean;
  /** The kernel has nfacct: the INVALID drop and localhost NodePort rules count into nfacct objects. */
  readonly nfacct: boolean;
  /** iptables supports --random-fully on MASQUERADE (off: dpsim models a kernel/iptables without it). */
  readonly randomFully: boolean;
  /** Endpoints past which the proxier drops per-endpoint comments (upstream: 1000). */
  readonly largeClusterEndpointsThreshold: number;
}

/** Upstream's FullSyncPeriod: the current proxier resyncs everything at least hourly. */
export const FULL_SYNC_PERIOD_MS = 60 * 60 * 1000;

/** A configuration with upstream's defaults for everything `partial` leaves out. Throws on bad values. */
export function defaultProxyConfig(partial: Partial<ProxyConfig> & { nodeName: string }): ProxyConfig {
  const cfg: ProxyConfig = {
    nodeName: partial.nodeName,
    nodeIPs: partial.nodeIPs ?? [],
    clusterCIDR: partial.clusterCIDR,
    masqueradeAll: partial.masqueradeAll ?? false,
    masqueradeBit: partial.masqueradeBit ?? 14,
    nodePortAddresses: partial.nodePortAddresses ?? [],
    localhostNodePorts: partial.localhostNodePorts ?? true,
    generation: partial.generation ?? 'current',
    minSyncPeriodMs: partial.minSyncPeriodMs ?? 1000,
    syncPeriodMs: partial.syncPeriodMs ?? 30000,
    conntrackTcpBeLiberal: partial.conntrackTcpBeLiberal ?? false,
    nfacct: partial.nfacct ?? true,
    randomFully: partial.randomFully ?? false,
    largeClusterEndpointsThreshold: partial.largeClusterEndpointsThreshold ?? 1000,
  };
  if (cfg.nodeName === '') throw new RangeError('nodeName must not be empty');
  for (const ip of cfg.nodeIPs) if (parseIPv4(ip) === null) throw new RangeError(`node IP ${JSON.stringify(ip)} is not an IPv4 address`);
  if (cfg.clusterCIDR !== undefined && parseCidr(cfg.clusterCIDR) === null) throw new RangeError(`cluster CIDR ${JSON.stringify(cfg.clusterCIDR)} is not an IPv4 CIDR`);
  for (const c of cfg.nodePortAddresses) if (parseCidr(c) === null) throw new RangeError(`nodeport address ${JSON.stringify(c)} is not an IPv4 CIDR`);
  if (!Number.isInteger(cfg.masqueradeBit) || cfg.masqueradeBit < 0 || cfg.masqueradeBit > 31) throw new RangeError(`masquerade bit ${cfg.masqueradeBit} is not 0..31`);
  if (cfg.generation !== 'current' && cfg.generation !== '1.12') throw new RangeError(`kube-proxy version ${JSON.stringify(cfg.generation)} is not 1.12 or current`);
  if (!(cfg.minSyncPeriodMs >= 0) || !(cfg.syncPeriodMs > 0)) throw new RangeError('sync periods must be positive');
  return cfg;
}

/** The mark text kube-proxy writes: Go's fmt "%#08x" of 1<<bit ("0x00004000" for bit 14). */
export function masqueradeMarkText(bit: number): string {
  return '0x' + (2 ** bit).toString(16).padStart(8, '0');
}
