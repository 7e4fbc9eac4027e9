/**
 * An IPVS connection (struct ip_vs_conn): client, virtual and real addresses and ports, the
 * forwarding method and flags, the protocol state and its timeout, the real server it is
 * bound to, and for persistence the template controlling it. A connection is its own quiet
 * timer on the virtual clock, as the kernel embeds its timer_list.
 */
import { Timer } from '../sim/timer.js';
import type { RealServer } from './service.js';

/** What a connection's timer calls when it runs out. */
export interface IpvsConnOwner {
  expireConn(conn: IpvsConn): void;
}

export class IpvsConn extends Timer {
  /** Hash chain links of the in (client side) and out (real server side) tables. */
  nextIn: IpvsConn | null = null;
  nextOut: IpvsConn | null = null;
  /** Creation order, for listing. */
  prevAll: IpvsConn | null = null;
  nextAll: IpvsConn | null = null;
  /** Whether it is in the tables. */
  hashed = false;

  state = 0;
  /** Timeout in ns the timer restarts with (cp->timeout). */
  timeout = 0;
  /** Virtual time it expires; the timer fires no earlier. */
  expires = 0;
  /** The persistence template that controls it (cp->control), and how many it controls (n_control). */
  control: IpvsConn | null = null;
  nControl = 0;
  /** Packets seen in each direction (for the stats and tests). */
  inPkts = 0;
  outPkts = 0;

  constructor(
    readonly owner: IpvsConnOwner,
    /** IPPROTO_TCP/UDP/SCTP, or 0 (IPPROTO_IP) for a fwmark template. */
    readonly proto: number,
    public caddr: number,
    public cport: number,
    public vaddr: number,
    public vport: number,
    public daddr: number,
    public dport: number,
    public flags: number,
    public dest: RealServer | null,
    readonly fwmark: number,
  ) {
    super(true);
  }

  fire(): void {
    this.owner.expireConn(this);
  }
}
