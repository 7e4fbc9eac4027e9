/**
 * `ip link add NAME type bridge|vxlan …` and `ip link set DEV type bridge|bridge_slave …`:
 * iproute2 6.1's option parsers for these kinds (iplink_bridge.c, iplink_bridge_slave.c,
 * iplink_vxlan.c) over dpsim's bridge and VXLAN devices. Facts from this machine:
 * - `ageing_time` is in centiseconds (USER_HZ); `ip -d link` shows it back as given.
 * - VXLAN without `id` prints `vxlan: missing virtual network identifier` and creates
 *   nothing; without `dstport` it warns (four lines) and uses the kernel's 8472.
 * - `type bridge_slave …` on a device that is no bridge port, and `type bridge …` on a
 *   device that is no bridge, answer `RTNETLINK answers: Operation not supported`.
 * Options these devices do not model stop the scenario; so does a word the tool would
 * answer with its usage text.
 */
import { NetlinkError, type NetNamespace } from '../../netns/namespace.js';
import type { NetDevice } from '../../netns/device.js';
import { addBridge, BridgeDevice, bridgePortOf } from '../../bridge/bridge.js';
import { addVxlan, VXLAN_VNI_MAX, type VxlanOptions } from '../../vxlan/vxlan.js';
import { SEC } from '../../sim/time.js';
import { ArgReader, IpExit, invarg, macFromBytes, matches, nodev, parseDsfield, parseInetAddress, parseUnsigned, unsupported, type IpCall } from '../ip/args.js';
import type { LinkRequest } from '../ip/link-request.js';

const EOPNOTSUPP = 'RTNETLINK answers: Operation not supported';

/** The bridge options of iplink_bridge.c that dpsim does not model. */
const UNMODELLED_BRIDGE_OPTIONS = [
  'fdb_flush', 'forward_delay', 'hello_time', 'max_age', 'priority', 'vlan_filtering', 'vlan_protocol', 'group_fwd_mask',
  'group_address', 'no_linklocal_learn', 'vlan_default_pvid', 'vlan_stats_enabled', 'vlan_stats_per_port', 'mcast_snooping',
  'mcast_vlan_snooping', 'mcast_router', 'mcast_query_use_ifaddr', 'mcast_querier', 'mcast_hash_elasticity', 'mcast_hash_max',
  'mcast_last_member_count', 'mcast_startup_query_count', 'mcast_last_member_interval', 'mcast_membership_interval',
  'mcast_querier_interval', 'mcast_query_interval', 'mcast_query_response_interval', 'mcast_startup_query_interval',
  'mcast_stats_enabled', 'mcast_igmp_version', 'mcast_mld_version', 'nf_call_iptables', 'nf_call_ip6tables', 'nf_call_arptables',
];

/** What `type bridge …` asked for. */
interface BridgeOptions {
  /** `ageing_time CS`, in ns. */
  ageingTime: number | null;
}

function parseBridgeOptions(args: ArgReader): BridgeOptions {
  const o: BridgeOptions = { ageingTime: null };
  while (!args.done) {
    const arg = args.take();
    if (matches(arg, 'ageing_time')) {
      const v = args.value();
      const cs = parseUnsigned(v);
      if (cs === null) invarg('invalid ageing_time', v);
      // clock_t_to_jiffies at HZ 250: centiseconds × 2.5, whole jiffies of 4 ms.
      o.ageingTime = Math.floor((cs * 250) / 100) * (SEC / 250);
    } else if (matches(arg, 'stp_state')) {
      const v = args.value();
      if (parseUnsigned(v) !== 0) unsupported(`bridge "stp_state ${v}" (STP)`);
    } else if (UNMODELLED_BRIDGE_OPTIONS.some((w) => matches(arg, w))) {
      unsupported(`bridge option "${arg}"`);
    } else {
      unsupported(`bridge option "${arg}" (the real tool prints its usage)`);
    }
  }
  return o;
}

/** `ip link add NAME [address MAC] type bridge [ageing_time CS] [stp_state 0]` */
export function createBridge(_call: IpCall, req: LinkRequest, ns: NetNamespace): NetDevice {
  const o = parseBridgeOptions(new ArgReader(req.typeArgs));
  const br = addBridge(ns, req.name!, req.address === null ? undefined : macFromBytes(req.address));
  if (o.ageingTime !== null) br.setAgeingTime(o.ageingTime);
  return br;
}

