/**
 * `iptables -L [CHAIN [N]] [-v] [-n] [-x] [--line-numbers]` as iptables v1.8.9 prints it
 * (print_header / print_firewall in iptables.c and each extension's print function; the nft
 * and legacy flavours print the same). Without `-n` the real tool asks the resolver; dpsim
 * has none and answers as the tool does on a machine with an empty /etc/hosts and no DNS:
 * addresses stay numeric except 0.0.0.0/0 (`anywhere`) and the networks Debian's
 * /etc/networks names (`loopback`, `link-local`), ports take their netbase /etc/services
 * names (`http`, `domain`), protocols their names (`tcp`, `all`).
 */
import { formatIPv4 } from '../packet/address.js';
import { ADDR_TYPES, CT_STATES, CT_STATUSES, formatProbability, ipvsText, type ConntrackMatch, type MatchData } from './matches.js';
import { INV_DSTIP, INV_FRAG, INV_PROTO, INV_SRCIP, INV_VIA_IN, INV_VIA_OUT, type Chain, type Rule, type Table } from './model.js';
import { references } from './ruleset.js';
import { chainsInSaveOrder } from './save.js';
import { serviceByPort } from './services.js';
import type { NatRange, TargetData } from './targets.js';
import { formatFlagList, maskPrefix, protoName } from './values.js';

/** The listing flags. */
export interface ListOptions {
  verbose: boolean;
  numeric: boolean;
  exact: boolean;
  lineNumbers: boolean;
}

/** `-L [CHAIN [N]]` of a table; `chain` must exist (the caller reports a missing one). */
export function listTable(t: Table, chain: string | null, index: number | null, opts: ListOptions): string {
  if (chain !== null && index !== null) {
    const c = t.chains.get(chain)!;
    const r = c.rules[index - 1];
    return r === undefined ? '' : formatListRule(r, index, opts);
  }
  const chains = chain === null ? chainsInSaveOrder(t) : [t.chains.get(chain)!];
  let out = '';
  chains.forEach((c, k) => {
    if (k > 0) out += '\n';
    out += chainHeader(t, c, opts);
    c.rules.forEach((r, i) => (out += formatListRule(r, i + 1, opts)));
  });
  return out;
}

/** `Chain X (policy P …)` or `Chain X (N references)`, and the column titles. */
function chainHeader(t: Table, c: Chain, opts: ListOptions): string {
  let s = `Chain ${c.name}`;
  if (c.builtin) {
    s += ` (policy ${c.policy}`;
    if (opts.verbose) s += ` ${countText(c.counters.packets, opts, false)}packets, ${countText(c.counters.bytes, opts, false)}bytes`;
    s += ')\n';
  } else s += ` (${references(t, c.name)} references)\n`;
  if (opts.lineNumbers) s += 'num  ';
  if (opts.verbose) s += opts.exact ? `${'pkts'.padStart(8)} ${'bytes'.padStart(10)} ` : ' pkts bytes ';
  s += 'target     prot opt ';
  if (opts.verbose) s += 'in     out     ';
  s += `${'source'.padEnd(19)}  ${'destination'.padEnd(19)} \n`;
  return s;
}

/**
 * A counter as xtables_print_num prints it: exact (`%8llu`) with -x, else up to 99999 as is
 * and then rounded to K, M, G, T (`%4lluK`); `table` false is the header's unpadded form.
 */
export function countText(n: number, opts: ListOptions, table: boolean): string {
  if (opts.exact) return table ? `${String(n).padStart(8)} ` : `${n} `;
  if (n <= 99999) return table ? `${String(n).padStart(5)} ` : `${n} `;
  let v = BigInt(n);
  for (const unit of ['K', 'M', 'G']) {
    v = (v + 500n) / 1000n;
    if (v <= 9999n) return table ? `${String(v).padStart(4)}${unit} ` : `${v}${unit} `;
  }
  v = (v + 500n) / 1000n;
  return table ? `${String(v).padStart(4)}T ` : `${v}T `;
}

/** An address with its mask as -L prints it (`10.0.0.0/8`, `10.0.0.1`, `anywhere`, `loopback/8`). */
function addressText(addr: number, mask: number, numeric: boolean): string {
  if (mask === 0 && !numeric) return 'anywhere';
  const len = maskPrefix(mask);
  const maskText = mask === 0xffffffff ? '' : len >= 0 ? `/${len}` : `/${formatIPv4(mask)}`;
  return (numeric ? formatIPv4(addr) : hostName(addr)) + maskText;
}

