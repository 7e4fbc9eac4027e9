import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../sim/random.js';
import {
  RouteErrors,
  RouteTable,
  RTN_BLACKHOLE,
  RTN_LOCAL,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTPROT_BOOT,
  RTPROT_KERNEL,
  RTPROT_STATIC,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  flushedByDeviceDown,
  newRoute,
  prefixMask,
  type Route,
  type RouteError,
  type RouteInit,
  type RouteSelector,
} from './route-table.js';

/** A dotted quad as an unsigned number. */
function ip(text: string): number {
  return text.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}

const ETH0 = 2;
const ETH1 = 3;
const GW1 = ip('192.168.0.1');
const GW2 = ip('192.168.0.2');
const GW3 = ip('192.168.0.3');
const NET_10 = ip('10.0.0.0');
const NET_10_1 = ip('10.1.0.0');

/** The order the kernel keeps and dumps routes in: dst ascending, longer prefix, higher tos, lower metric first. */
function kernelOrder(a: Route, b: Route): number {
  return a.dst - b.dst || b.prefixLen - a.prefixLen || b.tos - a.tos || a.priority - b.priority;
}

/** Longest prefix among tos-0 routes, lowest metric among those, first in dump order among equals. */
function bruteForceLookup(routes: readonly Route[], dst: number): Route | null {
  let best: Route | null = null;
  for (const r of routes) {
    if (r.tos !== 0 || ((dst & prefixMask(r.prefixLen)) >>> 0) !== r.dst) continue;
    if (best === null || r.prefixLen > best.prefixLen || (r.prefixLen === best.prefixLen && r.priority < best.priority)) best = r;
  }
  return best;
}

/** A route change and what the kernel answers, modelled on one flat list in dump order. */
class ListModel {
  readonly routes: Route[] = [];

  private run(r: Route): number[] {
    const same = (x: Route): boolean => x.dst === r.dst && x.prefixLen === r.prefixLen && x.tos === r.tos && x.priority === r.priority;
    return this.routes.flatMap((x, i) => (same(x) ? [i] : []));
  }

  private sorted(r: Route): number {
    const i = this.routes.findIndex((x) => kernelOrder(x, r) > 0);
    return i < 0 ? this.routes.length : i;
  }

  private identical(i: number, r: Route): boolean {
    const x = this.routes[i]!;
    return x.type === r.type && x.gateway === r.gateway && x.oif === r.oif && x.onlink === r.onlink && x.prefsrc === r.prefsrc && x.scope === r.scope && x.protocol === r.protocol;
  }

  apply(op: Op): RouteError | null {
    if (op.kind === 'delete') {
      const i = this.routes.findIndex(
        (x) =>
          x.dst === op.sel.dst &&
          x.prefixLen === op.sel.prefixLen &&
          x.tos === (op.sel.tos ?? 0) &&
          (!op.sel.type || x.type === op.sel.type) &&
          (!op.sel.priority || x.priority === op.sel.priority) &&
          (!op.sel.gateway || x.gateway === op.sel.gateway) &&
          (!op.sel.oif || x.oif === op.sel.oif),
      );
      if (i < 0) return RouteErrors.noSuchProcess;
      this.routes.splice(i, 1);
      return null;
    }
    const r = newRoute(op.route);
    const run = this.run(r);
    if (run.length === 0) {
      if (op.kind === 'change') return RouteErrors.noSuchFile;
      this.routes.splice(this.sorted(r), 0, r);
      return null;
    }
    const match = run.find((i) => this.identical(i, r));
    switch (op.kind) {
      case 'add':
        return RouteErrors.fileExists;
      case 'append':
      case 'prepend':
        if (match !== undefined) return RouteErrors.fileExists;
        this.routes.splice(op.kind === 'append' ? run[run.length - 1]! + 1 : run[0]!, 0, r);
        return null;
      default:
        if (match !== undefined) return match === run[0] ? null : RouteErrors.fileExists;
        this.routes[run[0]!] = r;
        return null;
    }
  }
}

type Op = { kind: 'add' | 'append' | 'prepend' | 'replace' | 'change'; route: RouteInit } | { kind: 'delete'; sel: RouteSelector };

function applyToTable(t: RouteTable, op: Op): RouteError | null {
  return op.kind === 'delete' ? t.delete(op.sel) : t[op.kind](op.route);
}

