/**
 * The scheduler interface (struct ip_vs_scheduler): one instance per virtual service, told
 * when its real servers change and asked for a real server for each new connection.
 */
import type { RealServer, VirtualService } from '../service.js';

/** A scheduling algorithm bound to one virtual service. */
export interface IpvsScheduler {
  /** The name ipvsadm shows (`rr`, `wrr` …). */
  readonly name: string;
  /** A real server was added, edited or removed (add_dest / upd_dest / del_dest); `removedIndex` is the removed one's former position. */
  destsChanged(svc: VirtualService, removedIndex?: number): void;
  /** A real server for a new connection from src:sport to dst:dport, or null when none is available. */
  schedule(svc: VirtualService, src: number, sport: number, dst: number, dport: number): RealServer | null;
}

/** Whether the scheduler may use a server at all: weight above 0 and not overloaded. */
export function usable(d: RealServer): boolean {
  return d.weight > 0 && !d.overloaded;
}

/** Greatest common divisor. */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}
