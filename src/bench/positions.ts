/** The first, median and last Service of a snapshot as kube-proxy orders them, with their ClusterIP, port and endpoint addresses. */

import { buildServicePorts, type ProxySnapshot } from '../k8s/proxy/service-ports.js';
import type { Position } from './types.js';

/** One measured Service. */
export interface ServicePosition {
  readonly position: Position;
  /** Index in kube-proxy's order (KUBE-SERVICES rule order: service ports sorted by name). */
  readonly index: number;
  readonly vip: number;
  readonly port: number;
  /** Endpoint addresses a connection may be DNATed to. */
  readonly endpoints: ReadonlySet<number>;
}

/** The first, median and last service port of the snapshot (fewer when it has fewer than 3). */
export function positionsOf(snapshot: ProxySnapshot): ServicePosition[] {
  const ports = buildServicePorts(snapshot, 'node-0').ports;
  if (ports.length === 0) throw new Error('bench: the cluster has no service ports');
  const picks: [Position, number][] = [
    ['first', 0],
    ['median', Math.floor((ports.length - 1) / 2)],
    ['last', ports.length - 1],
  ];
  const seen = new Set<number>();
  const out: ServicePosition[] = [];
  for (const [position, index] of picks) {
    if (seen.has(index)) continue;
    seen.add(index);
    const sp = ports[index]!;
    out.push({ position, index, vip: sp.clusterIP, port: sp.port, endpoints: new Set(sp.endpoints.filter((e) => e.ready).map((e) => e.ip)) });
  }
  return out;
}
