/**
 * iptables-restore and iptables-save of a kube-proxy-shaped nat table: 20,000 services × 10
 * endpoints (≈860,000 lines, 640,000 rules, 220,000 chains), then kube-proxy-shaped partial
 * syncs on it: `iptables-restore --noflush` of KUBE-SERVICES written again in full (every
 * service's jump, in runs around the changed service's chains, as the proxier writes it),
 * the changed service's KUBE-SVC chain with one endpoint replaced, the new KUBE-SEP chain
 * and `-X` of the old one — alternating between two states — each followed by the compile
 * the next packet would trigger. Also: what the loaded table keeps on the heap. Each full run
 * starts with no parsed chunks kept (cold); a last one loads the text into another namespace
 * while the previous run's chunks are kept (warm: rule-templates.ts, within its budget). Each full
 * step takes seconds, so this times a few runs directly instead of through benny's sampling.
 * Run with `node --expose-gc --import tsx` for the retained-heap figure.
 */
import { compileTable } from '../src/iptables/compile/compiled-table.js';
import { restore } from '../src/iptables/restore.js';
import { clearRuleTemplates, ruleTemplateStats } from '../src/iptables/rule-templates.js';
import { Xtables } from '../src/iptables/ruleset.js';
import { saveXtables } from '../src/iptables/save.js';
import { kubeProxyRules } from './kube-rules.js';

const SERVICES = Number(process.env.SERVICES ?? 20000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 10);
const RUNS = Number(process.env.RUNS ?? 3);
const PARTIALS = Number(process.env.PARTIALS ?? 12);
const gc = (globalThis as { gc?: () => void }).gc;

const text = kubeProxyRules(SERVICES, ENDPOINTS);
console.log(`kube-proxy-shaped nat table: ${SERVICES} services × ${ENDPOINTS} endpoints, ${text.split('\n').length.toLocaleString('en-US')} lines`);
let x = new Xtables('nft');
for (let run = 1; run <= RUNS + 1; run++) {
  const warm = run > RUNS;
  if (!warm) clearRuleTemplates();
  x = new Xtables('nft');
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const r = restore(x, text, { program: 'iptables-restore', noflush: false, counters: false, table: null });
  const t1 = performance.now();
  if (r.status !== 0) throw new Error(`restore failed: ${r.output}`);
  const c0 = performance.now();
  compileTable(x.tables.get('nat')!);
  const c1 = performance.now();
  const saved = saveXtables(x, { program: 'iptables-save', counters: false, table: null, date: null });
  const t2 = performance.now();
  gc?.();
  const kept = gc === undefined ? '' : `, table + compiled form keep ${((process.memoryUsage().heapUsed - heap0) / 2 ** 20).toFixed(0)} MiB`;
  const rules = [...x.tables.get('nat')!.chains.values()].reduce((n, c) => n + c.rules.length, 0);
  console.log(
    `${warm ? `warm run (${ruleTemplateStats().chunks.toLocaleString('en-US')} chunks kept)` : `run ${run}`}: iptables-restore ${(t1 - t0).toFixed(0)} ms + compile ${(c1 - c0).toFixed(0)} ms = ${(c1 - t0).toFixed(0)} ms, iptables-save ${(t2 - c1).toFixed(0)} ms ` +
      `(${rules.toLocaleString('en-US')} rules, ${(saved.length / 1e6).toFixed(1)} MB saved, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB${kept})`,
  );
}

// Partial syncs: service 0 swaps its last endpoint between two pods.
const lines = text.split('\n');
const services = lines.filter((l) => l.startsWith('-A KUBE-SERVICES '));
const svc0 = /-j (KUBE-SVC-\S+)$/.exec(services[0]!)![1]!;
const svc0Rules = lines.filter((l) => l.startsWith(`-A ${svc0} `));
const lastSep = /-j (KUBE-SEP-\S+)$/.exec(svc0Rules.at(-1)!)![1]!;
const sepRules = lines.filter((l) => l.startsWith(`-A ${lastSep} `));
const variant = (v: number): string => {
  const [from, to] = v === 0 ? [lastSep, 'KUBE-SEP-PARTIALXXXXXXXX'] : ['KUBE-SEP-PARTIALXXXXXXXX', lastSep];
  const pod = v === 0 ? '10.250.0.2' : '10.250.0.1';
  const sep = sepRules.map((l) => l.replaceAll(lastSep, to).replaceAll(/10\.\d+\.\d+\.\d+(?=[/:])/g, pod));
  return [
    '*nat', ':KUBE-SERVICES - [0:0]', `:${svc0} - [0:0]`, `:${to} - [0:0]`, `:${from} - [0:0]`,
    services[0]!, ...svc0Rules.map((l) => l.replace(lastSep, to)), ...sep, ...services.slice(1),
    `-X ${from}`, 'COMMIT', '',
  ].join('\n');
};
const texts = [variant(0), variant(1)];
for (let i = 0; i < PARTIALS; i++) {
  const t0 = performance.now();
  const r = restore(x, texts[i & 1]!, { program: 'iptables-restore', noflush: true, counters: false, table: null });
  const t1 = performance.now();
  if (r.status !== 0) throw new Error(`partial restore failed: ${r.output}`);
  compileTable(x.tables.get('nat')!);
  const t2 = performance.now();
  console.log(`partial sync ${i + 1} (${services.length.toLocaleString('en-US')} KUBE-SERVICES rules written again, one endpoint replaced): iptables-restore --noflush ${(t1 - t0).toFixed(1)} ms, compile ${(t2 - t1).toFixed(1)} ms`);
}
