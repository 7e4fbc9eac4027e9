/**
 * The `ip` command's global options and objects, against transcripts recorded on this
 * machine (iproute2 6.1) in a private namespace; and the features it refuses to guess at.
 */
import { describe, expect, test } from 'vitest';
import { ScriptError } from '../context.js';
import { testMachine, transcript } from './testing.js';

describe("ip", () => {
  test("options and objects are abbreviated as iproute2 allows", () => {
    const script = [
      "ip link add veth0 address 02:00:00:00:00:01 type veth peer name veth1 address 02:00:00:00:00:02",
      "ip a a 10.0.0.1/24 dev veth0",
      "ip -4 a",
      "ip -family inet a s veth0",
      "ip -o -4 address show",
      "ip --oneline -4 addr",
      "ip -4 -br a",
      "ip l s veth0 up",
      "ip ro",
      "ip r s",
      "ip n",
      "ip neighbour",
      "ip li sh veth1",
      "ip -- link show lo",
      "ip netns",
      "ip -V",
      "ip -Version",
    ].join('\n');
    const recorded = [
      "+ ip link add veth0 address 02:00:00:00:00:01 type veth peer name veth1 address 02:00:00:00:00:02",
      "+ ip a a 10.0.0.1/24 dev veth0",
      "+ ip -4 a",
      "3: veth0@veth1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default qlen 1000",
      "    inet 10.0.0.1/24 scope global veth0",
      "       valid_lft forever preferred_lft forever",
      "+ ip -family inet a s veth0",
      "3: veth0@veth1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default qlen 1000",
      "    inet 10.0.0.1/24 scope global veth0",
      "       valid_lft forever preferred_lft forever",
      "+ ip -o -4 address show",
      "3: veth0    inet 10.0.0.1/24 scope global veth0\\       valid_lft forever preferred_lft forever",
      "+ ip --oneline -4 addr",
      "3: veth0    inet 10.0.0.1/24 scope global veth0\\       valid_lft forever preferred_lft forever",
      "+ ip -4 -br a",
      "veth0@veth1      DOWN           10.0.0.1/24 ",
      "+ ip l s veth0 up",
      "+ ip ro",
      "10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1 linkdown ",
      "+ ip r s",
      "10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1 linkdown ",
      "+ ip n",
      "+ ip neighbour",
      "+ ip li sh veth1",
      "2: veth1@veth0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000",
      "    link/ether 02:00:00:00:00:02 brd ff:ff:ff:ff:ff:ff",
      "+ ip -- link show lo",
      "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000",
      "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
      "+ ip netns",
      "+ ip -V",
      "ip utility, iproute2-6.1.0, libbpf 1.1.2",
      "+ ip -Version",
      "ip utility, iproute2-6.1.0, libbpf 1.1.2",
    ].join('\n') + '\n';
    expect(transcript(testMachine(), script)).toBe(recorded);
  });

  test("what iproute2 prints for options and objects it does not know", () => {
    const script = [
      "ip -bogus link",
      "ip bogus",
      "ip -family foo addr",
      "ip -n",
      "ip -n nosuch link",
      "ip link nosuch",
      "ip addr nosuch",
      "ip route nosuch",
      "ip neigh nosuch",
      "ip netns nosuch",
    ].join('\n');
    const recorded = [
      "+ ip -bogus link",
      "Option \"-bogus\" is unknown, try \"ip -help\".",
      "+ ip bogus",
      "Object \"bogus\" is unknown, try \"ip help\".",
      "+ ip -family foo addr",
      "Error: argument \"foo\" is wrong: invalid protocol family",
      "+ ip -n",
      "Cannot open network namespace \"(null)\": No such file or directory",
      "+ ip -n nosuch link",
      "Cannot open network namespace \"nosuch\": No such file or directory",
      "+ ip link nosuch",
      "Command \"nosuch\" is unknown, try \"ip link help\".",
      "+ ip addr nosuch",
      "Command \"nosuch\" is unknown, try \"ip address help\".",
      "+ ip route nosuch",
      "Command \"nosuch\" is unknown, try \"ip route help\".",
      "+ ip neigh nosuch",
      "Command \"nosuch\" is unknown, try \"ip neigh help\".",
      "+ ip netns nosuch",
      "Command \"nosuch\" is unknown, try \"ip netns help\".",
    ].join('\n') + '\n';
    expect(transcript(testMachine(), script)).toBe(recorded);
  });
});

