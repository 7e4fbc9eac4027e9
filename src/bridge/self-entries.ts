/**
 * The `self` entries `bridge fdb show` lists for an Ethernet device that has no FDB of its
 * own: its unicast and multicast address lists (dev->uc, dev->mc, ndo_dflt_fdb_dump).
 *
 * dpsim has no IPv6 and does not keep these lists, so they are derived here from what this
 * kernel puts in them with IPv6 disabled as the kernel harness does (net.ipv6.conf.*.disable_ipv6=1,
 * recorded in test/kernel/scenarios/bridge-vxlan-commands): at registration the IPv6
 * all-nodes group 33:33:00:00:00:01; when the device goes up, for a bridge the
 * multicast-router-discovery groups 01:00:5e:00:00:6a and 33:33:00:00:00:6a, then IPv4
 * all-hosts 01:00:5e:00:00:01. (With IPv6 on, the solicited-node group of the link-local
 * address, 33:33:ff:xx:xx:xx, would follow.) The derivation is exact for a device brought up
 * once and never down (a device taken down loses its groups and rejoins them in another order).
 */
import type { NetDevice } from '../netns/device.js';

/** 33:33:00:00:00:01, ff02::1 (IPv6 all nodes). */
export const MAC_IPV6_ALL_NODES = 0x3333_0000_0001;
/** 01:00:5e:00:00:01, 224.0.0.1 (IPv4 all hosts). */
export const MAC_IPV4_ALL_HOSTS = 0x0100_5e00_0001;
/** 01:00:5e:00:00:6a, 224.0.0.106 (all snoopers, multicast router discovery). */
export const MAC_IPV4_ALL_SNOOPERS = 0x0100_5e00_006a;
/** 33:33:00:00:00:6a, ff02::6a (all snoopers). */
export const MAC_IPV6_ALL_SNOOPERS = 0x3333_0000_006a;

const userUnicast = new WeakMap<NetDevice, number[]>();

/** `bridge fdb add MAC dev DEV [self]` on a device without an FDB: MAC joins its unicast list; null or the error line. */
export function addSelfEntry(dev: NetDevice, mac: number): string | null {
  let list = userUnicast.get(dev);
  if (list === undefined) {
    list = [];
    userUnicast.set(dev, list);
  }
  if (list.includes(mac)) return 'RTNETLINK answers: File exists';
  list.push(mac);
  return null;
}

/** `bridge fdb del MAC dev DEV [self]`; null or the error line. */
export function deleteSelfEntry(dev: NetDevice, mac: number): string | null {
  const list = userUnicast.get(dev);
  const i = list === undefined ? -1 : list.indexOf(mac);
  if (i < 0) return 'RTNETLINK answers: No such file or directory';
  list!.splice(i, 1);
  return null;
}

/** Whether the device is Ethernet with the default FDB dump (not loopback, not VXLAN, which dumps its own FDB). */
export function hasSelfEntries(dev: NetDevice): boolean {
  return dev.kind === 'veth' || dev.kind === 'bridge' || dev.kind === 'dummy';
}

/** The addresses `bridge fdb show` lists as `self permanent` for `dev`: its unicast list, then its multicast list. */
export function selfAddresses(dev: NetDevice): number[] {
  if (!hasSelfEntries(dev)) return [];
  const out = [...(userUnicast.get(dev) ?? [])];
  out.push(MAC_IPV6_ALL_NODES);
  if (!dev.adminUp) return out;
  if (dev.kind === 'bridge') out.push(MAC_IPV4_ALL_SNOOPERS, MAC_IPV6_ALL_SNOOPERS);
  out.push(MAC_IPV4_ALL_HOSTS);
  return out;
}
