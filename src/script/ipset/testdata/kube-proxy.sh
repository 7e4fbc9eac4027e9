ipset create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 comment initval 0x11
ipset create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536 comment initval 0x12
ipset create KUBE-NODE-PORT-TCP bitmap:port range 0-65535 comment
ipset create KUBE-NODE-PORT-UDP bitmap:port range 0-65535 comment
ipset create KUBE-NODE-PORT-LOCAL-TCP bitmap:port range 0-65535 comment
ipset create KUBE-EXTERNAL-IP hash:ip,port family inet hashsize 1024 maxelem 65536 comment initval 0x13
ipset create KUBE-LOAD-BALANCER hash:ip,port family inet hashsize 1024 maxelem 65536 comment initval 0x14
ipset create KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net family inet hashsize 1024 maxelem 65536 comment initval 0x15
ipset create KUBE-NODE-PORT-LOCAL-SCTP-HASH hash:ip,port family inet hashsize 1024 maxelem 65536 comment initval 0x16
ipset create KUBE-HEALTH-CHECK-NODE-PORT bitmap:port range 0-65535 comment
ipset create KUBE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem 65536 comment initval 0x17
ipset add KUBE-CLUSTER-IP 10.96.0.1,tcp:443 comment "Kubernetes service cluster ip + port for masquerade purpose" -exist
ipset add KUBE-CLUSTER-IP 10.96.0.10,udp:53 comment "Kubernetes service cluster ip + port for masquerade purpose" -exist
ipset add KUBE-CLUSTER-IP 10.96.0.10,tcp:53 comment "Kubernetes service cluster ip + port for masquerade purpose" -exist
ipset add KUBE-CLUSTER-IP 10.96.0.10,tcp:9153 comment "Kubernetes service cluster ip + port for masquerade purpose" -exist
ipset add KUBE-CLUSTER-IP 10.101.23.4,tcp:80 comment "Kubernetes service cluster ip + port for masquerade purpose" -exist
ipset add KUBE-LOOP-BACK 10.244.1.5,tcp:80,10.244.1.5 comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -exist
ipset add KUBE-LOOP-BACK 10.244.2.7,udp:53,10.244.2.7 comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -exist
ipset add KUBE-NODE-PORT-TCP 30080 comment "Kubernetes nodeport TCP port for masquerade purpose" -exist
ipset add KUBE-NODE-PORT-UDP 30053 comment "Kubernetes nodeport UDP port for masquerade purpose" -exist
ipset add KUBE-LOAD-BALANCER-SOURCE-CIDR 192.0.2.10,tcp:80,203.0.113.0/24 comment "Kubernetes service load balancer ip + port + source cidr for packet filter purpose" -exist
ipset add KUBE-IPVS-IPS 10.96.0.1 -exist
ipset add KUBE-IPVS-IPS 10.96.0.10 -exist
ipset add KUBE-IPVS-IPS 10.101.23.4 -exist
ipset test KUBE-CLUSTER-IP 10.96.0.10,udp:53
ipset test KUBE-CLUSTER-IP 10.96.0.10,udp:54
ipset test KUBE-LOOP-BACK 10.244.1.5,tcp:80,10.244.1.5
ipset test KUBE-LOAD-BALANCER-SOURCE-CIDR 192.0.2.10,tcp:80,203.0.113.77
ipset test KUBE-LOAD-BALANCER-SOURCE-CIDR 192.0.2.10,tcp:80,203.0.114.77
ipset del KUBE-CLUSTER-IP 10.101.23.4,tcp:80
ipset list
ipset save
ipset flush KUBE-LOOP-BACK
ipset list KUBE-LOOP-BACK
ipset destroy KUBE-LOOP-BACK
ipset list -n
