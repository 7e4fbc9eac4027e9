/**
 * The real kernel beside the model, as root only and only inside a private mount+network
 * namespace (`unshare --mount --net`; nothing touches the machine's own network): the same
 * restore text kube-proxy's proxier wrote, loaded with the real `iptables-restore --noflush`
 * (nft or legacy) after the jump rules and timed; then NEW TCP connections per second to
 * chosen Services with those rules in place. The namespace routes the ClusterIP range and
 * the pod range to itself (`ip route add local … dev lo`), so a Node connect loop inside it
 * opens connections to a ClusterIP that the nat OUTPUT chain DNATs to a pod address, where
 * one listener on 0.0.0.0 accepts them: each connection's first packet walks KUBE-SERVICES
 * as it would on a node.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JumpRule } from '../k8s/proxy/iptables/proxier.js';

/** Whether the kernel measurements can run here, and why not. */
export function kernelAvailability(): { ok: boolean; reason: string } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'not root' };
  for (const tool of ['unshare', 'ip', 'iptables-nft', 'iptables-nft-restore', 'iptables-legacy', 'iptables-legacy-restore']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) return { ok: false, reason: `${tool} not found` };
  }
  return { ok: true, reason: '' };
}

/** A Service to connect to in the kernel run. */
export interface ConnectTarget {
  readonly vip: string;
  readonly port: number;
}

/** One private-namespace run's results. */
export interface KernelRun {
  readonly restoreSeconds: number | null;
  /** Per target: connections and seconds (null when the loop failed). */
  readonly connects: readonly ({ connections: number; seconds: number } | null)[];
  readonly error: string;
}

/** Single-quotes a word for sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The namespace script: routes, the jump rules, the timed restore, then the connect loop. */
export function kernelScript(flavour: 'nft' | 'legacy', jumps: readonly JumpRule[], rulesFile: string, clientFile: string | null, podRange: string, serviceRange: string): string {
  const ipt = `iptables-${flavour}`;
  const lines = [
    'set -e',
    'ip link set lo up',
    `ip route add local ${serviceRange} dev lo`,
    `ip route add local ${podRange} dev lo`,
  ];
  const made = new Set<string>();
  for (const j of jumps) {
    const key = `${j.table} ${j.target}`;
    if (!made.has(key)) {
      made.add(key);
      lines.push(`${ipt} -w -t ${j.table} -N ${shellQuote(j.target)}`);
    }
    lines.push(`${ipt} -w -t ${j.table} -I ${j.chain} ${j.args.map(shellQuote).join(' ')}`);
  }
  lines.push(
    't0=$(date +%s%N)',
    `${ipt}-restore -w --noflush < ${shellQuote(rulesFile)}`,
    't1=$(date +%s%N)',
    'echo "restore-ns $((t1 - t0))"',
  );
  if (clientFile !== null) lines.push(`${shellQuote(process.execPath)} ${shellQuote(clientFile)}`);
  return lines.join('\n') + '\n';
}

/**
 * The connect loop (plain Node, no dpsim code): a listener on 0.0.0.0:PORT, then for each
 * target a warm-up, then 5 interleaved rounds of `count`/5 sequential connect → accept →
 * close from SOURCE; prints "connect I PER_ROUND NS" with each target's median round.
 */
export function connectClient(targets: readonly ConnectTarget[], endpointPort: number, source: string, count: number): string {
  return `import net from 'node:net';
const targets = ${JSON.stringify(targets)};
const server = net.createServer((s) => { s.on('error', () => {}); s.destroy(); });
await new Promise((ok, fail) => { server.once('error', fail); server.listen(${endpointPort}, '0.0.0.0', ok); });
function one(t) {
  return new Promise((ok, fail) => {
    const c = net.connect({ host: t.vip, port: t.port, localAddress: ${JSON.stringify(source)} });
    c.once('connect', () => { c.destroy(); ok(); });
    c.once('error', fail);
  });
}
const ROUNDS = 5;
const per = Math.max(1, Math.floor(${count} / ROUNDS));
for (const t of targets) for (let k = 0; k < 200; k++) await one(t);
const best = targets.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < targets.length; i++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < per; k++) await one(targets[i]);
    best[i].push(Number(process.hrtime.bigint() - t0));
  }
}
// The median round of each target (rounds interleave the targets, so load spikes hit them alike).
for (let i = 0; i < targets.length; i++) {
  const s = best[i].sort((a, b) => a - b);
  console.log('connect ' + i + ' ' + per + ' ' + Math.round(s[Math.floor(s.length / 2)]));
}
server.close();
`;
}

/**
 * Runs one private namespace: jump rules, `iptables-<flavour>-restore --noflush` of `text`
 * (timed), then, when `targets` is not empty, the connect loop. Never throws for a kernel
 * failure: the result's `error` says what went wrong.
 */
export function runKernel(
  flavour: 'nft' | 'legacy',
  jumps: readonly JumpRule[],
  text: string,
  targets: readonly ConnectTarget[],
  opts: { endpointPort: number; source: string; connections: number; timeoutSeconds: number; podRange: string; serviceRange: string },
): KernelRun {
  const dir = mkdtempSync(join(tmpdir(), 'dpsim-bench-'));
  try {
    const rules = join(dir, 'rules.txt');
    writeFileSync(rules, text);
    let client: string | null = null;
    if (targets.length > 0) {
      client = join(dir, 'client.mjs');
      writeFileSync(client, connectClient(targets, opts.endpointPort, opts.source, opts.connections));
    }
    const script = join(dir, 'run.sh');
    writeFileSync(script, kernelScript(flavour, jumps, rules, client, opts.podRange, opts.serviceRange));
    // A private mount and network namespace: the script's ip/iptables commands never reach the host's.
    const r = spawnSync('unshare', ['--mount', '--net', 'sh', script], { encoding: 'utf8', timeout: opts.timeoutSeconds * 1000, maxBuffer: 1 << 24 });
    const out = r.stdout ?? '';
    const restore = /^restore-ns (\d+)$/m.exec(out);
    const connects = targets.map((_, i) => {
      const m = new RegExp(`^connect ${i} (\\d+) (\\d+)$`, 'm').exec(out);
      return m === null ? null : { connections: Number(m[1]), seconds: Number(m[2]) / 1e9 };
    });
    let error = '';
    if (r.error !== undefined) error = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `timed out after ${opts.timeoutSeconds} s` : r.error.message;
    else if (r.status !== 0) {
      // The line that names the failure (a Node error, iptables' "line N failed"), else the last one.
      const lines = (r.stderr ?? '').trim().split('\n');
      error = `exit ${r.status}: ${lines.find((l) => /Error|failed|ECONN|iptables|RTNETLINK/.test(l))?.trim() ?? lines[lines.length - 1]}`;
    }
    return { restoreSeconds: restore === null ? null : Number(restore[1]) / 1e9, connects, error };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

