# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/integration/run after server-list.sh (its sources LA and
# LB, derive, entry, list_conf): the monitor's probes, sent by our own
# examples/ntske-client (--monitor-key FILE --uuid UUID), through a pool
# that reads a server list and a monitor keys file the test writes.
#
#   - a known uuid gets that source's cookies, also one with weight 0 and
#     one with ipv4-capable false probed over IPv4: no ordinary client
#     ever gets either;
#   - an unknown uuid gets 0xF000, a source that is down 0xF001, a wrong
#     key Bad Request; an ordinary client never sees 0xF00x;
#   - the probes leave the source's health alone and count with a monitor
#     label; the keys file is watched (a new key works after a rewrite).

NTSKE=$B/examples/ntske-client
MKEYS=$WORK/monitoring.keys.json
printf '["mon-key-one", "mon-key-two"]\n' >"$MKEYS"
chmod 600 "$MKEYS"
printf 'mon-key-two\n' >"$WORK/mon.key"
printf 'not-a-monitor\n' >"$WORK/wrong.key"
UD=6d1a0c9e-0000-4000-8000-00000000000d # listed, nothing listening, weight 0
MLIST=$WORK/monitor-servers.json
printf '[%s,\n %s,\n %s]\n' \
  "$(entry "$UA" "$LA_PORT" '"weight": 0')" \
  "$(entry "$UB" "$LB_PORT" '"randomizer": "salt", "ipv4-capable": false')" \
  "$(entry "$UD" 1 '"weight": 0')" >"$MLIST"
MCONF=$WORK/monitor.conf
list_conf "$MCONF" "$MLIST" "monitoring-keys-path = $MKEYS
watch-interval-s = 1"
printf '%s\n' "$(upstream manual ts2.test "$S2_PORT")" >>"$MCONF"
# IPv4 only: ntske-client connects to "localhost", and where that resolves
# to ::1 first it falls back to 127.0.0.1, so the probes are IPv4 probes
# (the list's sources listen on one port per family; the list has one).
sed -i '/^listen = \[::1\]:0$/d' "$MCONF"

out=$("$DAEMON" -t -c "$MCONF" 2>&1)
check "monitor: -t counts the keys, never shows one" \
  test "$(grep -c "^monitor keys: 2 from $MKEYS\$" <<<"$out")" -eq 1 -a "$(grep -c 'mon-key-' <<<"$out")" -eq 0

# probe KEYFILE UUID [ARGS]: one probe with ntske-client; prints its output.
probe() {
  timeout 30 "$NTSKE" --ca "$PKI/ca.pem" --port "$MP_PORT" --monitor-key "$1" \
    --uuid "$2" "${@:3}" localhost 2>&1
}

# refused NAME CODE KEYFILE UUID: the probe is answered with NTS error CODE.
refused() {
  local out
  out=$(probe "$3" "$4")
  check "monitor: $1" grep -q "the server answered NTS error $2\$" <<<"$out"
}

if [ ! -x "$NTSKE" ]; then
  not_ok "monitor: $NTSKE missing (make examples)"
