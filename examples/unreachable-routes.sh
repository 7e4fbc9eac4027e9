# The route types that refuse: blackhole drops silently, unreachable answers ICMP host
# unreachable, prohibit answers "admin prohibited", and no route at all answers net unreachable.
ip netns add h
ip netns add r
ip -n h link add eth0 type veth peer name eth0 netns r
ip -n h addr add 10.0.1.2/24 dev eth0
ip -n r addr add 10.0.1.1/24 dev eth0
ip -n h link set eth0 up
ip -n r link set eth0 up
ip -n h route add default via 10.0.1.1
ip netns exec r sysctl -qw net.ipv4.ip_forward=1
ip -n r route add blackhole 10.10.0.0/16
ip -n r route add unreachable 10.20.0.0/16
ip -n r route add prohibit 10.30.0.0/16
ip -n r route show
# Neighbour entries stay REACHABLE for a random 15–45 s; a long base time keeps later probes
# independent of that draw (the kernel and dpsim draw differently).
ip netns exec h sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
probe h icmp 10.0.1.2 10.10.0.1
probe h icmp 10.0.1.2 10.20.0.1
probe h icmp 10.0.1.2 10.30.0.1
probe h icmp 10.0.1.2 10.40.0.1
