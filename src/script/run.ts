import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseIPv4 } from '../packet/address.js';
import type { NetNamespace } from '../netns/namespace.js';
import { Network } from '../netns/network.js';
import type { TraceEvent } from '../sim/trace.js';
import { parseDuration, SEC } from '../sim/time.js';
import { runProbe, type ProbeSpec } from '../trace/probe.js';
import type { BranchOracle } from '../sim/random.js';
import { Cluster, ClusterError } from '../k8s/cluster/cluster.js';
import { ClusterConfigError, readClusterConfig } from '../k8s/cluster/config.js';
import { ManifestError } from '../k8s/api/manifest.js';
import { formatMetrics } from '../k8s/proxy/metrics.js';
import { nodeDown, nodeUp } from '../k8s/cluster/node-events.js';
import { resolveFrom, resolveTo, sourceFor, summarize, TraceError } from '../k8s/cluster/trace.js';
import { dispatch } from './commands.js';
import { ScriptError, type Command, type ScriptContext } from './context.js';
import { TcpEcho, UdpEcho } from '../trace/harness.js';
import { lex } from './lexer.js';
import { filtersOf, runFilters } from './pipeline.js';
import type { ScenarioResult, Segment } from './result.js';

export { PROBE_CAP, PROBE_QUIET } from '../trace/probe.js';

/** A `request` gives up this long after sending, as `curl -m 2` would. */
export const REQUEST_TIMEOUT = 2 * SEC;

export interface RunOptions {
  /** The scenario's path: error messages name it and `< FILE` is relative to it. */
  file: string;
  seed?: number;
  /** Record why things happened (route, neighbour, drops) beside each capture line. */
  explain?: boolean;
  /** Also record each probe's frames as real bytes (pcapng). */
  pcap?: boolean;
  /** Reads a file a script redirects from; defaults to the file system. */
  readFile?: (path: string) => string;
  /** Decides the random branches packets meet during probes (outcome exploration); null: drawn from the seed. */
  oracle?: BranchOracle | null;
}

/** One line of a probe block with the explanations recorded after it. */
export interface ExplainedLine {
  line: string;
  /** Virtual time in ns. */
  at: number;
  why: string[];
}

/** A probe as `--format text|json` shows it. */
export interface ProbeDetail {
  index: number;
  line: number;
  command: string;
  /** Notes recorded before the first packet (e.g. a local sender's route error). */
  before: string[];
  lines: ExplainedLine[];
  /** The probe's frames as a pcapng file, when RunOptions.pcap asked for it. */
  pcapng: Uint8Array | null;
}

export interface RunResult extends ScenarioResult {
  probes: ProbeDetail[];
  network: Network;
}

/** Interprets a scenario on a fresh simulated machine. */
export function runScenario(text: string, opts: RunOptions): RunResult {
  const runner = new ScenarioRunner(opts);
  runner.run(text);
  return runner.result();
}

class ScenarioRunner {
  net: Network;
  /** The cluster the scenario runs on, after its `cluster FILE` line. */
  private cluster: Cluster | null = null;
  private readonly segments: Segment[] = [];
  private readonly probes: ProbeDetail[] = [];
  private output = '';
  /** The output of a command whose output is piped, while it runs; null otherwise. */
  private piped: string | null = null;
  private probeCount = 0;
  private echoId = 0;

  constructor(private readonly opts: RunOptions) {
    this.net = new Network(opts.seed ?? 1);
  }

  run(text: string): void {
    const readFile = this.opts.readFile ?? ((p: string) => readFileSync(resolve(dirname(this.opts.file), p), 'utf8'));
    const commands = lex(text, this.opts.file, readFile);
    for (const cmd of commands) {
      const filters = filtersOf(cmd);
      if (filters === null) {
        this.execute(this.net.root, cmd.argv, cmd);
        continue;
      }
      // A pipeline: the command's output goes into a buffer, then through the filters.
      if (['listen', 'probe', 'sleep', 'cluster', 'request', 'node'].includes(cmd.argv[0]!)) this.error(cmd, `"${cmd.argv[0]}" prints nothing to pipe: it cannot start a pipeline`);
      this.piped = '';
      try {
        this.execute(this.net.root, cmd.argv, cmd);
      } finally {
        const text = this.piped;
        this.piped = null;
        this.output += runFilters(filters, text);
      }
    }
    // Let whatever is still in flight settle (a script may end without a probe).
    this.net.scheduler.drain();
  }

  result(): RunResult {
    this.flushOutput();
    return { segments: this.segments, probes: this.probes, network: this.net };
  }

  private flushOutput(): void {
    if (this.output.length > 0) {
      this.segments.push({ kind: 'output', text: this.output });
      this.output = '';
    }
  }

