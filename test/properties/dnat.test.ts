/**
 * The DNAT property suite (issue #8): random clusters (1–5 nodes, 1–50 Services, 0–10
 * endpoints each, ready/unready/terminating pods, named and numeric target ports, ClientIP
 * affinity, Cluster/Local policies, NodePorts, externalIPs) and random clients (a pod on any
 * node, a node, the external host), and what must hold for every connection to a Service.
 *
 * `DPSIM_PROPERTY_RUNS=N` raises the number of clusters per property (default: a few, to
 * keep `npm test` fast); `DPSIM_PROPERTY_SEED` picks another fast-check seed. A failure
 * shrinks to a minimal cluster and prints it as YAML with the trace of the failing connection.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { xtablesOf } from '../../src/iptables/ruleset.js';
import { flushChain } from '../../src/iptables/ruleset.js';
import { FULL_SYNC_PERIOD_MS } from '../../src/k8s/proxy/config.js';
import { setPodReady } from '../../src/k8s/controllers/pods.js';
import { MS, SEC } from '../../src/sim/time.js';
import { arbClusterSpec, arbService, deploymentName, ISSUE_LIMITS, NAMESPACE, type ClusterSpec, type ServiceGen, type SpecLimits } from './cluster-spec.js';
import {
  accessOf, buildWorld, catchUp, describeAccess, expectedOutcome, modeAvailable, type Access, type AccessPick, type ProxyMode, type World,
} from './world.js';
import {
  checkAffinity, checkExactShares, checkMasquerade, checkOnlyEligible, checkReachesOneEndpoint, checkRejectOrDrop, checkReplyUnNat, checkSampledShares,
  CONNECTION_PROPERTIES, connectAndCheck, exactBySlot, reachableSet, violationReport, type ConnectionCheck,
} from './properties.js';

const LONG = process.env.DPSIM_PROPERTY_RUNS !== undefined;
const RUNS = Number(process.env.DPSIM_PROPERTY_RUNS ?? 5);
const SEED = Number(process.env.DPSIM_PROPERTY_SEED ?? 8_2024);
/** CI draws small clusters (most runs a handful of services); the long run draws up to the issue's sizes. */
const LIMITS: SpecLimits = LONG ? ISSUE_LIMITS : { maxNodes: 5, maxServices: 12, maxEndpoints: 10 };
const TIMEOUT = (LONG ? 60 : 1) * 240_000;
const MODE: ProxyMode = 'iptables';
const params = { numRuns: RUNS, seed: SEED, endOnFailure: false } as const;

const arbPick: fc.Arbitrary<AccessPick> = fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.nat());
const arbPicks = fc.array(arbPick, { minLength: 1, maxLength: 6 });
/** A world's seed: the simulation's own randomness (ClusterIPs, NodePorts, names, statistic draws). */
const arbSeed = fc.integer({ min: 1, max: 1_000_000 });

function fail(message: string | null): void {
  if (message !== null) throw new Error(message);
}

/** Checks `check` on every connection the picks describe, on a fresh cluster of `spec`. */
function overConnections(check: ConnectionCheck): fc.IPropertyWithHooks<[ClusterSpec, AccessPick[], number]> {
  return fc.property(arbClusterSpec(LIMITS), arbPicks, arbSeed, (spec, picks, seed) => {
    const w = buildWorld(spec, MODE, seed);
    for (const p of picks) fail(connectAndCheck(w, accessOf(spec, p), check));
  });
}

