/**
 * `ipvsadm` (1.31), `ipvsadm-save` and `ipvsadm-restore` over a namespace's IPVS tables.
 * Options, defaults (scheduler wlc, forwarding -g, weight 1, persistence 300 s) and messages
 * as ipvsadm.c has them; kernel refusals print as libipvs's ipvs_strerror prints them.
 * dpsim resolves no host names: addresses must be dotted quads.
 */
import { parseIPv4 } from '../../packet/address.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../packet/packet.js';
import { IpvsError, EEXIST, EINVAL, ENOENT, EPERM, ESRCH } from '../../ipvs/errors.js';
import { ipvsOf, type DestSpec, type Ipvs, type ServiceSpec } from '../../ipvs/ipvs.js';
import {
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED1,
  IP_VS_SVC_F_SCHED2,
  IP_VS_SVC_F_SCHED3,
  IPPROTO_SCTP,
} from '../../ipvs/service.js';
import { ScriptError, type CommandHandler, type ScriptContext } from '../context.js';
import {
  FMT_EXACT,
  FMT_NOSORT,
  FMT_NUMERIC,
  FMT_PERSISTENTCONN,
  FMT_RATE,
  FMT_RULE,
  FMT_STATS,
  FMT_THRESHOLDS,
  listConns,
  listServices,
  listTimeout,
} from '../../ipvs/format.js';

const MAX_TIMEOUT = 86400 * 31;
const DEF_SCHED = 'wlc';
const PERSISTENT_TIMEOUT = 300;

/** ipvsadm's fail(): message on stderr, exit status 2. */
class Fail extends Error {}

type Cmd = 'add' | 'edit' | 'del' | 'flush' | 'list' | 'addsrv' | 'delsrv' | 'editsrv' | 'timeout' | 'restore' | 'save' | 'zero';

interface Parsed {
  cmd: Cmd | null;
  svc: ServiceSpec & { given: boolean; portGiven: boolean };
  dest: DestSpec & { given: boolean; portGiven: boolean };
  format: number;
  conns: boolean;
  timeoutList: boolean;
  schedFlags: string | null;
  set: [number, number, number] | null;
  options: Set<string>;
}

const COMMANDS: Record<string, Cmd> = {
  '-A': 'add', '--add-service': 'add', '-E': 'edit', '--edit-service': 'edit', '-D': 'del', '--delete-service': 'del',
  '-C': 'flush', '--clear': 'flush', '-L': 'list', '-l': 'list', '--list': 'list', '-a': 'addsrv', '--add-server': 'addsrv',
  '-d': 'delsrv', '--delete-server': 'delsrv', '-e': 'editsrv', '--edit-server': 'editsrv', '--set': 'timeout',
  '-R': 'restore', '--restore': 'restore', '-S': 'save', '--save': 'save', '-Z': 'zero', '--zero': 'zero',
};

/** Short options that take an argument. */
const SHORT_ARG = new Set(['t', 'u', 'f', 's', 'M', 'r', 'w', 'x', 'y', 'b']);

/** string_to_number */
function toNumber(s: string, min: number, max: number): number {
  if (!/^[+-]?\d+$/.test(s)) return -1;
  const n = Number(s);
  return n >= min && n <= max ? n : -1;
}

/** parse_service: ADDR[:PORT] with a dotted-quad address. */
function parseService(text: string): { addr: number; port: number; hasPort: boolean } | null {
  if (/^\d+$/.test(text)) return null;
  const colon = text.lastIndexOf(':');
  const host = colon >= 0 ? text.slice(0, colon) : text;
  const addr = parseIPv4(host);
  if (addr === null) return null;
  if (colon < 0) return { addr, port: 0, hasPort: false };
  const port = toNumber(text.slice(colon + 1), 0, 65535);
  if (port < 0) return null;
  return { addr, port, hasPort: true };
}

function newParsed(): Parsed {
  return {
    cmd: null,
    svc: { proto: 0, addr: 0, port: 0, fwmark: 0, sched: '', flags: 0, timeout: 0, netmask: 0xffffffff, given: false, portGiven: false },
    dest: { addr: 0, port: 0, fwd: IP_VS_CONN_F_DROUTE, weight: 1, uThreshold: 0, lThreshold: 0, given: false, portGiven: false },
    format: 0,
    conns: false,
    timeoutList: false,
    schedFlags: null,
    set: null,
    options: new Set(),
  };
}

