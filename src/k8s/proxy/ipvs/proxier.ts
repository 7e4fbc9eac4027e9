/**
 * The IPVS proxier: from a snapshot of Services and EndpointSlices (and the node's
 * addresses), what upstream's pkg/proxy/ipvs syncProxyRules programs on a node — the virtual
 * servers with their real servers, the addresses bound to kube-ipvs0, every ipset's entries,
 * and the iptables-restore text that uses the sets. Pure: apply.ts loads it through the
 * node's IPVS, ipset, address and iptables interfaces, diffing as upstream does.
 *
 * Facts follow upstream commit 121460defea7874f50c64bb8de51018a86c6eef3 (proxier.go,
 * ipset.go). Upstream walks Go maps; dpsim walks service ports in name order and
 * endpoints in "ip:port" order, so the result is deterministic.
 */

import { formatIPv4, networkOf, parseCidr, parseIPv4 } from '../../../packet/address.js';
import { IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED2 } from '../../../ipvs/service.js';
import { masqueradeMarkText, type ProxyConfig } from '../config.js';
import type { JumpRule } from '../iptables/proxier.js';
import { buildServicePorts, categorizeEndpoints, type ProxySnapshot, type ServicePortInfo, type Skipped } from '../service-ports.js';
import {
  DEFAULT_SCHEDULER,
  IPSET_RULES,
  IPSETS,
  IPTABLES_CHAINS,
  ipsetInfo,
  JUMP_RULES,
  KUBE_CLUSTER_IP,
  KUBE_EXTERNAL_IP,
  KUBE_EXTERNAL_IP_LOCAL,
  KUBE_FORWARD,
  KUBE_HEALTH_CHECK_NODE_PORT,
  KUBE_IPVS_FILTER,
  KUBE_IPVS_IPS,
  KUBE_IPVS_OUT_FILTER,
  KUBE_LOAD_BALANCER,
  KUBE_LOAD_BALANCER_FW,
  KUBE_LOAD_BALANCER_LOCAL,
  KUBE_LOAD_BALANCER_SET,
  KUBE_LOAD_BALANCER_SOURCE_CIDR,
  KUBE_LOAD_BALANCER_SOURCE_IP,
  KUBE_LOOP_BACK,
  KUBE_MARK_MASQ,
  KUBE_NODE_PORT,
  KUBE_NODE_PORT_LOCAL_SCTP,
  KUBE_NODE_PORT_LOCAL_TCP,
  KUBE_NODE_PORT_LOCAL_UDP,
  KUBE_NODE_PORT_SCTP,
  KUBE_NODE_PORT_TCP,
  KUBE_NODE_PORT_UDP,
  KUBE_POSTROUTING,
  KUBE_SERVICES,
  KUBE_SOURCE_RANGES_FIREWALL,
} from './names.js';

/** utilipvs.FlagSourceHash: the mh scheduler's "mh-port" flag kube-proxy sets. */
export const FLAG_SOURCE_HASH = IP_VS_SVC_F_SCHED2;

/** The IPVS proxier's settings: kube-proxy's, plus --ipvs-scheduler and --ipvs-strict-arp. */
export type IpvsProxyConfig = ProxyConfig & {
  /** --ipvs-scheduler ("" or absent: rr). */
  readonly scheduler?: string;
  /** --ipvs-strict-arp: set arp_ignore=1 and arp_announce=2 (off by default, as upstream). */
  readonly strictARP?: boolean;
};

/** One real server kube-proxy wants (weight 1). */
export interface RealServerSpec {
  readonly addr: number;
  readonly port: number;
  /** "ip:port" (upstream's RealServer.String()). */
  readonly text: string;
}

/** One virtual server kube-proxy wants. */
export interface VirtualServerSpec {
  /** "ip:port/PROTO" (upstream's VirtualServer.String()). */
  readonly key: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly addr: number;
  readonly port: number;
  readonly scheduler: string;
  /** IP_VS_SVC_F_PERSISTENT (ClientIP affinity) | FLAG_SOURCE_HASH (mh). */
  readonly flags: number;
  /** Persistence timeout, seconds (0 without affinity). */
  readonly timeout: number;
  /** Whether its address goes on kube-ipvs0. */
  readonly bind: boolean;
  readonly dests: readonly RealServerSpec[];
  /** The service port it belongs to ("ns/name:port"). */
  readonly servicePort: string;
  /** Which kind of address: ClusterIP, externalIP, LB ingress or NodePort. */
  readonly kind: 'cluster' | 'external' | 'loadbalancer' | 'nodeport';
}

