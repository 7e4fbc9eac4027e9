# Two pods on one node's cni0 bridge: first contact (ARP flooding), then learned unicast; pod to its gateway.
ip netns add n1
ip netns add p1
ip netns add p2
ip -n n1 link add cni0 address 02:00:00:00:01:01 type bridge
ip -n n1 addr add 10.244.1.1/24 dev cni0
ip -n n1 link set cni0 up
ip -n n1 link add veth1 address 02:00:00:00:11:01 type veth peer name eth0 netns p1 address 02:00:00:00:21:01
ip -n n1 link add veth2 address 02:00:00:00:11:02 type veth peer name eth0 netns p2 address 02:00:00:00:21:02
ip -n n1 link set veth1 master cni0
ip -n n1 link set veth2 master cni0
ip -n n1 link set veth1 up
ip -n n1 link set veth2 up
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p2 addr add 10.244.1.3/24 dev eth0
ip -n p1 link set eth0 up
ip -n p2 link set eth0 up
ip -n p1 route add default via 10.244.1.1
ip -n p2 route add default via 10.244.1.1
probe p1 icmp 10.244.1.2 10.244.1.3
probe p1 icmp 10.244.1.2 10.244.1.3
probe p1 icmp 10.244.1.2 10.244.1.1
ip netns exec n1 bridge fdb show br cni0
ip netns exec n1 brctl show
ip netns exec n1 brctl showmacs cni0
ip netns exec n1 bridge link
