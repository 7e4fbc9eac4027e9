/**
 * ConntrackTable.lookup of established flows in a table of 100,000 connections (both
 * directions hashed, as the kernel keeps them), the cost of filling it, and the whole
 * conntrack-in path of a NEW connection's first packet (lookup miss, new unconfirmed
 * connection, the packet attached to it, the null NAT binding) and of an established
 * flow's packet — the per-packet cost conntrack adds at PREROUTING.
 * Run: npx tsx bench/conntrack.bench.ts
 */
import b from 'benny';
import { Conn, IPS_CONFIRMED } from '../src/conntrack/conn.js';
import { enableConntrack } from '../src/conntrack/conntrack.js';
import { NF_NAT_MANIP_DST } from '../src/conntrack/nat.js';
import { ConntrackTable } from '../src/conntrack/table.js';
import { NF_INET_PRE_ROUTING } from '../src/netns/netfilter.js';
import { Network } from '../src/netns/network.js';
import { IPPROTO_TCP, Packet, TCP_ACK, TCP_SYN } from '../src/packet/packet.js';
import { Random } from '../src/sim/random.js';

const N = 100_000;
/** Lookups per benchmark call, so the harness's per-call cost does not dominate. */
const BATCH = 1_000;
const owner = { expire() {} };
const rnd = new Random(42);

const start = performance.now();
const table = new ConntrackTable();
const conns: Conn[] = [];
for (let i = 0; i < N; i++) {
  const c = new Conn(owner);
  const client = (0x0a000000 | rnd.int(0, 0xffff)) >>> 0;
  const sport = rnd.int(1024, 65535);
  const vip = (0x0a600000 | rnd.int(0, 0xfff)) >>> 0;
  c.orig.set(6, client, vip, sport, 80);
  c.reply.set(6, (0x0af40000 | rnd.int(0, 0xffff)) >>> 0, client, 8080, sport);
  c.status = IPS_CONFIRMED;
  c.expires = Number.MAX_SAFE_INTEGER;
  table.insert(c);
  conns.push(c);
}
const fillMs = performance.now() - start;
console.log(`${N} connections: table filled in ${fillMs.toFixed(1)} ms (${table.bucketCount} buckets)`);

// The keys to look up, half original direction, half reply, as plain numbers.
const K = 4096;
const keys = new Uint32Array(K * 5);
for (let i = 0; i < K; i++) {
  const c = conns[rnd.int(0, N - 1)]!;
  const t = i % 2 === 0 ? c.orig : c.reply;
  keys.set([t.proto, t.src, t.dst, t.sport, t.dport], i * 5);
}

let sink = 0;
let cursor = 0;
const heapBefore = process.memoryUsage().heapUsed;
await b.suite(
  'ConntrackTable.lookup',
  b.add(`${BATCH} lookups of established flows, ${N} connections`, () => {
    let i = cursor;
    for (let k = 0; k < BATCH; k++) {
      const o = i * 5;
      const h = table.lookup(keys[o]!, keys[o + 1]!, keys[o + 2]!, keys[o + 3]!, keys[o + 4]!, 0);
      if (h !== null) sink += h.dir;
      i = (i + 1) & (K - 1);
    }
    cursor = i;
  }),
  b.cycle((result) => `${result.name}: ${((result.ops * BATCH) / 1e6).toFixed(1)} M lookups/s (±${result.margin}%)`),
  b.complete(),
);

// conntrack in + the nat hook (no nat rules: a null binding) on a namespace's tracker.
const net = new Network(42);
const ns = net.root;
const [eth0] = ns.addVethPair('eth0', 'eth1');
ns.setUp(eth0);
ns.addAddress(eth0, 0x0a000001, 24);
const ct = enableConntrack(ns);
let sport = 1024;
/** A NEW connection's first packet (never confirmed, so the table stays empty). */
function firstPacket(): void {
  const p = new Packet();
  p.ipProto = IPPROTO_TCP;
  p.tcpFlags = TCP_SYN;
  p.ipSrc = 0x0b000001;
  p.ipDst = 0x0a600001;
  p.sport = sport;
  p.dport = 80;
  sport = sport === 65535 ? 1024 : sport + 1;
  ct.packetIn(p, NF_INET_PRE_ROUTING, eth0);
  ct.natHook(NF_INET_PRE_ROUTING, NF_NAT_MANIP_DST, p, eth0, null);
  sink += p.dport;
}
// One confirmed connection for the established case.
{
  const p = new Packet();
  p.ipProto = IPPROTO_TCP;
  p.tcpFlags = TCP_SYN;
  p.ipSrc = 0x0b000002;
  p.ipDst = 0x0a600001;
  p.sport = 40000;
  p.dport = 80;
  ct.packetIn(p, NF_INET_PRE_ROUTING, eth0);
  ct.natHook(NF_INET_PRE_ROUTING, NF_NAT_MANIP_DST, p, eth0, null);
  ct.confirm(p);
}
/** A packet of the confirmed connection, original direction (loose pickup keeps it tracked). */
function establishedPacket(): void {
  const p = new Packet();
  p.ipProto = IPPROTO_TCP;
  p.tcpFlags = TCP_ACK;
  p.ipSrc = 0x0b000002;
  p.ipDst = 0x0a600001;
  p.sport = 40000;
  p.dport = 80;
  ct.packetIn(p, NF_INET_PRE_ROUTING, eth0);
  ct.natHook(NF_INET_PRE_ROUTING, NF_NAT_MANIP_DST, p, eth0, null);
  sink += p.dport;
}
await b.suite(
  'conntrack in + nat hook, per packet',
  b.add(`${BATCH} first packets of NEW connections`, () => {
    for (let k = 0; k < BATCH; k++) firstPacket();
  }),
  b.add(`${BATCH} packets of an established connection`, () => {
    for (let k = 0; k < BATCH; k++) establishedPacket();
  }),
  b.cycle((result) => `${result.name}: ${((result.ops * BATCH) / 1e6).toFixed(2)} M packets/s (±${result.margin}%)`),
  b.complete(),
);
console.log(`heap after the run: ${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB more than before (benny's own bookkeeping included)`);
if (sink === 0) console.log('(nothing found)');