/** Networks Debian's /etc/networks names (getnetbyaddr); no host is known (empty /etc/hosts, no DNS). */
const NETWORKS = new Map<number, string>([
  [0, 'default'],
  [0x7f000000, 'loopback'],
  [0xa9fe0000, 'link-local'],
]);

function hostName(addr: number): string {
  return NETWORKS.get(addr >>> 0) ?? formatIPv4(addr);
}

/** The target column's name: a chain, a verdict, an extension (NOTRACK lists as CT), or nothing. */
function targetName(t: TargetData | null): string {
  if (t === null) return '';
  if (t.name === 'jump') return t.chain;
  if (t.name === 'NOTRACK') return 'CT';
  return t.name;
}

/** One rule line. */
export function formatListRule(r: Rule, num: number, opts: ListOptions): string {
  const numeric = opts.numeric;
  let s = '';
  if (opts.lineNumbers) s += `${String(num).padEnd(4)} `;
  if (opts.verbose) s += countText(r.counters.packets, opts, true) + countText(r.counters.bytes, opts, true);
  s += `${targetName(r.target).padEnd(9)} `;
  s += (r.invert & INV_PROTO) !== 0 ? '!' : ' ';
  s += (numeric ? String(r.proto) : r.proto === 0 ? 'all' : protoName(r.proto)).padEnd(5);
  s += (r.invert & INV_FRAG) !== 0 ? '!' : '-';
  s += r.fragment ? 'f ' : '- ';
  if (opts.verbose) {
    const iface = (name: string, bit: number): string => ((r.invert & bit) !== 0 ? '!' : '') + (name !== '' ? name : numeric ? '*' : 'any');
    s += ` ${iface(r.inIface, INV_VIA_IN).padEnd(6)} ${iface(r.outIface, INV_VIA_OUT).padEnd(6)} `;
  }
  s += (r.invert & INV_SRCIP) !== 0 ? '!' : ' ';
  s += `${addressText(r.src, r.srcMask, numeric).padEnd(19)} `;
  s += (r.invert & INV_DSTIP) !== 0 ? '!' : ' ';
  s += `${addressText(r.dst, r.dstMask, numeric).padEnd(19)} `;
  if (r.target?.name === 'jump' && r.target.goto) s += '[goto] ';
  for (const m of r.matches) s += matchText(m, r, numeric);
  if (r.target !== null) s += targetText(r.target, numeric);
  return s + '\n';
}

// ---- matches ----

/** A port as print_port shows it: its service name for the protocol unless numeric. */
function portText(port: number, proto: string, numeric: boolean): string {
  return (numeric ? null : serviceByPort(port, proto)) ?? String(port);
}

/** ` spt:80`, ` dpts:!1000:2000` (print_ports in libxt_tcp/udp), or nothing for the full range. */
function portsText(name: string, lo: number, hi: number, invert: boolean, proto: string, numeric: boolean): string {
  if (lo === 0 && hi === 0xffff && !invert) return '';
  const inv = invert ? '!' : '';
  if (lo === hi) return ` ${name}:${inv}${portText(lo, proto, numeric)}`;
  return ` ${name}s:${inv}${portText(lo, proto, numeric)}:${portText(hi, proto, numeric)}`;
}

/** TCP flags as print_tcpf shows them: names, or `0x%02X` with -n. */
function tcpFlagsText(bits: number, numeric: boolean): string {
  if (numeric) return `0x${bits.toString(16).toUpperCase().padStart(2, '0')}`;
  const names: string[] = [];
  for (const [name, bit] of [['FIN', 1], ['SYN', 2], ['RST', 4], ['PSH', 8], ['ACK', 0x10], ['URG', 0x20]] as const) if ((bits & bit) !== 0) names.push(name);
  return names.length === 0 ? 'NONE' : names.join(',');
}

