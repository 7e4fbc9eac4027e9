/**
 * iptables-restore --noflush in the size of the edit (copy-on-write tables, the table facts,
 * rule pieces, the patched compiled form) against the plain algorithm (`wholeTable`: a copy
 * of the whole table, checked whole at COMMIT): fast-check sequences of random edits — new,
 * flushed, renamed and deleted chains, jumps that make loops, targets outside their hooks,
 * rules inserted, replaced and deleted — give the same output, exit status and iptables-save
 * after every step, in both flavours; the compiled walk of the table edited in place agrees
 * with a fresh compile; and examples of what the incremental path must keep: order, counters,
 * the refusal messages, and kube-proxy's partial syncs reusing rules without parsing them.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Network } from '../netns/network.js';
import { IPPROTO_TCP, IPPROTO_UDP, Packet, TCP_SYN } from '../packet/packet.js';
import { Evaluator } from './compile/evaluator.js';
import { ExtensionState } from './ext-state.js';
import { EvalEnv } from './match-eval.js';
import { cloneTable, type Table } from './model.js';
import { restore, type RestoreOptions } from './restore.js';
import { Xtables } from './ruleset.js';
import { saveXtables } from './save.js';
import { factsOf } from './table-facts.js';

type Flavour = 'nft' | 'legacy';

const saveOf = (x: Xtables, counters = false): string => saveXtables(x, { program: 'iptables-save', counters, table: null, date: null });
const opts = (x: Xtables, noflush: boolean, wholeTable: boolean): RestoreOptions => ({
  program: `iptables-${x.flavour}-restore`,
  noflush,
  counters: false,
  table: null,
  wholeTable,
});

const USER = ['U0', 'U1', 'U2', 'U3', 'U4', 'U5'];
const BUILTIN = { nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], filter: ['INPUT', 'FORWARD', 'OUTPUT'] } as const;
type TableName = keyof typeof BUILTIN;

/** One random restore line for `table`. */
function arbLine(table: TableName): fc.Arbitrary<string> {
  const user = fc.constantFrom(...USER);
  const any = fc.constantFrom(...USER, ...BUILTIN[table]);
  const ext = table === 'nat' ? ['DNAT --to-destination 10.0.0.1', 'MASQUERADE', 'SNAT --to-source 10.0.0.2', 'MARK --or-mark 0x1'] : ['REJECT', 'MARK --or-mark 0x1'];
  const target = fc.oneof(
    { weight: 5, arbitrary: user.map((u) => `-j ${u}`) },
    { weight: 1, arbitrary: user.map((u) => `-g ${u}`) },
    { weight: 2, arbitrary: fc.constantFrom('-j ACCEPT', '-j RETURN', '-j DROP') },
    { weight: 2, arbitrary: fc.constantFrom(...ext).map((t) => `-j ${t}`) },
  );
  const match = fc.constantFrom('', '-p tcp -m tcp --dport 80 ', '-d 10.96.0.1/32 -p tcp -m tcp --dport 443 ', '-s 10.0.0.0/8 ', '-p udp -m udp --dport 53 ');
  return fc.oneof(
    { weight: 4, arbitrary: user.map((u) => `:${u} - [0:0]`) },
    { weight: 16, arbitrary: fc.tuple(any, match, target).map(([c, m, t]) => `-A ${c} ${m}${t}`) },
    { weight: 2, arbitrary: fc.tuple(any, target).map(([c, t]) => `-I ${c} 1 ${t}`) },
    { weight: 1, arbitrary: fc.tuple(any, fc.integer({ min: 1, max: 2 }), target).map(([c, i, t]) => `-R ${c} ${i} ${t}`) },
    { weight: 1, arbitrary: fc.tuple(any, fc.integer({ min: 1, max: 2 })).map(([c, i]) => `-D ${c} ${i}`) },
    { weight: 1, arbitrary: user.map((u) => `-X ${u}`) },
    { weight: 1, arbitrary: any.map((c) => `-F ${c}`) },
    { weight: 1, arbitrary: user.map((u) => `-N ${u}`) },
    { weight: 1, arbitrary: fc.tuple(user, user).map(([a, b]) => `-E ${a} ${b}`) },
    { weight: 1, arbitrary: fc.constantFrom('-F', '-X', '-Z') },
    { weight: 1, arbitrary: fc.constantFrom(...BUILTIN[table]).map((c) => (table === 'filter' ? `-P ${c} DROP` : `-A ${c} -j RETURN`)) },
  );
}

