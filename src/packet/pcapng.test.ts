/** The pcapng writer, read back by Wireshark's tshark. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIPv4, parseMac } from './address.js';
import { encodeFrame } from './encode.js';
import {
  ETH_P_IP,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_PORT_UNREACH,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  Packet,
  TCP_SYN,
  VXLAN_PORT,
} from './packet.js';
import { PcapngWriter } from './pcapng.js';

const TSHARK = '/usr/bin/tshark';
const ip = (text: string): number => parseIPv4(text)!;
const mac = (text: string): number => parseMac(text)!;
const POD_1 = ip('10.244.1.2');
const POD_2 = ip('10.244.2.2');
const NODE_1 = ip('192.168.50.5');
const NODE_2 = ip('192.168.50.6');

/** An Ethernet/IPv4 packet with the given fields. */
function ipv4(fields: Partial<Packet>): Packet {
  return Object.assign(new Packet(), { ethType: ETH_P_IP, ethSrc: mac('02:00:00:00:00:01'), ethDst: mac('02:00:00:00:00:02') }, fields);
}

const echo = ipv4({ ipSrc: POD_1, ipDst: POD_2, ipDf: true, ipProto: IPPROTO_ICMP, icmpType: ICMP_ECHO, icmpId: 7, icmpSeq: 1, payload: new Uint8Array(56).fill(0x42) });
const dns = ipv4({ ipSrc: POD_1, ipDst: POD_2, ipProto: IPPROTO_UDP, sport: 40000, dport: 53, payload: new TextEncoder().encode('question') });
const syn = ipv4({
  ipSrc: POD_1,
  ipDst: POD_2,
  ipDf: true,
  ipProto: IPPROTO_TCP,
  sport: 40002,
  dport: 80,
  tcpSeq: 0x419c78cb,
  tcpFlags: TCP_SYN,
  tcpWindow: 64240,
  // MSS 1460, SACK permitted, timestamps, NOP, window scale 10: what the kernel put in its SYN.
  tcpOptions: Uint8Array.from(Buffer.from('020405b40402080a910cf750000000000103030a', 'hex')),
});
/** `inner` wrapped as flannel.1 on node 1 sends it to node 2. */
const vxlan = (inner: Packet): Packet =>
  ipv4({ ipSrc: NODE_1, ipDst: NODE_2, ipProto: IPPROTO_UDP, sport: 51234, dport: VXLAN_PORT, vxlanVni: 1, inner });
const unreachable = ipv4({ ipSrc: POD_2, ipDst: POD_1, ipTos: 0xc0, ipProto: IPPROTO_ICMP, icmpType: ICMP_DEST_UNREACH, icmpCode: ICMP_PORT_UNREACH, inner: dns });

/** The capture: what went where, and when (ns). */
const frames: [netns: string, dev: string, at: number, p: Packet][] = [
  ['p1', 'eth0', 1_000_000_001, echo],
  ['n1', 'ens3', 1_000_050_002, vxlan(echo)],
  ['n2', 'ens3', 1_000_090_003, vxlan(dns)],
  ['p1', 'eth0', 2_000_000_004, syn],
  ['', 'lo', 3_500_000_123, unreachable],
  ['n1', 'ens3', 4_000_000_000 * 2 ** 10 + 5, vxlan(unreachable)], // past 2^32 ns: the high word counts
];

function capture(): Uint8Array {
  const w = new PcapngWriter();
  for (const [netns, dev, at, p] of frames) w.addFrame(netns, dev, at, encodeFrame(p), 'out');
  return w.toBytes();
}

