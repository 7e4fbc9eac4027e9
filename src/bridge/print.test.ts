import { describe, expect, it } from 'vitest';
import { Network } from '../netns/network.js';
import type { NetNamespace } from '../netns/namespace.js';
import { parseMac } from '../packet/address.js';
import { PingProbe } from '../trace/harness.js';
import { parseIPv4 } from '../packet/address.js';
import { SEC } from '../sim/time.js';
import { addVxlan } from '../vxlan/vxlan.js';
import { addBridge } from './bridge.js';
import { bridgeFdbShow, bridgeLinkShow, brctlShow, brctlShowmacs } from './print.js';
import { addSelfEntry } from './self-entries.js';
import { newRoute, RTPROT_BOOT } from '../netns/route-table.js';

const mac = (s: string): number => parseMac(s)!;
const ip = (s: string): number => parseIPv4(s)!;

/**
 * The setup of the kernel experiment behind the expected outputs below (run in a fresh
 * `unshare --net` namespace on this machine):
 *   ip link add br0 address 02:00:00:00:00:aa type bridge
 *   ip link add brempty type bridge
 *   ip link add averyverylongbr type bridge
 *   ip link add v1 address 02:00:00:00:00:01 type veth peer name v1p address 02:00:00:00:00:02
 *   ip link add v2 address 02:00:00:00:00:03 type veth peer name v2p address 02:00:00:00:00:04
 *   ip link set v2 master br0
 *   ip link set v1 master br0
 *   ip link add dx address 02:00:00:00:00:05 type veth peer name dxp
 *   ip link set dx master averyverylongbr
 */
function threeBridges(): { ns: NetNamespace } {
  const net = new Network(1);
  const ns = net.addNamespace('k')!;
  const br0 = addBridge(ns, 'br0', mac('02:00:00:00:00:aa'));
  addBridge(ns, 'brempty');
  const long = addBridge(ns, 'averyverylongbr');
  const [v1] = ns.addVethPair('v1', 'v1p', ns, mac('02:00:00:00:00:01'), mac('02:00:00:00:00:02'));
  const [v2] = ns.addVethPair('v2', 'v2p', ns, mac('02:00:00:00:00:03'), mac('02:00:00:00:00:04'));
  br0.enslave(v2);
  br0.enslave(v1);
  const [dx] = ns.addVethPair('dx', 'dxp', ns, mac('02:00:00:00:00:05'));
  long.enslave(dx);
  return { ns };
}

