ipset create S hash:ip initval 0x1
ipset create S hash:ip
ipset -exist create S hash:ip initval 0x1
ipset -exist create S hash:net
ipset add S 10.0.0.1
ipset add S 10.0.0.1
ipset -! add S 10.0.0.1
ipset add S 10.0.0.300
ipset add S 10.0.0.0/30
ipset add S 10.1.0.1-10.1.0.3
ipset del S 10.9.9.9
ipset -exist del S 10.9.9.9
ipset del S 10.0.0.2
ipset test S 10.0.0.1
ipset test S 10.0.0.2
ipset -q test S 10.0.0.2
ipset add NOPE 10.0.0.1
ipset list NOPE
ipset create T hash:ip,port initval 0x2
ipset add T 10.0.0.1
ipset add T 10.0.0.1,tcp:70000
ipset add T 10.0.0.1,foo:80
ipset add T 10.0.0.1,udp:53-55
ipset add T 10.0.0.1,sctp:5
ipset list T
ipset swap S T
ipset create U hash:ip initval 0x3
ipset add U 1.2.3.4
ipset swap S U
ipset list S
ipset rename S V
ipset rename V U
ipset rename NOPE X
ipset flush V
ipset list V
ipset destroy V
ipset flush
ipset list
ipset destroy
ipset list
ipset create bad hash:foo
ipset create N hash:net initval 0x4
ipset add N 10.0.0.0/8
ipset add N 10.1.0.0/16 nomatch
ipset add N 10.0.0.0/0
ipset add N 10.2.0.0/33
ipset test N 10.1.2.3
ipset test N 10.2.2.3
ipset test N 10.1.0.0/16
ipset test N 10.0.0.0/8
ipset test N 10.0.0.0/9
ipset add N 10.3.4.5/16
ipset list N
ipset create P bitmap:port range 1000-2000
ipset add P 999
ipset add P 1000-1003
ipset test P 1001
ipset list P
ipset create Q bitmap:port range 1000-2000 timeout 10 counters comment
ipset list Q
ipset create L list:set size 2
ipset add L N
ipset add L P
ipset add L Q
ipset add L NOPE
ipset add L N
ipset destroy N
ipset test L N
ipset test L Q
ipset create M hash:ip hashsize 100 maxelem 3 initval 0x5
ipset add M 1.1.1.1
ipset add M 1.1.1.2
ipset add M 1.1.1.3
ipset add M 1.1.1.4
ipset list M
ipset create H hash:ip hashsize 4096 initval 0x6
ipset list H
ipset
ipset foo
ipset -o plain list M
