import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { parseIPv4 } from '../packet/address.js';
import { runScenario } from '../script/run.js';
import { namespaceHosts, parseCapturePoint, renderReportHtml } from './html.js';
import { runProbe } from './probe.js';
import type { TraceReport } from './report.js';

const SCENARIO = new URL('../../test/kernel/scenarios/kp-clusterip-vxlan.sh', import.meta.url).pathname;
const CLIENT = parseIPv4('10.244.1.2')!;
const CLUSTER_IP = parseIPv4('10.96.0.50')!;

/**
 * A report from a real run: kp-clusterip-vxlan's two nodes and three pods, with its rules'
 * `statistic --mode nth --every 2` sending the first connection to p2 across VXLAN and the
 * second to p3 on the client's own bridge: the two outcomes, each with probability 1/2.
 */
function sampleReport(): TraceReport {
  const text = readFileSync(SCENARIO, 'utf8');
  const setup = text.slice(0, text.indexOf('\nprobe ') + 1);
  const { network } = runScenario(setup, { file: SCENARIO, explain: true });
  const ns = network.namespaces.get('p1')!;
  const runs = [40001, 40002].map(
    (sport) => runProbe(network, { ns, proto: 'tcp', src: CLIENT, sport, dst: CLUSTER_IP, dport: 80 }, { explain: true, pcap: false }).events,
  );
  return {
    title: 'p1 → default/two (10.96.0.50:80/tcp) <&>',
    context: ['kube-proxy: iptables mode', 'seed 1'],
    legend: [
      ['n1', 'node n1 (192.168.50.5)'],
      ['n2', 'node n2 (192.168.50.6)'],
      ['p1', 'pod p1 (10.244.1.2) on node n1'],
      ['p2', 'pod p2 (10.244.2.2) on node n2'],
      ['p3', 'pod p3 (10.244.1.3) on n1'],
    ],
    outcomes: [
      { probability: { num: 1n, den: 2n }, summary: 'DNAT to p2 10.244.2.2:8080 on n2 (VXLAN)', events: runs[0]!, pcapng: null },
      { probability: { num: 2n, den: 4n }, summary: 'DNAT to p3 10.244.1.3:8080 on n1 (bridged)', events: runs[1]!, pcapng: null },
    ],
  };
}

const report = sampleReport();
const html = renderReportHtml(report);
const framesOf = (i: number): number => report.outcomes[i]!.events.filter((e) => e.kind === 'capture').length;

describe('renderReportHtml', () => {
  test('the sample run crossed both nodes, VXLAN and the DNAT the rules chose', () => {
    const texts = report.outcomes.map((o) => o.events.map((e) => e.text).join('\n'));
    expect(texts[0]).toContain('n1 flannel.1 out tcp 10.244.1.2:40001 > 10.244.2.2:8080 S');
    expect(texts[0]).toContain('p2 eth0 in tcp 10.244.1.2:40001 > 10.244.2.2:8080 S');
    expect(texts[1]).toContain('p3 eth0 in tcp 10.244.1.2:40002 > 10.244.1.3:8080 S');
    expect(report.outcomes[0]!.events.some((e) => e.kind === 'nf' && e.text.includes('KUBE-SEP-REMOTE'))).toBe(true);
  });

  test('is one self-contained document: no external resources, text escaped', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href)\s*=/i);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).not.toMatch(/@import/);
    expect(html).toContain('p1 → default/two (10.96.0.50:80/tcp) &lt;&amp;&gt;');
    expect(html).not.toContain('<&>');
    // Rule text with quotes stays intact, escaped.
    expect(html).toContain('--comment &quot;default/two cluster IP&quot;');
  });

  test('each outcome has its probability as a reduced fraction and a decimal, and they sum to 1', () => {
    expect(html.match(/<span class="fraction">1\/2<\/span> ≈ <span class="decimal">0\.500000000<\/span>/g)).toHaveLength(2);
    expect(html).toContain('The probabilities sum to 1.');
  });

  test('one arrow per frame, each naming the devices it joins', () => {
    const arrows = [...html.matchAll(/<g class="frame [^"]*" data-index="(\d+)" data-from="([^"]*)" data-to="([^"]*)">/g)];
    expect(arrows).toHaveLength(framesOf(0) + framesOf(1));
    const first = arrows.slice(0, framesOf(0)).map((m) => [m[2], m[3]]);
    // The SYN crosses p1's veth into n1, is bridged up to cni0, routed into flannel.1 …
    expect(first).toContainEqual(['p1/eth0', 'n1/veth1']);
    expect(first).toContainEqual(['n1/flannel.1', 'n1/ens3']);
    // … over the underlay, decapsulated on n2 and handed to p2.
    expect(first).toContainEqual(['n1/ens3', 'n2/ens3']);
    expect(first).toContainEqual(['n2/ens3', 'n2/flannel.1']);
    expect(first).toContainEqual(['n2/veth1', 'p2/eth0']);
    // The first frame starts at the client's own stack.
    expect(first[0]).toEqual(['', 'p1/eth0']);
  });

  test('a sampled run without a probability says so', () => {
    const one = renderReportHtml({ ...report, outcomes: [{ ...report.outcomes[0]!, probability: null }] });
    expect(one).toContain('one sampled run (probability not explored)');
    expect(one).not.toContain('sum to');
  });

  test('an empty outcome and namespaces outside the legend still render', () => {
    const out = renderReportHtml({
      title: 't',
      context: [],
      legend: [['a', 'somewhere']],
      outcomes: [
        { probability: null, summary: 'nothing', events: [], pcapng: null },
        { probability: null, summary: 'x', events: [{ at: 0, where: 'b', kind: 'capture', text: 'b eth0 out udp 1.1.1.1:1 > 2.2.2.2:2', packetId: 1 }], pcapng: null },
      ],
    });
    expect(out.match(/<g class="ns" data-ns="a">/g)).toHaveLength(2);
    expect(out.match(/<g class="ns" data-ns="b">/g)).toHaveLength(1);
    expect(out.match(/<g class="frame /g)).toHaveLength(1);
  });
});

describe('parsing what the report says', () => {
  test('capture points', () => {
    expect(parseCapturePoint('n1 flannel.1 out tcp 10.244.1.2:40001 > 10.244.2.2:8080 S')).toEqual({
      ns: 'n1',
      dev: 'flannel.1',
      dir: 'out',
      frame: 'tcp 10.244.1.2:40001 > 10.244.2.2:8080 S',
    });
    expect(parseCapturePoint('not a capture line')).toBeNull();
  });

  test('the node a namespace lives on comes from the legend', () => {
    const hosts = namespaceHosts([
      ['worker1', 'node worker1 (10.0.1.3)'],
      ['front-end-6f4d', 'pod sock-shop/front-end-6f4d (10.244.1.5) on node worker1'],
      ['orders-1', 'pod sock-shop/orders-1 on worker2.'],
      ['worker2', 'node'],
      ['external', 'a client on the internet'],
    ]);
    expect([...hosts]).toEqual([
      ['front-end-6f4d', 'worker1'],
      ['orders-1', 'worker2'],
    ]);
  });
});

// ---- headless Chromium ----

function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) return name;
  }
  return null;
}

