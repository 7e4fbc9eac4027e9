# REJECT after DNAT: the error a REJECT sends belongs to the rejected packet's connection.
# Router r1 DNATs service addresses in nat PREROUTING (10.96.0.1:80 → h2 10.0.2.1:9, udp
# and tcp; 10.96.0.2:53 → r1's own 10.0.1.254:7) and its filter table rejects what arrives:
# in FORWARD with icmp-port-unreachable (udp) and tcp-reset (tcp), in INPUT for the local one.
# Shows: what the client h1 sees — whether the ICMP error and the RST come from the service
# address and quote the destination h1 sent to (10.96.0.x), or from the backend after DNAT —
# and what conntrack keeps of the rejected connections.
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
ip netns exec r1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec h1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 sysctl -qw net.ipv4.neigh.eth1.base_reachable_time_ms=300000
ip netns exec h2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec r1 iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 10.96.0.1/32 -p udp -m udp --dport 80 -j DNAT --to-destination 10.0.2.1:9
-A PREROUTING -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.2.1:9
-A PREROUTING -d 10.96.0.2/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.0.1.254:7
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 7 -j REJECT --reject-with icmp-port-unreachable
-A FORWARD -p udp -m udp --dport 9 -j REJECT --reject-with icmp-port-unreachable
-A FORWARD -p tcp -m tcp --dport 9 -j REJECT --reject-with tcp-reset
COMMIT
RULES
listen h2 udp 9
probe h1 udp 10.0.1.1:40000 10.96.0.1:80
probe h1 tcp 10.0.1.1:40001 10.96.0.1:80
probe h1 udp 10.0.1.1:40002 10.96.0.2:53
ip netns exec r1 conntrack -L
ip netns exec r1 iptables -t nat -v -S PREROUTING
ip netns exec r1 iptables -v -S
