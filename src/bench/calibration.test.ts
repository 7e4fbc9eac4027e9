import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { calibrate, DEFAULT_CALIBRATION, fitConnects, modelledConnectionUs } from './calibration.js';
import type { KernelConnect } from './types.js';

const connect = (evaluated: number, perConnectionUs: number, flavour: 'nft' | 'legacy' = 'nft'): KernelConnect => ({
  flavour,
  position: 'last',
  service: 0,
  clusterIP: '172.16.0.1',
  evaluated,
  connections: 100,
  seconds: (perConnectionUs * 100) / 1e6,
  perConnectionUs,
});

describe('fitConnects', () => {
  test('recovers the line through exact points (ns per rule and fixed µs)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 50, noNaN: true }),
        fc.double({ min: 1, max: 500, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 1, max: 400_000 }), { minLength: 2, maxLength: 12 }),
        (nsPerRule, fixedUs, xs) => {
          const fit = fitConnects(xs.map((x) => connect(x, fixedUs + (nsPerRule * x) / 1000)))!;
          expect(fit.nsPerRule).toBeCloseTo(nsPerRule, 4);
          expect(fit.fixedUs).toBeCloseTo(fixedUs, 3);
          expect(fit.points).toBe(xs.length);
        },
      ),
    );
  });

  test('needs two different rule counts', () => {
    expect(fitConnects([])).toBeNull();
    expect(fitConnects([connect(10, 90)])).toBeNull();
    expect(fitConnects([connect(10, 90), connect(10, 95)])).toBeNull();
  });
});

describe('calibrate', () => {
  test('fits the chosen flavour only', () => {
    const c = calibrate([connect(10, 90), connect(20010, 150), connect(10, 1, 'legacy'), connect(20010, 1000, 'legacy')], 'nft', '');
    expect(c.source).toBe('measured');
    expect(c.flavour).toBe('nft');
    expect(c.nsPerRule).toBeCloseTo(3, 6);
    expect(c.fixedUs).toBeCloseTo(89.97, 6);
    expect(modelledConnectionUs(c, 20010)).toBeCloseTo(150, 6);
  });

  test('falls back to the stated defaults, saying why', () => {
    const c = calibrate([], 'nft', 'not root');
    expect(c.source).toBe('default');
    expect(c.nsPerRule).toBe(DEFAULT_CALIBRATION.nsPerRule);
    expect(c.note).toMatch(/^not root: /);
  });
});
