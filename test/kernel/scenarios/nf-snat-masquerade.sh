# SNAT and MASQUERADE on a router, replies un-NATed.
# SNAT of h1's second address to 10.0.2.200 (an extra address of r1), MASQUERADE of the rest
# of 10.0.1.0/24 leaving by eth1. Shows: h2 sees 10.0.2.254 (eth1's address) or 10.0.2.200
# with the source port kept; replies are un-NATed back to h1. The nat counters (first
# packets only) are checked in src/iptables/interpret.test.ts.
ip netns add h1
ip netns add r1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns r1
ip -n h2 link add eth0 type veth peer name eth1 netns r1
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n r1 link set eth0 address 02:00:00:00:11:01
ip -n r1 link set eth1 address 02:00:00:00:11:02
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.1.1/24 dev eth0
ip -n r1 addr add 10.0.1.254/24 dev eth0
ip -n r1 addr add 10.0.2.254/24 dev eth1
ip -n h2 addr add 10.0.2.1/24 dev eth0
ip -n h1 link set eth0 up
ip -n r1 link set eth0 up
ip -n r1 link set eth1 up
ip -n h2 link set eth0 up
ip -n h1 route add default via 10.0.1.254
ip -n h2 route add default via 10.0.2.254
ip netns exec r1 sysctl -w net.ipv4.ip_forward=1
ip netns exec h1 sysctl -w net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -w net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -w net.ipv4.neigh.eth1.base_reachable_time_ms=300000
ip netns exec h2 sysctl -w net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip -n h1 addr add 10.0.1.2/24 dev eth0
ip -n r1 addr add 10.0.2.200/24 dev eth1
ip netns exec r1 iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 10.0.1.2/32 -o eth1 -j SNAT --to-source 10.0.2.200
-A POSTROUTING -s 10.0.1.0/24 -o eth1 -j MASQUERADE
COMMIT
RULES
listen h2 udp 7
listen h2 tcp 8080
probe h1 udp 10.0.1.1:40000 10.0.2.1:7
probe h1 udp 10.0.1.2:40001 10.0.2.1:7
probe h1 tcp 10.0.1.1:40002 10.0.2.1:8080
probe h1 icmp 10.0.1.1 10.0.2.1
