import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIPv4 } from '../../src/packet/address.js';
import { ETH_P_IP, ICMP_ECHO, ICMP_TIME_EXCEEDED, IPPROTO_ICMP, Packet as PacketClass, type Packet } from '../../src/packet/packet.js';
import { Network } from '../../src/netns/network.js';
import type { NetNamespace } from '../../src/netns/namespace.js';
import type { NetDevice } from '../../src/netns/device.js';
import { newRoute, RTPROT_BOOT } from '../../src/netns/route-table.js';
import { NUD_FAILED, NUD_INCOMPLETE, NUD_REACHABLE, NUD_STALE } from '../../src/netns/neighbour.js';
import { PingProbe } from '../../src/trace/harness.js';
import { formatCaptureLine } from '../../src/trace/capture.js';
import { SEC } from '../../src/sim/time.js';

const ip = (s: string) => parseIPv4(s)!;
const H1 = ip('10.0.0.1');
const H2 = ip('10.0.0.2');

/** Records every frame as a capture line with its virtual time. */
function capture(net: Network): { at: number; line: string }[] {
  const lines: { at: number; line: string }[] = [];
  net.tap = { frame: (dev, dir, p) => lines.push({ at: net.now, line: formatCaptureLine(dev.ns.name, dev.name, dir, p) }) };
  return lines;
}

function pair(): { net: Network; a: NetNamespace; b: NetNamespace; da: NetDevice; db: NetDevice } {
  const net = new Network(7);
  const a = net.addNamespace('a')!;
  const b = net.addNamespace('b')!;
  const [da, db] = a.addVethPair('eth0', 'eth0', b);
  a.setUp(da);
  b.setUp(db);
  a.addAddress(da, H1, 24);
  b.addAddress(db, H2, 24);
  return { net, a, b, da, db };
}

describe('neighbour resolution (Linux NUD timers)', () => {
  it('sends three broadcast requests one second apart, then fails and reports host unreachable to the local sender', () => {
    const { net, a, da } = pair();
    a.setUp(a.lo); // the error comes back to the sender through lo
    const lines = capture(net);
    const errors: Packet[] = [];
    const ping = new PingProbe(() => {}, 42);
    ping.echoError = (p: Packet) => errors.push(p);
    ping.start(a, H1, ip('10.0.0.9'));
    net.scheduler.runUntil(10 * SEC);
    const requests = lines.filter((l) => l.line === 'a eth0 out arp who-has 10.0.0.9 tell 10.0.0.1');
    expect(requests.map((l) => l.at / SEC)).toEqual([0, 1, 2]);
    expect(a.neigh.lookup(da, ip('10.0.0.9'))!.state).toBe(NUD_FAILED);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.icmpType).toBe(3);
    expect(errors[0]!.icmpCode).toBe(1);
  });

  it('records the requester as STALE on the target, and the answer as REACHABLE on the asker', () => {
    const { net, a, b, da, db } = pair();
    new PingProbe(() => {}, 1).start(a, H1, H2);
    net.scheduler.drain();
    expect(a.neigh.lookup(da, H2)!.state).toBe(NUD_REACHABLE);
    // b answered the request (STALE), then used the entry for the echo reply (DELAY).
    expect(b.neigh.lookup(db, H1)!.state).not.toBe(NUD_INCOMPLETE);
  });

  it('re-probes a stale entry by unicast after delay_first_probe_time (5 s) when nothing confirmed it', () => {
    const { net, a } = pair();
    const lines = capture(net);
    new PingProbe(() => {}, 1).start(a, H1, H2);
    net.scheduler.runUntil(8 * SEC);
    const late = lines.filter((l) => l.at > 0).map((l) => `${l.at / SEC} ${l.line}`);
    expect(late).toEqual([
      '5 b eth0 out arp who-has 10.0.0.1 tell 10.0.0.2',
      '5 a eth0 in arp who-has 10.0.0.1 tell 10.0.0.2',
      '5 a eth0 out arp reply 10.0.0.1',
      '5 b eth0 in arp reply 10.0.0.1',
    ]);
  });

  it('goes from REACHABLE to STALE after the random reachable time (15–45 s) without traffic', () => {
    const { net, a, da } = pair();
    new PingProbe(() => {}, 1).start(a, H1, H2);
    net.scheduler.runUntil(14 * SEC);
    expect(a.neigh.lookup(da, H2)!.state).toBe(NUD_REACHABLE);
    net.scheduler.runUntil(46 * SEC);
    expect(a.neigh.lookup(da, H2)!.state).toBe(NUD_STALE);
  });
});

