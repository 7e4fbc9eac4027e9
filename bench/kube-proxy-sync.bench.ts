/**
 * kube-proxy's iptables proxier at 20,000 services × 10 endpoints on a dpsim node: the first
 * full sync (generate the restore text, load it with iptables-restore --noflush after the
 * jump rules) and a one-endpoint change (a partial sync: generate + load). Targets: < 2 s
 * and < 100 ms. The full sync takes seconds, so it is timed directly a few times; the
 * partial sync goes through benny. Also printed: what the fitted model says the real
 * kernel's iptables-restore would spend on the same texts (src/k8s/proxy/testdata/restore-cost.json).
 */
import b from 'benny';
import { Network } from '../src/netns/network.js';
import { defaultProxyConfig } from '../src/k8s/proxy/config.js';
import { applyRestore, ensureJumps, tableChains } from '../src/k8s/proxy/iptables/apply.js';
import { IptablesProxier } from '../src/k8s/proxy/iptables/proxier.js';
import { restoreCostNs } from '../src/k8s/proxy/restore-cost.js';
import { syntheticCluster } from '../src/k8s/proxy/synthetic.js';
import type { ProxySnapshot } from '../src/k8s/proxy/service-ports.js';

const SERVICES = Number(process.env.SERVICES ?? 20000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 10);
const RUNS = Number(process.env.RUNS ?? 3);

const snapshot = syntheticCluster(SERVICES, ENDPOINTS);
const cfg = defaultProxyConfig({ nodeName: 'node-0', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', nfacct: false });
console.log(`kube-proxy sync: ${SERVICES} services × ${ENDPOINTS} endpoints`);

let proxier = new IptablesProxier(cfg);
let ns = new Network(1).root;
for (let run = 1; run <= RUNS; run++) {
  proxier = new IptablesProxier(cfg);
  ns = new Network(1).root;
  const t0 = performance.now();
  const r = proxier.sync(snapshot);
  const t1 = performance.now();
  ensureJumps(ns, r.jumps);
  applyRestore(ns, r.text);
  const t2 = performance.now();
  console.log(
    `full sync run ${run}: generate ${(t1 - t0).toFixed(0)} ms + load ${(t2 - t1).toFixed(0)} ms = ${(t2 - t0).toFixed(0)} ms ` +
      `(${r.stats.natChains.toLocaleString('en-US')} nat chains, ${r.stats.natRules.toLocaleString('en-US')} nat rules, ${(r.text.length / 1e6).toFixed(1)} MB; ` +
      `modelled kernel restore: nft ${(restoreCostNs(r.text, 'nft') / 1e9).toFixed(1)} s, legacy ${(restoreCostNs(r.text, 'legacy') / 1e9).toFixed(1)} s)`,
  );
}

// A one-endpoint change, alternating between two states of the first service's slice.
const slices = snapshot.endpointSlices.slice();
const s0 = slices[0]!;
const variants: ProxySnapshot[] = [0, 1].map((v) => {
  const copy = slices.slice();
  copy[0] = { ...s0, endpoints: [...s0.endpoints.slice(1), { addresses: [`10.250.0.${v + 1}`] }] };
  return { services: snapshot.services, endpointSlices: copy };
});
let flip = 0;
const partial = () => {
  const r = proxier.sync(variants[flip++ & 1]!, { existingNatChains: tableChains(ns, 'nat') });
  if (r.full) throw new Error('expected a partial sync');
  applyRestore(ns, r.text);
};
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const r = proxier.sync(variants[flip++ & 1]!, { existingNatChains: tableChains(ns, 'nat') });
  const t1 = performance.now();
  applyRestore(ns, r.text);
  const t2 = performance.now();
  console.log(
    `one-endpoint change: generate ${(t1 - t0).toFixed(1)} ms + load ${(t2 - t1).toFixed(1)} ms = ${(t2 - t0).toFixed(1)} ms ` +
      `(${r.stats.natRules} nat rule lines written; modelled kernel restore: nft ${(restoreCostNs(r.text, 'nft') / 1e6).toFixed(0)} ms, legacy ${(restoreCostNs(r.text, 'legacy') / 1e6).toFixed(0)} ms)`,
  );
}
await b.suite(
  'kube-proxy partial sync',
  b.add(`one-endpoint change at ${SERVICES} services (generate + load)`, () => {
    partial();
  }),
  b.cycle((result) => `${result.name}: ${(1000 / result.ops).toFixed(1)} ms per sync (±${result.margin}%)`),
  b.complete(),
);