/** A restore file editing one or two tables. */
const arbFile: fc.Arbitrary<string> = fc
  .array(fc.tuple(fc.constantFrom<TableName>('nat', 'filter'), fc.boolean()).chain(([t, commit]) => fc.array(arbLine(t), { maxLength: 8 }).map((ls) => `*${t}\n${ls.join('\n')}\n${commit ? 'COMMIT\n' : ''}`)), {
    minLength: 1,
    maxLength: 2,
  })
  .map((ts) => ts.join(''));

/** Chains that only make a table big enough to be edited in place (restore copies small tables whole). */
const FILLER = Array.from({ length: 16 }, (_, k) => `:F${k} - [0:0]`);

/** A valid starting point: every user chain, jumps down the list, a DNAT in U5 reached from PREROUTING. */
const START = [
  '*nat',
  ...FILLER,
  ...USER.map((u) => `:${u} - [0:0]`),
  '-A PREROUTING -j U0',
  '-A OUTPUT -j U0',
  '-A U0 -p tcp -m tcp --dport 80 -j U1',
  '-A U1 -j U2',
  '-A U2 -s 10.0.0.0/8 -j U3',
  '-A U0 -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j U5',
  '-A U5 -p tcp -j DNAT --to-destination 10.0.0.1:80',
  '-A POSTROUTING -j U4',
  '-A U4 -j MASQUERADE',
  'COMMIT',
  '*filter',
  ...FILLER,
  ...USER.map((u) => `:${u} - [0:0]`),
  '-A INPUT -j U0',
  '-A FORWARD -j U0',
  '-A U0 -p tcp -m tcp --dport 80 -j U1',
  '-A U1 -j REJECT',
  '-A OUTPUT -j U2',
  'COMMIT',
  '',
].join('\n');

function pair(flavour: Flavour): { inc: Xtables; ref: Xtables } {
  const inc = new Xtables(flavour);
  const ref = new Xtables(flavour);
  expect(restore(inc, START, opts(inc, false, false)).status).toBe(0);
  expect(restore(ref, START, opts(ref, false, true)).status).toBe(0);
  return { inc, ref };
}

