/**
 * kube-proxy's sync metrics as Prometheus histograms with upstream's names and bucket
 * layouts (pkg/proxy/metrics): kubeproxy_sync_proxy_rules_duration_seconds (exponential,
 * 1 ms × 2^k, 15 buckets) and kubeproxy_network_programming_duration_seconds (0.25 s, 0.5 s,
 * 1–59 s by 1 s, 60–115 s by 5 s, 120–300 s by 30 s), printed in the text exposition format.
 */

/** A cumulative histogram. */
export class Histogram {
  readonly counts: number[];
  count = 0;
  sum = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    readonly labels: string = 'ip_family="IPv4"',
  ) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < this.buckets.length; i++) if (seconds <= this.buckets[i]!) this.counts[i]!++;
  }

  /** The text exposition of this histogram. */
  format(): string {
    const l = this.labels === '' ? '' : `${this.labels},`;
    const plain = this.labels === '' ? '' : `{${this.labels}}`;
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (let i = 0; i < this.buckets.length; i++) out += `${this.name}_bucket{${l}le="${formatLe(this.buckets[i]!)}"} ${this.counts[i]}\n`;
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
