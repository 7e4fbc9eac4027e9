/**
 * The iptables proxier driving a dpsim node: generates from the current snapshot, charges
 * the modelled kernel restore time, and loads through the node's iptables (apply.ts).
 */

import type { NetNamespace } from '../../../netns/namespace.js';
import type { TableName } from '../../../iptables/model.js';
import { MS } from '../../../sim/time.js';
import { restoreCostOfCounts } from '../restore-cost.js';
import type { ProxySnapshot } from '../service-ports.js';
import type { ProxyBackend, SyncWork } from '../sync-loop.js';
import { applyRestore, chainExists, ensureChain, ensureJumps, RestoreError, tableChains } from './apply.js';
import { KUBE_PROXY_CANARY } from './chain-names.js';
import { IptablesProxier, type IptablesSyncResult } from './proxier.js';

const CANARY_TABLES: readonly TableName[] = ['mangle', 'nat', 'filter'];

/** A node's iptables kube-proxy backend. */
export class IptablesBackend implements ProxyBackend {
  readonly canaryTables = CANARY_TABLES.length;
  /** The last generated sync and the last load error, for inspection. */
  last: IptablesSyncResult | null = null;
  lastError: string | null = null;

  constructor(
    readonly ns: NetNamespace,
    readonly proxier: IptablesProxier,
    /** The objects as the informers hold them now. */
    private readonly snapshot: () => ProxySnapshot,
    readonly flavour: 'nft' | 'legacy' = 'nft',
  ) {}

  sync(full: boolean): SyncWork {
    const r = this.proxier.sync(this.snapshot(), {
      full,
      existingNatChains: tableChains(this.ns, 'nat', this.flavour),
      nowMs: this.ns.net.now / MS,
    });
    this.last = r;
    return {
      // The proxier counted the text's chain and rule lines as it wrote them (= countRestoreLines(r.text)).
      kernelNs: restoreCostOfCounts(r.stats.filterChains + r.stats.natChains, r.stats.filterRules + r.stats.natRules, this.flavour),
      full: r.full,
      commit: () => {
        try {
          if (r.jumps.length > 0) ensureJumps(this.ns, r.jumps, this.flavour);
          applyRestore(this.ns, r.text, this.flavour);
          this.lastError = null;
          return true;
        } catch (e) {
          if (!(e instanceof RestoreError)) throw e;
          this.lastError = e.message;
          this.proxier.syncFailed();
          return false;
        }
      },
    };
  }

  ensureCanary(): void {
    for (const t of CANARY_TABLES) ensureChain(this.ns, t, KUBE_PROXY_CANARY, this.flavour);
  }

  canaryPresent(index: number): boolean {
    return chainExists(this.ns, CANARY_TABLES[index]!, KUBE_PROXY_CANARY, this.flavour);
  }
}
