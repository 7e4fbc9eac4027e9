/**
 * iproute2's argument conventions, shared by every `ip` object: keyword abbreviation
 * (`matches`), the messages it prints when it gives up, and its lenient parsers for
 * addresses, prefixes, numbers, link-layer addresses and the rt_names tables
 * (iproute2 6.1 as installed on this machine). iproute2 reads addresses more loosely than
 * inet_pton or ip-num (`10/8`, `127.1`, octal `012.0.0.1`, hex `0x0a.0.0.1`), so its
 * parsers are reproduced here rather than borrowed.
 */
import { ScriptError, type Command, type ScriptContext } from '../context.js';
import { NetlinkError } from '../../netns/namespace.js';
import {
  RTN_ANYCAST,
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_NAT,
  RTN_PROHIBIT,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
} from '../../netns/route-table.js';

/** The global options of one `ip` invocation that change what objects do or print. */
export interface IpOptions {
  /** `-4` / `-family inet`: IPv4 only (and no link-layer lines). */
  inet: boolean;
  /** `-o`: one line per record, inner newlines printed as `\`. */
  oneline: boolean;
  /** `-br`: brief tabular output. */
  brief: boolean;
}

/** One `ip` command at work: where it runs, how it was invoked, where its text goes. */
export interface IpCall {
  ctx: ScriptContext;
  cmd: Command;
  opts: IpOptions;
}

/**
 * The tool gave up: what it printed (stdout and stderr as a terminal shows them, each line
 * newline-terminated) before exiting. The script goes on with its next command.
 */
export class IpExit extends Error {
  constructor(readonly output: string) {
    super(output.trimEnd());
    this.name = 'IpExit';
  }
}

/** A real `ip` feature that dpsim does not model: the scenario cannot go on truthfully. */
export class IpUnsupported extends Error {
  /** `what` names the feature; `verbatim` when it is the whole message. */
  constructor(what: string, verbatim = false) {
    super(verbatim ? what : `${what} is not supported by dpsim`);
    this.name = 'IpUnsupported';
  }
}

/**
 * Runs one iproute2-style tool invocation (`ip`, `bridge`) and turns how it ended into what a
 * script sees: the tool's own exit text and netlink errors are printed and the script goes on;
 * an unmodelled feature stops the scenario with a ScriptError naming the line.
 */
export function runTool(ctx: ScriptContext, cmd: Command, body: () => void): void {
  try {
    body();
  } catch (e) {
    if (e instanceof IpExit) ctx.out(e.output);
    else if (e instanceof NetlinkError) ctx.out(e.message + '\n');
    else if (e instanceof IpUnsupported) throw new ScriptError(ctx.file, cmd.line, e.message);
    else throw e;
  }
}

/** Raises IpUnsupported for a feature, e.g. `unsupported('ip rule')`. */
export function unsupported(what: string): never {
  throw new IpUnsupported(what);
}

/**
 * A word iproute2 reads as `help` (any prefix of it, such as a device named `h`): the real
 * tool prints its usage text and does nothing. A scenario that means a name there would go
 * wrong in the kernel too, so dpsim stops and says why.
 */
export function helpWord(object: string, word: string): never {
  throw new IpUnsupported(`"${word}" abbreviates "help" for iproute2: the real \`ip ${object}\` prints its usage here and does nothing (give it another name)`, true);
}

/** iproute2's matches(): `arg` is a non-empty prefix of `word` (`ip a` = `ip address`). */
export function matches(arg: string, word: string): boolean {
  return arg.length > 0 && word.startsWith(arg);
}

/** `Error: argument "ARG" is wrong: MSG` (invarg); MSG keeps a trailing newline where the tool's has one. */
export function invarg(msg: string, arg: string): never {
  throw new IpExit(`Error: argument "${arg}" is wrong: ${msg}\n`);
}

/** `Error: duplicate "KEY": "ARG" is the second value.` (duparg) */
export function duparg(key: string, arg: string): never {
  throw new IpExit(`Error: duplicate "${key}": "${arg}" is the second value.\n`);
}

