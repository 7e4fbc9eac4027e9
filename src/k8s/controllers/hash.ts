import type { PodTemplateSpec } from '../api/types.js';
import { NAME_SUFFIX_ALPHABET } from '../api/store.js';

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (hash/fnv's New32a). */
export function fnv32a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each character mapped to NAME_SUFFIX_ALPHABET[code % 27], so no vowels spell words. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += NAME_SUFFIX_ALPHABET[s.charCodeAt(i) % NAME_SUFFIX_ALPHABET.length];
  return out;
}

/** A canonical serialisation of a value: JSON with object keys sorted, so equal templates hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The pod-template-hash of a Deployment's template, shaped as controller.ComputeHash shapes it:
 * FNV-32a over the template (here its canonical JSON; upstream hashes a spew dump of the Go
 * struct, so the digits differ from a real cluster's) then the collision count as 4
 * little-endian bytes when there is one, printed in decimal and SafeEncodeString'd — at most
 * 10 characters from "bcdfghjklmnpqrstvwxz2456789" (in fact from "456789bcdf", one per digit).
 */
export function computePodTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  const body = new TextEncoder().encode(canonicalJson(template));
  let bytes = body;
  if (collisionCount !== undefined) {
    bytes = new Uint8Array(body.length + 4);
    bytes.set(body);
    new DataView(bytes.buffer).setUint32(body.length, collisionCount >>> 0, true);
  }
  return safeEncodeString(String(fnv32a(bytes)));
}