/** The ICMP types and codes libipt_icmp names, in its table order: [name, type, code min, code max]. */
const ICMP_CODES: readonly (readonly [string, number, number, number])[] = [
  ['any', 0xff, 0, 0xff], ['echo-reply', 0, 0, 0xff], ['destination-unreachable', 3, 0, 0xff], ['network-unreachable', 3, 0, 0],
  ['host-unreachable', 3, 1, 1], ['protocol-unreachable', 3, 2, 2], ['port-unreachable', 3, 3, 3], ['fragmentation-needed', 3, 4, 4],
  ['source-route-failed', 3, 5, 5], ['network-unknown', 3, 6, 6], ['host-unknown', 3, 7, 7], ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10], ['TOS-network-unreachable', 3, 11, 11], ['TOS-host-unreachable', 3, 12, 12], ['communication-prohibited', 3, 13, 13],
  ['host-precedence-violation', 3, 14, 14], ['precedence-cutoff', 3, 15, 15], ['source-quench', 4, 0, 0xff], ['redirect', 5, 0, 0xff],
  ['network-redirect', 5, 0, 0], ['host-redirect', 5, 1, 1], ['TOS-network-redirect', 5, 2, 2], ['TOS-host-redirect', 5, 3, 3],
  ['echo-request', 8, 0, 0xff], ['router-advertisement', 9, 0, 0xff], ['router-solicitation', 10, 0, 0xff], ['time-exceeded', 11, 0, 0xff],
  ['ttl-zero-during-transit', 11, 0, 0], ['ttl-zero-during-reassembly', 11, 1, 1], ['parameter-problem', 12, 0, 0xff], ['ip-header-bad', 12, 0, 0],
  ['required-option-missing', 12, 1, 1], ['timestamp-request', 13, 0, 0xff], ['timestamp-reply', 14, 0, 0xff], ['address-mask-request', 17, 0, 0xff],
  ['address-mask-reply', 18, 0, 0xff],
];

/** syslog's level names as LOG prints them (the first name of each level in prioritynames). */
const LOG_LEVEL_NAMES = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];
const LOG_FLAG_NAMES: readonly (readonly [string, number])[] = [['tcp-sequence', 1], ['tcp-options', 2], ['ip-options', 4], ['uid', 8], ['macdecode', 0x20]];

/** The limit match's average as print_rate shows it (`5/min`). */
function rateText(avg: number): string {
  const scale = 10000;
  const units: readonly (readonly [string, number])[] = [['day', 86400 * scale], ['hour', 3600 * scale], ['min', 60 * scale], ['sec', scale]];
  let i = 1;
  for (; i < units.length; i++) {
    const mult = units[i]![1];
    if (avg > mult || Math.floor(mult / avg) < mult % avg) break;
  }
  const [unit, mult] = units[i - 1]!;
  return `${Math.floor(mult / avg)}/${unit}`;
}

function conntrackText(m: ConntrackMatch, numeric: boolean): string {
  const inv = (b: boolean): string => (b ? ' !' : '');
  if (m.name === 'state') return `${inv(m.stateInvert)} state ${formatFlagList(m.state, CT_STATES)}`;
  let s = '';
  if (m.state !== -1) s += `${inv(m.stateInvert)} ctstate ${formatFlagList(m.state, CT_STATES)}`;
  if (m.proto !== -1) s += `${inv(m.protoInvert)} ctproto ${m.proto}`;
  for (const [name, a] of [['ctorigsrc', m.origSrc], ['ctorigdst', m.origDst], ['ctreplsrc', m.replSrc], ['ctrepldst', m.replDst]] as const) {
    if (a !== null) s += `${inv(a.invert)} ${name} ${addressText(a.addr, a.mask, true)}`;
  }
  for (const [name, p] of [['ctorigsrcport', m.origSrcPort], ['ctorigdstport', m.origDstPort], ['ctreplsrcport', m.replSrcPort], ['ctrepldstport', m.replDstPort]] as const) {
    if (p !== null) s += `${inv(p.invert)} ${name} ${p.lo === p.hi ? p.lo : `${p.lo}:${p.hi}`}`;
  }
  if (m.status !== -1) s += `${inv(m.statusInvert)} ctstatus ${m.status === 0 ? 'NONE' : formatFlagList(m.status, CT_STATUSES)}`;
  if (m.expire !== null) s += `${inv(m.expire.invert)} ctexpire ${m.expire.lo === m.expire.hi ? m.expire.lo : `${m.expire.lo}:${m.expire.hi}`}`;
  if (m.dir !== null) s += ` ctdir ${m.dir}`;
  void numeric; // conntrack prints its addresses and ports numerically either way
  return s;
}

