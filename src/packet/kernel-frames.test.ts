/**
 * Frames the kernel sent (test/fixtures/wire, made by capture.sh): each decodes to the
 * fields the kernel put there and encodes back to the very same bytes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIPv4, parseMac } from './address.js';
import { DecodeError, ETH_ZLEN, decodeFrame } from './decode.js';
import { encodeFrame } from './encode.js';
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  ETH_P_ARP,
  ETH_P_IP,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PKT_FILTERED,
  ICMP_PORT_UNREACH,
  ICMP_QUOTE_MAX,
  ICMP_REDIRECT,
  ICMP_REDIR_HOST,
  ICMP_TIME_EXCEEDED,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MAC_BROADCAST,
  Packet,
  TCP_ACK,
  TCP_FIN,
  TCP_SYN,
  VXLAN_PORT,
} from './packet.js';

const FIXTURES = new URL('../../test/fixtures/wire/', import.meta.url);

// The capture topology (capture.sh): a --- r(br0) --- c on 10.0.1.0/24, r(eth1) --- b on 10.0.2.0/24.
const ip = (text: string): number => parseIPv4(text)!;
const mac = (text: string): number => parseMac(text)!;
const A = ip('10.0.1.2');
const R_LAN = ip('10.0.1.1');
const C = ip('10.0.1.3');
const B = ip('10.0.2.2');
const MAC_A = mac('02:00:00:00:00:01');
const MAC_R = mac('02:00:00:00:00:02');
const MAC_C = mac('02:00:00:00:00:05');
const VX_A = ip('10.10.0.1');
const VX_B = ip('10.10.0.2');
const MAC_VX_A = mac('02:00:00:00:00:11');
const MAC_VX_B = mac('02:00:00:00:00:12');
const IPTOS_PREC_INTERNETCONTROL = 0xc0;

interface CapturedFrame {
  summary: string;
  bytes: Uint8Array;
}

/** The frames of test/fixtures/wire/NAME.hex, each with tshark's summary line. */
function captured(name: string): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  let summary = '';
  for (const line of readFileSync(new URL(`${name}.hex`, FIXTURES), 'utf8').split('\n')) {
    if (line.startsWith('# ')) summary = line.slice(2);
    else if (line.trim() !== '') frames.push({ summary, bytes: Uint8Array.from(Buffer.from(line.trim(), 'hex')) });
  }
  return frames;
}

/** Frame `index` of capture `name`, decoded. */
function decoded(name: string, index: number): Packet {
  return decodeFrame(captured(name)[index]!.bytes);
}

const hex = (b: Uint8Array | null): string => (b === null ? '' : Buffer.from(b).toString('hex'));
const text = (b: Uint8Array | null): string => (b === null ? '' : Buffer.from(b).toString('latin1'));

/** The kinds of the TCP options in `options`, in order. */
function optionKinds(options: Uint8Array | null): number[] {
  const kinds: number[] = [];
  for (let i = 0; options !== null && i < options.length; ) {
    const kind = options[i]!;
    kinds.push(kind);
    if (kind === 0) break;
    i += kind === 1 ? 1 : options[i + 1]!;
  }
  return kinds;
}

/** The TSval and TSecr of a timestamp option (kind 8). */
function timestamps(options: Uint8Array | null): [number, number] {
  for (let i = 0; options !== null && i < options.length; ) {
    const kind = options[i]!;
    if (kind === 8) return [Buffer.from(options).readUInt32BE(i + 2), Buffer.from(options).readUInt32BE(i + 6)];
    i += kind === 1 ? 1 : options[i + 1]!;
  }
  throw new Error('no timestamp option');
}

const captures = readdirSync(FIXTURES).filter((f) => f.endsWith('.hex')).map((f) => f.slice(0, -4)).sort();

describe('every frame the kernel sent decodes and encodes back to the same bytes', () => {
  it('has the captures', () => {
    expect(captures.length).toBeGreaterThanOrEqual(12);
  });
  for (const name of captures) {
    it(name, () => {
      for (const { summary, bytes } of captured(name)) {
        expect(hex(encodeFrame(decodeFrame(bytes))), summary).toBe(hex(bytes));
      }
    });
  }
});

