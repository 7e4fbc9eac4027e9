/** The settings of one node's flannel VXLAN backend and pod bridge, with flannel's defaults. */
import { VXLAN_PORT } from '../../packet/packet.js';

/** How a node's overlay is set up. */
export interface FlannelNodeConfig {
  /** The underlay device the VTEP sends through (flannel's `--iface`), e.g. ens3. */
  underlay: string;
  /** The VXLAN device's name: `flannel.<VNI>`. */
  vxlanName?: string;
  /** The VNI (flannel's default 1). */
  vni?: number;
  /** The UDP port (flannel's default 8472, the kernel's historical one). */
  port?: number;
  /** The pod bridge (the CNI bridge plugin's default cni0). */
  bridgeName?: string;
  /** The pod bridge's MAC; random when not given. */
  bridgeMac?: number;
  /** Turn on IPv4 forwarding (net.ipv4.ip_forward=1), as a node needs. Default true. */
  ipForward?: boolean;
}

/** A config with every default filled in. */
export interface ResolvedFlannelConfig {
  underlay: string;
  vxlanName: string;
  vni: number;
  port: number;
  bridgeName: string;
  bridgeMac: number | null;
  ipForward: boolean;
}

/** Fills in flannel's defaults. */
export function resolveFlannelConfig(c: FlannelNodeConfig): ResolvedFlannelConfig {
  const vni = c.vni ?? 1;
  return {
    underlay: c.underlay,
    vxlanName: c.vxlanName ?? `flannel.${vni}`,
    vni,
    port: c.port ?? VXLAN_PORT,
    bridgeName: c.bridgeName ?? 'cni0',
    bridgeMac: c.bridgeMac ?? null,
    ipForward: c.ipForward ?? true,
  };
}
