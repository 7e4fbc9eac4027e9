import type { Random } from '../../sim/random.js';
import { SEC } from '../../sim/time.js';
import type { KubeKind, KubeObject, ObjectOfKind, Pod } from './types.js';
import { CLUSTER_SCOPED_KINDS } from './types.js';
import { copyManifestSource } from './manifest.js';

/** What happened to an object, as a watch reports it. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One watch event: the object after the change (before it, for DELETED) and, for MODIFIED, the object before. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
  old: T | null;
}

export type WatchHandler<T extends KubeObject = KubeObject> = (event: WatchEvent<T>) => void;

/**
 * An admission step run inside create/update before the object is stored (the API server's
 * defaulting, registry allocators): it may fill fields of `obj` or throw to reject the request.
 * `input` is the caller's own object (for errors that name its manifest line, see objectError).
 */
export type Admission<T extends KubeObject = KubeObject> = (obj: T, old: T | null, input: T) => void;

/** The virtual clock the store stamps objects with (a sim Scheduler is one). */
export interface Clock {
  readonly now: number;
}

/** A request the API server refuses, with its reason (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`). */
export class ApiError extends Error {
  constructor(readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid', message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Virtual time 0 is this instant (ms since the Unix epoch): 2019-06-01T00:00:00Z. */
export const VIRTUAL_EPOCH_MS = Date.UTC(2019, 5, 1);

/** The RFC 3339 timestamp (second precision, as metav1.Time serialises) of a virtual time in ns. */
export function virtualTimestamp(ns: number): string {
  return new Date(VIRTUAL_EPOCH_MS + Math.floor(ns / SEC) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The virtual time in ns of a timestamp written by virtualTimestamp (or any RFC 3339 time), or null. */
export function parseVirtualTimestamp(text: string | undefined): number | null {
  if (text === undefined) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : (ms - VIRTUAL_EPOCH_MS) * 1e6;
}

/** The alphabet of utilrand.String: generated name suffixes (no vowels, no confusable digits). */
export const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A random name suffix of `n` characters from NAME_SUFFIX_ALPHABET, drawn from `random`. */
export function randomSuffix(random: Random, n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_SUFFIX_ALPHABET[random.int(0, NAME_SUFFIX_ALPHABET.length - 1)];
  return s;
}

/** Namespaces every cluster starts with. */
export const INITIAL_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

/** Options of an ApiStore. */
export interface ApiStoreOptions {
  random: Random;
  clock: Clock;
  /** Create default, kube-system, kube-public, kube-node-lease at once (default true). */
  initialNamespaces?: boolean;
}

/** Options of ApiStore.delete. */
export interface DeleteOptions {
  /** For pods: seconds until removal; default spec.terminationGracePeriodSeconds (30). 0 removes at once. */
  gracePeriodSeconds?: number;
}

type Stored = Map<string, Map<string, KubeObject>>; // namespace ("" for cluster-scoped) → name → object

/**
 * The API server's storage: objects by kind, namespace and name, with uid and resourceVersion,
 * graceful pod deletion, and watches.
 *
 * Event delivery is synchronous and ordered: every change appends an event to one FIFO queue,
 * and the queue is drained before the mutating call returns, each event going to the kind's
 * handlers in the order they were registered, then to the all-kinds handlers. A handler that
 * changes the store appends to the same queue, so its events are delivered after the current
 * one, to everyone. When the queue is empty the idle hooks run in registration order (the
 * controllers' batched syncs); if they change the store, delivery resumes. So a controller
 * sees the same events in the same order on every run, and `create` returns with every
 * controller's reaction done (up to virtual-time waits such as termination grace).
 */
export class ApiStore {
  readonly random: Random;
  readonly clock: Clock;
  private readonly objects = new Map<KubeKind, Stored>();
  /** Sorted views, built on demand: per kind, the namespaces' names and each namespace's object names (dropped when one is added or removed). */
  private readonly sortedNamespaces = new Map<KubeKind, string[]>();
  private readonly sortedNames = new Map<KubeKind, Map<string, string[]>>();
  /** Per kind, the lists as list() orders them (all namespaces under ALL_NAMESPACES), dropped on any change of the kind. */
  private readonly views = new Map<KubeKind, Map<string, readonly KubeObject[]>>();
  private readonly handlers = new Map<KubeKind, WatchHandler[]>();
  private readonly allHandlers: WatchHandler[] = [];
  private readonly admissions = new Map<KubeKind, Admission[]>();
  private readonly idleHooks: (() => void)[] = [];
  private readonly queue: WatchEvent[] = [];
  private dispatching = false;
  private version = 0;

  constructor(options: ApiStoreOptions) {
    this.random = options.random;
    this.clock = options.clock;
    if (options.initialNamespaces ?? true) {
      for (const name of INITIAL_NAMESPACES) this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
  }

  /** The current virtual time as an RFC 3339 timestamp. */
  timestamp(): string {
    return virtualTimestamp(this.clock.now);
  }

  /** Registers an admission step for a kind (run on create and update, in registration order). */
  admit<K extends KubeKind>(kind: K, admission: Admission<ObjectOfKind<K>>): void {
    let list = this.admissions.get(kind);
    if (list === undefined) this.admissions.set(kind, (list = []));
    list.push(admission as unknown as Admission);
  }

  /** Watches one kind; returns a function that stops the watch. */
  watch<K extends KubeKind>(kind: K, handler: WatchHandler<ObjectOfKind<K>>): () => void {
    let list = this.handlers.get(kind);
    if (list === undefined) this.handlers.set(kind, (list = []));
    const h = handler as unknown as WatchHandler;
    list.push(h);
    return () => {
      const i = list!.indexOf(h);
      if (i >= 0) list!.splice(i, 1);
    };
  }

  /** Watches every kind; returns a function that stops the watch. */
  watchAll(handler: WatchHandler): () => void {
    this.allHandlers.push(handler);
    return () => {
      const i = this.allHandlers.indexOf(handler);
      if (i >= 0) this.allHandlers.splice(i, 1);
    };
  }

  /** Registers a function run whenever the event queue has drained (see the class comment). */
  onIdle(hook: () => void): void {
    this.idleHooks.push(hook);
  }

  /** The object, or undefined. Returned objects belong to the store: never mutate them, pass a copy to update. */
  get<K extends KubeKind>(kind: K, namespace: string | undefined, name: string): ObjectOfKind<K> | undefined {
    return this.objects.get(kind)?.get(this.nsOf(kind, namespace))?.get(name) as ObjectOfKind<K> | undefined;
  }

  /** The objects of a kind (in one namespace, or all), ordered by namespace then name as the API server lists them. */
  list<K extends KubeKind>(kind: K, namespace?: string): ObjectOfKind<K>[] {
    return this.listView(kind, namespace).slice();
  }

  /**
   * What list() returns, as the store's own array: kept until an object of the kind changes,
   * so repeated listings between changes (every node's kube-proxy reading the same Services)
   * cost nothing. Neither the array nor its objects may be mutated.
   */
  listView<K extends KubeKind>(kind: K, namespace?: string): readonly ObjectOfKind<K>[] {
    const byNs = this.objects.get(kind);
    if (byNs === undefined) return EMPTY_LIST as readonly ObjectOfKind<K>[];
    const all = namespace === undefined || CLUSTER_SCOPED_KINDS.has(kind);
    const viewKey = all ? ALL_NAMESPACES : namespace;
    let views = this.views.get(kind);
    if (views === undefined) this.views.set(kind, (views = new Map()));
    let out = views.get(viewKey) as KubeObject[] | undefined;
    if (out === undefined) {
      out = [];
      if (all) {
        let namespaces = this.sortedNamespaces.get(kind);
        if (namespaces === undefined) this.sortedNamespaces.set(kind, (namespaces = [...byNs.keys()].sort()));
        for (const ns of namespaces) this.appendSorted(kind, ns, byNs.get(ns)!, out);
      } else {
        const m = byNs.get(namespace);
        if (m !== undefined) this.appendSorted(kind, namespace, m, out);
      }
      views.set(viewKey, out);
    }
    return out as unknown as readonly ObjectOfKind<K>[];
  }

  /** Appends a namespace's objects of `kind` in name order. */
  private appendSorted(kind: KubeKind, ns: string, m: Map<string, KubeObject>, out: KubeObject[]): void {
    let byNs = this.sortedNames.get(kind);
    if (byNs === undefined) this.sortedNames.set(kind, (byNs = new Map()));
    let names = byNs.get(ns);
    if (names === undefined) byNs.set(ns, (names = [...m.keys()].sort()));
    for (const n of names) out.push(m.get(n)!);
  }

  /** How many objects of a kind the store holds. */
  count(kind: KubeKind): number {
    let n = 0;
    for (const m of this.objects.get(kind)?.values() ?? []) n += m.size;
    return n;
  }

  /** Creates an object (a copy of `input`): fills namespace, generateName, uid, resourceVersion, creationTimestamp. */
  create<T extends KubeObject>(input: T): T {
    const obj = cloneObject(input);
    const kind = obj.kind;
    const meta = obj.metadata;
    const ns = this.nsOf(kind, meta.namespace);
    if (CLUSTER_SCOPED_KINDS.has(kind)) delete meta.namespace;
    else {
      meta.namespace = ns;
      if (this.get('Namespace', undefined, ns) === undefined) throw new ApiError('NotFound', `namespaces "${ns}" not found`);
      const nsObj = this.get('Namespace', undefined, ns)!;
      if (nsObj.metadata.deletionTimestamp !== undefined) {
        throw new ApiError('Conflict', `${kindResource(kind)} "${meta.name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
      }
    }
    if ((meta.name === undefined || meta.name === '') && meta.generateName) {
      for (;;) {
        const name = meta.generateName + randomSuffix(this.random);
        if (this.get(kind, ns, name) === undefined) {
          meta.name = name;
          break;
        }
      }
    }
    if (!meta.name) throw new ApiError('Invalid', `${kind} is invalid: metadata.name: Required value: name or generateName is required`);
    if (this.get(kind, ns, meta.name) !== undefined) {
      throw new ApiError('AlreadyExists', `${kindResource(kind)} "${meta.name}" already exists`);
    }
    for (const a of this.admissions.get(kind) ?? []) a(obj, null, input);
    meta.uid = this.newUid();
    meta.resourceVersion = String(++this.version);
    meta.creationTimestamp = this.timestamp();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    this.put(kind, ns, meta.name, obj);
    this.emit({ type: 'ADDED', object: obj, old: null });
    return obj;
  }

  /**
   * Replaces an object with (a copy of) `input`; uid and creationTimestamp are kept from the
   * stored one. When input carries a resourceVersion it must be the stored one (optimistic
   * concurrency), else a Conflict. Returns the stored object.
   */
  update<T extends KubeObject>(input: T): T {
    const kind = input.kind;
    const ns = this.nsOf(kind, input.metadata.namespace);
    const old = this.get(kind, ns, input.metadata.name) as T | undefined;
    if (old === undefined) throw new ApiError('NotFound', `${kindResource(kind)} "${input.metadata.name}" not found`);
    if (input.metadata.resourceVersion !== undefined && input.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw new ApiError('Conflict', `Operation cannot be fulfilled on ${kindResource(kind)} "${input.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const obj = cloneObject(input);
    if (!CLUSTER_SCOPED_KINDS.has(kind)) obj.metadata.namespace = ns;
    for (const a of this.admissions.get(kind) ?? []) a(obj, old, input);
    obj.metadata.uid = old.metadata.uid;
    obj.metadata.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp !== undefined) {
      obj.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      obj.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    }
    const specChanged = !sameJson((obj as { spec?: unknown }).spec, (old as { spec?: unknown }).spec);
    obj.metadata.generation = (old.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    obj.metadata.resourceVersion = String(++this.version);
    this.put(kind, ns, obj.metadata.name, obj);
    this.emit({ type: 'MODIFIED', object: obj, old });
    return obj;
  }

  /**
   * Creates the object or, when it exists, updates it as `kubectl apply` does: the manifest's
   * metadata labels/annotations and spec replace the stored ones, status and server-set
   * fields (kept by the admission steps, e.g. an allocated clusterIP) stay.
   */
  apply<T extends KubeObject>(input: T): T {
    const old = this.get(input.kind, input.metadata.namespace, input.metadata.name) as T | undefined;
    if (old === undefined) return this.create(input);
    const merged = cloneObject(old) as T & { spec?: unknown; status?: unknown };
    merged.metadata.labels = input.metadata.labels;
    merged.metadata.annotations = input.metadata.annotations;
    const src = input as unknown as Record<string, unknown>;
    for (const key of Object.keys(src)) {
      if (key !== 'metadata' && key !== 'status' && key !== 'apiVersion' && key !== 'kind') (merged as unknown as Record<string, unknown>)[key] = cloneObject(src[key]);
    }
    delete merged.metadata.resourceVersion;
    copyManifestSource(input, merged);
    return this.update(merged);
  }

  /**
   * Deletes an object. A pod bound to a node is deleted gracefully, as the API server does:
   * it gets deletionTimestamp (now + grace) and deletionGracePeriodSeconds and stays, Terminating,
   * until deleted again with gracePeriodSeconds 0 (the kubelet's final delete; the
   * ControllerManager's pod termination does it when the grace period ends). Returns the
   * object as it was, or undefined when there was none.
   */
  delete(kind: KubeKind, namespace: string | undefined, name: string, options: DeleteOptions = {}): KubeObject | undefined {
    const ns = this.nsOf(kind, namespace);
    const old = this.get(kind, ns, name);
    if (old === undefined) return undefined;
    if (kind === 'Pod') {
      const pod = old as Pod;
      const grace = options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      const bound = pod.spec.nodeName !== undefined && pod.spec.nodeName !== '';
      const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      if (grace > 0 && bound && !terminal) {
        if (pod.metadata.deletionTimestamp !== undefined) return old;
        const next = cloneObject(pod);
        next.metadata.deletionTimestamp = virtualTimestamp(this.clock.now + grace * SEC);
        next.metadata.deletionGracePeriodSeconds = grace;
        next.metadata.resourceVersion = String(++this.version);
        this.put(kind, ns, name, next);
        this.emit({ type: 'MODIFIED', object: next, old });
        return old;
      }
    }
    if (kind === 'Namespace') {
      const nsObj = cloneObject(old);
      nsObj.metadata.deletionTimestamp = this.timestamp();
      this.put(kind, ns, name, nsObj);
      for (const k of this.objects.keys()) {
        if (CLUSTER_SCOPED_KINDS.has(k)) continue;
        for (const o of this.list(k, name)) this.delete(k, name, o.metadata.name, { gracePeriodSeconds: 0 });
      }
    }
    this.remove(kind, ns, name);
    this.emit({ type: 'DELETED', object: old, old: null });
    return old;
  }

  /** Delivers queued events now (only needed by code that queued events while dispatching was suspended; mutations drain on their own). */
  flush(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      let rounds = 0;
      for (;;) {
        while (this.queue.length > 0) {
          const ev = this.queue.shift()!;
          for (const h of this.handlers.get(ev.object.kind) ?? []) h(ev);
          for (const h of this.allHandlers) h(ev);
        }
        for (const hook of this.idleHooks) hook();
        if (this.queue.length === 0) break;
        if (++rounds > 1_000_000) throw new Error('ApiStore: controllers keep changing objects without settling');
      }
    } finally {
      this.dispatching = false;
    }
  }

  private emit(ev: WatchEvent): void {
    this.queue.push(ev);
    this.flush();
  }

  private put(kind: KubeKind, ns: string, name: string, obj: KubeObject): void {
    let byNs = this.objects.get(kind);
    if (byNs === undefined) this.objects.set(kind, (byNs = new Map()));
    let m = byNs.get(ns);
    if (m === undefined) {
      byNs.set(ns, (m = new Map()));
      this.sortedNamespaces.delete(kind);
    }
    if (!m.has(name)) this.sortedNames.get(kind)?.delete(ns);
    m.set(name, obj);
    this.views.get(kind)?.clear();
  }

  private remove(kind: KubeKind, ns: string, name: string): void {
    const m = this.objects.get(kind)!.get(ns)!;
    m.delete(name);
    this.sortedNames.get(kind)?.delete(ns);
    this.views.get(kind)?.clear();
  }

  private nsOf(kind: KubeKind, namespace: string | undefined): string {
    if (CLUSTER_SCOPED_KINDS.has(kind)) return '';
    return namespace === undefined || namespace === '' ? 'default' : namespace;
  }

  private newUid(): string {
    const h = (n: number, len: number): string => n.toString(16).padStart(len, '0');
    const a = this.random.u32();
    const b = this.random.u32();
    const c = this.random.u32();
    const d = this.random.u32();
    const time_hi = ((b & 0x0fff) | 0x4000) >>> 0;
    const clock = ((c >>> 16) & 0x3fff) | 0x8000;
    return `${h(a, 8)}-${h(b >>> 16, 4)}-${h(time_hi, 4)}-${h(clock, 4)}-${h(c & 0xffff, 4)}${h(d, 8)}`;
  }
}

/**
 * A deep copy of an API object, as structuredClone makes it, for the plain data API objects
 * are (objects, arrays, strings, numbers, booleans, null): several times faster than
 * structuredClone, which stays the fallback for anything else (a Date, a Map, a class
 * instance) and for graphs nested deeper than CLONE_DEPTH (a cycle among them).
 */
export function cloneObject<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const out = clonePlain(value, 0);
  return (out === NOT_PLAIN ? structuredClone(value) : out) as T;
}

const CLONE_DEPTH = 64;
const NOT_PLAIN: unique symbol = Symbol('not plain data');

function clonePlain(v: object, depth: number): unknown {
  if (depth > CLONE_DEPTH) return NOT_PLAIN;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) return NOT_PLAIN; // a hole: structuredClone keeps it
      const e: unknown = v[i];
      if (typeof e === 'object' && e !== null) {
        const c = clonePlain(e, depth + 1);
        if (c === NOT_PLAIN) return NOT_PLAIN;
        out[i] = c;
      } else if (typeof e === 'function' || typeof e === 'symbol') return NOT_PLAIN; // structuredClone refuses these
      else out[i] = e;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  const src = v as Record<string, unknown>;
  for (const k of Object.keys(src)) {
    if (k === '__proto__') return NOT_PLAIN; // an own "__proto__" cannot be set by assignment
    const e = src[k];
    if (typeof e === 'object' && e !== null) {
      const c = clonePlain(e, depth + 1);
      if (c === NOT_PLAIN) return NOT_PLAIN;
      out[k] = c;
    } else if (typeof e === 'function' || typeof e === 'symbol') return NOT_PLAIN; // structuredClone refuses these
    else out[k] = e;
  }
  return out;
}

/** The views' key for "every namespace" (no namespace name is empty: cluster-scoped kinds use "" only inside). */
const ALL_NAMESPACES = '\0all';
const EMPTY_LIST: readonly KubeObject[] = Object.freeze([]);

/**
 * Whether JSON.stringify(a) === JSON.stringify(b), without building the strings: the same
 * keys in the same order (undefined, function and symbol members left out, as in arrays
 * written as null), the same primitives (non-finite numbers as null).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = jsonType(a);
  const tb = jsonType(b);
  if (ta === 'other' || tb === 'other') return JSON.stringify(a) === JSON.stringify(b);
  if (ta !== tb) return false;
  switch (ta) {
    case 'null':
    case 'absent':
      return true;
    case 'string':
    case 'boolean':
      return a === b;
    case 'number':
      return a === b;
    case 'array': {
      const x = a as unknown[];
      const y = b as unknown[];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) {
        const ex = jsonType(x[i]) === 'absent' ? null : x[i];
        const ey = jsonType(y[i]) === 'absent' ? null : y[i];
        if (!sameJson(ex, ey)) return false;
      }
      return true;
    }
    case 'object': {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const kx = Object.keys(x);
      const ky = Object.keys(y);
      let i = 0;
      let j = 0;
      for (;;) {
        while (i < kx.length && jsonType(x[kx[i]!]) === 'absent') i++;
        while (j < ky.length && jsonType(y[ky[j]!]) === 'absent') j++;
        if (i === kx.length || j === ky.length) return i === kx.length && j === ky.length;
        if (kx[i] !== ky[j] || !sameJson(x[kx[i]!], y[ky[j]!])) return false;
        i++;
        j++;
      }
    }
    default:
      return JSON.stringify(a) === JSON.stringify(b);
  }
}

/** How JSON.stringify treats a value: 'absent' for what it leaves out, 'other' for what sameJson hands back to it. */
function jsonType(v: unknown): 'null' | 'absent' | 'string' | 'boolean' | 'number' | 'array' | 'object' | 'other' {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return 'absent';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isFinite(v) ? 'number' : 'null';
    case 'bigint':
      return 'other';
    default:
      if (Array.isArray(v)) return 'array';
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return 'other';
      return Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null ? 'object' : 'other';
  }
}

/** The resource name the API server uses in messages (`services`, `pods`, `endpointslices.discovery.k8s.io`). */
export function kindResource(kind: KubeKind): string {
  switch (kind) {
    case 'EndpointSlice': return 'endpointslices.discovery.k8s.io';
    case 'Deployment': return 'deployments.apps';
    case 'ReplicaSet': return 'replicasets.apps';
    case 'DaemonSet': return 'daemonsets.apps';
    default: return `${kind.toLowerCase()}s`;
  }
}
