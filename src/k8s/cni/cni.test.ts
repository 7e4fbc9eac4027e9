import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HostLocalIpam, IpamError } from './host-local.js';
import { cniAdd, cniDel, type BridgeNetConf } from './bridge-plugin.js';
import { Network } from '../../netns/network.js';
import { addBridge, bridgePortOf } from '../../bridge/bridge.js';
import { formatRoutes } from '../../netns/route-format.js';
import { parseIPv4 } from '../../packet/address.js';

const ip = (s: string): number => parseIPv4(s)!;

describe('host-local IPAM', () => {
  it('hands out .2, .3 … (the gateway .1 is never given) and goes round after the last reserved', () => {
    const ipam = new HostLocalIpam(ip('10.244.1.0'), 24, ip('10.244.1.1'));
    expect(ipam.allocate('a')).toBe(ip('10.244.1.2'));
    expect(ipam.allocate('b')).toBe(ip('10.244.1.3'));
    ipam.release('a');
    // round robin: the next search starts after the last reserved (.3), not at the freed .2
    expect(ipam.allocate('c')).toBe(ip('10.244.1.4'));
  });

  it('honours a requested address (CNI_ARGS IP=) and refuses a taken or foreign one', () => {
    const ipam = new HostLocalIpam(ip('10.244.1.0'), 24, ip('10.244.1.1'));
    expect(ipam.allocate('a', ip('10.244.1.23'))).toBe(ip('10.244.1.23'));
    expect(() => ipam.allocate('b', ip('10.244.1.23'))).toThrow(/not available/);
    expect(() => ipam.allocate('b', ip('10.244.2.5'))).toThrow(IpamError);
    expect(() => ipam.allocate('b', ip('10.244.1.1'))).toThrow(/gateway/);
    expect(ipam.allocate('b')).toBe(ip('10.244.1.24'));
  });

  it('never gives one address twice, never the gateway, network or broadcast, and runs out exactly when full', () => {
    fc.assert(
      fc.property(fc.integer({ min: 26, max: 30 }), fc.array(fc.boolean(), { maxLength: 80 }), (len, ops) => {
        const ipam = new HostLocalIpam(ip('10.1.0.0'), len, ip('10.1.0.1'));
        const capacity = 2 ** (32 - len) - 3;
        const held: string[] = [];
        const addrs = new Map<string, number>();
        let n = 0;
        for (const add of ops) {
          if (add || held.length === 0) {
            const id = `c${n++}`;
            if (held.length === capacity) {
              expect(() => ipam.allocate(id)).toThrow(/no IP addresses available/);
              continue;
            }
            const a = ipam.allocate(id);
            expect([...addrs.values()]).not.toContain(a);
            expect([ip('10.1.0.0'), ip('10.1.0.1'), ip('10.1.0.0') + 2 ** (32 - len) - 1]).not.toContain(a);
            addrs.set(id, a);
            held.push(id);
          } else {
            const id = held.shift()!;
            ipam.release(id);
            addrs.delete(id);
          }
          expect(ipam.used).toBe(held.length);
        }
      }),
    );
  });
});

describe('bridge plugin', () => {
  it('ADD wires a pod as flannel\'s bridge config says; DEL removes the veth and frees the address', () => {
    const net = new Network(1);
    const node = net.addNamespace('node')!;
    const pod = net.addNamespace('pod')!;
    const br = addBridge(node, 'cni0');
    node.addAddress(br, ip('10.244.3.1'), 24);
    node.setUp(br);
    const conf: BridgeNetConf = {
      bridge: br,
      ipam: new HostLocalIpam(ip('10.244.3.0'), 24, ip('10.244.3.1')),
      mtu: 8950,
      hairpinMode: true,
      isDefaultGateway: true,
      routes: [{ dst: ip('10.244.0.0'), prefixLen: 16 }],
    };
    const att = cniAdd(node, pod, conf, 'c1', ip('10.244.3.29'));
    expect(att.host.name).toMatch(/^veth[0-9a-f]{8}$/);
    expect(att.eth0.name).toBe('eth0');
    expect(att.eth0.mtu).toBe(8950);
    expect(att.host.mtu).toBe(8950);
    expect(bridgePortOf(att.host)!.hairpin).toBe(true);
    expect(br.mtu).toBe(8950);
    // the pod's routes as the talk's `ip route` in the orders container shows them
    expect(formatRoutes(pod.fib.main.routes(), (i) => pod.deviceByIndex(i)?.name ?? '?', {})).toBe(
      'default via 10.244.3.1 dev eth0 \n10.244.0.0/16 via 10.244.3.1 dev eth0 \n10.244.3.0/24 dev eth0 proto kernel scope link src 10.244.3.29 \n',
    );
    cniDel(node, conf, att);
    expect(node.device(att.host.name)).toBeUndefined();
    expect(pod.device('eth0')).toBeUndefined();
    expect(conf.ipam.used).toBe(0);
  });
});
