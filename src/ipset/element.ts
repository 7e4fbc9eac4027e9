/**
 * One set element as numbers, and the kernel's in-memory layout of each hash type's element
 * (struct hash_*4_elem) as the 32-bit words a little-endian kernel feeds to jhash2: the words
 * decide the bucket, so listing order and memory use follow the kernel's.
 */
import { formatIPv4 } from '../packet/address.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;
export const IPPROTO_UDPLITE = 136;

/** An element's fields; each type uses the ones it has. Reused, never allocated per packet. */
export class Elem {
  /** First address (hash:ip*, and the network of hash:net*), host order. */
  ip = 0;
  /** Port, or for ICMP (type << 8) | code. */
  port = 0;
  proto = 0;
  /** Second address (hash:ip,port,ip) or network (hash:ip,port,net). */
  ip2 = 0;
  /** Prefix length of the network part (hash:net*, hash:ip,port,net); 32 for a host. */
  cidr = 32;
  nomatch = false;
  /** Member set name (list:set). */
  name = '';

  reset(): this {
    this.ip = 0;
    this.port = 0;
    this.proto = 0;
    this.ip2 = 0;
    this.cidr = 32;
    this.nomatch = false;
    this.name = '';
    return this;
  }

  copyFrom(e: Elem): this {
    this.ip = e.ip;
    this.port = e.port;
    this.proto = e.proto;
    this.ip2 = e.ip2;
    this.cidr = e.cidr;
    this.nomatch = e.nomatch;
    this.name = e.name;
    return this;
  }
}

/** The netmask of a prefix length as a host-order number. */
export function prefixMask(cidr: number): number {
  return cidr === 0 ? 0 : (0xffffffff << (32 - cidr)) >>> 0;
}

function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

/** Whether the protocol has ports ipset stores (ip_set_proto_with_ports). */
export function protoWithPorts(proto: number): boolean {
  return proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP || proto === IPPROTO_UDPLITE;
}

/** The hash types dpsim models. */
export type HashTypeName = 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'hash:net' | 'hash:net,port';

/** What a hash type is in the kernel: its element size in words, whether it stores networks, and its layout. */
export interface HashLayout {
  name: HashTypeName;
  /** sizeof(struct hash_*4_elem) / 4: the words hashed and compared. */
  words: number;
  /** IP_SET_HASH_WITH_NETS: elements carry a prefix length and a packet test tries each stored one. */
  nets: boolean;
  /** Writes the element's kernel words (nomatch kept out: the kernel hashes and compares without it). */
  encode(e: Elem, out: Uint32Array, off: number): void;
  /** Reads an element back from its words. */
  decode(w: Uint32Array, off: number, e: Elem): void;
}

/** Writes `__be16 port; u8 a; u8 b` as the little-endian word the kernel hashes. */
function portWord(port: number, a: number, b: number): number {
  return (bswap16(port) | (a << 16) | (b << 24)) >>> 0;
}

export const HASH_LAYOUTS: Record<HashTypeName, HashLayout> = {
  // struct hash_ip4_elem { __be32 ip; }
  'hash:ip': {
    name: 'hash:ip',
    words: 1,
    nets: false,
    encode: (e, o, i) => {
      o[i] = bswap32(e.ip);
    },
    decode: (w, i, e) => {
      e.ip = bswap32(w[i]!);
    },
  },
  // struct hash_ipport4_elem { __be32 ip; __be16 port; u8 proto; u8 padding; }
  'hash:ip,port': {
    name: 'hash:ip,port',
    words: 2,
    nets: false,
    encode: (e, o, i) => {
      o[i] = bswap32(e.ip);
      o[i + 1] = portWord(e.port, e.proto, 0);
    },
    decode: (w, i, e) => {
      e.ip = bswap32(w[i]!);
      e.port = bswap16(w[i + 1]! & 0xffff);
      e.proto = (w[i + 1]! >>> 16) & 0xff;
    },
  },
  // struct hash_ipportip4_elem { __be32 ip; __be32 ip2; __be16 port; u8 proto; u8 padding; }
  'hash:ip,port,ip': {
    name: 'hash:ip,port,ip',
    words: 3,
    nets: false,
    encode: (e, o, i) => {
      o[i] = bswap32(e.ip);
      o[i + 1] = bswap32(e.ip2);
      o[i + 2] = portWord(e.port, e.proto, 0);
    },
    decode: (w, i, e) => {
      e.ip = bswap32(w[i]!);
      e.ip2 = bswap32(w[i + 1]!);
      e.port = bswap16(w[i + 2]! & 0xffff);
      e.proto = (w[i + 2]! >>> 16) & 0xff;
    },
  },
  // struct hash_ipportnet4_elem { __be32 ip; __be32 ip2; __be16 port; u8 cidr:7; u8 nomatch:1; u8 proto; } (cidr - 1 stored)
  'hash:ip,port,net': {
    name: 'hash:ip,port,net',
    words: 3,
    nets: true,
    encode: (e, o, i) => {
      o[i] = bswap32(e.ip);
      o[i + 1] = bswap32(e.ip2 & prefixMask(e.cidr));
      o[i + 2] = portWord(e.port, (e.cidr - 1) & 0x7f, e.proto);
    },
    decode: (w, i, e) => {
      e.ip = bswap32(w[i]!);
      e.ip2 = bswap32(w[i + 1]!);
      e.port = bswap16(w[i + 2]! & 0xffff);
      e.cidr = ((w[i + 2]! >>> 16) & 0x7f) + 1;
      e.proto = (w[i + 2]! >>> 24) & 0xff;
    },
  },
  // struct hash_net4_elem { __be32 ip; u16 padding0; u8 nomatch; u8 cidr; }
  'hash:net': {
    name: 'hash:net',
    words: 2,
    nets: true,
    encode: (e, o, i) => {
      o[i] = bswap32(e.ip & prefixMask(e.cidr));
      o[i + 1] = (e.cidr << 24) >>> 0;
    },
    decode: (w, i, e) => {
      e.ip = bswap32(w[i]!);
      e.cidr = w[i + 1]! >>> 24;
    },
  },
  // struct hash_netport4_elem { __be32 ip; __be16 port; u8 proto; u8 cidr:7; u8 nomatch:1; } (cidr - 1 stored)
  'hash:net,port': {
    name: 'hash:net,port',
    words: 2,
    nets: true,
    encode: (e, o, i) => {
      o[i] = bswap32(e.ip & prefixMask(e.cidr));
      o[i + 1] = portWord(e.port, e.proto, (e.cidr - 1) & 0x7f);
    },
    decode: (w, i, e) => {
      e.ip = bswap32(w[i]!);
      e.port = bswap16(w[i + 1]! & 0xffff);
      e.proto = (w[i + 1]! >>> 16) & 0xff;
      e.cidr = ((w[i + 1]! >>> 24) & 0x7f) + 1;
    },
  },
};

