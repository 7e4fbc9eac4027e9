# Unknown unicast: a frame to a MAC the bridge has not learned floods to every other port.
# p1 has a permanent neighbour entry for p2, so its echo request reaches cni0 before the
# bridge has seen p2's MAC: p2 and p3 both receive it (p3 drops it), p2 must ARP for p1
# before replying (its request floods too), and once both MACs are learned the next ping
# goes p1 -> p2 only.
ip netns add n1
ip netns add p1
ip netns add p2
ip netns add p3
ip -n n1 link add cni0 address 02:00:00:00:01:01 type bridge
ip -n n1 addr add 10.244.1.1/24 dev cni0
ip -n n1 link set cni0 up
ip -n n1 link add veth1 address 02:00:00:00:11:01 type veth peer name eth0 netns p1 address 02:00:00:00:21:01
ip -n n1 link add veth2 address 02:00:00:00:11:02 type veth peer name eth0 netns p2 address 02:00:00:00:21:02
ip -n n1 link add veth3 address 02:00:00:00:11:03 type veth peer name eth0 netns p3 address 02:00:00:00:21:03
ip -n n1 link set veth1 master cni0
ip -n n1 link set veth2 master cni0
ip -n n1 link set veth3 master cni0
ip -n n1 link set veth1 up
ip -n n1 link set veth2 up
ip -n n1 link set veth3 up
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p2 addr add 10.244.1.3/24 dev eth0
ip -n p3 addr add 10.244.1.4/24 dev eth0
ip -n p1 link set eth0 up
ip -n p2 link set eth0 up
ip -n p3 link set eth0 up
ip -n p1 route add default via 10.244.1.1
ip -n p2 route add default via 10.244.1.1
ip -n p3 route add default via 10.244.1.1
# keep confirmed neighbours REACHABLE for the whole run (150-450 s), so later probes do not
# depend on the random reachable time
ip netns exec n1 sysctl -qw net.ipv4.neigh.cni0.base_reachable_time_ms=300000
ip netns exec p1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec p2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec p3 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip -n p1 neigh replace 10.244.1.3 lladdr 02:00:00:00:21:02 dev eth0 nud permanent
probe p1 icmp 10.244.1.2 10.244.1.3
probe p1 icmp 10.244.1.2 10.244.1.3
ip netns exec n1 bridge fdb show br cni0
