/**
 * Upstream's TestOverallIPTablesRules services and endpoints (pkg/proxy/iptables/proxier_test.go,
 * kubernetes/kubernetes master of the v1.31/v1.32 cycle) as dpsim objects, and NewFakeProxier's settings.
 */

import { defaultProxyConfig } from '../config.js';
import type { ProxySnapshot } from '../service-ports.js';
import { makeService, makeSlice, tcpPort } from '../testing.js';
import { sortIPTablesRules } from './sort-rules.js';

/** NewFakeProxier's settings: node test-node (192.168.0.2), pod CIDR 10.0.0.0/8, localhost NodePorts and nfacct on. */
export function fakeProxyConfig() {
  return defaultProxyConfig({ nodeName: 'test-node', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8' });
}

/** The generated text as the fake proxier would write it (mark "0x4000"), sorted as upstream's tests sort it. */
export function asUpstreamTest(text: string): string {
  return sortIPTablesRules(text.replaceAll('0x00004000', '0x4000'));
}

export const OVERALL_SNAPSHOT: ProxySnapshot = {
  services: [
    makeService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] }),
    makeService(
      'ns2',
      'svc2',
      {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        clusterIP: '172.30.0.42',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
        externalIPs: ['192.168.99.22'],
        healthCheckNodePort: 30000,
      },
      { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
    ),
    makeService('ns3', 'svc3', { type: 'NodePort', clusterIP: '172.30.0.43', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3003 }] }),
    makeService('ns4', 'svc4', {
      type: 'NodePort',
      clusterIP: '172.30.0.44',
      externalIPs: ['192.168.99.33'],
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }],
    }),
    makeService(
      'ns5',
      'svc5',
      {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Cluster',
        clusterIP: '172.30.0.45',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3002 }],
        healthCheckNodePort: 30000,
        loadBalancerSourceRanges: [' 203.0.113.0/25'],
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      },
      { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } },
    ),
    makeService('ns6', 'svc6', { type: 'ClusterIP', clusterIP: '172.30.0.46', ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }] }),
  ],
  endpointSlices: [
    makeSlice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], [tcpPort('p80', 80)]),
    makeSlice('ns2', 'svc2', 1, [{ addresses: ['10.180.0.2'] }], [tcpPort('p80', 80)]),
    makeSlice('ns3', 'svc3', 1, [{ addresses: ['10.180.0.3'] }], [tcpPort('p80', 80)]),
    makeSlice('ns4', 'svc4', 1, [{ addresses: ['10.180.0.4'] }, { addresses: ['10.180.0.5'], nodeName: 'test-node' }], [tcpPort('p80', 80)]),
    makeSlice('ns5', 'svc5', 1, [{ addresses: ['10.180.0.3'] }], [tcpPort('p80', 80)]),
  ],
};

