/**
 * IPVS in one namespace (net/netfilter/ipvs: ip_vs_ctl.c, ip_vs_core.c, ip_vs_conn.c,
 * ip_vs_xmit.c): the virtual service table, the connection table, the sysctls and timeouts,
 * and the hooks where the kernel runs it (ip_vs_ops4):
 *
 *   LOCAL_IN     98  ip_vs_out: un-NAT replies of real servers to local clients
 *   LOCAL_IN     99  ip_vs_in: schedule and forward packets to a virtual address the node owns
 *   LOCAL_OUT   -99  ip_vs_out (local real servers' replies)
 *   LOCAL_OUT   -98  ip_vs_in (local clients)
 *   FORWARD     100  ip_vs_out: un-NAT replies routed through the director
 *
 * Masquerading rewrites the destination, routes again and sends the packet through LOCAL_OUT
 * and POSTROUTING (ip_vs_nat_send_or_cont). With net.ipv4.vs.conntrack=1 the packet keeps its
 * conntrack entry, whose reply tuple is altered to the real server (ip_vs_update_conntrack),
 * so iptables NAT (kube-proxy's MASQUERADE) still applies; with 0 it leaves conntrack
 * (ip_vs_notrack). Direct routing sends the unchanged packet to the real server's link-layer
 * address. Tunnelling (IPIP) is accepted in the tables but its packets are dropped with a
 * trace note: dpsim's wire model has no IPIP.
 */
import { existingConntrack, IP_CT_IS_REPLY } from '../conntrack/conntrack.js';
import type { NetDevice } from '../netns/device.js';
import type { NetNamespace } from '../netns/namespace.js';
import {
  NF_ACCEPT,
  NF_DROP,
  NF_INET_FORWARD,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING,
  NF_STOLEN,
  type NetfilterHook,
} from '../netns/netfilter.js';
import { RTN_LOCAL, RTN_UNICAST } from '../netns/route-table.js';
import { formatIPv4 } from '../packet/address.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_EXC_TTL,
  ICMP_PORT_UNREACH,
  ICMP_TIME_EXCEEDED,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_SYN,
  type Packet,
} from '../packet/packet.js';
import { CallbackTimer } from '../sim/timer.js';
import { SEC } from '../sim/time.js';
import { IpvsConn, type IpvsConnOwner } from './conn.js';
import { IpvsConnTable } from './conn-table.js';
import { IpvsError, ENOENT, EEXIST, ESRCH, EINVAL } from './errors.js';
import {
  IP_VS_DIR_INPUT,
  IP_VS_DIR_INPUT_ONLY,
  IP_VS_DIR_OUTPUT,
  IP_VS_TCP_S_CLOSE,
  IP_VS_TCP_S_ESTABLISHED,
  IP_VS_TCP_S_FIN_WAIT,
  IP_VS_TCP_S_TIME_WAIT,
  TCP_STATE_NAMES,
  TCP_TIMEOUTS,
  UDP_TIMEOUT,
  nextTcpState,
} from './proto-state.js';
import { createScheduler, UNMODELLED_SCHEDULERS } from './schedulers/index.js';
import {
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_CONN_F_INACTIVE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_NFCT,
  IP_VS_CONN_F_NOOUTPUT,
  IP_VS_CONN_F_TEMPLATE,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_DEST_F_AVAILABLE,
  IP_VS_DEST_F_OVERLOAD,
  IP_VS_SVC_F_PERSISTENT,
  IPPROTO_SCTP,
  RealServer,
  VirtualService,
} from './service.js';

/** NF_IP_PRI_NAT_SRC and NF_IP_PRI_NAT_DST, around which IPVS places its hooks. */
const NF_IP_PRI_NAT_SRC = 100;
const NF_IP_PRI_NAT_DST = -100;

/** What `ipvsadm -A/-E` passes (struct ip_vs_service_user). */
export interface ServiceSpec {
  proto: number;
  addr: number;
  port: number;
  /** A firewall-mark service when above 0 (addr and port are then 0). */
  fwmark: number;
  sched: string;
  /** IP_VS_SVC_F_* flags (persistent, one-packet, scheduler flags). */
  flags: number;
  /** Persistence timeout in seconds. */
  timeout: number;
  netmask: number;
}

/** What `ipvsadm -a/-e` passes (struct ip_vs_dest_user). */
export interface DestSpec {
  addr: number;
  port: number;
  fwd: number;
  weight: number;
  uThreshold: number;
  lThreshold: number;
}

/** Identifies a virtual service: protocol/address/port, or fwmark. */
export interface ServiceKey {
  proto: number;
  addr: number;
  port: number;
  fwmark: number;
}

/** net.ipv4.vs.* that dpsim models, with the kernel's defaults. */
export class IpvsSysctls {
  /** Keep conntrack entries for IPVS connections (so iptables NAT applies to them). */
  conntrack = 0;
  /** Expire a connection at once when its real server is gone, instead of dropping its packets until it times out. */
  expire_nodest_conn = 0;
  /** Invalidate a persistence template whose real server has weight 0. */
  expire_quiescent_template = 0;
  /** Reschedule a new TCP connection (SYN) that finds an old one in TIME_WAIT/CLOSE (1), also FIN_WAIT without output (2, bit). */
  conn_reuse_mode = 1;
}

