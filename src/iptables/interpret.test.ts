/**
 * The interpreter: one example per match and target, the chain walk (jumps, goto, RETURN,
 * policies, counters), trace notes, the wiring into a namespace, the counters the kernel
 * recorded for the nf-* scenarios, and a property holding the modelled cost to a brute-force
 * recursive walk.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { existingConntrack } from '../conntrack/conntrack.js';
import type { NetDevice } from '../netns/device.js';
import type { NetNamespace } from '../netns/namespace.js';
import { NF_ACCEPT, NF_DROP, NF_INET_FORWARD } from '../netns/netfilter.js';
import { Network } from '../netns/network.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet, TCP_ACK, TCP_SYN } from '../packet/packet.js';
import { runScenario } from '../script/run.js';
import { SEC } from '../sim/time.js';
import { Tracer } from '../sim/trace.js';
import { NotModelled } from './errors.js';
import { ExtensionState } from './ext-state.js';
import { checkEvaluable, iptablesOf } from './hooks.js';
import { Interpreter } from './interpret.js';
import { currentIpsetLookup, EvalEnv, registerIpsetLookup } from './match-eval.js';
import { emptyRule, newChain, newTable, type Chain, type Rule, type Table } from './model.js';
import { restore } from './restore.js';
import { xtablesOf, Xtables } from './ruleset.js';
import { saveTable } from './save.js';

const A = 0x0a000101; // 10.0.1.1
const B = 0x0a000201; // 10.0.2.1
const LOCAL = 0x0a000001; // 10.0.0.1, an address of the namespace under test

/** A namespace with eth0 (10.0.0.1/24) and eth1, and an environment at `hook` from eth0 to eth1. */
function setup(hook = NF_INET_FORWARD): { net: Network; ns: NetNamespace; env: EvalEnv; eth0: NetDevice; eth1: NetDevice } {
  const net = new Network(7);
  const ns = net.root;
  const [eth0, eth1] = ns.addVethPair('eth0', 'eth1');
  ns.setUp(eth0);
  ns.setUp(eth1);
  ns.addAddress(eth0, LOCAL, 24);
  const env = new EvalEnv(ns, new ExtensionState());
  env.hook = hook;
  env.inDev = eth0;
  env.outDev = eth1;
  return { net, ns, env, eth0, eth1 };
}

/** The table of an iptables-restore text (nft flavour, not attached to any namespace). */
function load(text: string, table = 'filter'): Table {
  const x = new Xtables('nft');
  const r = restore(x, text, { program: 'iptables-restore', noflush: false, counters: false, table: null });
  expect(r.output).toBe('');
  return x.tables.get(table as 'filter')!;
}

