ipset create T hash:ip,port initval 0x2
ipset add T 10.0.0.1,udp:53
ipset test T 10.0.0.1,udp:53
ipset test T 10.0.0.1,53
ipset test T 10.0.0.1,udp:0053
ipset add T 10.0.0.1,udp:53 timeout 5
ipset add T 10.0.0.2,udp:53 packets 5
ipset add T 10.0.0.2,udp:53 comment x
ipset add T 10.0.0.2,udp:53 nomatch
ipset create L list:set size 2
ipset create L2 list:set
ipset add L T before NOPE
ipset add L T before L2
ipset add L T
ipset add L L2
ipset save L
ipset list -t
ipset create B bitmap:port range 10-20 counters
ipset add B 11
ipset add B 12 packets 4 bytes 9
ipset del B 11
ipset add B 11
ipset list B
ipset add B 5-15
ipset save B
ipset create H hash:net initval 0x9
ipset add H 10.0.0.1-10.0.0.6
ipset save H
ipset create TT hash:ip timeout 2147484
ipset create TT hash:ip timeout 2147483 initval 1
ipset add TT 1.1.1.1 timeout 3000000
ipset create X hash:ip hashsize 0
ipset create X2 hash:ip maxelem 0
ipset list X X2
ipset create Y hash:ip foo
ipset create Y hash:ip family inet family inet