/** Counts ipvs decisions for benchmarks and tests. */
export interface IpvsCounters {
  scheduled: number;
  noDest: number;
}

/** The IPVS state of one namespace. */
export class Ipvs implements IpvsConnOwner {
  readonly sysctls = new IpvsSysctls();
  readonly conns = new IpvsConnTable();
  /** Timeouts by TCP state (seconds) and the UDP timeout (pd->timeout_table), changed by `ipvsadm --set`. */
  readonly tcpTimeouts: number[] = [...TCP_TIMEOUTS];
  udpTimeout = UDP_TIMEOUT;
  /** Services by protocol, keyed addr * 65536 + port (ip_vs_svc_table), and by fwmark (ip_vs_svc_fwm_table). */
  private readonly byProto = new Map<number, Map<number, VirtualService>>([
    [IPPROTO_TCP, new Map()],
    [IPPROTO_UDP, new Map()],
    [IPPROTO_SCTP, new Map()],
  ]);
  private readonly byMark = new Map<number, VirtualService>();
  /** Services in creation order. */
  private readonly list: VirtualService[] = [];
  /** Port-zero services (nullsvc_counter). */
  private nullServices = 0;
  /** Removed real servers still referenced by connections (dest_trash). */
  private readonly trash: RealServer[] = [];
  /** The packet IPVS is sending on through LOCAL_OUT (skb->ipvs_property): its own hooks let it pass. */
  private sending: Packet | null = null;
  readonly counters: IpvsCounters = { scheduled: 0, noDest: 0 };
  /** CONFIG_IP_VS_MH_TAB_INDEX for new mh schedulers. */
  mhTabIndex = 12;
  private registered = false;

  constructor(readonly ns: NetNamespace) {}

  // ---- the service table (ip_vs_ctl.c) --------------------------------------------------

  /** Services in the order ipvsadm sorts them (fwmark, protocol, address, port). */
  services(): VirtualService[] {
    return [...this.list].sort((a, b) => a.fwmark - b.fwmark || a.proto - b.proto || a.addr - b.addr || a.port - b.port);
  }

  /** The service for a key, or undefined. */
  service(key: ServiceKey): VirtualService | undefined {
    if (key.fwmark > 0) return this.byMark.get(key.fwmark);
    return this.byProto.get(key.proto)?.get(key.addr * 65536 + key.port);
  }

  private mustService(key: ServiceKey): VirtualService {
    const svc = this.service(key);
    if (svc === undefined) throw new IpvsError(ESRCH);
    return svc;
  }

  /** `ipvsadm -A` (ip_vs_add_service). */
  addService(spec: ServiceSpec): VirtualService {
    this.checkServiceSpec(spec);
    if (this.service(spec) !== undefined) throw new IpvsError(EEXIST);
    const proto = spec.fwmark > 0 && spec.proto === 0 ? IPPROTO_TCP : spec.proto;
    const svc = new VirtualService(proto, spec.fwmark > 0 ? 0 : spec.addr >>> 0, spec.fwmark > 0 ? 0 : spec.port, spec.fwmark, null!);
    const sched = this.newScheduler(spec.sched, svc);
    svc.scheduler = sched;
    this.applyServiceSpec(svc, spec);
    if (svc.fwmark > 0) this.byMark.set(svc.fwmark, svc);
    else this.byProto.get(svc.proto)!.set(svc.addr * 65536 + svc.port, svc);
    if (svc.fwmark === 0 && svc.port === 0) this.nullServices++;
    this.list.push(svc);
    this.register();
    return svc;
  }

  /** `ipvsadm -E` (ip_vs_edit_service). */
  editService(spec: ServiceSpec): VirtualService {
    this.checkServiceSpec(spec);
    const svc = this.mustService(spec);
    if (svc.scheduler.name !== spec.sched) svc.scheduler = this.newScheduler(spec.sched, svc);
    this.applyServiceSpec(svc, spec);
    return svc;
  }

  private checkServiceSpec(spec: ServiceSpec): void {
    if (spec.proto !== IPPROTO_TCP && spec.proto !== IPPROTO_UDP && spec.proto !== IPPROTO_SCTP && !(spec.fwmark > 0 && spec.proto === 0))
      throw new IpvsError(EINVAL);
    if (spec.fwmark === 0 && spec.port === 0 && (spec.flags & IP_VS_SVC_F_PERSISTENT) === 0) {
      // The kernel accepts it but never schedules for it ("port zero only supported in persistent services").
    }
  }

  private newScheduler(name: string, svc: VirtualService) {
    const s = createScheduler(name, svc, this.mhTabIndex);
    if (s === null) {
      if (UNMODELLED_SCHEDULERS.has(name)) throw new IpvsError(ENOENT, `scheduler ${name} is not modelled by dpsim`);
      throw new IpvsError(ENOENT);
    }
    return s;
  }

  private applyServiceSpec(svc: VirtualService, spec: ServiceSpec): void {
    svc.flags = spec.flags;
    svc.timeout = spec.timeout;
    svc.netmask = spec.netmask >>> 0;
  }

  /** `ipvsadm -D` (ip_vs_del_service): its real servers go to the trash while connections use them. */
  deleteService(key: ServiceKey): void {
    const svc = this.mustService(key);
    this.unlinkService(svc);
  }

