/**
 * Targets (libxt_*.c and the standard verdicts): their options as plain numeric data and
 * their iptables-save text, recorded from iptables v1.8.9.
 */
import { formatIPv4, parseIPv4 } from '../packet/address.js';
import { ParameterProblem } from './errors.js';
import type { Extension } from './module.js';
import { hex, parseMarkMask, parsePortRange, parseU32, quoteString } from './values.js';

/** ACCEPT / DROP / RETURN. */
export interface VerdictTarget {
  name: 'ACCEPT' | 'DROP' | 'RETURN';
}

/** `-j CHAIN` (goto false) or `-g CHAIN` (goto true) to a user chain. */
export interface JumpTarget {
  name: 'jump';
  chain: string;
  goto: boolean;
}

/** REJECT: the ICMP type or TCP reset to answer with. */
export interface RejectTarget {
  name: 'REJECT';
  with: string;
}

/** An address range with an optional port range (DNAT --to-destination, SNAT --to-source). */
export interface NatRange {
  /** 0 when absent (MASQUERADE-like "keep the address"). */
  minAddr: number;
  maxAddr: number;
  hasAddr: boolean;
  minPort: number;
  maxPort: number;
  hasPorts: boolean;
}

export interface NatTarget {
  name: 'DNAT' | 'SNAT';
  range: NatRange | null;
  random: boolean;
  randomFully: boolean;
  persistent: boolean;
}

export interface MasqueradeTarget {
  name: 'MASQUERADE' | 'REDIRECT';
  /** [lo, hi] or null. */
  ports: [number, number] | null;
  random: boolean;
  randomFully: boolean;
}

/** MARK / CONNMARK --set-xmark: new = (old & ~mask) ^ value; CONNMARK also save/restore. */
export interface MarkTarget {
  name: 'MARK';
  value: number;
  mask: number;
}

export interface ConnmarkTarget {
  name: 'CONNMARK';
  mode: 'set' | 'save' | 'restore';
  /** set: ctmark = (ctmark & ~ctmask) ^ value. */
  value: number;
  ctmask: number;
  nfmask: number;
}

export interface LogTarget {
  name: 'LOG';
  level: number;
  prefix: string;
  /** XT_LOG_* bits: 1 tcp-sequence, 2 tcp-options, 4 ip-options, 8 uid, 0x20 macdecode. */
  flags: number;
}

/** TRACE, NOTRACK and CT --notrack: no options that matter. */
export interface PlainTarget {
  name: 'TRACE' | 'NOTRACK' | 'CT';
}

/** A rule's target, as plain data. */
export type TargetData = VerdictTarget | JumpTarget | RejectTarget | NatTarget | MasqueradeTarget | MarkTarget | ConnmarkTarget | LogTarget | PlainTarget;

/** Standard verdict names (never chain names). */
export const VERDICTS = new Set(['ACCEPT', 'DROP', 'RETURN']);

// ---- REJECT ----

const REJECT_TYPES = new Map<string, string>([
  ['icmp-net-unreachable', 'icmp-net-unreachable'], ['net-unreach', 'icmp-net-unreachable'],
  ['icmp-host-unreachable', 'icmp-host-unreachable'], ['host-unreach', 'icmp-host-unreachable'],
  ['icmp-proto-unreachable', 'icmp-proto-unreachable'], ['proto-unreach', 'icmp-proto-unreachable'],
  ['icmp-port-unreachable', 'icmp-port-unreachable'], ['port-unreach', 'icmp-port-unreachable'],
  ['icmp-net-prohibited', 'icmp-net-prohibited'], ['net-prohib', 'icmp-net-prohibited'],
  ['icmp-host-prohibited', 'icmp-host-prohibited'], ['host-prohib', 'icmp-host-prohibited'],
  ['tcp-reset', 'tcp-reset'], ['tcp-rst', 'tcp-reset'],
  ['icmp-admin-prohibited', 'icmp-admin-prohibited'], ['admin-prohib', 'icmp-admin-prohibited'],
]);

const reject: Extension<RejectTarget> = {
  name: 'REJECT',
  options: [{ name: '--reject-with', arg: 'required' }],
  create: () => ({ name: 'REJECT', with: 'icmp-port-unreachable' }),
  parse(t, _o, values) {
    const w = REJECT_TYPES.get(values[0]!);
    if (w === undefined) throw new ParameterProblem(`unknown reject type "${values[0]!}"`);
    t.with = w;
  },
  save: (t) => ` --reject-with ${t.with}`,
};

