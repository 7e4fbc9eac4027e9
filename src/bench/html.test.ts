import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { benchPlots, renderBenchHtml } from './html.js';
import { runBench } from './run.js';
import type { BenchReport, KernelConnect } from './types.js';

/** A small real run, with kernel figures filled in by hand so every series has points. */
function sampleReport(): BenchReport {
  const r = runBench({ services: [50, 150, 300], endpoints: 2, nodes: 2, rateSeconds: 0.01, kernel: false, kernelConnections: 1, kernelTimeoutSeconds: 1 });
  return {
    ...r,
    points: r.points.map((p, i) => ({
      ...p,
      iptables: { ...p.iptables, kernelRestore: [{ flavour: 'nft', seconds: 0.5 * (i + 1), note: '' }, { flavour: 'legacy', seconds: 0.1 * (i + 1), note: '' }] },
      kernelConnects: (['nft', 'legacy'] as const).flatMap((flavour) =>
        p.iptables.positions.map(
          (x): KernelConnect => ({ flavour, position: x.position, service: x.service, clusterIP: x.clusterIP, evaluated: x.evaluated, connections: 100, seconds: 0.01, perConnectionUs: 80 + x.evaluated / 250 }),
        ),
      ),
    })),
    notes: [...r.notes, 'a note with <markup> & "quotes"'],
  };
}

const report = sampleReport();
const html = renderBenchHtml(report);
const PLOTS = ['rules', 'program', 'latency', 'evaluated', 'dpsim'];

describe('renderBenchHtml', () => {
  test('one self-contained page: no scripts, no external resources, text escaped', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|\b(?:src|href)\s*=|@import|url\(/i);
    expect(html).toContain('a note with &lt;markup&gt; &amp; &quot;quotes&quot;');
  });

  test('five plots, every series with a point per Service count', () => {
    expect(benchPlots(report).map((p) => p.id)).toEqual(PLOTS);
    for (const p of benchPlots(report)) for (const s of p.series) expect(s.points.map((x) => x[0])).toEqual([50, 150, 300]);
  });
});

// ---- headless Chromium (the pattern of src/trace/html.test.ts) ----

function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) return name;
  }
  return null;
}
const chromium = findChromium();
const ci = process.env.CI === 'true';
if (chromium === null && !ci) console.warn('bench/html.test.ts: skipping the headless-Chromium check: no `chromium` binary (apt-get install chromium); under CI=true it runs');

describe.skipIf(chromium === null && !ci)('in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dpsim-bench-html-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the page renders with its plots, their series and markers', () => {
    if (chromium === null) throw new Error('CI=true but no `chromium` binary: .ci/run installs the Debian package chromium');
    const file = join(dir, 'bench.html');
    writeFileSync(file, html);
    const r = spawnSync(
      chromium,
      ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, '--dump-dom', `file://${file}`],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 26 },
    );
    expect(r.status, r.stderr).toBe(0);
    const dom = r.stdout;
    // The DOM Chromium built: the plots are SVG elements it parsed, each with its series drawn.
    const plots = [...dom.matchAll(/<svg class="plot" data-plot="([^"]+)"[\s\S]*?<\/svg>/g)];
    expect(plots.map((m) => m[1])).toEqual(PLOTS);
    for (const [svg] of plots) {
      const series = [...svg.matchAll(/<g class="series" data-series="[^"]*" data-points="(\d+)">([\s\S]*?)<\/g>/g)];
      expect(series.length).toBeGreaterThanOrEqual(3);
      for (const s of series) {
        expect(Number(s[1])).toBe(3);
        expect((s[2]!.match(/class="marker"/g) ?? []).length).toBe(3);
      }
      expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+ L/);
    }
    expect(dom).toContain('<h1>dpsim bench: kube-proxy iptables mode vs IPVS mode</h1>');
  }, 90_000);
});