  private unlinkService(svc: VirtualService): void {
    if (svc.fwmark > 0) this.byMark.delete(svc.fwmark);
    else this.byProto.get(svc.proto)!.delete(svc.addr * 65536 + svc.port);
    if (svc.fwmark === 0 && svc.port === 0) this.nullServices--;
    this.list.splice(this.list.indexOf(svc), 1);
    for (const d of svc.dests) this.retireDest(d);
    svc.dests.length = 0;
  }

  /** `ipvsadm -C` (ip_vs_flush). */
  clear(): void {
    for (const svc of [...this.list]) this.unlinkService(svc);
  }

  /** `ipvsadm -a` (ip_vs_add_dest). */
  addDest(key: ServiceKey, spec: DestSpec): RealServer {
    const svc = this.mustService(key);
    this.checkDestSpec(spec);
    const port = spec.port;
    if (svc.dest(spec.addr >>> 0, port) !== undefined) throw new IpvsError(EEXIST);
    // ip_vs_trash_get_dest: a removed server still referenced by connections comes back.
    let d: RealServer | undefined;
    const t = this.trash.findIndex((x) => x.svc === svc && x.addr === spec.addr >>> 0 && x.port === port);
    if (t >= 0) {
      d = this.trash[t]!;
      this.trash.splice(t, 1);
      d.flags |= IP_VS_DEST_F_AVAILABLE;
    } else d = new RealServer(svc, spec.addr >>> 0, port, spec.fwd, spec.weight, spec.uThreshold, spec.lThreshold);
    this.updateDest(d, spec);
    svc.dests.push(d);
    svc.scheduler.destsChanged(svc);
    return d;
  }

  /** `ipvsadm -e` (ip_vs_edit_dest). */
  editDest(key: ServiceKey, spec: DestSpec): RealServer {
    const svc = this.mustService(key);
    this.checkDestSpec(spec);
    const d = svc.dest(spec.addr >>> 0, spec.port);
    if (d === undefined) throw new IpvsError(ENOENT);
    this.updateDest(d, spec);
    svc.scheduler.destsChanged(svc);
    return d;
  }

  private checkDestSpec(spec: DestSpec): void {
    if (spec.weight < 0 || (spec.lThreshold > spec.uThreshold && spec.uThreshold !== 0)) throw new IpvsError(EINVAL);
    const route = this.ns.fib.lookup(spec.addr >>> 0);
    // ip_vs_new_dest: the address must be local or unicast in the namespace's routing.
    if (route !== null && route.type !== RTN_LOCAL && route.type !== RTN_UNICAST) throw new IpvsError(EINVAL);
  }

  /** __ip_vs_update_dest */
  private updateDest(d: RealServer, spec: DestSpec): void {
    d.weight = spec.weight;
    if (spec.weight > 0) d.lastWeight = spec.weight;
    d.fwd = spec.fwd & IP_VS_CONN_F_FWD_MASK;
    d.uThreshold = spec.uThreshold;
    d.lThreshold = spec.lThreshold;
    if (d.uThreshold === 0 || d.uThreshold > d.totalConns) this.updateOverload(d);
  }

  /** `ipvsadm -d` (ip_vs_del_dest). */
  deleteDest(key: ServiceKey, addr: number, port: number): void {
    const svc = this.mustService(key);
    const i = svc.dests.findIndex((d) => d.addr === addr >>> 0 && d.port === port);
    if (i < 0) throw new IpvsError(ENOENT);
    const d = svc.dests[i]!;
    svc.dests.splice(i, 1);
    this.retireDest(d);
    svc.scheduler.destsChanged(svc, i);
  }

  private retireDest(d: RealServer): void {
    d.flags &= ~IP_VS_DEST_F_AVAILABLE;
    if (d.activeConns + d.inactConns + d.persistConns > 0) this.trash.push(d);
  }

  /** `ipvsadm -Z [service]`. */
  zero(key?: ServiceKey): void {
    const list = key === undefined ? this.list : [this.mustService(key)];
    for (const svc of list) {
      svc.stats.zero();
      for (const d of svc.dests) d.stats.zero();
    }
  }

  /** `ipvsadm --set TCP TCPFIN UDP`: 0 leaves a value unchanged. */
  setTimeouts(tcp: number, tcpfin: number, udp: number): void {
    if (tcp > 0) this.tcpTimeouts[IP_VS_TCP_S_ESTABLISHED] = tcp;
    if (tcpfin > 0) this.tcpTimeouts[IP_VS_TCP_S_FIN_WAIT] = tcpfin;
    if (udp > 0) this.udpTimeout = udp;
  }

  /** Registers the hooks the first time a service is added (ip_vs_register_hooks on the first service). */
  private register(): void {
    if (this.registered) return;
    this.registered = true;
    const hooks = this.ns.hooks;
    hooks.register(NF_INET_LOCAL_IN, new OutHook(this, NF_IP_PRI_NAT_SRC - 2));
    hooks.register(NF_INET_LOCAL_IN, new InHook(this, NF_IP_PRI_NAT_SRC - 1));
    hooks.register(NF_INET_LOCAL_OUT, new OutHook(this, NF_IP_PRI_NAT_DST + 1));
    hooks.register(NF_INET_LOCAL_OUT, new InHook(this, NF_IP_PRI_NAT_DST + 2));
    hooks.register(NF_INET_FORWARD, new OutHook(this, 100));
    // The rate estimator: every 2 s, quiet (it sends nothing).
    const timer = new CallbackTimer(true, () => {
      for (const svc of this.list) {
        svc.stats.estimate();
        for (const d of svc.dests) d.stats.estimate();
      }
      this.ns.net.scheduler.arm(timer, 2 * SEC);
    });
    this.ns.net.scheduler.arm(timer, 2 * SEC);
  }

