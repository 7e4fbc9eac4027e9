/**
 * A traced request and its possible outcomes, and the renderers `dpsim trace` prints it
 * with. An outcome is one run of the request: the frames every device saw (as tcpdump
 * prints them) with the stack's explanations beneath each (route lookups, neighbour states,
 * bridge decisions, rule hits, conntrack, NAT, VXLAN), and how likely that run is.
 */
import type { TraceEvent } from '../sim/trace.js';
import { fractionText, fractionValue, type Fraction } from '../sim/explore.js';

export interface TraceOutcome {
  /** Exact probability when every outcome was explored; null for one sampled run. */
  probability: Fraction | null;
  /** One line: where the request ended up. */
  summary: string;
  events: TraceEvent[];
  pcapng: Uint8Array | null;
}

export interface TraceReport {
  title: string;
  /** Lines about the setting (proxy mode, seed …). */
  context: string[];
  /** What each namespace name in the trace is. */
  legend: (readonly [string, string])[];
  outcomes: TraceOutcome[];
}

export interface TextOptions {
  /** Show every frame of the exchange, not just up to the reply that completes the request. */
  allFrames: boolean;
}

function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(3)}ms`.padStart(11);
}

export function probabilityText(p: Fraction): string {
  const v = fractionValue(p);
  return `${fractionText(p)} ≈ ${v.toFixed(11)}`;
}

/** Index of the event after which the request is complete: the client's "connected" (or its last event). */
function requestEnd(events: readonly TraceEvent[], client: string): number {
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.kind === 'app' && e.where === client && (e.text === 'connected' || e.text.startsWith('connect:') || e.text.startsWith('got '))) return i;
  }
  return events.length - 1;
}

/** The text a user reads: the outcomes first, then each one hop by hop. */
export function renderReportText(r: TraceReport, client: string, opts: TextOptions): string {
  let out = `${r.title}\n`;
  for (const c of r.context) out += `${c}\n`;
  out += '\n';
  const width = Math.max(...r.legend.map(([n]) => n.length));
  for (const [name, what] of r.legend) out += `  ${name.padEnd(width)}  ${what}\n`;
  out += '\n';
  if (r.outcomes.length > 1 || r.outcomes[0]?.probability !== null) {
    out += `${r.outcomes.length} possible outcome${r.outcomes.length === 1 ? '' : 's'}:\n`;
    r.outcomes.forEach((o, i) => {
      out += `  #${i + 1}  p = ${o.probability === null ? '?' : probabilityText(o.probability)}  ${o.summary}\n`;
    });
  } else out += `outcome: ${r.outcomes[0]!.summary}\n`;
  r.outcomes.forEach((o, i) => {
    out += `\n── outcome #${i + 1}: ${o.summary}\n`;
    const start = o.events.length > 0 ? o.events[0]!.at : 0;
    const end = opts.allFrames ? o.events.length - 1 : requestEnd(o.events, client);
    for (let k = 0; k <= end && k < o.events.length; k++) {
      const e = o.events[k]!;
      if (e.kind === 'capture') out += `${ms(e.at - start)}  ${e.text}\n`;
      else out += `${' '.repeat(13)}↳ ${e.where}: ${e.text}\n`;
    }
    const rest = o.events.slice(end + 1).filter((e) => e.kind === 'capture').length;
    if (rest > 0) out += `${' '.repeat(13)}… ${rest} more frame${rest === 1 ? '' : 's'} as the connection closes (--all-frames shows them)\n`;
  });
  return out;
}

/** JSON: the report with probabilities as fraction and decimal, events as objects. */
export function renderReportJson(r: TraceReport): string {
  return (
    JSON.stringify(
      {
        title: r.title,
        context: r.context,
        legend: Object.fromEntries(r.legend),
        outcomes: r.outcomes.map((o) => ({
          summary: o.summary,
          probability: o.probability === null ? null : { fraction: fractionText(o.probability), value: fractionValue(o.probability) },
          events: o.events.map((e) => ({ at_ns: e.at, where: e.where, kind: e.kind, text: e.text })),
        })),
      },
      null,
      2,
    ) + '\n'
  );
}
