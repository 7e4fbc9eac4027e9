import { existingConntrack } from '../../src/conntrack/conntrack.js';
import { IPS_SRC_NAT } from '../../src/conntrack/conn.js';
import { IPPROTO_UDP, VXLAN_PORT } from '../../src/packet/packet.js';
/**
 * The DNAT properties as functions: each looks at one connection (or a set of them) on a
 * World and returns null when the property holds, or a message saying what went wrong. The
 * property tests run them on random clusters; the mutation test runs them on a broken dpsim
 * and shows each one failing there.
 */
import { formatIPv4 } from '../../src/packet/address.js';
import { exploreOutcomes, reduce, type Fraction } from '../../src/sim/explore.js';
import { P31_ONE } from '../../src/sim/random.js';
import { renderReportText, type TraceReport } from '../../src/trace/report.js';
import { PLACEMENT_SLOT_ANNOTATION } from '../../src/k8s/api/types.js';
import { specAsYaml } from './cluster-spec.js';
import {
  clientNs, connect, describeAccess, expectedOutcome, masqueradeSource, usableEndpoints, type Access, type Expected, type Observation, type World,
} from './world.js';

/** A broken property: what went wrong, on which connection, with the cluster to rerun it on. */
export class PropertyViolation extends Error {}

const addr = (a: [number, number]): string => `${formatIPv4(a[0])}:${a[1]}`;

/** The failing connection's trace, as `dpsim trace` prints it. */
export function traceText(w: World, o: Observation): string {
  const seen = new Set<string>();
  const legend: (readonly [string, string])[] = [];
  for (const e of o.events) {
    if (seen.has(e.where)) continue;
    seen.add(e.where);
    const ns = w.cluster.net.namespaces.get(e.where);
    legend.push([e.where, ns === undefined ? 'a network namespace' : w.cluster.describeNamespace(ns)]);
  }
  const summary = o.reached.length > 0 ? `→ ${o.reached.map((r) => `${r.pod} from ${addr(r.from)} on ${addr(r.on)}`).join(', ')}` : o.refused ? '✗ refused' : '✗ no answer';
  const report: TraceReport = {
    title: describeAccess(w, o.access),
    context: [`kube-proxy ${w.mode} mode, seed ${w.seed}`],
    legend: legend.length > 0 ? legend : [['-', 'no frames']],
    outcomes: [{ probability: null, summary, events: o.events, pcapng: null }],
  };
  return renderReportText(report, clientNs(w, o.access).name, { allFrames: true });
}

/** The message a property test throws: the violation, the cluster as YAML, and the trace. */
export function violationReport(w: World, message: string, o: Observation | null): string {
  return `${message}\n\n--- cluster (rerun with dpsim trace --cluster cluster.yaml) ---\n${specAsYaml(w.spec, w.mode)}${o === null ? '' : `\n--- trace of the failing connection ---\n${traceText(w, o)}`}`;
}

/** Property 1: a connection to a Service with usable endpoints reaches exactly one of them, DNATed to its IP and target port. */
export function checkReachesOneEndpoint(w: World, o: Observation, exp: Expected): string | null {
  if (exp.kind !== 'reach') return null;
  if (o.reached.length !== 1) return `expected exactly one endpoint to accept, saw ${o.reached.length} (${o.reached.map((r) => r.pod).join(', ') || 'none'})`;
  const r = o.reached[0]!;
  const { ready } = usableEndpoints(w, o.access.svc);
  const ep = ready.find((e) => e.pod === r.pod);
  if (ep === undefined) return `reached ${r.pod}, which is not a ready endpoint of svc${o.access.svc} (ready: ${ready.map((e) => e.pod).join(', ')})`;
  if (r.on[0] !== ep.ip || r.on[1] !== ep.port) return `reached ${r.pod} on ${addr(r.on)}, expected the destination rewritten to ${addr([ep.ip, ep.port])}`;
  return null;
}

/** Property 2: the reply reaches the client from the address it dialled (un-NAT is complete). */
export function checkReplyUnNat(_w: World, o: Observation, exp: Expected): string | null {
  if (exp.kind !== 'reach') return null;
  if (o.strayReplies.length > 0) return `the client got frames from another address than ${formatIPv4(o.dst)}:${o.dport}: ${o.strayReplies.join(' | ')}`;
  if (!o.answered) return `the client never got its answer from ${formatIPv4(o.dst)}:${o.dport} (client: ${o.clientNotes.join('; ') || 'nothing'})`;
  return null;
}

