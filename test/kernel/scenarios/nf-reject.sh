# REJECT on a router: icmp-port-unreachable, icmp-host-prohibited and tcp-reset.
# In FORWARD with each of them and in INPUT for the router's own port (iptables-restore).
# Shows: the ICMP errors come from the router's address towards the sender (10.0.1.254), the
# RST from the rejected destination (10.0.2.1:9) with ack = SYN + 1, nothing reaches h2.
ip netns add h1
ip netns add r1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns r1
ip -n h2 link add eth0 type veth peer name eth1 netns r1
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n r1 link set eth0 address 02:00:00:00:11:01
ip -n r1 link set eth1 address 02:00:00:00:11:02
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.1.1/24 dev eth0
ip -n r1 addr add 10.0.1.254/24 dev eth0
ip -n r1 addr add 10.0.2.254/24 dev eth1
ip -n h2 addr add 10.0.2.1/24 dev eth0
ip -n h1 link set eth0 up
ip -n r1 link set eth0 up
ip -n r1 link set eth1 up
ip -n h2 link set eth0 up
ip -n h1 route add default via 10.0.1.254
ip -n h2 route add default via 10.0.2.254
ip netns exec r1 sysctl -w net.ipv4.ip_forward=1
ip netns exec h1 sysctl -w net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -w net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -w net.ipv4.neigh.eth1.base_reachable_time_ms=300000
ip netns exec h2 sysctl -w net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 iptables-restore <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 7 -j REJECT
-A FORWARD -p udp -m udp --dport 9 -j REJECT --reject-with icmp-port-unreachable
-A FORWARD -p udp -m udp --dport 10 -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -p tcp -m tcp --dport 9 -j REJECT --reject-with tcp-reset
COMMIT
RULES
listen h2 udp 9
listen h2 udp 10
probe h1 udp 10.0.1.1:40000 10.0.2.1:9
probe h1 udp 10.0.1.1:40001 10.0.2.1:10
probe h1 tcp 10.0.1.1:40002 10.0.2.1:9
probe h1 udp 10.0.1.1:40003 10.0.1.254:7
