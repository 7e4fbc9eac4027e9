import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

/** Runs the CLI from source as a user would run `dpsim …`. */
function dpsim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the dpsim command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dpsim-cli-'));
  const bad = join(dir, 'bad.sh');
  writeFileSync(bad, 'ip netns add a\nfoo bar\n');

  it('exits 0 and prints the capture of a scenario', () => {
    const r = dpsim('run', 'examples/tcp-reset.sh');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^probe 1\n/m);
    expect(r.stdout).toContain('a eth0 out tcp 10.0.0.1:40000 > 10.0.0.2:8080 S\n');
  });

  it('exits 1 with file:line: message on a scenario error', () => {
    const r = dpsim('run', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`${bad}:2: unknown command "foo"\n`);
  });

  it('exits 2 on usage errors, naming what is wrong', () => {
    const seed = dpsim('run', '--seed', 'x', bad);
    expect(seed.status).toBe(2);
    expect(seed.stderr).toContain("option '-s, --seed <n>' argument 'x' is invalid");
    const missing = dpsim('run', join(dir, 'nope.sh'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read');
    expect(dpsim('bogus').status).toBe(2);
  });

  it('the built CLI (what npm start runs) traces the example: dist/ finds every data file it needs', () => {
    const r = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), 'demo'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('3 possible outcomes:');
    expect(r.stdout).toContain('→ sock-shop/orders-');
  });

  it('dpsim exec runs node commands and kubectl on the settled example cluster', () => {
    const r = dpsim('exec', 'worker3', '--', 'ip', 'route');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink \n');
    const k = dpsim('exec', 'master', '--', 'kubectl', 'get', 'endpoints', 'orders', '-n', 'sock-shop');
    expect(k.status).toBe(0);
    expect(k.stdout).toMatch(/^orders +10\.244\.1\.23:80,10\.244\.2\.12:80,10\.244\.3\.29:80 /m);
  });

  it('has help for every command', () => {
    const top = dpsim('--help');
    expect(top.status).toBe(0);
    const listed = [...top.stdout.matchAll(/^  ([a-z-]+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(listed).toEqual(expect.arrayContaining(['run', 'verify', 'trace', 'exec', 'export', 'demo', 'kube-proxy', 'bench']));
    for (const c of listed) {
      const r = dpsim(c, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Usage: dpsim ${c}`);
      // every option is described
      for (const line of r.stdout.split('\n').filter((l) => /^  -/.test(l))) expect(line.replace(/^  \S.*?\s{2,}/, '').trim().length, `${c}: ${line}`).toBeGreaterThan(0);
    }
  });

  it('cluster commands: errors are one line naming file:line or what is wrong, with exit 1', () => {
    const bad = join(dir, 'bad-cluster.yaml');
    writeFileSync(bad, 'apiVersion: dpsim.io/v1alpha1\nkind: Cluster\nspec:\n  nodes: []\n');
    const r = dpsim('trace', '--cluster', bad, 'a', 'b');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad-cluster\.yaml:\d+: /);
    const t = dpsim('trace', 'nosuchpod', 'sock-shop/orders');
    expect(t.status).toBe(1);
    expect(t.stderr).toContain('no running pod, workload or node "nosuchpod"');
  });
});
