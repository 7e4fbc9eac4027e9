/**
 * Fuzzing iptables-restore: mutations of a valid kube-proxy-shaped file (truncation, lost,
 * repeated and swapped lines, words replaced by or mixed with random tokens) never make
 * restore throw anything but NotModelled (what dpsim does not model), and never leave a
 * half-loaded table: after a failed run, iptables-save shows exactly what restoring the file
 * up to its last COMMIT before the failing line shows — every table committed earlier is
 * in, the failing table is as it was before.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NotModelled } from './errors.js';
import { restore } from './restore.js';
import { Xtables } from './ruleset.js';
import { saveXtables } from './save.js';

const kubeRules = readFileSync(new URL('./testdata/kube-proxy.rules', import.meta.url), 'utf8');
/** What the tables hold before each fuzzed run: every table exists (so a legacy table named by a failing file is not new). */
const BASE = `${kubeRules}*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff\nCOMMIT\n*raw\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n`;

const saveOf = (x: Xtables): string => saveXtables(x, { program: 'iptables-save', counters: false, table: null, date: null });
const run = (x: Xtables, text: string, noflush: boolean) => restore(x, text, { program: `iptables-${x.flavour}-restore`, noflush, counters: false, table: null });

function fresh(flavour: 'nft' | 'legacy'): Xtables {
  const x = new Xtables(flavour);
  expect(run(x, BASE, false)).toEqual({ output: '', status: 0 });
  return x;
}

/** Words iptables-restore files are made of, valid and not, to splice in. */
const TOKENS = [
  '-A', '-I', '-D', '-N', '-X', '-F', '-P', '-E', '-j', '-g', '-m', '-p', '-s', '-d', '-i', '!', 'tcp', 'udp', 'icmp', 'comment', '--comment', '"a b"', '"',
  'statistic', '--mode', 'random', '--probability', '0.5', '1.5', 'mark', '--mark', '0x4000/0x4000', '--dport', '80', '70000', '1:2:3', 'DNAT',
  '--to-destination', '10.0.0.1:8080', 'MASQUERADE', 'MARK', '--or-mark', 'RETURN', 'ACCEPT', 'DROP', 'REJECT', 'KUBE-SERVICES', 'KUBE-MARK-MASQ',
  'KUBE-NOPE', 'PREROUTING', 'OUTPUT', 'COMMIT', '*nat', '*filter', '*bogus', ':KUBE-NEW - [0:0]', ':INPUT DROP [1:2]', ':X', '[0:0]', '#', '\\', '10.0.0.0/33',
  '-t', 'nat', '--noflush', 'conntrack', '--ctstate', 'NEW,BOGUS', 'addrtype', '--dst-type', 'LOCAL', 'multiport', '--dports', '1,2', 'recent', '--set', '',
];

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'drop'; line: number }
  | { kind: 'repeat'; line: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'replace'; line: number; word: number; token: string }
  | { kind: 'insert'; line: number; word: number; token: string };

const arbToken = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 10 }), fc.stringMatching(/^-{1,2}[a-z-]{1,12}$/));
const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('repeat' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), line: fc.nat(), word: fc.nat(), token: arbToken }),
  fc.record({ kind: fc.constant('insert' as const), line: fc.nat(), word: fc.nat(), token: arbToken }),
);

function mutate(text: string, ms: Mutation[]): string {
  let lines = text.split('\n');
  for (const m of ms) {
    const n = lines.length;
    if (n === 0) break;
    switch (m.kind) {
      case 'truncate': {
        const all = lines.join('\n');
        lines = all.slice(0, m.at % (all.length + 1)).split('\n');
        break;
      }
      case 'drop':
        lines.splice(m.line % n, 1);
        break;
      case 'repeat':
        lines.splice(m.line % n, 0, lines[m.line % n]!);
        break;
      case 'swap': {
        const [a, b] = [m.a % n, m.b % n];
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        break;
      }
      case 'replace':
      case 'insert': {
        const words = lines[m.line % n]!.split(' ');
        const w = m.word % (words.length + 1);
        if (m.kind === 'replace' && w < words.length) words[w] = m.token;
        else words.splice(w, 0, m.token);
        lines[m.line % n] = words.join(' ');
        break;
      }
    }
  }
  return lines.join('\n');
}

/** The file up to (and with) its last COMMIT line before 1-based line `failed`. */
function committedPrefix(text: string, failed: number): string {
  const lines = text.split('\n');
  let last = 0;
  for (let i = 0; i < Math.min(failed - 1, lines.length); i++) if (lines[i]!.trim() === 'COMMIT' || /^COMMIT[ \t]/.test(lines[i]!.trim())) last = i + 1;
  return last === 0 ? '' : `${lines.slice(0, last).join('\n')}\n`;
}

describe('property: restore of fuzzed files', () => {
  test('never throws but NotModelled; a failed run leaves exactly the tables committed before the failing line', () => {
    let failed = 0;
    fc.assert(
      fc.property(fc.array(arbMutation, { minLength: 1, maxLength: 4 }), fc.constantFrom('nft' as const, 'legacy' as const), fc.boolean(), (ms, flavour, noflush) => {
        const text = mutate(kubeRules, ms);
        const x = fresh(flavour);
        let r;
        try {
          r = run(x, text, noflush);
        } catch (e) {
          expect(e).toBeInstanceOf(NotModelled);
          return;
        }
        expect(typeof r.output).toBe('string');
        if (r.status === 0) {
          expect(r.output).toBe('');
          return;
        }
        failed++;
        const m = /line:? (\d+)/.exec(r.output);
        expect(m, r.output).not.toBeNull();
        const expected = fresh(flavour);
        expect(run(expected, committedPrefix(text, Number(m![1])), noflush).status).toBe(0);
        expect(saveOf(x)).toBe(saveOf(expected));
      }),
      { numRuns: 600 },
    );
    // Most mutations do break the file.
    expect(failed).toBeGreaterThan(150);
  });

  test('random token files never throw but NotModelled and change nothing unless they commit', () => {
    fc.assert(
      fc.property(fc.array(fc.array(arbToken, { maxLength: 8 }).map((ws) => ws.join(' ')), { maxLength: 12 }), fc.constantFrom('nft' as const, 'legacy' as const), (lines, flavour) => {
        const text = lines.join('\n');
        const x = fresh(flavour);
        const before = saveOf(x);
        let r;
        try {
          r = run(x, text, false);
        } catch (e) {
          expect(e).toBeInstanceOf(NotModelled);
          return;
        }
        if (r.status !== 0 && !lines.some((l) => l.trim().startsWith('COMMIT'))) expect(saveOf(x)).toBe(before);
      }),
      { numRuns: 400 },
    );
  });
});
