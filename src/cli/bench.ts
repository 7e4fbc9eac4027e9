/**
 * `dpsim bench`: the iptables-vs-IPVS scale benchmark (src/bench). A table on stdout, a
 * progress bar on stderr while it runs (a terminal only), `--json` and `--html` files.
 */

import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { writeFileSync } from 'node:fs';
import { renderBenchHtml } from '../bench/html.js';
import { DEFAULT_OPTIONS, QUICK_OPTIONS, runBench } from '../bench/run.js';
import { renderBenchTable } from '../bench/table.js';
import type { BenchOptions } from '../bench/types.js';

interface BenchFlags {
  services?: number[];
  endpoints?: number;
  nodes?: number;
  json?: string;
  html?: string;
  quick?: boolean;
  kernel?: boolean;
  seconds?: number;
  kernelTimeout?: number;
}

function positiveInt(what: string) {
  return (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`${what} is a positive integer, not ${JSON.stringify(text)}.`);
    return Number(text);
  };
}

function serviceList(text: string): number[] {
  const parts = text.split(',');
  const out = parts.map((p) => {
    if (!/^\d+$/.test(p.trim()) || Number(p) < 1) throw new InvalidArgumentError(`${JSON.stringify(p)} in ${JSON.stringify(text)} is not a positive integer.`);
    return Number(p);
  });
  return [...new Set(out)];
}

function positiveNumber(text: string): number {
  const x = Number(text);
  if (!(x > 0) || !Number.isFinite(x)) throw new InvalidArgumentError(`${JSON.stringify(text)} is not a positive number of seconds.`);
  return x;
}

/** The options a command line chooses. */
export function benchOptions(flags: BenchFlags): BenchOptions {
  const base = flags.quick === true ? QUICK_OPTIONS : DEFAULT_OPTIONS;
  return {
    ...base,
    services: flags.services ?? base.services,
    endpoints: flags.endpoints ?? base.endpoints,
    nodes: flags.nodes ?? base.nodes,
    kernel: flags.kernel ?? base.kernel,
    rateSeconds: flags.seconds ?? base.rateSeconds,
    kernelTimeoutSeconds: flags.kernelTimeout ?? base.kernelTimeoutSeconds,
  };
}

/** Runs the benchmark for a command line. Returns the exit status. */
export function bench(flags: BenchFlags, out: (t: string) => void, err: (t: string) => void, tty: boolean): number {
  const options = benchOptions(flags);
  const bar = tty ? new SingleBar({ format: 'dpsim bench [{bar}] {percentage}% {value}/{total} {label}', hideCursor: true, clearOnComplete: true, stream: process.stderr }) : null;
  let started = false;
  const report = runBench(options, (step, steps, label) => {
    if (bar === null) {
      if (label !== 'done') err(`[${step + 1}/${steps}] ${label}\n`);
      return;
    }
    if (!started) {
      bar.start(steps, step, { label });
      started = true;
    } else bar.update(step, { label });
  });
  if (bar !== null) bar.stop();
  out(renderBenchTable(report));
  if (flags.json !== undefined) writeFileSync(flags.json, JSON.stringify(report, null, 2) + '\n');
  if (flags.html !== undefined) writeFileSync(flags.html, renderBenchHtml(report));
  return 0;
}

/** Adds `dpsim bench` to the program. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark kube-proxy’s iptables mode against IPVS mode at scale: rules, kernel cost (modelled; measured as root in a private namespace), dpsim’s own speed')
    .option('--services <list>', 'comma-separated Service counts (default 1000,5000,10000,20000; --quick: 1000,2000)', serviceList)
    .option('--endpoints <n>', 'endpoints per Service (default 10)', positiveInt('--endpoints'))
    .option('--nodes <n>', 'nodes the endpoints are spread over (default 4)', positiveInt('--nodes'))
    .option('--json <file>', 'also write the results as JSON')
    .option('--html <file>', 'also write an HTML report with plots')
    .option('--quick', 'small and fast (1000,2000 Services, short rate runs, no kernel measurement unless --kernel)')
    .addOption(new Option('--kernel', 'measure the real kernel (root: iptables-restore and NEW connections in a private namespace)'))
    .addOption(new Option('--no-kernel', 'do not measure the real kernel'))
    .option('--kernel-timeout <s>', 'seconds one kernel run may take; a restore the model predicts to take longer is not run (default 300)', positiveNumber)
    .option('--seconds <s>', 'seconds per rate measurement (default 1; --quick 0.15)', positiveNumber)
    .action((flags: BenchFlags) => {
      process.exitCode = bench(flags, (t) => process.stdout.write(t), (t) => process.stderr.write(t), process.stderr.isTTY === true);
    });
}
