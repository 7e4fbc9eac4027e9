import { formatIPv4, parseCidr, parseIPv4, prefixMask } from '../../packet/address.js';
import type { Random } from '../../sim/random.js';
import { objectError } from '../api/manifest.js';
import type { ApiStore } from '../api/store.js';
import type { Service, ServicePort } from '../api/types.js';

/** A CIDR given as text, checked. */
export function parseCidrStrict(text: string, what: string): { network: number; prefixLen: number } {
  const c = parseCidr(text);
  if (c === null) throw new Error(`${what}: ${JSON.stringify(text)} is not an IPv4 CIDR`);
  return { network: (c.addr & prefixMask(c.prefixLen)) >>> 0, prefixLen: c.prefixLen };
}

/**
 * The ClusterIP allocator of the API server's service registry, over the service CIDR: a
 * requested address must be inside the range (not its network or broadcast address) and
 * free; otherwise one is drawn at random from the free addresses (a random start, then the
 * next free one), from the simulation's seeded generator.
 */
export class ClusterIPAllocator {
  readonly network: number;
  readonly prefixLen: number;
  private readonly size: number;
  private readonly used = new Map<number, string>(); // address → "ns/name"

  constructor(readonly cidr: string, private readonly random: Random) {
    const c = parseCidrStrict(cidr, 'service CIDR');
    this.network = c.network;
    this.prefixLen = c.prefixLen;
    this.size = 2 ** (32 - c.prefixLen);
    if (this.size < 4) throw new Error(`service CIDR ${cidr} is too small`);
  }

  /** Whether `addr` is an assignable address of the range. */
  contains(addr: number): boolean {
    const off = (addr - this.network) >>> 0;
    return off >= 1 && off <= this.size - 2;
  }

  /** Who holds an address, or undefined. */
  holder(addr: number): string | undefined {
    return this.used.get(addr);
  }

  /** Allocates `requested` (text) or a random free address for `owner`; throws a plain Error with the API server's detail. */
  allocate(owner: string, requested?: string): string {
    if (requested !== undefined) {
      const a = parseIPv4(requested);
      if (a === null) throw new Error(`failed to allocate IP ${requested}: not an IPv4 address`);
      if (!this.contains(a)) {
        throw new Error(`failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.cidr}`);
      }
      const h = this.used.get(a);
      if (h !== undefined && h !== owner) throw new Error(`failed to allocate IP ${requested}: provided IP is already allocated`);
      this.used.set(a, owner);
      return requested;
    }
    const free = this.size - 2 - this.used.size;
    if (free <= 0) throw new Error('failed to allocate a serviceIP: range is full');
    const start = this.random.int(1, this.size - 2);
    for (let k = 0; k < this.size - 2; k++) {
      const off = 1 + ((start - 1 + k) % (this.size - 2));
      const a = (this.network + off) >>> 0;
      if (!this.used.has(a)) {
        this.used.set(a, owner);
        return formatIPv4(a);
      }
    }
    throw new Error('failed to allocate a serviceIP: range is full');
  }

  /** Frees an address (text); no-op when it is not held. */
  release(ip: string): void {
    const a = parseIPv4(ip);
    if (a !== null) this.used.delete(a);
  }
}

/** The NodePort allocator: ports of a range (30000-32767 by default), requested or drawn at random. */
export class PortAllocator {
  private readonly used = new Map<number, string>();

  constructor(readonly first: number, readonly last: number, private readonly random: Random) {}

  /** Allocates `requested` or a random free port for `owner`; throws a plain Error with the API server's detail. */
  allocate(owner: string, requested?: number): number {
    if (requested !== undefined) {
      if (requested < this.first || requested > this.last) {
        throw new Error(`provided port is not in the valid range. The range of valid ports is ${this.first}-${this.last}`);
      }
      const h = this.used.get(requested);
      if (h !== undefined && h !== owner) throw new Error('provided port is already allocated');
      this.used.set(requested, owner);
      return requested;
    }
    const n = this.last - this.first + 1;
    if (this.used.size >= n) throw new Error('range is full');
    const start = this.random.int(0, n - 1);
    for (let k = 0; k < n; k++) {
      const p = this.first + ((start + k) % n);
      if (!this.used.has(p)) {
        this.used.set(p, owner);
        return p;
      }
    }
    throw new Error('range is full');
  }

