import type { RunResult } from '../script/run.js';

function ms(ns: number): string {
  return (ns / 1e6).toFixed(3).padStart(10);
}

/** `--format text`: the output, and each probe's lines with the time and, indented beneath, why. */
export function renderText(result: RunResult): string {
  let out = '';
  let probe = 0;
  for (const s of result.segments) {
    if (s.kind === 'output') {
      out += s.text;
      continue;
    }
    const d = result.probes[probe++]!;
    out += `probe ${d.index}    (line ${d.line}: ${d.command})\n`;
    for (const w of d.before) out += `              ↳ ${w}\n`;
    for (const l of d.lines) {
      out += `${ms(l.at)}ms  ${l.line}\n`;
      for (const w of l.why) out += `              ↳ ${w}\n`;
    }
  }
  return out;
}

/** `--format json`: one object per line of output: output segments and probes with their lines and decisions. */
export function renderJson(result: RunResult): string {
  let out = '';
  let probe = 0;
  for (const s of result.segments) {
    if (s.kind === 'output') {
      out += JSON.stringify({ output: s.text }) + '\n';
      continue;
    }
    const d = result.probes[probe++]!;
    out +=
      JSON.stringify({
        probe: d.index,
        line: d.line,
        command: d.command,
        notes: d.before,
        lines: d.lines.map((l) => ({ at_ns: l.at, line: l.line, why: l.why })),
      }) + '\n';
  }
  return out;
}
