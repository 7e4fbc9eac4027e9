import { describe, expect, it } from 'vitest';
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  ETH_P_ARP,
  ETH_P_IP,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_FRAG_NEEDED,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PKT_FILTERED,
  ICMP_PORT_UNREACH,
  ICMP_PROT_UNREACH,
  ICMP_REDIR_HOST,
  ICMP_REDIRECT,
  ICMP_TIME_EXCEEDED,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  Packet,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
} from '../packet/packet.js';
import { formatIPv4 } from '../packet/address.js';
import { formatCaptureLine, tcpFlagString } from './capture.js';

const H1 = 0x0a000101; // 10.0.1.1
const H2 = 0x0a000201; // 10.0.2.1
const R1 = 0x0a0001fe; // 10.0.1.254
const FAR = 0x0a090909; // 10.9.9.9

function ip(proto: number, src: number, dst: number): Packet {
  const p = new Packet();
  p.ethType = ETH_P_IP;
  p.ipProto = proto;
  p.ipSrc = src;
  p.ipDst = dst;
  return p;
}

function udp(src: number, sport: number, dst: number, dport: number): Packet {
  const p = ip(IPPROTO_UDP, src, dst);
  p.sport = sport;
  p.dport = dport;
  return p;
}

function tcp(flags: number): Packet {
  const p = ip(IPPROTO_TCP, H1, H2);
  p.sport = 40000;
  p.dport = 8080;
  p.tcpFlags = flags;
  return p;
}

/** An ICMP error from `from` to H1 quoting `quoted`. */
function icmpError(type: number, code: number, from: number, quoted: Packet, rest = 0): Packet {
  const p = ip(IPPROTO_ICMP, from, H1);
  p.icmpType = type;
  p.icmpCode = code;
  p.icmpRest = rest;
  p.inner = quoted;
  return p;
}

function echo(type: number): Packet {
  const p = ip(IPPROTO_ICMP, H1, H2);
  p.icmpType = type;
  p.icmpId = 77;
  p.icmpSeq = 1;
  return p;
}

function arp(op: number, spa: number, tpa: number): Packet {
  const p = new Packet();
  p.ethType = ETH_P_ARP;
  p.arpOp = op;
  p.arpSpa = spa;
  p.arpTpa = tpa;
  return p;
}

describe('formatIPv4', () => {
  it('prints unsigned 32-bit addresses as dotted quads', () => {
    expect(formatIPv4(0)).toBe('0.0.0.0');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
    expect(formatIPv4(0xc0a83205)).toBe('192.168.50.5');
    expect(formatIPv4(0x80000001 | 0)).toBe('128.0.0.1'); // a negative int32 still prints right
  });
});

describe('tcpFlagString', () => {
  it("copies tcpdump's letters and order", () => {
    expect(tcpFlagString(TCP_SYN)).toBe('S');
    expect(tcpFlagString(TCP_SYN | TCP_ACK)).toBe('S.');
    expect(tcpFlagString(TCP_ACK)).toBe('.');
    expect(tcpFlagString(TCP_FIN | TCP_ACK)).toBe('F.');
    expect(tcpFlagString(TCP_RST | TCP_ACK)).toBe('R.');
    expect(tcpFlagString(TCP_PSH | TCP_ACK)).toBe('P.');
    expect(tcpFlagString(TCP_FIN | TCP_PSH | TCP_ACK)).toBe('FP.');
    expect(tcpFlagString(0)).toBe('none');
  });
});

