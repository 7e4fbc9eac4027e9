/**
 * What `dpsim kube-proxy --mode ipvs` prints for a node's first full sync. `restore`: what
 * kube-proxy hands the node, in the order it applies it — the ipset commands (as `ipset
 * restore` input), the IPVS table (as `ipvsadm-restore` input, which is `ipvsadm-save -n`
 * text), then the iptables-restore text. `save`: what `ipset save`, `ipvsadm-save -n` and
 * `iptables-save` show after a fresh node loaded it. Each section starts with a `#` line
 * naming the tool, which all three tools read as a comment.
 *
 * The ipvsadm text comes from the ipvsadm command's own printer (src/script/ipvsadm), the
 * one edge where this folder reaches up a layer, as the iptables flow harness does.
 */

import { Network } from '../../../netns/network.js';
import { parseIPv4 } from '../../../packet/address.js';
import { saveXtables } from '../../../iptables/save.js';
import { MATCHES } from '../../../iptables/matches.js';
import { xtablesOf } from '../../../iptables/ruleset.js';
import { ipvsOf } from '../../../ipvs/ipvs.js';
import { ipsetOf } from '../../../ipset/ipset.js';
import { saveSet } from '../../../ipset/format.js';
import { FMT_NUMERIC, FMT_RULE, listServices } from '../../../ipvs/format.js';
import type { ProxySnapshot } from '../service-ports.js';
import { applyIpvsSync, initIpvsNode } from './apply.js';
import { GracefulTermination } from './graceful.js';
import { createSetArgs, IPSETS } from './names.js';
import { IpvsProxier, type IpvsProxyConfig, type IpvsSyncResult } from './proxier.js';
import type { NetNamespace } from '../../../netns/namespace.js';

/** A fresh node namespace holding the configured node IPs (on a dummy `eth0`, up), with `r` loaded. */
export function loadIntoFreshNode(cfg: IpvsProxyConfig, r: IpvsSyncResult, seed = 1): NetNamespace {
  const net = new Network(seed);
  const ns = net.root;
  ns.setUp(ns.lo);
  const eth0 = ns.addDummy('eth0');
  ns.setUp(eth0);
  for (const ip of cfg.nodeIPs) ns.addAddress(eth0, parseIPv4(ip)!, 32);
  initIpvsNode(ns, cfg);
  const report = applyIpvsSync(ns, r, new GracefulTermination(ipvsOf(ns)), { initialSync: true });
  if (!report.ok) throw new Error(`loading kube-proxy's IPVS rules failed: ${report.errors.join('; ')}`);
  return ns;
}

/** `ipset restore` input for `r`: every set created as kube-proxy creates it, then its entries. */
export function ipsetCommandsText(r: IpvsSyncResult): string {
  let s = '';
  for (const info of IPSETS) s += `create ${createSetArgs(info)}\n`;
  for (const info of IPSETS) for (const e of r.sets.get(info.name) ?? []) s += `add ${info.name} ${e}\n`;
  return s;
}

/** The first full sync of `cfg`'s node for `snapshot`, as `restore` input or as the node then shows it. */
export function ipvsFirstSyncOutput(cfg: IpvsProxyConfig, snapshot: ProxySnapshot, show: 'restore' | 'save'): string {
  const proxier = new IpvsProxier(cfg);
  if (show === 'restore') {
    const r = proxier.sync(snapshot);
    const ns = loadIntoFreshNode(cfg, proxier.sync(snapshot, { ipvsMatch: MATCHES.has('ipvs') }));
    return `# ipset restore\n${ipsetCommandsText(r)}# ipvsadm-restore\n${listServices(ipvsOf(ns), FMT_RULE | FMT_NUMERIC)}# iptables-restore --noflush\n${r.iptablesText}`;
  }
  const r = proxier.sync(snapshot, { ipvsMatch: MATCHES.has('ipvs') });
  const ns = loadIntoFreshNode(cfg, r);
  const table = ipsetOf(ns);
  let sets = '';
  for (const s of table.sets()) sets += saveSet(s, table.now);
  const rules = saveXtables(xtablesOf(ns).nft, { program: 'iptables-save', counters: false, table: null, date: null });
  return `# ipset save\n${sets}# ipvsadm-save -n\n${listServices(ipvsOf(ns), FMT_RULE | FMT_NUMERIC)}# iptables-save\n${rules}`;
}
