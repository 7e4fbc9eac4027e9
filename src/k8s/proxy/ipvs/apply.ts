/**
 * How the IPVS proxier's wishes reach a dpsim node, through the interfaces upstream uses:
 * netlink for kube-ipvs0, its addresses and IPVS (dpsim's ipvsOf(ns): what `ipvsadm`
 * drives), one `ipset` command per set operation (dpsim's IpsetTable: what the `ipset`
 * command drives), `iptables -N/-C/-I` for the chains and jumps and `iptables-restore
 * --noflush` for the rules. The order and the diffing follow syncProxyRules: ensure chains
 * and jumps, the dummy device, every set; per virtual server add or update it, bind its
 * address, add real servers and gracefully delete the gone ones; sync the sets' entries;
 * restore iptables; unbind superfluous addresses; delete virtual servers no longer wanted.
 *
 * Every step counts the operations it issued, so a dry run prices a sync before it runs
 * (cost.ts turns the counts into modelled kernel time).
 */

import type { NetNamespace } from '../../../netns/namespace.js';
import type { NetDevice } from '../../../netns/device.js';
import { formatIPv4 } from '../../../packet/address.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../../packet/packet.js';
import { ipvsOf, type Ipvs, type ServiceKey, type ServiceSpec } from '../../../ipvs/ipvs.js';
import { IPPROTO_SCTP, IP_VS_CONN_F_MASQ, type VirtualService } from '../../../ipvs/service.js';
import { ipsetOf, type IpsetTable } from '../../../ipset/ipset.js';
import { HashSet, AHASH_MAX_SIZE } from '../../../ipset/hash-set.js';
import { BitmapPortSet } from '../../../ipset/bitmap-port-set.js';
import { parseHashElem, parsePortElem } from '../../../ipset/parse.js';
import { noExt, type IpSet } from '../../../ipset/set.js';
import type { HashTypeName } from '../../../ipset/element.js';
import { IpsetError } from '../../../ipset/errors.js';
import { ipsetMatchBackend } from '../../../ipset/set-match.js';
import { registerIpsetLookup } from '../../../iptables/match-eval.js';
import { chainExists, ensureChain, ensureRulePrepend, applyRestore, RestoreError } from '../iptables/apply.js';
import { DUMMY_DEVICE, IPSETS, IPTABLES_CHAINS, type IpsetInfo } from './names.js';
import { ipvsSysctls, type IpvsProxyConfig, type IpvsSyncResult, type VirtualServerSpec } from './proxier.js';
import type { GracefulTermination } from './graceful.js';

/** The operations one sync issued (or would issue), by interface. */
export interface IpvsOpCounts {
  /** `ipset` command executions (create -exist, list, add, del). */
  ipsetExecs: number;
  /** `iptables` command executions (-N, -C, -I). */
  iptablesExecs: number;
  /** Netlink requests: IPVS get/add/edit/del, address list/add/del, link add. */
  netlink: number;
}

/** What applying one sync did. */
export interface IpvsApplyReport {
  readonly ops: IpvsOpCounts;
  /** Whether iptables-restore accepted the rules (upstream counts a failure and retries later). */
  readonly ok: boolean;
  /** Errors upstream would log (a refused IPVS or ipset call, the restore's message). */
  readonly errors: readonly string[];
}

// kube-proxy's rules use `-m set`: the iptables interpreter evaluates it against the namespace's sets.
registerIpsetLookup(ipsetMatchBackend);

const PROTO: Record<VirtualServerSpec['protocol'], number> = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP };

/** The IPVS key of a wanted virtual server. */
export function serviceKeyOf(vs: VirtualServerSpec): ServiceKey {
  return { proto: PROTO[vs.protocol], addr: vs.addr, port: vs.port, fwmark: 0 };
}

function serviceSpecOf(vs: VirtualServerSpec): ServiceSpec {
  return { ...serviceKeyOf(vs), sched: vs.scheduler, flags: vs.flags, timeout: vs.timeout, netmask: 0xffffffff };
}

/** upstream's VirtualServer.String() of a kernel service. */
export function kernelServiceKey(svc: VirtualService): string {
  const proto = svc.proto === IPPROTO_TCP ? 'TCP' : svc.proto === IPPROTO_UDP ? 'UDP' : 'SCTP';
  return `${formatIPv4(svc.addr)}:${svc.port}/${proto}`;
}

/**
 * NewProxier's one-time node setup: the sysctls it ensures (as `sysctl -w` would set them;
 * ip_forward also sets conf.default and every device's forwarding, as devinet does).
 */
