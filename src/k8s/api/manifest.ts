import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { parseCidr, parseIPv4 } from '../../packet/address.js';
import { labelSelectorMatches } from './labels.js';
import type { KubeObject, LabelSelector } from './types.js';
import { CLUSTER_SCOPED_KINDS, PLACEMENT_ANNOTATION } from './types.js';
import {
  checkDns1035Label, checkDns1123Label, checkDns1123Subdomain, checkLabelValue, checkPortName, checkPortNumber,
  checkQualifiedName, duplicate, forbidden, invalid, isIPv4, isIPv4Cidr, required, unsupported,
} from './validation.js';

/** A manifest the API server would reject; the message is one line `FILE:LINE: FIELD.PATH: message`. */
export class ManifestError extends Error {
  constructor(readonly file: string, readonly line: number, readonly field: string, readonly detail: string) {
    super(`${file}:${line}: ${field}: ${detail}`);
    this.name = 'ManifestError';
  }
}

/** Where an object parsed from a manifest came from: its file and the line of each field path. */
export interface ManifestSource {
  file: string;
  /** Field path (`spec.ports[0].port`) → 1-based line. */
  lines: Map<string, number>;
  /** The prefix of the object's paths inside the document (`items[2].` for a List item). */
  base: string;
}

const sources = new WeakMap<object, ManifestSource>();

/** The source of an object returned by parseManifests (kept through the store's copies only by `sourceLine` callers that pass the parsed object). */
export function manifestSource(obj: object): ManifestSource | undefined {
  return sources.get(obj);
}

/** Makes `to` share the manifest source of `from` (for copies made before validation, e.g. by apply). */
export function copyManifestSource(from: object, to: object): void {
  const src = sources.get(from);
  if (src !== undefined) sources.set(to, src);
}

/** The file and line of a field of a parsed object (the nearest enclosing field that has a line), or undefined. */
export function sourceLine(obj: object, path: string): { file: string; line: number } | undefined {
  const src = sources.get(obj);
  if (src === undefined) return undefined;
  return { file: src.file, line: lineOf(src, path) };
}

/**
 * A ManifestError for `field` of a parsed object when its source is known, else a plain Error
 * `KIND "NAME" is invalid: FIELD: message` as the API server words it.
 */
export function objectError(obj: KubeObject, field: string, detail: string, linePath: string = field): Error {
  const src = sources.get(obj);
  if (src !== undefined) return new ManifestError(src.file, lineOf(src, linePath), field, detail);
  return new Error(`${obj.kind} "${obj.metadata.name}" is invalid: ${field}: ${detail}`);
}

function lineOf(src: ManifestSource, path: string): number {
  let p = src.base + path;
  for (;;) {
    const line = src.lines.get(p);
    if (line !== undefined) return line;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return src.lines.get('') ?? 1;
    p = p.slice(0, cut);
  }
}

/** Options of parseManifests. */
export interface ManifestOptions {
  /** When given, a requested spec.clusterIP must lie inside it (the allocator's range check). */
  serviceCIDR?: string;
  /** The NodePort range; default 30000-32767. */
  nodePortRange?: [number, number];
}

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1', Node: 'v1', Pod: 'v1', Service: 'v1',
  Deployment: 'apps/v1', ReplicaSet: 'apps/v1', DaemonSet: 'apps/v1',
  EndpointSlice: 'discovery.k8s.io/v1',
};

/**
 * Parses multi-document YAML (and `kind: List`) into the objects of types.ts, validated as the
 * API server validates the fields the data plane uses and defaulted as it defaults them.
 * Throws a ManifestError naming file, line and field on the first problem.
 */
export function parseManifests(text: string, file: string, options: ManifestOptions = {}): KubeObject[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  const out: KubeObject[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err !== undefined) {
      const line = lineCounter.linePos(err.pos[0]).line;
      throw new ManifestError(file, line, 'yaml', err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
    }
    if (doc.contents === null) continue;
    const lines = new Map<string, number>();
    const line = (node: YamlNode | null | undefined): number | undefined =>
      node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    collectLines(doc.contents as YamlNode, '', lines, line);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (!isObject(value)) throw new ManifestError(file, lines.get('') ?? 1, '<document>', 'Invalid value: a manifest must be a mapping');
    if (value.kind === 'List') {
      const items = value.items;
      if (!Array.isArray(items)) throw new ManifestError(file, lines.get('items') ?? lines.get('') ?? 1, 'items', required());
      items.forEach((item, i) => {
        const src: ManifestSource = { file, lines, base: `items[${i}].` };
        if (!isObject(item)) throw new ManifestError(file, lineOf(src, ''), `items[${i}]`, 'Invalid value: a list item must be a mapping');
        out.push(parseObject(item, src, options));
      });
      continue;
    }
    out.push(parseObject(value, { file, lines, base: '' }, options));
  }
  return out;
}

