/**
 * The per-packet kernel model: a NEW connection costs a fixed part (stack, sockets, the
 * connect loop) plus ns per rule its first packet walks in the nat table, fitted by least
 * squares to the kernel's connect loop (kernel.ts). Without a measurement (not root) the
 * defaults below apply: the fit of a run on this project's machine, dated and stated.
 */

import type { Calibration, KernelConnect } from './types.js';

/** Fitted line: y(µs) = fixedUs + nsPerRule · rules / 1000. */
export interface Fit {
  readonly nsPerRule: number;
  readonly fixedUs: number;
  readonly points: number;
}

/** The defaults: the 20,000 × 10 run of bench/results/2026-11-25-bench.md (iptables-legacy, this machine, 2 shared vCPUs). */
export const DEFAULT_CALIBRATION: Calibration = {
  source: 'default',
  flavour: 'legacy',
  nsPerRule: 4.15,
  fixedUs: 184.7,
  nsPerLookup: 4.15,
  netlinkCallSeconds: 10e-6,
  netlinkSource: 'assumed: 10 µs per netlink request (this kernel has no IPVS to time)',
  points: 0,
  note: 'not measured in this run (needs root and iptables): defaults from bench/results/2026-11-25-bench.md',
};

/** Least-squares line through (rules, µs per connection). Null with fewer than two distinct rule counts. */
export function fitConnects(points: readonly Pick<KernelConnect, 'evaluated' | 'perConnectionUs'>[]): Fit | null {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.evaluated;
    sy += p.perConnectionUs;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.evaluated - mx) ** 2;
    sxy += (p.evaluated - mx) * (p.perConnectionUs - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx; // µs per rule
  return { nsPerRule: slope * 1000, fixedUs: my - slope * mx, points: n };
}

/** The calibration for `flavour` from this run's connects, or the defaults with the reason. */
export function calibrate(connects: readonly KernelConnect[], flavour: 'nft' | 'legacy', why: string): Calibration {
  const mine = connects.filter((c) => c.flavour === flavour);
  const fit = fitConnects(mine);
  if (fit === null) return { ...DEFAULT_CALIBRATION, note: why !== '' ? `${why}: ${DEFAULT_CALIBRATION.note}` : DEFAULT_CALIBRATION.note };
  return {
    source: 'measured',
    flavour,
    nsPerRule: fit.nsPerRule,
    fixedUs: fit.fixedUs,
    nsPerLookup: fit.nsPerRule,
    netlinkCallSeconds: DEFAULT_CALIBRATION.netlinkCallSeconds,
    netlinkSource: DEFAULT_CALIBRATION.netlinkSource,
    points: fit.points,
    note: `least squares over ${fit.points} (rules walked, µs per NEW connection) points of iptables-${flavour}, first/median/last Service at every Service count`,
  };
}

/** The modelled µs of one NEW connection that walks `rules` rules. */
export function modelledConnectionUs(c: Calibration, rules: number): number {
  return c.fixedUs + (c.nsPerRule * rules) / 1000;
}
