# br_netfilter with a DNAT that leaves the bridge: a pod connects to a service address
# (10.96.0.10:80) that the node's nat PREROUTING rewrites to the node's own 10.244.1.1:8080.
# Shows: the rule runs once, at the bridge layer (the IP layer does not run PREROUTING again),
# the frame goes up the node's stack, and the replies are un-NATed back to the service address.
ip netns add n1
ip netns add p1
ip netns add p2
ip -n n1 link add cni0 address 02:00:00:00:01:01 type bridge
ip -n n1 addr add 10.244.1.1/24 dev cni0
ip -n n1 link set cni0 up
ip -n n1 link add veth1 address 02:00:00:00:11:01 type veth peer name eth0 netns p1 address 02:00:00:00:21:01
ip -n n1 link add veth2 address 02:00:00:00:11:02 type veth peer name eth0 netns p2 address 02:00:00:00:21:02
ip -n n1 link set veth1 master cni0
ip -n n1 link set veth2 master cni0
ip -n n1 link set veth1 up
ip -n n1 link set veth2 up
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p2 addr add 10.244.1.3/24 dev eth0
ip -n p1 link set eth0 up
ip -n p1 route add default via 10.244.1.1
ip -n p2 route add default via 10.244.1.1
ip netns exec n1 sysctl -qw net.ipv4.neigh.cni0.base_reachable_time_ms=300000
ip netns exec p1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec n1 iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.1.1:8080
-A PREROUTING -d 10.96.0.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.244.1.1:5301
COMMIT
RULES
listen n1 tcp 8080
listen n1 udp 5301
probe p1 tcp 10.244.1.2:40000 10.96.0.10:80
probe p1 udp 10.244.1.2:40001 10.96.0.10:53
ip netns exec n1 iptables -t nat -v -S PREROUTING
