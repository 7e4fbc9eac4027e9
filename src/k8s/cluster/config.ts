/**
 * The cluster file: one YAML document (`kind: Cluster`, apiVersion dpsim.io/v1alpha1) that
 * says what a kubeadm-built cluster's machines look like — nodes and their underlay
 * addresses, the underlay's subnet, gateway and MTU, the pod and service CIDRs, flannel,
 * kube-proxy's mode and flags — and which manifest files to apply to it. Errors name the
 * file, line and field.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { formatIPv4, parseIPv4 } from '../../packet/address.js';
import { parseDuration, SEC } from '../../sim/time.js';

export class ClusterConfigError extends Error {}

export interface Cidr {
  addr: number;
  prefixLen: number;
  text: string;
}

export interface NodeConfig {
  name: string;
  /** The node's underlay (InternalIP) address. */
  address: number;
  /** Pinned pod CIDR; otherwise node IPAM gives the next /24. */
  podCIDR: Cidr | null;
  /** Whether pods may be scheduled here (a kubeadm control-plane node is tainted NoSchedule). */
  schedulable: boolean;
  labels: Record<string, string>;
}

export interface KubeProxyFlags {
  mode: 'iptables' | 'ipvs';
  /** Rule generation: the current upstream proxier or the v1.12 one the talk shows. */
  version: 'current' | '1.12';
  minSyncPeriod: number;
  syncPeriod: number;
  masqueradeAll: boolean;
  masqueradeBit: number;
  ipvsScheduler: string;
  nodePortAddresses: string[];
}

export interface ClusterConfig {
  file: string;
  name: string;
  underlay: { device: string; subnet: Cidr; gateway: number; mtu: number };
  /** The client outside the cluster (`external` in traces), routed in through the gateway. */
  external: { address: number; subnet: Cidr };
  clusterCIDR: Cidr;
  serviceCIDR: Cidr;
  docker0: boolean;
  kubeProxy: KubeProxyFlags;
  nodes: NodeConfig[];
  /** Manifest files, resolved against the cluster file's directory. */
  manifests: string[];
}

class Reader {
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  fail(node: YamlNode | null | undefined, field: string, message: string): never {
    const offset = node?.range?.[0] ?? 0;
    const line = this.lines.linePos(offset).line;
    throw new ClusterConfigError(`${this.file}:${line}: ${field}: ${message}`);
  }
}

function cidrOf(r: Reader, node: YamlNode | null | undefined, field: string, text: unknown): Cidr {
  const m = typeof text === 'string' ? /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(text) : null;
  const addr = m ? parseIPv4(m[1]!) : null;
  const prefixLen = m ? Number(m[2]) : -1;
  if (m === null || addr === null || prefixLen > 32) r.fail(node, field, `Invalid value: ${JSON.stringify(text)}: must be a CIDR like 10.244.0.0/16`);
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  if ((addr & mask) >>> 0 !== addr) r.fail(node, field, `Invalid value: ${JSON.stringify(text)}: host bits set (the network is ${formatIPv4((addr & mask) >>> 0)}/${prefixLen})`);
  return { addr, prefixLen, text: text as string };
}


function ipOf(r: Reader, node: YamlNode | null | undefined, field: string, text: unknown): number {
  const a = typeof text === 'string' ? parseIPv4(text) : null;
  if (a === null) r.fail(node, field, `Invalid value: ${JSON.stringify(text)}: must be an IPv4 address`);
  return a;
}

export function inCidr(a: number, c: Cidr): boolean {
  const mask = c.prefixLen === 0 ? 0 : (0xffffffff << (32 - c.prefixLen)) >>> 0;
  return ((a & mask) >>> 0) === c.addr;
}

/** A map's fields, refusing unknown ones (an unknown field is an error, not ignored). */
function fields(r: Reader, node: YamlNode | null | undefined, path: string, allowed: readonly string[]): Map<string, YamlNode | null> {
  if (!isMap(node)) r.fail(node, path, 'must be a mapping');
  const out = new Map<string, YamlNode | null>();
  for (const item of node.items) {
    const key = isScalar(item.key) ? String(item.key.value) : '?';
    if (!allowed.includes(key)) r.fail(item.key as YamlNode, `${path === '' ? '' : `${path}.`}${key}`, `unknown field (known: ${allowed.join(', ')})`);
    out.set(key, item.value as YamlNode | null);
  }
  return out;
}

function scalar(n: YamlNode | null | undefined): unknown {
  return isScalar(n) ? n.value : undefined;
}

function durationOf(r: Reader, node: YamlNode | null | undefined, field: string, fallback: number): number {
  if (node === undefined || node === null) return fallback;
  const v = scalar(node);
  const d = typeof v === 'string' ? parseDuration(v) : null;
  if (d === null) r.fail(node, field, `Invalid value: ${JSON.stringify(v)}: must be a duration like 1s or 30s`);
  return d;
}

