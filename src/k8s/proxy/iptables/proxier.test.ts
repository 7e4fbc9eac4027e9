/**
 * The proxier beyond the fixed dumps: chain names (the talk's hashes), partial syncs as
 * upstream does them, large-cluster mode, and a property: any sequence of partial syncs
 * loaded through iptables-restore --noflush leaves the node with exactly the rules a fresh
 * full sync of the final state gives.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { saveXtables } from '../../../iptables/save.js';
import { xtablesOf } from '../../../iptables/ruleset.js';
import { Network } from '../../../netns/network.js';
import type { NetNamespace } from '../../../netns/namespace.js';
import type { EndpointSlice, Service } from '../../api/types.js';
import { defaultProxyConfig } from '../config.js';
import { buildServicePorts, type ProxySnapshot } from '../service-ports.js';
import { syntheticCluster } from '../synthetic.js';
import { makeService, makeSlice, tcpPort } from '../testing.js';
import { applyRestore, ensureJumps, RestoreError, tableChains } from './apply.js';
import { endpointChainName, serviceChainName } from './chain-names.js';
import { IptablesProxier, type IptablesSyncResult } from './proxier.js';
import { countRestoreLines } from '../restore-cost.js';
import { OVERALL_SNAPSHOT } from './fixtures.js';

const cfg = () => defaultProxyConfig({ nodeName: 'n1', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', nfacct: false });

function node(): NetNamespace {
  return new Network(1).root;
}
function load(ns: NetNamespace, p: IptablesProxier, snap: ProxySnapshot, full = false) {
  const r = p.sync(snap, { full, existingNatChains: tableChains(ns, 'nat') });
  expectCountsOfText(r);
  if (r.jumps.length > 0) ensureJumps(ns, r.jumps);
  applyRestore(ns, r.text);
  return r;
}
/** The backend charges the restore from the stats' line counts: they must be what the text holds. */
function expectCountsOfText(r: IptablesSyncResult): void {
  expect({ chains: r.stats.filterChains + r.stats.natChains, rules: r.stats.filterRules + r.stats.natRules }).toEqual(countRestoreLines(r.text));
}
function save(ns: NetNamespace): string {
  return saveXtables(xtablesOf(ns).nft, { program: 'iptables-save', counters: false, table: null, date: null });
}

