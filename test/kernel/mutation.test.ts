/**
 * The comparison catches a simulator that is wrong: dpsim's own IPv4 forwarding is broken on
 * purpose (each hop costs two TTL instead of one) and the routing-loop scenario, which agrees
 * with the kernel's recording when dpsim is right, must then disagree.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Packet } from '../../src/packet/packet.js';
import { Ipv4 } from '../../src/netns/ipv4.js';
import { runScenario } from '../../src/script/run.js';
import { compareResults, renderComparison } from '../../src/verify/compare.js';
import { readRecording, scenario } from './scenarios.js';

type Forward = (this: Ipv4, inDev: unknown, p: Packet, route: unknown) => void;
const proto = Ipv4.prototype as unknown as { forward: Forward };
const original = proto.forward;

afterEach(() => {
  proto.forward = original;
});

describe('the kernel comparison against a deliberately wrong dpsim', () => {
  const loop = scenario('routing-loop-ttl-exceeded');
  const kernel = readRecording(loop)!;

  it('agrees while dpsim is right', () => {
    const c = compareResults(kernel, runScenario(loop.text(), { file: loop.file }));
    expect(c.ok, renderComparison(c)).toBe(true);
  });

  it('fails when a forwarded packet loses two TTL per hop', () => {
    proto.forward = function (this: Ipv4, inDev, p, route) {
      p.ipTtl--;
      original.call(this, inDev, p, route);
    };
    const c = compareResults(kernel, runScenario(loop.text(), { file: loop.file }));
    expect(c.ok).toBe(false);
    expect(renderComparison(c)).toMatch(/the kernel showed, dpsim did not/);
  });
});
