/**
 * kube-proxy's chain names: the fixed chains and the hashed per-service and per-endpoint
 * ones (SHA-256 of the name string + protocol [+ endpoint], RFC 4648 base32, first 16
 * characters), as upstream's portProtoHash / servicePortEndpointChainName compute them.
 */

import { createHash } from 'node:crypto';

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_MARK_DROP = 'KUBE-MARK-DROP';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

/** Prefixes of the chains a sync may delete when no longer used. */
export const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-SEP-', 'KUBE-FW-', 'KUBE-EXT-'] as const;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first 16 base32 characters of SHA-256(text): 80 bits, the first 10 bytes of the digest. */
export function hash16(text: string): string {
  const d = createHash('sha256').update(text, 'utf8').digest();
  let out = '';
  for (let g = 0; g < 2; g++) {
    // 5 bytes → 8 characters
    const o = g * 5;
    const hi = d[o]!;
    const lo = ((d[o + 1]! << 24) | (d[o + 2]! << 16) | (d[o + 3]! << 8) | d[o + 4]!) >>> 0;
    const v = hi * 2 ** 32 + lo; // 40 bits, exact in a double
    for (let i = 7; i >= 0; i--) out += BASE32[Math.floor(v / 2 ** (5 * i)) % 32];
  }
  return out;
}

/** KUBE-SVC-… from a service port name string and lowercase protocol. */
export function serviceChainName(nameString: string, protocol: string): string {
  return 'KUBE-SVC-' + hash16(nameString + protocol);
}
/** KUBE-SVL-…: the Local-policy chain. */
export function serviceLocalChainName(nameString: string, protocol: string): string {
  return 'KUBE-SVL-' + hash16(nameString + protocol);
}
/** KUBE-FW-…: the loadBalancerSourceRanges chain. */
export function serviceFirewallChainName(nameString: string, protocol: string): string {
  return 'KUBE-FW-' + hash16(nameString + protocol);
}
/** KUBE-EXT-…: the external-destination chain. */
export function serviceExternalChainName(nameString: string, protocol: string): string {
  return 'KUBE-EXT-' + hash16(nameString + protocol);
}
/** KUBE-SEP-… from the name string, lowercase protocol and "ip:port". */
export function endpointChainName(nameString: string, protocol: string, endpoint: string): string {
  return 'KUBE-SEP-' + hash16(nameString + protocol + endpoint);
}

/** Whether a chain is one of the per-service chains a sync owns. */
export function isServiceChainName(name: string): boolean {
  for (const p of SERVICE_CHAIN_PREFIXES) if (name.startsWith(p)) return true;
  return false;
}
