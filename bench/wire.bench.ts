/**
 * The wire layer's speed: encoding and decoding a TCP SYN (with the kernel's SYN options)
 * and a VXLAN frame carrying an ICMP echo request. Run: npx tsx bench/wire.bench.ts
 */
import b from 'benny';
import { parseIPv4, parseMac } from '../src/packet/address.js';
import { decodeFrame } from '../src/packet/decode.js';
import { encodeFrame } from '../src/packet/encode.js';
import { ETH_P_IP, ICMP_ECHO, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet, TCP_SYN, VXLAN_PORT } from '../src/packet/packet.js';

/** An Ethernet/IPv4 packet with the given fields. */
function ipv4(fields: Partial<Packet>): Packet {
  return Object.assign(new Packet(), { ethType: ETH_P_IP, ethSrc: parseMac('02:00:00:00:00:01')!, ethDst: parseMac('02:00:00:00:00:02')! }, fields);
}

const syn = ipv4({
  ipSrc: parseIPv4('10.244.1.2')!,
  ipDst: parseIPv4('10.96.0.10')!,
  ipDf: true,
  ipProto: IPPROTO_TCP,
  sport: 40002,
  dport: 80,
  tcpSeq: 0x419c78cb,
  tcpFlags: TCP_SYN,
  tcpWindow: 64240,
  tcpOptions: Uint8Array.from(Buffer.from('020405b40402080a910cf750000000000103030a', 'hex')),
});
const echo = ipv4({
  ipSrc: parseIPv4('10.244.1.2')!,
  ipDst: parseIPv4('10.244.2.2')!,
  ipDf: true,
  ipProto: IPPROTO_ICMP,
  icmpType: ICMP_ECHO,
  icmpId: 7,
  icmpSeq: 1,
  payload: new Uint8Array(56).fill(0x42),
});
const vxlan = ipv4({
  ipSrc: parseIPv4('192.168.50.5')!,
  ipDst: parseIPv4('192.168.50.6')!,
  ipProto: IPPROTO_UDP,
  sport: 51234,
  dport: VXLAN_PORT,
  vxlanVni: 1,
  inner: echo,
});
const synBytes = encodeFrame(syn);
const vxlanBytes = encodeFrame(vxlan);

await b.suite(
  'wire: encode and decode',
  b.add(`encode TCP SYN (${synBytes.length} bytes)`, () => {
    encodeFrame(syn);
  }),
  b.add(`decode TCP SYN (${synBytes.length} bytes)`, () => {
    decodeFrame(synBytes);
  }),
  b.add(`encode+decode TCP SYN`, () => {
    decodeFrame(encodeFrame(syn));
  }),
  b.add(`encode VXLAN ICMP echo (${vxlanBytes.length} bytes)`, () => {
    encodeFrame(vxlan);
  }),
  b.add(`decode VXLAN ICMP echo (${vxlanBytes.length} bytes)`, () => {
    decodeFrame(vxlanBytes);
  }),
  b.add(`encode+decode VXLAN ICMP echo`, () => {
    decodeFrame(encodeFrame(vxlan));
  }),
  b.cycle(),
  b.complete(),
);
