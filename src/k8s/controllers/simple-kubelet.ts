import { formatIPv4, parseIPv4 } from '../../packet/address.js';
import type { ApiStore } from '../api/store.js';
import type { Pod } from '../api/types.js';
import { POD_IP_ANNOTATION } from '../api/types.js';
import { parseCidrStrict } from './allocators.js';
import { markPodRunning } from './pods.js';

/**
 * A kubelet without a data plane, for runs that only need the control plane (kubectl listings,
 * tests): every pod bound to a node that exists is started at once — its IP is the one
 * dpsim.io/pod-ip asks for, else the lowest free address from .2 of the node's podCIDR, as
 * host-local hands them out — and marked Running and Ready; its IP is freed when it is removed.
 * The cluster's real kubelet (CNI, network namespaces) replaces it.
 */
export class SimpleKubelet {
  private readonly used = new Map<string, Set<number>>(); // node → addresses in use

  constructor(private readonly store: ApiStore) {
    store.watch('Pod', (ev) => {
      const pod = ev.object;
      if (ev.type === 'DELETED') {
        const ip = pod.status?.podIP;
        if (ip !== undefined && pod.spec.nodeName && !pod.spec.hostNetwork) this.used.get(pod.spec.nodeName)?.delete(parseIPv4(ip)!);
        return;
      }
      if (pod.spec.nodeName && !pod.status?.podIP && pod.metadata.deletionTimestamp === undefined) this.start(pod);
    });
  }

  private start(pod: Pod): void {
    const node = this.store.get('Node', undefined, pod.spec.nodeName!);
    if (node === undefined || node.spec?.podCIDR === undefined) return;
    const hostIP = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    let ip: string;
    if (pod.spec.hostNetwork) {
      if (hostIP === undefined) return;
      ip = hostIP;
    } else {
      let used = this.used.get(node.metadata.name);
      if (used === undefined) this.used.set(node.metadata.name, (used = new Set()));
      const asked = pod.metadata.annotations?.[POD_IP_ANNOTATION];
      if (asked !== undefined) {
        const a = parseIPv4(asked)!;
        if (used.has(a)) throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name}: requested IP ${asked} is already in use on node ${node.metadata.name}`);
        used.add(a);
        ip = asked;
      } else {
        const c = parseCidrStrict(node.spec.podCIDR, `node ${node.metadata.name} podCIDR`);
        const size = 2 ** (32 - c.prefixLen);
        let found = -1;
        for (let off = 2; off < size - 1; off++) {
          if (!used.has((c.network + off) >>> 0)) {
            found = (c.network + off) >>> 0;
            break;
          }
        }
        if (found < 0) throw new Error(`node ${node.metadata.name}: no free pod address in ${node.spec.podCIDR}`);
        used.add(found);
        ip = formatIPv4(found);
      }
    }
    markPodRunning(this.store, pod.metadata.namespace!, pod.metadata.name, { podIP: ip, ...(hostIP !== undefined ? { hostIP } : {}) });
  }
}
