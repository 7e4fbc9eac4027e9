/**
 * The `self` entries `bridge fdb show` lists for an Ethernet device that has no FDB of its
 * own: its unicast and multicast address lists (dev->uc, dev->mc, ndo_dflt_fdb_dump).
 *
 * dpsim has no IPv6 and does not keep these lists, so they are derived here from what this
 * kernel puts in them (recorded in print.test.ts): at registration the IPv6 all-nodes group
 * 33:33:00:00:00:01; when the device goes up, for a bridge the multicast-router-discovery
 * groups 01:00:5e:00:00:6a and 33:33:00:00:00:6a, then IPv4 all-hosts 01:00:5e:00:00:01;
 * once it is up with carrier, the solicited-node group of its link-local address,
 * 33:33:ff plus the last three bytes of the MAC it had then. The derivation is exact for a
 * device brought up once and never down (a device taken down loses its groups and rejoins
 * them in another order; see the report).
 */
import type { NetDevice } from '../netns/device.js';
import { BridgeDevice } from './bridge.js';

/** 33:33:00:00:00:01, ff02::1 (IPv6 all nodes). */
export const MAC_IPV6_ALL_NODES = 0x3333_0000_0001;
/** 01:00:5e:00:00:01, 224.0.0.1 (IPv4 all hosts). */
export const MAC_IPV4_ALL_HOSTS = 0x0100_5e00_0001;
/** 01:00:5e:00:00:6a, 224.0.0.106 (all snoopers, multicast router discovery). */
export const MAC_IPV4_ALL_SNOOPERS = 0x0100_5e00_006a;
/** 33:33:00:00:00:6a, ff02::6a (all snoopers). */
export const MAC_IPV6_ALL_SNOOPERS = 0x3333_0000_006a;
/** 33:33:ff:00:00:00, the solicited-node prefix; the low 24 bits come from the address. */
const MAC_IPV6_SOLICITED = 0x3333_ff00_0000;

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

/** The MAC the device's IPv6 link-local address was made from, or null when it has none. */
function linkLocalMac(dev: NetDevice): number | null {
  if (dev instanceof BridgeDevice) {
    dev.noteLinkState();
    return dev.linkReadyMac;
  }
  return dev.adminUp && dev.hasCarrier() ? dev.mac : null;
}

/** The addresses `bridge fdb show` lists as `self permanent` for `dev`: its unicast list, then its multicast list. */
export function selfAddresses(dev: NetDevice): number[] {
  if (!hasSelfEntries(dev)) return [];
  const out = [...(userUnicast.get(dev) ?? [])];
  out.push(MAC_IPV6_ALL_NODES);
  if (!dev.adminUp) return out;
  if (dev.kind === 'bridge') out.push(MAC_IPV4_ALL_SNOOPERS, MAC_IPV6_ALL_SNOOPERS);
  out.push(MAC_IPV4_ALL_HOSTS);
  const ll = linkLocalMac(dev);
  if (ll !== null) out.push(MAC_IPV6_SOLICITED + (ll % 0x100_0000));
  return out;
}
