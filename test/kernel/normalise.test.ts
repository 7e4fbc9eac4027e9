import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describePacket, mergeCaptures, normaliseCapture, UnreadableTcpdumpLine } from '../../src/verify/normalise.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Lines recorded from `tcpdump -i any -n -l -tt --nano` in two namespaces joined by a veth pair. */
const PING_A = `1795607828.882321410 v0    Out ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28
1795607828.882353498 v0    In  ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02, length 28
1795607828.882356132 v0    Out IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 5788, seq 1, length 64
1795607828.882424174 v0    In  IP 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 5788, seq 1, length 64
1795607834.113368870 v0    In  ARP, Request who-has 10.0.0.1 tell 10.0.0.2, length 28
1795607834.113426506 v0    Out ARP, Reply 10.0.0.1 is-at 02:00:00:00:00:01, length 28
`;
const PING_B = `1795607828.882335231 v1    B   ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28
1795607828.882352396 v1    Out ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02, length 28
1795607828.882356783 v1    In  IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 5788, seq 1, length 64
1795607828.882422712 v1    Out IP 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 5788, seq 1, length 64
1795607834.113359706 v1    Out ARP, Request who-has 10.0.0.1 tell 10.0.0.2, length 28
1795607834.113427558 v1    In  ARP, Reply 10.0.0.1 is-at 02:00:00:00:00:01, length 28
`;

describe('normaliseCapture', () => {
  it('turns tcpdump -i any lines into capture lines', () => {
    expect(normaliseCapture('a', PING_A).map((l) => l.line)).toEqual([
      'a v0 out arp who-has 10.0.0.2 tell 10.0.0.1',
      'a v0 in arp reply 10.0.0.2',
      'a v0 out icmp 10.0.0.1 > 10.0.0.2 echo request',
      'a v0 in icmp 10.0.0.2 > 10.0.0.1 echo reply',
      'a v0 in arp who-has 10.0.0.1 tell 10.0.0.2',
      'a v0 out arp reply 10.0.0.1',
    ]);
  });

  it('keeps nanosecond stamps and reads microsecond ones', () => {
    expect(normaliseCapture('a', PING_A)[0]!.time).toBe(1795607828882321410n);
    const micro = normaliseCapture('a', '1700000000.123456 veth0 Out IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 5, seq 1, length 64\n');
    expect(micro).toEqual([{ time: 1700000000123456000n, line: 'a veth0 out icmp 10.0.0.1 > 10.0.0.2 echo request' }]);
  });

  it('maps In, B, M and P to in and Out to out', () => {
    const text = ['In ', 'B  ', 'M  ', 'P  ', 'Out']
      .map((d, i) => `1.00000${i} e0    ${d} IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 6`)
      .join('\n');
    expect(normaliseCapture('n', text).map((l) => l.line.split(' ')[2])).toEqual(['in', 'in', 'in', 'in', 'out']);
  });

  it('reads a VXLAN datagram printed on two lines as its outer header only', () => {
    const text = `1795607903.223310097 e0    Out IP 192.168.50.5.42805 > 192.168.50.6.8472: OTV, flags [I] (0x08), overlay 0, instance 1
IP 10.244.1.0 > 10.244.2.0: ICMP echo request, id 8546, seq 1, length 64
1795607903.223415505 flannel.1 In  IP 10.244.2.0 > 10.244.1.0: ICMP echo reply, id 8546, seq 1, length 64
`;
    expect(normaliseCapture('u1', text).map((l) => l.line)).toEqual([
      'u1 e0 out udp 192.168.50.5:* > 192.168.50.6:8472 vxlan',
      'u1 flannel.1 in icmp 10.244.2.0 > 10.244.1.0 echo reply',
    ]);
  });

  it('leaves out IPv6 and IGMP', () => {
    const text = `1795607634.465379 v0    Out IP6 :: > ff02::16: HBH ICMP6, multicast listener report v2, 1 group record(s), length 28
1795607634.561398 v1    M   IP 10.0.0.1 > 224.0.0.22: igmp v3 report, 1 group record(s)
1795607634.561399 v1    M   IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64
`;
    expect(normaliseCapture('a', text).map((l) => l.line)).toEqual(['a v1 in icmp 10.0.0.1 > 10.0.0.2 echo request']);
  });

  it('refuses a line it cannot read instead of dropping it', () => {
    expect(() => normaliseCapture('a', '1.000001 e0    Out LLDP, length 40\n')).toThrow(UnreadableTcpdumpLine);
    expect(() => normaliseCapture('a', '1.000001 e0 Sideways IP 10.0.0.1 > 10.0.0.2: ICMP echo request\n')).toThrow(/cannot normalise/);
  });
});

