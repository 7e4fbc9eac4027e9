/**
 * kube-proxy on one node of the cluster: informers on Services, EndpointSlices and Nodes
 * feeding the proxier's sync loop (src/k8s/proxy) on the virtual clock, writing to the
 * node's own iptables through iptables-restore.
 */
import { formatIPv4 } from '../../packet/address.js';
import { MS } from '../../sim/time.js';
import { defaultProxyConfig, FULL_SYNC_PERIOD_MS, type ProxyConfig } from '../proxy/config.js';
import type { ProxySnapshot } from '../proxy/service-ports.js';
import { SyncLoop, type ProxyBackend } from '../proxy/sync-loop.js';
import { IptablesBackend } from '../proxy/iptables/backend.js';
import { IptablesProxier } from '../proxy/iptables/proxier.js';
import { IpvsBackend, ipvsSyncLoopOptions } from '../proxy/ipvs/backend.js';
import { IpvsProxier } from '../proxy/ipvs/proxier.js';
import type { ClusterNode } from './machines.js';
import type { Cluster } from './cluster.js';

export interface NodeProxy {
  readonly config: ProxyConfig;
  readonly loop: SyncLoop;
  /** Whether a change the proxier was told about has not been written yet. */
  pendingSync(): boolean;
}

/** Starts kube-proxy on `node` in the cluster's mode. */
export function startKubeProxy(cluster: Cluster, node: ClusterNode): NodeProxy {
  const flags = cluster.config.kubeProxy;
  const config = defaultProxyConfig({
    nodeName: node.config.name,
    nodeIPs: [formatIPv4(node.config.address)],
    clusterCIDR: cluster.config.clusterCIDR.text,
    masqueradeAll: flags.masqueradeAll,
    masqueradeBit: flags.masqueradeBit,
    nodePortAddresses: flags.nodePortAddresses,
    generation: flags.version,
    minSyncPeriodMs: flags.minSyncPeriod / MS,
    syncPeriodMs: flags.syncPeriod / MS,
    // The simulated kernel has no nfacct (xt_nfacct): kube-proxy finds none and writes no nfacct rules.
    nfacct: false,
  });
  const store = cluster.store;
  const snapshot = (): ProxySnapshot => ({ services: store.listView('Service'), endpointSlices: store.listView('EndpointSlice'), nodes: store.listView('Node') });
  const ipvs = flags.mode === 'ipvs';
  const inner: ProxyBackend = ipvs
    ? new IpvsBackend(node.ns, new IpvsProxier({ ...config, scheduler: flags.ipvsScheduler }), snapshot)
    : new IptablesBackend(node.ns, new IptablesProxier(config), snapshot);
  // Counts changes, to tell whether the last successful sync saw all of them.
  let changes = 0;
  let synced = -1;
  const backend: ProxyBackend = {
    canaryTables: inner.canaryTables,
    ensureCanary: () => inner.ensureCanary(),
    canaryPresent: (i) => inner.canaryPresent(i),
    sync: (full) => {
      const seen = changes;
      const work = inner.sync(full);
      return {
        kernelNs: work.kernelNs,
        full: work.full,
        commit: () => {
          const ok = work.commit();
          if (ok) synced = Math.max(synced, seen);
          return ok;
        },
      };
    },
  };
  const loop = new SyncLoop(
    cluster.net.scheduler,
    backend,
    ipvs
      ? ipvsSyncLoopOptions(config)
      : {
          minSyncPeriod: flags.minSyncPeriod,
          maxInterval: config.generation === '1.12' ? flags.syncPeriod : FULL_SYNC_PERIOD_MS * MS,
          syncPeriod: flags.syncPeriod,
          burst: 2,
          canary: config.generation !== '1.12',
        },
  );
  const changed = (): void => {
    changes++;
    loop.requestSync(cluster.net.now);
  };
  store.watch('Service', changed);
  store.watch('EndpointSlice', changed);
  loop.start();
  return {
    config,
    loop,
    pendingSync: () => synced < changes,
  };
}
