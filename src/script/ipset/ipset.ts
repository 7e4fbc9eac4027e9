/**
 * The `ipset` command (v7.17, protocol 7) over a namespace's sets: create, add, del, test,
 * destroy, list, save, restore, flush, rename, swap, with `-exist`/`-!`, `-q`, `-n`/`-name`,
 * `-t`/`-terse` and `-o save|plain`. Output and messages as recorded from the real tool in a
 * private `unshare --mount --net` namespace on kernel 6.18.
 *
 * `ipset restore` is not atomic: each create/destroy/… line takes effect when read; runs of
 * add/del lines for one set are sent in batches of one netlink buffer (167 hash:ip elements).
 * The kernel applies a batch up to its first refused element; a line the tool cannot parse
 * discards the batch still pending. The first error ends the restore.
 */
import { BitmapPortSet } from '../../ipset/bitmap-port-set.js';
import { formatHashElem, type Elem } from '../../ipset/element.js';
import { IpsetError, IpsetNotModelled, KERNEL_MESSAGES, kernelError, syntaxError } from '../../ipset/errors.js';
import { listSet, saveSet } from '../../ipset/format.js';
import { AHASH_MAX_SIZE, HASH_TYPES, HashSet } from '../../ipset/hash-set.js';
import { ipsetOf, type IpsetTable } from '../../ipset/ipset.js';
import { ListSet, type ListPosition } from '../../ipset/list-set.js';
import { parseHashElem, parseNumber, parsePortElem, parseRanged, type ParsedElem } from '../../ipset/parse.js';
import { noExt, type ExtValues, type IpSet, type SetExtensions } from '../../ipset/set.js';
import type { HashTypeName } from '../../ipset/element.js';
import { ScriptError, type CommandHandler, type ScriptContext } from '../context.js';

const PREFIX = 'ipset v7.17: ';
const TRY_HELP = "Try `ipset help' for more information.\n";
/** Bytes of element attributes one netlink buffer of a restore holds (167 hash:ip elements of 24 bytes). */
const BATCH_BYTES = 4008;
/** IPSET_MAX_TIMEOUT. */
const MAX_TIMEOUT = 2147483;

/** Set types the real kernel has that dpsim does not model. */
const UNMODELLED_TYPES = new Set(['hash:ip,mark', 'hash:net,iface', 'hash:net,net', 'hash:net,port,net', 'hash:mac', 'hash:ip,mac', 'bitmap:ip', 'bitmap:ip,mac']);

function argumentError(message: string): IpsetError {
  return new IpsetError('argument', message);
}

/** Options that hold for the whole invocation. */
interface Globals {
  exist: boolean;
  quiet: boolean;
  names: boolean;
  terse: boolean;
  output: 'plain' | 'save';
}

/** An add or del waiting in the restore's netlink buffer. */
interface Pending {
  key: string;
  bytes: number;
  items: { line: number; apply: () => void }[];
}

/** Splits a restore line into words as ipset does (blanks separate, double quotes group). */
function splitLine(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) words.push(m[1] ?? m[2]!);
  return words;
}

/** One ipset invocation (a command line, or a whole restore). */
class Session {
  private readonly table: IpsetTable;
  private pending: Pending | null = null;
  /** Restore line being run, or 0 outside restore. */
  private line = 0;

  constructor(
    private readonly ctx: ScriptContext,
    private readonly file: string,
    private readonly scriptLine: number,
    private readonly stdin: string | null,
  ) {
    this.table = ipsetOf(ctx.ns);
  }

  private report(e: IpsetError, g: Globals): void {
    if (g.quiet) return;
    if (e.kind === 'argument') this.ctx.out(`${PREFIX}${e.message}\n${TRY_HELP}`);
    else if (this.line > 0) this.ctx.out(`${PREFIX}Error in line ${this.line}: ${e.message}\n`);
    else this.ctx.out(`${PREFIX}${e.message}\n`);
  }

  /** Runs one command's words; returns false when it failed (a restore stops). */
  run(words: string[], inherited: Globals | null): boolean {
    const g: Globals = inherited !== null ? { ...inherited } : { exist: false, quiet: false, names: false, terse: false, output: 'plain' };
    try {
      const args = this.globals(words, g);
      this.command(args, g);
      return true;
    } catch (e) {
      if (e instanceof IpsetError) {
        if (e.kind !== 'kernel' || this.line === 0) this.pending = null;
        this.report(e, g);
        return false;
      }
      if (e instanceof IpsetNotModelled) throw new ScriptError(this.file, this.scriptLine, e.message);
      throw e;
    }
  }

