import { describe, expect, it } from 'vitest';
import { ScriptError } from '../context.js';
import { testMachine, transcript } from '../ip/testing.js';
import { BridgeDevice } from '../../bridge/bridge.js';
import { VxlanDevice } from '../../vxlan/vxlan.js';
import { SEC } from '../../sim/time.js';

/** A bridge br0 with port d0 (peer d1), as in the kernel transcripts below. */
const SETUP = [
  'ip link add br0 address 02:00:00:00:01:01 type bridge',
  'ip link add d0 address 02:00:00:00:00:10 type veth peer name d1 address 02:00:00:00:00:11',
  'ip link set d0 master br0',
].join('\n');

describe('ip link add … type bridge|vxlan (kernel 6.18, iproute2 6.1)', () => {
  it('creates the devices with their options', () => {
    const m = testMachine();
    m.run('ip link add br1 type bridge ageing_time 1000\nip link add up0 type veth peer name up1');
    expect(m.run('ip link add vx1 type vxlan id 6 dstport 8472 dev up0 local 10.0.0.1 nolearning ttl 10')).toBe('');
    const br = m.net.root.device('br1') as BridgeDevice;
    expect(br.ageingTime).toBe(10 * SEC);
    const vx = m.net.root.device('vx1') as VxlanDevice;
    expect([vx.vni, vx.dstPort, vx.local, vx.lower?.name, vx.learning, vx.ttl, vx.mtu]).toEqual([6, 8472, 0x0a000001, 'up0', false, 10, 1450]);
  });

  it('prints what iproute2 prints for a VXLAN device without id or dstport', () => {
    const m = testMachine();
    expect(transcript(m, 'ip link add vx2 type vxlan id 7\nip link add vx3 type vxlan dstport 8472')).toBe(
      '+ ip link add vx2 type vxlan id 7\n' +
        'vxlan: destination port not specified\n' +
        'Will use Linux kernel default (non-standard value)\n' +
        "Use 'dstport 4789' to get the IANA assigned value\n" +
        "Use 'dstport 0' to get default and quiet this message\n" +
        '+ ip link add vx3 type vxlan dstport 8472\n' +
        'vxlan: missing virtual network identifier\n',
    );
    expect((m.net.root.device('vx2') as VxlanDevice).dstPort).toBe(8472);
    expect(m.net.root.device('vx3')).toBeUndefined();
  });

  it('stops the scenario on options dpsim does not model', () => {
    const m = testMachine();
    expect(() => m.run('ip link add br2 type bridge bogus')).toThrow(ScriptError);
    expect(() => m.run('ip link add br2 type bridge forward_delay 4')).toThrow('bridge option "forward_delay" is not supported by dpsim');
    expect(() => m.run('ip link add vx4 type vxlan id 8 dstport 4789 remote 10.0.0.2')).toThrow('vxlan option "remote" is not supported by dpsim');
  });

  it('deletes a bridge (its ports leave it) and a VXLAN device (its UDP port is free again)', () => {
    const m = testMachine();
    m.run(SETUP + '\nip link add vx0 type vxlan id 1 dstport 8472');
    const d0 = m.net.root.device('d0')!;
    m.run('ip link del br0\nip link del vx0');
    expect(d0.master).toBeNull();
    expect(m.run('ip link add vx0 type vxlan id 1 dstport 8472\nip link show vx0')).toMatch(/^\d+: vx0: <BROADCAST,MULTICAST> mtu 1500/);
  });
});

describe('port flags: ip link set … type bridge_slave, bridge link set', () => {
  it('sets hairpin on a port and refuses a device that is no port', () => {
    const m = testMachine();
    m.run(SETUP);
    expect(
      transcript(
        m,
        [
          'ip link set d1 type bridge_slave hairpin on',
          'ip link set d0 type bridge_slave hairpin maybe',
          'ip link set d0 type bridge_slave hairpin on',
          'bridge link set dev d0 hairpin maybe',
          'bridge link set dev nosuch hairpin on',
          'bridge link set dev d1 hairpin on',
        ].join('\n'),
      ),
    ).toBe(
      '+ ip link set d1 type bridge_slave hairpin on\nRTNETLINK answers: Operation not supported\n' +
        '+ ip link set d0 type bridge_slave hairpin maybe\nError: argument of "hairpin" must be one of "off", "on", not "maybe"\n' +
        '+ ip link set d0 type bridge_slave hairpin on\n' +
        '+ bridge link set dev d0 hairpin maybe\nError: argument of "hairpin" must be one of "off", "on", not "maybe"\n' +
        '+ bridge link set dev nosuch hairpin on\nCannot find bridge device "nosuch"\n' +
        '+ bridge link set dev d1 hairpin on\nRTNETLINK answers: Operation not supported\n',
    );
    const br = m.net.root.device('br0') as BridgeDevice;
    expect(br.portOf(m.net.root.device('d0')!)!.hairpin).toBe(true);
    m.run('bridge link set dev d0 hairpin off learning off');
    expect(br.portOf(m.net.root.device('d0')!)).toMatchObject({ hairpin: false, learning: false });
    expect(() => m.run('bridge link set dev d0 cost 5')).toThrow('bridge link set option "cost" is not supported by dpsim');
  });

  it('sets a bridge\'s ageing time, and refuses it on another device', () => {
    const m = testMachine();
    m.run(SETUP);
    expect(m.run('ip link set br0 type bridge ageing_time 500\nip link set d0 type bridge ageing_time 500')).toBe('RTNETLINK answers: Operation not supported\n');
    expect((m.net.root.device('br0') as BridgeDevice).ageingTime).toBe(5 * SEC);
  });
});