describe('brctl show / showmacs (bridge-utils 1.7, bytes as recorded)', () => {
  it('lists bridges by name, ports sorted under the first, the bridge id zero until a port or an address', () => {
    const { ns } = threeBridges();
    expect(brctlShow(ns)).toEqual({
      stdout:
        'bridge name\tbridge id\t\tSTP enabled\tinterfaces\n' +
        'averyverylongbr\t\t8000.020000000005\tno\t\tdx\n' +
        'br0\t\t8000.0200000000aa\tno\t\tv1\n' +
        '\t\t\t\t\t\t\tv2\n' +
        'brempty\t\t8000.000000000000\tno\t\t\n',
      stderr: '',
      status: 0,
    });
  });

  it('prints nothing without bridges, and names what is not a bridge', () => {
    const net = new Network(1);
    const ns = net.addNamespace('k')!;
    ns.addVethPair('v1', 'v1p');
    expect(brctlShow(ns)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(brctlShow(ns, ['nosuch'])).toEqual({ stdout: '', stderr: 'bridge nosuch does not exist!\n', status: 1 });
    expect(brctlShow(ns, ['v1'])).toEqual({ stdout: '', stderr: 'device v1 is not a bridge!\n', status: 1 });
    expect(brctlShowmacs(ns, 'nosuch').stderr).toBe('read of forward table failed: No such device\n');
    expect(brctlShowmacs(ns, 'v1').stderr).toBe('read of forward table failed: Operation not supported\n');
  });

  it('lists the FDB by MAC with port numbers in enslaving order, local entries at 0.00', () => {
    const { ns } = threeBridges();
    expect(brctlShowmacs(ns, 'br0').stdout).toBe(
      'port no\tmac addr\t\tis local?\tageing timer\n' + '  2\t02:00:00:00:00:01\tyes\t\t   0.00\n' + '  1\t02:00:00:00:00:03\tyes\t\t   0.00\n',
    );
  });
});

describe('bridge fdb add/del and show (iproute2 6.1, as recorded)', () => {
  it('keeps user entries newest first per port, static and permanent, self entries on the device', () => {
    const { ns } = threeBridges();
    const br0 = ns.device('br0') as ReturnType<typeof addBridge>;
    const v1 = br0.portOf(ns.device('v1')!)!;
    const v2 = br0.portOf(ns.device('v2')!)!;
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:10'), v1, 'static', false, 'add')).toBeNull();
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:11'), v1, 'permanent', false, 'add')).toBeNull();
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:12'), v1, 'dynamic', false, 'add')).toBe('RTNETLINK answers: Operation not permitted');
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:13'), v1, 'permanent', false, 'add')).toBeNull();
    expect(addSelfEntry(ns.device('v1')!, mac('02:00:00:00:00:14'))).toBeNull();
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:15'), null, 'permanent', false, 'add')).toBeNull();
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:16'), null, 'permanent', false, 'add')).toBeNull();
    expect(bridgeFdbShow(ns, { br: br0 })).toBe(
      [
        '33:33:00:00:00:01 dev br0 self permanent',
        '02:00:00:00:00:16 dev br0 master br0 permanent',
        '02:00:00:00:00:15 dev br0 master br0 permanent',
        '02:00:00:00:00:aa dev br0 master br0 permanent',
        '02:00:00:00:00:13 dev v1 master br0 permanent',
        '02:00:00:00:00:11 dev v1 master br0 permanent',
        '02:00:00:00:00:10 dev v1 master br0 static',
        '02:00:00:00:00:01 dev v1 master br0 permanent',
        '02:00:00:00:00:14 dev v1 self permanent',
        '33:33:00:00:00:01 dev v1 self permanent',
        '02:00:00:00:00:03 dev v2 master br0 permanent',
        '33:33:00:00:00:01 dev v2 self permanent',
        '',
      ].join('\n'),
    );
    expect(brctlShowmacs(ns, 'br0').stdout).toBe(
      'port no\tmac addr\t\tis local?\tageing timer\n' +
        '  2\t02:00:00:00:00:01\tyes\t\t   0.00\n' +
        '  1\t02:00:00:00:00:03\tyes\t\t   0.00\n' +
        '  2\t02:00:00:00:00:10\tno\t\t   0.00\n' +
        '  2\t02:00:00:00:00:11\tyes\t\t   0.00\n' +
        '  2\t02:00:00:00:00:13\tyes\t\t   0.00\n',
    );
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:10'), v1, 'static', false, 'add')).toBe('RTNETLINK answers: File exists');
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:10'), v2, 'static', false, 'replace')).toBeNull();
    expect(br0.fdb.userDelete(mac('02:00:00:00:00:12'), v1)).toBe('RTNETLINK answers: No such file or directory');
    expect(br0.fdb.userDelete(mac('02:00:00:00:00:01'), v1)).toBeNull();
    expect(bridgeFdbShow(ns, { br: br0 })).toBe(
      [
        '33:33:00:00:00:01 dev br0 self permanent',
        '02:00:00:00:00:16 dev br0 master br0 permanent',
        '02:00:00:00:00:15 dev br0 master br0 permanent',
        '02:00:00:00:00:aa dev br0 master br0 permanent',
        '02:00:00:00:00:13 dev v1 master br0 permanent',
        '02:00:00:00:00:11 dev v1 master br0 permanent',
        '02:00:00:00:00:14 dev v1 self permanent',
        '33:33:00:00:00:01 dev v1 self permanent',
        '02:00:00:00:00:10 dev v2 master br0 static',
        '02:00:00:00:00:03 dev v2 master br0 permanent',
        '33:33:00:00:00:01 dev v2 self permanent',
        '',
      ].join('\n'),
    );
  });

  it('refuses what the kernel refuses', () => {
    const { ns } = threeBridges();
    const br0 = ns.device('br0') as ReturnType<typeof addBridge>;
    const v1 = br0.portOf(ns.device('v1')!)!;
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:20'), null, 'static', false, 'add')).toBe('RTNETLINK answers: Invalid argument');
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:22'), v1, 'permanent', true, 'add')).toBe('RTNETLINK answers: Invalid argument');
    expect(br0.fdb.userAdd(0, v1, 'static', false, 'add')).toBe('RTNETLINK answers: Invalid argument');
    expect(br0.fdb.userAdd(mac('01:00:00:00:00:25'), v1, 'static', false, 'add')).toBeNull();
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:26'), v1, 'static', false, 'add')).toBeNull();
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:26'), v1, 'static', false, 'append')).toBeNull();
    expect(br0.fdb.userAdd(mac('02:00:00:00:00:26'), v1, 'permanent', false, 'replace')).toBeNull();
    expect(bridgeFdbShow(ns, { dev: ns.device('v1')! })).toBe(
      [
        '02:00:00:00:00:26 master br0 permanent',
        '01:00:00:00:00:25 master br0 static',
        '02:00:00:00:00:01 master br0 permanent',
        '33:33:00:00:00:01 self permanent',
        '',
      ].join('\n'),
    );
  });

  it('prints a sticky entry as `sticky master BR static`', () => {
    const { ns } = threeBridges();
    const br0 = ns.device('br0') as ReturnType<typeof addBridge>;
    br0.fdb.userAdd(mac('02:00:00:00:21:02'), br0.portOf(ns.device('v1')!)!, 'static', true, 'add');
    expect(bridgeFdbShow(ns, { br: br0 }).split('\n')).toContain('02:00:00:00:21:02 dev v1 sticky master br0 static');
  });
});

describe('self entries (the devices\' multicast lists, as this kernel fills them)', () => {
  it('has the IPv6 all-nodes group at creation, IPv4 all-hosts when up, the solicited-node group with carrier', () => {
    const net = new Network(1);
    const ns = net.addNamespace('k')!;
    const [v1, v1p] = ns.addVethPair('v1', 'v1p', ns, mac('02:00:00:00:00:01'), mac('02:00:00:00:00:02'));
    expect(bridgeFdbShow(ns, { dev: v1 })).toBe('33:33:00:00:00:01 self permanent\n');
    ns.setUp(v1);
    expect(bridgeFdbShow(ns, { dev: v1 })).toBe('33:33:00:00:00:01 self permanent\n01:00:5e:00:00:01 self permanent\n');
    ns.setUp(v1p);
    expect(bridgeFdbShow(ns, { dev: v1 })).toBe('33:33:00:00:00:01 self permanent\n01:00:5e:00:00:01 self permanent\n');
  });

  it('gives an up bridge the snoopers groups and no link-local group (IPv6 off, as in the kernel harness)', () => {
    const net = new Network(1);
    const ns = net.addNamespace('k')!;
    const br = addBridge(ns, 'br0');
    ns.setUp(br);
    const [v] = ns.addVethPair('v', 'vp', ns, mac('02:00:00:00:00:09'));
    br.enslave(v);
    expect(bridgeFdbShow(ns, { dev: br })).toBe(
      [
        '33:33:00:00:00:01 self permanent',
        '01:00:5e:00:00:6a self permanent',
        '33:33:00:00:00:6a self permanent',
        '01:00:5e:00:00:01 self permanent',
        '',
      ].join('\n'),
    );
  });

  it('lists a VXLAN device by its own FDB, without self entries', () => {
    const net = new Network(1);
    const ns = net.addNamespace('k')!;
    const vx = addVxlan(ns, 'vx', { vni: 1 });
    ns.setUp(vx);
    vx.fdbUpdate(mac('02:00:00:00:02:02'), ip('192.168.50.6'), 'append');
    expect(bridgeFdbShow(ns)).toBe('02:00:00:00:02:02 dev vx dst 192.168.50.6 self permanent\n');
  });
});

describe('bridge link', () => {
  it('prints each port with its state, priority and cost; a veth names its peer\'s index as this namespace resolves it', () => {
    const { ns } = threeBridges();
    expect(bridgeLinkShow(ns)).toBe(
      '6: v1@v1p: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 master br0 state disabled priority 32 cost 2 \n' +
        '8: v2@v2p: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 master br0 state disabled priority 32 cost 2 \n' +
        '10: dx@dxp: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 master averyverylongbr state disabled priority 32 cost 2 \n',
    );
    const br0 = ns.device('br0')!;
    ns.setUp(br0);
    ns.setUp(ns.device('v1')!);
    expect(bridgeLinkShow(ns, ns.device('v1')!)).toBe('6: v1@v1p: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 master br0 state disabled priority 32 cost 2 \n');
    ns.setUp(ns.device('v1p')!);
    expect(bridgeLinkShow(ns, ns.device('v1')!)).toBe('6: v1@v1p: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state forwarding priority 32 cost 2 \n');
  });

  it('prints a VXLAN port with cost 100 (no link speed)', () => {
    const net = new Network(1);
    const ns = net.addNamespace('k')!;
    const br0 = addBridge(ns, 'br0');
    ns.addVethPair('v1', 'v1p');
    const vx = addVxlan(ns, 'vx', { vni: 5, dstPort: 4789 });
    br0.enslave(vx);
    ns.setUp(br0);
    ns.setUp(vx);
    expect(bridgeLinkShow(ns)).toBe(`${vx.ifindex}: vx: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state forwarding priority 32 cost 100 \n`);
  });
});

describe('a node after bridge-pods.sh (outputs recorded on the kernel)', () => {
  function pods(): { net: Network; n1: NetNamespace } {
    const net = new Network(3);
    const n1 = net.addNamespace('n1')!;
    const br = addBridge(n1, 'cni0', mac('02:00:00:00:01:01'));
    n1.addAddress(br, ip('10.244.1.1'), 24);
    n1.setUp(br);
    for (const i of [1, 2]) {
      const pod = net.addNamespace(`p${i}`)!;
      const [host, eth0] = n1.addVethPair(`veth${i}`, 'eth0', pod, mac(`02:00:00:00:11:0${i}`), mac(`02:00:00:00:21:0${i}`));
      br.enslave(host);
      n1.setUp(host);
      pod.addAddress(eth0, ip(`10.244.1.${i + 1}`), 24);
      pod.setUp(eth0);
      pod.fib.main.add(newRoute({ dst: 0, prefixLen: 0, gateway: ip('10.244.1.1'), oif: eth0.ifindex, protocol: RTPROT_BOOT }));
    }
    const p1 = net.namespaces.get('p1')!;
    for (const [dst, id] of [['10.244.1.3', 1], ['10.244.1.3', 2], ['10.244.1.1', 3]] as const) {
      new PingProbe(() => {}, id).start(p1, ip('10.244.1.2'), ip(dst));
      net.scheduler.runUntilQuiet(30 * SEC);
    }
    return { net, n1 };
  }

  it('bridge fdb show br cni0', () => {
    const { n1 } = pods();
    expect(bridgeFdbShow(n1, { br: n1.device('cni0') as ReturnType<typeof addBridge> })).toBe(
      [
        '33:33:00:00:00:01 dev cni0 self permanent',
        '01:00:5e:00:00:6a dev cni0 self permanent',
        '33:33:00:00:00:6a dev cni0 self permanent',
        '01:00:5e:00:00:01 dev cni0 self permanent',
        '02:00:00:00:01:01 dev cni0 master cni0 permanent',
        '02:00:00:00:21:01 dev veth1 master cni0 ',
        '02:00:00:00:11:01 dev veth1 master cni0 permanent',
        '33:33:00:00:00:01 dev veth1 self permanent',
        '01:00:5e:00:00:01 dev veth1 self permanent',
        '02:00:00:00:21:02 dev veth2 master cni0 ',
        '02:00:00:00:11:02 dev veth2 master cni0 permanent',
        '33:33:00:00:00:01 dev veth2 self permanent',
        '01:00:5e:00:00:01 dev veth2 self permanent',
        '',
      ].join('\n'),
    );
  });

  it('brctl show, brctl showmacs (timers: seconds since each MAC was last seen, on the virtual clock) and bridge link', () => {
    const { n1 } = pods();
    expect(brctlShow(n1).stdout).toBe('bridge name\tbridge id\t\tSTP enabled\tinterfaces\ncni0\t\t8000.020000000101\tno\t\tveth1\n\t\t\t\t\t\t\tveth2\n');
    const macs = brctlShowmacs(n1, 'cni0').stdout;
    // The kernel printed `  1\t02:00:00:00:21:01\tno\t\t   1.03`: the same columns, its timer from real time.
    expect(macs.replace(/ +\d+\.\d\d\n/g, ' T\n')).toBe(
      'port no\tmac addr\t\tis local?\tageing timer\n' +
        '  1\t02:00:00:00:11:01\tyes\t\t T\n' +
        '  2\t02:00:00:00:11:02\tyes\t\t T\n' +
        '  1\t02:00:00:00:21:01\tno\t\t T\n' +
        '  2\t02:00:00:00:21:02\tno\t\t T\n',
    );
    expect(macs).toMatch(/\n {2}1\t02:00:00:00:11:01\tyes\t\t {3}0\.00\n/);
    expect(bridgeLinkShow(n1)).toBe(
      '3: veth1@cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master cni0 state forwarding priority 32 cost 2 \n' +
        '4: veth2@cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master cni0 state forwarding priority 32 cost 2 \n',
    );
  });
});
