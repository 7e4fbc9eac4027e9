/**
 * `kubectl` in scenarios that run on a cluster (`cluster FILE` first): get, describe svc,
 * apply/delete -f, delete KIND NAME, scale, exec — printed as kubectl prints them. Object
 * changes take effect in the API at once; the kubelets and kube-proxies react on the virtual
 * clock (a scenario `sleep`s to let them), as on a real cluster.
 */
import { resolve, dirname } from 'node:path';
import { ScriptError, type Command, type CommandHandler, type ScriptContext } from '../context.js';
import { kubectlGet, resolveResource } from '../../k8s/kubectl/get.js';
import { kubectlDescribeService } from '../../k8s/kubectl/describe.js';
import { ManifestError } from '../../k8s/api/manifest.js';
import type { KubeKind, KubeObject } from '../../k8s/api/types.js';
import type { Cluster } from '../../k8s/cluster/cluster.js';
import { ClusterError } from '../../k8s/cluster/cluster.js';

/** The resource name kubectl prints for an object (`deployment.apps/orders`). */
function resourceName(obj: KubeObject): string {
  const group: Record<string, string> = { Deployment: 'deployment.apps', ReplicaSet: 'replicaset.apps', DaemonSet: 'daemonset.apps', EndpointSlice: 'endpointslice.discovery.k8s.io' };
  return `${group[obj.kind] ?? obj.kind.toLowerCase()}/${obj.metadata.name}`;
}

const KINDS: Record<string, KubeKind> = {
  po: 'Pod', pod: 'Pod', pods: 'Pod',
  svc: 'Service', service: 'Service', services: 'Service',
  deploy: 'Deployment', deployment: 'Deployment', deployments: 'Deployment',
  rs: 'ReplicaSet', replicaset: 'ReplicaSet', replicasets: 'ReplicaSet',
  ds: 'DaemonSet', daemonset: 'DaemonSet', daemonsets: 'DaemonSet',
  ns: 'Namespace', namespace: 'Namespace', namespaces: 'Namespace',
  no: 'Node', node: 'Node', nodes: 'Node',
};

interface Parsed {
  words: string[];
  namespace: string | undefined;
  all: boolean;
  wide: boolean;
  files: string[];
  replicas: number | null;
  rest: string[] | null;
}

function parseArgs(ctx: ScriptContext, argv: string[], cmd: Command): Parsed {
  const p: Parsed = { words: [], namespace: undefined, all: false, wide: false, files: [], replicas: null, rest: null };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new ScriptError(ctx.file, cmd.line, `kubectl: flag needs an argument: ${a}`);
      return v;
    };
    if (a === '--') {
      p.rest = argv.slice(i + 1);
      break;
    } else if (a === '-n' || a === '--namespace') p.namespace = value();
    else if (a.startsWith('--namespace=')) p.namespace = a.slice(12);
    else if (a === '-A' || a === '--all-namespaces') p.all = true;
    else if (a === '-o' || a === '--output') {
      const o = value();
      if (o !== 'wide') throw new ScriptError(ctx.file, cmd.line, `kubectl: output format "${o}" is not supported by dpsim (only -o wide)`);
      p.wide = true;
    } else if (a === '-owide' || a === '-o=wide' || a === '--output=wide') p.wide = true;
    else if (a === '-f' || a === '--filename') p.files.push(value());
    else if (a.startsWith('--replicas=')) p.replicas = Number(a.slice(11));
    else if (a === '--replicas') p.replicas = Number(value());
    else if (a.startsWith('-')) throw new ScriptError(ctx.file, cmd.line, `kubectl: unknown flag: ${a}`);
    else p.words.push(a);
  }
  return p;
}

function clusterOf(ctx: ScriptContext, cmd: Command): Cluster {
  if (ctx.cluster === undefined || ctx.cluster === null) throw new ScriptError(ctx.file, cmd.line, 'kubectl needs a cluster: start the scenario with `cluster FILE`');
  return ctx.cluster;
}

/** `KIND NAME` or `KIND/NAME`. */
function kindAndName(ctx: ScriptContext, cmd: Command, words: string[]): [KubeKind, string] {
  let [k, n] = words;
  if (k !== undefined && n === undefined && k.includes('/')) [k, n] = k.split('/', 2) as [string, string];
  const kind = k === undefined ? undefined : KINDS[k.toLowerCase()];
  if (kind === undefined || n === undefined) throw new ScriptError(ctx.file, cmd.line, `kubectl: expected KIND NAME or KIND/NAME, got "${words.join(' ')}"`);
  return [kind, n];
}

