/**
 * What a real kernel spends in iptables-restore, as a model fitted to this machine's
 * measurements (testdata/restore-cost.json): fixed + per rule line + per chain line, for
 * the nft and legacy back ends. The sync loop charges it on the virtual clock.
 */

import { readFileSync } from 'node:fs';

/** One flavour's fitted model, in seconds. */
export interface RestoreCostModel {
  readonly fixed: number;
  readonly perRule: number;
  readonly perChain: number;
  /** nft's chain lookups make a large restore superlinear in its chains: seconds per chain². */
  readonly perChainSquared: number;
}

/** The measured data and fits. */
export interface RestoreCostData {
  readonly machine: string;
  readonly date: string;
  readonly method: string;
  readonly samples: readonly { flavour: string; file: string; chains: number; rules: number; seconds: number }[];
  readonly models: { readonly nft: RestoreCostModel; readonly legacy: RestoreCostModel };
}

let cached: RestoreCostData | null = null;

/** The measurements shipped with dpsim. */
export function restoreCostData(): RestoreCostData {
  // From the package root, so it is found both from src/ and from the built dist/ (tsc does not copy JSON).
  if (cached === null) cached = JSON.parse(readFileSync(new URL('../../../src/k8s/proxy/testdata/restore-cost.json', import.meta.url), 'utf8')) as RestoreCostData;
  return cached;
}

/** Counts `:CHAIN` lines and rule lines (`-A`/`-I`/`-X`…) of restore text. */
export function countRestoreLines(text: string): { chains: number; rules: number } {
  let chains = 0;
  let rules = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const c = text.charCodeAt(start);
    if (c === 0x3a) chains++;
    else if (c === 0x2d) rules++;
    start = end + 1;
  }
  return { chains, rules };
}

/** The modelled kernel time (ns) of restoring `text`. */
export function restoreCostNs(text: string, flavour: 'nft' | 'legacy' = 'nft', model: RestoreCostModel = restoreCostData().models[flavour]): number {
  const { chains, rules } = countRestoreLines(text);
  return restoreCostOfCounts(chains, rules, flavour, model);
}

/** restoreCostNs from the counts countRestoreLines would find (for a writer that counted its lines as it wrote them). */
export function restoreCostOfCounts(chains: number, rules: number, flavour: 'nft' | 'legacy' = 'nft', model: RestoreCostModel = restoreCostData().models[flavour]): number {
  return Math.max(0, Math.round((model.fixed + model.perRule * rules + model.perChain * chains + model.perChainSquared * chains * chains) * 1e9));
}

/**
 * Two stages, as the data asks: the small (partial-sync) restores give the fixed and per-rule
 * costs; what the full restores cost beyond that is charged per chain and per chain².
 */
export function fitRestoreCostStaged(samples: readonly { chains: number; rules: number; seconds: number }[]): RestoreCostModel {
  const small = samples.filter((s) => s.chains < 100);
  const large = samples.filter((s) => s.chains >= 100);
  const base = fitRestoreCost(small, false, [0, 1]);
  const residual = large.map((s) => ({ ...s, seconds: s.seconds - base.fixed - base.perRule * s.rules }));
  const extra = fitRestoreCost(residual, true, [2, 3]);
  return { fixed: base.fixed, perRule: base.perRule, perChain: extra.perChain, perChainSquared: extra.perChainSquared };
}

/**
 * Least-squares fit of seconds = fixed + perRule·rules + perChain·chains + perChainSquared·chains²
 * with every coefficient ≥ 0 (a term whose best weight would be negative is dropped and the
 * rest refitted), so the model never charges less for a bigger restore.
 */
export function fitRestoreCost(
  samples: readonly { chains: number; rules: number; seconds: number }[],
  quadratic = true,
  /** The terms to fit (0 fixed, 1 perRule, 2 perChain, 3 perChainSquared); default all (or 0–2). */
  terms?: readonly number[],
): RestoreCostModel {
  const features = (s: { chains: number; rules: number }) => [1, s.rules * 1e-5, s.chains * 1e-5, s.chains * s.chains * 1e-10];
  const scale = [1, 1e-5, 1e-5, 1e-10];
  let active = terms !== undefined ? [...terms] : quadratic ? [0, 1, 2, 3] : [0, 1, 2];
  for (;;) {
    const x = solve(samples.map(features).map((f) => active.map((i) => f[i]!)), samples.map((s) => s.seconds));
    const worst = x.reduce((w, v, i) => (v < 0 && (w < 0 || v < x[w]!) ? i : w), -1);
    if (worst < 0 || active.length === 1) {
      const v = [0, 0, 0, 0];
      active.forEach((k, i) => (v[k] = Math.max(0, x[i]!) * scale[k]!));
      return { fixed: v[0]!, perRule: v[1]!, perChain: v[2]!, perChainSquared: v[3]! };
    }
    active = active.filter((_, i) => i !== worst);
  }
}

/** The least-squares solution of rows·x ≈ y (normal equations, Gaussian elimination with pivoting). */
function solve(rows: number[][], y: number[]): number[] {
  const n = rows[0]?.length ?? 0;
  const a: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const b = new Array<number>(n).fill(0);
  rows.forEach((r, k) => {
    for (let i = 0; i < n; i++) {
      b[i]! += r[i]! * y[k]!;
      for (let j = 0; j < n; j++) a[i]![j]! += r[i]! * r[j]!;
    }
  });
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    [b[c], b[p]] = [b[p]!, b[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k < n; k++) a[r]![k]! -= f * a[c]![k]!;
      b[r]! -= f * b[c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let k = r + 1; k < n; k++) s -= a[r]![k]! * x[k]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}
