/**
 * Match extensions (libxt_*.c): each parses its options into plain numeric data and prints
 * it as iptables-save does. Formats were recorded from iptables v1.8.9 (nft and legacy).
 */
import { formatIPv4, parseIPv4 } from '../packet/address.js';
import { ParameterProblem } from './errors.js';
import type { Extension, ParseEnv } from './module.js';
import {
  formatAddressShort, formatFlagList, formatMarkMask, formatPortRange, maskPrefix, parseAddressMask, parseFlagList, parseMarkMask,
  parsePort, parsePortRange, parseProto, parseU32, quoteString,
} from './values.js';

/** tcp / udp: port ranges (and TCP flags) with their inversions. */
export interface TcpUdpMatch {
  name: 'tcp' | 'udp';
  sport: [number, number];
  dport: [number, number];
  sportInvert: boolean;
  dportInvert: boolean;
  /** TCP flags: mask and the value they must have; mask 0 = no test. */
  flagsMask: number;
  flagsCmp: number;
  flagsInvert: boolean;
}

export interface IcmpMatch {
  name: 'icmp';
  /** 0xff = any. */
  type: number;
  codeMin: number;
  codeMax: number;
  invert: boolean;
}

export interface CommentMatch {
  name: 'comment';
  comment: string;
}

export interface StatisticMatch {
  name: 'statistic';
  mode: 'random' | 'nth';
  /** Random mode: probability as the kernel holds it, round(p × 2^31). */
  probability: number;
  /** Nth mode: every N packets, starting at packet P (as given; the kernel stores every-1). */
  every: number;
  packet: number;
  invert: boolean;
}

/** mark and connmark: (value & mask) == value, maybe inverted. */
export interface MarkMatch {
  name: 'mark' | 'connmark';
  value: number;
  mask: number;
  invert: boolean;
}

export interface AddrtypeMatch {
  name: 'addrtype';
  /** XT_ADDRTYPE_* bits; 0 = not tested. */
  srcType: number;
  dstType: number;
  srcInvert: boolean;
  dstInvert: boolean;
  limitIfaceIn: boolean;
  limitIfaceOut: boolean;
}

/** An address with mask and its inversion, for conntrack's --ctorigsrc and friends. */
export interface MaskedAddress {
  addr: number;
  mask: number;
  invert: boolean;
}

/** A port range with inversion, for conntrack's --ctorigsrcport and friends. */
export interface PortRange {
  lo: number;
  hi: number;
  invert: boolean;
}

export interface ConntrackMatch {
  name: 'conntrack' | 'state';
  /** XT_CONNTRACK_STATE_* bits; -1 = not tested. */
  state: number;
  stateInvert: boolean;
  /** -1 = not tested. */
  proto: number;
  protoInvert: boolean;
  origSrc: MaskedAddress | null;
  origDst: MaskedAddress | null;
  replSrc: MaskedAddress | null;
  replDst: MaskedAddress | null;
  origSrcPort: PortRange | null;
  origDstPort: PortRange | null;
  replSrcPort: PortRange | null;
  replDstPort: PortRange | null;
  /** IPS_* bits; -1 = not tested. */
  status: number;
  statusInvert: boolean;
  expire: PortRange | null;
  /** 'ORIGINAL' | 'REPLY' | null. */
  dir: 'ORIGINAL' | 'REPLY' | null;
}

export interface MultiportMatch {
  name: 'multiport';
  which: 'sports' | 'dports' | 'ports';
  /** Pairs [lo, hi]; a single port is [p, p]. */
  ranges: [number, number][];
  invert: boolean;
}

export interface RecentMatch {
  name: 'recent';
  command: 'set' | 'rcheck' | 'update' | 'remove';
  invert: boolean;
  seconds: number;
  reap: boolean;
  hitcount: number;
  rttl: boolean;
  list: string;
  mask: number;
  /** true: --rsource (default); false: --rdest. */
  source: boolean;
}

export interface SetMatch {
  name: 'set';
  set: string;
  /** 'src' | 'dst' per dimension. */
  dirs: ('src' | 'dst')[];
  invert: boolean;
}

export interface PhysdevMatch {
  name: 'physdev';
  physIn: string | null;
  physInInvert: boolean;
  physOut: string | null;
  physOutInvert: boolean;
  /** null: not tested; else the wanted truth (false = inverted). */
  isIn: boolean | null;
  isOut: boolean | null;
  isBridged: boolean | null;
}

/** XT_IPVS_* bits of xt_ipvs_mtinfo.bitmask / .invert (linux/netfilter/xt_ipvs.h). */
export const XT_IPVS_IPVS_PROPERTY = 1 << 0;
export const XT_IPVS_PROTO = 1 << 1;
export const XT_IPVS_VADDR = 1 << 2;
export const XT_IPVS_VPORT = 1 << 3;
export const XT_IPVS_DIR = 1 << 4;
export const XT_IPVS_METHOD = 1 << 5;
export const XT_IPVS_VPORTCTL = 1 << 6;
/** Every option but --ipvs: each implies --ipvs. */
export const XT_IPVS_ONCE_MASK = 0x7f & ~XT_IPVS_IPVS_PROPERTY;

/** IP_VS_CONN_F_* forwarding methods as --vmethod names them. */
export const IPVS_METHODS: readonly (readonly [string, number])[] = [['GATE', 0x0003], ['IPIP', 0x0002], ['MASQ', 0x0000]];

