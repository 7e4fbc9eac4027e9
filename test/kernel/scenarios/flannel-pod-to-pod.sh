# Pod to pod across two nodes over flannel's VXLAN (flannel.1): ICMP cold and warm, UDP, TCP.
# Programmed as flannel does it (VNI 1, UDP 8472): per remote lease a permanent neighbour
# entry for the remote VTEP address, an FDB entry sending its MAC to the remote node, an
# onlink route. ICMP cold shows ARP on cni0 and the underlay (none on flannel.1), ICMP warm
# the shape of CAPTURE.md's example; then the VXLAN FDB, n2's learned bridge FDB, n1's
# neighbours on flannel.1, its routes and its devices.
ip netns add n1
ip netns add n2
ip netns add p1
ip netns add p2
# the underlay: n1 and n2 on one link
ip -n n1 link add ens3 address 02:00:00:00:00:05 type veth peer name ens3 netns n2 address 02:00:00:00:00:06
ip -n n1 addr add 192.168.50.5/24 dev ens3
ip -n n2 addr add 192.168.50.6/24 dev ens3
ip -n n1 link set ens3 up
ip -n n2 link set ens3 up
ip netns exec n1 sysctl -q -w net.ipv4.ip_forward=1
ip netns exec n2 sysctl -q -w net.ipv4.ip_forward=1
# node n1, lease 10.244.1.0/24, as flannel programs it
ip -n n1 link add flannel.1 address 02:00:00:00:f1:01 type vxlan id 1 dstport 8472 dev ens3 local 192.168.50.5 nolearning
ip -n n1 addr add 10.244.1.0/32 dev flannel.1
ip -n n1 link set flannel.1 up
ip -n n1 link add cni0 address 02:00:00:00:01:01 type bridge
ip -n n1 addr add 10.244.1.1/24 dev cni0
ip -n n1 link set cni0 up
ip -n n1 neigh replace 10.244.2.0 lladdr 02:00:00:00:f2:01 dev flannel.1 nud permanent
ip netns exec n1 bridge fdb append 02:00:00:00:f2:01 dev flannel.1 dst 192.168.50.6
ip -n n1 route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink
# node n2, lease 10.244.2.0/24
ip -n n2 link add flannel.1 address 02:00:00:00:f2:01 type vxlan id 1 dstport 8472 dev ens3 local 192.168.50.6 nolearning
ip -n n2 addr add 10.244.2.0/32 dev flannel.1
ip -n n2 link set flannel.1 up
ip -n n2 link add cni0 address 02:00:00:00:02:01 type bridge
ip -n n2 addr add 10.244.2.1/24 dev cni0
ip -n n2 link set cni0 up
ip -n n2 neigh replace 10.244.1.0 lladdr 02:00:00:00:f1:01 dev flannel.1 nud permanent
ip netns exec n2 bridge fdb append 02:00:00:00:f1:01 dev flannel.1 dst 192.168.50.5
ip -n n2 route add 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
# one pod on each node
ip -n n1 link add veth1 address 02:00:00:00:11:01 type veth peer name eth0 netns p1 address 02:00:00:00:21:01
ip -n n1 link set veth1 master cni0
ip -n n1 link set veth1 up
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p1 link set eth0 up
ip -n p1 route add default via 10.244.1.1
ip -n n2 link add veth1 address 02:00:00:00:12:01 type veth peer name eth0 netns p2 address 02:00:00:00:22:01
ip -n n2 link set veth1 master cni0
ip -n n2 link set veth1 up
ip -n p2 addr add 10.244.2.2/24 dev eth0
ip -n p2 link set eth0 up
ip -n p2 route add default via 10.244.2.1
# keep confirmed neighbours REACHABLE for the whole run (150-450 s)
ip netns exec n1 sysctl -qw net.ipv4.neigh.ens3.base_reachable_time_ms=300000
ip netns exec n2 sysctl -qw net.ipv4.neigh.ens3.base_reachable_time_ms=300000
ip netns exec n1 sysctl -qw net.ipv4.neigh.cni0.base_reachable_time_ms=300000
ip netns exec n2 sysctl -qw net.ipv4.neigh.cni0.base_reachable_time_ms=300000
ip netns exec p1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec p2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
listen p2 udp 5301
listen p2 tcp 8080
probe p1 icmp 10.244.1.2 10.244.2.2
probe p1 icmp 10.244.1.2 10.244.2.2
probe p1 udp 10.244.1.2:40001 10.244.2.2:5301
probe p1 tcp 10.244.1.2:40002 10.244.2.2:8080
ip netns exec n1 bridge fdb show dev flannel.1
ip netns exec n2 bridge fdb show br cni0
ip -n n1 neigh show dev flannel.1
ip -n n1 route
ip -n n1 link show flannel.1
ip -n n1 link show cni0
