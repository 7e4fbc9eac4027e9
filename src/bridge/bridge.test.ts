import { describe, expect, it } from 'vitest';
import { Network } from '../netns/network.js';
import type { NetNamespace } from '../netns/namespace.js';
import type { VethDevice } from '../netns/device.js';
import { newRoute, RTPROT_BOOT } from '../netns/route-table.js';
import { parseIPv4, parseMac } from '../packet/address.js';
import { PingProbe } from '../trace/harness.js';
import { SEC } from '../sim/time.js';
import { addBridge, type BridgeDevice } from './bridge.js';
import { CaptureRecorder, missingLines, probeBlocks } from './testing.js';

const ip = (s: string): number => parseIPv4(s)!;
const mac = (s: string): number => parseMac(s)!;
const GW = ip('10.244.1.1');
const P1 = ip('10.244.1.2');
const P2 = ip('10.244.1.3');

/** Node n1 with cni0 (02:00:00:00:01:01, 10.244.1.1/24) and pods p1, p2 on veth1, veth2: the kernel scenario bridge-pods.sh. */
function podsOnBridge(): { net: Network; n1: NetNamespace; br: BridgeDevice; p1: NetNamespace; p2: NetNamespace; veth1: VethDevice } {
  const net = new Network(3);
  const n1 = net.addNamespace('n1')!;
  const br = addBridge(n1, 'cni0', mac('02:00:00:00:01:01'));
  n1.addAddress(br, GW, 24);
  n1.setUp(br);
  const pods: NetNamespace[] = [];
  const hosts: VethDevice[] = [];
  for (const i of [1, 2]) {
    const pod = net.addNamespace(`p${i}`)!;
    const [host, eth0] = n1.addVethPair(`veth${i}`, 'eth0', pod, mac(`02:00:00:00:11:0${i}`), mac(`02:00:00:00:21:0${i}`));
    br.enslave(host);
    n1.setUp(host);
    pod.addAddress(eth0, ip(`10.244.1.${i + 1}`), 24);
    pod.setUp(eth0);
    pod.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: GW, oif: eth0.ifindex, protocol: RTPROT_BOOT }));
    pods.push(pod);
    hosts.push(host);
  }
  return { net, n1, br, p1: pods[0]!, p2: pods[1]!, veth1: hosts[0]! };
}

function ping(ns: NetNamespace, src: number, dst: number, id = 1): void {
  new PingProbe(() => {}, id).start(ns, src, dst);
}

/**
 * The kernel's capture of bridge-pods.sh (recorded with test/kernel/runner.ts, 3 runs alike):
 *   probe p1 icmp 10.244.1.2 10.244.1.3   (first contact: ARP flooded, reply learned)
 *   probe p1 icmp 10.244.1.2 10.244.1.3   (learned unicast)
 *   probe p1 icmp 10.244.1.2 10.244.1.1   (the node's gateway on cni0)
 */
