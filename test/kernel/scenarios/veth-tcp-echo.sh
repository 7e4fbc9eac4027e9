# A TCP connection to an echo server over a veth pair, opened and closed at once.
# Shows: the handshake (S, S., .), the client's FIN (F.), the server's delayed ACK of it (.),
# the server's FIN 1 s later (F.), the client's last ACK (.); and still the server's delayed
# unicast ARP probe 5 s after the SYN-ACK.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
listen h2 tcp 8080
probe h1 tcp 10.0.0.1:40000 10.0.0.2:8080
ip -n h1 neigh show
ip -n h2 neigh show
