# What `ip route show` and `ip route get` print for the usual kinds of route.
# Shows: connected (proto kernel scope link src), via, dev-only, src and metric routes;
# route get to a neighbour, through a gateway, to a local address (table local, dev lo),
# to the subnet broadcast, and to an address without a route.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h1 route add 10.1.0.0/16 via 10.0.0.2
ip -n h1 route add 10.2.0.0/16 dev eth0
ip -n h1 route add 10.3.0.0/16 via 10.0.0.2 src 10.0.0.1 metric 10
ip -n h1 route add 10.1.2.0/24 via 10.0.0.2 metric 7
ip -n h1 route show
ip -n h1 route get 10.0.0.2
ip -n h1 route get 10.1.2.3
ip -n h1 route get 10.1.3.3
ip -n h1 route get 10.2.2.3
ip -n h1 route get 10.3.2.3
ip -n h1 route get 10.0.0.1
ip -n h1 route get 10.0.0.255
ip -n h1 route get 10.4.0.1
