import { formatIPv4 } from '../packet/address.js';
import { ARPOP_REPLY, ARPOP_REQUEST, ETH_P_ARP, MAC_BROADCAST, Packet } from '../packet/packet.js';
import { MS, SEC } from '../sim/time.js';
import { Timer } from '../sim/timer.js';
import type { NetDevice } from './device.js';
import type { NetNamespace } from './namespace.js';
import { RTN_LOCAL } from './route-table.js';
import type { NeighParms } from './sysctl.js';

/** Neighbour states (NUD_*), as the kernel numbers them. */
export const NUD_NONE = 0x00;
export const NUD_INCOMPLETE = 0x01;
export const NUD_REACHABLE = 0x02;
export const NUD_STALE = 0x04;
export const NUD_DELAY = 0x08;
export const NUD_PROBE = 0x10;
export const NUD_FAILED = 0x20;
export const NUD_NOARP = 0x40;
export const NUD_PERMANENT = 0x80;

const NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE;
const NUD_VALID = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;
const NUD_IN_TIMER = NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE;

/** State names as `ip neigh` prints them. */
export function nudStateName(state: number): string {
  switch (state) {
    case NUD_INCOMPLETE: return 'INCOMPLETE';
    case NUD_REACHABLE: return 'REACHABLE';
    case NUD_STALE: return 'STALE';
    case NUD_DELAY: return 'DELAY';
    case NUD_PROBE: return 'PROBE';
    case NUD_FAILED: return 'FAILED';
    case NUD_NOARP: return 'NOARP';
    case NUD_PERMANENT: return 'PERMANENT';
    default: return 'NONE';
  }
}

/** Approximate skb truesize of a queued frame, for the unres_qlen_bytes limit (a full frame is ~2 KiB, giving the default 101 frames). */
function truesize(p: Packet): number {
  return 576 + ((p.frameLength() + 63) & ~63);
}

/**
 * Something that wants to know when a queued packet could not be resolved (arp_error_report):
 * the IPv4 layer answers it with ICMP host unreachable.
 */
export interface UnresolvedHandler {
  neighbourFailed(dev: NetDevice, p: Packet): void;
}

/** One neighbour entry (struct neighbour) with its embedded timer, driving Linux's NUD state machine. */
export class Neighbour extends Timer {
  mac = 0;
  state = NUD_NONE;
  /** Solicitations sent in the current resolution (neigh->probes). */
  probes = 0;
  /** When reachability was last confirmed (ns). */
  confirmed = 0;
  /** When the entry last changed state or address. */
  updated = 0;
  /** When a packet last used it. */
  used = 0;
  /** Packets waiting for resolution (arp_queue), oldest first. */
  readonly queue: Packet[] = [];
  queueBytes = 0;
  /** Set by `ip neigh add … router`-style admin entries; PERMANENT entries never time out. */
  admin = false;

  constructor(
    readonly table: NeighbourTable,
    readonly ip: number,
    readonly dev: NetDevice,
  ) {
    super(false);
  }

  fire(): void {
    this.table.timerExpired(this);
  }
}

/**
 * The ARP neighbour table of a namespace (arp_tbl): resolution, the NUD state machine with
 * Linux's default timers, and the ARP protocol itself (arp_process, arp_solicit).
 */
export class NeighbourTable {
  /** Entries by device then address. */
  private readonly byDev = new Map<NetDevice, Map<number, Neighbour>>();
  /** Per-device parameter overrides (net.ipv4.neigh.DEV.*). */
  readonly devParms = new Map<NetDevice, NeighParms>();
  onUnresolved: UnresolvedHandler | null = null;

  constructor(private readonly ns: NetNamespace) {}

  parms(dev: NetDevice): NeighParms {
    return this.devParms.get(dev) ?? this.ns.neighDefault;
  }

  lookup(dev: NetDevice, ip: number): Neighbour | undefined {
    return this.byDev.get(dev)?.get(ip);
  }

  /** Every entry, device by device in creation order, as `ip neigh show` walks them. */
  entries(): Neighbour[] {
    const out: Neighbour[] = [];
    for (const m of this.byDev.values()) for (const n of m.values()) out.push(n);
    return out;
  }

