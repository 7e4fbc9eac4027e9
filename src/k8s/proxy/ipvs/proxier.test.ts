/**
 * Upstream's IPVS proxier fixtures (pkg/proxy/ipvs/proxier_test.go, the version that goes with
 * proxier.go at kubernetes/kubernetes 121460defea7874f50c64bb8de51018a86c6eef3): the same
 * services and endpoint slices, and the virtual servers, real servers, ipset entries and
 * iptables rules the tests expect. NewFakeProxier: node "test-node", no local-traffic
 * detector, scheduler rr, node IPs on eth0 as each test gives them.
 */

import { describe, expect, it } from 'vitest';
import { defaultProxyConfig } from '../config.js';
import type { ProxySnapshot } from '../service-ports.js';
import { makeService, makeSlice, tcpPort } from '../testing.js';
import { IP_VS_SVC_F_PERSISTENT } from '../../../ipvs/service.js';
import { FLAG_SOURCE_HASH, IpvsProxier, type IpvsProxyConfig, type IpvsSyncResult } from './proxier.js';

function fakeConfig(over: Partial<IpvsProxyConfig> = {}): IpvsProxyConfig {
  return { ...defaultProxyConfig({ nodeName: 'test-node', nodeIPs: over.nodeIPs ?? ['100.101.102.103'], ...over }), scheduler: over.scheduler };
}

function run(snapshot: ProxySnapshot, over: Partial<IpvsProxyConfig> = {}): IpvsSyncResult {
  return new IpvsProxier(fakeConfig(over)).sync(snapshot);
}

/** Virtual servers as upstream's FakeIPVS holds them: key → real servers "ip:port". */
function ipvsState(r: IpvsSyncResult): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const vs of r.services) out[vs.key] = vs.dests.map((d) => d.text);
  return out;
}

function entries(r: IpvsSyncResult, set: string): readonly string[] {
  return r.sets.get(set)!;
}

const NP_SVC = makeService('ns1', 'svc1', { type: 'NodePort', clusterIP: '10.20.30.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }] });
const EP1 = makeSlice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], [tcpPort('p80', 80)]);

