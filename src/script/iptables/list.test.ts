/**
 * `iptables -L` against transcripts recorded with iptables v1.8.9 in a fresh
 * `unshare --mount --net` namespace per flavour: `iptables-$V-restore -c < list.rules`, then
 * every listed command (`bash -x` style). The name-resolving listings were recorded with an
 * empty /etc/hosts bind-mounted over the machine's (the resolver dpsim models: none).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { testMachine, transcript } from '../ip/testing.js';

const data = (name: string): string => readFileSync(new URL(`../../iptables/testdata/${name}`, import.meta.url), 'utf8');

describe('iptables -L, as recorded', () => {
  for (const flavour of ['nft', 'legacy'] as const) {
    for (const file of [`list.${flavour}.txt`, `list-names.${flavour}.txt`]) {
      test(`${flavour}: ${file}`, () => {
        const m = testMachine(1, { 'list.rules': data('list.rules') });
        expect(m.run(`iptables-${flavour}-restore -c < list.rules`)).toBe('');
        const recorded = data(file);
        const script = recorded.split('\n').filter((l) => l.startsWith('+ ')).map((l) => l.slice(2)).join('\n');
        expect(transcript(m, script)).toBe(recorded);
      });
    }
  }
});
