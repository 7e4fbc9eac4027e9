/**
 * Test support for the bridge, VXLAN and flannel tests: a capture recorder in the
 * CAPTURE.md format, probe blocks run until the namespaces fall quiet, and the comparison
 * with a kernel recording (every line the kernel showed must be in dpsim's block).
 */
import type { Network } from '../netns/network.js';
import { formatCaptureLine } from '../trace/capture.js';
import { SEC } from '../sim/time.js';

/** Records every frame as a capture line; `block` runs an action and returns the lines it caused. */
export class CaptureRecorder {
  lines: string[] = [];

  constructor(private readonly net: Network) {
    net.tap = { frame: (dev, dir, p) => this.lines.push(formatCaptureLine(dev.ns.name, dev.name, dir, p)) };
  }

  /** Runs `send`, then the simulation until quiet (at most 30 s of virtual time); the lines of that probe. */
  block(send: () => void): string[] {
    this.lines = [];
    send();
    this.net.scheduler.runUntilQuiet(30 * SEC);
    return this.lines;
  }
}

/** The lines of `kernel` that `sim` lacks, counted as a multiset. */
export function missingLines(kernel: readonly string[], sim: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of sim) counts.set(l, (counts.get(l) ?? 0) + 1);
  const missing: string[] = [];
  for (const l of kernel) {
    const c = counts.get(l) ?? 0;
    if (c > 0) counts.set(l, c - 1);
    else missing.push(l);
  }
  return missing;
}

/** Splits a recorded capture (`probe N` headers, one line each) into its blocks. */
export function probeBlocks(text: string): string[][] {
  const blocks: string[][] = [];
  for (const line of text.trim().split('\n')) {
    if (/^probe \d+$/.test(line)) blocks.push([]);
    else blocks[blocks.length - 1]!.push(line);
  }
  return blocks;
}