/** ipvs (xt_ipvs_mtinfo): what IPVS did with the packet. */
export interface IpvsMatch {
  name: 'ipvs';
  /** XT_IPVS_* options given (--ipvs implied by any other). */
  bitmask: number;
  /** XT_IPVS_* options inverted (XT_IPVS_DIR set: --vdir REPLY). */
  invert: number;
  l4proto: number;
  /** --vaddr as given (not masked) and its mask. */
  vaddr: number;
  vmask: number;
  vport: number;
  /** IP_VS_CONN_F_MASQ / _TUNNEL / _DROUTE. */
  fwdMethod: number;
  vportctl: number;
}

export interface LimitMatch {
  name: 'limit';
  /** Average period in XT_LIMIT_SCALE (10000) units per packet. */
  avg: number;
  burst: number;
}

/** A match of a rule, as plain data. */
export type MatchData =
  | TcpUdpMatch | IcmpMatch | CommentMatch | StatisticMatch | MarkMatch | AddrtypeMatch | ConntrackMatch
  | MultiportMatch | RecentMatch | SetMatch | PhysdevMatch | LimitMatch | IpvsMatch;

const inv = (b: boolean): string => (b ? ' !' : '');

// ---- tcp / udp ----

/** The default port range of a tcp/udp match (shared by every match; never mutated: frozen). */
const ALL_PORTS = Object.freeze([0, 65535]) as unknown as [number, number];

/** TCP flag bits in the order iptables prints them. */
export const TCP_FLAGS: readonly (readonly [string, number])[] = [['FIN', 0x01], ['SYN', 0x02], ['RST', 0x04], ['PSH', 0x08], ['ACK', 0x10], ['URG', 0x20]];
const TCP_FLAG_NAMES = new Map<string, number>([...TCP_FLAGS, ['ALL', 0x3f], ['NONE', 0]]);

function parseTcpFlags(text: string): number {
  return parseFlagList(text, TCP_FLAG_NAMES, (w) => `Unknown TCP flag \`${w}'`);
}

function formatTcpFlags(bits: number): string {
  return bits === 0 ? 'NONE' : formatFlagList(bits, TCP_FLAGS);
}

function portMatch(name: 'tcp' | 'udp'): Extension<TcpUdpMatch> {
  const options = [
    { name: '--sport', aliases: ['--source-port'], arg: 'required', invertible: true },
    { name: '--dport', aliases: ['--destination-port'], arg: 'required', invertible: true },
    ...(name === 'tcp'
      ? ([
          { name: '--tcp-flags', arg: 'two', invertible: true },
          { name: '--syn', arg: 'none', invertible: true },
        ] as const)
      : []),
  ] as const;
  return {
    name,
    options,
    create: () => ({ name, sport: ALL_PORTS, dport: ALL_PORTS, sportInvert: false, dportInvert: false, flagsMask: 0, flagsCmp: 0, flagsInvert: false }),
    parse(m, option, values, invert, env) {
      if (option === '--sport' || option === '--dport') {
        const isSport = option === '--sport';
        const current = isSport ? m.sport : m.dport;
        if (current[0] !== 0 || current[1] !== 65535 || (isSport ? m.sportInvert : m.dportInvert)) {
          throw new ParameterProblem(`Only one \`${isSport ? '--source-port' : '--destination-port'}' allowed`);
        }
        const range = parsePortRange(values[0]!);
        // iptables-nft stores an inverted range from 0 as the range above it (`! --sport :1023` saves as
        // `--sport 1024:65535`); a single port 0 is no range and stays `! --sport 0` (checked on 1.8.9).
        if (env.flavour === 'nft' && invert && range[0] === 0 && range[1] > 0 && range[1] < 65535) {
          range[0] = range[1] + 1;
          range[1] = 65535;
          invert = false;
        }
        if (isSport) {
          m.sport = range;
          m.sportInvert = invert;
        } else {
          m.dport = range;
          m.dportInvert = invert;
        }
      } else if (option === '--tcp-flags') {
        if (m.flagsMask !== 0) throw new ParameterProblem('Only one of `--syn\' or `--tcp-flags\' allowed');
        m.flagsMask = parseTcpFlags(values[0]!);
        m.flagsCmp = parseTcpFlags(values[1]!);
        m.flagsInvert = invert;
      } else {
        if (m.flagsMask !== 0) throw new ParameterProblem('Only one of `--syn\' or `--tcp-flags\' allowed');
        m.flagsMask = 0x17;
        m.flagsCmp = 0x02;
        m.flagsInvert = invert;
      }
    },
    check(_m, env) {
      const want = name === 'tcp' ? 6 : 17;
      if (env.rule.proto !== want || (env.rule.invert & 0x40) !== 0) throw new ParameterProblem(`${name.toUpperCase()} match requires '-p ${name}'`);
    },
    save(m) {
      let s = '';
      if (m.sport[0] !== 0 || m.sport[1] !== 65535 || m.sportInvert) s += `${inv(m.sportInvert)} --sport ${formatPortRange(m.sport[0], m.sport[1])}`;
      if (m.dport[0] !== 0 || m.dport[1] !== 65535 || m.dportInvert) s += `${inv(m.dportInvert)} --dport ${formatPortRange(m.dport[0], m.dport[1])}`;
      if (m.flagsMask !== 0 || m.flagsInvert) s += `${inv(m.flagsInvert)} --tcp-flags ${formatTcpFlags(m.flagsMask)} ${formatTcpFlags(m.flagsCmp)}`;
      return s;
    },
  };
}

