# Marks on a router: MARK then -m mark, CONNMARK then -m connmark, statistic nth counting.
# mangle PREROUTING sets a packet mark (MARK --or-mark) that filter FORWARD matches to
# REJECT; CONNMARK marks a UDP flow and `-m connmark` then marks its reply too; a counting
# rule with `-m statistic --mode nth --every 3 --packet 0` counts the 1st and 4th packet.
# Shows: UDP to h2:9 rejected by the mark rule, UDP to h2:7 echoed. The counters (recorded
# with `iptables -v -S`) are checked in src/iptables/interpret.test.ts.
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
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -p udp -m udp --dport 9 -j MARK --or-mark 0x4000
-A PREROUTING -i eth0 -p udp -m udp --dport 7 -j CONNMARK --set-mark 0x7
-A PREROUTING -m connmark --mark 0x7 -j MARK --set-mark 0x1
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m statistic --mode nth --every 3 --packet 0
-A FORWARD -m mark --mark 0x4000/0x4000 -j REJECT
-A FORWARD -m mark --mark 0x1
COMMIT
RULES
listen h2 udp 7
listen h2 udp 9
probe h1 udp 10.0.1.1:40000 10.0.2.1:9
probe h1 udp 10.0.1.1:40001 10.0.2.1:7
probe h1 udp 10.0.1.1:40002 10.0.2.1:7
