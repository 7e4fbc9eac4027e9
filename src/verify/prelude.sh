# The kernel harness prelude: sourced by bash before a scenario, inside a private
# mount+network namespace (runner.ts). Defines the harness commands `listen` and `probe`
# (shared/CAPTURE.md) on top of socat, ping and tcpdump.
#
# Environment (set by runner.ts):
#   DPSIM_DIR      directory for the captures: probeN/NETNS.txt (tcpdump text), NETNS.pcap
#   DPSIM_QUIET_MS a probe ends after no packet was captured for this long (default 6000)
#   DPSIM_CAP_MS   and at the latest this long after it was sent (default 30000)
#
# After each probe, a marker line "\x1edpsim-probe N LINE\x1e" goes to stdout so the runner
# can cut the script's output into output segments and probe blocks.

# Inside the harness functions below, `command ip` calls the binary directly: through the
# function, `… &` would start a subshell and $! would not be the process to stop.
#
# dpsim models no IPv6: switch it off in each namespace the scenario creates, before the
# namespace has interfaces, so `ip addr` shows no inet6 lines and no IPv6 traffic runs.
ip() {
  command ip "$@"
  local rc=$?
  if [ $rc -eq 0 ] && [ $# -eq 3 ] && [ "$1" = netns ] && [ "$2" = add ]; then
    command ip netns exec "$3" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  fi
  return $rc
}

__dpsim_probes=0

__dpsim_now_ms() {
  local t=${EPOCHREALTIME/./}
  echo $((t / 1000))
}

# Waits (up to 5 s) until the command succeeds; 1 if it never did.
__dpsim_until() {
  local i
  for ((i = 0; i < 100; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

__dpsim_listening() {
  local ns=$1 proto=$2 port=$3 flag=-lnt
  [ "$proto" = udp ] && flag=-lnu
  [ -n "$(command ip netns exec "$ns" ss -H $flag "sport = :$port" 2>/dev/null)" ]
}

# listen NETNS udp|tcp PORT: an echo server on all addresses of NETNS.
listen() {
  local ns=$1 proto=$2 port=$3
  case $proto in
    udp) command ip netns exec "$ns" socat "UDP4-RECVFROM:$port,fork" EXEC:cat </dev/null >/dev/null 2>&1 & ;;
    # closes its side 1 s after the peer's FIN (-t 1, the child outliving it): the kernel's
    # ACK of that FIN then always leaves on its own; closing at once (EXEC:cat) races it, and
    # the FIN sometimes carries the ACK, sometimes not
    tcp) command ip netns exec "$ns" socat -t 1 "TCP4-LISTEN:$port,reuseaddr,fork" SYSTEM:'cat; sleep 5' </dev/null >/dev/null 2>&1 & ;;
    *) echo "listen: unknown protocol $proto" >&2; return 2 ;;
  esac
  __dpsim_until __dpsim_listening "$ns" "$proto" "$port" || echo "listen: $ns $proto $port never listened" >&2
}

__dpsim_tcpdump_ready() {
  local f
  for f in "$@"; do grep -q 'listening on' "$f" 2>/dev/null || return 1; done
}

# Starts the sender of a probe in the background; its pid is in __dpsim_sender.
__dpsim_send() {
  local ns=$1 proto=$2 src=$3 dst=$4
  case $proto in
    icmp)
      command ip netns exec "$ns" ping -n -q -c1 -I "$src" "$dst" </dev/null >/dev/null 2>&1 &
      ;;
    udp)
      # one 6-byte datagram; the socket stays open (-t) until the probe ends, for the echo
      printf 'hello\n' | command ip netns exec "$ns" socat -t 600 STDIO \
        "UDP4-SENDTO:${dst%:*}:${dst##*:},bind=${src%:*}:${src##*:}" >/dev/null 2>&1 &
      ;;
    tcp)
      # connect, no data, close at once
      command ip netns exec "$ns" socat -u /dev/null \
        "TCP4:${dst%:*}:${dst##*:},bind=${src%:*}:${src##*:}" </dev/null >/dev/null 2>&1 &
      ;;
    *) echo "probe: unknown protocol $proto" >&2; return 2 ;;
  esac
  __dpsim_sender=$!
}

# probe NETNS udp|tcp SRC:SPORT DST:DPORT | probe NETNS icmp SRC DST
probe() {
  local line=${BASH_LINENO[0]}
  __dpsim_probes=$((__dpsim_probes + 1))
  local n=$__dpsim_probes
  local dir="$DPSIM_DIR/probe$n"
  mkdir -p "$dir"
  local quiet=${DPSIM_QUIET_MS:-6000} cap=${DPSIM_CAP_MS:-30000}
  local ns pids=() errs=()
  for ns in $(command ip netns list | awk '{print $1}'); do
    # immediate mode makes libpcap use TPACKET_V2 with one ring frame per snaplen: a small
    # snaplen and a large buffer keep a burst (a routing loop) from overflowing the ring
    command ip netns exec "$ns" tcpdump -i any -n -l -tt --nano --immediate-mode -U -s 512 -B 8192 \
      -w "$dir/$ns.pcap" --print 'not ip6 and not igmp' >"$dir/$ns.txt" 2>"$dir/$ns.err" </dev/null &
    pids+=($!)
    errs+=("$dir/$ns.err")
  done
  __dpsim_until __dpsim_tcpdump_ready "${errs[@]}" || echo "probe: tcpdump did not start" >&2
  __dpsim_send "$@"
  local start last size=-1 cur now
  start=$(__dpsim_now_ms)
  last=$start
  while :; do
    sleep 0.1
    now=$(__dpsim_now_ms)
    cur=$(cat "$dir"/*.txt 2>/dev/null | wc -c)
    if [ "$cur" != "$size" ]; then size=$cur; last=$now; fi
    ((now - last >= quiet || now - start >= cap)) && break
  done
  kill "$__dpsim_sender" 2>/dev/null
  kill -INT "${pids[@]}" 2>/dev/null
  wait "$__dpsim_sender" "${pids[@]}" 2>/dev/null
  printf '\x1edpsim-probe %d %d\x1e\n' "$n" "$line"
}