describe('TestNodePortIPv4', () => {
  it('1 service with node port, has 2 endpoints (the IPv6 one is left to the IPv6 proxier)', () => {
    const v6 = { ...makeSlice('ns1', 'svc1', 2, [{ addresses: ['1002:ab8::2:10'] }], [tcpPort('p80', 80)]), addressType: 'IPv6' as const };
    const r = run({ services: [NP_SVC], endpointSlices: [EP1, v6] });
    expect(ipvsState(r)).toEqual({ '10.20.30.41:80/TCP': ['10.180.0.1:80'], '100.101.102.103:3001/TCP': ['10.180.0.1:80'] });
    expect(r.services.every((s) => s.scheduler === 'rr' && s.flags === 0)).toBe(true);
  });

  it('1 UDP service with node port, has endpoints', () => {
    const svc = makeService('ns1', 'svc1', { type: 'NodePort', clusterIP: '10.20.30.41', ports: [{ name: 'p80', port: 80, protocol: 'UDP', nodePort: 3001 }] });
    const eps = makeSlice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], [{ name: 'p80', port: 80, protocol: 'UDP' }]);
    const r = run({ services: [svc], endpointSlices: [eps] }, { nodePortAddresses: ['0.0.0.0/0'] });
    expect(ipvsState(r)).toEqual({ '10.20.30.41:80/UDP': ['10.180.0.1:80'], '100.101.102.103:3001/UDP': ['10.180.0.1:80'] });
    expect(entries(r, 'KUBE-NODE-PORT-UDP')).toEqual(['3001']);
    const nat = r.iptablesText.split('\n');
    expect(nat).toContain('-A KUBE-NODE-PORT -p udp -m comment --comment "Kubernetes nodeport UDP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-UDP dst -j KUBE-MARK-MASQ');
    expect(nat).toContain('-A KUBE-NODE-PORT -m comment --comment "Kubernetes health check node port" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT');
    // KUBE-SERVICES: RETURN for 127.0.0.0/8, KUBE-MARK-MASQ for KUBE-CLUSTER-IP, KUBE-NODE-PORT, ACCEPT for KUBE-CLUSTER-IP.
    expect(nat.filter((l) => l.startsWith('-A KUBE-SERVICES '))).toEqual([
      '-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN',
      '-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ',
      '-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
      '-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
    ]);
  });

  it('service has node port but no endpoints', () => {
    const r = run({ services: [NP_SVC], endpointSlices: [] });
    expect(ipvsState(r)).toEqual({ '10.20.30.41:80/TCP': [], '100.101.102.103:3001/TCP': [] });
  });

  it('node port service with protocol sctp on a node with multiple nodeIPs', () => {
    const svc = makeService('ns1', 'svc1', { type: 'NodePort', clusterIP: '10.20.30.41', ports: [{ name: 'p80', port: 80, protocol: 'SCTP', nodePort: 3001 }] });
    const eps = makeSlice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], [{ name: 'p80', port: 80, protocol: 'SCTP' }]);
    const nodeIPs = ['100.101.102.103', '100.101.102.104', '100.101.102.105'];
    const r = run({ services: [svc], endpointSlices: [eps] }, { nodeIPs });
    expect(ipvsState(r)).toEqual({
      '10.20.30.41:80/SCTP': ['10.180.0.1:80'],
      '100.101.102.103:3001/SCTP': ['10.180.0.1:80'],
      '100.101.102.104:3001/SCTP': ['10.180.0.1:80'],
      '100.101.102.105:3001/SCTP': ['10.180.0.1:80'],
    });
    expect(entries(r, 'KUBE-NODE-PORT-SCTP-HASH')).toEqual(['100.101.102.103,sctp:3001', '100.101.102.104,sctp:3001', '100.101.102.105,sctp:3001']);
  });

  it('node port service with protocol sctp and externalTrafficPolicy local', () => {
    const svc = makeService('ns1', 'svc1', {
      type: 'NodePort',
      clusterIP: '10.20.30.41',
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'p80', port: 80, protocol: 'SCTP', nodePort: 3001 }],
    });
    const eps = makeSlice(
      'ns1',
      'svc1',
      1,
      [
        { addresses: ['10.180.0.1'], nodeName: 'test-node' },
        { addresses: ['10.180.1.1'], nodeName: 'other-node' },
      ],
      [{ name: 'p80', port: 80, protocol: 'SCTP' }],
    );
    const r = run({ services: [svc], endpointSlices: [eps] });
    expect(ipvsState(r)).toEqual({ '10.20.30.41:80/SCTP': ['10.180.0.1:80', '10.180.1.1:80'], '100.101.102.103:3001/SCTP': ['10.180.0.1:80'] });
    expect(entries(r, 'KUBE-NODE-PORT-SCTP-HASH')).toEqual(['100.101.102.103,sctp:3001']);
    expect(entries(r, 'KUBE-NODE-PORT-LOCAL-SCTP-HASH')).toEqual(['100.101.102.103,sctp:3001']);
    const nodePortRules = r.iptablesText.split('\n').filter((l) => l.startsWith('-A KUBE-NODE-PORT '));
    expect(nodePortRules.map((l) => / -j (\S+)$/.exec(l)![1])).toEqual(['RETURN', 'KUBE-MARK-MASQ', 'ACCEPT']);
  });
});

