# iptables-save after kube-proxy's full and partial (--noflush) restores with ClientIP affinity, nft and legacy.
# The full file: mangle canary chains, a UDP Service with `-m recent --name … --rcheck
# --seconds 10800 --reap` per endpoint and `recent --set` in each KUBE-SEP-* (kube-proxy's
# argument order), probabilities typed as 0.33333 and 0.5, a stale chain KUBE-SEP-OLD. Then
# the partial sync kube-proxy does with `iptables-restore -w 5 -W 100000 --noflush --counters`:
# chain lines that flush KUBE-SERVICES, KUBE-SVC-* and the chains that went away, new rules,
# `-X` of those chains. Shows: the saved canonical forms (recent's `--mask 255.255.255.255
# --rsource`, 0.33333 saved as 0.33332999982), the untouched chains kept and the deleted ones
# gone; the legacy tool's note on -W.
ip netns add n1
ip netns exec n1 iptables-nft-restore <<'RULES'
*mangle
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-PROXY-CANARY - [0:0]
COMMIT
*nat
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-AFF1 - [0:0]
:KUBE-SEP-AFF2 - [0:0]
:KUBE-SEP-AFF3 - [0:0]
:KUBE-SEP-OLD - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AFF - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -m comment --comment "default/sticky:http cluster IP" -m udp -p udp -d 10.96.0.30/32 --dport 53 -j KUBE-SVC-AFF
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF1 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF1
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF2 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF2
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF3 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF3
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.1.2:53" -m statistic --mode random --probability 0.33333 -j KUBE-SEP-AFF1
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.1.3:53" -m statistic --mode random --probability 0.5 -j KUBE-SEP-AFF2
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.2.2:53" -j KUBE-SEP-AFF3
-A KUBE-SEP-AFF1 -m comment --comment default/sticky:http -s 10.244.1.2/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-AFF1 -m comment --comment default/sticky:http -m udp -p udp -m recent --name KUBE-SEP-AFF1 --set -j DNAT --to-destination 10.244.1.2:53
-A KUBE-SEP-AFF2 -m comment --comment default/sticky:http -s 10.244.1.3/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-AFF2 -m comment --comment default/sticky:http -m udp -p udp -m recent --name KUBE-SEP-AFF2 --set -j DNAT --to-destination 10.244.1.3:53
-A KUBE-SEP-AFF3 -m comment --comment default/sticky:http -s 10.244.2.2/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-AFF3 -m comment --comment default/sticky:http -m udp -p udp -m recent --name KUBE-SEP-AFF3 --set -j DNAT --to-destination 10.244.2.2:53
-A KUBE-SEP-OLD -m comment --comment default/gone:http -s 10.244.9.9/32 -j KUBE-MARK-MASQ
COMMIT
RULES
ip netns exec n1 iptables-nft-save
ip netns exec n1 iptables-nft-restore -w 5 -W 100000 --noflush --counters <<'RULES'
*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AFF - [0:0]
:KUBE-SEP-AFF3 - [0:0]
:KUBE-SEP-OLD - [0:0]
-A KUBE-SERVICES -m comment --comment "default/sticky:http cluster IP" -m udp -p udp -d 10.96.0.30/32 --dport 53 -j KUBE-SVC-AFF
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF1 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF1
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF2 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF2
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.1.2:53" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AFF1
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.1.3:53" -j KUBE-SEP-AFF2
-X KUBE-SEP-AFF3
-X KUBE-SEP-OLD
COMMIT
RULES
ip netns exec n1 iptables-nft-save -t nat
ip netns exec n1 iptables-legacy-restore <<'RULES'
*mangle
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-PROXY-CANARY - [0:0]
COMMIT
*nat
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-AFF1 - [0:0]
:KUBE-SEP-AFF2 - [0:0]
:KUBE-SEP-AFF3 - [0:0]
:KUBE-SEP-OLD - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AFF - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -m comment --comment "default/sticky:http cluster IP" -m udp -p udp -d 10.96.0.30/32 --dport 53 -j KUBE-SVC-AFF
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF1 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF1
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF2 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF2
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF3 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF3
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.1.2:53" -m statistic --mode random --probability 0.33333 -j KUBE-SEP-AFF1
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.1.3:53" -m statistic --mode random --probability 0.5 -j KUBE-SEP-AFF2
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.2.2:53" -j KUBE-SEP-AFF3
-A KUBE-SEP-AFF1 -m comment --comment default/sticky:http -s 10.244.1.2/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-AFF1 -m comment --comment default/sticky:http -m udp -p udp -m recent --name KUBE-SEP-AFF1 --set -j DNAT --to-destination 10.244.1.2:53
-A KUBE-SEP-AFF2 -m comment --comment default/sticky:http -s 10.244.1.3/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-AFF2 -m comment --comment default/sticky:http -m udp -p udp -m recent --name KUBE-SEP-AFF2 --set -j DNAT --to-destination 10.244.1.3:53
-A KUBE-SEP-AFF3 -m comment --comment default/sticky:http -s 10.244.2.2/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-AFF3 -m comment --comment default/sticky:http -m udp -p udp -m recent --name KUBE-SEP-AFF3 --set -j DNAT --to-destination 10.244.2.2:53
-A KUBE-SEP-OLD -m comment --comment default/gone:http -s 10.244.9.9/32 -j KUBE-MARK-MASQ
COMMIT
RULES
ip netns exec n1 iptables-legacy-save
ip netns exec n1 iptables-legacy-restore -w 5 -W 100000 --noflush --counters <<'RULES'
*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AFF - [0:0]
:KUBE-SEP-AFF3 - [0:0]
:KUBE-SEP-OLD - [0:0]
-A KUBE-SERVICES -m comment --comment "default/sticky:http cluster IP" -m udp -p udp -d 10.96.0.30/32 --dport 53 -j KUBE-SVC-AFF
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF1 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF1
-A KUBE-SVC-AFF -m comment --comment default/sticky:http -m recent --name KUBE-SEP-AFF2 --rcheck --seconds 10800 --reap -j KUBE-SEP-AFF2
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.1.2:53" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AFF1
-A KUBE-SVC-AFF -m comment --comment "default/sticky:http -> 10.244.1.3:53" -j KUBE-SEP-AFF2
-X KUBE-SEP-AFF3
-X KUBE-SEP-OLD
COMMIT
RULES
ip netns exec n1 iptables-legacy-save -t nat