/** `Error: either "KEY" is duplicate, or "ARG" is a garbage.` (duparg2) */
export function duparg2(key: string, arg: string): never {
  throw new IpExit(`Error: either "${key}" is duplicate, or "${arg}" is a garbage.\n`);
}

/** `Cannot find device "DEV"` (nodev) */
export function nodev(dev: string): never {
  throw new IpExit(`Cannot find device "${dev}"\n`);
}

/** `Error: argument of "KEY" must be "on" or "off", not "ARG"` (on_off) */
export function onOff(key: string, arg: string): never {
  throw new IpExit(`Error: argument of "${key}" must be "on" or "off", not "${arg}"\n`);
}

/** The words after a keyword, read one at a time as iproute2's NEXT_ARG does. */
export class ArgReader {
  private i = 0;
  constructor(private readonly words: readonly string[]) {}

  get done(): boolean {
    return this.i >= this.words.length;
  }

  /** The current word, or undefined at the end. */
  peek(): string | undefined {
    return this.words[this.i];
  }

  /** Takes the current word (the caller knows there is one). */
  take(): string {
    return this.words[this.i++]!;
  }

  /** Takes the value after a keyword; "Command line is not complete" when there is none. */
  value(): string {
    if (this.i >= this.words.length) throw new IpExit('Command line is not complete. Try option "help"\n');
    return this.words[this.i++]!;
  }

  /** The words not yet taken. */
  rest(): string[] {
    return this.words.slice(this.i);
  }
}

// ---- numbers -------------------------------------------------------------------------

/** The value of a C integer literal as strtoul with base 0 reads it (`0x1f`, `017`, `42`); null unless it is the whole text. */
function cNumber(text: string): number | null {
  const m = /^\s*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (m === null) return null;
  const d = m[1]!;
  if (/^0[xX]/.test(d)) return parseInt(d.slice(2), 16);
  return d.length > 1 && d[0] === '0' ? parseInt(d, 8) : Number(d);
}

/** get_unsigned / get_u32: the whole text as an unsigned number up to `max` (base 0: hex and octal too); null otherwise. */
export function parseUnsigned(text: string, max = 0xffffffff): number | null {
  const v = cNumber(text);
  return v !== null && v <= max ? v : null;
}

/** get_integer: the whole text as a signed int (base 0); null otherwise. */
export function parseInteger(text: string): number | null {
  const m = /^(\s*)-(.*)$/s.exec(text);
  const v = cNumber(m === null ? text : m[1]! + m[2]!);
  if (v === null) return null;
  const signed = m === null ? v : -v;
  return signed >= -0x80000000 && signed <= 0x7fffffff ? signed : null;
}

// ---- addresses -----------------------------------------------------------------------

/** One field of get_addr_ipv4: strtoul with base 0 that must stop at a dot or the end. */
function ipv4Field(text: string): number | null {
  const m = /^\s*\+?(0[xX][0-9a-fA-F]+|[0-9]+)/.exec(text);
  return m === null ? null : m[0].length;
}

/**
 * An IPv4 address as iproute2 reads it (get_addr_ipv4): one to four fields, each decimal,
 * `0x` hex or leading-zero octal up to 255; missing trailing bytes are zero (`10/8` is
 * 10.0.0.0/8). Null when it is not one.
 */
