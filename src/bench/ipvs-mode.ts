/**
 * kube-proxy's IPVS mode at one Service count. There is no IPVS proxier in dpsim yet, so the
 * benchmark programs the IPVS engine the way kube-proxy's IPVS proxier does from the same
 * service-port view (src/k8s/proxy/service-ports.ts): per ClusterIP port one address on
 * kube-ipvs0, one virtual service (rr) and one real server per ready endpoint, each a netlink
 * request, plus one KUBE-CLUSTER-IP ipset entry per service port (one `ipset restore`).
 * A change is diffed against the engine: only the real servers that differ are touched.
 */

import { Ipvs, ipvsOf } from '../ipvs/ipvs.js';
import { IP_VS_CONN_F_MASQ, type VirtualService } from '../ipvs/service.js';
import { buildServicePorts, type ProxySnapshot, type ServicePortInfo } from '../k8s/proxy/service-ports.js';
import { Network } from '../netns/network.js';
import { formatIPv4 } from '../packet/address.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../packet/packet.js';
import { IPPROTO_SCTP } from '../ipvs/service.js';
import { collectGarbage, heapMiB, measureRate, timed } from './measure.js';
import { positionsOf } from './positions.js';
import type { IpvsFigures, PositionFigures } from './types.js';
import { CLIENT_IP } from './iptables-mode.js';

/** kube-proxy's default IPVS scheduler. */
export const IPVS_SCHEDULER = 'rr';

const PROTO: Record<string, number> = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP };

/** Netlink requests and ipset entries one programming pass made. */
export interface ProgramCounts {
  addresses: number;
  services: number;
  dests: number;
  removedDests: number;
  ipsetEntries: number;
}

/** Programs `ipvs` to hold the ClusterIP services of `ports` (adds what is missing, removes real servers that are gone). */
export function programIpvs(ipvs: Ipvs, ports: readonly ServicePortInfo[], known: Set<number>): ProgramCounts {
  const c: ProgramCounts = { addresses: 0, services: 0, dests: 0, removedDests: 0, ipsetEntries: 0 };
  for (const sp of ports) {
    const proto = PROTO[sp.protocol];
    if (proto === undefined) throw new Error(`bench: service port ${sp.nameString} has protocol ${sp.protocol}, which IPVS does not serve`);
    const key = { proto, addr: sp.clusterIP, port: sp.port, fwmark: 0 };
    let svc = ipvs.service(key);
    if (svc === undefined) {
      if (!known.has(sp.clusterIP)) {
        known.add(sp.clusterIP);
        c.addresses++;
      }
      svc = ipvs.addService({ ...key, sched: IPVS_SCHEDULER, flags: 0, timeout: 0, netmask: 0xffffffff });
      c.services++;
      c.ipsetEntries++;
    }
    const want = new Map<number, number>();
    for (const e of sp.endpoints) if (e.ready) want.set(e.ip * 65536 + e.port, e.ip);
    for (const d of [...svc.dests]) {
      if (!want.delete(d.addr * 65536 + d.port)) {
        ipvs.deleteDest(key, d.addr, d.port);
        c.removedDests++;
      }
    }
    for (const [k, addr] of want) {
      ipvs.addDest(key, { addr, port: k % 65536, fwd: IP_VS_CONN_F_MASQ, weight: 1, uThreshold: 0, lThreshold: 0 });
      c.dests++;
    }
  }
  return c;
}

/** Netlink requests a pass made. */
export function netlinkCalls(c: ProgramCounts): number {
  return c.addresses + c.services + c.dests + c.removedDests;
}

let sink = 0;

/** IPVS mode figures. `modelNs(lookups)` turns hash lookups into kernel ns; `callSeconds` is one netlink request's cost. */
export function measureIpvs(
  snapshot: ProxySnapshot,
  rateSeconds: number,
  modelNs: (lookups: number) => number,
  callSeconds: number,
): IpvsFigures {
  collectGarbage();
  const heap0 = heapMiB();
  const ns = new Network(1).root;
  const ipvs = ipvsOf(ns);
  const known = new Set<number>();
  const first = timed(() => programIpvs(ipvs, buildServicePorts(snapshot, 'node-0').ports, known));
  collectGarbage();
  const heap = heapMiB() - heap0;

  // A one-endpoint change and back, each a full view rebuild and diff as the IPVS proxier's sync does.
  const s0 = snapshot.endpointSlices[0]!;
  const copy = snapshot.endpointSlices.slice();
  copy[0] = { ...s0, endpoints: [...s0.endpoints.slice(1), { addresses: ['10.251.0.1'] }] };
  const changed: ProxySnapshot = { services: snapshot.services, endpointSlices: copy };
  const partial = timed(() => programIpvs(ipvs, buildServicePorts(changed, 'node-0').ports, known));
  programIpvs(ipvs, buildServicePorts(snapshot, 'node-0').ports, known);

  const positions: PositionFigures[] = [];
  for (const pos of positionsOf(snapshot)) {
    const svc = ipvs.findService(0, IPPROTO_TCP, pos.vip, pos.port);
    if (svc === null) throw new Error(`bench: IPVS has no virtual service ${formatIPv4(pos.vip)}:${pos.port}`);
    const chosen = decide(ipvs, pos.vip, pos.port, 1);
    if (!pos.endpoints.has(chosen)) throw new Error(`bench: IPVS scheduled ${formatIPv4(pos.vip)}:${pos.port} to ${formatIPv4(chosen)}, not one of its endpoints`);
    const BATCH = 1000;
    const compiled = measureRate(rateSeconds, BATCH, () => {
      sink ^= decide(ipvs, pos.vip, pos.port, BATCH);
    });
    // ip_vs_service_find: one hash lookup, whatever the position.
    positions.push({ position: pos.position, service: pos.index, clusterIP: formatIPv4(pos.vip), evaluated: 1, modelledNs: modelNs(1), compiled, interpreted: null });
  }
  const calls = netlinkCalls(first.value);
  const partialCalls = netlinkCalls(partial.value);
  return {
    virtualServices: first.value.services,
    realServers: first.value.dests,
    netlinkCalls: calls,
    ipsetEntries: first.value.ipsetEntries,
    firstSyncMs: first.ms,
    heapMiB: heap,
    partialCalls,
    partialMs: partial.ms,
    modelProgramSeconds: calls * callSeconds,
    modelPartialSeconds: partialCalls * callSeconds,
    positions,
  };
}

/** `n` scheduling decisions for new connections to vip:port (service lookup + scheduler). Returns the last real server's address. */
function decide(ipvs: Ipvs, vip: number, port: number, n: number): number {
  let addr = 0;
  for (let i = 0; i < n; i++) {
    const svc: VirtualService | null = ipvs.findService(0, IPPROTO_TCP, vip, port);
    const d = svc === null ? null : svc.scheduler.schedule(svc, CLIENT_IP + (i & 255), 30000 + (i & 4095), vip, port);
    addr = d === null ? 0 : d.addr;
  }
  return addr;
}

/** Keeps the decisions' results observable. */
export function ipvsSink(): number {
  return sink;
}
