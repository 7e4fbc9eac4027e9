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

export const EXPORT_PROBES: readonly ExportProbe[] = [
  // pod → ClusterIP across VXLAN (catalogue has one replica, on another node)
  { from: 'sock-shop/front-end', to: 'sock-shop/catalogue', proto: 'tcp' },
  // outside → NodePort on worker1 → the front-end pod on worker3: DNAT, masquerade, VXLAN
  { from: 'external', to: 'sock-shop/front-end', proto: 'tcp' },
  // pod → ClusterIP on another node's pod, a different path (orders-db on worker1 → carts-db on worker2)
  { from: 'sock-shop/orders-db', to: 'sock-shop/carts-db', proto: 'tcp' },
  // node → pod: ping across the overlay
  { from: 'master', to: 'sock-shop/user-db', proto: 'icmp' },
];

export function exampleExport(): string {
  return exportScript(Cluster.build(readClusterConfig(EXAMPLE), { seed: 1 }), EXPORT_PROBES);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(EXPORT_SCENARIO, exampleExport());
