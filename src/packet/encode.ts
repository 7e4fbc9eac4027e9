/**
 * Encoding a Packet to the bytes the wire carries: Ethernet II, then ARP (Ethernet/IPv4) or
 * IPv4 (IHL 5, no options) carrying ICMP, UDP (VXLAN inside when `vxlanVni >= 0`) or TCP,
 * with every length and checksum filled in as the kernel would. Used for pcap files and
 * tests, never per hop.
 */
import { finishChecksum, internetChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { put16, put32, put48 } from './bytes.js';
import { EncodeError } from './errors.js';
import { VXLAN_FLAGS_VNI } from './vxlan.js';
import {
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
  isIcmpEcho,
  isIcmpError,
} from './packet.js';

export { EncodeError } from './errors.js';

/** Most TCP option bytes a header can carry (data offset 15 words). */
export const TCP_OPTIONS_MAX = 40;

/** The Ethernet frame of `p` (no padding, no FCS). */
export function encodeFrame(p: Packet): Uint8Array {
  const out = new Uint8Array(p.frameLength());
  writeFrame(p, out, 0);
  return out;
}

/** The IPv4 datagram of `p`, without its Ethernet header. */
export function encodeIpDatagram(p: Packet): Uint8Array {
  const out = new Uint8Array(p.ipTotalLength());
  writeIpDatagram(p, out, 0);
  return out;
}

/** Writes the frame of `p` into `out` at `at`; it takes p.frameLength() bytes. */
export function writeFrame(p: Packet, out: Uint8Array, at: number): void {
  checkUint('ethDst', p.ethDst, 48);
  checkUint('ethSrc', p.ethSrc, 48);
  put48(out, at, p.ethDst);
  put48(out, at + 6, p.ethSrc);
  put16(out, at + 12, p.ethType);
  if (p.ethType === ETH_P_ARP) writeArp(p, out, at + ETH_HLEN);
  else if (p.ethType === ETH_P_IP) writeIpDatagram(p, out, at + ETH_HLEN);
  else throw new EncodeError('ethType', `0x${p.ethType.toString(16)} is neither IPv4 nor ARP`);
}

/** Writes the IPv4 datagram of `p` into `out` at `at`; it takes p.ipTotalLength() bytes. */
export function writeIpDatagram(p: Packet, out: Uint8Array, at: number): void {
  const total = p.ipTotalLength();
  if (total > 0xffff) throw new EncodeError('payload', `IPv4 datagram of ${total} bytes exceeds 65535`);
  checkUint('ipTos', p.ipTos, 8);
  checkUint('ipId', p.ipId, 16);
  checkUint('ipTtl', p.ipTtl, 8);
  checkUint('ipProto', p.ipProto, 8);
  checkUint('ipSrc', p.ipSrc, 32);
  checkUint('ipDst', p.ipDst, 32);
  out[at] = 0x45; // version 4, IHL 5
  out[at + 1] = p.ipTos;
  put16(out, at + 2, total);
  put16(out, at + 4, p.ipId);
  put16(out, at + 6, p.ipDf ? 0x4000 : 0); // frag_off: DF, never MF, offset 0
  out[at + 8] = p.ipTtl;
  out[at + 9] = p.ipProto;
  put16(out, at + 10, 0);
  put32(out, at + 12, p.ipSrc);
  put32(out, at + 16, p.ipDst);
  put16(out, at + 10, internetChecksum(out, at, at + IPV4_HLEN));

  const seg = at + IPV4_HLEN;
  const segLen = total - IPV4_HLEN;
  switch (p.ipProto) {
    case IPPROTO_ICMP:
      writeIcmp(p, out, seg, segLen);
      break;
    case IPPROTO_UDP:
      writeUdp(p, out, seg, segLen);
      break;
    case IPPROTO_TCP:
      writeTcp(p, out, seg, segLen);
      break;
    default:
      if (p.payload !== null) out.set(p.payload, seg);
  }
}

/** ARP for Ethernet/IPv4 (RFC 826): hardware type 1, protocol 0x0800, lengths 6 and 4. */
function writeArp(p: Packet, out: Uint8Array, at: number): void {
  checkUint('arpOp', p.arpOp, 16);
  checkUint('arpSha', p.arpSha, 48);
  checkUint('arpSpa', p.arpSpa, 32);
  checkUint('arpTha', p.arpTha, 48);
  checkUint('arpTpa', p.arpTpa, 32);
  put16(out, at, 1);
  put16(out, at + 2, ETH_P_IP);
  out[at + 4] = 6;
  out[at + 5] = 4;
  put16(out, at + 6, p.arpOp);
  put48(out, at + 8, p.arpSha);
  put32(out, at + 14, p.arpSpa);
  put48(out, at + 18, p.arpTha);
  put32(out, at + 24, p.arpTpa);
}

/** ICMP: type, code, checksum over the whole message, the rest-of-header word, then the quote or the data. */
function writeIcmp(p: Packet, out: Uint8Array, at: number, len: number): void {
  checkUint('icmpType', p.icmpType, 8);
  checkUint('icmpCode', p.icmpCode, 8);
  out[at] = p.icmpType;
  out[at + 1] = p.icmpCode;
  put16(out, at + 2, 0);
  if (isIcmpEcho(p.icmpType)) {
    if (p.inner !== null) throw new EncodeError('inner', 'an echo message quotes no datagram');
    checkUint('icmpId', p.icmpId, 16);
    checkUint('icmpSeq', p.icmpSeq, 16);
    put16(out, at + 4, p.icmpId);
    put16(out, at + 6, p.icmpSeq);
  } else {
    checkUint('icmpRest', p.icmpRest, 32);
    put32(out, at + 4, p.icmpRest);
  }
  if (p.inner !== null) {
    if (!isIcmpError(p.icmpType)) throw new EncodeError('inner', `ICMP type ${p.icmpType} quotes no datagram`);
    // The offending datagram, complete with its own checksums, cut to what the error quotes.
    const quoted = encodeIpDatagram(p.inner);
    out.set(quoted.subarray(0, p.inner.quotedLength()), at + ICMP_HLEN);
  } else if (p.payload !== null) {
    if (isIcmpError(p.icmpType)) throw new EncodeError('payload', 'an ICMP error carries its quote in inner');
    out.set(p.payload, at + ICMP_HLEN);
  }
  put16(out, at + 2, internetChecksum(out, at, at + len));
}

/**
 * UDP (RFC 768) with its pseudo-header checksum (a computed 0 is sent as 0xffff). A VXLAN
 * datagram is checksummed too: Linux's VXLAN device sends UDP checksums over IPv4 unless
 * created with `noudpcsum`, and flannel does not ask for that.
 */
function writeUdp(p: Packet, out: Uint8Array, at: number, len: number): void {
  checkUint('sport', p.sport, 16);
  checkUint('dport', p.dport, 16);
  put16(out, at, p.sport);
  put16(out, at + 2, p.dport);
  put16(out, at + 4, len);
  put16(out, at + 6, 0);
  if (p.vxlanVni >= 0 && p.inner !== null) {
    checkUint('vxlanVni', p.vxlanVni, 24);
    const vx = at + UDP_HLEN;
    put32(out, vx, VXLAN_FLAGS_VNI << 24); // flags, 24 reserved bits
    put32(out, vx + 4, p.vxlanVni * 256); // VNI, 8 reserved bits
    writeFrame(p.inner, out, vx + VXLAN_HLEN);
  } else if (p.payload !== null) {
    out.set(p.payload, at + UDP_HLEN);
  }
  const sum = finishChecksum(sumWords(out, at, at + len, pseudoHeaderSum(p.ipSrc, p.ipDst, IPPROTO_UDP, len)));
  put16(out, at + 6, sum === 0 ? 0xffff : sum); // 0 would mean "no checksum"
}

/** TCP (RFC 9293): data offset from the options' length, flags, window, pseudo-header checksum, urgent pointer 0. */
function writeTcp(p: Packet, out: Uint8Array, at: number, len: number): void {
  const options = p.tcpOptions;
  const optLen = options === null ? 0 : options.length;
  if (optLen % 4 !== 0 || optLen > TCP_OPTIONS_MAX) {
    throw new EncodeError('tcpOptions', `${optLen} bytes: must be a multiple of 4, at most ${TCP_OPTIONS_MAX}`);
  }
  checkUint('sport', p.sport, 16);
  checkUint('dport', p.dport, 16);
  checkUint('tcpSeq', p.tcpSeq, 32);
  checkUint('tcpAck', p.tcpAck, 32);
  checkUint('tcpFlags', p.tcpFlags, 8);
  checkUint('tcpWindow', p.tcpWindow, 16);
  put16(out, at, p.sport);
  put16(out, at + 2, p.dport);
  put32(out, at + 4, p.tcpSeq);
  put32(out, at + 8, p.tcpAck);
  out[at + 12] = ((TCP_HLEN + optLen) / 4) << 4;
  out[at + 13] = p.tcpFlags;
  put16(out, at + 14, p.tcpWindow);
  put16(out, at + 16, 0);
  put16(out, at + 18, 0); // urgent pointer
  if (options !== null) out.set(options, at + TCP_HLEN);
  if (p.payload !== null) out.set(p.payload, at + TCP_HLEN + optLen);
  put16(out, at + 16, finishChecksum(sumWords(out, at, at + len, pseudoHeaderSum(p.ipSrc, p.ipDst, IPPROTO_TCP, len))));
}

/** Throws unless `value` is an integer in [0, 2^bits). */
function checkUint(field: string, value: number, bits: number): void {
  if (!(Number.isInteger(value) && value >= 0 && value < 2 ** bits)) {
    throw new EncodeError(field, `${value} is not a ${bits}-bit unsigned integer`);
  }
}
