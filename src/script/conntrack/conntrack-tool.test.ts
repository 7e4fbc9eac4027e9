import { describe, expect, it } from 'vitest';
import { runScenario, type RunResult } from '../run.js';
import { renderCapture } from '../result.js';

function run(text: string): RunResult {
  return runScenario(text, { file: 'test.sh' });
}

describe('conntrack command', () => {
  it('prints the tool messages recorded on this machine', () => {
    const out = renderCapture(run('conntrack -L\nconntrack -C\nconntrack -F\nconntrack -D\nconntrack -L -x\nconntrack -L -p foo\n'));
    expect(out).toBe(
      'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n' +
        '0\n' +
        'conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.\n' +
        'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' +
        "conntrack v1.4.7 (conntrack-tools): unknown option `-x'\nTry `conntrack -h' or 'conntrack --help' for more information.\n" +
        "conntrack v1.4.7 (conntrack-tools): `foo' unsupported protocol\nTry `conntrack -h' or 'conntrack --help' for more information.\n",
    );
  });

  it('models the net.netfilter sysctls with the kernel defaults', () => {
    const out = renderCapture(run('sysctl net.netfilter.nf_conntrack_max\nsysctl net.netfilter.nf_conntrack_tcp_timeout_established\nsysctl -w net.netfilter.nf_conntrack_udp_timeout=10\nsysctl net.netfilter.nf_conntrack_count\n'));
    expect(out).toBe('net.netfilter.nf_conntrack_max = 262144\nnet.netfilter.nf_conntrack_tcp_timeout_established = 432000\nnet.netfilter.nf_conntrack_udp_timeout = 10\nnet.netfilter.nf_conntrack_count = 0\n');
  });
});