describe(`DNAT properties (kube-proxy ${MODE} mode, ${RUNS} clusters each${LONG ? ', long run' : ''})`, () => {
  test('1: a connection to a Service with ready endpoints reaches exactly one of them, DNATed to its IP and target port', () => {
    fc.assert(overConnections(checkReachesOneEndpoint), params);
  }, TIMEOUT);

  test('2: the reply reaches the client from the address it connected to (VIP:port, NodeIP:NodePort, externalIP:port)', () => {
    fc.assert(overConnections(checkReplyUnNat), params);
  }, TIMEOUT);

  test('3: nothing reaches an unready/terminating endpoint or another Service; Local policy stays on the node and keeps the source', () => {
    fc.assert(overConnections(checkOnlyEligible), params);
  }, TIMEOUT);

  test('4: a Service without endpoints is rejected (ICMP port unreachable / ECONNREFUSED); Local without local endpoints drops', () => {
    // Biased towards services without ready endpoints, so every run meets some.
    const spec = arbClusterSpec(LIMITS).map((s) => ({ ...s, services: s.services.map((x, i) => (i % 2 === 0 ? { ...x, pods: x.pods.map((p) => ({ ...p, state: p.state === 'ready' ? ('unready' as const) : p.state })) } : x)) }));
    fc.assert(
      fc.property(spec, arbPicks, arbSeed, (sp, picks, seed) => {
        const w = buildWorld(sp, MODE, seed);
        for (const p of picks) fail(connectAndCheck(w, accessOf(sp, [p[0] - (p[0] % 2), ...p.slice(1)] as AccessPick), checkRejectOrDrop));
        for (const p of picks) fail(connectAndCheck(w, accessOf(sp, p), checkRejectOrDrop));
      }),
      params,
    );
  }, TIMEOUT);

  test('5: every ready endpoint gets 1/N exactly as iptables rounds it, and sampled connections agree (χ²); ClientIP affinity sticks', () => {
    const arbUniform = fc.record({
      n: fc.integer({ min: 2, max: 5 }),
      proto: fc.constantFrom<('TCP' | 'UDP')[]>('TCP', 'UDP'),
      nodes: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
    });
    fc.assert(
      fc.property(arbClusterSpec({ ...LIMITS, maxServices: 4 }), arbUniform, arbPick, arbSeed, (spec, u, pick, seed) => {
        const uniform: ServiceGen = {
          proto: u.proto, namedTarget: false, nodePort: false, externalIP: false, affinity: false, internalLocal: false, externalLocal: false,
          pods: u.nodes.slice(0, u.n).map((n) => ({ node: n % spec.nodes, state: 'ready' as const })),
        };
        const sticky: ServiceGen = { ...uniform, affinity: true };
        const sp: ClusterSpec = { ...spec, services: [...spec.services, uniform, sticky] };
        const w = buildWorld(sp, MODE, seed);
        const a: Access = { ...accessOf(sp, pick), svc: sp.services.length - 2, kind: 'clusterIP' };
        fail(checkExactShares(w, a));
        // Sampled: each connection the first one on a cluster of its own seed (only the uniform Service, to keep builds cheap).
        const small: ClusterSpec = { nodes: sp.nodes, services: [uniform] };
        const sa: Access = { ...a, svc: 0 };
        const exact = exactBySlot(buildWorld(small, MODE, seed), sa);
        fail(checkSampledShares((s) => buildWorld(small, MODE, s), sa, exact, 15 * u.n, seed * 1000));
        fail(checkAffinity(w, { ...a, svc: sp.services.length - 1 }, 4));
      }),
      { ...params, numRuns: Math.max(2, Math.ceil(RUNS / 2)) },
    );
  }, TIMEOUT);

  test('5: the χ² test itself rejects a skewed sample (sanity of the statistic)', async () => {
    const { chiSquareCritical } = await import('./properties.js');
    // 3 endpoints, 120 connections: 40/40/40 passes, 60/40/20 does not.
    const chi = (c: number[]) => c.reduce((s, x) => s + (x - 40) ** 2 / 40, 0);
    expect(chi([40, 40, 40])).toBeLessThan(chiSquareCritical(2));
    expect(chi([60, 40, 20])).toBeGreaterThan(chiSquareCritical(2));
    expect(chiSquareCritical(2)).toBeCloseTo(13.8, 0); // the table value at α = 0.001 is 13.82
  });

  const ipvs = modeAvailable('ipvs');
  test.skipIf(!ipvs.ok)(`6: iptables and IPVS modes agree on which endpoints each client can reach${ipvs.ok ? '' : ` — skipped: IPVS mode does not build yet (${ipvs.why})`}`, () => {
    fc.assert(
      fc.property(arbClusterSpec({ ...LIMITS, maxServices: 6 }), arbPicks, arbSeed, (generated, picks, seed) => {
        // The generator's externalIPs are node addresses. IPVS mode binds every externalIP to
        // kube-ipvs0 on every node, so such an address becomes local on all the others and the
        // node that owns it (its VXLAN VTEP) is unreachable from them — what the real IPVS mode
        // does too. The modes are compared on Services without externalIPs.
        // External Local policy differs by design: with no local endpoint the iptables proxier
        // drops external traffic, while the IPVS proxier falls back to the cluster's endpoints
        // (kubernetes PR 97081: "traffic from an external source will be routed but the reply …
        // discarded" — on a flannel node its masquerade rule even lets the reply back). So the
        // modes are compared with Cluster policies. The same fallback holds for internal Local
        // policy in IPVS mode (upstream only counts such Services in a metric), so that is
        // compared under Cluster policy too.
        const spec = { ...generated, services: generated.services.map((s) => ({ ...s, externalIP: false, externalLocal: false, internalLocal: false })) };
        const wi = buildWorld(spec, 'iptables', seed);
        const wv = buildWorld(spec, 'ipvs', seed);
        for (const p of picks) {
          const a = accessOf(spec, p);
          const si = reachableSet(wi, a);
          const sv = reachableSet(wv, a);
          const same = spec.services[a.svc]!.affinity ? si.size === sv.size : [...si].sort().join() === [...sv].sort().join();
          if (!same) fail(violationReport(wi, `${describeAccess(wi, a)}: iptables mode reaches {${[...si].join(', ')}}, IPVS mode {${[...sv].join(', ')}}`, null));
        }
      }),
      params,
    );
  }, TIMEOUT);
  if (!ipvs.ok) console.warn(`property 6 skipped: ${ipvs.why}`);

  test('7: masquerade happens exactly where kube-proxy intends it, and nowhere else (the source the endpoint sees)', () => {
    fc.assert(overConnections(checkMasquerade), params);
  }, TIMEOUT);

  test('8: all of the above hold after random scale, deletion, readiness churn and `iptables -t nat -F`, once the sync loop caught up', () => {
    type Event = { kind: 'scale'; svc: number; replicas: number } | { kind: 'delete' | 'unready' | 'ready'; svc: number; pick: number } | { kind: 'flush'; node: number };
    const arbEvent: fc.Arbitrary<Event> = fc.oneof(
      fc.record({ kind: fc.constant('scale' as const), svc: fc.nat(), replicas: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constantFrom('delete' as const, 'unready' as const, 'ready' as const), svc: fc.nat(), pick: fc.nat() }),
      fc.record({ kind: fc.constant('flush' as const), node: fc.nat() }),
    );
    fc.assert(
      fc.property(arbClusterSpec({ ...LIMITS, maxServices: 6 }), fc.array(arbEvent, { minLength: 1, maxLength: 6 }), arbPicks, arbSeed, (spec, events, picks, seed) => {
        const w = buildWorld(spec, MODE, seed);
        let flushed = false;
        for (const e of events) {
          applyEvent(w, e);
          if (e.kind === 'flush') flushed = true;
          // Let some time pass between events (changes land mid-sync as often as not).
          w.cluster.sleep(300 * MS);
        }
        catchUp(w.cluster);
        // `iptables -F` leaves the canary chains, so only kube-proxy's periodic full sync repairs it.
        if (flushed) w.cluster.sleep(FULL_SYNC_PERIOD_MS * MS + 60 * SEC);
        catchUp(w.cluster);
        const note = `after events ${JSON.stringify(events)}`;
        for (const p of picks) {
          for (const [name, check] of Object.entries(CONNECTION_PROPERTIES)) {
            const m = connectAndCheck(w, accessOf(spec, p), check);
            if (m !== null) fail(`[${name}] ${note}\n${m}`);
          }
        }
      }),
      { ...params, numRuns: Math.max(2, Math.ceil(RUNS / 2)) },
    );

    function applyEvent(w: World, e: Event): void {
      const n = w.spec.services.length;
      if (e.kind === 'flush') {
        const node = w.cluster.machines.nodes[e.node % w.cluster.machines.nodes.length]!;
        flushChain(xtablesOf(node.ns).nft.table('nat'), null);
        return;
      }
      const svc = e.svc % n;
      if (e.kind === 'scale') {
        w.cluster.controllers.scale('Deployment', NAMESPACE, deploymentName(svc), e.replicas);
        return;
      }
      const pods = w.cluster.store.list('Pod', NAMESPACE).filter((p) => p.metadata.labels?.app === deploymentName(svc) && p.metadata.deletionTimestamp === undefined);
      if (pods.length === 0) return;
      const pod = pods[e.pick % pods.length]!;
      if (e.kind === 'delete') w.cluster.store.delete('Pod', NAMESPACE, pod.metadata.name);
      else if (pod.status?.phase === 'Running') setPodReady(w.cluster.store, NAMESPACE, pod.metadata.name, e.kind === 'ready');
    }
  }, TIMEOUT);

  test('the issue-sized cluster (5 nodes, 50 Services, up to 10 endpoints each) builds and passes properties 1–4 and 7', () => {
    const spec: ClusterSpec = { nodes: 5, services: fc.sample(arbService(5, 10), { numRuns: 50, seed: SEED }) };
    const w = buildWorld(spec, MODE, SEED);
    const picks = fc.sample(arbPick, { numRuns: 12, seed: SEED });
    for (const p of picks) {
      const a = accessOf(spec, p);
      const exp = expectedOutcome(w, a);
      for (const check of [checkReachesOneEndpoint, checkReplyUnNat, checkOnlyEligible, checkRejectOrDrop, checkMasquerade]) {
        fail(connectAndCheck(w, a, check));
      }
      expect(['reach', 'reject', 'drop']).toContain(exp.kind);
    }
  }, TIMEOUT);
});
