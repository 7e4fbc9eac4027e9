# An ipset match on a router: `-m set --match-set BLOCKED dst,dst` against a hash:ip,port set.
# Shows: a UDP datagram to a member (10.0.2.1 udp:9) is rejected with port unreachable from
# the router; one to a port not in the set (udp:10) is forwarded and echoed; the set's
# listing and the rule as iptables-save prints it.
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
ip netns exec r1 ipset create BLOCKED hash:ip,port initval 0x5eed0001
ip netns exec r1 ipset add BLOCKED 10.0.2.1,udp:9
ip netns exec r1 iptables -A FORWARD -m set --match-set BLOCKED dst,dst -j REJECT
ip netns exec r1 iptables -S FORWARD
listen h2 udp 9
listen h2 udp 10
probe h1 udp 10.0.1.1:40000 10.0.2.1:9
probe h1 udp 10.0.1.1:40001 10.0.2.1:10
ip netns exec r1 ipset save
