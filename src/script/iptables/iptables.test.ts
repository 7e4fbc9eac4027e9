/**
 * The iptables commands against transcripts recorded with iptables v1.8.9 in a fresh
 * `unshare --mount --net` namespace (`bash -x`, one command a line): plain `iptables` is nft.
 */
import { describe, expect, test } from 'vitest';
import { testMachine, transcript } from '../ip/testing.js';

describe('iptables', () => {
  test('chains and rules: -N -A -I -S -D -R -X -F -P -Z and their refusals (nft)', () => {
    const script = [
      'iptables -N KUBE-SERVICES',
      'iptables -N KUBE-SERVICES',
      `iptables -A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j ACCEPT`,
      'iptables -I KUBE-SERVICES -s 10.0.0.0/8 -j DROP',
      'iptables -I KUBE-SERVICES 2 -p udp --dport 53 -j ACCEPT',
      'iptables -A INPUT -j KUBE-SERVICES',
      'iptables -A NOPE -j ACCEPT',
      'iptables -A INPUT -j NOPE',
      'iptables -A INPUT --foo',
      'iptables -S',
      'iptables -S KUBE-SERVICES',
      'iptables -S INPUT 1',
      'iptables -D KUBE-SERVICES 5',
      'iptables -D KUBE-SERVICES -p udp --dport 54 -j ACCEPT',
      'iptables -D KUBE-SERVICES -p udp --dport 53 -j ACCEPT',
      'iptables -R KUBE-SERVICES 1 -s 10.0.0.0/16 -j DROP',
      'iptables -R KUBE-SERVICES 9 -j DROP',
      'iptables -X KUBE-SERVICES',
      'iptables -F KUBE-SERVICES',
      'iptables -D INPUT 1',
      'iptables -X KUBE-SERVICES',
      'iptables -X KUBE-SERVICES',
      'iptables -P INPUT DROP',
      'iptables -P NOPE ACCEPT',
      'iptables -N USER',
      'iptables -P USER DROP',
      'iptables -Z',
      'iptables -w -t nat -A POSTROUTING -j MASQUERADE --random-fully',
      'iptables -t nat -S',
      'iptables -t bogus -S',
      'iptables -N A',
      'iptables -N B',
      'iptables -A A -j B',
      'iptables -A B -j A',
      'iptables -A INPUT -j A',
      'iptables -S',
      'iptables -F',
      'iptables -X',
      'iptables -S',
      'iptables',
      'iptables -A',
      'iptables -A INPUT -p tcp --dport 80 -j DNAT --to-destination 1.2.3.4',
      'iptables -t nat -A OUTPUT -p tcp --dport 80 -j DNAT --to-destination 1.2.3.4:8080',
      'iptables -t nat -A OUTPUT -p tcp --dport 80 -j DNAT',
      'iptables -A INPUT -m tcp --dport 80 -j ACCEPT',
      'iptables -A INPUT -s 10.0.0.1 -s 10.0.0.2 -j ACCEPT',
      'iptables -A INPUT -j ACCEPT -j DROP',
      'iptables -A INPUT -p tcp --dport 80 --dport 81 -j ACCEPT',
      'iptables -A INPUT -m statistic --mode random --probability 2 -j ACCEPT',
      'iptables -A INPUT -m mark --mark foo -j ACCEPT',
      'iptables -A INPUT -m conntrack --ctstate FOO -j ACCEPT',
      'iptables -A INPUT -j REJECT --reject-with foo',
      'iptables -A INPUT -p foo -j ACCEPT',
      'iptables -A INPUT -i eth0 -i eth1 -j ACCEPT',
      'iptables -S',
    ].join('\n');
    const recorded = `+ iptables -N KUBE-SERVICES
+ iptables -N KUBE-SERVICES
iptables: Chain already exists.
+ iptables -A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j ACCEPT
+ iptables -I KUBE-SERVICES -s 10.0.0.0/8 -j DROP
+ iptables -I KUBE-SERVICES 2 -p udp --dport 53 -j ACCEPT
+ iptables -A INPUT -j KUBE-SERVICES
+ iptables -A NOPE -j ACCEPT
iptables: No chain/target/match by that name.
+ iptables -A INPUT -j NOPE
iptables v1.8.9 (nf_tables): Chain 'NOPE' does not exist
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT --foo
iptables v1.8.9 (nf_tables): unknown option "--foo"
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -S
-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N KUBE-SERVICES
-A INPUT -j KUBE-SERVICES
-A KUBE-SERVICES -s 10.0.0.0/8 -j DROP
-A KUBE-SERVICES -p udp -m udp --dport 53 -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j ACCEPT
+ iptables -S KUBE-SERVICES
-N KUBE-SERVICES
-A KUBE-SERVICES -s 10.0.0.0/8 -j DROP
-A KUBE-SERVICES -p udp -m udp --dport 53 -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j ACCEPT
+ iptables -S INPUT 1
-A INPUT -j KUBE-SERVICES
+ iptables -D KUBE-SERVICES 5
iptables: Index of deletion too big.
+ iptables -D KUBE-SERVICES -p udp --dport 54 -j ACCEPT
iptables: Bad rule (does a matching rule exist in that chain?).
+ iptables -D KUBE-SERVICES -p udp --dport 53 -j ACCEPT
+ iptables -R KUBE-SERVICES 1 -s 10.0.0.0/16 -j DROP
+ iptables -R KUBE-SERVICES 9 -j DROP
iptables: Index of replacement too big.
+ iptables -X KUBE-SERVICES
iptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain KUBE-SERVICES
+ iptables -F KUBE-SERVICES
+ iptables -D INPUT 1
+ iptables -X KUBE-SERVICES
+ iptables -X KUBE-SERVICES
iptables: No chain/target/match by that name.
+ iptables -P INPUT DROP
+ iptables -P NOPE ACCEPT
iptables: Bad built-in chain name.
+ iptables -N USER
+ iptables -P USER DROP
iptables: Bad built-in chain name.
+ iptables -Z
+ iptables -w -t nat -A POSTROUTING -j MASQUERADE --random-fully
+ iptables -t nat -S
-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-A POSTROUTING -j MASQUERADE --random-fully
+ iptables -t bogus -S
iptables v1.8.9 (nf_tables): table 'bogus' does not exist
Perhaps iptables or your kernel needs to be upgraded.
+ iptables -N A
+ iptables -N B
+ iptables -A A -j B
+ iptables -A B -j A
+ iptables -A INPUT -j A
iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Too many links): rule in chain INPUT
+ iptables -S
-P INPUT DROP
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N A
-N B
-N USER
-A A -j B
-A B -j A
+ iptables -F
+ iptables -X
+ iptables -S
-P INPUT DROP
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
+ iptables
iptables v1.8.9 (nf_tables): no command specified
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A
iptables v1.8.9 (nf_tables): option "-A" requires an argument
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -p tcp --dport 80 -j DNAT --to-destination 1.2.3.4
iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT
+ iptables -t nat -A OUTPUT -p tcp --dport 80 -j DNAT --to-destination 1.2.3.4:8080
+ iptables -t nat -A OUTPUT -p tcp --dport 80 -j DNAT
iptables v1.8.9 (nf_tables): DNAT: option "--to-destination" must be specified

Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -m tcp --dport 80 -j ACCEPT
iptables v1.8.9 (nf_tables): TCP match requires '-p tcp'
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -s 10.0.0.1 -s 10.0.0.2 -j ACCEPT
iptables v1.8.9 (nf_tables): multiple -s flags not allowed
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -j ACCEPT -j DROP
iptables v1.8.9 (nf_tables): multiple -j flags not allowed
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -p tcp --dport 80 --dport 81 -j ACCEPT
iptables v1.8.9 (nf_tables): Only one \`--destination-port' allowed
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -m statistic --mode random --probability 2 -j ACCEPT
iptables v1.8.9 (nf_tables): statistic: bad value for option "--probability", or out of range (0-1).

Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -m mark --mark foo -j ACCEPT
iptables v1.8.9 (nf_tables): mark: bad integer value for option "--mark", or out of range.

Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -m conntrack --ctstate FOO -j ACCEPT
iptables v1.8.9 (nf_tables): Bad ctstate "FOO"
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -j REJECT --reject-with foo
iptables v1.8.9 (nf_tables): unknown reject type "foo"
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -p foo -j ACCEPT
iptables v1.8.9 (nf_tables): unknown protocol "foo" specified
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -A INPUT -i eth0 -i eth1 -j ACCEPT
iptables v1.8.9 (nf_tables): multiple -i flags not allowed
Try \`iptables -h' or 'iptables --help' for more information.
+ iptables -S
-P INPUT DROP
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
`;
    expect(transcript(testMachine(), script)).toBe(recorded);
  });

  test('iptables-restore from a heredoc, then iptables-save (nft header; dpsim dates from the virtual clock)', () => {
    const m = testMachine();
    const script = [
      "iptables-restore --noflush <<'RULES'",
      '*nat',
      ':KUBE-MARK-MASQ - [0:0]',
      '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
      'COMMIT',
      'RULES',
      'iptables-save -t nat',
      'iptables-legacy-save',
    ].join('\n');
    expect(m.run(script)).toBe(
      [
        '# Generated by iptables-save v1.8.9 (nf_tables) on Thu Jan  1 00:00:00 1970',
        '*nat',
        ':PREROUTING ACCEPT [0:0]',
        ':INPUT ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':POSTROUTING ACCEPT [0:0]',
        ':KUBE-MARK-MASQ - [0:0]',
        '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
        'COMMIT',
        '# Completed on Thu Jan  1 00:00:00 1970',
        '',
      ].join('\n'),
    );
  });
  test('iptables-nft-save warns once legacy tables exist; the legacy restore notes a deprecated -W (kernel: kp-save-*)', () => {
    const m = testMachine();
    const restore = (prog: string, flags: string): string =>
      [`${prog} ${flags} <<'RULES'`, '*mangle', ':KUBE-PROXY-CANARY - [0:0]', 'COMMIT', 'RULES'].join('\n');
    expect(m.run(restore('iptables-nft-restore', '-w 5 -W 100000 --noflush'))).toBe('');
    expect(m.run('iptables-nft-save -t mangle')).not.toContain('Warning');
    expect(m.run(restore('iptables-legacy-restore', '-w 5 -W 100000 --noflush'))).toBe('Ignoring deprecated --wait-interval option.\n');
    expect(m.run(restore('iptables-legacy-restore', '-w 5'))).toBe('');
    const save = m.run('iptables-nft-save -t mangle');
    expect(save.split('\n').slice(0, 2)).toEqual([
      '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them',
      '# Generated by iptables-nft-save v1.8.9 (nf_tables) on Thu Jan  1 00:00:00 1970',
    ]);
    expect(m.run('iptables-legacy-save -t mangle')).not.toContain('Warning');
  });
});