const KERNEL_BRIDGE_PODS = `
probe 1
p1 eth0 out arp who-has 10.244.1.3 tell 10.244.1.2
n1 veth1 in arp who-has 10.244.1.3 tell 10.244.1.2
n1 cni0 in arp who-has 10.244.1.3 tell 10.244.1.2
n1 veth2 out arp who-has 10.244.1.3 tell 10.244.1.2
p2 eth0 in arp who-has 10.244.1.3 tell 10.244.1.2
p2 eth0 out arp reply 10.244.1.3
n1 veth2 in arp reply 10.244.1.3
n1 veth1 out arp reply 10.244.1.3
p1 eth0 in arp reply 10.244.1.3
p1 eth0 out icmp 10.244.1.2 > 10.244.1.3 echo request
n1 veth1 in icmp 10.244.1.2 > 10.244.1.3 echo request
n1 veth2 out icmp 10.244.1.2 > 10.244.1.3 echo request
p2 eth0 in icmp 10.244.1.2 > 10.244.1.3 echo request
p2 eth0 out icmp 10.244.1.3 > 10.244.1.2 echo reply
n1 veth2 in icmp 10.244.1.3 > 10.244.1.2 echo reply
n1 veth1 out icmp 10.244.1.3 > 10.244.1.2 echo reply
p1 eth0 in icmp 10.244.1.3 > 10.244.1.2 echo reply
p2 eth0 out arp who-has 10.244.1.2 tell 10.244.1.3
n1 veth2 in arp who-has 10.244.1.2 tell 10.244.1.3
n1 veth1 out arp who-has 10.244.1.2 tell 10.244.1.3
p1 eth0 in arp who-has 10.244.1.2 tell 10.244.1.3
p1 eth0 out arp reply 10.244.1.2
n1 veth1 in arp reply 10.244.1.2
n1 veth2 out arp reply 10.244.1.2
p2 eth0 in arp reply 10.244.1.2
probe 2
p1 eth0 out icmp 10.244.1.2 > 10.244.1.3 echo request
n1 veth1 in icmp 10.244.1.2 > 10.244.1.3 echo request
n1 veth2 out icmp 10.244.1.2 > 10.244.1.3 echo request
p2 eth0 in icmp 10.244.1.2 > 10.244.1.3 echo request
p2 eth0 out icmp 10.244.1.3 > 10.244.1.2 echo reply
n1 veth2 in icmp 10.244.1.3 > 10.244.1.2 echo reply
n1 veth1 out icmp 10.244.1.3 > 10.244.1.2 echo reply
p1 eth0 in icmp 10.244.1.3 > 10.244.1.2 echo reply
probe 3
p1 eth0 out arp who-has 10.244.1.1 tell 10.244.1.2
n1 veth1 in arp who-has 10.244.1.1 tell 10.244.1.2
n1 cni0 in arp who-has 10.244.1.1 tell 10.244.1.2
n1 veth2 out arp who-has 10.244.1.1 tell 10.244.1.2
p2 eth0 in arp who-has 10.244.1.1 tell 10.244.1.2
n1 cni0 out arp reply 10.244.1.1
n1 veth1 out arp reply 10.244.1.1
p1 eth0 in arp reply 10.244.1.1
p1 eth0 out icmp 10.244.1.2 > 10.244.1.1 echo request
n1 veth1 in icmp 10.244.1.2 > 10.244.1.1 echo request
n1 cni0 in icmp 10.244.1.2 > 10.244.1.1 echo request
n1 cni0 out icmp 10.244.1.1 > 10.244.1.2 echo reply
n1 veth1 out icmp 10.244.1.1 > 10.244.1.2 echo reply
p1 eth0 in icmp 10.244.1.1 > 10.244.1.2 echo reply
n1 cni0 out arp who-has 10.244.1.2 tell 10.244.1.1
n1 veth1 out arp who-has 10.244.1.2 tell 10.244.1.1
p1 eth0 in arp who-has 10.244.1.2 tell 10.244.1.1
p1 eth0 out arp reply 10.244.1.2
n1 veth1 in arp reply 10.244.1.2
n1 cni0 in arp reply 10.244.1.2
`;

/**
 * The kernel's capture of hairpin.sh: p1 has a permanent neighbour entry for p2, and n1 a
 * static sticky FDB entry putting p2's MAC behind veth1, p1's own port.
 *   probe p1 icmp 10.244.1.2 10.244.1.3   (hairpin off: dropped by the bridge)
 *   bridge link set dev veth1 hairpin on
 *   probe p1 icmp 10.244.1.2 10.244.1.3   (sent back out veth1)
 */
