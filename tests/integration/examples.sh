#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end check of the example programs, on loopback only: starts
# examples/time-source on 127.0.0.1 high ports with the test PKI, runs
# examples/ntske-client against it (key exchange, then one NTS-protected
# NTP exchange), directly and through examples/event-loop (the libevent
# embedding of the pool role), and checks failures fail: an untrusted CA, a certificate
# for another name.  Every wait is bounded; whatever it starts it stops by
# PID.  Last line: "examples: N passed, N failed".
#
#   tests/integration/examples.sh [BUILD_DIR]     (default build)
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${1:-build}
TS=$BUILD/examples/time-source
CLIENT=$BUILD/examples/ntske-client
PKI=tests/pki
TOKEN=example-token-never-printed-5f3a9c
work=$(mktemp -d)
pids=()
passed=0 failed=0

cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

pass() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL - $1"
  [ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/       /' "$2"
  failed=$((failed + 1))
}

if [ ! -x "$TS" ] || [ ! -x "$CLIENT" ]; then
  echo "FAIL - $TS or $CLIENT not built (make examples)"
  echo "examples: 0 passed, 1 failed"
  exit 1
fi

# start_source NAME CERT KEY NTP_ADDR [ARGS...]: starts a time source with
# NTS-KE on 127.0.0.1 and NTP on NTP_ADDR (a loopback address, also sent as
# its Server record), on free high ports; sets KE_PORT, NTP_PORT, SRC_PID.
# The ports are drawn at random and retried, since another test may hold
# one.
start_source() {
  local name=$1 cert=$2 key=$3 ntp_addr=$4
  shift 4
  for _ in 1 2 3 4 5; do
    KE_PORT=$((20000 + RANDOM % 30000))
    NTP_PORT=$((KE_PORT + 1))
    "$TS" --ke-listen "127.0.0.1:$KE_PORT" --ntp-listen "$ntp_addr:$NTP_PORT" \
      --cert "$cert" --key "$key" --ntp-server "$ntp_addr" --log-level debug \
      --pid-file "$work/$name.pid" "$@" 2>"$work/$name.log" &
    SRC_PID=$!
    for _ in $(seq 50); do
      grep -q 'listening' "$work/$name.log" 2>/dev/null && break
      kill -0 "$SRC_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SRC_PID" 2>/dev/null && grep -q 'listening' "$work/$name.log"; then
      pids+=("$SRC_PID")
      return 0
    fi
    kill -KILL "$SRC_PID" 2>/dev/null
    wait "$SRC_PID" 2>/dev/null
  done
  return 1
}

# stop_source PID: SIGTERM, then up to 10 s for a clean exit; sets
# STOP_STATUS to the exit status (or "hung").  Not in a subshell: only
# this shell can wait for its own children.
stop_source() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    STOP_STATUS=hung
  else
    wait "$pid"
    STOP_STATUS=$?
  fi
}

# client OUT ARGS...: runs the client (bounded), output and errors in OUT.
client() {
  local out=$1
  shift
  timeout 30 "$CLIENT" "$@" >"$out" 2>&1
}

# ---- A time source for localhost, with pool tokens configured ----------
printf '\n%s\n\n' "$TOKEN-in-file" >"$work/tokens"
chmod 600 "$work/tokens"
if ! start_source main "$PKI/localhost.pem" "$PKI/localhost.key" 127.0.0.1 \
  --token "$TOKEN" --token-file "$work/tokens" --max-keep-alive 2 \
  --key-rotation 3600; then
  fail "time-source starts" "$work/main.log"
  echo "examples: $passed passed, $failed failed"
  exit 1
fi
pass "time-source starts (ke 127.0.0.1:$KE_PORT, ntp 127.0.0.1:$NTP_PORT)"
MAIN_PID=$SRC_PID MAIN_NTP=$NTP_PORT

# The brief's check: key exchange, then authenticated NTP.
out=$work/ntp.out
if client "$out" --ca "$PKI/ca.pem" --port "$KE_PORT" --ntp localhost &&
  grep -q 'authenticated NTP reply: ok' "$out" &&
  grep -q "port: $MAIN_NTP" "$out" && grep -q 'aead: 17' "$out"; then
  pass "ntske-client --ntp localhost: $(grep -E 'offset|delay' "$out" | tr -s ' ' | tr '\n' ' ')"
