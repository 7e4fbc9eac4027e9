/**
 * `ip netns`: add, delete, list, exec. Facts from this machine (a tmpfs on /run/netns):
 * - `ip netns list` prints the newest namespace first, with ` (id: N)` when the namespace
 *   running the command has an id for it (see nsid.ts).
 * - Deleting a namespace destroys its virtual devices; a veth's peer in another namespace
 *   goes with it.
 * - Errors: `Cannot create namespace file "/run/netns/a": File exists`,
 *   `Cannot remove namespace file "/run/netns/a": No such file or directory`,
 *   `Cannot open network namespace "a": No such file or directory`.
 */
import type { NetNamespace } from '../../netns/namespace.js';
import type { Network } from '../../netns/network.js';
import { IpExit, matches, unsupported, type IpCall } from './args.js';
import { forgetNetns, peerNetId } from './nsid.js';

/** invalid_name: empty, too long for a file name, containing `/`, or `.`/`..`. */
function invalidName(name: string): boolean {
  return name.length === 0 || name.length > 255 || name.includes('/') || name === '.' || name === '..';
}

/** The namespace `ip -n NAME` and `ip netns exec NAME` switch to, or the tool's complaint. */
export function openNetns(net: Network, name: string): NetNamespace {
  const ns = net.namespaces.get(name);
  if (ns === undefined) throw new IpExit(`Cannot open network namespace "${name}": No such file or directory\n`);
  return ns;
}

/** `ip netns [list|add|delete|exec] …` */
export function doNetns(call: IpCall, argv: string[]): void {
  const sub = argv[0];
  if (sub === undefined) return listNetns(call);
  if (argv.length > 1 && invalidName(argv[1]!)) throw new IpExit(`Invalid netns name "${argv[1]}"\n`);
  if (matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) return listNetns(call);
  if (matches(sub, 'list-id') || matches(sub, 'help') || matches(sub, 'set') || matches(sub, 'identify') || matches(sub, 'pids') || matches(sub, 'monitor'))
    unsupported(`ip netns ${sub}`);
  if (matches(sub, 'add')) return addNetns(call, argv[1]);
  if (matches(sub, 'delete')) return deleteNetns(call, argv[1]);
  if (matches(sub, 'exec')) return execNetns(call, argv.slice(1));
  if (matches(sub, 'attach')) unsupported('ip netns attach');
  throw new IpExit(`Command "${sub}" is unknown, try "ip netns help".\n`);
}

function listNetns(call: IpCall): void {
  const net = call.ctx.net;
  let out = '';
  for (const [name, ns] of [...net.namespaces].reverse()) {
    const id = peerNetId(call.ctx.ns, ns);
    out += id === undefined ? `${name}\n` : `${name} (id: ${id})\n`;
  }
  call.ctx.out(out);
}

function addNetns(call: IpCall, name: string | undefined): void {
  if (name === undefined) throw new IpExit('No netns name specified\n');
  if (call.ctx.net.addNamespace(name) === null) throw new IpExit(`Cannot create namespace file "/run/netns/${name}": File exists\n`);
}

function deleteNetns(call: IpCall, name: string | undefined): void {
  if (name === undefined) throw new IpExit('No netns name specified\n');
  const net = call.ctx.net;
  const ns = net.namespaces.get(name);
  if (ns === undefined) throw new IpExit(`Cannot remove namespace file "/run/netns/${name}": No such file or directory\n`);
  // Nothing else holds the namespace, so it dies: its devices are unregistered (a veth takes its peer along).
  for (const dev of ns.deviceList().reverse()) if (dev !== ns.lo && ns.devices.get(dev.name) === dev) ns.deleteDevice(dev);
  net.namespaces.delete(name);
  forgetNetns(net, ns);
}

function execNetns(call: IpCall, argv: string[]): void {
  if (argv.length < 1) throw new IpExit('No netns name specified\n');
  if (argv.length < 2) throw new IpExit('No command specified\n');
  const ns = openNetns(call.ctx.net, argv[0]!);
  call.ctx.exec(ns, argv.slice(1), call.cmd);
}
