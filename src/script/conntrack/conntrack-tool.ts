/**
 * `conntrack` (conntrack-tools 1.4.7) over a namespace's connection tracker: -L, -D, -F, -C
 * with the tuple filters. Facts from this machine (kernel 6.18, conntrack v1.4.7):
 * - -L prints the entries, then on stderr `conntrack v1.4.7 (conntrack-tools): N flow entries have been shown.`
 *   (the kernel lists in hash-bucket order, seeded per boot; dpsim lists in creation order).
 * - -D prints each deleted entry, then `N flow entries have been deleted.`; no filter deletes all;
 *   the tool exits 1 when nothing was deleted.
 * - -F prints `connection tracking table has been emptied.`; -C prints the count alone.
 * - --src-nat/--dst-nat keep entries whose reply address or port differs from the original's
 *   other end (ICMP entries always match: their id is compared with the type/code word).
 * - An unknown option prints "unknown option `X'" and the -h hint (exit 2); `--state` needs `-p tcp`.
 */
import { IPS_DST_NAT_DONE, IPS_SRC_NAT_DONE, TCP_STATE_NAMES, type Conn } from '../../conntrack/conn.js';
import { conntrackOf } from '../../conntrack/conntrack.js';
import { formatConn } from '../../conntrack/print.js';
import { ScriptError, type Command, type ScriptContext } from '../context.js';

const PREFIX = 'conntrack v1.4.7 (conntrack-tools): ';

const PROTOS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, sctp: 132, gre: 47, udplite: 136, dccp: 33 };

/** The filters of one invocation. */
interface Filter {
  proto: number;
  origSrc: number;
  origDst: number;
  replySrc: number;
  replyDst: number;
  origSport: number;
  origDport: number;
  replySport: number;
  replyDport: number;
  tcpState: number;
  mark: number;
  srcNat: boolean;
  dstNat: boolean;
}