  // ---- the packet path (ip_vs_core.c) ---------------------------------------------------

  private trace(p: Packet, text: string): void {
    this.ns.net.tracer!.record(this.ns.name, 'ipvs', p.id, text);
  }

  /** ip_vs_service_find: fwmark first, then protocol/address/port, then the port-zero service. */
  findService(mark: number, proto: number, addr: number, port: number): VirtualService | null {
    if (mark !== 0 && this.byMark.size > 0) {
      const s = this.byMark.get(mark);
      if (s !== undefined) return s;
    }
    const m = this.byProto.get(proto);
    if (m === undefined) return null;
    const s = m.get(addr * 65536 + port);
    if (s !== undefined) return s;
    if (this.nullServices > 0) return m.get(addr * 65536) ?? null;
    return null;
  }

  /** ip_vs_in: a packet from a client (LOCAL_IN for remote clients, LOCAL_OUT for local ones). */
  in(hook: number, p: Packet, inDev: NetDevice | null): number {
    if (p === this.sending) return NF_ACCEPT;
    const proto = p.ipProto;
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return NF_ACCEPT;
    const tracing = this.ns.net.tracer !== null;
    let conn = this.conns.inGet(proto, p.ipSrc, p.sport, p.ipDst, p.dport, false);
    const syn = proto === IPPROTO_TCP && (p.tcpFlags & TCP_SYN) !== 0;
    if (conn !== null && syn) {
      // conn_reuse_mode / expire_nodest_conn: a new connection meeting an old entry.
      const mode = this.sysctls.conn_reuse_mode;
      let resched = false;
      let oldCt = false;
      if (this.sysctls.expire_nodest_conn !== 0 && conn.dest !== null && conn.dest.weight === 0) {
        resched = true;
        oldCt = this.usesOldConntrack(conn, p);
      } else if (mode !== 0 && this.newConnExpected(conn, mode)) {
        oldCt = this.usesOldConntrack(conn, p);
        resched = conn.nControl === 0 || !oldCt;
      }
      if (resched) {
        if (!oldCt) conn.flags &= ~IP_VS_CONN_F_NFCT;
        if (conn.nControl === 0) this.expireNow(conn);
        if (tracing) this.trace(p, `ipvs: SYN meets an old connection${oldCt ? ' still in conntrack: dropped (conn_reuse_mode)' : ': rescheduled'}`);
        if (oldCt) return NF_DROP;
        conn = null;
      }
    }
    if (conn === null) {
      const svc = this.findService(p.mark, proto, p.ipDst, p.dport);
      if (svc === null) return NF_ACCEPT;
      if (proto === IPPROTO_TCP && !syn) {
        if (tracing) this.trace(p, `ipvs: ${formatIPv4(p.ipDst)}:${p.dport} is a virtual service but no connection matches a non-SYN packet: passed to the local stack`);
        return NF_ACCEPT;
      }
      conn = this.schedule(svc, p);
      if (conn === null) {
        this.counters.noDest++;
        if (tracing) this.trace(p, `ipvs: ${svcName(svc)}: no destination available: ICMP port unreachable (ip_vs_leave)`);
        this.ns.icmp.sendError(p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, inDev, true);
        return NF_DROP;
      }
      if (tracing) this.trace(p, `ipvs: ${svcName(conn.dest!.svc)} scheduled by ${conn.dest!.svc.scheduler.name}: ${formatIPv4(p.ipSrc)}:${p.sport} -> real server ${formatIPv4(conn.daddr)}:${conn.dport}${conn.control !== null ? ' (persistence template)' : ''}`);
    } else if (tracing) this.trace(p, `ipvs: connection ${formatIPv4(conn.caddr)}:${conn.cport} -> ${formatIPv4(conn.vaddr)}:${conn.vport} -> ${formatIPv4(conn.daddr)}:${conn.dport} (${this.stateName(conn)})`);
    const dest = conn.dest;
    if (dest !== null && !dest.available) {
      if (this.sysctls.expire_nodest_conn !== 0) this.expireNow(conn);
      if (tracing) this.trace(p, `ipvs: real server ${formatIPv4(dest.addr)}:${dest.port} is gone: dropped${this.sysctls.expire_nodest_conn !== 0 ? ', connection expired (expire_nodest_conn)' : ''}`);
      return NF_DROP;
    }
    const len = p.ipTotalLength();
    conn.inPkts++;
    if (dest !== null) {
      dest.stats.inpkts++;
      dest.stats.inbytes += len;
      dest.svc.stats.inpkts++;
      dest.svc.stats.inbytes += len;
    }
    this.setState(conn, (conn.flags & IP_VS_CONN_F_NOOUTPUT) !== 0 ? IP_VS_DIR_INPUT_ONLY : IP_VS_DIR_INPUT, p);
    this.touch(conn);
    switch (conn.flags & IP_VS_CONN_F_FWD_MASK) {
      case IP_VS_CONN_F_MASQ:
        return this.natXmit(conn, p, hook, inDev);
      case IP_VS_CONN_F_DROUTE:
        return this.drXmit(conn, p, hook);
      case IP_VS_CONN_F_TUNNEL:
        if (tracing) this.trace(p, 'ipvs: tunnelling (IPIP) is not modelled by dpsim: dropped');
        return NF_DROP;
      default:
        return NF_ACCEPT; // LOCALNODE / BYPASS: ip_vs_null_xmit
    }
  }