/** `ip link set BRIDGE type bridge [ageing_time CS]` */
export function setBridge(_call: IpCall, dev: NetDevice, args: ArgReader): void {
  const o = parseBridgeOptions(args);
  if (!(dev instanceof BridgeDevice)) throw new NetlinkError(EOPNOTSUPP);
  if (o.ageingTime !== null) dev.setAgeingTime(o.ageingTime);
}

/** The port flags `type bridge_slave` sets, by keyword. */
const PORT_FLAGS = ['hairpin', 'learning', 'flood', 'mcast_flood', 'bcast_flood'] as const;
type PortFlag = (typeof PORT_FLAGS)[number];
const PORT_FIELDS: Record<PortFlag, 'hairpin' | 'learning' | 'flood' | 'mcastFlood' | 'bcastFlood'> = {
  hairpin: 'hairpin',
  learning: 'learning',
  flood: 'flood',
  mcast_flood: 'mcastFlood',
  bcast_flood: 'bcastFlood',
};

const UNMODELLED_PORT_OPTIONS = [
  'fdb_flush', 'state', 'priority', 'cost', 'guard', 'fastleave', 'root_block', 'proxy_arp', 'proxy_arp_wifi', 'mcast_router',
  'mcast_fast_leave', 'mcast_to_unicast', 'group_fwd_mask', 'neigh_suppress', 'vlan_tunnel', 'isolated', 'locked', 'backup_port',
  'nobackup_port',
];

/** parse_on_off as iproute2 6.1 reports a bad value. */
export function onOrOff(key: string, v: string): boolean {
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new IpExit(`Error: argument of "${key}" must be one of "off", "on", not "${v}"\n`);
}

/** Reads `KEY on|off` pairs of port flags (bridge_slave, `bridge link set`); `what` names the option set in messages. */
export function parsePortFlags(args: ArgReader, what: string, stopAt: (arg: string) => boolean = () => false): Map<PortFlag, boolean> {
  const flags = new Map<PortFlag, boolean>();
  while (!args.done && !stopAt(args.peek()!)) {
    const arg = args.take();
    const flag = PORT_FLAGS.find((f) => f === arg);
    if (flag !== undefined) flags.set(flag, onOrOff(flag, args.value()));
    else if (UNMODELLED_PORT_OPTIONS.includes(arg)) unsupported(`${what} option "${arg}"`);
    else unsupported(`${what} option "${arg}" (the real tool prints its usage)`);
  }
  return flags;
}

/** Applies port flags to the bridge port `dev` is; EOPNOTSUPP when it is none. */
export function applyPortFlags(dev: NetDevice, flags: ReadonlyMap<PortFlag, boolean>): void {
  const port = bridgePortOf(dev);
  if (port === null) throw new NetlinkError(EOPNOTSUPP);
  for (const [flag, on] of flags) port[PORT_FIELDS[flag]] = on;
}

/** `ip link set PORT type bridge_slave [hairpin|learning|flood|mcast_flood|bcast_flood on|off]…` */
export function setBridgeSlave(_call: IpCall, dev: NetDevice, args: ArgReader): void {
  applyPortFlags(dev, parsePortFlags(args, 'bridge_slave'));
}

// ---- vxlan -------------------------------------------------------------------------------

/** iproute2's warning when `dstport` is not given (the device gets the kernel's 8472). */
const DSTPORT_WARNING =
  'vxlan: destination port not specified\n' +
  'Will use Linux kernel default (non-standard value)\n' +
  "Use 'dstport 4789' to get the IANA assigned value\n" +
  "Use 'dstport 0' to get default and quiet this message\n";

