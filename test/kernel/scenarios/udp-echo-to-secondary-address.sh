# Probes to the secondary address of a server with two addresses.
# Shows: ARP asks and answers for the secondary; the echo reply comes from the secondary;
# TCP answers from it too; but the UDP echo server (an unbound socket answering with
# sendto) replies from the primary address, the route's preferred source.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
# keep confirmed neighbours REACHABLE for the whole run (150-450 s instead of 15-45 s), so
# that a later probe does not depend on the random reachable time
ip netns exec h1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec h2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip -n h2 addr add 10.0.0.3/24 dev eth0
listen h2 udp 7000
listen h2 tcp 8080
probe h1 icmp 10.0.0.1 10.0.0.3
probe h1 udp 10.0.0.1:5000 10.0.0.3:7000
probe h1 tcp 10.0.0.1:40000 10.0.0.3:8080
