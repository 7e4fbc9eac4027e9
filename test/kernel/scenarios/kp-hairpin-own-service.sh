# Hairpin to a pod's own Service: pod → ClusterIP → DNAT back to itself through cni0 (hairpin on, br_netfilter).
# Node n1 bridges pods p1 (the Service's only endpoint, 10.244.1.2:8080) and p2 on cni0 with
# hairpin mode on every port (as the bridge CNI plugin sets it) and
# net.bridge.bridge-nf-call-iptables=1; kube-proxy-shaped nat rules (iptables-restore) DNAT
# 10.96.0.10:80 and mark traffic from the endpoint itself (KUBE-SEP's `-s` rule) for
# masquerade. Shows: p1's connection to its own Service leaves and comes back in through veth1
# with source 10.244.1.1 (masqueraded to cni0's address) and p1 sees the replies from
# 10.96.0.10:80; p2's connection reaches p1 unmasqueraded, p1 answers p2 directly across the
# bridge and br_netfilter un-DNATs the reply; `conntrack -L` shows both entries.
ip netns add n1
ip netns add p1
ip netns add p2
ip -n n1 link add cni0 address 02:00:00:00:01:01 type bridge
ip -n n1 addr add 10.244.1.1/24 dev cni0
ip -n n1 link set cni0 up
ip -n n1 link add veth1 address 02:00:00:00:11:01 type veth peer name eth0 netns p1 address 02:00:00:00:21:01
ip -n n1 link add veth2 address 02:00:00:00:11:02 type veth peer name eth0 netns p2 address 02:00:00:00:21:02
ip -n n1 link set veth1 master cni0
ip -n n1 link set veth2 master cni0
ip -n n1 link set veth1 type bridge_slave hairpin on
ip -n n1 link set veth2 type bridge_slave hairpin on
ip -n n1 link set veth1 up
ip -n n1 link set veth2 up
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p2 addr add 10.244.1.3/24 dev eth0
ip -n p1 link set eth0 up
ip -n p2 link set eth0 up
ip -n p1 route add default via 10.244.1.1
ip -n p2 route add default via 10.244.1.1
ip netns exec n1 sysctl -w net.ipv4.ip_forward=1
ip netns exec n1 sysctl -w net.bridge.bridge-nf-call-iptables=1
ip netns exec n1 sysctl -qw net.ipv4.neigh.cni0.base_reachable_time_ms=300000
ip netns exec p1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec p2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec n1 iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-P1WEB - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-WEB - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-WEB ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEB -m comment --comment "default/web -> 10.244.1.2:8080" -j KUBE-SEP-P1WEB
-A KUBE-SEP-P1WEB -s 10.244.1.2/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ
-A KUBE-SEP-P1WEB -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.1.2:8080
COMMIT
RULES
listen p1 tcp 8080
probe p1 tcp 10.244.1.2:40000 10.96.0.10:80
probe p2 tcp 10.244.1.3:40001 10.96.0.10:80
ip netns exec n1 conntrack -L -p tcp
