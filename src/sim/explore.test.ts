import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addFractions, exploreOutcomes, fractionText, type Fraction } from './explore.js';
import { P31_ONE } from './random.js';

/** kube-proxy's 1/(n-i) chain: endpoint i is chosen when branch i is taken. */
function chain(thresholds: number[]) {
  return exploreOutcomes((o) => {
    for (let i = 0; i < thresholds.length; i++) if (o.decide(thresholds[i]!)) return i;
    return thresholds.length;
  });
}

describe('exploreOutcomes', () => {
  it('walks a statistic chain in order with exact 31-bit probabilities', () => {
    // 0.33333333349 and 0.5 as iptables stores them.
    const out = chain([715827883, 1073741824]);
    expect(out.map((o) => o.result)).toEqual([0, 1, 2]);
    expect(out.map((o) => fractionText(o.probability))).toEqual(['715827883/2147483648', '1431655765/4294967296', '1431655765/4294967296']);
  });

  it('does not fork on certain branches', () => {
    expect(chain([0, P31_ONE]).map((o) => o.result)).toEqual([1]);
  });

  it('probabilities of all paths sum to exactly 1, and every path is distinct', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: P31_ONE }), { maxLength: 6 }), fc.integer({ min: 0, max: 3 }), (ts, depth) => {
        // A tree: after branch i is taken, the run meets `depth` more branches.
        const out = exploreOutcomes((o) => {
          const path: number[] = [];
          for (let i = 0; i < ts.length; i++) {
            if (o.decide(ts[i]!)) {
              for (let j = 0; j < depth; j++) path.push(o.decide(ts[(i + j) % ts.length]!) ? 1 : 0);
              return `${i}:${path.join('')}`;
            }
          }
          return 'none';
        });
        const total = out.reduce<Fraction>((a, o) => addFractions(a, o.probability), { num: 0n, den: 1n });
        expect(fractionText(total)).toBe('1');
        expect(new Set(out.map((o) => o.decisions.join(','))).size).toBe(out.length);
      }),
    );
  });
});
