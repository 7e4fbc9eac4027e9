/**
 * Decoding wire bytes to a Packet: the inverse of encode.ts. Every length and checksum is
 * checked; what is malformed, or well-formed but outside dpsim's model (VLAN tags, IPv4
 * options and fragments, TCP urgent data …), throws a DecodeError naming the byte offset.
 *
 * Ethernet padding: a frame shorter than 60 bytes is padded on the wire, and captures off a
 * physical NIC show the padding (veth captures do not). The model has no padding, so bytes
 * after the datagram are dropped when the whole frame is at most 60 bytes (ETH_ZLEN) and
 * rejected otherwise; encoding the decoded packet gives the frame without its padding.
 *
 * Decoding then encoding gives the same bytes for whatever the kernel sends by default.
 * One exception the model cannot hold: a UDP datagram sent without a checksum (0: a VXLAN
 * device made with `noudpcsum`, a socket with SO_NO_CHECK) decodes, and encodes with one.
 */
import { finishChecksum, internetChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { get16, get32, get48 } from './bytes.js';
import { DecodeError } from './errors.js';
import {
  ARP_PLEN,
  ETH_HLEN,
  ETH_P_ARP,
  ETH_P_IP,
  ICMP_HLEN,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_HLEN,
  Packet,
  TCP_HLEN,
  UDP_HLEN,
  VXLAN_HLEN,
  VXLAN_PORT,
  isIcmpEcho,
  isIcmpError,
} from './packet.js';
import { completeQuotedDatagram } from './quote.js';
import { isVxlanHeader } from './vxlan.js';

export { DecodeError } from './errors.js';

/** The minimum Ethernet frame without FCS; shorter frames are padded up to it on the wire. */
export const ETH_ZLEN = 60;

const ETH_P_8021Q = 0x8100;

/** Decodes one Ethernet frame (no FCS; padding up to 60 bytes is dropped). */
export function decodeFrame(bytes: Uint8Array): Packet {
  return readFrame(bytes, 0, bytes.length, 0);
}

/** Decodes one IPv4 datagram that fills `bytes` exactly (no Ethernet header). */
export function decodeIpDatagram(bytes: Uint8Array): Packet {
  const p = new Packet();
  p.ethType = ETH_P_IP;
  const total = readIpDatagram(bytes, 0, bytes.length, 0, p);
  if (total !== bytes.length) throw new DecodeError(total, 'bytes after the IPv4 datagram');
  return p;
}

// Every reader takes absolute offsets into `b`; `base` is added to offsets in errors, so a
// rebuilt quote (quote.ts) reports positions in the buffer the caller passed.

/** Reads the frame in b[start, end). */
function readFrame(b: Uint8Array, start: number, end: number, base: number): Packet {
  if (end - start < ETH_HLEN) throw new DecodeError(base + start, `frame of ${end - start} bytes is shorter than an Ethernet header`);
  const p = new Packet();
  p.ethDst = get48(b, start);
  p.ethSrc = get48(b, start + 6);
  p.ethType = get16(b, start + 12);
  const at = start + ETH_HLEN;
  let used: number;
  if (p.ethType === ETH_P_ARP) {
    readArp(b, at, end, base, p);
    used = ETH_HLEN + ARP_PLEN;
  } else if (p.ethType === ETH_P_IP) {
    used = ETH_HLEN + readIpDatagram(b, at, end, base, p);
  } else if (p.ethType === ETH_P_8021Q) {
    throw new DecodeError(base + start + 12, 'VLAN-tagged frames are not modelled');
  } else {
    throw new DecodeError(base + start + 12, `unsupported ethertype 0x${p.ethType.toString(16).padStart(4, '0')}`);
  }
  if (start + used < end && end - start > ETH_ZLEN) {
    throw new DecodeError(base + start + used, `${end - start - used} bytes after the ${p.ethType === ETH_P_ARP ? 'ARP packet' : 'IPv4 datagram'} in a frame longer than ${ETH_ZLEN} bytes`);
  }
  return p;
}

/** Reads an Ethernet/IPv4 ARP packet at b[at]. */
function readArp(b: Uint8Array, at: number, end: number, base: number, p: Packet): void {
  if (end - at < ARP_PLEN) throw new DecodeError(base + at, `ARP packet of ${end - at} bytes is shorter than ${ARP_PLEN}`);
  if (get16(b, at) !== 1 || get16(b, at + 2) !== ETH_P_IP || b[at + 4] !== 6 || b[at + 5] !== 4) {
    throw new DecodeError(base + at, 'ARP for other than Ethernet/IPv4 is not modelled');
  }
  p.arpOp = get16(b, at + 6);
  p.arpSha = get48(b, at + 8);
  p.arpSpa = get32(b, at + 14);
  p.arpTha = get48(b, at + 18);
  p.arpTpa = get32(b, at + 24);
}

/** Reads the IPv4 datagram at b[at] (at most up to `end`) into p; returns its total length. */
function readIpDatagram(b: Uint8Array, at: number, end: number, base: number, p: Packet): number {
  if (end - at < IPV4_HLEN) throw new DecodeError(base + at, `IPv4 header truncated to ${end - at} bytes`);
  const version = b[at]! >> 4;
  const ihl = b[at]! & 0x0f;
  if (version !== 4) throw new DecodeError(base + at, `IP version ${version} is not IPv4`);
  if (ihl < 5) throw new DecodeError(base + at, `IPv4 header length ${ihl * 4} is below 20`);
  if (ihl > 5) throw new DecodeError(base + at, 'IPv4 options are not modelled');
  const total = get16(b, at + 2);
  if (total < IPV4_HLEN) throw new DecodeError(base + at + 2, `IPv4 total length ${total} is below 20`);
  if (total > end - at) throw new DecodeError(base + at + 2, `IPv4 total length ${total} exceeds the ${end - at} bytes present`);
  const fragOff = get16(b, at + 6);
  if (fragOff & 0x8000) throw new DecodeError(base + at + 6, 'IPv4 reserved flag set');
  if (fragOff & 0x3fff) throw new DecodeError(base + at + 6, 'IPv4 fragments are not modelled');
  if (internetChecksum(b, at, at + IPV4_HLEN) !== 0) throw new DecodeError(base + at + 10, 'bad IPv4 header checksum');
  p.ipTos = b[at + 1]!;
  p.ipId = get16(b, at + 4);
  p.ipDf = (fragOff & 0x4000) !== 0;
  p.ipTtl = b[at + 8]!;
  p.ipProto = b[at + 9]!;
  p.ipSrc = get32(b, at + 12);
  p.ipDst = get32(b, at + 16);
  const seg = at + IPV4_HLEN;
  const segEnd = at + total;
  switch (p.ipProto) {
    case IPPROTO_ICMP:
      readIcmp(b, seg, segEnd, base, p);
      break;
    case IPPROTO_UDP:
      readUdp(b, seg, segEnd, base, p);
      break;
    case IPPROTO_TCP:
      readTcp(b, seg, segEnd, base, p);
      break;
    default:
      p.payload = copyOrNull(b, seg, segEnd);
  }
  return total;
}

/** Reads the ICMP message in b[at, end). */
function readIcmp(b: Uint8Array, at: number, end: number, base: number, p: Packet): void {
  if (end - at < ICMP_HLEN) throw new DecodeError(base + at, `ICMP message of ${end - at} bytes is shorter than its 8-byte header`);
  if (internetChecksum(b, at, end) !== 0) throw new DecodeError(base + at + 2, 'bad ICMP checksum');
  p.icmpType = b[at]!;
  p.icmpCode = b[at + 1]!;
  const data = at + ICMP_HLEN;
  if (isIcmpEcho(p.icmpType)) {
    p.icmpId = get16(b, at + 4);
    p.icmpSeq = get16(b, at + 6);
    p.payload = copyOrNull(b, data, end);
  } else {
    p.icmpRest = get32(b, at + 4);
    if (!isIcmpError(p.icmpType)) p.payload = copyOrNull(b, data, end);
    else if (data < end) p.inner = readQuote(b, data, end, base);
  }
}

/**
 * Reads the datagram an ICMP error quotes. A quote shorter than the datagram (the kernel
 * stops at 548 bytes) is first rebuilt to full length by quote.ts, so the inner packet's
 * lengths and checksums are those of the original and encoding it quotes the same bytes.
 */
function readQuote(b: Uint8Array, at: number, end: number, base: number): Packet {
  const inner = new Packet();
  inner.ethType = ETH_P_IP;
  if (end - at < IPV4_HLEN) throw new DecodeError(base + at, `quoted datagram of ${end - at} bytes is shorter than an IPv4 header`);
  const total = get16(b, at + 2);
  if (total < end - at) throw new DecodeError(base + at + 2, `quoted datagram's total length ${total} is below the ${end - at} bytes quoted`);
  if (total === end - at) {
    readIpDatagram(b, at, end, base, inner);
  } else {
    const full = completeQuotedDatagram(b, at, end, base);
    readIpDatagram(full, 0, full.length, base + at, inner);
  }
  return inner;
}

/** Reads the UDP datagram in b[at, end); port 8472 with a valid VXLAN header holds an inner frame. */
function readUdp(b: Uint8Array, at: number, end: number, base: number, p: Packet): void {
  if (end - at < UDP_HLEN) throw new DecodeError(base + at, `UDP datagram of ${end - at} bytes is shorter than its 8-byte header`);
  const len = get16(b, at + 4);
  if (len !== end - at) throw new DecodeError(base + at + 4, `UDP length ${len} disagrees with the ${end - at} bytes the IPv4 header gives it`);
  p.sport = get16(b, at);
  p.dport = get16(b, at + 2);
  if (get16(b, at + 6) !== 0 && finishChecksum(sumWords(b, at, end, pseudoHeaderSum(p.ipSrc, p.ipDst, IPPROTO_UDP, len))) !== 0) {
    throw new DecodeError(base + at + 6, 'bad UDP checksum');
  }
  const data = at + UDP_HLEN;
  if (p.dport === VXLAN_PORT && isVxlanHeader(b, data, end)) {
    p.vxlanVni = get32(b, data + 4) >>> 8;
    p.inner = readFrame(b, data + VXLAN_HLEN, end, base);
  } else {
    p.payload = copyOrNull(b, data, end);
  }
}

/** Reads the TCP segment in b[at, end). */
function readTcp(b: Uint8Array, at: number, end: number, base: number, p: Packet): void {
  if (end - at < TCP_HLEN) throw new DecodeError(base + at, `TCP segment of ${end - at} bytes is shorter than its 20-byte header`);
  const doff = (b[at + 12]! >> 4) * 4;
  if (doff < TCP_HLEN || doff > end - at) throw new DecodeError(base + at + 12, `TCP data offset ${doff} outside 20..${end - at}`);
  if (b[at + 12]! & 0x0f) throw new DecodeError(base + at + 12, 'TCP reserved bits (or AccECN AE) set');
  if (get16(b, at + 18) !== 0) throw new DecodeError(base + at + 18, 'TCP urgent pointer is not modelled');
  if (finishChecksum(sumWords(b, at, end, pseudoHeaderSum(p.ipSrc, p.ipDst, IPPROTO_TCP, end - at))) !== 0) {
    throw new DecodeError(base + at + 16, 'bad TCP checksum');
  }
  p.sport = get16(b, at);
  p.dport = get16(b, at + 2);
  p.tcpSeq = get32(b, at + 4);
  p.tcpAck = get32(b, at + 8);
  p.tcpFlags = b[at + 13]!;
  p.tcpWindow = get16(b, at + 14);
  p.tcpOptions = copyOrNull(b, at + TCP_HLEN, at + doff);
  p.payload = copyOrNull(b, at + doff, end);
}

/** A copy of b[start, end), or null when it is empty. */
function copyOrNull(b: Uint8Array, start: number, end: number): Uint8Array | null {
  return start < end ? b.slice(start, end) : null;
}
