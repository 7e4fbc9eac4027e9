# Two routes for one prefix through two routers with different metrics.
# Shows: the lower metric wins (the probe reaches r2, which has no route and answers net
# unreachable); after deleting it the other route is used (r1 answers).
ip netns add h1
ip netns add r1
ip netns add r2
ip -n h1 link add eth0 type veth peer name eth0 netns r1
ip -n h1 link add eth1 type veth peer name eth0 netns r2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h1 link set eth1 address 02:00:00:00:01:02
ip -n r1 link set eth0 address 02:00:00:00:11:01
ip -n r2 link set eth0 address 02:00:00:00:12:01
ip -n h1 addr add 10.0.1.1/24 dev eth0
ip -n h1 addr add 10.0.3.1/24 dev eth1
ip -n r1 addr add 10.0.1.254/24 dev eth0
ip -n r2 addr add 10.0.3.254/24 dev eth0
ip -n h1 link set eth0 up
ip -n h1 link set eth1 up
ip -n r1 link set eth0 up
ip -n r2 link set eth0 up
# keep confirmed neighbours REACHABLE for the whole run (150-450 s instead of 15-45 s), so
# that a later probe does not depend on the random reachable time
ip netns exec h1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec h1 sysctl -qw net.ipv4.neigh.eth1.base_reachable_time_ms=300000
ip netns exec r1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec r2 sysctl -qw net.ipv4.ip_forward=1
ip -n h1 route add 10.9.0.0/16 via 10.0.1.254 metric 100
ip -n h1 route add 10.9.0.0/16 via 10.0.3.254 metric 50
ip -n h1 route show
ip -n h1 route get 10.9.9.9
probe h1 icmp 10.0.3.1 10.9.9.9
ip -n h1 route del 10.9.0.0/16 via 10.0.3.254 metric 50
ip -n h1 route get 10.9.9.9
probe h1 icmp 10.0.1.1 10.9.9.9
