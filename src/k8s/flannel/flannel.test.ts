import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ETH_P_IP, ICMP_ECHO, IPPROTO_ICMP, Packet } from '../../packet/packet.js';
import { formatIPv4, formatMac, parseIPv4 } from '../../packet/address.js';
import { NUD_PERMANENT } from '../../netns/neighbour.js';
import { formatRoutes } from '../../netns/route-format.js';
import type { NetNamespace } from '../../netns/namespace.js';
import { PingProbe, TcpEcho, TcpProbe, UdpEcho, UdpProbe } from '../../trace/harness.js';
import { bridgeFdbShow } from '../../bridge/print.js';
import { CaptureRecorder, missingLines, probeBlocks } from '../../bridge/testing.js';
import { flannelCommands, flannelRemoteLeaseCommands } from './commands.js';
import { flannelTestbed, testLease } from './testbed.js';
import { Tracer } from '../../sim/trace.js';

const ip = (s: string): number => parseIPv4(s)!;
const testdata = (name: string): string => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

/** What the kernel printed for flannel.sh after its probes (recorded with test/kernel/runner.ts). */
const KERNEL_N1_VXLAN_FDB = '02:00:00:00:f2:01 dst 192.168.50.6 self permanent\n';
const KERNEL_N1_ROUTES =
  '10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1 \n' +
  '10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink \n' +
  '192.168.50.0/24 dev ens3 proto kernel scope link src 192.168.50.5 \n';
const KERNEL_N1_NEIGH = '10.244.2.0 lladdr 02:00:00:00:f2:01 PERMANENT \n';
const KERNEL_N2_CNI0_FDB = [
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
].join('\n');

function routes(ns: NetNamespace): string {
  return formatRoutes(ns.fib.main.routes(), (i) => ns.deviceByIndex(i)?.name ?? `if${i}`, { noCarrier: (i) => !ns.deviceByIndex(i)!.hasCarrier() });
}

function neighShow(ns: NetNamespace, dev: string): string {
  return ns.neigh
    .entries()
    .filter((n) => n.dev.name === dev && n.state === NUD_PERMANENT)
    .map((n) => `${formatIPv4(n.ip)} lladdr ${formatMac(n.mac)} PERMANENT \n`)
    .join('');
}

describe('flannel as commands', () => {
  it('writes the local lease\'s devices, then each remote lease in handleSubnetEvents order', () => {
    expect(flannelCommands(testLease(1), [testLease(2)], { underlay: 'ens3', bridgeMac: 0x0200_0000_0101 }, 'n1')).toEqual([
      'ip netns exec n1 sysctl -q -w net.ipv4.ip_forward=1',
      'ip -n n1 link add flannel.1 address 02:00:00:00:f1:01 type vxlan id 1 dstport 8472 dev ens3 local 192.168.50.5 nolearning',
      'ip -n n1 addr add 10.244.1.0/32 dev flannel.1',
      'ip -n n1 link set flannel.1 up',
      'ip -n n1 link add cni0 address 02:00:00:00:01:01 type bridge',
      'ip -n n1 addr add 10.244.1.1/24 dev cni0',
      'ip -n n1 link set cni0 up',
      'ip -n n1 neigh replace 10.244.2.0 lladdr 02:00:00:00:f2:01 dev flannel.1 nud permanent',
      'ip netns exec n1 bridge fdb append 02:00:00:00:f2:01 dev flannel.1 dst 192.168.50.6',
      'ip -n n1 route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink',
    ]);
    expect(flannelRemoteLeaseCommands(testLease(3), { underlay: 'eth1', vni: 4 })).toEqual([
      'ip neigh replace 10.244.3.0 lladdr 02:00:00:00:f3:01 dev flannel.4 nud permanent',
      'bridge fdb append 02:00:00:00:f3:01 dev flannel.4 dst 192.168.50.7',
      'ip route add 10.244.3.0/24 via 10.244.3.0 dev flannel.4 onlink',
    ]);
  });
});

