/**
 * The HTML rendering of a trace report (`dpsim trace --format html`): one self-contained
 * file (inline CSS, SVG and a few lines of script, no external assets) that draws each
 * outcome as a sequence diagram across the namespaces and devices it crossed. Namespaces
 * are boxes, grouped by the node the legend says they live on; devices are ports with a
 * lifeline beneath them; every captured frame is an arrow, in capture order, from the
 * device that saw the frame leading to it to the device that saw it, and the stack's explanations for that
 * hop (rule hits, NAT, conntrack, routing, neighbours, VXLAN) are listed beside it.
 * Outcomes are tabs, each with its probability as a fraction and as a decimal.
 */
import type { TraceEvent } from '../sim/trace.js';
import { addFractions, fractionText, fractionValue, type Fraction } from '../sim/explore.js';
import type { TraceOutcome, TraceReport } from './report.js';

/** Where a capture line says a frame was seen: `NS DEV in|out …`. */
export interface CapturePoint {
  ns: string;
  dev: string;
  dir: 'in' | 'out';
  /** What follows the direction: `tcp 10.0.0.1:1 > 10.0.0.2:2 S`. */
  frame: string;
}

/** Splits a capture line into namespace, device, direction and the frame; null when it is not one. */
export function parseCapturePoint(line: string): CapturePoint | null {
  const m = /^(\S+) (\S+) (in|out) (.*)$/.exec(line);
  if (m === null) return null;
  return { ns: m[1]!, dev: m[2]!, dir: m[3] as 'in' | 'out', frame: m[4]! };
}

/**
 * The node each namespace of the legend lives on: an entry whose description says
 * "on NAME" or "on node NAME", where NAME is another entry of the legend, lives on NAME.
 */
export function namespaceHosts(legend: readonly (readonly [string, string])[]): Map<string, string> {
  const names = new Set(legend.map(([n]) => n));
  const hosts = new Map<string, string>();
  for (const [name, what] of legend) {
    const re = /\bon (?:node )?([^\s,;()]+)/g;
    for (let m = re.exec(what); m !== null; m = re.exec(what)) {
      const host = m[1]!.replace(/[.:]$/, '');
      if (host !== name && names.has(host)) {
        hosts.set(name, host);
        break;
      }
    }
  }
  return hosts;
}

// Layout, in SVG user units (px).
const COL_W = 104;
const PORT_W = 88;
const PORT_H = 22;
const NS_PAD = 8;
const GROUP_PAD = 10;
const TOP = 8;
const GROUP_LABEL_H = 20;
const NS_LABEL_H = 20;
const LINE_H = 16;
const ROW_PAD = 8;
const NOTE_GAP = 28;
const CHAR_W = 7.3;

/** A namespace column group: its devices in order of first appearance. */
interface NsLayout {
  name: string;
  what: string;
  devices: string[];
  x: number;
  width: number;
}

interface GroupLayout {
  /** The node's name, or null for a namespace that lives on no node. */
  node: string | null;
  members: NsLayout[];
  x: number;
  width: number;
}

