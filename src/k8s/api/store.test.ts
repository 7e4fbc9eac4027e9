import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../sim/random.js';
import { ApiStore, cloneObject, sameJson } from './store.js';
import type { KubeObject, Service } from './types.js';

/** JSON-like values as API objects hold them, with undefined members and shared sub-objects now and then. */
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, undefined, true, false, 0, -0, 1.5, -7, NaN, Infinity, '', 'a', 'ns/name'),
    fc.string(),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'spec', 'status', '1', '0', 'metadata', 'z'), tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('cloneObject', () => {
  it('copies as structuredClone does (same JSON, same key order, no shared objects)', () => {
    fc.assert(
      fc.property(jsonish, (v) => {
        const c = cloneObject(v);
        expect(c).toStrictEqual(structuredClone(v));
        expect(Object.is(JSON.stringify(c), JSON.stringify(v))).toBe(true);
        if (typeof v === 'object' && v !== null) expect(c).not.toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it('falls back to structuredClone for what is not plain data', () => {
    const d = new Date(0);
    const m = new Map([[1, 2]]);
    const c = cloneObject({ d, m, list: [1, 2] });
    expect(c.d).toBeInstanceOf(Date);
    expect(c.d).not.toBe(d);
    expect(c.m).toEqual(m);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cc = cloneObject(cyclic);
    expect(cc.self).toBe(cc);
    expect(() => cloneObject({ f: () => 1 })).toThrow();
    const own = JSON.parse('{"__proto__": {"x": 1}}') as object;
    expect(Object.keys(cloneObject(own))).toEqual(['__proto__']);
  });
});

describe('sameJson', () => {
  it('is JSON.stringify equality', () => {
    fc.assert(
      fc.property(jsonish, jsonish, (a, b) => {
        expect(sameJson(a, b)).toBe(JSON.stringify(a) === JSON.stringify(b));
        expect(sameJson(a, structuredClone(a))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('sees key order and undefined members as JSON.stringify does', () => {
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson([undefined], [null])).toBe(true);
    expect(sameJson({ n: NaN }, { n: null })).toBe(true);
    expect(sameJson(undefined, undefined)).toBe(true);
    expect(sameJson({ d: new Date(0) }, { d: '1970-01-01T00:00:00.000Z' })).toBe(true);
  });
});

describe('ApiStore list views', () => {
  const NAMESPACES = ['default', 'kube-system', 'b', 'a-1'];
  const op = fc.oneof(
    fc.record({ op: fc.constant('create' as const), ns: fc.constantFrom(...NAMESPACES), name: fc.constantFrom('x', 'y', 'z', 'x-1', 'Y', 'a.b') }),
    fc.record({ op: fc.constant('update' as const), ns: fc.constantFrom(...NAMESPACES), name: fc.constantFrom('x', 'y', 'z', 'x-1', 'Y', 'a.b') }),
    fc.record({ op: fc.constant('delete' as const), ns: fc.constantFrom(...NAMESPACES), name: fc.constantFrom('x', 'y', 'z', 'x-1', 'Y', 'a.b') }),
  );

  /** What list() returned before views: every object, sorted by namespace then name. */
  function reference(objs: Map<string, KubeObject>, ns?: string): string[] {
    return [...objs.values()]
      .filter((o) => ns === undefined || o.metadata.namespace === ns)
      .map((o) => [o.metadata.namespace!, o.metadata.name])
      .sort((p, q) => (p[0]! < q[0]! ? -1 : p[0]! > q[0]! ? 1 : p[1]! < q[1]! ? -1 : p[1]! > q[1]! ? 1 : 0))
      .map(([n, m]) => `${n}/${m}`);
  }

  it('list and listView always equal a fresh sort of what the store holds, and list copies', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const store = new ApiStore({ random: new Random(1), clock: { now: 0 } });
        for (const ns of NAMESPACES) if (store.get('Namespace', undefined, ns) === undefined) store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
        const held = new Map<string, KubeObject>();
        let i = 0;
        for (const o of ops) {
          const key = `${o.ns}/${o.name}`;
          if (o.op === 'create' && !held.has(key)) {
            held.set(key, store.create<Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: o.name, namespace: o.ns }, spec: { ports: [{ port: ++i }] } }));
          } else if (o.op === 'update' && held.has(key)) {
            held.set(key, store.update<Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: o.name, namespace: o.ns }, spec: { ports: [{ port: ++i }] } }));
          } else if (o.op === 'delete') {
            store.delete('Service', o.ns, o.name);
            held.delete(key);
          }
          const all = store.list('Service');
          expect(all.map((x) => `${x.metadata.namespace}/${x.metadata.name}`)).toEqual(reference(held));
          for (const x of all) expect(x).toBe(held.get(`${x.metadata.namespace}/${x.metadata.name}`));
          expect(store.listView('Service')).toEqual(all);
          for (const ns of NAMESPACES) {
            expect(store.list('Service', ns).map((x) => `${x.metadata.namespace}/${x.metadata.name}`)).toEqual(reference(held, ns));
          }
          all.pop(); // list() hands out a copy
          expect(store.list('Service')).toHaveLength(held.size);
        }
      }),
      { numRuns: 200 },
    );
  });
});
