/** What encodeFrame refuses, and small facts of the encoding. */
import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode.js';
import { EncodeError, encodeFrame, encodeIpDatagram } from './encode.js';
import { ETH_P_IP, ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_FRAG_NEEDED, ICMP_QUOTE_MAX, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet, VXLAN_PORT } from './packet.js';

const HOST_A = 0x0a000102; // 10.0.1.2
const HOST_B = 0x0a000202; // 10.0.2.2

/** A UDP datagram from HOST_A to HOST_B with `size` bytes of data. */
function udp(size: number): Packet {
  const p = new Packet();
  p.ethType = ETH_P_IP;
  p.ipProto = IPPROTO_UDP;
  p.ipSrc = HOST_A;
  p.ipDst = HOST_B;
  p.sport = 40000;
  p.dport = 5301;
  p.payload = new Uint8Array(size).fill(0x61);
  return p;
}

describe('encodeFrame', () => {
  it('refuses fields that do not fit the wire', () => {
    const cases: [string, (p: Packet) => void][] = [
      ['ethType', (p) => (p.ethType = 0x86dd)],
      ['ipTtl', (p) => (p.ipTtl = 256)],
      ['ipSrc', (p) => (p.ipSrc = -1)],
      ['sport', (p) => (p.sport = 65536)],
      ['ethDst', (p) => (p.ethDst = 2 ** 48)],
      ['payload', (p) => (p.payload = new Uint8Array(65536))],
      ['vxlanVni', (p) => ((p.vxlanVni = 2 ** 24), (p.inner = udp(1)), (p.dport = VXLAN_PORT))],
      ['tcpOptions', (p) => ((p.ipProto = IPPROTO_TCP), (p.tcpOptions = new Uint8Array(3)))],
      ['tcpOptions', (p) => ((p.ipProto = IPPROTO_TCP), (p.tcpOptions = new Uint8Array(44)))],
      ['inner', (p) => ((p.ipProto = IPPROTO_ICMP), (p.icmpType = ICMP_ECHO), (p.inner = udp(1)))],
      ['payload', (p) => ((p.ipProto = IPPROTO_ICMP), (p.icmpType = ICMP_DEST_UNREACH))],
    ];
    for (const [field, edit] of cases) {
      const p = udp(4);
      edit(p);
      expect(() => encodeFrame(p), field).toThrow(EncodeError);
      try {
        encodeFrame(p);
      } catch (e) {
        expect((e as EncodeError).field).toBe(field);
      }
    }
  });

  it('quotes a datagram whole up to 548 bytes, and cuts it there', () => {
    for (const size of [0, 6, ICMP_QUOTE_MAX - 28, ICMP_QUOTE_MAX - 27, 1400]) {
      const error = new Packet();
      error.ethType = ETH_P_IP;
      error.ipProto = IPPROTO_ICMP;
      error.icmpType = ICMP_DEST_UNREACH;
      error.icmpCode = ICMP_FRAG_NEEDED;
      error.icmpRest = 1450;
      error.inner = udp(size);
      const quoted = encodeIpDatagram(error.inner);
      const b = encodeFrame(error);
      expect(b.length).toBe(14 + 20 + 8 + Math.min(quoted.length, ICMP_QUOTE_MAX));
      expect(Buffer.from(b.subarray(42)).equals(Buffer.from(quoted.subarray(0, ICMP_QUOTE_MAX)))).toBe(true);
      expect(b[40]! * 256 + b[41]!).toBe(1450); // next-hop MTU, low 16 bits of the rest word
      expect(decodeFrame(b).inner!.ipTotalLength()).toBe(quoted.length);
    }
  });

  it('never sends UDP checksum 0 (a computed 0 goes out as 0xffff)', () => {
    // Data chosen so the sum of pseudo-header, header and data is 0xffff: the computed checksum is 0.
    const p = udp(2);
    p.payload = new Uint8Array(2);
    const b = encodeFrame(p);
    const sum = b[40]! * 256 + b[41]!;
    const wanted = sum === 0xffff ? 0 : sum; // the data word that brings the sum to 0xffff
    p.payload = Uint8Array.of(wanted >>> 8, wanted & 0xff);
    const zero = encodeFrame(p);
    expect(zero[40]! * 256 + zero[41]!).toBe(0xffff);
    expect(decodeFrame(zero).payload).toEqual(p.payload);
  });
});
