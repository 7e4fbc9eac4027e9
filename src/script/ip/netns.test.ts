/**
 * `ip netns` against transcripts recorded on this machine (kernel 6.18, iproute2 6.1) in a
 * private namespace (`unshare --mount --net`, tmpfs on /run/netns), one command per line as
 * `bash -x` shows them. IPv6 lines are left out of the recordings: dpsim does not model IPv6.
 */
import { describe, expect, test } from 'vitest';
import { testMachine, transcript } from './testing.js';

describe("ip netns", () => {
  test("add, list (newest first), delete, exec and their errors", () => {
    const script = [
      "ip netns add a",
      "ip netns add b",
      "ip netns add c",
      "ip netns list",
      "ip netns add a",
      "ip netns del zz",
      "ip netns delete b",
      "ip netns",
      "ip netns add b",
      "ip netns list",
      "ip netns exec a ip link",
      "ip netns exec zz ip link",
      "ip -n zz link",
      "ip netns exec",
      "ip netns exec a",
      "ip netns add a/b",
      "ip netns bogus",
      "ip -n c netns list",
      "ip netns exec a ip netns list",
    ].join('\n');
    const recorded = [
      "+ ip netns add a",
      "+ ip netns add b",
      "+ ip netns add c",
      "+ ip netns list",
      "c",
      "b",
      "a",
      "+ ip netns add a",
      "Cannot create namespace file \"/run/netns/a\": File exists",
      "+ ip netns del zz",
      "Cannot remove namespace file \"/run/netns/zz\": No such file or directory",
      "+ ip netns delete b",
      "+ ip netns",
      "c",
      "a",
      "+ ip netns add b",
      "+ ip netns list",
      "b",
      "c",
      "a",
      "+ ip netns exec a ip link",
      "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000",
      "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
      "+ ip netns exec zz ip link",
      "Cannot open network namespace \"zz\": No such file or directory",
      "+ ip -n zz link",
      "Cannot open network namespace \"zz\": No such file or directory",
      "+ ip netns exec",
      "No netns name specified",
      "+ ip netns exec a",
      "No command specified",
      "+ ip netns add a/b",
      "Invalid netns name \"a/b\"",
      "+ ip netns bogus",
      "Command \"bogus\" is unknown, try \"ip netns help\".",
      "+ ip -n c netns list",
      "b",
      "c",
      "a",
      "+ ip netns exec a ip netns list",
      "b",
      "c",
      "a",
    ].join('\n') + '\n';
    expect(transcript(testMachine(), script)).toBe(recorded);
  });

  test("deleting a namespace takes the veth pairs that cross into it", () => {
    const script = [
      "ip netns add a",
      "ip link add x address 02:00:00:00:00:03 type veth peer y netns a address 02:00:00:00:00:04",
      "ip link add p1 address 02:00:00:00:00:05 type veth peer name p2 address 02:00:00:00:00:06",
      "ip link set p2 netns a",
      "ip link",
      "ip netns del a",
      "sleep 0.2",
      "ip link",
      "ip netns list",
    ].join('\n');
    const recorded = [
      "+ ip netns add a",
      "+ ip link add x address 02:00:00:00:00:03 type veth peer y netns a address 02:00:00:00:00:04",
      "+ ip link add p1 address 02:00:00:00:00:05 type veth peer name p2 address 02:00:00:00:00:06",
      "+ ip link set p2 netns a",
      "+ ip link",
      "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000",
      "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
      "2: x@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000",
      "    link/ether 02:00:00:00:00:03 brd ff:ff:ff:ff:ff:ff link-netns a",
      "4: p1@if3: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000",
      "    link/ether 02:00:00:00:00:05 brd ff:ff:ff:ff:ff:ff link-netns a",
      "+ ip netns del a",
      "+ sleep 0.2",
      "+ ip link",
      "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000",
      "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
      "+ ip netns list",
    ].join('\n') + '\n';
    expect(transcript(testMachine(), script)).toBe(recorded);
  });
});
