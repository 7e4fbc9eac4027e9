# The per-peer ICMP rate limit on a host answering closed UDP ports (icmp_ratelimit 60 s).
# Shows: the bucket of a new peer starts with 60 s of credit, so the first port unreachable
# goes out; the next two datagrams, sent within the next 60 s, get no answer at all.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip netns exec h1 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec h2 sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=300000
ip netns exec h2 sysctl -w net.ipv4.icmp_ratelimit=60000
probe h1 udp 10.0.0.1:5000 10.0.0.2:5301
probe h1 udp 10.0.0.1:5001 10.0.0.2:5302
probe h1 udp 10.0.0.1:5002 10.0.0.2:5303
