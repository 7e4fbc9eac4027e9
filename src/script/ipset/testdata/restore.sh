ipset restore <<'X'
create A hash:ip initval 0x1
add A 1.1.1.1
add A 1.1.1.2
add NOPE 1.1.1.3
add A 1.1.1.4
X
ipset list A
ipset restore <<'X'
add A 1.1.1.1
X
ipset restore -exist <<'X'
create A hash:ip initval 0x1
add A 1.1.1.1
X
ipset -! restore <<'X'
create B hash:net initval 0x2
add B 10.0.0.0/8
add B 10.0.0.1/99
X
ipset list B
ipset restore <<'X'
create C hash:ip initval 0x3
add C 1.2.3.4
bogus line
X
ipset list -n
ipset restore <<'X'
# comment line

create D hash:ip initval 0x4
add D 5.5.5.5
flush D
add D 6.6.6.6
swap D C
destroy A
rename B BB
COMMIT
X
ipset list -n
ipset save D
ipset restore <<'X'
create E hash:ip,port initval 0x5
add E 1.1.1.1,tcp:80 foo
X
ipset restore <<'X'
create F hash:foo
X
ipset restore <<'X'
create G hash:ip initval 0x77
list G
X
ipset restore <<'X'
test C 6.6.6.6
test C 6.6.6.7
X
ipset create Z hash:ip,port,net initval 0x7 timeout 0
ipset add Z 1.2.3.4,udp:53,10.0.0.0/24 timeout 0
ipset add Z 1.2.3.4,53,10.0.0.1
ipset add Z 1.2.3.4,tcp:53,10.0.0.1/32
ipset list Z
ipset create Y hash:net,port initval 0x8 counters
ipset add Y 10.0.0.0/24,udp:53 nomatch packets 3 bytes 7
ipset add Y 10.0.0.5,80
ipset save Y
ipset create W list:set
ipset add W Y
ipset add W Z before Y
ipset save W
ipset list W
