/**
 * A VXLAN device's FDB (drivers/net/vxlan/vxlan_core.c): for each inner MAC the remote VTEPs
 * to send to (`bridge fdb append MAC dev flannel.1 dst IP`), the all-zeros MAC as the
 * default for every MAC without an entry, and entries learned from received packets.
 *
 * Facts from this machine's kernel (6.18; vxlan.test.ts):
 * - Entries are dumped newest first, each remote of an entry on its own line, remotes in
 *   the order they were appended.
 * - `add` of an existing MAC is EEXIST; `append` adds a remote to the all-zeros or a
 *   multicast MAC (an existing one is a no-op), and to a unicast MAC with an entry nothing
 *   (recorded in test/kernel/scenarios/bridge-vxlan-commands);
 *   `replace` overwrites the first remote, and is refused for the all-zeros and multicast
 *   MACs ("Cannot replace non-unicast fdb entries", EOPNOTSUPP when creating); no `dst` is EINVAL.
 * - `del MAC` removes the entry; `del MAC dst IP` removes that remote (the entry goes with
 *   its last one); an unknown MAC is ENOENT.
 * - A learned entry is shown without a state (`… dst 192.168.50.5 self `) and ages after
 *   `ageing` (300 s) without traffic from it.
 */
import { FdbNode, FdbTable } from '../bridge/fdb-table.js';
import { NUD_NOARP, NUD_PERMANENT, NUD_REACHABLE } from '../netns/neighbour.js';
import type { Scheduler } from '../sim/scheduler.js';
import type { Packet } from '../packet/packet.js';

/** One remote VTEP of an entry (struct vxlan_rdst). */
export class VxlanRemote {
  constructor(
    /** The remote VTEP's IPv4 address (0: none). */
    public ip: number,
    /** The UDP port to send to. */
    public port: number,
    /** The VNI to send with. */
    public vni: number,
    /** The underlay device to send through (`via DEV`), 0 for the route's. */
    public ifindex: number,
  ) {}

  same(other: VxlanRemote): boolean {
    return this.ip === other.ip && this.port === other.port && this.vni === other.vni && this.ifindex === other.ifindex;
  }
}

/** One VXLAN FDB entry (struct vxlan_fdb). */
export class VxlanFdbEntry extends FdbNode {
  readonly remotes: VxlanRemote[] = [];

  constructor(
    mac: number,
    now: number,
    /** NUD_PERMANENT (added, the default), NUD_NOARP (`static`) or NUD_REACHABLE (learned). */
    public state: number,
  ) {
    super(mac, now);
  }

  get ages(): boolean {
    return (this.state & (NUD_PERMANENT | NUD_NOARP)) === 0;
  }
}

/** How a user changes an entry: `bridge fdb add|append|replace`. */
export type VxlanFdbMode = 'add' | 'append' | 'replace';

export const VXLAN_FDB_EEXIST = 'RTNETLINK answers: File exists';
export const VXLAN_FDB_ENOENT = 'RTNETLINK answers: No such file or directory';
export const VXLAN_FDB_EINVAL = 'RTNETLINK answers: Invalid argument';
export const VXLAN_FDB_EOPNOTSUPP = 'RTNETLINK answers: Operation not supported';
export const VXLAN_FDB_NOT_UNICAST = 'Error: Cannot replace non-unicast fdb entries.';

/** The default ageing of learned entries: 300 s (`ageing 300` in `ip -d link`). */
export const VXLAN_DEFAULT_AGEING = 300_000_000_000;

function isUnicast(mac: number): boolean {
  return mac !== 0 && ((mac / 0x100_0000_0000) & 1) === 0;
}

/** A VXLAN device's FDB. */
export class VxlanFdb {
  readonly table: FdbTable<VxlanFdbEntry>;

  constructor(private readonly scheduler: Scheduler<Packet>, ageing: number) {
    this.table = new FdbTable<VxlanFdbEntry>(scheduler, ageing);
  }

  /** The entry for `mac`, or undefined. */
  get(mac: number): VxlanFdbEntry | undefined {
    return this.table.get(mac);
  }

  /**
   * `bridge fdb add|append|replace MAC dev VXLAN dst IP [port P] [vni V] [via DEV] [static]`:
   * returns null or the line the tool prints.
   */
  userUpdate(mac: number, remote: VxlanRemote | null, state: number, mode: VxlanFdbMode): string | null {
    if (remote === null || remote.ip === 0) return VXLAN_FDB_EINVAL;
    const e = this.table.get(mac);
    if (e === undefined) {
      if (mode === 'replace' && !isUnicast(mac)) return VXLAN_FDB_EOPNOTSUPP;
      const created = new VxlanFdbEntry(mac, this.scheduler.now, state);
      created.remotes.push(remote);
      this.table.insert(created);
      return null;
    }
    if (mode === 'add') return VXLAN_FDB_EEXIST;
    if (mode === 'replace') {
      if (!isUnicast(mac)) return VXLAN_FDB_NOT_UNICAST;
      if (e.remotes.length > 0) e.remotes[0] = remote;
      else e.remotes.push(remote);
    } else if (!isUnicast(mac) && !e.remotes.some((r) => r.same(remote))) {
      // vxlan_fdb_update_existing appends remotes only to the all-zeros and multicast entries;
      // `append` to a unicast MAC that has an entry changes nothing but its state.
      e.remotes.push(remote);
    }
    e.state = state;
    e.updated = this.scheduler.now;
    return null;
  }

  /** `bridge fdb del MAC dev VXLAN [dst IP]`: returns null or the line the tool prints. */
  userDelete(mac: number, ip: number): string | null {
    const e = this.table.get(mac);
    if (e === undefined) return VXLAN_FDB_ENOENT;
    if (ip !== 0) {
      const i = e.remotes.findIndex((r) => r.ip === ip);
      if (i < 0) return null; // the kernel answers 0 and keeps the entry
      if (e.remotes.length > 1) {
        e.remotes.splice(i, 1);
        return null;
      }
    }
    this.table.remove(e);
    return null;
  }

  /**
   * vxlan_snoop: a packet from inner source `mac` came from VTEP `ip`. Learns or moves the
   * entry; returns true when the packet must be dropped (a static or permanent entry for
   * that MAC points elsewhere).
   */
  snoop(mac: number, ip: number, port: number, vni: number): boolean {
    const now = this.scheduler.now;
    const e = this.table.get(mac);
    if (e === undefined) {
      const learned = new VxlanFdbEntry(mac, now, NUD_REACHABLE);
      learned.remotes.push(new VxlanRemote(ip, port, vni, 0));
      this.table.insert(learned);
      return false;
    }
    const first = e.remotes[0];
    if (first !== undefined && first.ip === ip && first.ifindex === 0) {
      if (e.updated !== now) this.table.refresh(e, now);
      return false;
    }
    if ((e.state & (NUD_PERMANENT | NUD_NOARP)) !== 0) return true;
    if (first !== undefined) first.ip = ip;
    else e.remotes.push(new VxlanRemote(ip, port, vni, 0));
    this.table.refresh(e, now);
    return false;
  }
}
