/**
 * iptables-restore's refusals against the real tools: every case in
 * testdata/restore-errors.json was recorded with iptables v1.8.9 in its own fresh
 * `unshare --mount --net` namespace as `iptables-$V-restore < FILE; echo rc=$?;
 * iptables-$V-save`: the message, the exit status, and what the tables hold afterwards.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { restore } from './restore.js';
import { Xtables } from './ruleset.js';
import { saveXtables } from './save.js';

interface Recorded {
  flavour: 'nft' | 'legacy';
  input: string;
  output: string;
  status: number;
  save: string;
}
const cases = JSON.parse(readFileSync(new URL('./testdata/restore-errors.json', import.meta.url), 'utf8')) as Recorded[];
const kubeRules = readFileSync(new URL('./testdata/kube-proxy.rules', import.meta.url), 'utf8');

const bodyOf = (x: Xtables): string => saveXtables(x, { program: 'iptables-save', counters: false, table: null, date: null });
const load = (x: Xtables, text: string, noflush = false) =>
  restore(x, text, { program: `iptables-${x.flavour}-restore`, noflush, counters: false, table: null });

describe('iptables-restore errors, as recorded', () => {
  for (const c of cases) {
    test(`${c.flavour}: ${JSON.stringify(c.input.split('\n').find((l) => l.startsWith('-A') || l.startsWith('*b') || l.startsWith(':INPUT F') || l === 'garbage') ?? c.input)}`, () => {
      const x = new Xtables(c.flavour);
      expect(load(x, c.input)).toEqual({ output: c.output, status: c.status });
      expect(bodyOf(x)).toBe(c.save);
    });
  }
});

describe('a failing restore leaves the rules it would have replaced untouched', () => {
  test.each(['nft', 'legacy'] as const)('%s: a kube-proxy ruleset survives a bad file, with and without --noflush', (flavour) => {
    const x = new Xtables(flavour);
    expect(load(x, kubeRules).status).toBe(0);
    const before = bodyOf(x);
    const bad = '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j KUBE-MARK-MASQ\n-A KUBE-SERVICES -m nosuchmatch -j ACCEPT\nCOMMIT\n';
    expect(load(x, bad).status).toBe(2);
    expect(load(x, bad, true).status).toBe(2);
    expect(bodyOf(x)).toBe(before);
  });

  test('property: any truncation or corruption of a good file never throws and never half-loads a table', () => {
    const lines = kubeRules.split('\n');
    fc.assert(
      fc.property(fc.nat(lines.length), fc.option(fc.string({ maxLength: 12 })), fc.constantFrom('nft' as const, 'legacy' as const), (cut, junk, flavour) => {
        const x = new Xtables(flavour);
        load(x, kubeRules);
        const before = new Map([...x.tables].map(([n, t]) => [n, t]));
        const text = [...lines.slice(0, cut), ...(junk === null ? [] : [junk])].join('\n');
        const r = load(x, text);
        // Each table is either the object that was there or a fully committed new one.
        for (const [name, t] of x.tables) {
          if (t === before.get(name)) continue;
          const committed = text.split('\n').reduce((n, l) => n + (l.trim() === 'COMMIT' ? 1 : 0), 0);
          expect(committed).toBeGreaterThan(0);
        }
        expect(typeof r.output).toBe('string');
      }),
      { numRuns: 200 },
    );
  });
});
