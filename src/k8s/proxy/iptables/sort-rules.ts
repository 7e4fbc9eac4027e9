/**
 * Upstream's test comparison (pkg/proxy/iptables/proxier_test.go sortIPTablesRules): puts
 * restore text in a canonical order that does not depend on the order services were
 * walked in, keeping related rules' relative order. Tables by name; chains KUBE-NODEPORTS,
 * KUBE-SERVICES, then KUBE-* alphabetically, then the rest; each chain's rules in written
 * order, except KUBE-NODEPORTS and KUBE-SERVICES, stably sorted by the service name in
 * their comment (the nat KUBE-SERVICES "must be the last rule" rule stays last); chain
 * deletions (`-X`) after all rules, in chain order.
 */

interface DumpChain {
  name: string;
  header: string;
  rules: string[];
  /** Whether the dump deletes the chain (`-X NAME`). */
  deleted: boolean;
}

/** The service name a rule's comment starts with ("ns/svc" of "ns/svc:p80 cluster IP"), or null. */
function commentServiceName(rule: string): string | null {
  const m = /-m comment --comment ("([^"]*)"|(\S+))/.exec(rule);
  if (m === null) return null;
  const v = m[2] ?? m[3]!;
  const i = v.search(/[ :]/);
  return i < 0 ? v : v.slice(0, i);
}

function chainRank(name: string): number {
  if (name === 'KUBE-NODEPORTS') return 0;
  if (name === 'KUBE-SERVICES') return 1;
  return name.startsWith('KUBE-') ? 2 : 3;
}

/** Sorts iptables-restore text the way upstream's tests do before comparing. Throws on malformed text. */
export function sortIPTablesRules(text: string): string {
  const tables: { name: string; chains: DumpChain[] }[] = [];
  let cur: { name: string; chains: DumpChain[]; byName: Map<string, DumpChain> } | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    if (line.startsWith('*')) {
      cur = { name: line.slice(1), chains: [], byName: new Map() };
      tables.push(cur);
    } else if (cur === null) throw new Error(`line ${i + 1}: ${JSON.stringify(line)} outside a table`);
    else if (line === 'COMMIT') cur = null;
    else if (line.startsWith(':')) {
      const name = line.slice(1, line.indexOf(' '));
      const c = { name, header: line, rules: [], deleted: false };
      cur.chains.push(c);
      cur.byName.set(name, c);
    } else if (line.startsWith('-A ') || line.startsWith('-X ')) {
      const name = line.split(' ')[1]!;
      const c = cur.byName.get(name);
      if (c === undefined) throw new Error(`line ${i + 1}: chain ${name} was not declared`);
      if (line.startsWith('-X ')) c.deleted = true;
      else c.rules.push(line);
    } else throw new Error(`line ${i + 1}: unexpected ${JSON.stringify(line)}`);
  }
  tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byService = (a: string, b: string): number => {
    const x = commentServiceName(a);
    const y = commentServiceName(b);
    if (x === null || y === null) return 0;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  let out = '';
  for (const t of tables) {
    t.chains.sort((a, b) => chainRank(a.name) - chainRank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const c of t.chains) {
      if (c.name === 'KUBE-NODEPORTS') c.rules.sort(byService);
      if (c.name === 'KUBE-SERVICES') {
        c.rules.sort((a, b) => {
          if (t.name === 'nat') {
            if (a.includes('must be the last rule')) return b.includes('must be the last rule') ? 0 : 1;
            if (b.includes('must be the last rule')) return -1;
          }
          return byService(a, b);
        });
      }
    }
    out += `*${t.name}\n`;
    for (const c of t.chains) out += c.header + '\n';
    for (const c of t.chains) for (const r of c.rules) out += r + '\n';
    for (const c of t.chains) if (c.deleted) out += `-X ${c.name}\n`;
    out += 'COMMIT\n';
  }
  return out;
}
