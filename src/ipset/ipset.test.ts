/**
 * Properties of the set engine: save → restore → save is a fixed point; membership (by
 * `ipset test` and by the packet match) equals a brute-force model of the kernel's rules
 * (hash:net: the longest stored prefix decides, a nomatch entry excludes); and the `set`
 * match reads the packet fields its direction flags name.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Network } from '../netns/network.js';
import { formatIPv4 } from '../packet/address.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet } from '../packet/packet.js';
import { dispatch } from '../script/commands.js';
import type { ScriptContext } from '../script/context.js';
import { lex } from '../script/lexer.js';
import { Elem, prefixMask } from './element.js';
import { HashSet } from './hash-set.js';
import { ipsetOf } from './ipset.js';
import { parseMatchFlags } from './set.js';

/** Runs script text on a machine, returning what it printed. */
function run(net: Network, script: string): string {
  let out = '';
  const ctx: ScriptContext = {
    net,
    ns: net.root,
    file: 'test.sh',
    out: (t) => {
      out += t;
    },
    exec: () => {
      throw new Error('unused');
    },
  };
  for (const cmd of lex(script, 'test.sh', () => '')) dispatch(ctx, cmd.argv, cmd);
  return out;
}

const TEN = 0x0a000000;
const addr = fc.integer({ min: 0, max: 0xffff }).map((n) => (TEN + n) >>> 0);
const port = fc.integer({ min: 1, max: 40 });
const proto = fc.constantFrom('tcp', 'udp');
const cidr = fc.integer({ min: 8, max: 32 });

/** Random element text for each modelled type. */
const elementOf: Record<string, fc.Arbitrary<string>> = {
  'hash:ip': addr.map(formatIPv4),
  'hash:ip,port': fc.tuple(addr, proto, port).map(([a, p, n]) => `${formatIPv4(a)},${p}:${n}`),
  'hash:ip,port,ip': fc.tuple(addr, proto, port, addr).map(([a, p, n, b]) => `${formatIPv4(a)},${p}:${n},${formatIPv4(b)}`),
  'hash:ip,port,net': fc.tuple(addr, proto, port, addr, cidr).map(([a, p, n, b, c]) => `${formatIPv4(a)},${p}:${n},${formatIPv4(b)}/${c}`),
  'hash:net': fc.tuple(addr, cidr).map(([a, c]) => `${formatIPv4(a)}/${c}`),
  'hash:net,port': fc.tuple(addr, cidr, proto, port).map(([a, c, p, n]) => `${formatIPv4(a)}/${c},${p}:${n}`),
  'bitmap:port': fc.integer({ min: 100, max: 200 }).map(String),
};

const setSpec = fc.constantFrom(...Object.keys(elementOf)).chain((type) =>
  fc.record({
    type: fc.constant(type),
    counters: fc.boolean(),
    comment: fc.boolean(),
    initval: fc.integer({ min: 0, max: 0xffffffff }),
    hashsize: fc.constantFrom(64, 128, 1024),
    elements: fc.array(elementOf[type]!, { maxLength: 150 }),
    nomatch: fc.array(fc.boolean(), { maxLength: 150 }),
    deletes: fc.array(fc.nat(), { maxLength: 40 }),
  }),
);

