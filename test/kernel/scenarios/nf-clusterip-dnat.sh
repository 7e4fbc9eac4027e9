# A ClusterIP Service on one node (kube-proxy-shaped nat rules): pod to VIP to local endpoint.
# Pods p1 and p2 on veths of node n1 (routed, no bridge); KUBE-SERVICES sends 10.96.0.10:80
# to the Service chain, a statistic jump (probability 1) to the endpoint chain, which marks
# hairpin traffic for masquerade and DNATs to 10.244.2.2:8080 (loaded with iptables-restore).
# Shows: p1's connection to the VIP reaches p2's 8080; p2 answers 10.244.1.2 directly and p1
# sees the reply from 10.96.0.10:80 (un-NATed by conntrack); only the SYN walks the nat table.
ip netns add n1
ip netns add p1
ip netns add p2
ip -n p1 link add eth0 type veth peer name veth1 netns n1
ip -n p2 link add eth0 type veth peer name veth2 netns n1
ip -n p1 link set eth0 address 02:00:00:00:01:01
ip -n p2 link set eth0 address 02:00:00:00:02:01
ip -n n1 link set veth1 address 02:00:00:00:11:01
ip -n n1 link set veth2 address 02:00:00:00:11:02
ip -n n1 addr add 10.244.1.1/24 dev veth1
ip -n n1 addr add 10.244.2.1/24 dev veth2
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p2 addr add 10.244.2.2/24 dev eth0
ip -n n1 link set veth1 up
ip -n n1 link set veth2 up
ip -n p1 link set eth0 up
ip -n p2 link set eth0 up
ip -n p1 route add default via 10.244.1.1
ip -n p2 route add default via 10.244.2.1
ip netns exec n1 sysctl -w net.ipv4.ip_forward=1
ip netns exec n1 iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SEP-ABC - [0:0]
:KUBE-SVC-XYZ - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-XYZ
-A KUBE-SEP-ABC -s 10.244.2.2/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ
-A KUBE-SEP-ABC -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.2.2:8080
-A KUBE-SVC-XYZ -m comment --comment "default/web -> 10.244.2.2:8080" -m statistic --mode random --probability 1.00000000000 -j KUBE-SEP-ABC
COMMIT
RULES
listen p2 tcp 8080
probe p1 tcp 10.244.1.2:40000 10.96.0.10:80
