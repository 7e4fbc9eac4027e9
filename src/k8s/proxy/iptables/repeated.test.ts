/**
 * Upstream's TestSyncProxyRulesRepeated (pkg/proxy/iptables/proxier_test.go, a v1.27/v1.28-era
 * copy: no nfacct counters yet), translated: a sequence of syncs, each loaded into a dpsim
 * node through iptables-restore --noflush, whose restore texts must equal upstream's expected
 * dumps (compared as assertIPTablesRulesEqual does) — partial syncs rewrite only the changed
 * services' chains, deleted chains are flushed and deleted, and a partial restore that the
 * kernel refuses (a dangling jump) is followed by a full resync that succeeds.
 */

import { describe, expect, it } from 'vitest';
import { Network } from '../../../netns/network.js';
import type { EndpointSlice, Service } from '../../api/types.js';
import { defaultProxyConfig } from '../config.js';
import { makeService, makeSlice, tcpPort } from '../testing.js';
import { applyRestore, chainExists, ensureJumps, RestoreError, tableChains } from './apply.js';
import { asUpstreamTest } from './fixtures.js';
import { runCommand } from './flow-harness.js';
import { IptablesProxier } from './proxier.js';

const FILTER = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
`;
const FILTER_TAIL = `-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`;
const NAT_HEAD = `*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
`;
const NODEPORTS_JUMP = `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
`;
const MASQ = `-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
`;
const SVC1 = `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O\n`;
const SVC2 = `-A KUBE-SERVICES -m comment --comment "ns2/svc2:p8080 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 8080 -j KUBE-SVC-2VJB64SDSIJUP5T6\n`;
const SVC3 = `-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK\n`;
const SVC4 = `-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK\n`;

const svc = (ns: string, name: string, ip: string, port: string, num: number): Service =>
  makeService(ns, name, { type: 'ClusterIP', clusterIP: ip, ports: [{ name: port, port: num, protocol: 'TCP' }] });
const slice = (ns: string, name: string, addrs: string[], port: string, num: number): EndpointSlice =>
  makeSlice(ns, name, 1, addrs.map((a) => ({ addresses: [a] })), [tcpPort(port, num)]);