describe('describePacket', () => {
  it('reads addresses and ports whatever application tcpdump decoded the payload as', () => {
    const cases: [string, string][] = [
      ['IP 10.0.0.1.5000 > 10.0.0.2.53: domain [length 6 < 12] (invalid)', 'udp 10.0.0.1:5000 > 10.0.0.2:53'],
      ['IP 10.0.0.2.53 > 10.0.0.1.5000: 26725 updateM+ [b2&3=0x6c6c] [28416a] [0q] (6)', 'udp 10.0.0.2:53 > 10.0.0.1:5000'],
      ['IP 192.168.50.5.5000 > 192.168.50.6.123: NTPv5, unspecified, length 6', 'udp 192.168.50.5:5000 > 192.168.50.6:123'],
      ['IP 192.168.50.5.5000 > 192.168.50.6.67: BOOTP/DHCP, unknown (0x68), length 6', 'udp 192.168.50.5:5000 > 192.168.50.6:67'],
      ['IP 192.168.50.5.68 > 192.168.50.6.520: BOOTP/DHCP, unknown (0x68), length 6', 'udp 192.168.50.5:68 > 192.168.50.6:520'],
      ['IP 192.168.50.5.5000 > 192.168.50.6.161:  [len4<asnlen101]', 'udp 192.168.50.5:5000 > 192.168.50.6:161'],
      ['IP 192.168.50.5.5000 > 192.168.50.6.4789: VXLAN (invalid)', 'udp 192.168.50.5:5000 > 192.168.50.6:4789'],
      ['IP 10.0.0.1.5000 > 10.0.0.2.8472: OTV, [length 6 < 8] (invalid)', 'udp 10.0.0.1:5000 > 10.0.0.2:8472'],
      // only flannel's port is VXLAN in the capture format (dpsim models no other)
      ['IP 192.168.50.5.33000 > 192.168.50.6.4789: VXLAN, flags [I] (0x08), vni 2', 'udp 192.168.50.5:33000 > 192.168.50.6:4789'],
      [
        'IP 192.168.50.5.5000 > 192.168.50.6.53: Flags [S], seq 38716570, win 64240, options [mss 1460,sackOK,TS val 1615564155 ecr 0,nop,wscale 10], length 0',
        'tcp 192.168.50.5:5000 > 192.168.50.6:53 S',
      ],
      ['IP 192.168.50.6.53 > 192.168.50.5.5000: Flags [R.], seq 0, ack 38716571, win 0, length 0', 'tcp 192.168.50.6:53 > 192.168.50.5:5000 R.'],
      ['IP 10.0.0.1.5001 > 10.0.0.2.80: Flags [F.], seq 1, ack 1, win 63, options [nop,nop,TS val 1 ecr 2], length 0', 'tcp 10.0.0.1:5001 > 10.0.0.2:80 F.'],
    ];
    for (const [text, want] of cases) expect(describePacket(text), text).toBe(want);
  });

  it("keeps ICMP's text without id, seq and length", () => {
    const cases: [string, string][] = [
      ['IP 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 udp port 8472 unreachable, length 42', 'icmp 10.0.0.2 > 10.0.0.1 10.0.0.2 udp port 8472 unreachable'],
      ['IP 10.0.1.254 > 10.0.1.1: ICMP net 10.9.9.9 unreachable, length 92', 'icmp 10.0.1.254 > 10.0.1.1 net 10.9.9.9 unreachable'],
      [
        'IP 10.0.1.254 > 10.0.1.1: ICMP host 10.50.1.1 unreachable - admin prohibited filter, length 92',
        'icmp 10.0.1.254 > 10.0.1.1 host 10.50.1.1 unreachable - admin prohibited filter',
      ],
      ['IP 10.0.12.2 > 10.0.1.1: ICMP time exceeded in-transit, length 92', 'icmp 10.0.12.2 > 10.0.1.1 time exceeded in-transit'],
      [
        'IP 10.0.1.254 > 10.0.1.1: ICMP redirect 10.96.0.20 to host 10.96.0.20, length 92',
        'icmp 10.0.1.254 > 10.0.1.1 redirect 10.96.0.20 to host 10.96.0.20',
      ],
      ['IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 5, seq 1, length 64', 'icmp 10.0.0.1 > 10.0.0.2 echo request'],
    ];
    for (const [text, want] of cases) expect(describePacket(text), text).toBe(want);
  });

  it('reads a unicast ARP request that carries the target MAC', () => {
    expect(describePacket('ARP, Request who-has 10.0.0.1 (02:00:00:00:00:01) tell 10.0.0.2, length 28')).toBe('arp who-has 10.0.0.1 tell 10.0.0.2');
  });
});

