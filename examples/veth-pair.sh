# Two namespaces joined by a veth pair: first contact (ARP), then ICMP, UDP and TCP.
ip netns add a
ip netns add b
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a link set eth0 address 02:00:00:00:00:0a
ip -n b link set eth0 address 02:00:00:00:00:0b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
# Neighbour entries stay REACHABLE for a random 15–45 s; a long base time keeps later probes
# independent of that draw (the kernel and dpsim draw differently).
ip netns exec a sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec b sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
listen b udp 5301
listen b tcp 8080
probe a icmp 10.0.0.1 10.0.0.2
probe a udp 10.0.0.1:40001 10.0.0.2:5301
probe a tcp 10.0.0.1:40002 10.0.0.2:8080
ip -n a neigh show
