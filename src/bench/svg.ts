/** Inline SVG line plots for the HTML report: no scripts, no external resources. */

/** One series: points joined by a line, or markers only. */
export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly colour: string;
  readonly style: 'line' | 'markers' | 'dashed';
}

/** A plot. */
export interface Plot {
  /** Identifies the plot in the page (data-plot). */
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Logarithmic y axis (every y must be > 0). */
  readonly logY?: boolean;
}

/** Escapes text for HTML and SVG. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const W = 560;
const H = 320;
const L = 70;
const R = 20;
const T = 34;
const B = 48;

/** "1k", "2.5M", "0.5". */
export function shortNumber(x: number): string {
  const a = Math.abs(x);
  const trim = (v: number) => String(Number(v.toPrecision(3)));
  if (a >= 1e9) return `${trim(x / 1e9)}G`;
  if (a >= 1e6) return `${trim(x / 1e6)}M`;
  if (a >= 1e3) return `${trim(x / 1e3)}k`;
  return trim(x);
}

/** Round tick values covering [lo, hi]. */
function linearTicks(lo: number, hi: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  const first = Math.floor(lo / step);
  const last = Math.max(first + 1, Math.ceil(hi / step));
  for (let k = first; k <= last; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** The plot as one `<svg>` element. */
export function renderPlot(plot: Plot): string {
  const pts = plot.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!plot.logY || y > 0));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  let yTicks: number[];
  let yMap: (y: number) => number;
  if (plot.logY) {
    const lo = ys.length === 0 ? 0 : Math.floor(Math.log10(Math.min(...ys)));
    const hi = Math.max(lo + 1, ys.length === 0 ? 1 : Math.ceil(Math.log10(Math.max(...ys))));
    yTicks = [];
    for (let e = lo; e <= hi; e++) yTicks.push(10 ** e);
    yMap = (y) => T + (H - T - B) * (1 - (Math.log10(y) - lo) / (hi - lo || 1));
  } else {
    yTicks = linearTicks(Math.min(0, ...ys), Math.max(...ys, 1e-9));
    const lo = yTicks[0]!;
    const hi = yTicks[yTicks.length - 1]!;
    yMap = (y) => T + (H - T - B) * (1 - (y - lo) / (hi - lo || 1));
  }
  const xTicks = linearTicks(xMin, xMax);
  const xHi = xTicks[xTicks.length - 1]!;
  const xMap = (x: number) => L + ((W - L - R) * (x - xTicks[0]!)) / (xHi - xTicks[0]! || 1);
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  parts.push(`<svg class="plot" data-plot="${escapeXml(plot.id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H + 22 * Math.ceil(plot.series.length / 2)}" width="${W}" role="img" aria-label="${escapeXml(plot.title)}">`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="title">${escapeXml(plot.title)}</text>`);
  for (const t of yTicks) {
    const y = f(yMap(t));
    parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y}" y2="${y}"/><text class="tick" x="${L - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${shortNumber(t)}</text>`);
  }
  for (const t of xTicks) {
    const x = f(xMap(t));
    parts.push(`<line class="grid" y1="${T}" y2="${H - B}" x1="${x}" x2="${x}"/><text class="tick" x="${x}" y="${H - B + 16}" text-anchor="middle">${shortNumber(t)}</text>`);
  }
  parts.push(`<rect class="frame" x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}"/>`);
  parts.push(`<text class="axis" x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(plot.xLabel)}</text>`);
  parts.push(`<text class="axis" transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(plot.yLabel)}${plot.logY ? ' (log)' : ''}</text>`);
  plot.series.forEach((s, i) => {
    const ok = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!plot.logY || y > 0));
    const d = ok.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${f(xMap(x))} ${f(yMap(y))}`).join(' ');
    parts.push(`<g class="series" data-series="${escapeXml(s.name)}" data-points="${ok.length}">`);
    if (s.style !== 'markers' && ok.length > 0) parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.style === 'dashed' ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const [x, y] of ok)
      parts.push(
        s.style === 'markers'
          ? `<rect class="marker" x="${f(xMap(x) - 5)}" y="${f(yMap(y) - 5)}" width="10" height="10" fill="none" stroke="${s.colour}" stroke-width="2"><title>${escapeXml(`${s.name}: ${shortNumber(x)}, ${shortNumber(y)}`)}</title></rect>`
          : `<circle class="marker" cx="${f(xMap(x))}" cy="${f(yMap(y))}" r="3.5" fill="${s.colour}"><title>${escapeXml(`${s.name}: ${shortNumber(x)}, ${shortNumber(y)}`)}</title></circle>`,
      );
    parts.push('</g>');
    const lx = L + (i % 2) * 250;
    const ly = H + 4 + 22 * Math.floor(i / 2);
    parts.push(
      `<g class="legend"><line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="${s.style === 'markers' ? 0 : 2}"${s.style === 'dashed' ? ' stroke-dasharray="6 4"' : ''}/>` +
        (s.style === 'markers' ? `<rect x="${lx + 7}" y="${ly - 5}" width="10" height="10" fill="none" stroke="${s.colour}" stroke-width="2"/>` : '') +
        `<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
