/**
 * kube-proxy's iptables mode at one Service count: the proxier's first full sync generated,
 * loaded through the node's iptables-restore and compiled; a one-endpoint change; the
 * modelled kernel restore time; and per NEW connection to the first, median and last
 * Service the rules the kernel walks and dpsim's decisions per second (compiled and
 * interpreted), through conntrack's NAT decider as a connection's first packet meets it.
 */

import { existingConntrack, type Conntrack } from '../conntrack/conntrack.js';
import type { Conn } from '../conntrack/conn.js';
import { compileTable } from '../iptables/compile/compiled-table.js';
import { iptablesOf, type NamespaceIptables } from '../iptables/hooks.js';
import { xtablesOf } from '../iptables/ruleset.js';
import { defaultProxyConfig, type ProxyConfig } from '../k8s/proxy/config.js';
import { applyRestore, ensureJumps, tableChains } from '../k8s/proxy/iptables/apply.js';
import { IptablesProxier, type IptablesSyncResult } from '../k8s/proxy/iptables/proxier.js';
import { countRestoreLines, restoreCostNs } from '../k8s/proxy/restore-cost.js';
import type { ProxySnapshot } from '../k8s/proxy/service-ports.js';
import type { NetDevice } from '../netns/device.js';
import { NF_INET_PRE_ROUTING } from '../netns/netfilter.js';
import type { NetNamespace } from '../netns/namespace.js';
import { Network } from '../netns/network.js';
import { formatIPv4 } from '../packet/address.js';
import { IPPROTO_TCP, Packet, TCP_SYN } from '../packet/packet.js';
import { collectGarbage, heapMiB, measureRate, peakRssMiB, timed } from './measure.js';
import { positionsOf, type ServicePosition } from './positions.js';
import type { IptablesFigures, PositionFigures, Rate } from './types.js';