// ---- DNAT / SNAT ----

/** `[ADDR[-ADDR]][:PORT[-PORT]]` (parse_to in libxt_DNAT.c). */
function parseNatRange(text: string, target: string, portsAllowed: boolean): NatRange {
  const colon = text.indexOf(':');
  const addrText = colon < 0 ? text : text.slice(0, colon);
  const r: NatRange = { minAddr: 0, maxAddr: 0, hasAddr: false, minPort: 0, maxPort: 0, hasPorts: false };
  if (colon >= 0) {
    if (!portsAllowed) throw new ParameterProblem('Need TCP, UDP, SCTP or DCCP with port specification');
    const portText = text.slice(colon + 1);
    const [lo, hi] = /^[0-9]+(-[0-9]+)?$/.test(portText) ? parsePortRange(portText, '-') : [-1, -1];
    if (lo <= 0 && !(lo === 0 && hi > 0)) throw new ParameterProblem(`Port \`${portText}' not valid\n`);
    r.minPort = lo;
    r.maxPort = hi;
    r.hasPorts = true;
  }
  if (addrText !== '') {
    const dash = addrText.indexOf('-');
    const lo = parseIPv4(dash < 0 ? addrText : addrText.slice(0, dash));
    const hi = dash < 0 ? lo : parseIPv4(addrText.slice(dash + 1));
    if (lo === null || hi === null) throw new ParameterProblem(`Bad IP address "${addrText}"\n`);
    r.minAddr = lo;
    r.maxAddr = hi;
    r.hasAddr = true;
  }
  if (!r.hasAddr && !r.hasPorts) throw new ParameterProblem(`${target}: bad value for option "--to-${target === 'DNAT' ? 'destination' : 'source'}"`);
  return r;
}

function formatNatRange(r: NatRange): string {
  let s = '';
  if (r.hasAddr) s += r.minAddr === r.maxAddr ? formatIPv4(r.minAddr) : `${formatIPv4(r.minAddr)}-${formatIPv4(r.maxAddr)}`;
  if (r.hasPorts) s += `:${r.minPort === r.maxPort ? r.minPort : `${r.minPort}-${r.maxPort}`}`;
  return s;
}

const PORT_PROTOS = [6, 17, 33, 132, 136];

function natTarget(name: 'DNAT' | 'SNAT'): Extension<NatTarget> {
  const to = name === 'DNAT' ? '--to-destination' : '--to-source';
  return {
    name,
    options: [
      { name: to, arg: 'required' },
      { name: '--random', arg: 'none' },
      { name: '--random-fully', arg: 'none' },
      { name: '--persistent', arg: 'none' },
    ],
    create: () => ({ name, range: null, random: false, randomFully: false, persistent: false }),
    parse(t, option, values, _invert, env) {
      if (option === to) {
        if (t.range !== null) throw new ParameterProblem(`${name}: Multiple --${to.slice(2)} not supported`);
        t.range = parseNatRange(values[0]!, name, PORT_PROTOS.includes(env.rule.proto));
      } else if (option === '--random') t.random = true;
      else if (option === '--random-fully') t.randomFully = true;
      else t.persistent = true;
    },
    check(t) {
      if (t.range === null) throw new ParameterProblem(`${name}: option "${to}" must be specified\n`);
    },
    save(t) {
      let s = ` ${to} ${formatNatRange(t.range!)}`;
      if (t.random) s += ' --random';
      if (t.randomFully) s += ' --random-fully';
      if (t.persistent) s += ' --persistent';
      return s;
    },
  };
}

// ---- MASQUERADE / REDIRECT ----

function portsTarget(name: 'MASQUERADE' | 'REDIRECT'): Extension<MasqueradeTarget> {
  return {
    name,
    options: [
      { name: '--to-ports', arg: 'required' },
      { name: '--random', arg: 'none' },
      ...(name === 'MASQUERADE' ? [{ name: '--random-fully', arg: 'none' } as const] : []),
    ],
    create: () => ({ name, ports: null, random: false, randomFully: false }),
    parse(t, option, values, _invert, env) {
      if (option === '--to-ports') {
        if (!PORT_PROTOS.includes(env.rule.proto)) throw new ParameterProblem('Need TCP, UDP, SCTP or DCCP with port specification');
        const text = values[0]!;
        if (!/^[0-9]+(-[0-9]+)?$/.test(text)) throw new ParameterProblem(`Port \`${text}' not valid\n`);
        t.ports = parsePortRange(text, '-');
      } else if (option === '--random') t.random = true;
      else t.randomFully = true;
    },
    save(t) {
      let s = '';
      if (t.ports !== null) s += ` --to-ports ${t.ports[0] === t.ports[1] ? t.ports[0] : `${t.ports[0]}-${t.ports[1]}`}`;
      if (t.random) s += ' --random';
      if (t.randomFully) s += ' --random-fully';
      return s;
    },
  };
}

