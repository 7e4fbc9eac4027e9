/**
 * Every outcome of a scenario: the scenario is run once per path through the random branches
 * its probes' packets meet (xt_statistic), each with its exact probability; runs whose
 * captures are identical are one outcome (their probabilities add up).
 */
import { addFractions, exploreOutcomes, type Fraction } from '../sim/explore.js';
import { renderCapture } from './result.js';
import { runScenario, type RunOptions, type RunResult } from './run.js';

export interface ScenarioOutcome {
  result: RunResult;
  probability: Fraction;
}

/** Most runs an exploration may take (each is a whole scenario run). */
export const MAX_SCENARIO_PATHS = 256;

export function runScenarioOutcomes(text: string, opts: RunOptions, limit = MAX_SCENARIO_PATHS): ScenarioOutcome[] {
  const paths = exploreOutcomes((oracle) => runScenario(text, { ...opts, oracle }), limit);
  const byCapture = new Map<string, ScenarioOutcome>();
  for (const p of paths) {
    const key = renderCapture(p.result);
    const seen = byCapture.get(key);
    if (seen === undefined) byCapture.set(key, { result: p.result, probability: p.probability });
    else seen.probability = addFractions(seen.probability, p.probability);
  }
  return [...byCapture.values()];
}
