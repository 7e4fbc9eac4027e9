/**
 * What running a scenario produces, in the same shape whether dpsim ran it or the real
 * kernel did (test/kernel): the text the script's commands printed, and one capture block
 * per probe (../shared/CAPTURE.md), in script order.
 */
export type Segment =
  | {
      kind: 'output';
      /** What the script's commands printed (stdout and the tools' error messages), in order. */
      text: string;
    }
  | {
      kind: 'probe';
      /** Counts the probes of the script from 1. */
      index: number;
      /** Script line of the probe command. */
      line: number;
      /** Capture lines in the CAPTURE.md format, in causal order, without the "probe N" header. */
      lines: string[];
    };

export interface ScenarioResult {
  segments: Segment[];
}

/** Renders a result as `dpsim run --format capture` prints it: output text, and each probe as "probe N" plus its lines. */
export function renderCapture(result: ScenarioResult): string {
  let out = '';
  for (const s of result.segments) {
    if (s.kind === 'output') out += s.text;
    else out += `probe ${s.index}\n` + s.lines.map((l) => l + '\n').join('');
  }
  return out;
}