else
  fail "ntske-client --ntp localhost" "$out"
fi

out=$work/aead15.out
if client "$out" --ca "$PKI/ca.pem" --port "$KE_PORT" --aead 15 --ntp localhost &&
  grep -q 'aead: 15' "$out" && grep -q 'cookies: 8 (first 100 bytes)' "$out" &&
  grep -q 'authenticated NTP reply: ok' "$out"; then
  pass "ntske-client --aead 15 --ntp: AES-SIV-CMAC-256 end to end"
else
  fail "ntske-client --aead 15 --ntp" "$out"
fi

# A plain time source ignores denies and has one server: --count stops at
# the repeat without failing.
out=$work/count.out
if client "$out" --ca "$PKI/ca.pem" --port "$KE_PORT" --deny other.test \
  --count 3 localhost &&
  grep -q '^source 1:' "$out" && ! grep -q '^source 2:' "$out" &&
  grep -q 'again: 1 distinct' "$out"; then
  pass "ntske-client --deny --count 3: stops when a server repeats"
else
  fail "ntske-client --deny --count 3" "$out"
fi

out=$work/ca.out
if client "$out" --ca "$PKI/other-ca.pem" --port "$KE_PORT" localhost; then
  fail "an untrusted CA is refused" "$out"
else
  pass "an untrusted CA is refused (exit non-zero)"
fi

# Pool requests, as nts-pool-ke sends them (doc/protocol.md 4.7), written
# byte for byte through openssl s_client: the token from --token and the one
# from --token-file are accepted, another one is refused.
# ke_hex SECONDS HEX: sends HEX in one TLS session, prints the answer as hex.
ke_hex() {
  printf '%s' "$2" | tr -d ' ' | perl -pe 's/([0-9a-fA-F]{2})/chr hex $1/ge' |
    timeout "$1" openssl s_client -connect "127.0.0.1:$KE_PORT" \
      -servername localhost -alpn ntske/1 -tls1_3 -CAfile "$PKI/ca.pem" \
      -quiet -ign_eof 2>/dev/null | od -An -tx1 | tr -d ' \n'
}
# token_record TEXT: Authentication record (14) carrying TEXT.
token_record() {
  printf '000e%04x%s' "${#1}" "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')"
}
if command -v openssl >/dev/null; then
  support='800a0000 80090000 80000000'
  # AEADs 17 then 15 (the library's default), protocol 0
  want='800a000800110040000f0020800900020000''80000000'
  got=$(ke_hex 10 "$(token_record "$TOKEN") $support")
  got_file=$(ke_hex 10 "$(token_record "$TOKEN-in-file") $support")
  got_bad=$(ke_hex 10 "$(token_record nope) $support")
  if [ "$got" = "$want" ] && [ "$got_file" = "$want" ] &&
    [ "$got_bad" = 80020002000180000000 ]; then
    pass "pool support query: --token and --token-file accepted, others Bad Request"
  else
    fail "pool support query (got '$got' / '$got_file' / '$got_bad')"
  fi
  keys=$(printf '%02x' $(seq 0 63))
  fixed="$(token_record "$TOKEN") 800c0040 $keys 800100020000 80040002000f"
  got=$(ke_hex 10 "$fixed 80000000")
  if [ "${got:0:20}" = 80010002000080040002 ] &&
    [ "$(grep -o '00050064' <<<"$got" | wc -l)" -ge 8 ]; then
    pass "pool Fixed Key request: NTPv4, AEAD 15, 8 cookies of 100 bytes"
  else
    fail "pool Fixed Key request (got '${got:0:64}...')"
  fi
  # Keep Alive is granted: the answer carries it and the connection stays
  # open (s_client is stopped by the timeout).
  got=$(ke_hex 2 "$fixed 00080000 80000000")
  if [ "${got: -16}" = 0008000080000000 ]; then
    pass "pool Keep Alive granted with a valid token"
  else
    fail "pool Keep Alive (got '...${got: -32}')"
  fi
