/**
 * IPVS scheduling and NAT properties (fast-check) against the kernel's algorithms, and a
 * scenario: a node with kube-ipvs0, a virtual service and real servers in other namespaces.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network } from '../netns/network.js';
import type { NetNamespace } from '../netns/namespace.js';
import { NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_STOLEN } from '../netns/netfilter.js';
import { ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, Packet, TCP_ACK, TCP_SYN } from '../packet/packet.js';
import { runScenario } from '../script/run.js';
import { renderCapture } from '../script/result.js';
import { SEC } from '../sim/time.js';
import { ipvsOf, type Ipvs } from './ipvs.js';
import { IP_VS_CONN_F_MASQ, IP_VS_SVC_F_PERSISTENT, type RealServer, type VirtualService } from './service.js';
import { hsiphash32 } from './schedulers/siphash.js';
import { shHashKey } from './schedulers/sh.js';

const here = dirname(fileURLToPath(import.meta.url));
const VIP = 0x0a60000a; // 10.96.0.10
const RS_BASE = 0x0af40100; // 10.244.1.0

function node(): { net: Network; ns: NetNamespace; ipvs: Ipvs } {
  const net = new Network(7);
  const ns = net.addNamespace('n')!;
  const d = ns.addDummy('pods');
  ns.setUp(d);
  ns.addAddress(d, 0x0af40001, 16); // 10.244.0.1/16: the real servers are on-link
  return { net, ns, ipvs: ipvsOf(ns) };
}

function service(ipvs: Ipvs, sched: string, weights: number[], flags = 0, timeout = 0): VirtualService {
  const svc = ipvs.addService({ proto: IPPROTO_TCP, addr: VIP, port: 80, fwmark: 0, sched, flags, timeout, netmask: 0xffffffff });
  weights.forEach((w, i) => ipvs.addDest(svc, { addr: RS_BASE + i + 2, port: 8080, fwd: IP_VS_CONN_F_MASQ, weight: w, uThreshold: 0, lThreshold: 0 }));
  return svc;
}

function tcp(src: number, sport: number, dst: number, dport: number, flags: number): Packet {
  const p = new Packet();
  p.ethType = ETH_P_IP;
  p.ipProto = IPPROTO_TCP;
  p.ipSrc = src;
  p.ipDst = dst;
  p.sport = sport;
  p.dport = dport;
  p.tcpFlags = flags;
  return p;
}

const pick = (svc: VirtualService, src = 0x0a000001, sport = 1000) => svc.scheduler.schedule(svc, src, sport, VIP, 80);

describe('IPVS schedulers', () => {
  it('rr visits every usable server once per cycle', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 30 }), (weights, warm) => {
        const { ipvs } = node();
        const svc = service(ipvs, 'rr', weights);
        for (let i = 0; i < warm; i++) pick(svc);
        const usable = svc.dests.filter((d) => d.weight > 0);
        const seen = new Set<RealServer>();
        for (let i = 0; i < usable.length; i++) seen.add(pick(svc)!);
        expect(seen.size).toBe(usable.length);
      }),
    );
  });

  it("wrr's picks over one cycle of sum(w)/gcd equal the weights / gcd exactly", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 4 }), (ws, k) => {
        const weights = ws.map((w) => w * k);
        const { ipvs } = node();
        const svc = service(ipvs, 'wrr', weights);
        const g = weights.reduce((a, b) => { while (b) [a, b] = [b, a % b]; return a; });
        const counts = new Map<RealServer, number>();
        const total = weights.reduce((a, b) => a + b, 0) / g;
        for (let i = 0; i < total; i++) {
          const d = pick(svc)!;
          counts.set(d, (counts.get(d) ?? 0) + 1);
        }
        svc.dests.forEach((d, i) => expect(counts.get(d) ?? 0).toBe(weights[i]! / g));
      }),
    );
  });

  it('lc picks a least-loaded server; wlc a least load per weight', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.nat(20), fc.nat(50)), { minLength: 1, maxLength: 8 }), (spec) => {
        const { ipvs } = node();
        for (const sched of ['lc', 'wlc'] as const) {
          ipvs.clear();
          const svc = service(ipvs, sched, spec.map((s) => s[0]));
          svc.dests.forEach((d, i) => {
            d.activeConns = spec[i]![1];
            d.inactConns = spec[i]![2];
          });
          const oh = (d: RealServer) => d.activeConns * 256 + d.inactConns;
          const chosen = pick(svc)!;
          for (const d of svc.dests) {
            if (sched === 'lc') expect(oh(chosen)).toBeLessThanOrEqual(oh(d));
            else expect(oh(chosen) * d.weight).toBeLessThanOrEqual(oh(d) * chosen.weight);
          }
        }
      }),
    );
  });

  it('sh maps a source to one server while the set is unchanged, and uses hash_32 as the kernel does', () => {
    // hash_32(0x0a000001, 8) = (0x0a000001 * 0x61c88647) >> 24
    expect(shHashKey(0x0a000001, 0, 0)).toBe(Number((0x0a000001n * 0x61c88647n) & 0xffffffffn) >>> 24);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 65535 })), { minLength: 1, maxLength: 20 }), (weights, clients) => {
        const { ipvs } = node();
        const svc = service(ipvs, 'sh', weights);
        for (const [src, sport] of clients) {
          const first = pick(svc, src >>> 0, sport);
          for (let i = 0; i < 3; i++) expect(pick(svc, src >>> 0, (sport + i) & 0xffff)).toBe(first);
        }
      }),
    );
  });

  it('mh: removing one of N servers moves about 1/N of the sources', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 12 }), fc.nat(11), (n, which) => {
        const { ipvs } = node();
        const svc = service(ipvs, 'mh', new Array(n).fill(1));
        const removed = svc.dests[which % n]!;
        const before = new Map<number, RealServer | null>();
        const sources = 4000;
        for (let s = 0; s < sources; s++) before.set(s, pick(svc, 0xc0a80000 + s * 7, 0));
        ipvs.deleteDest(svc, removed.addr, removed.port);
        let moved = 0;
        for (let s = 0; s < sources; s++) {
          const now = pick(svc, 0xc0a80000 + s * 7, 0);
          const was = before.get(s)!;
          if (was !== removed && now !== was) moved++;
        }
        // Sources of the surviving servers: Maglev moves only a few of them.
        expect(moved / sources).toBeLessThan(1 / n);
      }),
      { numRuns: 20 },
    );
  });

  it('hsiphash32 agrees with a BigInt SipHash-1-3', () => {
    const M = (1n << 64n) - 1n;
    const rol = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M;
    const ref = (v: number, k0: bigint, k1: bigint) => {
      let v0 = 0x736f6d6570736575n ^ k0, v1 = 0x646f72616e646f6dn ^ k1, v2 = 0x6c7967656e657261n ^ k0, v3 = 0x7465646279746573n ^ k1;
      const round = () => {
        v0 = (v0 + v1) & M; v1 = rol(v1, 13n); v1 ^= v0; v0 = rol(v0, 32n);
        v2 = (v2 + v3) & M; v3 = rol(v3, 16n); v3 ^= v2;
        v0 = (v0 + v3) & M; v3 = rol(v3, 21n); v3 ^= v0;
        v2 = (v2 + v1) & M; v1 = rol(v1, 17n); v1 ^= v2; v2 = rol(v2, 32n);
      };
      const b = (4n << 56n) | BigInt(v >>> 0);
      v3 ^= b; round(); v0 ^= b; v2 ^= 0xffn; round(); round(); round();
      return Number((v0 ^ v1 ^ v2 ^ v3) & 0xffffffffn);
    };
    fc.assert(fc.property(fc.nat(), fc.nat(), (v, k) => {
      expect(hsiphash32(v >>> 0, k >>> 0, k >>> 0)).toBe(ref(v >>> 0, BigInt(k >>> 0), BigInt(k >>> 0)));
    }));
  });
});

describe('IPVS connections', () => {
  it("every connection's reply is un-NATed to the virtual address", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0x0b000000, max: 0x0bffffff }), fc.integer({ min: 1024, max: 65535 }), fc.boolean()), { minLength: 1, maxLength: 30 }), (clients) => {
        const { ns, ipvs } = node();
        service(ipvs, 'rr', [1, 1, 1]);
        const udp = ipvs.addService({ proto: IPPROTO_UDP, addr: VIP, port: 53, fwmark: 0, sched: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff });
        ipvs.addDest(udp, { addr: RS_BASE + 9, port: 5353, fwd: IP_VS_CONN_F_MASQ, weight: 1, uThreshold: 0, lThreshold: 0 });
        for (const [src, sport, isUdp] of clients) {
          const p = tcp(src, sport, VIP, isUdp ? 53 : 80, TCP_SYN);
          if (isUdp) p.ipProto = IPPROTO_UDP;
          expect(ipvs.in(NF_INET_LOCAL_IN, p, null)).toBe(NF_STOLEN);
          expect(p.ipDst).not.toBe(VIP);
          const reply = tcp(p.ipDst, p.dport, src, sport, TCP_SYN | TCP_ACK);
          reply.ipProto = p.ipProto;
          ipvs.out(NF_INET_FORWARD, reply);
          expect([reply.ipSrc, reply.sport]).toEqual([VIP, isUdp ? 53 : 80]);
        }
        void ns;
      }),
    );
  });

  it('a persistent client keeps its server until the template expires', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0x0b000000, max: 0x0bffffff }), fc.integer({ min: 10, max: 600 }), fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 6 }), (client, timeout, gaps) => {
        const { net, ipvs } = node();
        const svc = service(ipvs, 'rr', [1, 1], IP_VS_SVC_F_PERSISTENT, timeout);
        let port = 2000;
        const first = tcp(client, port++, VIP, 80, TCP_SYN);
        ipvs.in(NF_INET_LOCAL_IN, first, null);
        const server = first.ipDst;
        for (const gap of gaps) {
          net.scheduler.runUntil(net.now + Math.min(gap, timeout - 1) * SEC);
          const p = tcp(client, port++, VIP, 80, TCP_SYN);
          ipvs.in(NF_INET_LOCAL_IN, p, null);
          expect(p.ipDst).toBe(server);
        }
        // Let every connection and the template run out: rr then moves on to the other server.
        net.scheduler.runUntil(net.now + (timeout + 200) * SEC);
        expect([...ipvs.conns.all()]).toHaveLength(0);
        const after = tcp(client, port++, VIP, 80, TCP_SYN);
        ipvs.in(NF_INET_LOCAL_IN, after, null);
        expect(after.ipDst).not.toBe(server);
        void svc;
      }),
      { numRuns: 30 },
    );
  });
});

describe('IPVS scenario', () => {
  it('a virtual service on kube-ipvs0 reaches real servers in other namespaces, and ipvsadm shows it', () => {
    const r = runScenario(readFileSync(join(here, 'testdata', 'ipvs-nat.sh'), 'utf8'), { file: 'ipvs-nat.sh' });
    expect(renderCapture(r)).toBe(readFileSync(join(here, 'testdata', 'ipvs-nat.out'), 'utf8'));
  });
});