const KERNEL_HAIRPIN = `
probe 1
p1 eth0 out icmp 10.244.1.2 > 10.244.1.3 echo request
n1 veth1 in icmp 10.244.1.2 > 10.244.1.3 echo request
probe 2
p1 eth0 out icmp 10.244.1.2 > 10.244.1.3 echo request
n1 veth1 in icmp 10.244.1.2 > 10.244.1.3 echo request
n1 veth1 out icmp 10.244.1.2 > 10.244.1.3 echo request
p1 eth0 in icmp 10.244.1.2 > 10.244.1.3 echo request
`;

describe('the bridge MAC, as this kernel picks it', () => {
  it('starts random with a zero bridge id, takes the lowest port MAC, and falls to zero without ports', () => {
    const net = new Network(1);
    const ns = net.addNamespace('n')!;
    const br = addBridge(ns, 'br0');
    const random = br.mac;
    expect(random).not.toBe(0);
    expect(br.bridgeIdMac).toBe(0);
    const [a] = ns.addVethPair('a', 'ap', ns, mac('02:00:00:00:00:20'));
    const [b] = ns.addVethPair('b', 'bp', ns, mac('02:00:00:00:00:10'));
    br.enslave(a);
    expect(br.mac).toBe(mac('02:00:00:00:00:20'));
    br.enslave(b);
    expect(br.mac).toBe(mac('02:00:00:00:00:10'));
    br.release(b);
    expect(br.mac).toBe(mac('02:00:00:00:00:20'));
    br.release(a);
    expect(br.mac).toBe(0);
    br.enslave(a);
    expect(br.mac).toBe(mac('02:00:00:00:00:20'));
  });

  it('keeps an address the user set, whatever ports come and go', () => {
    const net = new Network(1);
    const ns = net.addNamespace('n')!;
    const br = addBridge(ns, 'br0');
    const [a] = ns.addVethPair('a', 'ap', ns, mac('02:00:00:00:00:20'));
    const [b] = ns.addVethPair('b', 'bp', ns, mac('02:00:00:00:00:10'));
    br.enslave(a);
    br.setAddress(mac('02:00:00:00:00:99'));
    br.enslave(b);
    expect(br.mac).toBe(mac('02:00:00:00:00:99'));
    br.release(a);
    br.release(b);
    expect(br.mac).toBe(mac('02:00:00:00:00:99'));
    const given = addBridge(ns, 'br1', mac('02:00:00:00:00:aa'));
    given.enslave(a);
    expect(given.mac).toBe(mac('02:00:00:00:00:aa'));
    expect(given.bridgeIdMac).toBe(mac('02:00:00:00:00:aa'));
  });

  it('notices an address written behind its back (a generic `ip link set br0 address`) as the user\'s', () => {
    const net = new Network(1);
    const ns = net.addNamespace('n')!;
    const br = addBridge(ns, 'br0');
    br.mac = mac('02:00:00:00:00:77');
    const [a] = ns.addVethPair('a', 'ap', ns, mac('02:00:00:00:00:01'));
    br.enslave(a);
    expect(br.mac).toBe(mac('02:00:00:00:00:77'));
    expect(br.fdb.get(mac('02:00:00:00:00:77'))!.local).toBe(true);
  });
});

describe('carrier and MTU', () => {
  it('has carrier (state UNKNOWN) until its bridge id first changes, then only with a live port', () => {
    const net = new Network(1);
    const ns = net.addNamespace('n')!;
    const br = addBridge(ns, 'br0');
    ns.setUp(br);
    expect(br.operState()).toBe('UNKNOWN');
    expect(br.hasCarrier()).toBe(true);
    const [a, ap] = ns.addVethPair('a', 'ap', ns);
    br.enslave(a);
    expect(br.operState()).toBe('DOWN');
    ns.setUp(a);
    expect(br.hasCarrier()).toBe(false); // the peer is down: a has no carrier
    ns.setUp(ap);
    expect(br.operState()).toBe('UP');
    br.release(a);
    expect(br.operState()).toBe('DOWN');
    const given = addBridge(ns, 'br1', mac('02:00:00:00:00:aa'));
    ns.setUp(given);
    expect(given.operState()).toBe('DOWN'); // NO-CARRIER: an address at creation selects port states
  });

  it('follows the smallest port MTU (1500 without ports) until the user sets one', () => {
    const net = new Network(1);
    const ns = net.addNamespace('n')!;
    const br = addBridge(ns, 'br0');
    const [a] = ns.addVethPair('a', 'ap', ns);
    const [b] = ns.addVethPair('b', 'bp', ns);
    ns.setMtu(b, 1400);
    br.enslave(a);
    br.enslave(b);
    expect(br.mtu).toBe(1400);
    br.release(b);
    expect(br.mtu).toBe(1500);
    ns.setMtu(br, 1300);
    br.enslave(b);
    expect(br.mtu).toBe(1300);
  });
});

