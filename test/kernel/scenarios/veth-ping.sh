# A ping between two namespaces joined by a veth pair, caches cold.
# Shows: the sender's broadcast ARP request and the reply; the echo request and reply; the
# replier answers without ARP of its own (it learned the sender from the request); and 5 s
# later the replier's delayed unicast ARP probe (neighbour DELAY -> PROBE) and its answer.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
probe h1 icmp 10.0.0.1 10.0.0.2
ip -n h1 neigh show
ip -n h2 neigh show
