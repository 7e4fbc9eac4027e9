/** The sync metrics' Prometheus text and the restore cost model's fit. */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Histogram, ProxyMetrics } from './metrics.js';
import { countRestoreLines, fitRestoreCost, restoreCostData, restoreCostNs } from './restore-cost.js';

describe('metrics', () => {
  it('prints cumulative histograms with upstream bucket layouts', () => {
    const m = new ProxyMetrics();
    m.syncProxyRules.observe(0.003);
    m.syncProxyRules.observe(20);
    m.networkProgramming.observe(1.5);
    const text = m.formatMetrics();
    expect(text).toContain('# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram\n');
    expect(text).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="0.002"} 0\n');
    expect(text).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="0.004"} 1\n');
    expect(text).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="16.384"} 1\n');
    expect(text).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="+Inf"} 2\n');
    expect(text).toContain('kubeproxy_sync_proxy_rules_duration_seconds_count{ip_family="IPv4"} 2\n');
    expect(m.networkProgramming.buckets.length).toBe(2 + 59 + 12 + 7);
    expect(text).toContain('kubeproxy_network_programming_duration_seconds_bucket{ip_family="IPv4",le="1"} 0\n');
    expect(text).toContain('kubeproxy_network_programming_duration_seconds_bucket{ip_family="IPv4",le="2"} 1\n');
    expect(text).toContain('kubeproxy_network_programming_duration_seconds_bucket{ip_family="IPv4",le="300"} 1\n');
  });
});

describe('Histogram', () => {
  it('counts every observation in each bucket whose bound it does not exceed', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: -1, max: 400, noNaN: true }), fc.constantFrom(0.25, 0.5, 1, 59, 60, 300, 301, NaN, Infinity)), { maxLength: 60 }), (values) => {
        const h = new ProxyMetrics().networkProgramming;
        for (const v of values) h.observe(v);
        expect(h.counts).toEqual(h.buckets.map((b) => values.filter((v) => v <= b).length));
        expect(h.count).toBe(values.length);
        // Repeated observations at once are the same as one by one, down to the sum's last bit.
        const once = new ProxyMetrics().networkProgramming;
        const each = new ProxyMetrics().networkProgramming;
        for (const v of values) {
          once.observe(v, 3);
          for (let i = 0; i < 3; i++) each.observe(v);
        }
        expect(once.format()).toBe(each.format());
        expect(Object.is(once.sum, each.sum)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
  it('refuses bucket bounds that do not increase', () => {
    expect(() => new Histogram('h', 'help', [1, 1])).toThrow(RangeError);
  });
});

describe('restore cost model', () => {
  it('counts chain and rule lines', () => {
    expect(countRestoreLines('*nat\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-X C\nCOMMIT\n')).toEqual({ chains: 2, rules: 2 });
  });
  it('the fit recovers a model from exact samples', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.1, noNaN: true }), fc.double({ min: 0, max: 1e-4, noNaN: true }), fc.double({ min: 0, max: 1e-4, noNaN: true }), (f, r, c) => {
        const samples = [
          [100, 50],
          [1000, 300],
          [5000, 4000],
          [20000, 9000],
          [64000, 22000],
        ].map(([rules, chains]) => ({ rules: rules!, chains: chains!, seconds: f + r * rules! + c * chains! + 1e-9 * chains! * chains! }));
        const m = fitRestoreCost(samples);
        for (const s of samples) expect(m.fixed + m.perRule * s.rules + m.perChain * s.chains + m.perChainSquared * s.chains * s.chains).toBeCloseTo(s.seconds, 4);
      }),
      { numRuns: 30 },
    );
  });
  it('ships measurements from this machine, and charges more for bigger restores', () => {
    const d = restoreCostData();
    expect(d.samples.length).toBeGreaterThanOrEqual(4);
    const small = restoreCostNs('*nat\n:A - [0:0]\n-A A -j ACCEPT\nCOMMIT\n');
    const big = restoreCostNs('*nat\n' + ':A - [0:0]\n'.repeat(1000) + '-A A -j ACCEPT\n'.repeat(5000) + 'COMMIT\n');
    expect(big).toBeGreaterThan(small);
  });
});
