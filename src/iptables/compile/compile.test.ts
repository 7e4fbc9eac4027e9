/**
 * The compiler against the interpreter: examples of the hash-indexed runs (cost, duplicate
 * keys, residual tests, resuming inside a run after a RETURN), recompiling after a change,
 * the hook path using the compiled walk only without a tracer, and fast-check properties
 * holding the two evaluators equal — verdict, modelled cost, every rule and policy counter,
 * the packet's mark, the random stream (statistic) and the NAT binding — on random rule sets
 * and on kube-proxy-shaped nat tables.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { existingConntrack } from '../../conntrack/conntrack.js';
import type { NetDevice } from '../../netns/device.js';
import type { NetNamespace } from '../../netns/namespace.js';
import { NF_INET_FORWARD, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../../netns/netfilter.js';
import { Network } from '../../netns/network.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet, TCP_SYN } from '../../packet/packet.js';
import { Tracer } from '../../sim/trace.js';
import { ExtensionState } from '../ext-state.js';
import { iptablesOf } from '../hooks.js';
import { Interpreter } from '../interpret.js';
import { EvalEnv } from '../match-eval.js';
import type { Table } from '../model.js';
import { restore } from '../restore.js';
import { insertRule, xtablesOf, Xtables } from '../ruleset.js';
import { CommandParser } from '../rule-parse.js';
import { compileTable, MIN_RUN } from './compiled-table.js';
import { Evaluator } from './evaluator.js';

const LOCAL = 0x0a000001; // 10.0.0.1 on eth0
const OUT = 0x0a010001; // 10.1.0.1 on eth1

interface Side {
  net: Network;
  ns: NetNamespace;
  env: EvalEnv;
  eth0: NetDevice;
  eth1: NetDevice;
}

/** A namespace with eth0 (10.0.0.1/24) and eth1 (10.1.0.1/24), seed `seed`, an environment at `hook` from eth0 to eth1. */
function side(seed: number, hook = NF_INET_FORWARD): Side {
  const net = new Network(seed);
  const ns = net.root;
  const [eth0, eth1] = ns.addVethPair('eth0', 'eth1');
  ns.setUp(eth0);
  ns.setUp(eth1);
  ns.addAddress(eth0, LOCAL, 24);
  ns.addAddress(eth1, OUT, 24);
  const env = new EvalEnv(ns, new ExtensionState());
  env.hook = hook;
  env.inDev = eth0;
  env.outDev = eth1;
  return { net, ns, env, eth0, eth1 };
}

function load(text: string, table: 'filter' | 'nat' = 'filter', x = new Xtables('nft')): Table {
  const r = restore(x, text, { program: 'iptables-restore', noflush: false, counters: false, table: null });
  expect(r.output).toBe('');
  return x.tables.get(table)!;
}

function packet(proto: number, src: number, dst: number, sport: number, dport: number, mark = 0): Packet {
  const p = new Packet();
  p.ipProto = proto;
  p.ipSrc = src >>> 0;
  p.ipDst = dst >>> 0;
  if (proto === IPPROTO_ICMP) p.icmpType = 8;
  else {
    p.sport = sport;
    p.dport = dport;
  }
  if (proto === IPPROTO_TCP) p.tcpFlags = TCP_SYN;
  p.mark = mark;
  return p;
}

/** Every counter of a table, chain by chain (policy first, then each rule). */
function counters(t: Table): number[] {
  const out: number[] = [];
  for (const c of t.chains.values()) {
    out.push(c.counters.packets, c.counters.bytes);
    for (const r of c.rules) out.push(r.counters.packets, r.counters.bytes);
  }
  return out;
}

const ip = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const VIP = (k: number): number => (0x0a600000 + k + 1) >>> 0; // 10.96.0.k+1

