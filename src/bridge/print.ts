/**
 * What the bridge tools print, byte for byte as on this machine (iproute2 6.1's `bridge`,
 * Debian's bridge-utils 1.7 `brctl`): `bridge fdb show`, `bridge link`, `brctl show`,
 * `brctl showmacs`. Pure functions of the namespace's state; the outputs they copy are
 * recorded in print.test.ts.
 */
import type { NetDevice } from '../netns/device.js';
import type { NetNamespace } from '../netns/namespace.js';
import type { VethDevice } from '../netns/device.js';
import { formatMac } from '../packet/address.js';
import { BridgeDevice, BR_DEFAULT_PRIORITY, masterBridge } from './bridge.js';
import type { BridgeFdbEntry } from './fdb.js';
import { BR_STATE_NAMES } from './port.js';
import { selfAddresses } from './self-entries.js';

/** A device with its own FDB dump (ndo_fdb_dump), such as a VXLAN device. */
export interface FdbDumpSource {
  /** Its entries as `bridge fdb show` prints them, with `dev NAME` when `showDev`. */
  fdbDumpLines(showDev: boolean): string[];
}

function isFdbDumpSource(dev: NetDevice): dev is NetDevice & FdbDumpSource {
  return typeof (dev as Partial<FdbDumpSource>).fdbDumpLines === 'function';
}

/** Which entries `bridge fdb show` lists: `br BRIDGE` and/or `dev DEV`. */
export interface FdbShowFilter {
  /** `br DEV`: a device that is no bridge selects nothing (rtnl_fdb_dump skips every device). */
  br?: NetDevice | null;
  dev?: NetDevice | null;
}

/** The state word of a bridge entry (fdb_to_nud, state_n2a). */
function bridgeEntryState(br: BridgeDevice, e: BridgeFdbEntry): string {
  if (e.local) return 'permanent';
  if (e.isStatic) return 'static';
  return br.fdb.expired(e) ? 'stale' : '';
}

function bridgeEntryLine(br: BridgeDevice, e: BridgeFdbEntry, showDev: boolean): string {
  const dev = showDev ? `dev ${e.dst === null ? br.name : e.dst.dev.name} ` : '';
  return `${formatMac(e.mac)} ${dev}${e.sticky ? 'sticky ' : ''}master ${br.name} ${bridgeEntryState(br, e)}\n`;
}

function selfLines(dev: NetDevice, showDev: boolean): string {
  let out = '';
  for (const mac of selfAddresses(dev)) out += `${formatMac(mac)} ${showDev ? `dev ${dev.name} ` : ''}self permanent\n`;
  return out;
}

/**
 * `bridge fdb show [br BRIDGE] [dev DEV]` (rtnl_fdb_dump): device by device in ifindex order;
 * for a port, its bridge's entries behind it (newest first) then its own `self` entries; for
 * a bridge, its `self` entries then its own local entries; for a VXLAN device, its FDB.
 */
export function bridgeFdbShow(ns: NetNamespace, filter: FdbShowFilter = {}): string {
  const showDev = filter.dev == null;
  if (filter.br != null && !(filter.br instanceof BridgeDevice)) return '';
  let out = '';
  for (const dev of ns.deviceList()) {
    if (filter.dev != null && dev !== filter.dev) continue;
    const master = masterBridge(dev);
    if (filter.br != null && dev !== filter.br && master !== filter.br) continue;
    if (master !== null) {
      master.syncSettings();
      for (const e of master.fdb.table.entries()) if (e.dst !== null && e.dst.dev === dev) out += bridgeEntryLine(master, e, showDev);
    }
    if (dev instanceof BridgeDevice) {
      dev.syncSettings();
      out += selfLines(dev, showDev);
      for (const e of dev.fdb.table.entries()) if (e.dst === null) out += bridgeEntryLine(dev, e, showDev);
    } else if (isFdbDumpSource(dev)) {
      out += dev.fdbDumpLines(showDev).join('');
    } else {
      out += selfLines(dev, showDev);
    }
  }
  return out;
}

/** The flags between `<` and `>` as iproute2 prints them (print_link_flags), with M-DOWN when `mdown`. */
export function linkFlags(dev: NetDevice, mdown: boolean): string {
  const names: string[] = [];
  const up = dev.adminUp;
  const running = up && dev.hasCarrier();
  if (up && !running) names.push('NO-CARRIER');
  // A dummy device is BROADCAST,NOARP (dummy_setup); veth, VXLAN and bridges are BROADCAST,MULTICAST.
  names.push('BROADCAST', dev.kind === 'dummy' ? 'NOARP' : 'MULTICAST');
  if (up) names.push('UP');
  if (running) names.push('LOWER_UP');
  const flags = names.join(',');
  return mdown ? `${flags},M-DOWN` : flags;
}