describe('ipset properties', () => {
  test('save → restore → save is identical', () => {
    fc.assert(
      fc.property(fc.array(setSpec, { minLength: 1, maxLength: 4 }), (specs) => {
        const a = new Network(1);
        let script = '';
        specs.forEach((s, i) => {
          const ext = `${s.counters ? ' counters' : ''}${s.comment ? ' comment' : ''}`;
          if (s.type === 'bitmap:port') script += `ipset create S${i} bitmap:port range 100-200${ext}\n`;
          else script += `ipset create S${i} ${s.type} hashsize ${s.hashsize} initval ${s.initval}${ext}\n`;
          s.elements.forEach((e, j) => {
            const nm = s.nomatch[j] === true && s.type.includes('net') ? ' nomatch' : '';
            const cm = s.comment && j % 3 === 0 ? ` comment c${j}` : '';
            const ct = s.counters && j % 2 === 0 ? ` packets ${j} bytes ${j * 60}` : '';
            script += `ipset -exist add S${i} ${e}${nm}${cm}${ct}\n`;
          });
          for (const d of s.deletes) if (s.elements.length > 0) script += `ipset -exist del S${i} ${s.elements[d % s.elements.length]}\n`;
        });
        script += 'ipset create L list:set\n';
        specs.forEach((_, i) => (script += `ipset add L S${i}\n`));
        expect(run(a, script)).toBe('');
        const saved = run(a, 'ipset save');
        const b = new Network(2);
        expect(run(b, `ipset restore <<'EOF'\n${saved}EOF\n`)).toBe('');
        expect(run(b, 'ipset save')).toBe(saved);
        // After deletions the kernel's buckets keep holes and their memory charge, which a fresh
        // restore does not have: `list` (member order, Size in memory) then legitimately differs.
        if (specs.every((s) => s.deletes.length === 0 || s.elements.length === 0)) expect(run(b, 'ipset list')).toBe(run(a, 'ipset list'));
      }),
      { numRuns: 60 },
    );
  });

  test('hash:net membership equals the longest-prefix model (ipset test and the packet match)', () => {
    const entry = fc.record({ a: addr, c: cidr, nomatch: fc.boolean() });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), fc.array(addr, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (entries, probes, initval) => {
        const net = new Network(1);
        run(net, `ipset create N hash:net hashsize 64 initval ${initval}`);
        // The model: prefix → nomatch, as the last -exist add left it.
        const model = new Map<string, boolean>();
        for (const e of entries) {
          run(net, `ipset -exist add N ${formatIPv4(e.a)}/${e.c}${e.nomatch ? ' nomatch' : ''}`);
          model.set(`${(e.a & prefixMask(e.c)) >>> 0}/${e.c}`, e.nomatch);
        }
        const t = ipsetOf(net.root);
        const flags = parseMatchFlags('dst')!;
        const p = new Packet();
        p.ipProto = IPPROTO_UDP;
        for (const probe of probes) {
          let expected = false;
          for (let c = 32; c >= 1; c--) {
            const nm = model.get(`${(probe & prefixMask(c)) >>> 0}/${c}`);
            if (nm !== undefined) {
              expected = !nm;
              break;
            }
          }
          const said = run(net, `ipset test N ${formatIPv4(probe)}`);
          expect(said.startsWith('Warning:')).toBe(expected);
          p.ipDst = probe;
          expect(t.match('N', p, flags)).toBe(expected);
        }
      }),
      { numRuns: 100 },
    );
  });

  test('hash:ip,port membership equals a set of (ip, proto, port) after random adds and deletes', () => {
    const op = fc.record({ add: fc.boolean(), a: fc.integer({ min: 0, max: 63 }), udp: fc.boolean(), port: fc.integer({ min: 1, max: 8 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 0, max: 0xffffffff }), (ops, initval) => {
        const net = new Network(1);
        run(net, `ipset create P hash:ip,port hashsize 64 initval ${initval}`);
        const set = ipsetOf(net.root).get('P') as HashSet;
        const model = new Set<string>();
        const e = new Elem();
        for (const o of ops) {
          e.reset();
          e.ip = TEN + o.a;
          e.proto = o.udp ? IPPROTO_UDP : IPPROTO_TCP;
          e.port = o.port;
          const key = `${o.a}/${o.udp}/${o.port}`;
          if (o.add) {
            set.add(e, { timeout: null, packets: null, bytes: null, comment: null }, true, 0);
            model.add(key);
          } else {
            set.del(e, true, 0);
            model.delete(key);
          }
        }
        expect(set.count(0)).toBe(model.size);
        const p = new Packet();
        const flags = parseMatchFlags('dst,dst')!;
        for (let a = 0; a < 64; a++)
          for (const udp of [false, true])
            for (let port = 1; port <= 8; port++) {
              p.ipDst = TEN + a;
              p.ipProto = udp ? IPPROTO_UDP : IPPROTO_TCP;
              p.dport = port;
              expect(set.matchPacket(p, flags, 0)).toBe(model.has(`${a}/${udp}/${port}`));
            }
      }),
      { numRuns: 60 },
    );
  });
});

