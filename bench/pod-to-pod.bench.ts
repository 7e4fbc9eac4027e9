/**
 * A pod-to-pod UDP datagram across two flannel nodes, tracing off: pod veth → cni0 bridge →
 * routing → flannel.1 (VXLAN encap) → underlay veth → UDP 8472 → flannel.1 (decap) →
 * routing → cni0 → pod veth → UDP socket (issue 4's target: ≥ 250,000 packets/s).
 * Run: npx tsx bench/pod-to-pod.bench.ts
 */
import b from 'benny';
import type { UdpHandler } from '../src/netns/udp.js';
import { flannelTestbed } from '../src/k8s/flannel/testbed.js';

const { net, pods } = flannelTestbed();
const { ns: p1, addr: p1Addr } = pods.get('p1')!;
const { ns: p2, addr: p2Addr } = pods.get('p2')!;
let received = 0;
const sink: UdpHandler = {
  datagram() {
    received++;
  },
  error() {},
};
const rx = p2.udp.bind(0, 5301, sink);
const tx = p1.udp.bind(p1Addr, 40000, sink);
if (typeof rx === 'string' || typeof tx === 'string') throw new Error('bind failed');
const payload = new Uint8Array(6);
tx.sendTo(p2Addr, 5301, payload);
net.scheduler.drain(); // warm the neighbour caches and the FDBs
if (received !== 1) throw new Error(`warm-up datagram not delivered (${received})`);

const BATCH = 1000;
await b.suite(
  'pod to pod over flannel VXLAN (tracing off)',
  b.add(`send+bridge+encap+decap+bridge+deliver ×${BATCH}`, () => {
    for (let i = 0; i < BATCH; i++) {
      tx.sendTo(p2Addr, 5301, payload);
      net.scheduler.drain();
    }
  }),
  b.cycle((r: { name: string; ops: number }) => {
    console.log(`${r.name}: ${(r.ops * BATCH).toLocaleString('en-US', { maximumFractionDigits: 0 })} packets/s`);
  }),
  b.complete(),
);
if (received < 1000) throw new Error('packets were not delivered');
