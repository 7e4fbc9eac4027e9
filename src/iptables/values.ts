/**
 * The value syntaxes xtables modules share: ports and port ranges, marks with masks,
 * addresses with masks, protocol and service names, and the quoting iptables-save uses.
 */
import { formatIPv4, parseIPv4 } from '../packet/address.js';
import { ParameterProblem } from './errors.js';

/** Protocol names iptables prints (xtables' own table, then /etc/protocols on Debian). */
const PROTO_NAMES = new Map<number, string>([
  [1, 'icmp'], [2, 'igmp'], [4, 'ipencap'], [6, 'tcp'], [17, 'udp'], [33, 'dccp'], [41, 'ipv6'], [47, 'gre'],
  [50, 'esp'], [51, 'ah'], [58, 'ipv6-icmp'], [89, 'ospf'], [103, 'pim'], [112, 'vrrp'], [132, 'sctp'], [136, 'udplite'],
]);
const PROTO_NUMBERS = new Map<string, number>([...[...PROTO_NAMES].map(([n, s]) => [s, n] as [string, number]), ['all', 0], ['icmpv6', 58]]);

/** The name iptables-save prints for a protocol number (`6` → `tcp`), or the number as text. */
export function protoName(proto: number): string {
  return PROTO_NAMES.get(proto) ?? String(proto);
}

/** `-p` value: a name (case-insensitive) or a number 0..255. */
export function parseProto(text: string): number {
  const byName = PROTO_NUMBERS.get(text) ?? PROTO_NUMBERS.get(text.toLowerCase());
  if (byName !== undefined) return byName;
  if (/^[0-9]+$/.test(text) && Number(text) <= 255) return Number(text);
  throw new ParameterProblem(`unknown protocol "${text}" specified`);
}

/** Service names dpsim resolves (a few from Debian's /etc/services); numbers are always accepted. */
export const SERVICES = new Map<string, number>([
  ['ftp', 21], ['ssh', 22], ['telnet', 23], ['smtp', 25], ['domain', 53], ['bootps', 67], ['bootpc', 68], ['http', 80],
  ['ntp', 123], ['https', 443], ['www', 80], ['snmp', 161], ['bgp', 179], ['ldap', 389], ['syslog', 514],
]);
const SERVICE_BY_PORT = new Map<number, string>([
  [21, 'ftp'], [22, 'ssh'], [23, 'telnet'], [25, 'smtp'], [53, 'domain'], [67, 'bootps'], [68, 'bootpc'], [80, 'http'],
  [123, 'ntp'], [443, 'https'], [161, 'snmp'], [179, 'bgp'], [389, 'ldap'], [514, 'syslog'],
]);

/** The service name `iptables -L` shows for a port, or the number. */
export function serviceName(port: number): string {
  return SERVICE_BY_PORT.get(port) ?? String(port);
}

/** One port: decimal 0..65535 or a service name (xtables_parse_port). */
export function parsePort(text: string): number {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n <= 65535) return n;
  } else {
    const s = SERVICES.get(text);
    if (s !== undefined) return s;
  }
  throw new ParameterProblem(`invalid port/service \`${text}' specified`);
}

/** `A`, `A:B`, `:B` (0:B), `A:` (A:65535) → [lo, hi]; with `sep` '-' for NAT targets. */
export function parsePortRange(text: string, sep = ':'): [number, number] {
  const i = text.indexOf(sep);
  if (i < 0) {
    const p = parsePort(text);
    return [p, p];
  }
  const lo = i === 0 ? 0 : parsePort(text.slice(0, i));
  const hi = i === text.length - 1 ? 65535 : parsePort(text.slice(i + 1));
  if (lo > hi) throw new ParameterProblem(`invalid portrange (min > max)`);
  return [lo, hi];
}

/** `lo` or `lo:hi` as iptables-save prints a range. */
export function formatPortRange(lo: number, hi: number, sep = ':'): string {
  return lo === hi ? String(lo) : `${lo}${sep}${hi}`;
}

