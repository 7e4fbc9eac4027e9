/**
 * `ip link`: add (veth, dummy, and the kinds higher layers register: bridge, vxlan), delete,
 * set (with `type KIND …` for registered kinds: bridge, bridge_slave), show — with iproute2's
 * iplink_parse keyword rules and the kernel's answers on this machine (kernel 6.18, iproute2 6.1):
 * - A veth pair registers its peer first: `ip link add veth0 type veth peer name veth1` gives
 *   veth1 ifindex N and veth0 N+1; unnamed ends get the first free `vethN`, peer first.
 * - Without a `peer` section the peer takes the first end's attributes (mtu, txqueuelen,
 *   netns) but its own random MAC and name; `peer … up` fails with "Transport endpoint is
 *   not connected" and creates nothing.
 * - Renaming an up device works; `lo` cannot change namespace ("The interface netns is
 *   immutable"); a name taken in the target namespace is refused.
 * - `ip link set lo up` gives lo 127.0.0.1/8 (inetdev's NETDEV_UP for loopback).
 */
import { VethDevice, type NetDevice } from '../../netns/device.js';
import type { NetNamespace } from '../../netns/namespace.js';
import { RT_SCOPE_HOST } from '../../netns/route-table.js';
import {
  ArgReader,
  IpExit,
  duparg,
  duparg2,
  helpWord,
  macFromBytes,
  matches,
  nodev,
  unsupported,
  type IpCall,
} from './args.js';
import { placeByScope } from './addr.js';
import { parseLinkRequest, type LinkRequest } from './link-request.js';
import { formatLink, noteDeviceMoved, noteDeviceUp } from './link-format.js';
import { allocPeerNetId } from './nsid.js';
import { linkClosed, linkCreated, linkOpened } from './operstate.js';

/** A device that takes ports (a bridge): `ip link set DEV master IT` / `nomaster`. */
interface MasterDevice extends NetDevice {
  enslave(dev: NetDevice): void;
  release(dev: NetDevice): void;
}

function isMasterDevice(dev: NetDevice): dev is MasterDevice {
  const d = dev as Partial<MasterDevice>;
  return typeof d.enslave === 'function' && typeof d.release === 'function';
}

/** `ip link [show|add|set|change|delete] …` */
export function doLink(call: IpCall, argv: string[]): void {
  const sub = argv[0];
  const args = new ArgReader(argv.slice(1));
  if (sub === undefined) return showLinks(call, args);
  if (matches(sub, 'add')) return addLink(call, args);
  if (matches(sub, 'set') || matches(sub, 'change')) return setLink(call, args);
  if (matches(sub, 'replace')) unsupported('ip link replace');
  if (matches(sub, 'delete')) return deleteLink(call, args);
  if (matches(sub, 'show') || matches(sub, 'lst') || matches(sub, 'list')) return showLinks(call, args);
  if (matches(sub, 'xstats') || matches(sub, 'afstats') || matches(sub, 'property') || matches(sub, 'help')) unsupported(`ip link ${sub}`);
  throw new IpExit(`Command "${sub}" is unknown, try "ip link help".\n`);
}

// ---- show ------------------------------------------------------------------------------

function showLinks(call: IpCall, args: ArgReader): void {
  let devName: string | null = null;
  let upOnly = false;
  while (!args.done) {
    const arg = args.take();
    if (arg === 'up') upOnly = true;
    else if (['to', 'scope', 'label', 'group', 'master', 'vrf', 'type', 'nomaster', 'proto'].includes(arg) || arg === 'dynamic' || arg === 'permanent')
      unsupported(`ip link show "${arg}"`);
    else {
      const v = arg === 'dev' ? args.value() : arg;
      if (matches(v, 'help') && arg !== 'dev') helpWord('link', v);
      if (devName !== null) duparg2('dev', v);
      devName = v;
    }
  }
  const ns = call.ctx.ns;
  let devices = ns.deviceList();
  if (devName !== null) {
    const dev = ns.device(devName);
    if (dev === undefined) throw new IpExit(`Device "${devName}" does not exist.\n`);
    devices = [dev];
  }
  for (const dev of devices) if (!upOnly || dev.adminUp) call.ctx.out(formatLink(dev, call.opts));
}

// ---- add -------------------------------------------------------------------------------