describe('TestSyncProxyRulesRepeated (upstream fixture)', () => {
  it('partial syncs, deletions and the recovery from a refused partial restore', () => {
    const ns = new Network(1).root;
    const p = new IptablesProxier(defaultProxyConfig({ nodeName: 'test-node', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', nfacct: false }));
    const services = new Map<string, Service>();
    const slices = new Map<string, EndpointSlice>();
    const step = (expected: string, expectLoad = true) => {
      const r = p.sync({ services: [...services.values()], endpointSlices: [...slices.values()] }, { existingNatChains: tableChains(ns, 'nat') });
      expect(asUpstreamTest(r.text)).toBe(expected);
      try {
        if (r.jumps.length > 0) ensureJumps(ns, r.jumps);
        applyRestore(ns, r.text);
        expect(expectLoad).toBe(true);
      } catch (e) {
        if (!(e instanceof RestoreError)) throw e;
        expect(expectLoad).toBe(false);
        p.syncFailed();
      }
      return r;
    };

    services.set('svc1', svc('ns1', 'svc1', '172.30.0.41', 'p80', 80));
    services.set('svc2', svc('ns2', 'svc2', '172.30.0.42', 'p8080', 8080));
    slices.set('svc1', slice('ns1', 'svc1', ['10.0.1.1'], 'p80', 80));
    slices.set('svc2', slice('ns2', 'svc2', ['10.0.2.1'], 'p8080', 8080));
    step(
      FILTER +
        FILTER_TAIL +
        NAT_HEAD +
        `:KUBE-SEP-SNQ3ZNILQDEJNDQO - [0:0]
:KUBE-SEP-UHEGFW77JX3KXTOV - [0:0]
:KUBE-SVC-2VJB64SDSIJUP5T6 - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
` +
        SVC1 +
        SVC2 +
        NODEPORTS_JUMP +
        MASQ +
        `-A KUBE-SEP-SNQ3ZNILQDEJNDQO -m comment --comment ns1/svc1:p80 -s 10.0.1.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SNQ3ZNILQDEJNDQO -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.1.1:80
-A KUBE-SEP-UHEGFW77JX3KXTOV -m comment --comment ns2/svc2:p8080 -s 10.0.2.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-UHEGFW77JX3KXTOV -m comment --comment ns2/svc2:p8080 -m tcp -p tcp -j DNAT --to-destination 10.0.2.1:8080
-A KUBE-SVC-2VJB64SDSIJUP5T6 -m comment --comment "ns2/svc2:p8080 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 8080 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-2VJB64SDSIJUP5T6 -m comment --comment "ns2/svc2:p8080 -> 10.0.2.1:8080" -j KUBE-SEP-UHEGFW77JX3KXTOV
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.0.1.1:80" -j KUBE-SEP-SNQ3ZNILQDEJNDQO
COMMIT
`,
    );

    // Add a new service and its endpoints: only its chains are written.
    services.set('svc3', svc('ns3', 'svc3', '172.30.0.43', 'p80', 80));
    slices.set('svc3', slice('ns3', 'svc3', ['10.0.3.1'], 'p80', 80));
    step(
      FILTER +
        FILTER_TAIL +
        NAT_HEAD +
        `:KUBE-SEP-BSWRHOQ77KEXZLNL - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
` +
        SVC1 +
        SVC2 +
        SVC3 +
        NODEPORTS_JUMP +
        MASQ +
        `-A KUBE-SEP-BSWRHOQ77KEXZLNL -m comment --comment ns3/svc3:p80 -s 10.0.3.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-BSWRHOQ77KEXZLNL -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.3.1:80
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.1:80" -j KUBE-SEP-BSWRHOQ77KEXZLNL
COMMIT
`,
    );

    // Delete a service: its chains are flushed and deleted, nothing else is written.
    services.delete('svc2');
    step(
      FILTER +
        FILTER_TAIL +
        NAT_HEAD +
        `:KUBE-SEP-UHEGFW77JX3KXTOV - [0:0]
:KUBE-SVC-2VJB64SDSIJUP5T6 - [0:0]
` +
        SVC1 +
        SVC3 +
        NODEPORTS_JUMP +
        MASQ +
        `-X KUBE-SEP-UHEGFW77JX3KXTOV
-X KUBE-SVC-2VJB64SDSIJUP5T6
COMMIT
`,
    );

    // Add a service without endpoints: only a REJECT rule.
    services.set('svc4', svc('ns4', 'svc4', '172.30.0.44', 'p80', 80));
    step(
      FILTER +
        `-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j REJECT\n` +
        FILTER_TAIL +
        NAT_HEAD +
        SVC1 +
        SVC3 +
        NODEPORTS_JUMP +
        MASQ +
        'COMMIT\n',
    );

    // Its endpoints arrive.
    slices.set('svc4', slice('ns4', 'svc4', ['10.0.4.1'], 'p80', 80));
    step(
      FILTER +
        FILTER_TAIL +
        NAT_HEAD +
        `:KUBE-SEP-AYCN5HPXMIRJNJXU - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
` +
        SVC1 +
        SVC3 +
        SVC4 +
        NODEPORTS_JUMP +
        MASQ +
        `-A KUBE-SEP-AYCN5HPXMIRJNJXU -m comment --comment ns4/svc4:p80 -s 10.0.4.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-AYCN5HPXMIRJNJXU -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.4.1:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.0.4.1:80" -j KUBE-SEP-AYCN5HPXMIRJNJXU
COMMIT
`,
    );

    // Change an endpoint of svc3: its SVC chain and the new SEP are written, the old SEP deleted.
    slices.set('svc3', slice('ns3', 'svc3', ['10.0.3.2'], 'p80', 80));
    const SVC3_SEPS = `-A KUBE-SEP-DKCFIS26GWF2WLWC -m comment --comment ns3/svc3:p80 -s 10.0.3.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-DKCFIS26GWF2WLWC -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.3.2:80
`;
    step(
      FILTER +
        FILTER_TAIL +
        NAT_HEAD +
        `:KUBE-SEP-BSWRHOQ77KEXZLNL - [0:0]
:KUBE-SEP-DKCFIS26GWF2WLWC - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
` +
        SVC1 +
        SVC3 +
        SVC4 +
        NODEPORTS_JUMP +
        MASQ +
        SVC3_SEPS +
        `-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.2:80" -j KUBE-SEP-DKCFIS26GWF2WLWC
-X KUBE-SEP-BSWRHOQ77KEXZLNL
COMMIT
`,
    );

    // Add an endpoint to svc3.
    slices.set('svc3', slice('ns3', 'svc3', ['10.0.3.2', '10.0.3.3'], 'p80', 80));
    const SVC3_TWO = `-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.2:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-DKCFIS26GWF2WLWC
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.3:80" -j KUBE-SEP-JVVZVJ7BSEPPRNBS
`;
    const SEP_JVVZ = `-A KUBE-SEP-JVVZVJ7BSEPPRNBS -m comment --comment ns3/svc3:p80 -s 10.0.3.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-JVVZVJ7BSEPPRNBS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.3.3:80
`;
    step(
      FILTER +
        FILTER_TAIL +
        NAT_HEAD +
        `:KUBE-SEP-DKCFIS26GWF2WLWC - [0:0]
:KUBE-SEP-JVVZVJ7BSEPPRNBS - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
` +
        SVC1 +
        SVC3 +
        SVC4 +
        NODEPORTS_JUMP +
        MASQ +
        SVC3_SEPS +
        SEP_JVVZ +
        SVC3_TWO +
        'COMMIT\n',
    );

    // A sync with no changes rewrites no service chain.
    step(FILTER + FILTER_TAIL + NAT_HEAD + SVC1 + SVC3 + SVC4 + NODEPORTS_JUMP + MASQ + 'COMMIT\n');

    // A rule from svc3's chain to svc4's endpoint, then delete svc4: the partial restore
    // would leave a dangling jump, so the kernel refuses it; the next sync is full.
    runCommand(ns.net, ns, 'iptables -t nat -A KUBE-SVC-X27LE4BHSL4DOUIK -j KUBE-SEP-AYCN5HPXMIRJNJXU');
    services.delete('svc4');
    slices.delete('svc4');
    const failed = step(
      FILTER +
        FILTER_TAIL +
        NAT_HEAD +
        `:KUBE-SEP-AYCN5HPXMIRJNJXU - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
` +
        SVC1 +
        SVC3 +
        NODEPORTS_JUMP +
        MASQ +
        `-X KUBE-SEP-AYCN5HPXMIRJNJXU
-X KUBE-SVC-4SW47YFZTEDKD3PK
COMMIT
`,
      false,
    );
    expect(failed.full).toBe(false);
    expect(chainExists(ns, 'nat', 'KUBE-SEP-AYCN5HPXMIRJNJXU')).toBe(true);

    const retry = step(
      FILTER +
        FILTER_TAIL +
        NAT_HEAD +
        `:KUBE-SEP-AYCN5HPXMIRJNJXU - [0:0]
:KUBE-SEP-DKCFIS26GWF2WLWC - [0:0]
:KUBE-SEP-JVVZVJ7BSEPPRNBS - [0:0]
:KUBE-SEP-SNQ3ZNILQDEJNDQO - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
` +
        SVC1 +
        SVC3 +
        NODEPORTS_JUMP +
        MASQ +
        SVC3_SEPS +
        SEP_JVVZ +
        `-A KUBE-SEP-SNQ3ZNILQDEJNDQO -m comment --comment ns1/svc1:p80 -s 10.0.1.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SNQ3ZNILQDEJNDQO -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.1.1:80
` +
        SVC3_TWO +
        `-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.0.1.1:80" -j KUBE-SEP-SNQ3ZNILQDEJNDQO
-X KUBE-SEP-AYCN5HPXMIRJNJXU
-X KUBE-SVC-4SW47YFZTEDKD3PK
COMMIT
`,
    );
    expect(retry.full).toBe(true);
    expect(chainExists(ns, 'nat', 'KUBE-SEP-AYCN5HPXMIRJNJXU')).toBe(false);
  });
});
