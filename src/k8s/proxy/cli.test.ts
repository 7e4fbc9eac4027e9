/**
 * `dpsim kube-proxy` end to end: manifests in, rules out; the talk's orders Service in the
 * v1.12 generation as `iptables -t nat -S` showed it; bad manifests name file, line, field.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeProxy } from '../../cli/kube-proxy.js';

const ORDERS = new URL('./testdata/sock-shop-orders.yaml', import.meta.url).pathname;

function run(files: string[], over: Record<string, unknown> = {}) {
  let out = '';
  let err = '';
  const flags = {
    mode: 'iptables' as const,
    node: 'k8s-worker2',
    nodeIp: ['192.168.0.12'],
    clusterCidr: '10.244.0.0/16',
    masqueradeAll: false,
    masqueradeBit: 14,
    localhostNodeports: true,
    conntrackTcpBeLiberal: false,
    ipvsScheduler: 'rr',
    kubeProxyVersion: 'current' as const,
    show: 'restore' as const,
    ...over,
  };
  const code = kubeProxy(files, flags as Parameters<typeof kubeProxy>[1], (t) => (out += t), (t) => (err += t));
  return { code, out, err };
}

describe('dpsim kube-proxy', () => {
  it("reproduces the talk's v1.12 rules for sock-shop/orders (iptables-save of the loaded node)", () => {
    const r = run([ORDERS], { kubeProxyVersion: '1.12', show: 'save' });
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines).toContain(
      '-A KUBE-SERVICES ! -s 10.244.0.0/16 -d 10.111.90.77/32 -p tcp -m comment --comment "sock-shop/orders: cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
    );
    expect(lines).toContain('-A KUBE-SERVICES -d 10.111.90.77/32 -p tcp -m comment --comment "sock-shop/orders: cluster IP" -m tcp --dport 80 -j KUBE-SVC-BWR2E3DUEHRRCI5E');
    const svc = lines.filter((l) => l.startsWith('-A KUBE-SVC-BWR2E3DUEHRRCI5E'));
    expect(svc).toHaveLength(3);
    expect(svc[0]).toMatch(/--probability 0\.33332999982 -j KUBE-SEP-CHSFBY/);
    expect(svc[1]).toBe('-A KUBE-SVC-BWR2E3DUEHRRCI5E -m comment --comment "sock-shop/orders:" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-CC74YOAJP33X6HJV');
    expect(svc[2]).toMatch(/^-A KUBE-SVC-BWR2E3DUEHRRCI5E -m comment --comment "sock-shop\/orders:" -j KUBE-SEP-RUZQ7LYDHD/);
    expect(lines).toContain('-A KUBE-SEP-CC74YOAJP33X6HJV -s 10.244.2.12/32 -m comment --comment "sock-shop/orders:" -j KUBE-MARK-MASQ');
    expect(lines).toContain('-A KUBE-SEP-CC74YOAJP33X6HJV -p tcp -m comment --comment "sock-shop/orders:" -m tcp -j DNAT --to-destination 10.244.2.12:80');
  });

  it('prints the current proxier restore text with upstream defaults (mark bit 14, nfacct, localhost NodePorts)', () => {
    const r = run([ORDERS]);
    expect(r.code).toBe(0);
    expect(r.out.startsWith('*filter\n:KUBE-SERVICES - [0:0]\n')).toBe(true);
    expect(r.out.endsWith('COMMIT\n')).toBe(true);
    expect(r.out).toContain('-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000\n');
    expect(r.out).toContain('-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP\n');
    expect(r.out).toContain('-A KUBE-SERVICES -m comment --comment "sock-shop/orders cluster IP" -m tcp -p tcp -d 10.111.90.77 --dport 80 -j KUBE-SVC-');
  });

  it('--mode ipvs prints the IPVS proxier sections', () => {
    const r = run([ORDERS], { mode: 'ipvs' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('# ipvsadm-restore\n');
    expect(r.out).toContain('10.111.90.77:80');
  });

  it('names file, line and field of a bad manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kp-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  clusterIP: 10.0.0.1\n  ports:\n    - port: 99999\n');
    const r = run([f]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^${f}:8: spec\\.ports\\[0\\]\\.port: `));
  });
});
