/**
 * The HTML report of a benchmark run: one self-contained page (inline CSS and SVG, no
 * scripts, no external resources) with the plots — rules, kernel programming time,
 * modelled and measured per-connection latency, dpsim's decisions per second, each against
 * the Service count, iptables beside IPVS — and the terminal tables underneath.
 */

import { modelledConnectionUs } from './calibration.js';
import { escapeXml, renderPlot, type Plot, type Series } from './svg.js';
import { renderBenchTable } from './table.js';
import type { BenchReport, Position, ScalePoint } from './types.js';

const C = { ipt: '#c0392b', iptFirst: '#e67e22', ipvs: '#2471a3', nft: '#7d3c98', legacy: '#117a65', interp: '#7f8c8d' };

const at = (p: ScalePoint, pos: Position) => p.iptables.positions.find((x) => x.position === pos) ?? p.iptables.positions[p.iptables.positions.length - 1]!;
const ipvsAt = (p: ScalePoint, pos: Position) => p.ipvs.positions.find((x) => x.position === pos) ?? p.ipvs.positions[p.ipvs.positions.length - 1]!;

/** The report's plots. */
export function benchPlots(r: BenchReport): Plot[] {
  const pts = r.points;
  const line = (name: string, colour: string, f: (p: ScalePoint) => number | null, style: Series['style'] = 'line'): Series => ({
    name,
    colour,
    style,
    points: pts.flatMap((p) => {
      const y = f(p);
      return y === null ? [] : [[p.services, y] as const];
    }),
  });
  const kernelRestore = (f: 'nft' | 'legacy') => (p: ScalePoint) => p.iptables.kernelRestore.find((k) => k.flavour === f)?.seconds ?? null;
  const kernelConnect = (f: 'nft' | 'legacy', pos: Position) => (p: ScalePoint) => p.kernelConnects.find((k) => k.flavour === f && k.position === pos)?.perConnectionUs ?? null;
  const cal = r.calibration;
  return [
    {
      id: 'rules',
      title: 'Kernel objects a first sync writes',
      xLabel: 'Services',
      yLabel: 'rules / entries',
      series: [
        line('iptables: nat rules', C.ipt, (p) => p.iptables.natRules),
        line('iptables: nat chains', C.iptFirst, (p) => p.iptables.natChains, 'dashed'),
        line('IPVS: virtual services + real servers', C.ipvs, (p) => p.ipvs.virtualServices + p.ipvs.realServers),
      ],
    },
    {
      id: 'program',
      title: 'Kernel time to program a first sync',
      xLabel: 'Services',
      yLabel: 'seconds',
      logY: true,
      series: [
        line('iptables-restore nft (model)', C.nft, (p) => p.iptables.modelRestoreSeconds.nft),
        line('iptables-restore nft (kernel)', C.nft, kernelRestore('nft'), 'markers'),
        line('iptables-restore legacy (model)', C.legacy, (p) => p.iptables.modelRestoreSeconds.legacy, 'dashed'),
        line('iptables-restore legacy (kernel)', C.legacy, kernelRestore('legacy'), 'markers'),
        line('IPVS netlink (model)', C.ipvs, (p) => p.ipvs.modelProgramSeconds),
      ],
    },
    {
      id: 'latency',
      title: 'Kernel time of a NEW connection',
      xLabel: 'Services',
      yLabel: 'µs per connection',
      series: [
        line('iptables, last Service (model)', C.ipt, (p) => modelledConnectionUs(cal, at(p, 'last').evaluated)),
        line(`iptables-${cal.flavour}, last Service (kernel)`, C.ipt, kernelConnect(cal.flavour, 'last'), 'markers'),
        line('iptables, first Service (model)', C.iptFirst, (p) => modelledConnectionUs(cal, at(p, 'first').evaluated), 'dashed'),
        line(`iptables-${cal.flavour}, first Service (kernel)`, C.iptFirst, kernelConnect(cal.flavour, 'first'), 'markers'),
        line('IPVS, any Service (model)', C.ipvs, (p) => cal.fixedUs + (cal.nsPerLookup * ipvsAt(p, 'last').evaluated) / 1000),
      ],
    },
    {
      id: 'evaluated',
      title: 'Rules the kernel evaluates per NEW connection',
      xLabel: 'Services',
      yLabel: 'rules / lookups',
      series: [
        line('iptables, last Service', C.ipt, (p) => at(p, 'last').evaluated),
        line('iptables, median Service', C.iptFirst, (p) => at(p, 'median').evaluated, 'dashed'),
        line('iptables, first Service', C.legacy, (p) => at(p, 'first').evaluated),
        line('IPVS, any Service (hash lookup)', C.ipvs, (p) => ipvsAt(p, 'last').evaluated),
      ],
    },
    {
      id: 'dpsim',
      title: 'dpsim decisions per second',
      xLabel: 'Services',
      yLabel: 'decisions / s',
      logY: true,
      series: [
        line('iptables compiled, first', C.iptFirst, (p) => at(p, 'first').compiled.perSecond, 'dashed'),
        line('iptables compiled, last', C.ipt, (p) => at(p, 'last').compiled.perSecond),
        line('iptables interpreted, last', C.interp, (p) => at(p, 'last').interpreted?.perSecond ?? null),
        line('IPVS, last', C.ipvs, (p) => ipvsAt(p, 'last').compiled.perSecond),
      ],
    },
  ];
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.plots { display: flex; flex-wrap: wrap; gap: 16px; }
svg.plot { background: #fff; border: 1px solid #ddd; border-radius: 4px; }
svg.plot .title { font-size: 14px; font-weight: 600; } svg.plot .tick, svg.plot .legend text { font-size: 11px; fill: #444; }
svg.plot .axis { font-size: 12px; fill: #333; } svg.plot .grid { stroke: #eee; } svg.plot .frame { fill: none; stroke: #999; }
pre { background: #f7f7f7; padding: 12px; overflow-x: auto; font-size: 12px; }
table.targets { border-collapse: collapse; } table.targets td, table.targets th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
.met { color: #1e8449; font-weight: 600; } .missed { color: #c0392b; font-weight: 600; } .na { color: #777; }
`;

/** The report page. */
export function renderBenchHtml(r: BenchReport): string {
  const m = r.machine;
  const plots = benchPlots(r).map(renderPlot).join('\n');
  const targets = r.targets
    .map((t) => {
      const cls = t.met === null ? 'na' : t.met ? 'met' : 'missed';
      return `<tr><td>${escapeXml(t.name)}</td><td>${escapeXml(t.value)}</td><td>${escapeXml(t.target)}</td><td class="${cls}">${t.met === null ? 'not measured' : t.met ? 'met' : 'missed'}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dpsim bench: iptables vs IPVS</title><style>${STYLE}</style></head>
<body>
<h1>dpsim bench: kube-proxy iptables mode vs IPVS mode</h1>
<p>${escapeXml(r.options.services.map((n) => n.toLocaleString('en-US')).join(' / '))} Services × ${r.options.endpoints} endpoints on ${r.options.nodes} nodes. ${escapeXml(r.date)}.<br>
Machine: ${escapeXml(`${m.cpus}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, Node ${m.node}, load average ${m.loadAverage.join(' ')}`)}.<br>
Per-connection model: ${escapeXml(`${r.calibration.fixedUs.toFixed(1)} µs + ${r.calibration.nsPerRule.toFixed(2)} ns per rule walked (${r.calibration.note})`)}.</p>
<h2>Plots</h2>
<div class="plots">
${plots}
</div>
<h2>Targets</h2>
<table class="targets"><tr><th>what</th><th>value</th><th>wanted</th><th></th></tr>
${targets}
</table>
<h2>Tables</h2>
<pre>${escapeXml(renderBenchTable(r))}</pre>
</body></html>
`;
}
