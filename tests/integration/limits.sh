# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/integration/run (its helpers, counters, clean-up and
# source S2): limits one address cannot exhaust.
#
#   - a handshake flood: 10 x max-connections TCP connections from
#     127.0.0.1 at once that send nothing; the daemon stays up, a client
#     from 127.0.0.2 is served at once (well within the handshake timeout),
#     and the metrics show the flood: max-connections-per-address held
#     connections cut at the 2 s handshake timeout (the default, unset
#     here), every other one refused at once (outcome address_limit);
#     refusals are logged once, not once each;
#   - the cap itself: with N silent connections from 127.0.0.1, the N+1th
#     from there is refused while 127.0.0.2 and ::1 are served; once they
#     close, 127.0.0.1 is served again;
#   - behind PROXY the client address the header names is what counts (an
#     IPv6 client by its /64), not the balancer's;
#   - the key's errors, and the key in a Rust-format file.

bad_config "bad max-connections-per-address" ":3: [server] max-connections-per-address: expected a number from 1 to 4096" <<EOF
[server]
listen = 127.0.0.1:4460
max-connections-per-address = 0
EOF
bad_config "max-connections-per-address given twice" ":3: [server] max-connections-per-address: given twice" <<EOF
[server]
max-connections-per-address = 5
max-connections-per-address = 6
EOF
# The Rust format takes the key too (as one of ours).
printf '[server]\nlisten = "127.0.0.1:0"\ncertificate-chain = "%s"\nprivate-key = "%s"\nmax-connections-per-address = 4\n' \
  "$PKI/localhost.pem" "$KEY" >"$WORK/limits.toml"
out=$("$DAEMON" -t -c "$WORK/limits.toml" 2>&1)
check "kelb: max-connections-per-address read from a Rust-format file" \
  grep -qx '\[server\] max-connections-per-address -> \[server\] max-connections-per-address = 4 (ours: per client address)' <<<"$out"

LIM_MAX=8 LIM_CAP=3
LCONF=$WORK/limits.conf
pool_conf "$LCONF" "max-connections = $LIM_MAX
max-connections-per-address = $LIM_CAP" "$(upstream ts2 ts2.test "$S2_PORT")"
start_pool L1 "$LCONF" || not_ok "limits: start pool"
check "limits: the started line names the cap" \
  grep -q "server: started .* max_connections=$LIM_MAX max_connections_per_address=$LIM_CAP " "$L1_LOG"
check "limits: the metrics show the cap" \
  test "$(metric "$(metrics "$L1_METRICS")" nts_pool_ke_max_connections_per_address)" = "$LIM_CAP"