  release(port: number): void {
    this.used.delete(port);
  }

  holder(port: number): string | undefined {
    return this.used.get(port);
  }
}

/**
 * Registers the service registry's allocation on a store: clusterIP (kept across updates,
 * immutable once set), nodePorts for NodePort/LoadBalancer ports (kept per port/protocol
 * across updates), healthCheckNodePort for LoadBalancer services with Local policy; frees
 * them when the service is deleted or stops needing them. Errors name the manifest line
 * when the service came from parseManifests.
 */
export function registerServiceAllocation(store: ApiStore, clusterIPs: ClusterIPAllocator, nodePorts: PortAllocator): void {
  store.admit('Service', (svc, old, input) => {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const spec = svc.spec;
    const type = spec.type ?? 'ClusterIP';
    // clusterIP
    if (type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    } else {
      const requested = spec.clusterIP ?? spec.clusterIPs?.[0];
      const previous = old?.spec.clusterIP;
      if (previous !== undefined && requested !== undefined && requested !== '' && requested !== previous) {
        throw objectError(input, 'spec.clusterIPs[0]', `Invalid value: ${JSON.stringify(requested)}: field is immutable`, 'spec.clusterIP');
      }
      let ip: string;
      if (previous !== undefined) ip = previous;
      else if (requested === 'None') ip = 'None';
      else {
        try {
          ip = clusterIPs.allocate(key, requested === '' ? undefined : requested);
        } catch (e) {
          throw objectError(input, 'spec.clusterIPs', `Invalid value: ${JSON.stringify([requested ?? ''])}: ${(e as Error).message}`, 'spec.clusterIP');
        }
      }
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
      spec.ipFamilies = ['IPv4'];
    }
    // nodePorts
    const wantNodePorts = type === 'NodePort' || type === 'LoadBalancer';
    const oldPorts = new Map<string, number>();
    for (const p of old?.spec.ports ?? []) if (p.nodePort !== undefined) oldPorts.set(portKey(p), p.nodePort);
    const kept = new Set<number>();
    (spec.ports ?? []).forEach((p, i) => {
      if (!wantNodePorts) {
        delete p.nodePort;
        return;
      }
      const requested = p.nodePort ?? oldPorts.get(portKey(p));
      try {
        p.nodePort = nodePorts.allocate(key, requested);
      } catch (e) {
        throw objectError(input, `spec.ports[${i}].nodePort`, `Invalid value: ${requested}: ${(e as Error).message}`);
      }
      kept.add(p.nodePort);
    });
    if (type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') {
      const requested = spec.healthCheckNodePort ?? old?.spec.healthCheckNodePort;
      try {
        spec.healthCheckNodePort = nodePorts.allocate(key, requested);
      } catch (e) {
        throw objectError(input, 'spec.healthCheckNodePort', `Invalid value: ${requested}: ${(e as Error).message}`);
      }
      kept.add(spec.healthCheckNodePort);
    } else {
      delete spec.healthCheckNodePort;
    }
    if (old !== null) {
      for (const p of oldPorts.values()) if (!kept.has(p)) nodePorts.release(p);
      if (old.spec.healthCheckNodePort !== undefined && !kept.has(old.spec.healthCheckNodePort)) nodePorts.release(old.spec.healthCheckNodePort);
    }
  });
  store.watch('Service', (ev) => {
    if (ev.type !== 'DELETED') return;
    releaseService(ev.object, clusterIPs, nodePorts);
  });
}

function releaseService(svc: Service, clusterIPs: ClusterIPAllocator, nodePorts: PortAllocator): void {
  if (svc.spec.clusterIP !== undefined && svc.spec.clusterIP !== 'None') clusterIPs.release(svc.spec.clusterIP);
  for (const p of svc.spec.ports ?? []) if (p.nodePort !== undefined) nodePorts.release(p.nodePort);
  if (svc.spec.healthCheckNodePort !== undefined) nodePorts.release(svc.spec.healthCheckNodePort);
}

function portKey(p: ServicePort): string {
  return `${p.port}/${p.protocol ?? 'TCP'}`;
}