export function initIpvsNode(ns: NetNamespace, cfg: IpvsProxyConfig): void {
  const ipvs = ipvsOf(ns);
  for (const [key, value] of ipvsSysctls(cfg)) {
    switch (key) {
      case 'net.ipv4.vs.conntrack': ipvs.sysctls.conntrack = value; break;
      case 'net.ipv4.vs.expire_nodest_conn': ipvs.sysctls.expire_nodest_conn = value; break;
      case 'net.ipv4.vs.expire_quiescent_template': ipvs.sysctls.expire_quiescent_template = value; break;
      case 'net.ipv4.ip_forward':
        ns.confAll.forwarding = value;
        ns.confDefault.forwarding = value;
        for (const d of ns.deviceList()) d.conf.forwarding = value;
        break;
      case 'net.ipv4.conf.all.arp_ignore': ns.confAll.arp_ignore = value; break;
      case 'net.ipv4.conf.all.arp_announce': ns.confAll.arp_announce = value; break;
      default: throw new Error(`kube-proxy sysctl ${key} is not wired into dpsim`);
    }
  }
}

/** The node's IPv4 addresses outside kube-ipvs0 and loopback (GetAllLocalAddressesExcept). */
export function nodeAddresses(ns: NetNamespace): string[] {
  const out: string[] = [];
  for (const d of ns.deviceList()) {
    if (d.name === DUMMY_DEVICE || d.kind === 'loopback') continue;
    for (const a of d.addrs) if (a.local >>> 24 !== 127 && !out.includes(formatIPv4(a.local))) out.push(formatIPv4(a.local));
  }
  return out;
}

/** Creates `info` in `table` as `ipset create … -exist` would. */
function createSet(ns: NetNamespace, table: IpsetTable, info: IpsetInfo): void {
  let set: IpSet;
  const ext = { timeout: null, counters: false, comment: false };
  if (info.type === 'bitmap:port') set = new BitmapPortSet(info.name, ext, 0, 65535);
  else set = new HashSet(info.name, info.type as HashTypeName, ext, { hashsize: 1024, maxelem: 65536, bucketsize: AHASH_MAX_SIZE, initval: ns.net.random.u32() });
  table.create(set, true);
}

function eachElem(set: IpSet, text: string, f: (e: import('../../../ipset/element.js').Elem) => void): void {
  const parsed = set instanceof HashSet ? parseHashElem(set.typeName, text) : parsePortElem(text);
  parsed.each((e) => {
    f(e);
    return true;
  });
}

/**
 * Applies `r` to `ns` (or, with `dryRun`, only counts what it would issue). `graceful` is the
 * proxier's GracefulTerminationManager; `initialSync` resets the weight of existing real
 * servers as upstream's first sync does.
 */
