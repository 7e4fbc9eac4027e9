/**
 * The iptables proxier: a function from a snapshot of Services and EndpointSlices to the
 * iptables-restore text kube-proxy hands to `iptables-restore --noflush`, plus the jump
 * rules it ensures from the built-in chains. Facts (chains, rule shapes, comments, order,
 * probability formatting, partial syncs, large-cluster mode) follow upstream's
 * pkg/proxy/iptables/proxier.go (the current one, and v1.12 for the talk's generation);
 * services are walked in name order where upstream walks a Go map.
 */

import { TextSink } from '../../../iptables/save.js';
import { formatIPv4, networkOf, parseCidr, parseIPv4 } from '../../../packet/address.js';
import { FULL_SYNC_PERIOD_MS, masqueradeMarkText, type ProxyConfig } from '../config.js';
import {
  buildServicePorts,
  ServicePortCache,
  categorizeEndpoints,
  externallyAccessible,
  usesClusterEndpoints,
  usesLocalEndpoints,
  type CategorizedEndpoints,
  type EndpointInfo,
  type ProxySnapshot,
  type ServicePortInfo,
  type Skipped,
} from '../service-ports.js';
import {
  hash16,
  isServiceChainName,
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
} from './chain-names.js';

/** A rule kube-proxy keeps at the top of a built-in chain (EnsureChain + EnsureRule Prepend). */
export interface JumpRule {
  readonly table: 'filter' | 'nat';
  readonly chain: string;
  /** The rule's arguments after `-I CHAIN`, e.g. ["-m","comment","--comment","kubernetes service portals","-j","KUBE-SERVICES"]. */
  readonly args: readonly string[];
  /** The chain the rule jumps to (created first). */
  readonly target: string;
}

/** Counts upstream logs with every sync ("Reloading service iptables data"). */
export interface SyncStats {
  readonly services: number;
  readonly endpoints: number;
  readonly filterChains: number;
  readonly filterRules: number;
  readonly natChains: number;
  readonly natRules: number;
  readonly deletedChains: number;
  readonly largeClusterMode: boolean;
  /** Service keys ("ns/name") whose chains this sync rewrote (all on a full sync). */
  readonly changedServices: number;
}

/** What one sync produced. */
export interface IptablesSyncResult {
  /** The iptables-restore input: `*filter … COMMIT\n*nat … COMMIT\n`. */
  readonly text: string;
  readonly full: boolean;
  /** On a full sync: the jump rules to ensure before restoring (empty on a partial sync). */
  readonly jumps: readonly JumpRule[];
  readonly stats: SyncStats;
  /** Objects or addresses the proxier left out, with the reason. */
  readonly skipped: readonly Skipped[];
}

/** Options of one sync. */
export interface SyncOptions {
  /** Force a full sync (the canary monitor and node changes do). */
  readonly full?: boolean;
  /** The nat table's chains as iptables-save shows them now; default: what the previous sync left. */
  readonly existingNatChains?: Iterable<string>;
  /** The virtual time in ms, for the hourly full sync and large-cluster cleanup pacing. */
  readonly nowMs?: number;
}

/** The per-generation differences. */
interface Generation {
  /** ServicePortName.String(): v1.12 always prints the colon. */
  readonly nameString: (sp: ServicePortInfo) => string;
  /** Decimals of the statistic probability (fmt "%0.Nf"). */
  readonly probabilityDecimals: number;
  /** Address suffix kube-proxy wrote after IPs ("/32" in v1.12). */
  readonly hostSuffix: string;
}

const GENERATIONS: Record<ProxyConfig['generation'], Generation> = {
  current: { nameString: (sp) => sp.nameString, probabilityDecimals: 10, hostSuffix: '' },
  '1.12': { nameString: (sp) => `${sp.name.namespace}/${sp.name.name}:${sp.name.port}`, probabilityDecimals: 5, hostSuffix: '/32' },
};

/** Lines of one table section, with a line count (joined into chunks as they come, so few strings live long). */
class LineBuffer {
  private readonly sink = new TextSink();
  lines = 0;
  write(line: string): void {
    this.sink.append(line);
    this.sink.append('\n');
    this.lines++;
  }
  /** Appends a fragment's lines. */
  put(f: Fragment): void {
    if (f.lines === 0) return;
    this.sink.append(f.text);
    this.lines += f.lines;
  }
  text(): string {
    return this.sink.toString();
  }
}

/** Lines of one service port's share of a section, kept while the port's view object lives. */
class Fragment {
  private readonly parts: string[] = [];
  /** The lines joined (one flat string, cheap to copy into a sync's text and for the GC to keep). */
  text = '';
  lines = 0;
  write(line: string): void {
    this.parts.push(line);
    this.lines++;
  }
  /** Joins the lines into `text`; no more lines after. */
  seal(): this {
    if (this.lines > 0) {
      this.parts.push('');
      this.text = this.parts.join('\n');
    }
    this.parts.length = 0;
    return this;
  }
}

/** What one service port writes on every sync, kept by view object. */
interface PortHead {
  /** filter-table lines (KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS, KUBE-PROXY-FIREWALL). */
  readonly filter: Fragment;
  /** nat KUBE-SERVICES and KUBE-NODEPORTS lines. */
  readonly services: Fragment;
}

