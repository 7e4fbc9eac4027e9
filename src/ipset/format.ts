/**
 * `ipset list` and `ipset save` text, byte for byte as ipset v7.17 prints it.
 */
import type { IpSet, ListedMember } from './set.js';

/** A member's extensions as list and save print them: ` nomatch timeout N packets N bytes N comment "…"`. */
function memberText(m: ListedMember, set: IpSet): string {
  let s = m.text;
  if (m.nomatch) s += ' nomatch';
  if (m.timeout !== null) s += ` timeout ${m.timeout}`;
  if (set.ext.counters) s += ` packets ${m.packets} bytes ${m.bytes}`;
  if (m.comment !== null) s += ` comment "${m.comment}"`;
  return s;
}

/** One set's `ipset list` block (without the blank line that separates sets). */
export function listSet(set: IpSet, now: number, terse: boolean): string {
  let s = `Name: ${set.name}\nType: ${set.typeName}\nRevision: ${set.revision}\nHeader: ${set.header()}\n`;
  s += `Size in memory: ${set.memsize()}\nReferences: ${set.refs}\nNumber of entries: ${set.count(now)}\n`;
  if (terse) return s;
  s += 'Members:\n';
  for (const m of set.list(now)) s += `${memberText(m, set)}\n`;
  return s;
}

/** One set's `ipset save` lines. */
export function saveSet(set: IpSet, now: number): string {
  let s = `create ${set.name} ${set.typeName} ${set.header()}\n`;
  for (const m of set.list(now)) s += `add ${set.name} ${memberText(m, set)}\n`;
  return s;
}