  /** is_new_conn_expected */
  private newConnExpected(conn: IpvsConn, mode: number): boolean {
    if (conn.control !== null) return false;
    if (conn.proto !== IPPROTO_TCP) return false;
    return conn.state === IP_VS_TCP_S_TIME_WAIT || conn.state === IP_VS_TCP_S_CLOSE ||
      ((mode & 2) !== 0 && conn.state === IP_VS_TCP_S_FIN_WAIT && (conn.flags & IP_VS_CONN_F_NOOUTPUT) !== 0);
  }

  /** ip_vs_conn_uses_old_conntrack: the connection keeps conntrack and the packet found a confirmed entry. */
  private usesOldConntrack(conn: IpvsConn, p: Packet): boolean {
    if ((conn.flags & IP_VS_CONN_F_NFCT) === 0) return false;
    const ct = existingConntrack(this.ns);
    if (ct === null || !ct.enabled) return false;
    const c = ct.connOf(p);
    return c !== null && c.confirmed;
  }

  /** ip_vs_schedule / ip_vs_sched_persist: a new connection for the first packet, or null. */
  schedule(svc: VirtualService, p: Packet): IpvsConn | null {
    const proto = p.ipProto;
    const src = p.ipSrc;
    const sport = p.sport;
    const vaddr = p.ipDst;
    const vport = p.dport;
    if (svc.persistent) return this.schedulePersist(svc, p);
    if (svc.fwmark === 0 && vport !== svc.port) return null; // port zero only with persistence
    const dest = svc.scheduler.schedule(svc, src, sport, vaddr, vport);
    if (dest === null) return null;
    this.counters.scheduled++;
    return this.newConn(proto, src, sport, vaddr, vport, dest, dest.port !== 0 ? dest.port : vport, 0, p.mark);
  }

  private schedulePersist(svc: VirtualService, p: Packet): IpvsConn | null {
    const proto = p.ipProto;
    const snet = (p.ipSrc & svc.netmask) >>> 0;
    // The template: <proto, caddr & mask, 0, vaddr, vport> for a port service, vport 0 for a
    // port-zero service, <IPPROTO_IP, caddr, 0, fwmark, 0> for a fwmark service.
    const tProto = svc.fwmark > 0 ? 0 : proto;
    const tVaddr = svc.fwmark > 0 ? svc.fwmark : p.ipDst;
    const tVport = svc.fwmark > 0 || svc.port === 0 ? 0 : p.dport;
    let tpl = this.conns.inGet(tProto, snet, 0, tVaddr, tVport, true);
    if (tpl !== null && !this.checkTemplate(tpl)) tpl = null;
    let dest: RealServer;
    if (tpl === null) {
      const d = svc.scheduler.schedule(svc, p.ipSrc, p.sport, p.ipDst, p.dport);
      if (d === null) return null;
      dest = d;
      const tplDport = svc.fwmark === 0 && svc.port !== 0 ? dest.port : 0;
      tpl = this.newConn(tProto, snet, 0, tVaddr, tVport, dest, tplDport, IP_VS_CONN_F_TEMPLATE, p.mark);
      tpl.timeout = svc.timeout * SEC;
    } else dest = tpl.dest!;
    this.counters.scheduled++;
    let dport = p.dport;
    if (dport === svc.port && dest.port !== 0) dport = dest.port;
    const conn = this.newConn(proto, p.ipSrc, p.sport, p.ipDst, p.dport, dest, dport, 0, p.mark);
    conn.control = tpl;
    tpl.nControl++;
    this.touch(tpl);
    return conn;
  }

  /** ip_vs_check_template: a template is usable while its server is available (and not quiesced with expire_quiescent_template). */
  private checkTemplate(tpl: IpvsConn): boolean {
    const d = tpl.dest;
    if (d === null || !d.available || (this.sysctls.expire_quiescent_template !== 0 && d.weight === 0)) {
      // Invalidate it: the kernel rehashes it with ports 0xffff so that lookups miss it.
      this.conns.remove(tpl);
      tpl.vport = 0xffff;
      tpl.dport = 0xffff;
      tpl.cport = 0;
      this.conns.insert(tpl);
      return false;
    }
    return true;
  }

