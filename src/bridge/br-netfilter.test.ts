import { describe, expect, it } from 'vitest';
import { ETH_P_IP, ICMP_ECHOREPLY, IPPROTO_ICMP, type Packet } from '../packet/packet.js';
import type { NetDevice } from '../netns/device.js';
import type { NetNamespace } from '../netns/namespace.js';
import { NF_ACCEPT, NF_INET_FORWARD, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING, HOOK_NAMES, type NetfilterHook } from '../netns/netfilter.js';
import { NUD_PERMANENT } from '../netns/neighbour.js';
import { parseIPv4, parseMac } from '../packet/address.js';
import { PingProbe } from '../trace/harness.js';
import { flannelTestbed } from '../k8s/flannel/testbed.js';
import { bridgeNfSysctls } from './br-netfilter.js';
import { CaptureRecorder, missingLines, probeBlocks } from './testing.js';

const ip = (s: string): number => parseIPv4(s)!;

/**
 * A stand-in for iptables DNAT with conntrack's reverse NAT, enough to drive br_netfilter:
 * PREROUTING rewrites a VIP's echo requests to its backend, POSTROUTING rewrites the
 * backend's echo replies back to the VIP. Records where each hook ran.
 */
class TestDnat implements NetfilterHook {
  readonly priority = -100;
  readonly calls: string[] = [];
  private readonly bindings: { client: number; vip: number; backend: number }[] = [];

  constructor(private readonly rules: ReadonlyMap<number, number>) {}

  run(hook: number, p: Packet, _ns: NetNamespace, inDev: NetDevice | null, outDev: NetDevice | null): number {
    if (p.ethType !== ETH_P_IP || p.ipProto !== IPPROTO_ICMP) return NF_ACCEPT;
    this.calls.push(`${HOOK_NAMES[hook]} in=${inDev?.name ?? '-'} out=${outDev?.name ?? '-'}`);
    if (hook === NF_INET_PRE_ROUTING) {
      const backend = this.rules.get(p.ipDst);
      if (backend !== undefined) {
        this.bindings.push({ client: p.ipSrc, vip: p.ipDst, backend });
        p.ipDst = backend;
      }
    } else if (hook === NF_INET_POST_ROUTING && p.icmpType === ICMP_ECHOREPLY) {
      const b = this.bindings.find((x) => x.backend === p.ipSrc && x.client === p.ipDst);
      if (b !== undefined) p.ipSrc = b.vip;
    }
    return NF_ACCEPT;
  }
}

/**
 * The kernel's capture of brnf.sh (two flannel nodes; p1 and p3 on n1's cni0, p2 on n2;
 * iptables -t nat PREROUTING DNAT rules on n1: 10.96.0.10 → 10.244.1.3 (same bridge),
 * 10.96.0.11 and 10.244.1.99 → 10.244.2.2 (remote), 10.96.0.12 → 10.244.1.2 (p1 itself);
 * p3 has a permanent neighbour entry for 10.244.1.99 with p1's MAC):
 *   probe p1 icmp 10.244.1.2 10.96.0.10
 *   probe p1 icmp 10.244.1.2 10.96.0.11
 *   probe p3 icmp 10.244.1.3 10.244.1.99
 *   probe p1 icmp 10.244.1.2 10.96.0.12     (hairpin off)
 *   bridge link set dev veth1 hairpin on
 *   probe p1 icmp 10.244.1.2 10.96.0.12
 * A probe ended after 3 s without packets.
 */
