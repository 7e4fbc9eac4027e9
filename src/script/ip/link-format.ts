/**
 * How `ip link show` and `ip addr show` print a device and its IPv4 addresses, as iproute2
 * 6.1 does on this machine (kernel 6.18). Recorded facts:
 * - Flags print in the kernel's bit order after a leading NO-CARRIER (up without carrier):
 *   `<NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN>`; M-DOWN when the veth peer is in the same
 *   namespace and down. lo up is `<LOOPBACK,UP,LOWER_UP>`. A dummy prints
 *   `<BROADCAST,NOARP,UP,LOWER_UP>` state UNKNOWN as the dummy driver sets it (this machine
 *   has no dummy module, so that one is not a recording).
 * - `qdisc noop` until the device is first brought up, `noqueue` from then on (also after it
 *   goes down again); moving it to another namespace resets it to `noop`.
 * - A veth whose peer is in the same namespace prints `veth0@veth1`; otherwise `veth0@ifN`
 *   (the peer's ifindex there) and ` link-netns NAME` after the link-layer line, or
 *   ` link-netnsid N` when the peer's namespace has no name (the one the script started in).
 * - `ip link` adds `mode DEFAULT`; `ip addr` does not. With `-4`, `ip addr` skips the
 *   link-layer line and devices without IPv4 addresses.
 * - IPv6 (inet6 lines) is not modelled and never printed.
 */
import { VethDevice, type NetDevice } from '../../netns/device.js';
import type { IfAddr } from '../../netns/address.js';
import { formatIPv4, formatMac } from '../../packet/address.js';
import { routeScopeName } from '../../netns/route-format.js';
import type { IpOptions } from './args.js';
import { allocPeerNetId, netnsName } from './nsid.js';
import { operState } from './operstate.js';

/** Devices that have been up since they arrived in their namespace (they have a qdisc attached). */
const qdiscAttached = new WeakSet<NetDevice>();

/** Records that a device came up (dev_activate attaches its qdisc). */
export function noteDeviceUp(dev: NetDevice): void {
  qdiscAttached.add(dev);
}

/** Records that a device moved namespace (its qdisc is released). */
export function noteDeviceMoved(dev: NetDevice): void {
  qdiscAttached.delete(dev);
}

/** `noop` for a device never up here, else `noqueue`. */
export function qdiscName(dev: NetDevice): string {
  if (dev.adminUp) qdiscAttached.add(dev);
  return qdiscAttached.has(dev) ? 'noqueue' : 'noop';
}

/** The flags between `<` and `>`. */
export function linkFlags(dev: NetDevice): string {
  const flags: string[] = [];
  if (dev.adminUp && !dev.running) flags.push('NO-CARRIER');
  if (dev.kind === 'loopback') flags.push('LOOPBACK');
  else {
    flags.push('BROADCAST');
    flags.push(dev.usesArp ? 'MULTICAST' : 'NOARP');
  }
  if (dev.adminUp) flags.push('UP');
  if (dev.running) flags.push('LOWER_UP');
  let text = flags.join(',');
  if (dev instanceof VethDevice && dev.peer.ns === dev.ns && !dev.peer.adminUp) text += ',M-DOWN';
  return `<${text}>`;
}

/** `veth0@veth1`, `veth0@if5`, or the bare name. */
export function nameAndLink(dev: NetDevice): string {
  if (!(dev instanceof VethDevice)) return dev.name;
  const peer = dev.peer;
  return peer.ns === dev.ns ? `${dev.name}@${peer.name}` : `${dev.name}@if${peer.ifindex}`;
}

/** ` link-netns NAME` / ` link-netnsid N` for a veth whose peer is elsewhere; allocates the id as a dump does. */
function linkNetns(dev: NetDevice): string {
  if (!(dev instanceof VethDevice) || dev.peer.ns === dev.ns) return '';
  const peerNs = dev.peer.ns;
  const id = allocPeerNetId(dev.ns, peerNs);
  const name = netnsName(dev.ns.net, peerNs);
  return name !== null ? ` link-netns ${name}` : ` link-netnsid ${id}`;
}

/** The first line of a device record, without newline. `withMode` for `ip link` (`mode DEFAULT`). */
function headerLine(dev: NetDevice, withMode: boolean): string {
  const master = dev.master !== null ? `master ${dev.master.name} ` : '';
  const mode = withMode ? 'mode DEFAULT ' : '';
  return `${dev.ifindex}: ${nameAndLink(dev)}: ${linkFlags(dev)} mtu ${dev.mtu} qdisc ${qdiscName(dev)} ${master}state ${operState(dev)} ${mode}group default qlen ${dev.txqueuelen}`;
}

/** The link-layer line, without newline: `    link/ether MAC brd ff:ff:ff:ff:ff:ff[ link-netns X]`. */
function linkLayerLine(dev: NetDevice): string {
  if (dev.kind === 'loopback') return `    link/loopback ${formatMac(dev.mac)} brd 00:00:00:00:00:00`;
  return `    link/ether ${formatMac(dev.mac)} brd ff:ff:ff:ff:ff:ff${linkNetns(dev)}`;
}

/** One device as `ip link show` prints it. */
export function formatLink(dev: NetDevice, opts: IpOptions): string {
  if (opts.brief) return `${pad(nameAndLink(dev), 16)} ${pad(operState(dev), 14)} ${formatMac(dev.mac)} ${linkFlags(dev)} \n`;
  const header = headerLine(dev, true);
  const ll = linkLayerLine(dev);
  return opts.oneline ? `${header}\\${ll}\n` : `${header}\n${ll}\n`;
}

/** One IPv4 address line (and its lifetime line) as `ip addr show` prints it. */
export function formatAddress(a: IfAddr, opts: IpOptions): string {
  let text = `    inet ${formatIPv4(a.local)}/${a.prefixLen} `;
  if (a.broadcast !== 0) text += `brd ${formatIPv4(a.broadcast)} `;
  text += `scope ${routeScopeName(a.scope)} `;
  if (a.secondary) text += 'secondary ';
  if (a.noprefixroute) text += 'noprefixroute ';
  text += a.label;
  const lifetime = '       valid_lft forever preferred_lft forever';
  if (opts.oneline) return `${a.dev.ifindex}: ${a.dev.name}${text}\\${lifetime}\n`;
  return `${text}\n${lifetime}\n`;
}

/** A device and the given addresses as `ip addr show` prints them (`-o`: one line per address, no link record). */
export function formatLinkWithAddresses(dev: NetDevice, addrs: readonly IfAddr[], opts: IpOptions): string {
  if (opts.brief) {
    let line = `${pad(nameAndLink(dev), 16)} ${pad(operState(dev), 14)} `;
    for (const a of addrs) line += `${formatIPv4(a.local)}/${a.prefixLen} `;
    return line + '\n';
  }
  let out = '';
  if (opts.oneline) {
    // The link record is dumped (and ids allocated) even though -o prints addresses only.
    linkLayerLine(dev);
  } else {
    out += headerLine(dev, false) + '\n';
    if (!opts.inet) out += linkLayerLine(dev) + '\n';
  }
  for (const a of addrs) out += formatAddress(a, opts);
  return out;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}