export function parseInetAddress(text: string): number | null {
  const bytes = [0, 0, 0, 0];
  let rest = text;
  for (let i = 0; i < 4; i++) {
    const len = ipv4Field(rest);
    if (len === null) return null;
    const field = rest.slice(0, len).trim().replace(/^\+/, '');
    let v: number;
    if (/^0[xX]/.test(field)) v = parseInt(field.slice(2), 16);
    else if (field.length > 1 && field[0] === '0') {
      // strtoul base 0 stops at the first non-octal digit.
      const oct = /^[0-7]+/.exec(field)![0];
      if (oct.length !== field.length) return null;
      v = parseInt(oct, 8);
    } else v = Number(field);
    if (v > 255) return null;
    bytes[i] = v;
    rest = rest.slice(len);
    if (rest === '') break;
    if (i === 3 || rest[0] !== '.') return null;
    rest = rest.slice(1);
  }
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

/** An address or prefix as iproute2's inet_prefix holds it. */
export interface InetPrefix {
  addr: number;
  /** 32 for an address without `/LEN`; 0 for `default`/`all`/`any`. */
  len: number;
  /** A `/LEN` (or `default`) was written. */
  lenGiven: boolean;
  /** `all`/`any`: no address at all (bytelen 0). */
  any: boolean;
}

/** What a family is called in "Error: … address is expected": `inet` with -4, else `any valid`. */
export function familyWord(opts: IpOptions): string {
  return opts.inet ? 'inet' : 'any valid';
}

/** Rejects IPv6 text (has a colon) as not modelled; otherwise null when not IPv4. */
function inetOrIpv6(text: string): number | null {
  if (text.includes(':')) unsupported('IPv6');
  return parseInetAddress(text);
}

/** get_addr: an address (or `default`/`all`/`any`), else `Error: FAMILY address is expected rather than "X".` */
export function getAddr(text: string, family: string): InetPrefix {
  if (text === 'default') return { addr: 0, len: 0, lenGiven: true, any: false };
  if (text === 'all' || text === 'any') return { addr: 0, len: 0, lenGiven: false, any: true };
  const addr = inetOrIpv6(text);
  if (addr === null) throw new IpExit(`Error: ${family} address is expected rather than "${text}".\n`);
  return { addr, len: 32, lenGiven: false, any: false };
}

/** get_prefix: ADDR[/LEN] with LEN a number or a dotted netmask, else `Error: FAMILY prefix is expected rather than "X".` */
export function getPrefix(text: string, family: string): InetPrefix {
  const fail = (): never => {
    throw new IpExit(`Error: ${family} prefix is expected rather than "${text}".\n`);
  };
  const slash = text.indexOf('/');
  const head = slash < 0 ? text : text.slice(0, slash);
  if (head === 'default' || head === 'all' || head === 'any') {
    if (slash >= 0) fail();
    return { addr: 0, len: 0, lenGiven: head === 'default', any: head !== 'default' };
  }
  const addr = inetOrIpv6(head);
  if (addr === null) fail();
  if (slash < 0) return { addr: addr!, len: 32, lenGiven: false, any: false };
  const lenText = text.slice(slash + 1);
  let len = parseUnsigned(lenText);
  if (len === null) {
    const mask = parseInetAddress(lenText);
    len = mask === null ? null : maskToLength(mask);
  }
  if (len === null || len > 32) fail();
  return { addr: addr!, len: len!, lenGiven: true, any: false };
}

/** The prefix length of a contiguous netmask, or null. */
function maskToLength(mask: number): number | null {
  const host = ~mask >>> 0;
  if ((host & (host + 1)) !== 0) return null;
  let bits = 0;
  for (let m = mask; m !== 0; m = (m << 1) >>> 0) bits++;
  return bits;
}

/** A link-layer address as ll_addr_a2n reads it: hex bytes separated by `:`; `"X" is invalid lladdr.` naming the bad field. */
export function parseLladdr(text: string): number[] {
  if (text.includes('.')) unsupported('a dotted link-layer address');
  const bytes: number[] = [];
  for (const field of text.split(':')) {
    const m = /^\s*[+-]?(0[xX])?([0-9a-fA-F]+)/.exec(field);
    const v = m === null ? NaN : parseInt(m[2]!, 16);
    if (Number.isNaN(v) || v > 255) throw new IpExit(`"${field}" is invalid lladdr.\n`);
    bytes.push(v);
  }
  return bytes;
}

/** Six bytes as a 48-bit MAC number. */
export function macFromBytes(bytes: readonly number[]): number {
  return bytes.reduce((acc, b) => acc * 256 + b, 0);
}

// ---- rt_names --------------------------------------------------------------------------

const SCOPES: ReadonlyMap<string, number> = new Map([
  ['global', 0], ['nowhere', 255], ['host', 254], ['link', 253], ['site', 200],
]);

const PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['unspec', 0], ['redirect', 1], ['kernel', 2], ['boot', 3], ['static', 4], ['gated', 8], ['ra', 9], ['mrt', 10],
  ['zebra', 11], ['bird', 12], ['dnrouted', 13], ['xorp', 14], ['ntk', 15], ['dhcp', 16], ['keepalived', 18],
  ['babel', 42], ['openr', 99], ['bgp', 186], ['isis', 187], ['ospf', 188], ['rip', 189], ['eigrp', 192],
]);