describe('property: incremental restore --noflush = the plain algorithm', () => {
  test('same output, status and iptables-save after every step of random edits, both flavours', () => {
    let failed = 0;
    let edited = 0;
    fc.assert(
      fc.property(fc.constantFrom<Flavour>('nft', 'legacy'), fc.array(fc.tuple(arbFile, fc.integer({ min: 0, max: 3 }).map((k) => k > 0)), { minLength: 1, maxLength: 6 }), (flavour, steps) => {
        const { inc, ref } = pair(flavour);
        for (const [file, noflush] of steps) {
          const a = restore(inc, file, opts(inc, noflush, false));
          const b = restore(ref, file, opts(ref, noflush, true));
          expect(a, file).toEqual(b);
          expect(saveOf(inc), file).toBe(saveOf(ref));
          if (a.status !== 0) failed++;
          else if (noflush) edited++;
        }
      }),
      { numRuns: 500 },
    );
    // Both refusals and in-place edits happen.
    expect(failed).toBeGreaterThan(50);
    expect(edited).toBeGreaterThan(50);
  });

  test('the compiled walk of a table edited in place agrees with a fresh compile of the same rules', () => {
    const net = new Network(1);
    const env = new EvalEnv(net.root, new ExtensionState());
    env.table = 'filter';
    const packets = [0, 1, 2, 3].map((k) => {
      const p = new Packet();
      p.ipProto = k === 3 ? IPPROTO_UDP : IPPROTO_TCP;
      p.ipSrc = k === 2 ? 0xc0a80001 : 0x0a000005;
      p.ipDst = k === 1 ? 0x0a600001 : 0x0a600002;
      p.sport = 40000;
      p.dport = k === 1 ? 443 : k === 3 ? 53 : 80;
      p.tcpFlags = TCP_SYN;
      return p;
    });
    const filterLines = fc.array(arbLine('filter').filter((l) => !l.includes('REJECT')), { maxLength: 12 });
    fc.assert(
      fc.property(fc.array(filterLines, { minLength: 1, maxLength: 6 }), (steps) => {
        const x = new Xtables('nft');
        expect(restore(x, START.replace(/-A U1 -j REJECT\n/, ''), opts(x, false, false)).status).toBe(0);
        const ev = new Evaluator();
        const fresh = new Evaluator();
        for (const lines of steps) {
          restore(x, `*filter\n${lines.join('\n')}\nCOMMIT\n`, opts(x, true, false));
          const t = x.tables.get('filter')!;
          const copy: Table = cloneTable(t);
          for (const p of packets)
            for (const chain of ['INPUT', 'FORWARD', 'OUTPUT']) {
              const v = ev.walk(t, chain, p, env);
              expect(fresh.walk(copy, chain, p, env)).toBe(v);
              expect(fresh.cost).toBe(ev.cost);
            }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('property: rules taken without parsing = rules parsed', () => {
  test('a big chain written again, as is, changed, cut, reordered, duplicated or with counters, gives what parsing gives', () => {
    const base = Array.from({ length: 80 }, (_, k) => `-A SVC -d 10.96.0.${k}/32 -p tcp -m comment --comment "svc ${k % 7}" -m tcp --dport ${80 + (k % 3)} -j ${k % 5 === 0 ? 'T' : 'ACCEPT'}`);
    const start = `*filter\n${FILLER.join('\n')}\n:SVC - [0:0]\n:T - [0:0]\n-A INPUT -j SVC\n${base.join('\n')}\nCOMMIT\n`;
    type Edit = { kind: 'same' } | { kind: 'drop'; at: number } | { kind: 'change'; at: number } | { kind: 'move'; from: number; to: number } | { kind: 'dup'; at: number } | { kind: 'count'; at: number } | { kind: 'dropT' } | { kind: 'counters' };
    const arbEdit: fc.Arbitrary<Edit> = fc.oneof(
      { weight: 3, arbitrary: fc.constant({ kind: 'same' as const }) },
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat(79) }),
      fc.record({ kind: fc.constant('change' as const), at: fc.nat(79) }),
      fc.record({ kind: fc.constant('move' as const), from: fc.nat(79), to: fc.nat(79) }),
      fc.record({ kind: fc.constant('dup' as const), at: fc.nat(79) }),
      fc.record({ kind: fc.constant('count' as const), at: fc.nat(79) }),
      fc.constant({ kind: 'dropT' as const }),
      fc.constant({ kind: 'counters' as const }),
    );
    fc.assert(
      fc.property(fc.constantFrom<Flavour>('nft', 'legacy'), fc.array(fc.array(arbEdit, { maxLength: 3 }), { minLength: 1, maxLength: 5 }), (flavour, steps) => {
        const inc = new Xtables(flavour);
        const ref = new Xtables(flavour);
        expect(restore(inc, start, opts(inc, false, false)).status).toBe(0);
        expect(restore(ref, start, opts(ref, false, true)).status).toBe(0);
        for (const edits of steps) {
          let lines = base.slice();
          let head = ':SVC - [0:0]';
          for (const e of edits) {
            if (e.kind === 'drop') lines.splice(e.at % lines.length, 1);
            else if (e.kind === 'change') lines[e.at % lines.length] = lines[e.at % lines.length]!.replace(/-j \S+$/, '-j DROP');
            else if (e.kind === 'move') lines.splice(e.to % lines.length, 0, ...lines.splice(e.from % lines.length, 1));
            else if (e.kind === 'dup') lines.splice(e.at % lines.length, 0, lines[e.at % lines.length]!);
            else if (e.kind === 'count') lines[e.at % lines.length] = `[3:300] ${lines[e.at % lines.length]!}`;
            else if (e.kind === 'dropT') head = ':SVC - [0:0]\n:T - [0:0]\n-X T';
            else lines = lines.map((l) => l);
          }
          // Packets counted on the installed rules: new rules start from zero all the same.
          if (edits.some((e) => e.kind === 'counters'))
            for (const x of [inc, ref]) for (const r of x.tables.get('filter')!.chains.get('SVC')!.rules) r.counters = { packets: 5, bytes: 500 };
          const file = `*filter\n${head}\n${lines.join('\n')}\nCOMMIT\n`;
          const a = restore(inc, file, opts(inc, true, false));
          expect(a, file).toEqual(restore(ref, file, opts(ref, true, true)));
          expect(saveOf(inc, true)).toBe(saveOf(ref, true));
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('examples', () => {
  test('an edit keeps the table object, its order, and its facts; a refused edit changes nothing', () => {
    const x = new Xtables('nft');
    expect(restore(x, START, opts(x, false, false)).status).toBe(0);
    const nat = x.tables.get('nat')!;
    expect(factsOf(nat)).not.toBeNull();
    const before = saveOf(x);
    // U0 rewritten in place (keeps its position), U9 appended at the end, U2 flushed and U3 deleted.
    const edit = '*nat\n:U9 - [0:0]\n:U0 - [0:0]\n-A U0 -j U9\n-A U9 -j U1\n:U2 - [0:0]\n-X U3\nCOMMIT\n';
    const r = restore(x, edit, opts(x, true, false));
    expect(r).toEqual({ output: '', status: 0 });
    expect(x.tables.get('nat')).toBe(nat);
    expect(factsOf(nat)).not.toBeNull();
    const names = [...nat.chains.keys()];
    expect(names.indexOf('U0')).toBeLessThan(names.indexOf('U1'));
    expect(names.at(-1)).toBe('U9');
    expect(names).not.toContain('U3');
    // A loop: refused with nft's message naming the line that closed it; nothing changes.
    const after = saveOf(x);
    expect(after).not.toBe(before);
    const loop = '*nat\n:U1 - [0:0]\n-A U1 -j U0\nCOMMIT\n';
    const ref = new Xtables('nft');
    restore(ref, START, opts(ref, false, true));
    restore(ref, edit, opts(ref, true, true));
    const refused = restore(x, loop, opts(x, true, false));
    expect(refused.status).toBe(4);
    expect(refused).toEqual(restore(ref, loop, opts(ref, true, true)));
    expect(saveOf(x)).toBe(after);
  });

  test('a chain written again with the same text takes the same rules, with zeroed counters, and never changes the rules it replaces', () => {
    const rules = Array.from({ length: 200 }, (_, k) => `-A SVC -d 10.96.${k >> 8}.${k & 255}/32 -p tcp -m comment --comment "svc ${k}" -m tcp --dport 80 -j ACCEPT`);
    const text = `*filter\n${FILLER.join('\n')}\n:SVC - [0:0]\n-A INPUT -j SVC\n${rules.join('\n')}\nCOMMIT\n`;
    const x = new Xtables('legacy');
    expect(restore(x, text, opts(x, false, false)).status).toBe(0);
    const t = x.tables.get('filter')!;
    const first = t.chains.get('SVC')!.rules;
    first[3]!.counters.packets = 7;
    first[3]!.counters.bytes = 700;
    const partial = `*filter\n:SVC - [0:0]\n${rules.join('\n')}\nCOMMIT\n`;
    expect(restore(x, partial, opts(x, true, false)).status).toBe(0);
    const second = t.chains.get('SVC')!.rules;
    expect(second).not.toBe(first);
    expect(second[0]).toBe(first[0]); // taken, not parsed
    expect(second[3]).not.toBe(first[3]); // counted: a copy with zero counters
    expect(second[3]!.counters).toEqual({ packets: 0, bytes: 0 });
    expect(first[3]!.counters).toEqual({ packets: 7, bytes: 700 });
    const ref = new Xtables('legacy');
    restore(ref, text, opts(ref, false, true));
    restore(ref, partial, opts(ref, true, true));
    expect(saveOf(x, true)).toBe(saveOf(ref, true));
    // Once more, with one rule changed in the middle and a chain the rules jump to deleted first.
    const changed = rules.map((l, k) => (k === 100 ? l.replace('ACCEPT', 'DROP') : l));
    const third = `*filter\n:SVC - [0:0]\n${changed.join('\n')}\nCOMMIT\n`;
    expect(restore(x, third, opts(x, true, false))).toEqual(restore(ref, third, opts(ref, true, true)));
    expect(saveOf(x, true)).toBe(saveOf(ref, true));
    const gone = `*filter\n:T - [0:0]\n:SVC - [0:0]\n-X T\n${rules.map((l) => l.replace('-j ACCEPT', '-j T')).join('\n')}\nCOMMIT\n`;
    expect(restore(x, gone, opts(x, true, false))).toEqual(restore(ref, gone, opts(ref, true, true)));
    expect(saveOf(x, true)).toBe(saveOf(ref, true));
  });
});
