# A router between two subnets: the host on the left pings and talks UDP to the host on the
# right through r, which forwards (net.ipv4.ip_forward=1) and resolves both sides with ARP.
#
#   h1 (10.0.1.2) --- (10.0.1.1) r (10.0.2.1) --- (10.0.2.2) h2
ip netns add h1
ip netns add r
ip netns add h2
ip -n h1 link add eth0 type veth peer name left netns r
ip -n h2 link add eth0 type veth peer name right netns r
ip -n h1 link set eth0 address 02:00:00:00:01:02
ip -n r link set left address 02:00:00:00:01:01
ip -n r link set right address 02:00:00:00:02:01
ip -n h2 link set eth0 address 02:00:00:00:02:02
ip -n h1 addr add 10.0.1.2/24 dev eth0
ip -n r addr add 10.0.1.1/24 dev left
ip -n r addr add 10.0.2.1/24 dev right
ip -n h2 addr add 10.0.2.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n r link set left up
ip -n r link set right up
ip -n h2 link set eth0 up
ip -n h1 route add default via 10.0.1.1
ip -n h2 route add default via 10.0.2.1
ip netns exec r sysctl -w net.ipv4.ip_forward=1
ip -n h1 route get 10.0.2.2
ip -n r route show
# Neighbour entries stay REACHABLE for a random 15–45 s; a long base time keeps later probes
# independent of that draw (the kernel and dpsim draw differently).
ip netns exec h1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r sysctl -qw net.ipv4.neigh.left.base_reachable_time_ms=300000
ip netns exec r sysctl -qw net.ipv4.neigh.right.base_reachable_time_ms=300000
ip netns exec h2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
listen h2 udp 5301
probe h1 icmp 10.0.1.2 10.0.2.2
probe h1 udp 10.0.1.2:40000 10.0.2.2:5301
probe h1 udp 10.0.1.2:40001 10.0.2.2:5302
ip -n r neigh show