const TABLES: ReadonlyMap<string, number> = new Map([
  ['unspec', 0], ['default', 253], ['main', 254], ['local', 255],
]);

const DSFIELDS: ReadonlyMap<string, number> = new Map([
  ['AF11', 0x28], ['AF12', 0x30], ['AF13', 0x38], ['AF21', 0x48], ['AF22', 0x50], ['AF23', 0x58],
  ['AF31', 0x68], ['AF32', 0x70], ['AF33', 0x78], ['AF41', 0x88], ['AF42', 0x90], ['AF43', 0x98],
  ['CS1', 0x20], ['CS2', 0x40], ['CS3', 0x60], ['CS4', 0x80], ['CS5', 0xa0], ['CS6', 0xc0], ['CS7', 0xe0], ['EF', 0xb8],
]);

/** A scope name of /etc/iproute2/rt_scopes or a number up to 255 (rtnl_rtscope_a2n). */
export function parseScope(text: string): number | null {
  return SCOPES.get(text) ?? parseUnsigned(text, 255);
}

/** A protocol name of /etc/iproute2/rt_protos or a number up to 255 (rtnl_rtprot_a2n). */
export function parseProtocol(text: string): number | null {
  return PROTOCOLS.get(text) ?? parseUnsigned(text, 255);
}

/** A table name of /etc/iproute2/rt_tables or a 32-bit number (rtnl_rttable_a2n). */
export function parseTable(text: string): number | null {
  return TABLES.get(text) ?? parseUnsigned(text);
}

/** A TOS name of /etc/iproute2/rt_dsfield or a hex number up to 0xff (rtnl_dsfield_a2n). */
export function parseDsfield(text: string): number | null {
  const named = DSFIELDS.get(text);
  if (named !== undefined) return named;
  if (!/^\s*(0[xX])?[0-9a-fA-F]+$/.test(text)) return null;
  const v = parseInt(text.trim().replace(/^0[xX]/, ''), 16);
  return v <= 255 ? v : null;
}

/** A route type name (rtnl_rtntype_a2n: abbreviations allowed for most) or a number up to 255. */
export function parseRouteType(text: string): number | null {
  if (text === 'local') return RTN_LOCAL;
  if (text === 'nat') return RTN_NAT;
  if (matches(text, 'broadcast') || text === 'brd') return RTN_BROADCAST;
  if (matches(text, 'anycast')) return RTN_ANYCAST;
  if (matches(text, 'multicast')) return RTN_MULTICAST;
  if (matches(text, 'prohibit')) return RTN_PROHIBIT;
  if (matches(text, 'unreachable')) return RTN_UNREACHABLE;
  if (matches(text, 'blackhole')) return RTN_BLACKHOLE;
  if (matches(text, 'xresolve')) return 11;
  if (matches(text, 'unicast')) return RTN_UNICAST;
  if (text === 'throw') return RTN_THROW;
  return parseUnsigned(text, 255);
}

/** check_ifname: a usable interface name (1–15 bytes, no `/`, `:` or blanks, not `.` or `..`). */
export function validIfname(name: string): boolean {
  return name.length > 0 && name.length < 16 && !/[\s/:]/.test(name) && name !== '.' && name !== '..';
}

/** check_altifname: what `dev NAME` accepts before the kernel looks (up to 127 bytes). */
export function validAltIfname(name: string): boolean {
  return name.length > 0 && name.length < 128 && !/[\s/:]/.test(name) && name !== '.' && name !== '..';
}