describe('flannel through the API (programFlannel)', () => {
  it('leaves the node as the commands leave the kernel: routes, neighbour, VXLAN FDB, MTU', () => {
    const { nodes } = flannelTestbed();
    const n1 = nodes[0]!;
    expect(routes(n1.ns)).toBe(KERNEL_N1_ROUTES);
    expect(neighShow(n1.ns, 'flannel.1')).toBe(KERNEL_N1_NEIGH);
    expect(bridgeFdbShow(n1.ns, { dev: n1.vxlan })).toBe(KERNEL_N1_VXLAN_FDB);
    expect(n1.vxlan.mtu).toBe(1450);
    expect(n1.vxlan.learning).toBe(false);
    expect(n1.ns.confAll.forwarding).toBe(1);
  });
});

describe('pod to pod across nodes (kernel: testdata/flannel.sh)', () => {
  it('reproduces every line of the kernel capture: ICMP cold and warm, UDP, TCP', () => {
    const { net, nodes, pods } = flannelTestbed();
    const p1 = pods.get('p1')!.ns;
    const p2 = pods.get('p2')!.ns;
    p2.udp.bind(0, 5301, new UdpEcho(() => {}));
    p2.tcp.listen(0, 8080, new TcpEcho(() => {}, net.scheduler));
    const notes: string[] = [];
    const note = (t: string): void => void notes.push(t);
    const cap = new CaptureRecorder(net);
    const sim = [
      cap.block(() => new PingProbe(note, 1).start(p1, ip('10.244.1.2'), ip('10.244.2.2'))),
      cap.block(() => new PingProbe(note, 2).start(p1, ip('10.244.1.2'), ip('10.244.2.2'))),
      cap.block(() => new UdpProbe(note).start(p1, ip('10.244.1.2'), 40001, ip('10.244.2.2'), 5301)),
      cap.block(() => new TcpProbe(note).start(p1, ip('10.244.1.2'), 40002, ip('10.244.2.2'), 8080)),
    ];
    const kernel = probeBlocks(readFileSync(testdata('flannel.capture'), 'utf8'));
    expect(kernel).toHaveLength(4);
    kernel.forEach((k, i) => {
      expect(missingLines(k, sim[i]!), `probe ${i + 1}: kernel lines dpsim did not show`).toEqual([]);
      expect(missingLines(sim[i]!, k), `probe ${i + 1}: dpsim lines the kernel did not show`).toEqual([]);
    });
    expect(notes).toEqual(['ping: echo reply received', 'ping: echo reply received', 'probe got 6 bytes back', 'connected']);
    expect(bridgeFdbShow(nodes[1]!.ns, { br: nodes[1]!.bridge })).toBe(KERNEL_N2_CNI0_FDB);
  });

  it('has the shape of CAPTURE.md\'s example once ARP is warm', () => {
    const { net, pods } = flannelTestbed();
    const p1 = pods.get('p1')!.ns;
    const cap = new CaptureRecorder(net);
    cap.block(() => new PingProbe(() => {}, 1).start(p1, ip('10.244.1.2'), ip('10.244.2.2')));
    expect(cap.block(() => new PingProbe(() => {}, 2).start(p1, ip('10.244.1.2'), ip('10.244.2.2'))).slice(0, 11)).toEqual([
      'p1 eth0 out icmp 10.244.1.2 > 10.244.2.2 echo request',
      'n1 veth1 in icmp 10.244.1.2 > 10.244.2.2 echo request',
      'n1 cni0 in icmp 10.244.1.2 > 10.244.2.2 echo request',
      'n1 flannel.1 out icmp 10.244.1.2 > 10.244.2.2 echo request',
      'n1 ens3 out udp 192.168.50.5:* > 192.168.50.6:8472 vxlan',
      'n2 ens3 in udp 192.168.50.5:* > 192.168.50.6:8472 vxlan',
      'n2 flannel.1 in icmp 10.244.1.2 > 10.244.2.2 echo request',
      'n2 cni0 out icmp 10.244.1.2 > 10.244.2.2 echo request',
      'n2 veth1 out icmp 10.244.1.2 > 10.244.2.2 echo request',
      'p2 eth0 in icmp 10.244.1.2 > 10.244.2.2 echo request',
      'p2 eth0 out icmp 10.244.2.2 > 10.244.1.2 echo reply',
    ]);
  });
});

