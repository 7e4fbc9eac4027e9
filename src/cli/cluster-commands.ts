/**
 * The cluster commands: `dpsim trace` (one request across a cluster, every hop, every
 * outcome), `dpsim exec` (a node or pod command on the settled cluster) and `dpsim demo`
 * (the built-in example's trace: the talk's front-end → orders).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readClusterConfig, ClusterConfigError, type ClusterConfig } from '../k8s/cluster/config.js';
import { Cluster, ClusterError } from '../k8s/cluster/cluster.js';
import { traceRequest, TraceError, type TraceRequest } from '../k8s/cluster/trace.js';
import { exportScript, type ExportProbe } from '../k8s/cluster/export.js';
import { ManifestError } from '../k8s/api/manifest.js';
import { renderReportJson, renderReportText } from '../trace/report.js';
import { ScriptError } from '../script/context.js';
import { runCommandLine } from './exec.js';
import { seedOf } from './options.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built-in example: the talk's cluster running sock-shop. */
export const EXAMPLE_CLUSTER = join(packageRoot, 'examples', 'sock-shop', 'cluster.yaml');

const EXIT_INPUT = 1;

type TraceFormat = 'text' | 'json' | 'pcap' | 'html';

interface TraceFlags {
  cluster?: string;
  proto: 'tcp' | 'udp' | 'icmp';
  allOutcomes: boolean;
  allFrames: boolean;
  seed: number;
  format: TraceFormat;
  output?: string;
}

/** Errors a user caused (bad cluster file, manifest, target): one line, exit 1. */
function userError(e: unknown): string | null {
  if (e instanceof ClusterConfigError || e instanceof ManifestError || e instanceof ClusterError || e instanceof TraceError || e instanceof ScriptError) return e.message;
  return null;
}

function withCluster<T>(file: string | undefined, body: (config: ClusterConfig) => T): T | number {
  try {
    return body(readClusterConfig(file ?? EXAMPLE_CLUSTER));
  } catch (e) {
    const msg = userError(e);
    if (msg === null) throw e;
    process.stderr.write(`dpsim: ${msg}\n`);
    return EXIT_INPUT;
  }
}

async function trace(from: string, to: string, flags: TraceFlags): Promise<number> {
  const req: TraceRequest = { from, to, proto: flags.proto, allOutcomes: flags.allOutcomes, seed: flags.seed, pcap: flags.format === 'pcap' };
  const result = withCluster(flags.cluster, (config) => traceRequest(config, req));
  if (typeof result === 'number') return result;
  const { report, client } = result;
  switch (flags.format) {
    case 'text':
      process.stdout.write(renderReportText(report, client, { allFrames: flags.allFrames }));
      return 0;
    case 'json':
      process.stdout.write(renderReportJson(report));
      return 0;
    case 'html': {
      const { renderReportHtml } = await import('../trace/html.js');
      const html = renderReportHtml(report);
      if (flags.output !== undefined) writeFileSync(flags.output, html);
      else process.stdout.write(html);
      return 0;
    }
    case 'pcap': {
      const dir = flags.output ?? '.';
      mkdirSync(dir, { recursive: true });
      report.outcomes.forEach((o, i) => {
        if (o.pcapng !== null) writeFileSync(join(dir, `outcome-${i + 1}.pcapng`), o.pcapng);
      });
      process.stdout.write(`wrote ${report.outcomes.length} pcapng file${report.outcomes.length === 1 ? '' : 's'} to ${dir}/outcome-N.pcapng\n`);
      return 0;
    }
  }
}

function exec(target: string, words: string[], flags: { cluster?: string; seed: number }): number {
  const result = withCluster(flags.cluster, (config) => {
    const cluster = Cluster.build(config, { seed: flags.seed });
    const node = cluster.node(target);
    let ns = node?.ns;
    if (ns === undefined) {
      const slash = target.indexOf('/');
      const pods = cluster.store.list('Pod', slash < 0 ? undefined : target.slice(0, slash)).filter((p) => p.metadata.name === (slash < 0 ? target : target.slice(slash + 1)));
      const running = pods[0] === undefined ? undefined : cluster.runningPod(pods[0].metadata.namespace!, pods[0].metadata.name);
      if (running === undefined) throw new ClusterError(`no node or running pod "${target}" (nodes: ${cluster.machines.nodes.map((n) => n.config.name).join(', ')})`);
      ns = running.ns;
    }
    return runCommandLine(cluster.net, ns, words, target, cluster);
  });
  if (typeof result === 'number') return result;
  process.stdout.write(result);
  return 0;
}

