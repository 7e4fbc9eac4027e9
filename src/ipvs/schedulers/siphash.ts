/**
 * hsiphash of one 32-bit word as a 64-bit kernel computes it (lib/siphash.c: on 64-bit,
 * HalfSipHash-1-3 "is actually SipHash-1-3" with unsigned long key words), in 32-bit halves
 * so that no BigInt or allocation is needed per call.
 */

// v0..v3 as (hi, lo) pairs: s[0]=v0h s[1]=v0l s[2]=v1h s[3]=v1l s[4]=v2h s[5]=v2l s[6]=v3h s[7]=v3l
const s = new Uint32Array(8);

function add(dst: number, src: number): void {
  const lo = (s[dst + 1]! + s[src + 1]!) >>> 0;
  const carry = lo < s[dst + 1]! ? 1 : 0;
  s[dst] = (s[dst]! + s[src]! + carry) >>> 0;
  s[dst + 1] = lo;
}

function xor(dst: number, src: number): void {
  s[dst] = s[dst]! ^ s[src]!;
  s[dst + 1] = s[dst + 1]! ^ s[src + 1]!;
}

function rol(i: number, n: number): void {
  let hi = s[i]!;
  let lo = s[i + 1]!;
  if (n >= 32) {
    const t = hi;
    hi = lo;
    lo = t;
    n -= 32;
  }
  if (n > 0) {
    const nh = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    const nl = ((lo << n) | (hi >>> (32 - n))) >>> 0;
    hi = nh;
    lo = nl;
  }
  s[i] = hi;
  s[i + 1] = lo;
}

/** SIPROUND */
function sipround(): void {
  add(0, 2); rol(2, 13); xor(2, 0); rol(0, 32);
  add(4, 6); rol(6, 16); xor(6, 4);
  add(0, 6); rol(6, 21); xor(6, 0);
  add(4, 2); rol(2, 17); xor(2, 4); rol(4, 32);
}

/** hsiphash(&v, 4, key) with key = {k0, k1} (each below 2^32, as ip_vs_mh's are). */
export function hsiphash32(v: number, k0: number, k1: number): number {
  // PREAMBLE: "somepseudorandomlygeneratedbytes" xor the key
  s[0] = 0x736f6d65; s[1] = (0x70736575 ^ k0) >>> 0;
  s[2] = 0x646f7261; s[3] = (0x6e646f6d ^ k1) >>> 0;
  s[4] = 0x6c796765; s[5] = (0x6e657261 ^ k0) >>> 0;
  s[6] = 0x74656462; s[7] = (0x79746573 ^ k1) >>> 0;
  // b = (len << 56) | le32(data)
  const bh = 4 << 24;
  const bl = v >>> 0;
  s[6] = (s[6]! ^ bh) >>> 0; s[7] = (s[7]! ^ bl) >>> 0;
  sipround();
  s[0] = (s[0]! ^ bh) >>> 0; s[1] = (s[1]! ^ bl) >>> 0;
  s[5] = (s[5]! ^ 0xff) >>> 0;
  sipround();
  sipround();
  sipround();
  // (v0 ^ v1) ^ (v2 ^ v3), truncated to u32
  return (s[1]! ^ s[3]! ^ s[5]! ^ s[7]!) >>> 0;
}
