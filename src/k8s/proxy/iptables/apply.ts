/**
 * How kube-proxy's rules reach a dpsim node: through the node's own iptables tools, exactly
 * as the scenario commands `iptables-restore --noflush`, `iptables -N` and `iptables -C … ||
 * iptables -I …` do (utiliptables EnsureChain / EnsureRule Prepend), on the nft rule set
 * that plain `iptables` uses (iptables 1.8.9 defaults to nf_tables).
 */

import type { NetNamespace } from '../../../netns/namespace.js';
import { KernelError } from '../../../iptables/errors.js';
import { cloneTable, type TableName } from '../../../iptables/model.js';
import { applyCommand, restore } from '../../../iptables/restore.js';
import { parseCommandLine } from '../../../iptables/rule-parse.js';
import { validateTable, xtablesOf, type Xtables } from '../../../iptables/ruleset.js';
import type { JumpRule } from './proxier.js';

/** iptables-restore refused the text; the message is what the tool printed. */
export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreError';
  }
}

function rules(ns: NetNamespace, flavour: 'nft' | 'legacy'): Xtables {
  const s = xtablesOf(ns);
  return flavour === 'legacy' ? s.legacy : s.nft;
}

/** `iptables-restore --noflush < text` in `ns`. Throws RestoreError with the tool's message when it fails. */
export function applyRestore(ns: NetNamespace, text: string, flavour: 'nft' | 'legacy' = 'nft'): void {
  const program = flavour === 'legacy' ? 'iptables-legacy-restore' : 'iptables-restore';
  const r = restore(rules(ns, flavour), text, { program, noflush: true, counters: false, table: null });
  if (r.status !== 0) throw new RestoreError(r.output.trimEnd() || `${program} failed with status ${r.status}`);
}

/** Runs one `iptables -t TABLE …` command on a copy of the table and installs it if the kernel would accept it. */
function iptables(ns: NetNamespace, flavour: 'nft' | 'legacy', table: TableName, argv: readonly string[]): void {
  const x = rules(ns, flavour);
  const pc = parseCommandLine(['-t', table, ...argv], { flavour, table: 'filter' });
  if (pc.command === 'C') {
    // A check only reads: no copy of the (possibly 640,000-rule) table to throw away.
    applyCommand(x.table(table), pc.command, pc.chain, pc.index, pc.extra, pc.rule, flavour);
    return;
  }
  const t = cloneTable(x.table(table));
  applyCommand(t, pc.command!, pc.chain, pc.index, pc.extra, pc.rule, flavour);
  const fault = validateTable(t);
  if (fault !== null) throw new RestoreError(`iptables -t ${table} ${argv.join(' ')}: ${fault.legacyMessage}`);
  x.install(t);
}

/** Whether chain `chain` exists in `table` (`iptables -t TABLE -S CHAIN` succeeds). */
export function chainExists(ns: NetNamespace, table: TableName, chain: string, flavour: 'nft' | 'legacy' = 'nft'): boolean {
  const t = rules(ns, flavour).tables.get(table);
  return t !== undefined && t.chains.has(chain);
}

/** The chain names of `table` as iptables-save would list them. */
export function tableChains(ns: NetNamespace, table: TableName, flavour: 'nft' | 'legacy' = 'nft'): string[] {
  const t = rules(ns, flavour).tables.get(table);
  return t === undefined ? [] : [...t.chains.keys()];
}

/** EnsureChain: `iptables -t TABLE -N CHAIN` unless it exists. */
export function ensureChain(ns: NetNamespace, table: TableName, chain: string, flavour: 'nft' | 'legacy' = 'nft'): void {
  if (!chainExists(ns, table, chain, flavour)) iptables(ns, flavour, table, ['-N', chain]);
}

/** EnsureRule(Prepend): `iptables -C CHAIN ARGS || iptables -I CHAIN ARGS`. */
export function ensureRulePrepend(ns: NetNamespace, table: TableName, chain: string, args: readonly string[], flavour: 'nft' | 'legacy' = 'nft'): void {
  try {
    iptables(ns, flavour, table, ['-C', chain, ...args]);
    return;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
  }
  iptables(ns, flavour, table, ['-I', chain, ...args]);
}

/** Creates each jump's target chain and puts the jump at the top of its built-in chain (as a full sync does). */
export function ensureJumps(ns: NetNamespace, jumps: readonly JumpRule[], flavour: 'nft' | 'legacy' = 'nft'): void {
  for (const j of jumps) {
    ensureChain(ns, j.table, j.target, flavour);
    ensureRulePrepend(ns, j.table, j.chain, j.args, flavour);
  }
}
