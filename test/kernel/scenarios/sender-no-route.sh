# A sender without a route to the destination (no default route).
# Shows: nothing on the wire for ICMP, UDP or TCP (the error stays in the sender);
# ip route get reports the same error.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h1 route show
probe h1 icmp 10.0.0.1 10.9.9.9
probe h1 udp 10.0.0.1:5000 10.9.9.9:53
probe h1 tcp 10.0.0.1:40000 10.9.9.9:80
ip -n h1 route get 10.9.9.9
