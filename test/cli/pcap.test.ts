import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/script/run.js';

const haveTshark = spawnSync('tshark', ['--version']).status === 0;
const required = process.env.CI === 'true';

describe('pcapng output of a run', () => {
  it.runIf(haveTshark || required)('is read by tshark: every captured line is a frame on its namespace/device interface, checksums good', () => {
    const file = join(import.meta.dirname, '../../examples/router.sh');
    const result = runScenario(readFileSync(file, 'utf8'), { file, pcap: true });
    const probe = result.probes[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'dpsim-pcap-'));
    const path = join(dir, 'probe-1.pcapng');
    writeFileSync(path, probe.pcapng!);
    const out = execFileSync(
      'tshark',
      ['-r', path, '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.interface_name', '-e', '_ws.col.Protocol', '-e', 'ip.checksum.status', '-e', 'icmp.checksum.status'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const rows = out.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(probe.lines.length);
    // Interface names are NETNS/DEV, in the same order as the capture lines.
    expect(rows.map((r) => r[0])).toEqual(probe.lines.map((l) => l.line.split(' ').slice(0, 2).join('/')));
    for (const r of rows) {
      if (r[1] === 'ICMP') {
        expect(r[2]).toBe('1'); // ip.checksum.status: 1 = good (0 bad, 2 unverified)
        expect(r[3]).toBe('1');
      }
    }
    expect(rows.filter((r) => r[1] === 'ICMP').length).toBeGreaterThan(0);
  });
});