function boolOf(r: Reader, node: YamlNode | null | undefined, field: string, fallback: boolean): boolean {
  if (node === undefined || node === null) return fallback;
  const v = scalar(node);
  if (typeof v !== 'boolean') r.fail(node, field, `Invalid value: ${JSON.stringify(v)}: must be true or false`);
  return v;
}

/** Parses a cluster file's text. */
export function parseClusterConfig(text: string, file: string): ClusterConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const r: Reader = new Reader(file, lines);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ClusterConfigError(`${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
  }
  const top = fields(r, doc.contents as YamlNode, '', ['apiVersion', 'kind', 'metadata', 'spec']);
  if (scalar(top.get('apiVersion')) !== 'dpsim.io/v1alpha1') r.fail(top.get('apiVersion') ?? doc.contents, 'apiVersion', 'must be dpsim.io/v1alpha1');
  if (scalar(top.get('kind')) !== 'Cluster') r.fail(top.get('kind') ?? doc.contents, 'kind', 'must be Cluster');
  const meta = fields(r, top.get('metadata'), 'metadata', ['name']);
  const name = String(scalar(meta.get('name')) ?? 'cluster');
  const spec = fields(r, top.get('spec'), 'spec', ['underlay', 'external', 'clusterCIDR', 'serviceCIDR', 'docker0', 'kubeProxy', 'nodes', 'manifests']);

  const u = fields(r, spec.get('underlay'), 'spec.underlay', ['device', 'subnet', 'gateway', 'mtu']);
  const subnet = cidrOf(r, u.get('subnet'), 'spec.underlay.subnet', scalar(u.get('subnet')));
  const gateway = ipOf(r, u.get('gateway'), 'spec.underlay.gateway', scalar(u.get('gateway')));
  if (!inCidr(gateway, subnet)) r.fail(u.get('gateway'), 'spec.underlay.gateway', `Invalid value: not inside ${subnet.text}`);
  const mtu = scalar(u.get('mtu')) ?? 1500;
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 1280 || mtu > 65535) r.fail(u.get('mtu'), 'spec.underlay.mtu', `Invalid value: ${JSON.stringify(mtu)}: must be an integer from 1280 to 65535`);
  const device = String(scalar(u.get('device')) ?? 'eth0');

  const ext = spec.has('external') ? fields(r, spec.get('external'), 'spec.external', ['address', 'subnet']) : new Map<string, YamlNode | null>();
  const externalSubnet = ext.has('subnet') ? cidrOf(r, ext.get('subnet'), 'spec.external.subnet', scalar(ext.get('subnet'))) : { addr: parseIPv4('203.0.113.0')!, prefixLen: 24, text: '203.0.113.0/24' };
  const externalAddress = ext.has('address') ? ipOf(r, ext.get('address'), 'spec.external.address', scalar(ext.get('address'))) : (externalSubnet.addr + 10) >>> 0;
  if (!inCidr(externalAddress, externalSubnet)) r.fail(ext.get('address'), 'spec.external.address', `Invalid value: not inside ${externalSubnet.text}`);

  const clusterCIDR = cidrOf(r, spec.get('clusterCIDR'), 'spec.clusterCIDR', scalar(spec.get('clusterCIDR')) ?? '10.244.0.0/16');
  const serviceCIDR = cidrOf(r, spec.get('serviceCIDR'), 'spec.serviceCIDR', scalar(spec.get('serviceCIDR')) ?? '10.96.0.0/12');
  if (clusterCIDR.prefixLen > 24) r.fail(spec.get('clusterCIDR'), 'spec.clusterCIDR', 'must be /24 or larger (each node gets a /24)');

  const kp = spec.has('kubeProxy')
    ? fields(r, spec.get('kubeProxy'), 'spec.kubeProxy', ['mode', 'version', 'minSyncPeriod', 'syncPeriod', 'masqueradeAll', 'masqueradeBit', 'ipvsScheduler', 'nodePortAddresses'])
    : new Map<string, YamlNode | null>();
  const mode = scalar(kp.get('mode')) ?? 'iptables';
  if (mode !== 'iptables' && mode !== 'ipvs') r.fail(kp.get('mode'), 'spec.kubeProxy.mode', `Unsupported value: ${JSON.stringify(mode)}: supported values: "iptables", "ipvs"`);
  const version = String(scalar(kp.get('version')) ?? 'current');
  if (version !== 'current' && version !== '1.12') r.fail(kp.get('version'), 'spec.kubeProxy.version', `Unsupported value: ${JSON.stringify(version)}: supported values: "current", "1.12"`);
  const bit = scalar(kp.get('masqueradeBit')) ?? 14;
  if (typeof bit !== 'number' || !Number.isInteger(bit) || bit < 0 || bit > 31) r.fail(kp.get('masqueradeBit'), 'spec.kubeProxy.masqueradeBit', 'must be an integer from 0 to 31');
  const npa = kp.get('nodePortAddresses');
  const nodePortAddresses: string[] = [];
  if (npa !== undefined && npa !== null) {
    if (!isSeq(npa)) r.fail(npa, 'spec.kubeProxy.nodePortAddresses', 'must be a list of CIDRs');
    npa.items.forEach((it, i) => nodePortAddresses.push(cidrOf(r, it as YamlNode, `spec.kubeProxy.nodePortAddresses[${i}]`, scalar(it as YamlNode)).text));
  }
  const kubeProxy: KubeProxyFlags = {
    mode,
    version,
    minSyncPeriod: durationOf(r, kp.get('minSyncPeriod'), 'spec.kubeProxy.minSyncPeriod', 1 * SEC),
    syncPeriod: durationOf(r, kp.get('syncPeriod'), 'spec.kubeProxy.syncPeriod', 30 * SEC),
    masqueradeAll: boolOf(r, kp.get('masqueradeAll'), 'spec.kubeProxy.masqueradeAll', false),
    masqueradeBit: bit,
    ipvsScheduler: String(scalar(kp.get('ipvsScheduler')) ?? 'rr'),
    nodePortAddresses,
  };

  const nodesNode = spec.get('nodes');
  if (!isSeq(nodesNode) || nodesNode.items.length === 0) r.fail(nodesNode ?? doc.contents, 'spec.nodes', 'Required value: at least one node');
  const nodes: NodeConfig[] = [];
  const seenNames = new Set<string>();
  const seenAddrs = new Set<number>();
  nodesNode.items.forEach((item, i) => {
    const p = `spec.nodes[${i}]`;
    const n = fields(r, item as YamlNode, p, ['name', 'address', 'podCIDR', 'schedulable', 'labels']);
    const nodeName = scalar(n.get('name'));
    if (typeof nodeName !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(nodeName) || nodeName.length > 63)
      r.fail(n.get('name') ?? (item as YamlNode), `${p}.name`, `Invalid value: ${JSON.stringify(nodeName)}: a lowercase RFC 1123 label`);
    if (seenNames.has(nodeName) || nodeName === 'gateway' || nodeName === 'external') r.fail(n.get('name'), `${p}.name`, `Duplicate value: ${JSON.stringify(nodeName)}`);
    seenNames.add(nodeName);
    const address = ipOf(r, n.get('address'), `${p}.address`, scalar(n.get('address')));
    if (!inCidr(address, subnet) || address === gateway) r.fail(n.get('address'), `${p}.address`, `Invalid value: must be a free address inside ${subnet.text}`);
    if (seenAddrs.has(address)) r.fail(n.get('address'), `${p}.address`, 'Duplicate value');
    seenAddrs.add(address);
    const pod = n.get('podCIDR');
    const podCIDR = pod === undefined || pod === null ? null : cidrOf(r, pod, `${p}.podCIDR`, scalar(pod));
    if (podCIDR !== null && (podCIDR.prefixLen !== 24 || !inCidr(podCIDR.addr, clusterCIDR))) r.fail(pod, `${p}.podCIDR`, `Invalid value: must be a /24 inside ${clusterCIDR.text}`);
    const labels: Record<string, string> = {};
    const l = n.get('labels');
    if (l !== undefined && l !== null) for (const [k, v] of fields(r, l, `${p}.labels`, (isMap(l) ? l.items.map((x) => String(scalar(x.key as YamlNode))) : []))) labels[k] = String(scalar(v));
    nodes.push({ name: nodeName, address, podCIDR, schedulable: boolOf(r, n.get('schedulable'), `${p}.schedulable`, true), labels });
  });

  const manifests: string[] = [];
  const m = spec.get('manifests');
  if (m !== undefined && m !== null) {
    if (!isSeq(m)) r.fail(m, 'spec.manifests', 'must be a list of file names');
    for (const it of m.items) manifests.push(resolve(dirname(file), String(scalar(it as YamlNode))));
  }
  return {
    file,
    name,
    underlay: { device, subnet, gateway, mtu },
    external: { address: externalAddress, subnet: externalSubnet },
    clusterCIDR,
    serviceCIDR,
    docker0: boolOf(r, spec.get('docker0'), 'spec.docker0', false),
    kubeProxy,
    nodes,
    manifests,
  };
}

/** Reads and parses a cluster file. */
export function readClusterConfig(file: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ClusterConfigError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseClusterConfig(text, file);
}
