# A ClusterIP with two endpoints across a VXLAN pair of nodes: one on the other node, one on the client's own bridge.
# flannel-pod-to-pod's two nodes (flannel.1 VNI 1 over ens3) plus a pod p3 next to the
# client p1 on n1's cni0 (br_netfilter on, the namespace default). n1's kube-proxy-shaped nat
# rules send 10.96.0.50:80 to p2 (10.244.2.2:8080, on n2) or p3 (10.244.1.3:8080); the
# balancing rule is `statistic --mode nth --every 2 --packet 0` instead of kube-proxy's
# `--probability 0.5` so the kernel's choice is known: the first connection goes to p2, the
# second to p3. Shows: the DNAT at cni0's PREROUTING (br_netfilter), the first connection
# routed into flannel.1 and encapsulated to n2 with the pod's own source, the replies
# decapsulated and un-DNATed on n1; the second bridged straight to p3 (through cni0's
# neighbour output while n1 resolves p3) and its replies un-DNATed by br_netfilter;
# `conntrack -L` on n1 with both connections, and on n2, where no rule asked for conntrack.
ip netns add n1
ip netns add n2
ip netns add p1
ip netns add p2
# the underlay: n1 and n2 on one link
ip -n n1 link add ens3 address 02:00:00:00:00:05 type veth peer name ens3 netns n2 address 02:00:00:00:00:06
ip -n n1 addr add 192.168.50.5/24 dev ens3
ip -n n2 addr add 192.168.50.6/24 dev ens3
ip -n n1 link set ens3 up
ip -n n2 link set ens3 up
ip netns exec n1 sysctl -q -w net.ipv4.ip_forward=1
ip netns exec n2 sysctl -q -w net.ipv4.ip_forward=1
# node n1, lease 10.244.1.0/24, as flannel programs it
ip -n n1 link add flannel.1 address 02:00:00:00:f1:01 type vxlan id 1 dstport 8472 dev ens3 local 192.168.50.5 nolearning
ip -n n1 addr add 10.244.1.0/32 dev flannel.1
ip -n n1 link set flannel.1 up
ip -n n1 link add cni0 address 02:00:00:00:01:01 type bridge
ip -n n1 addr add 10.244.1.1/24 dev cni0
ip -n n1 link set cni0 up
ip -n n1 neigh replace 10.244.2.0 lladdr 02:00:00:00:f2:01 dev flannel.1 nud permanent
ip netns exec n1 bridge fdb append 02:00:00:00:f2:01 dev flannel.1 dst 192.168.50.6
ip -n n1 route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink
# node n2, lease 10.244.2.0/24
ip -n n2 link add flannel.1 address 02:00:00:00:f2:01 type vxlan id 1 dstport 8472 dev ens3 local 192.168.50.6 nolearning
ip -n n2 addr add 10.244.2.0/32 dev flannel.1
ip -n n2 link set flannel.1 up
ip -n n2 link add cni0 address 02:00:00:00:02:01 type bridge
ip -n n2 addr add 10.244.2.1/24 dev cni0
ip -n n2 link set cni0 up
ip -n n2 neigh replace 10.244.1.0 lladdr 02:00:00:00:f1:01 dev flannel.1 nud permanent
ip netns exec n2 bridge fdb append 02:00:00:00:f1:01 dev flannel.1 dst 192.168.50.5
ip -n n2 route add 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
# one pod on each node
ip -n n1 link add veth1 address 02:00:00:00:11:01 type veth peer name eth0 netns p1 address 02:00:00:00:21:01
ip -n n1 link set veth1 master cni0
ip -n n1 link set veth1 up
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p1 link set eth0 up
ip -n p1 route add default via 10.244.1.1
ip netns add p3
ip -n n1 link add veth3 address 02:00:00:00:11:03 type veth peer name eth0 netns p3 address 02:00:00:00:21:03
ip -n n1 link set veth3 master cni0
ip -n n1 link set veth3 up
ip -n p3 addr add 10.244.1.3/24 dev eth0
ip -n p3 link set eth0 up
ip -n p3 route add default via 10.244.1.1
ip netns exec p3 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip -n n2 link add veth1 address 02:00:00:00:12:01 type veth peer name eth0 netns p2 address 02:00:00:00:22:01
ip -n n2 link set veth1 master cni0
ip -n n2 link set veth1 up
ip -n p2 addr add 10.244.2.2/24 dev eth0
ip -n p2 link set eth0 up
ip -n p2 route add default via 10.244.2.1
# keep confirmed neighbours REACHABLE for the whole run (150-450 s)
ip netns exec n1 sysctl -qw net.ipv4.neigh.ens3.base_reachable_time_ms=300000
ip netns exec n2 sysctl -qw net.ipv4.neigh.ens3.base_reachable_time_ms=300000
ip netns exec n1 sysctl -qw net.ipv4.neigh.cni0.base_reachable_time_ms=300000
ip netns exec n2 sysctl -qw net.ipv4.neigh.cni0.base_reachable_time_ms=300000
ip netns exec p1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec p2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec n1 iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-REMOTE - [0:0]
:KUBE-SEP-LOCAL - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-TWO - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment "default/two cluster IP" -m tcp --dport 80 -j KUBE-SVC-TWO
-A KUBE-SVC-TWO ! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp -m comment --comment "default/two cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-TWO -m comment --comment "default/two -> 10.244.2.2:8080" -m statistic --mode nth --every 2 --packet 0 -j KUBE-SEP-REMOTE
-A KUBE-SVC-TWO -m comment --comment "default/two -> 10.244.1.3:8080" -j KUBE-SEP-LOCAL
-A KUBE-SEP-REMOTE -s 10.244.2.2/32 -m comment --comment "default/two" -j KUBE-MARK-MASQ
-A KUBE-SEP-REMOTE -p tcp -m comment --comment "default/two" -m tcp -j DNAT --to-destination 10.244.2.2:8080
-A KUBE-SEP-LOCAL -s 10.244.1.3/32 -m comment --comment "default/two" -j KUBE-MARK-MASQ
-A KUBE-SEP-LOCAL -p tcp -m comment --comment "default/two" -m tcp -j DNAT --to-destination 10.244.1.3:8080
COMMIT
RULES
listen p2 tcp 8080
listen p3 tcp 8080
probe p1 tcp 10.244.1.2:40001 10.96.0.50:80
probe p1 tcp 10.244.1.2:40002 10.96.0.50:80
ip netns exec n1 conntrack -L -p tcp
ip netns exec n2 conntrack -L -p tcp
