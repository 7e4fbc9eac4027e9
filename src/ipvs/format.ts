/**
 * What ipvsadm 1.31 prints (ipvsadm.c: list_all, print_title, print_service_entry, list_conn,
 * print_conn, list_timeout, print_largenum), over dpsim's IPVS tables. Names: dpsim resolves
 * no host names (the reverse lookup of a sandboxed run fails, so addresses print as numbers
 * either way); without -n, ports print as /etc/services names for the few ports listed here.
 */
import { formatIPv4 } from '../packet/address.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../packet/packet.js';
import { protoName, type Ipvs } from './ipvs.js';
import {
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_CONN_F_LOCALNODE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED1,
  IP_VS_SVC_F_SCHED2,
  IP_VS_SVC_F_SCHED3,
  IPPROTO_SCTP,
  type VirtualService,
} from './service.js';
import { IP_VS_CONN_TAB_SIZE } from './conn-table.js';

export const FMT_NUMERIC = 1 << 0;
export const FMT_RULE = 1 << 1;
export const FMT_STATS = 1 << 2;
export const FMT_RATE = 1 << 3;
export const FMT_THRESHOLDS = 1 << 4;
export const FMT_PERSISTENTCONN = 1 << 5;
export const FMT_NOSORT = 1 << 6;
export const FMT_EXACT = 1 << 7;

/** /etc/services names (Debian netbase) of common ports, TCP and UDP alike. */
const SERVICES = new Map<number, string>([
  [21, 'ftp'], [22, 'ssh'], [23, 'telnet'], [25, 'smtp'], [53, 'domain'], [80, 'http'], [110, 'pop3'], [123, 'ntp'],
  [143, 'imap2'], [443, 'https'], [993, 'imaps'], [995, 'pop3s'], [3306, 'mysql'], [5432, 'postgresql'], [8080, 'http-alt'],
]);

