/**
 * kube-proxy's sync metrics as Prometheus histograms with upstream's names and bucket
 * layouts (pkg/proxy/metrics): kubeproxy_sync_proxy_rules_duration_seconds (exponential,
 * 1 ms × 2^k, 15 buckets) and kubeproxy_network_programming_duration_seconds (0.25 s, 0.5 s,
 * 1–59 s by 1 s, 60–115 s by 5 s, 120–300 s by 30 s), printed in the text exposition format.
 */

/** A cumulative histogram. */
export class Histogram {
  /** Observations per bucket whose bound is the first one ≥ the value (counts adds them up). */
  private readonly hits: number[];
  count = 0;
  sum = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    readonly labels: string = 'ip_family="IPv4"',
  ) {
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]! > buckets[i - 1]!)) throw new RangeError(`${name}: bucket bounds must increase (${buckets[i - 1]} then ${buckets[i]})`);
    }
    this.hits = new Array<number>(buckets.length).fill(0);
  }

  /** Cumulative counts per bucket: observations ≤ each bound. */
  get counts(): number[] {
    const out = new Array<number>(this.hits.length);
    let n = 0;
    for (let i = 0; i < this.hits.length; i++) out[i] = n += this.hits[i]!;
    return out;
  }

  /** Records `times` observations of `seconds` (the sum adds them one by one, as that many observe calls would). */
  observe(seconds: number, times = 1): void {
    this.count += times;
    for (let i = 0; i < times; i++) this.sum += seconds;
    // The first bound ≥ seconds, by bisection (a value above every bound only counts in +Inf).
    const b = this.buckets;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seconds <= b[mid]!) hi = mid;
      else lo = mid + 1;
    }
    if (lo < b.length) this.hits[lo]! += times;
  }

  /** The text exposition of this histogram. */
  format(): string {
    const l = this.labels === '' ? '' : `${this.labels},`;
    const plain = this.labels === '' ? '' : `{${this.labels}}`;
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    const counts = this.counts;
    for (let i = 0; i < this.buckets.length; i++) out += `${this.name}_bucket{${l}le="${formatLe(this.buckets[i]!)}"} ${counts[i]}\n`;
    out += `${this.name}_bucket{${l}le="+Inf"} ${this.count}\n`;
    out += `${this.name}_sum${plain} ${formatFloat(this.sum)}\n${this.name}_count${plain} ${this.count}\n`;
    return out;
  }
}

function formatLe(v: number): string {
  return String(Number(v.toPrecision(12)));
}
function formatFloat(v: number): string {
  return String(Number(v.toPrecision(15)));
}

function exponential(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0, v = start; i < count; i++, v *= factor) out.push(v);
  return out;
}
function linear(start: number, width: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(start + i * width);
  return out;
}

/** The proxier's two latency histograms. */
export class ProxyMetrics {
  readonly syncProxyRules = new Histogram(
    'kubeproxy_sync_proxy_rules_duration_seconds',
    '[ALPHA] SyncProxyRules latency in seconds',
    exponential(0.001, 2, 15),
  );
  readonly networkProgramming = new Histogram(
    'kubeproxy_network_programming_duration_seconds',
    '[ALPHA] In Cluster Network Programming Latency in seconds',
    [...linear(0.25, 0.25, 2), ...linear(1, 1, 59), ...linear(60, 5, 12), ...linear(120, 30, 7)],
  );
  /** Restores attempted, and how many were partial. */
  syncs = 0;
  partialSyncs = 0;

  /** Both histograms in the Prometheus text format. */
  formatMetrics(): string {
    return this.syncProxyRules.format() + this.networkProgramming.format();
  }
}

/** Both histograms of `m` in the Prometheus text format. */
export function formatMetrics(m: ProxyMetrics): string {
  return m.formatMetrics();
}
