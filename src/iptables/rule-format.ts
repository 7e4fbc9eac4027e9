/**
 * A rule as iptables-save and `iptables -S` print it: `-A CHAIN`, then `-s -d -i -o -p -f`
 * with `!` before the option, then each match as `-m NAME` and its options in the order
 * given, then `-j TARGET` with its options (or `-g CHAIN`).
 */
import { INV_DSTIP, INV_FRAG, INV_PROTO, INV_SRCIP, INV_VIA_IN, INV_VIA_OUT, type Rule } from './model.js';
import { MATCHES } from './matches.js';
import { TARGETS } from './targets.js';
import { formatAddressMask, protoName } from './values.js';

/** ` !` when `bit` is set in the rule's inversions. */
function neg(r: Rule, bit: number): string {
  return (r.invert & bit) !== 0 ? ' !' : '';
}

/** The rule's text after `-A CHAIN` (with its leading space), e.g. ` -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j ACCEPT`. */
export function formatRuleSpec(r: Rule, beforeTarget = ''): string {
  let s = '';
  if (r.srcMask !== 0 || (r.invert & INV_SRCIP) !== 0) s += neg(r, INV_SRCIP) + ' -s ' + formatAddressMask(r.src, r.srcMask);
  if (r.dstMask !== 0 || (r.invert & INV_DSTIP) !== 0) s += neg(r, INV_DSTIP) + ' -d ' + formatAddressMask(r.dst, r.dstMask);
  if (r.inIface !== '') s += neg(r, INV_VIA_IN) + ' -i ' + r.inIface;
  if (r.outIface !== '') s += neg(r, INV_VIA_OUT) + ' -o ' + r.outIface;
  if (r.proto !== 0) s += neg(r, INV_PROTO) + ' -p ' + protoName(r.proto);
  if (r.fragment) s += neg(r, INV_FRAG) + ' -f';
  const matches = r.matches;
  for (let k = 0; k < matches.length; k++) {
    const m = matches[k]!;
    s += ' -m ' + m.name + MATCHES.get(m.name)!.save(m);
  }
  // `iptables -v -S` puts the counters (` -c PKTS BYTES`) here, between the matches and the target.
  s += beforeTarget;
  const t = r.target;
  if (t !== null) {
    if (t.name === 'jump') s += (t.goto ? ' -g ' : ' -j ') + t.chain;
    else if (t.name === 'ACCEPT' || t.name === 'DROP' || t.name === 'RETURN') s += ' -j ' + t.name;
    else s += ' -j ' + t.name + TARGETS.get(t.name)!.save(t);
  }
  return s;
}

/** `-A CHAIN …` as iptables-save prints it; with `counters`, prefixed by `[PKTS:BYTES] `. */
export function formatRule(chain: string, r: Rule, counters: boolean): string {
  const spec = formatRuleSpec(r);
  return counters ? `[${r.counters.packets}:${r.counters.bytes}] -A ${chain}${spec}` : '-A ' + chain + spec;
}
