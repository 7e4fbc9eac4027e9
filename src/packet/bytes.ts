/** Big-endian field access on byte arrays, as the headers of the wire lay them out. */

/** Reads the 16-bit big-endian number at `at`. */
export function get16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/** Reads the unsigned 32-bit big-endian number at `at`. */
export function get32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Reads the 48-bit big-endian number at `at` (a MAC address). */
export function get48(b: Uint8Array, at: number): number {
  return get16(b, at) * 0x100000000 + get32(b, at + 2);
}

/** Writes a 16-bit big-endian number at `at`. */
export function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 8;
  b[at + 1] = v;
}

/** Writes an unsigned 32-bit big-endian number at `at`. */
export function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/** Writes a 48-bit big-endian number at `at` (a MAC address). */
export function put48(b: Uint8Array, at: number, v: number): void {
  put16(b, at, Math.floor(v / 0x100000000));
  put32(b, at + 2, v >>> 0);
}