else
  "$DAEMON" -c "$MCONF" >"$WORK/pool-MP.out" 2>"$WORK/pool-MP.log" &
  MP_PID=$!
  PIDS+=("$MP_PID")
  POOLS+=("$MP_PID")
  MP_LOG=$WORK/pool-MP.log
  wait_for "$MP_LOG" 'server: started' || cat "$MP_LOG"
  MP_PORT=$(sed -n 's/.*server: listening address=127.0.0.1:\([0-9]*\)$/\1/p' "$MP_LOG")
  MP_METRICS=$(sed -n 's/.*metrics: listening address=127.0.0.1:\([0-9]*\) .*/\1/p' "$MP_LOG")

  a_before=$(keys_at list-a.test LA)
  out=$(probe "$WORK/mon.key" "$UA")
  check "monitor: a weight-0 source serves the probe with its cookies" \
    grep -qE '^  server: list-a.test$' <<<"$out"
  check "monitor: ... the keys reached that source" test "$(keys_at list-a.test LA)" -gt "$a_before"
  out=$(probe "$WORK/mon.key" "$UB")
  check "monitor: an ipv4-capable false source is probed over IPv4 all the same" \
    grep -qE '^  server: list-b.test$' <<<"$out"
  out=$(client -a 127.0.0.1 -p "$MP_PORT" -c 8)
  check "monitor: ordinary clients never get either (8 of 8 from ts2)" \
    test "$(count_lines "$out" '^ok server=ntp2.test ')" -eq 8
  refused "an unknown uuid is error 0xF000" 61440 "$WORK/mon.key" \
    6d1a0c9e-0000-4000-8000-0000000000ff
  refused "a source that is down is error 0xF001" 61441 "$WORK/mon.key" "$UD"
  refused "a wrong key is Bad Request" 1 "$WORK/wrong.key" "$UA"

  # The same dead source for ordinary clients: the only one left to them.
  ODEAD=$WORK/ordinary-dead.conf
  list_conf "$ODEAD" "$WORK/dead.json" "monitoring-keys-path = $MKEYS"
  printf '[%s]\n' "$(entry "$UD" 1)" >"$WORK/dead.json"
  start_pool OD "$ODEAD" || not_ok "start the dead-source pool"
  out=$(client -a 127.0.0.1 -p "$OD_PORT" -c 3)
  check "monitor: an ordinary client of a dead source gets error 2, never 0xF00x" \
    test "$(count_lines "$out" 'nts_error=2$')" -eq 3 -a "$(count_lines "$out" 'nts_error=6144')" -eq 0
  stop "$OD_PID"

  page=$(metrics "$MP_METRICS")
  LD="source=\"$UD\",uuid=\"$UD\",family=\"ipv4\""
  check "monitor: the probe failure leaves the source's health alone" \
    test "$(metric "$page" "nts_pool_ke_source_healthy{$LD}")" = 1 -a \
    "$(metric "$page" "nts_pool_ke_upstream_requests_total{$LD,outcome=\"failure\"}")" = 0
  check "monitor: probes count per source" \
    test "$(metric "$page" "nts_pool_ke_monitor_probes_total{$LD,outcome=\"failure\"}")" = 1 -a \
    "$(metric "$page" "nts_pool_ke_monitor_probes_total{source=\"$UA\",uuid=\"$UA\",family=\"ipv4\",outcome=\"success\"}")" = 1
  check "monitor: sessions carry a monitor label" \
    test "$(metric "$page" 'nts_pool_ke_sessions_total{outcome="ok",monitor="true"}')" = 2 -a \
    "$(metric "$page" 'nts_pool_ke_sessions_total{outcome="ok",monitor="false"}')" = 8 -a \
    "$(metric "$page" 'nts_pool_ke_error_responses_total{code="0xf000",monitor="true"}')" = 1 -a \
    "$(metric "$page" 'nts_pool_ke_error_responses_total{code="0xf001",monitor="true"}')" = 1 -a \
    "$(metric "$page" 'nts_pool_ke_error_responses_total{code="1",monitor="false"}')" = 1
  check "monitor: the active-monitor gauge is back to 0" \
    test "$(metric "$page" 'nts_pool_ke_active_monitor_connections')" = 0
  check "monitor: the key never appears in the log" \
    test "$(grep -c 'mon-key-' "$MP_LOG")" -eq 0

  # The keys file is watched: a key added by a rewrite works without a
  # signal.
  printf 'mon-key-three\n' >"$WORK/mon3.key"
  printf '["mon-key-three"]\n' >"$MKEYS.new"
  chmod 600 "$MKEYS.new"
  mv "$MKEYS.new" "$MKEYS"
  wait_count "$MP_LOG" "changed path=$MKEYS" 1
  wait_count "$MP_LOG" 'config: reloaded' 1
  out=$(probe "$WORK/mon3.key" "$UA")
  check "monitor: a key from the rewritten file works (watch, no signal)" \
    grep -qE '^  server: list-a.test$' <<<"$out"
  refused "a key gone from the file is Bad Request" 1 "$WORK/mon.key" "$UA"
fi