  private create(dev: NetDevice, ip: number): Neighbour {
    let m = this.byDev.get(dev);
    if (m === undefined) {
      m = new Map();
      this.byDev.set(dev, m);
    }
    const n = new Neighbour(this, ip, dev);
    const now = this.ns.net.now;
    n.updated = now;
    n.used = now;
    // A new entry has never been confirmed: its confirmation time lies well in the past.
    n.confirmed = now - 2 * this.parms(dev).base_reachable_time_ms * MS;
    m.set(ip, n);
    return n;
  }

  /** Removes an entry (`ip neigh del`), dropping what it had queued. */
  remove(n: Neighbour): void {
    this.ns.net.scheduler.cancel(n);
    n.queue.length = 0;
    n.queueBytes = 0;
    this.byDev.get(n.dev)?.delete(n.ip);
  }

  /** A device went down or away: its entries go (neigh_ifdown). PERMANENT ones survive a down, as Linux keeps them. */
  flushDevice(dev: NetDevice, includePermanent = false): void {
    const m = this.byDev.get(dev);
    if (m === undefined) return;
    for (const n of [...m.values()]) if (includePermanent || n.state !== NUD_PERMANENT) this.remove(n);
    if (m.size === 0) this.byDev.delete(dev);
  }

  /** `ip neigh add|replace IP lladdr MAC [nud STATE] dev DEV`. */
  adminSet(dev: NetDevice, ip: number, mac: number, state: number, replace: boolean): string | null {
    let n = this.lookup(dev, ip);
    if (n !== undefined && !replace && n.state !== NUD_NONE && n.state !== NUD_FAILED && n.state !== NUD_INCOMPLETE)
      return 'RTNETLINK answers: File exists';
    if (n === undefined) n = this.create(dev, ip);
    n.admin = true;
    this.update(n, mac, state);
    return null;
  }

  // ---- output ----------------------------------------------------------------------

  /**
   * Sends an IPv4 packet to next hop `nexthop` on `dev` (neigh_output / neigh_resolve_output):
   * at once when the entry is usable, queued while it resolves.
   */
  output(dev: NetDevice, nexthop: number, p: Packet): void {
    if (!dev.usesArp) {
      p.ethSrc = dev.mac;
      p.ethDst = 0;
      dev.transmit(p);
      return;
    }
    let n = this.lookup(dev, nexthop);
    if (n === undefined) n = this.create(dev, nexthop);
    this.send(n, p);
  }

  /**
   * Starts resolving `ip` on `dev` without a packet to send (neigh_event_send with no skb),
   * as a redirect's new gateway is checked. Returns the entry, valid or not.
   */
  kick(dev: NetDevice, ip: number): Neighbour {
    let n = this.lookup(dev, ip);
    if (n === undefined) n = this.create(dev, ip);
    if ((n.state & NUD_VALID) === 0) this.send(n, null);
    return n;
  }

  /** Whether an entry can be used to send (NUD_VALID). */
  isValid(n: Neighbour): boolean {
    return (n.state & NUD_VALID) !== 0;
  }

