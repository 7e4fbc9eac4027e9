import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPPROTO_TCP, IPPROTO_UDP, Packet, TCP_ACK, TCP_FIN, TCP_SYN } from '../packet/packet.js';
import { Network } from '../netns/network.js';
import { NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../netns/netfilter.js';
import type { Conn } from './conn.js';
import { conntrackOf, type Conntrack, type NatDecider } from './conntrack.js';
import { NF_NAT_MANIP_DST, NF_NAT_MANIP_SRC, NatRange, jhashAddr, beAsLe } from './nat.js';
import { TcpTimeouts, TCP_VERDICT_OK, tcpNew, tcpPacket } from './tcp-track.js';
import { TCP_STATE_NAMES } from './conn.js';

const VIP = 0x0a600001; // 10.96.0.1
const BACKENDS = [0x0a000202, 0x0a000209]; // 10.0.2.2 - 10.0.2.9
const SNAT_ADDR = 0x0a000201;

/** kube-proxy-shaped NAT: DNAT of the VIP to a range of backends, SNAT of everything to one address and a small port range (clashes). */
const decider: NatDecider = {
  decide(hook: number, p: Packet, conn: Conn, ct: Conntrack): number {
    if (hook === NF_INET_PRE_ROUTING && p.ipDst === VIP) return ct.dnat(conn, NatRange.of(BACKENDS[0]!, BACKENDS[1]!, 8080, 8080));
    if (hook === NF_INET_POST_ROUTING) return ct.snat(conn, NatRange.of(SNAT_ADDR, SNAT_ADDR, 1024, 1100));
    return 1;
  },
};

/** Runs a forwarded packet through the router's hooks as the stack would (conntrack, DNAT | SNAT, confirm); false when dropped. */
function forward(ct: Conntrack, p: Packet): boolean {
  if (ct.packetIn(p, NF_INET_PRE_ROUTING, null) !== 1) return false;
  if (ct.natHook(NF_INET_PRE_ROUTING, NF_NAT_MANIP_DST, p, null, null) !== 1) return false;
  if (ct.natHook(NF_INET_POST_ROUTING, NF_NAT_MANIP_SRC, p, null, null) !== 1) return false;
  return ct.confirm(p) === 1;
}

function packet(proto: number, src: number, dst: number, sport: number, dport: number, flags = 0): Packet {
  const p = new Packet();
  p.ipProto = proto;
  p.ipSrc = src;
  p.ipDst = dst;
  p.sport = sport;
  p.dport = dport;
  p.tcpFlags = flags;
  return p;
}

const flowArb = fc.record({
  proto: fc.constantFrom(IPPROTO_UDP, IPPROTO_TCP),
  client: fc.integer({ min: 0x0a000102, max: 0x0a000106 }),
  sport: fc.constantFrom(1030, 1050, 40000, 40001),
  toVip: fc.boolean(),
  server: fc.integer({ min: 0x0a000202, max: 0x0a000204 }),
});

describe('NAT properties', () => {
  it('every reply is un-NATed back to the original tuple, every packet of a connection gets the same rewrite, and no two entries share a reply tuple', () => {
    fc.assert(
      fc.property(fc.array(flowArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 1000 }), (flows, seed) => {
        const net = new Network(seed);
        const ct = conntrackOf(net.root);
        ct.decider = decider;
        ct.natEnabled = true;
        for (const f of flows) {
          const dst = f.toVip ? VIP : f.server;
          const flags = f.proto === IPPROTO_TCP ? TCP_SYN : 0;
          const first = packet(f.proto, f.client, dst, f.sport, 80, flags);
          if (!forward(ct, first)) continue;
          // The same flow again (a retransmitted SYN, the next datagram): the same rewrite.
          const again = packet(f.proto, f.client, dst, f.sport, 80, flags);
          expect(forward(ct, again)).toBe(true);
          expect([again.ipSrc, again.sport, again.ipDst, again.dport]).toEqual([first.ipSrc, first.sport, first.ipDst, first.dport]);
          // The reply as the server sends it comes back as from the original destination.
          const reply = packet(f.proto, first.ipDst, first.ipSrc, first.dport, first.sport, f.proto === IPPROTO_TCP ? TCP_SYN | TCP_ACK : 0);
          expect(forward(ct, reply)).toBe(true);
          expect([reply.ipSrc, reply.sport, reply.ipDst, reply.dport]).toEqual([dst, 80, f.client, f.sport]);
        }
        const replies = new Set<string>();
        const origs = new Set<string>();
        for (const c of ct.table.all()) {
          const r = `${c.reply.proto}/${c.reply.src}/${c.reply.dst}/${c.reply.sport}/${c.reply.dport}`;
          const o = `${c.orig.proto}/${c.orig.src}/${c.orig.dst}/${c.orig.sport}/${c.orig.dport}`;
          expect(replies.has(r) || origs.has(r)).toBe(false);
          replies.add(r);
          origs.add(o);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('kernel facts', () => {
  it('picks a DNAT range address as find_best_ips_proto does (recorded: 10.0.1.2 → 10.0.1.1 lands on 10.0.2.5 of .2-.9)', () => {
    const j = jhashAddr(beAsLe(0x0a000102), beAsLe(0x0a000101));
    expect(Math.floor((j * 8) / 2 ** 32)).toBe(3);
    const net = new Network(1);
    const ct = conntrackOf(net.root);
    ct.natEnabled = true;
    ct.decider = { decide: (hook, _p, conn, c) => (hook === NF_INET_PRE_ROUTING ? c.dnat(conn, NatRange.of(0x0a000202, 0x0a000209)) : 1) };
    const p = packet(IPPROTO_UDP, 0x0a000102, 0x0a000101, 40010, 53);
    forward(ct, p);
    expect(p.ipDst).toBe(0x0a000205);
  });

  it('walks the TCP states of a handshake and an active close with the per-state timeouts', () => {
    const t = new TcpTimeouts();
    const c = { tcpState: 0, tcpFlags0: 0, tcpFlags1: 0, tcpLastIndex: 5, tcpLastDir: 0, tcpLastEnd: 0, status: 0 } as unknown as Conn;
    expect(tcpNew(c, TCP_SYN, true)).toBe(true);
    const out = new Float64Array(1);
    const steps: [number, number, string, number][] = [
      [0, TCP_SYN, 'SYN_SENT', 120],
      [1, TCP_SYN | TCP_ACK, 'SYN_RECV', 60],
      [0, TCP_ACK, 'ESTABLISHED', 432000],
      [0, TCP_FIN | TCP_ACK, 'FIN_WAIT', 120],
      [1, TCP_ACK, 'CLOSE_WAIT', 60],
      [1, TCP_FIN | TCP_ACK, 'LAST_ACK', 30],
      [0, TCP_ACK, 'TIME_WAIT', 120],
    ];
    for (const [dir, flags, state, timeout] of steps) {
      expect(tcpPacket(c, dir, flags, 0, 0, t, out)).toBe(TCP_VERDICT_OK);
      if (dir === 1) c.status |= 2; // SEEN_REPLY, as nf_conntrack_in sets it after the reply
      expect([TCP_STATE_NAMES[c.tcpState], out[0]]).toEqual([state, timeout]);
    }
    expect(c.status & 4).toBe(4); // ASSURED after the ACK completing the handshake
  });
});