// ---- icmp ----

const ICMP_NAMES = new Map<string, [number, number, number]>([
  ['any', [0xff, 0, 0xff]], ['echo-reply', [0, 0, 0xff]], ['pong', [0, 0, 0xff]], ['destination-unreachable', [3, 0, 0xff]],
  ['network-unreachable', [3, 0, 0]], ['host-unreachable', [3, 1, 1]], ['protocol-unreachable', [3, 2, 2]], ['port-unreachable', [3, 3, 3]],
  ['fragmentation-needed', [3, 4, 4]], ['source-route-failed', [3, 5, 5]], ['network-prohibited', [3, 9, 9]], ['host-prohibited', [3, 10, 10]],
  ['communication-prohibited', [3, 13, 13]], ['source-quench', [4, 0, 0xff]], ['redirect', [5, 0, 0xff]], ['echo-request', [8, 0, 0xff]],
  ['ping', [8, 0, 0xff]], ['router-advertisement', [9, 0, 0xff]], ['router-solicitation', [10, 0, 0xff]], ['time-exceeded', [11, 0, 0xff]],
  ['ttl-exceeded', [11, 0, 0xff]], ['ttl-zero-during-transit', [11, 0, 0]], ['ttl-zero-during-reassembly', [11, 1, 1]],
  ['parameter-problem', [12, 0, 0xff]], ['timestamp-request', [13, 0, 0xff]], ['timestamp-reply', [14, 0, 0xff]],
  ['address-mask-request', [17, 0, 0xff]], ['address-mask-reply', [18, 0, 0xff]],
]);

const icmp: Extension<IcmpMatch> = {
  name: 'icmp',
  options: [{ name: '--icmp-type', arg: 'required', invertible: true }],
  create: () => ({ name: 'icmp', type: 0xff, codeMin: 0, codeMax: 0xff, invert: false }),
  parse(m, _o, values, invert) {
    const text = values[0]!;
    const named = ICMP_NAMES.get(text);
    if (named !== undefined) [m.type, m.codeMin, m.codeMax] = named;
    else {
      const mm = /^([0-9]+)(?:\/([0-9]+))?$/.exec(text);
      if (mm === null || Number(mm[1]) > 255 || (mm[2] !== undefined && Number(mm[2]) > 255)) throw new ParameterProblem(`Invalid ICMP type \`${text}'\n`);
      m.type = Number(mm[1]);
      if (mm[2] !== undefined) m.codeMin = m.codeMax = Number(mm[2]);
    }
    m.invert = invert;
  },
  check(_m, env) {
    if (env.rule.proto !== 1) throw new ParameterProblem("ICMP match requires '-p icmp'");
  },
  save(m) {
    if (m.type === 0xff && !m.invert) return ' --icmp-type any';
    let s = `${inv(m.invert)} --icmp-type ${m.type === 0xff ? 'any' : m.type}`;
    if (m.type !== 0xff && (m.codeMin !== 0 || m.codeMax !== 0xff)) s += `/${m.codeMin}`;
    return s;
  },
};

// ---- comment ----

const comment: Extension<CommentMatch> = {
  name: 'comment',
  options: [{ name: '--comment', arg: 'required' }],
  create: () => ({ name: 'comment', comment: '' }),
  parse(m, _o, values) {
    if (values[0]!.length > 255) throw new ParameterProblem('comment: option "--comment" must be less than 256 characters long.\n');
    m.comment = values[0]!;
  },
  save: (m) => ` --comment ${quoteString(m.comment)}`,
};

// ---- statistic ----

/** The kernel's 31-bit fixed-point probability of a decimal (libxt_statistic: lround(p × 2^31)). */
export function probabilityToFixed(p: number): number {
  return Math.round(p * 0x80000000);
}

/** A fixed-point probability printed with 11 decimals as printf("%.11f") does (exact value, ties to even). */
export function formatProbability(fixed: number): string {
  // fixed / 2^31 × 10^11, rounded half to even, on exact integers.
  const scaled = BigInt(fixed) * 100000000000n;
  const div = 0x80000000n;
  let q = scaled / div;
  const r = scaled % div;
  if (r * 2n > div || (r * 2n === div && (q & 1n) === 1n)) q++;
  const digits = q.toString().padStart(12, '0');
  return `${digits.slice(0, -11)}.${digits.slice(-11)}`;
}

