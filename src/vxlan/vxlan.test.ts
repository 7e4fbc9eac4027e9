import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Network } from '../netns/network.js';
import { ARPOP_REQUEST, ETH_P_ARP, ETH_P_IP, ICMP_ECHO, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet } from '../packet/packet.js';
import { encodeFrame } from '../packet/encode.js';
import { decodeFrame } from '../packet/decode.js';
import { parseIPv4, parseMac } from '../packet/address.js';
import { PingProbe, UdpProbe } from '../trace/harness.js';
import { SEC } from '../sim/time.js';
import { bridgeFdbShow } from '../bridge/print.js';
import { CaptureRecorder, missingLines, probeBlocks } from '../bridge/testing.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flannelTestbed } from '../k8s/flannel/testbed.js';
import { addVxlan, type VxlanDevice } from './vxlan.js';
import { VxlanRemote } from './fdb.js';
import { vxlanLinkDetails } from './print.js';
import { innerFlowHash, sourcePort } from './src-port.js';

const ip = (s: string): number => parseIPv4(s)!;
const mac = (s: string): number => parseMac(s)!;

function underlay(mtu = 1500) {
  const net = new Network(1);
  const ns = net.addNamespace('n1')!;
  const [ens3] = ns.addVethPair('ens3', 'ens3p', ns);
  if (mtu !== 1500) ns.setMtu(ens3, mtu);
  return { net, ns, ens3 };
}

describe('the VXLAN device as this kernel creates it', () => {
  it('takes the lower device MTU − 50 with `dev` (at most that), 1500 without', () => {
    const { ns, ens3 } = underlay(9000);
    expect(addVxlan(ns, 'vx1', { vni: 1, lower: ens3 }).mtu).toBe(8950);
    expect(addVxlan(ns, 'vx2', { vni: 2 }).mtu).toBe(1500);
    expect(() => addVxlan(ns, 'vx3', { vni: 3, lower: ens3, mtu: 8951 })).toThrow('RTNETLINK answers: Invalid argument');
    expect(addVxlan(ns, 'vx4', { vni: 4, lower: ens3, mtu: 8950 }).mtu).toBe(8950);
  });

  it('refuses a second device with the same VNI and port', () => {
    const { ns, ens3 } = underlay();
    addVxlan(ns, 'vx1', { vni: 1, dstPort: 8472, lower: ens3 });
    expect(() => addVxlan(ns, 'vx2', { vni: 1, dstPort: 8472, lower: ens3 })).toThrow('Error: A VXLAN device with the specified VNI already exists.');
    expect(addVxlan(ns, 'vx3', { vni: 1, dstPort: 4789, lower: ens3 }).vni).toBe(1);
  });

  it('prints its `ip -d link` details as iproute2 does', () => {
    const { ns, ens3 } = underlay();
    ns.addAddress(ens3, ip('192.168.50.5'), 24);
    const flannel = addVxlan(ns, 'flannel.1', { vni: 1, dstPort: 8472, lower: ens3, local: ip('192.168.50.5'), learning: false });
    expect(vxlanLinkDetails(flannel)).toBe(
      'vxlan id 1 local 192.168.50.5 dev ens3 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx ',
    );
    expect(vxlanLinkDetails(addVxlan(ns, 'vx2', { vni: 2, local: ip('192.168.50.5') }))).toBe(
      'vxlan id 2 local 192.168.50.5 srcport 0 0 dstport 8472 ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx ',
    );
    ns.setUp(flannel);
    expect(flannel.operState()).toBe('UNKNOWN');
  });
});