  private context(ns: NetNamespace): ScriptContext {
    return {
      net: this.net,
      ns,
      file: this.opts.file,
      out: (text: string) => {
        if (this.piped !== null) this.piped += text;
        else this.output += text;
      },
      exec: (target: NetNamespace, argv: string[], cmd: Command) => this.execute(target, argv, cmd),
      cluster: this.cluster,
    };
  }

  private execute(ns: NetNamespace, argv: string[], cmd: Command): void {
    switch (argv[0]) {
      case 'listen':
        this.listen(ns, argv, cmd);
        return;
      case 'probe':
        this.probe(argv, cmd);
        return;
      case 'sleep':
        this.sleep(argv, cmd);
        return;
      case 'cluster':
        this.startCluster(argv, cmd);
        return;
      case 'request':
        this.request(argv, cmd);
        return;
      case 'metrics':
        this.metrics(ns, argv, cmd);
        return;
      case 'node':
        this.nodeEvent(argv, cmd);
        return;
      default:
        dispatch(this.context(ns), argv, cmd);
    }
  }

  private error(cmd: Command, message: string): never {
    throw new ScriptError(this.opts.file, cmd.line, message);
  }

  private namespace(name: string | undefined, cmd: Command): NetNamespace {
    const ns = name === undefined ? undefined : this.net.namespaces.get(name);
    if (ns === undefined) this.error(cmd, `no network namespace "${name ?? ''}"`);
    return ns;
  }

  private endpoint(text: string | undefined, cmd: Command, withPort: boolean): [number, number] {
    const m = text === undefined ? null : withPort ? /^([\d.]+):(\d+)$/.exec(text) : /^([\d.]+)$/.exec(text);
    const addr = m === null ? null : parseIPv4(m[1]!);
    const port = m === null || !withPort ? 0 : Number(m[2]);
    if (addr === null || port > 65535) this.error(cmd, `expected ${withPort ? 'ADDRESS:PORT' : 'ADDRESS'}, got "${text ?? ''}"`);
    return [addr, port];
  }

  /** `listen NETNS udp|tcp PORT` */
  private listen(_from: NetNamespace, argv: string[], cmd: Command): void {
    if (argv.length !== 4) this.error(cmd, 'usage: listen NETNS udp|tcp PORT');
    const ns = this.namespace(argv[1], cmd);
    const port = Number(argv[3]);
    if (!/^\d+$/.test(argv[3]!) || port < 1 || port > 65535) this.error(cmd, `bad port "${argv[3]}"`);
    const note = (text: string) => this.net.tracer?.record(ns.name, 'app', 0, text);
    let res: unknown;
    if (argv[2] === 'udp') res = ns.udp.bind(0, port, new UdpEcho(note));
    else if (argv[2] === 'tcp') res = ns.tcp.listen(0, port, new TcpEcho(note, this.net.scheduler));
    else this.error(cmd, `listen: unknown protocol "${argv[2]}"`);
    if (typeof res === 'string') this.error(cmd, `listen: ${res}`);
  }

  /** `sleep DURATION`: virtual time passes, timers fire. */
  private sleep(argv: string[], cmd: Command): void {
    const d = argv.length === 2 ? parseDuration(argv[1]!) : null;
    if (d === null) this.error(cmd, `sleep: invalid time interval "${argv.slice(1).join(' ')}"`);
    this.net.scheduler.runUntil(this.net.now + d);
  }

  /** `probe NETNS udp|tcp SRC:SPORT DST:DPORT` / `probe NETNS icmp SRC DST` */
  private probe(argv: string[], cmd: Command): void {
    if (argv.length !== 5) this.error(cmd, 'usage: probe NETNS udp|tcp SRC:SPORT DST:DPORT | probe NETNS icmp SRC DST');
    const ns = this.namespace(argv[1], cmd);
    const proto = argv[2];
    if (proto !== 'udp' && proto !== 'tcp' && proto !== 'icmp') this.error(cmd, `probe: unknown protocol "${proto}"`);
    const withPort = proto !== 'icmp';
    const [src, sport] = this.endpoint(argv[3], cmd, withPort);
    const [dst, dport] = this.endpoint(argv[4], cmd, withPort);

    this.flushOutput();
    const index = ++this.probeCount;
    const echoId = proto === 'icmp' ? (0x1000 + ++this.echoId) & 0xffff : 0;
    const run = this.runProbeWithOracle({ ns, proto, src, sport, dst, dport, echoId });
    const detail = explain(run.events, index, cmd);
    detail.pcapng = run.pcapng;
    this.probes.push(detail);
    this.segments.push({ kind: 'probe', index, line: cmd.line, lines: detail.lines.map((l) => l.line) });
  }

