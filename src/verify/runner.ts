/**
 * The kernel runner: runs a scenario on this machine's real kernel and records what it did,
 * in the same shape dpsim produces (src/script/result.ts).
 *
 * The script runs under bash inside `unshare --mount --net` with a private tmpfs on
 * /run/netns, so its namespaces never collide with another run's and nothing touches the
 * machine's own network. prelude.sh defines the harness commands `listen` and `probe`;
 * each probe leaves one tcpdump text file per namespace and a marker on stdout.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult, Segment } from '../script/result.js';
import { mergeCaptures, normaliseCapture } from './normalise.js';

// Resolved from the package root so it is found from src/ (tests) and dist/ (the CLI) alike.
const PRELUDE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'verify', 'prelude.sh');

/** How a kernel run waits and gives up. */
export interface KernelRunOptions {
  /** A probe ends after no packet was seen for this long (ms); 6000 covers the neighbour DELAY→PROBE at 5 s. */
  quietMs?: number;
  /** A probe ends at the latest this long after it was sent (ms). */
  capMs?: number;
  /** The whole run is killed after this long (ms). */
  timeoutMs?: number;
  /** If set, the per-probe tcpdump files (text and pcap) are copied into this directory. */
  keepCapturesIn?: string;
}

/** The kernel run failed: timeout, a marker out of place, or bash could not start. */
export class KernelRunError extends Error {
  constructor(file: string, reason: string, readonly output: string) {
    super(`kernel run of ${file}: ${reason}`);
    this.name = 'KernelRunError';
  }
}

const MARKER = /\x1edpsim-probe (\d+) (\d+)\x1e\n/g;

/** Process groups of the runs in progress: killed if this process ends first. */
const liveGroups = new Set<number>();

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => liveGroups.forEach(killGroup));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      liveGroups.forEach(killGroup);
      process.kill(process.pid, signal);
    });
  }
}

/** Runs the scenario `file` on the real kernel and returns what it printed and captured. */
export async function runOnKernel(file: string, opts: KernelRunOptions = {}): Promise<ScenarioResult> {
  const dir = await mkdtemp(join(tmpdir(), 'dpsim-kernel-'));
  try {
    const stdout = await runScript(file, dir, opts);
    const result = await assemble(file, stdout, dir);
    if (opts.keepCapturesIn !== undefined) await cp(dir, opts.keepCapturesIn, { recursive: true });
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const INNER = 'mkdir -p /run/netns && mount -t tmpfs dpsim-netns /run/netns && exec 2>&1 && . "$1" && . "$2"';

/** Runs bash with the prelude and the scenario in a private mount+net namespace; resolves to its stdout+stderr. */
function runScript(file: string, dir: string, opts: KernelRunOptions): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', '--net', '--', 'bash', '--norc', '--noprofile', '-c', INNER, 'bash', PRELUDE, file], {
      detached: true, // its own process group: everything it starts is killed with it
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DPSIM_DIR: dir,
        DPSIM_QUIET_MS: String(opts.quietMs ?? 6000),
        DPSIM_CAP_MS: String(opts.capMs ?? 30_000),
        LC_ALL: 'C',
      },
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const pgid = child.pid;
    if (pgid !== undefined) {
      hookExit();
      liveGroups.add(pgid);
    }
    const end = (): void => {
      clearTimeout(timer);
      if (pgid === undefined) return;
      killGroup(pgid); // listeners and anything else the script left running
      liveGroups.delete(pgid);
    };
    const timer = setTimeout(() => {
      end();
      reject(new KernelRunError(file, `timed out after ${timeoutMs} ms`, out + err));
    }, timeoutMs);
    child.on('error', (e) => {
      end();
      reject(new KernelRunError(file, `cannot start unshare: ${e.message}`, out + err));
    });
    child.on('exit', end);
    child.on('close', (code) => {
      if (err !== '') reject(new KernelRunError(file, `unshare/bash failed (exit ${code}): ${err.trim()}`, out));
      else resolve(out);
    });
  });
}

/** Cuts the output at the probe markers and reads each probe's captures into a capture block. */
async function assemble(file: string, stdout: string, dir: string): Promise<ScenarioResult> {
  const segments: Segment[] = [];
  let from = 0;
  let expected = 1;
  for (const m of stdout.matchAll(MARKER)) {
    const index = Number(m[1]);
    if (index !== expected) throw new KernelRunError(file, `probe ${index} where probe ${expected} was expected`, stdout);
    expected++;
    pushOutput(segments, stdout.slice(from, m.index));
    from = m.index + m[0].length;
    segments.push({ kind: 'probe', index, line: Number(m[2]), lines: await readProbe(file, join(dir, `probe${index}`)) });
  }
  pushOutput(segments, stdout.slice(from));
  return { segments };
}

function pushOutput(segments: Segment[], text: string): void {
  if (text !== '') segments.push({ kind: 'output', text });
}

/**
 * The capture block of one probe: every namespace's tcpdump text normalised and merged.
 * A tcpdump that reported packets dropped by the kernel fails the run: its truth would be incomplete.
 */
async function readProbe(file: string, probeDir: string): Promise<string[]> {
  const names = await readdir(probeDir);
  for (const f of names.filter((n) => n.endsWith('.err'))) {
    const dropped = /(\d+) packets? dropped by kernel/.exec(await readFile(join(probeDir, f), 'utf8'));
    if (dropped !== null && dropped[1] !== '0') {
      throw new KernelRunError(file, `tcpdump in ${f.slice(0, -4)} dropped ${dropped[1]} packets (${probeDir})`, '');
    }
  }
  const files = names.filter((f) => f.endsWith('.txt')).sort();
  const captures = await Promise.all(files.map(async (f) => normaliseCapture(f.slice(0, -4), await readFile(join(probeDir, f), 'utf8'))));
  return mergeCaptures(captures);
}
