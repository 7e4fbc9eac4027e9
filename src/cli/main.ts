#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCapture } from '../script/result.js';
import { ScriptError } from '../script/context.js';
import { runScenario } from '../script/run.js';
import { runScenarioOutcomes } from '../script/outcomes.js';
import { fractionText, fractionValue } from '../sim/explore.js';
import { renderJson, renderText } from './render.js';
import { verify } from './verify.js';
import { registerClusterCommands } from './cluster-commands.js';
import { seedOf } from './options.js';
import { registerKubeProxyCommand } from './kube-proxy.js';
import { registerBenchCommand } from './bench.js';

const EXIT_SCENARIO = 1;
const EXIT_USAGE = 2;


type Format = 'capture' | 'text' | 'json';

interface RunFlags {
  format: Format;
  seed: number;
  pcap?: string;
  allOutcomes?: boolean;
}

function runFile(file: string, flags: RunFlags): number {
  const { format, seed } = flags;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`dpsim: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return EXIT_USAGE;
  }
  try {
    if (flags.allOutcomes === true) {
      if (flags.pcap !== undefined) throw new InvalidArgumentError('--pcap and --all-outcomes do not go together');
      const outcomes = runScenarioOutcomes(text, { file, seed, explain: format !== 'capture' });
      outcomes.forEach((o, i) => {
        const p = `${fractionText(o.probability)} ≈ ${fractionValue(o.probability).toFixed(11)}`;
        const body = format === 'capture' ? renderCapture(o.result) : format === 'text' ? renderText(o.result) : renderJson(o.result);
        process.stdout.write(format === 'json' ? JSON.stringify({ outcome: i + 1, of: outcomes.length, probability: fractionText(o.probability), value: fractionValue(o.probability) }) + '\n' + body : `=== outcome ${i + 1} of ${outcomes.length}: p = ${p}\n${body}`);
      });
      return 0;
    }
    const result = runScenario(text, { file, seed, explain: format !== 'capture', pcap: flags.pcap !== undefined });
    if (flags.pcap !== undefined) {
      mkdirSync(flags.pcap, { recursive: true });
      for (const p of result.probes) if (p.pcapng !== null) writeFileSync(join(flags.pcap, `probe-${p.index}.pcapng`), p.pcapng);
    }
    const out = format === 'capture' ? renderCapture(result) : format === 'text' ? renderText(result) : renderJson(result);
    process.stdout.write(out);
    return 0;
  } catch (e) {
    if (e instanceof ScriptError) {
      process.stderr.write(`${e.message}\n`);
      return EXIT_SCENARIO;
    }
    throw e;
  }
}

function program(): Command {
  const cmd = new Command('dpsim')
    .description('A packet-level simulator of the Linux data plane that Kubernetes nodes run.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const formatOption = () =>
    new Option('-f, --format <format>', 'capture: show output and capture blocks; text: each capture line with why; json: one object per probe')
      .choices(['capture', 'text', 'json'])
      .default('capture');
  cmd
    .command('run')
    .description('interpret a scenario (a script of ip/sysctl commands plus listen/probe) and show what the kernel would do')
    .argument('<scenario>', 'the scenario file')
    .addOption(formatOption())
    .option('-s, --seed <n>', 'seed of the simulation’s random choices (MACs, ports, timers)', seedOf, 1)
    .option('--pcap <dir>', 'also write each probe’s frames as real bytes to DIR/probe-N.pcapng (one interface per namespace/device)')
    .option('-a, --all-outcomes', 'explore every random branch the probes meet (iptables statistic rules) and print each distinct outcome with its exact probability', false)
    .action((file: string, o: RunFlags) => {
      process.exitCode = runFile(file, o);
    });
  cmd
    .command('verify')
    .description('run scenarios on this machine’s real kernel (root; a private namespace) and through dpsim, and compare them probe by probe')
    .argument('<scenario...>', 'scenario files')
    .action(async (files: string[]) => {
      process.exitCode = await verify(files, (t) => process.stdout.write(t));
    });
  registerClusterCommands(cmd);
  registerKubeProxyCommand(cmd);
  registerBenchCommand(cmd);
  return cmd;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    throw e;
  }
}

// `dpsim … | head`: a closed pipe ends the output quietly, as it does for any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
await main(process.argv);
