/**
 * iptables-restore and iptables-save of a kube-proxy-shaped nat table: 20,000 services × 10
 * endpoints (≈860,000 lines, 640,000 rules, 220,000 chains). Each step takes seconds, so
 * this times a few runs directly instead of through benny's sampling.
 */
import { compileTable } from '../src/iptables/compile/compiled-table.js';
import { restore } from '../src/iptables/restore.js';
import { Xtables } from '../src/iptables/ruleset.js';
import { saveXtables } from '../src/iptables/save.js';
import { kubeProxyRules } from './kube-rules.js';

const SERVICES = Number(process.env.SERVICES ?? 20000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 10);
const RUNS = Number(process.env.RUNS ?? 3);

const text = kubeProxyRules(SERVICES, ENDPOINTS);
console.log(`kube-proxy-shaped nat table: ${SERVICES} services × ${ENDPOINTS} endpoints, ${text.split('\n').length.toLocaleString('en-US')} lines`);
for (let run = 1; run <= RUNS; run++) {
  const x = new Xtables('nft');
  const t0 = performance.now();
  const r = restore(x, text, { program: 'iptables-restore', noflush: false, counters: false, table: null });
  const t1 = performance.now();
  if (r.status !== 0) throw new Error(`restore failed: ${r.output}`);
  const c0 = performance.now();
  compileTable(x.tables.get('nat')!);
  const c1 = performance.now();
  const saved = saveXtables(x, { program: 'iptables-save', counters: false, table: null, date: null });
  const t2 = performance.now();
  const rss = process.memoryUsage().rss;
  const rules = [...x.tables.get('nat')!.chains.values()].reduce((n, c) => n + c.rules.length, 0);
  console.log(
    `run ${run}: iptables-restore ${(t1 - t0).toFixed(0)} ms + compile ${(c1 - c0).toFixed(0)} ms = ${(c1 - t0).toFixed(0)} ms, iptables-save ${(t2 - c1).toFixed(0)} ms ` +
      `(${rules.toLocaleString('en-US')} rules, ${(saved.length / 1e6).toFixed(1)} MB saved, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(rss / 2 ** 20).toFixed(0)} MiB)`,
  );
}