describe('tracing', () => {
  it('explains the bridge\'s and the VTEPs\' decisions when a tracer is attached', () => {
    const { net, pods } = flannelTestbed();
    net.tracer = new Tracer(net);
    new PingProbe(() => {}, 1).start(pods.get('p1')!.ns, ip('10.244.1.2'), ip('10.244.2.2'));
    net.scheduler.runUntilQuiet(30e9);
    const texts = net.tracer.take().filter((e) => e.kind === 'bridge' || e.kind === 'vxlan').map((e) => `${e.where} ${e.text}`);
    expect(texts).toContain('n1 flannel.1: to VTEP 192.168.50.6 (VNI 1) for 02:00:00:00:f2:01');
    expect(texts).toContain('n2 flannel.1: VNI 1 from VTEP 192.168.50.5');
    expect(texts).toContain('n1 cni0: 02:00:00:00:01:01 is local, up the stack');
    expect(texts).toContain('n2 cni0: 02:00:00:00:22:01 is behind veth1 (FDB)');
  });
});

describe('a DF packet larger than the VXLAN MTU', () => {
  /** The kernel's block for a 1430-byte ping (`ping -s 1430 -M do`, 1458 bytes) with ARP warm (tcpdump -i any in n1 and p1). */
  const KERNEL_FRAG_NEEDED = [
    'p1 eth0 out icmp 10.244.1.2 > 10.244.2.2 echo request',
    'n1 veth1 in icmp 10.244.1.2 > 10.244.2.2 echo request',
    'n1 cni0 in icmp 10.244.1.2 > 10.244.2.2 echo request',
    'n1 cni0 out icmp 10.244.1.1 > 10.244.1.2 10.244.2.2 unreachable - need to frag (mtu 1450)',
    'n1 veth1 out icmp 10.244.1.1 > 10.244.1.2 10.244.2.2 unreachable - need to frag (mtu 1450)',
    'p1 eth0 in icmp 10.244.1.1 > 10.244.1.2 10.244.2.2 unreachable - need to frag (mtu 1450)',
  ];

  it('gets ICMP frag-needed with flannel.1\'s MTU from the node\'s ip_forward, from the cni0 address', () => {
    const { net, pods } = flannelTestbed();
    const p1 = pods.get('p1')!.ns;
    const cap = new CaptureRecorder(net);
    cap.block(() => new PingProbe(() => {}, 1).start(p1, ip('10.244.1.2'), ip('10.244.2.2')));
    const big = new Packet();
    big.ethType = ETH_P_IP;
    big.ipProto = IPPROTO_ICMP;
    big.ipSrc = ip('10.244.1.2');
    big.ipDst = ip('10.244.2.2');
    big.ipDf = true;
    big.icmpType = ICMP_ECHO;
    big.icmpId = 2;
    big.icmpSeq = 1;
    big.payload = new Uint8Array(1430);
    expect(big.ipTotalLength()).toBe(1458);
    const lines = cap.block(() => p1.ip.output(big));
    expect(lines).toEqual(KERNEL_FRAG_NEEDED);
  });
});

