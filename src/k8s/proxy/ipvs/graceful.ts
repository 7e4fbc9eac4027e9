/**
 * Upstream's GracefulTerminationManager (pkg/proxy/ipvs/graceful_termination.go): a real
 * server kube-proxy no longer wants is deleted at once when it has no connections (or its
 * service is UDP or SCTP, where expire_nodest_conn ends the flows); otherwise its weight is
 * set to 0 (no new connections) and it waits in a list that is retried every minute
 * (rsCheckDeleteInterval) until its active and inactive connections are gone.
 */

import { SEC } from '../../../sim/time.js';
import type { Ipvs, ServiceKey } from '../../../ipvs/ipvs.js';
import { IP_VS_CONN_F_MASQ, type VirtualService } from '../../../ipvs/service.js';

/** rsCheckDeleteInterval. */
export const RS_CHECK_DELETE_INTERVAL = 60 * SEC;

/** A real server waiting for its connections to end. */
export interface GracefulItem {
  /** "vip:port/PROTO/ip:port" (upstream's uniqueRS). */
  readonly id: string;
  readonly vsKey: string;
  readonly key: ServiceKey;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly addr: number;
  readonly port: number;
}

/** Whether a protocol's real servers wait for their connections (IsRsGracefulTerminationNeeded). */
export function gracefulTerminationNeeded(protocol: string): boolean {
  return protocol !== 'UDP' && protocol !== 'SCTP';
}

/** The list of real servers being deleted gracefully, over one namespace's IPVS. */
export class GracefulTermination {
  private readonly items = new Map<string, GracefulItem>();
  /** Errors upstream would log. */
  readonly errors: string[] = [];

  constructor(private readonly ipvs: Ipvs) {}

  /** The waiting real servers, in the order they were added. */
  list(): GracefulItem[] {
    return [...this.items.values()];
  }

  has(vsKey: string, rsText: string): boolean {
    return this.items.has(`${vsKey}/${rsText}`);
  }

  /** MoveRSOutofGracefulDeleteList: the endpoint is wanted again; delete the quiesced server now (the caller adds it back). */
  moveOut(vsKey: string, rsText: string): void {
    const id = `${vsKey}/${rsText}`;
    const it = this.items.get(id);
    if (it === undefined) return;
    this.items.delete(id);
    if (this.ipvs.service(it.key)?.dest(it.addr, it.port) !== undefined) this.ipvs.deleteDest(it.key, it.addr, it.port);
  }

  /** deleteRsFunc: deletes the server if it may go now; returns whether it is gone. */
  private tryDelete(it: GracefulItem): boolean {
    const svc = this.ipvs.service(it.key);
    const d = svc?.dest(it.addr, it.port);
    if (d === undefined) {
      this.errors.push(`failed to delete rs ${it.id}, can't find the real server`);
      return true;
    }
    if (gracefulTerminationNeeded(it.protocol) && d.activeConns + d.inactConns !== 0) return false;
    this.ipvs.deleteDest(it.key, it.addr, it.port);
    return true;
  }

  /** GracefulDeleteRS: delete now if possible, else quiesce (weight 0) and wait. Returns the netlink requests issued. */
  gracefulDelete(key: ServiceKey, vsKey: string, protocol: 'TCP' | 'UDP' | 'SCTP', addr: number, port: number): number {
    const it: GracefulItem = { id: `${vsKey}/${ipPort(addr, port)}`, vsKey, key, protocol, addr, port };
    let ops = 1;
    if (this.tryDelete(it)) return ops + 1;
    const d = this.ipvs.service(key)!.dest(addr, port)!;
    if (d.weight !== 0) {
      this.ipvs.editDest(key, { addr, port, fwd: IP_VS_CONN_F_MASQ, weight: 0, uThreshold: d.uThreshold, lThreshold: d.lThreshold });
      ops++;
    }
    this.items.set(it.id, it);
    return ops;
  }

  /** tryDeleteRs: the periodic retry. */
  tick(): void {
    for (const it of [...this.items.values()]) if (this.tryDelete(it)) this.items.delete(it.id);
  }

  /** The virtual service is being deleted: its waiting servers go with it. */
  forgetService(svc: VirtualService): void {
    for (const [id, it] of this.items) if (it.key.proto === svc.proto && it.key.addr === svc.addr && it.key.port === svc.port) this.items.delete(id);
  }
}

function ipPort(addr: number, port: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}:${port}`;
}
