# A router without a route to the destination (no default route on r1).
# Shows: r1 answers h1 with ICMP net unreachable; ip route get on r1 fails the same way.
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
# keep confirmed neighbours REACHABLE for the whole run (150-450 s instead of 15-45 s), so
# that a later probe does not depend on the random reachable time
ip netns exec h1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -qw net.ipv4.neigh.eth1.base_reachable_time_ms=300000
ip netns exec h2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip -n h1 route add default via 10.0.1.254
ip -n h2 route add default via 10.0.2.254
ip netns exec r1 sysctl -w net.ipv4.ip_forward=1
probe h1 icmp 10.0.1.1 10.9.9.9
probe h1 udp 10.0.1.1:5000 10.9.9.9:53
ip -n r1 route get 10.9.9.9
