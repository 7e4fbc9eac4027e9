import { Heap } from 'mnemonist';
import { Timer } from './timer.js';

/** Something a queued item is delivered to: a device's receive path. */
export interface Receiver<T> {
  receive(item: T): void;
}

interface HeapEntry {
  timer: Timer;
  at: number;
  seq: number;
}

function compareEntries(a: HeapEntry, b: HeapEntry): number {
  return a.at - b.at || a.seq - b.seq;
}

/**
 * The event loop of a simulation: a FIFO of frames in flight (the kernel's per-CPU backlog:
 * a frame handed to a device is received by its peer after the sender's work is done) and
 * a timer heap on the virtual clock. Frames take no virtual time; timers advance it.
 */
export class Scheduler<T> {
  now = 0;
  private seq = 0;
  private readonly heap = new Heap<HeapEntry>(compareEntries);
  /** Timers armed and not yet fired or cancelled that are not quiet. */
  private loudArmed = 0;

  // The backlog is a growable ring of (receiver, item) pairs in two arrays: no allocation per frame.
  private receivers: (Receiver<T> | null)[] = new Array(64).fill(null);
  private items: (T | null)[] = new Array(64).fill(null);
  private head = 0;
  private count = 0;

  /** Queues an item for `receiver`; it is delivered once everything queued before it has been. */
  enqueue(receiver: Receiver<T>, item: T): void {
    if (this.count === this.receivers.length) this.grow();
    const i = (this.head + this.count) & (this.receivers.length - 1);
    this.receivers[i] = receiver;
    this.items[i] = item;
    this.count++;
  }

  private grow(): void {
    const n = this.receivers.length;
    const receivers: (Receiver<T> | null)[] = new Array(n * 2).fill(null);
    const items: (T | null)[] = new Array(n * 2).fill(null);
    for (let k = 0; k < this.count; k++) {
      const j = (this.head + k) & (n - 1);
      receivers[k] = this.receivers[j];
      items[k] = this.items[j];
    }
    this.receivers = receivers;
    this.items = items;
    this.head = 0;
  }

  /** Arms (or re-arms) `timer` to fire `delay` ns from now. */
  arm(timer: Timer, delay: number): void {
    this.armAt(timer, this.now + Math.max(0, delay));
  }

  /** Arms (or re-arms) `timer` to fire at virtual time `at`. */
  armAt(timer: Timer, at: number): void {
    if (timer.slot >= 0) this.cancel(timer);
    timer.at = at;
    timer.seq = ++this.seq;
    timer.slot = 1;
    timer.armedLoud = !timer.quiet;
    if (timer.armedLoud) this.loudArmed++;
    this.heap.push({ timer, at, seq: timer.seq });
  }

  /** Disarms `timer`; its stale heap entry is skipped when it comes up. */
  cancel(timer: Timer): void {
    if (timer.slot < 0) return;
    timer.slot = -1;
    timer.at = -1;
    if (timer.armedLoud) this.loudArmed--;
  }

  /** Delivers every queued frame, and the frames those cause, at the current instant. */
  drain(): void {
    while (this.count > 0) {
      const i = this.head;
      const receiver = this.receivers[i]!;
      const item = this.items[i]!;
      this.receivers[i] = null;
      this.items[i] = null;
      this.head = (i + 1) & (this.receivers.length - 1);
      this.count--;
      receiver.receive(item);
    }
  }

  /** When the next armed timer fires, or -1 when none is armed. */
  nextTimerAt(): number {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined) return -1;
      if (top.timer.slot >= 0 && top.timer.seq === top.seq) return top.at;
      this.heap.pop();
    }
  }

  /** Fires the next timer (advancing the clock to it) and drains what it caused. Returns false when none is armed. */
  step(): boolean {
    const at = this.nextTimerAt();
    if (at < 0) return false;
    const entry = this.heap.pop()!;
    const timer = entry.timer;
    this.now = at;
    timer.slot = -1;
    timer.at = -1;
    if (timer.armedLoud) this.loudArmed--;
    timer.fire();
    this.drain();
    return true;
  }

  /** Runs until virtual time `until`, firing every timer due before or at it; the clock ends at `until`. */
  runUntil(until: number): void {
    this.drain();
    for (;;) {
      const at = this.nextTimerAt();
      if (at < 0 || at > until) break;
      this.step();
    }
    if (until > this.now) this.now = until;
  }

  /**
   * Runs until nothing can put a packet on the wire any more: the backlog is empty and only
   * quiet timers remain. Stops after `limit` virtual ns at the latest. Returns the time it stopped.
   */
  runUntilQuiet(limit: number): number {
    const deadline = this.now + limit;
    this.drain();
    while (this.loudArmed > 0) {
      const at = this.nextTimerAt();
      if (at < 0 || at > deadline) break;
      this.step();
    }
    return this.now;
  }

  /** Whether anything that can send a packet is still pending. */
  get busy(): boolean {
    return this.count > 0 || this.loudArmed > 0;
  }
}