# silent HOST PORT N: N connections that send nothing; their fds in SILENT.
SILENT=()
silent() {
  local i fd
  for ((i = 0; i < $3; i++)); do
    exec {fd}<>"/dev/tcp/$1/$2" || return 1
    SILENT+=("$fd")
  done
}
close_silent() {
  local fd
  for fd in "${SILENT[@]}"; do exec {fd}<&-; done
  SILENT=()
}
# wait_active PORT N: until the daemon serves N connections (5 s at most).
wait_active() {
  local i
  for i in $(seq 50); do
    [ "$(metric "$(metrics "$1")" nts_pool_ke_active_connections)" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
lim() { metric "$(metrics "$1")" "nts_pool_ke_sessions_total{outcome=\"$2\",monitor=\"false\"}"; }

# ---- the flood ----
flood=$((10 * LIM_MAX))
silent 127.0.0.1 "$L1_PORT" "$flood" || not_ok "limits: open $flood silent connections"
t0=$(date +%s%N)
out=$(client -a 127.0.0.1 -p "$L1_PORT" -b 127.0.0.2)
ms=$((($(date +%s%N) - t0) / 1000000))
check "flood: $flood silent connections, a client from 127.0.0.2 served in ${ms} ms (< 2000, the handshake timeout)" \
  test "$(count_lines "$out" '^ok ')" -eq 1 -a "$ms" -lt 2000
wait_count "$L1_LOG" 'peer=127.0.0.1:[0-9]+ outcome=timeout' "$LIM_CAP"
check "flood: the daemon stays up" kill -0 "$L1_PID"
durs=$(sed -n 's/.*peer=127.0.0.1:[0-9]* outcome=timeout source=- duration_ms=\([0-9]*\).*/\1/p' "$L1_LOG" | tr '\n' ' ')
check "flood: $LIM_CAP held connections cut at the default handshake timeout, 2 s, not 5 (ms: $durs)" \
  awk -v d="$durs" -v n="$LIM_CAP" 'BEGIN { k = split(d, a, " "); if (k != n) exit 1
    for (i = 1; i <= k; i++) if (a[i] < 1950 || a[i] > 3500) exit 1 }'
refused=$(lim "$L1_METRICS" address_limit)
timeouts=$(lim "$L1_METRICS" timeout)
check "flood: metrics show it: ${refused:-?} refused at once (want $((flood - LIM_CAP))), ${timeouts:-?} handshake timeouts (want $LIM_CAP)" \
  test "${refused:-0}" -eq $((flood - LIM_CAP)) -a "${timeouts:-0}" -eq "$LIM_CAP"
n_lines=$(grep -c 'connection refused peer=127.0.0.1:[0-9]*: max-connections-per-address=3 reached' "$L1_LOG")
check "flood: refusals logged at warning, rate-limited ($n_lines line(s) for $refused refusals)" \
  test "$n_lines" -ge 1 -a "$n_lines" -le 2
check "flood: no session line per refused connection" \
  test "$(grep -c 'outcome=address_limit' "$L1_LOG")" -eq 0
close_silent

# ---- the cap: N+1th from one address refused, others served ----
silent 127.0.0.1 "$L1_PORT" "$LIM_CAP" || not_ok "limits: open $LIM_CAP silent connections"
wait_active "$L1_METRICS" "$LIM_CAP" || not_ok "limits: $LIM_CAP silent connections in workers"
sleep 0.5 # each worker counts its connection right after taking it
before=$(lim "$L1_METRICS" address_limit)
out=$(client -a 127.0.0.1 -p "$L1_PORT")
check "cap: connection $((LIM_CAP + 1)) from 127.0.0.1 refused" grep -q '^fail ' <<<"$out"
check "cap: counted in the metrics" test "$(lim "$L1_METRICS" address_limit)" -eq $((before + 1))
out=$(client -a 127.0.0.1 -p "$L1_PORT" -b 127.0.0.2)
check "cap: 127.0.0.2 served meanwhile" test "$(count_lines "$out" '^ok ')" -eq 1
out=$(client -a ::1 -p "$L1_PORT6")
check "cap: ::1 served meanwhile" test "$(count_lines "$out" '^ok ')" -eq 1
close_silent
wait_active "$L1_METRICS" 0 || not_ok "limits: the silent connections ended"
out=$(client -a 127.0.0.1 -p "$L1_PORT")
check "cap: 127.0.0.1 served again once its connections closed" \
  test "$(count_lines "$out" '^ok ')" -eq 1

# ---- behind PROXY: the named client is counted ----
# proxy_silent HEADER_HEX...: one connection from 127.0.0.1 that sends a
# PROXY v2 header and then nothing.
proxy_silent() {
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$L2_PORT" || return 1
  SILENT+=("$fd")
  printf '\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a%b' "$1" >&"$fd"
}
V4_HDR='\x21\x11\x00\x0c\xc0\x00\x02\x07\x7f\x00\x00\x01\x10\x00\x11\x94'     # 192.0.2.7
V6_HDR='\x21\x21\x00\x24\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01'
V6_HDR+='\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x10\x00\x11\x94' # 2001:db8::1
PCONF=$WORK/limits-proxy.conf
pool_conf "$PCONF" "max-connections = $LIM_MAX
max-connections-per-address = 2
use-proxy-protocol = true
proxy-protocol-trusted = 127.0.0.1/32" "$(upstream ts2 ts2.test "$S2_PORT")"
start_pool L2 "$PCONF" || not_ok "limits: start PROXY pool"
for i in 1 2; do proxy_silent "$V4_HDR" && proxy_silent "$V6_HDR"; done ||
  not_ok "limits: open silent PROXY connections"
wait_active "$L2_METRICS" 4 || not_ok "limits: 4 silent PROXY connections in workers"
sleep 0.5
out=$(client -a 127.0.0.1 -p "$L2_PORT" -x 192.0.2.7:4242)
check "PROXY cap: a third connection of 192.0.2.7 refused" grep -q '^fail ' <<<"$out"
out=$(client -a 127.0.0.1 -p "$L2_PORT" -x 192.0.2.8:4242)
check "PROXY cap: 192.0.2.8 through the same balancer served (the balancer's own address is not counted)" \
  test "$(count_lines "$out" '^ok ')" -eq 1
out=$(client -a 127.0.0.1 -p "$L2_PORT" -x '[2001:db8::ffff:1]:4242')
check "PROXY cap: 2001:db8::ffff:1 refused (same /64 as 2001:db8::1)" grep -q '^fail ' <<<"$out"
out=$(client -a 127.0.0.1 -p "$L2_PORT" -x '[2001:db8:0:1::1]:4242')
check "PROXY cap: 2001:db8:0:1::1 served (another /64)" test "$(count_lines "$out" '^ok ')" -eq 1
check "PROXY cap: 2 refusals in the metrics" test "$(lim "$L2_METRICS" address_limit)" -eq 2
check "PROXY cap: the log names the client, not the balancer" \
  grep -q 'connection refused peer=192.0.2.7:4242: max-connections-per-address=2 reached' "$L2_LOG"
close_silent