/** An unsigned 32-bit integer as strtoul(…, 0) reads it (decimal, 0x hex, 0 octal), or null. */
export function parseU32(text: string): number | null {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) n = parseInt(text, 8);
  else if (/^[1-9][0-9]*$/.test(text)) n = Number(text);
  else return null;
  return n <= 0xffffffff ? n : null;
}

/** `VALUE[/MASK]` (xtables_parse_mark_mask); mask defaults to 0xffffffff. null when malformed. */
export function parseMarkMask(text: string): { value: number; mask: number } | null {
  const slash = text.indexOf('/');
  const value = parseU32(slash < 0 ? text : text.slice(0, slash));
  const mask = slash < 0 ? 0xffffffff : parseU32(text.slice(slash + 1));
  return value === null || mask === null ? null : { value, mask };
}

/** `0x1` or `0x1/0xff`: a mark as the mark/connmark matches print it (full mask omitted). */
export function formatMarkMask(value: number, mask: number): string {
  return mask === 0xffffffff ? hex(value) : `${hex(value)}/${hex(mask)}`;
}

/** `0x…` lowercase. */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** The prefix length of a contiguous mask, or -1. */
export function maskPrefix(mask: number): number {
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  let len = 0;
  for (let m = mask >>> 0; m !== 0; m = (m << 1) >>> 0) len++;
  return len;
}

/** The decimal 0..32 that `text` holds from `start` to its end (leading zeros allowed, as strtoul reads it), or -1. */
function prefixLength(text: string, start: number): number {
  if (start >= text.length) return -1;
  let n = 0;
  for (let i = start; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
    if (n > 32) return -1;
  }
  return n;
}

/** `ADDR[/LEN|/MASK]` as -s/-d take it (xtables_ipparse_any), address masked; hostnames and lists are not resolved. */
export function parseAddressMask(text: string): { addr: number; mask: number } {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseIPv4(addrText);
  if (addr === null) throw new ParameterProblem(`host/network \`${addrText}' not found`);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const len = prefixLength(text, slash + 1);
    if (len >= 0) mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    else {
      const m = text.slice(slash + 1);
      const dotted = parseIPv4(m);
      if (dotted === null) throw new ParameterProblem(`invalid mask \`${m}' specified`);
      mask = dotted;
    }
  }
  return { addr: (addr & mask) >>> 0, mask };
}

/** `10.0.0.0/8`, `1.2.3.4/32` or `5.0.7.0/255.0.255.0` as iptables-save prints -s/-d. */
export function formatAddressMask(addr: number, mask: number): string {
  const len = maskPrefix(mask);
  return `${formatIPv4(addr)}/${len >= 0 ? len : formatIPv4(mask)}`;
}

/** Like formatAddressMask but without `/32` (the conntrack match's and `-L -n`'s form). */
export function formatAddressShort(addr: number, mask: number): string {
  return mask === 0xffffffff ? formatIPv4(addr) : formatAddressMask(addr, mask);
}

/** A string as xtables_save_string prints it: bare when only `[A-Za-z0-9_-]`, else in double quotes with `"`, `\` and `'` escaped. */
export function quoteString(s: string): string {
  let bare = s.length > 0;
  let escapes = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x27) escapes = true;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d)) bare = false;
  }
  if (bare) return s;
  if (!escapes) return `"${s}"`;
  let out = '"';
  for (const c of s) out += c === '"' || c === '\\' || c === "'" ? `\\${c}` : c;
  return out + '"';
}

/** Parses a comma list of names against a table of bits; `bad` names the error for an unknown word. */
export function parseFlagList(text: string, names: ReadonlyMap<string, number>, bad: (word: string) => string): number {
  let bits = 0;
  for (const w of text.split(',')) {
    const b = names.get(w.toUpperCase());
    if (b === undefined) throw new ParameterProblem(bad(w));
    bits |= b;
  }
  return bits;
}

/** Prints the set bits of `bits` as a comma list, in the order of `order`. */
export function formatFlagList(bits: number, order: readonly (readonly [string, number])[]): string {
  const out: string[] = [];
  for (const [name, b] of order) if ((bits & b) !== 0) out.push(name);
  return out.join(',');
}