function collectLines(node: YamlNode, path: string, lines: Map<string, number>, line: (n: YamlNode | null | undefined) => number | undefined): void {
  const l = line(node);
  if (l !== undefined && !lines.has(path)) lines.set(path, l);
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = path === '' ? key : `${path}.${key}`;
      const kl = line(pair.key as YamlNode);
      if (kl !== undefined) lines.set(child, kl);
      if (pair.value !== null && typeof pair.value === 'object') collectLines(pair.value as YamlNode, child, lines, line);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (item !== null && typeof item === 'object') collectLines(item as YamlNode, `${path}[${i}]`, lines, line);
    });
  }
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The validation of one object: field accessors that fail with file:line:field. */
class Checker {
  constructor(readonly src: ManifestSource, readonly options: ManifestOptions) {}

  fail(path: string, detail: string, field: string = path): never {
    throw new ManifestError(this.src.file, lineOf(this.src, path), field, detail);
  }

  known(obj: Obj, path: string, keys: ReadonlySet<string>): void {
    for (const k in obj) {
      if (!keys.has(k)) {
        const p = path === '' ? k : `${path}.${k}`;
        this.fail(p, `unknown field "${p}"`);
      }
    }
  }

  obj(parent: Obj, key: string, path: string): Obj | undefined {
    const v = parent[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) this.fail(path, invalid(v, 'must be an object'));
    return v;
  }

