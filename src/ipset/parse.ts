/**
 * Element text as the ipset tool parses it (libipset parse.c), into numbers: addresses, CIDRs
 * and ranges, `[proto:]port[-port]`, ICMP names. Numbers parse as strtoul with base 0, as the
 * tool's do (`udp:0053` is port 43). A range yields every element it covers; for net types an
 * address range splits into the CIDR blocks the kernel would add.
 */
import { parseIPv4 } from '../packet/address.js';
import { Elem, ICMP_NAMES, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, prefixMask, protoWithPorts, type HashTypeName } from './element.js';
import { IpsetError, IpsetNotModelled, KERNEL_MESSAGES, kernelError, syntaxError } from './errors.js';

/** strtoull(text, &end, 0) accepting the whole text: a number, or null. */
export function parseNumber(text: string): number | null {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return parseInt(text, 10);
  return null;
}

/** A number in [min, max] or ipset's syntax errors. */
export function parseRanged(text: string, min: number, max: number): number {
  const n = parseNumber(text);
  if (n === null) throw syntaxError(`'${text}' is invalid as number`);
  if (n < min || n > max) throw syntaxError(`'${text}' is out of range ${min}-${max}`);
  return n;
}

const PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['tcp', IPPROTO_TCP],
  ['udp', IPPROTO_UDP],
  ['sctp', IPPROTO_SCTP],
  ['udplite', IPPROTO_UDPLITE],
  ['icmp', IPPROTO_ICMP],
]);

function parseAddress(text: string): number {
  const a = parseIPv4(text);
  if (a === null) throw syntaxError(`cannot parse ${text}: resolving to IPv4 address failed`);
  return a;
}

/** An address, `a/cidr` or `a-b` as an inclusive range plus the cidr given (null for none). */
interface AddrSpec {
  from: number;
  to: number;
  cidr: number | null;
  range: boolean;
}

function parseAddrSpec(text: string): AddrSpec {
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const from = parseAddress(text.slice(0, dash));
    const to = parseAddress(text.slice(dash + 1));
    return { from: Math.min(from, to), to: Math.max(from, to), cidr: null, range: true };
  }
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const addr = parseAddress(text.slice(0, slash));
    const cidr = parseRanged(text.slice(slash + 1), 0, 32);
    const from = (addr & prefixMask(cidr)) >>> 0;
    return { from, to: (from | ~prefixMask(cidr)) >>> 0, cidr, range: false };
  }
  const a = parseAddress(text);
  return { from: a, to: a, cidr: null, range: false };
}

/** `[proto:]port[-port]` or `icmp:TYPE`: protocol and port range. */
function parseProtoPort(text: string): { proto: number; from: number; to: number } {
  let proto = IPPROTO_TCP;
  let port = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const name = text.slice(0, colon);
    const p = PROTOCOLS.get(name) ?? parseNumber(name);
    if (p === null || p === undefined) throw syntaxError(`cannot parse '${name}' as a protocol`);
    proto = p;
    port = text.slice(colon + 1);
  }
  if (proto === IPPROTO_ICMP) {
    const named = ICMP_NAMES.find(([n]) => n === port) ?? (port === 'ping' ? ICMP_NAMES.find(([n]) => n === 'echo-request') : undefined);
    if (named !== undefined) return { proto, from: (named[1] << 8) | named[2], to: (named[1] << 8) | named[2] };
    const m = /^(\d+)\/(\d+)$/.exec(port);
    if (m === null) throw syntaxError(`cannot parse '${port}' as a icmp type`);
    const v = (Number(m[1]) << 8) | Number(m[2]);
    return { proto, from: v, to: v };
  }
  if (!protoWithPorts(proto)) throw new IpsetNotModelled(`ipset elements with protocol ${proto} are not modelled by dpsim`);
  const dash = port.indexOf('-');
  const one = (t: string): number => {
    const n = parseNumber(t);
    if (n === null || n > 65535) {
      const range = n === null ? '' : `Syntax error: '${t}' is out of range 0-65535\n`;
      const pname = colon >= 0 ? text.slice(0, colon) : 'tcp';
      throw new IpsetError('syntax', `${range}Syntax error: '${pname}' is invalid as number\ncannot parse '${t}' as a ${pname} port`);
    }
    return n;
  };
  if (dash >= 0) {
    const a = one(port.slice(0, dash));
    const b = one(port.slice(dash + 1));
    return { proto, from: Math.min(a, b), to: Math.max(a, b) };
  }
  const p = one(port);
  return { proto, from: p, to: p };
}

