/**
 * A timer: something that fires at a virtual time. Owners keep their timer and re-arm it
 * (`Scheduler.arm`) instead of allocating one per event, the way the kernel embeds a
 * timer_list in the object it belongs to.
 */
export abstract class Timer {
  /** When it fires (virtual ns), or -1 while not armed. */
  at = -1;
  /** Arming order, so timers due at the same instant fire first-armed first. */
  seq = 0;
  /** Position in the scheduler's heap, or -1. */
  slot = -1;
  /** Whether the armed timer counted as loud (fixed at arming time). */
  armedLoud = false;
  /**
   * Whether this timer cannot put packets on the wire when it fires (a neighbour entry
   * going stale, a conntrack entry expiring). Owners may change it before re-arming.
   */
  constructor(public quiet: boolean) {}

  abstract fire(): void;

  get armed(): boolean {
    return this.slot >= 0;
  }
}

/** A timer that calls a function: for rare events (scenario steps, socket lifetimes), never per packet. */
export class CallbackTimer extends Timer {
  constructor(quiet: boolean, private readonly callback: () => void) {
    super(quiet);
  }

  fire(): void {
    this.callback();
  }
}