describe('ARP', () => {
  it('request: broadcast, target hardware address zero', () => {
    const p = decoded('arp-icmp-echo', 0);
    expect([p.ethDst, p.ethSrc, p.ethType]).toEqual([MAC_BROADCAST, MAC_A, ETH_P_ARP]);
    expect([p.arpOp, p.arpSha, p.arpSpa, p.arpTha, p.arpTpa]).toEqual([ARPOP_REQUEST, MAC_A, A, 0, R_LAN]);
    expect(p.frameLength()).toBe(42);
  });
  it('reply: unicast to the asker', () => {
    const p = decoded('arp-icmp-echo', 1);
    expect([p.ethDst, p.ethSrc]).toEqual([MAC_A, MAC_R]);
    expect([p.arpOp, p.arpSha, p.arpSpa, p.arpTha, p.arpTpa]).toEqual([ARPOP_REPLY, MAC_R, R_LAN, MAC_A, A]);
  });
  it('unicast probe when the router revalidates its neighbour', () => {
    const p = decoded('tcp-session', 0);
    expect([p.ethDst, p.arpOp, p.arpTha, p.arpTpa]).toEqual([MAC_A, ARPOP_REQUEST, 0, A]);
  });
});

describe('ICMP echo', () => {
  it('request: DF set, TTL 64, 56 bytes of data', () => {
    const p = decoded('arp-icmp-echo', 2);
    expect([p.ethDst, p.ethType, p.ipSrc, p.ipDst, p.ipProto, p.ipTtl, p.ipDf]).toEqual([MAC_R, ETH_P_IP, A, B, IPPROTO_ICMP, 64, true]);
    expect([p.icmpType, p.icmpCode, p.icmpSeq]).toEqual([ICMP_ECHO, 0, 1]);
    expect(p.payloadLength).toBe(56);
  });
  it('reply: same id, sequence and data; one hop (TTL 63); no DF on the kernel reply', () => {
    const request = decoded('arp-icmp-echo', 2);
    const p = decoded('arp-icmp-echo', 3);
    expect([p.ipSrc, p.ipDst, p.ipTtl, p.ipDf]).toEqual([B, A, 63, false]);
    expect([p.icmpType, p.icmpId, p.icmpSeq]).toEqual([ICMP_ECHOREPLY, request.icmpId, request.icmpSeq]);
    expect(hex(p.payload)).toBe(hex(request.payload));
  });
});

describe('UDP', () => {
  it('a datagram with data', () => {
    const p = decoded('udp-data', 0);
    expect([p.ipSrc, p.ipDst, p.ipProto, p.sport, p.dport]).toEqual([A, B, IPPROTO_UDP, 40000, 5301]);
    expect(text(p.payload)).toBe('hello dpsim\n');
  });
});

