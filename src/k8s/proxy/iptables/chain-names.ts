/**
 * kube-proxy's chain names: the fixed chains and the hashed per-service and per-endpoint
 * ones (SHA-256 of the name string + protocol [+ endpoint], RFC 4648 base32, first 16
 * characters), as upstream's portProtoHash / servicePortEndpointChainName compute them.
 */

import * as crypto from 'node:crypto';
import { LRUMap } from 'mnemonist';

/** SHA-256 of `text`: crypto.hash's one-shot form where Node has it (≥ 20.12), else a Hash object. */
const sha256: (text: string) => Buffer =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => (crypto as unknown as { hash(a: string, d: string, e: 'buffer'): Buffer }).hash('sha256', text, 'buffer')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest();

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

/** RFC 4648 base32 alphabet as character codes. */
const BASE32 = new Uint8Array([...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'].map((c) => c.charCodeAt(0)));

/**
 * Hashes already computed, by input text. Every node's kube-proxy names the same service ports
 * and endpoints, and every sync names them again: one SHA-256 per name per process, not per
 * node per sync. Bounded (least recently used out) so churn over a long run cannot grow it.
 */
const HASH16_CACHE_SIZE = 1 << 18;
const hash16Cache = new LRUMap<string, string>(HASH16_CACHE_SIZE);

/** The first 16 base32 characters of SHA-256(text): 80 bits, the first 10 bytes of the digest. */
export function hash16(text: string): string {
  let h = hash16Cache.get(text);
  if (h === undefined) {
    h = computeHash16(text);
    hash16Cache.set(text, h);
  }
  return h;
}

function computeHash16(text: string): string {
  const d = sha256(text);
  // Two groups of 5 bytes → 8 characters each; 40 bits split as 8 + 32 to stay in int32 arithmetic.
  const a0 = d[0]!;
  const a1 = ((d[1]! << 24) | (d[2]! << 16) | (d[3]! << 8) | d[4]!) >>> 0;
  const b0 = d[5]!;
  const b1 = ((d[6]! << 24) | (d[7]! << 16) | (d[8]! << 8) | d[9]!) >>> 0;
  const t = BASE32;
  return String.fromCharCode(
    t[a0 >>> 3]!, t[((a0 & 7) << 2) | (a1 >>> 30)]!, t[(a1 >>> 25) & 31]!, t[(a1 >>> 20) & 31]!,
    t[(a1 >>> 15) & 31]!, t[(a1 >>> 10) & 31]!, t[(a1 >>> 5) & 31]!, t[a1 & 31]!,
    t[b0 >>> 3]!, t[((b0 & 7) << 2) | (b1 >>> 30)]!, t[(b1 >>> 25) & 31]!, t[(b1 >>> 20) & 31]!,
    t[(b1 >>> 15) & 31]!, t[(b1 >>> 10) & 31]!, t[(b1 >>> 5) & 31]!, t[b1 & 31]!,
  );
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
