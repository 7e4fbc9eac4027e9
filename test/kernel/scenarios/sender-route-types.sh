# The sender's own unreachable, prohibit and blackhole routes.
# Shows: each type refuses or swallows the packet inside the sender, nothing on the wire;
# ip route get prints each type's error; ip route show prints the type names.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h1 route add unreachable 10.9.1.0/24
ip -n h1 route add prohibit 10.9.2.0/24
ip -n h1 route add blackhole 10.9.3.0/24
ip -n h1 route show
probe h1 icmp 10.0.0.1 10.9.1.1
probe h1 udp 10.0.0.1:5000 10.9.2.1:53
probe h1 icmp 10.0.0.1 10.9.3.1
ip -n h1 route get 10.9.1.1
ip -n h1 route get 10.9.2.1
ip -n h1 route get 10.9.3.1
