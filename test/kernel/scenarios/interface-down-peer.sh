# The far end of the veth pair set down.
# Shows: the near end loses carrier (NO-CARRIER, state DOWN) and its connected route is
# marked linkdown but still used; the ping resolves its neighbour, but the ARP requests are
# dropped before tcpdump's tap (a device without carrier has the noop qdisc): nothing at
# all is seen, and the neighbour entry ends FAILED.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h2 link set eth0 down
ip -n h1 link show eth0
ip -n h1 route show
probe h1 icmp 10.0.0.1 10.0.0.2
ip -n h1 neigh show
