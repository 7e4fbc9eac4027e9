# A default route whose gateway is outside every subnet of the sender, with `onlink`.
# Shows: without onlink the route is refused; with it h1 ARPs for the gateway directly
# on eth0 (r1 owns it as a /32) and the ping goes through.
ip netns add h1
ip netns add r1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns r1
ip -n h2 link add eth0 type veth peer name eth1 netns r1
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n r1 link set eth0 address 02:00:00:00:11:01
ip -n r1 link set eth1 address 02:00:00:00:11:02
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.1.1/24 dev eth0
ip -n r1 addr add 10.0.1.254/24 dev eth0
ip -n r1 addr add 10.0.2.254/24 dev eth1
ip -n h2 addr add 10.0.2.1/24 dev eth0
ip -n h1 link set eth0 up
ip -n r1 link set eth0 up
ip -n r1 link set eth1 up
ip -n h2 link set eth0 up
ip -n h2 route add default via 10.0.2.254
ip netns exec r1 sysctl -w net.ipv4.ip_forward=1
ip -n r1 addr add 10.0.7.1/32 dev eth0
ip -n h1 route add default via 10.0.7.1
ip -n h1 route add default via 10.0.7.1 dev eth0 onlink
ip -n h1 route show
ip -n h1 route get 10.0.2.1
probe h1 icmp 10.0.1.1 10.0.2.1