/** Link kinds iproute2 knows and the kernel has, that dpsim does not model (yet). */
const KNOWN_KINDS = new Set([
  'bridge', 'vxlan', 'vlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'bond', 'team', 'vrf', 'ifb', 'gre', 'gretap',
  'ip6gre', 'ip6gretap', 'ipip', 'sit', 'ip6tnl', 'vti', 'vti6', 'geneve', 'bareudp', 'wireguard', 'nlmon', 'vcan', 'vxcan',
  'macsec', 'hsr', 'xfrm', 'erspan', 'ip6erspan', 'netdevsim', 'gtp', 'amt', 'rmnet', 'virt_wifi', 'batadv', 'can', 'ipoib',
  'lowpan', 'bond_slave', 'bridge_slave', 'dsa', 'wwan',
]);

/** Creates a device of a kind a higher layer models; throws NetlinkError with the kernel's message. */
export type LinkKindFactory = (call: IpCall, req: LinkRequest, ns: NetNamespace) => NetDevice;

const linkKinds = new Map<string, LinkKindFactory>();

/** Lets a higher layer add `ip link add NAME type KIND` (bridge, vxlan). */
export function registerLinkKind(kind: string, factory: LinkKindFactory): void {
  linkKinds.set(kind, factory);
}

/** Applies `ip link set DEV type KIND ARGS…` (the kind's changelink or slave_changelink); throws IpExit/NetlinkError as the tool reports. */
export type LinkTypeSetter = (call: IpCall, dev: NetDevice, args: ArgReader) => void;

const linkTypeSetters = new Map<string, LinkTypeSetter>();

/** Lets a higher layer add `ip link set DEV type KIND …` (bridge, bridge_slave). */
export function registerLinkTypeSetter(kind: string, setter: LinkTypeSetter): void {
  linkTypeSetters.set(kind, setter);
}

/** A device whose removal has work of its own (a bridge releases its ports, a VXLAN device its socket). */
interface DestroyableDevice extends NetDevice {
  destroy(): void;
}

function isDestroyable(dev: NetDevice): dev is DestroyableDevice {
  return typeof (dev as Partial<DestroyableDevice>).destroy === 'function';
}

function addLink(call: IpCall, args: ArgReader): void {
  const req = parseLinkRequest(call, args, true);
  if (req.type === null) throw new IpExit('Not enough information: "type" argument is required\n');
  const ns = req.netns ?? call.ctx.ns;
  // rtnl_newlink looks the name up in the caller's namespace before creating anything.
  if (req.name !== null && call.ctx.ns.device(req.name) !== undefined) throw new IpExit('RTNETLINK answers: File exists\n');
  if (req.type === 'veth') return addVeth(call, req);
  if (req.name !== null && ns.device(req.name) !== undefined) throw new IpExit('RTNETLINK answers: File exists\n');
  const factory = linkKinds.get(req.type);
  if (req.type === 'dummy' || factory !== undefined) {
    if (req.typeArgs.length > 0 && factory === undefined) unsupported(`ip link add type dummy "${req.typeArgs[0]}"`);
    const name = req.name ?? freeName(ns, req.type, null);
    checkKernelName(name);
    if (req.address !== null) checkMac(req.address);
    const dev = factory !== undefined ? factory(call, { ...req, name }, ns) : ns.addDummy(name, req.address === null ? undefined : macFromBytes(req.address));
    configureNew(call, dev, req);
    return;
  }
  if (KNOWN_KINDS.has(req.type)) unsupported(`ip link add type ${req.type}`);
  if (req.typeArgs.length > 0) throw new IpExit(`Garbage instead of arguments "${req.typeArgs[0]} ...". Try "ip link help".\n`);
  throw new IpExit('Error: Unknown device type.\n');
}

