# The second router has no route back to the sender's subnet.
# Shows: the echo request reaches h2 and h2 replies, but r2 cannot route the reply: it
# drops it and sends h2 net unreachable (from its address on h2's link); h1 hears nothing.
ip netns add h1
ip netns add r1
ip netns add r2
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns r1
ip -n r1 link add eth1 type veth peer name eth0 netns r2
ip -n h2 link add eth0 type veth peer name eth1 netns r2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n r1 link set eth0 address 02:00:00:00:11:01
ip -n r1 link set eth1 address 02:00:00:00:11:02
ip -n r2 link set eth0 address 02:00:00:00:12:01
ip -n r2 link set eth1 address 02:00:00:00:12:02
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.1.1/24 dev eth0
ip -n r1 addr add 10.0.1.254/24 dev eth0
ip -n r1 addr add 10.0.12.1/24 dev eth1
ip -n r2 addr add 10.0.12.2/24 dev eth0
ip -n r2 addr add 10.0.2.254/24 dev eth1
ip -n h2 addr add 10.0.2.1/24 dev eth0
ip -n h1 link set eth0 up
ip -n r1 link set eth0 up
ip -n r1 link set eth1 up
ip -n r2 link set eth0 up
ip -n r2 link set eth1 up
ip -n h2 link set eth0 up
ip -n h1 route add default via 10.0.1.254
ip -n h2 route add default via 10.0.2.254
ip netns exec r1 sysctl -w net.ipv4.ip_forward=1
ip netns exec r2 sysctl -w net.ipv4.ip_forward=1
ip -n r1 route add 10.0.2.0/24 via 10.0.12.2
probe h1 icmp 10.0.1.1 10.0.2.1