else
  fail "pool requests: no openssl command (apt-get install openssl)"
fi

# Real NTS clients (chrony, NTPsec) against these programs are the
# interop stage's work: tests/interop/run.

# Garbage on the NTP port gets no answer, only a log line.
printf 'not an NTP packet' >"/dev/udp/127.0.0.1/$MAIN_NTP" 2>/dev/null
for _ in $(seq 20); do
  grep -q 'answer=none' "$work/main.log" && break
  sleep 0.1
done
if grep -q 'answer=none' "$work/main.log"; then
  pass "garbage on the NTP port is dropped"
else
  fail "garbage on the NTP port is dropped" "$work/main.log"
fi

# ---- examples/event-loop: pool sessions in libevent, in front of this source
# One thread, one event per session on what ntspool_session_wants names: a
# client is served while another connection sits mid-handshake.
EVLOOP=$BUILD/examples/event-loop
printf '%s\n' "$TOKEN" >"$work/evtoken"
chmod 600 "$work/evtoken"
"$EVLOOP" --listen 127.0.0.1:0 \
  --set "server.certificate-chain-path=$PKI/localhost.pem" \
  --set "server.private-key-path=$PKI/localhost.key" \
  --set "upstream-tls.certificate-authority-path=$PKI/ca.pem" \
  --set "upstream main.domain=localhost" --set "upstream main.port=$KE_PORT" \
  --set "upstream main.connect-address=127.0.0.1" \
  --set "upstream main.auth-token-path=$work/evtoken" >"$work/ev.out" 2>&1 &
EV_PID=$!
pids+=("$EV_PID")
for _ in $(seq 50); do
  grep -q '^listening on' "$work/ev.out" && break
  sleep 0.1
done
EV_PORT=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/ev.out")
if [ -n "$EV_PORT" ]; then
  exec 9<>"/dev/tcp/127.0.0.1/$EV_PORT"
  printf '\026\003\001' >&9 # the start of a TLS record, then nothing
  out=$work/ev-client.out
  t0=$(date +%s%N)
  if client "$out" --ca "$PKI/ca.pem" --port "$EV_PORT" --ntp localhost &&
    grep -q 'authenticated NTP reply: ok' "$out" &&
    grep -q "port: $MAIN_NTP" "$out" &&
    grep -q '^client 127.0.0.1: served by main$' "$work/ev.out"; then
    pass "event-loop (libevent): a client served through it in $((($(date +%s%N) - t0) / 1000000)) ms while another connection stalls, NTS NTP ok"
  else
    fail "event-loop (libevent) serves a client" "$out"
  fi
  exec 9<&-
  stop_source "$EV_PID"
  if [ "$STOP_STATUS" = 0 ] && grep -q '^stopped$' "$work/ev.out"; then
    pass "event-loop stops on SIGTERM once its sessions are done"
  else
    fail "event-loop stops on SIGTERM (status $STOP_STATUS)" "$work/ev.out"
  fi
else
  fail "event-loop starts" "$work/ev.out"
fi

# ---- A source whose certificate names ts1.test/ts2.test, not localhost -
if start_source other "$PKI/timesource.pem" "$PKI/timesource.key" 127.0.0.1; then
  out=$work/name.out
  if client "$out" --ca "$PKI/ca.pem" --port "$KE_PORT" localhost; then
    fail "a certificate for another name is refused" "$out"
  else
    pass "a certificate for another name is refused (exit non-zero)"
  fi
  stop_source "$SRC_PID"
  [ "$STOP_STATUS" = 0 ] ||
    fail "second time-source exits 0 on SIGTERM (got $STOP_STATUS)"
else
  fail "second time-source starts" "$work/other.log"
fi