// ---- MARK ----

function badMark(target: string, option: string): ParameterProblem {
  return new ParameterProblem(`${target}: bad integer value for option "${option}", or out of range.\n`);
}

const mark: Extension<MarkTarget> = {
  name: 'MARK',
  options: [
    { name: '--set-xmark', arg: 'required' },
    { name: '--set-mark', arg: 'required' },
    { name: '--and-mark', arg: 'required' },
    { name: '--or-mark', arg: 'required' },
    { name: '--xor-mark', arg: 'required' },
  ],
  create: () => ({ name: 'MARK', value: 0, mask: 0 }),
  parse(t, option, values, _invert, env) {
    if (env.seen.size > 0) throw new ParameterProblem('MARK target: Can\'t specify --set-mark twice');
    const v = values[0]!;
    if (option === '--set-xmark' || option === '--set-mark') {
      const mm = parseMarkMask(v);
      if (mm === null) throw badMark('MARK', option);
      t.value = mm.value;
      t.mask = option === '--set-mark' ? (mm.mask | mm.value) >>> 0 : mm.mask;
      return;
    }
    const n = parseU32(v);
    if (n === null) throw badMark('MARK', option);
    if (option === '--and-mark') [t.value, t.mask] = [0, ~n >>> 0];
    else if (option === '--or-mark') [t.value, t.mask] = [n, n];
    else [t.value, t.mask] = [n, 0];
  },
  check(_t, env) {
    if (env.seen.size === 0) throw new ParameterProblem('MARK target: Parameter --set/and/or/xor-mark is required');
  },
  save: (t) => ` --set-xmark ${hex(t.value)}/${hex(t.mask)}`,
};

// ---- CONNMARK ----

const connmark: Extension<ConnmarkTarget> = {
  name: 'CONNMARK',
  options: [
    { name: '--set-xmark', arg: 'required' },
    { name: '--set-mark', arg: 'required' },
    { name: '--and-mark', arg: 'required' },
    { name: '--or-mark', arg: 'required' },
    { name: '--xor-mark', arg: 'required' },
    { name: '--save-mark', arg: 'none' },
    { name: '--restore-mark', arg: 'none' },
    { name: '--mask', arg: 'required' },
    { name: '--nfmask', arg: 'required' },
    { name: '--ctmask', arg: 'required' },
  ],
  create: () => ({ name: 'CONNMARK', mode: 'set', value: 0, ctmask: 0xffffffff, nfmask: 0xffffffff }),
  parse(t, option, values) {
    const v = values[0] ?? '';
    switch (option) {
      case '--set-xmark':
      case '--set-mark': {
        const mm = parseMarkMask(v);
        if (mm === null) throw badMark('CONNMARK', option);
        t.mode = 'set';
        t.value = mm.value;
        t.ctmask = option === '--set-mark' ? (mm.mask | mm.value) >>> 0 : mm.mask;
        return;
      }
      case '--save-mark':
        t.mode = 'save';
        return;
      case '--restore-mark':
        t.mode = 'restore';
        return;
    }
    const n = parseU32(v);
    if (n === null) throw badMark('CONNMARK', option);
    if (option === '--and-mark') [t.mode, t.value, t.ctmask] = ['set', 0, ~n >>> 0];
    else if (option === '--or-mark') [t.mode, t.value, t.ctmask] = ['set', n, n];
    else if (option === '--xor-mark') [t.mode, t.value, t.ctmask] = ['set', n, 0];
    else if (option === '--mask') t.ctmask = t.nfmask = n;
    else if (option === '--nfmask') t.nfmask = n;
    else t.ctmask = n;
  },
  check(_t, env) {
    if (!['--set-xmark', '--set-mark', '--and-mark', '--or-mark', '--xor-mark', '--save-mark', '--restore-mark'].some((o) => env.seen.has(o))) {
      throw new ParameterProblem('CONNMARK target: No operation specified');
    }
  },
  save(t) {
    if (t.mode === 'set') return ` --set-xmark ${hex(t.value)}/${hex(t.ctmask)}`;
    return ` --${t.mode}-mark --nfmask ${hex(t.nfmask)} --ctmask ${hex(t.ctmask)}`;
  },
};