describe('ports', () => {
  it('refuses what the kernel refuses, with its messages', () => {
    const net = new Network(1);
    const ns = net.addNamespace('n')!;
    const br0 = addBridge(ns, 'br0');
    const br1 = addBridge(ns, 'br1');
    expect(() => br0.enslave(ns.lo)).toThrow('RTNETLINK answers: Invalid argument');
    expect(() => br0.enslave(br1)).toThrow('Error: Can not enslave a bridge to a bridge.');
    expect(() => br0.enslave(br0)).toThrow('Error: Can not enslave a bridge to a bridge.');
  });

  it('moves a port from one bridge to another, numbering ports from 1 and reusing freed numbers', () => {
    const net = new Network(1);
    const ns = net.addNamespace('n')!;
    const br0 = addBridge(ns, 'br0');
    const br1 = addBridge(ns, 'br1');
    const [a] = ns.addVethPair('a', 'ap', ns);
    const [b] = ns.addVethPair('b', 'bp', ns);
    const [c] = ns.addVethPair('c', 'cp', ns);
    expect(br0.enslave(a).portNo).toBe(1);
    expect(br0.enslave(b).portNo).toBe(2);
    br1.enslave(a);
    expect(a.master).toBe(br1);
    expect(br0.portOf(a)).toBeNull();
    expect(br0.fdb.get(a.mac)).toBeUndefined();
    expect(br1.fdb.get(a.mac)!.local).toBe(true);
    expect(br0.enslave(c).portNo).toBe(1);
    expect(br0.ports.map((p) => p.dev.name)).toEqual(['c', 'b']); // newest first, as port_list
  });
});

describe('a port deleted behind the bridge\'s back', () => {
  it('is no port any more by the next look (brctl show), and the bridge MAC follows', () => {
    const net = new Network(1);
    const ns = net.addNamespace('n')!;
    const br = addBridge(ns, 'br0');
    const [a] = ns.addVethPair('a', 'ap', ns, mac('02:00:00:00:00:01'));
    const [b] = ns.addVethPair('b', 'bp', ns, mac('02:00:00:00:00:02'));
    br.enslave(a);
    br.enslave(b);
    ns.deleteDevice(a);
    br.syncSettings();
    expect(br.ports.map((p) => p.dev.name)).toEqual(['b']);
    expect(br.mac).toBe(mac('02:00:00:00:00:02'));
    expect(br.fdb.get(mac('02:00:00:00:00:01'))).toBeUndefined();
  });
});