describe('chain names', () => {
  it("hash the talk's sock-shop/orders as kube-proxy v1.12 did", () => {
    expect(serviceChainName('sock-shop/orders:', 'tcp')).toBe('KUBE-SVC-BWR2E3DUEHRRCI5E');
    expect(endpointChainName('sock-shop/orders:', 'tcp', '10.244.2.12:80')).toBe('KUBE-SEP-CC74YOAJP33X6HJV');
  });
  it('hash upstream fixture names', () => {
    expect(serviceChainName('ns1/svc1:p80', 'tcp')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(endpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });
});

const web = (n: number, eps: string[]): ProxySnapshot => ({
  services: Array.from({ length: n }, (_, i) => makeService('ns', `s${i}`, { clusterIP: `172.30.0.${i + 1}`, ports: [{ name: 'p', port: 80 }] })),
  endpointSlices: Array.from({ length: n }, (_, i) => makeSlice('ns', `s${i}`, 1, (i === 0 ? eps : [`10.1.${i}.1`]).map((a) => ({ addresses: [a] })), [tcpPort('p', 80)])),
});

describe('partial syncs', () => {
  it('rewrite only the chains of changed services, and flush+delete chains no longer used', () => {
    const ns = node();
    const p = new IptablesProxier(cfg());
    const first = load(ns, p, web(3, ['10.1.0.1', '10.1.0.2']));
    expect(first.full).toBe(true);
    const second = load(ns, p, web(3, ['10.1.0.1']));
    expect(second.full).toBe(false);
    expect(second.jumps).toEqual([]);
    expect(second.stats.changedServices).toBe(1);
    const gone = endpointChainName('ns/s0:p', 'tcp', '10.1.0.2:80');
    const s0 = serviceChainName('ns/s0:p', 'tcp');
    const s1 = serviceChainName('ns/s1:p', 'tcp');
    expect(second.text).toContain(`:${gone} - [0:0]\n`);
    expect(second.text).toContain(`-X ${gone}\n`);
    expect(second.text).toContain(`:${s0} - [0:0]\n`);
    expect(second.text).not.toContain(s1 + ' - [0:0]');
    // KUBE-SERVICES is always rewritten whole.
    expect(second.text).toContain(`-j ${s1}\n`);
    expect(tableChains(ns, 'nat')).not.toContain(gone);
    // The node ends up exactly where a full sync from scratch would put it.
    const fresh = node();
    load(fresh, new IptablesProxier(cfg()), web(3, ['10.1.0.1']));
    expect(save(ns)).toBe(save(fresh));
  });

  it('a forced or failed sync is full again', () => {
    const p = new IptablesProxier(cfg());
    p.sync(web(1, ['10.1.0.1']));
    expect(p.sync(web(1, ['10.1.0.1'])).full).toBe(false);
    expect(p.sync(web(1, ['10.1.0.1']), { full: true }).full).toBe(true);
    p.syncFailed();
    expect(p.sync(web(1, ['10.1.0.1'])).full).toBe(true);
  });

  it('property: any sequence of partial syncs converges to the full sync of the final state', () => {
    const svcArb = fc.record({
      eps: fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { maxLength: 4 }),
      affinity: fc.boolean(),
      nodePort: fc.boolean(),
      local: fc.boolean(),
      present: fc.boolean(),
    });
    const stateArb = fc.array(svcArb, { minLength: 3, maxLength: 3 });
    const build = (state: { eps: number[]; affinity: boolean; nodePort: boolean; local: boolean; present: boolean }[]): ProxySnapshot => {
      const services: Service[] = [];
      const slices: EndpointSlice[] = [];
      state.forEach((s, i) => {
        if (!s.present) return;
        services.push(
          makeService('ns', `s${i}`, {
            type: s.nodePort ? 'NodePort' : 'ClusterIP',
            clusterIP: `172.30.0.${i + 1}`,
            externalTrafficPolicy: s.local ? 'Local' : 'Cluster',
            sessionAffinity: s.affinity ? 'ClientIP' : 'None',
            ports: [{ name: 'p', port: 80, ...(s.nodePort ? { nodePort: 30000 + i } : {}) }],
          }),
        );
        slices.push(makeSlice('ns', `s${i}`, 1, s.eps.map((e) => ({ addresses: [`10.1.${i}.${e}`], nodeName: e % 2 === 0 ? 'n1' : 'n2' })), [tcpPort('p', 80)]));
      });
      return { services, endpointSlices: slices };
    };
    fc.assert(
      fc.property(fc.array(stateArb, { minLength: 1, maxLength: 5 }), (states) => {
        const ns = node();
        const p = new IptablesProxier(cfg());
        for (const s of states) load(ns, p, build(s));
        const fresh = node();
        load(fresh, new IptablesProxier(cfg()), build(states[states.length - 1]!));
        expect(save(ns)).toBe(save(fresh));
      }),
      { numRuns: 60 },
    );
  });
});

describe('kept objects', () => {
  it('property: syncs of snapshots that keep unchanged objects write what syncs of fresh copies write', () => {
    // Objects from one pool per run, so a step reuses the last step's objects where it picks the
    // same variant (as the API store does); the reference proxier sees deep copies every time.
    // A threshold of 6 endpoints flips large-cluster mode on and off between steps.
    const service = (i: number, v: number): Service =>
      makeService('ns', `s${i}`, {
        type: v === 1 ? 'NodePort' : 'ClusterIP',
        clusterIP: `172.30.0.${i + 1}`,
        externalTrafficPolicy: v === 1 && i === 0 ? 'Local' : 'Cluster',
        sessionAffinity: v === 2 ? 'ClientIP' : 'None',
        ports: [{ name: 'p', port: 80, ...(v === 1 ? { nodePort: 30000 + i } : {}) }],
      });
    const slice = (i: number, v: number): EndpointSlice =>
      makeSlice('ns', `s${i}`, 1, Array.from({ length: v }, (_, e) => ({ addresses: [`10.1.${i}.${e + v}`], nodeName: e % 2 === 0 ? 'n1' : 'n2' })), [tcpPort('p', 80)]);
    const stepArb = fc.record({
      services: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
      slices: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
      full: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    });
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 8 }), (steps) => {
        const services = [0, 1, 2].map((i) => [0, 1, 2].map((v) => service(i, v)));
        const slices = [0, 1, 2].map((i) => [0, 1, 2, 3].map((v) => slice(i, v)));
        const c = defaultProxyConfig({ nodeName: 'n1', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', nfacct: false, largeClusterEndpointsThreshold: 6 });
        const kept = new IptablesProxier(c);
        const copies = new IptablesProxier(c);
        for (const step of steps) {
          const snap: ProxySnapshot = { services: step.services.map((v, i) => services[i]![v]!), endpointSlices: step.slices.map((v, i) => slices[i]![v]!) };
          const a = kept.sync(snap, { full: step.full });
          const b = copies.sync(structuredClone(snap), { full: step.full });
          expect(a.text).toBe(b.text);
          expect(a.stats).toEqual(b.stats);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('stale chains', () => {
  it('property: a sync deletes exactly the per-service chains of the given list that no service owns, whatever the list', () => {
    // The list is the node's chain list as a table keeps it, perturbed: some names dropped, foreign
    // per-service chains added, the order rotated, or absent (the proxier's own record).
    const svcArb = fc.record({ eps: fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { maxLength: 3 }), present: fc.boolean() });
    const stepArb = fc.record({
      state: fc.array(svcArb, { minLength: 3, maxLength: 3 }),
      drop: fc.array(fc.nat({ max: 40 }), { maxLength: 3 }),
      foreign: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
      rotate: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 30 }) }),
      given: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      /** Give the last list given again (a caller's stale copy of the table's list). */
      again: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      full: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    });
    const slices = [0, 1, 2].map((i) => [1, 2, 3, 4, 5].map((e) => ({ addresses: [`10.1.${i}.${e}`], nodeName: 'n2' })));
    const services = [0, 1, 2].map((i) => makeService('ns', `s${i}`, { clusterIP: `172.30.0.${i + 1}`, ports: [{ name: 'p', port: 80 }] }));
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 8 }), (steps) => {
        const ns = node();
        const p = new IptablesProxier(cfg());
        let lastList: string[] | null = null;
        for (const step of steps) {
          const snap: ProxySnapshot = { services: [], endpointSlices: [] };
          step.state.forEach((s, i) => {
            if (!s.present) return;
            (snap.services as Service[]).push(services[i]!);
            (snap.endpointSlices as EndpointSlice[]).push(makeSlice('ns', `s${i}`, 1, s.eps.map((e) => slices[i]![e - 1]!), [tcpPort('p', 80)]));
          });
          const ownedBefore = p.natChains();
          let list = tableChains(ns, 'nat').filter((_, k) => !step.drop.includes(k));
          for (const f of step.foreign) list.push(`KUBE-SVC-FOREIGN${f}`, `KUBE-FOREIGN${f}`);
          if (step.rotate > 0 && list.length > 0) list = [...list.slice(step.rotate % list.length), ...list.slice(0, step.rotate % list.length)];
          if (step.again && lastList !== null) list = lastList;
          if (step.given) lastList = list;
          const r = p.sync(snap, { full: step.full, ...(step.given ? { existingNatChains: list } : {}) });
          const owned = p.natChains();
          const candidates = step.given ? list : [...ownedBefore];
          const expected = [...new Set(candidates.filter((c) => /^KUBE-(SVC|SVL|SEP|FW|EXT)-/.test(c) && !owned.has(c)))].sort();
          expect([...r.text.matchAll(/^-X (\S+)$/gm)].map((m) => m[1])).toEqual(expected);
          if (r.jumps.length > 0) ensureJumps(ns, r.jumps);
          try {
            applyRestore(ns, r.text);
          } catch (e) {
            // A dropped name can leave a deleted chain referenced: the kernel refuses, the next sync is full.
            if (!(e instanceof RestoreError)) throw e;
            p.syncFailed();
          }
        }
      }),
      { numRuns: 600 },
    );
  });
});

