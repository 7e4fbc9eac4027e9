import { describe, expect, it } from 'vitest';
import { IPPROTO_ICMP, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, type Packet } from '../packet/packet.js';
import { NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../netns/netfilter.js';
import type { UdpHandler, UdpSocket } from '../netns/udp.js';
import { TcpEcho, UdpEcho } from '../trace/harness.js';
import { SEC } from '../sim/time.js';
import { TCP_CONNTRACK_ESTABLISHED, TCP_CONNTRACK_SYN_SENT } from './conn.js';
import { enableConntrack, IP_CT_RELATED_REPLY } from './conntrack.js';
import { NatRange } from './nat.js';
import { CLIENT, CLIENT2, FakeNatTable, ROUTER_C, SERVER, conntrack, topology, type FakeRule } from './testing.js';
import type { TcpHandler, TcpSocket } from '../netns/tcp.js';

const PREFIX = 'conntrack v1.4.7 (conntrack-tools): ';

/** iptables -t nat -A PREROUTING -d 10.0.1.1 -p P --dport D -j DNAT --to-destination 10.0.2.2:T */
function dnat(proto: number, dport: number, to: number, toPort: number): FakeRule {
  return {
    hook: NF_INET_PRE_ROUTING,
    match: (p) => p.ipProto === proto && p.ipDst === ROUTER_C && p.dport === dport,
    bind: (ct, conn) => ct.dnat(conn, NatRange.of(to, to, toPort, toPort)),
  };
}

/** iptables -t nat -A POSTROUTING -o vs -j MASQUERADE */
const masquerade: FakeRule = {
  hook: NF_INET_POST_ROUTING,
  match: () => true,
  bind: (ct, conn, p, _in, out) => ct.masquerade(conn, p, out!),
};

/** A UDP client socket that remembers what came back. */
class UdpClient implements UdpHandler {
  got: Packet[] = [];
  errors: Packet[] = [];
  datagram(_s: UdpSocket, p: Packet): void {
    this.got.push(p);
  }
  error(_s: UdpSocket, icmp: Packet): void {
    this.errors.push(icmp);
  }
}

const note = (): void => {};

describe('conntrack with NAT on a forwarding router', () => {
  it('DNATs a UDP flow, un-NATs the reply, and lists it as the kernel does', () => {
    const net = topology();
    const nat = new FakeNatTable([dnat(17, 53, SERVER, 5353), masquerade]);
    enableConntrack(net.root, { decider: nat });
    const s = net.namespaces.get('s')!;
    const c = net.namespaces.get('c')!;
    s.udp.bind(0, 5353, new UdpEcho(note));
    const client = new UdpClient();
    const sock = c.udp.bind(CLIENT, 40001, client) as UdpSocket;
    sock.sendTo(ROUTER_C, 53, new Uint8Array([104, 105, 10]));
    net.scheduler.runUntil(net.now + 1 * SEC);
    expect(client.got).toHaveLength(1);
    expect([client.got[0]!.ipSrc, client.got[0]!.sport]).toEqual([ROUTER_C, 53]);
    expect(conntrack(net, '-L')).toBe(
      'udp      17 29 src=10.0.1.2 dst=10.0.1.1 sport=40001 dport=53 src=10.0.2.2 dst=10.0.2.1 sport=5353 dport=40001 mark=0 use=1\n' +
        `${PREFIX}1 flow entries have been shown.\n`,
    );
    // A second datagram, 3 s after the first, takes the binding: the nat table is not consulted again.
    net.scheduler.runUntil(net.now + 2 * SEC);
    sock.sendTo(ROUTER_C, 53, new Uint8Array([1]));
    net.scheduler.runUntil(net.now + 0.5 * SEC);
    expect(client.got).toHaveLength(2);
    expect(nat.consulted[NF_INET_PRE_ROUTING]).toBe(1);
    // Seen both ways and older than 2 s: a stream, ASSURED, 120 s.
    expect(conntrack(net, '-L', '-p', 'udp')).toContain('sport=5353 dport=40001 [ASSURED] mark=0 use=1');
    expect(conntrack(net, '-L', '-p', 'udp')).toMatch(/^udp {6}17 119 /);
    expect(conntrack(net, '-C')).toBe('1\n');
    expect(conntrack(net, '-L', '-p', 'tcp')).toBe(`${PREFIX}0 flow entries have been shown.\n`);
    expect(conntrack(net, '-D', '-p', 'udp', '--orig-port-dst', '53')).toMatch(/1 flow entries have been deleted\.\n$/);
    expect(conntrack(net, '-C')).toBe('0\n');
  });

  it('follows a TCP connection through handshake and teardown with the kernel timeouts', () => {
    const net = topology();
    enableConntrack(net.root, { decider: new FakeNatTable([dnat(6, 80, SERVER, 8080), masquerade]) });
    const s = net.namespaces.get('s')!;
    const c = net.namespaces.get('c')!;
    s.tcp.listen(0, 8080, new TcpEcho(note, net.scheduler));
    const events: string[] = [];
    const handler: TcpHandler = {
      established: () => events.push('established'),
      data: () => events.push('data'),
      peerClosed: () => events.push('peerClosed'),
      failed: () => events.push('failed'),
    };
    const sock = c.tcp.connect(CLIENT, 40000, ROUTER_C, 80, handler) as TcpSocket;
    const ct = enableConntrack(net.root);
    net.scheduler.runUntil(net.now + 0.1 * SEC);
    expect(events).toEqual(['established']);
    const conn = [...ct.table.all()][0]!;
    expect(conn.tcpState).toBe(TCP_CONNTRACK_ESTABLISHED);
    expect(ct.secondsLeft(conn)).toBe(431999);
    expect(conntrack(net, '-L')).toContain('tcp      6 431999 ESTABLISHED src=10.0.1.2 dst=10.0.1.1 sport=40000 dport=80 src=10.0.2.2 dst=10.0.2.1 sport=8080 dport=40000 [ASSURED] mark=0 use=1');
    sock.send(new Uint8Array([104, 105, 10]));
    sock.close();
    net.scheduler.runUntil(net.now + 3 * SEC);
    expect(conntrack(net, '-L')).toBe(
      'tcp      6 118 TIME_WAIT src=10.0.1.2 dst=10.0.1.1 sport=40000 dport=80 src=10.0.2.2 dst=10.0.2.1 sport=8080 dport=40000 [ASSURED] mark=0 use=1\n' +
        `${PREFIX}1 flow entries have been shown.\n`,
    );
    net.scheduler.runUntil(net.now + 119 * SEC);
    expect(ct.table.count).toBe(0);
  });

  it('keeps an unanswered SYN in SYN_SENT for 120 s', () => {
    const net = topology();
    const ct = enableConntrack(net.root);
    const c = net.namespaces.get('c')!;
    // 10.0.2.9 does not exist: ARP fails at the router, the SYN is never answered.
    c.tcp.connect(CLIENT, 40005, 0x0a000209, 80, { established() {}, data() {}, peerClosed() {}, failed() {} });
    net.scheduler.runUntil(net.now + 0.5 * SEC);
    const conn = [...ct.table.all()][0]!;
    expect(conn.tcpState).toBe(TCP_CONNTRACK_SYN_SENT);
    expect(conntrack(net, '-L')).toMatch(/^tcp {6}6 119 SYN_SENT src=10\.0\.1\.2 dst=10\.0\.2\.9 sport=40005 dport=80 \[UNREPLIED\] src=10\.0\.2\.9 dst=10\.0\.1\.2 sport=80 dport=40005 mark=0 use=1\n/);
  });

  it('reverses an ICMP port unreachable RELATED to a NATed UDP flow', () => {
    const net = topology();
    const ct = enableConntrack(net.root, { decider: new FakeNatTable([dnat(17, 54, SERVER, 9999), masquerade]) });
    const c = net.namespaces.get('c')!;
    const client = new UdpClient();
    const sock = c.udp.bind(CLIENT, 40002, client) as UdpSocket;
    const seen: number[] = [];
    const orig = ct.natHook.bind(ct);
    ct.natHook = (hook, manip, p, i, o) => {
      if (p.ipProto === IPPROTO_ICMP && hook === NF_INET_PRE_ROUTING) seen.push(ct.infoOf(p));
      return orig(hook, manip, p, i, o);
    };
    sock.sendTo(ROUTER_C, 54, new Uint8Array([104, 105, 10]));
    net.scheduler.runUntil(net.now + 0.5 * SEC);
    expect(seen).toEqual([IP_CT_RELATED_REPLY]);
    expect(client.errors).toHaveLength(1);
    const icmp = client.errors[0]!;
    expect([icmp.icmpType, icmp.icmpCode]).toEqual([ICMP_DEST_UNREACH, ICMP_PORT_UNREACH]);
    // Outer from the address the client talked to; the quote is the datagram as the client sent it.
    expect([icmp.ipSrc, icmp.ipDst]).toEqual([ROUTER_C, CLIENT]);
    const q = icmp.inner!;
    expect([q.ipSrc, q.sport, q.ipDst, q.dport]).toEqual([CLIENT, 40002, ROUTER_C, 54]);
    net.scheduler.runUntil(net.now + 0.5 * SEC);
    expect(conntrack(net, '-L')).toBe(
      'udp      17 29 src=10.0.1.2 dst=10.0.1.1 sport=40002 dport=54 [UNREPLIED] src=10.0.2.2 dst=10.0.2.1 sport=9999 dport=40002 mark=0 use=1\n' +
        `${PREFIX}1 flow entries have been shown.\n`,
    );
  });

  it('SNATs two clients with the same source port to one address: the second gets another port', () => {
    const net = topology();
    const snat: FakeRule = { hook: NF_INET_POST_ROUTING, match: () => true, bind: (ct, conn) => ct.snat(conn, NatRange.of(0x0a000201)) };
    const ct = enableConntrack(net.root, { decider: new FakeNatTable([snat]) });
    const s = net.namespaces.get('s')!;
    const c = net.namespaces.get('c')!;
    const seenAtServer: number[] = [];
    s.udp.bind(0, 7777, { datagram: (sock, p) => (seenAtServer.push(p.sport), sock.sendTo(p.ipSrc, p.sport, new Uint8Array([1]))), error() {} });
    const a = new UdpClient();
    const b = new UdpClient();
    (c.udp.bind(CLIENT, 5555, a) as UdpSocket).sendTo(SERVER, 7777, new Uint8Array([1]));
    (c.udp.bind(CLIENT2, 5555, b) as UdpSocket).sendTo(SERVER, 7777, new Uint8Array([2]));
    net.scheduler.runUntil(net.now + 1 * SEC);
    expect(seenAtServer[0]).toBe(5555);
    expect(seenAtServer[1]).not.toBe(5555);
    expect(seenAtServer[1]).toBeGreaterThanOrEqual(1024);
    expect([a.got.length, b.got.length]).toEqual([1, 1]);
    expect([a.got[0]!.dport, b.got[0]!.dport]).toEqual([5555, 5555]);
    const lines = conntrack(net, '-L').split('\n');
    expect(lines[0]).toBe('udp      17 29 src=10.0.1.2 dst=10.0.2.2 sport=5555 dport=7777 src=10.0.2.2 dst=10.0.2.1 sport=7777 dport=5555 mark=0 use=1');
    expect(lines[1]).toBe(`udp      17 29 src=10.0.1.3 dst=10.0.2.2 sport=5555 dport=7777 src=10.0.2.2 dst=10.0.2.1 sport=7777 dport=${seenAtServer[1]} mark=0 use=1`);
    expect(ct.table.count).toBe(2);
  });

  it('drops early at nf_conntrack_max: unassured entries make room, a full table of assured ones drops the packet', () => {
    const net = topology();
    const ct = enableConntrack(net.root);
    ct.sysctls.nf_conntrack_max = 4;
    const c = net.namespaces.get('c')!;
    const client = new UdpClient();
    const socks = [40100, 40101, 40102, 40103, 40104, 40105].map((port) => c.udp.bind(CLIENT, port, client) as UdpSocket);
    for (const s of socks) {
      s.sendTo(SERVER, 9, new Uint8Array([1]));
      net.scheduler.runUntilQuiet(5 * SEC);
      expect(ct.table.count).toBeLessThanOrEqual(4);
    }
    // Six new flows into a table of four: each one beyond the fourth first had to evict.
    expect(ct.earlyDrops + ct.drops).toBeGreaterThan(0);
    expect(ct.table.count).toBeLessThanOrEqual(4);
  });
});