/** What one sync wants on the node. */
export interface IpvsSyncResult {
  /** Virtual servers in the order the sync visits them. */
  readonly services: readonly VirtualServerSpec[];
  /** Addresses to keep on kube-ipvs0 (activeBindAddrs), sorted numerically. */
  readonly bindAddrs: readonly number[];
  /** Entries per set (upstream's Entry.String() text), each sorted as `ipset` would take them. */
  readonly sets: ReadonlyMap<string, readonly string[]>;
  /** The iptables-restore text (nat then filter), applied with --noflush. */
  readonly iptablesText: string;
  /** Jumps ensured in the built-in chains before the restore. */
  readonly jumps: readonly JumpRule[];
  /** Node addresses the NodePort virtual servers were made for. */
  readonly nodePortAddresses: readonly string[];
  /** Objects left out (IPv6, headless …) and rules dpsim cannot load, with the reason. */
  readonly skipped: readonly Skipped[];
  readonly full: boolean;
}

/** Options of one sync. */
export interface IpvsSyncOptions {
  /** Accepted for symmetry with the iptables proxier: every IPVS sync writes everything (upstream has no partial IPVS sync). */
  readonly full?: boolean;
  /**
   * The node's local IPv4 addresses outside kube-ipvs0 and loopback (upstream's
   * GetAllLocalAddressesExcept); default: the configuration's node IPs.
   */
  readonly nodeAddresses?: readonly string[];
  /**
   * Whether to write the `-m ipvs` rules of KUBE-IPVS-OUT-FILTER (LB IPs whose source ranges
   * exclude the node). Upstream always does; a caller whose iptables lacks the `ipvs` match
   * passes false and the rules are reported as skipped.
   */
  readonly ipvsMatch?: boolean;
}

function protoLower(p: 'TCP' | 'UDP' | 'SCTP'): 'tcp' | 'udp' | 'sctp' {
  return p === 'TCP' ? 'tcp' : p === 'UDP' ? 'udp' : 'sctp';
}

function cidrContains(cidr: string, addr: number): boolean {
  const c = parseCidr(cidr);
  return c !== null && networkOf(addr, c.prefixLen) === networkOf(c.addr, c.prefixLen);
}

function isLoopback(addr: number): boolean {
  return addr >>> 24 === 127;
}

