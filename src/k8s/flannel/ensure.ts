/**
 * flanneld's iptables upkeep (SetupAndEnsureIP4Tables): the masquerade rules are checked
 * every 60 s and the forward rules every 50 s; when any is missing, flannel puts its chains
 * back whole (and the jump into them where it is gone) with iptables-restore --noflush.
 */
import type { NetNamespace } from '../../netns/namespace.js';
import { xtablesOf } from '../../iptables/ruleset.js';
import type { Scheduler } from '../../sim/scheduler.js';
import { CallbackTimer } from '../../sim/timer.js';
import { SEC } from '../../sim/time.js';
import { applyRestore } from '../proxy/iptables/apply.js';
import { FLANNEL_CHAINS, flannelRestoreText } from './iptables.js';

/** flannel's resync periods for the masquerade and the forward rules. */
export const FLANNEL_MASQ_RESYNC = 60 * SEC;
export const FLANNEL_FWD_RESYNC = 50 * SEC;

type Net = { addr: number; prefixLen: number };

/** Whether `table` still has flannel's chain with all its rules and the jump into it. */
function chainState(ns: NetNamespace, table: 'nat' | 'filter'): { jump: boolean; complete: boolean } {
  const [builtin, chain, count] = FLANNEL_CHAINS[table];
  const t = xtablesOf(ns).nft.tables.get(table);
  const jump = t?.chains.get(builtin)?.rules.some((r) => r.target !== null && 'chain' in r.target && r.target.chain === chain) ?? false;
  const own = t?.chains.get(chain);
  return { jump, complete: jump && own !== undefined && own.rules.length === count };
}

/** Loads flannel's rules on a node and keeps them there. */
export function startFlannelIptables(ns: NetNamespace, sched: Scheduler<unknown>, network: Net, subnet: Net): void {
  applyRestore(ns, flannelRestoreText(network, subnet));
  const ensure = (table: 'nat' | 'filter'): void => {
    const s = chainState(ns, table);
    if (s.complete) return;
    const text = flannelRestoreText(network, subnet, { nat: table === 'nat' && !s.jump, filter: table === 'filter' && !s.jump });
    // Only the table that needs it: the other's section re-creates a complete chain harmlessly, but flannel's loops are per table.
    applyRestore(ns, text.slice(table === 'nat' ? 0 : text.indexOf('*filter'), table === 'nat' ? text.indexOf('*filter') : undefined));
  };
  const masq = new CallbackTimer(true, () => {
    ensure('nat');
    sched.arm(masq, FLANNEL_MASQ_RESYNC);
  });
  const fwd = new CallbackTimer(true, () => {
    ensure('filter');
    sched.arm(fwd, FLANNEL_FWD_RESYNC);
  });
  sched.arm(masq, FLANNEL_MASQ_RESYNC);
  sched.arm(fwd, FLANNEL_FWD_RESYNC);
}