  arr(parent: Obj, key: string, path: string): unknown[] | undefined {
    const v = parent[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(path, invalid(v, 'must be a list'));
    return v;
  }

  str(parent: Obj, key: string, path: string): string | undefined {
    const v = parent[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(path, invalid(v, 'must be a string'));
    return v;
  }

  int(parent: Obj, key: string, path: string): number | undefined {
    const v = parent[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(path, invalid(v, 'must be an integer'));
    return v;
  }

  bool(parent: Obj, key: string, path: string): boolean | undefined {
    const v = parent[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(path, invalid(v, 'must be a boolean'));
    return v;
  }

  /** A map of strings (labels, selectors, annotations); values that YAML typed as numbers/booleans are an error as in JSON decoding. */
  strMap(parent: Obj, key: string, path: string, checkValue: boolean): Record<string, string> | undefined {
    const m = this.obj(parent, key, path);
    if (m === undefined) return undefined;
    for (const k in m) {
      const v = m[k];
      const p = `${path}.${k}`;
      if (typeof v !== 'string') this.fail(p, invalid(v, 'must be a string'));
      const badKey = checkQualifiedName(k);
      if (badKey !== null) this.fail(p, invalid(k, badKey), path);
      if (checkValue) {
        const badValue = checkLabelValue(v);
        if (badValue !== null) this.fail(p, invalid(v, badValue), `${path}`);
      }
    }
    return m as Record<string, string>;
  }
}

const TOP_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const SLICE_TOP_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'addressType', 'endpoints', 'ports']);
const META_KEYS = new Set([
  'name', 'generateName', 'namespace', 'labels', 'annotations', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'ownerReferences', 'finalizers',
  'managedFields', 'selfLink',
]);
const SERVICE_SPEC_KEYS = new Set([
  'type', 'selector', 'ports', 'clusterIP', 'clusterIPs', 'externalIPs', 'loadBalancerIP', 'loadBalancerSourceRanges',
  'loadBalancerClass', 'sessionAffinity', 'sessionAffinityConfig', 'externalTrafficPolicy', 'internalTrafficPolicy',
  'healthCheckNodePort', 'externalName', 'ipFamilies', 'ipFamilyPolicy', 'publishNotReadyAddresses',
  'allocateLoadBalancerNodePorts', 'trafficDistribution',
]);
const SERVICE_PORT_KEYS = new Set(['name', 'protocol', 'port', 'targetPort', 'nodePort', 'appProtocol']);
const WORKLOAD_SPEC_KEYS: Record<string, ReadonlySet<string>> = {
  Deployment: new Set(['replicas', 'selector', 'template', 'strategy', 'minReadySeconds', 'revisionHistoryLimit', 'paused', 'progressDeadlineSeconds']),
  ReplicaSet: new Set(['replicas', 'selector', 'template', 'minReadySeconds']),
  DaemonSet: new Set(['selector', 'template', 'updateStrategy', 'minReadySeconds', 'revisionHistoryLimit']),
};
const SELECTOR_KEYS = new Set(['matchLabels', 'matchExpressions']);
const TEMPLATE_KEYS = new Set(['metadata', 'spec']);
const POD_SPEC_KEYS = new Set([
  'volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds',
  'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount',
  'automountServiceAccountToken', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace',
  'securityContext', 'imagePullSecrets', 'hostname', 'subdomain', 'affinity', 'schedulerName', 'tolerations',
  'hostAliases', 'priorityClassName', 'priority', 'dnsConfig', 'readinessGates', 'runtimeClassName',
  'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints', 'setHostnameAsFQDN', 'os',
  'hostUsers', 'schedulingGates', 'resourceClaims', 'resources',
]);
const CONTAINER_KEYS = new Set([
  'name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy',
  'restartPolicy', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle',
  'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
]);
const CONTAINER_PORT_KEYS = new Set(['name', 'hostPort', 'containerPort', 'protocol', 'hostIP']);
const NODE_SPEC_KEYS = new Set(['podCIDR', 'podCIDRs', 'providerID', 'unschedulable', 'taints', 'configSource', 'externalID']);
const ENDPOINT_KEYS = new Set(['addresses', 'conditions', 'hostname', 'targetRef', 'deprecatedTopology', 'nodeName', 'zone', 'hints']);
const ENDPOINT_PORT_KEYS = new Set(['name', 'protocol', 'port', 'appProtocol']);
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;
const POLICIES = ['Cluster', 'Local'] as const;

function parseObject(value: Obj, src: ManifestSource, options: ManifestOptions): KubeObject {
  const c: Checker = new Checker(src, options);
  const kind = c.str(value, 'kind', 'kind');
  const apiVersion = c.str(value, 'apiVersion', 'apiVersion');
  if (kind === undefined) c.fail('kind', required('kind is missing'));
  if (apiVersion === undefined) c.fail('apiVersion', required('apiVersion is missing'));
  const expected = API_VERSIONS[kind];
  if (expected === undefined || expected !== apiVersion) {
    c.fail(expected === undefined ? 'kind' : 'apiVersion', `no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(apiVersion)}`);
  }
  c.known(value, '', kind === 'EndpointSlice' ? SLICE_TOP_KEYS : TOP_KEYS);
  const obj = structuredClone(value) as Obj;
  const meta = c.obj(obj, 'metadata', 'metadata');
  if (meta === undefined) c.fail('metadata', required());
  parseMeta(c, meta, kind);
  switch (kind) {
    case 'Namespace': {
      const bad = checkDns1123Label(meta.name as string);
      if (bad !== null) c.fail('metadata.name', invalid(meta.name, bad));
      delete obj.spec;
      delete obj.status;
      break;
    }
    case 'Node':
      parseNode(c, obj);
      break;
    case 'Pod': {
      const spec = c.obj(obj, 'spec', 'spec');
      if (spec === undefined) c.fail('spec', required());
      parsePodSpec(c, spec, 'spec', false);
      delete obj.status;
      break;
    }
    case 'Service':
      parseService(c, obj);
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      parseWorkload(c, obj, kind);
      break;
    case 'EndpointSlice':
      parseEndpointSlice(c, obj);
      break;
  }
  sources.set(obj, src);
  return obj as unknown as KubeObject;
}

function parseMeta(c: Checker, meta: Obj, kind: string): void {
  c.known(meta, 'metadata', META_KEYS);
  const name = c.str(meta, 'name', 'metadata.name');
  const generateName = c.str(meta, 'generateName', 'metadata.generateName');
  if (name === undefined || name === '') {
    if (generateName === undefined || generateName === '') c.fail('metadata.name', required('name or generateName is required'));
    meta.name = '';
  } else {
    const check = kind === 'Service' ? checkDns1035Label : checkDns1123Subdomain;
    const bad = check(name);
    if (bad !== null) c.fail('metadata.name', invalid(name, bad));
  }
  const ns = c.str(meta, 'namespace', 'metadata.namespace');
  if (CLUSTER_SCOPED_KINDS.has(kind as never)) {
    delete meta.namespace;
  } else {
    if (ns !== undefined) {
      const bad = checkDns1123Label(ns);
      if (bad !== null) c.fail('metadata.namespace', invalid(ns, bad));
    } else {
      meta.namespace = 'default';
    }
  }
  c.strMap(meta, 'labels', 'metadata.labels', true);
  const annotations = c.strMap(meta, 'annotations', 'metadata.annotations', false);
  const placement = annotations?.[PLACEMENT_ANNOTATION];
  if (placement !== undefined) {
    if (kind !== 'Deployment' && kind !== 'ReplicaSet') {
      c.fail(`metadata.annotations.${PLACEMENT_ANNOTATION}`, forbidden('only Deployments and ReplicaSets take a placement'), `metadata.annotations[${PLACEMENT_ANNOTATION}]`);
    }
    const bad = checkPlacement(placement);
    if (bad !== null) c.fail(`metadata.annotations.${PLACEMENT_ANNOTATION}`, invalid(placement, bad), `metadata.annotations[${PLACEMENT_ANNOTATION}]`);
  }
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'managedFields', 'selfLink']) {
    delete meta[k];
  }
}

