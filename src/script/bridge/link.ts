/**
 * `bridge link [show] [dev DEV]` and `bridge link set dev DEV FLAG on|off…` (iproute2 6.1's
 * bridge/link.c). `show` of a device that is no port prints nothing, and words other than
 * `dev NAME` are skipped (`bridge link show nosuch` lists every port); `set` on one answers
 * `RTNETLINK answers: Operation not supported`, on a missing one
 * `Cannot find bridge device "X"`.
 */
import { bridgeLinkShow } from '../../bridge/print.js';
import { ArgReader, IpExit, matches, nodev, unsupported } from '../ip/args.js';
import { applyPortFlags, parsePortFlags } from './link-kinds.js';
import type { BridgeCall } from './call.js';

/** `bridge link [COMMAND …]` */
export function doBridgeLink(call: BridgeCall, argv: string[]): void {
  const sub = argv[0];
  const args = new ArgReader(argv.slice(1));
  if (sub === undefined) return linkShow(call, args);
  if (matches(sub, 'set') || matches(sub, 'change')) return linkSet(call, args);
  if (matches(sub, 'show') || matches(sub, 'lst') || matches(sub, 'list')) return linkShow(call, args);
  if (matches(sub, 'help')) unsupported('bridge link help (usage text)');
  throw new IpExit(`Command "${sub}" is unknown, try "bridge link help".\n`);
}

function linkShow(call: BridgeCall, args: ArgReader): void {
  // brlink_show reads `dev NAME` and skips every other word.
  let devName: string | null = null;
  while (!args.done) if (args.take() === 'dev') devName = args.value();
  let only = null;
  if (devName !== null) {
    only = call.ns.device(devName) ?? null;
    if (only === null) nodev(devName);
  }
  call.out(bridgeLinkShow(call.ns, only));
}

/** `bridge link set dev DEV [hairpin|learning|flood|mcast_flood|bcast_flood on|off]…` */
function linkSet(call: BridgeCall, args: ArgReader): void {
  const words: string[] = [];
  let devName: string | null = null;
  while (!args.done) {
    const arg = args.take();
    if (arg === 'dev') devName = args.value();
    else if (arg === 'self' || arg === 'master') unsupported(`bridge link set "${arg}"`);
    else {
      words.push(arg);
      if (!args.done) words.push(args.take());
    }
  }
  const flags = parsePortFlags(new ArgReader(words), 'bridge link set');
  if (devName === null) throw new IpExit('Device is a required argument.\n');
  const dev = call.ns.device(devName);
  if (dev === undefined) throw new IpExit(`Cannot find bridge device "${devName}"\n`);
  applyPortFlags(dev, flags);
}