/** `--probe FROM,TO[,PROTO]`, repeatable. */
function probeOf(text: string, previous: ExportProbe[]): ExportProbe[] {
  const [from, to, proto = 'tcp', extra] = text.split(',');
  if (from === undefined || to === undefined || from === '' || to === '' || extra !== undefined || !['tcp', 'udp', 'icmp'].includes(proto)) {
    throw new InvalidArgumentError('give FROM,TO or FROM,TO,tcp|udp|icmp (e.g. sock-shop/front-end,sock-shop/catalogue).');
  }
  return [...previous, { from, to, proto: proto as ExportProbe['proto'] }];
}

function exportCluster(flags: { cluster?: string; seed: number; probe: ExportProbe[]; script: boolean }): number {
  if (!flags.script) {
    process.stderr.write('dpsim export: say what to export: --script (the only form so far)\n');
    return 2;
  }
  const text = withCluster(flags.cluster, (config) => exportScript(Cluster.build(config, { seed: flags.seed }), flags.probe));
  if (typeof text === 'number') return text;
  process.stdout.write(text);
  return 0;
}

export function registerClusterCommands(program: Command): void {
  const clusterOption = () => new Option('-c, --cluster <file>', 'the cluster file (default: the built-in example, examples/sock-shop/cluster.yaml)');
  const seedOption = () => new Option('-s, --seed <n>', 'seed of the simulation’s random choices').argParser(seedOf).default(1);
  program
    .command('trace')
    .description('build a cluster and trace one request across it, hop by hop')
    .argument('<from>', 'a pod (NAME or NAMESPACE/NAME), a workload (one of its pods), a node, or external')
    .argument('<to>', 'a Service (NAME or NAMESPACE/NAME), an IP, or a pod, with an optional :PORT (number or name)')
    .addOption(clusterOption())
    .addOption(new Option('-p, --proto <proto>', 'the request’s protocol').choices(['tcp', 'udp', 'icmp']).default('tcp'))
    .option('-a, --all-outcomes', 'explore every random branch (statistic rules) and print each outcome with its exact probability', false)
    .option('--all-frames', 'text: show every frame of the exchange, not just up to the reply', false)
    .addOption(seedOption())
    .addOption(new Option('-f, --format <format>', 'text, json, html (one self-contained file) or pcap (one pcapng per outcome)').choices(['text', 'json', 'html', 'pcap']).default('text'))
    .option('-o, --output <path>', 'html: the file to write (default stdout); pcap: the directory (default .)')
    .action(async (from: string, to: string, o: TraceFlags) => {
      process.exitCode = await trace(from, to, o);
    });
  program
    .command('exec')
    .description('run a node or pod command (ip, iptables, conntrack, bridge, ipset …) on the settled cluster, as ssh NODE or kubectl exec POD would')
    .argument('<target>', 'a node name or a pod (NAME or NAMESPACE/NAME)')
    .argument('<command...>', 'the command, after --')
    .addOption(clusterOption())
    .addOption(seedOption())
    .action((target: string, words: string[], o: { cluster?: string; seed: number }) => {
      process.exitCode = exec(target, words, o);
    });
  program
    .command('export')
    .description('write the settled cluster’s data plane as a scenario of real commands (ip, bridge, sysctl, iptables-restore, listen, probe) that `dpsim verify` can run on the kernel')
    .option('--script', 'as a scenario script (the only form so far)', false)
    .addOption(clusterOption())
    .addOption(seedOption())
    .option('--probe <from,to[,proto]>', 'add a probe, resolved as `dpsim trace` resolves its FROM and TO (repeatable)', probeOf, [])
    .action((o: { cluster?: string; seed: number; probe: ExportProbe[]; script: boolean }) => {
      process.exitCode = exportCluster(o);
    });
  program
    .command('demo')
    .description('the built-in example: the talk’s four-node flannel cluster running sock-shop; traces a request from the front-end pod to the orders Service with all its outcomes')
    .addOption(seedOption())
    .option('--all-frames', 'show every frame of each exchange', false)
    .action(async (o: { seed: number; allFrames: boolean }) => {
      process.exitCode = await trace('sock-shop/front-end', 'sock-shop/orders:80', { proto: 'tcp', allOutcomes: true, allFrames: o.allFrames, seed: o.seed, format: 'text' });
    });
}
