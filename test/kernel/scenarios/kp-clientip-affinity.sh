# ClientIP session affinity (`-m recent` as kube-proxy writes it): each client keeps landing on the endpoint it got first.
# Node n1 routes four pods on veths: clients c1 (10.244.3.2) and c2 (10.244.4.2), endpoints
# p1 (10.244.1.2) and p2 (10.244.2.2) of Service 10.96.0.30:80. KUBE-SVC-* first tries each
# endpoint's `recent --rcheck --seconds 10800 --reap` list, then balances; KUBE-SEP-* does
# `recent --set` with its DNAT. The balancing rule uses `statistic --mode nth --every 2` instead
# of kube-proxy's `--mode random --probability 0.5` so the kernel's choice is deterministic:
# new connections alternate p1, p2. Shows: c1 → p1, c2 → p2, then c2, c1, c1, c2 again land on
# the endpoint they had (without affinity the alternation would send c2's second connection
# to p1); `conntrack -L` lists all six connections with their DNAT; iptables-save shows the
# rules and the nth counter as saved.
ip netns add n1
ip netns add c1
ip netns add c2
ip netns add p1
ip netns add p2
ip -n c1 link add eth0 type veth peer name vc1 netns n1
ip -n c2 link add eth0 type veth peer name vc2 netns n1
ip -n p1 link add eth0 type veth peer name veth1 netns n1
ip -n p2 link add eth0 type veth peer name veth2 netns n1
ip -n c1 link set eth0 address 02:00:00:00:03:01
ip -n c2 link set eth0 address 02:00:00:00:04:01
ip -n p1 link set eth0 address 02:00:00:00:01:01
ip -n p2 link set eth0 address 02:00:00:00:02:01
ip -n n1 link set vc1 address 02:00:00:00:13:01
ip -n n1 link set vc2 address 02:00:00:00:14:01
ip -n n1 link set veth1 address 02:00:00:00:11:01
ip -n n1 link set veth2 address 02:00:00:00:12:01
ip -n n1 addr add 10.244.3.1/24 dev vc1
ip -n n1 addr add 10.244.4.1/24 dev vc2
ip -n n1 addr add 10.244.1.1/24 dev veth1
ip -n n1 addr add 10.244.2.1/24 dev veth2
ip -n c1 addr add 10.244.3.2/24 dev eth0
ip -n c2 addr add 10.244.4.2/24 dev eth0
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p2 addr add 10.244.2.2/24 dev eth0
ip -n n1 link set vc1 up
ip -n n1 link set vc2 up
ip -n n1 link set veth1 up
ip -n n1 link set veth2 up
ip -n c1 link set eth0 up
ip -n c2 link set eth0 up
ip -n p1 link set eth0 up
ip -n p2 link set eth0 up
ip -n c1 route add default via 10.244.3.1
ip -n c2 route add default via 10.244.4.1
ip -n p1 route add default via 10.244.1.1
ip -n p2 route add default via 10.244.2.1
ip netns exec n1 sysctl -qw net.ipv4.ip_forward=1
# permanent neighbours everywhere: no ARP, so the capture holds only what netfilter did (the
# kernel's delayed ARP probes raced the TCP traffic's neighbour confirmations between runs)
ip -n n1 neigh replace 10.244.3.2 lladdr 02:00:00:00:03:01 dev vc1 nud permanent
ip -n n1 neigh replace 10.244.4.2 lladdr 02:00:00:00:04:01 dev vc2 nud permanent
ip -n n1 neigh replace 10.244.1.2 lladdr 02:00:00:00:01:01 dev veth1 nud permanent
ip -n n1 neigh replace 10.244.2.2 lladdr 02:00:00:00:02:01 dev veth2 nud permanent
ip -n c1 neigh replace 10.244.3.1 lladdr 02:00:00:00:13:01 dev eth0 nud permanent
ip -n c2 neigh replace 10.244.4.1 lladdr 02:00:00:00:14:01 dev eth0 nud permanent
ip -n p1 neigh replace 10.244.1.1 lladdr 02:00:00:00:11:01 dev eth0 nud permanent
ip -n p2 neigh replace 10.244.2.1 lladdr 02:00:00:00:12:01 dev eth0 nud permanent
ip netns exec n1 iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-AFFP1 - [0:0]
:KUBE-SEP-AFFP2 - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AFF - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment "default/sticky cluster IP" -m tcp --dport 80 -j KUBE-SVC-AFF
-A KUBE-SVC-AFF ! -s 10.244.0.0/16 -d 10.96.0.30/32 -p tcp -m comment --comment "default/sticky cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-AFF -m comment --comment "default/sticky -> 10.244.1.2:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-AFFP1 --mask 255.255.255.255 --rsource -j KUBE-SEP-AFFP1
-A KUBE-SVC-AFF -m comment --comment "default/sticky -> 10.244.2.2:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-AFFP2 --mask 255.255.255.255 --rsource -j KUBE-SEP-AFFP2
-A KUBE-SVC-AFF -m comment --comment "default/sticky -> 10.244.1.2:8080" -m statistic --mode nth --every 2 --packet 0 -j KUBE-SEP-AFFP1
-A KUBE-SVC-AFF -m comment --comment "default/sticky -> 10.244.2.2:8080" -j KUBE-SEP-AFFP2
-A KUBE-SEP-AFFP1 -s 10.244.1.2/32 -m comment --comment "default/sticky" -j KUBE-MARK-MASQ
-A KUBE-SEP-AFFP1 -p tcp -m comment --comment "default/sticky" -m recent --set --name KUBE-SEP-AFFP1 --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.2:8080
-A KUBE-SEP-AFFP2 -s 10.244.2.2/32 -m comment --comment "default/sticky" -j KUBE-MARK-MASQ
-A KUBE-SEP-AFFP2 -p tcp -m comment --comment "default/sticky" -m recent --set --name KUBE-SEP-AFFP2 --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.2.2:8080
COMMIT
RULES
listen p1 tcp 8080
listen p2 tcp 8080
probe c1 tcp 10.244.3.2:40001 10.96.0.30:80
probe c2 tcp 10.244.4.2:40002 10.96.0.30:80
probe c2 tcp 10.244.4.2:40003 10.96.0.30:80
probe c1 tcp 10.244.3.2:40004 10.96.0.30:80
probe c1 tcp 10.244.3.2:40005 10.96.0.30:80
probe c2 tcp 10.244.4.2:40006 10.96.0.30:80
ip netns exec n1 conntrack -L -p tcp
ip netns exec n1 iptables-save -t nat
