/**
 * `bridge fdb add|append|replace|del|show` (iproute2 6.1's bridge/fdb.c and the kernel's
 * rtnl_fdb_add/rtnl_fdb_del). Facts from this machine:
 * - Neither `self` nor `master`: `self`; no state word: `permanent`. `master` goes to the
 *   bridge a port belongs to, `self` to the device's own FDB (a bridge's, a VXLAN device's)
 *   or, for a veth, its unicast address list (shown `self permanent`). `master` on a device
 *   that is no port, and any `master` on a VXLAN device, is `Operation not supported`.
 * - Messages: `Device and address are required arguments.`, `Invalid mac address X`,
 *   `Cannot find device "X"`; `show br X` with no such device `Cannot find bridge device "X"`,
 *   with a device that is no bridge prints nothing. `show` ignores words it does not know.
 */
import { NetlinkError } from '../../netns/namespace.js';
import type { NetDevice } from '../../netns/device.js';
import { BridgeDevice, bridgePortOf } from '../../bridge/bridge.js';
import type { FdbAddMode, FdbUserState } from '../../bridge/fdb.js';
import { bridgeFdbShow } from '../../bridge/print.js';
import { addSelfEntry, deleteSelfEntry, hasSelfEntries } from '../../bridge/self-entries.js';
import { isMulticastMac } from '../../bridge/fdb.js';
import { VxlanDevice } from '../../vxlan/vxlan.js';
import { ArgReader, IpExit, duparg2, getAddr, invarg, matches, nodev, unsupported } from '../ip/args.js';
import type { BridgeCall } from './call.js';

const EOPNOTSUPP = 'RTNETLINK answers: Operation not supported';
const EINVAL = 'RTNETLINK answers: Invalid argument';

/** `bridge fdb [COMMAND …]` */
export function doFdb(call: BridgeCall, argv: string[]): void {
  const sub = argv[0];
  const args = new ArgReader(argv.slice(1));
  if (sub === undefined) return fdbShow(call, args);
  if (matches(sub, 'add')) return fdbModify(call, args, 'add');
  if (matches(sub, 'append')) return fdbModify(call, args, 'append');
  if (matches(sub, 'replace')) return fdbModify(call, args, 'replace');
  if (matches(sub, 'delete')) return fdbModify(call, args, 'del');
  if (matches(sub, 'get') || matches(sub, 'flush')) unsupported(`bridge fdb ${sub}`);
  if (matches(sub, 'show') || matches(sub, 'lst') || matches(sub, 'list')) return fdbShow(call, args);
  if (matches(sub, 'help')) unsupported('bridge fdb help (usage text)');
  throw new IpExit(`Command "${sub}" is unknown, try "bridge fdb help".\n`);
}

/** What one `bridge fdb add|append|replace|del` asked for. */
interface FdbRequest {
  dev: NetDevice;
  mac: number;
  self: boolean;
  master: boolean;
  state: FdbUserState;
  sticky: boolean;
  dst: number;
  port: number | undefined;
  vni: number | undefined;
  via: number | undefined;
}

/** sscanf("%hhx:%hhx:%hhx:%hhx:%hhx:%hhx"): six hex fields, each kept to its low byte; trailing text is ignored. */
function parseMac(text: string): number | null {
  const m = /^(?:\s*[+-]?(?:0[xX])?[0-9a-fA-F]+:){5}\s*[+-]?(?:0[xX])?[0-9a-fA-F]+/.exec(text);
  if (m === null) return null;
  return m[0].split(':').reduce((acc, f) => acc * 256 + (parseInt(f.trim().replace(/^[+-]?(0[xX])?/, ''), 16) & 0xff), 0);
}

/** fdb_modify's argument loop and checks, in its order. */
function parseFdbRequest(call: BridgeCall, args: ArgReader): FdbRequest {
  let devName: string | null = null;
  let addr: string | null = null;
  let dst: number | null = null;
  let port: number | undefined;
  let vni: number | undefined;
  let via: number | undefined;
  let self = false;
  let master = false;
  let permanent = false;
  let isStatic = false;
  let dynamic = false;
  let sticky = false;
  while (!args.done) {
    const arg = args.take();
    if (arg === 'dev') devName = args.value();
    else if (arg === 'dst') {
      const v = args.value();
      if (dst !== null) duparg2('dst', v);
      dst = getAddr(v, 'any valid').addr;
    } else if (arg === 'port') {
      const v = args.value();
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n <= 0xffff)) invarg('invalid port\n', v);
      port = n;
    } else if (arg === 'vni') {
      const v = args.value();
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n < 1 << 24)) invarg('invalid VNI\n', v);
      vni = n;
    } else if (arg === 'via') {
      const v = args.value();
      const d = call.ns.device(v);
      if (d === undefined) nodev(v);
      via = d.ifindex;
    } else if (arg === 'self') self = true;
    else if (matches(arg, 'master')) master = true;
    else if (matches(arg, 'local') || matches(arg, 'permanent')) permanent = true;
    else if (matches(arg, 'temp') || matches(arg, 'static')) isStatic = true;
    else if (matches(arg, 'dynamic')) dynamic = true;
    else if (matches(arg, 'sticky')) sticky = true;
    else if (['nhid', 'src_vni'].includes(arg) || ['router', 'vlan', 'use', 'extern_learn'].some((w) => matches(arg, w))) unsupported(`bridge fdb option "${arg}"`);
    else {
      const v = arg === 'to' ? args.value() : arg;
      if (matches(v, 'help')) unsupported('bridge fdb help (usage text)');
      if (addr !== null) duparg2('to', v);
      addr = v;
    }
  }
  if (devName === null || addr === null) throw new IpExit('Device and address are required arguments.\n');
  const mac = parseMac(addr);
  if (mac === null) throw new IpExit(`Invalid mac address ${addr}\n`);
  const dev = call.ns.device(devName);
  if (dev === undefined) nodev(devName);
  const state: FdbUserState = permanent ? 'permanent' : isStatic ? 'static' : dynamic ? 'dynamic' : 'permanent';
  return { dev, mac, self: self || !master, master, state, sticky, dst: dst ?? 0, port, vni, via };
}

