/**
 * `dpsim kube-proxy`: what kube-proxy writes for a node on its first full sync, from
 * Service, EndpointSlice and Node manifests. `--show restore` (default) prints the
 * iptables-restore input exactly as kube-proxy hands it to iptables-restore; `--show save`
 * loads it into a simulated node through iptables-restore --noflush (after the jump rules and
 * canary chains kube-proxy creates) and prints that node's iptables-save. `--mode ipvs`
 * prints the IPVS proxier's ipset, ipvsadm and iptables sections (src/k8s/proxy/ipvs/print.ts).
 * Exit status: 0 ok, 1 bad manifests (FILE:LINE: FIELD: message), 2 usage.
 */

import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { parseCidr, parseIPv4 } from '../packet/address.js';
import { ManifestError, parseManifests, sourceLine } from '../k8s/api/manifest.js';
import type { EndpointSlice, Node, Service } from '../k8s/api/types.js';
import { defaultProxyConfig, type RuleGeneration } from '../k8s/proxy/config.js';
import { ensureJumps, applyRestore, ensureChain } from '../k8s/proxy/iptables/apply.js';
import { KUBE_PROXY_CANARY } from '../k8s/proxy/iptables/chain-names.js';
import { IptablesProxier } from '../k8s/proxy/iptables/proxier.js';
import { ipvsFirstSyncOutput } from '../k8s/proxy/ipvs/print.js';
import { ProxyInputError } from '../k8s/proxy/service-ports.js';
import { Network } from '../netns/network.js';
import { xtablesOf } from '../iptables/ruleset.js';
import { saveXtables } from '../iptables/save.js';

const EXIT_INPUT = 1;
const EXIT_USAGE = 2;

interface KubeProxyFlags {
  mode: 'iptables' | 'ipvs';
  node: string;
  nodeIp: string[];
  clusterCidr?: string;
  masqueradeAll: boolean;
  masqueradeBit: number;
  nodeportAddresses?: string[];
  localhostNodeports: boolean;
  conntrackTcpBeLiberal: boolean;
  ipvsScheduler: string;
  kubeProxyVersion: RuleGeneration;
  show: 'restore' | 'save';
}

function collect(v: string, prev: string[]): string[] {
  if (parseIPv4(v) === null) throw new InvalidArgumentError(`${JSON.stringify(v)} is not an IPv4 address.`);
  return [...prev, v];
}
function cidr(v: string): string {
  if (parseCidr(v) === null) throw new InvalidArgumentError(`${JSON.stringify(v)} is not an IPv4 CIDR.`);
  return v;
}
function cidrList(v: string): string[] {
  return v.split(',').map((c) => cidr(c.trim()));
}
function bit(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 31) throw new InvalidArgumentError('the masquerade bit is 0..31.');
  return Number(v);
}
function bool(v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InvalidArgumentError('true or false.');
}

/** Reads the manifests; a bad one is a ManifestError naming file, line and field. */
function readObjects(files: readonly string[]): { services: Service[]; endpointSlices: EndpointSlice[]; nodes: Node[] } {
  const services: Service[] = [];
  const endpointSlices: EndpointSlice[] = [];
  const nodes: Node[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const o of parseManifests(text, f)) {
      if (o.kind === 'Service') services.push(o);
      else if (o.kind === 'EndpointSlice') endpointSlices.push(o);
      else if (o.kind === 'Node') nodes.push(o);
    }
  }
  return { services, endpointSlices, nodes };
}

