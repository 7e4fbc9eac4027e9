/**
 * The outer UDP source port of a VXLAN packet (udp_flow_src_port): a flow hash of the inner
 * frame mapped into [min, max). With `srcport 0 0` (the default) the range is the namespace's
 * ip_local_port_range, 32768–60999, so ports run from 32768 to 60998.
 *
 * The kernel's hash (skb_get_hash) is symmetric — both directions of a flow hash alike, as
 * the captures on this machine show (an echo request and its reply leave with the same
 * source port) — and seeded once per boot. dpsim's hash has the same properties with a seed
 * drawn once per simulated machine; its values differ from the kernel's.
 */
import { ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, type Packet } from '../packet/packet.js';
import type { Network } from '../netns/network.js';

/** The default range's ends, ip_local_port_range (the upper one excluded by the mapping). */
export const LOCAL_PORT_MIN = 32768;
export const LOCAL_PORT_MAX = 60999;

const seeds = new WeakMap<Network, number>();

/** The flow-hash seed of a simulated machine (hashrnd), drawn on first use. */
export function flowHashSeed(net: Network): number {
  let s = seeds.get(net);
  if (s === undefined) {
    s = net.random.u32();
    seeds.set(net, s);
  }
  return s;
}

/** Mixes one 32-bit word into a hash (murmur3's block step). */
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3's finaliser. */
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A symmetric hash of the inner frame's flow: addresses, protocol and (TCP/UDP) ports with
 * the lower endpoint first; for a frame that is not IPv4, its MAC addresses and EtherType.
 */
export function innerFlowHash(p: Packet, seed: number): number {
  let h = seed | 0;
  if (p.ethType === ETH_P_IP) {
    let a = p.ipSrc;
    let b = p.ipDst;
    let pa = 0;
    let pb = 0;
    if (p.ipProto === IPPROTO_TCP || p.ipProto === IPPROTO_UDP) {
      pa = p.sport;
      pb = p.dport;
    }
    if (b < a || (b === a && pb < pa)) {
      const t = a;
      a = b;
      b = t;
      const u = pa;
      pa = pb;
      pb = u;
    }
    h = mix(h, a);
    h = mix(h, b);
    h = mix(h, (pa << 16) | pb);
    h = mix(h, p.ipProto);
  } else {
    let a = p.ethSrc;
    let b = p.ethDst;
    if (b < a) {
      const t = a;
      a = b;
      b = t;
    }
    h = mix(h, a % 0x1_0000_0000);
    h = mix(h, Math.floor(a / 0x1_0000_0000));
    h = mix(h, b % 0x1_0000_0000);
    h = mix(h, Math.floor(b / 0x1_0000_0000));
    h = mix(h, p.ethType);
  }
  return finish(h);
}

/** ((u64)hash · (max − min)) >> 32 + min: a port in [min, max); an empty range means the default one. */
export function sourcePort(hash: number, min: number, max: number): number {
  if (min >= max) {
    min = LOCAL_PORT_MIN;
    max = LOCAL_PORT_MAX;
  }
  return min + Math.floor((hash * (max - min)) / 0x1_0000_0000);
}