const chromium = findChromium();
const ci = process.env.CI === 'true';
if (chromium === null && !ci) console.warn('html.test.ts: skipping the headless-Chromium checks: no `chromium` binary (apt-get install chromium); under CI=true they run');

/** A PNG's size and its pixels as RGBA rows (8-bit, non-interlaced: what Chromium writes). */
function decodePng(png: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8]!;
      const colour = data[9]!;
      if (depth !== 8 || data[12] !== 0) throw new Error(`unsupported PNG: depth ${depth}, interlace ${data[12]}`);
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colour] ?? 0;
      if (channels === 0) throw new Error(`unsupported PNG colour type ${colour}`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const outRow = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[outRow + x - channels]! : 0;
      const b = y > 0 ? pixels[outRow - stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[outRow - stride + x - channels]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      pixels[outRow + x] = v & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

describe.skipIf(chromium === null && !ci)('in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dpsim-html-'));
  const file = join(dir, 'trace.html');
  writeFileSync(file, html);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]): string => {
    if (chromium === null) throw new Error('CI=true but no `chromium` binary: .ci/run installs the Debian package chromium');
    return execFileSync(
      chromium,
      ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${join(dir, 'profile')}`, ...args, `file://${file}`],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] },
    );
  };

  test('the DOM holds the drawing: an SVG per outcome, a box per namespace, an arrow per frame, the probabilities', { timeout: 150_000 }, () => {
    const dom = run('--dump-dom');
    const articles = dom.split('<article ').slice(1);
    expect(articles).toHaveLength(2);
    // The tabs' script ran: the second outcome is hidden until its tab is chosen.
    expect(articles[0]).not.toMatch(/^[^>]*\bhidden/);
    expect(articles[1]).toMatch(/^[^>]*\bhidden/);
    articles.forEach((a, i) => {
      expect(a.match(/<svg class="path"/g)).toHaveLength(1);
      for (const [name] of report.legend) expect(a.match(new RegExp(`<g class="ns" data-ns="${name}">`, 'g'))).toHaveLength(1);
      expect(a.match(/<g class="frame /g)).toHaveLength(framesOf(i));
      expect(a.match(/<path class="arrow"/g)).toHaveLength(framesOf(i));
      expect(a).toMatch(/<span class="fraction">1\/2<\/span> ≈ <span class="decimal">0\.500000000<\/span>/);
      // Pods are drawn inside their node's group.
      const n1 = a.slice(a.indexOf('<g class="node" data-node="n1">'), a.indexOf('<g class="node" data-node="n2">'));
      expect(n1).toContain('data-ns="p1"');
      expect(n1).toContain('data-ns="p3"');
      expect(n1).not.toContain('data-ns="p2"');
    });
    expect(dom).toContain('#1 p = 1/2 ≈ 0.500000000');
  });

  test('the screenshot is a non-blank 1400×900 PNG', { timeout: 150_000 }, () => {
    const shot = join(dir, 'trace.png');
    run(`--screenshot=${shot}`, '--window-size=1400,900', '--hide-scrollbars');
    const png = decodePng(readFileSync(shot));
    expect([png.width, png.height]).toEqual([1400, 900]);
    const colours = new Set<number>();
    const { pixels, channels } = png;
    for (let i = 0; i + channels <= pixels.length; i += channels) {
      colours.add(pixels.readUIntBE(i, Math.min(channels, 3)));
      if (colours.size > 50) break;
    }
    // Text, boxes and arrows in several colours, not a blank page.
    expect(colours.size).toBeGreaterThan(50);
  });
});
