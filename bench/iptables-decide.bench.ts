/**
 * NEW-connection DNAT decisions per second with a kube-proxy-shaped nat table of 20,000
 * services × 10 endpoints (bench/kube-rules.ts), to the first and to the last service,
 * compiled and interpreted. A decision is the nat table's answer for a connection's first
 * packet at PREROUTING (conntrack's NAT decider: PREROUTING → KUBE-SERVICES → KUBE-SVC-… with
 * statistic → KUBE-SEP-… DNAT, and the NAT core binding the reply tuple), for an unconfirmed
 * connection that is reset after each decision. A second set of cases times the whole first
 * packet: conntrack in (a new connection) + the nat hook + the packet rewrite (connections
 * are never confirmed, so the table stays empty). Beside each figure: the modelled kernel
 * cost (rules the kernel evaluates per decision, averaged).
 * Run: npx tsx bench/iptables-decide.bench.ts   (SERVICES=, ENDPOINTS= to change the size)
 */
import b from 'benny';
import { existingConntrack } from '../src/conntrack/conntrack.js';
import { NF_NAT_MANIP_DST } from '../src/conntrack/nat.js';
import { compileTable } from '../src/iptables/compile/compiled-table.js';
import { iptablesOf } from '../src/iptables/hooks.js';
import { restore } from '../src/iptables/restore.js';
import { xtablesOf } from '../src/iptables/ruleset.js';
import { NF_INET_PRE_ROUTING } from '../src/netns/netfilter.js';
import { Network } from '../src/netns/network.js';
import { IPPROTO_TCP, Packet, TCP_SYN } from '../src/packet/packet.js';
import { kubeProxyRules } from './kube-rules.js';

const SERVICES = Number(process.env.SERVICES ?? 20000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 10);

const net = new Network(42);
const ns = net.root;
const [eth0] = ns.addVethPair('eth0', 'eth1');
ns.setUp(eth0);
ns.addAddress(eth0, 0x0a000001, 24);
const text = kubeProxyRules(SERVICES, ENDPOINTS);
const t0 = performance.now();
const r = restore(xtablesOf(ns).nft, text, { program: 'iptables-restore', noflush: false, counters: false, table: null });
if (r.status !== 0) throw new Error(r.output);
const t1 = performance.now();
compileTable(xtablesOf(ns).nft.tables.get('nat')!);
const t2 = performance.now();
console.log(`nat table of ${SERVICES} services × ${ENDPOINTS} endpoints: restore ${(t1 - t0).toFixed(0)} ms, compile ${(t2 - t1).toFixed(0)} ms`);

const ct = existingConntrack(ns)!;
const ipt = iptablesOf(ns);
const vip = (s: number): number => (((10 << 24) | (96 << 16)) + s + 1) >>> 0;
let sport = 1024;
let sink = 0;

/** One NEW connection's first packet to service `s`: conntrack in, the DNAT decision, the rewrite. Returns the new destination. */
function firstPacket(s: number): number {
  const p = new Packet();
  p.ipProto = IPPROTO_TCP;
  p.tcpFlags = TCP_SYN;
  p.ipSrc = 0x0b000001;
  p.ipDst = vip(s);
  p.sport = sport;
  p.dport = 80;
  sport = sport === 65535 ? 1024 : sport + 1;
  ct.packetIn(p, NF_INET_PRE_ROUTING, eth0);
  ct.natHook(NF_INET_PRE_ROUTING, NF_NAT_MANIP_DST, p, eth0, null);
  return p.ipDst;
}

/** One unconfirmed connection per service position, decided again and again (its NAT binding undone each time). */
const probes = new Map<number, { p: Packet; conn: NonNullable<ReturnType<typeof ct.connOf>>; status: number }>();
for (const s of [0, SERVICES - 1]) {
  const p = new Packet();
  p.ipProto = IPPROTO_TCP;
  p.tcpFlags = TCP_SYN;
  p.ipSrc = 0x0b000002;
  p.ipDst = vip(s);
  p.sport = 40000;
  p.dport = 80;
  ct.packetIn(p, NF_INET_PRE_ROUTING, eth0);
  const conn = ct.connOf(p)!;
  probes.set(s, { p, conn, status: conn.status });
}

/** The nat table's decision for a NEW connection to service `s`. Returns the bound reply source (the endpoint). */
function decide(s: number): number {
  const { p, conn, status } = probes.get(s)!;
  conn.status = status;
  conn.reply.invertFrom(conn.orig);
  ct.decider!.decide(NF_INET_PRE_ROUTING, p, conn, ct, eth0, null);
  return conn.reply.src;
}

interface Case {
  name: string;
  s: number;
  interpreted: boolean;
  batch: number;
  run: (s: number) => number;
}
const cases: Case[] = [];
for (const [what, run] of [['decision', decide], ['first packet', firstPacket]] as const)
  for (const interpreted of [false, true])
    for (const s of [0, SERVICES - 1])
      cases.push({ name: `${what}, ${interpreted ? 'interpreted' : 'compiled'}, ${s === 0 ? 'first' : `last (#${SERVICES})`} service`, s, interpreted, batch: interpreted && s > 0 ? 1 : 1000, run });
const costs = new Map<string, number>();
await b.suite(
  'NEW-connection DNAT decisions',
  ...cases.map((c) =>
    b.add(c.name, () => {
      ipt.setInterpreted(c.interpreted);
      const before = ipt.rulesEvaluated();
      for (let k = 0; k < c.batch; k++) sink ^= c.run(c.s);
      costs.set(c.name, (ipt.rulesEvaluated() - before) / c.batch);
    }),
  ),
  b.cycle(() => ''),
  // Printed at the end, whole (benny's progress line is cut at the terminal's width).
  b.complete((summary) => {
    for (const result of summary.results) {
      const c = cases.find((x) => x.name === result.name)!;
      console.log(`${result.name}: ${Math.round(result.ops * c.batch).toLocaleString('en-US')}/s (±${result.margin}%), modelled kernel cost ${costs.get(result.name)!.toFixed(1)} rules`);
    }
  }),
);
if (sink === 0) console.log('(no DNAT happened)');
