/**
 * The bridge's forwarding database (net/bridge/br_fdb.c): which port each MAC address was
 * last seen on, the `permanent` local entries of the ports' and the bridge's own MACs, and
 * the entries a user added (`bridge fdb add MAC dev PORT master [static] [sticky]`).
 *
 * Facts from this machine's kernel (6.18; experiments in fdb.test.ts):
 * - Learning moves an entry to the port its source was last seen on, static entries too;
 *   only `sticky` ones stay, and a local entry never moves (the kernel warns instead).
 * - `bridge fdb add … master` without `static` adds a local (`permanent`) entry: frames to it go up the stack.
 * - Entries are dumped newest first; moving one to another port keeps its place.
 * - With vlan_filtering 0 (the default) there are no `vlan 1` entries.
 */
import { FdbNode, FdbTable } from './fdb-table.js';
import type { BridgePort } from './port.js';
import type { Scheduler } from '../sim/scheduler.js';
import type { Packet } from '../packet/packet.js';
import { SEC } from '../sim/time.js';

/** The default `ageing_time`: 300 s (30000 centiseconds as `ip -d link` shows it). */
export const BR_DEFAULT_AGEING_TIME = 300 * SEC;

/** One bridge FDB entry (struct net_bridge_fdb_entry). */
export class BridgeFdbEntry extends FdbNode {
  constructor(
    mac: number,
    now: number,
    /** The port the MAC is behind, or null for an entry of the bridge device itself. */
    public dst: BridgePort | null,
    /** A local address (BR_FDB_LOCAL): frames to it are delivered up; shown `permanent`. */
    public local: boolean,
    /** Added as `static` (BR_FDB_STATIC): never ages; shown `static` unless local. */
    public isStatic: boolean,
    /** Added by a user rather than learned or added by the bridge (BR_FDB_ADDED_BY_USER). */
    public addedByUser: boolean,
    /** Does not move to another port when its source shows up there (BR_FDB_STICKY). */
    public sticky = false,
  ) {
    super(mac, now);
  }

  get ages(): boolean {
    return !this.local && !this.isStatic;
  }
}

/** How a user adds an entry: `bridge fdb add|append|replace`. */
export type FdbAddMode = 'add' | 'append' | 'replace';

/** The state a user gives an entry: `permanent` (the default, a local entry), `static` (also `temp`) or `dynamic`. */
export type FdbUserState = 'permanent' | 'static' | 'dynamic';

/** What `bridge fdb add|del` answers when the kernel refuses, as the tool prints it. */
export const FDB_EEXIST = 'RTNETLINK answers: File exists';
export const FDB_ENOENT = 'RTNETLINK answers: No such file or directory';
export const FDB_EINVAL = 'RTNETLINK answers: Invalid argument';
export const FDB_EPERM = 'RTNETLINK answers: Operation not permitted';

/** A bridge's FDB. */
export class BridgeFdb {
  readonly table: FdbTable<BridgeFdbEntry>;

  constructor(private readonly scheduler: Scheduler<Packet>) {
    this.table = new FdbTable<BridgeFdbEntry>(scheduler, BR_DEFAULT_AGEING_TIME);
  }

  /** The entry for `mac`, or undefined. */
  get(mac: number): BridgeFdbEntry | undefined {
    return this.table.get(mac);
  }

  /** Whether `e` is past its ageing time (has_expired): such an entry is not used to forward. */
  expired(e: BridgeFdbEntry): boolean {
    return this.table.expired(e, this.scheduler.now);
  }

  /** br_fdb_update: `mac` was seen as a source on `port`. */
  learn(port: BridgePort, mac: number): void {
    const now = this.scheduler.now;
    const e = this.table.get(mac);
    if (e === undefined) {
      this.table.insert(new BridgeFdbEntry(mac, now, port, false, false, false));
      return;
    }
    if (e.local) return; // "received packet on PORT with own address as source address"
    if (e.updated !== now) this.table.refresh(e, now);
    if (e.dst !== port && !e.sticky) e.dst = port;
  }

