import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { IptablesProxier } from '../k8s/proxy/iptables/proxier.js';
import { formatIPv4 } from '../packet/address.js';
import { benchCluster } from './cluster.js';
import { benchProxyConfig } from './iptables-mode.js';
import { kernelAvailability, kernelScript, runKernel, shellQuote } from './kernel.js';
import { positionsOf } from './positions.js';

describe('the namespace script', () => {
  test('shellQuote survives sh for every word kube-proxy writes', () => {
    const words = ['-m', 'comment', '--comment', 'kubernetes service portals', "it's", 'a"b', '$HOME', '`x`', 'KUBE-SERVICES', '0x00004000/0x00004000'];
    const r = spawnSync('sh', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
    expect(r.stdout).toBe(words.join('\n') + '\n');
  });

  test('creates each jump chain once, inserts the jumps, then times the restore', () => {
    const sync = new IptablesProxier(benchProxyConfig()).sync(benchCluster(3, 2, 1));
    const s = kernelScript('legacy', sync.jumps, '/tmp/r.txt', null, '10.0.0.0/8', '172.16.0.0/12');
    expect(s.match(/^iptables-legacy -w -t nat -N KUBE-SERVICES$/gm)).toHaveLength(1);
    expect(s).toContain("iptables-legacy -w -t nat -I OUTPUT -m comment --comment 'kubernetes service portals' -j KUBE-SERVICES");
    expect(s).toContain('ip route add local 172.16.0.0/12 dev lo');
    expect(s.indexOf('-N KUBE-SERVICES')).toBeLessThan(s.indexOf('iptables-legacy-restore -w --noflush < /tmp/r.txt'));
    expect(spawnSync('sh', ['-n', '-c', s]).status).toBe(0);
  });
});

const kernel = kernelAvailability();
if (!kernel.ok) console.warn(`bench/kernel.test.ts: skipping the real-kernel run: ${kernel.reason}`);

describe.skipIf(!kernel.ok)('on this machine’s kernel (root, a private namespace)', () => {
  test.each(['nft', 'legacy'] as const)('iptables-%s-restore loads the proxier’s rules and connections to a ClusterIP are DNATed to a pod', (flavour) => {
    const snap = benchCluster(30, 2, 1);
    const sync = new IptablesProxier(benchProxyConfig()).sync(snap);
    const targets = positionsOf(snap).map((p) => ({ vip: formatIPv4(p.vip), port: p.port }));
    const r = runKernel(flavour, sync.jumps, sync.text, targets, {
      endpointPort: 8080,
      source: '10.250.0.1',
      connections: 50,
      timeoutSeconds: 60,
      podRange: '10.0.0.0/8',
      serviceRange: '172.16.0.0/12',
    });
    expect(r.error).toBe('');
    expect(r.restoreSeconds).toBeGreaterThan(0);
    expect(r.connects).toHaveLength(3);
    for (const c of r.connects) {
      expect(c!.connections).toBe(10);
      expect(c!.seconds).toBeGreaterThan(0);
    }
  }, 60_000);

  test('a connection to an address without rules fails: the loop proves the DNAT, not just the routes', () => {
    const sync = new IptablesProxier(benchProxyConfig()).sync(benchCluster(2, 1, 1));
    // 172.16.0.99:80 is local (the service range is) but no rule DNATs it to the listener on 8080.
    const r = runKernel('legacy', sync.jumps, sync.text, [{ vip: '172.16.0.99', port: 80 }], {
      endpointPort: 8080,
      source: '10.250.0.1',
      connections: 5,
      timeoutSeconds: 60,
      podRange: '10.0.0.0/8',
      serviceRange: '172.16.0.0/12',
    });
    expect(r.connects).toEqual([null]);
    expect(r.error).toMatch(/ECONNREFUSED/);
  }, 60_000);
});