function manifests(ctx: ScriptContext, cmd: Command, cluster: Cluster, files: string[]): KubeObject[][] {
  return files.map((f) => {
    try {
      return cluster.readManifests(resolve(dirname(ctx.file), f));
    } catch (e) {
      if (e instanceof ManifestError || e instanceof ClusterError) throw new ScriptError(ctx.file, cmd.line, e.message);
      throw e;
    }
  });
}

export const kubectlCommand: CommandHandler = (ctx, argv, cmd) => {
  const cluster = clusterOf(ctx, cmd);
  const verb = argv[1];
  const p = parseArgs(ctx, argv.slice(1), cmd);
  const store = cluster.store;
  const now = cluster.net.now;
  switch (verb) {
    case 'get': {
      const what = p.words[0];
      const resource = what === undefined ? null : resolveResource(what);
      if (resource === null) throw new ScriptError(ctx.file, cmd.line, `kubectl get: resource type "${what ?? ''}" is not supported by dpsim`);
      const r = kubectlGet(store, resource, { namespace: p.namespace, allNamespaces: p.all, wide: p.wide, names: p.words.slice(1), now });
      ctx.out(r.stdout + r.stderr);
      return;
    }
    case 'describe': {
      const [kind, name] = kindAndName(ctx, cmd, p.words);
      if (kind !== 'Service') throw new ScriptError(ctx.file, cmd.line, `kubectl describe: only services are supported by dpsim`);
      const r = kubectlDescribeService(store, p.namespace ?? 'default', name);
      ctx.out(r.stdout + r.stderr);
      return;
    }
    case 'apply':
    case 'create': {
      if (p.files.length === 0) throw new ScriptError(ctx.file, cmd.line, `kubectl ${verb}: give the objects with -f FILE`);
      for (const objs of manifests(ctx, cmd, cluster, p.files)) {
        for (const obj of objs) {
          const existed = store.get(obj.kind, obj.metadata.namespace, obj.metadata.name) !== undefined;
          if (existed && verb === 'create') {
            ctx.out(`Error from server (AlreadyExists): error when creating "${p.files[0]}": ${obj.kind.toLowerCase()}s "${obj.metadata.name}" already exists\n`);
            continue;
          }
          try {
            cluster.apply([obj]);
          } catch (e) {
            if (e instanceof ManifestError) throw new ScriptError(ctx.file, cmd.line, e.message);
            throw e;
          }
          ctx.out(`${resourceName(obj)} ${existed ? 'configured' : 'created'}\n`);
        }
      }
      return;
    }
    case 'delete': {
      const targets: [KubeKind, string | undefined, string][] = [];
      if (p.files.length > 0) for (const objs of manifests(ctx, cmd, cluster, p.files)) for (const o of objs) targets.push([o.kind, o.metadata.namespace, o.metadata.name]);
      else {
        const [kind, name] = kindAndName(ctx, cmd, p.words);
        targets.push([kind, p.namespace, name]);
      }
      for (const [kind, ns, name] of targets) {
        const gone = store.delete(kind, ns ?? (kind === 'Node' || kind === 'Namespace' ? undefined : 'default'), name);
        if (gone === undefined) ctx.out(`Error from server (NotFound): ${kind.toLowerCase()}s "${name}" not found\n`);
        else ctx.out(`${kind === 'Pod' || kind === 'Service' || kind === 'Node' || kind === 'Namespace' ? kind.toLowerCase() : resourceName(gone).split('/')[0]} "${name}" deleted\n`);
      }
      return;
    }
    case 'scale': {
      const [kind, name] = kindAndName(ctx, cmd, p.words);
      if (kind !== 'Deployment' && kind !== 'ReplicaSet') throw new ScriptError(ctx.file, cmd.line, `kubectl scale: cannot scale a ${kind}`);
      if (p.replicas === null || !Number.isInteger(p.replicas) || p.replicas < 0) throw new ScriptError(ctx.file, cmd.line, 'kubectl scale: give --replicas=N (N ≥ 0)');
      cluster.controllers.scale(kind, p.namespace ?? 'default', name, p.replicas);
      ctx.out(`${kind === 'Deployment' ? 'deployment.apps' : 'replicaset.apps'}/${name} scaled\n`);
      return;
    }
    case 'exec': {
      const pod = p.words[0];
      if (pod === undefined || p.rest === null || p.rest.length === 0) throw new ScriptError(ctx.file, cmd.line, 'usage: kubectl exec POD [-n NS] -- COMMAND…');
      const running = cluster.runningPod(p.namespace ?? 'default', pod);
      if (running === undefined) {
        ctx.out(`Error from server (NotFound): pods "${pod}" not found\n`);
        return;
      }
      ctx.exec(running.ns, p.rest, cmd);
      return;
    }
    default:
      throw new ScriptError(ctx.file, cmd.line, `kubectl: "${verb ?? ''}" is not supported by dpsim (get, describe, apply, create, delete, scale, exec)`);
  }
};