/** One row of the diagram: a frame (with its explanations) or the notes before the first frame. */
interface Row {
  capture: TraceEvent | null;
  point: CapturePoint | null;
  why: TraceEvent[];
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** Decimal form of a probability, as the text report prints it. */
function decimal(p: Fraction): string {
  return fractionValue(p).toFixed(9);
}

function rowsOf(events: readonly TraceEvent[]): Row[] {
  const rows: Row[] = [];
  for (const e of events) {
    if (e.kind === 'capture') rows.push({ capture: e, point: parseCapturePoint(e.text), why: [] });
    else {
      if (rows.length === 0) rows.push({ capture: null, point: null, why: [] });
      rows[rows.length - 1]!.why.push(e);
    }
  }
  return rows;
}

/** Namespace columns: legend order decides nothing; first appearance in the outcome does, grouped by node. */
function layoutColumns(report: TraceReport, outcome: TraceOutcome, hosts: Map<string, string>): GroupLayout[] {
  const what = new Map(report.legend.map(([n, w]) => [n, w] as const));
  const nsOrder: string[] = [];
  const devices = new Map<string, string[]>();
  const seen = (ns: string): string[] => {
    let d = devices.get(ns);
    if (d === undefined) {
      d = [];
      devices.set(ns, d);
      nsOrder.push(ns);
    }
    return d;
  };
  for (const e of outcome.events) {
    const p = e.kind === 'capture' ? parseCapturePoint(e.text) : null;
    if (p !== null) {
      const d = seen(p.ns);
      if (!d.includes(p.dev)) d.push(p.dev);
    } else seen(e.where);
  }
  // Every namespace of the legend gets its box, even one this outcome never reached.
  for (const [n] of report.legend) seen(n);

  const nodes = new Set(hosts.values());
  const groups: GroupLayout[] = [];
  const byNode = new Map<string, GroupLayout>();
  for (const ns of nsOrder) {
    const node = hosts.get(ns) ?? (nodes.has(ns) ? ns : null);
    const member: NsLayout = { name: ns, what: what.get(ns) ?? '', devices: devices.get(ns)!, x: 0, width: 0 };
    if (node === null) {
      groups.push({ node: null, members: [member], x: 0, width: 0 });
      continue;
    }
    let g = byNode.get(node);
    if (g === undefined) {
      g = { node, members: [], x: 0, width: 0 };
      byNode.set(node, g);
      groups.push(g);
    }
    g.members.push(member);
  }
  let x = 8;
  for (const g of groups) {
    g.x = x;
    let inner = x + (g.node === null ? 0 : GROUP_PAD);
    for (const m of g.members) {
      m.x = inner;
      m.width = Math.max(1, m.devices.length) * COL_W + 2 * NS_PAD;
      inner += m.width + 8;
    }
    g.width = inner - 8 - x + (g.node === null ? 0 : GROUP_PAD);
    x += g.width + 14;
  }
  return groups;
}

/** A short label for an arrow: the protocol and what kind of frame (`tcp S.`, `arp reply`, `vxlan`). */
function arrowLabel(frame: string): string {
  const w = frame.split(' ');
  const proto = w[0] ?? '';
  if (proto === 'arp') return `arp ${w[1] ?? ''}`;
  if (w[w.length - 1] === 'vxlan') return 'vxlan';
  if (proto === 'tcp') return `tcp ${w[4] ?? ''}`.trim();
  if (proto === 'icmp') return w.slice(4, 6).join(' ').replace(/,$/, '') || 'icmp';
  return proto;
}

/** Whether a frame is a VXLAN-encapsulated datagram (`udp A:* > B:8472 vxlan`). */
function isVxlan(p: CapturePoint): boolean {
  return p.frame.endsWith(' vxlan');
}

/**
 * For each frame row, the row of the frame that led to it (where its arrow starts), or -1
 * when its namespace's own sockets sent it. The stack keeps a packet's id across veth
 * pairs, bridges, NAT and VXLAN (the inner packet), so a frame comes from the latest
 * frame of the same packet, except that:
 * - a packet arriving in another namespace through a tunnel comes from the VXLAN datagram
 *   that namespace received in between;
 * - a VXLAN datagram sent comes from the latest inner frame its namespace sent on another
 *   device that no datagram carried yet;
 * - a new packet (an ARP reply, a flood copy, a packet routed after ARP resolved) comes
 *   from the latest frame its namespace saw.
 * Events without packet ids fall back to matching the frame's text.
 */
function frameSources(rows: readonly Row[]): number[] {
  const out: number[] = [];
  const carried = new Set<number>();
  for (let i = 0; i < rows.length; i++) {
    const p = rows[i]!.point;
    const id = rows[i]!.capture?.packetId ?? 0;
    let src = -1;
    if (p !== null) {
      let same = -1;
      for (let k = i - 1; k >= 0 && same < 0; k--) {
        const q = rows[k]!.point;
        if (q === null) continue;
        if (id !== 0 ? rows[k]!.capture!.packetId === id : q.frame === p.frame && (q.ns === p.ns || (p.dir === 'in' && q.dir === 'out'))) same = k;
      }
      if (same >= 0 && p.dir === 'in' && !isVxlan(p) && rows[same]!.point!.ns !== p.ns) {
        // Crossed into another namespace: over a link, or decapsulated from a tunnel.
        src = same;
        for (let k = i - 1; k > same; k--) {
          const q = rows[k]!.point;
          if (q !== null && q.ns === p.ns && q.dir === 'in' && isVxlan(q)) {
            src = k;
            break;
          }
        }
      } else if (same >= 0) src = same;
      else if (p.dir === 'out' && isVxlan(p)) {
        for (let k = i - 1; k >= 0 && src < 0; k--) {
          const q = rows[k]!.point;
          if (q !== null && q.ns === p.ns && q.dir === 'out' && q.dev !== p.dev && !isVxlan(q) && !q.frame.startsWith('arp') && !carried.has(k)) src = k;
        }
        if (src >= 0) carried.add(src);
      }
      for (let k = i - 1; k >= 0 && src < 0; k--) {
        const q = rows[k]!.point;
        if (q !== null && q.ns === p.ns) src = k;
      }
    }
    out.push(src);
  }
  return out;
}

/** CSS class of an explanation, by the kind the stack recorded it with. */
function kindClass(kind: string): string {
  return `k-${kind.replace(/[^a-z0-9-]/gi, '')}`;
}

function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(3)}ms`;
}

function renderOutcomeSvg(report: TraceReport, outcome: TraceOutcome, index: number, hosts: Map<string, string>): string {
  const groups = layoutColumns(report, outcome, hosts);
  const colX = new Map<string, number>();
  const nsOf = new Map<string, NsLayout>();
  for (const g of groups)
    for (const m of g.members) {
      nsOf.set(m.name, m);
      m.devices.forEach((d, i) => colX.set(`${m.name}/${d}`, m.x + NS_PAD + i * COL_W + COL_W / 2));
    }
  const diagramRight = groups.length === 0 ? 200 : groups[groups.length - 1]!.x + groups[groups.length - 1]!.width + 8;
  const headerBottom = TOP + GROUP_LABEL_H + NS_LABEL_H + PORT_H + 14;
  const rows = rowsOf(outcome.events);
  const start = outcome.events.length > 0 ? outcome.events[0]!.at : 0;

  let longest = 40;
  for (const r of rows) {
    if (r.capture !== null) longest = Math.max(longest, r.capture.text.length + 13);
    for (const w of r.why) longest = Math.max(longest, w.where.length + w.text.length + 6);
  }
  const notesX = diagramRight + NOTE_GAP;
  const width = Math.ceil(notesX + longest * CHAR_W + 16);

  const sources = frameSources(rows);
  let body = '';
  let y = headerBottom + 6;
  let frameNo = 0;
  for (let ri = 0; ri < rows.length; ri++) {
    const r = rows[ri]!;
    const lines = (r.capture === null ? 0 : 1) + r.why.length;
    const h = Math.max(1, lines) * LINE_H + ROW_PAD;
    const mid = y + LINE_H / 2 + 4;
    const drop = r.why.some((w) => w.kind === 'drop');
    let g = '';
    if (r.capture === null) {
      g += `<g class="before"><rect class="band" x="0" y="${y}" width="${width}" height="${h}"/>`;
    } else {
      frameNo++;
      const p = r.point;
      const key = p === null ? null : `${p.ns}/${p.dev}`;
      const src = sources[ri]!;
      const from = src < 0 ? null : `${rows[src]!.point!.ns}/${rows[src]!.point!.dev}`;
      const x2 = key === null ? 20 : colX.get(key)!;
      const sameNs = p !== null && from !== null && rows[src]!.point!.ns === p.ns;
      const x1 = from === null ? x2 - 36 : colX.get(from)!;
      const cls = ['frame', p?.dir ?? 'in', from === null ? 'origin' : sameNs ? 'stack' : 'wire'];
      if (p !== null && arrowLabel(p.frame) === 'vxlan') cls.push('vxlan');
      if (p !== null && p.frame.startsWith('arp')) cls.push('arp');
      if (drop) cls.push('drop');
      g += `<g class="${cls.join(' ')}" data-index="${frameNo}" data-from="${esc(from ?? '')}" data-to="${esc(key ?? '')}">`;
      g += `<title>${esc(r.capture.text)}</title>`;
      g += `<rect class="band" x="0" y="${y}" width="${width}" height="${h}"/>`;
      const loop = x1 === x2 && from !== null;
      const d = loop ? `M${x1} ${mid - 9} c 26 0 26 18 2 18` : `M${x1} ${mid} L${x2 + (x2 > x1 ? -2 : 2)} ${mid}`;
      const head = drop ? 'drop' : cls.includes('vxlan') ? 'vxlan' : cls.includes('arp') ? 'arp' : sameNs ? 'stack' : 'wire';
      g += `<path class="arrow" d="${d}" marker-end="url(#head-${index}-${head})"/>`;
      if (from === null) g += `<circle class="start" cx="${x1}" cy="${mid}" r="3.5"/>`;
      if (drop) g += `<text class="x" x="${x2 + 8}" y="${mid + 5}">✕</text>`;
      const side = loop || from === null;
      const lx = loop ? x1 + 24 : from === null ? x2 + 8 : (x1 + x2) / 2;
      if (p !== null)
        g += `<text class="label" x="${lx}" y="${mid - (side ? -4 : 5)}" text-anchor="${side ? 'start' : 'middle'}">${esc(arrowLabel(p.frame))}</text>`;
      g += `<text class="cap" x="${notesX}" y="${y + LINE_H}"><tspan class="t">${esc(ms(r.capture.at - start).padStart(10))}</tspan> ${esc(r.capture.text)}</text>`;
    }
    let ly = y + LINE_H * (r.capture === null ? 1 : 2);
    for (const w of r.why) {
      g += `<text class="why ${kindClass(w.kind)}" x="${notesX + 14}" y="${ly}"><tspan class="w">↳ ${esc(w.where)}:</tspan> ${esc(w.text)}</text>`;
      ly += LINE_H;
    }
    body += g + '</g>';
    y += h;
  }
  const height = Math.max(y + 10, headerBottom + 40);

  let head = '';
  for (const g of groups) {
    if (g.node !== null) {
      head += `<g class="node" data-node="${esc(g.node)}"><rect class="nodebox" x="${g.x}" y="${TOP}" width="${g.width}" height="${height - TOP - 4}" rx="10"/>`;
      head += `<text class="nodelabel" x="${g.x + 10}" y="${TOP + 14}">node ${esc(g.node)}</text>`;
    }
    for (const m of g.members) {
      const top = TOP + GROUP_LABEL_H;
      head += `<g class="ns" data-ns="${esc(m.name)}"><title>${esc(m.name)}${m.what === '' ? '' : ` — ${esc(m.what)}`}</title>`;
      head += `<rect class="nsbox${hosts.has(m.name) ? ' pod' : ''}" x="${m.x}" y="${top}" width="${m.width}" height="${height - top - 10}" rx="6"/>`;
      head += `<text class="nslabel" x="${m.x + m.width / 2}" y="${top + 14}" text-anchor="middle">${esc(m.name)}</text>`;
      m.devices.forEach((dev, i) => {
        const cx = m.x + NS_PAD + i * COL_W + COL_W / 2;
        const py = top + NS_LABEL_H + 4;
        head += `<g class="port" data-dev="${esc(`${m.name}/${dev}`)}">`;
        head += `<line class="life" x1="${cx}" y1="${py + PORT_H}" x2="${cx}" y2="${height - 14}"/>`;
        head += `<rect x="${cx - PORT_W / 2}" y="${py}" width="${PORT_W}" height="${PORT_H}" rx="4"/>`;
        head += `<text x="${cx}" y="${py + 15}" text-anchor="middle">${esc(dev)}</text></g>`;
      });
      if (m.devices.length === 0)
        head += `<text class="none" x="${m.x + m.width / 2}" y="${top + NS_LABEL_H + 18}" text-anchor="middle">no frames</text>`;
      head += '</g>';
    }
    if (g.node !== null) head += '</g>';
  }
  let defs = '<defs>';
  for (const [name, color] of ARROW_COLORS)
    defs +=
      `<marker id="head-${index}-${name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">` +
      `<path d="M0 0 L10 5 L0 10 z" fill="${color}"/></marker>`;
  defs += '</defs>';
  const notesHead = `<text class="noteshead" x="${notesX}" y="${headerBottom - 6}">frames as tcpdump -i any prints them, and why</text>`;
  return (
    `<svg class="path" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="outcome ${index}: ${esc(outcome.summary)}">` +
    defs +
    `<g class="topology">${head}</g>${notesHead}<g class="hops">${body}</g></svg>`
  );
}

/** Arrowhead colours, matching the arrows' strokes in STYLE. */
const ARROW_COLORS: readonly (readonly [string, string])[] = [
  ['wire', '#36405a'],
  ['stack', '#7a8399'],
  ['arp', '#a0a7b8'],
  ['vxlan', '#1c9a6c'],
  ['drop', '#d33'],
];

const STYLE = `
:root{--bg:#f7f8fb;--fg:#1d2433;--muted:#6b7385;--card:#fff;--line:#d5d9e3;--accent:#2f6fdf;--node:#eef3ff;--ns:#fff;--pod:#fbfcf4}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{padding:18px 28px 8px}
h1{font-size:20px;margin:0 0 6px}
h2{font-size:15px;margin:18px 0 8px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.context{margin:0;padding:0;list-style:none;color:var(--muted);font-size:13px}
main{padding:0 28px 28px}
.top{display:flex;flex-wrap:wrap;gap:8px 40px;align-items:flex-start}
table.legend{border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
table.legend td{padding:4px 12px;border-bottom:1px solid var(--line)}
table.legend td:first-child{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:600}
nav.tabs{display:flex;flex-wrap:wrap;gap:8px;margin:4px 0 12px}
nav.tabs button{font:inherit;text-align:left;border:1px solid var(--line);background:var(--card);border-radius:8px;padding:8px 12px;cursor:pointer;color:var(--fg)}
nav.tabs button[aria-selected=true]{border-color:var(--accent);box-shadow:0 0 0 2px #2f6fdf33}
nav.tabs .p{font-family:ui-monospace,Menlo,Consolas,monospace;color:var(--accent);font-weight:600}
.sum{color:var(--muted);font-size:13px}
article.outcome{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px;margin-bottom:16px}
article.outcome h3{margin:0 0 4px;font-size:16px}
.prob{margin:0 0 10px;color:var(--muted)}
.prob .fraction,.prob .decimal{font-family:ui-monospace,Menlo,Consolas,monospace;color:var(--fg);font-weight:600}
.diagram{overflow:auto;max-height:78vh;border-top:1px solid var(--line)}
svg.path{display:block;font:12px ui-monospace,Menlo,Consolas,monospace}
.nodebox{fill:var(--node);stroke:#b9c8ef}
.nodelabel{font:600 12px system-ui,sans-serif;fill:#3b5cb0}
.nsbox{fill:var(--ns);stroke:#c4cad6}
.nsbox.pod{fill:var(--pod)}
.nslabel{font:600 12px system-ui,sans-serif;fill:var(--fg)}
.none{fill:var(--muted);font-style:italic}
.port rect{fill:#e9edf5;stroke:#8e99b0}
.port text{fill:var(--fg)}
.life{stroke:#c9cfdb;stroke-dasharray:3 4}
.band{fill:transparent}
.frame:hover .band,.before:hover .band{fill:#2f6fdf12}
.arrow{fill:none;stroke:#36405a;stroke-width:1.6}
.frame.stack .arrow{stroke-dasharray:5 3;stroke:#7a8399}
.frame.arp .arrow{stroke:#a0a7b8}
.frame.vxlan .arrow{stroke:#1c9a6c;stroke-width:2.4}
.frame.drop .arrow{stroke:#d33}
.start{fill:#36405a}
.x{fill:#d33;font-weight:700}
.label{fill:#36405a;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
.cap{fill:var(--fg);font-weight:600}
.cap .t{fill:var(--muted);font-weight:400;white-space:pre}
.noteshead{font:600 11px system-ui,sans-serif;fill:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.why{fill:#4a5266}.why .w{fill:var(--muted)}
.k-nf{fill:#6c3fb5}.k-nat{fill:#c25e00}.k-conntrack{fill:#0f7b83}.k-route{fill:#2f6fdf}.k-vxlan{fill:#1c9a6c}
.k-neigh{fill:#6b7385}.k-bridge{fill:#8a6d1d}.k-drop{fill:#d33;font-weight:700}.k-icmp{fill:#b5337a}.k-ipvs{fill:#a0410d}.k-app{fill:#1d2433;font-weight:700}
.keys{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--muted);margin:6px 0 10px}
.keys i{display:inline-block;width:22px;height:0;border-top:2px solid #36405a;vertical-align:middle;margin-right:5px}
.keys i.stack{border-top:2px dashed #7a8399}.keys i.vxlan{border-top:3px solid #1c9a6c}.keys i.arp{border-top-color:#a0a7b8}
`;

const SCRIPT = `
(function(){var tabs=document.querySelectorAll('nav.tabs button');var arts=document.querySelectorAll('article.outcome');
function show(i){tabs.forEach(function(t,k){t.setAttribute('aria-selected',k===i?'true':'false')});arts.forEach(function(a,k){a.hidden=k!==i})}
tabs.forEach(function(t,k){t.addEventListener('click',function(){show(k)})});if(tabs.length>0)show(0)})();
`;

/** The report as one self-contained HTML page. */
export function renderReportHtml(report: TraceReport): string {
  const hosts = namespaceHosts(report.legend);
  let h = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">';
  h += '<meta name="viewport" content="width=device-width, initial-scale=1">';
  h += `<meta name="generator" content="dpsim"><title>${esc(report.title)}</title><style>${STYLE}</style></head><body>`;
  h += `<header><h1>${esc(report.title)}</h1><ul class="context">`;
  for (const c of report.context) h += `<li>${esc(c)}</li>`;
  h += '</ul></header><main><div class="top">';
  if (report.legend.length > 0) {
    h += '<section><h2>Namespaces</h2><table class="legend"><tbody>';
    for (const [name, what] of report.legend)
      h += `<tr data-ns="${esc(name)}"><td>${esc(name)}</td><td>${esc(what)}</td></tr>`;
    h += '</tbody></table></section>';
  }
  const n = report.outcomes.length;
  h += `<section><h2>${n} ${n === 1 ? 'outcome' : 'possible outcomes'}</h2>`;
  const probs = report.outcomes.map((o) => o.probability);
  if (n > 1 || probs[0] !== null) {
    h += '<nav class="tabs" role="tablist">';
    report.outcomes.forEach((o, i) => {
      const p = o.probability === null ? 'p = ?' : `p = ${fractionText(o.probability)} ≈ ${decimal(o.probability)}`;
      h += `<button role="tab" aria-controls="outcome-${i + 1}" aria-selected="${i === 0}"><span class="p">#${i + 1} ${esc(p)}</span><br>${esc(o.summary)}</button>`;
    });
    h += '</nav>';
    if (probs.every((p): p is Fraction => p !== null)) {
      const sum = probs.reduce((a, b) => addFractions(a, b), { num: 0n, den: 1n });
      h += `<p class="sum">The probabilities sum to ${esc(fractionText(sum))}.</p>`;
    }
  }
  h += '</section></div>';
  h +=
    '<div class="keys"><span><i></i>frame on the wire (veth, underlay)</span><span><i class="stack"></i>inside a namespace (routing, bridging)</span>' +
    '<span><i class="vxlan"></i>VXLAN encapsulated</span><span><i class="arp"></i>ARP</span><span>hover a hop to highlight it</span></div>';
  report.outcomes.forEach((o, i) => {
    h += `<article class="outcome" id="outcome-${i + 1}" role="tabpanel" data-frames="${o.events.filter((e) => e.kind === 'capture').length}">`;
    h += `<h3>Outcome #${i + 1}: ${esc(o.summary)}</h3>`;
    h +=
      o.probability === null
        ? '<p class="prob">one sampled run (probability not explored)</p>'
        : `<p class="prob">probability <span class="fraction">${esc(fractionText(o.probability))}</span> ≈ <span class="decimal">${decimal(o.probability)}</span></p>`;
    h += `<div class="diagram">${renderOutcomeSvg(report, o, i + 1, hosts)}</div></article>`;
  });
  h += `</main><script>${SCRIPT}</script></body></html>\n`;
  return h;
}
