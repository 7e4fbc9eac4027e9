/**
 * The rest of netfilter: xt_physdev on br_netfilter's bridge ports (a property against the
 * kernel's bit logic, the load-time checks and formats iptables 1.8.9 printed), xt_ipvs
 * against IPVS's connections (libxt_ipvs's formats and errors, the match at OUTPUT for the
 * node's own connections as kube-proxy's KUBE-IPVS-OUT-FILTER uses it), and REJECT's replies
 * attached to the rejected packet's connection (nf_ct_attach).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { IP_CT_NEW, IP_CT_RELATED, IP_CT_RELATED_REPLY, enableConntrack, IP_CT_ESTABLISHED_REPLY } from '../conntrack/conntrack.js';
import { Network } from '../netns/network.js';
import { NF_INET_FORWARD, NF_INET_PRE_ROUTING } from '../netns/netfilter.js';
import { IPPROTO_TCP, Packet, TCP_SYN } from '../packet/packet.js';
import { runScenario } from '../script/run.js';
import { renderCapture } from '../script/result.js';
import { ExtensionState } from './ext-state.js';
import { EvalEnv, matchOne } from './match-eval.js';
import type { PhysdevMatch } from './matches.js';

/** The script's whole output and probe blocks, as `dpsim run` prints them. */
function run(text: string): string {
  return renderCapture(runScenario(text, { file: 'test.sh' }));
}

// ---- xt_physdev -------------------------------------------------------------------------------

const XT_PHYSDEV_OP_IN = 1;
const XT_PHYSDEV_OP_OUT = 2;
const XT_PHYSDEV_OP_BRIDGED = 4;
const XT_PHYSDEV_OP_ISIN = 8;
const XT_PHYSDEV_OP_ISOUT = 16;

/** physdev_mt as the kernel writes it, on its bitmask/invert form (the reference for the property). */
function kernelPhysdev(bitmask: number, invert: number, inPat: string, outPat: string, indev: string | null, outdev: string | null, exists: boolean): boolean {
  const cmp = (name: string, pat: string): boolean => (pat.endsWith('+') ? name.startsWith(pat.slice(0, -1)) : name === pat);
  if (!exists) {
    for (const op of [XT_PHYSDEV_OP_BRIDGED, XT_PHYSDEV_OP_ISIN, XT_PHYSDEV_OP_ISOUT, XT_PHYSDEV_OP_IN, XT_PHYSDEV_OP_OUT])
      if (bitmask & op && !(invert & op)) return false;
    return true;
  }
  if (bitmask & XT_PHYSDEV_OP_BRIDGED && Number(outdev !== null) ^ Number(!(invert & XT_PHYSDEV_OP_BRIDGED))) return false;
  if ((bitmask & XT_PHYSDEV_OP_ISIN && Number(indev === null) ^ Number(!!(invert & XT_PHYSDEV_OP_ISIN))) ||
    (bitmask & XT_PHYSDEV_OP_ISOUT && Number(outdev === null) ^ Number(!!(invert & XT_PHYSDEV_OP_ISOUT)))) return false;
  if (bitmask & XT_PHYSDEV_OP_IN && indev !== null && Number(cmp(indev, inPat)) ^ Number(!(invert & XT_PHYSDEV_OP_IN))) return false;
  if (!(bitmask & XT_PHYSDEV_OP_OUT)) return true;
  if (outdev === null) return false;
  return Boolean(Number(cmp(outdev, outPat)) ^ Number(!!(invert & XT_PHYSDEV_OP_OUT)));
}

