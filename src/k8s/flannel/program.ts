/**
 * Flannel's VXLAN programming through dpsim's API, step for step what flannelCommands
 * writes as commands: the node's flannel.1 and cni0 for its own lease, then for each remote
 * lease the permanent neighbour entry, the FDB entry and the onlink route.
 */
import { NetlinkError, type NetNamespace } from '../../netns/namespace.js';
import { NUD_PERMANENT } from '../../netns/neighbour.js';
import { newRoute, RTPROT_BOOT, type RouteError } from '../../netns/route-table.js';
import { addBridge, type BridgeDevice } from '../../bridge/bridge.js';
import { addVxlan, type VxlanDevice } from '../../vxlan/vxlan.js';
import { resolveFlannelConfig, type FlannelNodeConfig } from './config.js';
import { gatewayAddress, vtepAddress, type FlannelLease } from './lease.js';

/** What programFlannel made on a node. */
export interface FlannelNode {
  vxlan: VxlanDevice;
  bridge: BridgeDevice;
}

/** One remote lease on a node: neighbour, FDB and route (flannel's handleSubnetEvents, lease added). Throws NetlinkError. */
export function programRemoteLease(ns: NetNamespace, vxlan: VxlanDevice, remote: FlannelLease): void {
  const vtep = vtepAddress(remote);
  const neighErr = ns.neigh.adminSet(vxlan, vtep, remote.vtepMac, NUD_PERMANENT, true);
  if (neighErr !== null) throw new NetlinkError(neighErr);
  const fdbErr = vxlan.fdbUpdate(remote.vtepMac, remote.publicIp, 'append');
  if (fdbErr !== null) throw new NetlinkError(fdbErr);
  const routeErr: RouteError | null = ns.fib.main.add(
    newRoute({ dst: remote.subnet, prefixLen: remote.prefixLen, gateway: vtep, oif: vxlan.ifindex, onlink: true, protocol: RTPROT_BOOT }),
  );
  if (routeErr !== null) throw new NetlinkError(routeErr.message);
}

/** Sets up a node's overlay: flannel.1 and cni0 for `local`, then every remote lease. Throws NetlinkError. */
export function programFlannel(ns: NetNamespace, local: FlannelLease, remotes: readonly FlannelLease[], node: FlannelNodeConfig): FlannelNode {
  const c = resolveFlannelConfig(node);
  const underlay = ns.device(c.underlay);
  if (underlay === undefined) throw new NetlinkError(`Cannot find device "${c.underlay}"`);
  if (c.ipForward) ns.enableForwarding();
  const vxlan = addVxlan(ns, c.vxlanName, { vni: c.vni, dstPort: c.port, lower: underlay, local: local.publicIp, learning: false, mac: local.vtepMac });
  ns.addAddress(vxlan, vtepAddress(local), 32);
  ns.setUp(vxlan);
  const bridge = addBridge(ns, c.bridgeName, c.bridgeMac ?? undefined);
  ns.addAddress(bridge, gatewayAddress(local), local.prefixLen);
  ns.setUp(bridge);
  for (const r of remotes) programRemoteLease(ns, vxlan, r);
  return { vxlan, bridge };
}