describe('bridge fdb (as the kernel answered)', () => {
  it('adds to the master, the device itself or a VXLAN device, with the kernel\'s refusals', () => {
    const m = testMachine();
    m.run(SETUP + '\nip link set d0 up\nip link set d1 up\nip link set br0 up\nip link add vx1 type vxlan id 6 dstport 8472 local 10.0.0.1');
    expect(
      transcript(
        m,
        [
          'bridge fdb add 02:00:00:00:00:01 dev d0 master static',
          'bridge fdb add 02:00:00:00:00:01 dev d0 master static',
          'bridge fdb add 02:00:00:00:00:02 dev d0',
          'bridge fdb add 02:00:00:00:00:20 dev d0 master dynamic',
          'bridge fdb add 02:00:00:00:00:22 dev br0 master',
          'bridge fdb add 02:00:00:00:00:25 dev br0 static',
          'bridge fdb add 02:00:00:00:00:24 dev br0',
          'bridge fdb del 02:00:00:00:00:09 dev d0 master',
          'bridge fdb add zz dev d0',
          'bridge fdb add 02:00:00:00:00:03 dev nosuch',
          'bridge fdb add 02:00:00:00:00:26',
          'bridge fdb add 02:00:00:00:00:05 dev vx1 dst 10.0.0.2 master',
          'bridge fdb add 02:00:00:00:00:06 dev vx1',
          'bridge fdb add 02:00:00:00:00:04 dev vx1 dst 10.0.0.2 static',
          'bridge fdb add 02:00:00:00:00:07 dev vx1 dst 10.0.0.9 port 4789 vni 9',
          'bridge fdb show dev vx1',
          'bridge fdb show br br0',
          'bridge fdb show br d0',
          'bridge fdb show br nosuch',
          'bridge fdb show dev nosuch',
        ].join('\n'),
      ),
    ).toBe(
      [
        '+ bridge fdb add 02:00:00:00:00:01 dev d0 master static',
        '+ bridge fdb add 02:00:00:00:00:01 dev d0 master static',
        'RTNETLINK answers: File exists',
        '+ bridge fdb add 02:00:00:00:00:02 dev d0',
        '+ bridge fdb add 02:00:00:00:00:20 dev d0 master dynamic',
        '+ bridge fdb add 02:00:00:00:00:22 dev br0 master',
        'RTNETLINK answers: Operation not supported',
        '+ bridge fdb add 02:00:00:00:00:25 dev br0 static',
        'RTNETLINK answers: Invalid argument',
        '+ bridge fdb add 02:00:00:00:00:24 dev br0',
        '+ bridge fdb del 02:00:00:00:00:09 dev d0 master',
        'RTNETLINK answers: No such file or directory',
        '+ bridge fdb add zz dev d0',
        'Invalid mac address zz',
        '+ bridge fdb add 02:00:00:00:00:03 dev nosuch',
        'Cannot find device "nosuch"',
        '+ bridge fdb add 02:00:00:00:00:26',
        'Device and address are required arguments.',
        '+ bridge fdb add 02:00:00:00:00:05 dev vx1 dst 10.0.0.2 master',
        'RTNETLINK answers: Operation not supported',
        '+ bridge fdb add 02:00:00:00:00:06 dev vx1',
        'RTNETLINK answers: Invalid argument',
        '+ bridge fdb add 02:00:00:00:00:04 dev vx1 dst 10.0.0.2 static',
        '+ bridge fdb add 02:00:00:00:00:07 dev vx1 dst 10.0.0.9 port 4789 vni 9',
        '+ bridge fdb show dev vx1',
        '02:00:00:00:00:07 dst 10.0.0.9 port 4789 vni 9 self permanent',
        '02:00:00:00:00:04 dst 10.0.0.2 self static',
        '+ bridge fdb show br br0',
        '33:33:00:00:00:01 dev br0 self permanent',
        '01:00:5e:00:00:6a dev br0 self permanent',
        '33:33:00:00:00:6a dev br0 self permanent',
        '01:00:5e:00:00:01 dev br0 self permanent',
        '02:00:00:00:00:24 dev br0 master br0 permanent',
        '02:00:00:00:01:01 dev br0 master br0 permanent',
        '02:00:00:00:00:20 dev d0 master br0 ',
        '02:00:00:00:00:01 dev d0 master br0 static',
        '02:00:00:00:00:10 dev d0 master br0 permanent',
        '02:00:00:00:00:02 dev d0 self permanent',
        '33:33:00:00:00:01 dev d0 self permanent',
        '01:00:5e:00:00:01 dev d0 self permanent',
        '+ bridge fdb show br d0',
        '+ bridge fdb show br nosuch',
        'Cannot find bridge device "nosuch"',
        '+ bridge fdb show dev nosuch',
        'Cannot find device "nosuch"',
        '',
      ].join('\n'),
    );
  });

  it('lets a dynamic entry age like a learned one', () => {
    const m = testMachine();
    m.run(SETUP + '\nip link set d0 up\nip link set d1 up\nip link set br0 up\nip link set br0 type bridge ageing_time 1000');
    m.run('bridge fdb add 02:00:00:00:00:20 dev d0 master dynamic');
    expect(m.run('sleep 9\nbridge fdb show dev d0 master')).toContain('02:00:00:00:00:20 master br0 \n');
    expect(m.run('sleep 2\nbridge fdb show dev d0 master')).not.toContain('02:00:00:00:00:20');
  });
});

