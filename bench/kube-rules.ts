/**
 * A kube-proxy-shaped iptables-restore file (nat table) for N services × E endpoints, as
 * the netfilter issue's benchmark describes it: per service one KUBE-SERVICES jump and one
 * masquerade rule, one statistic jump per endpoint, per endpoint chain a mark rule and a DNAT.
 */

/** The restore text. Chain names are stable 16-character hashes-like names. */
export function kubeProxyRules(services: number, endpoints: number): string {
  const name = (kind: string, i: number, j = 0): string => `KUBE-${kind}-${(i * 1000 + j).toString(36).toUpperCase().padStart(16, 'X')}`;
  const ip = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  const head: string[] = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-SERVICES - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-MARK-MASQ - [0:0]'];
  const rules: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ];
  for (let s = 0; s < services; s++) {
    const svc = name('SVC', s);
    const vip = ip(((10 << 24) | (96 << 16)) + s + 1);
    const comment = `"ns${s % 50}/svc${s}:http cluster IP"`;
    head.push(`:${svc} - [0:0]`);
    rules.push(`-A KUBE-SERVICES -d ${vip}/32 -p tcp -m comment --comment ${comment} -m tcp --dport 80 -j ${svc}`);
    rules.push(`-A ${svc} ! -s 10.244.0.0/16 -d ${vip}/32 -p tcp -m comment --comment ${comment} -m tcp --dport 80 -j KUBE-MARK-MASQ`);
    for (let e = 0; e < endpoints; e++) {
      const sep = name('SEP', s, e);
      const pod = ip(((10 << 24) | (244 << 16)) + s * endpoints + e + 2);
      head.push(`:${sep} - [0:0]`);
      const left = endpoints - e;
      rules.push(
        left > 1
          ? `-A ${svc} -m comment --comment "ns${s % 50}/svc${s}:http -> ${pod}:8080" -m statistic --mode random --probability ${(1 / left).toFixed(10)} -j ${sep}`
          : `-A ${svc} -m comment --comment "ns${s % 50}/svc${s}:http -> ${pod}:8080" -j ${sep}`,
      );
      rules.push(`-A ${sep} -s ${pod}/32 -m comment --comment "ns${s % 50}/svc${s}:http" -j KUBE-MARK-MASQ`);
      rules.push(`-A ${sep} -p tcp -m comment --comment "ns${s % 50}/svc${s}:http" -m tcp -j DNAT --to-destination ${pod}:8080`);
    }
  }
  return [...head, ...rules, 'COMMIT', ''].join('\n');
}
