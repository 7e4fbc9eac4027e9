# A TCP SYN to a port nobody listens on is answered with a reset (RST, ACK), and a UDP
# datagram to a closed port with ICMP port unreachable.
ip netns add a
ip netns add b
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
probe a tcp 10.0.0.1:40000 10.0.0.2:8080
probe a udp 10.0.0.1:40001 10.0.0.2:5301
