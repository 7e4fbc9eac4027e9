import type { Packet } from '../packet/packet.js';
import type { NetDevice } from './device.js';
import type { NetNamespace } from './namespace.js';

/** Netfilter hook numbers (enum nf_inet_hooks). */
export const NF_INET_PRE_ROUTING = 0;
export const NF_INET_LOCAL_IN = 1;
export const NF_INET_FORWARD = 2;
export const NF_INET_LOCAL_OUT = 3;
export const NF_INET_POST_ROUTING = 4;
export const NF_INET_NUMHOOKS = 5;

export const HOOK_NAMES = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

/** Verdicts a hook returns. */
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
/** The hook took the packet (queued or consumed it, e.g. REJECT sent its own reply). */
export const NF_STOLEN = 2;

/**
 * One function registered at a hook (struct nf_hook_ops): iptables tables, conntrack and
 * IPVS register here. It may rewrite the packet (NAT) and returns a verdict.
 */
export interface NetfilterHook {
  /** Lower runs first, as NF_IP_PRI_* orders them. */
  readonly priority: number;
  run(hook: number, p: Packet, ns: NetNamespace, inDev: NetDevice | null, outDev: NetDevice | null): number;
}

/** The hooks of one namespace: the stack calls `run` at each hook point and knows nothing of what is behind it. */
export class NetfilterHooks {
  private readonly chains: NetfilterHook[][] = [[], [], [], [], []];

  register(hook: number, fn: NetfilterHook): void {
    const chain = this.chains[hook]!;
    chain.push(fn);
    chain.sort((a, b) => a.priority - b.priority);
  }

  unregister(hook: number, fn: NetfilterHook): void {
    const chain = this.chains[hook]!;
    const i = chain.indexOf(fn);
    if (i >= 0) chain.splice(i, 1);
  }

  /** Runs every function at `hook` in priority order; the first verdict other than ACCEPT ends the walk. */
  run(hook: number, p: Packet, ns: NetNamespace, inDev: NetDevice | null, outDev: NetDevice | null): number {
    const chain = this.chains[hook]!;
    for (let i = 0; i < chain.length; i++) {
      const verdict = chain[i]!.run(hook, p, ns, inDev, outDev);
      if (verdict !== NF_ACCEPT) return verdict;
    }
    return NF_ACCEPT;
  }

  /** Whether anything is registered at `hook` (lets the stack skip the call entirely). */
  has(hook: number): boolean {
    return this.chains[hook]!.length > 0;
  }
}