describe('TCP', () => {
  const [, , syn, synAck, ack, fin, peerFin, lastAck] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => decoded('tcp-session', i));
  it('SYN: MSS 1460, SACK permitted, timestamps, NOP, window scale 10', () => {
    expect([syn!.sport, syn!.dport, syn!.tcpFlags, syn!.tcpAck, syn!.tcpWindow]).toEqual([40002, 5302, TCP_SYN, 0, 64240]);
    expect(optionKinds(syn!.tcpOptions)).toEqual([2, 4, 8, 1, 3]);
    expect(hex(syn!.tcpOptions).slice(0, 12)).toBe('020405b40402');
    expect(hex(syn!.tcpOptions).slice(-8)).toBe('0103030a');
    expect(timestamps(syn!.tcpOptions)[1]).toBe(0);
  });
  it('SYN-ACK: acknowledges the SYN, echoes its timestamp', () => {
    expect(synAck!.tcpFlags).toBe(TCP_SYN | TCP_ACK);
    expect(synAck!.tcpAck).toBe((syn!.tcpSeq + 1) >>> 0);
    expect(synAck!.tcpWindow).toBe(65160);
    expect(optionKinds(synAck!.tcpOptions)).toEqual([2, 4, 8, 1, 3]);
    expect(timestamps(synAck!.tcpOptions)[1]).toBe(timestamps(syn!.tcpOptions)[0]);
    expect(synAck!.ipId).toBe(0);
  });
  it('ACK and FINs: NOP, NOP, timestamps; sequence numbers advance by one for each FIN', () => {
    expect(ack!.tcpFlags).toBe(TCP_ACK);
    expect(optionKinds(ack!.tcpOptions)).toEqual([1, 1, 8]);
    expect(fin!.tcpFlags).toBe(TCP_FIN | TCP_ACK);
    expect(peerFin!.tcpFlags).toBe(TCP_FIN | TCP_ACK);
    expect(peerFin!.tcpAck).toBe((fin!.tcpSeq + 1) >>> 0);
    expect(lastAck!.tcpFlags).toBe(TCP_ACK);
    expect(lastAck!.tcpSeq).toBe((fin!.tcpSeq + 1) >>> 0);
    expect(lastAck!.tcpAck).toBe((peerFin!.tcpSeq + 1) >>> 0);
    expect(lastAck!.ipProto).toBe(IPPROTO_TCP);
  });
});