function parseIp(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Whether an entry passes the filters (conntrack.c's filter_* functions). */
function matches(c: Conn, f: Filter): boolean {
  const o = c.orig;
  const r = c.reply;
  if (f.proto >= 0 && o.proto !== f.proto) return false;
  if (f.origSrc >= 0 && o.src !== f.origSrc) return false;
  if (f.origDst >= 0 && o.dst !== f.origDst) return false;
  if (f.replySrc >= 0 && r.src !== f.replySrc) return false;
  if (f.replyDst >= 0 && r.dst !== f.replyDst) return false;
  if (f.origSport >= 0 && o.sport !== f.origSport) return false;
  if (f.origDport >= 0 && o.dport !== f.origDport) return false;
  if (f.replySport >= 0 && r.sport !== f.replySport) return false;
  if (f.replyDport >= 0 && r.dport !== f.replyDport) return false;
  if (f.tcpState >= 0 && c.tcpState !== f.tcpState) return false;
  if (f.mark >= 0 && c.mark !== f.mark) return false;
  // NFCT_GOPT_IS_SNAT / IS_SPAT and IS_DNAT / IS_DPAT.
  if (f.srcNat && !((c.status & IPS_SRC_NAT_DONE) !== 0 && (r.dst !== o.src || r.dport !== o.sport))) return false;
  if (f.dstNat && !((c.status & IPS_DST_NAT_DONE) !== 0 && (r.src !== o.dst || r.sport !== o.dport))) return false;
  return true;
}

/** `conntrack …` */
export function conntrackCommand(ctx: ScriptContext, argv: string[], cmd: Command): void {
  const ct = conntrackOf(ctx.ns);
  const f: Filter = { proto: -1, origSrc: -1, origDst: -1, replySrc: -1, replyDst: -1, origSport: -1, origDport: -1, replySport: -1, replyDport: -1, tcpState: -1, mark: -1, srcNat: false, dstNat: false };
  let action = '';
  let extended = false;
  const fail = (msg: string): void => {
    ctx.out(`${PREFIX}${msg}\nTry \`conntrack -h' or 'conntrack --help' for more information.\n`);
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | null => {
      const v = argv[i + 1];
      if (v === undefined) return null;
      i++;
      return v;
    };
    const setAction = (name: string): void => {
      action = name;
      // -L and -D take an optional table name (conntrack, expect, dying, unconfirmed).
      if (argv[i + 1] === 'conntrack') i++;
    };
    switch (a) {
      case '-L': case '--dump': setAction('list'); break;
      case '-D': case '--delete': setAction('delete'); break;
      case '-F': case '--flush': setAction('flush'); break;
      case '-C': case '--count': setAction('count'); break;
      case '-f': case '--family': if (value() === null) return fail(`option \`${a}' requires an argument`); break;
      case '-o': case '--output': {
        const v = value();
        if (v === null) return fail(`option \`${a}' requires an argument`);
        if (v.split(',').includes('extended')) extended = true;
        break;
      }
      case '-p': case '--proto': case '--protonum': {
        const v = value();
        if (v === null) return fail(`option \`${a}' requires an argument`);
        const n = /^\d+$/.test(v) ? Number(v) : PROTOS[v.toLowerCase()];
        if (n === undefined) return fail(`\`${v}' unsupported protocol`);
        f.proto = n;
        break;
      }
      case '-s': case '--src': case '--orig-src':
      case '-d': case '--dst': case '--orig-dst':
      case '-r': case '--reply-src':
      case '-q': case '--reply-dst': {
        const v = value();
        if (v === null) return fail(`option \`${a}' requires an argument`);
        const n = parseIp(v);
        if (n === null) return fail(`Bad IP address \`${v}'`);
        if (a === '-s' || a === '--src' || a === '--orig-src') f.origSrc = n;
        else if (a === '-d' || a === '--dst' || a === '--orig-dst') f.origDst = n;
        else if (a === '-r' || a === '--reply-src') f.replySrc = n;
        else f.replyDst = n;
        break;
      }
      case '--sport': case '--orig-port-src':
      case '--dport': case '--orig-port-dst':
      case '--reply-port-src': case '--reply-port-dst': {
        if (f.proto !== 6 && f.proto !== 17 && f.proto !== 132 && f.proto !== 33 && f.proto !== 136) return fail(`unknown option \`${a}'`);
        const v = value();
        if (v === null || !/^\d+$/.test(v) || Number(v) > 65535) return fail(`option \`${a}' requires an argument`);
        const n = Number(v);
        if (a === '--sport' || a === '--orig-port-src') f.origSport = n;
        else if (a === '--dport' || a === '--orig-port-dst') f.origDport = n;
        else if (a === '--reply-port-src') f.replySport = n;
        else f.replyDport = n;
        break;
      }
      case '--state': {
        if (f.proto !== 6) return fail(`unknown option \`${a}'`);
        const v = value();
        const s = v === null ? -1 : TCP_STATE_NAMES.indexOf(v.toUpperCase() as (typeof TCP_STATE_NAMES)[number]);
        if (s < 0) return fail(`unknown state \`${v ?? ''}'`);
        f.tcpState = s;
        break;
      }
      case '-m': case '--mark': {
        const v = value();
        if (v === null || !/^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return fail(`option \`${a}' requires an argument`);
        f.mark = Number(v) >>> 0;
        break;
      }
      case '-n': case '--src-nat': f.srcNat = true; break;
      case '-g': case '--dst-nat': f.dstNat = true; break;
      default:
        return fail(`unknown option \`${a}'`);
    }
  }
  switch (action) {
    case 'list': {
      let n = 0;
      let text = '';
      for (const c of ct.table.all()) {
        if (!matches(c, f)) continue;
        text += formatConn(c, ct.secondsLeft(c), extended) + '\n';
        n++;
      }
      ctx.out(`${text}${PREFIX}${n} flow entries have been shown.\n`);
      return;
    }
    case 'delete': {
      let n = 0;
      let text = '';
      for (const c of ct.table.all()) {
        if (!matches(c, f)) continue;
        text += formatConn(c, ct.secondsLeft(c), extended) + '\n';
        ct.kill(c);
        n++;
      }
      ctx.out(`${text}${PREFIX}${n} flow entries have been deleted.\n`);
      return;
    }
    case 'flush':
      ct.flush();
      ctx.out(`${PREFIX}connection tracking table has been emptied.\n`);
      return;
    case 'count':
      ctx.out(`${ct.table.count}\n`);
      return;
    default:
      throw new ScriptError(ctx.file, cmd.line, 'conntrack: no command specified (dpsim models -L, -D, -F, -C)');
  }
}