describe('-m physdev', () => {
  test('property: the match says what physdev_mt says, for every option set and bridge state', () => {
    const net = new Network(1);
    const ns = net.root;
    const other = net.addNamespace('other')!;
    const env = new EvalEnv(ns, new ExtensionState());
    const names = ['veth1', 'veth2', 'eth0'];
    const tri = fc.constantFrom<boolean | null>(null, true, false);
    fc.assert(
      fc.property(
        fc.record({
          physIn: fc.option(fc.constantFrom('veth1', 'veth+', 'eth0', 'v+'), { nil: null }), physInInvert: fc.boolean(),
          physOut: fc.option(fc.constantFrom('veth2', 'veth+', 'eth0'), { nil: null }), physOutInvert: fc.boolean(),
          isIn: tri, isOut: tri, isBridged: tri,
        }),
        fc.constantFrom('none', 'routed', 'bridged', 'other-namespace'),
        fc.constantFrom(...names), fc.constantFrom(...names),
        (o, state, inName, outName) => {
          const m: PhysdevMatch = { name: 'physdev', ...o };
          const p = new Packet();
          const owner = state === 'other-namespace' ? other : ns;
          if (state !== 'none') p.physIn = { name: inName, ns: owner };
          if (state === 'bridged' || state === 'other-namespace') p.physOut = { name: outName, ns: owner };
          let bitmask = 0;
          let invert = 0;
          const flag = (v: boolean | null, op: number): void => {
            if (v === null) return;
            bitmask |= op;
            if (!v) invert |= op;
          };
          flag(m.isIn, XT_PHYSDEV_OP_ISIN);
          flag(m.isOut, XT_PHYSDEV_OP_ISOUT);
          flag(m.isBridged, XT_PHYSDEV_OP_BRIDGED);
          if (m.physIn !== null) bitmask |= XT_PHYSDEV_OP_IN;
          if (m.physIn !== null && m.physInInvert) invert |= XT_PHYSDEV_OP_IN;
          if (m.physOut !== null) bitmask |= XT_PHYSDEV_OP_OUT;
          if (m.physOut !== null && m.physOutInvert) invert |= XT_PHYSDEV_OP_OUT;
          const exists = state === 'routed' || state === 'bridged';
          const want = kernelPhysdev(bitmask, invert, m.physIn ?? '', m.physOut ?? '', exists ? inName : null, state === 'bridged' ? outName : null, exists);
          expect(matchOne(m, p, env)).toBe(want);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('load errors as iptables 1.8.9 and the kernel print them (recorded on this machine)', () => {
    const out = run(`
iptables -A FORWARD -m physdev -j ACCEPT
iptables -A OUTPUT -m physdev --physdev-out veth1 -j ACCEPT
iptables-legacy -A OUTPUT -m physdev --physdev-is-out -j ACCEPT
iptables-legacy -A OUTPUT -m physdev --physdev-is-out --physdev-is-bridged -j ACCEPT
iptables -A FORWARD -m physdev ! --physdev-in veth1 --physdev-out "veth+" ! --physdev-is-bridged -j ACCEPT
iptables -S FORWARD
iptables -L FORWARD -n
iptables-legacy -S OUTPUT
`);
    expect(out).toBe(`iptables v1.8.9 (nf_tables): PHYSDEV: no physdev option specified
Try \`iptables -h' or 'iptables --help' for more information.
iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain OUTPUT
iptables: Invalid argument. Run \`dmesg' for more information.
-P FORWARD ACCEPT
-A FORWARD -m physdev ! --physdev-in veth1 --physdev-out veth+ ! --physdev-is-bridged -j ACCEPT
Chain FORWARD (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            PHYSDEV match ! --physdev-in veth1 --physdev-out veth+ ! --physdev-is-bridged
-P OUTPUT ACCEPT
-A OUTPUT -m physdev --physdev-is-out --physdev-is-bridged -j ACCEPT
`);
  });

  test("physdev_mt_check at restore: nft checks the OUTPUT chain's own rules, legacy every chain OUTPUT reaches (recorded on this machine)", () => {
    const direct = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A OUTPUT -m physdev --physdev-is-out -j ACCEPT
COMMIT
`;
    const viaChain = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:X - [0:0]
-A OUTPUT -j X
-A X -m physdev --physdev-is-out -j ACCEPT
COMMIT
`;
    const out = run(`
iptables-restore <<'RULES'
${direct}RULES
iptables-restore <<'RULES'
${viaChain}RULES
iptables -S
iptables-legacy-restore <<'RULES'
${viaChain}RULES
iptables-legacy -N Y
iptables-legacy -A Y -m physdev --physdev-is-out -j ACCEPT
iptables-legacy -A OUTPUT -j Y
`);
    expect(out).toBe(`iptables-restore v1.8.9 (nf_tables): 
line 5: RULE_APPEND failed (Invalid argument): rule in chain OUTPUT
-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N X
-A OUTPUT -j X
-A X -m physdev --physdev-is-out -j ACCEPT
iptables-restore: line 8 failed
iptables: Invalid argument. Run \`dmesg' for more information.
`);
  });
});

// ---- xt_ipvs ----------------------------------------------------------------------------------

/** A node with two virtual services on kube-ipvs0 (masquerading to p1), its own connections probed. */
const IPVS_NODE = `
ip netns add n
ip netns add p1
ip -n p1 link add eth0 type veth peer name veth1 netns n
ip -n n addr add 10.244.1.1/32 dev veth1
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n n link set lo up
ip -n n link set veth1 up
ip -n p1 link set eth0 up
ip -n n route add 10.244.1.2/32 dev veth1
ip -n p1 route add default via 10.244.1.1 dev eth0 onlink
ip -n n link add eth0 type dummy
ip -n n addr add 192.168.1.1/24 dev eth0
ip -n n link set eth0 up
ip netns exec n sysctl -q -w net.ipv4.vs.conntrack=1
ip -n n link add kube-ipvs0 type dummy
ip -n n addr add 10.96.0.10/32 dev kube-ipvs0
ip -n n addr add 1.2.3.4/32 dev kube-ipvs0
ip netns exec n ipvsadm -A -t 10.96.0.10:80 -s rr
ip netns exec n ipvsadm -a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m
ip netns exec n ipvsadm -A -t 1.2.3.4:80 -s rr
ip netns exec n ipvsadm -a -t 1.2.3.4:80 -r 10.244.1.2:8080 -m
listen p1 tcp 8080
`;

describe('-m ipvs', () => {
  test('save and list formats of libxt_ipvs (the protocol saved as a number, --vdir REPLY as the inverted direction)', () => {
    const out = run(`
iptables -N KUBE-IPVS-OUT-FILTER
iptables -A KUBE-IPVS-OUT-FILTER -s 1.2.3.4 -m ipvs --vaddr 1.2.3.4 --vproto tcp --vport 80 -j DROP
iptables -A INPUT -m ipvs ! --ipvs -j ACCEPT
iptables -A INPUT -m ipvs ! --vaddr 10.0.0.5/24 --vdir REPLY ! --vmethod gate --vportctl ftp ! --vproto udp -j ACCEPT
iptables -A INPUT -m ipvs --vaddr 10.0.0.5/255.0.255.0 --vdir original --vmethod MASQ -j ACCEPT
iptables -A INPUT -m ipvs --vaddr 0.0.0.0/0 -j ACCEPT
iptables -S
iptables -L INPUT
`);
    expect(out).toBe(`-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N KUBE-IPVS-OUT-FILTER
-A INPUT -m ipvs ! --ipvs -j ACCEPT
-A INPUT -m ipvs ! --vproto 17 ! --vaddr 10.0.0.5/24 --vdir REPLY ! --vmethod GATE --vportctl 21 -j ACCEPT
-A INPUT -m ipvs --vaddr 10.0.0.5/255.0.255.0 --vdir ORIGINAL --vmethod MASQ -j ACCEPT
-A INPUT -m ipvs --vaddr 0.0.0.0/0 -j ACCEPT
-A KUBE-IPVS-OUT-FILTER -s 1.2.3.4/32 -m ipvs --vproto 6 --vaddr 1.2.3.4 --vport 80 -j DROP
Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  anywhere             anywhere             ! ipvs
ACCEPT     all  --  anywhere             anywhere             ! vproto 17 ! vaddr 10.0.0.5/24 vdir REPLY ! vmethod GATE vportctl 21
ACCEPT     all  --  anywhere             anywhere             vaddr 10.0.0.5/255.0.255.0 vdir ORIGINAL vmethod MASQ
ACCEPT     all  --  anywhere             anywhere             vaddr anywhere
`);
  });

  test('parse errors as iptables 1.8.9 prints them (recorded on this machine)', () => {
    const out = run(`
iptables -A INPUT -m ipvs --vport 80 --vport 81 -j DROP
iptables -A INPUT -m ipvs ! --ipvs --vport 80 -j DROP
iptables -A INPUT -m ipvs --vdir foo
iptables -A INPUT -m ipvs --vmethod foo
iptables -A INPUT -m ipvs -j DROP
iptables -A INPUT -m ipvs ! --vdir ORIGINAL
iptables -A INPUT -m ipvs --vproto foo
iptables -A INPUT -m ipvs --vport foo
`);
    const help = "Try `iptables -h' or 'iptables --help' for more information.\n";
    const v = 'iptables v1.8.9 (nf_tables): ';
    expect(out).toBe(
      [
        `${v}ipvs: option "--vport" can only be used once.\n\n`, `${v}! --ipvs cannot be together with other options\n`,
        `${v}ipvs: Bad value for "--vdir" option: "foo"\n`, `${v}ipvs: Bad value for "--vmethod" option: "foo"\n`,
        `${v}IPVS: At least one option is required\n`, `${v}ipvs: option "--vdir" cannot be inverted.\n\n`,
        `${v}unknown protocol "foo" specified\n`, `${v}Port "foo" does not resolve to anything.\n\n`,
      ].map((l) => l + help).join(''),
    );
  });

  test("kube-proxy's KUBE-IPVS-OUT-FILTER drops the node's own connection to a load balancer IP; the match sees IPVS's connection of the packets it sends on", () => {
    const out = run(`${IPVS_NODE}
ip netns exec n iptables-restore <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-IPVS-OUT-FILTER - [0:0]
:COUNT - [0:0]
-A OUTPUT -j KUBE-IPVS-OUT-FILTER
-A OUTPUT -j COUNT
-A KUBE-IPVS-OUT-FILTER -s 1.2.3.4/32 -m ipvs --vaddr 1.2.3.4 --vproto tcp --vport 80 -j DROP
-A COUNT -m ipvs --ipvs
-A COUNT -m ipvs ! --ipvs
-A COUNT -m ipvs --vaddr 10.96.0.0/16 --vport 80 --vmethod MASQ
-A COUNT -m ipvs --vaddr 10.96.0.0/16 --vport 80 --vdir ORIGINAL --vmethod MASQ
-A COUNT -m state --state NEW,ESTABLISHED
-A COUNT -m ipvs --vdir REPLY
-A COUNT -m ipvs ! --vmethod MASQ
-A COUNT -m ipvs ! --vport 80
-A COUNT -m ipvs --vportctl 80
-A COUNT -m ipvs --vproto udp
COMMIT
RULES
probe n tcp 1.2.3.4:40001 1.2.3.4:80
probe n tcp 192.168.1.1:40002 1.2.3.4:80
probe n tcp 192.168.1.1:40003 10.96.0.10:80
ip netns exec n iptables -v -S
`);
    // The node (source 1.2.3.4) never reaches the real server; from 192.168.1.1 it does.
    const blocks = out.split(/^probe \d+\n/m);
    expect(blocks[1]).not.toContain('10.244.1.2:8080');
    expect(blocks[2]).toContain('p1 eth0 in tcp 192.168.1.1:40002 > 10.244.1.2:8080 S');
    // SYN, ACK, FIN, ACK of probes 2 and 3, each sent on by IPVS: 8 packets; 3 SYNs dropped.
    expect(out).toContain('-A KUBE-IPVS-OUT-FILTER -s 1.2.3.4/32 -m ipvs --vproto 6 --vaddr 1.2.3.4 --vport 80 -c 3 180 -j DROP');
    expect(out).toContain('-A COUNT -m ipvs --ipvs -c 8 432');
    expect(out).toContain('-A COUNT -m ipvs ! --ipvs -c 0 0');
    expect(out).toContain('-A COUNT -m ipvs --vaddr 10.96.0.0/16 --vport 80 --vmethod MASQ -c 4 216');
    expect(out).toContain('-A COUNT -m ipvs --vaddr 10.96.0.0/16 --vport 80 --vdir ORIGINAL --vmethod MASQ -c 4 216');
    for (const r of ['--vdir REPLY', '! --vmethod MASQ', '! --vport 80', '--vportctl 80', '--vproto 17']) expect(out).toContain(`-A COUNT -m ipvs ${r} -c 0 0`);
  });

  test('a packet IPVS is not sending matches only `! --ipvs`', () => {
    const out = run(`
ip netns add h
ip -n h link add eth0 type dummy
ip -n h addr add 10.0.0.1/24 dev eth0
ip -n h link set eth0 up
ip netns exec h iptables -A OUTPUT -m ipvs ! --ipvs
ip netns exec h iptables -A OUTPUT -m ipvs --ipvs
ip netns exec h iptables -A OUTPUT -m ipvs ! --vport 80
probe h udp 10.0.0.1:40000 10.0.0.2:53
ip netns exec h iptables -v -S OUTPUT
`);
    expect(out).toContain('-A OUTPUT -m ipvs ! --ipvs -c 1 34');
    expect(out).toContain('-A OUTPUT -m ipvs --ipvs -c 0 0');
    expect(out).toContain('-A OUTPUT -m ipvs ! --vport 80 -c 0 0');
  });
});

// ---- REJECT's replies and nf_ct_attach ----------------------------------------------------------

describe("REJECT's replies belong to the rejected packet's connection", () => {
  test('nf_ct_attach: RELATED_REPLY for a cause in the original direction, RELATED for a reply', () => {
    const net = new Network(1);
    const ns = net.root;
    const [eth0] = ns.addVethPair('eth0', 'eth1');
    ns.setUp(eth0);
    ns.addAddress(eth0, 0x0a000001, 24);
    const ct = enableConntrack(ns);
    const syn = new Packet();
    syn.ipProto = IPPROTO_TCP;
    syn.tcpFlags = TCP_SYN;
    syn.ipSrc = 0x0a000002;
    syn.ipDst = 0x0a000001;
    syn.sport = 40000;
    syn.dport = 80;
    ct.packetIn(syn, NF_INET_PRE_ROUTING, eth0);
    expect(ct.infoOf(syn)).toBe(IP_CT_NEW);
    const rst = new Packet();
    expect(ct.attachRelated(rst, syn)).toBe(true);
    expect(ct.connOf(rst)).toBe(ct.connOf(syn));
    expect(ct.infoOf(rst)).toBe(IP_CT_RELATED_REPLY);
    const reply = new Packet();
    ct.attach(reply, ct.connOf(syn), IP_CT_ESTABLISHED_REPLY);
    const err = new Packet();
    ct.attachRelated(err, reply);
    expect(ct.infoOf(err)).toBe(IP_CT_RELATED);
    // A cause with no connection (or another namespace's) attaches nothing.
    expect(ct.attachRelated(new Packet(), new Packet())).toBe(false);
    void NF_INET_FORWARD;
  });

  test('after a DNAT, the ICMP error and the RST come from the service address and quote what the client sent (kernel: nf-reject-after-dnat)', () => {
    const text = readFileSync(new URL('../../test/kernel/scenarios/nf-reject-after-dnat.sh', import.meta.url), 'utf8');
    const out = run(text);
    expect(out).toContain('h1 eth0 in icmp 10.96.0.1 > 10.0.1.1 10.96.0.1 udp port 80 unreachable');
    expect(out).toContain('h1 eth0 in tcp 10.96.0.1:80 > 10.0.1.1:40001 R.');
    expect(out).toContain('h1 eth0 in icmp 10.96.0.2 > 10.0.1.1 10.96.0.2 udp port 53 unreachable');
    // One SYN only: the client takes the RST (from the address it connected to) and gives up.
    expect(out).toContain('-A PREROUTING -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -c 1 60 -j DNAT --to-destination 10.0.2.1:9');
    expect(out).toContain('0 flow entries have been shown.');
    void IP_CT_RELATED;
  });
});