/** The sections a port whose chains are rewritten writes into. */
interface PortSinks {
  readonly filterRules: LineBuffer;
  readonly natChains: LineBuffer;
  readonly natRules: LineBuffer;
}

/** Where lines go. */
interface Lines {
  write(line: string): void;
}


function q(text: string): string {
  return `"${text}"`;
}

/** The iptables proxier of one node. Keeps only what partial syncs need from the previous sync. */
export class IptablesProxier {
  private readonly gen: Generation;
  private readonly mark: string;
  private readonly localhostNodePorts: boolean;
  private readonly clusterCIDR: string | undefined;
  private readonly nodeIP: number | null;
  private readonly probabilities: string[] = ['<bad value>'];
  private needFullSync = true;
  private lastFullSyncMs = Number.NEGATIVE_INFINITY;
  private lastCleanupMs = Number.NEGATIVE_INFINITY;
  /** The last sync's view objects, in view order. */
  private lastPorts: readonly ServicePortInfo[] = [];
  /** Which service ("ns/name") owns each per-service nat chain the node holds, kept across syncs. */
  private readonly owner = new Map<string, string>();
  private readonly chainsOf = new Map<string, string[]>();
  private readonly cache: ServicePortCache;
  /** The chain list the last cleanup scanned, and which of them it found stale (null: scan all next time). */
  private scanned: { readonly names: readonly string[]; readonly stale: ReadonlySet<string> } | null = null;

  constructor(readonly cfg: ProxyConfig) {
    this.gen = GENERATIONS[cfg.generation];
    this.mark = masqueradeMarkText(cfg.masqueradeBit);
    this.localhostNodePorts = cfg.localhostNodePorts && nodePortAddressesContainLoopback(cfg.nodePortAddresses);
    if (cfg.clusterCIDR !== undefined) {
      const c = parseCidr(cfg.clusterCIDR)!;
      this.clusterCIDR = `${formatIPv4(networkOf(c.addr, c.prefixLen))}/${c.prefixLen}`;
    }
    this.nodeIP = cfg.nodeIPs.length > 0 ? parseIPv4(cfg.nodeIPs[0]!) : null;
    this.cache = new ServicePortCache(cfg.nodeName);
  }

  /** hash16 of `key` (per-port results are kept in `perPort`, as upstream keeps them in its infos). */
  private hash(key: string): string {
    return hash16(key);
  }
  private sepName(name: string, proto: string, endpoint: string): string {
    return 'KUBE-SEP-' + this.hash(name + proto + endpoint);
  }

  /** Per service-port view object (reused by the view while unchanged): its categorized endpoints and chain names. */
  private readonly perPort = new WeakMap<ServicePortInfo, PortNames>();
  /** Per service-port view object: the lines it writes on every sync (dropped with the object). */
  private readonly portHeads = new WeakMap<ServicePortInfo, PortHead>();
  private portNames(sp: ServicePortInfo, name: string, proto: string): PortNames {
    let n = this.perPort.get(sp);
    if (n !== undefined) return n;
    const port = name + proto;
    // Without Local policy the categories depend on the endpoints alone, and every node that
    // runs none of them holds the same endpoints array (service-ports.ts): compute once for all.
    const shareable = sp.endpoints.length > 0 && !usesLocalEndpoints(sp);
    const shared = shareable ? sharedPortNames.get(sp.endpoints) : undefined;
    if (shared !== undefined && shared.port === port) n = shared.names;
    else if (sp.endpoints.length === 0) n = { cat: NO_ENDPOINTS, hash: this.hash(port), seps: NO_SEPS };
    else {
      const cat = categorizeEndpoints(sp);
      const seps = new Map<EndpointInfo, string>();
      for (const e of cat.allReachable) {
        // Endpoint objects are shared between nodes (service-ports.ts), and so are their names.
        const known = sepNames.get(e);
        if (known !== undefined && known.port === port) seps.set(e, known.chain);
        else {
          const chain = this.sepName(name, proto, e.endpoint);
          sepNames.set(e, { port, chain });
          seps.set(e, chain);
        }
      }
      n = { cat, hash: this.hash(port), seps };
      if (shareable) sharedPortNames.set(sp.endpoints, { port, names: n });
    }
    this.perPort.set(sp, n);
    return n;
  }

  /**
   * The per-service chains of `existing` that no service owns, into `stale`. The caller's list
   * is compared with the one of the last scan: where it holds the same names in the same order
   * (a few gone, a few added at the end, as a table's chain list changes between syncs), a chain
   * that was not stale then and whose service did not change (`released`: the chains of changed
   * services; null after a full sync) is not stale now, without a lookup in the 200,000-entry
   * owner map. The comparison costs little when the names are the same strings as last time.
   */
  private staleChains(existing: Iterable<string>, released: ReadonlySet<string> | null, stale: string[]): void {
    const names = Array.from(existing);
    const memo = released === null ? null : this.scanned;
    const owner = this.owner;
    let prev = memo === null ? EMPTY_NAMES : memo.names;
    const suspects = new Set<string>(released ?? []);
    if (memo !== null) for (const c of memo.stale) suspects.add(c);
    let j = 0;
    let misses = 0;
    for (let i = 0; i < names.length; i++) {
      const c = names[i]!;
      if (j < prev.length) {
        const end = Math.min(prev.length, j + SCAN_WINDOW);
        let k = j;
        while (k < end && prev[k] !== c) k++;
        if (k < end) {
          j = k + 1;
          misses = 0;
          if (!suspects.has(c)) continue;
        } else if (++misses > SCAN_WINDOW) prev = EMPTY_NAMES; // another order: stop comparing
      }
      if (!owner.has(c) && isServiceChainName(c)) stale.push(c);
    }
    this.scanned = { names, stale: new Set(stale) };
  }

