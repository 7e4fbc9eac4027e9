import b from 'benny';
import type { Packet } from '../src/packet/packet.js';
import type { UdpHandler } from '../src/netns/udp.js';
import { routerChain } from './topology.js';

/** A UDP datagram forwarded through a chain of 3 routers, tracing off (issue target: ≥ 500,000 packets/s). */
const { net, src, dst, dstAddr } = routerChain(3);
let received = 0;
const sink: UdpHandler = {
  datagram(_s, _p: Packet) {
    received++;
  },
  error() {},
};
const rx = dst.udp.bind(0, 5301, sink);
const tx = src.udp.bind(0, 40000, sink);
if (typeof rx === 'string' || typeof tx === 'string') throw new Error('bind failed');
const payload = new Uint8Array(6);
tx.sendTo(dstAddr, 5301, payload);
net.scheduler.drain(); // warm the neighbour caches
if (received !== 1) throw new Error(`warm-up datagram not delivered (${received})`);

const BATCH = 1000;
await b.suite(
  'UDP through 3 routers (tracing off)',
  b.add(`send+forward+deliver ×${BATCH}`, () => {
    for (let i = 0; i < BATCH; i++) {
      tx.sendTo(dstAddr, 5301, payload);
      net.scheduler.drain();
    }
  }),
  b.cycle((r: { name: string; ops: number }) => {
    console.log(`${r.name}: ${(r.ops * BATCH).toLocaleString('en-US', { maximumFractionDigits: 0 })} packets/s`);
  }),
  b.complete(),
);
if (received < 1000) throw new Error('packets were not delivered');
