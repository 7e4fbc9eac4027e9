/**
 * `dpsim bench`: for each Service count, iptables mode and IPVS mode side by side — rules
 * generated and loaded, the modelled (and, as root, the real) kernel cost of programming
 * them, per-NEW-connection rule walks and their modelled kernel time, dpsim's own speed —
 * then one end-to-end packet rate and the targets of issue 8 at the largest count.
 */

import { cpus, loadavg, release, totalmem } from 'node:os';
import { formatIPv4 } from '../packet/address.js';
import { calibrate, modelledConnectionUs } from './calibration.js';
import { benchCluster } from './cluster.js';
import { END_TO_END_PATH, measureEndToEnd } from './end-to-end.js';
import { CLIENT_IP, loadIptables, measureIptablesPositions } from './iptables-mode.js';
import { measureIpvs } from './ipvs-mode.js';
import { kernelAvailability, runKernel } from './kernel.js';
import { collectGarbage } from './measure.js';
import { positionsOf } from './positions.js';
import type { BenchOptions, BenchReport, Calibration, IptablesFigures, IpvsFigures, KernelConnect, KernelRestore, PositionFigures, ScalePoint } from './types.js';

/** The default run: issue 8's sizes. */
export const DEFAULT_OPTIONS: BenchOptions = {
  services: [1000, 5000, 10000, 20000],
  endpoints: 10,
  nodes: 4,
  rateSeconds: 1,
  kernel: true,
  kernelConnections: 2000,
  kernelTimeoutSeconds: 300,
};

/** `--quick`: small enough for a CI test of the CLI. */
export const QUICK_OPTIONS: BenchOptions = { ...DEFAULT_OPTIONS, services: [1000, 2000], rateSeconds: 0.15, kernel: false, kernelConnections: 500 };

/** Progress: `step` of `steps` done, and what runs now. */
export type Progress = (step: number, steps: number, label: string) => void;

const FLAVOURS = ['nft', 'legacy'] as const;
/**
 * The flavour the per-packet model is calibrated on: legacy, the one this machine can load at
 * every size (an nft restore grows with the square of its chains: minutes at 5,000 Services).
 */
const MODEL_FLAVOUR = 'legacy';

/** Runs the benchmark. Throws only for bad options or a dpsim failure; kernel failures become notes. */
export function runBench(options: BenchOptions, progress: Progress = () => {}): BenchReport {
  const sizes = [...options.services].sort((a, b) => a - b);
  const kernel = options.kernel ? kernelAvailability() : { ok: false, reason: 'kernel measurements off' };
  const stepsPer = kernel.ok ? 5 : 3;
  const steps = sizes.length * stepsPer + 1;
  let step = 0;
  const tick = (label: string) => progress(step++, steps, label);
  const notes: string[] = [];
  if (!kernel.ok) notes.push(`Kernel measurements skipped: ${kernel.reason}.`);
  notes.push('IPVS mode: dpsim has no IPVS proxier yet; the engine is programmed from the same service-port view as kube-proxy’s IPVS proxier would (src/bench/ipvs-mode.ts).');

  interface Raw {
    services: number;
    ipt: Omit<IptablesFigures, 'positions' | 'kernelRestore'>;
    iptPositions: PositionFigures[];
    restores: KernelRestore[];
    ipvs: IpvsFigures;
    connects: KernelConnect[];
    connectNote: string;
  }
  // End to end first, while the engine's call sites have seen only plain forwarding (after the
  // rule sets they run measurably slower: the figure would say more about the JIT than the path).
  tick('end to end');
  const e2e = measureEndToEnd(Math.max(options.rateSeconds, 0.5));
  const raw: Raw[] = [];
  for (const n of sizes) {
    const snapshot = benchCluster(n, options.endpoints, options.nodes);
    tick(`${n} services: iptables first sync, change`);
    let loaded: ReturnType<typeof loadIptables> | null = loadIptables(snapshot);
    tick(`${n} services: iptables decisions`);
    const iptPositions = measureIptablesPositions(loaded, snapshot, options.rateSeconds, () => 0);
    const ipt = loaded.figures;
    const { text, jumps } = loaded.sync;
    loaded = null;
    collectGarbage();
    const restores: KernelRestore[] = [];
    const connects: KernelConnect[] = [];
    let connectNote = kernel.ok ? '' : kernel.reason;
    const positions = positionsOf(snapshot);
    for (const flavour of FLAVOURS) {
      if (!kernel.ok) {
        restores.push({ flavour, seconds: null, note: kernel.reason });
        continue;
      }
      tick(`${n} services: kernel iptables-${flavour}-restore + connects`);
      const predicted = ipt.modelRestoreSeconds[flavour];
      if (predicted > options.kernelTimeoutSeconds * 0.8) {
        const why = `not run: the restore model predicts ${Math.round(predicted)} s, over the ${options.kernelTimeoutSeconds} s limit (--kernel-timeout)`;
        restores.push({ flavour, seconds: null, note: why });
        connectNote += `${connectNote === '' ? '' : '; '}iptables-${flavour}: ${why}`;
        continue;
      }
      const k = runKernel(
        flavour,
        jumps,
        text,
        positions.map((p) => ({ vip: formatIPv4(p.vip), port: p.port })),
        {
          endpointPort: 8080,
          source: formatIPv4(CLIENT_IP),
          connections: options.kernelConnections,
          timeoutSeconds: options.kernelTimeoutSeconds,
          podRange: '10.0.0.0/8',
          serviceRange: '172.16.0.0/12',
        },
      );
      restores.push({ flavour, seconds: k.restoreSeconds, note: k.error });
      positions.forEach((p, i) => {
        const c = k.connects[i];
        if (c === null || c === undefined) return;
        connects.push({
          flavour,
          position: p.position,
          service: p.index,
          clusterIP: formatIPv4(p.vip),
          evaluated: iptPositions[i]!.evaluated,
          connections: c.connections,
          seconds: c.seconds,
          perConnectionUs: (c.seconds / c.connections) * 1e6,
        });
      });
      if (k.error !== '') connectNote += `${connectNote === '' ? '' : '; '}iptables-${flavour}: ${k.error}`;
    }
    tick(`${n} services: IPVS`);
    const ipvs = measureIpvs(snapshot, options.rateSeconds, () => 0, 0);
    collectGarbage();
    raw.push({ services: n, ipt, iptPositions, restores, ipvs, connects, connectNote });
  }
  progress(steps, steps, 'done');

  const allConnects = raw.flatMap((r) => r.connects);
  const calibration = calibrate(allConnects, MODEL_FLAVOUR, kernel.ok ? '' : kernel.reason);
  const points: ScalePoint[] = raw.map((r) => ({
    services: r.services,
    endpoints: options.endpoints,
    iptables: { ...r.ipt, kernelRestore: r.restores, positions: r.iptPositions.map((p) => ({ ...p, modelledNs: p.evaluated * calibration.nsPerRule })) },
    ipvs: {
      ...r.ipvs,
      modelProgramSeconds: r.ipvs.netlinkCalls * calibration.netlinkCallSeconds,
      modelPartialSeconds: r.ipvs.partialCalls * calibration.netlinkCallSeconds,
      positions: r.ipvs.positions.map((p) => ({ ...p, modelledNs: p.evaluated * calibration.nsPerLookup })),
    },
    kernelConnects: r.connects,
    kernelConnectNote: r.connectNote,
  }));
  const largest = points[points.length - 1]!;
  return {
    tool: 'dpsim bench',
    date: new Date().toISOString(),
    machine: machine(),
    options: { ...options, services: sizes },
    calibration,
    points,
    endToEnd: { path: END_TO_END_PATH, rate: e2e },
    targets: targets(largest, calibration, raw.slice(0, -1).flatMap((r) => r.connects)),
    notes,
  };
}

