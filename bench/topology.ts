import { parseIPv4 } from '../src/packet/address.js';
import type { NetDevice } from '../src/netns/device.js';
import type { NetNamespace } from '../src/netns/namespace.js';
import { Network } from '../src/netns/network.js';
import { newRoute, RTPROT_BOOT } from '../src/netns/route-table.js';

const ip = (s: string) => parseIPv4(s)!;

/**
 * A chain `h0 — r1 — r2 — … — rN — h1` of namespaces joined by veth pairs, one /24 per
 * link (10.0.K.0/24), routers forwarding, hosts with default routes: the benchmarks' topology.
 */
export function routerChain(routers: number, seed = 1): { net: Network; src: NetNamespace; dst: NetNamespace; srcAddr: number; dstAddr: number } {
  const net = new Network(seed);
  const nodes: NetNamespace[] = [net.addNamespace('h0')!];
  for (let i = 1; i <= routers; i++) nodes.push(net.addNamespace(`r${i}`)!);
  nodes.push(net.addNamespace('h1')!);
  const left: (NetDevice | null)[] = [null];
  const right: NetDevice[] = [];
  for (let k = 0; k < nodes.length - 1; k++) {
    const a = nodes[k]!;
    const b = nodes[k + 1]!;
    const [da, db] = a.addVethPair(`e${k}r`, `e${k + 1}l`, b);
    a.setUp(da);
    b.setUp(db);
    a.addAddress(da, ip(`10.0.${k}.1`), 24);
    b.addAddress(db, ip(`10.0.${k}.2`), 24);
    right.push(da);
    left.push(db);
  }
  for (let k = 1; k < nodes.length - 1; k++) {
    const r = nodes[k]!;
    r.confAll.forwarding = 1;
    for (const d of r.deviceList()) d.conf.forwarding = 1;
    // Towards h1 through the right neighbour, towards h0 through the left one.
    r.fib.main.add(newRoute({ dst: ip(`10.0.${nodes.length - 2}.0`), prefixLen: 24, gateway: ip(`10.0.${k}.2`), oif: right[k]!.ifindex, protocol: RTPROT_BOOT }));
    r.fib.main.add(newRoute({ dst: ip('10.0.0.0'), prefixLen: 24, gateway: ip(`10.0.${k - 1}.1`), oif: left[k]!.ifindex, protocol: RTPROT_BOOT }));
  }
  const last = nodes.length - 2;
  nodes[0]!.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: ip('10.0.0.2'), oif: right[0]!.ifindex, protocol: RTPROT_BOOT }));
  nodes[nodes.length - 1]!.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: ip(`10.0.${last}.1`), oif: left[nodes.length - 1]!.ifindex, protocol: RTPROT_BOOT }));
  return { net, src: nodes[0]!, dst: nodes[nodes.length - 1]!, srcAddr: ip('10.0.0.1'), dstAddr: ip(`10.0.${last}.2`) };
}