describe('examples', () => {
  const services = 40;
  const text = (extra: string[] = []): string =>
    [
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':SVC - [0:0]',
      '-A FORWARD -m comment --comment "service portals" -j SVC',
      ...Array.from({ length: services }, (_, k) => `-A SVC -d ${ip(VIP(k))}/32 -p tcp -m comment --comment "svc${k}" -m tcp --dport 80 -j ACCEPT`),
      ...extra,
    ].join('\n') + '\nCOMMIT\n';

  test('a run of exact-match rules is one index; the cost is still every rule before the hit', () => {
    const t = load(text());
    const ct = compileTable(t);
    expect(ct.runs.length).toBe(1);
    expect(ct.runs[0]!.end - ct.runs[0]!.start).toBe(services);
    const s = side(1);
    const ev = new Evaluator();
    for (const k of [0, 17, services - 1]) {
      expect(ev.walk(t, 'FORWARD', packet(IPPROTO_TCP, 1, VIP(k), 5000, 80), s.env)).toBe(1);
      expect(ev.cost).toBe(1 + k + 1);
    }
    // No service: the whole run, then SVC's end, then the policy.
    expect(ev.walk(t, 'FORWARD', packet(IPPROTO_TCP, 1, VIP(3), 5000, 81), s.env)).toBe(0);
    expect(ev.cost).toBe(1 + services);
    expect(ev.walk(t, 'FORWARD', packet(IPPROTO_UDP, 1, VIP(3), 5000, 80), s.env)).toBe(0);
    expect(ev.walk(t, 'FORWARD', packet(IPPROTO_ICMP, 1, VIP(3), 0, 0), s.env)).toBe(0);
    expect(ev.cost).toBe(1 + services);
  });

  test('duplicate keys in a run are tried in order; residual tests; a RETURN resumes inside the run', () => {
    const head = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':MARKIT - [0:0]', '-A MARKIT -j MARK --or-mark 0x10', '-A MARKIT -j RETURN'];
    const rules = [
      `-A FORWARD -d ${ip(VIP(1))}/32 -p tcp -m tcp --dport 80 -j MARKIT`,
      ...Array.from({ length: MIN_RUN }, (_, k) => `-A FORWARD -d ${ip(VIP(k + 10))}/32 -p tcp -m tcp --dport 80 -j DROP`),
      `-A FORWARD -s 10.9.0.0/16 -d ${ip(VIP(1))}/32 -p tcp -m tcp --dport 80 -j DROP`,
      `-A FORWARD -d ${ip(VIP(1))}/32 -p tcp -m tcp --dport 80 -j MARK --or-mark 0x1`,
      `-A FORWARD -d ${ip(VIP(1))}/32 -p tcp -m mark --mark 0x11 -m tcp --dport 80 -j ACCEPT`,
    ];
    const t = load([...head, ...rules].join('\n') + '\nCOMMIT\n');
    expect(compileTable(t).runs.length).toBe(1);
    const s = side(1);
    const ev = new Evaluator();
    const p = packet(IPPROTO_TCP, 0x0a010101, VIP(1), 5000, 80);
    expect(ev.walk(t, 'FORWARD', p, s.env)).toBe(1);
    // FORWARD#1, MARKIT#1, #2, then the eight DROP rules, the -s rule (miss), the MARK, the ACCEPT.
    expect(ev.cost).toBe(1 + 2 + MIN_RUN + 3);
    expect(p.mark).toBe(0x11);
    const q = packet(IPPROTO_TCP, 0x0a090101, VIP(1), 5000, 80);
    expect(ev.walk(t, 'FORWARD', q, s.env)).toBe(0);
    expect(ev.cost).toBe(1 + 2 + MIN_RUN + 1);
  });

  test('a change in place (iptables -A on the installed table) is compiled before the next packet', () => {
    const s = side(1);
    const t = load(text(), 'filter', xtablesOf(s.ns).nft);
    const ev = new Evaluator();
    const p = (): Packet => packet(IPPROTO_TCP, 1, VIP(services + 5), 5000, 80);
    expect(ev.walk(t, 'FORWARD', p(), s.env)).toBe(0);
    const cmd = new CommandParser().parse(['-A', 'SVC', '-d', `${ip(VIP(services + 5))}/32`, '-p', 'tcp', '--dport', '80', '-j', 'ACCEPT'], 10, { flavour: 'nft', table: 'filter' });
    insertRule(t, 'SVC', cmd.rule, null);
    expect(ev.walk(t, 'FORWARD', p(), s.env)).toBe(1);
    expect(ev.cost).toBe(1 + services + 1);
  });

  test('the hooks walk compiled tables; with a tracer the interpreter notes every rule', () => {
    const s = side(1);
    load(text(), 'filter', xtablesOf(s.ns).nft);
    const p = packet(IPPROTO_TCP, 1, VIP(7), 5000, 80);
    expect(s.ns.hooks.has(NF_INET_FORWARD)).toBe(true);
    const hooks = iptablesOf(s.ns);
    const before = hooks.rulesEvaluated();
    // Through the registered hook, as the stack calls it.
    const tracer = new Tracer(s.net.scheduler);
    const run = (): void => {
      const t = xtablesOf(s.ns).nft.tables.get('filter')!;
      const ev = (hooks as unknown as { hooks: { interp: Evaluator }[] }).hooks[0]!.interp;
      ev.walk(t, 'FORWARD', p, s.env);
    };
    run();
    expect(hooks.rulesEvaluated() - before).toBe(9);
    s.net.tracer = tracer;
    run();
    const notes = tracer.take().map((e) => e.text);
    expect(notes.filter((n) => n.includes(' miss: '))).toHaveLength(7);
    expect(notes).toContain('filter FORWARD: ACCEPT (9 rules evaluated)');
    expect(hooks.rulesEvaluated() - before).toBe(18);
  });
});