function padEnd(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function padStart(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

/** addrport_to_anyname */
export function addrPort(addr: number, port: number, format: number): string {
  if (format & FMT_NUMERIC) return `${formatIPv4(addr)}:${port}`;
  return `${formatIPv4(addr)}:${SERVICES.get(port) ?? String(port)}`;
}

/** fwd_name */
export function fwdName(fwd: number): string {
  switch (fwd & IP_VS_CONN_F_FWD_MASK) {
    case IP_VS_CONN_F_MASQ: return 'Masq';
    case IP_VS_CONN_F_LOCALNODE: return 'Local';
    case IP_VS_CONN_F_TUNNEL: return 'Tunnel';
    case IP_VS_CONN_F_DROUTE: return 'Route';
    default: return '(null)';
  }
}

/** fwd_switch */
function fwdSwitch(fwd: number): string {
  switch (fwd & IP_VS_CONN_F_FWD_MASK) {
    case IP_VS_CONN_F_MASQ: return '-m';
    case IP_VS_CONN_F_TUNNEL: return '-i';
    default: return '-g';
  }
}

/** print_sched_flags */
function schedFlags(svc: VirtualService): string {
  const f: string[] = [];
  const name = svc.scheduler.name;
  if (name === 'sh' || name === 'mh') {
    if (svc.flags & IP_VS_SVC_F_SCHED1) f.push(`${name}-fallback`);
    if (svc.flags & IP_VS_SVC_F_SCHED2) f.push(`${name}-port`);
  } else {
    if (svc.flags & IP_VS_SVC_F_SCHED1) f.push('flag-1');
    if (svc.flags & IP_VS_SVC_F_SCHED2) f.push('flag-2');
    if (svc.flags & IP_VS_SVC_F_SCHED3) f.push('flag-3');
  }
  return f.join(',');
}

/** print_largenum */
function largenum(i: number, format: number): string {
  if (format & FMT_EXACT) {
    const s = String(i);
    return padStart(s, s.length <= 8 ? 9 : s.length + 1);
  }
  if (i < 100000000) return padStart(String(i), 9);
  if (i < 1000000000) return padStart(String(Math.floor(i / 1000)), 8) + 'K';
  if (i < 100000000000) return padStart(String(Math.floor(i / 1000000)), 8) + 'M';
  if (i < 100000000000000) return padStart(String(Math.floor(i / 1000000000)), 8) + 'G';
  return padStart(String(Math.floor(i / 1000000000000)), 8) + 'T';
}

/** option_from_protocol / protocol_name */
function protoOption(proto: number): string {
  return proto === IPPROTO_TCP ? '-t' : proto === IPPROTO_UDP ? '-u' : proto === IPPROTO_SCTP ? '--sctp-service' : '--xxx-service';
}

/** print_title */
export function title(format: number): string {
  const head = padEnd('Prot LocalAddress:Port', 33);
  if (format & FMT_STATS) return `${head} ${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((s) => padStart(s, 8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT_RATE) return `${head} ${['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'].map((s) => padStart(s, 8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT_THRESHOLDS) return `${head} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((s) => padEnd(s, 10)).join(' ')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT_PERSISTENTCONN) return `${head} ${padEnd('Weight', 9)} ${padEnd('PersistConn', 11)} ${padEnd('ActiveConn', 10)} ${padEnd('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  if (format & FMT_RULE) return '';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

/** print_service_entry */
export function serviceEntry(svc: VirtualService, format: number): string {
  let name: string;
  if (svc.fwmark > 0) name = format & FMT_RULE ? `-f ${svc.fwmark}` : `FWM  ${svc.fwmark}`;
  else {
    const v = addrPort(svc.addr, svc.port, format);
    if (format & FMT_RULE) name = `${protoOption(svc.proto)} ${v}`;
    else name = `${padEnd(protoName(svc.proto), 4)} ${v}`.slice(0, 33);
  }
  let out: string;
  if (format & FMT_RULE) {
    out = `-A ${name} -s ${svc.scheduler.name}`;
    if (svc.flags & IP_VS_SVC_F_PERSISTENT) {
      out += ` -p ${svc.timeout}`;
      if (svc.netmask !== 0xffffffff) out += ` -M ${formatIPv4(svc.netmask)}`;
    }
    if (svc.flags & IP_VS_SVC_F_ONEPACKET) out += ' -o';
    const f = schedFlags(svc);
    if (svc.flags & (IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3)) out += ` -b ${f}`;
  } else if (format & FMT_STATS) {
    const s = svc.stats;
    out = padEnd(name, 33) + [s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes].map((n) => largenum(n, format)).join('');
  } else if (format & FMT_RATE) {
    const s = svc.stats;
    out = padEnd(name, 33) + [s.cps, s.inpps, s.outpps, s.inbps, s.outbps].map((n) => largenum(n, format)).join('');
  } else {
    out = `${name} ${svc.scheduler.name}`;
    if (svc.flags & (IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3)) out += ` (${schedFlags(svc)})`;
    if (svc.flags & IP_VS_SVC_F_PERSISTENT) {
      out += ` persistent ${svc.timeout}`;
      if (svc.netmask !== 0xffffffff) out += ` mask ${formatIPv4(svc.netmask)}`;
    }
    if (svc.flags & IP_VS_SVC_F_ONEPACKET) out += ' ops';
  }
  out += '\n';
  const dests = format & FMT_NOSORT ? svc.dests : [...svc.dests].sort((a, b) => a.addr - b.addr || a.port - b.port);
  for (const d of dests) {
    let dname = addrPort(d.addr, d.port, format);
    if (!(format & FMT_RULE)) dname = dname.slice(0, 28);
    if (format & FMT_RULE) {
      out += `-a ${name} -r ${dname} ${fwdSwitch(d.fwd)} -w ${d.weight}\n`;
    } else if (format & FMT_STATS) {
      const s = d.stats;
      out += `  -> ${padEnd(dname, 28)}` + [s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes].map((n) => largenum(n, format)).join('') + '\n';
    } else if (format & FMT_RATE) {
      const s = d.stats;
      out += `  -> ${padEnd(dname, 28)} ${padStart(String(s.cps), 8)} ${padStart(String(s.inpps), 8)} ${padStart(String(s.outpps), 8)}${largenum(s.inbps, format)}${largenum(s.outbps, format)}\n`;
    } else if (format & FMT_THRESHOLDS) {
      out += `  -> ${padEnd(dname, 28)} ${[d.uThreshold, d.lThreshold, d.activeConns, d.inactConns].map((n) => padEnd(String(n), 10)).join(' ')}\n`;
    } else if (format & FMT_PERSISTENTCONN) {
      out += `  -> ${padEnd(dname, 28)} ${padEnd(String(d.weight), 9)} ${padEnd(String(d.persistConns), 11)} ${padEnd(String(d.activeConns), 10)} ${padEnd(String(d.inactConns), 10)}\n`;
    } else {
      out += `  -> ${padEnd(dname, 28)} ${padEnd(fwdName(d.fwd), 7)} ${padEnd(String(d.weight), 6)} ${padEnd(String(d.activeConns), 10)} ${padEnd(String(d.inactConns), 10)}\n`;
    }
  }
  return out;
}

/** list_all (or list_service for one service) */
export function listServices(ipvs: Ipvs, format: number, only: VirtualService | null = null): string {
  let out = format & FMT_RULE ? '' : `IP Virtual Server version 1.2.1 (size=${IP_VS_CONN_TAB_SIZE})\n`;
  out += title(format);
  for (const svc of only !== null ? [only] : ipvs.services()) out += serviceEntry(svc, format);
  return out;
}

/** list_conn over /proc/net/ip_vs_conn */
export function listConns(ipvs: Ipvs, format: number): string {
  let out = 'IPVS connection entries\n';
  if (format & FMT_PERSISTENTCONN) out += `pro expire ${padEnd('state', 11)} ${padEnd('source', 18)} ${padEnd('virtual', 18)} ${padEnd('destination', 18)} ${padEnd('pe name', 16)} pe_data\n`;
  else out += `pro expire ${padEnd('state', 11)} ${padEnd('source', 18)} ${padEnd('virtual', 18)} destination\n`;
  for (const c of ipvs.conns.all()) {
    const left = ipvs.secondsLeft(c);
    const expire = `${String(Math.floor(left / 60)).padStart(2, '0')}:${String(left % 60).padStart(2, '0')}`;
    const proto = protoName(c.proto);
    const cname = addrPort(c.caddr, c.cport, format);
    const vname = addrPort(c.vaddr >>> 0, c.vport, format);
    const dname = addrPort(c.daddr, c.dport, format);
    out += `${padEnd(proto, 3)} ${padEnd(expire, 6)} ${padEnd(ipvs.stateName(c), 11)} ${padEnd(cname, 18)} ${padEnd(vname, 18)} ${dname}\n`;
  }
  return out;
}

/** list_timeout */
export function listTimeout(ipvs: Ipvs): string {
  return `Timeout (tcp tcpfin udp): ${ipvs.tcpTimeouts[1]} ${ipvs.tcpTimeouts[4]} ${ipvs.udpTimeout}\n`;
}