describe('mergeCaptures', () => {
  it('interleaves the namespaces by time into causal order', () => {
    const merged = mergeCaptures([normaliseCapture('a', PING_A), normaliseCapture('b', PING_B)]);
    expect(merged).toEqual([
      'a v0 out arp who-has 10.0.0.2 tell 10.0.0.1',
      'b v1 in arp who-has 10.0.0.2 tell 10.0.0.1',
      'b v1 out arp reply 10.0.0.2',
      'a v0 in arp reply 10.0.0.2',
      'a v0 out icmp 10.0.0.1 > 10.0.0.2 echo request',
      'b v1 in icmp 10.0.0.1 > 10.0.0.2 echo request',
      'b v1 out icmp 10.0.0.2 > 10.0.0.1 echo reply',
      'a v0 in icmp 10.0.0.2 > 10.0.0.1 echo reply',
      'b v1 out arp who-has 10.0.0.1 tell 10.0.0.2',
      'a v0 in arp who-has 10.0.0.1 tell 10.0.0.2',
      'a v0 out arp reply 10.0.0.1',
      'b v1 in arp reply 10.0.0.1',
    ]);
  });

  it('keeps each capture in its own order where stamps are equal', () => {
    const a = [
      { time: 5n, line: 'a e0 in udp 1.1.1.1:* > 2.2.2.2:8472 vxlan' },
      { time: 5n, line: 'a flannel.1 in icmp 3.3.3.3 > 4.4.4.4 echo request' },
    ];
    const b = [{ time: 5n, line: 'b e0 out udp 1.1.1.1:* > 2.2.2.2:8472 vxlan' }];
    expect(mergeCaptures([b, a])).toEqual([b[0]!.line, a[0]!.line, a[1]!.line]);
  });
});

describe('the recorded zoo (fixtures/zoo.sh on the kernel, read back with tcpdump -r)', () => {
  /** Every capture line of every zoo file, without the interface (tcpdump -r names it from the reading host). */
  function zooLines(): string[] {
    const dir = join(FIXTURES, 'zoo');
    const out: string[] = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.txt')).sort()) {
      out.push(...normaliseCapture('ns', readFileSync(join(dir, f), 'utf8')).map((l) => l.line.replace(/^ns \S+ /, '')));
    }
    return out;
  }

  it('reads every line and finds each kind of packet the zoo was built to make', () => {
    const lines = new Set(zooLines());
    const expected = [
      'out arp who-has 10.0.1.254 tell 10.0.1.1',
      'in arp reply 10.0.1.254',
      'out icmp 10.0.1.1 > 10.0.2.1 echo request',
      'in icmp 10.0.2.1 > 10.0.1.1 echo reply',
      'out udp 10.0.1.1:5000 > 10.0.2.1:53',
      'in udp 10.0.2.1:53 > 10.0.1.1:5000',
      'out udp 10.0.1.1:5000 > 10.0.2.1:123',
      'out udp 10.0.1.1:68 > 10.0.2.1:67',
      'out udp 10.0.1.1:5000 > 10.0.2.1:161',
      'out udp 10.0.1.1:520 > 10.0.2.1:520',
      'in icmp 10.0.2.1 > 10.0.1.1 10.0.2.1 udp port 123 unreachable',
      'out tcp 10.0.1.1:40000 > 10.0.2.1:8080 S',
      'in tcp 10.0.2.1:8080 > 10.0.1.1:40000 S.',
      'out tcp 10.0.1.1:40000 > 10.0.2.1:8080 F.',
      'in tcp 10.0.2.1:8080 > 10.0.1.1:40000 .',
      'in tcp 10.0.2.1:9 > 10.0.1.1:40001 R.',
      'in icmp 10.0.1.254 > 10.0.1.1 net 10.9.9.9 unreachable',
      'in icmp 10.0.1.254 > 10.0.1.1 host 10.9.1.1 unreachable',
      'in icmp 10.0.1.254 > 10.0.1.1 host 10.9.2.1 unreachable - admin prohibited filter',
      'in icmp 10.0.1.254 > 10.0.1.1 redirect 10.9.3.1 to host 10.0.1.1',
      'in icmp 10.0.1.254 > 10.0.1.1 redirect 10.96.0.20 to host 10.96.0.20',
      'in icmp 10.0.1.254 > 10.0.1.1 10.9.4.4 unreachable - need to frag (mtu 68)',
      'out udp 192.168.50.5:* > 192.168.50.6:8472 vxlan',
      'in udp 192.168.50.6:* > 192.168.50.5:8472 vxlan',
      'out udp 192.168.50.5:5000 > 192.168.50.6:8472',
      'out udp 192.168.50.5:5000 > 192.168.50.6:4789',
      'out icmp 10.244.1.0 > 10.244.2.0 echo request',
      'in icmp 10.245.0.2 > 10.245.0.1 echo reply',
    ];
    for (const l of expected) expect(lines.has(l), l).toBe(true);
    expect([...lines].some((l) => /^out udp 192\.168\.50\.5:\d+ > 192\.168\.50\.6:4789$/.test(l) && !l.includes(':5000 '))).toBe(true);
  });
});
