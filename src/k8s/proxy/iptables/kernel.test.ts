/**
 * The kernel agrees: what the proxier writes loads into this machine's real kernel
 * (iptables-nft-restore and iptables-legacy-restore --noflush, after the jump rules and
 * canaries, inside `unshare --mount --net`), and the kernel's iptables-save equals dpsim's
 * iptables-save of a node that loaded the same through its iptables. Runs only as root
 * with the tools (src/verify/live.ts decides); skipped otherwise.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveXtables } from '../../../iptables/save.js';
import { xtablesOf } from '../../../iptables/ruleset.js';
import { Network } from '../../../netns/network.js';
import { liveKernelStatus } from '../../../verify/live.js';
import { defaultProxyConfig, type RuleGeneration } from '../config.js';
import type { ProxySnapshot } from '../service-ports.js';
import { applyRestore, ensureChain, ensureJumps } from './apply.js';
import { KUBE_PROXY_CANARY } from './chain-names.js';
import { OVERALL_SNAPSHOT } from './fixtures.js';
import { IptablesProxier, type IptablesSyncResult } from './proxier.js';
import { makeService, makeSlice } from '../testing.js';

const live = liveKernelStatus();
const hasLegacy = spawnSync('bash', ['-c', 'command -v iptables-legacy-restore && command -v iptables-nft-restore']).status === 0;

function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The shell commands kube-proxy's full sync amounts to, for one flavour. */
function script(r: IptablesSyncResult, flavour: 'nft' | 'legacy', rulesFile: string): string {
  const ipt = `iptables-${flavour}`;
  const lines = ['set -e', 'ip link set lo up'];
  for (const t of ['mangle', 'nat', 'filter']) lines.push(`${ipt} -t ${t} -N ${KUBE_PROXY_CANARY}`);
  for (const j of r.jumps) {
    lines.push(`${ipt} -t ${j.table} -N ${j.target} 2>/dev/null || true`);
    const args = j.args.map(shq).join(' ');
    lines.push(`${ipt} -t ${j.table} -C ${j.chain} ${args} 2>/dev/null || ${ipt} -t ${j.table} -I ${j.chain} ${args}`);
  }
  lines.push(`${ipt}-restore --noflush < ${rulesFile}`);
  lines.push(`${ipt}-save | grep -v '^#'`);
  return lines.join('\n');
}

function dpsimSave(r: IptablesSyncResult, flavour: 'nft' | 'legacy'): string {
  const ns = new Network(1).root;
  for (const t of ['mangle', 'nat', 'filter'] as const) ensureChain(ns, t, KUBE_PROXY_CANARY, flavour);
  ensureJumps(ns, r.jumps, flavour);
  applyRestore(ns, r.text, flavour);
  const s = xtablesOf(ns);
  return saveXtables(flavour === 'legacy' ? s.legacy : s.nft, { program: 'iptables-save', counters: false, table: null, date: null });
}

const ORDERS: ProxySnapshot = {
  services: [makeService('sock-shop', 'orders', { clusterIP: '10.111.90.77', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })],
  endpointSlices: [makeSlice('sock-shop', 'orders', 1, ['10.244.1.23', '10.244.2.12', '10.244.3.29'].map((a) => ({ addresses: [a] })), [{ port: 80, protocol: 'TCP' }])],
};

const CASES: { name: string; snapshot: ProxySnapshot; generation: RuleGeneration }[] = [
  { name: 'TestOverallIPTablesRules services, current', snapshot: OVERALL_SNAPSHOT, generation: 'current' },
  { name: "the talk's orders service, v1.12", snapshot: ORDERS, generation: '1.12' },
  { name: "the talk's orders service, current", snapshot: ORDERS, generation: 'current' },
];

describe.skipIf(!live.ok || !hasLegacy)('the real kernel loads the rules and saves them as dpsim does', () => {
  for (const c of CASES) {
    for (const flavour of ['nft', 'legacy'] as const) {
      it(`${c.name} (${flavour})`, () => {
        const cfg = defaultProxyConfig({ nodeName: 'test-node', nodeIPs: ['192.168.0.2'], clusterCIDR: c.generation === '1.12' ? '10.244.0.0/16' : '10.0.0.0/8', nfacct: false, generation: c.generation });
        const r = new IptablesProxier(cfg).sync(c.snapshot);
        const dir = mkdtempSync(join(tmpdir(), 'dpsim-kp-'));
        const file = join(dir, 'rules');
        writeFileSync(file, r.text);
        const k = spawnSync('unshare', ['--mount', '--net', '--', 'bash', '-c', script(r, flavour, file)], { encoding: 'utf8' });
        expect(k.stderr).toBe('');
        expect(k.status).toBe(0);
        expect(dpsimSave(r, flavour)).toBe(k.stdout);
      });
    }
  }
});