function machine(): BenchReport['machine'] {
  const c = cpus();
  return {
    cpus: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `Linux ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const fmt = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** Issue 8's targets at the largest Service count. */
function targets(p: ScalePoint, cal: Calibration, smaller: readonly KernelConnect[]): BenchReport['targets'] {
  const at = `at ${fmt(p.services)} × ${p.endpoints}`;
  const pos = (list: readonly PositionFigures[], w: string) => list.find((x) => x.position === w) ?? list[list.length - 1]!;
  const first = pos(p.iptables.positions, 'first').compiled.perSecond;
  const last = pos(p.iptables.positions, 'last').compiled.perSecond;
  const ipvsMin = Math.min(...p.ipvs.positions.map((x) => x.compiled.perSecond));
  const out: { name: string; value: string; target: string; met: boolean | null }[] = [
    { name: `iptables first sync (generate + load + compile) ${at}`, value: `${fmt(p.iptables.firstSyncMs / 1000, 2)} s`, target: '< 3 s', met: p.iptables.firstSyncMs < 3000 },
    { name: `memory ${at} (peak RSS of the process)`, value: `${fmt(p.iptables.peakRssMiB)} MiB`, target: '< 2 GiB', met: p.iptables.peakRssMiB < 2048 },
    { name: `compiled decisions, first / last Service ${at}`, value: `${fmt(first / 1e6, 2)} M/s / ${fmt(last / 1e6, 2)} M/s`, target: '≥ 1 M/s each, within 2×', met: first >= 1e6 && last >= 1e6 && Math.max(first, last) / Math.min(first, last) <= 2 },
    { name: `IPVS decisions (slowest position) ${at}`, value: `${fmt(ipvsMin / 1e6, 2)} M/s`, target: '≥ 1 M/s', met: ipvsMin >= 1e6 },
  ];
  const lastPos = pos(p.iptables.positions, 'last');
  const measured = p.kernelConnects.find((c) => c.flavour === cal.flavour && c.position === lastPos.position);
  const lastRules = lastPos.evaluated;
  if (measured === undefined) out.push({ name: `modelled kernel cost, last Service ${at}`, value: `${fmt(modelledConnectionUs(cal, lastRules), 1)} µs/connection (not measured)`, target: 'within 2× of the kernel', met: null });
  else {
    // Held out where possible: the model fitted on the smaller counts only predicts the largest.
    const held = calibrate(smaller, cal.flavour, '');
    const use = held.source === 'measured' ? held : cal;
    const model = modelledConnectionUs(use, lastRules);
    const ratio = model / measured.perConnectionUs;
    out.push({
      name: `modelled kernel cost, last Service ${at} (iptables-${cal.flavour}; ${use === held ? 'model fitted on the smaller counts only' : 'model fitted with this count'})`,
      value: `${fmt(model, 1)} µs vs ${fmt(measured.perConnectionUs, 1)} µs measured (×${fmt(ratio, 2)})`,
      target: 'within 2×',
      met: ratio <= 2 && ratio >= 0.5,
    });
  }
  return out;
}