  /** ip_vs_conn_new + ip_vs_bind_dest */
  private newConn(proto: number, caddr: number, cport: number, vaddr: number, vport: number, dest: RealServer, dport: number, flags: number, mark: number): IpvsConn {
    let f = flags | (dest.fwd & IP_VS_CONN_F_FWD_MASK) | IP_VS_CONN_F_INACTIVE;
    if ((dest.fwd & IP_VS_CONN_F_FWD_MASK) !== IP_VS_CONN_F_MASQ) f |= IP_VS_CONN_F_NOOUTPUT;
    if (this.sysctls.conntrack !== 0 && (flags & IP_VS_CONN_F_TEMPLATE) === 0) f |= IP_VS_CONN_F_NFCT;
    const conn = new IpvsConn(this, proto, caddr, cport, vaddr, vport, dest.addr, dport, f, dest, mark);
    conn.timeout = 3 * SEC;
    this.conns.insert(conn);
    if ((flags & IP_VS_CONN_F_TEMPLATE) !== 0) dest.persistConns++;
    else {
      dest.inactConns++;
      dest.stats.conns++;
      dest.svc.stats.conns++;
    }
    if (dest.uThreshold !== 0 && dest.totalConns >= dest.uThreshold) dest.flags |= IP_VS_DEST_F_OVERLOAD;
    return conn;
  }

  /** The clearing half of the thresholds (ip_vs_unbind_dest). */
  private updateOverload(d: RealServer): void {
    if (d.lThreshold !== 0) {
      if (d.totalConns < d.lThreshold) d.flags &= ~IP_VS_DEST_F_OVERLOAD;
    } else if (d.uThreshold !== 0) {
      if (d.totalConns * 4 < d.uThreshold * 3) d.flags &= ~IP_VS_DEST_F_OVERLOAD;
    } else d.flags &= ~IP_VS_DEST_F_OVERLOAD;
  }

  /** set_tcp_state / udp_state_transition: the new state, the active/inactive counters, the timeout. */
  private setState(conn: IpvsConn, dir: number, p: Packet): void {
    if (conn.proto !== IPPROTO_TCP) {
      conn.timeout = this.udpTimeout * SEC;
      return;
    }
    if (dir === IP_VS_DIR_OUTPUT) conn.flags &= ~IP_VS_CONN_F_NOOUTPUT;
    const next = nextTcpState(conn.state, dir, p.tcpFlags);
    if (next !== conn.state) {
      const d = conn.dest;
      if (d !== null) {
        if ((conn.flags & IP_VS_CONN_F_INACTIVE) === 0 && next !== IP_VS_TCP_S_ESTABLISHED) {
          d.activeConns--;
          d.inactConns++;
          conn.flags |= IP_VS_CONN_F_INACTIVE;
        } else if ((conn.flags & IP_VS_CONN_F_INACTIVE) !== 0 && next === IP_VS_TCP_S_ESTABLISHED) {
          d.activeConns++;
          d.inactConns--;
          conn.flags &= ~IP_VS_CONN_F_INACTIVE;
        }
      }
      conn.state = next;
    }
    conn.timeout = this.tcpTimeouts[conn.state]! * SEC;
  }

  /** ip_vs_conn_put: the timer restarts with the connection's timeout. */
  private touch(conn: IpvsConn): void {
    conn.expires = this.ns.net.now + conn.timeout;
    if (!conn.armed || conn.at > conn.expires) this.ns.net.scheduler.armAt(conn, conn.expires);
  }

  /** ip_vs_conn_expire_now */
  private expireNow(conn: IpvsConn): void {
    conn.expires = this.ns.net.now;
    this.ns.net.scheduler.armAt(conn, conn.expires);
  }

  /** ip_vs_conn_expire: the timer ran out. A template controlling connections lives on. */
  expireConn(conn: IpvsConn): void {
    if (!conn.hashed) return;
    const now = this.ns.net.now;
    if (conn.expires > now) {
      this.ns.net.scheduler.armAt(conn, conn.expires);
      return;
    }
    if (conn.nControl > 0) {
      conn.expires = now + conn.timeout;
      this.ns.net.scheduler.armAt(conn, conn.expires);
      return;
    }
    this.conns.remove(conn);
    if (conn.control !== null) {
      conn.control.nControl--;
      conn.control = null;
    }
    const d = conn.dest;
    if (d !== null) {
      if ((conn.flags & IP_VS_CONN_F_TEMPLATE) !== 0) d.persistConns--;
      else if ((conn.flags & IP_VS_CONN_F_INACTIVE) !== 0) d.inactConns--;
      else d.activeConns--;
      this.updateOverload(d);
      if (!d.available && d.activeConns + d.inactConns + d.persistConns === 0) {
        const i = this.trash.indexOf(d);
        if (i >= 0) this.trash.splice(i, 1);
      }
    }
    if ((conn.flags & IP_VS_CONN_F_NFCT) !== 0) this.dropConntrack(conn);
  }

  /** ip_vs_conn_drop_conntrack: the conntrack entry of an expired IPVS connection goes too. */
  private dropConntrack(conn: IpvsConn): void {
    const ct = existingConntrack(this.ns);
    if (ct === null) return;
    const h = ct.table.lookup(conn.proto, conn.caddr, conn.vaddr, conn.cport, conn.vport, this.ns.net.now);
    if (h !== null && h.dir === 0 && h.conn.reply.src === conn.daddr && h.conn.reply.sport === conn.dport) ct.kill(h.conn);
  }

