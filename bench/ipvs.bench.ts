/**
 * IPVS scheduling decisions per second with 20,000 virtual services × 10 real servers
 * (kube-proxy's IPVS scale): the service lookup a packet's destination does
 * (ip_vs_service_find) plus the scheduler's choice, for the first and the last service
 * added, with rr (kube-proxy's default) and mh. Target: ≥ 1,000,000 decisions/s.
 * Run: npx tsx bench/ipvs.bench.ts
 */
import b from 'benny';
import { Network } from '../src/netns/network.js';
import { IPPROTO_TCP } from '../src/packet/packet.js';
import { ipvsOf, type Ipvs } from '../src/ipvs/ipvs.js';
import { IP_VS_CONN_F_MASQ } from '../src/ipvs/service.js';

const SERVICES = 20_000;
const REALS = 10;
/** Decisions per benchmark call. */
const BATCH = 1_000;
const VIP_BASE = 0x0a600000; // 10.96.0.0
const RS_BASE = 0x0af40000; // 10.244.0.0

function build(sched: string): { ipvs: Ipvs; ms: number } {
  const net = new Network(1);
  const ns = net.addNamespace('node')!;
  const ipvs = ipvsOf(ns);
  const start = performance.now();
  for (let s = 0; s < SERVICES; s++) {
    const svc = ipvs.addService({ proto: IPPROTO_TCP, addr: VIP_BASE + s, port: 80, fwmark: 0, sched, flags: 0, timeout: 0, netmask: 0xffffffff });
    for (let r = 0; r < REALS; r++) ipvs.addDest(svc, { addr: RS_BASE + s * REALS + r, port: 8080, fwd: IP_VS_CONN_F_MASQ, weight: 1, uThreshold: 0, lThreshold: 0 });
  }
  return { ipvs, ms: performance.now() - start };
}

let sink = 0;
function decide(ipvs: Ipvs, vip: number): void {
  for (let i = 0; i < BATCH; i++) {
    const src = 0x0b000000 + i * 7;
    const svc = ipvs.findService(0, IPPROTO_TCP, vip, 80)!;
    sink += svc.scheduler.schedule(svc, src, 30000 + i, vip, 80)!.addr & 1;
  }
}

const rr = build('rr');
console.log(`rr: ${SERVICES} services × ${REALS} reals built in ${rr.ms.toFixed(0)} ms`);
const mh = build('mh');
console.log(`mh: ${SERVICES} services × ${REALS} reals built in ${mh.ms.toFixed(0)} ms`);

void b.suite(
  `IPVS scheduling decisions (${BATCH} per op; × ${BATCH} for decisions/s)`,
  b.add('rr, first service', () => decide(rr.ipvs, VIP_BASE)),
  b.add('rr, last service', () => decide(rr.ipvs, VIP_BASE + SERVICES - 1)),
  b.add('mh, first service', () => decide(mh.ipvs, VIP_BASE)),
  b.add('mh, last service', () => decide(mh.ipvs, VIP_BASE + SERVICES - 1)),
  b.cycle(),
  b.complete(() => {
    if (sink < 0) console.log(sink);
  }),
);
