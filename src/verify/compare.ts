/**
 * The comparison: does dpsim's result of a scenario agree with the kernel's?
 *
 * Per probe, every capture line the kernel showed must be in dpsim's block (as a multiset:
 * tcpdump can miss packets, dpsim must not), and a dpsim line the kernel never showed is a
 * failure unless it is a known capture gap (capture-gaps.ts). The text the commands printed
 * is compared between the same probes after normalising what differs from run to run (MAC
 * addresses, interface indexes, timers and counters).
 */
import type { ScenarioResult, Segment } from '../script/result.js';
import { CAPTURE_GAPS, type CaptureGap } from './capture-gaps.js';

/** The verdict of a comparison and a readable account of every difference. */
export interface Comparison {
  ok: boolean;
  /** One paragraph per difference (a probe block or an output stretch). */
  differences: string[];
  /** Lines dpsim showed that the kernel did not, excused by a capture gap: "probe N: line (gap name)". */
  excused: string[];
}

/** Compares dpsim's result against the kernel's (the reference). */
export function compareResults(kernel: ScenarioResult, dpsim: ScenarioResult, gaps: readonly CaptureGap[] = CAPTURE_GAPS): Comparison {
  const differences: string[] = [];
  const excused: string[] = [];
  const kProbes = probes(kernel);
  const dProbes = probes(dpsim);
  if (kProbes.length !== dProbes.length) {
    differences.push(`the kernel ran ${kProbes.length} probes, dpsim ${dProbes.length}`);
  }
  for (let i = 0; i < Math.min(kProbes.length, dProbes.length); i++) {
    const d = compareProbe(kProbes[i]!, dProbes[i]!, gaps, excused);
    if (d !== null) differences.push(d);
  }
  const kOut = outputsByPosition(kernel, new MacNames());
  const dOut = outputsByPosition(dpsim, new MacNames());
  for (let pos = 0; pos < Math.max(kOut.length, dOut.length); pos++) {
    const k = kOut[pos] ?? '';
    const d = reconcileConntrackTimeouts(k, dOut[pos] ?? '');
    if (k !== d) {
      const where = pos === 0 ? 'before probe 1' : `after probe ${pos}`;
      differences.push(`output ${where} differs (- kernel, + dpsim):\n${lineDiff(k, d)}`);
    }
  }
  return { ok: differences.length === 0, differences, excused };
}

/** The whole comparison as text, for a failing test's message. */
export function renderComparison(c: Comparison): string {
  if (c.ok) return 'dpsim agrees with the kernel' + (c.excused.length ? ` (excused: ${c.excused.join('; ')})` : '');
  return c.differences.join('\n\n');
}

type ProbeSegment = Extract<Segment, { kind: 'probe' }>;

function probes(r: ScenarioResult): ProbeSegment[] {
  return r.segments.filter((s): s is ProbeSegment => s.kind === 'probe');
}

/** Removes one occurrence of each of `remove` from `from` (multiset difference). */
function multisetMinus(from: readonly string[], remove: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of remove) counts.set(l, (counts.get(l) ?? 0) + 1);
  const left: string[] = [];
  for (const l of from) {
    const c = counts.get(l) ?? 0;
    if (c > 0) counts.set(l, c - 1);
    else left.push(l);
  }
  return left;
}

function compareProbe(k: ProbeSegment, d: ProbeSegment, gaps: readonly CaptureGap[], excused: string[]): string | null {
  const problems: string[] = [];
  if (k.line !== d.line) problems.push(`  the kernel's probe ${k.index} is on line ${k.line}, dpsim's on line ${d.line}`);
  const missing = multisetMinus(k.lines, d.lines);
  const extra: string[] = [];
  for (const line of multisetMinus(d.lines, k.lines)) {
    const gap = gaps.find((g) => g.matches(line));
    if (gap !== undefined) excused.push(`probe ${k.index}: ${line} (${gap.name})`);
    else extra.push(line);
  }
  if (missing.length > 0) problems.push(`  the kernel showed, dpsim did not:\n${indent(missing, '    ')}`);
  if (extra.length > 0) problems.push(`  dpsim showed, the kernel never did:\n${indent(extra, '    ')}`);
  if (problems.length === 0) return null;
  return (
    `probe ${k.index} (line ${k.line}) differs:\n${problems.join('\n')}\n` +
    `  kernel block:\n${indent(k.lines, '    ')}\n  dpsim block:\n${indent(d.lines, '    ')}`
  );
}

function indent(lines: readonly string[], prefix: string): string {
  return lines.length === 0 ? `${prefix}(nothing)` : lines.map((l) => prefix + l).join('\n');
}

/** The commands' output between probes: index 0 before probe 1, index N after probe N; normalised. */
function outputsByPosition(r: ScenarioResult, macs: MacNames): string[] {
  const out: string[] = [''];
  for (const s of r.segments) {
    if (s.kind === 'probe') out.push('');
    else out[out.length - 1] += normaliseOutput(s.text, macs);
  }
  return out;
}

/** Names MAC addresses by order of first appearance (`<mac1>`, `<mac2>` …); broadcast and zero stay. */
export class MacNames {
  private readonly names = new Map<string, string>();

  /** The placeholder for `mac`. */
  name(mac: string): string {
    const m = mac.toLowerCase();
    if (m === 'ff:ff:ff:ff:ff:ff' || m === '00:00:00:00:00:00') return m;
    let n = this.names.get(m);
    if (n === undefined) {
      n = `<mac${this.names.size + 1}>`;
      this.names.set(m, n);
    }
    return n;
  }
}