describe('its FDB (bridge fdb add|append|replace|del, as recorded)', () => {
  it('keeps entries newest first, remotes in append order', () => {
    const { ns, ens3 } = underlay(1400);
    const vx = addVxlan(ns, 'flannel.1', { vni: 1, dstPort: 8472, lower: ens3, local: ip('192.168.50.5'), learning: false });
    expect(vx.mtu).toBe(1350);
    expect(vx.fdbUpdate(mac('02:00:00:00:02:02'), ip('192.168.50.6'), 'append')).toBeNull();
    expect(vx.fdbUpdate(0, ip('192.168.50.7'), 'append')).toBeNull();
    expect(vx.fdbUpdate(0, ip('192.168.50.8'), 'append')).toBeNull();
    expect(vx.fdbUpdate(mac('02:00:00:00:02:03'), ip('192.168.50.9'), 'append')).toBeNull();
    expect(vx.fdbUpdate(mac('02:00:00:00:02:04'), ip('192.168.50.10'), 'add')).toBeNull();
    expect(vx.fdbUpdate(mac('02:00:00:00:02:04'), ip('192.168.50.11'), 'add')).toBe('RTNETLINK answers: File exists');
    expect(vx.fdbUpdate(mac('02:00:00:00:02:05'), ip('192.168.50.12'), 'replace')).toBeNull();
    expect(bridgeFdbShow(ns, { dev: vx })).toBe(
      [
        '02:00:00:00:02:05 dst 192.168.50.12 self permanent',
        '02:00:00:00:02:04 dst 192.168.50.10 self permanent',
        '02:00:00:00:02:03 dst 192.168.50.9 self permanent',
        '00:00:00:00:00:00 dst 192.168.50.7 self permanent',
        '00:00:00:00:00:00 dst 192.168.50.8 self permanent',
        '02:00:00:00:02:02 dst 192.168.50.6 self permanent',
        '',
      ].join('\n'),
    );
  });

  it('refuses what the kernel refuses, and prints port and VNI only where they differ', () => {
    const { ns } = underlay();
    const vx = addVxlan(ns, 'vx', { vni: 1, dstPort: 8472 });
    expect(vx.fdbUpdate(0, ip('10.0.0.1'), 'replace')).toBe('RTNETLINK answers: Operation not supported');
    expect(vx.fdbUpdate(0, ip('10.0.0.1'), 'add')).toBeNull();
    expect(vx.fdbUpdate(0, ip('10.0.0.2'), 'replace')).toBe('Error: Cannot replace non-unicast fdb entries.');
    expect(vx.fdbUpdate(0, ip('10.0.0.1'), 'append')).toBeNull();
    expect(vx.fdbUpdate(0, ip('10.0.0.3'), 'append')).toBeNull();
    expect(vx.fdbUpdate(mac('02:00:00:00:00:30'), ip('10.0.0.4'), 'add', { port: 4789, vni: 7 })).toBeNull();
    expect(vx.fdbUpdate(mac('02:00:00:00:00:31'), ip('10.0.0.4'), 'add', { static: true })).toBeNull();
    expect(vx.fdbUpdate(mac('02:00:00:00:00:32'), 0, 'add')).toBe('RTNETLINK answers: Invalid argument');
    expect(vx.fdbDelete(0, ip('10.0.0.1'))).toBeNull();
    expect(vx.fdbDelete(mac('02:00:00:00:00:99'))).toBe('RTNETLINK answers: No such file or directory');
    expect(vx.fdbDelete(mac('02:00:00:00:00:30'), ip('10.9.9.9'))).toBeNull();
    expect(bridgeFdbShow(ns, { dev: vx })).toBe(
      [
        '02:00:00:00:00:31 dst 10.0.0.4 self static',
        '02:00:00:00:00:30 dst 10.0.0.4 port 4789 vni 7 self permanent',
        '00:00:00:00:00:00 dst 10.0.0.3 self permanent',
        '',
      ].join('\n'),
    );
  });
});

