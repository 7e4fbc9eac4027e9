/**
 * Parsed chunks shared across namespaces (rule-templates.ts): a second namespace restoring the
 * same text takes copies of the first one's rules, and nothing observable differs from a
 * fresh parse — same iptables-save output, same messages and line numbers, and per-rule state
 * (counters, the statistic match's nth counter, the limit match's bucket) and per-namespace
 * state (xt_recent lists) of one table never seen by another.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, test } from 'vitest';
import { NF_ACCEPT, NF_INET_FORWARD } from '../netns/netfilter.js';
import { Network } from '../netns/network.js';
import { IPPROTO_UDP, Packet } from '../packet/packet.js';
import { SEC } from '../sim/time.js';
import { ExtensionState } from './ext-state.js';
import { Interpreter } from './interpret.js';
import { EvalEnv } from './match-eval.js';
import type { Flavour } from './module.js';
import type { Table } from './model.js';
import { restore, type RestoreResult } from './restore.js';
import { clearRuleTemplates, ruleTemplateStats, setRuleTemplateBudget } from './rule-templates.js';
import { Xtables } from './ruleset.js';
import { saveTable } from './save.js';

const A = 0x0a000101; // 10.0.1.1
const B = 0x0a000201; // 10.0.2.1

/** A namespace's evaluation environment at FORWARD, with its own extension state. */
function namespace(): { net: Network; env: EvalEnv } {
  const net = new Network(7);
  const ns = net.root;
  const [eth0, eth1] = ns.addVethPair('eth0', 'eth1');
  ns.setUp(eth0);
  ns.setUp(eth1);
  ns.addAddress(eth0, 0x0a000001, 24);
  const env = new EvalEnv(ns, new ExtensionState());
  env.hook = NF_INET_FORWARD;
  env.inDev = eth0;
  env.outDev = eth1;
  return { net, env };
}

function udp(src: number, dport: number): Packet {
  const p = new Packet();
  p.ipProto = IPPROTO_UDP;
  p.ipSrc = src;
  p.ipDst = B;
  p.sport = 1000;
  p.dport = dport;
  return p;
}

function run(x: Xtables, text: string, wholeTable = false): RestoreResult {
  return restore(x, text, { program: 'iptables-restore', noflush: false, counters: false, table: null, wholeTable });
}

function load(text: string, flavour: Flavour = 'nft'): Table {
  const x = new Xtables(flavour);
  expect(run(x, text).output).toBe('');
  return x.tables.get('filter')!;
}

/** Stateful rules: nth on dport 1, limit on dport 2, recent on dport 3 and 4, a counting rule on dport 5; policy DROP. */
const STATEFUL = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD DROP [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':KUBE-CHECK - [0:0]',
  '-A FORWARD -p udp -m udp --dport 1 -m comment --comment "every second" -m statistic --mode nth --every 2 --packet 0 -j ACCEPT',
  '-A FORWARD -p udp -m udp --dport 2 -m limit --limit 1/sec --limit-burst 2 -j ACCEPT',
  '-A FORWARD -p udp -m udp --dport 3 -m recent --set --name SEEN --mask 255.255.255.255 --rsource',
  '-A FORWARD -p udp -m udp --dport 4 -j KUBE-CHECK',
  '-A FORWARD -p udp -m udp --dport 5 -j ACCEPT',
  '-A KUBE-CHECK -m recent --rcheck --seconds 10 --name SEEN --mask 255.255.255.255 --rsource -j ACCEPT',
  'COMMIT',
  '',
].join('\n');

function passes(t: Table, env: EvalEnv, dport: number, src = A): boolean {
  return new Interpreter().walk(t, 'FORWARD', udp(src, dport), env) === NF_ACCEPT;
}