// ---- random rule sets ---------------------------------------------------------------------

const PORTS = [53, 80, 443];
const VIPS = [VIP(0), VIP(1), VIP(2), VIP(3)];
const SRCS = [0x0a090001, 0x0a010101, 0xc0a80001];

/** One rule's text after `-A CHAIN`: a random mix of the modelled tests, or (keyed) the indexable form with extras. */
const arbRuleText = (chainIndex: number, chains: number, keyed: boolean): fc.Arbitrary<string> =>
  fc
    .record({
      keyedForm: fc.integer({ min: 0, max: 9 }).map((n) => n < 8),
      src: fc.option(fc.record({ k: fc.nat(SRCS.length - 1), bits: fc.constantFrom(8, 16, 32), inv: fc.boolean() }), { nil: null }),
      dst: fc.option(fc.record({ k: fc.nat(VIPS.length - 1), bits: fc.constantFrom(16, 32), inv: fc.boolean() }), { nil: null }),
      proto: fc.constantFrom('', 'tcp', 'udp', '! udp', 'icmp'),
      iface: fc.constantFrom('', '-i eth0', '! -i eth1', '-o eth+', '-i veth+'),
      comment: fc.boolean(),
      dport: fc.option(fc.oneof(fc.constantFrom(...PORTS).map(String), fc.constantFrom('50:90', '! 80', '443')), { nil: null }),
      sport: fc.option(fc.constantFrom('1000:6000', '! 5000'), { nil: null }),
      syn: fc.boolean(),
      statistic: fc.option(fc.constantFrom('--mode random --probability 0.5', '--mode random --probability 0.25', '--mode nth --every 3 --packet 1', '--mode random ! --probability 0.75'), { nil: null }),
      statisticFirst: fc.boolean(),
      mark: fc.option(fc.constantFrom('--mark 0x1', '! --mark 0x2/0x2', '--mark 0x10/0x10'), { nil: null }),
      target: fc.constantFrom('', '-j ACCEPT', '-j DROP', '-j RETURN', '-j MARK --or-mark 0x1', '-j MARK --set-xmark 0x10/0x11', 'jump', 'goto', '-j MARK --xor-mark 0x2'),
      to: fc.integer({ min: 1, max: 3 }),
    })
    .map((s) => {
      const parts: string[] = [];
      const later = chainIndex + s.to;
      const target = s.target === 'jump' || s.target === 'goto' ? (later < chains ? `${s.target === 'jump' ? '-j' : '-g'} C${later}` : '-j ACCEPT') : s.target;
      if (keyed && s.keyedForm) {
        // The indexable form, sometimes with a residual test.
        parts.push(`-d ${ip(VIPS[s.dst?.k ?? 0]!)}/32 -p ${s.syn ? 'tcp' : 'udp'}`);
        if (s.src !== null && s.src.inv) parts.push(`! -s ${ip(SRCS[s.src.k]!)}/${s.src.bits}`);
        if (s.comment) parts.push('-m comment --comment "k"');
        if (s.mark !== null && s.statisticFirst) parts.push(`-m mark ${s.mark}`);
        parts.push(`-m ${s.syn ? 'tcp' : 'udp'} --dport ${PORTS[(s.dst?.bits ?? 0) % 3]}`);
        if (s.statistic !== null && !s.statisticFirst) parts.push(`-m statistic ${s.statistic}`);
        parts.push(target);
        return parts.join(' ');
      }
      if (s.src !== null) parts.push(`${s.src.inv ? '! ' : ''}-s ${ip(SRCS[s.src.k]!)}/${s.src.bits}`);
      if (s.dst !== null) parts.push(`${s.dst.inv ? '! ' : ''}-d ${ip(VIPS[s.dst.k]!)}/${s.dst.bits}`);
      const proto = s.proto.replace('! ', '');
      if (s.proto !== '') parts.push(`${s.proto.startsWith('!') ? '! ' : ''}-p ${proto}`);
      if (s.iface !== '') parts.push(s.iface);
      if (s.comment) parts.push('-m comment --comment "note"');
      if (s.statistic !== null && s.statisticFirst) parts.push(`-m statistic ${s.statistic}`);
      if ((s.proto === 'tcp' || s.proto === 'udp') && (s.dport !== null || s.sport !== null || s.syn)) {
        parts.push(`-m ${proto}`);
        if (s.dport !== null) parts.push(s.dport.startsWith('!') ? `! --dport ${s.dport.slice(2)}` : `--dport ${s.dport}`);
        if (s.sport !== null) parts.push(s.sport.startsWith('!') ? `! --sport ${s.sport.slice(2)}` : `--sport ${s.sport}`);
        if (s.syn && proto === 'tcp') parts.push('--syn');
      }
      if (s.mark !== null) parts.push(`-m mark ${s.mark}`);
      if (s.statistic !== null && !s.statisticFirst) parts.push(`-m statistic ${s.statistic}`);
      parts.push(target);
      return parts.join(' ');
    });