describe('encapsulation', () => {
  it('sends the outer header as the kernel does: TTL 64, DF clear, TOS 0, 50 bytes more, source port from the flow', () => {
    const { net, nodes, pods } = flannelTestbed();
    const outer: Packet[] = [];
    // A snapshot as the capture saw it: the inner frame is forwarded on (and rewritten) after decapsulation.
    net.tap = { frame: (dev, dir, p) => void (dev.name === 'ens3' && dir === 'out' && p.vxlanVni >= 0 && outer.push(p.clone())) };
    new PingProbe(() => {}, 1).start(pods.get('p1')!.ns, ip('10.244.1.2'), ip('10.244.2.2'));
    net.scheduler.runUntilQuiet(30 * SEC);
    expect(outer).toHaveLength(2); // the request from n1, the reply from n2
    const [req, rep] = outer as [Packet, Packet];
    for (const o of outer) {
      expect(o.ipTtl).toBe(64);
      expect(o.ipDf).toBe(false);
      expect(o.ipTos).toBe(0);
      expect(o.dport).toBe(8472);
      expect(o.vxlanVni).toBe(1);
      expect(o.ipTotalLength()).toBe(134); // 84 inner + 14 + 8 + 8 + 20, as tcpdump showed
      expect(o.sport).toBeGreaterThanOrEqual(32768);
      expect(o.sport).toBeLessThan(60999);
    }
    expect(req.ipSrc).toBe(ip('192.168.50.5'));
    expect(req.inner!.ethSrc).toBe(nodes[0]!.lease.vtepMac);
    expect(req.inner!.ethDst).toBe(nodes[1]!.lease.vtepMac);
    // The flow hash is symmetric: an echo request and its reply leave with the same port (the kernel showed 39643 both ways).
    expect(rep.sport).toBe(req.sport);
  });

  it('maps flows into the range with a symmetric hash', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 0xffffffff }), (a, b, pa, pb, seed) => {
        const p = new Packet();
        p.ethType = ETH_P_IP;
        p.ipProto = IPPROTO_UDP;
        p.ipSrc = a;
        p.ipDst = b;
        p.sport = pa;
        p.dport = pb;
        const q = p.clone();
        q.ipSrc = b;
        q.ipDst = a;
        q.sport = pb;
        q.dport = pa;
        const h = innerFlowHash(p, seed);
        expect(innerFlowHash(q, seed)).toBe(h);
        const port = sourcePort(h, 0, 0);
        expect(port).toBeGreaterThanOrEqual(32768);
        expect(port).toBeLessThanOrEqual(60998);
        expect(sourcePort(h, 1000, 1010)).toBeLessThan(1010);
      }),
    );
  });

  it('round-trips any inner frame through the wire bytes (encap, encode, decode)', () => {
    const { ns, ens3 } = underlay();
    const vx = addVxlan(ns, 'flannel.1', { vni: 0x123456 & 0xffffff, dstPort: 8472, lower: ens3, local: ip('192.168.50.5') });
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const macArb = fc.integer({ min: 0, max: 2 ** 48 - 1 });
    const inner = fc
      .record({
        kind: fc.constantFrom('udp', 'tcp', 'icmp', 'arp'),
        src: u32,
        dst: u32,
        ethSrc: macArb,
        ethDst: macArb,
        sport: fc.integer({ min: 0, max: 65535 }),
        dport: fc.integer({ min: 0, max: 65535 }),
        ttl: fc.integer({ min: 1, max: 255 }),
        tos: fc.integer({ min: 0, max: 255 }),
        id: fc.integer({ min: 0, max: 65535 }),
        df: fc.boolean(),
        payload: fc.uint8Array({ maxLength: 64 }),
      })
      .map((r) => {
        const p = new Packet();
        p.ethSrc = r.ethSrc;
        p.ethDst = r.ethDst;
        if (r.kind === 'arp') {
          p.ethType = ETH_P_ARP;
          p.arpOp = ARPOP_REQUEST;
          p.arpSha = r.ethSrc;
          p.arpSpa = r.src;
          p.arpTpa = r.dst;
          return p;
        }
        p.ethType = ETH_P_IP;
        p.ipSrc = r.src;
        p.ipDst = r.dst;
        p.ipTtl = r.ttl;
        p.ipTos = r.tos;
        p.ipId = r.id;
        p.ipDf = r.df;
        p.payload = r.payload;
        if (r.kind === 'icmp') {
          p.ipProto = IPPROTO_ICMP;
          p.icmpType = ICMP_ECHO;
          p.icmpId = r.sport;
          p.icmpSeq = r.dport;
        } else {
          p.ipProto = r.kind === 'udp' ? IPPROTO_UDP : IPPROTO_TCP;
          p.sport = r.sport;
          p.dport = r.dport === 8472 ? 8473 : r.dport; // an inner 8472 would decode as nested VXLAN
        }
        return p;
      });
    fc.assert(
      fc.property(inner, u32, (p, remote) => {
        const outer = vx.encapsulate(p, new VxlanRemote(remote, 8472, vx.vni, 0));
        outer.ethSrc = 0x0200_0000_0005;
        outer.ethDst = 0x0200_0000_0006;
        const wire = encodeFrame(outer);
        expect(wire.length).toBe(encodeFrame(p).length + 50);
        const back = decodeFrame(wire);
        expect(back.vxlanVni).toBe(vx.vni);
        expect(back.dport).toBe(8472);
        expect(back.sport).toBe(outer.sport);
        expect(encodeFrame(back.inner!)).toEqual(encodeFrame(p));
      }),
      { numRuns: 300 },
    );
  });

  it('sends one copy to each remote of an entry, the first remote last (vxlan_xmit)', () => {
    const { net, nodes, pods } = flannelTestbed();
    const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    // n2 answers for three VTEP addresses, so every copy arrives.
    n2.ns.addAddress(n2.ns.device('ens3')!, ip('192.168.50.7'), 24);
    n2.ns.addAddress(n2.ns.device('ens3')!, ip('192.168.50.8'), 24);
    n1.vxlan.fdbDelete(n2.lease.vtepMac);
    for (const dst of ['192.168.50.7', '192.168.50.6', '192.168.50.8']) n1.vxlan.fdbUpdate(0, ip(dst), 'append');
    const cap = new CaptureRecorder(net);
    const lines = cap.block(() => new PingProbe(() => {}, 1).start(pods.get('p1')!.ns, ip('10.244.1.2'), ip('10.244.2.2')));
    expect(lines.filter((l) => l.startsWith('n1 ens3 out udp'))).toEqual([
      'n1 ens3 out udp 192.168.50.5:* > 192.168.50.6:8472 vxlan',
      'n1 ens3 out udp 192.168.50.5:* > 192.168.50.8:8472 vxlan',
      'n1 ens3 out udp 192.168.50.5:* > 192.168.50.7:8472 vxlan',
    ]);
    expect(lines.filter((l) => l === 'p2 eth0 in icmp 10.244.1.2 > 10.244.2.2 echo request')).toHaveLength(3);
  });
});

