# Hairpin: off drops a frame whose destination is behind its ingress port, on sends it back.
# A static sticky FDB entry puts p2's MAC behind veth1, p1's own port, and p1 sends to p2's
# MAC (permanent neighbour entry, no ARP). Hairpin off (the default): dropped. After
# `bridge link set dev veth1 hairpin on` it goes back out veth1 (p1 sees its own echo
# request come in, for another MAC, and drops it); `ip link set veth1 type bridge_slave
# hairpin off` turns it off again.
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
ip netns exec n1 bridge fdb add 02:00:00:00:21:02 dev veth1 master static sticky
probe p1 icmp 10.244.1.2 10.244.1.3
ip netns exec n1 bridge link set dev veth1 hairpin on
probe p1 icmp 10.244.1.2 10.244.1.3
ip -n n1 link set veth1 type bridge_slave hairpin off
probe p1 icmp 10.244.1.2 10.244.1.3
ip netns exec n1 bridge fdb show br cni0