# ---- Through the pool: nts-pool-ke in front of two example sources ------
# ts1 speaks the IANA record numbers, ts2 the draft ones and serves NTP on
# 127.0.0.2; the pool learns their Server names (List Server Names), so the
# client's --count gets both, each with working NTS NTP.
POOL=$BUILD/nts-pool-ke
if [ -x "$POOL" ]; then
  echo "$TOKEN-ts1" >"$work/t1"
  echo "$TOKEN-ts2" >"$work/t2"
  chmod 600 "$work/t1" "$work/t2"
  started=0
  if start_source ts1 "$PKI/timesource.pem" "$PKI/timesource.key" 127.0.0.1 \
    --token-file "$work/t1"; then
    TS1_PID=$SRC_PID TS1_KE=$KE_PORT
    if start_source ts2 "$PKI/timesource.pem" "$PKI/timesource.key" \
      127.0.0.2 --token-file "$work/t2" --record-numbering draft; then
      TS2_PID=$SRC_PID TS2_KE=$KE_PORT
      started=1
    fi
  fi
  pool_ok=0
  for _ in 1 2 3 4 5; do
    [ "$started" = 1 ] || break
    POOL_PORT=$((20000 + RANDOM % 30000))
    cat >"$work/pool.conf" <<EOF
[server]
listen = 127.0.0.1:$POOL_PORT
certificate-chain-path = $PKI/localhost.pem
private-key-path = $PKI/localhost.key

[upstream-tls]
certificate-authority-path = $PKI/ca.pem

[upstream ts1]
domain = ts1.test
port = $TS1_KE
connect-address = 127.0.0.1
auth-token-path = $work/t1
list-server-names = true

[upstream ts2]
domain = ts2.test
port = $TS2_KE
connect-address = 127.0.0.1
auth-token-path = $work/t2
record-numbering = draft
list-server-names = true
EOF
    "$POOL" -c "$work/pool.conf" -l debug 2>"$work/pool.log" &
    POOL_PID=$!
    for _ in $(seq 50); do
      grep -q ' started ' "$work/pool.log" && break
      kill -0 "$POOL_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$POOL_PID" 2>/dev/null && grep -q ' started ' "$work/pool.log"; then
      pids+=("$POOL_PID")
      pool_ok=1
      break
    fi
    wait "$POOL_PID" 2>/dev/null
  done
  if [ "$pool_ok" = 1 ]; then
    out=$work/pool.out
    if client "$out" --ca "$PKI/ca.pem" --port "$POOL_PORT" --ntp --count 3 \
      localhost &&
      grep -q 'server: 127.0.0.1' "$out" && grep -q 'server: 127.0.0.2' "$out" &&
      [ "$(grep -c 'authenticated NTP reply: ok' "$out")" = 2 ] &&
      grep -q 'again: 2 distinct' "$out"; then
      pass "through nts-pool-ke: 2 distinct sources (IANA and draft numbering), NTS NTP ok with both"
    else
      fail "through nts-pool-ke --count 3 --ntp" "$out"
      sed 's/^/       /' "$work/pool.log" "$work/ts1.log" "$work/ts2.log"
    fi
    stop_source "$POOL_PID"
    [ "$STOP_STATUS" = 0 ] || fail "nts-pool-ke exits 0 on SIGTERM (got $STOP_STATUS)"
  else
    fail "nts-pool-ke and two time sources start" "$work/pool.log"
  fi
  for pid in ${TS1_PID:-} ${TS2_PID:-}; do
    stop_source "$pid"
    [ "$STOP_STATUS" = 0 ] || fail "pool time source exits 0 on SIGTERM (got $STOP_STATUS)"
  done
else
  fail "through the pool: $POOL not built (make cli)"
fi

# ---- Shutdown and logs ------------------------------------------------------
stop_source "$MAIN_PID"
if [ "$STOP_STATUS" = 0 ] && [ ! -e "$work/main.pid" ] &&
  grep -q 'stopped ke_ok=' "$work/main.log"; then
  pass "SIGTERM: exit 0, pid file removed ($(grep -o 'ke_ok=.*' "$work/main.log"))"
else
  fail "SIGTERM: exit 0 and pid file removed (status $STOP_STATUS)" "$work/main.log"
fi

if grep -rq -e "$TOKEN" "$work"/*.log "$work"/*.out; then
  fail "no token in any log or output"
else
  pass "no token in any log or output"
fi

echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