describe('formatCaptureLine', () => {
  const line = (p: Packet, dir: 'in' | 'out' = 'out'): string => formatCaptureLine('h1', 'eth0', dir, p);

  it('prints UDP and TCP with ports', () => {
    expect(line(udp(H1, 5000, H2, 7000))).toBe('h1 eth0 out udp 10.0.1.1:5000 > 10.0.2.1:7000');
    expect(line(tcp(TCP_SYN), 'in')).toBe('h1 eth0 in tcp 10.0.1.1:40000 > 10.0.2.1:8080 S');
    expect(line(tcp(TCP_RST | TCP_ACK))).toBe('h1 eth0 out tcp 10.0.1.1:40000 > 10.0.2.1:8080 R.');
  });

  it('prints a VXLAN datagram as its outer header with * for the source port', () => {
    const v = udp(0xc0a83205, 41234, 0xc0a83206, 8472);
    v.vxlanVni = 1;
    v.inner = echo(ICMP_ECHO);
    expect(formatCaptureLine('n1', 'ens3', 'out', v)).toBe('n1 ens3 out udp 192.168.50.5:* > 192.168.50.6:8472 vxlan');
  });

  it('prints ARP requests and replies without MACs', () => {
    expect(line(arp(ARPOP_REQUEST, H1, R1))).toBe('h1 eth0 out arp who-has 10.0.1.254 tell 10.0.1.1');
    expect(line(arp(ARPOP_REPLY, R1, H1), 'in')).toBe('h1 eth0 in arp reply 10.0.1.254');
  });

  it('prints echo without id and seq', () => {
    expect(line(echo(ICMP_ECHO))).toBe('h1 eth0 out icmp 10.0.1.1 > 10.0.2.1 echo request');
    expect(line(echo(ICMP_ECHOREPLY))).toBe('h1 eth0 out icmp 10.0.1.1 > 10.0.2.1 echo reply');
  });

  it("prints ICMP errors with tcpdump's text about the quoted datagram", () => {
    const toFar = udp(H1, 5000, FAR, 53);
    expect(line(icmpError(ICMP_DEST_UNREACH, ICMP_NET_UNREACH, R1, toFar), 'in')).toBe(
      'h1 eth0 in icmp 10.0.1.254 > 10.0.1.1 net 10.9.9.9 unreachable',
    );
    expect(line(icmpError(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, R1, toFar))).toBe(
      'h1 eth0 out icmp 10.0.1.254 > 10.0.1.1 host 10.9.9.9 unreachable',
    );
    expect(line(icmpError(ICMP_DEST_UNREACH, ICMP_PKT_FILTERED, R1, toFar))).toBe(
      'h1 eth0 out icmp 10.0.1.254 > 10.0.1.1 host 10.9.9.9 unreachable - admin prohibited filter',
    );
    expect(line(icmpError(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, H2, udp(H1, 5000, H2, 5301)))).toBe(
      'h1 eth0 out icmp 10.0.2.1 > 10.0.1.1 10.0.2.1 udp port 5301 unreachable',
    );
    const syn = tcp(TCP_SYN);
    expect(line(icmpError(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, H2, syn))).toBe(
      'h1 eth0 out icmp 10.0.2.1 > 10.0.1.1 10.0.2.1 tcp port 8080 unreachable',
    );
    expect(line(icmpError(ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, H2, ip(47, H1, H2)))).toBe(
      'h1 eth0 out icmp 10.0.2.1 > 10.0.1.1 10.0.2.1 protocol 47 unreachable',
    );
    expect(line(icmpError(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, R1, toFar, 1400))).toBe(
      'h1 eth0 out icmp 10.0.1.254 > 10.0.1.1 10.9.9.9 unreachable - need to frag (mtu 1400)',
    );
    expect(line(icmpError(ICMP_TIME_EXCEEDED, 0, R1, echo(ICMP_ECHO)))).toBe(
      'h1 eth0 out icmp 10.0.1.254 > 10.0.1.1 time exceeded in-transit',
    );
    expect(line(icmpError(ICMP_REDIRECT, ICMP_REDIR_HOST, R1, ip(IPPROTO_ICMP, H1, 0x0a600014), 0x0a600014))).toBe(
      'h1 eth0 out icmp 10.0.1.254 > 10.0.1.1 redirect 10.96.0.20 to host 10.96.0.20',
    );
  });
});
