import type { NetDevice } from './device.js';

/** An IPv4 interface address (struct in_ifaddr), as `ip addr add ADDR/LEN [brd B] [scope S] [label L] dev D` creates it. */
export class IfAddr {
  constructor(
    readonly dev: NetDevice,
    /** ifa_local */
    readonly local: number,
    readonly prefixLen: number,
    /** ifa_broadcast, 0 when none was given */
    readonly broadcast: number,
    /** RT_SCOPE_* */
    readonly scope: number,
    readonly label: string,
    /** Whether another address of the same subnet came first on this device (IFA_F_SECONDARY). */
    public secondary: boolean,
    /** IFA_F_NOPREFIXROUTE: do not add the connected route. */
    readonly noprefixroute: boolean,
  ) {}

  /** The netmask as an unsigned 32-bit number. */
  get mask(): number {
    return this.prefixLen === 0 ? 0 : (0xffffffff << (32 - this.prefixLen)) >>> 0;
  }

  /** The subnet address (host bits zero). */
  get network(): number {
    return (this.local & this.mask) >>> 0;
  }

  /** Whether `addr` is in this address's subnet (inet_ifa_match). */
  contains(addr: number): boolean {
    return ((addr ^ this.local) & this.mask) === 0;
  }
}
