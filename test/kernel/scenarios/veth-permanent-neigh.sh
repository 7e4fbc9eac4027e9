# A static (PERMANENT) neighbour entry on the sender.
# Shows: the sender sends at once without ARP; the replier, which never saw an ARP
# request from the sender, must resolve the sender with a broadcast ARP before replying.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h1 neigh add 10.0.0.2 lladdr 02:00:00:00:02:01 dev eth0 nud permanent
ip -n h1 neigh show
probe h1 icmp 10.0.0.1 10.0.0.2
ip -n h1 neigh show
ip -n h2 neigh show