export function applyIpvsSync(ns: NetNamespace, r: IpvsSyncResult, graceful: GracefulTermination, opts: { dryRun?: boolean; initialSync?: boolean; flavour?: 'nft' | 'legacy' } = {}): IpvsApplyReport {
  const dry = opts.dryRun === true;
  const flavour = opts.flavour ?? 'nft';
  const ops: IpvsOpCounts = { ipsetExecs: 0, iptablesExecs: 0, netlink: 0 };
  const errors: string[] = [];
  const ipvs = ipvsOf(ns);
  const sets = ipsetOf(ns);

  // createAndLinkKubeChain: EnsureChain for every chain, EnsureRule(Prepend) for every jump.
  for (const c of IPTABLES_CHAINS) {
    ops.iptablesExecs++;
    if (!dry) ensureChain(ns, c.table, c.chain, flavour);
  }
  for (const j of r.jumps) {
    ops.iptablesExecs++; // iptables -C
    if (!dry) {
      ensureRulePrepend(ns, j.table, j.chain, j.args, flavour);
    } else if (!chainExists(ns, j.table, j.chain, flavour)) ops.iptablesExecs++;
  }

  // EnsureDummyDevice (created, never set up).
  ops.netlink++;
  let dummy: NetDevice | undefined = ns.device(DUMMY_DEVICE);
  if (dummy === undefined && !dry) dummy = ns.addDummy(DUMMY_DEVICE);

  // ensureIPSet for every set.
  for (const info of IPSETS) {
    ops.ipsetExecs++;
    if (!dry) {
      try {
        createSet(ns, sets, info);
      } catch (e) {
        if (!(e instanceof IpsetError)) throw e;
        errors.push(`ipset create ${info.name}: ${e.message}`);
        return { ops, ok: false, errors };
      }
    }
  }

  // GetLocalAddresses(kube-ipvs0).
  ops.netlink++;
  const alreadyBound = new Set<number>(dummy?.addrs.map((a) => a.local) ?? []);

  const active = new Set<string>();
  for (const vs of r.services) {
    const key = serviceKeyOf(vs);
    // syncService
    ops.netlink++;
    const applied = ipvs.service(key);
    if (applied === undefined || applied.scheduler.name !== vs.scheduler || applied.flags !== vs.flags || applied.timeout !== vs.timeout) {
      ops.netlink++;
      if (!dry) {
        try {
          if (applied === undefined) ipvs.addService(serviceSpecOf(vs));
          else ipvs.editService(serviceSpecOf(vs));
        } catch (e) {
          errors.push(`ipvs ${applied === undefined ? 'add' : 'update'} ${vs.key}: ${(e as Error).message}`);
          continue;
        }
      }
    }
    if (vs.bind && !alreadyBound.has(vs.addr)) {
      ops.netlink++;
      if (!dry && dummy !== undefined && !dummy.addrs.some((a) => a.local === vs.addr)) ns.addAddress(dummy, vs.addr, 32);
    }
    active.add(vs.key);
    syncEndpoints(ipvs, vs, graceful, ops, errors, dry, opts.initialSync === true);
  }

  // syncIPSetEntries
  for (const info of IPSETS) {
    ops.ipsetExecs++; // ipset list NAME
    const want = r.sets.get(info.name) ?? [];
    const set = sets.indexOf(info.name) >= 0 ? sets.get(info.name) : null;
    const now = sets.now;
    const current = set === null ? [] : set.list(now).map((m) => m.text);
    const wantSet = new Set(want);
    const curSet = new Set(current);
    for (const e of [...curSet].filter((x) => !wantSet.has(x)).sort()) {
      ops.ipsetExecs++;
      if (!dry && set !== null) eachElem(set, e, (el) => set.del(el, true, now));
    }
    for (const e of want) {
      if (curSet.has(e)) continue;
      ops.ipsetExecs++;
      if (!dry && set !== null) eachElem(set, e, (el) => set.add(el, noExt(), true, now));
    }
  }

  // iptables-restore --noflush --counters
  let ok = true;
  if (!dry) {
    try {
      applyRestore(ns, r.iptablesText, flavour);
    } catch (e) {
      if (!(e instanceof RestoreError)) throw e;
      errors.push(`iptables-restore: ${e.message}`);
      ok = false;
    }
  }
  if (!ok) return { ops, ok, errors };

  // Remove superfluous addresses from the dummy device.
  const wantBound = new Set(r.bindAddrs);
  for (const addr of alreadyBound) {
    if (wantBound.has(addr)) continue;
    ops.netlink++;
    if (!dry && dummy !== undefined) {
      const ifa = dummy.addrs.find((a) => a.local === addr);
      if (ifa !== undefined) ns.removeAddress(ifa);
    }
  }

  // cleanLegacyService
  ops.netlink++;
  for (const svc of ipvs.services()) {
    if (svc.fwmark !== 0 || active.has(kernelServiceKey(svc))) continue;
    ops.netlink++;
    if (!dry) {
      graceful.forgetService(svc);
      ipvs.deleteService({ proto: svc.proto, addr: svc.addr, port: svc.port, fwmark: 0 });
    }
  }
  return { ops, ok, errors };
}

/** syncEndpoint: add wanted real servers, gracefully delete the others. */
function syncEndpoints(ipvs: Ipvs, vs: VirtualServerSpec, graceful: GracefulTermination, ops: IpvsOpCounts, errors: string[], dry: boolean, initialSync: boolean): void {
  const key = serviceKeyOf(vs);
  ops.netlink += 2; // GetVirtualServer, GetRealServers
  const svc = ipvs.service(key);
  const cur = svc === undefined ? [] : svc.dests.map((d) => ({ addr: d.addr, port: d.port, weight: d.weight, text: `${formatIPv4(d.addr)}:${d.port}` }));
  const curTexts = new Set(cur.map((d) => d.text));
  const want = new Set(vs.dests.map((d) => d.text));
  for (const d of vs.dests) {
    const spec = { addr: d.addr, port: d.port, fwd: IP_VS_CONN_F_MASQ, weight: 1, uThreshold: 0, lThreshold: 0 };
    if (curTexts.has(d.text)) {
      if (initialSync) {
        for (const c of cur) {
          if (c.weight === 1) continue;
          ops.netlink++;
          if (!dry) ipvs.editDest(key, spec);
        }
      }
      if (!graceful.has(vs.key, d.text)) continue;
      // MoveRSOutofGracefulDeleteList: delete it now, then add it back below.
      ops.netlink++;
      if (!dry) graceful.moveOut(vs.key, d.text);
    }
    ops.netlink++;
    if (!dry) {
      try {
        ipvs.addDest(key, spec);
      } catch (e) {
        errors.push(`ipvs add destination ${d.text} to ${vs.key}: ${(e as Error).message}`);
      }
    }
  }
  for (const c of cur) {
    if (want.has(c.text) || graceful.has(vs.key, c.text)) continue;
    if (dry) {
      ops.netlink += 2;
      continue;
    }
    ops.netlink += graceful.gracefulDelete(key, vs.key, vs.protocol, c.addr, c.port);
  }
}