describe('drops', () => {
  it('drops a frame without an FDB entry and without a default (tx_dropped), after the capture saw it leave', () => {
    const { net, nodes, pods } = flannelTestbed();
    const vx: VxlanDevice = nodes[0]!.vxlan;
    vx.fdbDelete(nodes[1]!.lease.vtepMac);
    const cap = new CaptureRecorder(net);
    const lines = cap.block(() => new PingProbe(() => {}, 1).start(pods.get('p1')!.ns, ip('10.244.1.2'), ip('10.244.2.2')));
    expect(lines).toContain('n1 flannel.1 out icmp 10.244.1.2 > 10.244.2.2 echo request');
    expect(lines.filter((l) => l.includes('vxlan'))).toEqual([]);
    expect(vx.txDropped).toBe(1);
  });

  it('drops a datagram for a VNI it has no device for, silently', () => {
    const { net, nodes, pods } = flannelTestbed();
    // n2's device gets VNI 2: n1's VNI 1 finds no device there.
    const n2 = nodes[1]!;
    n2.vxlan.destroy();
    const vx2 = addVxlan(n2.ns, 'flannel.1', { vni: 2, lower: n2.ns.device('ens3')!, local: n2.lease.publicIp, learning: false, mac: n2.lease.vtepMac });
    n2.ns.setUp(vx2);
    const cap = new CaptureRecorder(net);
    const lines = cap.block(() => new PingProbe(() => {}, 1).start(pods.get('p1')!.ns, ip('10.244.1.2'), ip('10.244.2.2')));
    expect(lines).toContain('n2 ens3 in udp 192.168.50.5:* > 192.168.50.6:8472 vxlan');
    expect(lines.filter((l) => l.startsWith('n2 flannel.1') || l.includes('unreachable'))).toEqual([]);
  });
});

