/**
 * One probe: a client sends (a UDP datagram, a TCP connection, a ping) and the simulation
 * runs until the network has been quiet for PROBE_QUIET (at most PROBE_CAP), as the kernel
 * harness waits; every frame on every device of a named namespace is captured as
 * `tcpdump -i any` prints it, with the stack's explanations beside them when asked.
 * Scenarios' `probe` and `dpsim trace` both send their packets through here.
 */
import type { Packet } from '../packet/packet.js';
import { encodeFrame } from '../packet/encode.js';
import { PcapngWriter } from '../packet/pcapng.js';
import type { Direction, NetDevice } from '../netns/device.js';
import type { NetNamespace } from '../netns/namespace.js';
import type { FrameTap, Network } from '../netns/network.js';
import { Tracer, type TraceEvent } from '../sim/trace.js';
import { SEC } from '../sim/time.js';
import { formatCaptureLine } from './capture.js';
import { PingProbe, TcpProbe, UdpProbe, type ProbeClient } from './harness.js';

/** A probe's block ends after this long without a packet (the kernel harness's DPSIM_QUIET_MS) … */
export const PROBE_QUIET = 6 * SEC;
/** … or this long after it was sent (DPSIM_CAP_MS). */
export const PROBE_CAP = 30 * SEC;

/** Every frame on every device of a named namespace, as tcpdump -i any would print it. */
export class ProbeCapture implements FrameTap {
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

export type ProbeProto = 'udp' | 'tcp' | 'icmp';

export interface ProbeSpec {
  ns: NetNamespace;
  proto: ProbeProto;
  src: number;
  sport: number;
  dst: number;
  dport: number;
  /** The ICMP echo id of a ping probe. */
  echoId?: number;
}

export interface ProbeOptions {
  /** Record why things happened beside the capture lines. */
  explain: boolean;
  /** Keep the frames as pcapng. */
  pcap: boolean;
  /** Give up this long after sending (curl -m); default PROBE_CAP. */
  cap?: number;
}

export interface ProbeRun {
  /** Capture lines (kind "capture") and explanations, in order. */
  events: TraceEvent[];
  pcapng: Uint8Array | null;
}

/** Sends the probe and runs the network until it is quiet again. */
export function runProbe(net: Network, spec: ProbeSpec, opts: ProbeOptions): ProbeRun {
  const tracer = new Tracer(net.scheduler);
  const capture = new ProbeCapture(tracer, net, opts.pcap ? new PcapngWriter() : null);
  // The stack explains itself only when asked; capture lines and the apps' notes are recorded either way.
  net.tracer = opts.explain ? tracer : null;
  net.tap = capture;
  const { ns } = spec;
  const note = (text: string) => tracer.record(ns.name, 'app', 0, text);

  const sched = net.scheduler;
  sched.drain();
  const start = net.now;
  capture.lastPacketAt = start;
  let client: ProbeClient;
  let err: string | null;
  if (spec.proto === 'udp') {
    const c = new UdpProbe(note);
    err = c.start(ns, spec.src, spec.sport, spec.dst, spec.dport);
    client = c;
  } else if (spec.proto === 'tcp') {
    const c = new TcpProbe(note);
    err = c.start(ns, spec.src, spec.sport, spec.dst, spec.dport);
    client = c;
  } else {
    const c = new PingProbe(note, spec.echoId ?? 0x1001);
    err = c.start(ns, spec.src, spec.dst);
    client = c;
  }
  if (err !== null) note(err);
  // Run until no packet for PROBE_QUIET, at most PROBE_CAP after the start (as the kernel harness waits).
  sched.drain();
  for (;;) {
    const deadline = Math.min(capture.lastPacketAt + PROBE_QUIET, start + (opts.cap ?? PROBE_CAP));
    const next = sched.nextTimerAt();
    if (next < 0 || next > deadline) {
      sched.runUntil(deadline);
      break;
    }
    sched.step();
  }
  client.close();
  sched.drain();
  net.tap = null;
  net.tracer = null;
  return { events: tracer.take(), pcapng: capture.pcap === null ? null : capture.pcap.toBytes() };
}
