# Nobody answers ARP for 10.0.2.9: the router asks three times, one second apart, then
# sends ICMP host unreachable back to the sender.
ip netns add h
ip netns add r
ip netns add lan
ip -n h link add eth0 type veth peer name host netns r
ip -n r link add lan type veth peer name eth0 netns lan
ip -n h addr add 10.0.1.2/24 dev eth0
ip -n r addr add 10.0.1.1/24 dev host
ip -n r addr add 10.0.2.1/24 dev lan
ip -n lan addr add 10.0.2.2/24 dev eth0
ip -n h link set eth0 up
ip -n r link set host up
ip -n r link set lan up
ip -n lan link set eth0 up
ip -n h route add default via 10.0.1.1
ip netns exec r sysctl -qw net.ipv4.ip_forward=1
probe h udp 10.0.1.2:40000 10.0.2.9:5301
ip -n r neigh show