/** ICMP type/code names as ipset prints and parses them (libipset icmp.c). */
export const ICMP_NAMES: readonly (readonly [string, number, number])[] = [
  ['echo-reply', 0, 0],
  ['network-unreachable', 3, 0],
  ['host-unreachable', 3, 1],
  ['protocol-unreachable', 3, 2],
  ['port-unreachable', 3, 3],
  ['fragmentation-needed', 3, 4],
  ['source-route-failed', 3, 5],
  ['network-unknown', 3, 6],
  ['host-unknown', 3, 7],
  ['network-prohibited', 3, 9],
  ['host-prohibited', 3, 10],
  ['TOS-network-unreachable', 3, 11],
  ['TOS-host-unreachable', 3, 12],
  ['communication-prohibited', 3, 13],
  ['host-precedence-violation', 3, 14],
  ['precedence-cutoff', 3, 15],
  ['source-quench', 4, 0],
  ['network-redirect', 5, 0],
  ['host-redirect', 5, 1],
  ['TOS-network-redirect', 5, 2],
  ['TOS-host-redirect', 5, 3],
  ['echo-request', 8, 0],
  ['router-advertisement', 9, 0],
  ['router-solicitation', 10, 0],
  ['ttl-zero-during-transit', 11, 0],
  ['ttl-zero-during-reassembly', 11, 1],
  ['ip-header-bad', 12, 0],
  ['required-option-missing', 12, 1],
  ['timestamp-request', 13, 0],
  ['timestamp-reply', 14, 0],
  ['address-mask-request', 17, 0],
  ['address-mask-reply', 18, 0],
];

/** Protocol names ipset prints (getprotobynumber on this machine). */
export const PROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [IPPROTO_ICMP, 'icmp'],
  [IPPROTO_TCP, 'tcp'],
  [IPPROTO_UDP, 'udp'],
  [IPPROTO_SCTP, 'sctp'],
  [IPPROTO_UDPLITE, 'udplite'],
]);

/** `proto:port` as ipset prints it (`tcp:443`, `icmp:echo-request`). */
export function formatProtoPort(proto: number, port: number): string {
  if (proto === IPPROTO_ICMP) {
    const type = port >>> 8;
    const code = port & 0xff;
    const named = ICMP_NAMES.find(([, t, c]) => t === type && c === code);
    return `icmp:${named !== undefined ? named[0] : `${type}/${code}`}`;
  }
  return `${PROTO_NAMES.get(proto) ?? String(proto)}:${port}`;
}

/** A network as ipset prints it: the address, and `/cidr` unless it is a host. */
export function formatNet(ip: number, cidr: number): string {
  return cidr === 32 ? formatIPv4(ip) : `${formatIPv4(ip)}/${cidr}`;
}

/** An element of a hash type as `ipset list` prints it (without nomatch or extensions). */
export function formatHashElem(type: HashTypeName, e: Elem): string {
  switch (type) {
    case 'hash:ip':
      return formatIPv4(e.ip);
    case 'hash:ip,port':
      return `${formatIPv4(e.ip)},${formatProtoPort(e.proto, e.port)}`;
    case 'hash:ip,port,ip':
      return `${formatIPv4(e.ip)},${formatProtoPort(e.proto, e.port)},${formatIPv4(e.ip2)}`;
    case 'hash:ip,port,net':
      return `${formatIPv4(e.ip)},${formatProtoPort(e.proto, e.port)},${formatNet(e.ip2, e.cidr)}`;
    case 'hash:net':
      return formatNet(e.ip, e.cidr);
    case 'hash:net,port':
      return `${formatNet(e.ip, e.cidr)},${formatProtoPort(e.proto, e.port)}`;
  }
}
