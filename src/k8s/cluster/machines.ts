/**
 * The machines of a cluster before Kubernetes runs on them: every node a network namespace
 * with its underlay NIC on one L2 segment, a default route to the segment's gateway,
 * docker0 (down, no ports, as a kubeadm node with Docker has it), flannel's VXLAN device,
 * cni0 and flannel's iptables rules; the gateway (a router namespace holding the segment's
 * bridge) and an external client behind it, for traffic from outside the cluster.
 */
import type { Network } from '../../netns/network.js';
import type { NetNamespace } from '../../netns/namespace.js';
import { newRoute, RTPROT_BOOT } from '../../netns/route-table.js';
import { addBridge, type BridgeDevice } from '../../bridge/bridge.js';
import { applyRestore } from '../proxy/iptables/apply.js';
import { programFlannel, type FlannelNode } from '../flannel/program.js';
import { startFlannelIptables } from '../flannel/ensure.js';
import { dockerRestoreText } from './docker.js';
import type { FlannelLease } from '../flannel/lease.js';
import { HostLocalIpam } from '../cni/host-local.js';
import type { BridgeNetConf } from '../cni/bridge-plugin.js';
import type { Cidr, ClusterConfig, NodeConfig } from './config.js';
import { formatIPv4, parseIPv4 } from '../../packet/address.js';

/** flannel's VXLAN overhead: the pod MTU is the underlay's minus this. */
export const VXLAN_OVERHEAD = 50;

export interface ClusterNode {
  config: NodeConfig;
  ns: NetNamespace;
  podCIDR: Cidr;
  lease: FlannelLease;
  flannel: FlannelNode;
  /** The bridge plugin's configuration on this node (flannel's subnet.env made into a bridge conf). */
  cni: BridgeNetConf;
}

export interface Machines {
  gateway: NetNamespace;
  external: NetNamespace;
  nodes: ClusterNode[];
}

/** Interface names are at most 15 bytes (IFNAMSIZ − 1). */
function ifname(prefix: string, name: string): string {
  return `${prefix}${name}`.slice(0, 15);
}

/** The pod CIDR of every node: pinned ones kept, the others the next free /24s of the cluster CIDR in node order (node IPAM). */
export function assignPodCIDRs(cfg: ClusterConfig): Cidr[] {
  const used = new Set(cfg.nodes.filter((n) => n.podCIDR !== null).map((n) => n.podCIDR!.addr));
  const count = 2 ** (24 - cfg.clusterCIDR.prefixLen);
  let next = 0;
  return cfg.nodes.map((n) => {
    if (n.podCIDR !== null) return n.podCIDR;
    for (; next < count; next++) {
      const addr = (cfg.clusterCIDR.addr + next * 256) >>> 0;
      if (used.has(addr)) continue;
      used.add(addr);
      next++;
      return { addr, prefixLen: 24, text: `${formatIPv4(addr)}/24` };
    }
    throw new Error(`${cfg.file}: the cluster CIDR ${cfg.clusterCIDR.text} has no /24 left for node ${n.name}`);
  });
}

/** Builds the machines into `net`. */
export function buildMachines(net: Network, cfg: ClusterConfig): Machines {
  const gateway = net.addNamespace('gateway')!;
  gateway.loopbackUp();
  gateway.enableForwarding();
  const segment: BridgeDevice = addBridge(gateway, 'vcn0');
  gateway.setMtu(segment, cfg.underlay.mtu);
  gateway.addAddress(segment, cfg.underlay.gateway, cfg.underlay.subnet.prefixLen);
  gateway.setUp(segment);

  const external = net.addNamespace('external')!;
  external.loopbackUp();
  const [gwExt, extEth] = gateway.addVethPair('ext0', 'eth0', external);
  const extGw = (cfg.external.subnet.addr + 1) >>> 0;
  gateway.addAddress(gwExt, extGw, cfg.external.subnet.prefixLen);
  gateway.setUp(gwExt);
  external.addAddress(extEth, cfg.external.address, cfg.external.subnet.prefixLen);
  external.setUp(extEth);
  external.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: extGw, oif: extEth.ifindex, protocol: RTPROT_BOOT }));

  const podCIDRs = assignPodCIDRs(cfg);
  const leases: FlannelLease[] = [];
  const made: { ns: NetNamespace; config: NodeConfig; podCIDR: Cidr }[] = [];
  cfg.nodes.forEach((node, i) => {
    const ns = net.addNamespace(node.name)!;
    ns.loopbackUp();
    const [nic, port] = ns.addVethPair(cfg.underlay.device, ifname('v-', node.name), gateway);
    ns.setMtu(nic, cfg.underlay.mtu);
    gateway.setMtu(port, cfg.underlay.mtu);
    segment.enslave(port);
    gateway.setUp(port);
    ns.addAddress(nic, node.address, cfg.underlay.subnet.prefixLen);
    ns.setUp(nic);
    ns.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: cfg.underlay.gateway, oif: nic.ifindex, protocol: RTPROT_BOOT }));
    if (cfg.docker0) {
      const docker0 = addBridge(ns, 'docker0');
      ns.addAddress(docker0, parseIPv4('172.17.0.1')!, 16);
      ns.setUp(docker0);
      applyRestore(ns, dockerRestoreText());
    }
    const podCIDR = podCIDRs[i]!;
    leases.push({ subnet: podCIDR.addr, prefixLen: podCIDR.prefixLen, publicIp: node.address, vtepMac: net.randomMac() });
    made.push({ ns, config: node, podCIDR });
  });

  // flanneld on each node: its own lease, then every other node's (a watch of the others' leases).
  const nodes = made.map(({ ns, config, podCIDR }, i): ClusterNode => {
    const lease = leases[i]!;
    const flannel = programFlannel(ns, lease, leases.filter((_, j) => j !== i), { underlay: cfg.underlay.device });
    startFlannelIptables(ns, net.scheduler, cfg.clusterCIDR, podCIDR);
    const podMtu = cfg.underlay.mtu - VXLAN_OVERHEAD;
    const gw = (podCIDR.addr + 1) >>> 0;
    const cni: BridgeNetConf = {
      bridge: flannel.bridge,
      ipam: new HostLocalIpam(podCIDR.addr, podCIDR.prefixLen, gw),
      mtu: podMtu,
      hairpinMode: true,
      isDefaultGateway: true,
      routes: [{ dst: cfg.clusterCIDR.addr, prefixLen: cfg.clusterCIDR.prefixLen }],
    };
    return { config, ns, podCIDR, lease, flannel, cni };
  });
  return { gateway, external, nodes };
}
