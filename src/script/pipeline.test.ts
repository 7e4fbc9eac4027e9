import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ScriptError } from './context.js';
import { applyFilter, grepText, headText, parseFilter, posixToJs, sortText, splitLines, tailText, wcLines, type Filter } from './pipeline.js';
import { runScenario } from './run.js';
import { renderCapture } from './result.js';

const filter = (line: string): Filter => parseFilter(line.split(' '), 's.sh', 1);
const run = (line: string, text: string): string => applyFilter(filter(line), text);

/** Text made of a few lines over a small alphabet, sometimes without a final newline. */
const textArb = fc
  .array(fc.stringMatching(/^[abAB.*^$ KUBE\-[\]]{0,8}$/), { maxLength: 12 })
  .chain((lines) => fc.boolean().map((end) => lines.join('\n') + (end && lines.length > 0 ? '\n' : '')));

describe('the filters print what GNU grep, head, tail, wc and sort print', () => {
  const rules = '-P PREROUTING ACCEPT\n-N KUBE-SERVICES\n-N KUBE-SVC-ABC\n-A PREROUTING -j KUBE-SERVICES\n-A KUBE-SERVICES -j KUBE-SVC-ABC\n-A OUTPUT -j DOCKER';

  test.each<[string, string]>([
    ['grep KUBE', '-N KUBE-SERVICES\n-N KUBE-SVC-ABC\n-A PREROUTING -j KUBE-SERVICES\n-A KUBE-SERVICES -j KUBE-SVC-ABC\n'],
    ['grep -c KUBE', '4\n'],
    ['grep -vc KUBE', '2\n'],
    ['grep -v KUBE', '-P PREROUTING ACCEPT\n-A OUTPUT -j DOCKER\n'],
    ['grep -i docker', '-A OUTPUT -j DOCKER\n'],
    ['grep ^-A', '-A PREROUTING -j KUBE-SERVICES\n-A KUBE-SERVICES -j KUBE-SVC-ABC\n-A OUTPUT -j DOCKER\n'],
    ['grep -E SVC-[A-Z]{3}$', '-N KUBE-SVC-ABC\n-A KUBE-SERVICES -j KUBE-SVC-ABC\n'],
    ['grep SVC-[A-Z]\\{3\\}$', '-N KUBE-SVC-ABC\n-A KUBE-SERVICES -j KUBE-SVC-ABC\n'],
    ['grep -E (OUTPUT|ACCEPT)', '-P PREROUTING ACCEPT\n-A OUTPUT -j DOCKER\n'],
    ['grep -e -N', '-N KUBE-SERVICES\n-N KUBE-SVC-ABC\n'],
    ['grep NOPE', ''],
    ['head -n 2', '-P PREROUTING ACCEPT\n-N KUBE-SERVICES\n'],
    ['head -2', '-P PREROUTING ACCEPT\n-N KUBE-SERVICES\n'],
    ['head -n -5', '-P PREROUTING ACCEPT\n'],
    ['head -n 99', rules],
    ['tail -n 1', '-A OUTPUT -j DOCKER'],
    ['tail -n +6', '-A OUTPUT -j DOCKER'],
    ['tail -2', '-A KUBE-SERVICES -j KUBE-SVC-ABC\n-A OUTPUT -j DOCKER'],
    ['wc -l', '5\n'],
    ['sort', '-A KUBE-SERVICES -j KUBE-SVC-ABC\n-A OUTPUT -j DOCKER\n-A PREROUTING -j KUBE-SERVICES\n-N KUBE-SERVICES\n-N KUBE-SVC-ABC\n-P PREROUTING ACCEPT\n'],
    ['sort -r', '-P PREROUTING ACCEPT\n-N KUBE-SVC-ABC\n-N KUBE-SERVICES\n-A PREROUTING -j KUBE-SERVICES\n-A OUTPUT -j DOCKER\n-A KUBE-SERVICES -j KUBE-SVC-ABC\n'],
  ])('%s', (line, expected) => {
    expect(run(line, rules)).toBe(expected);
  });

  test('defaults: ten lines for head and tail', () => {
    const text = Array.from({ length: 15 }, (_, i) => `${i + 1}\n`).join('');
    expect(run('head', text)).toBe(splitLines(text).slice(0, 10).join(''));
    expect(run('tail', text)).toBe(splitLines(text).slice(5).join(''));
  });

  test('BRE and ERE operators', () => {
    const m = (pattern: string, ere: boolean, line: string): boolean => new RegExp(posixToJs(pattern, ere)).test(line);
    expect(m('a+', false, 'a+')).toBe(true);
    expect(m('a+', false, 'aa')).toBe(false);
    expect(m('a\\+', false, 'aa')).toBe(true);
    expect(m('*a', false, '*a')).toBe(true);
    expect(m('a^b', false, 'a^b')).toBe(true);
    expect(m('a$b', false, 'a$b')).toBe(true);
    expect(m('\\(ab\\)\\1', false, 'abab')).toBe(true);
    expect(m('a{', true, 'a{')).toBe(true);
    expect(m('[[:digit:]]\\.[0-9]', false, 'v1.2')).toBe(true);
    expect(m('[]a]', false, ']')).toBe(true);
    expect(m('[^]a]', false, ']')).toBe(false);
    expect(m('\\<KUBE', false, 'x KUBE')).toBe(true);
    expect(m('\\<KUBE', false, 'xKUBE')).toBe(false);
    expect(m('10.96.0.1\\b', false, '10.96.0.10')).toBe(false);
    expect(m('^^a', false, '^a')).toBe(true);
    expect(m('^^a', false, 'a')).toBe(false);
    expect(m('^*$', true, '-')).toBe(true);
    expect(m('a**', true, 'b')).toBe(true);
    expect(m('a{,2}b', true, 'aab')).toBe(true);
    expect(() => posixToJs('a{}', true)).toThrow('invalid content of \\{\\}');
    expect(() => posixToJs('a\\', false)).toThrow('trailing backslash');
  });
});