describe('ip refuses what dpsim does not model', () => {
  const refused = (line: string): string => {
    try {
      testMachine().run(line);
    } catch (e) {
      expect(e).toBeInstanceOf(ScriptError);
      return (e as ScriptError).message;
    }
    throw new Error(`"${line}" was accepted`);
  };

  test.each([
    ['ip -6 route', 'test.sh:1: IPv6 is not supported by dpsim'],
    ['ip -s link', 'test.sh:1: ip option "-s" is not supported by dpsim'],
    ['ip -d link', 'test.sh:1: ip option "-d" is not supported by dpsim'],
    ['ip -j addr', 'test.sh:1: ip option "-j" is not supported by dpsim'],
    ['ip rule add from all lookup 100', 'test.sh:1: ip rule is not supported by dpsim'],
    ['ip link add bond0 type bond', 'test.sh:1: ip link add type bond is not supported by dpsim'],
    ['ip link set lo promisc on', 'test.sh:1: ip link "promisc on" is not supported by dpsim'],
    ['ip link add h type veth', 'test.sh:1: "h" abbreviates "help" for iproute2: the real `ip link` prints its usage here and does nothing (give it another name)'],
    ['ip link set lo netns 1', 'test.sh:1: "netns PID" (a namespace by process id) is not supported by dpsim'],
    ['ip addr add 10.0.0.1/24 dev lo valid_lft 30', 'test.sh:1: address lifetimes other than "forever" is not supported by dpsim'],
    ['ip route add 10.0.0.0/8 dev lo mtu 1400', 'test.sh:1: ip route "mtu" is not supported by dpsim'],
    ['ip route add throw 10.0.0.0/8', 'test.sh:1: route type "throw" is not supported by dpsim'],
    ['ip route add 2001:db8::/64 dev lo', 'test.sh:1: IPv6 is not supported by dpsim'],
    ['ip route get 10.0.0.1 iif lo', 'test.sh:1: ip route get iif (an input route) is not supported by dpsim'],
    ['ip neigh add 10.0.0.1 lladdr 02:00:00:00:00:01 dev lo', 'test.sh:1: neighbour entries on lo (a device without ARP) is not supported by dpsim'],
    ['ip netns add a\nip netns exec a frobnicate', 'test.sh:2: unknown command "frobnicate"'],
    ['ip maddr', 'test.sh:1: ip maddress is not supported by dpsim'],
  ])('%s', (line, message) => {
    expect(refused(line)).toBe(message);
  });

  test('master and nomaster go to a device that takes ports', () => {
    const m = testMachine();
    expect(m.run('ip link add veth0 type veth peer name veth1\nip link set veth0 master nosuch\nip link set veth0 master veth1')).toBe(
      'Error: argument "nosuch" is wrong: Device does not exist\n\nRTNETLINK answers: Operation not supported\n',
    );
    const ports: string[] = [];
    const veth1 = m.net.root.device('veth1')!;
    Object.assign(veth1, {
      enslave: (d: { name: string; master: unknown }) => {
        ports.push(`+${d.name}`);
        d.master = veth1;
      },
      release: (d: { name: string; master: unknown }) => {
        ports.push(`-${d.name}`);
        d.master = null;
      },
    });
    m.run('ip link set veth0 master veth1\nip link set veth0 master veth1\nip link set dev veth0 nomaster');
    expect(ports).toEqual(['+veth0', '-veth0']);
  });

  test('-n runs the object in another namespace', () => {
    const m = testMachine();
    m.run('ip netns add a');
    expect(m.run('ip -n a addr add 10.0.0.1/8 dev lo\nip -n a link set lo up\nip -n a -4 -o addr')).toBe(
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n' +
        '1: lo    inet 10.0.0.1/8 scope global lo\\       valid_lft forever preferred_lft forever\n',
    );
    expect(m.run('ip -4 -o addr')).toBe('');
  });
});