function markText(value: number, mask: number): string {
  return mask === 0xffffffff ? ` 0x${value.toString(16)}` : ` 0x${value.toString(16)}/0x${mask.toString(16)}`;
}

/** One match as its extension's print function shows it (each piece with its leading space). */
function matchText(m: MatchData, r: Rule, numeric: boolean): string {
  switch (m.name) {
    case 'tcp':
    case 'udp': {
      let s = ` ${m.name}`;
      s += portsText('spt', m.sport[0], m.sport[1], m.sportInvert, m.name, numeric);
      s += portsText('dpt', m.dport[0], m.dport[1], m.dportInvert, m.name, numeric);
      if (m.flagsMask !== 0 || m.flagsInvert) s += ` flags:${m.flagsInvert ? '!' : ''}${tcpFlagsText(m.flagsMask, numeric)}/${tcpFlagsText(m.flagsCmp, numeric)}`;
      return s;
    }
    case 'icmp': {
      if (!numeric) {
        const named = ICMP_CODES.find(([, type, lo, hi]) => type === m.type && lo === m.codeMin && hi === m.codeMax);
        if (named !== undefined) return ` icmp ${m.invert ? '!' : ''}${named[0]}`;
      }
      let s = ` icmp${m.invert ? ' !' : ''}type ${m.type}`;
      if (m.codeMin === m.codeMax) s += ` code ${m.codeMin}`;
      else if (m.codeMin !== 0 || m.codeMax !== 0xff) s += ` codes ${m.codeMin}-${m.codeMax}`;
      return s;
    }
    case 'comment':
      return ` /* ${m.comment} */`;
    case 'statistic':
      if (m.mode === 'random') return ` statistic mode random${m.invert ? ' !' : ''} probability ${formatProbability(m.probability)}`;
      return ` statistic mode nth${m.invert ? ' !' : ''} every ${m.every}${m.packet !== 0 ? ` packet ${m.packet}` : ''}`;
    case 'mark':
      return ` mark match${m.invert ? ' !' : ''}${markText(m.value, m.mask)}`;
    case 'connmark':
      return ` connmark match ${m.invert ? '!' : ''}${markText(m.value, m.mask)}`;
    case 'addrtype': {
      let s = ' ADDRTYPE match';
      if (m.srcType !== 0) s += ` src-type ${m.srcInvert ? '!' : ''}${formatFlagList(m.srcType, ADDR_TYPES)}`;
      if (m.dstType !== 0) s += ` dst-type ${m.dstInvert ? '!' : ''}${formatFlagList(m.dstType, ADDR_TYPES)}`;
      if (m.limitIfaceIn) s += ' limit-in';
      if (m.limitIfaceOut) s += ' limit-out';
      return s;
    }
    case 'conntrack':
    case 'state':
      return conntrackText(m, numeric);
    case 'multiport': {
      const proto = r.proto === 17 ? 'udp' : 'tcp';
      const list = m.ranges.map(([lo, hi]) => (lo === hi ? portText(lo, proto, numeric) : `${portText(lo, proto, numeric)}:${portText(hi, proto, numeric)}`));
      return ` multiport ${m.which} ${m.invert ? ' !' : ''}${list.join(',')}`;
    }
    case 'recent': {
      let s = `${m.invert ? ' !' : ''} recent: ${{ set: 'SET', rcheck: 'CHECK', update: 'UPDATE', remove: 'REMOVE' }[m.command]}`;
      if (m.seconds !== 0) s += ` seconds: ${m.seconds}`;
      if (m.reap) s += ' reap';
      if (m.hitcount !== 0) s += ` hit_count: ${m.hitcount}`;
      if (m.rttl) s += ' TTL-Match';
      s += ` name: ${m.list}${m.source ? ' side: source' : ' side: dest'} mask: ${formatIPv4(m.mask)}`;
      return s;
    }
    case 'set':
      return ` ${m.invert ? '! ' : ''}match-set ${m.set} ${m.dirs.join(',')}`;
    case 'physdev': {
      let s = ' PHYSDEV match';
      if (m.isIn !== null) s += `${m.isIn ? '' : ' !'} --physdev-is-in`;
      if (m.physIn !== null) s += `${m.physInInvert ? ' !' : ''} --physdev-in ${m.physIn}`;
      if (m.isOut !== null) s += `${m.isOut ? '' : ' !'} --physdev-is-out`;
      if (m.physOut !== null) s += `${m.physOutInvert ? ' !' : ''} --physdev-out ${m.physOut}`;
      if (m.isBridged !== null) s += `${m.isBridged ? '' : ' !'} --physdev-is-bridged`;
      return s;
    }
    case 'limit':
      return ` limit: avg ${rateText(m.avg)} burst ${m.burst}`;
    case 'ipvs':
      return ipvsText(m, '', numeric, hostName);
  }
}