describe('large-cluster mode', () => {
  it('drops the per-endpoint comments past 1000 endpoints', () => {
    const small = new IptablesProxier(cfg()).sync(syntheticCluster(100, 10));
    const large = new IptablesProxier(cfg()).sync(syntheticCluster(101, 10));
    expect(small.stats.largeClusterMode).toBe(false);
    expect(large.stats.largeClusterMode).toBe(true);
    expect(small.text).toMatch(/-A KUBE-SEP-\S+ -m comment --comment bench\/svc-0:http -s /);
    expect(large.text).not.toMatch(/-A KUBE-SEP-\S+ -m comment/);
    expect(large.text).not.toMatch(/-A KUBE-SVC-\S+ -m comment --comment "bench\/svc-0:http -> /);
    // The service-level comments stay.
    expect(large.text).toContain('-m comment --comment "bench/svc-0:http cluster IP"');
  });
});

describe('line counts', () => {
  it('match the text in both generations, full and partial, with stale chains deleted', () => {
    for (const generation of ['current', '1.12'] as const) {
      const p = new IptablesProxier(defaultProxyConfig({ ...cfg(), generation }));
      if (generation === 'current') expectCountsOfText(p.sync(OVERALL_SNAPSHOT, { full: true })); // (1.12 models no externalIPs/Local)
      expectCountsOfText(p.sync(syntheticCluster(30, 3)));
      expectCountsOfText(p.sync(syntheticCluster(10, 2), { existingNatChains: p.natChains() }));
    }
  });
});

describe('sharing between nodes', () => {
  // Every node's proxier reads the same Service and EndpointSlice objects; parsed slices,
  // categorized endpoints and chain names are shared between them. Whatever another node
  // computed first, a node must write what it writes when it sees its own copies.
  const svcArb = fc.record({
    eps: fc.uniqueArray(fc.record({ ip: fc.integer({ min: 1, max: 6 }), node: fc.constantFrom('n1', 'n2', 'n3'), ready: fc.boolean() }), { maxLength: 4, selector: (e) => e.ip }),
    nodePort: fc.boolean(),
    externalLocal: fc.boolean(),
    internalLocal: fc.boolean(),
    affinity: fc.boolean(),
  });
  const build = (svcs: { eps: { ip: number; node: string; ready: boolean }[]; nodePort: boolean; externalLocal: boolean; internalLocal: boolean; affinity: boolean }[]): ProxySnapshot => ({
    services: svcs.map((s, i) =>
      makeService('ns', `s${i}`, {
        type: s.nodePort ? 'NodePort' : 'ClusterIP',
        clusterIP: `172.30.0.${i + 1}`,
        externalTrafficPolicy: s.externalLocal ? 'Local' : 'Cluster',
        internalTrafficPolicy: s.internalLocal ? 'Local' : 'Cluster',
        sessionAffinity: s.affinity ? 'ClientIP' : 'None',
        ports: [{ name: 'p', port: 80, ...(s.nodePort ? { nodePort: 30000 + i } : {}) }],
      }),
    ),
    endpointSlices: svcs.map((s, i) =>
      makeSlice('ns', `s${i}`, 1, s.eps.map((e) => ({ addresses: [`10.1.${i}.${e.ip}`], nodeName: e.node, conditions: { ready: e.ready, serving: true, terminating: !e.ready } })), [tcpPort('p', 80)]),
    ),
  });
  const nodeCfg = (nodeName: string) => defaultProxyConfig({ nodeName, nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', nfacct: false });

  it('property: each node writes what it writes alone, syncs in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.array(svcArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), fc.constantFrom(['n1', 'n2', 'n3'], ['n3', 'n1', 'n2']), (states, order) => {
        const shared = new Map(order.map((n) => [n, new IptablesProxier(nodeCfg(n))]));
        const alone = new Map(order.map((n) => [n, new IptablesProxier(nodeCfg(n))]));
        // An informer keeps a slice object while it does not change, even when its Service does.
        const informer = new Map<string, EndpointSlice>();
        for (const state of states) {
          const fresh = build(state);
          const snap: ProxySnapshot = {
            services: fresh.services,
            endpointSlices: fresh.endpointSlices.map((sl) => {
              const key = JSON.stringify(sl);
              if (!informer.has(key)) informer.set(key, sl);
              return informer.get(key)!;
            }),
          };
          for (const n of order) {
            const got = shared.get(n)!.sync(snap);
            const want = alone.get(n)!.sync(structuredClone(snap)); // objects no other node has seen
            expect(got.text).toBe(want.text);
            expect(got.stats).toEqual(want.stats);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('property: an endpoint is local exactly on the node it names, whichever node parsed the slice first', () => {
    fc.assert(
      fc.property(fc.array(svcArb, { minLength: 1, maxLength: 4 }), fc.constantFrom(['n1', 'n2', 'n3'], ['n2', 'n3', 'n1']), (state, order) => {
        const snap = build(state);
        for (const n of order) {
          for (const sp of buildServicePorts(snap, n).ports) {
            const i = Number(sp.name.name.slice(1));
            for (const e of sp.endpoints) expect(e.isLocal).toBe(state[i]!.eps.find((x) => `10.1.${i}.${x.ip}` === e.ipText)!.node === n);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('marks an endpoint local only on its own node', () => {
    const snap = build([{ eps: [{ ip: 1, node: 'n1', ready: true }, { ip: 2, node: 'n2', ready: true }], nodePort: true, externalLocal: true, internalLocal: false, affinity: false }]);
    const local = (node: string) =>
      buildServicePorts(snap, node).ports[0]!.endpoints.filter((e) => e.isLocal).map((e) => e.ipText);
    expect(local('n1')).toEqual(['10.1.0.1']);
    expect(local('n2')).toEqual(['10.1.0.2']);
    expect(local('n3')).toEqual([]);
    expect(local('n1')).toEqual(['10.1.0.1']);
  });
});
