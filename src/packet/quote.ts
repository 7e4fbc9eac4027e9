/**
 * Rebuilding the datagram a truncated ICMP quote came from.
 *
 * Linux quotes at most 548 bytes of the offending datagram (ICMP_QUOTE_MAX), yet the
 * quoted IPv4 header keeps the full total length and the transport checksum covers bytes
 * that were cut. dpsim's `inner` is a whole datagram and encoding it must give back the
 * same quote, so the missing tail is filled in: zeros, except two bytes chosen so that
 * the innermost transport checksum holds (or the checksum field itself, when that was
 * cut). The quoted bytes are kept as they were; the filled-in ones are invented and mean
 * nothing. A quoted VXLAN datagram is followed into its inner frame: the outer UDP
 * checksum then holds as well, since both sums see the same tail at the same word
 * alignment and both held for the original tail.
 */
import { finishChecksum, foldSum, pseudoHeaderSum, sumWords } from './checksum.js';
import { get16, get32, put16 } from './bytes.js';
import { DecodeError } from './errors.js';
import { isVxlanHeader } from './vxlan.js';
import { ETH_HLEN, ETH_P_IP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_HLEN, UDP_HLEN, VXLAN_HLEN, VXLAN_PORT } from './packet.js';

/** The full-length datagram whose first end - at bytes are b[at, end), its tail filled so its checksums hold. */
export function completeQuotedDatagram(b: Uint8Array, at: number, end: number, base: number): Uint8Array {
  const known = end - at;
  const full = new Uint8Array(get16(b, at + 2));
  full.set(b.subarray(at, end));
  // The innermost checksummed segment: where it starts, its checksum field, its pseudo-header sum.
  let seg = -1;
  let csumAt = 0;
  let pseudo = 0;
  let udp = false;
  // Walk down through VXLAN; anything unexpected is left for the decoder to report.
  let ip = 0;
  while (ip + IPV4_HLEN <= known && full[ip] === 0x45 && ip + get16(full, ip + 2) === full.length) {
    const proto = full[ip + 9]!;
    const transport = ip + IPV4_HLEN;
    const length = full.length - transport;
    const src = get32(full, ip + 12);
    const dst = get32(full, ip + 16);
    if (proto === IPPROTO_ICMP || proto === IPPROTO_TCP) {
      seg = transport;
      csumAt = transport + (proto === IPPROTO_ICMP ? 2 : 16);
      pseudo = proto === IPPROTO_ICMP ? 0 : pseudoHeaderSum(src, dst, proto, length);
      udp = false;
    } else if (proto === IPPROTO_UDP) {
      if (transport + UDP_HLEN > known || get16(full, transport + 6) !== 0) {
        seg = transport;
        csumAt = transport + 6;
        pseudo = pseudoHeaderSum(src, dst, IPPROTO_UDP, length);
        udp = true;
      }
      const eth = transport + UDP_HLEN + VXLAN_HLEN;
      if (get16(full, transport + 2) === VXLAN_PORT && isVxlanHeader(full, transport + UDP_HLEN, known) && get16(full, eth + 12) === ETH_P_IP) {
        ip = eth + ETH_HLEN;
        continue;
      }
    }
    break;
  }
  if (seg >= 0) fillChecksum(full, seg, csumAt, pseudo, known, udp, base + at);
  return full;
}

/** Makes the checksum of full[seg, end) hold by writing into the unknown bytes from `known` on. */
function fillChecksum(full: Uint8Array, seg: number, csumAt: number, pseudo: number, known: number, udp: boolean, base: number): void {
  if (csumAt >= known) {
    // The checksum field itself was cut: compute it over the zero-filled tail.
    let sum = finishChecksum(sumWords(full, seg, full.length, pseudo));
    if (udp && sum === 0) sum = 0xffff;
    put16(full, csumAt, sum);
    return;
  }
  const missing = 0xffff - foldSum(sumWords(full, seg, full.length, pseudo));
  if (missing === 0) return;
  // A byte at an even distance from the segment's start is a word's high byte, odd its low byte.
  const even = (known - seg) % 2 === 0;
  const hiAt = even ? known : known + 1;
  const loAt = even ? known + 1 : known;
  const hi = missing >>> 8;
  const lo = missing & 0xff;
  if ((hi !== 0 && hiAt >= full.length) || (lo !== 0 && loAt >= full.length)) {
    throw new DecodeError(base + known, 'quote ends one byte short of its datagram: its checksum cannot be rebuilt');
  }
  if (hiAt < full.length) full[hiAt] = hi;
  if (loAt < full.length) full[loAt] = lo;
}
