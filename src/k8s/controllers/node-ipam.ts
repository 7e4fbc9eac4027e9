import { formatIPv4, parseCidr, prefixMask } from '../../packet/address.js';
import { objectError } from '../api/manifest.js';
import type { ApiStore } from '../api/store.js';
import { parseCidrStrict } from './allocators.js';

/**
 * Node IPAM (kube-controller-manager's range allocator with --allocate-node-cidrs): each node
 * gets spec.podCIDR, the next free /nodeCIDRMaskSize of the cluster CIDR in the order nodes are
 * created (so node N of a fresh cluster owns 10.244.N.0/24). A node that comes with a podCIDR
 * keeps it, and it is marked used; one outside the cluster CIDR or already taken is an error.
 */
export class NodeIpam {
  readonly network: number;
  readonly prefixLen: number;
  private readonly count: number;
  private readonly used = new Map<number, string>(); // subnet index → node

  constructor(readonly clusterCIDR: string, readonly maskSize: number) {
    const c = parseCidrStrict(clusterCIDR, 'cluster CIDR');
    this.network = c.network;
    this.prefixLen = c.prefixLen;
    if (!(Number.isInteger(maskSize) && maskSize >= c.prefixLen && maskSize <= 30)) {
      throw new Error(`node CIDR mask size ${maskSize} must be between the cluster CIDR's ${c.prefixLen} and 30`);
    }
    this.count = 2 ** (maskSize - c.prefixLen);
  }

  /** Registers the allocation as an admission step on Node create, and the release on Node delete. */
  register(store: ApiStore): void {
    store.admit('Node', (node, old, input) => {
      const name = node.metadata.name;
      const pinned = node.spec?.podCIDR ?? node.spec?.podCIDRs?.[0];
      if (old !== null) {
        const prev = old.spec?.podCIDR;
        if (prev !== undefined && pinned !== undefined && pinned !== prev) {
          throw objectError(input, 'spec.podCIDR', `Forbidden: node updates may not change podCIDR except from "" to valid`);
        }
        if (prev !== undefined) {
          node.spec = { ...node.spec, podCIDR: prev, podCIDRs: [prev] };
          return;
        }
      }
      let cidr: string;
      try {
        cidr = pinned !== undefined ? this.occupy(name, pinned) : this.allocate(name);
      } catch (e) {
        throw objectError(input, 'spec.podCIDR', (e as Error).message);
      }
      node.spec = { ...node.spec, podCIDR: cidr, podCIDRs: [cidr] };
    });
    store.watch('Node', (ev) => {
      if (ev.type === 'DELETED' && ev.object.spec?.podCIDR !== undefined) this.release(ev.object.spec.podCIDR);
    });
  }

  /** Takes the next free subnet for `node`. */
  allocate(node: string): string {
    for (let i = 0; i < this.count; i++) {
      if (!this.used.has(i)) {
        this.used.set(i, node);
        return this.format(i);
      }
    }
    throw new Error(`failed to allocate a pod CIDR for node ${node}: the cluster CIDR ${this.clusterCIDR} is full`);
  }

  /** Marks a pinned podCIDR as used by `node`. */
  occupy(node: string, cidr: string): string {
    const c = parseCidr(cidr);
    if (c === null) throw new Error(`Invalid value: ${JSON.stringify(cidr)}: must be a valid CIDR`);
    const net = (c.addr & prefixMask(c.prefixLen)) >>> 0;
    const inside = c.prefixLen === this.maskSize && ((net & prefixMask(this.prefixLen)) >>> 0) === this.network;
    if (!inside) {
      throw new Error(`Invalid value: ${JSON.stringify(cidr)}: must be a /${this.maskSize} inside the cluster CIDR ${this.clusterCIDR}`);
    }
    const i = (net - this.network) / 2 ** (32 - this.maskSize);
    const holder = this.used.get(i);
    if (holder !== undefined && holder !== node) throw new Error(`Invalid value: ${JSON.stringify(cidr)}: already allocated to node ${holder}`);
    this.used.set(i, node);
    return this.format(i);
  }

  /** Frees a subnet. */
  release(cidr: string): void {
    const c = parseCidr(cidr);
    if (c === null) return;
    const i = (((c.addr & prefixMask(c.prefixLen)) >>> 0) - this.network) / 2 ** (32 - this.maskSize);
    this.used.delete(i);
  }

  private format(i: number): string {
    return `${formatIPv4((this.network + i * 2 ** (32 - this.maskSize)) >>> 0)}/${this.maskSize}`;
  }
}