function fdbModify(call: BridgeCall, args: ArgReader, mode: FdbAddMode | 'del'): void {
  const req = parseFdbRequest(call, args);
  let err: string | null = EOPNOTSUPP;
  const port = bridgePortOf(req.dev);
  if (req.master && port !== null) {
    const br = port.bridge;
    br.syncSettings();
    err = mode === 'del' ? br.fdb.userDelete(req.mac, port) : br.fdb.userAdd(req.mac, port, req.state, req.sticky, mode);
    if (err !== null) throw new NetlinkError(err);
  }
  if (req.self) err = mode === 'del' ? selfDelete(req) : selfAdd(req, mode);
  if (err !== null) throw new NetlinkError(err);
}

/** The device's own ndo_fdb_add: a bridge's FDB, a VXLAN device's, or the default (the unicast list). */
function selfAdd(req: FdbRequest, mode: FdbAddMode): string | null {
  const dev = req.dev;
  if (dev instanceof BridgeDevice) {
    dev.syncSettings();
    return dev.fdb.userAdd(req.mac, null, req.state, req.sticky, mode);
  }
  if (dev instanceof VxlanDevice) {
    if (req.state === 'dynamic' || req.sticky) unsupported(`bridge fdb "${req.state === 'dynamic' ? 'dynamic' : 'sticky'}" on a VXLAN device`);
    return dev.fdbUpdate(req.mac, req.dst, mode, { port: req.port, vni: req.vni, ifindex: req.via, static: req.state === 'static' });
  }
  if (!hasSelfEntries(dev)) unsupported(`bridge fdb "self" on a ${dev.kind} device`);
  // ndo_dflt_fdb_add: local addresses only; an existing one is an error only for `add` (NLM_F_EXCL).
  if (req.state !== 'permanent') return EINVAL;
  if (isMulticastMac(req.mac)) unsupported('bridge fdb of a multicast address on a device (its multicast list)');
  const err = addSelfEntry(dev, req.mac);
  return err !== null && mode !== 'add' ? null : err;
}

/** The device's own ndo_fdb_del. */
function selfDelete(req: FdbRequest): string | null {
  const dev = req.dev;
  if (dev instanceof BridgeDevice) {
    dev.syncSettings();
    return dev.fdb.userDelete(req.mac, null);
  }
  if (dev instanceof VxlanDevice) return dev.fdbDelete(req.mac, req.dst);
  if (!hasSelfEntries(dev)) unsupported(`bridge fdb "self" on a ${dev.kind} device`);
  if (req.state !== 'permanent') return EINVAL;
  return deleteSelfEntry(dev, req.mac);
}

/** `bridge fdb show [br BRIDGE] [dev|brport DEV]` */
function fdbShow(call: BridgeCall, args: ArgReader): void {
  let brName: string | null = null;
  let devName: string | null = null;
  while (!args.done) {
    const arg = args.take();
    if (arg === 'brport' || arg === 'dev') devName = args.value();
    else if (arg === 'br') brName = args.value();
    else if (arg === 'vlan' || arg === 'state' || arg === 'dynamic') unsupported(`bridge fdb show "${arg}"`);
    else if (matches(arg, 'help')) unsupported('bridge fdb help (usage text)');
    // anything else is ignored by the tool
  }
  let br: NetDevice | null = null;
  if (brName !== null) {
    br = call.ns.device(brName) ?? null;
    if (br === null) throw new IpExit(`Cannot find bridge device "${brName}"\n`);
  }
  let dev: NetDevice | null = null;
  if (devName !== null) {
    dev = call.ns.device(devName) ?? null;
    if (dev === null) nodev(devName);
  }
  call.out(bridgeFdbShow(call.ns, { br, dev }));
}
