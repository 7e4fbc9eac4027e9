# A UDP datagram to an echo server over a veth pair, and the echo back.
# Shows: ARP before the first datagram, the echo from the server's port to the client's
# port, and the server's delayed unicast ARP probe 5 s later.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
listen h2 udp 7000
probe h1 udp 10.0.0.1:5000 10.0.0.2:7000