/** A random filter table: FORWARD and C1…C4, jumps only forward (no loops); some chains mostly keyed rules (runs). */
const arbFilterText = fc.integer({ min: 1, max: 5 }).chain((chains) =>
  fc
    .tuple(
      fc.constantFrom('ACCEPT', 'DROP'),
      fc.array(fc.boolean(), { minLength: chains, maxLength: chains }).chain((keyed) =>
        fc.tuple(...keyed.map((k, i) => fc.array(arbRuleText(i, chains, k), { minLength: k ? MIN_RUN + 4 : 0, maxLength: k ? 40 : 8 }))),
      ),
    )
    .map(([policy, bodies]) => {
      const lines = ['*filter', ':INPUT ACCEPT [0:0]', `:FORWARD ${policy} [0:0]`, ':OUTPUT ACCEPT [0:0]'];
      for (let i = 1; i < chains; i++) lines.push(`:C${i} - [0:0]`);
      bodies.forEach((rules, i) => {
        for (const r of rules) lines.push(`-A ${i === 0 ? 'FORWARD' : `C${i}`} ${r}`.trimEnd());
      });
      return `${lines.join('\n')}\nCOMMIT\n`;
    }),
);

const arbPacket = fc.record({
  proto: fc.constantFrom(IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP),
  src: fc.oneof(fc.constantFrom(...SRCS), fc.integer({ min: 0, max: 0xffffffff })),
  dst: fc.oneof(fc.constantFrom(...VIPS), fc.integer({ min: 0, max: 0xffffffff })),
  sport: fc.constantFrom(1000, 5000, 7000),
  dport: fc.oneof(fc.constantFrom(...PORTS), fc.integer({ min: 0, max: 65535 })),
  mark: fc.integer({ min: 0, max: 0x13 }),
  syn: fc.boolean(),
});

describe('property: compiled and interpreted walks agree', () => {
  test('random filter tables: verdict, cost, every counter, the mark and the random stream', () => {
    let withRuns = 0;
    fc.assert(
      fc.property(arbFilterText, fc.array(arbPacket, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 1000 }), (text, packets, seed) => {
        const ta = load(text);
        const tb = load(text);
        const a = side(seed);
        const b = side(seed);
        const interp = new Interpreter();
        const ev = new Evaluator();
        if (compileTable(tb).runs.length > 0) withRuns++;
        for (const q of packets) {
          const pa = packet(q.proto, q.src, q.dst, q.sport, q.dport, q.mark);
          if (!q.syn && q.proto === IPPROTO_TCP) pa.tcpFlags = 0x10;
          const pb = pa.clone();
          expect(ev.walk(tb, 'FORWARD', pb, b.env)).toBe(interp.walk(ta, 'FORWARD', pa, a.env));
          expect(ev.cost).toBe(interp.cost);
          expect(pb.mark).toBe(pa.mark);
          expect(counters(tb)).toEqual(counters(ta));
        }
        expect(b.net.random.u32()).toBe(a.net.random.u32());
        expect(ev.totalCost).toBe(interp.totalCost);
      }),
      { numRuns: 400 },
    );
    // The random tables do exercise the indexed runs.
    expect(withRuns).toBeGreaterThan(40);
  });
});

// ---- kube-proxy-shaped nat tables ---------------------------------------------------------