// ---- targets ----

function natRangeText(r: NatRange): string {
  let s = '';
  if (r.hasAddr) s += r.minAddr === r.maxAddr ? formatIPv4(r.minAddr) : `${formatIPv4(r.minAddr)}-${formatIPv4(r.maxAddr)}`;
  if (r.hasPorts) s += `:${r.minPort === r.maxPort ? r.minPort : `${r.minPort}-${r.maxPort}`}`;
  return s;
}

/** `and`, `or`, `xor`, `set` or `xset` as MARK and CONNMARK print a (value, mask) update. */
function markUpdateText(target: string, value: number, mask: number): string {
  const h = (n: number): string => `0x${(n >>> 0).toString(16)}`;
  if (value === 0) return ` ${target} and ${h(~mask)}`;
  if (value === mask) return ` ${target} or ${h(value)}`;
  if (mask === 0) return ` ${target} xor ${h(value)}`;
  if (mask === 0xffffffff) return ` ${target} set ${h(value)}`;
  return ` ${target} xset ${h(value)}/${h(mask)}`;
}

/** The target's print text (verdicts and chain jumps print nothing). */
function targetText(t: TargetData, numeric: boolean): string {
  switch (t.name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'jump':
    case 'TRACE':
      return '';
    case 'NOTRACK':
      return ' NOTRACK';
    case 'CT':
      return ' CT notrack';
    case 'REJECT':
      return ` reject-with ${t.with}`;
    case 'DNAT':
    case 'SNAT': {
      let s = ` to:${natRangeText(t.range!)}`;
      if (t.random) s += ' random';
      if (t.randomFully) s += ' random-fully';
      if (t.persistent) s += ' persistent';
      return s;
    }
    case 'MASQUERADE':
    case 'REDIRECT': {
      let s = '';
      if (t.ports !== null) {
        const ports = t.ports[0] === t.ports[1] ? `${t.ports[0]}` : `${t.ports[0]}-${t.ports[1]}`;
        s += t.name === 'MASQUERADE' ? ` masq ports: ${ports}` : ` redir ports ${ports}`;
      }
      if (t.random) s += ' random';
      if (t.randomFully) s += ' random-fully';
      return s;
    }
    case 'MARK':
      return markUpdateText('MARK', t.value, t.mask);
    case 'CONNMARK': {
      const h = (n: number): string => `0x${(n >>> 0).toString(16)}`;
      if (t.mode === 'set') return markUpdateText('CONNMARK', t.value, t.ctmask);
      const [first, second] = t.mode === 'save' ? [t.nfmask, t.ctmask] : [t.ctmask, t.nfmask];
      const [firstName, secondName] = t.mode === 'save' ? ['nfmask', 'ctmask'] : ['ctmask', 'nfmask'];
      if (first === 0xffffffff && second === 0xffffffff) return ` CONNMARK ${t.mode}`;
      if (first === second) return ` CONNMARK ${t.mode} mask ${h(first)}`;
      return ` CONNMARK ${t.mode} ${firstName} ${h(first)} ${secondName} ~${h(second)}`;
    }
    case 'LOG': {
      let s = numeric ? ` LOG flags ${t.flags} level ${t.level}` : ` LOG level ${LOG_LEVEL_NAMES[t.level] ?? t.level}`;
      if (!numeric) for (const [name, bit] of LOG_FLAG_NAMES) if ((t.flags & bit) !== 0) s += ` ${name}`;
      if (t.prefix !== '') s += ` prefix "${t.prefix}"`;
      return s;
    }
  }
}