  /**
   * fdb_add_local: a local entry for `mac` on `port` (null: the bridge itself). An existing
   * local entry is kept as it is (several ports may share a MAC); any other is replaced.
   */
  addLocal(port: BridgePort | null, mac: number): void {
    if (!isValidUnicast(mac)) return;
    const e = this.table.get(mac);
    if (e !== undefined) {
      if (e.local) return;
      this.table.remove(e);
    }
    this.table.insert(new BridgeFdbEntry(mac, this.scheduler.now, port, true, true, false));
  }

  /**
   * fdb_delete_local: `port` (null: the bridge) gives up local address `mac`. The entry passes
   * to another port with the same MAC, or to the bridge when the bridge has it, else goes.
   */
  deleteLocal(port: BridgePort | null, mac: number, ports: readonly BridgePort[], bridgeMac: number): void {
    const e = this.table.get(mac);
    if (e === undefined || !e.local || e.dst !== port) return;
    for (const other of ports) {
      if (other !== port && other.dev.mac === mac) {
        e.dst = other;
        return;
      }
    }
    if (port !== null && bridgeMac === mac) {
      e.dst = null;
      return;
    }
    this.table.remove(e);
  }

  /** br_fdb_change_mac_address: the bridge's own MAC changes from `oldMac` to `newMac`. */
  changeBridgeMac(oldMac: number, newMac: number): void {
    const e = this.table.get(oldMac);
    if (e !== undefined && e.local && e.dst === null && !e.addedByUser) this.table.remove(e);
    this.addLocal(null, newMac);
  }

  /** br_fdb_delete_by_port with do_all: every entry of a port leaving the bridge; its local ones pass on where they can. */
  deleteByPort(port: BridgePort, ports: readonly BridgePort[], bridgeMac: number): void {
    for (const e of [...this.table.entries()]) {
      if (e.dst !== port) continue;
      if (e.local) this.deleteLocal(port, e.mac, ports, bridgeMac);
      else this.table.remove(e);
    }
  }

  /** Flushes learned entries of `port` (`bridge fdb flush dev PORT dynamic`, a port going down). */
  flushDynamic(port: BridgePort | null): void {
    this.table.removeWhere((e) => e.ages && (port === null || e.dst === port));
  }

  /**
   * `bridge fdb add|append|replace MAC dev DEV master [static|permanent] [sticky]`, DEV being a
   * port (`port`) or the bridge itself (null). Returns null or the tool's error line.
   */
  userAdd(mac: number, port: BridgePort | null, state: FdbUserState, sticky: boolean, mode: FdbAddMode): string | null {
    // Checked on this kernel: a zero MAC, `sticky` on a local entry and a non-permanent entry
    // of the bridge itself are EINVAL; `dynamic` on a port that does not forward is EPERM
    // (on a forwarding one it makes an entry that ages like a learned one).
    if (mac === 0 || (sticky && state === 'permanent') || (port === null && state !== 'permanent')) return FDB_EINVAL;
    if (state === 'dynamic' && !port!.forwarding) return FDB_EPERM;
    const local = state === 'permanent';
    const isStatic = state !== 'dynamic';
    let e = this.table.get(mac);
    if (e !== undefined && mode === 'add') return FDB_EEXIST;
    if (e === undefined) {
      e = new BridgeFdbEntry(mac, this.scheduler.now, port, local, isStatic, true, sticky);
      this.table.insert(e);
      return null;
    }
    // fdb_add_entry on an existing entry: it takes the new port, state and flags in place.
    e.dst = port;
    e.local = local;
    e.isStatic = isStatic;
    e.addedByUser = true;
    e.sticky = sticky;
    e.updated = this.scheduler.now;
    if (e.ages) this.table.armFor(e);
    return null;
  }

  /** `bridge fdb del MAC dev DEV master`: returns null or the tool's error line. */
  userDelete(mac: number, port: BridgePort | null): string | null {
    const e = this.table.get(mac);
    if (e === undefined || e.dst !== port) return FDB_ENOENT;
    this.table.remove(e);
    return null;
  }
}

/** A MAC that is neither multicast (bit 0 of the first octet) nor all zeros (is_valid_ether_addr). */
export function isValidUnicast(mac: number): boolean {
  return mac !== 0 && !isMulticastMac(mac);
}

/** Whether a MAC is multicast or broadcast: bit 0 of its first octet. */
export function isMulticastMac(mac: number): boolean {
  return ((mac / 0x100_0000_0000) & 1) === 1;
}
