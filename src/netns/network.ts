import type { Packet } from '../packet/packet.js';
import { Scheduler } from '../sim/scheduler.js';
import { Random } from '../sim/random.js';
import type { Tracer } from '../sim/trace.js';
import type { Direction, NetDevice } from './device.js';
import { NetNamespace } from './namespace.js';

/** Something that sees every frame crossing every device (tcpdump -i any in every namespace, or a pcap writer). */
export interface FrameTap {
  frame(dev: NetDevice, dir: Direction, p: Packet): void;
}

/**
 * The simulated machine: its named network namespaces, one event loop and virtual clock,
 * one seeded random generator, and the optional observers (frame tap, tracer).
 */
export class Network {
  readonly scheduler = new Scheduler<Packet>();
  readonly random: Random;
  readonly namespaces = new Map<string, NetNamespace>();
  /** Sees every frame on every device when set; null costs one check per device crossing. */
  tap: FrameTap | null = null;
  /** Records why things happened when set. */
  tracer: Tracer | null = null;

  /**
   * The namespace a script starts in (the kernel harness's fresh `unshare --net` namespace).
   * It has no name in `ip netns list`; captures call it "root".
   */
  readonly root: NetNamespace;

  constructor(seed = 1) {
    this.random = new Random(seed);
    this.root = new NetNamespace(this, 'root');
  }

  get now(): number {
    return this.scheduler.now;
  }

  /** Creates a namespace (`ip netns add`); null when the name is taken. */
  addNamespace(name: string): NetNamespace | null {
    if (this.namespaces.has(name)) return null;
    const ns = new NetNamespace(this, name);
    this.namespaces.set(name, ns);
    return ns;
  }

  /** A random unicast, locally administered MAC (eth_random_addr). */
  randomMac(): number {
    const hi = (this.random.u32() & 0xfeff) | 0x0200;
    return hi * 0x1_0000_0000 + this.random.u32();
  }
}
