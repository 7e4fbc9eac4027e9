# Changing an interface's MTU and showing it.
# Shows: ip link show before and after `ip link set mtu`, an MTU below the minimum
# refused, and a ping that still fits.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h1 link show eth0
ip -n h1 link set eth0 mtu 1400
ip -n h1 link show eth0
ip -n h1 link set eth0 mtu 60
ip -n h1 link set eth0 mtu 70000
ip -n h1 link show eth0
ip -n h1 route get 10.0.0.2
probe h1 icmp 10.0.0.1 10.0.0.2
