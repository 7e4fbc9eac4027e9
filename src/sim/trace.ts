/**
 * The trace recorder: why each thing happened (route chosen, neighbour state, drop reason),
 * keyed by packet. The stack holds `Tracer | null` and records only when one is attached,
 * so a run without tracing pays one null check at each decision point and builds nothing.
 */
export interface TraceEvent {
  /** Virtual time in ns. */
  at: number;
  /** The namespace (node) where it happened. */
  where: string;
  /** A short machine-readable kind: "route", "neigh", "drop", "deliver", "icmp", "nf" … */
  kind: string;
  /** The human-readable explanation. */
  text: string;
  /** The packet it concerns (Packet.id), or 0. */
  packetId: number;
}

export class Tracer {
  readonly events: TraceEvent[] = [];

  constructor(private readonly clock: { readonly now: number }) {}

  record(where: string, kind: string, packetId: number, text: string): void {
    this.events.push({ at: this.clock.now, where, kind, text, packetId });
  }

  /** Removes and returns everything recorded so far. */
  take(): TraceEvent[] {
    return this.events.splice(0, this.events.length);
  }
}