  /** A probe's packets meet the random branches the explorer decides (if any). */
  private runProbeWithOracle(spec: ProbeSpec, cap?: number, explain = this.opts.explain === true) {
    this.net.random.oracle = this.opts.oracle ?? null;
    try {
      return runProbe(this.net, spec, { explain, pcap: this.opts.pcap === true, cap });
    } finally {
      this.net.random.oracle = null;
    }
  }

  /** `cluster FILE`: the scenario runs on that cluster (built, its manifests applied, settled); its nodes and pods are the namespaces. */
  private startCluster(argv: string[], cmd: Command): void {
    if (argv.length !== 2) this.error(cmd, 'usage: cluster FILE');
    if (this.cluster !== null || this.net.namespaces.size > 0) this.error(cmd, 'cluster: must come before anything that makes namespaces, and only once');
    const file = resolve(dirname(this.opts.file), argv[1]!);
    try {
      this.cluster = Cluster.build(readClusterConfig(file), { seed: this.opts.seed ?? 1 });
    } catch (e) {
      if (e instanceof ClusterConfigError || e instanceof ManifestError || e instanceof ClusterError) this.error(cmd, e.message);
      throw e;
    }
    this.net = this.cluster.net;
  }

  /** `node down|up NAME`: a node leaves the network (and, after the grace period, the endpoints) or comes back. */
  private nodeEvent(argv: string[], cmd: Command): void {
    const cluster = this.cluster;
    if (cluster === null) this.error(cmd, 'node needs a cluster: start the scenario with `cluster FILE`');
    const [, what, name] = argv;
    if (argv.length !== 3 || (what !== 'down' && what !== 'up')) this.error(cmd, 'usage: node down|up NAME');
    const ok = what === 'down' ? nodeDown(cluster, name!) : nodeUp(cluster, name!);
    if (!ok) this.error(cmd, `node: no node "${name}" (nodes: ${[...cluster.proxies.keys()].join(', ')})`);
  }

  /** `metrics NODE`: the node's kube-proxy metrics as its /metrics endpoint (port 10249) serves them. */
  private metrics(ns: NetNamespace, argv: string[], cmd: Command): void {
    if (argv.length !== 2) this.error(cmd, 'usage: metrics NODE');
    const cluster = this.cluster;
    if (cluster === null) this.error(cmd, 'metrics needs a cluster: start the scenario with `cluster FILE`');
    const proxy = cluster.proxies.get(argv[1]!);
    if (proxy === undefined) this.error(cmd, `metrics: no node "${argv[1]}" (nodes: ${[...cluster.proxies.keys()].join(', ')})`);
    this.context(ns).out(formatMetrics(proxy.loop.metrics));
  }

  /** `request FROM TO[:PORT] [tcp|udp|icmp]`: one request, named as `dpsim trace` names its ends; prints where it ended. */
  private request(argv: string[], cmd: Command): void {
    if (argv.length < 3 || argv.length > 4) this.error(cmd, 'usage: request FROM TO[:PORT] [tcp|udp|icmp]');
    const cluster = this.cluster;
    if (cluster === null) this.error(cmd, 'request needs a cluster: start the scenario with `cluster FILE`');
    const proto = argv[3] ?? 'tcp';
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'icmp') this.error(cmd, `request: unknown protocol "${proto}"`);
    let spec: ProbeSpec;
    let describe: string;
    try {
      const ns = resolveFrom(cluster, argv[1]!);
      const to = resolveTo(cluster, ns, argv[2]!, proto);
      const src = sourceFor(ns, to.dst);
      const sport = proto === 'icmp' ? 0 : this.net.random.int(32768, 60999);
      spec = { ns, proto, src, sport, dst: to.dst, dport: to.dport, echoId: (0x1000 + ++this.echoId) & 0xffff };
      describe = to.describeTo;
    } catch (e) {
      if (e instanceof TraceError) this.error(cmd, `request: ${e.message}`);
      throw e;
    }
    const at = (this.net.now / 1e9).toFixed(1);
    // Explained always: where it ended is read from the servers' notes.
    const run = this.runProbeWithOracle(spec, REQUEST_TIMEOUT, true);
    this.context(spec.ns).out(`[${at}s] ${argv[1]} → ${describe}: ${summarize(cluster, spec.ns, run.events)}\n`);
  }
}

/** Groups trace events under the capture line they follow. */
function explain(events: TraceEvent[], index: number, cmd: Command): ProbeDetail {
  const detail: ProbeDetail = { index, line: cmd.line, command: cmd.text, before: [], lines: [], pcapng: null };
  for (const e of events) {
    if (e.kind === 'capture') detail.lines.push({ line: e.text, at: e.at, why: [] });
    else {
      const text = `${e.where}: ${e.text}`;
      const last = detail.lines[detail.lines.length - 1];
      if (last === undefined) detail.before.push(text);
      else last.why.push(text);
    }
  }
  return detail;
}
