import { describe, expect, test } from 'vitest';
import { benchCluster } from './cluster.js';
import { netlinkCalls, programIpvs } from './ipvs-mode.js';
import { ipvsOf } from '../ipvs/ipvs.js';
import { buildServicePorts } from '../k8s/proxy/service-ports.js';
import { Network } from '../netns/network.js';
import { runBench } from './run.js';
import { renderBenchTable } from './table.js';
import type { BenchReport } from './types.js';

const SIZES = [100, 300];
const ENDPOINTS = 3;
let steps: string[] = [];
const report: BenchReport = runBench(
  { services: SIZES, endpoints: ENDPOINTS, nodes: 2, rateSeconds: 0.02, kernel: false, kernelConnections: 10, kernelTimeoutSeconds: 10 },
  (_s, _n, label) => steps.push(label),
);

describe('runBench (small, no kernel)', () => {
  test('one point per Service count, ascending, with the counts kube-proxy writes', () => {
    expect(report.points.map((p) => p.services)).toEqual(SIZES);
    for (const p of report.points) {
      // Per Service: KUBE-SERVICES jump, masquerade rule, one statistic jump per endpoint; per endpoint: mark + DNAT.
      expect(p.iptables.natRules).toBe(p.services * (2 + 3 * ENDPOINTS) + 5);
      expect(p.iptables.natChains).toBe(p.services * (1 + ENDPOINTS) + 4);
      expect(p.ipvs.virtualServices).toBe(p.services);
      expect(p.ipvs.realServers).toBe(p.services * ENDPOINTS);
      expect(p.ipvs.netlinkCalls).toBe(2 * p.services + p.services * ENDPOINTS);
      expect(p.ipvs.partialCalls).toBe(2); // one real server removed, one added
      expect(p.iptables.partialBytes).toBeLessThan(p.iptables.restoreBytes);
      expect(p.iptables.modelRestoreSeconds.nft).toBeGreaterThan(p.iptables.modelPartialSeconds.nft);
    }
  });

  test('iptables: rules walked grow with the Service’s position; IPVS: one hash lookup', () => {
    for (const p of report.points) {
      const [first, median, last] = p.iptables.positions;
      expect([first!.position, median!.position, last!.position]).toEqual(['first', 'median', 'last']);
      expect(last!.service).toBe(p.services - 1);
      // The walk passes one KUBE-SERVICES rule per Service before it.
      expect(last!.evaluated - first!.evaluated).toBeCloseTo(p.services - 1, -1);
      expect(median!.evaluated).toBeGreaterThan(first!.evaluated);
      expect(last!.evaluated).toBeGreaterThan(median!.evaluated);
      for (const v of p.ipvs.positions) expect(v.evaluated).toBe(1);
      for (const x of [...p.iptables.positions, ...p.ipvs.positions]) expect(x.compiled.perSecond).toBeGreaterThan(0);
      expect(last!.modelledNs).toBeCloseTo(last!.evaluated * report.calibration.nsPerRule, 6);
    }
  });

  test('without the kernel: default calibration, notes, no kernel figures, targets listed', () => {
    expect(report.calibration.source).toBe('default');
    expect(report.notes.join(' ')).toContain('Kernel measurements skipped');
    for (const p of report.points) {
      expect(p.kernelConnects).toEqual([]);
      expect(p.iptables.kernelRestore.every((k) => k.seconds === null)).toBe(true);
    }
    expect(report.targets.map((t) => t.target)).toEqual(['< 3 s', '< 2 GiB', '≥ 1 M/s each, within 2×', '≥ 1 M/s', 'within 2× of the kernel']);
    expect(report.targets[4]!.met).toBeNull();
    expect(report.endToEnd.rate.perSecond).toBeGreaterThan(0);
    expect(steps[steps.length - 1]).toBe('done');
  });

  test('the terminal table has the four sections and a row per position', () => {
    const t = renderBenchTable(report);
    for (const h of ['1. Rules generated', '2. Kernel time to program', '3. Per NEW connection', '4. dpsim end to end', 'Targets']) expect(t).toContain(h);
    expect(t.match(/^\d[\d,]* +(first|median|last) \(#/gm)).toHaveLength(SIZES.length * 3);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('programIpvs', () => {
  test('a second pass over the same view changes nothing; an endpoint change touches only its real servers', () => {
    const snap = benchCluster(20, 4, 2);
    const ipvs = ipvsOf(new Network(1).root);
    const known = new Set<number>();
    const first = programIpvs(ipvs, buildServicePorts(snap, 'node-0').ports, known);
    expect(netlinkCalls(first)).toBe(20 + 20 + 80);
    expect(netlinkCalls(programIpvs(ipvs, buildServicePorts(snap, 'node-0').ports, known))).toBe(0);
    const slices = snap.endpointSlices.slice();
    slices[3] = { ...slices[3]!, endpoints: slices[3]!.endpoints.slice(1) };
    const c = programIpvs(ipvs, buildServicePorts({ ...snap, endpointSlices: slices }, 'node-0').ports, known);
    expect(c).toEqual({ addresses: 0, services: 0, dests: 0, removedDests: 1, ipsetEntries: 0 });
  });
});

describe('benchCluster', () => {
  test('spreads endpoints over the nodes and refuses bad sizes', () => {
    const s = benchCluster(2, 5, 3);
    expect(s.endpointSlices[0]!.endpoints.map((e) => e.nodeName)).toEqual(['node-0', 'node-1', 'node-2', 'node-0', 'node-1']);
    expect(() => benchCluster(0, 1, 1)).toThrow(/services must be a positive integer/);
    expect(() => benchCluster(1, 1.5, 1)).toThrow(/endpoints/);
    expect(() => benchCluster(2_000_000, 10, 1)).toThrow(/do not fit/);
  });
});