/** `ip link add [NAME] [options] type veth [peer [name] PEER [options]]` */
function addVeth(call: IpCall, req: LinkRequest): void {
  let peer: LinkRequest;
  if (req.typeArgs.length === 0) {
    // No peer section: the peer gets the first end's attributes but its own name and MAC.
    peer = { ...req, dev: null, name: null, address: null };
  } else {
    if (req.typeArgs[0] !== 'peer') throw new IpExit("Usage: ip link <options> type veth [peer <options>]\nTo get <options> type 'ip link add help'\n");
    const peerArgs = new ArgReader(req.typeArgs.slice(1));
    peer = parseLinkRequest(call, peerArgs, true);
    if (peer.type !== null) duparg('type', peer.type);
  }
  const devNs = req.netns ?? call.ctx.ns;
  const peerNs = peer.netns ?? call.ctx.ns;
  for (const r of [req, peer]) {
    if (r.mtu !== null && (r.mtu < 68 || r.mtu > 65535)) throw new IpExit('RTNETLINK answers: Invalid argument\n');
    if (r.address !== null) checkMac(r.address);
  }
  if (req.name !== null) checkKernelName(req.name);
  if (peer.name !== null) checkKernelName(peer.name);
  const peerName = peer.name ?? freeName(peerNs, 'veth', null);
  if (peerNs.device(peerName) !== undefined) throw new IpExit('RTNETLINK answers: File exists\n');
  // The peer is registered first; when the first end then fails (it cannot open the peer,
  // or its name is taken), the peer is unregistered again: nothing is left but its ifindex is used up.
  const failAfterPeer = (message: string): never => {
    peerNs.deleteDevice(peerNs.addDummy(peerName));
    throw new IpExit(message);
  };
  if (peer.up === true && req.typeArgs.length > 0) failAfterPeer('RTNETLINK answers: Transport endpoint is not connected\n');
  if (req.name !== null && (devNs.device(req.name) !== undefined || (devNs === peerNs && req.name === peerName))) failAfterPeer('RTNETLINK answers: File exists\n');
  const name = req.name ?? freeName(devNs, 'veth', devNs === peerNs ? peerName : null);
  const mac = req.address === null ? undefined : macFromBytes(req.address);
  const peerMac = peer.address === null ? undefined : macFromBytes(peer.address);
  const [dev, peerDev] = devNs.addVethPair(name, peerName, peerNs, mac, peerMac);
  linkCreated(dev);
  if (devNs !== peerNs) allocPeerNetId(devNs, peerNs);
  configureNew(call, peerDev, { ...peer, up: null });
  configureNew(call, dev, req);
}

/** Applies a new device's mtu, qlen, up flag and master (rtnl_create_link, rtnl_configure_link, do_set_master). */
function configureNew(call: IpCall, dev: NetDevice, req: LinkRequest): void {
  if (req.mtu !== null) dev.ns.setMtu(dev, req.mtu);
  if (req.qlen !== null) dev.txqueuelen = req.qlen;
  if (req.up === true) bringUp(call, dev);
  if (req.master !== undefined) setMaster(dev, req.master);
}

/** do_set_master: leave the current master, then join the new one if it takes ports. */
function setMaster(dev: NetDevice, master: NetDevice | null): void {
  if (dev.master === master) return;
  if (dev.master !== null && isMasterDevice(dev.master)) dev.master.release(dev);
  if (master === null) return;
  if (!isMasterDevice(master)) throw new IpExit('RTNETLINK answers: Operation not supported\n');
  master.enslave(dev);
}

/** The kernel's IFLA_IFNAME policy: at most 15 bytes. */
function checkKernelName(name: string): void {
  if (name.length >= 16) throw new IpExit('Error: Attribute failed policy validation.\n');
}

/** A MAC the kernel accepts for a new Ethernet device: six bytes, unicast, not all zero. */
function checkMac(bytes: readonly number[]): void {
  if (bytes.length !== 6) throw new IpExit('RTNETLINK answers: Invalid argument\n');
  if ((bytes[0]! & 1) === 1 || bytes.every((b) => b === 0)) throw new IpExit('RTNETLINK answers: Cannot assign requested address\n');
}

/** The first free `KINDn` name of a namespace (dev_alloc_name), also avoiding `taken`. */
function freeName(ns: NetNamespace, kind: string, taken: string | null): string {
  for (let i = 0; ; i++) {
    const name = `${kind}${i}`;
    if (ns.device(name) === undefined && name !== taken) return name;
  }
}

// ---- set -------------------------------------------------------------------------------

function lookupDevice(call: IpCall, req: LinkRequest): NetDevice {
  if (req.dev === null) throw new IpExit('Not enough information: "dev" argument is required.\n');
  const dev = call.ctx.ns.device(req.dev);
  if (dev === undefined) nodev(req.dev);
  return dev;
}

