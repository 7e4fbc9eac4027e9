# NodePort with KUBE-MARK-MASQ and masquerade: an external client reaches a pod through node n1's port 30080.
# kube-proxy-shaped rules (iptables-restore, nat and filter): KUBE-SERVICES ends with the
# addrtype LOCAL jump to KUBE-NODEPORTS, whose rule for 30080 goes through KUBE-EXT-* (marks
# the packet 0x4000 for masquerade) to KUBE-SVC-* and KUBE-SEP-* (DNAT to 10.244.1.2:8080);
# KUBE-POSTROUTING masquerades marked packets (without --random-fully, so the source port is
# kept and the capture is deterministic); KUBE-FORWARD accepts them. Shows: the pod sees the
# node's address on cni-side veth1 (10.244.1.1) as source, the client sees the reply from
# 192.168.50.1:30080; a UDP NodePort is echoed the same way; `conntrack -L` on n1 lists both
# connections with their DNAT and SNAT tuples; a closed NodePort is refused by the node.
ip netns add client
ip netns add n1
ip netns add p1
ip -n client link add eth0 type veth peer name eth0 netns n1
ip -n p1 link add eth0 type veth peer name veth1 netns n1
ip -n client link set eth0 address 02:00:00:00:0c:01
ip -n n1 link set eth0 address 02:00:00:00:11:00
ip -n n1 link set veth1 address 02:00:00:00:11:01
ip -n p1 link set eth0 address 02:00:00:00:01:01
ip -n client addr add 192.168.50.10/24 dev eth0
ip -n n1 addr add 192.168.50.1/24 dev eth0
ip -n n1 addr add 10.244.1.1/24 dev veth1
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n client link set eth0 up
ip -n n1 link set eth0 up
ip -n n1 link set veth1 up
ip -n p1 link set eth0 up
ip -n p1 route add default via 10.244.1.1
ip netns exec n1 sysctl -w net.ipv4.ip_forward=1
ip netns exec client sysctl -w net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec n1 sysctl -w net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec n1 sysctl -w net.ipv4.neigh.veth1.base_reachable_time_ms=300000
ip netns exec p1 sysctl -w net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec n1 iptables-restore <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FORWARD - [0:0]
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-EXT-WEBTCP - [0:0]
:KUBE-EXT-WEBUDP - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-WEBTCP1 - [0:0]
:KUBE-SEP-WEBUDP1 - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-WEBTCP - [0:0]
:KUBE-SVC-WEBUDP - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEBTCP
-A KUBE-SERVICES -d 10.96.0.20/32 -p udp -m comment --comment "default/web:echo cluster IP" -m udp --dport 7 -j KUBE-SVC-WEBUDP
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j KUBE-EXT-WEBTCP
-A KUBE-NODEPORTS -p udp -m comment --comment "default/web:echo" -m udp --dport 30007 -j KUBE-EXT-WEBUDP
-A KUBE-EXT-WEBTCP -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-WEBTCP -j KUBE-SVC-WEBTCP
-A KUBE-EXT-WEBUDP -m comment --comment "masquerade traffic for default/web:echo external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-WEBUDP -j KUBE-SVC-WEBUDP
-A KUBE-SVC-WEBTCP ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEBTCP -m comment --comment "default/web:http -> 10.244.1.2:8080" -j KUBE-SEP-WEBTCP1
-A KUBE-SVC-WEBUDP ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p udp -m comment --comment "default/web:echo cluster IP" -m udp --dport 7 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEBUDP -m comment --comment "default/web:echo -> 10.244.1.2:7" -j KUBE-SEP-WEBUDP1
-A KUBE-SEP-WEBTCP1 -s 10.244.1.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-WEBTCP1 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080
-A KUBE-SEP-WEBUDP1 -s 10.244.1.2/32 -m comment --comment "default/web:echo" -j KUBE-MARK-MASQ
-A KUBE-SEP-WEBUDP1 -p udp -m comment --comment "default/web:echo" -m udp -j DNAT --to-destination 10.244.1.2:7
COMMIT
RULES
listen p1 tcp 8080
listen p1 udp 7
probe client tcp 192.168.50.10:40000 192.168.50.1:30080
probe client udp 192.168.50.10:40001 192.168.50.1:30007
probe client tcp 192.168.50.10:40002 192.168.50.1:30081
ip netns exec n1 conntrack -L -p tcp
ip netns exec n1 conntrack -L -p udp
