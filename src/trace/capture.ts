/**
 * The capture line: one line for each time a packet is seen on an interface, as
 * `tcpdump -i any -n` inside that namespace would have shown it (shared/CAPTURE.md):
 *
 *     <netns> <dev> <in|out> <proto> <src>[:<sport>] > <dst>[:<dport>] [<extra>]
 *
 * The texts of TCP flags and ICMP messages copy tcpdump's (print-tcp.c, print-icmp.c), so
 * dpsim's captures compare line for line with the kernel's (test/kernel).
 */
import { formatIPv4 } from '../packet/address.js';
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  ETH_P_ARP,
  ETH_P_IP,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_FRAG_NEEDED,
  ICMP_PORT_UNREACH,
  ICMP_PROT_UNREACH,
  ICMP_REDIRECT,
  ICMP_TIME_EXCEEDED,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  type Packet,
} from '../packet/packet.js';

/** The capture line for packet `p` seen on `dev` of namespace `netns` going `dir`. */
export function formatCaptureLine(netns: string, dev: string, dir: 'in' | 'out', p: Packet): string {
  return `${netns} ${dev} ${dir} ${describeFrame(p)}`;
}

/** The part of a capture line after the direction: protocol, addresses, extra. */
function describeFrame(p: Packet): string {
  if (p.ethType === ETH_P_ARP) return describeArp(p);
  if (p.ethType !== ETH_P_IP) return `ethertype 0x${p.ethType.toString(16).padStart(4, '0')}`;
  const src = formatIPv4(p.ipSrc);
  const dst = formatIPv4(p.ipDst);
  switch (p.ipProto) {
    case IPPROTO_UDP:
      if (p.vxlanVni >= 0) return `udp ${src}:* > ${dst}:${p.dport} vxlan`;
      return `udp ${src}:${p.sport} > ${dst}:${p.dport}`;
    case IPPROTO_TCP:
      return `tcp ${src}:${p.sport} > ${dst}:${p.dport} ${tcpFlagString(p.tcpFlags)}`;
    case IPPROTO_ICMP:
      return `icmp ${src} > ${dst} ${icmpText(p)}`;
    default:
      return `ip ${src} > ${dst} ip-proto-${p.ipProto}`;
  }
}

function describeArp(p: Packet): string {
  if (p.arpOp === ARPOP_REQUEST) return `arp who-has ${formatIPv4(p.arpTpa)} tell ${formatIPv4(p.arpSpa)}`;
  if (p.arpOp === ARPOP_REPLY) return `arp reply ${formatIPv4(p.arpSpa)}`;
  return `arp op ${p.arpOp}`;
}

/** tcpdump's TCP flag letters in its order (FIN, SYN, RST, PUSH, ACK, URG, ECE, CWR). */
const TCP_FLAG_LETTERS: readonly [number, string][] = [
  [TCP_FIN, 'F'],
  [TCP_SYN, 'S'],
  [TCP_RST, 'R'],
  [TCP_PSH, 'P'],
  [TCP_ACK, '.'],
  [TCP_URG, 'U'],
  [TCP_ECE, 'E'],
  [TCP_CWR, 'W'],
];

/** The flag string tcpdump prints inside `Flags [...]`: `S`, `S.`, `F.`, `R.`, `none` … */
export function tcpFlagString(flags: number): string {
  let s = '';
  for (const [bit, letter] of TCP_FLAG_LETTERS) if (flags & bit) s += letter;
  return s === '' ? 'none' : s;
}

/** tcpdump's texts of ICMP destination-unreachable codes, `%s` being the quoted destination. */
const UNREACH_TEXT: readonly (string | undefined)[] = [
  'net %s unreachable',
  'host %s unreachable',
  undefined, // protocol: built below
  undefined, // port: built below
  undefined, // need to frag: built below
  '%s unreachable - source route failed',
  'net %s unreachable - unknown',
  'host %s unreachable - unknown',
  '%s unreachable - source host isolated',
  'net %s unreachable - admin prohibited',
  'host %s unreachable - admin prohibited',
  'net %s unreachable - tos prohibited',
  'host %s unreachable - tos prohibited',
  'host %s unreachable - admin prohibited filter',
  'host %s unreachable - host precedence violation',
  'host %s unreachable - precedence cutoff',
];

const REDIRECT_TEXT: readonly string[] = ['redirect %s to net %s', 'redirect %s to host %s', 'redirect-tos %s to net %s', 'redirect-tos %s to host %s'];

/** tcpdump's text for an ICMP message, without id, seq and length. */
function icmpText(p: Packet): string {
  const quoted = p.inner;
  const quotedDst = quoted === null ? '?' : formatIPv4(quoted.ipDst);
  switch (p.icmpType) {
    case ICMP_ECHO:
      return 'echo request';
    case ICMP_ECHOREPLY:
      return 'echo reply';
    case ICMP_DEST_UNREACH:
      return unreachText(p, quotedDst);
    case ICMP_REDIRECT: {
      const text = REDIRECT_TEXT[p.icmpCode] ?? `redirect-#${p.icmpCode} %s to %s`;
      return text.replace('%s', quotedDst).replace('%s', formatIPv4(p.icmpRest));
    }
    case ICMP_TIME_EXCEEDED:
      if (p.icmpCode === 0) return 'time exceeded in-transit';
      if (p.icmpCode === 1) return 'ip reassembly time exceeded';
      return `time exceeded-#${p.icmpCode}`;
    default:
      return `type-#${p.icmpType}`;
  }
}

function unreachText(p: Packet, quotedDst: string): string {
  const quoted = p.inner;
  switch (p.icmpCode) {
    case ICMP_PROT_UNREACH:
      return `${quotedDst} protocol ${quoted === null ? 0 : quoted.ipProto} unreachable`;
    case ICMP_PORT_UNREACH:
      if (quoted !== null && quoted.ipProto === IPPROTO_UDP) return `${quotedDst} udp port ${quoted.dport} unreachable`;
      if (quoted !== null && quoted.ipProto === IPPROTO_TCP) return `${quotedDst} tcp port ${quoted.dport} unreachable`;
      return `${quotedDst} protocol ${quoted === null ? 0 : quoted.ipProto} port ${quoted === null ? 0 : quoted.dport} unreachable`;
    case ICMP_FRAG_NEEDED: {
      const mtu = p.icmpRest & 0xffff;
      return mtu !== 0 ? `${quotedDst} unreachable - need to frag (mtu ${mtu})` : `${quotedDst} unreachable - need to frag`;
    }
    default:
      return (UNREACH_TEXT[p.icmpCode] ?? `#${p.icmpCode} %s unreachable`).replace('%s', quotedDst);
  }
}