/**
 * The `@LINK` part after a name and whether iproute2 adds M-DOWN: a veth's IFLA_LINK is its
 * peer's ifindex, which `bridge link` looks up among this namespace's devices even when the
 * peer is elsewhere (so `veth1@cni0` when the peer's index is cni0's here, `@ifN` when no
 * device has it, M-DOWN when that device is down).
 */
function linkSuffix(ns: NetNamespace, dev: NetDevice): { at: string; mdown: boolean } {
  if (dev.kind !== 'veth') return { at: '', mdown: false };
  const iflink = (dev as VethDevice).peer.ifindex;
  const local = ns.deviceByIndex(iflink);
  return { at: `@${local === undefined ? `if${iflink}` : local.name}`, mdown: local === undefined || !local.adminUp };
}

/** `bridge link [show dev DEV]`: one line per bridge port of the namespace, in ifindex order. */
export function bridgeLinkShow(ns: NetNamespace, only: NetDevice | null = null): string {
  let out = '';
  for (const dev of ns.deviceList()) {
    if (only !== null && dev !== only) continue;
    const br = masterBridge(dev);
    const port = br === null ? null : br.portOf(dev);
    if (br === null || port === null) continue;
    const { at, mdown } = linkSuffix(ns, dev);
    out += `${dev.ifindex}: ${dev.name}${at}: <${linkFlags(dev, mdown)}> mtu ${dev.mtu} master ${br.name} state ${BR_STATE_NAMES[port.state]} priority ${port.priority} cost ${port.cost} \n`;
  }
  return out;
}

/** The bridge id as brctl prints it: priority and MAC in hex, `8000.020000000101`. */
export function bridgeIdText(br: BridgeDevice): string {
  return `${BR_DEFAULT_PRIORITY.toString(16).padStart(4, '0')}.${formatMac(br.bridgeIdMac).replaceAll(':', '')}`;
}

/** What a brctl command printed: standard output and error, and its exit status. */
export interface ToolOutput {
  stdout: string;
  stderr: string;
  status: number;
}

/**
 * `brctl show [BRIDGE…]`: a header before the first bridge (nothing at all without bridges),
 * bridges by name (or as named), each with its ports sorted by name, the first on its line.
 */
export function brctlShow(ns: NetNamespace, names: readonly string[] = []): ToolOutput {
  let stdout = '';
  let stderr = '';
  let status = 0;
  let header = false;
  const show = (br: BridgeDevice): void => {
    br.syncSettings();
    if (!header) {
      stdout += 'bridge name\tbridge id\t\tSTP enabled\tinterfaces\n';
      header = true;
    }
    const ifaces = br.ports.map((p) => p.dev.name).sort(byBytes);
    stdout += `${br.name}\t\t${bridgeIdText(br)}\tno\t\t${ifaces.length > 0 ? ifaces[0] : ''}\n`;
    for (const name of ifaces.slice(1)) stdout += `\t\t\t\t\t\t\t${name}\n`;
  };
  if (names.length === 0) {
    const bridges = ns.deviceList().filter((d): d is BridgeDevice => d instanceof BridgeDevice);
    bridges.sort((a, b) => byBytes(a.name, b.name));
    for (const br of bridges) show(br);
    return { stdout, stderr, status };
  }
  for (const name of names) {
    const dev = ns.device(name);
    if (dev === undefined) {
      stderr += `bridge ${name} does not exist!\n`;
      status = 1;
    } else if (!(dev instanceof BridgeDevice)) {
      stderr += `device ${name} is not a bridge!\n`;
      status = 1;
    } else show(dev);
  }
  return { stdout, stderr, status };
}

/**
 * `brctl showmacs BRIDGE`: the FDB sorted by MAC, without the bridge's own entries and expired
 * ones; the ageing timer is the time since the entry was last refreshed (0.00 for local and static).
 */
export function brctlShowmacs(ns: NetNamespace, name: string): ToolOutput {
  const dev = ns.device(name);
  if (dev === undefined) return { stdout: '', stderr: 'read of forward table failed: No such device\n', status: 1 };
  if (!(dev instanceof BridgeDevice)) return { stdout: '', stderr: 'read of forward table failed: Operation not supported\n', status: 1 };
  dev.syncSettings();
  const now = ns.net.now;
  const entries = [...dev.fdb.table.entries()].filter((e) => e.dst !== null && !dev.fdb.expired(e)).sort((a, b) => a.mac - b.mac);
  let stdout = 'port no\tmac addr\t\tis local?\tageing timer\n';
  for (const e of entries) {
    const cs = e.isStatic ? 0 : Math.floor((now - e.updated) / 10_000_000);
    const timer = `${String(Math.floor(cs / 100)).padStart(4, ' ')}.${String(cs % 100).padStart(2, '0')}`;
    stdout += `${String(e.dst!.portNo).padStart(3, ' ')}\t${formatMac(e.mac)}\t${e.local ? 'yes' : 'no'}\t\t${timer}\n`;
  }
  return { stdout, stderr: '', status: 0 };
}

/** strcmp order, as scandir's alphasort gives it in the C locale. */
function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