/**
 * Property 3: nothing reaches an unready or terminating endpoint while a ready one exists,
 * nor an endpoint of another Service; a Local policy keeps the connection on the entry node
 * and the client's source address.
 */
export function checkOnlyEligible(w: World, o: Observation, exp: Expected): string | null {
  for (const r of o.reached) {
    if (r.svc !== o.access.svc) return `reached ${r.pod}, an endpoint of ${r.svc < 0 ? 'no Service' : `svc${r.svc}`}, not svc${o.access.svc}`;
  }
  const { unusable } = usableEndpoints(w, o.access.svc);
  for (const r of o.reached) {
    if (unusable.some((u) => u.pod === r.pod)) return `reached ${r.pod}, which is unready or terminating, while a ready endpoint exists`;
  }
  if (exp.kind !== 'reach') return null;
  const { ready } = usableEndpoints(w, o.access.svc);
  if (exp.candidates.length < ready.length) {
    // A Local policy applies.
    for (const r of o.reached) {
      if (!exp.candidates.some((c) => c.pod === r.pod)) return `Local traffic policy: reached ${r.pod} on node${r.node}, not an endpoint on the entry node node${exp.entry}`;
      if (!exp.masquerade && r.from[0] !== exp.clientSource) return `Local traffic policy: ${r.pod} saw the source ${addr(r.from)}, not the client's ${formatIPv4(exp.clientSource)}`;
    }
  }
  return null;
}

/** Property 4: a Service with no usable endpoint is rejected (ICMP port unreachable / ECONNREFUSED); Local with none on the node drops. */
export function checkRejectOrDrop(_w: World, o: Observation, exp: Expected): string | null {
  if (exp.kind === 'reach') return null;
  if (o.reached.length > 0) return `expected ${exp.kind === 'reject' ? 'a reject (no endpoints)' : 'a drop (no local endpoint)'}, but ${o.reached[0]!.pod} accepted`;
  if (o.answered) return `expected ${exp.kind}, but the client got an answer`;
  if (exp.kind === 'reject' && !o.refused) return `expected the client to be refused (ICMP port unreachable), client saw: ${o.clientNotes.join('; ') || 'nothing'}`;
  if (exp.kind === 'drop' && o.refused) return 'expected a silent drop (no local endpoint), but the client was refused';
  return null;
}

/** Property 7: masquerade exactly where kube-proxy intends it: the source the endpoint sees. */
export function checkMasquerade(w: World, o: Observation, exp: Expected): string | null {
  if (exp.kind !== 'reach' || o.reached.length !== 1) return null;
  const r = o.reached[0]!;
  const ep = exp.candidates.find((c) => c.pod === r.pod);
  if (ep === undefined) return null; // property 1/3's business
  const hairpin = ep.ip === exp.clientSource;
  const masq = exp.masquerade || hairpin;
  const want = masq ? masqueradeSource(w, exp.entry, ep) : exp.clientSource;
  if (r.from[0] !== want) {
    const why = hairpin ? 'hairpin: masquerade' : exp.masquerade ? 'masquerade' : 'no masquerade';
    return `${r.pod} saw the connection from ${addr(r.from)}; expected ${formatIPv4(want)} (${why})`;
  }
  return tunnelMasqueraded(w);
}

/**
 * Nowhere else: the overlay's own datagrams (flannel's VXLAN, UDP 8472) are never masqueraded.
 * kube-proxy clears its masquerade mark once it has acted on it; a mark left on the packet
 * would follow it into the encapsulated datagram and NAT that too.
 */
function tunnelMasqueraded(w: World): string | null {
  for (const node of w.cluster.machines.nodes) {
    const ct = existingConntrack(node.ns);
    if (ct === null) continue;
    for (const c of ct.table.all()) {
      // masqIndex: MASQUERADE bound the connection (nat->masq_index), even where it kept the address and port.
      if (c.orig.proto === IPPROTO_UDP && c.orig.dport === VXLAN_PORT && ((c.status & IPS_SRC_NAT) !== 0 || c.masqIndex !== 0)) {
        return `${node.config.name} masqueraded flannel's VXLAN datagram ${formatIPv4(c.orig.src)}:${c.orig.sport} -> ${formatIPv4(c.orig.dst)}:${c.orig.dport} (masquerade where kube-proxy never intended it)`;
      }
    }
  }
  return null;
}

export type ConnectionCheck = (w: World, o: Observation, exp: Expected) => string | null;

