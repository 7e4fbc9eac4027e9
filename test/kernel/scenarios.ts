/** The scenario corpus: test/kernel/scenarios/NAME.sh, each with its recorded kernel result NAME.kernel.json. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from '../../src/script/result.js';

/** The folder that holds the scenarios. */
export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

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
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.sh'))
    .sort()
    .map((f) => scenario(f.slice(0, -3)));
}

/** The scenario called `name`. */
export function scenario(name: string): Scenario {
  const file = join(SCENARIO_DIR, `${name}.sh`);
  return { name, file, recording: join(SCENARIO_DIR, `${name}.kernel.json`), text: () => readFileSync(file, 'utf8') };
}

/** The recorded kernel result of `s`, or null when it was never recorded. */
export function readRecording(s: Scenario): ScenarioResult | null {
  return existsSync(s.recording) ? (JSON.parse(readFileSync(s.recording, 'utf8')) as ScenarioResult) : null;
}
