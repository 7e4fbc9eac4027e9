/**
 * A flannel subnet lease as the VXLAN backend uses it: the node's pod subnet, its public
 * (underlay) address, which is its VTEP, and the MAC of its `flannel.1` (the lease's
 * `VtepMAC`). The addresses flannel derives from a subnet are small pure functions.
 */
import { formatIPv4, formatMac } from '../../packet/address.js';

/** One node's lease. */
export interface FlannelLease {
  /** The pod subnet's network address (10.244.1.0). */
  subnet: number;
  /** The pod subnet's prefix length (24). */
  prefixLen: number;
  /** The node's underlay address: where its VTEP receives (192.168.50.5). */
  publicIp: number;
  /** The MAC of the node's flannel.1. */
  vtepMac: number;
}

/** The address flannel gives its VXLAN device: the subnet's network address, as a /32 (10.244.1.0/32). */
export function vtepAddress(lease: FlannelLease): number {
  return lease.subnet >>> 0;
}

/** The pod gateway on the node's bridge: the subnet's first host (10.244.1.1). */
export function gatewayAddress(lease: FlannelLease): number {
  return (lease.subnet + 1) >>> 0;
}

/** The subnet as text (10.244.1.0/24). */
export function subnetText(lease: FlannelLease): string {
  return `${formatIPv4(lease.subnet)}/${lease.prefixLen}`;
}

/** The VTEP MAC as text. */
export function vtepMacText(lease: FlannelLease): string {
  return formatMac(lease.vtepMac);
}
