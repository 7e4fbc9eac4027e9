/** Whether this machine can run scenarios on its real kernel: root, the tools, and unshare working. */
import { spawnSync } from 'node:child_process';

/** The tools runner.ts and prelude.sh call. */
export const REQUIRED_TOOLS = ['bash', 'unshare', 'mount', 'ip', 'ss', 'sysctl', 'tcpdump', 'socat', 'ping', 'iptables', 'ipset'] as const;

/** Whether live kernel runs are possible here, and if not, why. */
export type LiveKernel = { ok: true } | { ok: false; reason: string };

/** Checks root, every tool on PATH, and that a private mount+network namespace can be made. */
export function liveKernelStatus(): LiveKernel {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root (creating network namespaces needs root)' };
  const missing = REQUIRED_TOOLS.filter((t) => spawnSync('bash', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) return { ok: false, reason: `missing tools: ${missing.join(', ')}` };
  const probe = spawnSync('unshare', ['--mount', '--net', '--', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return { ok: false, reason: `unshare --mount --net fails: ${(probe.stderr ?? '').trim() || `exit ${probe.status}`}` };
  return { ok: true };
}
