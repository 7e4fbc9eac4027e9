/**
 * Addresses at the edges: dotted quads, MAC addresses and CIDR prefixes to and from the
 * numbers the packet carries (IPv4 as an unsigned 32-bit number, a MAC as a 48-bit one).
 * Parsing follows inet_pton: four decimal fields of at most 255, no leading zeros, no
 * spaces. The numeric helpers allocate nothing. The tests hold these to ip-num's parser and
 * printer; dpsim's own hand-written ones stay because scripts parse tens of thousands of
 * rules and a per-address object would show.
 */

/** A CIDR prefix: the address as written (host bits kept) and the prefix length. */
export interface Cidr {
  addr: number;
  prefixLen: number;
}

/** The number of a dotted-quad IPv4 address ("10.0.0.1"), or null when the text is not one. */
export function parseIPv4(text: string): number | null {
  return parseIPv4Range(text, 0, text.length);
}

/** Prints an IPv4 address number as a dotted quad. */
export function formatIPv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** The 48-bit number of a MAC address ("02:00:00:00:00:01"; one or two hex digits a field, as `ip link` takes them), or null. */
export function parseMac(text: string): number | null {
  let value = 0;
  let field = 0;
  let digits = 0;
  let fields = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x3a; // a ':' closes the last field
    if (c === 0x3a) {
      if (digits === 0 || ++fields > 6) return null;
      value = value * 256 + field;
      field = 0;
      digits = 0;
      continue;
    }
    const d = hexDigit(c);
    if (d < 0 || ++digits > 2) return null;
    field = field * 16 + d;
  }
  return fields === 6 ? value : null;
}

/** Prints a 48-bit MAC number as lowercase "aa:bb:cc:dd:ee:ff". */
export function formatMac(mac: number): string {
  const hi = Math.floor(mac / 0x100000000);
  const lo = mac >>> 0;
  return `${hex2(hi >>> 8)}:${hex2(hi & 0xff)}:${hex2(lo >>> 24)}:${hex2((lo >>> 16) & 0xff)}:${hex2((lo >>> 8) & 0xff)}:${hex2(lo & 0xff)}`;
}

/** Parses "10.0.0.0/24" (host bits allowed, as `ip addr add` takes them; the length 0..32 without leading zeros), or null. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addr = parseIPv4Range(text, 0, slash);
  const prefixLen = parseDecimal(text, slash + 1, text.length, 32);
  return addr === null || prefixLen < 0 ? null : { addr, prefixLen };
}

/** The netmask of a prefix length (24 → 0xffffff00); throws a RangeError outside 0..32. */
export function prefixMask(len: number): number {
  if (!(Number.isInteger(len) && len >= 0 && len <= 32)) throw new RangeError(`prefix length ${len} is outside 0..32`);
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** The network address of `addr` under a prefix length (10.0.0.7, 24 → 10.0.0.0). */
export function networkOf(addr: number, len: number): number {
  return (addr & prefixMask(len)) >>> 0;
}

/** Parses a dotted quad in text[start, end). */
function parseIPv4Range(text: string, start: number, end: number): number | null {
  let addr = 0;
  let fieldStart = start;
  for (let n = 0; n < 4; n++) {
    let dot = end;
    if (n < 3) {
      dot = text.indexOf('.', fieldStart);
      if (dot < 0 || dot >= end) return null;
    }
    const v = parseDecimal(text, fieldStart, dot, 255);
    if (v < 0) return null;
    addr = addr * 256 + v;
    fieldStart = dot + 1;
  }
  return addr;
}

/** A decimal number in text[start, end) of at most `max`, without sign or leading zeros; -1 when it is not one. */
function parseDecimal(text: string, start: number, end: number, max: number): number {
  if (start >= end || end - start > 3 || (text.charCodeAt(start) === 0x30 && end - start > 1)) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= max ? v : -1;
}

/** The value of a hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Two lowercase hex digits of a byte. */
function hex2(b: number): string {
  return b < 16 ? `0${b.toString(16)}` : b.toString(16);
}
