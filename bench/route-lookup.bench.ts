/**
 * RouteTable.lookup throughput in tables of 10, 1,000 and 100,000 random routes (prefix
 * lengths uniform in /8../32, plus a default route), and the cost of filling each table.
 * Run: npx tsx bench/route-lookup.bench.ts
 */
import b from 'benny';
import { RouteTable, prefixMask, type RouteInit } from '../src/netns/route-table.js';
import { Random } from '../src/sim/random.js';

const SIZES = [10, 1_000, 100_000];
/** Lookups per benchmark call, so the harness's per-call cost does not dominate. */
const BATCH = 1_000;
const GATEWAY = 0xc0a80001;
const OIF = 2;

/** A table of `n` random routes and the addresses to look up: half inside its prefixes, half anywhere. */
function fixture(n: number, rnd: Random): { table: RouteTable; addrs: Uint32Array; buildMs: number } {
  const prefixes: RouteInit[] = [];
  for (let i = 0; i < n; i++) {
    const prefixLen = rnd.int(8, 32);
    prefixes.push({ dst: (rnd.u32() & prefixMask(prefixLen)) >>> 0, prefixLen, gateway: GATEWAY, oif: OIF, priority: rnd.int(0, 3) });
  }
  const start = performance.now();
  const table = new RouteTable();
  table.add({ dst: 0, prefixLen: 0, gateway: GATEWAY, oif: OIF });
  for (const p of prefixes) table.append(p); // an identical route already there is refused
  table.lookup(0); // builds the lookup index
  const buildMs = performance.now() - start;
  const addrs = new Uint32Array(4096);
  for (let i = 0; i < addrs.length; i++) {
    const p = prefixes[rnd.int(0, n - 1)]!;
    addrs[i] = i % 2 === 0 ? (p.dst | (rnd.u32() & ~prefixMask(p.prefixLen))) >>> 0 : rnd.u32();
  }
  return { table, addrs, buildMs };
}

const rnd = new Random(42);
const cases = SIZES.map((n) => ({ n, ...fixture(n, rnd) }));
for (const c of cases) console.log(`${c.n} routes: filled and indexed in ${c.buildMs.toFixed(1)} ms (${c.table.size} routes)`);

let sink = 0;
let cursor = 0;

await b.suite(
  'RouteTable.lookup',
  ...cases.map(({ n, table, addrs }) =>
    b.add(`${BATCH} lookups, ${n} routes`, () => {
      let i = cursor;
      for (let k = 0; k < BATCH; k++) {
        const r = table.lookup(addrs[i]!);
        if (r !== null) sink += r.prefixLen;
        i = (i + 1) & 4095;
      }
      cursor = i;
    }),
  ),
  b.cycle((result) => `${result.name}: ${((result.ops * BATCH) / 1e6).toFixed(1)} M lookups/s (±${result.margin}%)`),
  b.complete(),
);
if (sink === 0) console.log('(no route matched)');
