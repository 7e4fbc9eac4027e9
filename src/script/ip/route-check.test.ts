import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { Network } from '../../netns/network.js';
import {
  RTN_BLACKHOLE,
  RTN_LOCAL,
  RTN_UNICAST,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RouteTable,
  prefixMask,
  type Route,
} from '../../netns/route-table.js';
import { fibLookup } from './route-check.js';

const A = (text: string): number => text.split('.').reduce((acc, b) => acc * 256 + Number(b), 0);

type WithRoutesAt = RouteTable & { routesAt?: (dst: number, len: number) => readonly Route[] };
const proto = RouteTable.prototype as WithRoutesAt;

afterEach(() => {
  delete proto.routesAt;
});

describe('fibLookup', () => {
  test('local and main are one trie: the longer prefix wins across them, local first on a tie', () => {
    const ns = new Network().root;
    ns.fib.table(RT_TABLE_LOCAL).add({ table: RT_TABLE_LOCAL, type: RTN_LOCAL, dst: A('10.0.0.0'), prefixLen: 8, oif: 1, scope: RT_SCOPE_HOST });
    ns.fib.table(RT_TABLE_MAIN).add({ dst: A('10.1.0.0'), prefixLen: 16, oif: 2, scope: RT_SCOPE_LINK });
    ns.fib.table(RT_TABLE_MAIN).add({ dst: A('10.2.0.0'), prefixLen: 16, oif: 2, gateway: A('10.1.0.1') });
    expect(fibLookup(ns, { dst: A('10.1.2.3') })?.prefixLen).toBe(16);
    expect(fibLookup(ns, { dst: A('10.3.2.3') })?.type).toBe(RTN_LOCAL);
    // A gateway check wants scope link or narrower: the /16 gateway route is skipped for the local /8.
    expect(fibLookup(ns, { dst: A('10.2.0.9'), minScope: RT_SCOPE_LINK })?.type).toBe(RTN_LOCAL);
    // Only routes through the given device count.
    expect(fibLookup(ns, { dst: A('10.1.0.9'), oif: 1 })?.type).toBe(RTN_LOCAL);
    expect(fibLookup(ns, { dst: A('10.1.0.9'), oif: 3 })).toBeNull();
    expect(fibLookup(ns, { dst: A('10.1.0.9'), minScope: RT_SCOPE_HOST + 1 })).toBeNull();
  });

  test('with and without an exact-prefix accessor on RouteTable, the answers agree', () => {
    const route = fc.record({
      table: fc.constantFrom(RT_TABLE_LOCAL, RT_TABLE_MAIN),
      type: fc.constantFrom(RTN_UNICAST, RTN_LOCAL, RTN_BLACKHOLE),
      net: fc.integer({ min: 0, max: 15 }),
      prefixLen: fc.integer({ min: 0, max: 32 }),
      oif: fc.integer({ min: 1, max: 3 }),
      scope: fc.constantFrom(RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST),
      priority: fc.integer({ min: 0, max: 2 }),
    });
    const query = fc.record({ host: fc.integer({ min: 0, max: 15 }), low: fc.integer({ min: 0, max: 255 }), minScope: fc.constantFrom(undefined, RT_SCOPE_LINK), oif: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.array(route, { maxLength: 30 }), fc.array(query, { minLength: 1, maxLength: 10 }), (routes, queries) => {
        const ns = new Network().root;
        for (const r of routes) {
          const dst = ((A('10.0.0.0') + (r.net << 20)) & prefixMask(r.prefixLen)) >>> 0;
          ns.fib.table(r.table).add({ ...r, dst, oif: r.type === RTN_BLACKHOLE ? 0 : r.oif });
        }
        const qs = queries.map((q) => ({ dst: A('10.0.0.0') + (q.host << 20) + q.low, minScope: q.minScope, oif: q.oif }));
        delete proto.routesAt;
        const scanned = qs.map((q) => fibLookup(ns, q));
        proto.routesAt = function (this: RouteTable, dst: number, len: number) {
          return this.routes().filter((r) => r.dst === dst && r.prefixLen === len);
        };
        const probed = qs.map((q) => fibLookup(ns, q));
        expect(probed).toEqual(scanned);
      }),
      { numRuns: 300 },
    );
  });
});
