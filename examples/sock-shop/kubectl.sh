# The talk's listings on its cluster, then orders scaled from three replicas to four: the
# EndpointSlice controller adds the new pod, and kube-proxy rewrites the orders chain with
# four statistic rules (1/4, 1/3, 1/2, the rest) at its next sync.
cluster cluster.yaml
kubectl get svc -n sock-shop
kubectl describe svc orders -n sock-shop
ip netns exec worker3 iptables -t nat -S | grep 10.111.90.77
ip netns exec worker3 iptables -t nat -S KUBE-SVC-BWR2E3DUEHRRCI5E
kubectl scale deployment orders --replicas=4 -n sock-shop
sleep 2s
kubectl get endpoints orders -n sock-shop
ip netns exec worker3 iptables -t nat -S KUBE-SVC-BWR2E3DUEHRRCI5E
request sock-shop/front-end sock-shop/orders