/** `*filter` with FORWARD policy `policy` and the given `-A` lines. */
function filter(lines: string[], policy = 'ACCEPT', extra = ''): Table {
  return load(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ${policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n${extra}${lines.join('\n')}\nCOMMIT\n`);
}

function udp(src: number, dst: number, sport: number, dport: number): Packet {
  const p = new Packet();
  p.ipProto = IPPROTO_UDP;
  p.ipSrc = src;
  p.ipDst = dst;
  p.sport = sport;
  p.dport = dport;
  return p;
}

function tcp(src: number, dst: number, sport: number, dport: number, flags: number): Packet {
  const p = udp(src, dst, sport, dport);
  p.ipProto = IPPROTO_TCP;
  p.tcpFlags = flags;
  return p;
}

function icmp(type: number, code: number): Packet {
  const p = udp(A, B, 0, 0);
  p.ipProto = IPPROTO_ICMP;
  p.icmpType = type;
  p.icmpCode = code;
  return p;
}

/** The rule (1-based) of FORWARD that decided: the last one whose counter moved, 0 when the policy did. */
function firstHit(t: Table, p: Packet, env: EvalEnv): number {
  const f = t.chains.get('FORWARD')!;
  const before = f.rules.map((r) => r.counters.packets);
  const policyBefore = f.counters.packets;
  new Interpreter().walk(t, 'FORWARD', p, env);
  if (f.counters.packets !== policyBefore) return 0;
  let last = 0;
  f.rules.forEach((r, i) => {
    if (r.counters.packets !== before[i]) last = i + 1;
  });
  return last;
}

describe('matches', () => {
  test('-s -d with masks and !, -i with a + wildcard, -o, -p with !', () => {
    const { env } = setup();
    const t = filter([
      '-A FORWARD -s 10.0.2.0/24 -j DROP',
      '-A FORWARD ! -d 10.0.2.0/24 -j DROP',
      '-A FORWARD -i veth+ -j DROP',
      '-A FORWARD -o eth -j DROP',
      '-A FORWARD ! -p udp -j DROP',
      '-A FORWARD -i eth+ -o eth1 -p udp -j ACCEPT',
    ]);
    expect(firstHit(t, udp(A, B, 1, 2), env)).toBe(6);
    expect(firstHit(t, udp(B, B, 1, 2), env)).toBe(1);
    expect(firstHit(t, udp(A, A, 1, 2), env)).toBe(2);
    expect(firstHit(t, tcp(A, B, 1, 2, TCP_SYN), env)).toBe(5);
  });

  test('tcp/udp ports and ranges, --tcp-flags and --syn, icmp types', () => {
    const { env } = setup();
    const t = filter([
      '-A FORWARD -p tcp -m tcp --syn -j ACCEPT',
      '-A FORWARD -p tcp -m tcp --sport 1000:2000 ! --dport 80 -j ACCEPT',
      '-A FORWARD -p udp -m udp --dport 53 -j ACCEPT',
      '-A FORWARD -p icmp -m icmp --icmp-type port-unreachable -j ACCEPT',
      '-A FORWARD -p icmp -m icmp --icmp-type echo-request -j ACCEPT',
    ]);
    expect(firstHit(t, tcp(A, B, 5, 80, TCP_SYN), env)).toBe(1);
    expect(firstHit(t, tcp(A, B, 5, 80, TCP_SYN | TCP_ACK), env)).toBe(0);
    expect(firstHit(t, tcp(A, B, 1500, 81, TCP_ACK), env)).toBe(2);
    expect(firstHit(t, tcp(A, B, 1500, 80, TCP_ACK), env)).toBe(0);
    expect(firstHit(t, udp(A, B, 1, 53), env)).toBe(3);
    expect(firstHit(t, icmp(3, 3), env)).toBe(4);
    expect(firstHit(t, icmp(3, 1), env)).toBe(0);
    expect(firstHit(t, icmp(8, 0), env)).toBe(5);
  });

  test('comment, multiport (single ports and ranges, inverted)', () => {
    const { env } = setup();
    const t = filter([
      '-A FORWARD -p tcp -m comment --comment "just a note" -m multiport --dports 22,80,8000:8100 -j ACCEPT',
      '-A FORWARD -p tcp -m multiport ! --sports 1:1023 -j DROP',
    ]);
    expect(firstHit(t, tcp(A, B, 5, 8080, 0), env)).toBe(1);
    expect(firstHit(t, tcp(A, B, 5, 81, 0), env)).toBe(0);
    expect(firstHit(t, tcp(A, B, 5000, 81, 0), env)).toBe(2);
  });

  test('statistic random draws 31-bit fixed point from the seeded generator; nth counts from --packet', () => {
    const { env } = setup();
    const t = filter(['-A FORWARD -m statistic --mode random --probability 0.25', '-A FORWARD -m statistic --mode random --probability 1', '-A FORWARD -m statistic --mode random --probability 0']);
    const interp = new Interpreter();
    for (let i = 0; i < 4000; i++) interp.walk(t, 'FORWARD', udp(A, B, 1, 2), env);
    const [quarter, one, zero] = t.chains.get('FORWARD')!.rules.map((r) => r.counters.packets);
    expect(quarter).toBeGreaterThan(900);
    expect(quarter).toBeLessThan(1100);
    expect([one, zero]).toEqual([4000, 0]);
    // nth: --every 3 --packet 0 hits packets 1, 4, 7 (the kernel recording nf-marks shows the 1st and 4th).
    const n = filter(['-A FORWARD -m statistic --mode nth --every 3 --packet 0 -j DROP', '-A FORWARD -m statistic --mode nth --every 2 --packet 1 -j DROP']);
    const verdicts = [1, 2, 3, 4, 5, 6, 7].map(() => firstHit(n, udp(A, B, 1, 2), env));
    // The second rule counts only the packets that reach it (2, 3, 5, 6): its 2nd, 4th … hit.
    expect(verdicts).toEqual([1, 0, 2, 1, 0, 2, 1]);
  });

  test('mark set by MARK and matched with a mask; CONNMARK without a connection does nothing', () => {
    const { env } = setup();
    const t = filter(['-A FORWARD -j MARK --or-mark 0x4000', '-A FORWARD -m mark ! --mark 0x4000/0x4000 -j DROP', '-A FORWARD -j CONNMARK --save-mark', '-A FORWARD -m mark --mark 0x4001 -j ACCEPT', '-A FORWARD -m mark --mark 0x4000 -j ACCEPT']);
    const p = udp(A, B, 1, 2);
    p.mark = 1;
    expect(firstHit(t, p, env)).toBe(4);
    expect(p.mark).toBe(0x4001);
    expect(firstHit(t, udp(A, B, 1, 2), env)).toBe(5);
  });

  test('addrtype: LOCAL and UNICAST from the local table, BROADCAST, --limit-iface-in', () => {
    const { env } = setup();
    const t = filter([
      '-A FORWARD -m addrtype --dst-type LOCAL --limit-iface-in -j DROP',
      '-A FORWARD -m addrtype --dst-type BROADCAST -j DROP',
      '-A FORWARD -m addrtype --src-type UNICAST ! --dst-type LOCAL -j ACCEPT',
    ]);
    expect(firstHit(t, udp(A, LOCAL, 1, 2), env)).toBe(1);
    expect(firstHit(t, udp(A, 0x0a0000ff, 1, 2), env)).toBe(2); // 10.0.0.255: eth0's broadcast
    expect(firstHit(t, udp(A, B, 1, 2), env)).toBe(3);
    env.inDev = env.outDev; // a local destination that is not on the in device
    expect(firstHit(t, udp(A, LOCAL, 1, 2), env)).toBe(0);
  });

  test('recent: --set, then --rcheck with --seconds and --hitcount, --update, --remove', () => {
    const { net, env } = setup();
    const set = filter(['-A FORWARD -p udp -m udp --dport 1 -m recent --set --name SEEN --mask 255.255.255.255 --rsource']);
    const check = filter(['-A FORWARD -m recent --rcheck --seconds 10 --hitcount 2 --name SEEN --mask 255.255.255.255 --rsource -j DROP']);
    const update = filter(['-A FORWARD -m recent --update --seconds 10 --name SEEN --mask 255.255.255.255 --rsource -j DROP']);
    const remove = filter(['-A FORWARD -m recent --remove --name SEEN --mask 255.255.255.255 --rsource -j DROP']);
    new Interpreter().walk(set, 'FORWARD', udp(A, B, 5, 1), env);
    expect(firstHit(check, udp(A, B, 5, 2), env)).toBe(0); // one hit so far
    new Interpreter().walk(set, 'FORWARD', udp(A, B, 5, 1), env);
    expect(firstHit(check, udp(A, B, 5, 2), env)).toBe(1);
    expect(firstHit(check, udp(B, A, 5, 2), env)).toBe(0); // another source
    net.scheduler.runUntil(net.now + 11 * SEC);
    expect(firstHit(update, udp(A, B, 5, 2), env)).toBe(0); // older than 10 s
    expect(firstHit(remove, udp(A, B, 5, 2), env)).toBe(1);
    expect(firstHit(remove, udp(A, B, 5, 2), env)).toBe(0);
  });

  test('limit: a burst, then one packet per period (HZ 250, 128 credits per jiffy)', () => {
    const { net, env } = setup();
    const t = filter(['-A FORWARD -m limit --limit 1/sec --limit-burst 2 -j ACCEPT'], 'DROP');
    const pass = (): boolean => new Interpreter().walk(t, 'FORWARD', udp(A, B, 1, 2), env) === NF_ACCEPT;
    expect([pass(), pass(), pass()]).toEqual([true, true, false]);
    net.scheduler.runUntil(net.now + 0.5 * SEC);
    expect(pass()).toBe(false);
    net.scheduler.runUntil(net.now + 0.5 * SEC);
    expect([pass(), pass()]).toEqual([true, false]);
  });

  test('physdev on a routed packet: only inverted or absent options match', () => {
    const { env } = setup();
    const t = filter(['-A FORWARD -m physdev --physdev-is-bridged -j DROP', '-A FORWARD -m physdev ! --physdev-is-in ! --physdev-out veth1 -j ACCEPT']);
    expect(firstHit(t, udp(A, B, 1, 2), env)).toBe(2);
  });

  test('set: refused at load while no ipset backend is registered', () => {
    const saved = currentIpsetLookup();
    registerIpsetLookup(null);
    try {
      const t = filter(['-A FORWARD -m set --match-set KUBE-X dst,dst -j ACCEPT']);
      expect(() => checkEvaluable(t)).toThrow(NotModelled);
      expect(() => checkEvaluable(t)).toThrow(/set match \(ipset\) is not modelled by dpsim yet/);
    } finally {
      registerIpsetLookup(saved);
    }
  });
});

describe('the chain walk', () => {
  const rules = [
    '-A FORWARD -p udp -j USER',
    '-A FORWARD -p tcp -g GOTO',
    '-A FORWARD -d 10.0.2.9/32 -j DROP',
    '-A USER -s 10.0.9.0/24 -j RETURN',
    '-A USER -m udp -p udp --dport 53 -j ACCEPT',
    '-A USER -j NESTED',
    '-A NESTED -m udp -p udp --dport 54 -j DROP',
    '-A GOTO -m tcp -p tcp --dport 80 -j ACCEPT',
  ];
  const chains = ':USER - [0:0]\n:NESTED - [0:0]\n:GOTO - [0:0]\n';

  test('-j pushes and returns, -g does not, RETURN pops, the policy ends it; cost counts the rules visited', () => {
    const { env } = setup();
    const t = filter(rules, 'DROP', chains);
    const interp = new Interpreter();
    const run = (p: Packet): [number, number] => [interp.walk(t, 'FORWARD', p, env), interp.cost];
    expect(run(udp(A, B, 1, 53))).toEqual([NF_ACCEPT, 3]); // FORWARD#1, USER#1, USER#2
    expect(run(udp(A, B, 1, 54))).toEqual([NF_DROP, 5]); // … USER#3, NESTED#1
    // NESTED ends, back in USER, USER ends, back in FORWARD: #2 (tcp, no), #3 (no), policy.
    expect(run(udp(A, B, 1, 55))).toEqual([NF_DROP, 7]);
    expect(run(udp(0x0a000905, 0x0a000209, 1, 53))).toEqual([NF_DROP, 4]); // RETURN from USER, then FORWARD#2, #3 DROP
    // -g GOTO: GOTO's end returns to FORWARD's caller (none): the policy, not FORWARD#3.
    expect(run(tcp(A, 0x0a000209, 1, 81, 0))).toEqual([NF_DROP, 3]);
    expect(run(tcp(A, 0x0a000209, 1, 80, 0))).toEqual([NF_ACCEPT, 3]);
    const f = t.chains.get('FORWARD')!;
    expect(f.counters).toEqual({ packets: 2, bytes: 20 + 8 + 20 + 20 });
  });

  test('counters show in iptables-save -c: each rule hit and each policy, with the IP length in bytes', () => {
    const { env } = setup();
    const t = filter(rules, 'DROP', chains);
    const p = udp(A, B, 1, 55);
    p.payload = new Uint8Array(6);
    new Interpreter().walk(t, 'FORWARD', p, env);
    expect(saveTable(t, true)).toContain(':FORWARD DROP [1:34]\n');
    expect(saveTable(t, true)).toContain('[1:34] -A FORWARD -p udp -j USER\n[0:0] -A FORWARD -p tcp -g GOTO\n[0:0] -A FORWARD -d 10.0.2.9/32 -j DROP\n');
    expect(saveTable(t, true)).toContain('[0:0] -A USER -s 10.0.9.0/24 -j RETURN\n[0:0] -A USER -p udp -m udp --dport 53 -j ACCEPT\n[1:34] -A USER -j NESTED\n');
  });

  test('trace notes: every rule evaluated as iptables -S prints it, the policy and the verdict; nothing without a tracer', () => {
    const { net, env } = setup();
    const t = filter(rules, 'DROP', chains);
    new Interpreter().walk(t, 'FORWARD', udp(A, B, 1, 53), env);
    const tracer = new Tracer(net.scheduler);
    net.tracer = tracer;
    new Interpreter().walk(t, 'FORWARD', udp(A, B, 1, 53), env);
    new Interpreter().walk(t, 'FORWARD', icmp(8, 0), env);
    expect(tracer.take().map((e) => e.text)).toEqual([
      'filter FORWARD #1 hit: -A FORWARD -p udp -j USER',
      'filter USER #1 miss: -A USER -s 10.0.9.0/24 -j RETURN',
      'filter USER #2 hit: -A USER -p udp -m udp --dport 53 -j ACCEPT',
      'filter FORWARD: ACCEPT (3 rules evaluated)',
      'filter FORWARD #1 miss: -A FORWARD -p udp -j USER',
      'filter FORWARD #2 miss: -A FORWARD -p tcp -g GOTO',
      'filter FORWARD #3 miss: -A FORWARD -d 10.0.2.9/32 -j DROP',
      'filter FORWARD: policy DROP',
      'filter FORWARD: DROP (3 rules evaluated)',
    ]);
  });

  test('LOG and TRACE write kernel-style trace notes and continue', () => {
    const { net, env } = setup();
    const raw = load('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p udp -j TRACE\nCOMMIT\n', 'raw');
    const t = filter(['-A FORWARD -p udp -j LOG --log-prefix "fw: "', '-A FORWARD -j ACCEPT']);
    const tracer = new Tracer(net.scheduler);
    net.tracer = tracer;
    const p = udp(A, B, 1000, 53);
    env.table = 'raw';
    expect(new Interpreter().walk(raw, 'PREROUTING', p, env)).toBe(NF_ACCEPT);
    env.table = 'filter';
    expect(new Interpreter().walk(t, 'FORWARD', p, env)).toBe(NF_ACCEPT);
    const texts = tracer.take().map((e) => e.text);
    expect(texts).toContain('LOG: fw: IN=eth0 OUT=eth1 SRC=10.0.1.1 DST=10.0.2.1 LEN=28 TTL=64 ID=0 PROTO=UDP SPT=1000 DPT=53');
    // The kernel traces from the rule after the TRACE target on (nf_trace is set by the target).
    expect(texts).toContain('TRACE: raw:PREROUTING:policy:2');
    expect(texts).toContain('TRACE: filter:FORWARD:rule:1');
    expect(texts).toContain('TRACE: filter:FORWARD:rule:2');
  });
});

/** A router between h1 and h2 (the nf-* kernel scenarios' topology), as script text. */
const scenario = (name: string): string => readFileSync(new URL(`../../test/kernel/scenarios/${name}.sh`, import.meta.url), 'utf8');

describe('wiring into a namespace', () => {
  test('a namespace without rules registers nothing; loading a filter table registers INPUT, FORWARD, OUTPUT without conntrack', () => {
    const net = new Network(1);
    const ns = net.root;
    expect([0, 1, 2, 3, 4].map((h) => ns.hooks.has(h))).toEqual([false, false, false, false, false]);
    restore(xtablesOf(ns).nft, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n', { program: 'iptables-restore', noflush: false, counters: false, table: null });
    expect([0, 1, 2, 3, 4].map((h) => ns.hooks.has(h))).toEqual([false, true, true, true, false]);
    expect(existingConntrack(ns)?.enabled ?? false).toBe(false);
    // A conntrack match loads conntrack (not NAT); a nat table loads both.
    restore(xtablesOf(ns).nft, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m state --state NEW\nCOMMIT\n', { program: 'iptables-restore', noflush: false, counters: false, table: null });
    expect(existingConntrack(ns)?.enabled).toBe(true);
    expect(existingConntrack(ns)?.natEnabled).toBe(false);
    restore(xtablesOf(ns).legacy, '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n', { program: 'iptables-legacy-restore', noflush: false, counters: false, table: null });
    expect(existingConntrack(ns)?.natEnabled).toBe(true);
  });

  test('raw NOTRACK: the packet is UNTRACKED for the state match and gets no conntrack entry', () => {
    const text = scenario('nf-stateful-forward').split('ip netns exec r1 iptables-restore')[0]! + `ip netns exec r1 iptables-restore <<'RULES'
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 7 -j NOTRACK
-A PREROUTING -p udp -m udp --sport 7 -j NOTRACK
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m state --state UNTRACKED -j ACCEPT
COMMIT
RULES
listen h2 udp 7
probe h1 udp 10.0.1.1:40000 10.0.2.1:7
ip netns exec r1 iptables-save -c -t filter
ip netns exec r1 conntrack -L
`;
    const r = runScenario(text, { file: 'notrack.sh' });
    const out = r.segments.filter((s) => s.kind === 'output').map((s) => (s as { text: string }).text).join('');
    expect(out).toContain('[2:68] -A FORWARD -m state --state UNTRACKED -j ACCEPT');
    expect(out).toContain('0 flow entries have been shown.');
    expect(r.probes[0]!.lines.some((l) => l.line.startsWith('h1 eth0 in udp 10.0.2.1:7'))).toBe(true);
  });

  test('the nat table sees only a connection\'s first packet; every table adds to the modelled cost', () => {
    const r = runScenario(scenario('nf-clusterip-dnat'), { file: 'nf-clusterip-dnat.sh' });
    const n1 = r.network.namespaces.get('n1')!;
    const nat = xtablesOf(n1).nft.tables.get('nat')!;
    expect(nat.chains.get('KUBE-SERVICES')!.rules[0]!.counters.packets).toBe(1);
    // SYN: PREROUTING (1) + KUBE-SERVICES (1) + KUBE-SVC (1) + KUBE-SEP (2); POSTROUTING (1) + KUBE-POSTROUTING (1).
    expect(iptablesOf(n1).rulesEvaluated()).toBe(7);
  });
});

/** Moves ` -c N M` to the end of each rule line (iptables 1.8.9 prints it before `-j`; dpsim's `iptables -v -S` at the end, for now). */
function counterAtEnd(text: string): string {
  return text.replace(/^(-A .*?) -c (\d+) (\d+)( -[jg] .*)?$/gm, (_m, head: string, pk: string, by: string, tail: string | undefined) => `${head}${tail ?? ''} -c ${pk} ${by}`);
}

describe('counters after the nf-* kernel scenarios equal the kernel\'s (`iptables -v -S`, recorded)', () => {
  const recorded = JSON.parse(readFileSync(new URL('./testdata/nf-counters.kernel.json', import.meta.url), 'utf8')) as Record<string, string>;
  const listings: Record<string, string[]> = {
    'nf-clusterip-dnat': ['ip netns exec n1 iptables -t nat -v -S'],
    'nf-marks': ['ip netns exec r1 iptables -t mangle -v -S', 'ip netns exec r1 iptables -v -S FORWARD'],
    'nf-redirect': ['ip netns exec r1 iptables -t nat -v -S'],
    'nf-reject': ['ip netns exec r1 iptables -v -S'],
    'nf-snat-masquerade': ['ip netns exec r1 iptables -t nat -v -S'],
    'nf-stateful-forward': ['ip netns exec r1 iptables -v -S'],
  };
  for (const [name, cmds] of Object.entries(listings)) {
    test(name, () => {
      const r = runScenario(`${scenario(name)}\n${cmds.join('\n')}\n`, { file: `${name}.sh` });
      const last = r.segments[r.segments.length - 1]!;
      expect(last.kind).toBe('output');
      // Both sides with the counters at the end, so the check holds whichever order `iptables -v -S` prints.
      expect(counterAtEnd((last as { text: string }).text)).toBe(counterAtEnd(recorded[name]!));
    });
  }
});

// ---- the modelled cost against a brute-force walk ------------------------------------------

/** Outcome of the recursive reference walk of one chain. */
type Outcome = 'ACCEPT' | 'DROP' | 'RETURN';

/**
 * The definition, recursively: a chain's rules in order, each visit costs one; a jump runs the
 * target chain and goes on unless it decided; a goto's result is the chain's result.
 */
function referenceWalk(t: Table, builtin: string, p: Packet, env: EvalEnv): { verdict: number; cost: number; hits: Map<Rule, number> } {
  let cost = 0;
  const hits = new Map<Rule, number>();
  const interp = new Interpreter();
  const matches = (r: Rule): boolean => {
    // One rule alone in a throwaway chain: the interpreter's matching, without its walk.
    const probe = newTable('filter');
    const c = probe.chains.get('FORWARD')!;
    c.rules = [{ ...r, target: { name: 'ACCEPT' }, counters: { packets: 0, bytes: 0 } }];
    c.policy = 'DROP';
    return interp.walk(probe, 'FORWARD', p, env) === NF_ACCEPT;
  };
  const run = (c: Chain): Outcome => {
    for (const r of c.rules) {
      cost++;
      if (!matches(r)) continue;
      hits.set(r, (hits.get(r) ?? 0) + 1);
      const tg = r.target;
      if (tg === null) continue;
      if (tg.name === 'ACCEPT' || tg.name === 'DROP' || tg.name === 'RETURN') return tg.name;
      if (tg.name === 'jump') {
        const next = t.chains.get(tg.chain)!;
        if (tg.goto) return run(next);
        const o = run(next);
        if (o !== 'RETURN') return o;
      }
    }
    return 'RETURN';
  };
  const start = t.chains.get(builtin)!;
  const o = run(start);
  const verdict = o === 'ACCEPT' ? NF_ACCEPT : o === 'DROP' ? NF_DROP : start.policy === 'DROP' ? NF_DROP : NF_ACCEPT;
  return { verdict, cost, hits };
}

/** A random acyclic table: chain i jumps only to chains after it (as the kernel's loop check requires). */
const arbTable = fc
  .record({
    policy: fc.constantFrom('ACCEPT', 'DROP'),
    chains: fc.array(
      fc.array(
        fc.record({
          proto: fc.constantFrom(0, 6, 17),
          dport: fc.option(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })), { nil: undefined }),
          srcBits: fc.integer({ min: 0, max: 3 }),
          invertSrc: fc.boolean(),
          target: fc.constantFrom('none', 'ACCEPT', 'DROP', 'RETURN', 'jump', 'goto', 'MARK'),
          to: fc.integer({ min: 1, max: 4 }),
        }),
        { maxLength: 8 },
      ),
      { minLength: 1, maxLength: 5 },
    ),
  })
  .map(({ policy, chains }) => {
    const t = newTable('filter');
    const names = chains.map((_, i) => (i === 0 ? 'FORWARD' : `C${i}`));
    for (let i = 1; i < names.length; i++) t.chains.set(names[i]!, newChain(names[i]!, false));
    t.chains.get('FORWARD')!.policy = policy as 'ACCEPT' | 'DROP';
    chains.forEach((specs, i) => {
      t.chains.get(names[i]!)!.rules = specs.map((s) => {
        const r = emptyRule();
        if (s.srcBits > 0) {
          r.srcMask = (0xffffffff << (32 - s.srcBits)) >>> 0;
          r.src = (0x80000000 & r.srcMask) >>> 0;
          if (s.invertSrc) r.invert |= 0x08;
        }
        r.proto = s.dport !== undefined ? 17 : s.proto;
        if (s.dport !== undefined) {
          const [a, b] = s.dport;
          r.matches.push({ name: 'udp', sport: [0, 65535], dport: [Math.min(a, b), Math.max(a, b)], sportInvert: false, dportInvert: false, flagsMask: 0, flagsCmp: 0, flagsInvert: false });
        }
        const later = i + s.to;
        if ((s.target === 'jump' || s.target === 'goto') && later < names.length) r.target = { name: 'jump', chain: names[later]!, goto: s.target === 'goto' };
        else if (s.target === 'ACCEPT' || s.target === 'DROP' || s.target === 'RETURN') r.target = { name: s.target };
        else if (s.target === 'MARK') r.target = { name: 'MARK', value: 1, mask: 1 };
        return r;
      });
    });
    return t;
  });

const arbPacket = fc.record({ proto: fc.constantFrom(6, 17, 1), src: fc.integer({ min: 0, max: 0xffffffff }), dport: fc.integer({ min: 0, max: 24 }) }).map(({ proto, src, dport }) => {
  const p = udp(src >>> 0, B, 1, dport);
  p.ipProto = proto;
  return p;
});

describe('property: the modelled cost is the number of rules a brute-force walk visits', () => {
  test('verdict, cost and per-rule hits agree on random acyclic tables and packets', () => {
    fc.assert(
      fc.property(arbTable, fc.array(arbPacket, { minLength: 1, maxLength: 5 }), (t, packets) => {
        const { env } = setup();
        const interp = new Interpreter();
        for (const p of packets) {
          const before = new Map<Rule, number>();
          for (const c of t.chains.values()) for (const r of c.rules) before.set(r, r.counters.packets);
          const ref = referenceWalk(t, 'FORWARD', p.clone(), env);
          const verdict = interp.walk(t, 'FORWARD', p, env);
          expect(verdict).toBe(ref.verdict);
          expect(interp.cost).toBe(ref.cost);
          for (const c of t.chains.values()) for (const r of c.rules) expect(r.counters.packets - before.get(r)!).toBe(ref.hits.get(r) ?? 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