describe('PcapngWriter', () => {
  it('lays out blocks as the format says: SHB first, lengths repeated, 32-bit aligned', () => {
    const file = Buffer.from(capture());
    expect(file.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(file.readUInt32LE(8)).toBe(0x1a2b3c4d);
    const types: number[] = [];
    for (let at = 0; at < file.length; ) {
      const length = file.readUInt32LE(at + 4);
      expect(length % 4).toBe(0);
      expect(file.readUInt32LE(at + length - 4)).toBe(length);
      types.push(file.readUInt32LE(at));
      at += length;
    }
    // SHB, then an IDB before the first frame on each new interface.
    expect(types).toEqual([0x0a0d0d0a, 1, 6, 1, 6, 1, 6, 6, 1, 6, 6]);
  });

  it('names interfaces NETNS/DEV, or DEV alone outside a namespace', () => {
    const w = new PcapngWriter();
    expect(w.interfaceId('n1', 'eth0')).toBe(0);
    expect(w.interfaceId('n2', 'eth0')).toBe(1);
    expect(w.interfaceId('n1', 'eth0')).toBe(0);
    expect(PcapngWriter.interfaceName('', 'lo')).toBe('lo');
    expect(() => w.addFrame('n1', 'eth0', 1.5, new Uint8Array(60))).toThrow(RangeError);
  });
});

const haveTshark = existsSync(TSHARK);
const inCi = process.env.CI === 'true';
const readBack = haveTshark || inCi ? describe : describe.skip;
const title = haveTshark || inCi ? 'tshark reads the file' : `tshark reads the file (skipped: ${TSHARK} is not installed and CI is not 'true')`;

readBack(title, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dpsim-pcapng-'));
  const path = join(dir, 'capture.pcapng');
  beforeAll(() => {
    const w = new PcapngWriter();
    for (const [netns, dev, at, p] of frames) w.addFrame(netns, dev, at, encodeFrame(p), netns === 'n2' ? 'in' : 'out');
    w.writeFile(path);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** tshark's fields for each frame (VXLAN decoded on 8472, checksums checked): a row of columns a frame, repeated fields joined by ",". */
  function tshark(...fields: string[]): string[][] {
    const args = ['-r', path, '-n', '-d', `udp.port==${VXLAN_PORT},vxlan`];
    args.push('-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE');
    args.push('-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,');
    for (const f of fields) args.push('-e', f);
    const out = execFileSync(TSHARK, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.trimEnd().split('\n').map((line) => line.split('\t'));
  }

  it('with interface names, nanosecond timestamps and directions', () => {
    const rows = tshark('frame.interface_name', 'frame.time_epoch', 'frame.len', 'frame.packet_flags_direction');
    expect(rows.map((r) => r[0])).toEqual(['p1/eth0', 'n1/ens3', 'n2/ens3', 'p1/eth0', 'lo', 'n1/ens3']);
    expect(rows.map((r) => r[1])).toEqual(['1.000000001', '1.000050002', '1.000090003', '2.000000004', '3.500000123', '4096.000000005']);
    expect(rows.map((r) => Number(r[2]))).toEqual(frames.map(([, , , p]) => p.frameLength()));
    const INBOUND = '0x00000001';
    const OUTBOUND = '0x00000002';
    expect(rows.map((r) => r[3])).toEqual([OUTBOUND, OUTBOUND, INBOUND, OUTBOUND, OUTBOUND, OUTBOUND]);
  });

  it('decodes VXLAN on 8472 down to the inner ICMP and UDP', () => {
    const rows = tshark('vxlan.vni', 'ip.src', 'ip.dst', 'icmp.type', 'udp.dstport', 'frame.protocols');
    const [, echoOver, dnsOver, , , errorOver] = rows;
    expect(echoOver!.slice(0, 5)).toEqual(['1', '192.168.50.5,10.244.1.2', '192.168.50.6,10.244.2.2', '8', '8472']);
    expect(echoOver![5]).toBe('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data');
    expect(dnsOver!.slice(0, 5)).toEqual(['1', '192.168.50.5,10.244.1.2', '192.168.50.6,10.244.2.2', '', '8472,53']);
    // An ICMP error inside VXLAN: tshark follows it into the quoted UDP datagram.
    expect(errorOver![1]).toBe('192.168.50.5,10.244.2.2,10.244.1.2');
    expect(errorOver![3]).toBe('3');
  });

  it('finds every checksum good, at every level', () => {
    const rows = tshark('ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status', 'icmp.checksum.status');
    const GOOD = '1';
    const statuses = rows.flatMap((r) => r.slice(0, 4).join(',').split(',')).filter((s) => s !== '');
    expect(statuses.length).toBeGreaterThanOrEqual(20);
    expect(new Set(statuses)).toEqual(new Set([GOOD]));
    expect(rows.map((r) => r[2])).toEqual(['', '', '', GOOD, '', '']);
  });
});