const KERNEL_BRNF = `
probe 1
p1 eth0 out arp who-has 10.244.1.1 tell 10.244.1.2
n1 veth1 in arp who-has 10.244.1.1 tell 10.244.1.2
n1 cni0 in arp who-has 10.244.1.1 tell 10.244.1.2
n1 veth2 out arp who-has 10.244.1.1 tell 10.244.1.2
p3 eth0 in arp who-has 10.244.1.1 tell 10.244.1.2
n1 cni0 out arp reply 10.244.1.1
n1 veth1 out arp reply 10.244.1.1
p1 eth0 in arp reply 10.244.1.1
p1 eth0 out icmp 10.244.1.2 > 10.96.0.10 echo request
n1 veth1 in icmp 10.244.1.2 > 10.96.0.10 echo request
n1 cni0 out arp who-has 10.244.1.3 tell 10.244.1.1
n1 veth2 out arp who-has 10.244.1.3 tell 10.244.1.1
p3 eth0 in arp who-has 10.244.1.3 tell 10.244.1.1
n1 veth1 out arp who-has 10.244.1.3 tell 10.244.1.1
p1 eth0 in arp who-has 10.244.1.3 tell 10.244.1.1
p3 eth0 out arp reply 10.244.1.3
n1 veth2 in arp reply 10.244.1.3
n1 cni0 in arp reply 10.244.1.3
n1 cni0 out icmp 10.244.1.2 > 10.244.1.3 echo request
n1 veth2 out icmp 10.244.1.2 > 10.244.1.3 echo request
p3 eth0 in icmp 10.244.1.2 > 10.244.1.3 echo request
p3 eth0 out arp who-has 10.244.1.2 tell 10.244.1.3
n1 veth2 in arp who-has 10.244.1.2 tell 10.244.1.3
n1 cni0 in arp who-has 10.244.1.2 tell 10.244.1.3
n1 veth1 out arp who-has 10.244.1.2 tell 10.244.1.3
p1 eth0 in arp who-has 10.244.1.2 tell 10.244.1.3
p1 eth0 out arp reply 10.244.1.2
n1 veth1 in arp reply 10.244.1.2
n1 veth2 out arp reply 10.244.1.2
p3 eth0 in arp reply 10.244.1.2
p3 eth0 out icmp 10.244.1.3 > 10.244.1.2 echo reply
n1 veth2 in icmp 10.244.1.3 > 10.244.1.2 echo reply
n1 veth1 out icmp 10.96.0.10 > 10.244.1.2 echo reply
p1 eth0 in icmp 10.96.0.10 > 10.244.1.2 echo reply
probe 2
p1 eth0 out icmp 10.244.1.2 > 10.96.0.11 echo request
n1 veth1 in icmp 10.244.1.2 > 10.96.0.11 echo request
n1 cni0 in icmp 10.244.1.2 > 10.244.2.2 echo request
n1 flannel.1 out icmp 10.244.1.2 > 10.244.2.2 echo request
n1 ens3 out arp who-has 192.168.50.6 tell 192.168.50.5
n2 ens3 in arp who-has 192.168.50.6 tell 192.168.50.5
n2 ens3 out arp reply 192.168.50.6
n1 ens3 in arp reply 192.168.50.6
n1 ens3 out udp 192.168.50.5:* > 192.168.50.6:8472 vxlan
n2 ens3 in udp 192.168.50.5:* > 192.168.50.6:8472 vxlan
n2 flannel.1 in icmp 10.244.1.2 > 10.244.2.2 echo request
n2 cni0 out arp who-has 10.244.2.2 tell 10.244.2.1
n2 veth1 out arp who-has 10.244.2.2 tell 10.244.2.1
p2 eth0 in arp who-has 10.244.2.2 tell 10.244.2.1
p2 eth0 out arp reply 10.244.2.2
n2 veth1 in arp reply 10.244.2.2
n2 cni0 in arp reply 10.244.2.2
n2 cni0 out icmp 10.244.1.2 > 10.244.2.2 echo request
n2 veth1 out icmp 10.244.1.2 > 10.244.2.2 echo request
p2 eth0 in icmp 10.244.1.2 > 10.244.2.2 echo request
p2 eth0 out icmp 10.244.2.2 > 10.244.1.2 echo reply
n2 veth1 in icmp 10.244.2.2 > 10.244.1.2 echo reply
n2 cni0 in icmp 10.244.2.2 > 10.244.1.2 echo reply
n2 flannel.1 out icmp 10.244.2.2 > 10.244.1.2 echo reply
n2 ens3 out udp 192.168.50.6:* > 192.168.50.5:8472 vxlan
n1 ens3 in udp 192.168.50.6:* > 192.168.50.5:8472 vxlan
n1 flannel.1 in icmp 10.244.2.2 > 10.244.1.2 echo reply
n1 cni0 out icmp 10.96.0.11 > 10.244.1.2 echo reply
n1 veth1 out icmp 10.96.0.11 > 10.244.1.2 echo reply
p1 eth0 in icmp 10.96.0.11 > 10.244.1.2 echo reply
probe 3
p3 eth0 out icmp 10.244.1.3 > 10.244.1.99 echo request
n1 veth2 in icmp 10.244.1.3 > 10.244.1.99 echo request
n1 cni0 in icmp 10.244.1.3 > 10.244.2.2 echo request
n1 flannel.1 out icmp 10.244.1.3 > 10.244.2.2 echo request
n1 ens3 out udp 192.168.50.5:* > 192.168.50.6:8472 vxlan
n2 ens3 in udp 192.168.50.5:* > 192.168.50.6:8472 vxlan
n2 flannel.1 in icmp 10.244.1.3 > 10.244.2.2 echo request
n2 cni0 out icmp 10.244.1.3 > 10.244.2.2 echo request
n2 veth1 out icmp 10.244.1.3 > 10.244.2.2 echo request
p2 eth0 in icmp 10.244.1.3 > 10.244.2.2 echo request
p2 eth0 out icmp 10.244.2.2 > 10.244.1.3 echo reply
n2 veth1 in icmp 10.244.2.2 > 10.244.1.3 echo reply
n2 cni0 in icmp 10.244.2.2 > 10.244.1.3 echo reply
n2 flannel.1 out icmp 10.244.2.2 > 10.244.1.3 echo reply
n2 ens3 out udp 192.168.50.6:* > 192.168.50.5:8472 vxlan
n1 ens3 in udp 192.168.50.6:* > 192.168.50.5:8472 vxlan
n1 flannel.1 in icmp 10.244.2.2 > 10.244.1.3 echo reply
n1 cni0 out icmp 10.244.1.99 > 10.244.1.3 echo reply
n1 veth2 out icmp 10.244.1.99 > 10.244.1.3 echo reply
p3 eth0 in icmp 10.244.1.99 > 10.244.1.3 echo reply
probe 4
p1 eth0 out icmp 10.244.1.2 > 10.96.0.12 echo request
n1 veth1 in icmp 10.244.1.2 > 10.96.0.12 echo request
probe 5
p1 eth0 out icmp 10.244.1.2 > 10.96.0.12 echo request
n1 veth1 in icmp 10.244.1.2 > 10.96.0.12 echo request
n1 veth1 out icmp 10.244.1.2 > 10.244.1.2 echo request
p1 eth0 in icmp 10.244.1.2 > 10.244.1.2 echo request
`;

