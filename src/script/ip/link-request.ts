/**
 * iproute2's iplink_parse: the options of `ip link add|set|delete` (and of a veth's `peer`
 * section) up to `type KIND`, with its keyword order, abbreviations and messages. Options
 * iproute2 knows that dpsim does not model stop the scenario.
 */
import type { NetDevice } from '../../netns/device.js';
import type { NetNamespace } from '../../netns/namespace.js';
import {
  ArgReader,
  IpExit,
  duparg,
  duparg2,
  helpWord,
  invarg,
  matches,
  onOff,
  parseInteger,
  parseLladdr,
  unsupported,
  validAltIfname,
  validIfname,
  type IpCall,
} from './args.js';

/** What one `ip link add|set|del` asked for (iplink_parse's request). */
export interface LinkRequest {
  /** The device named by `dev NAME` or a bare word. */
  dev: string | null;
  /** `name NAME`: the new name (on set) or the name (on add). */
  name: string | null;
  up: boolean | null;
  mtu: number | null;
  /** Link-layer address bytes. */
  address: number[] | null;
  qlen: number | null;
  netns: NetNamespace | null;
  /** `master DEV` (a device) or `nomaster` (null); undefined when not given. */
  master?: NetDevice | null;
  /** `type KIND` and the words after it. */
  type: string | null;
  typeArgs: string[];
}

/** Keywords iproute2 accepts that dpsim does not model, with whether they take an on/off value. */
const ON_OFF_KEYWORDS = new Set(['multicast', 'allmulticast', 'promisc', 'trailers', 'arp', 'carrier', 'protodown']);
const UNMODELLED_EXACT = new Set([
  'index', 'xdp', 'xdpgeneric', 'xdpdrv', 'xdpoffload', 'vf', 'vrf', 'group', 'mode', 'state', 'protodown_reason',
  'gso_max_size', 'gso_max_segs', 'gro_max_size', 'parentdev', 'brd',
]);
const UNMODELLED_PREFIX = ['link', 'broadcast', 'alias', 'numtxqueues', 'numrxqueues', 'addrgenmode', 'link-netnsid', 'link-netns'];

/** iplink_parse: reads options until `type`; `create` for `ip link add` (and a veth's peer section). */
export function parseLinkRequest(call: IpCall, args: ArgReader, create: boolean): LinkRequest {
  const req: LinkRequest = { dev: null, name: null, up: null, mtu: null, address: null, qlen: null, netns: null, type: null, typeArgs: [] };
  let devFromName = false; // iproute2 compares its dev and name pointers: a second device word is an error unless dev came from `name`
  while (!args.done) {
    const arg = args.take();
    if (arg === 'up' || arg === 'down') {
      req.up = arg === 'up';
    } else if (arg === 'name') {
      const v = args.value();
      if (req.name !== null) duparg('name', v);
      if (!validIfname(v)) invarg('"name" not a valid ifname', v);
      req.name = v;
      if (req.dev === null) {
        req.dev = v;
        devFromName = true;
      }
    } else if (matches(arg, 'address')) {
      req.address = parseLladdr(args.value());
    } else if (matches(arg, 'txqueuelen') || arg === 'qlen' || matches(arg, 'txqlen')) {
      const v = args.value();
      if (req.qlen !== null) duparg('txqueuelen', v);
      const n = parseInteger(v);
      if (n === null) invarg('Invalid "txqueuelen" value\n', v);
      req.qlen = n;
    } else if (arg === 'mtu') {
      const v = args.value();
      if (req.mtu !== null) duparg('mtu', v);
      const n = parseInteger(v);
      if (n === null) invarg('Invalid "mtu" value\n', v);
      req.mtu = n;
    } else if (arg === 'netns') {
      const v = args.value();
      if (req.netns !== null) duparg('netns', v);
      const target = call.ctx.net.namespaces.get(v);
      if (target !== undefined) req.netns = target;
      else if (parseInteger(v) !== null) unsupported('"netns PID" (a namespace by process id)');
      else invarg('Invalid "netns" value\n', v);
    } else if (matches(arg, 'master')) {
      const v = args.value();
      const master = call.ctx.ns.device(v);
      if (master === undefined) invarg('Device does not exist\n', v);
      req.master = master;
    } else if (matches(arg, 'nomaster')) {
      req.master = null;
    } else if (ON_OFF_KEYWORDS.has(arg) || matches(arg, 'dynamic')) {
      const v = args.value();
      if (v !== 'on' && v !== 'off') onOff(ON_OFF_KEYWORDS.has(arg) ? arg : 'dynamic', v);
      unsupported(`ip link "${arg} ${v}"`);
    } else if (UNMODELLED_EXACT.has(arg) || UNMODELLED_PREFIX.some((w) => matches(arg, w))) {
      unsupported(`ip link option "${arg}"`);
    } else if (matches(arg, 'type')) {
      req.type = args.value();
      req.typeArgs = args.rest();
      break;
    } else {
      if (matches(arg, 'help')) helpWord('link', arg);
      const v = arg === 'dev' ? args.value() : arg;
      if (req.dev !== null && !devFromName) duparg2('dev', v);
      if (!validAltIfname(v)) invarg('"dev" not a valid ifname', v);
      req.dev = v;
      devFromName = false;
    }
  }
  if (req.name === null) req.name = req.dev;
  else if (req.dev === null) req.dev = req.name;
  if (create && req.name !== req.dev) throw new IpExit('both "name" and "dev" cannot be used when creating devices.\n');
  return req;
}

