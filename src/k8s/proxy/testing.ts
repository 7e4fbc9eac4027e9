/** Builders for Service and EndpointSlice objects in proxy tests (upstream's makeTestService / makeTestEndpointSlice shapes). */

import type { Endpoint, EndpointPort, EndpointSlice, Service, ServiceSpec, ServiceStatus } from '../api/types.js';

/** A Service ns/name with `spec` (and `status`). */
export function makeService(ns: string, name: string, spec: ServiceSpec, status?: ServiceStatus): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec, ...(status !== undefined ? { status } : {}) };
}

/** EndpointSlice `${name}-${n}` of service ns/name. */
export function makeSlice(ns: string, name: string, n: number, endpoints: Endpoint[], ports: EndpointPort[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-${n}`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

/** One TCP port named `name`. */
export function tcpPort(name: string, port: number): EndpointPort {
  return { name, port, protocol: 'TCP' };
}