describe('rules parsed once, shared across namespaces', () => {
  beforeEach(() => clearRuleTemplates());

  test('a second namespace takes copies: no rule, counters or stateful match object is shared', () => {
    const t1 = load(STATEFUL);
    expect(ruleTemplateStats().chunks).toBeGreaterThan(0);
    const t2 = load(STATEFUL);
    const r1 = [...t1.chains.values()].flatMap((c) => c.rules);
    const r2 = [...t2.chains.values()].flatMap((c) => c.rules);
    expect(r2.length).toBe(r1.length);
    for (let i = 0; i < r1.length; i++) {
      expect(r2[i]).not.toBe(r1[i]);
      expect(r2[i]!.counters).not.toBe(r1[i]!.counters);
      expect(r2[i]).toEqual(r1[i]);
      for (let k = 0; k < r1[i]!.matches.length; k++) {
        const m = r1[i]!.matches[k]!;
        // Taken, not parsed: the immutable matches are the very objects; the stateful ones are each rule's own.
        if (m.name === 'statistic' || m.name === 'limit') expect(r2[i]!.matches[k]).not.toBe(m);
        else expect(r2[i]!.matches[k]).toBe(m);
      }
    }
    expect(saveTable(t2, true)).toBe(saveTable(t1, true));
  });

  test('two namespaces restoring the same text keep independent counters and nth, limit and recent state', () => {
    const n1 = namespace();
    const n2 = namespace();
    const t1 = load(STATEFUL);
    const t2 = load(STATEFUL);
    // Namespace 1 sends traffic: nth hits packets 1, 3, 5; the limit lets a burst of 2 through; A is recorded as SEEN.
    expect([1, 2, 3, 4, 5].map(() => passes(t1, n1.env, 1))).toEqual([true, false, true, false, true]);
    expect([1, 2, 3].map(() => passes(t1, n1.env, 2))).toEqual([true, true, false]);
    passes(t1, n1.env, 3);
    expect(passes(t1, n1.env, 4)).toBe(true);
    for (let i = 0; i < 3; i++) passes(t1, n1.env, 5);
    // Namespace 2 starts from scratch: its nth counter, its bucket, its recent list, its counters.
    expect(passes(t2, n2.env, 4)).toBe(false);
    expect([1, 2, 3].map(() => passes(t2, n2.env, 1))).toEqual([true, false, true]);
    expect([1, 2, 3].map(() => passes(t2, n2.env, 2))).toEqual([true, true, false]);
    const counts = (t: Table): number[] => t.chains.get('FORWARD')!.rules.map((r) => r.counters.packets);
    // (A rule counts the packets it matched.)
    expect(counts(t1)).toEqual([3, 2, 1, 1, 3]);
    expect(counts(t2)).toEqual([2, 2, 0, 1, 0]);
    // And namespace 1 goes on where it was: packet 6 misses, 7 hits.
    expect([passes(t1, n1.env, 1), passes(t1, n1.env, 1)]).toEqual([false, true]);
    n1.net.scheduler.runUntil(n1.net.now + 1 * SEC);
    expect(passes(t1, n1.env, 2)).toBe(true);
  });

  test('two tables of one namespace restored from the same text count nth and limit each on their own', () => {
    const { env } = namespace();
    const t1 = load(STATEFUL);
    const t2 = load(STATEFUL);
    expect([passes(t1, env, 1), passes(t1, env, 1), passes(t2, env, 1), passes(t2, env, 1)]).toEqual([true, false, true, false]);
    expect([passes(t1, env, 2), passes(t1, env, 2), passes(t1, env, 2), passes(t2, env, 2)]).toEqual([true, true, false, true]);
  });

  test('one text repeating the same lines gives rules with their own nth state', () => {
    const { env } = namespace();
    const line = '-A FORWARD -p udp -m udp --dport 1 -m statistic --mode nth --every 2 --packet 0 -j ACCEPT';
    const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${line}\n:KUBE-X - [0:0]\n${line}\nCOMMIT\n`;
    load(text);
    const t = load(text);
    // Packet 1 hits rule 1; packet 2 misses rule 1 and is rule 2's first packet (a hit); packet 3 hits rule 1.
    expect([1, 2, 3].map(() => passes(t, env, 1))).toEqual([true, true, true]);
    expect(t.chains.get('FORWARD')!.rules.map((r) => r.counters.packets)).toEqual([2, 1]);
  });

  test('messages and line numbers after reused lines are those of a fresh parse', () => {
    const good = STATEFUL;
    const variants = [
      good.replace('COMMIT', '-A FORWARD -p udp --dport nope -j ACCEPT\nCOMMIT'),
      good.replace('COMMIT', '-A FORWARD -j NOWHERE\nCOMMIT'),
      good.replace(':KUBE-CHECK - [0:0]\n', ''), // the reused jump and -A name a chain that is not there
      good.replace('COMMIT', '-A KUBE-CHECK -j FORWARD\n-A FORWARD -j KUBE-CHECK\nCOMMIT'), // a loop
      good.replace('COMMIT\n', ''),
    ];
    for (const flavour of ['nft', 'legacy'] as const) {
      load(good, flavour);
      for (const text of variants) {
        const fresh = run(new Xtables(flavour), text, true);
        const warm = run(new Xtables(flavour), text);
        expect(warm).toEqual(fresh);
      }
    }
  });

  test('bounded: a text bigger than the budget keeps its first chunks; a later text pushes out the least recently used', () => {
    const was = setRuleTemplateBudget(20000);
    try {
      const rules = (tag: string): string =>
        Array.from({ length: 600 }, (_, i) => `-A FORWARD -s 10.${i >> 8}.${i & 255}.0/24 -m comment --comment "${tag} ${i}" -j ACCEPT`).join('\n');
      const text = (tag: string): string => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules(tag)}\nCOMMIT\n`;
      const t1 = load(text('one'));
      const first = ruleTemplateStats();
      expect(first.chars).toBeGreaterThan(10000);
      expect(first.chars).toBeLessThanOrEqual(20000);
      // The second namespace takes the kept head (the very comment objects) and parses the rest.
      const t2 = load(text('one'));
      const r1 = t1.chains.get('FORWARD')!.rules;
      const r2 = t2.chains.get('FORWARD')!.rules;
      expect(r2[0]!.matches[0]).toBe(r1[0]!.matches[0]);
      expect(r2[599]!.matches[0]).not.toBe(r1[599]!.matches[0]);
      expect(saveTable(t2, true)).toBe(saveTable(t1, true));
      expect(ruleTemplateStats()).toEqual(first);
      // Another text: the old chunks leave for its head.
      const t3 = load(text('two'));
      expect(ruleTemplateStats().chars).toBeLessThanOrEqual(20000);
      const t4 = load(text('two'));
      expect(t4.chains.get('FORWARD')!.rules[0]!.matches[0]).toBe(t3.chains.get('FORWARD')!.rules[0]!.matches[0]);
      const t5 = load(text('one'));
      expect(t5.chains.get('FORWARD')!.rules[0]!.matches[0]).not.toBe(r1[0]!.matches[0]);
    } finally {
      setRuleTemplateBudget(was);
    }
  });

  test('property: texts made of shared and differing lines load exactly as a fresh parse does', () => {
    const pool = [
      '-A FORWARD -p tcp -m tcp --dport 80 -j ACCEPT',
      '-A FORWARD -s 10.0.0.0/8 -m comment --comment "a b" -j KUBE-A',
      '-A FORWARD -m statistic --mode nth --every 3 --packet 1 -j KUBE-B',
      '-A KUBE-A -m limit --limit 5/min -j RETURN',
      '-A KUBE-A -j MARK --or-mark 0x4000',
      '-A KUBE-B -d 10.96.0.1/32 -p udp -m udp --dport 53 -j DROP',
      '-A KUBE-B -j KUBE-A',
      '[3:4] -A KUBE-B -j ACCEPT',
      '-A KUBE-C -j ACCEPT',
      '-I KUBE-A 1 -j ACCEPT',
      '# a comment',
      '',
    ];
    const head = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-A - [0:0]\n:KUBE-B - [0:0]\n';
    const body = fc.array(fc.constantFrom(...pool), { maxLength: 80 });
    fc.assert(
      fc.property(body, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...pool)), { maxLength: 3 }), fc.boolean(), (lines, edits, counters) => {
        clearRuleTemplates();
        const first = `${head}${lines.join('\n')}\nCOMMIT\n`;
        const changed = lines.slice();
        for (const [at, line] of edits) if (changed.length > 0) changed[at % changed.length] = line;
        const second = `${head}${changed.join('\n')}\nCOMMIT\n`;
        const opts = { program: 'iptables-restore', noflush: false, counters, table: null };
        for (const text of [first, second]) {
          const fresh = new Xtables('nft');
          const warm = new Xtables('nft');
          const a = restore(fresh, text, { ...opts, wholeTable: true });
          const b = restore(warm, text, opts);
          expect(b).toEqual(a);
          if (a.status === 0) expect(saveTable(warm.tables.get('filter')!, true)).toBe(saveTable(fresh.tables.get('filter')!, true));
        }
      }),
      { numRuns: 150 },
    );
  });
});
