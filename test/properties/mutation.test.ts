/**
 * Mutation check (issue #8): break dpsim on purpose, in memory, and show the property
 * functions failing on the mutant while they pass on the original.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { xtablesOf } from '../../src/iptables/ruleset.js';
import { tableChanged } from '../../src/iptables/model.js';
import type { StatisticMatch } from '../../src/iptables/matches.js';
import { Conntrack } from '../../src/conntrack/conntrack.js';
import { IPS_DST_NAT } from '../../src/conntrack/conn.js';
import type { ClusterSpec } from './cluster-spec.js';
import { buildWorld, type Access } from './world.js';
import { checkExactShares, checkMasquerade, checkReplyUnNat, connectAndCheck } from './properties.js';

const SPEC: ClusterSpec = {
  nodes: 2,
  services: [{ proto: 'TCP', namedTarget: false, nodePort: false, externalIP: false, affinity: false, internalLocal: false, externalLocal: false, pods: [{ node: 0, state: 'ready' }, { node: 1, state: 'ready' }, { node: 1, state: 'ready' }] }],
};
const ACCESS: Access = { svc: 0, client: 'pod', clientNode: 0, kind: 'clusterIP', target: 0 };

const restore: (() => void)[] = [];
afterEach(() => {
  while (restore.length > 0) restore.pop()!();
});

describe('mutation check: the properties catch a broken dpsim', () => {
  test('a wrong statistic probability in the loaded nat table fails property 5 (exact shares)', () => {
    expect(checkExactShares(buildWorld(SPEC, 'iptables', 3), ACCESS)).toBeNull();
    const w = buildWorld(SPEC, 'iptables', 3);
    const nat = xtablesOf(w.cluster.machines.nodes[0]!.ns).nft.table('nat');
    let mutated = 0;
    for (const chain of nat.chains.values()) {
      for (const rule of chain.rules) {
        const m = rule.matches.find((x) => x.name === 'statistic') as StatisticMatch | undefined;
        if (m !== undefined && mutated === 0) {
          m.probability = Math.floor(m.probability / 2);
          mutated++;
        }
      }
    }
    tableChanged(nat);
    expect(mutated).toBe(1);
    expect(checkExactShares(w, ACCESS)).toMatch(/gets .*, not 1\/3|differ from iptables' rounding/);
  });

  test('a conntrack entry that loses its DNAT binding (no reply un-NAT) fails property 2', () => {
    expect(connectAndCheck(buildWorld(SPEC, 'iptables', 3), ACCESS, checkReplyUnNat)).toBeNull();
    const w = buildWorld(SPEC, 'iptables', 3);
    const original = Conntrack.prototype.confirm;
    Conntrack.prototype.confirm = function (this: Conntrack, p) {
      const verdict = original.call(this, p);
      const conn = this.connOf(p);
      if (conn !== null) conn.status &= ~IPS_DST_NAT;
      return verdict;
    };
    restore.push(() => {
      Conntrack.prototype.confirm = original;
    });
    expect(connectAndCheck(w, ACCESS, checkReplyUnNat)).toMatch(/frames from another address|never got its answer/);
  });

  test('a masquerade mark kube-proxy does not clear fails property 7 (the VXLAN datagram is masqueraded too)', () => {
    // External client → NodePort on node0 → the only endpoint, on node1. kube-proxy marks the
    // connection, and KUBE-POSTROUTING clears the mark (--xor-mark) before it masquerades: the
    // VXLAN datagram that carries the packet to node1 inherits the packet's mark, and must not be
    // masqueraded itself. The mutant loses the clearing rule.
    const spec: ClusterSpec = {
      nodes: 2,
      services: [{ proto: 'TCP', namedTarget: false, nodePort: true, externalIP: false, affinity: false, internalLocal: false, externalLocal: false, pods: [{ node: 1, state: 'ready' }] }],
    };
    const access: Access = { svc: 0, client: 'external', clientNode: 0, kind: 'nodePort', target: 0 };
    expect(connectAndCheck(buildWorld(spec, 'iptables', 3), access, checkMasquerade)).toBeNull();
    const w = buildWorld(spec, 'iptables', 3);
    const nat = xtablesOf(w.cluster.machines.nodes[0]!.ns).nft.table('nat');
    const post = nat.chains.get('KUBE-POSTROUTING')!;
    const clearing = post.rules.findIndex((r) => r.target !== null && r.target.name === 'MARK');
    expect(clearing).toBeGreaterThanOrEqual(0);
    post.rules.splice(clearing, 1);
    tableChanged(nat);
    expect(connectAndCheck(w, access, checkMasquerade)).toMatch(/masqueraded flannel's VXLAN datagram/);
  });
});