/** parse_options: the words after the program name. */
function parseArgs(words: readonly string[]): Parsed {
  const r = newParsed();
  // Expand clustered short options (-Ln, -lnc) and -sVALUE forms into separate words.
  const args: string[] = [];
  for (const w of words) {
    if (/^-[A-Za-z]{2,}$/.test(w) && !SHORT_ARG.has(w[1]!)) {
      let i = 1;
      for (; i < w.length; i++) {
        args.push(`-${w[i]}`);
        if (SHORT_ARG.has(w[i]!) && i + 1 < w.length) {
          args.push(w.slice(i + 1));
          break;
        }
      }
    } else if (/^-[A-Za-z].+$/.test(w) && SHORT_ARG.has(w[1]!)) {
      args.push(w.slice(0, 2), w.slice(2));
    } else if (/^--[a-z-]+=/.test(w)) {
      const eq = w.indexOf('=');
      args.push(w.slice(0, eq), w.slice(eq + 1));
    } else args.push(w);
  }
  const setCmd = (c: Cmd) => {
    if (r.cmd !== null) throw new Fail('multiple commands specified');
    r.cmd = c;
  };
  const opt = (name: string) => {
    if (r.options.has(name)) throw new Fail(`multiple '${name}' options specified`);
    r.options.add(name);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Fail(`${a}: missing argument`);
      return v;
    };
    const cmd = COMMANDS[a];
    if (cmd !== undefined) {
      setCmd(cmd);
      if (cmd === 'timeout') {
        const vals = [args[i + 1], args[i + 2], args[i + 3]];
        if (vals.some((v) => v === undefined)) throw new Fail('--set option requires 3 timeout values');
        r.set = vals.map((v) => {
          const n = toNumber(v!, 0, Number.MAX_SAFE_INTEGER);
          if (n < 0) throw new Fail(`invalid timeout value \`${v}' specified`);
          return n;
        }) as [number, number, number];
        i += 3;
      }
      if (cmd === 'list' || cmd === 'zero') {
        // An optional service may follow as -t/-u/-f; handled by those options.
      }
      continue;
    }
    switch (a) {
      case '-t': case '--tcp-service': case '-u': case '--udp-service': case '--sctp-service': {
        opt('service');
        const v = value();
        r.svc.proto = a === '-t' || a === '--tcp-service' ? IPPROTO_TCP : a === '--sctp-service' ? IPPROTO_SCTP : IPPROTO_UDP;
        const s = parseService(v);
        if (s === null) throw new Fail('illegal virtual server address[:port] specified');
        r.svc.addr = s.addr;
        r.svc.port = s.port;
        r.svc.given = true;
        r.svc.portGiven = s.hasPort;
        break;
      }
      case '-f': case '--fwmark-service': {
        opt('service');
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) <= 0 || Number(v) > 0xffffffff) throw new Fail(`invalid fwmark value \`${v}' specified`);
        r.svc.fwmark = Number(v);
        r.svc.proto = IPPROTO_TCP;
        r.svc.given = true;
        break;
      }
      case '-s': case '--scheduler':
        opt('scheduler');
        r.svc.sched = value();
        break;
      case '-p': case '--persistent': {
        opt('persistent');
        r.svc.flags |= IP_VS_SVC_F_PERSISTENT;
        const next = args[i + 1];
        if (next !== undefined && !next.startsWith('-')) {
          i++;
          const n = toNumber(next, 1, MAX_TIMEOUT);
          if (n < 0) throw new Fail(`invalid timeout value \`${next}' specified`);
          r.svc.timeout = n;
        } else r.svc.timeout = PERSISTENT_TIMEOUT;
        break;
      }
      case '-M': case '--netmask': {
        opt('netmask');
        const m = parseIPv4(value());
        if (m === null) throw new Fail('illegal virtual server persistent mask specified');
        r.svc.netmask = m;
        break;
      }
      case '-r': case '--real-server': {
        opt('real-server');
        const s = parseService(value());
        if (s === null) throw new Fail('illegal real server address[:port] specified');
        r.dest.addr = s.addr;
        r.dest.port = s.port;
        r.dest.portGiven = s.hasPort;
        r.dest.given = true;
        break;
      }
      case '-g': case '--gatewaying': opt('forwarding-method'); r.dest.fwd = IP_VS_CONN_F_DROUTE; break;
      case '-i': case '--ipip': case '--tunneling': opt('forwarding-method'); r.dest.fwd = IP_VS_CONN_F_TUNNEL; break;
      case '-m': case '--masquerading': opt('forwarding-method'); r.dest.fwd = IP_VS_CONN_F_MASQ; break;
      case '-w': case '--weight': {
        opt('weight');
        const n = toNumber(value(), 0, 65535);
        if (n < 0) throw new Fail('illegal weight specified');
        r.dest.weight = n;
        break;
      }
      case '-x': case '--u-threshold': {
        opt('u-threshold');
        const n = toNumber(value(), 0, Number.MAX_SAFE_INTEGER);
        if (n < 0) throw new Fail('illegal u_threshold specified');
        r.dest.uThreshold = n;
        break;
      }
      case '-y': case '--l-threshold': {
        opt('l-threshold');
        const n = toNumber(value(), 0, Number.MAX_SAFE_INTEGER);
        if (n < 0) throw new Fail('illegal l_threshold specified');
        r.dest.lThreshold = n;
        break;
      }
      case '-n': case '--numeric': opt('numeric'); r.format |= FMT_NUMERIC; break;
      case '-c': case '--connection': opt('connection'); r.conns = true; break;
      case '--timeout': opt('timeout'); r.timeoutList = true; break;
      case '--stats': opt('stats'); r.format |= FMT_STATS; break;
      case '--rate': opt('rate'); r.format |= FMT_RATE; break;
      case '--thresholds': opt('thresholds'); r.format |= FMT_THRESHOLDS; break;
      case '--persistent-conn': opt('persistent-conn'); r.format |= FMT_PERSISTENTCONN; break;
      case '--nosort': opt('nosort'); r.format |= FMT_NOSORT; break;
      case '--sort': opt('sort'); break;
      case '--exact': case '-X': opt('exact'); r.format |= FMT_EXACT; break;
      case '-o': case '--ops': opt('ops'); r.svc.flags |= IP_VS_SVC_F_ONEPACKET; break;
      case '-b': case '--sched-flags': opt('sched-flags'); r.schedFlags = value(); break;
      default:
        throw new Fail(a.startsWith('-') ? `invalid option \`${a}'` : `unexpected argument ${a}`);
    }
  }
  if (r.schedFlags !== null) r.svc.flags |= schedFlagBits(r.svc.sched, r.schedFlags);
  return r;
}

