/**
 * Virtual services and their real servers (struct ip_vs_service, struct ip_vs_dest), with the
 * flag values of include/uapi/linux/ip_vs.h. Addresses are numbers; ports are host order.
 */
import type { IpvsScheduler } from './schedulers/scheduler.js';
import { IpvsStats } from './stats.js';

/** Forwarding methods (IP_VS_CONN_F_FWD_MASK values). */
export const IP_VS_CONN_F_MASQ = 0;
export const IP_VS_CONN_F_LOCALNODE = 1;
export const IP_VS_CONN_F_TUNNEL = 2;
export const IP_VS_CONN_F_DROUTE = 3;
export const IP_VS_CONN_F_BYPASS = 4;
export const IP_VS_CONN_F_FWD_MASK = 7;

/** Connection flags beyond the forwarding method. */
export const IP_VS_CONN_F_NOOUTPUT = 0x0008;
export const IP_VS_CONN_F_INACTIVE = 0x0010;
export const IP_VS_CONN_F_TEMPLATE = 0x1000;
export const IP_VS_CONN_F_ONE_PACKET = 0x2000;
export const IP_VS_CONN_F_NFCT = 1 << 16;

/** Virtual service flags. */
export const IP_VS_SVC_F_PERSISTENT = 0x0001;
export const IP_VS_SVC_F_HASHED = 0x0002;
export const IP_VS_SVC_F_ONEPACKET = 0x0004;
export const IP_VS_SVC_F_SCHED1 = 0x0008;
export const IP_VS_SVC_F_SCHED2 = 0x0010;
export const IP_VS_SVC_F_SCHED3 = 0x0020;
/** sh-fallback / mh-fallback and sh-port / mh-port are SCHED1 and SCHED2. */
export const IP_VS_SVC_F_SCHED_FALLBACK = IP_VS_SVC_F_SCHED1;
export const IP_VS_SVC_F_SCHED_PORT = IP_VS_SVC_F_SCHED2;

/** Real server flags. */
export const IP_VS_DEST_F_AVAILABLE = 0x0001;
export const IP_VS_DEST_F_OVERLOAD = 0x0002;

export const IPPROTO_SCTP = 132;

/** A real server of a virtual service (struct ip_vs_dest). */
export class RealServer {
  weight: number;
  /** The last weight above 0 (mh keeps quiesced servers in its table with it). */
  lastWeight: number;
  flags = IP_VS_DEST_F_AVAILABLE;
  activeConns = 0;
  inactConns = 0;
  persistConns = 0;
  readonly stats = new IpvsStats();

  constructor(
    readonly svc: VirtualService,
    readonly addr: number,
    readonly port: number,
    /** IP_VS_CONN_F_MASQ, _TUNNEL, _DROUTE (LOCALNODE when the address is the node's own). */
    public fwd: number,
    weight: number,
    public uThreshold = 0,
    public lThreshold = 0,
  ) {
    this.weight = weight;
    this.lastWeight = weight;
  }

  get available(): boolean {
    return (this.flags & IP_VS_DEST_F_AVAILABLE) !== 0;
  }

  get overloaded(): boolean {
    return (this.flags & IP_VS_DEST_F_OVERLOAD) !== 0;
  }

  /** Connections counted against the thresholds (ip_vs_dest_totalconns). */
  get totalConns(): number {
    return this.activeConns + this.inactConns;
  }
}

/** A virtual service: TCP/UDP/SCTP address:port, or a firewall mark (struct ip_vs_service). */
export class VirtualService {
  /** Real servers in the order they were added (svc->destinations). */
  readonly dests: RealServer[] = [];
  readonly stats = new IpvsStats();
  flags = 0;
  /** Persistence timeout in seconds (when IP_VS_SVC_F_PERSISTENT). */
  timeout = 0;
  /** Persistence granularity: the client address is masked with it. */
  netmask = 0xffffffff;

  constructor(
    /** IPPROTO_TCP/UDP/SCTP; for a fwmark service the protocol of its template (TCP by default). */
    readonly proto: number,
    readonly addr: number,
    readonly port: number,
    readonly fwmark: number,
    public scheduler: IpvsScheduler,
  ) {}

  get persistent(): boolean {
    return (this.flags & IP_VS_SVC_F_PERSISTENT) !== 0;
  }

  dest(addr: number, port: number): RealServer | undefined {
    for (const d of this.dests) if (d.addr === addr && d.port === port) return d;
    return undefined;
  }
}