/** `ip link set DEV [netns NS] [address MAC] [mtu N] [name NEW] [up|down] [master BR|nomaster] [txqueuelen N]`, applied in do_setlink's order. */
function setLink(call: IpCall, args: ArgReader): void {
  const req = parseLinkRequest(call, args, false);
  const dev = lookupDevice(call, req);
  if (req.type !== null) {
    // The kind's own attributes travel in the same request and are applied before do_setlink's.
    const setter = linkTypeSetters.get(req.type);
    if (setter === undefined) unsupported(`ip link set … type ${req.type}`);
    setter(call, dev, new ArgReader(req.typeArgs));
  }
  if (req.address !== null && req.address.length !== 6) throw new IpExit(`Invalid address length ${req.address.length} - must be 6 bytes\n`);
  const newName = req.name !== req.dev ? req.name : null;
  let changed = false;
  if (req.netns !== null && req.netns !== dev.ns) {
    moveLink(dev, req.netns);
    changed = true;
  }
  const ns = dev.ns;
  if (req.address !== null) {
    const bytes = req.address;
    if ((bytes[0]! & 1) === 1 || bytes.every((b) => b === 0)) throw new IpExit('RTNETLINK answers: Cannot assign requested address\n');
    dev.mac = macFromBytes(bytes);
    changed = true;
  }
  if (req.mtu !== null) {
    ns.setMtu(dev, req.mtu);
    changed = true;
  }
  if (newName !== null && newName !== dev.name) {
    renameLink(dev, newName);
    changed = true;
  }
  if (req.up === true) {
    bringUp(call, dev);
    changed = true;
  } else if (req.up === false) {
    const hadCarrier = dev.running;
    ns.setDown(dev);
    linkClosed(dev, hadCarrier);
    carrierNotify(dev);
    changed = true;
  }
  if (req.master !== undefined) {
    setMaster(dev, req.master);
    changed = true;
  }
  if (req.qlen !== null) {
    dev.txqueuelen = req.qlen;
    changed = true;
  }
  if (changed && dev instanceof VethDevice) allocPeerNetId(dev.ns, dev.peer.ns);
}

/** dev_change_net_namespace, with the kernel's refusals. */
function moveLink(dev: NetDevice, target: NetNamespace): void {
  const from = dev.ns;
  if (dev.kind === 'loopback') throw new IpExit('Error: The interface netns is immutable.\n');
  if (target.device(dev.name) !== undefined) throw new IpExit('Error: An interface with the same name exists in the target netns.\n');
  allocPeerNetId(from, target);
  const hadCarrier = dev.running;
  from.moveDevice(dev, target);
  noteDeviceMoved(dev);
  linkClosed(dev, hadCarrier);
  if (dev instanceof VethDevice) allocPeerNetId(target, dev.peer.ns);
}

/** dev_change_name; this kernel renames up devices too. */
function renameLink(dev: NetDevice, name: string): void {
  if (dev.ns.device(name) !== undefined) throw new IpExit('RTNETLINK answers: File exists\n');
  dev.ns.renameDevice(dev, name);
}

/** dev_open, plus what inetdev does for a loopback device coming up: 127.0.0.1/8 scope host. */
function bringUp(_call: IpCall, dev: NetDevice): void {
  const ns = dev.ns;
  ns.setUp(dev);
  noteDeviceUp(dev);
  linkOpened(dev);
  if (dev.kind === 'loopback' && !dev.addrs.some((a) => a.local === 0x7f000001 && a.prefixLen === 8))
    placeByScope(dev, ns.addAddress(dev, 0x7f000001, 8, { scope: RT_SCOPE_HOST }));
  carrierNotify(dev);
}

/** A veth going up or down changes its peer's carrier: the peer's namespace is told, and learns an id for ours. */
function carrierNotify(dev: NetDevice): void {
  if (dev instanceof VethDevice && dev.peer.ns !== dev.ns && dev.peer.adminUp) allocPeerNetId(dev.peer.ns, dev.ns);
}

// ---- delete ------------------------------------------------------------------------------

function deleteLink(call: IpCall, args: ArgReader): void {
  const req = parseLinkRequest(call, args, false);
  const dev = lookupDevice(call, req);
  if (isDestroyable(dev)) {
    dev.destroy();
    return;
  }
  // A port leaves its bridge when it is unregistered (a veth's peer goes with it).
  for (const d of dev instanceof VethDevice ? [dev, dev.peer] : [dev]) if (d.master !== null && isMasterDevice(d.master)) d.master.release(d);
  dev.ns.deleteDevice(dev);
}
