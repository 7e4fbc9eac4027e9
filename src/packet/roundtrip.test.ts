/**
 * Properties of encode and decode over arbitrary packets: decoding what was encoded gives
 * the packet back; every checksum of an encoded frame verifies; quotes of long datagrams
 * (cut at 548 bytes) re-encode to the same bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finishChecksum, internetChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { decodeFrame, decodeIpDatagram } from './decode.js';
import { encodeFrame, encodeIpDatagram } from './encode.js';
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  ETH_HLEN,
  ETH_P_ARP,
  ETH_P_IP,
  ICMP_QUOTE_MAX,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_HLEN,
  Packet,
  VXLAN_PORT,
  isIcmpEcho,
  isIcmpError,
} from './packet.js';

type Fields = Partial<Omit<Packet, 'id'>>;
type Build = (fields: Fields) => Packet;

const build: Build = (fields) => Object.assign(new Packet(), fields);

const uint = (bits: number): fc.Arbitrary<number> =>
  bits <= 31 ? fc.nat(2 ** bits - 1) : fc.tuple(fc.nat(2 ** (bits - 24) - 1), fc.nat(0xffffff)).map(([hi, lo]) => hi * 0x1000000 + lo);
/** Bytes of any length up to maxLength (short ones most often), or null for none. */
const bytesOrNull = (maxLength: number, minLength = 0): fc.Arbitrary<Uint8Array | null> =>
  fc
    .oneof(fc.uint8Array({ minLength, maxLength }), fc.uint8Array({ minLength, maxLength, size: 'max' }))
    .map((b) => (b.length === 0 ? null : b));
const tcpOptions = fc.nat(10).chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })).map((b) => (b.length === 0 ? null : b));

/** The IPv4 header fields of any datagram. */
const ipHeader = fc.record({
  ipTos: uint(8),
  ipId: uint(16),
  ipDf: fc.boolean(),
  ipTtl: uint(8),
  ipSrc: uint(32),
  ipDst: uint(32),
});

const udp = (maxPayload: number, minPayload = 0) =>
  fc.record({ ipProto: fc.constant(IPPROTO_UDP), sport: uint(16), dport: uint(16).filter((p) => p !== VXLAN_PORT), payload: bytesOrNull(maxPayload, minPayload) });
const tcp = (maxPayload: number, minPayload = 0) =>
  fc.record({
    ipProto: fc.constant(IPPROTO_TCP),
    sport: uint(16),
    dport: uint(16),
    tcpSeq: uint(32),
    tcpAck: uint(32),
    tcpFlags: uint(8),
    tcpWindow: uint(16),
    tcpOptions,
    payload: bytesOrNull(maxPayload, minPayload),
  });
const icmpEcho = (maxPayload: number, minPayload = 0) =>
  fc.record({ ipProto: fc.constant(IPPROTO_ICMP), icmpType: fc.constantFrom(0, 8), icmpCode: uint(8), icmpId: uint(16), icmpSeq: uint(16), payload: bytesOrNull(maxPayload, minPayload) });
/** ICMP types that are neither echo nor error (timestamp, router advertisement, unassigned …): a rest word and data. */
const icmpOther = (maxPayload: number, minPayload = 0) =>
  fc.record({
    ipProto: fc.constant(IPPROTO_ICMP),
    icmpType: uint(8).filter((t) => !isIcmpEcho(t) && !isIcmpError(t)),
    icmpCode: uint(8),
    icmpRest: uint(32),
    payload: bytesOrNull(maxPayload, minPayload),
  });
const otherProto = (maxPayload: number, minPayload = 0) =>
  fc.record({ ipProto: uint(8).filter((p) => p !== IPPROTO_ICMP && p !== IPPROTO_UDP && p !== IPPROTO_TCP), payload: bytesOrNull(maxPayload, minPayload) });

/** The transport of a datagram that nests nothing. */
const simpleTransport = (maxPayload: number, minPayload = 0) =>
  fc.oneof(
    udp(maxPayload, minPayload),
    tcp(maxPayload, minPayload),
    icmpEcho(maxPayload, minPayload),
    icmpOther(maxPayload, minPayload),
    otherProto(maxPayload, minPayload),
  );

/** An IPv4 datagram as an ICMP error quotes it: no Ethernet addresses. */
const datagram = (transport: fc.Arbitrary<Fields>): fc.Arbitrary<Packet> =>
  fc.tuple(ipHeader, transport).map(([h, t]) => build({ ethType: ETH_P_IP, ...h, ...t }));

/** An Ethernet frame around an IPv4 datagram. */
const ipFrame = (transport: fc.Arbitrary<Fields>): fc.Arbitrary<Packet> =>
  fc.tuple(uint(48), uint(48), ipHeader, transport).map(([ethDst, ethSrc, h, t]) => build({ ethDst, ethSrc, ethType: ETH_P_IP, ...h, ...t }));