describe('TestClusterIP / TestClusterIPNoEndpoint', () => {
  it('two services, endpoints for both ports, every ClusterIP bound to kube-ipvs0', () => {
    const svcs = [
      makeService('ns1', 'svc1', { clusterIP: '10.20.30.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] }),
      makeService('ns2', 'svc2', { clusterIP: '1002:ab8::2:1', ports: [{ name: 'p8080', port: 8080, protocol: 'TCP' }] }),
    ];
    const r = run({ services: svcs, endpointSlices: [makeSlice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], [tcpPort('p80', 80)])] });
    expect(ipvsState(r)).toEqual({ '10.20.30.41:80/TCP': ['10.180.0.1:80'] });
    expect(r.skipped.some((s) => s.reason.includes('IPv6'))).toBe(true);
    expect(entries(r, 'KUBE-IPVS-IPS')).toEqual(['10.20.30.41']);
    expect(entries(r, 'KUBE-CLUSTER-IP')).toEqual(['10.20.30.41,tcp:80']);
  });

  it('no endpoints: the virtual server exists with no real servers', () => {
    const r = run({ services: [makeService('ns1', 'svc1', { clusterIP: '10.20.30.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] })], endpointSlices: [] });
    expect(ipvsState(r)).toEqual({ '10.20.30.41:80/TCP': [] });
  });
});

const EXT_SVC = makeService('ns1', 'svc1', {
  type: 'ClusterIP',
  clusterIP: '10.20.30.41',
  externalIPs: ['50.60.70.81', '2012::51', '127.0.0.1'],
  ports: [{ name: 'p80', port: 80, protocol: 'UDP' }],
});

describe('TestExternalIPs / TestExternalIPsNoEndpoint / TestOnlyLocalExternalIPs', () => {
  it('external IPs: a virtual server per IPv4 external IP, entries in KUBE-EXTERNAL-IP', () => {
    const eps = makeSlice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], [{ name: 'p80', port: 80, protocol: 'UDP' }]);
    const r = run({ services: [EXT_SVC], endpointSlices: [eps] });
    // 3 IPv4 services: the cluster IP and two external IPs (the IPv6 one belongs to the IPv6 proxier).
    expect(Object.keys(ipvsState(r)).sort()).toEqual(['10.20.30.41:80/UDP', '127.0.0.1:80/UDP', '50.60.70.81:80/UDP']);
    for (const d of Object.values(ipvsState(r))) expect(d).toEqual(['10.180.0.1:80']);
    expect(entries(r, 'KUBE-EXTERNAL-IP')).toEqual(['127.0.0.1,udp:80', '50.60.70.81,udp:80']);
  });

  it('external IPs without endpoints: virtual servers with no real servers', () => {
    const r = run({ services: [EXT_SVC], endpointSlices: [] });
    expect(Object.values(ipvsState(r))).toEqual([[], [], []]);
  });

  it('externalTrafficPolicy Local: only the local endpoint serves the external IP, entries in KUBE-EXTERNAL-IP-LOCAL', () => {
    const svc = makeService('ns1', 'svc1', {
      type: 'NodePort',
      clusterIP: '10.20.30.41',
      externalIPs: ['50.60.70.81'],
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    const eps = makeSlice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.2.1'], nodeName: 'test-node' }], [tcpPort('p80', 80)]);
    const r = run({ services: [svc], endpointSlices: [eps] });
    expect(ipvsState(r)['50.60.70.81:80/TCP']).toEqual(['10.180.2.1:80']);
    expect(ipvsState(r)['10.20.30.41:80/TCP']).toEqual(['10.180.0.1:80', '10.180.2.1:80']);
    expect(entries(r, 'KUBE-EXTERNAL-IP-LOCAL')).toEqual(['50.60.70.81,tcp:80']);
    expect(entries(r, 'KUBE-EXTERNAL-IP')).toEqual([]);
    expect(entries(r, 'KUBE-LOOP-BACK')).toEqual(['10.180.2.1,tcp:80,10.180.2.1']);
  });

  it('an external IP the node owns is not bound to kube-ipvs0', () => {
    const svc = makeService('ns1', 'svc1', { clusterIP: '10.20.30.41', externalIPs: ['100.101.102.103'], ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] });
    const r = run({ services: [svc], endpointSlices: [EP1] });
    expect(r.services.find((s) => s.kind === 'external')!.bind).toBe(false);
    expect(entries(r, 'KUBE-IPVS-IPS')).toEqual(['10.20.30.41']);
  });
});

const LB_SVC = (extra: Record<string, unknown> = {}) =>
  makeService(
    'ns1',
    'svc1',
    { type: 'LoadBalancer', clusterIP: '10.20.30.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }], ...extra },
    { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
  );

describe('TestLoadBalancer / TestLoadBalancerSourceRanges / TestOnlyLocalLoadBalancing', () => {
  it('load balancer: ClusterIP, ingress IP and NodePort virtual servers; KUBE-LOAD-BALANCER entry', () => {
    const r = run({ services: [LB_SVC()], endpointSlices: [EP1] });
    expect(ipvsState(r)).toEqual({ '10.20.30.41:80/TCP': ['10.180.0.1:80'], '1.2.3.4:80/TCP': ['10.180.0.1:80'], '100.101.102.103:3001/TCP': ['10.180.0.1:80'] });
    expect(entries(r, 'KUBE-LOAD-BALANCER')).toEqual(['1.2.3.4,tcp:80']);
    expect(r.iptablesText).toContain('-A KUBE-SERVICES -m set --match-set KUBE-LOAD-BALANCER dst,dst -j ACCEPT');
  });

  it('source ranges: KUBE-LOAD-BALANCER-FW and -SOURCE-CIDR entries, firewall rules, and the node blocked (its IP is outside)', () => {
    const r = run({ services: [LB_SVC({ loadBalancerSourceRanges: ['1.2.3.4/16'] })], endpointSlices: [EP1] });
    expect(entries(r, 'KUBE-LOAD-BALANCER-FW')).toEqual(['1.2.3.4,tcp:80']);
    expect(entries(r, 'KUBE-LOAD-BALANCER-SOURCE-CIDR')).toEqual(['1.2.3.4,tcp:80,1.2.0.0/16']);
    expect(entries(r, 'KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual([]);
    const filter = r.iptablesText.split('\n');
    expect(filter).toContain(
      '-A KUBE-PROXY-FIREWALL -m comment --comment "Kubernetes service load balancer ip + port for load balancer with sourceRange" -m set --match-set KUBE-LOAD-BALANCER-FW dst,dst -j KUBE-SOURCE-RANGES-FIREWALL',
    );
    expect(filter).toContain('-A KUBE-SOURCE-RANGES-FIREWALL -j DROP');
    expect(filter).toContain('-A KUBE-IPVS-OUT-FILTER -s 1.2.3.4 -m ipvs --vaddr 1.2.3.4 --vproto tcp --vport 80 -j DROP');
  });

  it('source ranges covering the node IP: a KUBE-LOAD-BALANCER-SOURCE-IP entry instead of the out filter', () => {
    const r = run({ services: [LB_SVC({ loadBalancerSourceRanges: ['100.101.0.0/16'] })], endpointSlices: [EP1] });
    expect(entries(r, 'KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual(['1.2.3.4,tcp:80,1.2.3.4']);
    expect(r.iptablesText).not.toContain('-m ipvs');
  });

  it('externalTrafficPolicy Local LB: KUBE-LOAD-BALANCER-LOCAL and KUBE-NODE-PORT-LOCAL-TCP, local endpoints only, health check port', () => {
    const eps = makeSlice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.2.1'], nodeName: 'test-node' }], [tcpPort('p80', 80)]);
    const r = run({ services: [LB_SVC({ externalTrafficPolicy: 'Local', healthCheckNodePort: 30000 })], endpointSlices: [eps] });
    expect(ipvsState(r)['1.2.3.4:80/TCP']).toEqual(['10.180.2.1:80']);
    expect(ipvsState(r)['100.101.102.103:3001/TCP']).toEqual(['10.180.2.1:80']);
    expect(entries(r, 'KUBE-LOAD-BALANCER-LOCAL')).toEqual(['1.2.3.4,tcp:80']);
    expect(entries(r, 'KUBE-NODE-PORT-LOCAL-TCP')).toEqual(['3001']);
    expect(entries(r, 'KUBE-HEALTH-CHECK-NODE-PORT')).toEqual(['30000']);
  });
});

describe('TestSessionAffinity and the scheduler flags', () => {
  it('ClientIP affinity: persistent virtual servers with the affinity timeout', () => {
    const svc = makeService('ns1', 'svc1', {
      type: 'NodePort',
      clusterIP: '10.20.30.41',
      externalIPs: ['50.60.70.81'],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
    });
    const r = run({ services: [svc], endpointSlices: [] });
    for (const vs of r.services) {
      expect(vs.flags).toBe(IP_VS_SVC_F_PERSISTENT);
      expect(vs.timeout).toBe(10800);
    }
  });

  it('mh scheduler sets the source-hash flag', () => {
    const r = run({ services: [NP_SVC], endpointSlices: [EP1] }, { scheduler: 'mh' });
    for (const vs of r.services) expect([vs.scheduler, vs.flags]).toEqual(['mh', FLAG_SOURCE_HASH]);
  });
});

describe('TestMasqueradeRule / local detector', () => {
  const snap = { services: [makeService('ns1', 'svc1', { clusterIP: '10.20.30.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] })], endpointSlices: [EP1] };
  it('masqueradeAll marks every packet to a cluster IP', () => {
    expect(run(snap, { masqueradeAll: true }).iptablesText).toContain('-m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ');
  });
  it('with a cluster CIDR only off-cluster sources are marked', () => {
    expect(run(snap, { clusterCIDR: '10.0.0.0/24' }).iptablesText).toContain('-m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.0.0.0/24 -j KUBE-MARK-MASQ');
  });
  it('the KUBE-POSTROUTING and KUBE-MARK-MASQ rules carry the mark of --masquerade-bit', () => {
    const t = run(snap, { masqueradeBit: 14 }).iptablesText;
    expect(t).toContain('-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN\n-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000\n');
    expect(t).toContain('-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000\n');
  });
});

describe('Test_EndpointSliceReadyAndTerminating / internal traffic policy', () => {
  const svc = (policy: 'Cluster' | 'Local') =>
    makeService('ns1', 'svc1', {
      type: 'NodePort',
      clusterIP: '172.20.1.1',
      externalTrafficPolicy: policy,
      ports: [{ name: '', port: 80, protocol: 'TCP', nodePort: 30080 }],
    });
  const eps = makeSlice(
    'ns1',
    'svc1',
    1,
    [
      { addresses: ['10.0.1.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'test-node' },
      { addresses: ['10.0.1.2'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'test-node' },
      { addresses: ['10.0.1.3'], conditions: { ready: false, serving: true, terminating: true }, nodeName: 'test-node' },
      { addresses: ['10.0.1.4'], conditions: { ready: false, serving: false, terminating: true }, nodeName: 'test-node' },
      { addresses: ['10.0.1.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'another-host' },
    ],
    [{ name: '', port: 80, protocol: 'TCP' }],
  );
  it('Cluster policy: ready endpoints only, terminating ones left out', () => {
    const r = run({ services: [svc('Cluster')], endpointSlices: [eps] });
    expect(ipvsState(r)['172.20.1.1:80/TCP']).toEqual(['10.0.1.1:80', '10.0.1.2:80', '10.0.1.5:80']);
  });
  it('Local policy: local ready endpoints for the node port', () => {
    const r = run({ services: [svc('Local')], endpointSlices: [eps] });
    expect(ipvsState(r)['100.101.102.103:30080/TCP']).toEqual(['10.0.1.1:80', '10.0.1.2:80']);
  });
  it('only serving-terminating endpoints left: they serve (fallback)', () => {
    const only = { ...eps, endpoints: eps.endpoints!.filter((e) => e.conditions?.ready === false) };
    const r = run({ services: [svc('Cluster')], endpointSlices: [only] });
    expect(ipvsState(r)['172.20.1.1:80/TCP']).toEqual(['10.0.1.3:80']);
  });
  it('internalTrafficPolicy Local with no local endpoints: the ClusterIP falls back to the cluster endpoints (upstream #97081)', () => {
    const s = makeService('ns1', 'svc1', { clusterIP: '172.20.1.1', internalTrafficPolicy: 'Local', ports: [{ name: '', port: 80, protocol: 'TCP' }] });
    const e = makeSlice('ns1', 'svc1', 1, [{ addresses: ['10.0.1.5'], nodeName: 'another-host' }], [{ name: '', port: 80, protocol: 'TCP' }]);
    const r = run({ services: [s], endpointSlices: [e] });
    // CategorizeEndpoints gives no cluster endpoints to an internal-Local service, so nothing to fall back to.
    expect(ipvsState(r)['172.20.1.1:80/TCP']).toEqual([]);
  });
});

describe('ipsets and chains', () => {
  it('every set is created with upstream type, and the KUBE-IPVS-FILTER rules end with REJECT of new connections to kube-ipvs0 addresses', () => {
    const r = run({ services: [NP_SVC], endpointSlices: [EP1] });
    expect([...r.sets.keys()]).toHaveLength(17);
    expect(r.iptablesText).toContain('-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT\nCOMMIT\n');
  });
  it('bad input names the object and field', () => {
    expect(() => run({ services: [makeService('ns1', 'bad', { clusterIP: '10.0.0.1', ports: [{ name: 'p', port: 70000, protocol: 'TCP' }] })], endpointSlices: [] })).toThrow(
      /Service ns1\/bad: spec.ports\[0\].port/,
    );
  });
});
