/**
 * The CNI bridge plugin as flannel's CNI plugin drives it (flannel writes a bridge config
 * from /run/flannel/subnet.env: bridge cni0, `isGateway`, `isDefaultGateway`, `hairpinMode`,
 * the flannel MTU, host-local IPAM over the node's subnet with a route to the whole cluster
 * network). ADD: a veth pair `vethXXXXXXXX` (8 random hex digits, ip.RandomVethName) on the
 * node with `eth0` in the pod's namespace, the host end on the bridge with hairpin on, the
 * address from IPAM, routes `<cluster net> via .1` and `default via .1`. DEL undoes it.
 */
import type { NetNamespace } from '../../netns/namespace.js';
import type { VethDevice } from '../../netns/device.js';
import { newRoute, RTPROT_BOOT } from '../../netns/route-table.js';
import type { BridgeDevice } from '../../bridge/bridge.js';
import { bridgePortOf } from '../../bridge/bridge.js';
import type { HostLocalIpam } from './host-local.js';

/** The network configuration flannel hands the bridge plugin. */
export interface BridgeNetConf {
  bridge: BridgeDevice;
  ipam: HostLocalIpam;
  mtu: number;
  hairpinMode: boolean;
  isDefaultGateway: boolean;
  /** Extra routes in the pod (flannel: the cluster network), via the gateway. */
  routes: readonly { dst: number; prefixLen: number }[];
}

/** What ADD made. */
export interface CniAttachment {
  containerId: string;
  host: VethDevice;
  eth0: VethDevice;
  ip: number;
}

/** ip.RandomVethName: "veth" and 4 random bytes in hex, retried on a clash. */
function randomVethName(node: NetNamespace): string {
  for (;;) {
    const name = `veth${node.net.random.u32().toString(16).padStart(8, '0')}`;
    if (node.device(name) === undefined) return name;
  }
}

/** CNI ADD for `pod` (its network namespace, fresh: only lo). `requestedIp`: the `IP=` argument. */
export function cniAdd(node: NetNamespace, pod: NetNamespace, conf: BridgeNetConf, containerId: string, requestedIp?: number): CniAttachment {
  const ip = conf.ipam.allocate(containerId, requestedIp);
  const [host, eth0] = node.addVethPair(randomVethName(node), 'eth0', pod);
  node.setMtu(host, conf.mtu);
  pod.setMtu(eth0, conf.mtu);
  conf.bridge.enslave(host);
  bridgePortOf(host)!.hairpin = conf.hairpinMode;
  node.setUp(host);
  pod.loopbackUp();
  pod.addAddress(eth0, ip, conf.ipam.prefixLen);
  pod.setUp(eth0);
  const gw = conf.ipam.gateway;
  for (const r of conf.routes) pod.fib.main.add(newRoute({ dst: r.dst, prefixLen: r.prefixLen, gateway: gw, oif: eth0.ifindex, protocol: RTPROT_BOOT }));
  if (conf.isDefaultGateway) pod.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: gw, oif: eth0.ifindex, protocol: RTPROT_BOOT }));
  return { containerId, host, eth0, ip };
}

/** CNI DEL: the veth goes (its peer with it) and the address returns to IPAM. */
export function cniDel(node: NetNamespace, conf: BridgeNetConf, att: CniAttachment): void {
  if (node.device(att.host.name) === att.host) node.deleteDevice(att.host);
  conf.ipam.release(att.containerId);
}