const arpFrame: fc.Arbitrary<Packet> = fc
  .record({
    ethDst: uint(48),
    ethSrc: uint(48),
    arpOp: fc.oneof(fc.constantFrom(ARPOP_REQUEST, ARPOP_REPLY), uint(16)),
    arpSha: uint(48),
    arpSpa: uint(32),
    arpTha: uint(48),
    arpTpa: uint(32),
  })
  .map((f) => build({ ethType: ETH_P_ARP, ...f }));

/** UDP to port 8472 carrying a VXLAN header and `inner`. */
const vxlanOver = (inner: fc.Arbitrary<Packet>): fc.Arbitrary<Fields> =>
  fc.record({ ipProto: fc.constant(IPPROTO_UDP), sport: uint(16), dport: fc.constant(VXLAN_PORT), vxlanVni: uint(24), inner });

/** An ICMP error quoting `inner`. */
const icmpErrorOf = (inner: fc.Arbitrary<Packet>): fc.Arbitrary<Fields> =>
  fc.record({ ipProto: fc.constant(IPPROTO_ICMP), icmpType: fc.constantFrom(3, 4, 5, 11, 12), icmpCode: uint(8), icmpRest: uint(32), inner });

const simpleFrame = fc.oneof(arpFrame, ipFrame(simpleTransport(300)));
/** Datagrams an error may quote: any simple one, or a VXLAN datagram; sized to be quoted whole (≤ 548 bytes). */
const quotableWhole = fc
  .oneof(datagram(simpleTransport(400)), datagram(vxlanOver(simpleFrame)))
  .filter((p) => p.ipTotalLength() <= ICMP_QUOTE_MAX);
const icmpErrorFrame = ipFrame(icmpErrorOf(quotableWhole));
const vxlanFrame = ipFrame(vxlanOver(fc.oneof(simpleFrame, icmpErrorFrame)));

/** Every kind of frame dpsim encodes, nested up to VXLAN around an ICMP error quoting a VXLAN datagram. */
const anyFrame = fc.oneof(simpleFrame, icmpErrorFrame, vxlanFrame);

/** A packet as plain data, without its serial number, for deep comparison. */
function fieldsOf(p: Packet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'id') continue;
    out[k] = v instanceof Packet ? fieldsOf(v) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
  }
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('encode then decode', () => {
  it('gives back any frame', () => {
    fc.assert(
      fc.property(anyFrame, (p) => {
        const bytes = encodeFrame(p);
        expect(bytes.length).toBe(p.frameLength());
        expect(fieldsOf(decodeFrame(bytes))).toEqual(fieldsOf(p));
      }),
      { numRuns: 1000 },
    );
  });

  it('gives back any IPv4 datagram without an Ethernet header', () => {
    fc.assert(
      fc.property(fc.oneof(datagram(simpleTransport(300)), datagram(icmpErrorOf(quotableWhole))), (p) => {
        expect(fieldsOf(decodeIpDatagram(encodeIpDatagram(p)))).toEqual(fieldsOf(p));
      }),
    );
  });

  it('keeps a quote of a long datagram: same bytes again, same headers, the quoted data kept', () => {
    const long = fc
      .oneof(datagram(simpleTransport(1400, 500)), datagram(vxlanOver(ipFrame(simpleTransport(1400, 450)))))
      .filter((p) => p.ipTotalLength() > ICMP_QUOTE_MAX + 1); // one byte short cannot always be rebuilt
    fc.assert(
      fc.property(ipFrame(icmpErrorOf(long)), (p) => {
        const bytes = encodeFrame(p);
        expect(bytes.length).toBe(ETH_HLEN + IPV4_HLEN + 8 + ICMP_QUOTE_MAX);
        const back = decodeFrame(bytes);
        expect(hex(encodeFrame(back))).toBe(hex(bytes));
        const q = back.inner!;
        expect(q.ipTotalLength()).toBe(p.inner!.ipTotalLength());
        expect({ ...fieldsOf(q), payload: null, inner: null, tcpOptions: null }).toEqual({ ...fieldsOf(p.inner!), payload: null, inner: null, tcpOptions: null });
      }),
      { numRuns: 300 },
    );
  });
});

describe('checksums of an encoded frame', () => {
  it('verify to zero: IPv4 header, and the transport with its pseudo-header', () => {
    fc.assert(
      fc.property(fc.oneof(ipFrame(simpleTransport(300)), icmpErrorFrame, vxlanFrame), (p) => {
        const b = encodeFrame(p);
        const ip = ETH_HLEN;
        expect(internetChecksum(b, ip, ip + IPV4_HLEN)).toBe(0);
        const seg = ip + IPV4_HLEN;
        const len = b.length - seg;
        if (p.ipProto === IPPROTO_ICMP) expect(internetChecksum(b, seg, b.length)).toBe(0);
        if (p.ipProto === IPPROTO_TCP || p.ipProto === IPPROTO_UDP) {
          expect(finishChecksum(sumWords(b, seg, b.length, pseudoHeaderSum(p.ipSrc, p.ipDst, p.ipProto, len)))).toBe(0);
        }
        if (p.ipProto === IPPROTO_UDP) expect(b[seg + 6]! | b[seg + 7]!).not.toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
