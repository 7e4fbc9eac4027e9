import { describe, expect, it } from 'vitest';
import type { ScenarioResult, Segment } from '../../src/script/result.js';
import { compareResults, lineDiff, normaliseOutput, renderComparison, sortNeighbourRuns } from '../../src/verify/compare.js';
import type { CaptureGap } from '../../src/verify/capture-gaps.js';
import { readRecording, scenario } from './scenarios.js';

/** The kernel's recorded truth for a scenario (must exist: the corpus ships it). */
function recorded(name: string): ScenarioResult {
  const r = readRecording(scenario(name));
  if (r === null) throw new Error(`no recording for ${name}`);
  return r;
}

function copy(r: ScenarioResult): ScenarioResult {
  return JSON.parse(JSON.stringify(r)) as ScenarioResult;
}

function probe(r: ScenarioResult, index: number): Extract<Segment, { kind: 'probe' }> {
  const p = r.segments.find((s) => s.kind === 'probe' && s.index === index);
  if (p === undefined || p.kind !== 'probe') throw new Error(`no probe ${index}`);
  return p;
}

describe('compareResults on recorded kernel results', () => {
  it('accepts the kernel against itself', () => {
    const k = recorded('routing-loop-ttl-exceeded');
    expect(compareResults(k, copy(k)).ok).toBe(true);
  });

  it('catches a simulator that does not decrement TTL: no time exceeded, the loop never ends', () => {
    const k = recorded('routing-loop-ttl-exceeded');
    const wrong = copy(k);
    const block = probe(wrong, 1);
    // Without a TTL decrement the routers forward forever: the time-exceeded lines vanish and
    // (cut off somewhere) one more bounce of the echo request appears.
    block.lines = block.lines.filter((l) => !l.includes('time exceeded'));
    block.lines.push('r1 eth1 out icmp 10.0.1.1 > 10.9.9.9 echo request');
    const c = compareResults(k, wrong);
    expect(c.ok).toBe(false);
    const text = renderComparison(c);
    expect(text).toContain('probe 1 (line');
    expect(text).toContain('the kernel showed, dpsim did not:\n    r2 eth0 out icmp 10.0.12.2 > 10.0.1.1 time exceeded in-transit');
    expect(text).toContain('h1 eth0 in icmp 10.0.12.2 > 10.0.1.1 time exceeded in-transit');
    expect(text).toContain('dpsim showed, the kernel never did:\n    r1 eth1 out icmp 10.0.1.1 > 10.9.9.9 echo request');
  });

  it('treats a block as a multiset: order does not matter, counts do', () => {
    const k = recorded('veth-ping');
    const shuffled = copy(k);
    probe(shuffled, 1).lines.reverse();
    expect(compareResults(k, shuffled).ok).toBe(true);

    const doubled = copy(k);
    probe(doubled, 1).lines.push('h1 eth0 out icmp 10.0.0.1 > 10.0.0.2 echo request');
    const c = compareResults(k, doubled);
    expect(c.ok).toBe(false);
    expect(renderComparison(c)).toContain('dpsim showed, the kernel never did:\n    h1 eth0 out icmp 10.0.0.1 > 10.0.0.2 echo request');
  });

  it('catches a missing delayed ARP probe (dpsim must show everything the kernel did)', () => {
    const k = recorded('veth-ping');
    const wrong = copy(k);
    probe(wrong, 1).lines = probe(wrong, 1).lines.filter((l) => !l.includes('who-has 10.0.0.1 tell 10.0.0.2'));
    const c = compareResults(k, wrong);
    expect(c.ok).toBe(false);
    expect(c.differences[0]).toContain('h2 eth0 out arp who-has 10.0.0.1 tell 10.0.0.2');
  });

  it('excuses extra dpsim lines only when a capture gap matches them', () => {
    const k = recorded('veth-ping');
    const extra = copy(k);
    probe(extra, 1).lines.push('h2 eth0 out arp reply 10.0.0.9');
    const gap: CaptureGap = { name: 'test gap', why: 'test only', matches: (l) => l.endsWith('arp reply 10.0.0.9') };
    expect(compareResults(k, extra, []).ok).toBe(false);
    const c = compareResults(k, extra, [gap]);
    expect(c.ok).toBe(true);
    expect(c.excused).toEqual(['probe 1: h2 eth0 out arp reply 10.0.0.9 (test gap)']);
  });

  it('catches a different number of probes and a probe on another line', () => {
    const k = recorded('veth-ping-warm-cache');
    const fewer = copy(k);
    fewer.segments = fewer.segments.filter((s) => !(s.kind === 'probe' && s.index === 2));
    expect(renderComparison(compareResults(k, fewer))).toContain('the kernel ran 2 probes, dpsim 1');

    const moved = copy(k);
    probe(moved, 2).line += 1;
    expect(renderComparison(compareResults(k, moved))).toMatch(/probe 2 is on line \d+, dpsim's on line \d+/);
  });

  it('compares command output after normalising MACs and indexes, and shows a diff', () => {
    const k = recorded('veth-ping');
    const sameButRenamed = copy(k);
    for (const s of sameButRenamed.segments) {
      if (s.kind === 'output') s.text = s.text.replaceAll('02:00:00:00:02:01', '02:aa:bb:cc:dd:ee');
    }
    expect(compareResults(k, sameButRenamed).ok).toBe(true);

    const stale = copy(k);
    for (const s of stale.segments) if (s.kind === 'output') s.text = s.text.replace('REACHABLE', 'STALE');
    const c = compareResults(k, stale);
    expect(c.ok).toBe(false);
    expect(renderComparison(c)).toContain('output after probe 1 differs (- kernel, + dpsim):');
    expect(renderComparison(c)).toMatch(/^- 10\.0\.0\.2 dev eth0 lladdr <mac\d> REACHABLE $/m);
    expect(renderComparison(c)).toMatch(/^\+ 10\.0\.0\.2 dev eth0 lladdr <mac\d> STALE $/m);
  });
});

describe('normaliseOutput', () => {
  it('names MACs by first appearance and keeps broadcast', () => {
    const text = 'link/ether 02:00:00:00:01:01 brd ff:ff:ff:ff:ff:ff\nlladdr 0A:00:00:00:00:09\nlladdr 02:00:00:00:01:01\n';
    expect(normaliseOutput(text)).toBe('link/ether <mac1> brd ff:ff:ff:ff:ff:ff\nlladdr <mac2>\nlladdr <mac1>\n');
  });

  it('hides interface indexes, netns ids, lifetimes and neighbour counters', () => {
    expect(normaliseOutput('5: veth0@if4: <UP> mtu 1500\n    link/ether 02:00:00:00:00:01 link-netnsid 3\n')).toBe(
      'N: veth0@ifN: <UP> mtu 1500\n    link/ether <mac1> link-netnsid N\n',
    );
    expect(normaliseOutput('valid_lft 86391sec preferred_lft 86391sec\n')).toBe('valid_lft Nsec preferred_lft Nsec\n');
    expect(normaliseOutput('10.0.0.2 dev eth0 lladdr 02:00:00:00:00:02 used 3/3/1 probes 4 STALE\n')).toBe(
      '10.0.0.2 dev eth0 lladdr <mac1> used N/N/N probes N STALE\n',
    );
  });

  it("sorts runs of neighbour lines, whose order is the kernel's random hash order", () => {
    const a = '10.0.2.1 dev eth1 lladdr 02:00:00:00:02:01 REACHABLE \n10.0.1.1 dev eth0 lladdr 02:00:00:00:01:01 REACHABLE \nnet.ipv4.ip_forward = 1\n';
    expect(sortNeighbourRuns(a)).toBe(
      '10.0.1.1 dev eth0 lladdr 02:00:00:00:01:01 REACHABLE \n10.0.2.1 dev eth1 lladdr 02:00:00:00:02:01 REACHABLE \nnet.ipv4.ip_forward = 1\n',
    );
    expect(sortNeighbourRuns('10.0.0.99 dev eth0 FAILED \n10.0.0.2 dev eth0 lladdr 02:00:00:00:02:01 PERMANENT \n')).toBe(
      '10.0.0.2 dev eth0 lladdr 02:00:00:00:02:01 PERMANENT \n10.0.0.99 dev eth0 FAILED \n',
    );
  });
});

describe('lineDiff', () => {
  it('marks lines only in the first text with - and only in the second with +', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc')).toBe('  a\n+ x\n- b\n  c');
  });
});