describe('bridge link, brctl, net.bridge sysctls', () => {
  it('print as the tools do', () => {
    const m = testMachine();
    m.run(SETUP);
    expect(
      transcript(
        m,
        [
          'bridge link',
          'bridge link show nosuch',
          'bridge link show dev d1',
          'brctl show br0 nosuch d1',
          'brctl showmacs br0',
          'bridge -V',
          'bridge foo',
          'bridge fdb foo',
          'sysctl net.bridge.bridge-nf-call-iptables',
          'sysctl -w net.bridge.bridge-nf-call-iptables=5',
          'sysctl net.bridge.bridge-nf-call-iptables',
        ].join('\n'),
      ),
    ).toBe(
      [
        '+ bridge link',
        '4: d0@d1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 master br0 state disabled priority 32 cost 2 ',
        '+ bridge link show nosuch',
        '4: d0@d1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 master br0 state disabled priority 32 cost 2 ',
        '+ bridge link show dev d1',
        '+ brctl show br0 nosuch d1',
        'bridge nosuch does not exist!',
        'device d1 is not a bridge!',
        'bridge name\tbridge id\t\tSTP enabled\tinterfaces',
        'br0\t\t8000.020000000101\tno\t\td0',
        '+ brctl showmacs br0',
        'port no\tmac addr\t\tis local?\tageing timer',
        '  1\t02:00:00:00:00:10\tyes\t\t   0.00',
        '+ bridge -V',
        'bridge utility, 6.1.0',
        '+ bridge foo',
        'Object "foo" is unknown, try "bridge help".',
        '+ bridge fdb foo',
        'Command "foo" is unknown, try "bridge fdb help".',
        '+ sysctl net.bridge.bridge-nf-call-iptables',
        'net.bridge.bridge-nf-call-iptables = 1',
        '+ sysctl -w net.bridge.bridge-nf-call-iptables=5',
        'net.bridge.bridge-nf-call-iptables = 5',
        '+ sysctl net.bridge.bridge-nf-call-iptables',
        'net.bridge.bridge-nf-call-iptables = 1',
        '',
      ].join('\n'),
    );
  });

  it('stops the scenario on what it does not model', () => {
    const m = testMachine();
    expect(() => m.run('brctl addbr br9')).toThrow('brctl addbr is not supported by dpsim');
    expect(() => m.run('bridge vlan show')).toThrow('bridge vlan is not supported by dpsim');
    expect(() => m.run('bridge -d link')).toThrow('bridge option "-d" is not supported by dpsim');
    expect(() => m.run('bridge fdb show vlan 1')).toThrow(ScriptError);
  });
});

describe('ip link del of a port', () => {
  it('takes it (and a veth peer that is a port) out of its bridge', () => {
    const m = testMachine();
    m.run(SETUP + '\nip link add br1 type bridge\nip link set d1 master br1');
    m.run('ip link del d1');
    expect((m.net.root.device('br0') as BridgeDevice).ports).toEqual([]);
    expect((m.net.root.device('br1') as BridgeDevice).ports).toEqual([]);
    expect(m.run('brctl show')).toBe('bridge name\tbridge id\t\tSTP enabled\tinterfaces\nbr0\t\t8000.020000000101\tno\t\t\nbr1\t\t8000.000000000000\tno\t\t\n');
  });
});
