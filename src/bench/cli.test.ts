import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { benchOptions } from '../cli/bench.js';
import { DEFAULT_OPTIONS, QUICK_OPTIONS } from './run.js';
import type { BenchReport } from './types.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dpsim-bench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `dpsim bench ARGS` through bench/scale.bench.ts (the same command registration main.ts uses). */
function dpsimBench(args: readonly string[]) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/scale.bench.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

describe('dpsim bench', () => {
  test('--quick runs in under 30 s and writes the table, JSON and HTML', () => {
    const json = join(dir, 'q.json');
    const html = join(dir, 'q.html');
    const r = dpsimBench(['--quick', '--no-kernel', '--json', json, '--html', html]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.seconds).toBeLessThan(30);
    expect(r.stdout).toContain('dpsim bench — 1,000 / 2,000 Services × 10 endpoints, 4 nodes');
    expect(r.stdout).toMatch(/^2,000 +last \(#2,000\) +2,0\d\d\.\d/m);
    // Without a terminal the progress goes to stderr line by line.
    expect(r.stderr).toContain('[1/7] end to end');
    const report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
    expect(report.tool).toBe('dpsim bench');
    expect(report.points.map((p) => p.services)).toEqual([1000, 2000]);
    expect(readFileSync(html, 'utf8')).toContain('<svg class="plot" data-plot="latency"');
  }, 120_000);

  test('bad input is a usage error naming the option and value', () => {
    const r = dpsimBench(['--services', '1000,abc']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`option '--services <list>' argument '1000,abc' is invalid. "abc" in "1000,abc" is not a positive integer.`);
    const e = dpsimBench(['--endpoints', '0']);
    expect(e.status).toBe(2);
    expect(e.stderr).toContain('--endpoints is a positive integer, not "0"');
  }, 60_000);

  test('options: --quick, explicit values win, --kernel turns the kernel on under --quick', () => {
    expect(benchOptions({})).toEqual(DEFAULT_OPTIONS);
    expect(benchOptions({ quick: true })).toEqual(QUICK_OPTIONS);
    expect(benchOptions({ quick: true, kernel: true }).kernel).toBe(true);
    expect(benchOptions({ services: [5, 7], endpoints: 3, nodes: 2, seconds: 0.5, kernelTimeout: 60 })).toEqual({
      ...DEFAULT_OPTIONS,
      services: [5, 7],
      endpoints: 3,
      nodes: 2,
      rateSeconds: 0.5,
      kernelTimeoutSeconds: 60,
    });
  });
});