describe('ICMP errors quote the whole offending datagram, up to 548 bytes', () => {
  /** Checks an error's outer header as the kernel builds it: TOS 0xc0, no DF, TTL 64 at the sender. */
  function expectError(p: Packet, from: number, type: number, code: number): void {
    expect([p.ipSrc, p.ipDst, p.ipProto, p.ipTos, p.ipDf]).toEqual([from, A, IPPROTO_ICMP, IPTOS_PREC_INTERNETCONTROL, false]);
    expect([p.icmpType, p.icmpCode]).toEqual([type, code]);
    expect(p.inner).not.toBeNull();
  }

  it('port unreachable from the host: quotes the UDP datagram as received (TTL 63)', () => {
    const sent = decoded('port-unreachable', 0);
    const p = decoded('port-unreachable', 1);
    expectError(p, B, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
    expect(p.ipTtl).toBe(63);
    const q = p.inner!;
    expect([q.ipSrc, q.ipDst, q.ipId, q.ipTtl, q.sport, q.dport]).toEqual([A, B, sent.ipId, 63, 40001, 9]);
    expect(text(q.payload)).toBe('knock\n');
    expect(p.frameLength()).toBe(14 + 20 + 8 + sent.ipTotalLength());
  });
  it('time exceeded from the router: quotes the echo request with TTL 1', () => {
    const sent = decoded('time-exceeded', 0);
    const p = decoded('time-exceeded', 1);
    expectError(p, R_LAN, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL);
    expect([p.inner!.ipTtl, p.inner!.icmpType, p.inner!.icmpId]).toEqual([1, ICMP_ECHO, sent.icmpId]);
    expect(hex(p.inner!.payload)).toBe(hex(sent.payload));
  });
  it('net unreachable from a router without a route', () => {
    const p = decoded('net-unreachable', 1);
    expectError(p, R_LAN, ICMP_DEST_UNREACH, ICMP_NET_UNREACH);
    expect(p.inner!.ipDst).toBe(ip('10.9.9.9'));
    expect(p.inner!.ipTtl).toBe(64);
  });
  it('host unreachable after ARP failed (the quote has TTL already decremented)', () => {
    const p = decoded('host-unreachable', 1);
    expectError(p, R_LAN, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH);
    expect([p.inner!.ipDst, p.inner!.ipTtl]).toEqual([ip('10.0.2.77'), 63]);
  });
  it('administratively prohibited (iptables REJECT --reject-with icmp-admin-prohibited)', () => {
    const p = decoded('admin-prohibited', 1);
    expectError(p, R_LAN, ICMP_DEST_UNREACH, ICMP_PKT_FILTERED);
    expect(p.inner!.ipDst).toBe(ip('10.0.2.99'));
  });
  it('fragmentation needed: next-hop MTU in the low 16 bits, quote cut at 548 bytes', () => {
    const sent = decoded('frag-needed', 0);
    const p = decoded('frag-needed', 1);
    expectError(p, R_LAN, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED);
    expect(p.icmpRest).toBe(1200);
    expect(captured('frag-needed')[1]!.bytes.length).toBe(14 + 20 + 8 + ICMP_QUOTE_MAX);
    // The inner packet is the whole 1428-byte datagram: its quoted part is real, the rest rebuilt.
    const q = p.inner!;
    expect([q.ipTotalLength(), q.quotedLength(), q.ipDf, q.icmpId]).toEqual([sent.ipTotalLength(), ICMP_QUOTE_MAX, true, sent.icmpId]);
    const realData = ICMP_QUOTE_MAX - 20 - 8;
    expect(hex(q.payload!.subarray(0, realData))).toBe(hex(sent.payload!.subarray(0, realData)));
  });
  it('redirect for host: the better gateway in the rest-of-header word', () => {
    const p = decoded('redirect', 1);
    expectError(p, R_LAN, ICMP_REDIRECT, ICMP_REDIR_HOST);
    expect(p.icmpRest).toBe(C);
    expect(p.inner!.ipDst).toBe(ip('10.0.3.1'));
    const reply = decoded('redirect', 5);
    expect([reply.ethSrc, reply.ipSrc, reply.icmpType]).toEqual([MAC_C, ip('10.0.3.1'), ICMP_ECHOREPLY]);
  });
});

describe('VXLAN (VNI 42 on port 8472)', () => {
  it('carries the inner ARP request; the outer UDP checksum is set (the kernel default udpcsum)', () => {
    const { bytes } = captured('vxlan-icmp')[0]!;
    const p = decodeFrame(bytes);
    expect([p.ipSrc, p.ipDst, p.ipProto, p.dport, p.vxlanVni, p.ipDf, p.ipTtl]).toEqual([A, B, IPPROTO_UDP, VXLAN_PORT, 42, false, 64]);
    expect(bytes[14 + 20 + 6]! | bytes[14 + 20 + 7]!).not.toBe(0);
    const inner = p.inner!;
    expect([inner.ethDst, inner.ethSrc, inner.arpOp, inner.arpSpa, inner.arpTpa]).toEqual([MAC_BROADCAST, MAC_VX_A, ARPOP_REQUEST, VX_A, VX_B]);
    expect(p.frameLength()).toBe(50 + 42);
  });
  it('carries an inner echo request and reply', () => {
    const request = decoded('vxlan-icmp', 2).inner!;
    const reply = decoded('vxlan-icmp', 3).inner!;
    expect([request.ethSrc, request.ethDst, request.ipSrc, request.ipDst, request.icmpType]).toEqual([MAC_VX_A, MAC_VX_B, VX_A, VX_B, ICMP_ECHO]);
    expect([reply.ipSrc, reply.ipDst, reply.icmpType, reply.icmpId]).toEqual([VX_B, VX_A, ICMP_ECHOREPLY, request.icmpId]);
  });
  it('carries an inner UDP datagram', () => {
    const inner = decoded('vxlan-udp', 0).inner!;
    expect([inner.ipSrc, inner.ipDst, inner.sport, inner.dport]).toEqual([VX_A, VX_B, 40003, 5303]);
    expect(text(inner.payload)).toBe('over vxlan\n');
  });
});

describe('Ethernet padding', () => {
  const arp = captured('arp-icmp-echo')[0]!.bytes;
  it('is dropped on decode when the frame is at most 60 bytes, and not written on encode', () => {
    const padded = new Uint8Array(ETH_ZLEN);
    padded.set(arp);
    padded.fill(0xa5, arp.length);
    expect(hex(encodeFrame(decodeFrame(padded)))).toBe(hex(arp));
  });
  it('is an error past 60 bytes', () => {
    const long = new Uint8Array(ETH_ZLEN + 4);
    long.set(arp);
    expect(() => decodeFrame(long)).toThrow(DecodeError);
  });
});
