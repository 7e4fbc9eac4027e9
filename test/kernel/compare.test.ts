import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScenarioResult, Segment } from '../../src/script/result.js';
import {
  compareResults,
  CT_TIMEOUT_SLACK,
  lineDiff,
  normaliseOutput,
  reconcileConntrackTimeouts,
  renderComparison,
  sortConntrackListings,
  sortNeighbourRuns,
} from '../../src/verify/compare.js';
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

/** Every output segment of `r` with `f` applied (in place). */
function mapOutputs(r: ScenarioResult, f: (text: string) => string): ScenarioResult {
  for (const s of r.segments) if (s.kind === 'output') s.text = f(s.text);
  return r;
}

/** The conntrack entry lines of a text. */
const ctLines = (text: string): string[] => text.split('\n').filter((l) => /^tcp {6}6 \d+ /.test(l));

describe('conntrack listings and iptables-save dates in recorded kernel output', () => {
  // kp-clientip-affinity lists six TIME_WAIT entries (the summary first, as the harness's pipe
  // gets it) and then iptables-save -t nat.
  const k = recorded('kp-clientip-affinity');

  it('accepts the entries in any order, the summary before or after them, and another date', () => {
    const moved = mapOutputs(copy(k), (t) => {
      const entries = ctLines(t);
      if (entries.length === 0) return t;
      const summary = /^conntrack v.*shown\.$/m.exec(t)![0];
      const rest = t.split('\n').filter((l) => !entries.includes(l) && l !== summary);
      const at = rest.findIndex((l) => l.startsWith('# Generated'));
      rest.splice(at, 0, ...[...entries].reverse(), summary);
      return rest.join('\n').replace(/ on \w{3} \w{3} [ \d]\d [\d:]{8} \d{4}$/gm, ' on Thu Jan  1 00:01:40 1970');
    });
    const last = moved.segments.at(-1)!;
    if (last.kind !== 'output') throw new Error('kp-clientip-affinity ends with command output');
    expect(ctLines(last.text)).toHaveLength(6);
    expect(last.text).toMatch(/sport=40001 .*\n(?:.*\n)*conntrack v1\.4\.7 \(conntrack-tools\): 6 flow entries have been shown\.\n# Generated by iptables-save v1\.8\.9 \(nf_tables\) on Thu Jan {2}1 00:01:40 1970/);
    expect(compareResults(k, moved).ok).toBe(true);
  });

  it(`accepts seconds left within ${CT_TIMEOUT_SLACK} s of the kernel's and shows any further off`, () => {
    const near = mapOutputs(copy(k), (t) => t.replace(/^(tcp {6}6 )(\d+) /gm, (_, p: string, n: string) => `${p}${Number(n) - CT_TIMEOUT_SLACK} `));
    expect(compareResults(k, near).ok).toBe(true);
    const far = mapOutputs(copy(k), (t) => t.replace(/^(tcp {6}6 )(\d+) (.*sport=40004 )/m, (_, p: string, n: string, r: string) => `${p}${Number(n) + CT_TIMEOUT_SLACK + 1} ${r}`));
    const c = compareResults(k, far);
    expect(c.ok).toBe(false);
    expect(renderComparison(c)).toMatch(/^\+ tcp {6}6 \d+ TIME_WAIT src=10\.244\.3\.2 dst=10\.96\.0\.30 sport=40004 /m);
  });

  it('catches a wrong state, a wrong NAT tuple, a missing entry and a wrong count', () => {
    const mutations: [string, (t: string) => string][] = [
      ['state', (t) => t.replace(/TIME_WAIT(.*sport=40001 )/, 'CLOSE$1')],
      ['reply tuple', (t) => t.replace('src=10.244.2.2 dst=10.244.4.2 sport=8080 dport=40006', 'src=10.244.1.2 dst=10.244.4.2 sport=8080 dport=40006')],
      ['missing entry', (t) => t.replace(/^.*sport=40003 .*\n/m, '')],
      ['summary', (t) => t.replace('6 flow entries', '5 flow entries')],
      ['saved rule', (t) => t.replace('--every 2 --packet 0', '--every 2 --packet 1')],
    ];
    for (const [what, f] of mutations) expect(compareResults(k, mapOutputs(copy(k), f)).ok, what).toBe(false);
  });
});

describe('sortConntrackListings', () => {
  const entry = (sport: number, left: number): string =>
    `udp      17 ${left} src=10.0.0.1 dst=10.0.0.2 sport=${sport} dport=7 src=10.0.0.2 dst=10.0.0.1 sport=7 dport=${sport} mark=0 use=1`;
  const summary = 'conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.';

  it('puts each listing in one order (entries by everything but the seconds left, then the summary)', () => {
    expect(sortConntrackListings([summary, entry(3, 1), entry(1, 29), entry(2, 5), 'x'].join('\n'))).toBe(
      [entry(1, 29), entry(2, 5), entry(3, 1), summary, 'x'].join('\n'),
    );
    // entries without a summary (not a conntrack listing) are left alone
    expect(sortConntrackListings([entry(3, 1), entry(1, 29)].join('\n'))).toBe([entry(3, 1), entry(1, 29)].join('\n'));
  });

  it('gives every permutation of a listing, summary first or last, the same text (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1024, max: 65535 }), { minLength: 0, maxLength: 8 }),
        fc.integer({ min: 0, max: 120 }),
        fc.boolean(),
        fc.infiniteStream(fc.nat()),
        (ports, left, summaryFirst, randoms) => {
          const entries = ports.map((p) => entry(p, left));
          const shuffled = [...entries];
          const r = randoms[Symbol.iterator]();
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = r.next().value! % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          const text = ['before', ...(summaryFirst ? [summary, ...shuffled] : [...shuffled, summary]), 'after'].join('\n');
          const canonical = ['before', ...[...entries].sort(), summary, 'after'].join('\n');
          expect(sortConntrackListings(text)).toBe(canonical);
          expect(sortConntrackListings(sortConntrackListings(text))).toBe(canonical);
        },
      ),
    );
  });

  it('reconciles seconds left only for the same entry within the slack', () => {
    expect(reconcileConntrackTimeouts(entry(1, 100), entry(1, 100 - CT_TIMEOUT_SLACK))).toBe(entry(1, 100));
    expect(reconcileConntrackTimeouts(entry(1, 100), entry(1, 100 + CT_TIMEOUT_SLACK + 1))).toBe(entry(1, 100 + CT_TIMEOUT_SLACK + 1));
    expect(reconcileConntrackTimeouts(entry(1, 100), entry(2, 100))).toBe(entry(2, 100));
    // each kernel entry is used once
    expect(reconcileConntrackTimeouts(entry(1, 100), [entry(1, 99), entry(1, 101)].join('\n'))).toBe([entry(1, 100), entry(1, 101)].join('\n'));
  });

  it("replaces iptables-save's date only in its comment lines", () => {
    expect(normaliseOutput('# Generated by iptables-save v1.8.9 (nf_tables) on Wed Nov 25 14:17:41 2026\n*nat\n# Completed on Thu Jan  1 00:00:00 1970\n')).toBe(
      '# Generated by iptables-save v1.8.9 (nf_tables) on <date>\n*nat\n# Completed on <date>\n',
    );
    expect(normaliseOutput('-A X -m comment --comment "on Wed Nov 25 14:17:41 2026"\n')).toBe('-A X -m comment --comment "on Wed Nov 25 14:17:41 2026"\n');
  });
});

describe('lineDiff', () => {
  it('marks lines only in the first text with - and only in the second with +', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc')).toBe('  a\n+ x\n- b\n  c');
  });
});