describe('pods on one bridge (kernel: bridge-pods.sh)', () => {
  it('floods the first ARP, then forwards learned unicast, and delivers to its own stack what is for its MAC', () => {
    const { net, p1 } = podsOnBridge();
    const cap = new CaptureRecorder(net);
    const kernel = probeBlocks(KERNEL_BRIDGE_PODS);
    const sim = [cap.block(() => ping(p1, P1, P2, 1)), cap.block(() => ping(p1, P1, P2, 2)), cap.block(() => ping(p1, P1, GW, 3))];
    for (let i = 0; i < kernel.length; i++) {
      expect(missingLines(kernel[i]!, sim[i]!), `probe ${i + 1}`).toEqual([]);
      expect(missingLines(sim[i]!, kernel[i]!), `probe ${i + 1}: lines the kernel did not show`).toEqual([]);
    }
  });

  it('learns each pod behind its port and ages the entries out 300 s after they were last seen', () => {
    const { net, br, p1, veth1 } = podsOnBridge();
    ping(p1, P1, P2);
    net.scheduler.runUntil(20 * SEC);
    const p1Mac = mac('02:00:00:00:21:01');
    const p2Mac = mac('02:00:00:00:21:02');
    expect(br.fdb.get(p1Mac)!.dst!.dev).toBe(veth1);
    expect(br.fdb.get(p2Mac)!.ages).toBe(true);
    const seen = br.fdb.get(p1Mac)!.updated; // p1's last frame: its answer to p2's re-probe, 5 s in
    expect(seen).toBe(5 * SEC);
    net.scheduler.runUntil(seen + 300 * SEC - 1);
    expect(br.fdb.get(p1Mac)).toBeDefined();
    net.scheduler.runUntil(seen + 300 * SEC);
    expect(br.fdb.get(p1Mac)).toBeUndefined();
    expect(br.fdb.get(mac('02:00:00:00:11:01'))!.local).toBe(true); // the port's own entry never ages
    // Unknown again: the next frame to p2 (whose entry aged too) is flooded.
    net.scheduler.runUntil(seen + 400 * SEC);
    expect(br.fdb.get(p2Mac)).toBeUndefined();
  });

  it('ages entries by ageing_time, which can be changed', () => {
    const { net, br, p1 } = podsOnBridge();
    br.setAgeingTime(10 * SEC);
    ping(p1, P1, P2);
    net.scheduler.runUntil(1 * SEC);
    expect(br.fdb.get(mac('02:00:00:00:21:02'))).toBeDefined();
    net.scheduler.runUntil(30 * SEC);
    expect(br.fdb.get(mac('02:00:00:00:21:02'))).toBeUndefined();
  });
});

describe('hairpin (kernel: hairpin.sh)', () => {
  it('drops a frame whose destination is behind its ingress port, and sends it back once hairpin is on', () => {
    const { net, n1, br, p1, veth1 } = podsOnBridge();
    const p1eth0 = p1.device('eth0')!;
    p1.neigh.adminSet(p1eth0, P2, mac('02:00:00:00:21:02'), 0x80, true);
    expect(br.fdb.userAdd(mac('02:00:00:00:21:02'), br.portOf(veth1), 'static', true, 'add')).toBeNull();
    const cap = new CaptureRecorder(net);
    const kernel = probeBlocks(KERNEL_HAIRPIN);
    const off = cap.block(() => ping(p1, P1, P2, 1));
    br.portOf(veth1)!.hairpin = true;
    const on = cap.block(() => ping(p1, P1, P2, 2));
    expect(off).toEqual(kernel[0]);
    expect(on).toEqual(kernel[1]);
    void n1;
  });

  it('reflects a flood to its sender only with hairpin on', () => {
    const { net, br, p1, veth1 } = podsOnBridge();
    const cap = new CaptureRecorder(net);
    br.portOf(veth1)!.hairpin = true;
    const lines = cap.block(() => ping(p1, P1, ip('10.244.1.9')));
    expect(lines.slice(0, 5)).toEqual([
      'p1 eth0 out arp who-has 10.244.1.9 tell 10.244.1.2',
      'n1 veth1 in arp who-has 10.244.1.9 tell 10.244.1.2',
      'n1 veth2 out arp who-has 10.244.1.9 tell 10.244.1.2',
      'n1 veth1 out arp who-has 10.244.1.9 tell 10.244.1.2',
      'n1 cni0 in arp who-has 10.244.1.9 tell 10.244.1.2',
    ]);
  });
});