/** One entry of the placement annotation: a node, and the pod IP to ask for (or null). */
export interface PlacementEntry {
  node: string;
  ip: string | null;
}

/** Parses `dpsim.io/placement` ("worker1/10.244.1.23 worker2"), or throws a plain Error saying what is wrong. */
export function parsePlacement(text: string): PlacementEntry[] {
  const out: PlacementEntry[] = [];
  for (const token of text.trim().split(/\s+/)) {
    if (token === '') continue;
    const slash = token.indexOf('/');
    const node = slash < 0 ? token : token.slice(0, slash);
    const ip = slash < 0 ? null : token.slice(slash + 1);
    const bad = checkDns1123Subdomain(node);
    if (bad !== null) throw new Error(`node name ${JSON.stringify(node)}: ${bad}`);
    if (ip !== null && !isIPv4(ip)) throw new Error(`${JSON.stringify(ip)} is not an IPv4 address`);
    out.push({ node, ip });
  }
  if (out.length === 0) throw new Error('must name at least one node');
  return out;
}

function checkPlacement(text: string): string | null {
  try {
    parsePlacement(text);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function parseSelector(c: Checker, parent: Obj, path: string): void {
  const sel = c.obj(parent, 'selector', path);
  if (sel === undefined) c.fail(path, required());
  c.known(sel, path, SELECTOR_KEYS);
  c.strMap(sel, 'matchLabels', `${path}.matchLabels`, true);
  const exprs = c.arr(sel, 'matchExpressions', `${path}.matchExpressions`) ?? [];
  exprs.forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    if (!isObject(e)) c.fail(p, invalid(e, 'must be an object'));
    const key = c.str(e, 'key', `${p}.key`);
    if (key === undefined) c.fail(`${p}.key`, required());
    const op = c.str(e, 'operator', `${p}.operator`);
    const ops = ['DoesNotExist', 'Exists', 'In', 'NotIn'];
    if (op === undefined || !ops.includes(op)) c.fail(`${p}.operator`, op === undefined ? required() : invalid(op, 'not a valid selector operator'));
    const values = c.arr(e, 'values', `${p}.values`) ?? [];
    if ((op === 'In' || op === 'NotIn') && values.length === 0) c.fail(`${p}.values`, required('must be specified when `operator` is \'In\' or \'NotIn\''));
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) c.fail(`${p}.values`, forbidden('may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
  });
}

function parseWorkload(c: Checker, obj: Obj, kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet'): void {
  const spec = c.obj(obj, 'spec', 'spec');
  if (spec === undefined) c.fail('spec', required());
  c.known(spec, 'spec', WORKLOAD_SPEC_KEYS[kind]!);
  if (kind !== 'DaemonSet') {
    const replicas = c.int(spec, 'replicas', 'spec.replicas');
    if (replicas === undefined) spec.replicas = 1;
    else if (replicas < 0) c.fail('spec.replicas', invalid(replicas, 'must be greater than or equal to 0'));
  }
  parseSelector(c, spec, 'spec.selector');
  const sel = spec.selector as Obj;
  if (Object.keys((sel.matchLabels as Obj | undefined) ?? {}).length === 0 && ((sel.matchExpressions as unknown[] | undefined) ?? []).length === 0) {
    c.fail('spec.selector', invalid(sel, `empty selector is invalid for ${kind === 'Deployment' ? 'deployment' : kind === 'ReplicaSet' ? 'replicaset' : 'daemonset'}`));
  }
  const template = c.obj(spec, 'template', 'spec.template');
  if (template === undefined) c.fail('spec.template', required());
  c.known(template, 'spec.template', TEMPLATE_KEYS);
  const tmeta = c.obj(template, 'metadata', 'spec.template.metadata') ?? {};
  template.metadata = tmeta;
  const labels = c.strMap(tmeta, 'labels', 'spec.template.metadata.labels', true) ?? {};
  c.strMap(tmeta, 'annotations', 'spec.template.metadata.annotations', false);
  const tspec = c.obj(template, 'spec', 'spec.template.spec');
  if (tspec === undefined) c.fail('spec.template.spec', required());
  parsePodSpec(c, tspec, 'spec.template.spec', true);
  if (!labelSelectorMatches(sel as LabelSelector, labels)) {
    c.fail('spec.template.metadata.labels', invalid(labels, '`selector` does not match template `labels`'));
  }
  delete obj.status;
}

function parsePodSpec(c: Checker, spec: Obj, path: string, inTemplate: boolean): void {
  c.known(spec, path, POD_SPEC_KEYS);
  const containers = c.arr(spec, 'containers', `${path}.containers`);
  if (containers === undefined || containers.length === 0) c.fail(`${path}.containers`, required());
  const containerNames = new Set<string>();
  const portNames = new Set<string>();
  containers.forEach((ct, i) => {
    const p = `${path}.containers[${i}]`;
    if (!isObject(ct)) c.fail(p, invalid(ct, 'must be an object'));
    c.known(ct, p, CONTAINER_KEYS);
    const name = c.str(ct, 'name', `${p}.name`);
    if (name === undefined || name === '') c.fail(`${p}.name`, required());
    const bad = checkDns1123Label(name);
    if (bad !== null) c.fail(`${p}.name`, invalid(name, bad));
    if (containerNames.has(name)) c.fail(`${p}.name`, duplicate(name));
    containerNames.add(name);
    c.str(ct, 'image', `${p}.image`);
    const ports = c.arr(ct, 'ports', `${p}.ports`) ?? [];
    ports.forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      if (!isObject(port)) c.fail(pp, invalid(port, 'must be an object'));
      c.known(port, pp, CONTAINER_PORT_KEYS);
      const num = c.int(port, 'containerPort', `${pp}.containerPort`);
      if (num === undefined) c.fail(`${pp}.containerPort`, required());
      const badNum = checkPortNumber(num);
      if (badNum !== null) c.fail(`${pp}.containerPort`, invalid(num, badNum));
      const hostPort = c.int(port, 'hostPort', `${pp}.hostPort`);
      if (hostPort !== undefined && hostPort !== 0 && checkPortNumber(hostPort) !== null) c.fail(`${pp}.hostPort`, invalid(hostPort, checkPortNumber(hostPort)!));
      const pname = c.str(port, 'name', `${pp}.name`);
      if (pname !== undefined) {
        const badName = checkPortName(pname);
        if (badName !== null) c.fail(`${pp}.name`, invalid(pname, badName));
        if (portNames.has(pname)) c.fail(`${pp}.name`, duplicate(pname));
        portNames.add(pname);
      }
      port.protocol = protocolOf(c, port, `${pp}.protocol`);
    });
  });
  c.strMap(spec, 'nodeSelector', `${path}.nodeSelector`, true);
  const grace = c.int(spec, 'terminationGracePeriodSeconds', `${path}.terminationGracePeriodSeconds`);
  if (grace === undefined) spec.terminationGracePeriodSeconds = 30;
  else if (grace < 0) c.fail(`${path}.terminationGracePeriodSeconds`, invalid(grace, 'must be greater than or equal to 0'));
  const restart = c.str(spec, 'restartPolicy', `${path}.restartPolicy`);
  if (restart === undefined) spec.restartPolicy = 'Always';
  else if (inTemplate && restart !== 'Always') c.fail(`${path}.restartPolicy`, unsupported(restart, ['Always']));
  else if (!['Always', 'OnFailure', 'Never'].includes(restart)) c.fail(`${path}.restartPolicy`, unsupported(restart, ['Always', 'OnFailure', 'Never']));
  const nodeName = c.str(spec, 'nodeName', `${path}.nodeName`);
  if (nodeName !== undefined && nodeName !== '') {
    const bad = checkDns1123Subdomain(nodeName);
    if (bad !== null) c.fail(`${path}.nodeName`, invalid(nodeName, bad));
  }
  c.bool(spec, 'hostNetwork', `${path}.hostNetwork`);
  const tolerations = c.arr(spec, 'tolerations', `${path}.tolerations`) ?? [];
  tolerations.forEach((t, i) => {
    const p = `${path}.tolerations[${i}]`;
    if (!isObject(t)) c.fail(p, invalid(t, 'must be an object'));
    const op = c.str(t, 'operator', `${p}.operator`);
    if (op !== undefined && op !== 'Exists' && op !== 'Equal') c.fail(`${p}.operator`, unsupported(op, ['Equal', 'Exists']));
    const key = c.str(t, 'key', `${p}.key`);
    if ((key === undefined || key === '') && op !== 'Exists') c.fail(`${p}.operator`, invalid(op ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
  });
  for (const key of ['hostname', 'subdomain']) {
    const v = c.str(spec, key, `${path}.${key}`);
    if (v !== undefined) {
      const bad = checkDns1123Label(v);
      if (bad !== null) c.fail(`${path}.${key}`, invalid(v, bad));
    }
  }
}

function protocolOf(c: Checker, parent: Obj, path: string): string {
  const p = c.str(parent, 'protocol', path);
  if (p === undefined) return 'TCP';
  if (!(PROTOCOLS as readonly string[]).includes(p)) c.fail(path, unsupported(p, PROTOCOLS));
  return p;
}

function parseService(c: Checker, obj: Obj): void {
  const spec = c.obj(obj, 'spec', 'spec') ?? {};
  obj.spec = spec;
  c.known(spec, 'spec', SERVICE_SPEC_KEYS);
  const type = c.str(spec, 'type', 'spec.type') ?? 'ClusterIP';
  if (!(SERVICE_TYPES as readonly string[]).includes(type)) c.fail('spec.type', unsupported(type, SERVICE_TYPES));
  spec.type = type;
  const external = type === 'NodePort' || type === 'LoadBalancer';
  const externalName = type === 'ExternalName';

  const clusterIP = c.str(spec, 'clusterIP', 'spec.clusterIP');
  const clusterIPs = c.arr(spec, 'clusterIPs', 'spec.clusterIPs');
  if (clusterIPs !== undefined) {
    clusterIPs.forEach((ip, i) => {
      if (typeof ip !== 'string') c.fail(`spec.clusterIPs[${i}]`, invalid(ip, 'must be a string'));
    });
    if (clusterIP !== undefined && clusterIP !== '' && clusterIPs.length > 0 && clusterIPs[0] !== clusterIP) {
      c.fail('spec.clusterIPs', invalid(clusterIPs, 'must match `clusterIP` when provided'));
    }
    if (clusterIPs.length > 1) c.fail('spec.clusterIPs', invalid(clusterIPs, 'dpsim models single-stack IPv4 services: at most one cluster IP'));
  }
  const ip = clusterIP !== undefined && clusterIP !== '' ? clusterIP : (clusterIPs?.[0] as string | undefined);
  if (ip !== undefined && ip !== '') {
    const linePath = clusterIP !== undefined ? 'spec.clusterIP' : 'spec.clusterIPs[0]';
    if (externalName) c.fail(linePath, forbidden('may not be set for ExternalName services'), 'spec.clusterIP');
    if (ip === 'None') {
      if (external) c.fail(linePath, invalid('None', `may not be set to 'None' for ${type} services`), 'spec.clusterIPs[0]');
    } else if (!isIPv4(ip)) {
      c.fail(linePath, invalid(ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'), 'spec.clusterIPs[0]');
    } else if (c.options.serviceCIDR !== undefined && !inCidr(ip, c.options.serviceCIDR)) {
      c.fail(linePath, invalid([ip], `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${c.options.serviceCIDR}`), 'spec.clusterIPs');
    }
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  } else {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  const headless = ip === 'None';

  if (externalName) {
    const en = c.str(spec, 'externalName', 'spec.externalName');
    if (en === undefined || en === '') c.fail('spec.externalName', required());
    const bad = checkDns1123Subdomain(en.endsWith('.') ? en.slice(0, -1) : en);
    if (bad !== null) c.fail('spec.externalName', invalid(en, bad));
  }

  const ports = c.arr(spec, 'ports', 'spec.ports') ?? [];
  if (ports.length === 0 && !headless && !externalName) c.fail('spec.ports', required());
  const names = new Set<string>();
  const portKeys = new Set<string>();
  const nodePorts = new Set<string>();
  const [npLo, npHi] = c.options.nodePortRange ?? [30000, 32767];
  ports.forEach((port, i) => {
    const p = `spec.ports[${i}]`;
    if (!isObject(port)) c.fail(p, invalid(port, 'must be an object'));
    c.known(port, p, SERVICE_PORT_KEYS);
    const name = c.str(port, 'name', `${p}.name`) ?? '';
    if (name === '' && ports.length > 1) c.fail(`${p}.name`, required());
    if (name !== '') {
      const bad = checkDns1123Label(name);
      if (bad !== null) c.fail(`${p}.name`, invalid(name, bad));
      if (names.has(name)) c.fail(`${p}.name`, duplicate(name));
      names.add(name);
    }
    const num = c.int(port, 'port', `${p}.port`);
    if (num === undefined) c.fail(`${p}.port`, required());
    const bad = checkPortNumber(num);
    if (bad !== null) c.fail(`${p}.port`, invalid(num, bad));
    const protocol = protocolOf(c, port, `${p}.protocol`);
    port.protocol = protocol;
    const key = `${num}/${protocol}`;
    if (portKeys.has(key)) c.fail(p, duplicate({ port: num, protocol }));
    portKeys.add(key);
    const target = port.targetPort;
    if (target === undefined || target === null || target === 0 || target === '') {
      port.targetPort = num;
    } else if (typeof target === 'number') {
      const badT = checkPortNumber(target);
      if (badT !== null) c.fail(`${p}.targetPort`, invalid(target, badT));
    } else if (typeof target === 'string') {
      const badT = checkPortName(target);
      if (badT !== null) c.fail(`${p}.targetPort`, invalid(target, badT));
    } else {
      c.fail(`${p}.targetPort`, invalid(target, 'must be an integer or a port name'));
    }
    const nodePort = c.int(port, 'nodePort', `${p}.nodePort`);
    if (nodePort !== undefined && nodePort !== 0) {
      if (!external) c.fail(`${p}.nodePort`, forbidden(`may not be used when \`type\` is '${type}'`));
      if (nodePort < npLo || nodePort > npHi) {
        c.fail(`${p}.nodePort`, invalid(nodePort, `provided port is not in the valid range. The range of valid ports is ${npLo}-${npHi}`));
      }
      const nk = `${nodePort}/${protocol}`;
      if (nodePorts.has(nk)) c.fail(`${p}.nodePort`, duplicate(nodePort));
      nodePorts.add(nk);
    } else {
      delete port.nodePort;
    }
    c.str(port, 'appProtocol', `${p}.appProtocol`);
  });
  spec.ports = ports;

  const selector = c.strMap(spec, 'selector', 'spec.selector', true);
  if (selector !== undefined && Object.keys(selector).length === 0) delete spec.selector;

  const affinity = c.str(spec, 'sessionAffinity', 'spec.sessionAffinity') ?? 'None';
  if (affinity !== 'None' && affinity !== 'ClientIP') c.fail('spec.sessionAffinity', unsupported(affinity, ['ClientIP', 'None']));
  spec.sessionAffinity = affinity;
  const cfg = c.obj(spec, 'sessionAffinityConfig', 'spec.sessionAffinityConfig');
  if (affinity === 'None') {
    if (cfg !== undefined && Object.keys(cfg).length > 0) {
      c.fail('spec.sessionAffinityConfig', invalid(cfg, 'must not be set when `sessionAffinity` is None'));
    }
    delete spec.sessionAffinityConfig;
  } else {
    const conf = cfg ?? {};
    const clientIP = c.obj(conf, 'clientIP', 'spec.sessionAffinityConfig.clientIP') ?? {};
    const timeout = c.int(clientIP, 'timeoutSeconds', 'spec.sessionAffinityConfig.clientIP.timeoutSeconds');
    if (timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
      c.fail('spec.sessionAffinityConfig.clientIP.timeoutSeconds', invalid(timeout, 'must be greater than 0 and less than 86400'));
    }
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: timeout ?? 10800 } };
  }

  const externalIPs = c.arr(spec, 'externalIPs', 'spec.externalIPs') ?? [];
  externalIPs.forEach((e, i) => {
    if (typeof e !== 'string' || !isIPv4(e)) c.fail(`spec.externalIPs[${i}]`, invalid(e, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  });
  const accessible = external || externalIPs.length > 0;

  const etp = c.str(spec, 'externalTrafficPolicy', 'spec.externalTrafficPolicy');
  if (etp !== undefined && etp !== '') {
    if (!(POLICIES as readonly string[]).includes(etp)) c.fail('spec.externalTrafficPolicy', unsupported(etp, POLICIES));
    if (!accessible) c.fail('spec.externalTrafficPolicy', invalid(etp, 'may only be set for externally-accessible services'));
  } else if (external) {
    spec.externalTrafficPolicy = 'Cluster';
  } else {
    delete spec.externalTrafficPolicy;
  }
  const itp = c.str(spec, 'internalTrafficPolicy', 'spec.internalTrafficPolicy');
  if (itp !== undefined && itp !== '') {
    if (!(POLICIES as readonly string[]).includes(itp)) c.fail('spec.internalTrafficPolicy', unsupported(itp, POLICIES));
    if (externalName) c.fail('spec.internalTrafficPolicy', forbidden('may not be set for ExternalName services'));
  } else if (!externalName) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  const hc = c.int(spec, 'healthCheckNodePort', 'spec.healthCheckNodePort');
  if (hc !== undefined && hc !== 0) {
    if (type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local') {
      c.fail('spec.healthCheckNodePort', invalid(hc, 'may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\''));
    }
    const badHc = checkPortNumber(hc);
    if (badHc !== null) c.fail('spec.healthCheckNodePort', invalid(hc, badHc));
  }
  const ranges = c.arr(spec, 'loadBalancerSourceRanges', 'spec.loadBalancerSourceRanges') ?? [];
  if (ranges.length > 0 && type !== 'LoadBalancer') c.fail('spec.loadBalancerSourceRanges', forbidden('may only be used when `type` is \'LoadBalancer\''));
  ranges.forEach((r, i) => {
    if (typeof r !== 'string' || !isIPv4Cidr(r.trim())) c.fail(`spec.loadBalancerSourceRanges[${i}]`, invalid(r, 'must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 '));
  });
  c.bool(spec, 'publishNotReadyAddresses', 'spec.publishNotReadyAddresses');
  const families = c.arr(spec, 'ipFamilies', 'spec.ipFamilies');
  if (families !== undefined && families.some((f) => f !== 'IPv4')) c.fail('spec.ipFamilies', unsupported(families.find((f) => f !== 'IPv4'), ['IPv4']));
  delete obj.status;
}

function inCidr(ip: string, cidr: string): boolean {
  const a = parseIPv4(ip);
  const n = parseCidr(cidr);
  if (a === null || n === null) return false;
  const mask = n.prefixLen === 0 ? 0 : (0xffffffff << (32 - n.prefixLen)) >>> 0;
  return ((a & mask) >>> 0) === ((n.addr & mask) >>> 0);
}

function parseNode(c: Checker, obj: Obj): void {
  const spec = c.obj(obj, 'spec', 'spec');
  if (spec !== undefined) {
    c.known(spec, 'spec', NODE_SPEC_KEYS);
    const podCIDR = c.str(spec, 'podCIDR', 'spec.podCIDR');
    if (podCIDR !== undefined && podCIDR !== '' && !isIPv4Cidr(podCIDR)) c.fail('spec.podCIDR', invalid(podCIDR, 'must be a valid CIDR'));
    c.bool(spec, 'unschedulable', 'spec.unschedulable');
    const taints = c.arr(spec, 'taints', 'spec.taints') ?? [];
    taints.forEach((t, i) => {
      const p = `spec.taints[${i}]`;
      if (!isObject(t)) c.fail(p, invalid(t, 'must be an object'));
      if (c.str(t, 'key', `${p}.key`) === undefined) c.fail(`${p}.key`, required());
      const effect = c.str(t, 'effect', `${p}.effect`);
      const effects = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
      if (effect === undefined || !effects.includes(effect)) c.fail(`${p}.effect`, effect === undefined ? required() : unsupported(effect, effects));
    });
  }
  const status = c.obj(obj, 'status', 'status');
  const addresses = status === undefined ? undefined : c.arr(status, 'addresses', 'status.addresses');
  addresses?.forEach((a, i) => {
    const p = `status.addresses[${i}]`;
    if (!isObject(a)) c.fail(p, invalid(a, 'must be an object'));
    const t = c.str(a, 'type', `${p}.type`);
    const types = ['ExternalDNS', 'ExternalIP', 'Hostname', 'InternalDNS', 'InternalIP'];
    if (t === undefined || !types.includes(t)) c.fail(`${p}.type`, t === undefined ? required() : unsupported(t, types));
    const addr = c.str(a, 'address', `${p}.address`);
    if (addr === undefined) c.fail(`${p}.address`, required());
    if ((t === 'InternalIP' || t === 'ExternalIP') && !isIPv4(addr)) c.fail(`${p}.address`, invalid(addr, 'must be a valid IP address'));
  });
}

function parseEndpointSlice(c: Checker, obj: Obj): void {
  const at = c.str(obj, 'addressType', 'addressType');
  if (at === undefined) c.fail('addressType', required());
  if (!['FQDN', 'IPv4', 'IPv6'].includes(at)) c.fail('addressType', unsupported(at, ['FQDN', 'IPv4', 'IPv6']));
  const endpoints = c.arr(obj, 'endpoints', 'endpoints') ?? [];
  if (endpoints.length > 1000) c.fail('endpoints', `Too many: ${endpoints.length}: must have at most 1000 items`);
  obj.endpoints = endpoints;
  endpoints.forEach((e, i) => {
    const p = `endpoints[${i}]`;
    if (!isObject(e)) c.fail(p, invalid(e, 'must be an object'));
    c.known(e, p, ENDPOINT_KEYS);
    const addrs = c.arr(e, 'addresses', `${p}.addresses`);
    if (addrs === undefined || addrs.length === 0) c.fail(`${p}.addresses`, required('must contain at least 1 address'));
    if (addrs.length > 100) c.fail(`${p}.addresses`, `Too many: ${addrs.length}: must have at most 100 items`);
    addrs.forEach((a, j) => {
      if (typeof a !== 'string' || (at === 'IPv4' && !isIPv4(a))) c.fail(`${p}.addresses[${j}]`, invalid(a, 'must be a valid IPv4 address'));
    });
    const cond = c.obj(e, 'conditions', `${p}.conditions`);
    if (cond !== undefined) for (const k of ['ready', 'serving', 'terminating']) c.bool(cond, k, `${p}.conditions.${k}`);
    c.str(e, 'nodeName', `${p}.nodeName`);
  });
  const ports = c.arr(obj, 'ports', 'ports') ?? [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `ports[${i}]`;
    if (!isObject(port)) c.fail(p, invalid(port, 'must be an object'));
    c.known(port, p, ENDPOINT_PORT_KEYS);
    const name = c.str(port, 'name', `${p}.name`) ?? '';
    if (name !== '') {
      const bad = checkDns1123Label(name);
      if (bad !== null) c.fail(`${p}.name`, invalid(name, bad));
    }
    if (names.has(name)) c.fail(`${p}.name`, duplicate(name));
    names.add(name);
    port.name = name;
    const num = c.int(port, 'port', `${p}.port`);
    if (num !== undefined) {
      const bad = checkPortNumber(num);
      if (bad !== null) c.fail(`${p}.port`, invalid(num, bad));
    }
    port.protocol = protocolOf(c, port, `${p}.protocol`);
  });
  obj.ports = ports;
}
