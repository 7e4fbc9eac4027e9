/** The terminal rendering of a BenchReport: four tables (one per question), the targets and notes. */

import { modelledConnectionUs } from './calibration.js';
import type { BenchReport, Position, Rate } from './types.js';

/** Columns padded to their widest cell; numbers right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => /^[-\d.,×≈<>~ ]*[\d.,]*( ?[a-zA-Z/µ%]+)?$|^—$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

/** "1,234" with `d` decimals. */
export function num(x: number, d = 0): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

/** A rate as "1.23 M/s", "45.6 k/s" or "789 /s". */
export function rate(r: Rate | null): string {
  if (r === null) return '—';
  const x = r.perSecond;
  return x >= 1e6 ? `${num(x / 1e6, 2)} M/s` : x >= 1e4 ? `${num(x / 1e3, 1)} k/s` : `${num(x)} /s`;
}

const seconds = (s: number | null): string =>
  s === null ? '—' : s >= 10 ? `${num(s, 1)} s` : s >= 0.1 ? `${num(s, 2)} s` : s >= 1e-3 ? `${num(s * 1000, 1)} ms` : `${num(s * 1e6)} µs`;

/** The whole report as terminal text. */
export function renderBenchTable(r: BenchReport): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`dpsim bench — ${r.options.services.map((n) => num(n)).join(' / ')} Services × ${r.options.endpoints} endpoints, ${r.options.nodes} nodes`);
  out.push(`machine: ${m.cpus}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, Node ${m.node}, load ${m.loadAverage.join(' ')}; ${r.date}\n`);

  out.push('1. Rules generated and loaded (dpsim)');
  out.push(
    textTable(
      ['services', 'nat rules', 'restore text', 'generate', 'load', 'compile', 'first sync', 'heap', '1-endpoint change', 'IPVS services/reals', 'IPVS sync', 'IPVS change'],
      r.points.map((p) => [
        num(p.services),
        num(p.iptables.natRules),
        `${num(p.iptables.restoreBytes / 1e6, 1)} MB`,
        `${num(p.iptables.generateMs)} ms`,
        `${num(p.iptables.loadMs)} ms`,
        `${num(p.iptables.compileMs)} ms`,
        `${num(p.iptables.firstSyncMs / 1000, 2)} s`,
        `${num(p.iptables.heapMiB)} MiB`,
        `${num(p.iptables.partialMs, 1)} ms`,
        `${num(p.ipvs.virtualServices)}/${num(p.ipvs.realServers)}`,
        `${num(p.ipvs.firstSyncMs)} ms`,
        `${num(p.ipvs.partialMs, 1)} ms`,
      ]),
    ),
  );

  out.push('2. Kernel time to program them (model, and measured in a private namespace)');
  const restore = (p: BenchReport['points'][number], f: 'nft' | 'legacy') => p.iptables.kernelRestore.find((k) => k.flavour === f)?.seconds ?? null;
  out.push(
    textTable(
      ['services', 'nft model', 'nft kernel', 'legacy model', 'legacy kernel', 'change (nft model)', 'IPVS netlink calls', 'IPVS model', 'IPVS change'],
      r.points.map((p) => [
        num(p.services),
        seconds(p.iptables.modelRestoreSeconds.nft),
        seconds(restore(p, 'nft')),
        seconds(p.iptables.modelRestoreSeconds.legacy),
        seconds(restore(p, 'legacy')),
        seconds(p.iptables.modelPartialSeconds.nft),
        num(p.ipvs.netlinkCalls),
        seconds(p.ipvs.modelProgramSeconds),
        seconds(p.ipvs.modelPartialSeconds),
      ]),
    ),
  );

  const c = r.calibration;
  out.push(`3. Per NEW connection (model: ${num(c.fixedUs, 1)} µs + ${num(c.nsPerRule, 2)} ns/rule, ${c.source === 'measured' ? `fitted to iptables-${c.flavour} here` : 'default'})`);
  const rows: string[][] = [];
  for (const p of r.points) {
    for (const ip of p.iptables.positions) {
      const v = p.ipvs.positions.find((x) => x.position === ip.position);
      const k = (f: 'nft' | 'legacy') => p.kernelConnects.find((x) => x.flavour === f && x.position === ip.position);
      const kn = k('nft');
      const kl = k('legacy');
      rows.push([
        num(p.services),
        `${ip.position} (#${num(ip.service + 1)})`,
        num(ip.evaluated, 1),
        `${num(modelledConnectionUs(c, ip.evaluated), 1)} µs`,
        kn === undefined ? '—' : `${num(kn.perConnectionUs, 1)} µs`,
        kl === undefined ? '—' : `${num(kl.perConnectionUs, 1)} µs`,
        rate(ip.compiled),
        rate(ip.interpreted),
        v === undefined ? '—' : num(v.evaluated),
        v === undefined ? '—' : rate(v.compiled),
      ]);
    }
  }
  out.push(textTable(['services', 'Service', 'iptables rules', 'kernel model', 'kernel nft', 'kernel legacy', 'dpsim compiled', 'dpsim interpreted', 'IPVS lookups', 'dpsim IPVS'], rows));

  out.push(`4. dpsim end to end: ${rate(r.endToEnd.rate).replace('/s', 'packets/s')} (${r.endToEnd.path})\n`);

  out.push('Targets');
  out.push(textTable(['target', 'value', 'wanted', 'met'], r.targets.map((t) => [t.name, t.value, t.target, t.met === null ? 'n/a' : t.met ? 'yes' : 'NO'])));
  for (const n of [...r.notes, `Calibration: ${c.note}.`, `IPVS programming: ${c.netlinkSource}.`]) out.push(`note: ${n}`);
  for (const p of r.points) if (p.kernelConnectNote !== '' && p.kernelConnectNote !== 'kernel measurements off' && r.calibration.source === 'measured') out.push(`note: ${num(p.services)} services: ${p.kernelConnectNote}`);
  return out.join('\n') + '\n';
}

/** The positions in report order. */
export const POSITIONS: readonly Position[] = ['first', 'median', 'last'];