  /** ip_vs_nat_xmit: DNAT to the real server, then on through LOCAL_OUT and POSTROUTING (or up the local stack). */
  private natXmit(conn: IpvsConn, p: Packet, hook: number, inDev: NetDevice | null): number {
    const tracing = this.ns.net.tracer !== null;
    const route = this.ns.fib.lookup(conn.daddr);
    if (route === null || (route.type !== RTN_LOCAL && route.type !== RTN_UNICAST)) {
      if (tracing) this.trace(p, `ipvs: no route to real server ${formatIPv4(conn.daddr)}: dropped`);
      return NF_DROP;
    }
    const local = route.type === RTN_LOCAL;
    if (local && hook === NF_INET_LOCAL_IN && conn.daddr >>> 24 === 127) {
      if (tracing) this.trace(p, 'ipvs: stopping DNAT to loopback address: dropped');
      return NF_DROP;
    }
    if (!local && hook === NF_INET_LOCAL_IN) {
      // decrement_ttl: the packet is forwarded.
      if (p.ipTtl <= 1) {
        this.ns.icmp.sendError(p, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, inDev, false);
        return NF_DROP;
      }
      p.ipTtl--;
    }
    p.ipDst = conn.daddr;
    p.dport = conn.dport;
    if (tracing) this.trace(p, `ipvs: masquerade (DNAT) to ${formatIPv4(conn.daddr)}:${conn.dport}`);
    this.conntrackAfterXmit(conn, p, true);
    if (local) return NF_ACCEPT;
    return this.sendOn(p, (conn.flags & IP_VS_CONN_F_NFCT) !== 0);
  }

  /** ip_vs_dr_xmit: the unchanged packet to the real server's link-layer address. */
  private drXmit(conn: IpvsConn, p: Packet, hook: number): number {
    const tracing = this.ns.net.tracer !== null;
    const route = this.ns.fib.lookup(conn.daddr);
    if (route === null || route.type !== RTN_UNICAST) {
      if (route !== null && route.type === RTN_LOCAL) return NF_ACCEPT;
      if (tracing) this.trace(p, `ipvs: no route to real server ${formatIPv4(conn.daddr)}: dropped`);
      return NF_DROP;
    }
    const outDev = this.ns.deviceByIndex(route.oif);
    if (outDev === undefined) return NF_DROP;
    if (hook === NF_INET_LOCAL_IN) {
      if (p.ipTtl <= 1) return NF_DROP;
      p.ipTtl--;
    }
    if (tracing) this.trace(p, `ipvs: direct routing to ${formatIPv4(conn.daddr)} via ${outDev.name}`);
    const ct = existingConntrack(this.ns);
    if (ct !== null && ct.enabled && (conn.flags & IP_VS_CONN_F_NFCT) === 0) ct.untrack(p);
    const hooks = this.ns.hooks;
    const prev = this.sending;
    this.sending = p;
    try {
      if (hooks.has(NF_INET_LOCAL_OUT) && hooks.run(NF_INET_LOCAL_OUT, p, this.ns, null, outDev) !== NF_ACCEPT) return NF_STOLEN;
      if (hooks.has(NF_INET_POST_ROUTING) && hooks.run(NF_INET_POST_ROUTING, p, this.ns, null, outDev) !== NF_ACCEPT) return NF_STOLEN;
    } finally {
      this.sending = prev;
    }
    this.ns.neigh.output(outDev, this.ns.fib.nexthop(route, conn.daddr), p);
    return NF_STOLEN;
  }

  /** ip_vs_update_conntrack (keep) or ip_vs_notrack (leave) for a packet IPVS rewrote. */
  private conntrackAfterXmit(conn: IpvsConn, p: Packet, outin: boolean): void {
    const ct = existingConntrack(this.ns);
    if (ct === null || !ct.enabled) return;
    if ((conn.flags & IP_VS_CONN_F_NFCT) === 0) {
      ct.untrack(p);
      return;
    }
    const c = ct.connOf(p);
    if (c === null || c.confirmed || (conn.flags & IP_VS_CONN_F_FWD_MASK) !== IP_VS_CONN_F_MASQ) return;
    if (ct.infoOf(p) >= IP_CT_IS_REPLY) return;
    // The connection is not yet in the hash table: its reply comes from the real server (outin)
    // or goes back to the virtual address (out-in-out: a reply seen first).
    if (outin) {
      c.reply.src = conn.daddr;
      c.reply.sport = conn.dport;
    } else {
      c.reply.dst = conn.vaddr;
      c.reply.dport = conn.vport;
    }
  }

  /** NF_HOOK(LOCAL_OUT, …, dst_output) from ip_vs_nat_send_or_cont: routes the rewritten packet and sends it. */
  private sendOn(p: Packet, keepCt: boolean): number {
    if (keepCt) {
      const ct = existingConntrack(this.ns);
      if (ct !== null && ct.enabled) ct.keepConnection(p);
    }
    const prev = this.sending;
    this.sending = p;
    try {
      const err = this.ns.ip.output(p);
      if (err !== 0 && this.ns.net.tracer !== null) this.trace(p, `ipvs: sending to the real server failed (errno ${err})`);
    } finally {
      this.sending = prev;
    }
    return NF_STOLEN;
  }

