/**
 * Later syncs: a removed endpoint's real server goes at once when it carries no connections;
 * a terminating one that still has connections is quiesced (weight 0) and removed by the
 * graceful-termination retry once its connections have expired; services that disappear are
 * deleted with their kube-ipvs0 address and ipset entries.
 */

import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../packet/address.js';
import { IPPROTO_TCP } from '../../../packet/packet.js';
import { ipvsOf } from '../../../ipvs/ipvs.js';
import { ipsetOf } from '../../../ipset/ipset.js';
import { runProbe } from '../../../trace/probe.js';
import { SEC } from '../../../sim/time.js';
import { TcpEcho } from '../../../trace/harness.js';
import type { Endpoint } from '../../api/types.js';
import { defaultProxyConfig } from '../config.js';
import type { ProxySnapshot } from '../service-ports.js';
import { makeService, makeSlice, tcpPort } from '../testing.js';
import { buildTopology } from '../iptables/flow-harness.js';
import { IpvsBackend } from './backend.js';
import { IpvsProxier } from './proxier.js';

const KEY = { proto: IPPROTO_TCP, addr: parseIPv4('10.20.30.41')!, port: 80, fwmark: 0 };
const svc = makeService('ns1', 'svc1', { clusterIP: '10.20.30.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] });

function setup(): { backend: IpvsBackend; snap: { current: ProxySnapshot }; sync: () => void; dests: () => string[] } {
  const net = buildTopology(['192.168.0.100'], ['10.180.0.1', '10.180.0.2']);
  net.namespaces.get('pods')!.tcp.listen(0, 80, new TcpEcho(() => {}, net.scheduler));
  const ns = net.namespaces.get('node')!;
  const snap = { current: slices([{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.0.2'] }]) };
  const backend = new IpvsBackend(ns, new IpvsProxier(defaultProxyConfig({ nodeName: 'test-node', nodeIPs: ['192.168.0.2'] })), () => snap.current);
  const sync = (): void => {
    expect(backend.sync(true).commit()).toBe(true);
  };
  const dests = (): string[] => (ipvsOf(ns).service(KEY)?.dests ?? []).map((d) => `${d.addr >>> 24}.${(d.addr >>> 16) & 255}.${(d.addr >>> 8) & 255}.${d.addr & 255}:${d.port} w${d.weight}`).sort();
  sync();
  return { backend, snap, sync, dests };
}

function slices(endpoints: Endpoint[]): ProxySnapshot {
  return { services: [svc], endpointSlices: [makeSlice('ns1', 'svc1', 1, endpoints, [tcpPort('p80', 80)])] };
}

describe('IPVS backend: partial syncs', () => {
  it('a removed endpoint without connections loses its real server at once', () => {
    const t = setup();
    expect(t.dests()).toEqual(['10.180.0.1:80 w1', '10.180.0.2:80 w1']);
    t.snap.current = slices([{ addresses: ['10.180.0.1'] }]);
    t.sync();
    expect(t.dests()).toEqual(['10.180.0.1:80 w1']);
    expect(t.backend.graceful.list()).toEqual([]);
  });

  it('a terminating endpoint with a connection is set to weight 0, then removed when its connections expire', () => {
    const t = setup();
    const net = t.backend.ns.net;
    // Two connections: rr puts one on each server.
    for (const sport of [41001, 41002]) {
      runProbe(net, { ns: net.namespaces.get('client')!, proto: 'tcp', src: parseIPv4('192.168.0.100')!, sport, dst: KEY.addr, dport: 80 }, { explain: false, pcap: false });
    }
    t.snap.current = slices([{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.0.2'], conditions: { ready: false, serving: true, terminating: true } }]);
    t.sync();
    expect(t.dests()).toEqual(['10.180.0.1:80 w1', '10.180.0.2:80 w0']);
    expect(t.backend.graceful.list().map((i) => i.id)).toEqual(['10.20.30.41:80/TCP/10.180.0.2:80']);
    // Another sync leaves it alone while it waits.
    t.sync();
    expect(t.dests()).toEqual(['10.180.0.1:80 w1', '10.180.0.2:80 w0']);
    // The connection ends (TIME_WAIT, 2 min in IPVS); the minute retry then deletes the server.
    net.scheduler.runUntil(net.now + 200 * SEC);
    expect(t.dests()).toEqual(['10.180.0.1:80 w1']);
    expect(t.backend.graceful.list()).toEqual([]);
  });

  it('an endpoint that comes back while quiesced is re-added with weight 1', () => {
    const t = setup();
    const net = t.backend.ns.net;
    for (const sport of [41003, 41004]) runProbe(net, { ns: net.namespaces.get('client')!, proto: 'tcp', src: parseIPv4('192.168.0.100')!, sport, dst: KEY.addr, dport: 80 }, { explain: false, pcap: false });
    t.snap.current = slices([{ addresses: ['10.180.0.1'] }]);
    t.sync();
    expect(t.dests()).toEqual(['10.180.0.1:80 w1', '10.180.0.2:80 w0']);
    t.snap.current = slices([{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.0.2'] }]);
    t.sync();
    expect(t.dests()).toEqual(['10.180.0.1:80 w1', '10.180.0.2:80 w1']);
    expect(t.backend.graceful.list()).toEqual([]);
  });

  it('a deleted service loses its virtual server, its kube-ipvs0 address and its ipset entries', () => {
    const t = setup();
    const ns = t.backend.ns;
    t.snap.current = { services: [], endpointSlices: [] };
    t.sync();
    expect(ipvsOf(ns).services()).toEqual([]);
    expect(ns.device('kube-ipvs0')!.addrs).toEqual([]);
    expect(ipsetOf(ns).get('KUBE-CLUSTER-IP').count(0)).toBe(0);
    expect(ns.device('kube-ipvs0')!.adminUp).toBe(false);
  });

  it('a sync is priced from the operations it issues: the first one (every set and address created) costs more than an idle one', () => {
    const t = setup();
    const idle = t.backend.sync(true).kernelNs;
    const net = buildTopology([], []);
    const fresh = new IpvsBackend(net.namespaces.get('node')!, new IpvsProxier(defaultProxyConfig({ nodeName: 'n', nodeIPs: ['192.168.0.2'] })), () => t.snap.current);
    const first = fresh.sync(true).kernelNs;
    expect(first).toBeGreaterThan(idle);
    // 17 `ipset create -exist` + 17 `ipset list` + 11 `iptables -N` + 9 `iptables -C` at least.
    expect(idle).toBeGreaterThan(34 * 4_000_000 + 20 * 2_900_000);
  });
});
