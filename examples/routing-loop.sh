# Two routers that each think the other knows the way to 10.9.0.0/16: the datagram bounces
# between them, losing one TTL per hop, until one sends ICMP time exceeded back to the sender.
ip netns add h
ip netns add r1
ip netns add r2
ip -n h link add eth0 type veth peer name host netns r1
ip -n r1 link add r2 type veth peer name r1 netns r2
ip -n h addr add 10.0.1.2/24 dev eth0
ip -n r1 addr add 10.0.1.1/24 dev host
ip -n r1 addr add 10.0.12.1/24 dev r2
ip -n r2 addr add 10.0.12.2/24 dev r1
ip -n h link set eth0 up
ip -n r1 link set host up
ip -n r1 link set r2 up
ip -n r2 link set r1 up
ip -n h route add default via 10.0.1.1
ip -n r1 route add 10.9.0.0/16 via 10.0.12.2
ip -n r2 route add 10.9.0.0/16 via 10.0.12.1
ip -n r2 route add 10.0.1.0/24 via 10.0.12.1
ip netns exec r1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec r2 sysctl -qw net.ipv4.ip_forward=1
probe h icmp 10.0.1.2 10.9.0.1
