# -m physdev on cni0-style bridge ports (br_netfilter's nf_bridge_info), filter table only.
# Three pods on n1's cni0 and a host o routed through n1's eth1. kube-router-like rules: a
# bridged frame out veth3 is dropped (p3 is fenced off from its bridge neighbours), other
# bridged frames are counted and accepted, a pod's routed traffic is seen with its in port
# and no out port, traffic from outside has no bridge info at all (`! --physdev-is-in`),
# and INPUT drops p1's UDP to the node by its in port (wildcard and inversion variants).
# Shows: which rule each packet hits (the counters of `iptables -v -S`), and that the
# bridged DROP and the INPUT DROP stop the echo/datagram where the kernel stops them. (No
# OUTPUT counters: the bridge's own IGMP reports pass OUTPUT at random times.)
ip netns add n1
ip netns add p1
ip netns add p2
ip netns add p3
ip netns add o
ip -n n1 link add cni0 address 02:00:00:00:01:01 type bridge
ip -n n1 addr add 10.244.1.1/24 dev cni0
ip -n n1 link set cni0 up
ip -n n1 link add veth1 address 02:00:00:00:11:01 type veth peer name eth0 netns p1 address 02:00:00:00:21:01
ip -n n1 link add veth2 address 02:00:00:00:11:02 type veth peer name eth0 netns p2 address 02:00:00:00:21:02
ip -n n1 link add veth3 address 02:00:00:00:11:03 type veth peer name eth0 netns p3 address 02:00:00:00:21:03
ip -n n1 link add eth1 address 02:00:00:00:12:01 type veth peer name eth0 netns o address 02:00:00:00:31:01
ip -n n1 link set veth1 master cni0
ip -n n1 link set veth2 master cni0
ip -n n1 link set veth3 master cni0
ip -n n1 link set veth1 up
ip -n n1 link set veth2 up
ip -n n1 link set veth3 up
ip -n n1 addr add 10.0.0.1/24 dev eth1
ip -n n1 link set eth1 up
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p2 addr add 10.244.1.3/24 dev eth0
ip -n p3 addr add 10.244.1.4/24 dev eth0
ip -n o addr add 10.0.0.2/24 dev eth0
ip -n p1 link set eth0 up
ip -n p2 link set eth0 up
ip -n p3 link set eth0 up
ip -n o link set eth0 up
ip -n p1 route add default via 10.244.1.1
ip -n p2 route add default via 10.244.1.1
ip -n p3 route add default via 10.244.1.1
ip -n o route add 10.244.1.0/24 via 10.0.0.1
ip netns exec n1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec n1 sysctl -qw net.ipv4.neigh.cni0.base_reachable_time_ms=300000
ip netns exec n1 sysctl -qw net.ipv4.neigh.eth1.base_reachable_time_ms=300000
ip netns exec p1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec p2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec p3 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec o sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec n1 iptables-restore <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POD-FW - [0:0]
-A INPUT -p udp -m physdev --physdev-in veth1 -m udp --dport 5301 -j DROP
-A INPUT -p udp -m physdev ! --physdev-in veth+ -m udp --dport 5301 -j DROP
-A INPUT -p udp -m physdev --physdev-is-in ! --physdev-is-bridged -j ACCEPT
-A FORWARD -m physdev --physdev-out veth3 --physdev-is-bridged -j DROP
-A FORWARD -m physdev --physdev-is-bridged -j POD-FW
-A FORWARD -m physdev --physdev-in veth+ ! --physdev-is-bridged -j ACCEPT
-A FORWARD -m physdev ! --physdev-is-in -j ACCEPT
-A POD-FW -m physdev --physdev-is-in --physdev-is-out --physdev-in veth1 -j ACCEPT
-A POD-FW -m physdev ! --physdev-out veth1 -j ACCEPT
COMMIT
RULES
listen n1 udp 5301
listen o udp 5301
probe p1 icmp 10.244.1.2 10.244.1.3
probe p2 icmp 10.244.1.3 10.244.1.4
probe p1 icmp 10.244.1.2 10.0.0.2
probe o icmp 10.0.0.2 10.244.1.3
probe p1 udp 10.244.1.2:40000 10.244.1.1:5301
probe p2 udp 10.244.1.3:40001 10.244.1.1:5301
probe o udp 10.0.0.2:40002 10.0.0.1:5301
ip netns exec n1 iptables -v -S INPUT
ip netns exec n1 iptables -v -S FORWARD
ip netns exec n1 iptables -v -S POD-FW
ip netns exec n1 iptables -S
