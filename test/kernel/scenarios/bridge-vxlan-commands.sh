# The bridge and VXLAN commands (ip link, bridge fdb|link, brctl, sysctl) and their messages.
# No traffic: `ip link add … type bridge|vxlan`, ports joining and leaving (`master`,
# `nomaster`), `bridge fdb add|append|replace|del|show` on ports, on the bridge and on a
# VXLAN device, `bridge link`, `brctl show|showmacs`, `ip link set … type bridge_slave`,
# the net.bridge sysctls, `ip link del`, and what the tools print when the kernel refuses.
ip netns add n1
ip -n n1 link add br0 address 02:00:00:00:01:01 type bridge
ip -n n1 link add br1 address 02:00:00:00:01:02 type bridge ageing_time 1000
ip -n n1 link add v1 address 02:00:00:00:00:11 type veth peer name v1p address 02:00:00:00:00:21
ip -n n1 link add v2 address 02:00:00:00:00:12 type veth peer name v2p address 02:00:00:00:00:22
ip -n n1 link add up1 address 02:00:00:00:00:31 type veth peer name up1p address 02:00:00:00:00:41
ip -n n1 link add vx0 address 02:00:00:00:f1:01 type vxlan id 42 dstport 4789 dev up1 local 192.168.50.5 nolearning
ip -n n1 link add vx1 address 02:00:00:00:f1:02 type vxlan id 43 local 192.168.50.5
ip -n n1 link add vx2 type vxlan dstport 8472
ip -n n1 link add vx2 type vxlan id 42 dstport 4789 dev up1
ip -n n1 link show br0
ip -n n1 link show vx0
ip -n n1 link show vx1
ip -n n1 link set v1 master br0
ip -n n1 link set v2 master br0
ip -n n1 link set v1p master br1
ip -n n1 link set v2 master v1
ip -n n1 link set v2p master vx0
ip -n n1 link set br0 master br1
ip -n n1 link set br0 up
ip -n n1 link set v1 up
ip -n n1 link set v1p up
ip -n n1 link set vx0 up
ip -n n1 link show br0
ip -n n1 link show v1
ip netns exec n1 brctl show
ip netns exec n1 brctl show br1 nosuch v2p
ip netns exec n1 bridge link
ip netns exec n1 bridge link show dev v2p
ip netns exec n1 bridge link show nosuch
ip netns exec n1 bridge link show dev nosuch
ip netns exec n1 bridge link set dev v1 hairpin on
ip netns exec n1 bridge link set dev v1 hairpin maybe
ip netns exec n1 bridge link set dev v2p hairpin on
ip netns exec n1 bridge link set dev nosuch hairpin on
ip -n n1 link set v2 type bridge_slave hairpin on learning off
ip -n n1 link set v2p type bridge_slave hairpin on
ip -n n1 link set v2 type bridge_slave hairpin maybe
ip -n n1 link set br1 type bridge ageing_time 30000
ip -n n1 link set v1 type bridge ageing_time 30000
ip netns exec n1 bridge fdb add 02:00:00:00:aa:01 dev v1 master static
ip netns exec n1 bridge fdb add 02:00:00:00:aa:01 dev v1 master static
ip netns exec n1 bridge fdb append 02:00:00:00:aa:01 dev v2 master static
ip netns exec n1 bridge fdb add 02:00:00:00:aa:02 dev v1 master
ip netns exec n1 bridge fdb add 02:00:00:00:aa:03 dev v1 master dynamic
ip netns exec n1 bridge fdb add 02:00:00:00:aa:04 dev v2 master dynamic
ip netns exec n1 bridge fdb add 02:00:00:00:aa:05 dev v1 master static sticky
ip netns exec n1 bridge fdb add 02:00:00:00:aa:06 dev v1 master permanent sticky
ip netns exec n1 bridge fdb add 02:00:00:00:aa:07 dev v1
ip netns exec n1 bridge fdb add 02:00:00:00:aa:08 dev br0
ip netns exec n1 bridge fdb add 02:00:00:00:aa:09 dev br0 static
ip netns exec n1 bridge fdb add 02:00:00:00:aa:0a dev br0 master
ip netns exec n1 bridge fdb add 02:00:00:00:aa:0b dev v1p master
ip netns exec n1 bridge fdb replace 02:00:00:00:aa:02 dev v1 master static
ip netns exec n1 bridge fdb add zz:00 dev v1 master
ip netns exec n1 bridge fdb add 02:00:00:00:aa:0c dev nosuch master
ip netns exec n1 bridge fdb add 02:00:00:00:aa:0c
ip netns exec n1 bridge fdb show br br0
ip netns exec n1 bridge fdb show dev v1
ip netns exec n1 bridge fdb show br v1
ip netns exec n1 bridge fdb show br nosuch
ip netns exec n1 bridge fdb show dev nosuch
# a dynamic entry shows its age in brctl showmacs: delete it first
ip netns exec n1 bridge fdb del 02:00:00:00:aa:03 dev v1 master
ip netns exec n1 brctl showmacs br0
ip netns exec n1 brctl showmacs v1
ip netns exec n1 brctl showmacs nosuch
ip netns exec n1 bridge fdb del 02:00:00:00:aa:01 dev v1
ip netns exec n1 bridge fdb del 02:00:00:00:aa:01 dev v1 master
ip netns exec n1 bridge fdb del 02:00:00:00:aa:01 dev v2 master
ip netns exec n1 bridge fdb del 02:00:00:00:aa:07 dev v1
ip netns exec n1 bridge fdb del 02:00:00:00:aa:08 dev br0
ip netns exec n1 bridge fdb append 02:00:00:00:f2:01 dev vx0 dst 192.168.50.6
ip netns exec n1 bridge fdb append 02:00:00:00:f2:01 dev vx0 dst 192.168.50.7
ip netns exec n1 bridge fdb append 02:00:00:00:f2:01 dev vx0 dst 192.168.50.6
ip netns exec n1 bridge fdb add 02:00:00:00:f2:01 dev vx0 dst 192.168.50.8
ip netns exec n1 bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.168.50.9
ip netns exec n1 bridge fdb add 02:00:00:00:f3:01 dev vx0 dst 192.168.50.10 port 8472 vni 7 static
ip netns exec n1 bridge fdb replace 02:00:00:00:f4:01 dev vx0 dst 192.168.50.11
ip netns exec n1 bridge fdb replace 02:00:00:00:f4:01 dev vx0 dst 192.168.50.12
ip netns exec n1 bridge fdb add 02:00:00:00:f5:01 dev vx0
ip netns exec n1 bridge fdb add 02:00:00:00:f5:01 dev vx0 dst 192.168.50.13 master
ip netns exec n1 bridge fdb show dev vx0
ip netns exec n1 bridge fdb del 02:00:00:00:f2:01 dev vx0 dst 192.168.50.99
ip netns exec n1 bridge fdb del 02:00:00:00:f2:01 dev vx0 dst 192.168.50.6
ip netns exec n1 bridge fdb del 02:00:00:00:f4:01 dev vx0
ip netns exec n1 bridge fdb del 02:00:00:00:f4:01 dev vx0
ip netns exec n1 bridge fdb show dev vx0
ip netns exec n1 bridge fdb
ip netns exec n1 bridge -n n1 fdb show dev vx1
ip netns exec n1 bridge -V
ip netns exec n1 bridge foo
ip netns exec n1 bridge fdb foo
ip netns exec n1 bridge link foo
ip netns exec n1 sysctl net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-arptables
ip netns exec n1 sysctl -w net.bridge.bridge-nf-call-iptables=0
ip netns exec n1 sysctl -w net.bridge.bridge-nf-call-ip6tables=7
ip netns exec n1 sysctl net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.bridge.bridge-nf-filter-vlan-tagged
ip netns exec n1 sysctl -w net.bridge.bridge-nf-call-iptables=x
ip netns exec n1 sysctl net.bridge.nosuch
ip -n n1 link set v2 nomaster
ip netns exec n1 bridge link
ip netns exec n1 bridge fdb show br br0
ip -n n1 link del br0
ip -n n1 link del vx0
ip -n n1 link add vx3 type vxlan id 42 dstport 4789 dev up1
ip -n n1 link show
ip netns exec n1 brctl show
ip netns exec n1 bridge link
