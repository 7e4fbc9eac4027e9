/** Kube-proxy-shaped synthetic clusters for benchmarks and the restore cost model: N ClusterIP services × E endpoints. */

import { formatIPv4 } from '../../packet/address.js';
import type { EndpointSlice, Service } from '../api/types.js';
import type { ProxySnapshot } from './service-ports.js';

/** `services` ClusterIP services (172.16.0.0/12 range) with `endpoints` pod endpoints each (10.0.0.0/8), one named TCP port. */
export function syntheticCluster(services: number, endpoints: number): ProxySnapshot {
  const svcs: Service[] = [];
  const slices: EndpointSlice[] = [];
  let pod = 0x0a010000; // 10.1.0.0
  for (let i = 0; i < services; i++) {
    const name = `svc-${i}`;
    svcs.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'bench' },
      spec: { clusterIP: formatIPv4((0xac100000 + i + 1) >>> 0), ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
    });
    const eps = [];
    for (let j = 0; j < endpoints; j++) eps.push({ addresses: [formatIPv4(pod++ >>> 0)], nodeName: `node-${j % 4}` });
    slices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-abcde`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: eps,
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
  }
  return { services: svcs, endpointSlices: slices };
}
