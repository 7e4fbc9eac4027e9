# The talk's `iptables -F` demo on its cluster: a client outside keeps calling the front-end
# through its NodePort on worker1 while someone flushes worker1's filter table.
#
# Flushing takes away every rule but not the FORWARD chain's policy, which Docker set to DROP:
# the request is still DNATed (the nat table is untouched) but the forwarded packet to the
# front-end pod on worker3 is dropped. kube-proxy v1.12 rewrites its rules, and the jump
# FORWARD → KUBE-FORWARD that accepts its marked traffic, at its next periodic sync
# (--iptables-sync-period 30s); flannel puts FLANNEL-FWD back within 50 s.
cluster cluster.yaml
request external sock-shop/front-end
ip netns exec worker1 iptables -F
ip netns exec worker1 iptables -S FORWARD
request external sock-shop/front-end
sleep 5s
request external sock-shop/front-end
sleep 5s
request external sock-shop/front-end
sleep 5s
request external sock-shop/front-end
sleep 5s
request external sock-shop/front-end
ip netns exec worker1 iptables -S FORWARD
