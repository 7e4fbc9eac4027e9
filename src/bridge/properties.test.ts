import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Network } from '../netns/network.js';
import type { NetDevice, VethDevice } from '../netns/device.js';
import { MAC_BROADCAST, Packet } from '../packet/packet.js';
import { addBridge } from './bridge.js';

/** An EtherType no stack takes (IEEE local experimental): frames only the bridge acts on. */
const ETH_P_LOCAL_EXP = 0x88b5;
const portMac = (i: number): number => 0x0200_0000_aa00 + i;
const hostMac = (h: number): number => 0x0200_0000_bb00 + h;

/** A bridge with `n` ports; `outside[i]` is the far end of port i's veth, where test frames are sent from. */
function bridgeWithPorts(n: number, hairpin: readonly boolean[]) {
  const net = new Network(5);
  const ns = net.addNamespace('n')!;
  const out = net.addNamespace('o')!;
  const br = addBridge(ns, 'br0');
  ns.setUp(br);
  const hosts: VethDevice[] = [];
  const outside: VethDevice[] = [];
  for (let i = 0; i < n; i++) {
    const [h, o] = ns.addVethPair(`p${i}`, `e${i}`, out, portMac(i));
    br.enslave(h).hairpin = hairpin[i]!;
    ns.setUp(h);
    out.setUp(o);
    hosts.push(h);
    outside.push(o);
  }
  const sent: NetDevice[] = [];
  let upToBridge = 0;
  net.tap = {
    frame: (dev, dir) => {
      if (dir === 'out' && dev.ns === ns && dev !== br) sent.push(dev);
      if (dir === 'in' && dev === br) upToBridge++;
    },
  };
  const send = (port: number, src: number, dst: number): { ports: number[]; up: number } => {
    sent.length = 0;
    upToBridge = 0;
    const p = new Packet();
    p.ethType = ETH_P_LOCAL_EXP;
    p.ethSrc = src;
    p.ethDst = dst;
    outside[port]!.transmit(p);
    net.scheduler.drain();
    return { ports: sent.map((d) => hosts.indexOf(d as VethDevice)).sort((a, b) => a - b), up: upToBridge };
  };
  return { send };
}

const frameArb = (n: number) =>
  fc.record({
    port: fc.integer({ min: 0, max: n - 1 }),
    src: fc.integer({ min: 1, max: 6 }),
    // 0: broadcast, 7: a multicast group, 1..6: a host MAC (known once it has sent)
    dst: fc.integer({ min: 0, max: 7 }),
  });

describe('FDB forwarding properties', () => {
  it('never sends a frame out the port it came in on unless hairpin is on; floods reach every other port exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((n) =>
          fc.record({ n: fc.constant(n), hairpin: fc.array(fc.boolean(), { minLength: n, maxLength: n }), frames: fc.array(frameArb(n), { minLength: 1, maxLength: 25 }) }),
        ),
        ({ n, hairpin, frames }) => {
          const { send } = bridgeWithPorts(n, hairpin);
          const fdb = new Map<number, number>(); // host → port, the model
          for (const f of frames) {
            fdb.set(f.src, f.port); // learning comes before the forwarding decision
            const dst = f.dst === 0 ? MAC_BROADCAST : f.dst === 7 ? 0x0100_5e00_0042 : hostMac(f.dst);
            const { ports, up } = send(f.port, hostMac(f.src), dst);
            const known = f.dst >= 1 && f.dst <= 6 ? fdb.get(f.dst) : undefined;
            let expected: number[];
            if (known !== undefined) expected = known !== f.port || hairpin[f.port] ? [known] : [];
            else expected = [...Array(n).keys()].filter((i) => i !== f.port || hairpin[i]);
            expect(ports).toEqual(expected);
            if (!hairpin[f.port]) expect(ports).not.toContain(f.port);
            // Broadcast and multicast also go up to the bridge's own stack, once; unicast for others never does.
            expect(up).toBe(f.dst === 0 || f.dst === 7 ? 1 : 0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