/** Runs `dpsim kube-proxy`; returns the exit status. */
export function kubeProxy(files: readonly string[], flags: KubeProxyFlags, out: (t: string) => void, err: (t: string) => void): number {
  let objects;
  try {
    objects = readObjects(files);
  } catch (e) {
    if (e instanceof ManifestError) {
      err(`${e.message}\n`);
      return EXIT_INPUT;
    }
    if ((e as NodeJS.ErrnoException).code !== undefined) {
      err(`dpsim kube-proxy: cannot read ${(e as NodeJS.ErrnoException).path ?? files.join(' ')}: ${(e as NodeJS.ErrnoException).code}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  // `--show save` loads into a dpsim node, whose iptables has no nfacct match: kube-proxy then
  // writes what it writes on a kernel without nfacct (no counters in the rules).
  const nfacct = flags.show === 'restore' && flags.mode === 'iptables';
  const cfg = defaultProxyConfig({
    nodeName: flags.node,
    nodeIPs: flags.nodeIp,
    clusterCIDR: flags.clusterCidr,
    masqueradeAll: flags.masqueradeAll,
    masqueradeBit: flags.masqueradeBit,
    nodePortAddresses: flags.nodeportAddresses ?? [],
    localhostNodePorts: flags.localhostNodeports,
    conntrackTcpBeLiberal: flags.conntrackTcpBeLiberal,
    generation: flags.kubeProxyVersion,
    nfacct,
  });
  let result;
  try {
    if (flags.mode === 'ipvs') {
      out(ipvsFirstSyncOutput({ ...cfg, scheduler: flags.ipvsScheduler }, objects, flags.show));
      return 0;
    }
    result = new IptablesProxier(cfg).sync(objects);
  } catch (e) {
    if (e instanceof ProxyInputError) {
      const at = e.source !== undefined ? sourceLine(e.source, e.field) : undefined;
      err(at !== undefined ? `${at.file}:${at.line}: ${e.field}: ${e.detail}\n` : `${e.message}\n`);
      return EXIT_INPUT;
    }
    if (e instanceof RangeError) {
      err(`dpsim kube-proxy: ${e.message}\n`);
      return EXIT_INPUT;
    }
    throw e;
  }
  for (const s of result.skipped) err(`dpsim kube-proxy: skipped ${s.object}: ${s.reason}\n`);
  if (flags.show === 'restore') {
    out(result.text);
    return 0;
  }
  const net = new Network(1);
  const ns = net.root;
  for (const t of ['mangle', 'nat', 'filter'] as const) ensureChain(ns, t, KUBE_PROXY_CANARY);
  ensureJumps(ns, result.jumps);
  applyRestore(ns, result.text);
  out(saveXtables(xtablesOf(ns).nft, { program: 'iptables-save', counters: false, table: null, date: null }));
  return 0;
}

/** Adds `dpsim kube-proxy` to the program. */
export function registerKubeProxyCommand(program: Command): void {
  program
    .command('kube-proxy')
    .description('print what kube-proxy writes for a node on its first full sync, from Service/EndpointSlice/Node manifests')
    .argument('<file...>', 'YAML manifests (v1 Service, discovery.k8s.io/v1 EndpointSlice, v1 Node)')
    .addOption(new Option('--mode <mode>', 'proxy mode').choices(['iptables', 'ipvs']).default('iptables'))
    .requiredOption('--node <name>', "this node's name (endpoints with this nodeName are local)")
    .option('--node-ip <ip>', "this node's IP (repeatable)", collect, [])
    .option('--cluster-cidr <cidr>', 'the pod CIDR (the local-traffic detector)', cidr)
    .option('--masquerade-all', 'masquerade all traffic to service IPs', false)
    .option('--masquerade-bit <n>', 'the fwmark bit for masquerade', bit, 14)
    .option('--nodeport-addresses <cidrs>', 'comma-separated CIDRs of the addresses NodePorts answer on (default: all)', cidrList)
    .option('--localhost-nodeports <bool>', 'allow NodePorts on 127.0.0.1', bool, true)
    .option('--conntrack-tcp-be-liberal', 'nf_conntrack_tcp_be_liberal is set: no INVALID drop rule', false)
    .option('--ipvs-scheduler <s>', 'IPVS scheduler (ipvs mode)', 'rr')
    .addOption(new Option('--kube-proxy-version <v>', 'rule generation').choices(['current', '1.12']).default('current'))
    .addOption(new Option('--show <what>', 'restore: the iptables-restore input; save: iptables-save of a node that loaded it').choices(['restore', 'save']).default('restore'))
    .action((files: string[], o: KubeProxyFlags) => {
      process.exitCode = kubeProxy(files, o, (t) => process.stdout.write(t), (t) => process.stderr.write(t));
    });
}
