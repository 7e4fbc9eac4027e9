/** The benchmark's cluster: syntheticCluster's Services × endpoints, the endpoints spread over `nodes` nodes. */

import { syntheticCluster } from '../k8s/proxy/synthetic.js';
import type { ProxySnapshot } from '../k8s/proxy/service-ports.js';

/** N ClusterIP Services (172.16.0.0/12) × E endpoints (10.1.0.0 on), endpoint j on node-(j mod nodes). */
export function benchCluster(services: number, endpoints: number, nodes: number): ProxySnapshot {
  if (!Number.isInteger(services) || services < 1) throw new RangeError(`services must be a positive integer, not ${services}`);
  if (!Number.isInteger(endpoints) || endpoints < 1) throw new RangeError(`endpoints must be a positive integer, not ${endpoints}`);
  if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError(`nodes must be a positive integer, not ${nodes}`);
  if (services * endpoints > 0xf00000) throw new RangeError(`${services} × ${endpoints} endpoints do not fit the pod range 10.1.0.0–10.249.255.255`);
  const s = syntheticCluster(services, endpoints);
  return {
    services: s.services,
    endpointSlices: s.endpointSlices.map((slice) => ({ ...slice, endpoints: slice.endpoints.map((e, j) => ({ ...e, nodeName: `node-${j % nodes}` })) })),
  };
}
