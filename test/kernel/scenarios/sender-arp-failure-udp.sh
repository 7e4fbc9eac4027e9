# A UDP datagram to an address on the sender's own subnet that nobody owns.
# Shows: 3 broadcast ARP requests 1 s apart and nothing else on the wire.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
probe h1 udp 10.0.0.1:5000 10.0.0.99:7000
ip -n h1 neigh show