/** Records, per IPv4 ICMP packet at each hook, the bridge ports br_netfilter handed over (nf_bridge_info). */
class PhysdevRecorder implements NetfilterHook {
  readonly priority = 0;
  readonly calls: string[] = [];
  run(hook: number, p: Packet, ns: NetNamespace, inDev: NetDevice | null, outDev: NetDevice | null): number {
    if (p.ethType !== ETH_P_IP || p.ipProto !== IPPROTO_ICMP) return NF_ACCEPT;
    const own = (d: { ns: object } | null): boolean => d !== null && d.ns === ns;
    const physIn = own(p.physIn) ? p.physIn!.name : '-';
    const physOut = own(p.physIn) && p.physOut !== null ? p.physOut.name : '-';
    // (POSTROUTING has no in device in the kernel; dpsim's IP layer passes the forwarded packet's.)
    const inName = hook === NF_INET_POST_ROUTING ? '-' : (inDev?.name ?? '-');
    this.calls.push(`${HOOK_NAMES[hook]} in=${inName} out=${outDev?.name ?? '-'} physin=${physIn} physout=${physOut}`);
    return NF_ACCEPT;
  }
}

function brnfTestbed() {
  const bed = flannelTestbed([['p1', 1], ['p3', 1], ['p2', 2]]);
  const n1 = bed.nodes[0]!;
  const dnat = new TestDnat(
    new Map([
      [ip('10.96.0.10'), ip('10.244.1.3')],
      [ip('10.96.0.11'), ip('10.244.2.2')],
      [ip('10.244.1.99'), ip('10.244.2.2')],
      [ip('10.96.0.12'), ip('10.244.1.2')],
    ]),
  );
  n1.ns.hooks.register(NF_INET_PRE_ROUTING, dnat);
  n1.ns.hooks.register(NF_INET_FORWARD, dnat);
  n1.ns.hooks.register(NF_INET_POST_ROUTING, dnat);
  const p3 = bed.pods.get('p3')!;
  p3.ns.neigh.adminSet(p3.eth0, ip('10.244.1.99'), parseMac('02:00:00:00:21:01')!, NUD_PERMANENT, true);
  return { ...bed, n1, dnat };
}

function ping(ns: NetNamespace, src: string, dst: string, id: number): void {
  new PingProbe(() => {}, id).start(ns, ip(src), ip(dst));
}

