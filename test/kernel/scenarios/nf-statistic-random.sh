# kube-proxy's load balancing as the kernel draws it: a ClusterIP whose rule picks one of two
# endpoints with `statistic --mode random --probability 0.5`. Which one the kernel picks is
# random; dpsim explores both branches of each connection and the suite accepts the kernel's
# run when it is one of dpsim's outcomes (here four: two connections, two endpoints each).
ip netns add n1
ip netns add c
ip netns add p1
ip netns add p2
ip -n n1 link add eth0 address 02:00:00:00:01:01 type veth peer name eth0 netns c address 02:00:00:00:02:01
ip -n n1 link add eth1 address 02:00:00:00:01:02 type veth peer name eth0 netns p1 address 02:00:00:00:03:01
ip -n n1 link add eth2 address 02:00:00:00:01:03 type veth peer name eth0 netns p2 address 02:00:00:00:04:01
ip -n n1 addr add 10.0.0.1/24 dev eth0
ip -n n1 addr add 10.1.1.1/24 dev eth1
ip -n n1 addr add 10.1.2.1/24 dev eth2
ip -n c addr add 10.0.0.2/24 dev eth0
ip -n p1 addr add 10.1.1.2/24 dev eth0
ip -n p2 addr add 10.1.2.2/24 dev eth0
ip -n n1 link set eth0 up
ip -n n1 link set eth1 up
ip -n n1 link set eth2 up
ip -n c link set eth0 up
ip -n p1 link set eth0 up
ip -n p2 link set eth0 up
ip -n c route add default via 10.0.0.1
ip -n p1 route add default via 10.1.1.1
ip -n p2 route add default via 10.1.2.1
ip netns exec n1 sysctl -q -w net.ipv4.ip_forward=1
ip -n c neigh replace 10.0.0.1 lladdr 02:00:00:00:01:01 dev eth0 nud permanent
ip -n n1 neigh replace 10.0.0.2 lladdr 02:00:00:00:02:01 dev eth0 nud permanent
ip -n n1 neigh replace 10.1.1.2 lladdr 02:00:00:00:03:01 dev eth1 nud permanent
ip -n n1 neigh replace 10.1.2.2 lladdr 02:00:00:00:04:01 dev eth2 nud permanent
ip -n p1 neigh replace 10.1.1.1 lladdr 02:00:00:00:01:02 dev eth0 nud permanent
ip -n p2 neigh replace 10.1.2.1 lladdr 02:00:00:00:01:03 dev eth0 nud permanent
ip netns exec n1 iptables-restore <<'EOF2'
*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-WEB - [0:0]
:KUBE-SEP-ONE - [0:0]
:KUBE-SEP-TWO - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "default/web cluster IP" -m udp --dport 53 -j KUBE-SVC-WEB
-A KUBE-SVC-WEB -m comment --comment "default/web -> 10.1.1.2:5353" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-ONE
-A KUBE-SVC-WEB -m comment --comment "default/web -> 10.1.2.2:5353" -j KUBE-SEP-TWO
-A KUBE-SEP-ONE -p udp -m comment --comment "default/web" -m udp -j DNAT --to-destination 10.1.1.2:5353
-A KUBE-SEP-TWO -p udp -m comment --comment "default/web" -m udp -j DNAT --to-destination 10.1.2.2:5353
COMMIT
EOF2
listen p1 udp 5353
listen p2 udp 5353
probe c udp 10.0.0.2:40000 10.96.0.10:53
probe c udp 10.0.0.2:40001 10.96.0.10:53