describe('properties', () => {
  test('head -n N is the prefix of the text with min(N, lines) lines', () => {
    fc.assert(
      fc.property(textArb, fc.nat(20), (text, n) => {
        const out = headText(text, n);
        expect(text.startsWith(out)).toBe(true);
        expect(splitLines(out)).toHaveLength(Math.min(n, splitLines(text).length));
      }),
    );
  });

  test('tail -n N is the suffix of the text with min(N, lines) lines', () => {
    fc.assert(
      fc.property(textArb, fc.nat(20), (text, n) => {
        const out = tailText(text, n);
        expect(text.endsWith(out)).toBe(true);
        expect(splitLines(out)).toHaveLength(Math.min(n, splitLines(text).length));
      }),
    );
  });

  test('grep P and grep -v P partition the lines', () => {
    fc.assert(
      fc.property(textArb, fc.stringMatching(/^[abKU.*^$[\]\\]{0,4}$/), fc.boolean(), (text, pattern, ere) => {
        let re: RegExp;
        try {
          re = new RegExp(posixToJs(pattern, ere));
        } catch {
          return; // a pattern grep would refuse too
        }
        const yes = splitLines(grepText(text, re, false, false));
        const no = splitLines(grepText(text, re, true, false));
        const all = splitLines(text).map((l) => (l.endsWith('\n') ? l : l + '\n'));
        expect(yes.length + no.length).toBe(all.length);
        // Merging the two in order gives the text back (each line went to exactly one side).
        const merged: string[] = [];
        let i = 0;
        let j = 0;
        for (const line of all) {
          if (yes[i] === line && re.test(line.slice(0, -1))) merged.push(yes[i++]!);
          else merged.push(no[j++]!);
        }
        expect(merged).toEqual(all);
        expect(grepText(text, re, false, true)).toBe(`${yes.length}\n`);
      }),
    );
  });

  test('wc -l counts newlines', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        expect(wcLines(text)).toBe(`${text.split('\n').length - 1}\n`);
      }),
    );
  });

  test('sort orders the lines bytewise and keeps them all', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 6 }).filter((s) => !s.includes('\n')), { maxLength: 10 }), (lines) => {
        const out = splitLines(sortText(lines.map((l) => l + '\n').join('')));
        expect(out).toHaveLength(lines.length);
        for (let i = 1; i < out.length; i++) expect(Buffer.compare(Buffer.from(out[i - 1]!), Buffer.from(out[i]!))).toBeLessThanOrEqual(0);
      }),
    );
  });
});

