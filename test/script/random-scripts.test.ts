import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScriptError } from '../../src/script/context.js';
import { runScenario } from '../../src/script/run.js';

/** Names and addresses drawn from small pools, so random commands often refer to things that exist. */
const NS = ['a', 'b', 'c', 'd'];
const DEV = ['eth0', 'eth1', 'v0', 'v1'];
const ADDR = ['10.0.0.1', '10.0.0.2', '10.0.1.1', '10.0.1.2', '10.0.2.1', '10.9.9.9', '127.0.0.1'];
const PREFIX = ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.9.0.0/16', 'default', '0.0.0.0/1'];

const ns = fc.constantFrom(...NS);
const dev = fc.constantFrom(...DEV);
const addr = fc.constantFrom(...ADDR);
const port = fc.integer({ min: 1, max: 65535 });

/** One command line of the scenario language, valid or not. */
const commandLine: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(ns).map(([n]) => `ip netns add ${n}`),
  fc.tuple(ns, dev, dev, ns).map(([n, d, p, m]) => `ip -n ${n} link add ${d} type veth peer name ${p} netns ${m}`),
  fc.tuple(ns, dev, fc.constantFrom('up', 'down', 'mtu 1400', 'mtu 20', 'address 02:00:00:00:00:01')).map(([n, d, w]) => `ip -n ${n} link set ${d} ${w}`),
  fc.tuple(ns).map(([n]) => `ip -n ${n} link set lo up`),
  fc.tuple(ns, addr, fc.integer({ min: 0, max: 32 }), dev).map(([n, a, l, d]) => `ip -n ${n} addr add ${a}/${l} dev ${d}`),
  fc.tuple(ns, addr, dev).map(([n, a, d]) => `ip -n ${n} addr del ${a}/24 dev ${d}`),
  fc.tuple(ns, fc.constantFrom('', 'blackhole ', 'unreachable ', 'prohibit '), fc.constantFrom(...PREFIX), fc.constantFrom('', ' via 10.0.0.2', ' via 10.0.1.1 onlink', ' dev eth0', ' dev v0'), fc.constantFrom('', ' metric 10')).map(
    ([n, t, p, v, m]) => `ip -n ${n} route add ${t}${p}${v}${m}`,
  ),
  fc.tuple(ns, fc.constantFrom(...PREFIX)).map(([n, p]) => `ip -n ${n} route del ${p}`),
  fc.tuple(ns, addr).map(([n, a]) => `ip -n ${n} route get ${a}`),
  fc.tuple(ns, addr, dev).map(([n, a, d]) => `ip -n ${n} neigh add ${a} lladdr 02:00:00:00:00:09 dev ${d} nud permanent`),
  fc.tuple(ns, fc.constantFrom('route', 'addr', 'link', 'neigh')).map(([n, o]) => `ip -n ${n} ${o} show`),
  fc.tuple(ns, fc.constantFrom('0', '1')).map(([n, v]) => `ip netns exec ${n} sysctl -qw net.ipv4.ip_forward=${v}`),
  fc.tuple(ns, fc.constantFrom('udp', 'tcp'), port).map(([n, p, o]) => `listen ${n} ${p} ${o}`),
  fc.tuple(ns, fc.constantFrom('udp', 'tcp'), addr, port, addr, port).map(([n, p, s, sp, d, dp]) => `probe ${n} ${p} ${s}:${sp} ${d}:${dp}`),
  fc.tuple(ns, addr, addr).map(([n, s, d]) => `probe ${n} icmp ${s} ${d}`),
  fc.constantFrom('sleep 1', 'sleep 31', '# a comment', ''),
);

/** A working link between two namespaces on subnet 10.0.K.0/24 (".1" on the first, ".2" on the second). */
const link = fc.tuple(ns, ns, fc.integer({ min: 0, max: 2 })).map(
  ([n, m, k]) =>
    `ip -n ${n} link add e${k} type veth peer name f${k} netns ${m}; ip -n ${n} addr add 10.0.${k}.1/24 dev e${k}; ` +
    `ip -n ${m} addr add 10.0.${k}.2/24 dev f${k}; ip -n ${n} link set e${k} up; ip -n ${m} link set f${k} up`,
);

/** A probe between link addresses: from a namespace that may own 10.0.K.1 towards 10.0.J.2. */
const linkProbe = fc
  .tuple(ns, fc.constantFrom('udp', 'tcp', 'icmp'), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), port)
  .map(([n, p, k, j, o]) => (p === 'icmp' ? `probe ${n} icmp 10.0.${k}.1 10.0.${j}.2` : `probe ${n} ${p} 10.0.${k}.1:${o} 10.0.${j}.2:${o}`));

/** Mostly commands, sometimes anything at all (the interpreter must answer with a ScriptError, never crash). */
const anyLine = fc.oneof({ weight: 20, arbitrary: commandLine }, { weight: 6, arbitrary: link }, { weight: 6, arbitrary: linkProbe }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });

/** Every namespace exists from the start, so most random commands have something to act on. */
const PRELUDE = NS.map((n) => `ip netns add ${n}`).join('\n') + '\n';

describe('random scenarios', () => {
  it('never hang or crash: they run to the end or stop with a ScriptError naming the line', () => {
    let completed = 0;
    let probes = 0;
    let packets = 0;
    fc.assert(
      fc.property(fc.array(link, { minLength: 1, maxLength: 3 }), fc.array(anyLine, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 1000 }), (links, rest, seed) => {
        const lines = [...links, ...rest];
        const text = PRELUDE + lines.join('\n') + '\n';
        try {
          const result = runScenario(text, { file: 'random.sh', seed });
          completed++;
          // Bounded work: a probe's block ends (quiet or capped), and never explodes.
          for (const s of result.segments)
            if (s.kind === 'probe') {
              probes++;
              packets += s.lines.length;
              expect(s.lines.length).toBeLessThan(5000);
            }
        } catch (e) {
          if (!(e instanceof ScriptError)) throw e;
          expect(e.message).toMatch(/^random\.sh:\d+: /);
          expect(e.line).toBeGreaterThanOrEqual(NS.length + 1);
          expect(e.line).toBeLessThanOrEqual(NS.length + lines.length + 1);
        }
      }),
      { numRuns: 300 },
    );
    // The generator must exercise the simulator, not just the error path.
    expect(completed).toBeGreaterThan(30);
    expect(probes).toBeGreaterThan(30);
    expect(packets).toBeGreaterThan(0);
    console.log(`random scenarios: ${completed}/300 ran to the end, ${probes} probes, ${packets} capture lines`);
  });
});
