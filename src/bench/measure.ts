/** Timing and memory helpers for the benchmark (wall clock; a GC when one can be forced). */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Rate } from './types.js';

let forcedGc: (() => void) | null | undefined;

/** Runs a full garbage collection when V8 lets us (`--expose-gc`, or set at run time). Returns whether it ran. */
export function collectGarbage(): boolean {
  if (forcedGc === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') forcedGc = g;
    else {
      try {
        setFlagsFromString('--expose-gc');
        forcedGc = runInNewContext('gc') as () => void;
      } catch {
        forcedGc = null;
      }
    }
  }
  if (forcedGc === null) return false;
  forcedGc();
  return true;
}

/** Heap in use, MiB. */
export function heapMiB(): number {
  return process.memoryUsage().heapUsed / 1048576;
}

/** The process's peak resident set so far, MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Calls `batch()` (which does `perCall` operations) until `seconds` have passed (at least once),
 * and returns the operations per second.
 */
export function measureRate(seconds: number, perCall: number, batch: () => void): Rate {
  batch(); // warm up (compiles the evaluator, fills caches)
  let count = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  let now = t0;
  do {
    batch();
    count += perCall;
    now = performance.now();
  } while (now < until);
  const s = (now - t0) / 1000;
  return { count, seconds: s, perSecond: count / s };
}

/** Milliseconds `f` took, and its result. */
export function timed<T>(f: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = f();
  return { ms: performance.now() - t0, value };
}
