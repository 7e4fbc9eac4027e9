/**
 * The scenario corpus: test/kernel/scenarios/NAME.sh, each with its recorded kernel result
 * NAME.kernel.json beside it; and the user-facing examples/NAME.sh (named "examples/NAME"),
 * whose recordings live in test/kernel/examples/ so examples/ stays what users copy.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from '../../src/script/result.js';

/** The folder that holds the scenarios. */
export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
/** The project's examples, verified like the corpus. */
export const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const EXAMPLE_RECORDINGS = join(dirname(fileURLToPath(import.meta.url)), 'examples');
const EXAMPLE_PREFIX = 'examples/';

/** A scenario of the corpus. */
export interface Scenario {
  name: string;
  /** Path of NAME.sh. */
  file: string;
  /** Path of NAME.kernel.json (may not exist yet). */
  recording: string;
  /** The script's text. */
  text(): string;
}

/** Every scenario, by name. */
export function listScenarios(): Scenario[] {
  const names = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.sh')).sort().map((f) => f.slice(0, -3));
  return [...names(SCENARIO_DIR), ...names(EXAMPLES_DIR).map((n) => EXAMPLE_PREFIX + n)].map(scenario);
}

/** The scenario called `name`. */
export function scenario(name: string): Scenario {
  const example = name.startsWith(EXAMPLE_PREFIX);
  const base = example ? name.slice(EXAMPLE_PREFIX.length) : name;
  const file = join(example ? EXAMPLES_DIR : SCENARIO_DIR, `${base}.sh`);
  const recording = join(example ? EXAMPLE_RECORDINGS : SCENARIO_DIR, `${base}.kernel.json`);
  return { name, file, recording, text: () => readFileSync(file, 'utf8') };
}

/** The recorded kernel result of `s`, or null when it was never recorded. */
export function readRecording(s: Scenario): ScenarioResult | null {
  return existsSync(s.recording) ? (JSON.parse(readFileSync(s.recording, 'utf8')) as ScenarioResult) : null;
}