/** vxlan_parse_opt's keywords in its order (the first a word abbreviates wins), null for ones dpsim does not model. */
const VXLAN_KEYWORDS: readonly string[] = [
  'id', 'vni', 'group', 'remote', 'local', 'dev', 'ttl', 'hoplimit', 'tos', 'dsfield', 'df', 'label', 'flowlabel', 'ageing',
  'maxaddress', 'srcport', 'port', 'dstport', 'nolearning', 'learning', 'noproxy', 'proxy', 'norsc', 'rsc', 'nol2miss', 'l2miss',
  'nol3miss', 'l3miss', 'udpcsum', 'noudpcsum', 'udp6zerocsumtx', 'noudp6zerocsumtx', 'udp6zerocsumrx', 'noudp6zerocsumrx',
  'remcsumtx', 'noremcsumtx', 'remcsumrx', 'noremcsumrx', 'external', 'noexternal', 'gbp', 'gpe', 'vnifilter', 'novnifilter',
];

/** `ip link add NAME type vxlan id VNI [dstport P] [dev DEV] [local IP] [srcport MIN MAX] [[no]learning] [ttl N|auto] [tos T] [ageing S]` */
export function createVxlan(call: IpCall, req: LinkRequest, ns: NetNamespace): NetDevice {
  const args = new ArgReader(req.typeArgs);
  const o: Partial<VxlanOptions> = {};
  let vni: number | null = null;
  let dstPort: number | null = null;
  while (!args.done) {
    const arg = args.take();
    const key = VXLAN_KEYWORDS.find((k) => matches(arg, k));
    if (key === 'id' || key === 'vni') {
      const v = args.value();
      const n = parseUnsigned(v);
      if (n === null || n > VXLAN_VNI_MAX) invarg('invalid id', v);
      vni = n;
    } else if (key === 'local') {
      const v = args.value();
      if (v.includes(':')) unsupported('IPv6');
      const a = parseInetAddress(v);
      if (a === null) throw new IpExit(`Error: any valid address is expected rather than "${v}".\n`);
      o.local = a;
    } else if (key === 'dev') {
      const v = args.value();
      const lower = call.ctx.ns.device(v);
      if (lower === undefined) nodev(v);
      o.lower = lower;
    } else if (key === 'ttl' || key === 'hoplimit') {
      const v = args.value();
      if (v === 'inherit') unsupported('vxlan "ttl inherit"');
      if (v === 'auto') o.ttl = 0;
      else {
        const n = parseUnsigned(v);
        if (n === null) invarg('invalid TTL', v);
        if (n > 255) invarg('TTL must be <= 255', v);
        o.ttl = n;
      }
    } else if (key === 'tos' || key === 'dsfield') {
      const v = args.value();
      if (v === 'inherit') o.tos = 1;
      else {
        const t = parseDsfield(v);
        if (t === null) invarg('bad TOS value', v);
        o.tos = t;
      }
    } else if (key === 'ageing') {
      const v = args.value();
      const n = parseUnsigned(v);
      if (n === null) invarg('ageing', v);
      o.ageing = n * SEC;
    } else if (key === 'srcport') {
      const lo = args.value();
      const min = parseUnsigned(lo, 0xffff);
      if (min === null) invarg('min port', lo);
      const hi = args.value();
      const max = parseUnsigned(hi, 0xffff);
      if (max === null) invarg('max port', hi);
      if (min > max) unsupported('vxlan "srcport" with MIN above MAX');
      o.portMin = min;
      o.portMax = max;
    } else if (key === 'dstport') {
      const v = args.value();
      const n = parseUnsigned(v, 0xffff);
      if (n === null) invarg('dstport', v);
      dstPort = n;
    } else if (key === 'learning' || key === 'nolearning') {
      o.learning = key === 'learning';
    } else if (key === 'udpcsum') {
      // the default for IPv4
    } else if (key !== undefined) {
      unsupported(`vxlan option "${arg}"`);
    } else {
      unsupported(`vxlan option "${arg}" (the real tool prints its usage)`);
    }
  }
  if (vni === null) throw new IpExit('vxlan: missing virtual network identifier\n');
  if (dstPort === null) call.ctx.out(DSTPORT_WARNING);
  if (req.mtu !== null) o.mtu = req.mtu;
  if (req.address !== null) o.mac = macFromBytes(req.address);
  return addVxlan(ns, req.name!, { ...o, vni, dstPort: dstPort === null || dstPort === 0 ? undefined : dstPort });
}
