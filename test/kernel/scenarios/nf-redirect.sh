# REDIRECT on a router: TCP to any address on port 80 answered by the router's own 8080.
# (the first address of the in device; loaded with iptables-restore).
# Shows: the router answers as 10.0.2.1:80 (the reply un-NATed), nothing reaches h2; a UDP
# probe not matching the rule is forwarded as usual. r1 knows h1's MAC as a permanent
# neighbour: its delayed ARP probe towards h1 raced the TCP ACKs that confirm h1 (the kernel
# showed it in one run and not in the other).
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
ip -n r1 neigh add 10.0.1.1 lladdr 02:00:00:00:01:01 dev eth0 nud permanent
ip netns exec r1 iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080
COMMIT
RULES
listen r1 tcp 8080
listen h2 udp 80
probe h1 tcp 10.0.1.1:40000 10.0.2.1:80
probe h1 udp 10.0.1.1:40001 10.0.2.1:80