const statistic: Extension<StatisticMatch> = {
  name: 'statistic',
  options: [
    { name: '--mode', arg: 'required' },
    { name: '--probability', arg: 'required', invertible: true },
    { name: '--every', arg: 'required', invertible: true },
    { name: '--packet', arg: 'required' },
  ],
  create: () => ({ name: 'statistic', mode: 'random', probability: -1, every: 0, packet: -1, invert: false }),
  parse(m, option, values, invert) {
    const v = values[0]!;
    if (option === '--mode') {
      if (v !== 'random' && v !== 'nth') throw new ParameterProblem(`Bad mode "${v}"`);
      m.mode = v;
    } else if (option === '--probability') {
      const p = /^[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?$|^[0-9]+\.$/.test(v) ? Number(v) : NaN;
      if (!(p >= 0 && p <= 1)) throw new ParameterProblem('statistic: bad value for option "--probability", or out of range (0-1).\n');
      m.probability = probabilityToFixed(p);
      m.invert = invert;
    } else if (option === '--every') {
      const n = parseU32(v);
      if (n === null || n === 0) throw new ParameterProblem('statistic: bad value for option "--every", or out of range (1-4294967295).\n');
      m.every = n;
      m.invert = invert;
    } else {
      const n = parseU32(v);
      if (n === null) throw new ParameterProblem('statistic: bad value for option "--packet", or out of range (0-4294967295).\n');
      m.packet = n;
    }
  },
  check(m) {
    if (m.mode === 'random' && m.probability < 0) throw new ParameterProblem('statistic: option "--mode" also requires "--probability".\n');
    if (m.mode === 'nth' && m.every === 0) throw new ParameterProblem('statistic: option "--mode" also requires "--every".\n');
    if (m.every !== 0 && m.packet < 0) throw new ParameterProblem('statistic: option "--every" also requires "--packet".\n');
    if (m.every !== 0 && m.packet >= m.every) throw new ParameterProblem('the --packet p must be 0 <= p <= n-1');
  },
  save(m) {
    if (m.mode === 'random') return ` --mode random${inv(m.invert)} --probability ${formatProbability(m.probability)}`;
    return ` --mode nth${inv(m.invert)} --every ${m.every} --packet ${m.packet}`;
  },
};

// ---- mark / connmark ----

function markMatch(name: 'mark' | 'connmark'): Extension<MarkMatch> {
  return {
    name,
    options: [{ name: '--mark', arg: 'required', invertible: true }],
    create: () => ({ name, value: 0, mask: 0xffffffff, invert: false }),
    parse(m, _o, values, invert) {
      const mm = parseMarkMask(values[0]!);
      if (mm === null) throw new ParameterProblem(`${name}: bad integer value for option "--mark", or out of range.\n`);
      m.value = mm.value;
      m.mask = mm.mask;
      m.invert = invert;
    },
    save: (m) => `${inv(m.invert)} --mark ${formatMarkMask(m.value, m.mask)}`,
  };
}

// ---- addrtype ----

/** XT_ADDRTYPE_* in the order libxt_addrtype prints them. */
export const ADDR_TYPES: readonly (readonly [string, number])[] = [
  ['UNSPEC', 1 << 0], ['UNICAST', 1 << 1], ['LOCAL', 1 << 2], ['BROADCAST', 1 << 3], ['ANYCAST', 1 << 4], ['MULTICAST', 1 << 5],
  ['BLACKHOLE', 1 << 6], ['UNREACHABLE', 1 << 7], ['PROHIBIT', 1 << 8], ['THROW', 1 << 9], ['NAT', 1 << 10], ['XRESOLVE', 1 << 11],
];
const ADDR_TYPE_NAMES = new Map(ADDR_TYPES);

const addrtype: Extension<AddrtypeMatch> = {
  name: 'addrtype',
  options: [
    { name: '--src-type', arg: 'required', invertible: true },
    { name: '--dst-type', arg: 'required', invertible: true },
    { name: '--limit-iface-in', arg: 'none' },
    { name: '--limit-iface-out', arg: 'none' },
  ],
  create: () => ({ name: 'addrtype', srcType: 0, dstType: 0, srcInvert: false, dstInvert: false, limitIfaceIn: false, limitIfaceOut: false }),
  parse(m, option, values, invert) {
    const bad = (w: string): string => `addrtype: invalid address type '${w}'`;
    if (option === '--src-type') {
      m.srcType = parseFlagList(values[0]!, ADDR_TYPE_NAMES, bad);
      m.srcInvert = invert;
    } else if (option === '--dst-type') {
      m.dstType = parseFlagList(values[0]!, ADDR_TYPE_NAMES, bad);
      m.dstInvert = invert;
    } else if (option === '--limit-iface-in') m.limitIfaceIn = true;
    else m.limitIfaceOut = true;
  },
  check(m) {
    if (m.srcType === 0 && m.dstType === 0) throw new ParameterProblem('addrtype: you must specify --src-type or --dst-type');
    if (m.limitIfaceIn && m.limitIfaceOut) throw new ParameterProblem('addrtype: you can\'t specify both --limit-iface-in and --limit-iface-out');
  },
  save(m) {
    let s = '';
    if (m.srcType !== 0) s += `${inv(m.srcInvert)} --src-type ${formatFlagList(m.srcType, ADDR_TYPES)}`;
    if (m.dstType !== 0) s += `${inv(m.dstInvert)} --dst-type ${formatFlagList(m.dstType, ADDR_TYPES)}`;
    if (m.limitIfaceIn) s += ' --limit-iface-in';
    if (m.limitIfaceOut) s += ' --limit-iface-out';
    return s;
  },
};

// ---- conntrack / state ----

/** XT_CONNTRACK_STATE bits in print order. */
export const CT_STATES: readonly (readonly [string, number])[] = [
  ['INVALID', 1 << 0], ['NEW', 1 << 3], ['RELATED', 1 << 2], ['ESTABLISHED', 1 << 1], ['UNTRACKED', 1 << 5], ['SNAT', 1 << 6], ['DNAT', 1 << 7],
];
const CT_STATE_NAMES = new Map(CT_STATES);
/** IPS_* status bits in print order. */
export const CT_STATUSES: readonly (readonly [string, number])[] = [['EXPECTED', 1 << 0], ['SEEN_REPLY', 1 << 1], ['ASSURED', 1 << 2], ['CONFIRMED', 1 << 3]];
const CT_STATUS_NAMES = new Map<string, number>([...CT_STATUSES, ['NONE', 0]]);

const CT_ADDR_OPTIONS = { '--ctorigsrc': 'origSrc', '--ctorigdst': 'origDst', '--ctreplsrc': 'replSrc', '--ctrepldst': 'replDst' } as const;
const CT_PORT_OPTIONS = {
  '--ctorigsrcport': 'origSrcPort', '--ctorigdstport': 'origDstPort', '--ctreplsrcport': 'replSrcPort', '--ctrepldstport': 'replDstPort',
} as const;

function newConntrack(name: 'conntrack' | 'state'): ConntrackMatch {
  return {
    name, state: -1, stateInvert: false, proto: -1, protoInvert: false, origSrc: null, origDst: null, replSrc: null, replDst: null,
    origSrcPort: null, origDstPort: null, replSrcPort: null, replDstPort: null, status: -1, statusInvert: false, expire: null, dir: null,
  };
}

const conntrack: Extension<ConntrackMatch> = {
  name: 'conntrack',
  options: [
    { name: '--ctstate', arg: 'required', invertible: true },
    { name: '--ctproto', arg: 'required', invertible: true },
    ...Object.keys(CT_ADDR_OPTIONS).map((name) => ({ name, arg: 'required', invertible: true }) as const),
    ...Object.keys(CT_PORT_OPTIONS).map((name) => ({ name, arg: 'required', invertible: true }) as const),
    { name: '--ctstatus', arg: 'required', invertible: true },
    { name: '--ctexpire', arg: 'required', invertible: true },
    { name: '--ctdir', arg: 'required' },
  ],
  create: () => newConntrack('conntrack'),
  parse(m, option, values, invert) {
    const v = values[0]!;
    if (option === '--ctstate') {
      m.state = parseFlagList(v, CT_STATE_NAMES, (w) => `Bad ctstate "${w}"`);
      m.stateInvert = invert;
    } else if (option === '--ctproto') {
      m.proto = parseProto(v);
      m.protoInvert = invert;
    } else if (option in CT_ADDR_OPTIONS) {
      const a = parseAddressMask(v);
      m[CT_ADDR_OPTIONS[option as keyof typeof CT_ADDR_OPTIONS]] = { ...a, invert };
    } else if (option in CT_PORT_OPTIONS) {
      const [lo, hi] = parsePortRange(v);
      m[CT_PORT_OPTIONS[option as keyof typeof CT_PORT_OPTIONS]] = { lo, hi, invert };
    } else if (option === '--ctstatus') {
      m.status = parseFlagList(v, CT_STATUS_NAMES, (w) => `Bad ctstatus "${w}"`);
      m.statusInvert = invert;
    } else if (option === '--ctexpire') {
      const mm = /^([0-9]+)(?::([0-9]+))?$/.exec(v);
      if (mm === null) throw new ParameterProblem(`conntrack: bad value for option "--ctexpire", or out of range (0-4294967295).\n`);
      m.expire = { lo: Number(mm[1]), hi: Number(mm[2] ?? mm[1]), invert };
    } else {
      if (v !== 'ORIGINAL' && v !== 'REPLY') throw new ParameterProblem(`Bad ctdir "${v}"`);
      m.dir = v;
    }
  },
  check(m) {
    if (m.state === -1 && m.proto === -1 && m.origSrc === null && m.origDst === null && m.replSrc === null && m.replDst === null &&
      m.origSrcPort === null && m.origDstPort === null && m.replSrcPort === null && m.replDstPort === null && m.status === -1 &&
      m.expire === null && m.dir === null) {
      throw new ParameterProblem('conntrack: At least one option is required');
    }
  },
  save(m) {
    let s = '';
    if (m.state !== -1) s += `${inv(m.stateInvert)} --ctstate ${formatFlagList(m.state, CT_STATES)}`;
    if (m.proto !== -1) s += `${inv(m.protoInvert)} --ctproto ${m.proto}`;
    for (const [opt, key] of Object.entries(CT_ADDR_OPTIONS)) {
      const a = m[key];
      if (a !== null) s += `${inv(a.invert)} ${opt} ${formatAddressShort(a.addr, a.mask)}`;
    }
    for (const [opt, key] of Object.entries(CT_PORT_OPTIONS)) {
      const p = m[key];
      if (p !== null) s += `${inv(p.invert)} ${opt} ${formatPortRange(p.lo, p.hi)}`;
    }
    if (m.status !== -1) s += `${inv(m.statusInvert)} --ctstatus ${m.status === 0 ? 'NONE' : formatFlagList(m.status, CT_STATUSES)}`;
    if (m.expire !== null) s += `${inv(m.expire.invert)} --ctexpire ${formatPortRange(m.expire.lo, m.expire.hi)}`;
    if (m.dir !== null) s += ` --ctdir ${m.dir}`;
    return s;
  },
};

const state: Extension<ConntrackMatch> = {
  name: 'state',
  options: [{ name: '--state', arg: 'required', invertible: true }],
  create: () => newConntrack('state'),
  parse(m, _o, values, invert) {
    m.state = parseFlagList(values[0]!, CT_STATE_NAMES, (w) => `Bad state "${w}"`);
    m.stateInvert = invert;
  },
  check(m) {
    if (m.state === -1) throw new ParameterProblem('state: option "--state" must be specified\n');
  },
  save: (m) => `${inv(m.stateInvert)} --state ${formatFlagList(m.state, CT_STATES)}`,
};

// ---- multiport ----

const multiport: Extension<MultiportMatch> = {
  name: 'multiport',
  options: [
    { name: '--sports', aliases: ['--source-ports'], arg: 'required', invertible: true },
    { name: '--dports', aliases: ['--destination-ports'], arg: 'required', invertible: true },
    { name: '--ports', arg: 'required', invertible: true },
  ],
  create: () => ({ name: 'multiport', which: 'ports', ranges: [], invert: false }),
  parse(m, option, values, invert) {
    if (m.ranges.length > 0) throw new ParameterProblem('multiport can only have one option');
    m.which = option.slice(2) as MultiportMatch['which'];
    const ranges: [number, number][] = [];
    let slots = 0;
    for (const part of values[0]!.split(',')) {
      ranges.push(parsePortRange(part));
      slots += part.includes(':') ? 2 : 1;
    }
    if (slots > 15) throw new ParameterProblem('too many ports specified');
    m.ranges = ranges;
    m.invert = invert;
  },
  check(m, env: ParseEnv) {
    if (m.ranges.length === 0) throw new ParameterProblem('multiport expection an option (--source-ports, --destination-ports or --ports)');
    if (![6, 17, 33, 132, 136].includes(env.rule.proto) || (env.rule.invert & 0x40) !== 0) {
      throw new ParameterProblem("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'");
    }
  },
  save: (m) => `${inv(m.invert)} --${m.which} ${m.ranges.map(([lo, hi]) => formatPortRange(lo, hi)).join(',')}`,
};

// ---- recent ----

const RECENT_COMMANDS = ['--set', '--rcheck', '--update', '--remove'];

const recent: Extension<RecentMatch> = {
  name: 'recent',
  options: [
    { name: '--set', arg: 'none', invertible: true },
    { name: '--rcheck', arg: 'none', invertible: true },
    { name: '--update', arg: 'none', invertible: true },
    { name: '--remove', arg: 'none', invertible: true },
    { name: '--seconds', arg: 'required' },
    { name: '--reap', arg: 'none' },
    { name: '--hitcount', arg: 'required' },
    { name: '--rttl', arg: 'none' },
    { name: '--name', arg: 'required' },
    { name: '--mask', arg: 'required' },
    { name: '--rsource', arg: 'none' },
    { name: '--rdest', arg: 'none' },
  ],
  create: () => ({ name: 'recent', command: 'set', invert: false, seconds: 0, reap: false, hitcount: 0, rttl: false, list: 'DEFAULT', mask: 0xffffffff, source: true }),
  parse(m, option, values, invert, env) {
    const v = values[0] ?? '';
    switch (option) {
      case '--set':
      case '--rcheck':
      case '--update':
      case '--remove':
        if (RECENT_COMMANDS.some((c) => env.seen.has(c))) {
          throw new ParameterProblem('recent: you may only specify one of `--set\', `--rcheck\', `--update\' or `--remove\'');
        }
        m.command = option.slice(2) as RecentMatch['command'];
        m.invert = invert;
        break;
      case '--seconds': {
        const n = parseU32(v);
        if (n === null) throw new ParameterProblem('recent: bad value for option "--seconds", or out of range (0-4294967295).\n');
        m.seconds = n;
        break;
      }
      case '--hitcount': {
        const n = parseU32(v);
        if (n === null) throw new ParameterProblem('recent: bad value for option "--hitcount", or out of range (0-4294967295).\n');
        m.hitcount = n;
        break;
      }
      case '--reap':
        m.reap = true;
        break;
      case '--rttl':
        m.rttl = true;
        break;
      case '--name':
        m.list = v;
        break;
      case '--mask':
        m.mask = parseAddressMask(v).addr;
        break;
      case '--rsource':
        m.source = true;
        break;
      default:
        m.source = false;
    }
  },
  check(m, env) {
    if (!RECENT_COMMANDS.some((c) => env.seen.has(c))) {
      throw new ParameterProblem('recent: you must specify one of `--set\', `--rcheck\', `--update\' or `--remove\'');
    }
    if (m.reap && m.seconds === 0) throw new ParameterProblem('recent: you must specify `--seconds\' with `--reap\'');
  },
  save(m) {
    let s = `${inv(m.invert)} --${m.command}`;
    if (m.seconds !== 0) s += ` --seconds ${m.seconds}`;
    if (m.reap) s += ' --reap';
    if (m.hitcount !== 0) s += ` --hitcount ${m.hitcount}`;
    if (m.rttl) s += ' --rttl';
    s += ` --name ${m.list} --mask ${formatIPv4(m.mask)}`;
    s += m.source ? ' --rsource' : ' --rdest';
    return s;
  },
};

// ---- set ----

const set: Extension<SetMatch> = {
  name: 'set',
  options: [{ name: '--match-set', arg: 'two', invertible: true }],
  create: () => ({ name: 'set', set: '', dirs: [], invert: false }),
  parse(m, _o, values, invert) {
    const dirs = values[1]!.split(',');
    if (dirs.length > 6 || dirs.some((d) => d !== 'src' && d !== 'dst')) throw new ParameterProblem(`You must specify (the comma separated list of) 'src' or 'dst'.`);
    m.set = values[0]!;
    m.dirs = dirs as ('src' | 'dst')[];
    m.invert = invert;
  },
  check(m) {
    if (m.set === '') throw new ParameterProblem('You must specify `--match-set\' with proper arguments');
  },
  save: (m) => `${inv(m.invert)} --match-set ${m.set} ${m.dirs.join(',')}`,
};

// ---- physdev ----

const physdev: Extension<PhysdevMatch> = {
  name: 'physdev',
  options: [
    { name: '--physdev-in', arg: 'required', invertible: true },
    { name: '--physdev-out', arg: 'required', invertible: true },
    { name: '--physdev-is-in', arg: 'none', invertible: true },
    { name: '--physdev-is-out', arg: 'none', invertible: true },
    { name: '--physdev-is-bridged', arg: 'none', invertible: true },
  ],
  create: () => ({ name: 'physdev', physIn: null, physInInvert: false, physOut: null, physOutInvert: false, isIn: null, isOut: null, isBridged: null }),
  parse(m, option, values, invert) {
    if (option === '--physdev-in') {
      m.physIn = values[0]!;
      m.physInInvert = invert;
    } else if (option === '--physdev-out') {
      m.physOut = values[0]!;
      m.physOutInvert = invert;
    } else if (option === '--physdev-is-in') m.isIn = !invert;
    else if (option === '--physdev-is-out') m.isOut = !invert;
    else m.isBridged = !invert;
  },
  check(m) {
    if (m.physIn === null && m.physOut === null && m.isIn === null && m.isOut === null && m.isBridged === null) {
      throw new ParameterProblem('PHYSDEV: no physdev option specified');
    }
  },
  save(m) {
    let s = '';
    if (m.isIn !== null) s += `${inv(!m.isIn)} --physdev-is-in`;
    if (m.physIn !== null) s += `${inv(m.physInInvert)} --physdev-in ${m.physIn}`;
    if (m.isOut !== null) s += `${inv(!m.isOut)} --physdev-is-out`;
    if (m.physOut !== null) s += `${inv(m.physOutInvert)} --physdev-out ${m.physOut}`;
    if (m.isBridged !== null) s += `${inv(!m.isBridged)} --physdev-is-bridged`;
    return s;
  },
};

// ---- ipvs ----

const IPVS_BITS: Readonly<Record<string, number>> = {
  '--ipvs': XT_IPVS_IPVS_PROPERTY, '--vproto': XT_IPVS_PROTO, '--vaddr': XT_IPVS_VADDR, '--vport': XT_IPVS_VPORT,
  '--vdir': XT_IPVS_DIR, '--vmethod': XT_IPVS_METHOD, '--vportctl': XT_IPVS_VPORTCTL,
};

/** XTTYPE_PORT: a number or a service name. */
function parseIpvsPort(text: string): number {
  try {
    return parsePort(text);
  } catch {
    throw new ParameterProblem(`Port "${text}" does not resolve to anything.\n`);
  }
}

/** libxt_ipvs (iptables 1.8.9): every option but --ipvs implies --ipvs; saved with the protocol as a number. */
const ipvs: Extension<IpvsMatch> = {
  name: 'ipvs',
  options: [
    { name: '--ipvs', arg: 'none', invertible: true },
    { name: '--vproto', arg: 'required', invertible: true },
    { name: '--vaddr', arg: 'required', invertible: true },
    { name: '--vport', arg: 'required', invertible: true },
    { name: '--vdir', arg: 'required' },
    { name: '--vmethod', arg: 'required', invertible: true },
    { name: '--vportctl', arg: 'required', invertible: true },
  ],
  create: () => ({ name: 'ipvs', bitmask: 0, invert: 0, l4proto: 0, vaddr: 0, vmask: 0, vport: 0, fwdMethod: 0, vportctl: 0 }),
  parse(m, option, values, invert, env) {
    if (env.seen.has(option)) throw new ParameterProblem(`ipvs: option "${option}" can only be used once.\n`);
    const v = values[0] ?? '';
    const bit = IPVS_BITS[option]!;
    switch (option) {
      case '--vproto':
        m.l4proto = parseProto(v);
        break;
      case '--vaddr': {
        const slash = v.indexOf('/');
        const host = parseIPv4(slash < 0 ? v : v.slice(0, slash));
        if (host === null) throw new ParameterProblem(`host/network \`${slash < 0 ? v : v.slice(0, slash)}' not found`);
        m.vaddr = host;
        m.vmask = parseAddressMask(`0.0.0.0${slash < 0 ? '' : v.slice(slash)}`).mask;
        break;
      }
      case '--vport':
        m.vport = parseIpvsPort(v);
        break;
      case '--vportctl':
        m.vportctl = parseIpvsPort(v);
        break;
      case '--vdir': {
        const d = v.toUpperCase();
        if (d !== 'ORIGINAL' && d !== 'REPLY') throw new ParameterProblem(`ipvs: Bad value for "--vdir" option: "${v}"`);
        // REPLY is kept as an inverted direction bit.
        if (d === 'REPLY') m.invert |= XT_IPVS_DIR;
        else m.invert &= ~XT_IPVS_DIR;
        break;
      }
      case '--vmethod': {
        const found = IPVS_METHODS.find(([n]) => n === v.toUpperCase());
        if (found === undefined) throw new ParameterProblem(`ipvs: Bad value for "--vmethod" option: "${v}"`);
        m.fwdMethod = found[1];
        break;
      }
    }
    m.bitmask |= bit;
    if (invert) m.invert |= bit;
  },
  check(m) {
    if (m.bitmask === 0) throw new ParameterProblem('IPVS: At least one option is required');
    if ((m.bitmask & XT_IPVS_ONCE_MASK) !== 0) {
      if ((m.invert & XT_IPVS_IPVS_PROPERTY) !== 0) throw new ParameterProblem('! --ipvs cannot be together with other options');
      m.bitmask |= XT_IPVS_IPVS_PROPERTY;
    }
  },
  save: (m) => ipvsText(m, '--', true),
};

/** ipvs_mt_dump: the save (`--` prefix, numeric) and the -L text (no prefix). */
export function ipvsText(m: IpvsMatch, prefix: string, numeric: boolean, hostName: (addr: number) => string = formatIPv4): string {
  const neg = (bit: number): string => ((m.invert & bit) !== 0 ? ' !' : '');
  let s = '';
  if (m.bitmask === XT_IPVS_IPVS_PROPERTY) s += `${neg(XT_IPVS_IPVS_PROPERTY)} ${prefix}ipvs`;
  if (m.bitmask & XT_IPVS_PROTO) s += `${neg(XT_IPVS_PROTO)} ${prefix}vproto ${m.l4proto}`;
  if (m.bitmask & XT_IPVS_VADDR) {
    s += `${neg(XT_IPVS_VADDR)} ${prefix}vaddr`;
    if (!numeric && m.vaddr === 0) s += ' anywhere';
    else {
      const len = maskPrefix(m.vmask);
      const maskText = len === 32 ? '' : len >= 0 ? `/${len}` : `/${formatIPv4(m.vmask)}`;
      s += ` ${numeric ? formatIPv4(m.vaddr) : hostName(m.vaddr)}${maskText}`;
    }
  }
  if (m.bitmask & XT_IPVS_VPORT) s += `${neg(XT_IPVS_VPORT)} ${prefix}vport ${m.vport}`;
  if (m.bitmask & XT_IPVS_DIR) s += ` ${prefix}vdir ${(m.invert & XT_IPVS_DIR) !== 0 ? 'REPLY' : 'ORIGINAL'}`;
  if (m.bitmask & XT_IPVS_METHOD) {
    const name = IPVS_METHODS.find(([, f]) => f === m.fwdMethod)?.[0] ?? 'UNKNOWN';
    s += `${neg(XT_IPVS_METHOD)} ${prefix}vmethod ${name}`;
  }
  if (m.bitmask & XT_IPVS_VPORTCTL) s += `${neg(XT_IPVS_VPORTCTL)} ${prefix}vportctl ${m.vportctl}`;
  return s;
}

// ---- limit ----

const LIMIT_SCALE = 10000;
const RATE_UNITS: readonly (readonly [string, number])[] = [['day', 86400 * LIMIT_SCALE], ['hour', 3600 * LIMIT_SCALE], ['min', 60 * LIMIT_SCALE], ['sec', LIMIT_SCALE]];

const limit: Extension<LimitMatch> = {
  name: 'limit',
  options: [
    { name: '--limit', arg: 'required' },
    { name: '--limit-burst', arg: 'required' },
  ],
  create: () => ({ name: 'limit', avg: (3600 * LIMIT_SCALE) / 3, burst: 5 }),
  parse(m, option, values) {
    const v = values[0]!;
    if (option === '--limit') {
      const mm = /^([0-9]+)(?:\/([a-z]+))?$/i.exec(v);
      let mult = LIMIT_SCALE;
      if (mm !== null && mm[2] !== undefined) {
        const unit = mm[2].toLowerCase();
        const found = [['second', LIMIT_SCALE], ['minute', 60 * LIMIT_SCALE], ['hour', 3600 * LIMIT_SCALE], ['day', 86400 * LIMIT_SCALE]].find(
          ([name]) => (name as string).startsWith(unit),
        );
        mult = found === undefined ? -1 : (found[1] as number);
      }
      const r = mm === null ? 0 : Number(mm[1]);
      if (mm === null || mult < 0 || r === 0) throw new ParameterProblem(`bad rate "${v}"'`);
      if (mult / r < 1) throw new ParameterProblem(`Rate too fast "${v}"\n`);
      m.avg = Math.floor(mult / r);
    } else {
      const n = parseU32(v);
      if (n === null || n > 10000) throw new ParameterProblem('limit: bad value for option "--limit-burst", or out of range (0-10000).\n');
      m.burst = n;
    }
  },
  save(m) {
    let i = 1;
    for (; i < RATE_UNITS.length; i++) {
      const mult = RATE_UNITS[i]![1];
      if (m.avg > mult || Math.floor(mult / m.avg) < mult % m.avg) break;
    }
    const [unit, mult] = RATE_UNITS[i - 1]!;
    let s = ` --limit ${Math.floor(mult / m.avg)}/${unit}`;
    if (m.burst !== 5) s += ` --limit-burst ${m.burst}`;
    return s;
  },
};

/** The match extensions dpsim knows, by `-m` name. */
export const MATCHES: ReadonlyMap<string, Extension<MatchData>> = new Map<string, Extension<never>>(
  [portMatch('tcp'), portMatch('udp'), icmp, comment, statistic, markMatch('mark'), markMatch('connmark'), addrtype, conntrack, state, multiport, recent, set, physdev, limit, ipvs].map(
    (e) => [e.name, e as Extension<never>],
  ),
) as ReadonlyMap<string, Extension<MatchData>>;
