# worker1 drops off the network while front-end keeps calling orders (three replicas, one on
# worker1). Until the node lifecycle controller notices (40 s without a status), kube-proxy
# still sends a third of the connections to the pod on worker1 and they fail; then its pod is
# marked not ready, the EndpointSlice drops it, and every request reaches worker2 or worker3.
cluster cluster.yaml
node down worker1
sleep 1s
kubectl get endpoints orders -n sock-shop
sleep 40s
kubectl get endpoints orders -n sock-shop
kubectl get nodes
sleep 2s
ip netns exec worker3 iptables -t nat -S KUBE-SVC-BWR2E3DUEHRRCI5E
node up worker1
sleep 2s
kubectl get endpoints orders -n sock-shop