/** Prefixes crowded into a few addresses so that routes collide, nest and share runs. */
const crowdedPrefix = fc
  .record({
    base: fc.constantFrom(ip('0.0.0.0'), ip('10.0.0.0'), ip('10.0.0.128'), ip('10.1.0.0'), ip('128.0.0.0'), ip('255.255.255.255')),
    prefixLen: fc.constantFrom(0, 1, 8, 16, 24, 25, 31, 32),
  })
  .map(({ base, prefixLen }) => ({ dst: (base & prefixMask(prefixLen)) >>> 0, prefixLen }));

const crowdedRoute: fc.Arbitrary<RouteInit> = fc
  .record({
    prefix: crowdedPrefix,
    type: fc.constantFrom(RTN_UNICAST, RTN_UNICAST, RTN_UNICAST, RTN_BLACKHOLE),
    tos: fc.constantFrom(0, 0, 0, 0x10),
    priority: fc.constantFrom(0, 10, 100),
    gateway: fc.constantFrom(0, GW1, GW2),
    oif: fc.constantFrom(ETH0, ETH1),
  })
  .map(({ prefix, type, tos, priority, gateway, oif }) =>
    type === RTN_BLACKHOLE ? { ...prefix, type, tos, priority } : { ...prefix, type, tos, priority, gateway, oif },
  );

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('add', 'append', 'prepend', 'replace', 'change' as const), route: crowdedRoute }),
  fc.record({
    kind: fc.constant('delete' as const),
    sel: fc.record(
      {
        dst: fc.constant(0),
        prefixLen: fc.constant(0),
        tos: fc.constantFrom(0, 0x10),
        type: fc.constantFrom(RTN_UNICAST, RTN_BLACKHOLE),
        priority: fc.constantFrom(0, 10, 100),
        gateway: fc.constantFrom(GW1, GW2),
        oif: fc.constantFrom(ETH0, ETH1),
      },
      { requiredKeys: ['dst', 'prefixLen'] },
    ),
  }).chain((d) => crowdedPrefix.map((p) => ({ ...d, sel: { ...d.sel, ...p } }))),
);

/** Addresses worth asking about: every prefix's first and last address and their neighbours, plus random ones. */
function probes(routes: readonly Route[], extra: number[]): number[] {
  const out = [0, 0xffffffff, ...extra];
  for (const r of routes) {
    const last = r.dst + 2 ** (32 - r.prefixLen) - 1;
    out.push(r.dst, last, (r.dst - 1) >>> 0, (last + 1) >>> 0);
  }
  return out;
}

describe('RouteTable properties', () => {
  it('matches the list model for every change, keeps dump order, and looks up as a brute-force scan does', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(op, fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 3 })), { maxLength: 60 }), (steps) => {
        const t = new RouteTable();
        const model = new ListModel();
        for (const [o, extra] of steps) {
          expect(applyToTable(t, o)).toBe(model.apply(o));
          const dump = t.routes();
          expect(dump).toEqual(model.routes);
          expect(t.size).toBe(dump.length);
          for (let i = 1; i < dump.length; i++) expect(kernelOrder(dump[i - 1]!, dump[i]!)).toBeLessThanOrEqual(0);
          for (const a of probes(dump, extra)) expect(t.lookup(a)).toEqual(bruteForceLookup(dump, a));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('looks up as a brute-force scan does in tables of random routes', () => {
    const anyRoute = fc
      .record({ dst: fc.nat({ max: 0xffffffff }), prefixLen: fc.integer({ min: 0, max: 32 }), priority: fc.nat({ max: 3 }), tos: fc.constantFrom(0, 0, 0, 8) })
      .map((r) => ({ ...r, dst: (r.dst & prefixMask(r.prefixLen)) >>> 0, gateway: r.dst, oif: ETH0 }));
    fc.assert(
      fc.property(fc.array(anyRoute, { maxLength: 200 }), fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 50 }), (routes, extra) => {
        const t = new RouteTable();
        for (const r of routes) t.append(r);
        const dump = t.routes();
        for (const a of probes(dump, extra)) expect(t.lookup(a)).toEqual(bruteForceLookup(dump, a));
      }),
      { numRuns: 200 },
    );
  });

  it('looks up as a brute-force scan does in a table of 100,000 random routes (a full bucket index)', () => {
    const rnd = new Random(7);
    const t = new RouteTable();
    for (let i = 0; i < 100_000; i++) {
      const prefixLen = rnd.int(0, 32);
      t.append({ dst: (rnd.u32() & prefixMask(prefixLen)) >>> 0, prefixLen, gateway: rnd.u32(), oif: ETH0, priority: rnd.int(0, 3), tos: rnd.int(0, 9) === 0 ? 8 : 0 });
    }
    const dump = t.routes();
    const sample = Array.from({ length: 25 }, () => dump[rnd.int(0, dump.length - 1)]!);
    for (const a of probes(sample, Array.from({ length: 100 }, () => rnd.u32()))) expect(t.lookup(a)).toBe(bruteForceLookup(dump, a));
  });

  it('removeWhere keeps the rest in order and lookups right', () => {
    fc.assert(
      fc.property(fc.array(crowdedRoute, { maxLength: 40 }), fc.constantFrom(ETH0, ETH1), (routes, dev) => {
        const t = new RouteTable();
        for (const r of routes) t.append(r);
        const before = t.routes();
        const removed = t.removeWhere((r) => r.oif === dev);
        const kept = before.filter((r) => r.oif !== dev);
        expect(t.routes()).toEqual(kept);
        expect(removed).toBe(before.length - kept.length);
        for (const a of probes(before, [])) expect(t.lookup(a)).toEqual(bruteForceLookup(kept, a));
      }),
    );
  });
});

