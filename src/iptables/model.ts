/**
 * xtables rules as plain data: the tables of one namespace, their chains and rules, every
 * number a number (addresses as u32 with a u32 mask, ports, marks, the statistic match's
 * 31-bit fixed-point probability). Text exists only in the parser (rule-parse.ts) and the
 * printers (rule-format.ts, save.ts).
 */
import { ChainOverlay } from './chain-overlay.js';
import type { MatchData } from './matches.js';
import type { TargetData } from './targets.js';

/** The IPv4 tables dpsim models, in the order iptables-nft-save prints them (security is not modelled). */
export const TABLE_NAMES = ['mangle', 'raw', 'filter', 'nat'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** The built-in chains of each table, in hook order (as iptables-save lists them). */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Whether `name` is one of the modelled tables. */
export function isTableName(name: string): name is TableName {
  return (TABLE_NAMES as readonly string[]).includes(name);
}

/** Packet and byte counters of a rule or a built-in chain's policy. */
export interface Counters {
  packets: number;
  bytes: number;
}

/** Inversion bits of the rule's own fields (struct ipt_ip invflags). */
export const INV_VIA_IN = 0x01;
export const INV_VIA_OUT = 0x02;
export const INV_SRCIP = 0x08;
export const INV_DSTIP = 0x10;
export const INV_FRAG = 0x20;
export const INV_PROTO = 0x40;

/** One rule: the fixed IPv4 part (struct ipt_ip), its matches in order, its target and counters. */
export interface Rule {
  /** Source address, already masked, and its mask (0/0 = any). */
  src: number;
  srcMask: number;
  dst: number;
  dstMask: number;
  /** Interface names as written (a trailing `+` is a prefix wildcard); "" = any. */
  inIface: string;
  outIface: string;
  /** IP protocol number; 0 = any. */
  proto: number;
  /** `-f`: second and later fragments only. */
  fragment: boolean;
  /** INV_* bits. */
  invert: number;
  matches: MatchData[];
  /** null: no target (the rule only counts). */
  target: TargetData | null;
  counters: Counters;
}

/** A chain: built-in ones have a policy and policy counters; user chains have neither. */
export interface Chain {
  name: string;
  builtin: boolean;
  /** ACCEPT or DROP for built-in chains, null for user chains. */
  policy: 'ACCEPT' | 'DROP' | null;
  counters: Counters;
  rules: Rule[];
}

/** A table: its chains by name; built-ins first in hook order, then user chains in creation order. */
export interface Table {
  name: TableName;
  chains: Map<string, Chain>;
  /**
   * Bumped by every in-place change of the table's chains or rules (ruleset.ts, and the
   * COMMIT of an iptables-restore --noflush edit, which changes the installed table in
   * place), so a compiled form (compile/) and the table's facts (table-facts.ts) know they
   * are stale. Other restores and the iptables command install a new table.
   */
  generation: number;
  /**
   * The chains changed in place since generation `since` (an iptables-restore --noflush
   * commit notes what it replaced, created or deleted), so the compiled form patches just
   * those; absent or null: anything may have changed.
   */
  journal?: TableJournal | null;
}

/** See Table.journal. */
export interface TableJournal {
  since: number;
  names: Set<string>;
}

/** Marks `t` changed in place, in ways not noted chain by chain: its compiled form is rebuilt whole before the next packet. */
export function tableChanged(t: Table): void {
  t.generation++;
  t.journal = null;
}

/**
 * The chain `name` of `t`, ready to be changed in place: in a table being edited by a restore
 * (chains are a ChainOverlay) the edit's private copy, made on first write (`flush`: without
 * copying the rules, which the caller is about to drop); otherwise the chain itself.
 */
export function writableChain(t: Table, name: string, flush = false): Chain | undefined {
  const chains = t.chains;
  return chains instanceof ChainOverlay ? chains.writable(name, flush) : chains.get(name);
}

/** Replaces an edit's copy-on-write view by a plain Map of private chain copies (before a change that rewrites every chain). */
export function materializeChains(t: Table): void {
  if (!(t.chains instanceof ChainOverlay)) return;
  const chains = new Map<string, Chain>();
  for (const [name, c] of t.chains) chains.set(name, t.chains.touched(name) || t.chains.created.has(name) ? c : { ...c, counters: { ...c.counters }, rules: c.rules.slice() });
  t.chains = chains;
}

/** A fresh rule matching everything, with no target. */
export function emptyRule(): Rule {
  return { src: 0, srcMask: 0, dst: 0, dstMask: 0, inIface: '', outIface: '', proto: 0, fragment: false, invert: 0, matches: [], target: null, counters: { packets: 0, bytes: 0 } };
}

/** A table holding only its built-in chains, policies ACCEPT. */
export function newTable(name: TableName): Table {
  const chains = new Map<string, Chain>();
  for (const c of BUILTIN_CHAINS[name]) chains.set(c, newChain(c, true));
  return { name, chains, generation: 0 };
}

/** A chain with no rules (a user chain when `builtin` is false). */
export function newChain(name: string, builtin: boolean): Chain {
  return { name, builtin, policy: builtin ? 'ACCEPT' : null, counters: { packets: 0, bytes: 0 }, rules: [] };
}

/** A copy of a table with its own chains (the iptables command edits a copy and installs it if valid). Rules are shared: they are never mutated in place. */
export function cloneTable(t: Table): Table {
  const chains = new Map<string, Chain>();
  for (const [name, c] of t.chains) chains.set(name, { ...c, counters: { ...c.counters }, rules: c.rules.slice() });
  return { name: t.name, chains, generation: 0 };
}
