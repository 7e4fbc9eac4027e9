/**
 * The export of the built-in example that the kernel suite runs (scenarios/cluster-sock-shop-export.sh):
 * the talk's cluster with sock-shop, and probes whose outcome does not depend on a random
 * choice (each Service has one endpoint; the kernel's statistic draw cannot be steered).
 * Regenerate with `npx tsx test/kernel/export-example.ts` and re-record it.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readClusterConfig } from '../../src/k8s/cluster/config.js';
import { Cluster } from '../../src/k8s/cluster/cluster.js';
import { exportScript, type ExportProbe } from '../../src/k8s/cluster/export.js';

export const EXPORT_SCENARIO = fileURLToPath(new URL('./scenarios/cluster-sock-shop-export.sh', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/sock-shop/cluster.yaml', import.meta.url));

/** A pod of workload `app` (its Deployment's name), as `sock-shop/NAME`. */
function podOf(cluster: Cluster, app: string): string {
  const pod = cluster.store.list('Pod', 'sock-shop').find((p) => p.metadata.labels?.['name'] === app);
  if (pod === undefined) throw new Error(`no pod of ${app}`);
  return `sock-shop/${pod.metadata.name}`;
}

function podIP(cluster: Cluster, app: string): string {
  return cluster.store.list('Pod', 'sock-shop').find((p) => p.metadata.labels?.['name'] === app)!.status!.podIP!;
}

/** The probes: each path the trace tests cover whose outcome does not depend on a random draw. */
export function exportProbes(c: Cluster): ExportProbe[] {
  return [
    // pod → ClusterIP across VXLAN (catalogue has one replica, on another node)
    { from: 'sock-shop/front-end', to: 'sock-shop/catalogue', proto: 'tcp' },
    // outside → NodePort on worker1 → the front-end pod on worker3: DNAT, masquerade, VXLAN
    { from: 'external', to: 'sock-shop/front-end', proto: 'tcp' },
    // pod → ClusterIP on another node's pod, a different path (orders-db on worker1 → carts-db on worker2)
    { from: 'sock-shop/orders-db', to: 'sock-shop/carts-db', proto: 'tcp' },
    // node → ClusterIP: ping is not for Services (iptables mode has no rule for it)
    { from: 'master', to: 'sock-shop/user-db', proto: 'icmp' },
    // same-node pod → pod: the bridge only (front-end and catalogue are both on worker3)
    { from: podOf(c, 'front-end'), to: `${podIP(c, 'catalogue')}:80`, proto: 'tcp' },
    // cross-node pod → pod through VXLAN (front-end on worker3 → payment on worker2)
    { from: podOf(c, 'front-end'), to: `${podIP(c, 'payment')}:80`, proto: 'tcp' },
    // hairpin: catalogue's only pod reaches itself through its Service (masqueraded to cni0's address)
    { from: podOf(c, 'catalogue'), to: 'sock-shop/catalogue', proto: 'tcp' },
    // a node's own connection to a ClusterIP (DNAT in OUTPUT, then VXLAN)
    { from: 'worker1', to: 'sock-shop/catalogue', proto: 'tcp' },
  ];
}

export function exampleExport(): string {
  const c = Cluster.build(readClusterConfig(EXAMPLE), { seed: 1 });
  return exportScript(c, exportProbes(c));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(EXPORT_SCENARIO, exampleExport());
