/**
 * The sync loop on the virtual clock with the iptables backend on a dpsim node: min-sync
 * coalescing (upstream's BoundedFrequencyRunner, burst 2), the periodic resync, and the
 * recovery after a flush — v1.12's periodic sync (the talk's outage) and today's canary
 * monitor. Timings are read off the virtual clock.
 */

import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../api/types.js';
import { SEC } from '../../sim/time.js';
import { defaultProxyConfig, FULL_SYNC_PERIOD_MS, type RuleGeneration } from './config.js';
import { IptablesBackend } from './iptables/backend.js';
import { buildTopology, probeOnce, runCommand } from './iptables/flow-harness.js';
import { IptablesProxier } from './iptables/proxier.js';
import type { ProxySnapshot } from './service-ports.js';
import { SyncLoop } from './sync-loop.js';
import { makeService, makeSlice, tcpPort } from './testing.js';
import { formatMetrics } from './metrics.js';

const EPS = ['10.180.0.1', '10.180.0.2'];

function world(generation: RuleGeneration) {
  const net = buildTopology(['10.0.0.2'], [...EPS, ...Array.from({ length: 100 }, (_, i) => `10.180.1.${i + 1}`)]);
  const node = net.namespaces.get('node')!;
  const state: { snapshot: ProxySnapshot } = {
    snapshot: {
      services: [makeService('default', 'web', { clusterIP: '172.30.0.10', ports: [{ name: 'http', port: 80 }] })],
      endpointSlices: [makeSlice('default', 'web', 1, [{ addresses: [EPS[0]!] }], [tcpPort('http', 80)])],
    },
  };
  const cfg = defaultProxyConfig({ nodeName: 'node', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', nfacct: false, generation });
  const backend = new IptablesBackend(node, new IptablesProxier(cfg), () => state.snapshot);
  const loop = new SyncLoop(net.scheduler, backend, {
    minSyncPeriod: cfg.minSyncPeriodMs * 1e6,
    syncPeriod: cfg.syncPeriodMs * 1e6,
    maxInterval: generation === '1.12' ? cfg.syncPeriodMs * 1e6 : FULL_SYNC_PERIOD_MS * 1e6,
    burst: 2,
    canary: generation === 'current',
  });
  const setEndpoints = (addrs: string[]) => {
    const slice: EndpointSlice = makeSlice('default', 'web', 1, addrs.map((a) => ({ addresses: [a] })), [tcpPort('http', 80)]);
    state.snapshot = { ...state.snapshot, endpointSlices: [slice] };
  };
  const at = (t: number, f: () => void) => {
    net.scheduler.runUntil(t);
    f();
  };
  return { net, node, loop, backend, setEndpoints, at };
}

describe('sync loop', () => {
  it('coalesces 100 endpoint changes (within 0.7 s, no token refilled meanwhile) into one restore once the burst is spent', () => {
    const w = world('current');
    w.loop.start();
    w.at(10 * SEC, () => {
      w.setEndpoints(['10.180.1.1']);
      w.loop.requestSync();
    });
    w.at(10.2 * SEC, () => {
      w.setEndpoints(['10.180.1.2']);
      w.loop.requestSync();
    });
    w.net.scheduler.runUntil(10.3 * SEC);
    const before = w.loop.history.length;
    expect(before).toBe(3); // initial + the burst of two
    for (let i = 0; i < 100; i++) {
      w.at(10.25 * SEC + i * 7 * 1_000_000, () => {
        w.setEndpoints([`10.180.1.${i + 1}`]);
        w.loop.requestSync();
      });
    }
    w.net.scheduler.runUntil(20 * SEC);
    const later = w.loop.history.slice(before);
    expect(later.length).toBe(1);
    // The one restore starts a min-sync-period after the previous restore finished (and the bucket has a token).
    expect(later[0]!.start).toBe(w.loop.history[before - 1]!.end + 1 * SEC);
    expect(later[0]!.start).toBeGreaterThan(11.2 * SEC);
    expect(later[0]!.full).toBe(false);
    expect(w.backend.last!.text).toContain('10.180.1.100:80');
    // Network programming latency was observed for every change.
    expect(w.loop.metrics.networkProgramming.count).toBe(102);
    expect(formatMetrics(w.loop.metrics)).toContain('kubeproxy_network_programming_duration_seconds_count{ip_family="IPv4"} 102');
  });

  it('runs at most burst+1 restores for 100 changes in one second from a rested runner', () => {
    const w = world('current');
    w.loop.start();
    for (let i = 0; i < 100; i++) {
      w.at(5 * SEC + i * 10 * 1_000_000, () => {
        w.setEndpoints([`10.180.1.${i + 1}`]);
        w.loop.requestSync();
      });
    }
    w.net.scheduler.runUntil(10 * SEC);
    expect(w.loop.history.length - 1).toBe(3);
  });

  it('resyncs periodically: v1.12 every sync period, current only hourly', () => {
    const old = world('1.12');
    old.loop.start();
    old.net.scheduler.runUntil(95 * SEC);
    const starts = old.loop.history.map((h) => Math.round(h.start / SEC));
    expect(old.loop.history.map((h) => h.reason)).toEqual(['initial', 'periodic', 'periodic', 'periodic']);
    expect(starts[1]! - Math.round(old.loop.history[0]!.end / SEC)).toBe(30);
    const cur = world('current');
    cur.loop.start();
    cur.net.scheduler.runUntil(95 * SEC);
    expect(cur.loop.history.length).toBe(1);
  });

  it('v1.12: after iptables -t nat -F the service fails until the next periodic sync, then recovers', () => {
    const w = world('1.12');
    w.loop.start();
    w.net.scheduler.runUntil(1 * SEC);
    expect(probeOnce(w.net, '10.0.0.2', '172.30.0.10', 80).output).toBe('10.180.0.1:80');
    const flushedAt = w.net.now;
    runCommand(w.net, w.node, 'iptables -t nat -F');
    expect(probeOnce(w.net, '10.0.0.2', '172.30.0.10', 80, 40001).output).toBe('');
    const next = w.loop.history.length;
    w.net.scheduler.runUntil(flushedAt + 31 * SEC);
    const resync = w.loop.history[next]!;
    expect(resync.reason).toBe('periodic');
    // The outage lasted until the periodic sync completed: under the 30 s sync period.
    expect((resync.end - flushedAt) / SEC).toBeLessThan(30);
    expect(probeOnce(w.net, '10.0.0.2', '172.30.0.10', 80, 40002).output).toBe('10.180.0.1:80');
  });

  it('current: the canary monitor notices flushed and deleted chains and forces a full sync', () => {
    const w = world('current');
    w.loop.start();
    w.net.scheduler.runUntil(1 * SEC);
    const flushedAt = w.net.now;
    for (const t of ['mangle', 'nat', 'filter']) {
      runCommand(w.net, w.node, `iptables -t ${t} -F`);
      runCommand(w.net, w.node, `iptables -t ${t} -X`);
    }
    expect(probeOnce(w.net, '10.0.0.2', '172.30.0.10', 80, 40001).output).toBe('');
    const next = w.loop.history.length;
    w.net.scheduler.runUntil(flushedAt + 40 * SEC);
    const resync = w.loop.history[next]!;
    expect(resync.reason).toBe('canary');
    expect(resync.full).toBe(true);
    // The canary is polled every sync period (30 s) from the start.
    expect(resync.start).toBe(30 * SEC);
    expect(probeOnce(w.net, '10.0.0.2', '172.30.0.10', 80, 40002).output).toBe('10.180.0.1:80');
  });
});