/** A kube-proxy nat table: services with 0…3 endpoints each (statistic, KUBE-MARK-MASQ, DNAT), KUBE-POSTROUTING masquerade. */
function kubeText(endpoints: number[], nodePortLast: boolean): string {
  const head = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-NODEPORTS - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-MARK-MASQ - [0:0]'];
  const rules = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    '-A KUBE-NODEPORTS -p tcp -m comment --comment "np" -m tcp --dport 30080 -j KUBE-MARK-MASQ',
  ];
  endpoints.forEach((n, s) => {
    if (n === 0) return;
    const svc = `KUBE-SVC-${s}`;
    head.push(`:${svc} - [0:0]`);
    rules.push(`-A KUBE-SERVICES -d ${ip(VIP(s))}/32 -p tcp -m comment --comment "svc${s}" -m tcp --dport 80 -j ${svc}`);
    rules.push(`-A ${svc} ! -s 10.244.0.0/16 -d ${ip(VIP(s))}/32 -p tcp -m comment --comment "svc${s}" -m tcp --dport 80 -j KUBE-MARK-MASQ`);
    for (let e = 0; e < n; e++) {
      const sep = `KUBE-SEP-${s}-${e}`;
      const pod = ip((0x0af40000 + s * 16 + e + 2) >>> 0);
      head.push(`:${sep} - [0:0]`);
      const left = n - e;
      rules.push(left > 1 ? `-A ${svc} -m comment --comment "to ${pod}" -m statistic --mode random --probability ${(1 / left).toFixed(11)} -j ${sep}` : `-A ${svc} -j ${sep}`);
      rules.push(`-A ${sep} -s ${pod}/32 -j KUBE-MARK-MASQ`);
      rules.push(`-A ${sep} -p tcp -m tcp -j DNAT --to-destination ${pod}:8080`);
    }
  });
  rules.push(nodePortLast ? '-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS' : '-A KUBE-SERVICES -p udp -j RETURN');
  return [...head, ...rules, 'COMMIT', ''].join('\n');
}

describe('property: kube-proxy-shaped nat tables', () => {
  test('DNAT decision (PREROUTING) and masquerade (POSTROUTING): verdicts, costs, counters, marks and bindings agree', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 * MIN_RUN }),
        fc.boolean(),
        fc.array(fc.record({ svc: fc.integer({ min: 0, max: 3 * MIN_RUN + 2 }), src: fc.constantFrom(0x0af40102, 0x0b000001, LOCAL), dport: fc.constantFrom(80, 30080, 81) }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 1000 }),
        (endpoints, nodePortLast, probes, seed) => {
          const text = kubeText(endpoints, nodePortLast);
          const a = side(seed, NF_INET_PRE_ROUTING);
          const b = side(seed, NF_INET_PRE_ROUTING);
          const ta = load(text, 'nat', xtablesOf(a.ns).nft);
          const tb = load(text, 'nat', xtablesOf(b.ns).nft);
          const interp = new Interpreter();
          const ev = new Evaluator();
          let sport = 40000;
          for (const q of probes) {
            const dst = q.dport === 30080 ? LOCAL : VIP(q.svc);
            const pa = packet(IPPROTO_TCP, q.src, dst, sport++, q.dport);
            const pb = pa.clone();
            const results = [a, b].map((s, k) => {
              const ct = existingConntrack(s.ns)!;
              const p = k === 0 ? pa : pb;
              ct.packetIn(p, NF_INET_PRE_ROUTING, s.eth0);
              const conn = ct.connOf(p)!;
              const env = s.env;
              env.ct = ct;
              env.conn = conn;
              env.hook = NF_INET_PRE_ROUTING;
              env.outDev = null;
              const walk = (chain: string): [number, number] => (k === 0 ? [interp.walk(ta, chain, p, env), interp.cost] : [ev.walk(tb, chain, p, env), ev.cost]);
              const pre = walk('PREROUTING');
              env.hook = NF_INET_POST_ROUTING;
              env.outDev = s.eth1;
              const post = walk('POSTROUTING');
              env.conn = null;
              return { pre, post, mark: p.mark, reply: [conn.reply.src, conn.reply.dst, conn.reply.sport, conn.reply.dport], status: conn.status };
            });
            expect(results[1]).toEqual(results[0]);
            expect(counters(tb)).toEqual(counters(ta));
          }
          expect(b.net.random.u32()).toBe(a.net.random.u32());
        },
      ),
      { numRuns: 200 },
    );
  });
});


