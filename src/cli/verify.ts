import { readFileSync } from 'node:fs';
import { compareResults, renderComparison } from '../verify/compare.js';
import { liveKernelStatus } from '../verify/live.js';
import { runOnKernel } from '../verify/runner.js';
import { runScenario } from '../script/run.js';
import type { ScenarioResult } from '../script/result.js';

function probeCount(r: ScenarioResult): number {
  return r.segments.filter((s) => s.kind === 'probe').length;
}

/**
 * `dpsim verify SCENARIO…`: runs each scenario on this machine's kernel (in a private mount and
 * network namespace) and through dpsim, and reports per probe whether dpsim showed every packet
 * the kernel did. Returns the exit status: 0 all agree, 1 a disagreement or scenario error, 2 cannot run.
 */
export async function verify(files: string[], write: (text: string) => void): Promise<number> {
  const live = liveKernelStatus();
  if (!live.ok) {
    write(`dpsim verify: cannot run scenarios on the kernel here: ${live.reason}\n`);
    return 2;
  }
  let status = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      write(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      status = Math.max(status, 2);
      continue;
    }
    let sim: ScenarioResult;
    try {
      sim = runScenario(text, { file });
    } catch (e) {
      write(`${(e as Error).message}\n`);
      status = Math.max(status, 1);
      continue;
    }
    const kernel = await runOnKernel(file);
    const c = compareResults(kernel, sim);
    const n = probeCount(kernel);
    const failing = new Set(c.differences.map((d) => /^probe (\d+)/.exec(d)?.[1]).filter((x) => x !== undefined));
    for (let i = 1; i <= n; i++) write(`${file}: probe ${i}: ${failing.has(String(i)) ? 'DIFFERS' : 'agrees'}\n`);
    if (c.ok) write(`${file}: dpsim agrees with the kernel${c.excused.length ? ` (excused by capture gaps: ${c.excused.length})` : ''}\n`);
    else {
      write(`${file}: dpsim DISAGREES with the kernel\n${renderComparison(c).replace(/^/gm, '  ')}\n`);
      status = Math.max(status, 1);
    }
  }
  return status;
}
