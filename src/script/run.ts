import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Packet } from '../packet/packet.js';
import { parseIPv4 } from '../packet/address.js';
import { encodeFrame } from '../packet/encode.js';
import { PcapngWriter } from '../packet/pcapng.js';
import type { Direction, NetDevice } from '../netns/device.js';
import type { NetNamespace } from '../netns/namespace.js';
import { Network, type FrameTap } from '../netns/network.js';
import { Tracer, type TraceEvent } from '../sim/trace.js';
import { parseDuration, SEC } from '../sim/time.js';
import { formatCaptureLine } from '../trace/capture.js';
import { dispatch } from './commands.js';
import { ScriptError, type Command, type ScriptContext } from './context.js';
import { PingProbe, TcpEcho, TcpProbe, UdpEcho, UdpProbe, type ProbeClient } from './harness.js';
import { lex } from './lexer.js';
import type { ScenarioResult, Segment } from './result.js';

/** A probe's block ends after this long without a packet (the kernel harness's DPSIM_QUIET_MS) … */
export const PROBE_QUIET = 6 * SEC;
/** … or this long after it was sent (DPSIM_CAP_MS). */
export const PROBE_CAP = 30 * SEC;

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

/** The capture of one probe: every frame on every device of a named namespace, as tcpdump -i any would print it. */
class ProbeCapture implements FrameTap {
  lastPacketAt: number;
  constructor(
    private readonly tracer: Tracer,
    private readonly net: Network,
    /** Real bytes of every frame, when asked for. */
    readonly pcap: PcapngWriter | null,
  ) {
    this.lastPacketAt = net.now;
  }

  frame(dev: NetDevice, dir: Direction, p: Packet): void {
    if (dev.ns === this.net.root) return; // the harness captures only named namespaces
    const now = this.net.now;
    this.lastPacketAt = now;
    this.tracer.record(dev.ns.name, 'capture', p.id, formatCaptureLine(dev.ns.name, dev.name, dir, p));
    if (this.pcap !== null) this.pcap.addFrame(dev.ns.name, dev.name, Math.round(now), encodeFrame(p), dir);
  }
}

/** Interprets a scenario on a fresh simulated machine. */
export function runScenario(text: string, opts: RunOptions): RunResult {
  const runner = new ScenarioRunner(opts);
  runner.run(text);
  return runner.result();
}

class ScenarioRunner {
  readonly net: Network;
  private readonly segments: Segment[] = [];
  private readonly probes: ProbeDetail[] = [];
  private output = '';
  private probeCount = 0;
  private echoId = 0;

  constructor(private readonly opts: RunOptions) {
    this.net = new Network(opts.seed ?? 1);
  }

  run(text: string): void {
    const readFile = this.opts.readFile ?? ((p: string) => readFileSync(resolve(dirname(this.opts.file), p), 'utf8'));
    const commands = lex(text, this.opts.file, readFile);
    for (const cmd of commands) this.execute(this.net.root, cmd.argv, cmd);
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
        this.output += text;
      },
      exec: (target: NetNamespace, argv: string[], cmd: Command) => this.execute(target, argv, cmd),
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
    const tracer = new Tracer(this.net.scheduler);
    const capture = new ProbeCapture(tracer, this.net, this.opts.pcap === true ? new PcapngWriter() : null);
    // The stack explains itself only when asked; capture lines and the apps' notes are recorded either way.
    this.net.tracer = this.opts.explain === true ? tracer : null;
    this.net.tap = capture;
    const note = (text: string) => tracer.record(ns.name, 'app', 0, text);

    const sched = this.net.scheduler;
    sched.drain();
    const start = this.net.now;
    capture.lastPacketAt = start;
    let client: ProbeClient;
    let err: string | null;
    if (proto === 'udp') {
      const c = new UdpProbe(note);
      err = c.start(ns, src, sport, dst, dport);
      client = c;
    } else if (proto === 'tcp') {
      const c = new TcpProbe(note);
      err = c.start(ns, src, sport, dst, dport);
      client = c;
    } else {
      const c = new PingProbe(note, (0x1000 + ++this.echoId) & 0xffff);
      err = c.start(ns, src, dst);
      client = c;
    }
    if (err !== null) note(err);
    // Run until no packet for PROBE_QUIET, at most PROBE_CAP after the start (as the kernel harness waits).
    sched.drain();
    for (;;) {
      const deadline = Math.min(capture.lastPacketAt + PROBE_QUIET, start + PROBE_CAP);
      const next = sched.nextTimerAt();
      if (next < 0 || next > deadline) {
        sched.runUntil(deadline);
        break;
      }
      sched.step();
    }
    client.close();
    sched.drain();
    this.net.tap = null;
    this.net.tracer = null;

    const detail = explain(tracer.take(), index, cmd);
    detail.pcapng = capture.pcap === null ? null : capture.pcap.toBytes();
    this.probes.push(detail);
    this.segments.push({ kind: 'probe', index, line: cmd.line, lines: detail.lines.map((l) => l.line) });
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