describe('RouteTable changes (as recorded: see route-format.test.ts)', () => {
  const via = (gateway: number, extra: Partial<RouteInit> = {}): RouteInit => ({ dst: NET_10_1, prefixLen: 24, gateway, oif: ETH0, ...extra });
  const gateways = (t: RouteTable): string[] => t.routes().map((r) => `${r.type === RTN_BLACKHOLE ? 'blackhole' : r.gateway & 255}/${r.priority}`);

  it('add: File exists for the same dst/prefixLen/tos/metric, whatever the rest', () => {
    const t = new RouteTable();
    expect(t.add(via(GW1, { priority: 100 }))).toBeNull();
    expect(t.add(via(GW2, { priority: 50 }))).toBeNull();
    expect(t.add(via(GW3, { priority: 100 }))).toBe(RouteErrors.fileExists);
    expect(t.add({ dst: NET_10_1, prefixLen: 24, type: RTN_BLACKHOLE, priority: 50 })).toBe(RouteErrors.fileExists);
    expect(t.add(via(GW3, { priority: 100, tos: 0x10 }))).toBeNull();
    expect(t.add(via(GW3))).toBeNull();
    expect(gateways(t)).toEqual(['3/100', '3/0', '2/50', '1/100']);
  });

  it('append/prepend: after or before the run; File exists for an identical route only', () => {
    // ip route add 10.1.0.0/24 via .2; append via .3; append via .3 (File exists); prepend via .4;
    // append via .5 metric 7; append via .6 metric 3; append blackhole; append blackhole (File exists)
    const t = new RouteTable();
    expect(t.add(via(GW2))).toBeNull();
    expect(t.append(via(GW3))).toBeNull();
    expect(t.append(via(GW3))).toBe(RouteErrors.fileExists);
    expect(t.prepend(via(ip('192.168.0.4')))).toBeNull();
    expect(t.append(via(ip('192.168.0.5'), { priority: 7 }))).toBeNull();
    expect(t.append(via(ip('192.168.0.6'), { priority: 3 }))).toBeNull();
    expect(t.append({ dst: NET_10_1, prefixLen: 24, type: RTN_BLACKHOLE })).toBeNull();
    expect(t.append({ dst: NET_10_1, prefixLen: 24, type: RTN_BLACKHOLE })).toBe(RouteErrors.fileExists);
    expect(gateways(t)).toEqual(['4/0', '2/0', '3/0', 'blackhole/0', '6/3', '5/7']);
    // The same nexthop with another protocol, source, scope or onlink is another route.
    expect(t.append(via(GW3, { protocol: RTPROT_STATIC }))).toBeNull();
    expect(t.append(via(GW3, { onlink: true }))).toBeNull();
    expect(t.append(via(GW3, { scope: RT_SCOPE_LINK }))).toBeNull();
  });

  it('replace: overwrites the first of the run; an identical later one is File exists; else adds', () => {
    const t = new RouteTable();
    for (const g of [4, 2, 3]) t.append(via(ip(`192.168.0.${g}`)));
    t.append(via(ip('192.168.0.6'), { priority: 3 }));
    t.append(via(ip('192.168.0.5'), { priority: 7 }));
    expect(t.replace(via(ip('192.168.0.9')))).toBeNull();
    expect(gateways(t)).toEqual(['9/0', '2/0', '3/0', '6/3', '5/7']);
    expect(t.replace(via(ip('192.168.0.9')))).toBeNull();
    expect(t.replace(via(GW3))).toBe(RouteErrors.fileExists);
    expect(t.replace(via(ip('192.168.0.9'), { priority: 4 }))).toBeNull();
    expect(t.replace(via(GW2, { priority: 7 }))).toBeNull();
    expect(gateways(t)).toEqual(['9/0', '2/0', '3/0', '6/3', '9/4', '2/7']);
  });

  it('change: like replace, but No such file or directory when nothing is there', () => {
    const t = new RouteTable();
    expect(t.change(via(GW1))).toBe(RouteErrors.noSuchFile);
    expect(t.routes()).toEqual([]);
    t.add(via(GW1, { priority: 10 }));
    expect(t.change(via(GW2, { priority: 11 }))).toBe(RouteErrors.noSuchFile);
    expect(t.change(via(GW2, { priority: 10 }))).toBeNull();
    expect(gateways(t)).toEqual(['2/10']);
  });

  it('delete: the first route the given fields match; tos always compared; No such process otherwise', () => {
    const t = new RouteTable();
    t.add(via(GW1));
    t.append({ dst: NET_10_1, prefixLen: 24, type: RTN_BLACKHOLE });
    t.add(via(GW2, { priority: 3 }));
    t.add(via(GW3, { priority: 7 }));
    t.add(via(GW3, { tos: 0x10 }));
    const sel = { dst: NET_10_1, prefixLen: 24 };
    expect(t.delete({ ...sel, type: RTN_UNREACHABLE })).toBe(RouteErrors.noSuchProcess);
    expect(t.delete({ ...sel, protocol: RTPROT_STATIC })).toBe(RouteErrors.noSuchProcess);
    expect(t.delete({ ...sel, scope: RT_SCOPE_LINK })).toBe(RouteErrors.noSuchProcess);
    expect(t.delete({ ...sel, gateway: ip('192.168.0.9') })).toBe(RouteErrors.noSuchProcess);
    expect(t.delete({ ...sel, oif: ETH1 })).toBe(RouteErrors.noSuchProcess);
    expect(t.delete({ ...sel, priority: 6 })).toBe(RouteErrors.noSuchProcess);
    expect(t.delete({ dst: NET_10, prefixLen: 24 })).toBe(RouteErrors.noSuchProcess);
    expect(t.delete({ ...sel, type: RTN_BLACKHOLE })).toBeNull();
    expect(t.delete({ ...sel, priority: 7 })).toBeNull();
    expect(t.delete({ ...sel, priority: 0, protocol: RTPROT_BOOT, scope: RT_SCOPE_UNIVERSE })).toBeNull(); // metric 0 = any: the first
    expect(gateways(t)).toEqual(['3/0', '2/3']);
    expect(t.delete({ ...sel, scope: RT_SCOPE_NOWHERE })).toBeNull();
    expect(t.delete(sel)).toBe(RouteErrors.noSuchProcess); // only the tos 0x10 route is left
    expect(t.delete({ ...sel, tos: 0x10 })).toBeNull();
    expect(t.size).toBe(0);
  });

  it('rejects a dst with host bits set', () => {
    const t = new RouteTable();
    expect(t.add({ dst: ip('10.2.0.1'), prefixLen: 16 })).toBe(RouteErrors.invalidPrefix);
    expect(t.delete({ dst: ip('10.2.0.1'), prefixLen: 16 })).toBe(RouteErrors.invalidPrefix);
    expect(t.size).toBe(0);
  });
});

