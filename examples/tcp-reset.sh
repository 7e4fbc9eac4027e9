# A TCP SYN to a port nobody listens on is answered with a reset (RST, ACK), and a UDP
# datagram to a closed port with ICMP port unreachable.
ip netns add a
ip netns add b
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
# Neighbour entries stay REACHABLE for a random 15–45 s; a long base time keeps later probes
# independent of that draw (the kernel and dpsim draw differently).
ip netns exec a sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec b sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
probe a tcp 10.0.0.1:40000 10.0.0.2:8080
probe a udp 10.0.0.1:40001 10.0.0.2:5301