/** parse_sched_flags */
function schedFlagBits(schedName: string, text: string): number {
  const sched = schedName !== '' ? schedName : DEF_SCHED;
  let flags = 0;
  for (const flag of text.split(',').filter((f) => f !== '')) {
    if (flag === 'flag-1') flags |= IP_VS_SVC_F_SCHED1;
    else if (flag === 'flag-2') flags |= IP_VS_SVC_F_SCHED2;
    else if (flag === 'flag-3') flags |= IP_VS_SVC_F_SCHED3;
    else if (flag === 'sh-fallback' || flag === 'sh-port' || flag === 'mh-fallback' || flag === 'mh-port') {
      if (sched !== flag.slice(0, 2)) throw new Fail(`incompatible scheduler flag \`${flag}'`);
      flags |= flag.endsWith('fallback') ? IP_VS_SVC_F_SCHED1 : IP_VS_SVC_F_SCHED2;
    } else throw new Fail(`invalid scheduler flag \`${flag}'`);
  }
  return flags;
}

/** ipvs_strerror for the call that failed. */
function strerror(call: Cmd, e: IpvsError): string {
  if (e.notModelled !== null) return e.notModelled;
  const svcCalls: Cmd[] = ['add', 'edit', 'del', 'zero'];
  switch (e.errno) {
    case EEXIST: return call === 'add' ? 'Service already exists' : call === 'addsrv' ? 'Destination already exists' : 'File exists';
    case ENOENT: return svcCalls.includes(call) ? 'Scheduler or persistence engine not found' : 'No such destination';
    case ESRCH: return svcCalls.includes(call) || call === 'list' ? 'No such service' : 'Service not defined';
    case EPERM: return 'Permission denied (you must be root)';
    case EINVAL: return 'Invalid operation.  Possibly wrong module version, address not unicast, ...';
    default: return `errno ${e.errno}`;
  }
}