/** A ring of routers r0 → r1 → … → r(n-1) → r0 for 10.9.0.0/16, fed by a host on r0. */
function loop(n: number, seed: number): { net: Network; host: NetNamespace } {
  const net = new Network(seed);
  const host = net.addNamespace('h')!;
  const routers = Array.from({ length: n }, (_, i) => net.addNamespace(`r${i}`)!);
  const [hd, r0h] = host.addVethPair('eth0', 'h', routers[0]!);
  host.setUp(hd);
  routers[0]!.setUp(r0h);
  host.addAddress(hd, ip('10.0.1.2'), 24);
  routers[0]!.addAddress(r0h, ip('10.0.1.1'), 24);
  host.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: ip('10.0.1.1'), oif: hd.ifindex, protocol: RTPROT_BOOT }));
  const links: [NetDevice, NetDevice][] = [];
  for (let i = 0; i < n; i++) {
    const a = routers[i]!;
    const b = routers[(i + 1) % n]!;
    const [da, db] = a.addVethPair(`to${(i + 1) % n}`, `from${i}`, b);
    a.setUp(da);
    b.setUp(db);
    a.addAddress(da, ip(`10.1.${i}.1`), 24);
    b.addAddress(db, ip(`10.1.${i}.2`), 24);
    links.push([da, db]);
  }
  for (let i = 0; i < n; i++) {
    const r = routers[i]!;
    for (const d of r.deviceList()) d.conf.forwarding = 1;
    r.confAll.forwarding = 1;
    r.fib.main.add(newRoute({ dst: ip('10.9.0.0'), prefixLen: 16, gateway: ip(`10.1.${i}.2`), oif: links[i]![0].ifindex, protocol: RTPROT_BOOT }));
    if (i > 0) r.fib.main.add(newRoute({ dst: ip('10.0.1.0'), prefixLen: 24, gateway: ip(`10.1.${i - 1}.1`), oif: links[i - 1]![1].ifindex, protocol: RTPROT_BOOT }));
  }
  return { net, host };
}

describe('routing loops', () => {
  it('always end in ICMP time exceeded back to the sender, within bounded work (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 64 }), fc.integer(), (n, ttl, seed) => {
        const { net, host } = loop(n, seed);
        let frames = 0;
        net.tap = { frame: () => void frames++ };
        const got: Packet[] = [];
        host.icmp.listen({ echoId: 5, echoReply: () => {}, echoError: (p: Packet) => got.push(p) });
        const p = new PacketClass();
        p.ethType = ETH_P_IP;
        p.ipProto = IPPROTO_ICMP;
        p.ipSrc = ip('10.0.1.2');
        p.ipDst = ip('10.9.0.1');
        p.ipTtl = ttl;
        p.icmpType = ICMP_ECHO;
        p.icmpId = 5;
        expect(host.ip.output(p)).toBe(0);
        net.scheduler.runUntil(10 * SEC);
        // The datagram hops until its TTL runs out; the router where it does reports it.
        expect(got.filter((e) => e.icmpType === ICMP_TIME_EXCEEDED)).toHaveLength(1);
        // Each hop is two captured frames (out and in), the error crosses at most n+1 links
        // back, and each link adds at most one ARP exchange plus one re-probe (4 frames each).
        expect(frames).toBeLessThanOrEqual(2 * ttl + 2 * (n + 1) + 8 * (n + 1));
      }),
      { numRuns: 30 },
    );
  });
});