const NEIGH_LINE = /^\d+\.\d+\.\d+\.\d+ (?:dev \S+ )?(?:lladdr \S+ )?(?:router )?(?:proxy )?(?:used \S+ probes \d+ )?(?:PERMANENT|NOARP|REACHABLE|STALE|DELAY|PROBE|FAILED|INCOMPLETE|NONE)\s*$/;

/**
 * The text with each run of consecutive `ip neigh show` lines sorted: the kernel lists
 * neighbours in the order of a hash table seeded at random, so that order means nothing.
 */
export function sortNeighbourRuns(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && NEIGH_LINE.test(lines[j]!)) j++;
    if (j - i > 1) lines.splice(i, j - i, ...lines.slice(i, j).sort());
    i = j > i ? j : i + 1;
  }
  return lines.join('\n');
}

/** A `conntrack -L|-D` entry line (conntrack-tools' default output, or `-o extended`): protocol, number, seconds left. */
const CT_ENTRY = /^((?:ipv4 {5}2 )?[a-z]+ +\d+ )(\d+) (.*)$/;
/** conntrack-tools' summary, which it writes to stderr. */
const CT_SUMMARY = /^conntrack v[\d.]+ \(conntrack-tools\): \d+ flow entries have been (?:shown|deleted)\.$/;

/** An entry line without its seconds-left field: what must agree exactly. */
function conntrackKey(line: string): string {
  return line.replace(CT_ENTRY, '$1<t> $3');
}

/**
 * The text with each `conntrack -L|-D` listing put in one order: its entry lines sorted
 * (ignoring the seconds left), then the summary line. The kernel lists entries in hash-bucket
 * order, seeded at random per boot, and conntrack-tools writes the summary to stderr, which
 * reaches the harness's pipe before the buffered entries on stdout (a terminal shows it last):
 * neither order says anything about the connection table.
 */
export function sortConntrackListings(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    const summaryFirst = CT_SUMMARY.test(lines[i]!);
    let j = summaryFirst ? i + 1 : i;
    while (j < lines.length && CT_ENTRY.test(lines[j]!)) j++;
    const entries = lines.slice(summaryFirst ? i + 1 : i, j);
    let summary: string | undefined;
    if (summaryFirst) summary = lines[i];
    else if (j < lines.length && CT_SUMMARY.test(lines[j]!)) summary = lines[j++];
    if (summary === undefined) {
      out.push(...entries);
      if (j === i) out.push(lines[j++]!);
      i = j;
      continue;
    }
    entries.sort((a, b) => {
      const ka = conntrackKey(a);
      const kb = conntrackKey(b);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    out.push(...entries, summary);
    i = j;
  }
  return out.join('\n');
}

/** How far (s) dpsim's seconds left of a conntrack entry may be from the kernel's: the kernel run's timing wobbles. */
export const CT_TIMEOUT_SLACK = 2;

/**
 * dpsim's output with the seconds left of each conntrack entry replaced by the kernel's, where
 * the kernel's output has the same entry (everything else equal) within CT_TIMEOUT_SLACK
 * seconds: the kernel's listing runs a little after its probe ends (polling, process start),
 * dpsim's exactly 6 s after the last packet. A timeout further off stays and shows in the diff.
 */
export function reconcileConntrackTimeouts(kernel: string, dpsim: string): string {
  const available = new Map<string, number[]>();
  for (const line of kernel.split('\n')) {
    const m = CT_ENTRY.exec(line);
    if (m === null) continue;
    const key = conntrackKey(line);
    const list = available.get(key) ?? [];
    list.push(Number(m[2]));
    available.set(key, list);
  }
  if (available.size === 0) return dpsim;
  return dpsim
    .split('\n')
    .map((line) => {
      const m = CT_ENTRY.exec(line);
      if (m === null) return line;
      const list = available.get(conntrackKey(line));
      const mine = Number(m[2]);
      const at = list?.findIndex((t) => Math.abs(t - mine) <= CT_TIMEOUT_SLACK) ?? -1;
      if (list === undefined || at < 0) return line;
      const [theirs] = list.splice(at, 1);
      return `${m[1]}${theirs} ${m[3]}`;
    })
    .join('\n');
}

/**
 * Command output with what differs between runs made equal: runs of neighbour lines sorted,
 * conntrack listings sorted, then placeholders for MAC addresses, interface indexes
 * (`5: veth0@if4:`), netns ids, address lifetimes, cache expiry, neighbour `used`/`probes`
 * counters, and the date in iptables-save's `# Generated by` and `# Completed on` lines.
 */
export function normaliseOutput(text: string, macs: MacNames = new MacNames()): string {
  return sortConntrackListings(sortNeighbourRuns(text))
    .replace(/^(# (?:Generated by .*|Completed)) on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/gm, '$1 on <date>')
    .replace(/\b[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}\b/g, (m) => macs.name(m))
    .replace(/^\d+: /gm, 'N: ')
    .replace(/@if\d+\b/g, '@ifN')
    .replace(/\blink-netnsid \d+/g, 'link-netnsid N')
    .replace(/\b(valid_lft|preferred_lft|expires|age) \d+sec\b/g, '$1 Nsec')
    .replace(/\bused \d+\/\d+\/\d+/g, 'used N/N/N')
    .replace(/\bprobes \d+/g, 'probes N');
}

/** A line diff of two texts (longest common subsequence): ` ` same, `-` only in a, `+` only in b. */
export function lineDiff(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      out.push(`  ${x[i]}`);
      i++;
      j++;
    } else if (j < y.length && (i === x.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) out.push(`+ ${y[j++]}`);
    else out.push(`- ${x[i++]}`);
  }
  return out.join('\n');
}
