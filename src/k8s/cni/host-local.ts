/**
 * The host-local IPAM plugin: one range (the node's pod subnet), addresses handed out in
 * order after the last one reserved (host-local's round robin: `last_reserved_ip.0`), the
 * gateway and the network/broadcast addresses never given, and a specific address on request
 * (the `IP=` CNI argument).
 */
import { formatIPv4 } from '../../packet/address.js';

export class IpamError extends Error {}

export class HostLocalIpam {
  private readonly byIp = new Map<number, string>();
  private readonly byContainer = new Map<string, number>();
  /** The last address handed out; the next search starts after it. */
  private lastReserved: number;
  private readonly first: number;
  private readonly last: number;

  /** `subnet`/`prefixLen` the range; `gateway` excluded (flannel's bridge config: .1). */
  constructor(
    readonly subnet: number,
    readonly prefixLen: number,
    readonly gateway: number,
  ) {
    const size = 2 ** (32 - prefixLen);
    this.first = (subnet + 1) >>> 0;
    this.last = (subnet + size - 2) >>> 0;
    this.lastReserved = this.first - 1;
  }

  /** Reserves an address for `containerId`: `requested` when given (an error if taken or outside), else the next free one. */
  allocate(containerId: string, requested?: number): number {
    if (this.byContainer.has(containerId)) throw new IpamError(`container ${containerId} already has an address`);
    if (requested !== undefined) {
      if (requested < this.first || requested > this.last) throw new IpamError(`requested IP address ${formatIPv4(requested)} is not in the range ${formatIPv4(this.subnet)}/${this.prefixLen}`);
      if (requested === this.gateway) throw new IpamError(`requested IP address ${formatIPv4(requested)} is the gateway`);
      if (this.byIp.has(requested)) throw new IpamError(`requested IP address ${formatIPv4(requested)} is not available in range set ${formatIPv4(this.subnet)}/${this.prefixLen}`);
      return this.reserve(containerId, requested);
    }
    const count = this.last - this.first + 1;
    for (let i = 1; i <= count; i++) {
      const candidate = this.first + ((this.lastReserved - this.first + i) % count);
      if (candidate === this.gateway || this.byIp.has(candidate)) continue;
      return this.reserve(containerId, candidate >>> 0);
    }
    throw new IpamError(`no IP addresses available in range set: ${formatIPv4(this.first)}-${formatIPv4(this.last)}`);
  }

  private reserve(containerId: string, ip: number): number {
    this.byIp.set(ip, containerId);
    this.byContainer.set(containerId, ip);
    this.lastReserved = ip;
    return ip;
  }

  /** Gives the container's address back (CNI DEL); nothing to do when it has none, as host-local. */
  release(containerId: string): void {
    const ip = this.byContainer.get(containerId);
    if (ip === undefined) return;
    this.byContainer.delete(containerId);
    this.byIp.delete(ip);
  }

  get used(): number {
    return this.byIp.size;
  }
}