describe('learning (kernel: n2 created without nolearning and without an FDB entry for n1)', () => {
  it('learns the source VTEP of what it receives, answers through it, and forgets it 300 s later', () => {
    const { net, nodes, pods } = flannelTestbed();
    const n2 = nodes[1]!;
    n2.vxlan.learning = true;
    expect(n2.vxlan.fdbDelete(nodes[0]!.lease.vtepMac)).toBeNull();
    const notes: string[] = [];
    new UdpProbe((t) => notes.push(t)).start(pods.get('p1')!.ns, ip('10.244.1.2'), 40000, ip('10.244.2.2'), 5301);
    net.scheduler.runUntilQuiet(30 * SEC);
    // p2 answered with port unreachable, which went back through the learned entry.
    expect(notes).toEqual(['probe socket got ICMP type 3 code 3']);
    expect(bridgeFdbShow(n2.ns, { dev: n2.vxlan })).toBe('02:00:00:00:f1:01 dst 192.168.50.5 self \n');
    n2.vxlan.fdbUpdate(0, ip('192.168.50.5'), 'append');
    expect(bridgeFdbShow(n2.ns, { dev: n2.vxlan })).toBe('00:00:00:00:00:00 dst 192.168.50.5 self permanent\n02:00:00:00:f1:01 dst 192.168.50.5 self \n');
    const learned = n2.vxlan.fdb.get(nodes[0]!.lease.vtepMac)!;
    net.scheduler.runUntil(learned.updated + 300 * SEC);
    expect(bridgeFdbShow(n2.ns, { dev: n2.vxlan })).toBe('00:00:00:00:00:00 dst 192.168.50.5 self permanent\n');
  });

  it('reproduces the kernel\'s capture of testdata/learning.sh (a ping through a learned entry)', () => {
    const { net, nodes, pods } = flannelTestbed();
    const n2 = nodes[1]!;
    n2.vxlan.learning = true;
    n2.vxlan.fdbDelete(nodes[0]!.lease.vtepMac);
    expect(bridgeFdbShow(n2.ns, { dev: n2.vxlan })).toBe('');
    const cap = new CaptureRecorder(net);
    const sim = cap.block(() => new PingProbe(() => {}, 1).start(pods.get('p1')!.ns, ip('10.244.1.2'), ip('10.244.2.2')));
    const kernel = probeBlocks(readFileSync(fileURLToPath(new URL('../k8s/flannel/testdata/learning.capture', import.meta.url)), 'utf8'))[0]!;
    expect(missingLines(kernel, sim)).toEqual([]);
    expect(missingLines(sim, kernel)).toEqual([]);
    expect(bridgeFdbShow(n2.ns, { dev: n2.vxlan })).toBe('02:00:00:00:f1:01 dst 192.168.50.5 self \n');
    // The whole namespace, as the kernel listed it after the same ping.
    expect(bridgeFdbShow(n2.ns)).toBe(
      [
        '33:33:00:00:00:01 dev ens3 self permanent',
        '01:00:5e:00:00:01 dev ens3 self permanent',
        '02:00:00:00:f1:01 dev flannel.1 dst 192.168.50.5 self ',
        '33:33:00:00:00:01 dev cni0 self permanent',
        '01:00:5e:00:00:6a dev cni0 self permanent',
        '33:33:00:00:00:6a dev cni0 self permanent',
        '01:00:5e:00:00:01 dev cni0 self permanent',
        '02:00:00:00:02:01 dev cni0 master cni0 permanent',
        '02:00:00:00:22:01 dev veth1 master cni0 ',
        '02:00:00:00:12:01 dev veth1 master cni0 permanent',
        '33:33:00:00:00:01 dev veth1 self permanent',
        '01:00:5e:00:00:01 dev veth1 self permanent',
        '',
      ].join('\n'),
    );
  });

  it('drops a packet whose source MAC has a permanent entry pointing at another VTEP', () => {
    const { net, nodes, pods } = flannelTestbed();
    const n2 = nodes[1]!;
    n2.vxlan.learning = true;
    n2.vxlan.fdbUpdate(nodes[0]!.lease.vtepMac, ip('192.168.50.99'), 'replace');
    new PingProbe(() => {}, 1).start(pods.get('p1')!.ns, ip('10.244.1.2'), ip('10.244.2.2'));
    net.scheduler.runUntilQuiet(30 * SEC);
    expect(n2.vxlan.rxPackets).toBe(0);
    expect(n2.vxlan.rxDropped).toBe(1);
  });
});