/** process_options: one ipvsadm invocation (a command line, or one restore line). Returns its output. */
function run(ipvs: Ipvs, words: readonly string[], readingStdin: boolean, stdin: string | null): string {
  if (words.length === 0) return listServices(ipvs, 0);
  const r = parseArgs(words);
  if (r.cmd === null) throw new Fail('no command specified');
  if (readingStdin && (r.cmd === 'restore' || r.cmd === 'save')) throw new Fail('-R and -S are not allowed in restore input');
  const cmd = r.cmd;
  const needService = cmd === 'add' || cmd === 'edit' || cmd === 'del' || cmd === 'addsrv' || cmd === 'delsrv' || cmd === 'editsrv';
  if (needService && !r.svc.given) throw new Fail(`You need to supply the 'service-address' option for the '${cmdOption(cmd)}' command`);
  if ((cmd === 'addsrv' || cmd === 'delsrv' || cmd === 'editsrv') && !r.dest.given) throw new Fail(`You need to supply the 'real-server' option for the '${cmdOption(cmd)}' command`);
  if (cmd === 'add' || cmd === 'edit') {
    if (r.svc.fwmark === 0 && r.svc.port === 0 && (r.svc.flags & IP_VS_SVC_F_PERSISTENT) === 0) throw new Fail('Zero port specified for non-persistent service');
    if ((r.svc.flags & IP_VS_SVC_F_ONEPACKET) !== 0 && r.svc.fwmark === 0 && r.svc.proto !== IPPROTO_UDP) throw new Fail('One-Packet Scheduling is only for UDP virtual services');
    if (r.svc.sched === '') r.svc.sched = DEF_SCHED;
  }
  if (cmd === 'addsrv' || cmd === 'editsrv' || cmd === 'delsrv') {
    // The real server's port defaults to the service's; -g and -i always use the service's.
    if (!r.dest.portGiven) r.dest.port = r.svc.port;
    if (r.svc.fwmark === 0 && (r.dest.fwd === IP_VS_CONN_F_TUNNEL || r.dest.fwd === IP_VS_CONN_F_DROUTE)) r.dest.port = r.svc.port;
  }
  try {
    switch (cmd) {
      case 'add': ipvs.addService(r.svc); return '';
      case 'edit': ipvs.editService(r.svc); return '';
      case 'del': ipvs.deleteService(r.svc); return '';
      case 'flush': ipvs.clear(); return '';
      case 'addsrv': ipvs.addDest(r.svc, r.dest); return '';
      case 'editsrv': ipvs.editDest(r.svc, r.dest); return '';
      case 'delsrv': ipvs.deleteDest(r.svc, r.dest.addr, r.dest.port); return '';
      case 'zero': ipvs.zero(r.svc.given ? r.svc : undefined); return '';
      case 'timeout': ipvs.setTimeouts(...r.set!); return '';
      case 'save': return listServices(ipvs, FMT_RULE | (r.format & FMT_NUMERIC));
      case 'restore': return restore(ipvs, stdin ?? '');
      case 'list': {
        if (r.conns) return listConns(ipvs, r.format);
        if (r.timeoutList) return listTimeout(ipvs);
        if (r.svc.given) {
          const svc = ipvs.service(r.svc);
          if (svc === undefined) throw new IpvsError(ESRCH);
          return listServices(ipvs, r.format, svc);
        }
        return listServices(ipvs, r.format);
      }
    }
  } catch (e) {
    if (e instanceof IpvsError) throw new Fail(strerror(cmd, e), { cause: 1 });
    throw e;
  }
}

function cmdOption(cmd: Cmd): string {
  return { add: '-A', edit: '-E', del: '-D', addsrv: '-a', delsrv: '-d', editsrv: '-e' }[cmd as 'add'] ?? cmd;
}

/** ipvsadm -R: every line of stdin is one invocation's arguments; the first failure ends it. */
function restore(ipvs: Ipvs, text: string): string {
  let out = '';
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/).filter((w) => w !== '');
    if (words.length === 0 || words[0]!.startsWith('#')) continue;
    out += run(ipvs, words, true, null);
  }
  return out;
}

/** Runs ipvsadm in the script's namespace; messages go where a terminal shows stderr. */
function invoke(ctx: ScriptContext, words: readonly string[], stdin: string | null): void {
  const ipvs = ipvsOf(ctx.ns);
  try {
    ctx.out(run(ipvs, words, false, stdin));
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    // Kernel refusals print the bare message (exit 1); ipvsadm's own checks print it too (exit 2).
    ctx.out(`${e.message}\n`);
  }
}

/** `ipvsadm …` */
export const ipvsadmCommand: CommandHandler = (ctx, argv, cmd) => {
  invoke(ctx, argv.slice(1), cmd.stdin);
};

/** `ipvsadm-save [-n]`: the ipvsadm-save script runs `ipvsadm -S [-n]`. */
export const ipvsadmSaveCommand: CommandHandler = (ctx, argv, cmd) => {
  const numeric = argv.slice(1).includes('-n');
  for (const a of argv.slice(1)) if (a !== '-n') throw new ScriptError(ctx.file, cmd.line, `ipvsadm-save: unknown option ${a}`);
  invoke(ctx, numeric ? ['-S', '-n'] : ['-S'], null);
};

/** `ipvsadm-restore < FILE`: the script runs `ipvsadm -R`. */
export const ipvsadmRestoreCommand: CommandHandler = (ctx, argv, cmd) => {
  if (argv.length > 1) throw new ScriptError(ctx.file, cmd.line, `ipvsadm-restore: unexpected argument ${argv[1]}`);
  if (cmd.stdin === null) throw new ScriptError(ctx.file, cmd.line, 'ipvsadm-restore: needs the rules on stdin (a heredoc or < FILE)');
  invoke(ctx, ['-R'], cmd.stdin);
};

export const IPVSADM_COMMANDS: readonly (readonly [string, CommandHandler])[] = [
  ['ipvsadm', ipvsadmCommand],
  ['ipvsadm-save', ipvsadmSaveCommand],
  ['ipvsadm-restore', ipvsadmRestoreCommand],
];