  /** Takes the global options out of the words (they may stand anywhere). */
  private globals(words: string[], g: Globals): string[] {
    const rest: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (w === '-exist' || w === '-!') g.exist = true;
      else if (w === '-q' || w === '-quiet') g.quiet = true;
      else if (w === '-n' || w === '-name') g.names = true;
      else if (w === '-t' || w === '-terse') g.terse = true;
      else if (w === '-r' || w === '-resolve') continue;
      else if (w === '-o' || w === '-output') {
        const v = words[++i];
        if (v === 'plain' || v === 'save') g.output = v;
        else if (v === 'xml' || v === 'json') throw new IpsetNotModelled(`ipset -o ${v} is not modelled by dpsim`);
        else throw syntaxError(`Unknown output mode '${v ?? ''}'`);
      } else if (w === '-s' || w === '-sorted' || w === '-f' || w === '-file') throw new IpsetNotModelled(`ipset option ${w} is not modelled by dpsim`);
      else rest.push(w);
    }
    return rest;
  }

  private command(args: string[], g: Globals): void {
    const name = args[0];
    if (name === undefined) throw argumentError('No command specified.');
    const rest = args.slice(1);
    switch (name) {
      case 'create': case 'n': case '-N':
        this.flushPending();
        return this.create(rest, g);
      case 'add': case 'a': case '-A':
        return this.adt('add', rest, g);
      case 'del': case 'd': case '-D':
        return this.adt('del', rest, g);
      case 'test': case 't': case '-T':
        this.flushPending();
        return this.testCmd(rest, g);
      case 'destroy': case 'x': case '-X':
        this.flushPending();
        this.maxArgs(rest, 1);
        return this.table.destroy(rest[0] ?? null);
      case 'flush': case 'f': case '-F':
        this.flushPending();
        this.maxArgs(rest, 1);
        return this.table.flush(rest[0] ?? null);
      case 'rename': case 'e': case '-E':
        this.flushPending();
        this.needArgs(rest, 2);
        return this.table.rename(rest[0]!, rest[1]!);
      case 'swap': case 'w': case '-W':
        this.flushPending();
        this.needArgs(rest, 2);
        return this.table.swap(rest[0]!, rest[1]!);
      case 'list': case 'l': case '-L':
        this.flushPending();
        return this.list(rest, g, g.output === 'save');
      case 'save': case 's': case '-S':
        this.flushPending();
        return this.list(rest, g, true);
      case 'restore': case 'r': case '-R':
        if (this.line > 0) throw argumentError('Restore command is not supported in restore mode.');
        return this.restore(g);
      default:
        throw argumentError(`No command specified: unknown argument ${name}`);
    }
  }

  private maxArgs(rest: string[], n: number): void {
    if (rest.length > n) throw argumentError(`Unknown argument ${rest[n]}`);
  }

  private needArgs(rest: string[], n: number): void {
    if (rest.length < n) throw argumentError('Missing mandatory argument');
    this.maxArgs(rest, n);
  }

  private list(rest: string[], g: Globals, save: boolean): void {
    this.maxArgs(rest, 1);
    const now = this.table.now;
    const sets = rest.length === 1 ? [this.table.get(rest[0]!)] : this.table.sets();
    if (g.names) {
      for (const s of sets) this.ctx.out(`${s.name}\n`);
      return;
    }
    if (save) for (const s of sets) this.ctx.out(saveSet(s, now));
    else this.ctx.out(sets.map((s) => listSet(s, now, g.terse)).join('\n'));
  }

  private create(rest: string[], g: Globals): void {
    const [name, type] = rest;
    if (name === undefined || type === undefined) throw argumentError('Missing mandatory argument');
    if (UNMODELLED_TYPES.has(type)) throw new IpsetNotModelled(`ipset type ${type} is not modelled by dpsim`);
    const isHash = Object.prototype.hasOwnProperty.call(HASH_TYPES, type);
    if (!isHash && type !== 'bitmap:port' && type !== 'list:set') throw syntaxError(`typename '${type}' is unknown`);
    const ext: SetExtensions = { timeout: null, counters: false, comment: false };
    let family = false;
    let hashsize = 1024;
    let maxelem = 65536;
    let bucketsize = AHASH_MAX_SIZE;
    let initval: number | null = null;
    let range: [number, number] | null = null;
    let size = 8;
    for (let i = 2; i < rest.length; i++) {
      const opt = rest[i]!;
      const value = (): string => {
        const v = rest[++i];
        if (v === undefined) throw argumentError(`Missing mandatory argument of option \`${opt}'`);
        return v;
      };
      if (opt === 'counters') ext.counters = true;
      else if (opt === 'comment') ext.comment = true;
      else if (opt === 'timeout') ext.timeout = parseRanged(value(), 0, MAX_TIMEOUT);
      else if (isHash && opt === 'family') {
        const v = value();
        if (family) throw syntaxError('family already specified');
        family = true;
        if (v === 'inet6') throw new IpsetNotModelled('IPv6 sets (family inet6) are not modelled by dpsim');
        if (v !== 'inet') throw syntaxError(`unknown INET family ${v}`);
      } else if (isHash && opt === 'hashsize') hashsize = parseRanged(value(), 0, 0xffffffff);
      else if (isHash && opt === 'maxelem') maxelem = parseRanged(value(), 0, 0xffffffff);
      else if (isHash && opt === 'bucketsize') {
        const b = parseRanged(value(), 0, 255);
        bucketsize = b < 2 ? 2 : b > AHASH_MAX_SIZE ? AHASH_MAX_SIZE : b % 2 === 1 ? b + 1 : b;
      } else if (isHash && opt === 'initval') initval = parseRanged(value(), 0, 0xffffffff);
      else if (type === 'bitmap:port' && opt === 'range') {
        const v = value();
        const m = /^([^-]+)-([^-]+)$/.exec(v.replace(/^tcp:/, ''));
        if (m === null) throw syntaxError(`cannot parse '${v}' as a port range`);
        const a = parseRanged(m[1]!, 0, 65535);
        const b = parseRanged(m[2]!, 0, 65535);
        range = [Math.min(a, b), Math.max(a, b)];
      } else if (type === 'list:set' && opt === 'size') size = parseRanged(value(), 0, 0xffffffff);
      else if (['netmask', 'bitmask', 'markmask', 'forceadd', 'skbinfo', 'resize', 'probes'].includes(opt))
        throw new IpsetNotModelled(`ipset create option ${opt} is not modelled by dpsim`);
      else throw argumentError(`Unknown argument: \`${opt}'`);
    }
    let set: IpSet;
    if (isHash) {
      set = new HashSet(name, type as HashTypeName, ext, {
        hashsize,
        maxelem,
        bucketsize,
        initval: initval ?? this.ctx.net.random.u32(),
      });
    } else if (type === 'bitmap:port') {
      if (range === null) throw argumentError("Mandatory option `range' is missing");
      set = new BitmapPortSet(name, ext, range[0], range[1]);
    } else {
      // IP_SET_LIST_MIN_SIZE: a smaller size is raised to 4.
      set = new ListSet(name, ext, Math.max(size, 4), this.table);
    }
    this.table.create(set, g.exist);
  }

  /** Parses `add|del|test SET ELEM [options]`: the set, the element and the extension values. */
  private parseAdt(cmd: 'add' | 'del' | 'test', rest: string[]) {
    const [setName, elemText] = rest;
    if (setName === undefined || elemText === undefined) throw argumentError('Missing mandatory argument');
    const set = this.table.get(setName);
    const ext: ExtValues = noExt();
    let nomatch = false;
    let position: ListPosition = { where: 'end', ref: -1 };
    let bytes = 24;
    for (let i = 2; i < rest.length; i++) {
      const opt = rest[i]!;
      const value = (): string => {
        const v = rest[++i];
        if (v === undefined) throw argumentError(`Missing mandatory argument of option \`${opt}'`);
        return v;
      };
      if (opt === 'timeout' && cmd === 'add') {
        const v = parseRanged(value(), 0, MAX_TIMEOUT);
        if (set.ext.timeout === null) throw kernelError(KERNEL_MESSAGES.timeoutUnsupported);
        ext.timeout = v;
        bytes += 8;
      } else if ((opt === 'packets' || opt === 'bytes') && cmd === 'add') {
        const v = parseNumber(value());
        if (v === null) throw syntaxError(`'${rest[i]}' is invalid as number`);
        if (!set.ext.counters) throw kernelError(KERNEL_MESSAGES.counterUnsupported);
        if (opt === 'packets') ext.packets = v;
        else ext.bytes = v;
        bytes += 12;
      } else if (opt === 'comment' && cmd === 'add') {
        const v = value();
        if (v.includes('"')) throw syntaxError('" character is not permitted in comments');
        if (!set.ext.comment) throw kernelError(KERNEL_MESSAGES.commentUnsupported);
        ext.comment = v;
        bytes += 4 + Math.ceil((v.length + 1) / 4) * 4;
      } else if (opt === 'nomatch' && set instanceof HashSet && set.typeName.includes('net')) {
        nomatch = true;
        bytes += 8;
      } else if ((opt === 'before' || opt === 'after') && set instanceof ListSet && cmd !== 'test') {
        const ref = this.table.indexOf(value());
        if (ref < 0) throw kernelError(KERNEL_MESSAGES.listRefNoSet);
        position = { where: opt, ref };
      } else throw argumentError(`Unknown argument: \`${opt}'`);
    }
    let parsed: ParsedElem | null = null;
    let member = -1;
    if (set instanceof HashSet) parsed = parseHashElem(set.typeName, elemText);
    else if (set instanceof BitmapPortSet) parsed = parsePortElem(elemText);
    else {
      member = this.table.indexOf(elemText);
      if (member < 0) throw kernelError(KERNEL_MESSAGES.listMemberMissing);
      if (this.table.byIndex(member) instanceof ListSet) throw kernelError(KERNEL_MESSAGES.listLoop);
    }
    if (parsed !== null) {
      parsed.first.nomatch = nomatch;
      if (elemText.includes(',')) bytes += 16;
      if (elemText.split(',').length > 2) bytes += 12;
      if (elemText.includes('/')) bytes += 8;
      if (elemText.includes('-')) bytes += 12;
    }
    return { set, ext, nomatch, position, parsed, member, bytes, elemText };
  }

  private adt(cmd: 'add' | 'del', rest: string[], g: Globals): void {
    const p = this.parseAdt(cmd, rest);
    const now = this.table.now;
    const exist = g.exist;
    const apply = (): void => {
      const { set, parsed } = p;
      if (set instanceof ListSet) {
        if (cmd === 'add') set.addMember(p.member, p.position, p.ext, exist, now);
        else set.delMember(p.member, exist, now);
        return;
      }
      if (set instanceof BitmapPortSet && parsed !== null) {
        // The kernel checks the whole range against the bitmap before touching it.
        let lo = Infinity;
        let hi = -Infinity;
        parsed.each((e) => {
          lo = Math.min(lo, e.port);
          hi = Math.max(hi, e.port);
          return true;
        });
        if (lo < set.first || hi > set.last) throw kernelError(KERNEL_MESSAGES.bitmapRange);
      }
      parsed!.each((e: Elem) => {
        e.nomatch = p.nomatch;
        if (cmd === 'add') set.add(e, p.ext, exist, now);
        else set.del(e, exist, now);
        return true;
      });
    };
    if (this.line === 0) {
      apply();
      return;
    }
    const key = `${cmd} ${p.set.name}`;
    if (this.pending !== null && (this.pending.key !== key || this.pending.bytes + p.bytes > BATCH_BYTES)) this.flushPending();
    this.pending ??= { key, bytes: 0, items: [] };
    this.pending.bytes += p.bytes;
    this.pending.items.push({ line: this.line, apply });
  }

  /** Sends the pending batch: the kernel applies it in order up to the first refusal. */
  private flushPending(): void {
    const batch = this.pending;
    this.pending = null;
    if (batch === null) return;
    const line = this.line;
    // A refusal propagates with this.line on the failing item, which is the line reported.
    for (const item of batch.items) {
      this.line = item.line;
      item.apply();
    }
    this.line = line;
  }

  private testCmd(rest: string[], g: Globals): void {
    const p = this.parseAdt('test', rest);
    const now = this.table.now;
    let inSet: boolean;
    let text: string;
    if (p.set instanceof ListSet) {
      inSet = p.set.testMember(p.member, now);
      text = p.elemText;
    } else {
      const e = p.parsed!.first;
      inSet = p.set.test(e, now);
      text = p.set instanceof HashSet ? formatHashElem(p.set.typeName, e) : String(e.port);
    }
    if (g.quiet) return;
    if (inSet) this.ctx.out(`Warning: ${text} is in set ${p.set.name}.\n`);
    else if (this.line === 0) this.ctx.out(`${text} is NOT in set ${p.set.name}.\n`);
  }

  private restore(g: Globals): void {
    if (this.stdin === null) throw new ScriptError(this.file, this.scriptLine, 'ipset restore needs its commands on stdin (< FILE or a heredoc)');
    const lines = this.stdin.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!.trim();
      this.line = i + 1;
      if (text === '' || text.startsWith('#')) continue;
      if (text === 'COMMIT') {
        if (!this.step(() => this.flushPending(), g)) return;
        continue;
      }
      if (!this.run(splitLine(text), g)) return;
    }
    this.line = lines.length;
    this.step(() => this.flushPending(), g);
    this.line = 0;
  }

  /** Runs a restore step that may fail with a kernel refusal. */
  private step(f: () => void, g: Globals): boolean {
    try {
      f();
      return true;
    } catch (e) {
      if (e instanceof IpsetError) {
        this.report(e, g);
        return false;
      }
      throw e;
    }
  }
}

/** `ipset …`. */
export const ipsetCommand: CommandHandler = (ctx, argv, cmd) => {
  const s = new Session(ctx, ctx.file, cmd.line, cmd.stdin);
  s.run(argv.slice(1), null);
};
