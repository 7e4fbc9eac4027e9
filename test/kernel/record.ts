/**
 * Records the kernel's truth: runs scenarios on the real kernel and writes NAME.kernel.json
 * next to each NAME.sh.
 *
 *     npx tsx test/kernel/record.ts [--repeat N] [--jobs J] [NAME…]
 *
 * Without names it records every scenario. With --repeat N each scenario runs N times and
 * the recording is written only when all runs agree both ways (compare.ts), so a scenario
 * whose kernel outcome depends on timing is caught before it becomes truth.
 */
import { writeFile } from 'node:fs/promises';
import { renderCapture, type ScenarioResult } from '../../src/script/result.js';
import { compareResults, renderComparison } from '../../src/verify/compare.js';
import { mapPool } from './pool.js';
import { runOnKernel } from '../../src/verify/runner.js';
import { listScenarios, scenario, type Scenario } from './scenarios.js';

interface Args {
  names: string[];
  repeat: number;
  jobs: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { names: [], repeat: 1, jobs: 4 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--repeat') args.repeat = Number(argv[++i]);
    else if (a === '--jobs') args.jobs = Number(argv[++i]);
    else {
      const name = a.replace(/\.sh$/, '');
      args.names.push(/(^|\/)examples\//.test(name) ? `examples/${name.replace(/^.*\//, '')}` : name.replace(/^.*\//, ''));
    }
  }
  return args;
}

/** Runs `s` `repeat` times; the first result, or the differences between runs. */
async function recordOne(s: Scenario, repeat: number): Promise<{ result: ScenarioResult; unstable: string | null }> {
  const runs: ScenarioResult[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await runOnKernel(s.file));
  const first = runs[0]!;
  for (let i = 1; i < runs.length; i++) {
    for (const [a, b] of [[first, runs[i]!], [runs[i]!, first]] as const) {
      const c = compareResults(a, b, []);
      if (!c.ok) return { result: first, unstable: `run 1 and run ${i + 1} differ:\n${renderComparison(c)}` };
    }
  }
  return { result: first, unstable: null };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const chosen = args.names.length > 0 ? args.names.map(scenario) : listScenarios();
  const started = Date.now();
  let failed = 0;
  await mapPool(chosen, args.jobs, async (s) => {
    const t0 = Date.now();
    try {
      const { result, unstable } = await recordOne(s, args.repeat);
      if (unstable !== null) {
        failed++;
        console.log(`UNSTABLE ${s.name}: ${unstable}\n`);
        return;
      }
      await writeFile(s.recording, JSON.stringify(result, null, 2) + '\n');
      console.log(`recorded ${s.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      if (process.env.SHOW === '1') console.log(renderCapture(result));
    } catch (e) {
      failed++;
      console.log(`FAILED ${s.name}: ${(e as Error).message}`);
    }
  });
  console.log(`${chosen.length - failed} recorded, ${failed} failed, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
