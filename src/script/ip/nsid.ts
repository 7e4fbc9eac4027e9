/**
 * Network namespace ids (netnsid): the number one namespace knows another by, as `ip link`
 * prints it (`link-netnsid 0`) when the peer namespace has no name, and `ip netns list` shows
 * it (`a (id: 0)`). The kernel allocates them lazily and per observing namespace
 * (peernet2id_alloc: the smallest free id from 0), whenever it first has to tell a
 * namespace about a device whose link is in another one: on creating a veth pair across
 * namespaces (in the first end's namespace), on moving a device (the old namespace learns
 * the new one's id; the new one the id of the device's peer's namespace), on link changes and
 * on every `ip link`/`ip addr` dump.
 *
 * This is kernel state and belongs in src/netns (NetNamespace); it lives here until it moves.
 */
import type { NetNamespace } from '../../netns/namespace.js';
import type { Network } from '../../netns/network.js';

const idsByObserver = new WeakMap<NetNamespace, Map<NetNamespace, number>>();

function idsOf(ns: NetNamespace): Map<NetNamespace, number> {
  let m = idsByObserver.get(ns);
  if (m === undefined) {
    m = new Map();
    idsByObserver.set(ns, m);
  }
  return m;
}

/** The id `ns` knows `peer` by, or undefined (peernet2id). */
export function peerNetId(ns: NetNamespace, peer: NetNamespace): number | undefined {
  return idsByObserver.get(ns)?.get(peer);
}

/** The id `ns` knows `peer` by, allocating the smallest free one (peernet2id_alloc); nothing for `ns` itself. */
export function allocPeerNetId(ns: NetNamespace, peer: NetNamespace): number | undefined {
  if (ns === peer) return undefined;
  const ids = idsOf(ns);
  const known = ids.get(peer);
  if (known !== undefined) return known;
  const used = new Set(ids.values());
  let id = 0;
  while (used.has(id)) id++;
  ids.set(peer, id);
  return id;
}

/** Every id `ns` has allocated, smallest first (`ip netns list-id`). */
export function peerNetIds(ns: NetNamespace): [NetNamespace, number][] {
  return [...(idsByObserver.get(ns) ?? new Map<NetNamespace, number>()).entries()].sort((a, b) => a[1] - b[1]);
}

/** A namespace went away: nobody knows it by an id any more. */
export function forgetNetns(net: Network, gone: NetNamespace): void {
  idsByObserver.delete(gone);
  for (const ns of [net.root, ...net.namespaces.values()]) idsByObserver.get(ns)?.delete(gone);
}

/** The name `ip netns` knows a namespace by, or null for the unnamed one the script started in. */
export function netnsName(net: Network, ns: NetNamespace): string | null {
  for (const [name, n] of net.namespaces) if (n === ns) return name;
  return null;
}
