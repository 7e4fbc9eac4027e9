import type { IpsetLookup } from '../iptables/match-eval.js';
import type { NetNamespace } from '../netns/namespace.js';
import type { Packet } from '../packet/packet.js';
import { ipsetOf } from './ipset.js';
import type { MatchFlags } from './set.js';

/** A rule's direction list turned into the flags a set test takes, once per rule (the list object is the rule's own). */
const flagsOf = new WeakMap<readonly ('src' | 'dst')[], MatchFlags>();

function flags(dirs: readonly ('src' | 'dst')[]): MatchFlags {
  let f = flagsOf.get(dirs);
  if (f === undefined) {
    let src = 0;
    for (let i = 0; i < dirs.length; i++) if (dirs[i] === 'src') src |= 1 << i;
    f = { dim: dirs.length, src };
    flagsOf.set(dirs, f);
  }
  return f;
}

/** The ipset backend of iptables' `-m set --match-set NAME DIRS`: the namespace's sets, tested as ip_set_test does. */
export const ipsetMatchBackend: IpsetLookup = {
  exists(ns: NetNamespace, set: string): boolean {
    return ipsetOf(ns).indexOf(set) >= 0;
  },
  test(ns: NetNamespace, set: string, p: Packet, dirs: readonly ('src' | 'dst')[]): boolean {
    return ipsetOf(ns).match(set, p, flags(dirs));
  },
};
