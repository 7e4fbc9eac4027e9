# Adding, replacing and deleting routes, with the errors ip prints.
# Shows: a duplicate add (File exists), the same prefix with another metric allowed,
# replace changing the first match in place, del removing the first match, del of an absent
# route (No such process), gateways that are not on-link or not unicast, an unknown device.
ip netns add h1
ip netns add h2
ip -n h1 link add eth0 type veth peer name eth0 netns h2
ip -n h1 link set eth0 address 02:00:00:00:01:01
ip -n h2 link set eth0 address 02:00:00:00:02:01
ip -n h1 addr add 10.0.0.1/24 dev eth0
ip -n h2 addr add 10.0.0.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h1 route add 10.5.0.0/16 via 10.0.0.2
ip -n h1 route add 10.5.0.0/16 via 10.0.0.2
ip -n h1 route add 10.5.0.0/16 via 10.0.0.3 metric 5
ip -n h1 route show
ip -n h1 route replace 10.5.0.0/16 via 10.0.0.4
ip -n h1 route show
ip -n h1 route del 10.5.0.0/16
ip -n h1 route show
ip -n h1 route del 10.6.0.0/16
ip -n h1 route add 10.7.0.0/16 via 10.9.9.9
ip -n h1 route add 10.8.0.0/16 via 10.0.0.1
ip -n h1 route add 10.9.0.0/16 dev nosuch
ip -n h1 route add default via 10.0.0.2
ip -n h1 route add default via 10.0.0.3 metric 100
ip -n h1 route show
ip -n h1 route get 10.200.0.1
