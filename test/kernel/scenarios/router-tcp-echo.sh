# A TCP connection from h1 to an echo server on h2 through one router, closed at once.
# Shows: the handshake and teardown forwarded by r1, seen on all four interfaces.
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
# The 5 s delayed unicast ARP probe after a TCP exchange came and went between live runs
# (a neighbour confirmation race on the replying side); a long delay_first_probe_time keeps
# it out of this scenario, whose subject is TCP through a router.
ip netns exec r1 sysctl -qw net.ipv4.neigh.eth0.delay_first_probe_time=60
ip netns exec r1 sysctl -qw net.ipv4.neigh.eth1.delay_first_probe_time=60
ip netns exec h1 sysctl -qw net.ipv4.neigh.eth0.delay_first_probe_time=60
ip netns exec h2 sysctl -qw net.ipv4.neigh.eth0.delay_first_probe_time=60
listen h2 tcp 8080
probe h1 tcp 10.0.1.1:40000 10.0.2.1:8080
