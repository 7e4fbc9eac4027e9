/**
 * A reader for the pcap files tcpdump writes with `-i any`: link type LINUX_SLL2 (Linux
 * cooked v2), each frame rebuilt as an Ethernet frame for src/packet/decode.ts.
 */

/** A frame of an `-i any` capture. */
export interface CapturedFrame {
  /** The interface index the kernel captured it on. */
  ifindex: number;
  /** `out` for outgoing, `in` for host, broadcast, multicast and other-host. */
  dir: 'in' | 'out';
  /** An Ethernet frame: destination MAC zero (SLL2 does not keep it), source MAC and type from the SLL2 header. */
  ethernet: Uint8Array;
}

const LINKTYPE_LINUX_SLL2 = 276;
const SLL2_HLEN = 20;
const PACKET_OUTGOING = 4;

/** The frames of a LINUX_SLL2 pcap file (micro- or nanosecond, either byte order); throws on any other. */
export function readSll2Pcap(file: Uint8Array): CapturedFrame[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && magic !== 0xd4c3b2a1 && magic !== 0x4d3cb2a1) throw new Error('not a pcap file');
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  if (linkType !== LINKTYPE_LINUX_SLL2) throw new Error(`link type ${linkType}, not LINUX_SLL2`);
  const frames: CapturedFrame[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const captured = view.getUint32(at + 8, little);
    const original = view.getUint32(at + 12, little);
    if (captured !== original) throw new Error(`frame at ${at} truncated to ${captured} of ${original} bytes`);
    const sll = at + 16;
    const protocol = view.getUint16(sll, false);
    const ifindex = view.getUint32(sll + 4, false);
    const pktType = file[sll + 10]!;
    const ethernet = new Uint8Array(14 + captured - SLL2_HLEN);
    ethernet.set(file.subarray(sll + 12, sll + 18), 6); // source MAC
    ethernet[12] = protocol >> 8;
    ethernet[13] = protocol & 0xff;
    ethernet.set(file.subarray(sll + SLL2_HLEN, sll + captured), 14);
    frames.push({ ifindex, dir: pktType === PACKET_OUTGOING ? 'out' : 'in', ethernet });
    at = sll + captured;
  }
  return frames;
}

/**
 * Fills in the TCP and UDP checksums of an Ethernet/IPv4 frame in place, as a NIC would.
 * veth offloads checksums (CHECKSUM_PARTIAL): tcpdump captures a locally sent segment with
 * only the pseudo-header sum in its checksum field, the peer accepts it so, and an ICMP error
 * about it quotes that field unfilled. So the datagram an ICMP error quotes is filled in too
 * (then the ICMP checksum recomputed). A UDP checksum of 0 (none, as VXLAN sends) stays 0.
 */
export function fillOffloadedChecksum(frame: Uint8Array): void {
  if (frame.length >= 34 && frame[12] === 0x08 && frame[13] === 0x00) fillDatagram(frame, 14, frame.length);
}

const ICMP_ERRORS = new Set([3, 5, 11, 12]);

function word(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

/** The Internet checksum of b[start, end) plus `sum`. */
function checksum(b: Uint8Array, start: number, end: number, sum: number): number {
  for (let i = start; i < end; i += 2) sum += i + 1 < end ? word(b, i) : b[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Fills the checksums of the IPv4 datagram at b[ip, limit) if it is all there. */
function fillDatagram(b: Uint8Array, ip: number, limit: number): void {
  const ihl = (b[ip]! & 0x0f) * 4;
  const end = ip + word(b, ip + 2);
  const proto = b[ip + 9]!;
  const seg = ip + ihl;
  if (end > limit || seg + 8 > end) return;
  const src = ((word(b, ip + 12) << 16) | word(b, ip + 14)) >>> 0;
  const dst = ((word(b, ip + 16) << 16) | word(b, ip + 18)) >>> 0;
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + (end - seg);
  if (proto === 1) {
    if (!ICMP_ERRORS.has(b[seg]!)) return;
    fillDatagram(b, seg + 8, end);
    b[seg + 2] = 0;
    b[seg + 3] = 0;
    const c = checksum(b, seg, end, 0);
    b[seg + 2] = c >> 8;
    b[seg + 3] = c & 0xff;
    return;
  }
  const at = proto === 6 ? seg + 16 : proto === 17 ? seg + 6 : -1;
  if (at < 0 || at + 2 > end) return;
  if (proto === 17 && word(b, at) === 0) return;
  b[at] = 0;
  b[at + 1] = 0;
  let c = checksum(b, seg, end, pseudo);
  if (proto === 17 && c === 0) c = 0xffff;
  b[at] = c >> 8;
  b[at + 1] = c & 0xff;
}
