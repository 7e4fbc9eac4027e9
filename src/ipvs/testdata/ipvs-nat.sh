# A node n with kube-ipvs0 holding a virtual address, a client c, and two real servers p1, p2.
ip netns add n
ip netns add c
ip netns add p1
ip netns add p2
ip -n c link add eth0 type veth peer name eth0 netns n
ip -n p1 link add eth0 type veth peer name veth1 netns n
ip -n p2 link add eth0 type veth peer name veth2 netns n
ip -n c addr add 192.168.1.2/24 dev eth0
ip -n n addr add 192.168.1.1/24 dev eth0
ip -n n addr add 10.244.1.1/32 dev veth1
ip -n n addr add 10.244.1.1/32 dev veth2
ip -n p1 addr add 10.244.1.2/24 dev eth0
ip -n p2 addr add 10.244.1.3/24 dev eth0
ip -n n link set lo up
ip -n c link set eth0 up
ip -n n link set eth0 up
ip -n n link set veth1 up
ip -n n link set veth2 up
ip -n p1 link set eth0 up
ip -n p2 link set eth0 up
ip -n n route add 10.244.1.2/32 dev veth1
ip -n n route add 10.244.1.3/32 dev veth2
ip -n p1 route add default via 10.244.1.1 dev eth0 onlink
ip -n p2 route add default via 10.244.1.1 dev eth0 onlink
ip -n c route add default via 192.168.1.1
ip netns exec n sysctl -q -w net.ipv4.ip_forward=1
ip -n n link add kube-ipvs0 type dummy
ip -n n addr add 10.96.0.10/32 dev kube-ipvs0
ip netns exec n ipvsadm -A -t 10.96.0.10:80 -s rr
ip netns exec n ipvsadm -a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m
ip netns exec n ipvsadm -a -t 10.96.0.10:80 -r 10.244.1.3:8080 -m -w 2
ip netns exec n ipvsadm -A -u 10.96.0.10:53 -s sh
ip netns exec n ipvsadm -a -u 10.96.0.10:53 -r 10.244.1.3:5353 -m
listen p1 tcp 8080
listen p2 tcp 8080
listen p2 udp 5353
probe c tcp 192.168.1.2:40001 10.96.0.10:80
probe c tcp 192.168.1.2:40002 10.96.0.10:80
probe c udp 192.168.1.2:40003 10.96.0.10:53
ip netns exec n ipvsadm -Ln
ip netns exec n ipvsadm -Lnc
ip netns exec n ipvsadm -Ln --stats
ip netns exec n ipvsadm-save -n
