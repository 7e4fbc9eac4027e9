# FDB ageing: learned entries leave after ageing_time without traffic (20 s here, not 300 s).
# The kernel's default ageing_time is 300 s; this scenario sets `ageing_time 2000` (20 s, in
# centiseconds) on cni0 so the live kernel run stays short, and sleeps 20 s after the probe
# block (which itself ends 6 s after the last frame).
# After p1 pings p2 both pod MACs are learned; 26 s later they are gone (only the ports' and
# the bridge's own permanent entries are left); p1 still has p2's MAC in its neighbour
# cache, so its next echo request is unknown unicast again and floods to p3.
ip netns add n1
ip netns add p1
ip netns add p2
ip netns add p3
ip -n n1 link add cni0 address 02:00:00:00:01:01 type bridge ageing_time 2000
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
probe p1 icmp 10.244.1.2 10.244.1.3
ip netns exec n1 bridge fdb show br cni0
sleep 20
ip netns exec n1 bridge fdb show br cni0
ip netns exec n1 brctl showmacs cni0
probe p1 icmp 10.244.1.2 10.244.1.3