export const CONNECTION_PROPERTIES: Readonly<Record<string, ConnectionCheck>> = {
  'reaches one ready endpoint, DNATed': checkReachesOneEndpoint,
  'reply un-NATed': checkReplyUnNat,
  'only eligible endpoints': checkOnlyEligible,
  'reject/drop without endpoints': checkRejectOrDrop,
  'masquerade where intended': checkMasquerade,
};

/** Runs one new connection of `a` and the given check; a violation message or null. */
export function connectAndCheck(w: World, a: Access, check: ConnectionCheck): string | null {
  const exp = expectedOutcome(w, a);
  const o = connect(w, a);
  const m = check(w, o, exp);
  return m === null ? null : violationReport(w, `${describeAccess(w, a)}: ${m}`, o);
}

// ---- property 5: the distribution ---------------------------------------------------------

/** The pod a connection reached, or "-" (nothing), as the distribution's outcome. */
function reachedPod(o: Observation): string {
  return o.reached.length === 1 ? o.reached[0]!.pod : o.reached.length === 0 ? '-' : o.reached.map((r) => r.pod).join('+');
}

/**
 * The exact shares iptables mode gives N endpoints: kube-proxy writes 1/(N−i) with 10
 * decimals for the i-th of N, iptables stores lround(p × 2^31), the kernel matches
 * (random & 0x7fffffff) < that. Returns the N exact probabilities, in chain order.
 */
export function iptablesShares(n: number): Fraction[] {
  const out: Fraction[] = [];
  let restNum = 1n;
  let restDen = 1n;
  for (let i = 0; i < n; i++) {
    const t = i < n - 1 ? BigInt(Math.round(Number((1 / (n - i)).toFixed(10)) * P31_ONE)) : BigInt(P31_ONE);
    out.push(reduce({ num: restNum * t, den: restDen * BigInt(P31_ONE) }));
    restNum *= BigInt(P31_ONE) - t;
    restDen *= BigInt(P31_ONE);
  }
  return out;
}

const fracKey = (f: Fraction): string => {
  const r = reduce(f);
  return `${r.num}/${r.den}`;
};

export interface Distribution {
  outcomes: Map<string, Fraction>;
}

/** Every outcome of one new connection of `a`, with its exact probability (the world stays; each path is a fresh connection). */
export function exactDistribution(w: World, a: Access): Map<string, Fraction> {
  const net = w.cluster.net;
  const explored = exploreOutcomes((oracle) => {
    net.random.oracle = oracle;
    try {
      return reachedPod(connect(w, a));
    } finally {
      net.random.oracle = null;
    }
  }, 64);
  const out = new Map<string, Fraction>();
  for (const e of explored) {
    const prev = out.get(e.result);
    out.set(e.result, prev === undefined ? e.probability : reduce({ num: prev.num * e.probability.den + e.probability.num * prev.den, den: prev.den * e.probability.den }));
  }
  return out;
}

/**
 * Property 5 (exact half): in iptables mode every candidate endpoint gets 1/N within the
 * 31-bit rounding, and the shares are exactly the ones kube-proxy's probabilities give.
 */
export function checkExactShares(w: World, a: Access): string | null {
  const exp = expectedOutcome(w, a);
  if (exp.kind !== 'reach') return null;
  const dist = exactDistribution(w, a);
  const n = exp.candidates.length;
  const got = [...dist.entries()];
  const names = new Set(exp.candidates.map((c) => c.pod));
  for (const [pod] of got) if (!names.has(pod)) return violationReport(w, `${describeAccess(w, a)}: an outcome reaches ${pod}, not one of the ${n} candidate endpoints`, null);
  if (got.length !== n) return violationReport(w, `${describeAccess(w, a)}: ${got.length} outcomes for ${n} candidate endpoints`, null);
  const want = iptablesShares(n).map(fracKey).sort();
  const have = got.map(([, f]) => fracKey(f)).sort();
  for (const [pod, f] of got) {
    const v = Number(f.num) / Number(f.den);
    if (Math.abs(v - 1 / n) > n * 2 ** -30) return violationReport(w, `${describeAccess(w, a)}: ${pod} gets ${v}, not 1/${n}`, null);
  }
  if (want.join(',') !== have.join(',')) return violationReport(w, `${describeAccess(w, a)}: shares ${have.join(', ')} differ from iptables' rounding of 1/${n}: ${want.join(', ')}`, null);
  return null;
}