  /** Marks the last sync as failed (its restore did not load): the next sync is a full one. */
  syncFailed(): void {
    this.needFullSync = true;
  }

  /** The chains of the nat table the last sync left in place. */
  natChains(): ReadonlySet<string> {
    return new Set(this.owner.keys());
  }

  /** Generates the rules for `snapshot`. Throws ProxyInputError on malformed objects. */
  sync(snapshot: ProxySnapshot, opts: SyncOptions = {}): IptablesSyncResult {
    const view = buildServicePorts(snapshot, this.cfg.nodeName, this.cache);
    const now = opts.nowMs;
    const full =
      opts.full === true || this.needFullSync || this.cfg.generation === '1.12' || (now !== undefined && now - this.lastFullSyncMs > FULL_SYNC_PERIOD_MS);

    // Which services changed since the last sync (partial syncs rewrite only their chains).
    // A service is unchanged when its port objects are the ones of the last sync (the view
    // reuses them while nothing changed), or else when their content is the same. When the
    // ports are the same names in the same places (endpoint changes), one walk compares them.
    const cur = view.ports;
    const last = this.lastPorts;
    const changed = new Set<string>();
    let positional = !full && last.length === cur.length;
    for (let i = 0; positional && i < cur.length; i++) {
      const sp = cur[i]!;
      const old = last[i]!;
      if (sp === old) continue;
      if (sp.portId !== old.portId || sp.serviceKey !== old.serviceKey) positional = false;
      else if (fingerprint(old) !== fingerprint(sp)) changed.add(sp.serviceKey);
    }
    let serviceCount = -1;
    if (!positional) {
      changed.clear();
      const lastSet = new Set(last);
      const lastByName = new Map<string, ServicePortInfo>();
      for (const sp of last) lastByName.set(sp.portId, sp);
      const lastPer = portsPerService(last);
      const per = portsPerService(cur);
      for (const sp of cur) {
        if (lastSet.has(sp)) continue;
        const old = lastByName.get(sp.portId);
        if (old === undefined || fingerprint(old) !== fingerprint(sp)) changed.add(sp.serviceKey);
      }
      for (const [k, n] of lastPer) if (per.get(k) !== n) changed.add(k);
      for (const k of per.keys()) if (!lastPer.has(k)) changed.add(k);
      serviceCount = per.size;
    }

    const existing = opts.existingNatChains ?? null;
    const out =
      this.cfg.generation === '1.12' ? this.write112(view.ports, existing ?? [...this.owner.keys()]) : this.writeCurrent(view.ports, full, changed, existing, now);

    this.lastPorts = cur;
    if (out.active !== null) {
      this.owner.clear();
      this.chainsOf.clear();
      for (const c of out.active) this.owner.set(c, '');
    }
    this.needFullSync = false;
    if (full && now !== undefined) this.lastFullSyncMs = now;
    return {
      text: out.text,
      full,
      jumps: full ? this.jumpRules() : [],
      stats: { ...out.stats, changedServices: full ? serviceCount : changed.size },
      skipped: view.skipped,
    };
  }

