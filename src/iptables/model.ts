/**
 * xtables rules as plain data: the tables of one namespace, their chains and rules, every
 * number a number (addresses as u32 with a u32 mask, ports, marks, the statistic match's
 * 31-bit fixed-point probability). Text exists only in the parser (rule-parse.ts) and the
 * printers (rule-format.ts, save.ts).
 */
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
   * Bumped by every in-place change of the table's chains or rules (ruleset.ts), so a
   * compiled form (compile/) knows it is stale. Installed tables are normally replaced whole.
   */
  generation: number;
}

/** Marks `t` changed in place: its compiled form is rebuilt before the next packet. */
export function tableChanged(t: Table): void {
  t.generation++;
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

/** A deep copy of a table (restore works on a copy and swaps it in at COMMIT). Rules are shared: they are never mutated in place. */
export function cloneTable(t: Table): Table {
  const chains = new Map<string, Chain>();
  for (const [name, c] of t.chains) chains.set(name, { ...c, counters: { ...c.counters }, rules: c.rules.slice() });
  return { name: t.name, chains, generation: 0 };
}