  /** ip_vs_out / handle_response: a reply from a real server gets the virtual address back as its source. */
  out(_hook: number, p: Packet): number {
    if (p === this.sending) return NF_ACCEPT;
    const proto = p.ipProto;
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return NF_ACCEPT;
    if (this.conns.count === 0) return NF_ACCEPT;
    const conn = this.conns.outGet(proto, p.ipSrc, p.sport, p.ipDst, p.dport);
    if (conn === null || (conn.flags & IP_VS_CONN_F_FWD_MASK) !== IP_VS_CONN_F_MASQ) return NF_ACCEPT;
    p.ipSrc = conn.vaddr;
    p.sport = conn.vport;
    if (this.ns.net.tracer !== null) this.trace(p, `ipvs: reply from real server ${formatIPv4(conn.daddr)}:${conn.dport}: source back to ${formatIPv4(conn.vaddr)}:${conn.vport} (un-NAT)`);
    this.setState(conn, IP_VS_DIR_OUTPUT, p);
    conn.outPkts++;
    const d = conn.dest;
    if (d !== null) {
      const len = p.ipTotalLength();
      d.stats.outpkts++;
      d.stats.outbytes += len;
      d.svc.stats.outpkts++;
      d.svc.stats.outbytes += len;
    }
    this.conntrackAfterXmit(conn, p, false);
    this.touch(conn);
    return NF_ACCEPT;
  }

  /**
   * skb->ipvs_property as xt_ipvs reads it: whether IPVS is sending this packet on (the LOCAL_OUT
   * and POSTROUTING of ip_vs_nat_send_or_cont / ip_vs_send_or_cont, and the rest of LOCAL_IN
   * for a local real server). dpsim knows it only while IPVS sends the packet; a reply
   * ip_vs_out un-NATed is not marked (xt_ipvs's inverted lookup would not find its connection).
   */
  sentOn(p: Packet): boolean {
    return p === this.sending;
  }

  /**
   * The connection a packet IPVS sent on belongs to, as xt_ipvs finds it: ip_vs_conn_out_get on
   * the packet's header inverted (client = destination … ), which matches the client's packet
   * after the transmitter — to the real server for masquerading, unchanged to the virtual
   * address for direct routing and tunnelling. Null when none.
   */
  connOfSent(p: Packet): IpvsConn | null {
    const proto = p.ipProto;
    // The packet goes client (its source) → daddr (masquerading) or vaddr (the others).
    const masq = this.conns.outGet(proto, p.ipDst, p.dport, p.ipSrc, p.sport);
    if (masq !== null && (masq.flags & IP_VS_CONN_F_FWD_MASK) === IP_VS_CONN_F_MASQ) return masq;
    const other = this.conns.inGet(proto, p.ipSrc, p.sport, p.ipDst, p.dport, false);
    if (other !== null && (other.flags & IP_VS_CONN_F_FWD_MASK) !== IP_VS_CONN_F_MASQ) return other;
    return null;
  }

  /** The state name /proc/net/ip_vs_conn shows (ip_vs_state_name). */
  stateName(conn: IpvsConn): string {
    if ((conn.flags & IP_VS_CONN_F_TEMPLATE) !== 0) return 'NONE';
    if (conn.proto === IPPROTO_TCP) return TCP_STATE_NAMES[conn.state] ?? 'ERR!';
    if (conn.proto === IPPROTO_UDP) return 'UDP';
    return 'NONE';
  }

  /** Whole seconds until a connection expires ((timer.expires - jiffies) / HZ). */
  secondsLeft(conn: IpvsConn): number {
    const left = conn.expires - this.ns.net.now;
    return left <= 0 ? 0 : Math.floor(left / SEC);
  }
}

/** `TCP 10.96.0.1:80` / `FWM 1`, for traces. */
export function svcName(svc: VirtualService): string {
  if (svc.fwmark > 0) return `FWM ${svc.fwmark}`;
  return `${protoName(svc.proto)} ${formatIPv4(svc.addr)}:${svc.port}`;
}

/** ip_vs_proto_name */
export function protoName(proto: number): string {
  switch (proto) {
    case IPPROTO_TCP: return 'TCP';
    case IPPROTO_UDP: return 'UDP';
    case IPPROTO_SCTP: return 'SCTP';
    case 0: return 'IP';
    default: return `IP_${proto}`;
  }
}

class InHook implements NetfilterHook {
  constructor(
    private readonly ipvs: Ipvs,
    readonly priority: number,
  ) {}
  run(hook: number, p: Packet, _ns: NetNamespace, inDev: NetDevice | null): number {
    return this.ipvs.in(hook, p, inDev);
  }
}

class OutHook implements NetfilterHook {
  constructor(
    private readonly ipvs: Ipvs,
    readonly priority: number,
  ) {}
  run(hook: number, p: Packet): number {
    return this.ipvs.out(hook, p);
  }
}

const perNamespace = new WeakMap<NetNamespace, Ipvs>();

/** The IPVS state of a namespace (created on first use, like loading ip_vs). */
export function ipvsOf(ns: NetNamespace): Ipvs {
  let s = perNamespace.get(ns);
  if (s === undefined) {
    s = new Ipvs(ns);
    perNamespace.set(ns, s);
  }
  return s;
}

/** The namespace's IPVS state if it was ever used, else null. */
export function existingIpvs(ns: NetNamespace): Ipvs | null {
  return perNamespace.get(ns) ?? null;
}




