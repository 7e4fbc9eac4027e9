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
  if (cached === null) cached = JSON.parse(readFileSync(new URL('./testdata/restore-cost.json', import.meta.url), 'utf8')) as RestoreCostData;
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
  return Math.max(0, Math.round((model.fixed + model.perRule * rules + model.perChain * chains + model.perChainSquared * chains * chains) * 1e9));
}

/** Least-squares fit of seconds = fixed + perRule·rules + perChain·chains + perChainSquared·chains² (normal equations). */
export function fitRestoreCost(samples: readonly { chains: number; rules: number; seconds: number }[], quadratic = true): RestoreCostModel {
  const n = quadratic ? 4 : 3;
  const a: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const b = new Array<number>(n).fill(0);
  // Scale the columns so the system is well conditioned.
  const scale = [1, 1e-5, 1e-5, 1e-10].slice(0, n);
  for (const s of samples) {
    const x = [1, s.rules, s.chains, s.chains * s.chains].slice(0, n).map((v, i) => v * scale[i]!);
    for (let i = 0; i < n; i++) {
      b[i]! += x[i]! * s.seconds;
      for (let j = 0; j < n; j++) a[i]![j]! += x[i]! * x[j]!;
    }
  }
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
  const v = x.map((xi, i) => xi * scale[i]!);
  return { fixed: v[0]!, perRule: v[1]!, perChain: v[2]!, perChainSquared: quadratic ? v[3]! : 0 };
}
