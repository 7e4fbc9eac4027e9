/**
 * The names the IPVS proxier writes, as upstream's pkg/proxy/ipvs (proxier.go, ipset.go)
 * spells them: its ipsets (type and comment), its iptables chains, the jumps from the
 * built-in chains, and which set feeds which rule. Upstream commit
 * 121460defea7874f50c64bb8de51018a86c6eef3 (kubernetes/kubernetes, 2025).
 */

import type { JumpRule } from '../iptables/proxier.js';

/** The dummy device holding every service address (defaultDummyDevice). */
export const DUMMY_DEVICE = 'kube-ipvs0';
/** The scheduler when none is configured (defaultScheduler). */
export const DEFAULT_SCHEDULER = 'rr';

/** Set types kube-proxy uses (utilipset.Type). */
export type IpvsSetType = 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'bitmap:port';

/** One of kube-proxy's ipsets. */
export interface IpsetInfo {
  readonly name: string;
  readonly type: IpvsSetType;
  /** The comment kube-proxy's iptables rules carry for it. */
  readonly comment: string;
}

export const KUBE_LOOP_BACK = 'KUBE-LOOP-BACK';
export const KUBE_CLUSTER_IP = 'KUBE-CLUSTER-IP';
export const KUBE_EXTERNAL_IP = 'KUBE-EXTERNAL-IP';
export const KUBE_EXTERNAL_IP_LOCAL = 'KUBE-EXTERNAL-IP-LOCAL';
export const KUBE_LOAD_BALANCER_SET = 'KUBE-LOAD-BALANCER';
export const KUBE_LOAD_BALANCER_FW = 'KUBE-LOAD-BALANCER-FW';
export const KUBE_LOAD_BALANCER_LOCAL = 'KUBE-LOAD-BALANCER-LOCAL';
export const KUBE_LOAD_BALANCER_SOURCE_IP = 'KUBE-LOAD-BALANCER-SOURCE-IP';
export const KUBE_LOAD_BALANCER_SOURCE_CIDR = 'KUBE-LOAD-BALANCER-SOURCE-CIDR';
export const KUBE_NODE_PORT_TCP = 'KUBE-NODE-PORT-TCP';
export const KUBE_NODE_PORT_LOCAL_TCP = 'KUBE-NODE-PORT-LOCAL-TCP';
export const KUBE_NODE_PORT_UDP = 'KUBE-NODE-PORT-UDP';
export const KUBE_NODE_PORT_LOCAL_UDP = 'KUBE-NODE-PORT-LOCAL-UDP';
export const KUBE_NODE_PORT_SCTP = 'KUBE-NODE-PORT-SCTP-HASH';
export const KUBE_NODE_PORT_LOCAL_SCTP = 'KUBE-NODE-PORT-LOCAL-SCTP-HASH';
export const KUBE_HEALTH_CHECK_NODE_PORT = 'KUBE-HEALTH-CHECK-NODE-PORT';
export const KUBE_IPVS_IPS = 'KUBE-IPVS-IPS';

