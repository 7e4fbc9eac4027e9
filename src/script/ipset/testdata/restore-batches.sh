ipset restore <<'X'
create X hash:ip initval 0x1
create Y hash:ip initval 0x2
add X 1.1.1.1
add X 1.1.1.2
add X 1.1.1.1
add X 1.1.1.3
X
ipset save X
ipset restore <<'X'
add X 2.2.2.2
add Y 3.3.3.3
add Y 3.3.3.4
add NOPE 1.1.1.1
X
ipset save
ipset restore <<'X'
create E hash:ip,port initval 0x5
add E 1.1.1.1,tcp:80 foo
X
ipset list -n
ipset restore <<'X'
create X hash:ip initval 0x9
X
ipset restore <<'X'
del X 2.2.2.2
del X 9.9.9.9
X
ipset save X
ipset create K hash:ip initval 0x3 comment
ipset add K 1.1.1.1 comment 'a "quoted" x'
ipset add K 1.1.1.2 comment ''
ipset save K
ipset list K