describe('br_netfilter (kernel: brnf.sh)', () => {
  it('is on by default in every namespace', () => {
    const { n1 } = brnfTestbed();
    expect(bridgeNfSysctls(n1.ns).callIptables).toBe(1);
  });

  it('bridges a DNAT to the same bridge, routes one elsewhere, and needs hairpin for a DNAT back to the sender', () => {
    const { net, pods, n1 } = brnfTestbed();
    const p1 = pods.get('p1')!.ns;
    const p3 = pods.get('p3')!.ns;
    const cap = new CaptureRecorder(net);
    const sim = [
      cap.block(() => ping(p1, '10.244.1.2', '10.96.0.10', 1)),
      cap.block(() => ping(p1, '10.244.1.2', '10.96.0.11', 2)),
      cap.block(() => ping(p3, '10.244.1.3', '10.244.1.99', 3)),
      cap.block(() => ping(p1, '10.244.1.2', '10.96.0.12', 4)),
    ];
    n1.bridge.portOf(pods.get('p1')!.host)!.hairpin = true;
    sim.push(cap.block(() => ping(p1, '10.244.1.2', '10.96.0.12', 5)));
    probeBlocks(KERNEL_BRNF).forEach((kernel, i) => expect(missingLines(kernel, sim[i]!), `probe ${i + 1}`).toEqual([]));
    // Hairpin off: nothing but the frame coming in.
    expect(sim[3]).toEqual(['p1 eth0 out icmp 10.244.1.2 > 10.96.0.12 echo request', 'n1 veth1 in icmp 10.244.1.2 > 10.96.0.12 echo request']);
  });

  it('runs the hooks with the bridge as the logical device: PREROUTING in=cni0, FORWARD in=out=cni0, POSTROUTING out=cni0', () => {
    const { net, pods, dnat } = brnfTestbed();
    const p1 = pods.get('p1')!.ns;
    ping(p1, '10.244.1.2', '10.244.1.1', 9); // warm ARP: p1 ↔ gateway
    net.scheduler.runUntilQuiet(30e9);
    ping(p1, '10.244.1.2', '10.244.1.3', 10);
    net.scheduler.runUntilQuiet(30e9);
    dnat.calls.length = 0;
    ping(p1, '10.244.1.2', '10.244.1.3', 11);
    net.scheduler.runUntilQuiet(30e9);
    expect(dnat.calls).toEqual([
      'PREROUTING in=cni0 out=-',
      'FORWARD in=cni0 out=cni0',
      'POSTROUTING in=- out=cni0',
      'PREROUTING in=cni0 out=-',
      'FORWARD in=cni0 out=cni0',
      'POSTROUTING in=- out=cni0',
    ]);
  });

  it('hands the bridge ports to the hooks (physindev from PREROUTING on, physoutdev for a bridged copy), as nf_bridge_info does', () => {
    const { net, pods, n1 } = brnfTestbed();
    const rec = new PhysdevRecorder();
    for (const h of [NF_INET_PRE_ROUTING, NF_INET_FORWARD, NF_INET_POST_ROUTING]) n1.ns.hooks.register(h, rec);
    const p1 = pods.get('p1')!.ns;
    ping(p1, '10.244.1.2', '10.244.1.1', 9); // warm ARP: p1 ↔ gateway
    net.scheduler.runUntilQuiet(30e9);
    ping(p1, '10.244.1.2', '10.244.1.3', 10);
    net.scheduler.runUntilQuiet(30e9);
    rec.calls.length = 0;
    // Bridged: p1 (veth1) → p3 (veth2) and back.
    ping(p1, '10.244.1.2', '10.244.1.3', 11);
    net.scheduler.runUntilQuiet(30e9);
    expect(rec.calls).toEqual([
      'PREROUTING in=cni0 out=- physin=veth1 physout=-',
      'FORWARD in=cni0 out=cni0 physin=veth1 physout=veth2',
      'POSTROUTING in=- out=cni0 physin=veth1 physout=veth2',
      'PREROUTING in=cni0 out=- physin=veth2 physout=-',
      'FORWARD in=cni0 out=cni0 physin=veth2 physout=veth1',
      'POSTROUTING in=- out=cni0 physin=veth2 physout=veth1',
    ]);
    // Routed (to the pod on the other node): the IP layer's FORWARD and POSTROUTING still know
    // the in port, and there is no out port; the reply comes in flannel.1 with no bridge info.
    rec.calls.length = 0;
    ping(p1, '10.244.1.2', '10.244.2.2', 12);
    net.scheduler.runUntilQuiet(30e9);
    expect(rec.calls.filter((c) => !c.startsWith('PREROUTING in=ens3'))).toEqual([
      'PREROUTING in=cni0 out=- physin=veth1 physout=-',
      'FORWARD in=cni0 out=flannel.1 physin=veth1 physout=-',
      'POSTROUTING in=- out=flannel.1 physin=veth1 physout=-',
      'PREROUTING in=flannel.1 out=- physin=- physout=-',
      'FORWARD in=flannel.1 out=cni0 physin=- physout=-',
      'POSTROUTING in=- out=cni0 physin=- physout=-',
    ]);
  });

  it('passes nothing to the hooks with net.bridge.bridge-nf-call-iptables = 0', () => {
    const { net, pods, n1, dnat } = brnfTestbed();
    bridgeNfSysctls(n1.ns).callIptables = 0;
    const p1 = pods.get('p1')!.ns;
    ping(p1, '10.244.1.2', '10.244.1.3', 10);
    net.scheduler.runUntilQuiet(30e9);
    expect(dnat.calls.filter((c) => c.includes('in=cni0 out=cni0'))).toEqual([]);
  });
});