describe('the set match', () => {
  test('kube-proxy sets: direction flags pick the packet fields, dimensions must be covered', () => {
    const net = new Network(1);
    run(
      net,
      [
        'ipset create KUBE-CLUSTER-IP hash:ip,port comment initval 0x11',
        'ipset create KUBE-LOOP-BACK hash:ip,port,ip comment initval 0x12',
        'ipset create KUBE-NODE-PORT-TCP bitmap:port range 0-65535 comment',
        'ipset create KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net initval 0x15',
        'ipset create ALL list:set',
        'ipset add KUBE-CLUSTER-IP 10.96.0.1,tcp:443',
        'ipset add KUBE-LOOP-BACK 10.244.1.5,tcp:80,10.244.1.5',
        'ipset add KUBE-NODE-PORT-TCP 30080',
        'ipset add KUBE-LOAD-BALANCER-SOURCE-CIDR 192.0.2.10,tcp:80,203.0.113.0/24',
        'ipset add ALL KUBE-NODE-PORT-TCP',
      ].join('\n'),
    );
    const t = ipsetOf(net.root);
    const p = new Packet();
    p.ipProto = IPPROTO_TCP;
    p.ipSrc = 0x0af40105; // 10.244.1.5
    p.ipDst = 0x0a600001; // 10.96.0.1
    p.sport = 40000;
    p.dport = 443;
    expect(t.match('KUBE-CLUSTER-IP', p, parseMatchFlags('dst,dst')!)).toBe(true);
    expect(t.match('KUBE-CLUSTER-IP', p, parseMatchFlags('dst')!)).toBe(false); // fewer dimensions than the set
    expect(t.match('KUBE-CLUSTER-IP', p, parseMatchFlags('src,dst')!)).toBe(false);
    p.ipDst = 0x0af40105;
    p.dport = 80;
    expect(t.match('KUBE-LOOP-BACK', p, parseMatchFlags('dst,dst,src')!)).toBe(true);
    p.ipSrc = 0x0af40106;
    expect(t.match('KUBE-LOOP-BACK', p, parseMatchFlags('dst,dst,src')!)).toBe(false);
    p.dport = 30080;
    expect(t.match('KUBE-NODE-PORT-TCP', p, parseMatchFlags('dst')!)).toBe(true);
    expect(t.match('ALL', p, parseMatchFlags('dst')!)).toBe(true);
    expect(t.match('KUBE-NODE-PORT-TCP', p, parseMatchFlags('src')!)).toBe(false);
    p.ipProto = IPPROTO_ICMP;
    expect(t.match('KUBE-NODE-PORT-TCP', p, parseMatchFlags('dst')!)).toBe(false); // bitmap:port reads TCP and UDP only
    p.ipProto = IPPROTO_TCP;
    p.ipDst = 0xc000020a; // 192.0.2.10
    p.ipSrc = 0xcb00714d; // 203.0.113.77
    p.dport = 80;
    expect(t.match('KUBE-LOAD-BALANCER-SOURCE-CIDR', p, parseMatchFlags('dst,dst,src')!)).toBe(true);
    expect(t.match('NO-SUCH-SET', p, parseMatchFlags('dst')!)).toBe(false);
  });

  test('swap moves what a match by index sees; counters count matched packets', () => {
    const net = new Network(1);
    run(net, 'ipset create A hash:ip counters initval 1\nipset create B hash:ip initval 2\nipset add A 10.0.0.1\nipset add B 10.0.0.2');
    const t = ipsetOf(net.root);
    const id = t.indexOf('A');
    const p = new Packet();
    p.ipProto = IPPROTO_UDP;
    p.ipDst = 0x0a000001;
    const dst = parseMatchFlags('dst')!;
    expect(t.matchIndex(id, p, dst)).toBe(true);
    expect(run(net, 'ipset save A')).toContain(`add A 10.0.0.1 packets 1 bytes ${p.ipTotalLength()}`);
    run(net, 'ipset swap A B');
    expect(t.matchIndex(id, p, dst)).toBe(false);
    p.ipDst = 0x0a000002;
    expect(t.matchIndex(id, p, dst)).toBe(true);
  });

  test('timeouts expire on the virtual clock', () => {
    const net = new Network(1);
    run(net, 'ipset create T hash:ip timeout 10 initval 3\nipset add T 10.0.0.1\nipset add T 10.0.0.2 timeout 0');
    expect(run(net, 'ipset list T')).toContain('10.0.0.1 timeout 10\n');
    net.scheduler.runUntil(net.now + 10_000_000_000 + 4_000_000);
    const out = run(net, 'ipset list T');
    expect(out).toContain('Number of entries: 1\n');
    expect(out).toContain('10.0.0.2 timeout 0\n');
    expect(out).not.toContain('10.0.0.1');
  });
});