/** ip_set_range_to_cidr: the largest CIDR block starting at `from` that stays within `to`. */
export function rangeToCidr(from: number, to: number): number {
  for (let cidr = 0; cidr <= 32; cidr++) {
    const mask = prefixMask(cidr);
    const last = (from | ~mask) >>> 0;
    if ((from & mask) >>> 0 === from && last <= to) return cidr;
  }
  return 32;
}

/** The parsed element text: a callback receives each element it stands for (ranges expand). */
export interface ParsedElem {
  /** The first element (what `test` tests and prints). */
  first: Elem;
  /** Calls `f` on every element in the kernel's order, stopping if it returns false. */
  each(f: (e: Elem) => boolean): void;
}

/** Parses an element of a hash type. `nomatch` is set by the caller. */
export function parseHashElem(type: HashTypeName, text: string): ParsedElem {
  const parts = text.split(',');
  const dims = type === 'hash:ip' || type === 'hash:net' ? 1 : type === 'hash:ip,port' || type === 'hash:net,port' ? 2 : 3;
  if (parts.length < dims) {
    throw syntaxError(`${parts.length === 1 ? 'Second' : 'Third'} element is missing from ${text}.`);
  }
  if (parts.length > dims) throw syntaxError(`Elem separator in ${text}, but settype ${type} supports none.`);
  const first = parseAddrSpec(parts[0]!);
  const pp = dims >= 2 ? parseProtoPort(parts[1]!) : { proto: 0, from: 0, to: 0 };
  const third = dims === 3 ? parseAddrSpec(parts[2]!) : null;
  if (type === 'hash:ip,port,ip' && third !== null && (third.range || third.cidr !== null)) {
    throw new IpsetNotModelled('ranges in the third dimension of hash:ip,port,ip are not modelled by dpsim');
  }
  // The network part: the first dimension of hash:net*, the third of hash:ip,port,net.
  const netSpec = type === 'hash:net' || type === 'hash:net,port' ? first : type === 'hash:ip,port,net' ? third! : null;
  if (netSpec !== null && netSpec.cidr === 0) throw kernelError(KERNEL_MESSAGES.invalidCidr);
  const ipSpec = netSpec === first ? null : first;
  const make = (ip: number, port: number, ip2: number, cidr: number): Elem => {
    const e = new Elem();
    e.ip = ip;
    e.port = port;
    e.proto = pp.proto;
    e.ip2 = ip2;
    e.cidr = cidr;
    return e;
  };
  const netFirst = netSpec === null ? null : { ip: netSpec.from, cidr: netSpec.cidr ?? (netSpec.range ? rangeToCidr(netSpec.from, netSpec.to) : 32) };
  const firstElem =
    type === 'hash:net' || type === 'hash:net,port'
      ? make(netFirst!.ip, pp.from, 0, netFirst!.cidr)
      : make(ipSpec!.from, pp.from, type === 'hash:ip,port,net' ? netFirst!.ip : (third?.from ?? 0), netFirst?.cidr ?? 32);
  return {
    first: firstElem,
    each(f) {
      // Outer loop over the plain address dimension, then ports, then the network blocks.
      const ipFrom = ipSpec === null ? 0 : ipSpec.from;
      const ipTo = ipSpec === null ? 0 : ipSpec.to;
      for (let ip = ipFrom; ip <= ipTo; ip++) {
        for (let port = pp.from; port <= pp.to; port++) {
          if (netSpec === null) {
            if (!f(make(ip, port, third?.from ?? 0, 32))) return;
            continue;
          }
          if (netSpec.cidr !== null || !netSpec.range) {
            const cidr = netSpec.cidr ?? 32;
            const e = type === 'hash:ip,port,net' ? make(ip, port, netSpec.from, cidr) : make(netSpec.from, port, 0, cidr);
            if (!f(e)) return;
            continue;
          }
          let from = netSpec.from;
          for (;;) {
            const cidr = rangeToCidr(from, netSpec.to);
            const e = type === 'hash:ip,port,net' ? make(ip, port, from, cidr) : make(from, port, 0, cidr);
            if (!f(e)) return;
            const last = (from | ~prefixMask(cidr)) >>> 0;
            if (last >= netSpec.to) break;
            from = last + 1;
          }
        }
      }
    },
  };
}

/** Parses a bitmap:port element: `[proto:]port[-port]` (the protocol is accepted and ignored). */
export function parsePortElem(text: string): ParsedElem {
  const pp = parseProtoPort(text.includes(':') ? text : `tcp:${text}`);
  const first = new Elem();
  first.port = pp.from;
  return {
    first,
    each(f) {
      for (let p = pp.from; p <= pp.to; p++) {
        const e = new Elem();
        e.port = p;
        if (!f(e)) return;
      }
    },
  };
}