/** Sort key of an ipset entry text: numbers compare numerically where they appear. */
function compareEntries(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The IPVS proxier of one node. */
export class IpvsProxier {
  readonly scheduler: string;
  private readonly markText: string;

  constructor(readonly cfg: IpvsProxyConfig) {
    this.scheduler = cfg.scheduler === undefined || cfg.scheduler === '' ? DEFAULT_SCHEDULER : cfg.scheduler;
    this.markText = masqueradeMarkText(cfg.masqueradeBit);
  }

  /** Computes what the node should hold for `snapshot`. Throws ProxyInputError on malformed objects. */
  sync(snapshot: ProxySnapshot, opts: IpvsSyncOptions = {}): IpvsSyncResult {
    const view = buildServicePorts(snapshot, this.cfg.nodeName);
    const skipped: Skipped[] = [...view.skipped];
    const nodeAddrTexts = (opts.nodeAddresses ?? this.cfg.nodeIPs).filter((a) => {
      const n = parseIPv4(a);
      if (n === null) throw new RangeError(`node address ${JSON.stringify(a)} is not an IPv4 address`);
      return !isLoopback(n);
    });
    const nodeAddressSet = new Set(nodeAddrTexts);
    const nodeIP = this.cfg.nodeIPs.length > 0 ? parseIPv4(this.cfg.nodeIPs[0]!) : null;

    const sets = new Map<string, Set<string>>();
    for (const s of IPSETS) sets.set(s.name, new Set());
    const add = (set: string, entry: string): void => {
      sets.get(set)!.add(entry);
    };
    const services: VirtualServerSpec[] = [];
    const bind = new Set<number>();
    const lbNoNodeAccess: { ip: string; protocol: string; port: number }[] = [];

    // NodePort addresses: every node address (match-all), or those in --nodeport-addresses.
    const hasNodePort = view.ports.some((sp) => sp.nodePort !== 0);
    let nodeIPs: string[] = [];
    if (hasNodePort) {
      if (this.cfg.nodePortAddresses.length === 0) nodeIPs = [...nodeAddressSet];
      else nodeIPs = nodeAddrTexts.filter((a) => this.cfg.nodePortAddresses.some((c) => cidrContains(c, parseIPv4(a)!)));
      nodeIPs.sort((a, b) => parseIPv4(a)! - parseIPv4(b)!);
    }

    for (const sp of view.ports) {
      const proto = protoLower(sp.protocol);
      for (const e of sp.endpoints) if (e.isLocal) add(KUBE_LOOP_BACK, `${e.ipText},${proto}:${e.port},${e.ipText}`);

      add(KUBE_CLUSTER_IP, `${sp.clusterIPText},${proto}:${sp.port}`);
      services.push(this.virtualServer(sp, sp.clusterIP, sp.port, true, sp.internalPolicyLocal, 'cluster'));
      bind.add(sp.clusterIP);

      for (const ext of sp.externalIPs) {
        const entry = `${ext},${proto}:${sp.port}`;
        add(sp.externalPolicyLocal ? KUBE_EXTERNAL_IP_LOCAL : KUBE_EXTERNAL_IP, entry);
        const shouldBind = !nodeAddressSet.has(ext);
        const addr = parseIPv4(ext)!;
        services.push(this.virtualServer(sp, addr, sp.port, shouldBind, sp.externalPolicyLocal, 'external'));
        if (shouldBind) bind.add(addr);
      }

      for (const ing of sp.loadBalancerVIPs) {
        const entry = `${ing},${proto}:${sp.port}`;
        add(KUBE_LOAD_BALANCER_SET, entry);
        if (sp.externalPolicyLocal) add(KUBE_LOAD_BALANCER_LOCAL, entry);
        if (sp.loadBalancerSourceRanges.length !== 0) {
          add(KUBE_LOAD_BALANCER_FW, entry);
          let allowFromNode = false;
          for (const cidr of sp.loadBalancerSourceRanges) {
            add(KUBE_LOAD_BALANCER_SOURCE_CIDR, `${ing},${proto}:${sp.port},${cidr}`);
            if (nodeIP !== null && cidrContains(cidr, nodeIP)) allowFromNode = true;
          }
          if (allowFromNode) add(KUBE_LOAD_BALANCER_SOURCE_IP, `${ing},${proto}:${sp.port},${ing}`);
          else lbNoNodeAccess.push({ ip: ing, protocol: proto, port: sp.port });
        }
        const shouldBind = !nodeAddressSet.has(ing);
        const addr = parseIPv4(ing)!;
        services.push(this.virtualServer(sp, addr, sp.port, shouldBind, sp.externalPolicyLocal, 'loadbalancer'));
        if (shouldBind) bind.add(addr);
      }

      if (sp.nodePort !== 0) {
        // Upstream skips the rest of this service port (health check too) without node IPs.
        if (nodeIPs.length === 0) continue;
        const entries = proto === 'sctp' ? nodeIPs.map((ip) => `${ip},sctp:${sp.nodePort}`) : [String(sp.nodePort)];
        const npSet = proto === 'tcp' ? KUBE_NODE_PORT_TCP : proto === 'udp' ? KUBE_NODE_PORT_UDP : KUBE_NODE_PORT_SCTP;
        for (const e of entries) add(npSet, e);
        if (sp.externalPolicyLocal) {
          const localSet = proto === 'tcp' ? KUBE_NODE_PORT_LOCAL_TCP : proto === 'udp' ? KUBE_NODE_PORT_LOCAL_UDP : KUBE_NODE_PORT_LOCAL_SCTP;
          for (const e of entries) add(localSet, e);
        }
        for (const ip of nodeIPs) services.push(this.virtualServer(sp, parseIPv4(ip)!, sp.nodePort, false, sp.externalPolicyLocal, 'nodeport'));
      }

      if (sp.healthCheckNodePort !== 0) add(KUBE_HEALTH_CHECK_NODE_PORT, String(sp.healthCheckNodePort));
    }

    const bindAddrs = [...bind].sort((a, b) => a - b);
    sets.set(KUBE_IPVS_IPS, new Set(bindAddrs.map(formatIPv4)));
    const sorted = new Map<string, readonly string[]>();
    for (const [name, s] of sets) {
      const type = ipsetInfo(name).type;
      const list = [...s];
      if (type === 'bitmap:port') list.sort((a, b) => Number(a) - Number(b));
      else list.sort(compareEntries);
      sorted.set(name, list);
    }

    const ipvsMatch = opts.ipvsMatch ?? true;
    if (!ipvsMatch) {
      for (const e of lbNoNodeAccess) {
        skipped.push({
          object: `${KUBE_IPVS_OUT_FILTER} rule for ${e.ip}:${e.port}/${e.protocol}`,
          reason: 'no `ipvs` match in this iptables: the node itself is not blocked from this load balancer IP',
        });
      }
    }
    const iptablesText = this.iptablesRules(sorted, ipvsMatch ? lbNoNodeAccess : []);
    return { services, bindAddrs, sets: sorted, iptablesText, jumps: JUMP_RULES, nodePortAddresses: nodeIPs, skipped, full: true };
  }

  /** One virtual server with the real servers syncEndpoint would give it. */
  private virtualServer(sp: ServicePortInfo, addr: number, port: number, bind: boolean, onlyNodeLocal: boolean, kind: VirtualServerSpec['kind']): VirtualServerSpec {
    let flags = 0;
    let timeout = 0;
    if (sp.sessionAffinityClientIP) {
      flags |= IP_VS_SVC_F_PERSISTENT;
      timeout = sp.stickyMaxAgeSeconds;
    }
    if (this.scheduler === 'mh') flags |= FLAG_SOURCE_HASH;
    const cat = categorizeEndpoints(sp);
    const eps = onlyNodeLocal ? (cat.local.length > 0 ? cat.local : cat.cluster) : cat.cluster;
    const dests = eps.map((e) => ({ addr: e.ip, port: e.port, text: e.endpoint }));
    return {
      key: `${formatIPv4(addr)}:${port}/${sp.protocol}`,
      protocol: sp.protocol,
      addr,
      port,
      scheduler: this.scheduler,
      flags,
      timeout,
      bind,
      dests,
      servicePort: sp.nameString,
      kind,
    };
  }

  /** writeIptablesRules: the nat and filter tables' text, with the chain declarations first. */
  private iptablesRules(sets: ReadonlyMap<string, readonly string[]>, lbNoNodeAccess: readonly { ip: string; protocol: string; port: number }[]): string {
    const nonEmpty = (name: string): boolean => sets.get(name)!.length > 0;
    const comment = (name: string): string => `"${ipsetInfo(name).comment}"`;
    const natChains = ['*nat'];
    const filterChains = ['*filter'];
    for (const c of IPTABLES_CHAINS) (c.table === 'nat' ? natChains : filterChains).push(`:${c.chain} - [0:0]`);
    const nat: string[] = [];
    const filter: string[] = [];
    const mark = this.markText;

    nat.push(`-A ${KUBE_SERVICES} -s 127.0.0.0/8 -j RETURN`);
    for (const r of IPSET_RULES) {
      if (!nonEmpty(r.set)) continue;
      const proto = r.protocol === '' ? '' : ` -p ${r.protocol}`;
      const line = `-A ${r.from}${proto} -m comment --comment ${comment(r.set)} -m set --match-set ${r.set} ${r.match} -j ${r.to}`;
      (r.table === 'filter' ? filter : nat).push(line);
    }
    if (nonEmpty(KUBE_CLUSTER_IP)) {
      const head = `-A ${KUBE_SERVICES} -m comment --comment ${comment(KUBE_CLUSTER_IP)} -m set --match-set ${KUBE_CLUSTER_IP}`;
      if (this.cfg.masqueradeAll) nat.push(`${head} dst,dst -j ${KUBE_MARK_MASQ}`);
      else if (this.cfg.clusterCIDR !== undefined) nat.push(`${head} dst,dst ! -s ${this.cfg.clusterCIDR} -j ${KUBE_MARK_MASQ}`);
      else nat.push(`${head} src,dst -j ${KUBE_MARK_MASQ}`);
    }
    const externalIPRules = (head: string): void => {
      nat.push(`${head} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`);
      nat.push(`${head} -m addrtype --dst-type LOCAL -j ACCEPT`);
    };
    if (nonEmpty(KUBE_EXTERNAL_IP)) {
      const head = `-A ${KUBE_SERVICES} -m comment --comment ${comment(KUBE_EXTERNAL_IP)} -m set --match-set ${KUBE_EXTERNAL_IP} dst,dst`;
      nat.push(`${head} -j ${KUBE_MARK_MASQ}`);
      externalIPRules(head);
    }
    if (nonEmpty(KUBE_EXTERNAL_IP_LOCAL)) {
      externalIPRules(`-A ${KUBE_SERVICES} -m comment --comment ${comment(KUBE_EXTERNAL_IP_LOCAL)} -m set --match-set ${KUBE_EXTERNAL_IP_LOCAL} dst,dst`);
    }
    nat.push(`-A ${KUBE_SERVICES} -m addrtype --dst-type LOCAL -j ${KUBE_NODE_PORT}`);
    nat.push(`-A ${KUBE_LOAD_BALANCER} -j ${KUBE_MARK_MASQ}`);
    filter.push(`-A ${KUBE_SOURCE_RANGES_FIREWALL} -j DROP`);
    for (const e of lbNoNodeAccess) {
      filter.push(`-A ${KUBE_IPVS_OUT_FILTER} -s ${e.ip} -m ipvs --vaddr ${e.ip} --vproto ${e.protocol} --vport ${e.port} -j DROP`);
    }
    // acceptIPVSTraffic: last in KUBE-SERVICES.
    for (const s of [KUBE_CLUSTER_IP, KUBE_LOAD_BALANCER_SET]) {
      if (nonEmpty(s)) nat.push(`-A ${KUBE_SERVICES} -m set --match-set ${s} dst,dst -j ACCEPT`);
    }
    filter.push(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
    filter.push(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    filter.push(
      `-A ${KUBE_NODE_PORT} -m comment --comment ${comment(KUBE_HEALTH_CHECK_NODE_PORT)} -m set --match-set ${KUBE_HEALTH_CHECK_NODE_PORT} dst -j ACCEPT`,
    );
    filter.push(`-A ${KUBE_IPVS_FILTER} -m set --match-set ${KUBE_LOAD_BALANCER_SET} dst,dst -j RETURN`);
    filter.push(`-A ${KUBE_IPVS_FILTER} -m set --match-set ${KUBE_CLUSTER_IP} dst,dst -j RETURN`);
    filter.push(`-A ${KUBE_IPVS_FILTER} -m set --match-set ${KUBE_EXTERNAL_IP} dst,dst -j RETURN`);
    filter.push(`-A ${KUBE_IPVS_FILTER} -m set --match-set ${KUBE_EXTERNAL_IP_LOCAL} dst,dst -j RETURN`);
    filter.push(`-A ${KUBE_IPVS_FILTER} -m set --match-set ${KUBE_HEALTH_CHECK_NODE_PORT} dst -j RETURN`);
    filter.push(`-A ${KUBE_IPVS_FILTER} -m conntrack --ctstate NEW -m set --match-set ${KUBE_IPVS_IPS} dst -j REJECT`);
    nat.push(`-A ${KUBE_POSTROUTING} -m mark ! --mark ${mark}/${mark} -j RETURN`);
    nat.push(`-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${mark}`);
    nat.push(`-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${this.cfg.randomFully ? ' --random-fully' : ''}`);
    nat.push(`-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}`);
    filter.push('COMMIT');
    nat.push('COMMIT');
    return [...natChains, ...nat, ...filterChains, ...filter].join('\n') + '\n';
  }
}

/** The sysctls NewProxier ensures, as `sysctl -w` keys and values, in upstream's order. */
export function ipvsSysctls(cfg: IpvsProxyConfig): readonly (readonly [string, number])[] {
  const out: [string, number][] = [
    ['net.ipv4.vs.conntrack', 1],
    // conn_reuse_mode is left as-is on kernels >= 5.9 (IPVSConnReuseModeFixedKernelVersion), as dpsim models.
    ['net.ipv4.vs.expire_nodest_conn', 1],
    ['net.ipv4.vs.expire_quiescent_template', 1],
    ['net.ipv4.ip_forward', 1],
  ];
  if (cfg.strictARP === true) out.push(['net.ipv4.conf.all.arp_ignore', 1], ['net.ipv4.conf.all.arp_announce', 2]);
  return out;
}
