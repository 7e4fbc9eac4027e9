/**
 * dpsim end to end: UDP datagrams from pod p1 on node n1 to pod p2 on node n2, tracing off
 * (veth → cni0 → routing → flannel.1 VXLAN encap → underlay → UDP 8472 → decap → cni0 →
 * veth → the socket), one scheduler drain per datagram.
 */

import { flannelTestbed } from '../k8s/flannel/testbed.js';
import type { UdpHandler } from '../netns/udp.js';
import { measureRate } from './measure.js';
import type { Rate } from './types.js';

/** What the path crosses, for the report. */
export const END_TO_END_PATH = 'pod → veth → cni0 → flannel.1 (VXLAN) → underlay → flannel.1 → cni0 → veth → pod socket, 2 nodes, UDP, tracing off';

/** Datagrams per second through the two-node path. */
export function measureEndToEnd(seconds: number): Rate {
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
  if (typeof rx === 'string' || typeof tx === 'string') throw new Error(`bench: UDP bind failed: ${String(typeof rx === 'string' ? rx : tx)}`);
  const payload = new Uint8Array(6);
  const BATCH = 1000;
  const before = received;
  const rate = measureRate(seconds, BATCH, () => {
    for (let i = 0; i < BATCH; i++) {
      tx.sendTo(p2Addr, 5301, payload);
      net.scheduler.drain();
    }
  });
  const delivered = received - before;
  if (delivered !== rate.count + BATCH) throw new Error(`bench: ${rate.count + BATCH} datagrams sent, ${delivered} delivered`);
  return rate;
}
