import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { escapeXml, renderPlot, shortNumber } from './svg.js';

const coords = (svg: string): number[][] => [...svg.matchAll(/<circle class="marker" cx="([-\d.]+)" cy="([-\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe('renderPlot', () => {
  test('every marker lies inside the plot frame, linear and log axes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 1e-3, max: 1e9, noNaN: true })), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (points, logY) => {
          const svg = renderPlot({ id: 'p', title: 't', xLabel: 'x', yLabel: 'y', logY, series: [{ name: 's', colour: '#000', style: 'line', points }] });
          const frame = /<rect class="frame" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
          const [x0, y0, w, h] = frame.slice(1).map(Number) as [number, number, number, number];
          const cs = coords(svg);
          expect(cs).toHaveLength(points.length);
          for (const [cx, cy] of cs) {
            expect(cx).toBeGreaterThanOrEqual(x0 - 0.05);
            expect(cx).toBeLessThanOrEqual(x0 + w + 0.05);
            expect(cy).toBeGreaterThanOrEqual(y0 - 0.05);
            expect(cy).toBeLessThanOrEqual(y0 + h + 0.05);
          }
        },
      ),
    );
  });

  test('a larger y is drawn higher, a larger x further right', () => {
    const svg = renderPlot({ id: 'p', title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', colour: '#000', style: 'line', points: [[1000, 10], [20000, 400]] }] });
    const [[ax, ay], [bx, by]] = coords(svg) as [[number, number], [number, number]];
    expect(bx).toBeGreaterThan(ax);
    expect(by).toBeLessThan(ay);
  });

  test('names are escaped; non-positive values are left out of a log plot', () => {
    const svg = renderPlot({ id: 'a<b', title: '"x" & <y>', xLabel: 'x', yLabel: 'y', logY: true, series: [{ name: '<s>', colour: '#000', style: 'markers', points: [[1, 0], [2, 5]] }] });
    expect(svg).toContain('data-plot="a&lt;b"');
    expect(svg).toContain('&quot;x&quot; &amp; &lt;y&gt;');
    expect(svg).toContain('data-series="&lt;s&gt;" data-points="1"');
    expect(svg).not.toMatch(/<s>|NaN|Infinity/);
  });

  test('short numbers', () => {
    expect(shortNumber(20000)).toBe('20k');
    expect(shortNumber(1_500_000)).toBe('1.5M');
    expect(shortNumber(0.5)).toBe('0.5');
    expect(escapeXml('a&b')).toBe('a&amp;b');
  });
});
