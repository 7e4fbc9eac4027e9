/**
 * The kubelet of one node, as far as the data plane sees it: for every pod bound to the node
 * it creates the pod's network namespace (the pause container's, shared by the pod's
 * containers), calls the CNI bridge plugin (ADD) with the address the pod asks for
 * (dpsim.io/pod-ip, host-local's `IP=`), starts the containers' servers — an echo server on
 * every declared containerPort — and reports the pod Running and Ready. A pod being deleted is
 * reported not ready at once (its containers are stopping); when it is gone, CNI DEL removes
 * its veth and address and the namespace goes. Host-network pods use the node's namespace.
 */
import { formatIPv4, parseIPv4 } from '../../packet/address.js';
import type { NetNamespace } from '../../netns/namespace.js';
import type { Network } from '../../netns/network.js';
import { CallbackTimer } from '../../sim/timer.js';
import { MS } from '../../sim/time.js';
import { TcpEcho, UdpEcho } from '../../trace/harness.js';
import type { ApiStore } from '../api/store.js';
import { POD_IP_ANNOTATION, type Pod } from '../api/types.js';
import { markPodRunning, setPodReady } from '../controllers/pods.js';
import { cniAdd, cniDel, type CniAttachment } from '../cni/bridge-plugin.js';
import type { ClusterNode } from './machines.js';

/** How long a container takes from being bound to running (image present). */
export const CONTAINER_START_DELAY = 500 * MS;

/** A pod the kubelet runs. */
export interface RunningPod {
  pod: Pod;
  ns: NetNamespace;
  attachment: CniAttachment | null;
}

export class Kubelet {
  /** Pods by namespace/name. */
  readonly pods = new Map<string, RunningPod>();
  private readonly starting = new Set<string>();

  constructor(
    private readonly net: Network,
    private readonly store: ApiStore,
    readonly node: ClusterNode,
  ) {
    store.watch('Pod', (ev) => {
      const pod = ev.object;
      if (pod.spec.nodeName !== node.config.name) return;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (ev.type === 'DELETED') {
        this.stop(key);
        return;
      }
      const running = this.pods.get(key);
      if (running !== undefined) {
        running.pod = pod;
        if (pod.metadata.deletionTimestamp !== undefined && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
          setPodReady(store, pod.metadata.namespace!, pod.metadata.name, false);
        }
        return;
      }
      if (pod.metadata.deletionTimestamp !== undefined || this.starting.has(key)) return;
      this.starting.add(key);
      net.scheduler.arm(new CallbackTimer(true, () => this.start(key)), CONTAINER_START_DELAY);
    });
  }

  /** The network namespace name of a pod: its name, or name.namespace when that is taken. */
  private namespaceName(pod: Pod): string {
    const name = pod.metadata.name;
    return this.net.namespaces.has(name) ? `${name}.${pod.metadata.namespace}` : name;
  }

  private start(key: string): void {
    this.starting.delete(key);
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.store.get('Pod', namespace, name);
    if (pod === undefined || pod.metadata.deletionTimestamp !== undefined) return;
    const nodeNs = this.node.ns;
    let ns: NetNamespace;
    let attachment: CniAttachment | null = null;
    let ip: number;
    if (pod.spec.hostNetwork === true) {
      ns = nodeNs;
      ip = this.node.config.address;
    } else {
      ns = this.net.addNamespace(this.namespaceName(pod))!;
      const requested = pod.metadata.annotations?.[POD_IP_ANNOTATION];
      const req = requested === undefined ? undefined : parseIPv4(requested) ?? undefined;
      attachment = cniAdd(nodeNs, ns, this.node.cni, `${pod.metadata.uid ?? key}`, req);
      ip = attachment.ip;
    }
    this.startServers(ns, pod);
    this.pods.set(key, { pod, ns, attachment });
    markPodRunning(this.store, namespace, name, { podIP: formatIPv4(ip), hostIP: formatIPv4(this.node.config.address) });
  }

  /** The containers' servers: an echo server on every declared port. */
  private startServers(ns: NetNamespace, pod: Pod): void {
    const note = (text: string) => this.net.tracer?.record(ns.name, 'app', 0, text);
    for (const c of pod.spec.containers) {
      for (const p of c.ports ?? []) {
        const proto = p.protocol ?? 'TCP';
        if (proto === 'UDP') ns.udp.bind(0, p.containerPort, new UdpEcho(note));
        else if (proto === 'TCP') ns.tcp.listen(0, p.containerPort, new TcpEcho(note, this.net.scheduler));
      }
    }
  }

  private stop(key: string): void {
    this.starting.delete(key);
    const running = this.pods.get(key);
    if (running === undefined) return;
    this.pods.delete(key);
    if (running.attachment !== null) {
      cniDel(this.node.ns, this.node.cni, running.attachment);
      this.net.namespaces.delete(running.ns.name);
    }
  }
}