describe('RouteTable.lookup (as ip route get answered)', () => {
  it('takes the lowest metric of the longest prefix', () => {
    const t = new RouteTable();
    t.add({ dst: NET_10, prefixLen: 24, gateway: ip('192.168.0.11'), oif: ETH0, priority: 10 });
    t.add({ dst: NET_10, prefixLen: 24, gateway: ip('192.168.0.12'), oif: ETH0, priority: 5 });
    t.add({ dst: NET_10, prefixLen: 16, gateway: ip('192.168.0.13'), oif: ETH0 });
    expect(t.lookup(ip('10.0.0.5'))?.gateway).toBe(ip('192.168.0.12'));
    expect(t.lookup(ip('10.0.1.5'))?.gateway).toBe(ip('192.168.0.13'));
    expect(t.lookup(ip('10.1.0.5'))).toBeNull();
  });

  it('skips tos routes, falling back to a shorter prefix', () => {
    const t = new RouteTable();
    t.add({ dst: NET_10, prefixLen: 16, gateway: ip('192.168.0.13'), oif: ETH0 });
    t.add({ dst: ip('10.0.1.0'), prefixLen: 24, gateway: ip('192.168.0.14'), oif: ETH0, tos: 0x10 });
    t.add({ dst: ip('10.0.2.0'), prefixLen: 24, gateway: ip('192.168.0.15'), oif: ETH0, tos: 0x10 });
    t.add({ dst: ip('10.0.2.0'), prefixLen: 24, gateway: ip('192.168.0.16'), oif: ETH0, priority: 9 });
    expect(t.lookup(ip('10.0.1.5'))?.gateway).toBe(ip('192.168.0.13'));
    expect(t.lookup(ip('10.0.2.5'))?.gateway).toBe(ip('192.168.0.16'));
  });

  it('returns the first route of the run whatever its type: a blackhole ahead of a unicast route wins', () => {
    // ip route add blackhole 10.2.0.0/24; ip route append 10.2.0.0/24 via 192.168.0.3;
    // ip route get 10.2.0.7 -> RTNETLINK answers: Invalid argument
    const t = new RouteTable();
    t.add({ dst: ip('10.2.0.0'), prefixLen: 24, type: RTN_BLACKHOLE });
    t.append({ dst: ip('10.2.0.0'), prefixLen: 24, gateway: GW3, oif: ETH0 });
    expect(t.lookup(ip('10.2.0.7'))?.type).toBe(RTN_BLACKHOLE);
  });

  it('covers the edges of the address space', () => {
    const t = new RouteTable();
    t.add({ dst: 0, prefixLen: 0, gateway: GW1, oif: ETH0 });
    t.add({ dst: ip('255.255.255.255'), prefixLen: 32, type: RTN_BLACKHOLE });
    t.add({ dst: 0, prefixLen: 32, type: RTN_UNREACHABLE });
    expect(t.lookup(0)?.type).toBe(RTN_UNREACHABLE);
    expect(t.lookup(1)?.gateway).toBe(GW1);
    expect(t.lookup(ip('255.255.255.254'))?.gateway).toBe(GW1);
    expect(t.lookup(ip('255.255.255.255'))?.type).toBe(RTN_BLACKHOLE);
  });

  it('sees changes made after a lookup', () => {
    const t = new RouteTable();
    expect(t.lookup(ip('10.0.0.1'))).toBeNull();
    t.add({ dst: NET_10, prefixLen: 8, gateway: GW1, oif: ETH0 });
    expect(t.lookup(ip('10.0.0.1'))?.gateway).toBe(GW1);
    t.delete({ dst: NET_10, prefixLen: 8 });
    expect(t.lookup(ip('10.0.0.1'))).toBeNull();
  });
});

describe('flushedByDeviceDown', () => {
  it('takes routes through the device except host-scoped ones (local routes stay)', () => {
    const local = newRoute({ type: RTN_LOCAL, dst: ip('10.0.0.1'), prefixLen: 32, oif: ETH0, scope: RT_SCOPE_HOST, protocol: RTPROT_KERNEL });
    const subnet = newRoute({ dst: NET_10, prefixLen: 24, oif: ETH0, scope: RT_SCOPE_LINK, protocol: RTPROT_KERNEL });
    const other = newRoute({ dst: NET_10_1, prefixLen: 24, oif: ETH1, gateway: GW1 });
    expect([local, subnet, other].map((r) => flushedByDeviceDown(r, ETH0))).toEqual([false, true, false]);
  });
});
