/**
 * Flannel's VXLAN programming as the real commands a scenario runs (and the kernel harness
 * runs unchanged): the same steps programFlannel makes through the API.
 *
 * For the local lease: `flannel.1` (nolearning, local = the public IP, dev = the underlay)
 * with `<subnet>.0/32`, and the `cni0` bridge with the gateway `.1/<len>`. For each remote
 * lease, in the order flannel's handleSubnetEvents does it: the permanent neighbour entry
 * for the remote VTEP address, the FDB entry sending its MAC to the remote node, and the
 * route `<subnet> via <subnet>.0 dev flannel.1 onlink`.
 */
import { formatIPv4, formatMac as macText } from '../../packet/address.js';
import { resolveFlannelConfig, type FlannelNodeConfig, type ResolvedFlannelConfig } from './config.js';
import { gatewayAddress, subnetText, vtepAddress, vtepMacText, type FlannelLease } from './lease.js';

/** How the commands reach the node's namespace: `ip -n NS`, `ip netns exec NS bridge …`; null: the current one. */
function prefixes(netns: string | null): { ip: string; bridge: string; sysctl: string } {
  if (netns === null) return { ip: 'ip', bridge: 'bridge', sysctl: 'sysctl' };
  return { ip: `ip -n ${netns}`, bridge: `ip netns exec ${netns} bridge`, sysctl: `ip netns exec ${netns} sysctl` };
}

/** The commands for one remote lease (a node joining the cluster). */
export function flannelRemoteLeaseCommands(remote: FlannelLease, node: FlannelNodeConfig, netns: string | null = null): string[] {
  const c = resolveFlannelConfig(node);
  const { ip, bridge } = prefixes(netns);
  const vtep = formatIPv4(vtepAddress(remote));
  return [
    `${ip} neigh replace ${vtep} lladdr ${vtepMacText(remote)} dev ${c.vxlanName} nud permanent`,
    `${bridge} fdb append ${vtepMacText(remote)} dev ${c.vxlanName} dst ${formatIPv4(remote.publicIp)}`,
    `${ip} route add ${subnetText(remote)} via ${vtep} dev ${c.vxlanName} onlink`,
  ];
}

/** The commands that set up a node: its own lease's devices and addresses, then every remote lease. */
export function flannelCommands(local: FlannelLease, remotes: readonly FlannelLease[], node: FlannelNodeConfig, netns: string | null = null): string[] {
  const c: ResolvedFlannelConfig = resolveFlannelConfig(node);
  const { ip, sysctl } = prefixes(netns);
  const out: string[] = [];
  if (c.ipForward) out.push(`${sysctl} -q -w net.ipv4.ip_forward=1`);
  out.push(
    `${ip} link add ${c.vxlanName} address ${vtepMacText(local)} type vxlan id ${c.vni} dstport ${c.port} dev ${c.underlay} local ${formatIPv4(local.publicIp)} nolearning`,
    `${ip} addr add ${formatIPv4(vtepAddress(local))}/32 dev ${c.vxlanName}`,
    `${ip} link set ${c.vxlanName} up`,
    `${ip} link add ${c.bridgeName}${c.bridgeMac === null ? '' : ` address ${macText(c.bridgeMac)}`} type bridge`,
    `${ip} addr add ${formatIPv4(gatewayAddress(local))}/${local.prefixLen} dev ${c.bridgeName}`,
    `${ip} link set ${c.bridgeName} up`,
  );
  for (const r of remotes) out.push(...flannelRemoteLeaseCommands(r, node, netns));
  return out;
}