  /** neigh_event_send: transmit through an entry (or just move its state machine when `p` is null), as the kernel does. */
  private send(n: Neighbour, p: Packet | null): void {
    const dev = n.dev;
    n.used = this.ns.net.now;
    const state = n.state;
    if ((state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE)) !== 0) {
      if (p !== null) this.transmitTo(n, p);
      return;
    }
    if (state === NUD_STALE) {
      // First use of a stale entry: send now, and give upper layers delay_first_probe_time to confirm it.
      this.setState(n, NUD_DELAY);
      n.quiet = false;
      this.ns.net.scheduler.arm(n, this.parms(dev).delay_first_probe_time * SEC);
      if (p !== null) this.transmitTo(n, p);
      return;
    }
    if (state === NUD_INCOMPLETE) {
      if (p !== null) this.enqueue(n, p);
      return;
    }
    // NONE or FAILED: start resolving.
    const parms = this.parms(dev);
    if (parms.mcast_solicit + parms.app_solicit === 0) {
      this.setState(n, NUD_FAILED);
      if (p !== null) this.reportUnresolved(dev, p);
      return;
    }
    this.setState(n, NUD_INCOMPLETE);
    n.probes = parms.ucast_solicit;
    if (p !== null) this.enqueue(n, p);
    n.quiet = false;
    this.ns.net.scheduler.arm(n, Math.max(parms.retrans_time_ms * MS, 10 * MS));
    this.solicit(n);
  }

  /** Confirms reachability from an upper layer (dst_confirm / MSG_CONFIRM / TCP forward progress). */
  confirm(dev: NetDevice, nexthop: number): void {
    const n = this.lookup(dev, nexthop);
    if (n !== undefined) n.confirmed = this.ns.net.now;
  }

  private transmitTo(n: Neighbour, p: Packet): void {
    p.ethSrc = n.dev.mac;
    p.ethDst = n.mac;
    n.dev.transmit(p);
  }

  private enqueue(n: Neighbour, p: Packet): void {
    const limit = this.parms(n.dev).unres_qlen_bytes;
    const size = truesize(p);
    while (n.queue.length > 0 && n.queueBytes + size > limit) {
      const old = n.queue.shift()!;
      n.queueBytes -= truesize(old);
    }
    n.queue.push(p);
    n.queueBytes += size;
  }

  private setState(n: Neighbour, state: number): void {
    n.state = state;
    n.updated = this.ns.net.now;
    const tr = this.ns.net.tracer;
    if (tr !== null) tr.record(this.ns.name, 'neigh', 0, `neighbour ${formatIPv4(n.ip)} dev ${n.dev.name} ${nudStateName(state)}`);
  }

  /** Random reachable time in [base/2, 3·base/2), as neigh_rand_reach_time draws it. */
  private reachableTime(dev: NetDevice): number {
    const base = this.parms(dev).base_reachable_time_ms * MS;
    return base / 2 + Math.floor(this.ns.net.random.float() * base);
  }

  /** neigh_update: a new link-layer address and/or state. */
  private update(n: Neighbour, mac: number, state: number): void {
    const sched = this.ns.net.scheduler;
    const now = this.ns.net.now;
    const old = n.state;
    if ((old & (NUD_NOARP | NUD_PERMANENT)) !== 0 && !n.admin) return;
    if ((state & NUD_VALID) === 0) {
      sched.cancel(n);
      this.setState(n, state);
      return;
    }
    let newState = state;
    if ((old & NUD_VALID) !== 0 && mac === n.mac && state === NUD_STALE && !n.admin) newState = old;
    if ((newState & NUD_CONNECTED) !== 0) n.confirmed = now;
    n.mac = mac;
    if (newState !== old || (old & NUD_IN_TIMER) === 0) {
      sched.cancel(n);
      this.setState(n, newState);
      if (newState === NUD_REACHABLE) {
        n.quiet = true;
        sched.arm(n, this.reachableTime(n.dev));
      }
    }
    n.admin = false;
    if ((newState & NUD_VALID) !== 0 && n.queue.length > 0) this.flushQueue(n);
  }

  private flushQueue(n: Neighbour): void {
    const q = n.queue.splice(0, n.queue.length);
    n.queueBytes = 0;
    for (const p of q) this.send(n, p);
  }

  /** The neighbour timer (neigh_timer_handler). */
  timerExpired(n: Neighbour): void {
    const now = this.ns.net.now;
    const parms = this.parms(n.dev);
    const sched = this.ns.net.scheduler;
    const delay = parms.delay_first_probe_time * SEC;
    const retrans = Math.max(parms.retrans_time_ms * MS, 10 * MS);
    const state = n.state;
    if (state === NUD_REACHABLE) {
      const reachable = this.reachableTime(n.dev);
      if (now <= n.confirmed + reachable) {
        n.quiet = true;
        sched.armAt(n, n.confirmed + reachable);
      } else if (now <= n.used + delay) {
        this.setState(n, NUD_DELAY);
        n.quiet = false;
        sched.arm(n, delay);
      } else {
        this.setState(n, NUD_STALE);
      }
      return;
    }
    if (state === NUD_DELAY) {
      if (now <= n.confirmed + delay) {
        this.setState(n, NUD_REACHABLE);
        n.quiet = true;
        sched.armAt(n, n.confirmed + this.reachableTime(n.dev));
      } else {
        this.setState(n, NUD_PROBE);
        n.probes = 0;
        n.quiet = false;
        sched.arm(n, retrans);
        this.solicit(n);
      }
      return;
    }
    if (state === NUD_INCOMPLETE || state === NUD_PROBE) {
      const max = parms.ucast_solicit + parms.app_solicit + (state === NUD_PROBE ? parms.mcast_resolicit : parms.mcast_solicit);
      if (n.probes >= max) {
        this.setState(n, NUD_FAILED);
        // neigh_invalidate: every queued packet is reported back, then dropped.
        const q = n.queue.splice(0, n.queue.length);
        n.queueBytes = 0;
        for (const p of q) this.reportUnresolved(n.dev, p);
        return;
      }
      n.quiet = false;
      sched.arm(n, retrans);
      this.solicit(n);
    }
  }

  private reportUnresolved(dev: NetDevice, p: Packet): void {
    if (this.onUnresolved !== null) this.onUnresolved.neighbourFailed(dev, p);
  }

  /** Sends one ARP request for the entry (arp_solicit): broadcast while resolving, unicast to the known MAC when probing. */
  private solicit(n: Neighbour): void {
    const parms = this.parms(n.dev);
    const probeNo = n.probes++;
    const dev = n.dev;
    // Source address: the queued packet's source if it is ours (arp_announce 0), else the device's best address for the target.
    let saddr = 0;
    const last = n.queue.length > 0 ? n.queue[n.queue.length - 1]! : null;
    if (last !== null && this.ns.fib.isLocal(last.ipSrc)) saddr = last.ipSrc;
    if (saddr === 0) saddr = this.ns.ip.selectAddress(dev, n.ip, 253);
    const unicast = probeNo - parms.ucast_solicit < 0 && (n.state & NUD_VALID) !== 0;
    this.sendArp(dev, ARPOP_REQUEST, unicast ? n.mac : MAC_BROADCAST, dev.mac, saddr, 0, n.ip);
  }

  private sendArp(dev: NetDevice, op: number, ethDst: number, sha: number, spa: number, tha: number, tpa: number): void {
    const p = new Packet();
    p.ethType = ETH_P_ARP;
    p.ethSrc = dev.mac;
    p.ethDst = ethDst;
    p.arpOp = op;
    p.arpSha = sha;
    p.arpSpa = spa;
    p.arpTha = tha;
    p.arpTpa = tpa;
    dev.transmit(p);
  }

  // ---- input ------------------------------------------------------------------------

  /** An ARP frame arrived (arp_rcv → arp_process). */
  arpReceive(dev: NetDevice, p: Packet): void {
    if (!dev.usesArp) return;
    const forUs = p.ethDst === dev.mac || p.ethDst === MAC_BROADCAST;
    if (!forUs) return; // PACKET_OTHERHOST
    const sip = p.arpSpa;
    const tip = p.arpTpa;
    if (p.arpOp !== ARPOP_REQUEST && p.arpOp !== ARPOP_REPLY) return;
    if (tip >>> 28 === 14 || tip === 0xffffffff || tip >>> 24 === 127) return; // multicast/broadcast/loopback target
    if (sip === 0 && p.arpOp === ARPOP_REQUEST) {
      // Duplicate address detection probe: answer if the target is ours.
      if (this.isLocalFor(dev, tip)) this.sendArp(dev, ARPOP_REPLY, p.arpSha, dev.mac, tip, p.arpSha, sip);
      return;
    }
    if (p.arpOp === ARPOP_REQUEST && this.isLocalFor(dev, tip)) {
      // The target answers and records the requester (neigh_event_ns: STALE).
      let n = this.lookup(dev, sip);
      if (n === undefined) n = this.create(dev, sip);
      this.update(n, p.arpSha, NUD_STALE);
      this.sendArp(dev, ARPOP_REPLY, p.arpSha, dev.mac, tip, p.arpSha, sip);
      return;
    }
    // A reply, or a request not for us: update an existing entry only (arp_accept 0 creates none).
    const n = this.lookup(dev, sip);
    if (n === undefined) return;
    const state = p.arpOp === ARPOP_REPLY && p.ethDst === dev.mac ? NUD_REACHABLE : NUD_STALE;
    this.update(n, p.arpSha, state);
  }

  /** Whether ARP on `dev` answers for `tip`: a local address of the namespace (arp_ignore 0 answers for any device's address). */
  private isLocalFor(dev: NetDevice, tip: number): boolean {
    const r = this.ns.fib.local.lookup(tip);
    if (r === null || r.type !== RTN_LOCAL) return false;
    const ignore = Math.max(this.ns.confAll.arp_ignore, dev.conf.arp_ignore);
    if (ignore >= 1) return dev.addrs.some((a) => a.local === tip);
    return true;
  }
}

