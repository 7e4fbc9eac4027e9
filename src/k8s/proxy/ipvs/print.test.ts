/** `dpsim kube-proxy --mode ipvs`'s text: restore input in apply order, and what a loaded node shows. */

import { describe, expect, it } from 'vitest';
import { defaultProxyConfig } from '../config.js';
import { OVERALL_SNAPSHOT } from '../iptables/fixtures.js';
import { ipvsFirstSyncOutput } from './print.js';

const cfg = defaultProxyConfig({ nodeName: 'test-node', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8' });

describe('ipvsFirstSyncOutput', () => {
  it('restore: ipset commands, then ipvsadm-restore input, then iptables-restore text', () => {
    const t = ipvsFirstSyncOutput(cfg, OVERALL_SNAPSHOT, 'restore');
    const a = t.indexOf('# ipset restore\ncreate KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536\n');
    const b = t.indexOf('# ipvsadm-restore\n-A -t 1.2.3.4:80 -s rr\n-a -t 1.2.3.4:80 -r 10.180.0.2:80 -m -w 1\n');
    const c = t.indexOf('# iptables-restore --noflush\n*nat\n:KUBE-SERVICES - [0:0]\n');
    expect(a).toBe(0);
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    expect(t).toContain('add KUBE-NODE-PORT-LOCAL-TCP 3001\n');
    expect(t).toContain('-A -t 5.6.7.8:80 -s rr -p 10800\n');
    expect(t).toContain('-A KUBE-IPVS-OUT-FILTER -s 5.6.7.8 -m ipvs --vaddr 5.6.7.8 --vproto tcp --vport 80 -j DROP\n');
  });

  it('save: ipset save, ipvsadm-save -n and iptables-save of a node that loaded it', () => {
    const t = ipvsFirstSyncOutput(cfg, OVERALL_SNAPSHOT, 'save');
    expect(t).toMatch(/^# ipset save\ncreate KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x[0-9a-f]{8}\n/);
    expect(t).toContain('# ipvsadm-save -n\n-A -t 1.2.3.4:80 -s rr\n');
    expect(t).toContain('# iptables-save\n');
    expect(t).toContain('-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER\n-A INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL\n');
    expect(t).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n');
  });
});