describe('the same with the harness (kernel: testdata/df.sh, flannel.1 lowered to MTU 80)', () => {
  it('reproduces the kernel\'s blocks: the first ping passes, the second is too big for flannel.1', () => {
    const { net, nodes, pods } = flannelTestbed();
    const p1 = pods.get('p1')!.ns;
    const cap = new CaptureRecorder(net);
    const sim = [cap.block(() => new PingProbe(() => {}, 1).start(p1, ip('10.244.1.2'), ip('10.244.2.2')))];
    nodes[0]!.ns.setMtu(nodes[0]!.vxlan, 80);
    sim.push(cap.block(() => new PingProbe(() => {}, 2).start(p1, ip('10.244.1.2'), ip('10.244.2.2'))));
    const kernel = probeBlocks(readFileSync(testdata('df.capture'), 'utf8'));
    kernel.forEach((k, i) => {
      expect(missingLines(k, sim[i]!), `probe ${i + 1}`).toEqual([]);
      expect(missingLines(sim[i]!, k), `probe ${i + 1}: extra`).toEqual([]);
    });
    expect(sim[1]![3]).toBe('n1 cni0 out icmp 10.244.1.1 > 10.244.1.2 10.244.2.2 unreachable - need to frag (mtu 80)');
  });
});

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0;

describe.skipIf(!canUnshare)('the same commands on this machine\'s kernel', () => {
  it('build a working overlay whose state prints as dpsim\'s does', () => {
    const node1 = flannelCommands(testLease(1), [testLease(2)], { underlay: 'ens3', bridgeMac: 0x0200_0000_0101 }, 'n1');
    const node2 = flannelCommands(testLease(2), [testLease(1)], { underlay: 'ens3', bridgeMac: 0x0200_0000_0201 }, 'n2');
    const script = [
      'set -e',
      'mount -t tmpfs none /run/netns',
      // IPv6 off, as the kernel harness has it (dpsim models none)
      'for ns in n1 n2 p1 p2; do ip netns add $ns; ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done',
      'ip -n n1 link add ens3 address 02:00:00:00:00:05 type veth peer name ens3 netns n2 address 02:00:00:00:00:06',
      'ip -n n1 addr add 192.168.50.5/24 dev ens3',
      'ip -n n2 addr add 192.168.50.6/24 dev ens3',
      'ip -n n1 link set ens3 up',
      'ip -n n2 link set ens3 up',
      ...node1,
      ...node2,
      'ip -n n1 link add veth1 address 02:00:00:00:11:01 type veth peer name eth0 netns p1 address 02:00:00:00:21:01',
      'ip -n n2 link add veth1 address 02:00:00:00:12:01 type veth peer name eth0 netns p2 address 02:00:00:00:22:01',
      'for k in 1 2; do ip -n n$k link set veth1 master cni0; ip -n n$k link set veth1 up; ip -n p$k addr add 10.244.$k.2/24 dev eth0; ip -n p$k link set eth0 up; ip -n p$k route add default via 10.244.$k.1; done',
      'ip netns exec p1 ping -c1 -W2 10.244.2.2 > /dev/null',
      'echo "--- fdb"; ip netns exec n1 bridge fdb show dev flannel.1',
      'echo "--- routes"; ip -n n1 route',
      'echo "--- neigh"; ip -n n1 neigh show dev flannel.1 nud permanent',
      'echo "--- cni0"; ip netns exec n2 bridge fdb show br cni0',
    ].join('\n');
    const out = execFileSync('unshare', ['--mount', '--net', 'bash', '-c', script], { encoding: 'utf8', timeout: 30_000 });
    const { nodes, net, pods } = flannelTestbed();
    new PingProbe(() => {}, 1).start(pods.get('p1')!.ns, ip('10.244.1.2'), ip('10.244.2.2'));
    net.scheduler.runUntilQuiet(1e9); // the kernel's state right after the ping
    const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    expect(out).toBe(
      `--- fdb\n${bridgeFdbShow(n1.ns, { dev: n1.vxlan })}--- routes\n${routes(n1.ns)}--- neigh\n${neighShow(n1.ns, 'flannel.1')}--- cni0\n${bridgeFdbShow(n2.ns, { br: n2.bridge })}`,
    );
  });
});
