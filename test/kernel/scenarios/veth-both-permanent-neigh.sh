# Static neighbour entries on both ends, one added and then replaced.
# Shows: no ARP at all on the wire; `ip neigh replace` changes an entry in place and
# `ip neigh del` removes it.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h1 neigh add 10.0.0.2 lladdr 02:00:00:00:09:09 dev eth0
ip -n h1 neigh show
ip -n h1 neigh replace 10.0.0.2 lladdr 02:00:00:00:02:01 dev eth0 nud permanent
ip -n h2 neigh add 10.0.0.1 lladdr 02:00:00:00:01:01 dev eth0 nud permanent
ip -n h1 neigh add 10.0.0.7 lladdr 02:00:00:00:07:07 dev eth0 nud permanent
ip -n h1 neigh show
ip -n h1 neigh del 10.0.0.7 dev eth0
ip -n h1 neigh del 10.0.0.8 dev eth0
probe h1 icmp 10.0.0.1 10.0.0.2
ip -n h1 neigh show
ip -n h2 neigh show