// ---- LOG ----

const LOG_LEVELS = new Map([['emerg', 0], ['alert', 1], ['crit', 2], ['error', 3], ['err', 3], ['warning', 4], ['warn', 4], ['notice', 5], ['info', 6], ['debug', 7]]);
const LOG_FLAGS: readonly (readonly [string, number])[] = [
  ['--log-tcp-sequence', 0x01], ['--log-tcp-options', 0x02], ['--log-ip-options', 0x04], ['--log-uid', 0x08], ['--log-macdecode', 0x20],
];

const log: Extension<LogTarget> = {
  name: 'LOG',
  options: [{ name: '--log-level', arg: 'required' }, { name: '--log-prefix', arg: 'required' }, ...LOG_FLAGS.map(([name]) => ({ name, arg: 'none' }) as const)],
  create: () => ({ name: 'LOG', level: 4, prefix: '', flags: 0 }),
  parse(t, option, values) {
    const v = values[0] ?? '';
    if (option === '--log-level') {
      const n = LOG_LEVELS.get(v.toLowerCase()) ?? (/^[0-7]$/.test(v) ? Number(v) : undefined);
      if (n === undefined) throw new ParameterProblem(`log-level \`${v}' unknown`);
      t.level = n;
    } else if (option === '--log-prefix') {
      if (v.length > 29) throw new ParameterProblem('Maximum prefix length 29 for --log-prefix');
      t.prefix = v;
    } else t.flags |= LOG_FLAGS.find(([name]) => name === option)![1];
  },
  save(t) {
    let s = '';
    if (t.prefix !== '') s += ` --log-prefix ${quoteString(t.prefix)}`;
    if (t.level !== 4) s += ` --log-level ${t.level}`;
    for (const [name, bit] of LOG_FLAGS) if ((t.flags & bit) !== 0) s += ` ${name}`;
    return s;
  },
};

// ---- TRACE / NOTRACK / CT ----

function plain(name: 'TRACE' | 'NOTRACK'): Extension<PlainTarget> {
  return { name, options: [], create: () => ({ name }), parse() {}, save: () => '' };
}

const ct: Extension<PlainTarget> = {
  name: 'CT',
  options: [{ name: '--notrack', arg: 'none' }],
  create: () => ({ name: 'CT' }),
  parse() {},
  check(_t, env) {
    if (!env.seen.has('--notrack')) throw new ParameterProblem('CT: only `--notrack\' is modelled by dpsim');
  },
  save: () => ' --notrack',
};

/** The target extensions dpsim knows, by `-j` name (verdicts and chain jumps are handled by the rule parser). */
export const TARGETS: ReadonlyMap<string, Extension<TargetData>> = new Map<string, Extension<never>>(
  [reject, natTarget('DNAT'), natTarget('SNAT'), portsTarget('MASQUERADE'), portsTarget('REDIRECT'), mark, connmark, log, plain('TRACE'), plain('NOTRACK'), ct].map(
    (e) => [e.name, e as Extension<never>],
  ),
) as ReadonlyMap<string, Extension<TargetData>>;

/** Which tables and built-in chains a target is valid in (the kernel's xt_target table/hooks), or null for anywhere. */
export const TARGET_PLACES: ReadonlyMap<string, { table: string | null; hooks: readonly string[] }> = new Map([
  ['DNAT', { table: 'nat', hooks: ['PREROUTING', 'OUTPUT'] }],
  ['SNAT', { table: 'nat', hooks: ['POSTROUTING', 'INPUT'] }],
  ['MASQUERADE', { table: 'nat', hooks: ['POSTROUTING'] }],
  ['REDIRECT', { table: 'nat', hooks: ['PREROUTING', 'OUTPUT'] }],
  ['REJECT', { table: null, hooks: ['INPUT', 'FORWARD', 'OUTPUT'] }],
  ['TRACE', { table: 'raw', hooks: ['PREROUTING', 'OUTPUT'] }],
  ['NOTRACK', { table: 'raw', hooks: ['PREROUTING', 'OUTPUT'] }],
  ['CT', { table: 'raw', hooks: ['PREROUTING', 'OUTPUT'] }],
]);