/** The proxier's settings for the benchmark node: node-0, pod range 10.0.0.0/8 (pod clients are not masqueraded). */
export function benchProxyConfig(): ProxyConfig {
  return defaultProxyConfig({ nodeName: 'node-0', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', nfacct: false });
}

/** A pod client's address (inside the pod range, outside the endpoints' 10.1–10.4.x.x). */
export const CLIENT_IP = 0x0afa0001; // 10.250.0.1

/** The node with the first sync loaded, for the decision measurements and the kernel run. */
export interface LoadedIptables {
  readonly ns: NetNamespace;
  readonly proxier: IptablesProxier;
  readonly sync: IptablesSyncResult;
  readonly figures: Omit<IptablesFigures, 'positions' | 'kernelRestore'>;
}

/** Generates, loads and compiles the first full sync, then a one-endpoint change (3 times, mean). */
export function loadIptables(snapshot: ProxySnapshot): LoadedIptables {
  collectGarbage();
  const heap0 = heapMiB();
  const proxier = new IptablesProxier(benchProxyConfig());
  const ns = new Network(1).root;
  const gen = timed(() => proxier.sync(snapshot));
  const sync = gen.value;
  const load = timed(() => {
    ensureJumps(ns, sync.jumps);
    applyRestore(ns, sync.text);
  });
  const compile = timed(() => compileTable(xtablesOf(ns).nft.tables.get('nat')!));
  collectGarbage();
  const heap = heapMiB() - heap0;
  const peak = peakRssMiB();

  // A one-endpoint change, alternating between two states of the first Service's slice.
  const slices = snapshot.endpointSlices;
  const s0 = slices[0]!;
  const variants: ProxySnapshot[] = [0, 1].map((v) => {
    const copy = slices.slice();
    copy[0] = { ...s0, endpoints: [...s0.endpoints.slice(1), { addresses: [formatIPv4((0x0afb0001 + v) >>> 0)] }] };
    return { services: snapshot.services, endpointSlices: copy };
  });
  let partialMs = 0;
  let partialText = '';
  const RUNS = 3;
  for (let i = 0; i < RUNS; i++) {
    const t = timed(() => {
      const r = proxier.sync(variants[i & 1]!, { existingNatChains: tableChains(ns, 'nat') });
      if (r.full) throw new Error('bench: expected a partial sync after a one-endpoint change');
      applyRestore(ns, r.text);
      return r.text;
    });
    partialMs += t.ms;
    partialText = t.value;
  }
  // Back to the original endpoints, so the decisions see the first sync's rules.
  const back = proxier.sync(snapshot, { existingNatChains: tableChains(ns, 'nat') });
  applyRestore(ns, back.text);

  const lines = countRestoreLines(sync.text);
  const seconds = (text: string, f: 'nft' | 'legacy') => restoreCostNs(text, f) / 1e9;
  return {
    ns,
    proxier,
    sync,
    figures: {
      natRules: sync.stats.natRules,
      natChains: sync.stats.natChains,
      filterRules: sync.stats.filterRules,
      restoreBytes: Buffer.byteLength(sync.text),
      restoreLines: lines.chains + lines.rules,
      generateMs: gen.ms,
      loadMs: load.ms,
      compileMs: compile.ms,
      firstSyncMs: gen.ms + load.ms + compile.ms,
      heapMiB: heap,
      peakRssMiB: peak,
      partialBytes: Buffer.byteLength(partialText),
      partialMs: partialMs / RUNS,
      modelRestoreSeconds: { nft: seconds(sync.text, 'nft'), legacy: seconds(sync.text, 'legacy') },
      modelPartialSeconds: { nft: seconds(partialText, 'nft'), legacy: seconds(partialText, 'legacy') },
    },
  };
}

/** One NEW connection kept unconfirmed, decided again and again (its NAT binding undone each time). */
class DecisionProbe {
  private readonly p = new Packet();
  private readonly conn: Conn;
  private readonly status: number;

  constructor(
    private readonly ct: Conntrack,
    private readonly dev: NetDevice,
    vip: number,
    port: number,
    sport: number,
  ) {
    const p = this.p;
    p.ipProto = IPPROTO_TCP;
    p.tcpFlags = TCP_SYN;
    p.ipSrc = CLIENT_IP;
    p.ipDst = vip;
    p.sport = sport;
    p.dport = port;
    ct.packetIn(p, NF_INET_PRE_ROUTING, dev);
    const conn = ct.connOf(p);
    if (conn === null) throw new Error(`bench: conntrack did not track the probe to ${formatIPv4(vip)}:${port}`);
    this.conn = conn;
    this.status = conn.status;
  }

  /** The nat table's decision at PREROUTING. Returns the bound reply source (the endpoint chosen). */
  decide(): number {
    const conn = this.conn;
    conn.status = this.status;
    conn.reply.invertFrom(conn.orig);
    this.ct.decider!.decide(NF_INET_PRE_ROUTING, this.p, conn, this.ct, this.dev, null);
    return conn.reply.src;
  }
}

/** Per-position decision figures for a loaded node. `modelNs(rules)` turns rules walked into kernel ns. */
export function measureIptablesPositions(
  loaded: LoadedIptables,
  snapshot: ProxySnapshot,
  rateSeconds: number,
  modelNs: (rules: number) => number,
): PositionFigures[] {
  const ns = loaded.ns;
  const [dev] = ns.addVethPair('eth0', 'eth1');
  ns.setUp(dev);
  const ct = existingConntrack(ns);
  if (ct === null || ct.decider === null) throw new Error('bench: the nat table did not enable conntrack NAT');
  const ipt = iptablesOf(ns);
  const out: PositionFigures[] = [];
  let sport = 40000;
  for (const pos of positionsOf(snapshot)) {
    const probe = new DecisionProbe(ct, dev, pos.vip, pos.port, sport++);
    const expectEndpoint = pos.endpoints;
    const check = probe.decide();
    if (!expectEndpoint.has(check)) throw new Error(`bench: a connection to ${formatIPv4(pos.vip)}:${pos.port} was not DNATed to one of its endpoints`);
    const compiled = rateOf(ipt, false, probe, rateSeconds, 1000);
    const evaluated = meanCost(ipt, false, probe, 200);
    const interpreted = rateOf(ipt, true, probe, rateSeconds, pos.index < 200 ? 1000 : 1);
    ipt.setInterpreted(false);
    out.push(figures(pos, evaluated, modelNs(evaluated), compiled, interpreted));
  }
  return out;
}

function figures(pos: ServicePosition, evaluated: number, modelledNs: number, compiled: Rate, interpreted: Rate | null): PositionFigures {
  return { position: pos.position, service: pos.index, clusterIP: formatIPv4(pos.vip), evaluated, modelledNs, compiled, interpreted };
}

let sink = 0;

function rateOf(ipt: NamespaceIptables, interpreted: boolean, probe: DecisionProbe, seconds: number, batch: number): Rate {
  ipt.setInterpreted(interpreted);
  return measureRate(seconds, batch, () => {
    for (let i = 0; i < batch; i++) sink ^= probe.decide();
  });
}

/** Mean rules the kernel walks per decision (the statistic rules make it vary by endpoint chosen). */
function meanCost(ipt: NamespaceIptables, interpreted: boolean, probe: DecisionProbe, n: number): number {
  ipt.setInterpreted(interpreted);
  const before = ipt.rulesEvaluated();
  for (let i = 0; i < n; i++) sink ^= probe.decide();
  return (ipt.rulesEvaluated() - before) / n;
}

/** Keeps the decisions' results observable (so no engine can drop the loop). */
export function decisionSink(): number {
  return sink;
}
