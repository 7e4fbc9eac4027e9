# Adding, showing and deleting addresses.
# Shows: ip addr show with a primary and a secondary address on one interface, the
# errors for a duplicate add and a delete of an absent address, and what deleting the
# primary does to the secondary (it is deleted too, promote_secondaries being off).
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h1 addr add 10.0.0.11/24 dev eth0
ip -n h1 addr add 10.0.5.1/24 dev eth0
ip -n h1 addr show dev eth0
ip -n h1 addr add 10.0.0.11/24 dev eth0
ip -n h1 addr del 10.0.9.9/24 dev eth0
ip -n h1 route show
ip -n h1 addr del 10.0.0.1/24 dev eth0
ip -n h1 addr show dev eth0
ip -n h1 route show
ip -n h1 addr show