/** Runs a real GNU tool over the text in the C locale. */
function gnu(argv: string[], text: string): string | null {
  const r = spawnSync(argv[0]!, argv.slice(1), { input: text, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error !== undefined) return null;
  return r.status === 2 || (r.status !== 0 && r.status !== 1) ? null : r.stdout;
}

const haveGnu = gnu(['grep', '--version'], '')?.includes('GNU grep') === true;

describe.skipIf(!haveGnu)('byte for byte against this machine’s GNU tools', () => {
  const argvArb = fc.oneof(
    fc.tuple(fc.subarray(['-v', '-E', '-i', '-c']), fc.stringMatching(/^[abAB.*^$[\]\\+?(){}|,0-9]{0,5}$/)).map(([opts, p]) => ['grep', ...opts, '-e', p]),
    fc.nat(14).map((n) => ['head', '-n', String(n)]),
    fc.nat(14).map((n) => ['head', `-${n}`]),
    fc.nat(14).map((n) => ['tail', '-n', String(n)]),
    fc.nat(14).map((n) => ['tail', '-n', `+${n}`]),
    fc.constant(['wc', '-l']),
    fc.constantFrom(['sort'], ['sort', '-r'], ['sort', '-u'], ['sort', '-ru']),
  ).map((argv): string[] => [...argv]);

  test('random texts, options and patterns', () => {
    let compared = 0;
    fc.assert(
      fc.property(textArb, argvArb, (text, argv) => {
        let f: Filter;
        try {
          f = parseFilter(argv, 's.sh', 1);
        } catch (e) {
          if (!(e instanceof ScriptError)) throw e;
          return; // dpsim refuses it (grep may or may not): nothing to compare
        }
        const expected = gnu(argv, text);
        if (expected === null) return; // grep refused the pattern
        compared++;
        expect(applyFilter(f, text), `${argv.join(' ')} on ${JSON.stringify(text)}`).toBe(expected);
      }),
      { numRuns: 400 },
    );
    expect(compared).toBeGreaterThan(200);
  });
});

describe('in a scenario', () => {
  const scenario = new URL('../../test/kernel/scenarios/kp-clusterip-vxlan.sh', import.meta.url).pathname;
  const setup = readFileSync(scenario, 'utf8').split('\nlisten ')[0]! + '\n';

  test('iptables -t nat -S | grep KUBE | head -n 2', () => {
    const piped = renderCapture(runScenario(setup + 'ip netns exec n1 iptables -t nat -S | grep KUBE | head -n 2\n', { file: scenario }));
    expect(piped).toBe('-N KUBE-MARK-MASQ\n-N KUBE-POSTROUTING\n');
    // The same as filtering the command's whole output.
    const whole = renderCapture(runScenario(setup + 'ip netns exec n1 iptables -t nat -S\n', { file: scenario }));
    expect(piped).toBe(headText(grepText(whole, /KUBE/, false, false), 2));
  });

  test('output before and after a pipeline is kept in order', () => {
    const text = setup + 'ip -n n1 route show\nip -n n1 route show | grep -c flannel\nip -n n1 route show | wc -l\nip -n n1 route show | sort -r | tail -n 1\n';
    const out = renderCapture(runScenario(text, { file: scenario }));
    const routes = renderCapture(runScenario(setup + 'ip -n n1 route show\n', { file: scenario }));
    expect(out).toBe(routes + '1\n' + wcLines(routes) + tailText(sortText(routes, true), 1));
  });

  test('a harness command cannot start a pipeline', () => {
    expect(() => runScenario('sleep 1 | head -n 1\n', { file: 's.sh' })).toThrow('s.sh:1: "sleep" prints nothing to pipe: it cannot start a pipeline');
  });
});