  /** The jump rules upstream ensures on a full sync (iptablesJumpChains + kubelet's KUBE-FIREWALL). */
  jumpRules(): JumpRule[] {
    const ctNew = ['-m', 'conntrack', '--ctstate', 'NEW'];
    const j = (table: 'filter' | 'nat', target: string, chain: string, comment: string, extra: string[] = []): JumpRule => ({
      table,
      chain,
      target,
      args: [...extra, ...(comment !== '' ? ['-m', 'comment', '--comment', comment] : []), '-j', target],
    });
    if (this.cfg.generation === '1.12') {
      return [
        j('filter', KUBE_EXTERNAL_SERVICES, 'INPUT', 'kubernetes externally-visible service portals', ctNew),
        j('filter', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals', ctNew),
        j('nat', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals'),
        j('nat', KUBE_SERVICES, 'PREROUTING', 'kubernetes service portals'),
        j('nat', KUBE_POSTROUTING, 'POSTROUTING', 'kubernetes postrouting rules'),
        j('filter', KUBE_FORWARD, 'FORWARD', 'kubernetes forwarding rules'),
      ];
    }
    const rules = [
      j('filter', KUBE_EXTERNAL_SERVICES, 'INPUT', 'kubernetes externally-visible service portals', ctNew),
      j('filter', KUBE_EXTERNAL_SERVICES, 'FORWARD', 'kubernetes externally-visible service portals', ctNew),
      j('filter', KUBE_NODEPORTS, 'INPUT', 'kubernetes health check service ports'),
      j('filter', KUBE_SERVICES, 'FORWARD', 'kubernetes service portals', ctNew),
      j('filter', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals', ctNew),
      j('filter', KUBE_FORWARD, 'FORWARD', 'kubernetes forwarding rules'),
      j('filter', KUBE_PROXY_FIREWALL, 'INPUT', 'kubernetes load balancer firewall', ctNew),
      j('filter', KUBE_PROXY_FIREWALL, 'OUTPUT', 'kubernetes load balancer firewall', ctNew),
      j('filter', KUBE_PROXY_FIREWALL, 'FORWARD', 'kubernetes load balancer firewall', ctNew),
      j('nat', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals'),
      j('nat', KUBE_SERVICES, 'PREROUTING', 'kubernetes service portals'),
      j('nat', KUBE_POSTROUTING, 'POSTROUTING', 'kubernetes postrouting rules'),
      j('filter', KUBE_FIREWALL, 'INPUT', ''),
      j('filter', KUBE_FIREWALL, 'OUTPUT', ''),
    ];
    return rules;
  }

  private probability(n: number): string {
    for (let i = this.probabilities.length; i <= n; i++) this.probabilities.push((1 / i).toFixed(this.gen.probabilityDecimals));
    return this.probabilities[n]!;
  }

  // ---- the current proxier -----------------------------------------------------------

  /**
   * `existing`: the nat table's chains as the caller sees them; null: those the last sync left
   * (its owned chains), of which only the ones this sync stops owning can have become stale.
   */
  private writeCurrent(ports: readonly ServicePortInfo[], full: boolean, changed: Set<string>, existing: Iterable<string> | null, now: number | undefined) {
    const cfg = this.cfg;
    const mark = this.mark;
    const filterChains = new LineBuffer();
    const filterRules = new LineBuffer();
    const natChainsAll = new LineBuffer();
    const natRulesAll = new LineBuffer();
    // Chain ownership: a full sync records every service's chains afresh; a partial one
    // forgets the chains of the services it rewrites (or that are gone) and records their new ones.
    const owner = this.owner;
    const chainsOf = this.chainsOf;
    /** Chains owned before this sync that may not be owned after it. */
    const released = new Set<string>();
    if (full) {
      if (existing === null) existing = [...owner.keys()];
      owner.clear();
      chainsOf.clear();
    } else {
      for (const k of changed) {
        for (const c of chainsOf.get(k) ?? []) {
          owner.delete(c);
          released.add(c);
        }
        chainsOf.delete(k);
      }
    }

    for (const c of [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL]) filterChains.write(`:${c} - [0:0]`);
    for (const c of [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ]) natChainsAll.write(`:${c} - [0:0]`);
    natRulesAll.write(`-A ${KUBE_POSTROUTING} -m mark ! --mark ${mark}/${mark} -j RETURN`);
    natRulesAll.write(`-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${mark}`);
    natRulesAll.write(`-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${cfg.randomFully ? ' --random-fully' : ''}`);
    natRulesAll.write(`-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}`);
    if (this.localhostNodePorts) {
      filterChains.write(`:${KUBE_FIREWALL} - [0:0]`);
      filterRules.write(
        `-A ${KUBE_FIREWALL} -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
      );
    }

    let totalEndpoints = 0;
    for (const sp of ports) totalEndpoints += sp.endpoints.length;
    const large = totalEndpoints > cfg.largeClusterEndpointsThreshold;
    const ifLocal = this.clusterCIDR !== undefined ? `-s ${this.clusterCIDR}` : null;
    const ifNotLocal = this.clusterCIDR !== undefined ? `! -s ${this.clusterCIDR}` : null;
    const localhostNP = this.localhostNodePorts && cfg.nfacct;

    const sinks: PortSinks = { filterRules, natChains: natChainsAll, natRules: natRulesAll };
    for (const sp of ports) {
      // Unchanged since the last sync: its chains stay as they are (upstream writes them to a
      // discarding buffer) and stay recorded as in use; its other lines are the ones of the last
      // sync while its view object is. Chains written are not kept (they are the bulk of the text).
      const rewrite = full || changed.has(sp.serviceKey);
      const head = this.portHeads.get(sp);
      if (!rewrite && head !== undefined) {
        filterRules.put(head.filter);
        natRulesAll.put(head.services);
        continue;
      }
      const built = this.buildPortRules(sp, large, ifLocal, ifNotLocal, localhostNP, rewrite ? sinks : null);
      this.portHeads.set(sp, built.head);
      if (!rewrite) {
        filterRules.put(built.head.filter);
        natRulesAll.put(built.head.services);
        continue;
      }
      // (the build has written its lines and chains into the sections)
      let mine = chainsOf.get(sp.serviceKey);
      if (mine === undefined) chainsOf.set(sp.serviceKey, (mine = []));
      for (const c of built.chains) {
        owner.set(c, sp.serviceKey);
        mine.push(c);
      }
    }

    let deleted = 0;
    if (!large || now === undefined || now - this.lastCleanupMs > cfg.syncPeriodMs) {
      const stale: string[] = [];
      if (existing === null) {
        for (const c of released) if (!owner.has(c)) stale.push(c);
        this.scanned = null; // owners changed without a scan: the next one checks every chain
      } else this.staleChains(existing, full ? null : released, stale);
      stale.sort();
      for (const c of stale) {
        natChainsAll.write(`:${c} - [0:0]`);
        natRulesAll.write(`-X ${c}`);
        deleted++;
      }
      if (now !== undefined) this.lastCleanupMs = now;
    } else this.scanned = null;
    // (Large clusters skip the cleanup between sync periods: stale chains stay until the next one.)

    const npComment = '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"';
    if (cfg.nodePortAddresses.length === 0) {
      natRulesAll.write(`-A ${KUBE_SERVICES} ${npComment} -m addrtype --dst-type LOCAL${this.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8'} -j ${KUBE_NODEPORTS}`);
    } else {
      for (const ip of this.nodePortIPs()) {
        if (ip.startsWith('127.') && !this.localhostNodePorts) continue;
        natRulesAll.write(`-A ${KUBE_SERVICES} ${npComment} -d ${ip} -j ${KUBE_NODEPORTS}`);
      }
    }
    if (!cfg.conntrackTcpBeLiberal) {
      filterRules.write(`-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID${cfg.nfacct ? ' -m nfacct --nfacct-name ct_state_invalid_dropped_pkts' : ''} -j DROP`);
    }
    filterRules.write(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
    filterRules.write(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);

    const text = `*filter\n${filterChains.text()}${filterRules.text()}COMMIT\n*nat\n${natChainsAll.text()}${natRulesAll.text()}COMMIT\n`;
    return {
      text,
      active: null,
      stats: {
        services: ports.length,
        endpoints: totalEndpoints,
        filterChains: filterChains.lines,
        filterRules: filterRules.lines,
        natChains: natChainsAll.lines,
        natRules: natRulesAll.lines,
        deletedChains: deleted,
        largeClusterMode: large,
      },
    };
  }

  /** The rules of one service port (its share of every section), built once per view object. */
  private buildPortRules(
    sp: ServicePortInfo,
    large: boolean,
    ifLocal: string | null,
    ifNotLocal: string | null,
    localhostNP: boolean,
    /** Where to write the port's lines and chains; null: only build the lines of every sync. */
    out: PortSinks | null,
  ): { readonly head: PortHead; readonly chains: readonly string[] } {
    const cfg = this.cfg;
    const filter = new Fragment();
    const services = new Fragment();
    const chains: string[] = [];
    const proto = sp.protocol.toLowerCase();
    const name = sp.nameString;
    const names = this.portNames(sp, name, proto);
    const { cluster, local, allReachable, hasAny } = names.cat;
    const h = names.hash;
    const clusterChain = 'KUBE-SVC-' + h;
    const localChain = 'KUBE-SVL-' + h;
    const extChain = 'KUBE-EXT-' + h;
    const fwChain = 'KUBE-FW-' + h;
    const usesClusterChain = cluster.length > 0 && usesClusterEndpoints(sp);
    const usesLocalChain = local.length > 0 && usesLocalEndpoints(sp);
    let internalChain = clusterChain;
    let hasInternal = hasAny;
    if (sp.internalPolicyLocal) {
      internalChain = localChain;
      if (local.length === 0) hasInternal = false;
    }
    let externalPolicyChain = clusterChain;
    let hasExternal = hasAny;
    if (sp.externalPolicyLocal) {
      externalPolicyChain = localChain;
      if (local.length === 0) hasExternal = false;
    }
    const usesExtChain = hasAny && externallyAccessible(sp);
    const usesFwChain = hasAny && sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
    const lbChain = usesFwChain ? fwChain : extChain;
    let internalTarget = '';
    let internalComment = '';
    let externalTarget = '';
    let externalComment = '';
    if (!hasAny) {
      internalTarget = externalTarget = 'REJECT';
      internalComment = externalComment = q(`${name} has no endpoints`);
    } else {
      if (!hasInternal) {
        internalTarget = 'DROP';
        internalComment = q(`${name} has no local endpoints`);
      }
      if (!hasExternal) {
        externalTarget = 'DROP';
        externalComment = q(`${name} has no local endpoints`);
      }
    }
    const dport = `--dport ${sp.port}`;
    const mp = `-m ${proto} -p ${proto}`;

    if (hasInternal) {
      services.write(`-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} cluster IP`)} ${mp} -d ${sp.clusterIPText} ${dport} -j ${internalChain}`);
    } else {
      filter.write(`-A ${KUBE_SERVICES} -m comment --comment ${internalComment} ${mp} -d ${sp.clusterIPText} ${dport} -j ${internalTarget}`);
    }
    for (const ip of sp.externalIPs) {
      if (hasAny) services.write(`-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} external IP`)} ${mp} -d ${ip} ${dport} -j ${extChain}`);
      if (!hasExternal) filter.write(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalComment} ${mp} -d ${ip} ${dport} -j ${externalTarget}`);
    }
    for (const ip of sp.loadBalancerVIPs) {
      if (hasAny) services.write(`-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} loadbalancer IP`)} ${mp} -d ${ip} ${dport} -j ${lbChain}`);
      if (usesFwChain) {
        filter.write(`-A ${KUBE_PROXY_FIREWALL} -m comment --comment ${q(`${name} traffic not accepted by ${fwChain}`)} ${mp} -d ${ip} ${dport} -j DROP`);
      }
    }
    if (!hasExternal) {
      for (const ip of sp.loadBalancerVIPs) {
        filter.write(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalComment} ${mp} -d ${ip} ${dport} -j ${externalTarget}`);
      }
    }
    if (sp.nodePort !== 0) {
      if (hasAny) {
        if (localhostNP) {
          services.write(
            `-A ${KUBE_NODEPORTS} -m comment --comment ${name} ${mp} -d 127.0.0.0/8 --dport ${sp.nodePort} -m nfacct --nfacct-name localhost_nps_accepted_pkts -j ${extChain}`,
          );
        }
        services.write(`-A ${KUBE_NODEPORTS} -m comment --comment ${name} ${mp} --dport ${sp.nodePort} -j ${extChain}`);
      }
      if (!hasExternal) {
        filter.write(
          `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalComment} -m addrtype --dst-type LOCAL ${mp} --dport ${sp.nodePort} -j ${externalTarget}`,
        );
      }
    }
    if (sp.healthCheckNodePort !== 0) {
      filter.write(
        `-A ${KUBE_NODEPORTS} -m comment --comment ${q(`${name} health check node port`)} -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`,
      );
    }
    const head: PortHead = { filter: filter.seal(), services: services.seal() };
    if (out === null) return { head, chains };
    out.filterRules.put(head.filter);
    out.natRules.put(head.services);
    const chainDecls = out.natChains;
    const chainRules = out.natRules;

    if (hasInternal) {
      const args = `-m comment --comment ${q(`${name} cluster IP`)} ${mp} -d ${sp.clusterIPText} ${dport}`;
      if (cfg.masqueradeAll) chainRules.write(`-A ${internalChain} ${args} -j ${KUBE_MARK_MASQ}`);
      else if (ifNotLocal !== null) chainRules.write(`-A ${internalChain} ${args} ${ifNotLocal} -j ${KUBE_MARK_MASQ}`);
    }
    if (usesExtChain) {
      chainDecls.write(`:${extChain} - [0:0]`);
      chains.push(extChain);
      if (!sp.externalPolicyLocal) {
        chainRules.write(`-A ${extChain} -m comment --comment ${q(`masquerade traffic for ${name} external destinations`)} -j ${KUBE_MARK_MASQ}`);
      } else {
        if (ifLocal !== null) {
          chainRules.write(`-A ${extChain} -m comment --comment ${q(`pod traffic for ${name} external destinations`)} ${ifLocal} -j ${clusterChain}`);
        }
        chainRules.write(
          `-A ${extChain} -m comment --comment ${q(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`,
        );
        chainRules.write(
          `-A ${extChain} -m comment --comment ${q(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${clusterChain}`,
        );
      }
      if (hasExternal) chainRules.write(`-A ${extChain} -j ${externalPolicyChain}`);
    }
    if (usesFwChain) {
      chainDecls.write(`:${fwChain} - [0:0]`);
      chains.push(fwChain);
      const args = `-A ${fwChain} -m comment --comment ${q(`${name} loadbalancer IP`)}`;
      let allowFromNode = false;
      for (const cidr of sp.loadBalancerSourceRanges) {
        chainRules.write(`${args} -s ${cidr} -j ${extChain}`);
        const c = parseCidr(cidr)!;
        if (this.nodeIP !== null && networkOf(this.nodeIP, c.prefixLen) === c.addr) allowFromNode = true;
      }
      if (allowFromNode) for (const ip of sp.loadBalancerVIPs) chainRules.write(`${args} -s ${ip} -j ${extChain}`);
      chainRules.write(`-A ${fwChain} -m comment --comment ${q(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)}`);
    }
    if (usesClusterChain) {
      chainDecls.write(`:${clusterChain} - [0:0]`);
      chains.push(clusterChain);
      this.writeServiceToEndpoints(chainRules, sp, name, names.seps, clusterChain, cluster, large);
    }
    if (usesLocalChain) {
      chainDecls.write(`:${localChain} - [0:0]`);
      chains.push(localChain);
      this.writeServiceToEndpoints(chainRules, sp, name, names.seps, localChain, local, large);
    }
    for (const ep of allReachable) {
      const sep = names.seps.get(ep)!;
      chainDecls.write(`:${sep} - [0:0]`);
      chains.push(sep);
      const head = large ? `-A ${sep}` : `-A ${sep} -m comment --comment ${name}`;
      chainRules.write(`${head} -s ${ep.ipText} -j ${KUBE_MARK_MASQ}`);
      const recent = sp.sessionAffinityClientIP ? ` -m recent --name ${sep} --set` : '';
      chainRules.write(`${head}${recent} ${mp} -j DNAT --to-destination ${ep.endpoint}`);
    }
    return { head, chains };
  }

  private writeServiceToEndpoints(
    rules: Lines,
    sp: ServicePortInfo,
    name: string,
    /** KUBE-SEP-… of each endpoint (PortNames.seps). */
    seps: ReadonlyMap<EndpointInfo, string>,
    chain: string,
    endpoints: readonly EndpointInfo[],
    large: boolean,
  ): void {
    if (sp.sessionAffinityClientIP) {
      for (const ep of endpoints) {
        const sep = seps.get(ep)!;
        const c = large ? '' : ` -m comment --comment ${q(`${name} -> ${ep.endpoint}`)}`;
        rules.write(`-A ${chain}${c} -m recent --name ${sep} --rcheck --seconds ${sp.stickyMaxAgeSeconds} --reap -j ${sep}`);
      }
    }
    const n = endpoints.length;
    for (let i = 0; i < n; i++) {
      const ep = endpoints[i]!;
      const sep = seps.get(ep)!;
      const c = large ? '' : ` -m comment --comment ${q(`${name} -> ${ep.endpoint}`)}`;
      const stat = i < n - 1 ? ` -m statistic --mode random --probability ${this.probability(n - i)}` : '';
      rules.write(`-A ${chain}${c}${stat} -j ${sep}`);
    }
  }

  /** The node's addresses inside --nodeport-addresses (loopback first, as the lo interface comes first). */
  private nodePortIPs(): string[] {
    const cidrs = this.cfg.nodePortAddresses.map((c) => parseCidr(c)!);
    const inside = (ip: number) => cidrs.some((c) => networkOf(ip, c.prefixLen) === networkOf(c.addr, c.prefixLen));
    const out: string[] = [];
    for (const ip of ['127.0.0.1', ...this.cfg.nodeIPs]) if (inside(parseIPv4(ip)!) && !out.includes(ip)) out.push(ip);
    return out;
  }

  // ---- kube-proxy v1.12 ----------------------------------------------------------------

  private write112(ports: readonly ServicePortInfo[], existing: Iterable<string>) {
    const cfg = this.cfg;
    const mark = this.mark;
    const s = this.gen.hostSuffix;
    const filterChains = new LineBuffer();
    const filterRules = new LineBuffer();
    const natChains = new LineBuffer();
    const natRules = new LineBuffer();
    const active = new Set<string>();
    for (const c of [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD]) filterChains.write(`:${c} - [0:0]`);
    for (const c of [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ]) natChains.write(`:${c} - [0:0]`);
    natRules.write(`-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -m mark --mark ${mark}/${mark} -j MASQUERADE`);
    natRules.write(`-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}`);
    let total = 0;
    for (const sp of ports) total += sp.endpoints.length;
    const large = total > cfg.largeClusterEndpointsThreshold;
    for (const sp of ports) {
      const proto = sp.protocol.toLowerCase();
      const name = this.gen.nameString(sp);
      if (sp.externalIPs.length > 0 || sp.loadBalancerVIPs.length > 0 || sp.externalPolicyLocal || sp.internalPolicyLocal) {
        throw new RangeError(
          `${name}: externalIPs, LoadBalancer ingress and Local traffic policies are not modelled for kube-proxy 1.12 (use --kube-proxy-version current)`,
        );
      }
      // v1.12 used ready endpoints only.
      const eps = sp.endpoints.filter((e) => e.ready);
      const svcChain = 'KUBE-SVC-' + this.hash(name + proto);
      const has = eps.length > 0;
      if (has) {
        natChains.write(`:${svcChain} - [0:0]`);
        active.add(svcChain);
      }
      const args = `-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} cluster IP`)} -m ${proto} -p ${proto} -d ${sp.clusterIPText}${s} --dport ${sp.port}`;
      if (has) {
        if (cfg.masqueradeAll) natRules.write(`${args} -j ${KUBE_MARK_MASQ}`);
        else if (this.clusterCIDR !== undefined) natRules.write(`${args} ! -s ${this.clusterCIDR} -j ${KUBE_MARK_MASQ}`);
        natRules.write(`${args} -j ${svcChain}`);
      } else {
        filterRules.write(
          `-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} has no endpoints`)} -m ${proto} -p ${proto} -d ${sp.clusterIPText}${s} --dport ${sp.port} -j REJECT`,
        );
      }
      if (sp.nodePort !== 0) {
        const np = `-A ${KUBE_NODEPORTS} -m comment --comment ${name} -m ${proto} -p ${proto} --dport ${sp.nodePort}`;
        if (has) {
          natRules.write(`${np} -j ${KUBE_MARK_MASQ}`);
          natRules.write(`${np} -j ${svcChain}`);
        } else {
          filterRules.write(
            `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${q(`${name} has no endpoints`)} -m addrtype --dst-type LOCAL -m ${proto} -p ${proto} --dport ${sp.nodePort} -j REJECT`,
          );
        }
      }
      if (!has) continue;
      const seps = eps.map((e) => this.sepName(name, proto, e.endpoint));
      for (const sep of seps) {
        natChains.write(`:${sep} - [0:0]`);
        active.add(sep);
      }
      const comment = large ? '' : ` -m comment --comment ${name}`;
      if (sp.sessionAffinityClientIP) {
        for (const sep of seps) natRules.write(`-A ${svcChain}${comment} -m recent --name ${sep} --rcheck --seconds ${sp.stickyMaxAgeSeconds} --reap -j ${sep}`);
      }
      const n = eps.length;
      for (let i = 0; i < n; i++) {
        const stat = i < n - 1 ? ` -m statistic --mode random --probability ${this.probability(n - i)}` : '';
        natRules.write(`-A ${svcChain}${comment}${stat} -j ${seps[i]}`);
        const head = `-A ${seps[i]}${comment}`;
        natRules.write(`${head} -s ${eps[i]!.ipText}${s} -j ${KUBE_MARK_MASQ}`);
        const recent = sp.sessionAffinityClientIP ? ` -m recent --name ${seps[i]} --set` : '';
        natRules.write(`${head}${recent} -m ${proto} -p ${proto} -j DNAT --to-destination ${eps[i]!.endpoint}`);
      }
    }
    // v1.12 always rewrote everything: chains it no longer uses are flushed and deleted.
    let deleted = 0;
    const stale: string[] = [];
    for (const c of existing) if (!active.has(c) && isServiceChainName(c)) stale.push(c);
    for (const c of stale.sort()) {
      natChains.write(`:${c} - [0:0]`);
      natRules.write(`-X ${c}`);
      deleted++;
    }
    natRules.write(
      `-A ${KUBE_SERVICES} -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j ${KUBE_NODEPORTS}`,
    );
    filterRules.write(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
    if (this.clusterCIDR !== undefined) {
      filterRules.write(
        `-A ${KUBE_FORWARD} -s ${this.clusterCIDR} -m comment --comment "kubernetes forwarding conntrack pod source rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      );
      filterRules.write(
        `-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack pod destination rule" -d ${this.clusterCIDR} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      );
    }
    const text = `*filter\n${filterChains.text()}${filterRules.text()}COMMIT\n*nat\n${natChains.text()}${natRules.text()}COMMIT\n`;
    return {
      text,
      active,
      stats: {
        services: ports.length,
        endpoints: total,
        filterChains: filterChains.lines,
        filterRules: filterRules.lines,
        natChains: natChains.lines,
        natRules: natRules.lines,
        deletedChains: deleted,
        largeClusterMode: large,
      },
    };
  }
}

/** How far ahead the stale-chain scan looks for the next name of the last list. */
const SCAN_WINDOW = 64;
const EMPTY_NAMES: readonly string[] = [];

/** KUBE-SEP-… of endpoint objects, with the service port name + protocol it was computed for; shared by every node's proxier. */
const sepNames = new WeakMap<EndpointInfo, { readonly port: string; readonly chain: string }>();

/** What categorizeEndpoints makes of a port without endpoints, whatever its policies. */
const NO_ENDPOINTS: CategorizedEndpoints = Object.freeze({ cluster: Object.freeze([]), local: Object.freeze([]), allReachable: Object.freeze([]), hasAny: false });
const NO_SEPS: ReadonlyMap<EndpointInfo, string> = new Map();

/** PortNames of service ports without Local policy, by endpoints array, with the name + protocol they were made for; shared by every node's proxier. */
const sharedPortNames = new WeakMap<readonly EndpointInfo[], { readonly port: string; readonly names: PortNames }>();

/** What a service port's rules need that stays the same while the port's view object does. */
interface PortNames {
  readonly cat: CategorizedEndpoints;
  /** hash16(name + protocol): the SVC/SVL/EXT/FW suffix. */
  readonly hash: string;
  /** KUBE-SEP-… of every reachable endpoint. */
  readonly seps: ReadonlyMap<EndpointInfo, string>;
}

/** Whether --nodeport-addresses lets NodePorts work on 127.0.0.1 (empty = all addresses). */
function nodePortAddressesContainLoopback(cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const lo = parseIPv4('127.0.0.1')!;
  return cidrs.some((t) => {
    const c = parseCidr(t)!;
    return networkOf(lo, c.prefixLen) === networkOf(c.addr, c.prefixLen);
  });
}

/** How many ports each service ("ns/name") has. */
function portsPerService(ports: readonly ServicePortInfo[]): Map<string, number> {
  const per = new Map<string, number>();
  for (const sp of ports) per.set(sp.serviceKey, (per.get(sp.serviceKey) ?? 0) + 1);
  return per;
}

/** What of a service port, if changed, makes its chains change. */
function fingerprint(sp: ServicePortInfo): string {
  let f = `${sp.nameString}|${sp.protocol}|${sp.clusterIP}|${sp.port}|${sp.nodePort}|${sp.externalIPs.join(',')}|${sp.loadBalancerVIPs.join(',')}|${sp.loadBalancerSourceRanges.join(',')}|${sp.sessionAffinityClientIP ? sp.stickyMaxAgeSeconds : 0}|${sp.internalPolicyLocal}|${sp.externalPolicyLocal}|${sp.healthCheckNodePort}`;
  for (const e of sp.endpoints) f += `|${e.endpoint}${e.isLocal ? 'L' : ''}${e.ready ? 'R' : ''}${e.serving ? 'S' : ''}${e.terminating ? 'T' : ''}`;
  return f + ';';
}