/** The chi-square quantile for `df` degrees of freedom at the upper tail z (Wilson–Hilferty). */
export function chiSquareCritical(df: number, z = 3.09): number {
  const k = 2 / (9 * df);
  return df * (1 - k + z * Math.sqrt(k)) ** 3;
}

/** The placement slot of the pod a connection reached (the same pod across worlds of one spec), or "-". */
export function reachedSlot(w: World, o: Observation): string {
  if (o.reached.length !== 1) return reachedPod(o);
  const [ns, name] = o.reached[0]!.pod.split('/') as [string, string];
  return `slot${w.cluster.store.get('Pod', ns, name)?.metadata.annotations?.[PLACEMENT_SLOT_ANNOTATION] ?? '?'}`;
}

/**
 * Property 5 (sampled half): `samples` connections, each the first on a world built from its
 * own seed (seedBase + i), agree with the exact distribution `exact` (by slot) by a χ² test (α ≈ 0.001).
 */
export function checkSampledShares(build: (seed: number) => World, a: Access, exact: Map<string, Fraction>, samples: number, seedBase: number): string | null {
  const counts = new Map<string, number>();
  for (const k of exact.keys()) counts.set(k, 0);
  let w: World | null = null;
  for (let i = 0; i < samples; i++) {
    w = build(seedBase + i);
    const o = connect(w, a);
    const k = reachedSlot(w, o);
    if (!exact.has(k)) return violationReport(w, `${describeAccess(w, a)}: a sampled connection reached ${k}, which the exact distribution gives probability 0`, o);
    counts.set(k, counts.get(k)! + 1);
  }
  let chi = 0;
  for (const [k, f] of exact) {
    const e = (samples * Number(f.num)) / Number(f.den);
    chi += (counts.get(k)! - e) ** 2 / e;
  }
  const df = exact.size - 1;
  if (df > 0 && chi > chiSquareCritical(df)) {
    return violationReport(w!, `${describeAccess(w!, a)}: ${samples} sampled connections ${JSON.stringify(Object.fromEntries(counts))} disagree with the exact distribution (χ² = ${chi.toFixed(2)} > ${chiSquareCritical(df).toFixed(2)}, df ${df})`, null);
  }
  return null;
}

/** The exact distribution keyed by placement slot (see reachedSlot). */
export function exactBySlot(w: World, a: Access): Map<string, Fraction> {
  const out = new Map<string, Fraction>();
  for (const [pod, f] of exactDistribution(w, a)) {
    const [ns, name] = pod.split('/') as [string, string];
    out.set(pod === '-' ? pod : `slot${w.cluster.store.get('Pod', ns, name)?.metadata.annotations?.[PLACEMENT_SLOT_ANNOTATION] ?? '?'}`, f);
  }
  return out;
}

/** ClientIP affinity: every new connection from the same client reaches the same endpoint. */
export function checkAffinity(w: World, a: Access, connections: number): string | null {
  const exp = expectedOutcome(w, a);
  if (exp.kind !== 'reach') return null;
  const seen = new Set<string>();
  let last: Observation | null = null;
  for (let i = 0; i < connections; i++) {
    last = connect(w, a);
    seen.add(reachedPod(last));
  }
  if (seen.size !== 1) return violationReport(w, `${describeAccess(w, a)}: ClientIP affinity, but ${connections} connections reached ${[...seen].join(', ')}`, last);
  return null;
}

// ---- property 6: modes agree --------------------------------------------------------------

/** The endpoints (as svc/slot, the same across modes) a client can reach through `a`: exact in iptables mode, plus 2N+2 sampled connections. */
export function reachableSet(w: World, a: Access): Set<string> {
  const slotOf = (pod: string): string => {
    const [ns, name] = pod.split('/') as [string, string];
    const p = w.cluster.store.get('Pod', ns, name);
    return p === undefined ? pod : `svc${a.svc}/slot${p.metadata.annotations?.[PLACEMENT_SLOT_ANNOTATION] ?? '?'}`;
  };
  const out = new Set<string>();
  const exp = expectedOutcome(w, a);
  const n = exp.kind === 'reach' ? exp.candidates.length : 1;
  if (w.mode === 'iptables' && !w.spec.services[a.svc]!.affinity) for (const k of exactDistribution(w, a).keys()) out.add(k === '-' ? k : slotOf(k));
  for (let i = 0; i < 2 * n + 2; i++) {
    const k = reachedPod(connect(w, a));
    out.add(k === '-' ? k : slotOf(k));
  }
  return out;
}
