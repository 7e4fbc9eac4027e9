# A ping from h1 to h2 through two routers (h1 -- r1 -- r2 -- h2).
# Shows: ARP on each of the three links, TTL decremented at each router, the reply's path.
ip netns add h1
ip netns add r1
ip netns add r2
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns r1
ip -n r1 link add eth1 type veth peer name eth0 netns r2
ip -n h2 link add eth0 type veth peer name eth1 netns r2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n r1 link set eth0 address 02:00:00:00:11:01
ip -n r1 link set eth1 address 02:00:00:00:11:02
ip -n r2 link set eth0 address 02:00:00:00:12:01
ip -n r2 link set eth1 address 02:00:00:00:12:02
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.1.1/24 dev eth0
ip -n r1 addr add 10.0.1.254/24 dev eth0
ip -n r1 addr add 10.0.12.1/24 dev eth1
ip -n r2 addr add 10.0.12.2/24 dev eth0
ip -n r2 addr add 10.0.2.254/24 dev eth1
ip -n h2 addr add 10.0.2.1/24 dev eth0
ip -n h1 link set eth0 up
ip -n r1 link set eth0 up
ip -n r1 link set eth1 up
ip -n r2 link set eth0 up
ip -n r2 link set eth1 up
ip -n h2 link set eth0 up
# keep confirmed neighbours REACHABLE for the whole run (150-450 s instead of 15-45 s), so
# that a later probe does not depend on the random reachable time
ip netns exec h1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -qw net.ipv4.neigh.eth1.base_reachable_time_ms=300000
ip netns exec r2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r2 sysctl -qw net.ipv4.neigh.eth1.base_reachable_time_ms=300000
ip netns exec h2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip -n h1 route add default via 10.0.1.254
ip -n h2 route add default via 10.0.2.254
ip netns exec r1 sysctl -w net.ipv4.ip_forward=1
ip netns exec r2 sysctl -w net.ipv4.ip_forward=1
ip -n r1 route add 10.0.2.0/24 via 10.0.12.2
ip -n r2 route add 10.0.1.0/24 via 10.0.12.1
probe h1 icmp 10.0.1.1 10.0.2.1
probe h1 icmp 10.0.1.1 10.0.2.1