/** ipsetInfo: every set, in upstream's declaration order (which is also the creation order). */
export const IPSETS: readonly IpsetInfo[] = [
  { name: KUBE_LOOP_BACK, type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  { name: KUBE_CLUSTER_IP, type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  { name: KUBE_EXTERNAL_IP, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  { name: KUBE_EXTERNAL_IP_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  { name: KUBE_LOAD_BALANCER_SET, type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  { name: KUBE_LOAD_BALANCER_FW, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  { name: KUBE_LOAD_BALANCER_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  { name: KUBE_LOAD_BALANCER_SOURCE_IP, type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  { name: KUBE_LOAD_BALANCER_SOURCE_CIDR, type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  { name: KUBE_NODE_PORT_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  { name: KUBE_NODE_PORT_LOCAL_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  { name: KUBE_NODE_PORT_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  { name: KUBE_NODE_PORT_LOCAL_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  { name: KUBE_NODE_PORT_SCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  { name: KUBE_NODE_PORT_LOCAL_SCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  { name: KUBE_HEALTH_CHECK_NODE_PORT, type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { name: KUBE_IPVS_IPS, type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
];

/** The set called `name`. */
export function ipsetInfo(name: string): IpsetInfo {
  const s = IPSETS.find((x) => x.name === name);
  if (s === undefined) throw new RangeError(`no kube-proxy ipset ${name}`);
  return s;
}

/**
 * `ipset create NAME TYPE …` as utilipset.createSet words it (HashSize 1024, MaxElem 65536,
 * PortRange 0-65535; no comment extension: the comment lives in the iptables rules).
 */
export function createSetArgs(s: IpsetInfo): string {
  if (s.type === 'bitmap:port') return `${s.name} ${s.type} range 0-65535`;
  return `${s.name} ${s.type} family inet hashsize 1024 maxelem 65536`;
}

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_SOURCE_RANGES_FIREWALL = 'KUBE-SOURCE-RANGES-FIREWALL';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_NODE_PORT = 'KUBE-NODE-PORT';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_LOAD_BALANCER = 'KUBE-LOAD-BALANCER';
export const KUBE_IPVS_FILTER = 'KUBE-IPVS-FILTER';
export const KUBE_IPVS_OUT_FILTER = 'KUBE-IPVS-OUT-FILTER';

/** iptablesChains: the chains every sync declares (and so flushes), nat first. */
export const IPTABLES_CHAINS: readonly { readonly table: 'nat' | 'filter'; readonly chain: string }[] = [
  { table: 'nat', chain: KUBE_SERVICES },
  { table: 'nat', chain: KUBE_POSTROUTING },
  { table: 'nat', chain: KUBE_NODE_PORT },
  { table: 'nat', chain: KUBE_LOAD_BALANCER },
  { table: 'nat', chain: KUBE_MARK_MASQ },
  { table: 'filter', chain: KUBE_FORWARD },
  { table: 'filter', chain: KUBE_NODE_PORT },
  { table: 'filter', chain: KUBE_PROXY_FIREWALL },
  { table: 'filter', chain: KUBE_SOURCE_RANGES_FIREWALL },
  { table: 'filter', chain: KUBE_IPVS_FILTER },
  { table: 'filter', chain: KUBE_IPVS_OUT_FILTER },
];

function jump(table: 'nat' | 'filter', chain: string, target: string, comment: string): JumpRule {
  return { table, chain, target, args: ['-m', 'comment', '--comment', comment, '-j', target] };
}

/** iptablesJumpChain: each ensured at the top of its built-in chain on every sync, in this order. */
export const JUMP_RULES: readonly JumpRule[] = [
  jump('nat', 'OUTPUT', KUBE_SERVICES, 'kubernetes service portals'),
  jump('nat', 'PREROUTING', KUBE_SERVICES, 'kubernetes service portals'),
  jump('nat', 'POSTROUTING', KUBE_POSTROUTING, 'kubernetes postrouting rules'),
  jump('filter', 'FORWARD', KUBE_FORWARD, 'kubernetes forwarding rules'),
  jump('filter', 'INPUT', KUBE_NODE_PORT, 'kubernetes health check rules'),
  jump('filter', 'INPUT', KUBE_PROXY_FIREWALL, 'kube-proxy firewall rules'),
  jump('filter', 'FORWARD', KUBE_PROXY_FIREWALL, 'kube-proxy firewall rules'),
  jump('filter', 'INPUT', KUBE_IPVS_FILTER, 'kubernetes ipvs access filter'),
  jump('filter', 'OUTPUT', KUBE_IPVS_OUT_FILTER, 'kubernetes ipvs access filter'),
];

/**
 * ipsetWithIptablesChain: `-A FROM [-p PROTO] -m comment --comment "…" -m set --match-set SET
 * MATCH -j TO`, written when SET has entries. The local node-port sets come before their
 * masquerading counterparts.
 */
export const IPSET_RULES: readonly {
  readonly set: string;
  readonly table: 'nat' | 'filter';
  readonly from: string;
  readonly to: string;
  readonly match: string;
  readonly protocol: '' | 'tcp' | 'udp' | 'sctp';
}[] = [
  { set: KUBE_LOOP_BACK, table: 'nat', from: KUBE_POSTROUTING, to: 'MASQUERADE', match: 'dst,dst,src', protocol: '' },
  { set: KUBE_LOAD_BALANCER_SET, table: 'nat', from: KUBE_SERVICES, to: KUBE_LOAD_BALANCER, match: 'dst,dst', protocol: '' },
  { set: KUBE_LOAD_BALANCER_LOCAL, table: 'nat', from: KUBE_LOAD_BALANCER, to: 'RETURN', match: 'dst,dst', protocol: '' },
  { set: KUBE_NODE_PORT_LOCAL_TCP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', match: 'dst', protocol: 'tcp' },
  { set: KUBE_NODE_PORT_TCP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, match: 'dst', protocol: 'tcp' },
  { set: KUBE_NODE_PORT_LOCAL_UDP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', match: 'dst', protocol: 'udp' },
  { set: KUBE_NODE_PORT_UDP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, match: 'dst', protocol: 'udp' },
  { set: KUBE_NODE_PORT_LOCAL_SCTP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', match: 'dst,dst', protocol: 'sctp' },
  { set: KUBE_NODE_PORT_SCTP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, match: 'dst,dst', protocol: 'sctp' },
  { set: KUBE_LOAD_BALANCER_FW, table: 'filter', from: KUBE_PROXY_FIREWALL, to: KUBE_SOURCE_RANGES_FIREWALL, match: 'dst,dst', protocol: '' },
  { set: KUBE_LOAD_BALANCER_SOURCE_CIDR, table: 'filter', from: KUBE_SOURCE_RANGES_FIREWALL, to: 'RETURN', match: 'dst,dst,src', protocol: '' },
  { set: KUBE_LOAD_BALANCER_SOURCE_IP, table: 'filter', from: KUBE_SOURCE_RANGES_FIREWALL, to: 'RETURN', match: 'dst,dst,src', protocol: '' },
];
