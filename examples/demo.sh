#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `make demo`: an NTS pool on loopback, end to end, with a stock NTS client.
#
#   1. a throwaway PKI (openssl CLI) in a fresh directory under build/demo/;
#   2. two example time sources, ts1 and ts2 (NTS-KE on 127.0.0.1, NTS NTP
#      on 127.0.0.1 and 127.0.0.2, high ports), each accepting the pool's
#      token;
#   3. nts-pool-ke on 127.0.0.1 in front of them;
#   4. Debian's chrony 4.3 (fetched by tests/interop/get-clients: apt-get
#      download + dpkg-deb -x, never installed) asks the pool for keys and
#      measures the clock offset against the source it was given -- with
#      -Q, so it never sets the clock, and without CAP_SYS_TIME;
#   5. the example client collects two distinct sources from the pool
#      (--count 2) and checks each with an NTS NTP exchange;
#   6. clients asking for 0.localhost and 1.localhost (numbered sub-pools,
#      openssl s_client) get sources from disjoint groups.
#
# Everything it starts it stops by PID, on success and on failure alike;
# logs and configurations stay in the directory it names.  `make demo`
# runs .ci/install-deps and builds first.
#
#   examples/demo.sh [BUILD_DIR]      (default build)
#   POOL=/path/to/nts-pool-ke examples/demo.sh    another daemon binary
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
TS=$B/examples/time-source
CLIENT=$B/examples/ntske-client
POOL=${POOL:-$B/nts-pool-ke}

say() { printf 'demo: %s\n' "$*"; }
indent() { sed 's/^/      /'; }

for f in "$TS" "$CLIENT" "$POOL"; do
  [ -x "$f" ] || { say "$f is missing: run 'make demo' (it builds first)"; exit 1; }
done
command -v openssl >/dev/null || { say "needs the openssl command"; exit 1; }

mkdir -p build/demo
D=$(mktemp -d "$PWD/build/demo/run.XXXXXX")
PIDS=()
NAMES=()
status=1

cleanup() {
  local i p
  trap - EXIT INT TERM
  for i in "${!PIDS[@]}"; do
    p=${PIDS[$i]}
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
      say "stopped ${NAMES[$i]} (pid $p)"
    fi
  done
  # The PKI and the tokens were for this run only.
  rm -rf "$D/pki" "$D"/token-*
  if [ $status -eq 0 ]; then
    say "done; logs and configuration in $D"
  else
    say "FAILED; logs and configuration in $D"
  fi
  exit $status
}
trap cleanup EXIT
trap 'say "interrupted"; exit 1' INT TERM

# started NAME PID: remember a process to stop (at once, before waiting
# for it, so an interruption never leaves it behind).
started() {
  NAMES+=("$1")
  PIDS+=("$2")
}

# forget PID: stop a process that did not come up, and forget it.
forget() {
  local i
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  for i in "${!PIDS[@]}"; do
    [ "${PIDS[$i]}" = "$1" ] && unset 'PIDS[i]' 'NAMES[i]'
  done
}

# wait_for SECONDS FILE REGEX PID: until REGEX shows up in FILE (true), the
# time is up or PID died (false).
wait_for() {
  local i
  for i in $(seq $(($1 * 10))); do
    grep -Eq "$3" "$2" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# A port base P with P and P+1 free on loopback (TCP and UDP).
free_port() {
  local p used
  used=$(ss -Htaun 2>/dev/null | awk '{print $5}' | sed 's/.*://' | sort -u)
  for _ in $(seq 50); do
    p=$((40000 + RANDOM % 20000))
    grep -qx "$p" <<<"$used" || grep -qx "$((p + 1))" <<<"$used" || { echo "$p"; return; }
  done
  echo 40460
}

# ---- 0. chrony, without installing it ---------------------------------------
say "getting Debian's chrony without installing it (tests/interop/get-clients)"
tests/interop/get-clients build/clients 2>&1 | indent
export LD_LIBRARY_PATH
LD_LIBRARY_PATH=$(tests/interop/get-clients --libpath build/clients)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
CHRONYD=$PWD/build/clients/root/usr/sbin/chronyd

# ---- 1. throwaway PKI -----------------------------------------------------
say "making a throwaway PKI in $D/pki (openssl, EC P-256, valid 2 days)"
P=$D/pki
mkdir -p "$P"
(
  cd "$P"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 2 -subj "/CN=ntspool demo CA" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  for n in localhost ts1.test ts2.test; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout "$n.key" -out "$n.csr" -subj "/CN=$n" 2>/dev/null
    # the pool's also names its numbered sub-pools 0.localhost, 1.localhost
    printf 'subjectAltName=DNS:%s%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' \
      "$n" "$([ "$n" = localhost ] && echo ',DNS:0.localhost,DNS:1.localhost')" >"$n.ext"
    openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
      -out "$n.pem" -days 2 -extfile "$n.ext" 2>/dev/null
  done
  chmod 600 ./*.key
)
say "  CA, and certificates for localhost (the pool), ts1.test and ts2.test"

# ---- 2. two time sources ----------------------------------------------------
declare -A KE NTP
addr_of() { [ "$1" = ts1 ] && echo 127.0.0.1 || echo 127.0.0.2; }
for ts in ts1 ts2; do
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$D/token-$ts"
  chmod 600 "$D/token-$ts"
  addr=$(addr_of $ts)
  ok=0
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    "$TS" --ke-listen "127.0.0.1:$port" --ntp-listen "$addr:$((port + 1))" \
      --ntp-server "$addr" --cert "$P/$ts.test.pem" --key "$P/$ts.test.key" \
      --token-file "$D/token-$ts" --log-level debug 2>"$D/$ts.log" &
    pid=$!
    started "$ts" $pid
    if wait_for 5 "$D/$ts.log" listening $pid; then
      KE[$ts]=$port NTP[$ts]=$((port + 1))
      ok=1
      break
    fi
    forget $pid
  done
  [ $ok = 1 ] || { say "$ts did not start:"; indent <"$D/$ts.log"; exit 1; }
  say "started time source $ts (pid $pid): NTS-KE 127.0.0.1:${KE[$ts]} as $ts.test, NTS NTP $addr:${NTP[$ts]}"
done

# ---- 3. the pool ------------------------------------------------------------
ok=0
for _ in 1 2 3 4 5; do
  POOL_PORT=$(free_port)
  cat >"$D/nts-pool-ke.conf" <<EOF
# nts-pool-ke for the demo (see examples/nts-pool-ke.conf for every key)
[server]
listen = 127.0.0.1:$POOL_PORT
certificate-chain-path = $P/localhost.pem
private-key-path = $P/localhost.key

[upstream-tls]
certificate-authority-path = $P/ca.pem

[upstream ts1]
domain = ts1.test
port = ${KE[ts1]}
connect-address = 127.0.0.1
auth-token-path = $D/token-ts1

[upstream ts2]
domain = ts2.test
port = ${KE[ts2]}
connect-address = 127.0.0.1
auth-token-path = $D/token-ts2
EOF
  "$POOL" -c "$D/nts-pool-ke.conf" 2>"$D/nts-pool-ke.log" &
  pid=$!
  started nts-pool-ke $pid
  if wait_for 5 "$D/nts-pool-ke.log" ' started ' $pid; then
    ok=1
    break
  fi
  forget $pid
done
[ $ok = 1 ] || { say "nts-pool-ke did not start:"; indent <"$D/nts-pool-ke.log"; exit 1; }
say "started nts-pool-ke (pid $pid) on 127.0.0.1:$POOL_PORT in front of ts1 and ts2"

# ---- 4. chrony through the pool ---------------------------------------------
mkdir -p "$D/chrony"
cat >"$D/chrony/chrony.conf" <<EOF
# chronyd -Q: measure only; this file, pid file, socket and cookie
# directory are private to the demo.
server localhost nts ntsport $POOL_PORT iburst maxsamples 4 minpoll -2 maxpoll -2
ntstrustedcerts $P/ca.pem
pidfile $D/chrony/chronyd.pid
cmdport 0
bindcmdaddress $D/chrony/run/chronyd.sock
ntsdumpdir $D/chrony/nts
EOF
say "chrony $("$CHRONYD" -v | awk '{print $4}') asks the pool for NTS keys (chronyd -Q: measures, never sets the clock; no CAP_SYS_TIME):"
if ! timeout 40 setpriv --bounding-set=-sys_time --inh-caps=-sys_time \
  "$CHRONYD" -Q -u root -f "$D/chrony/chrony.conf" -L 0 -t 30 \
  >"$D/chrony/chronyd.log" 2>&1; then
  indent <"$D/chrony/chronyd.log"
  say "chronyd failed; the pool's log says:"
  tail -n 5 "$D/nts-pool-ke.log" | indent
  exit 1
fi
grep -E 'changed port|System clock wrong' "$D/chrony/chronyd.log" |
  sed 's/^[0-9TZ:-]* //' | indent
grep -q 'System clock wrong by' "$D/chrony/chronyd.log" || { say "chrony measured nothing"; exit 1; }
src=$(grep -o 'source=ts[12]' "$D/nts-pool-ke.log" | tail -n 1 | cut -d= -f2)
n=$(grep -c 'answer=time' "$D/$src.log" || true)
say "  the pool gave chrony keys for $src; $src answered $n authenticated NTS NTP requests"

# ---- 5. two distinct sources for a pool-aware client ------------------------
say "the example client asks the pool for 2 distinct sources (ntske-client --count 2 --ntp):"
if ! timeout 30 "$CLIENT" --ca "$P/ca.pem" --port "$POOL_PORT" --count 2 --ntp \
  localhost >"$D/ntske-client.log" 2>&1; then
  indent <"$D/ntske-client.log"
  say "ntske-client failed; the pool's log says:"
  tail -n 5 "$D/nts-pool-ke.log" | indent
  exit 1
fi
grep -E '^source|server:|port:|offset:|authenticated' "$D/ntske-client.log" |
  grep -v 'ntp server' | indent
[ "$(grep -c 'authenticated NTP reply: ok' "$D/ntske-client.log")" = 2 ] || { say "expected two sources"; exit 1; }
# ---- 6. numbered sub-pools --------------------------------------------------
# A client configured with 0.pool... and 1.pool... (chrony, NTPsec: no
# Server Deny) must get distinct sources: the TLS server name picks one of
# four disjoint groups.  openssl s_client sends the name and a 16-byte
# NTS-KE request (NTPv4, AES-SIV-CMAC-256, End of Message).
say "numbered names: clients asking for 0.localhost and 1.localhost (openssl s_client as the client):"
for n in 0 1; do
  printf '\x80\x01\x00\x02\x00\x00\x80\x04\x00\x02\x00\x0f\x80\x00\x00\x00' |
    timeout 10 openssl s_client -quiet -connect "127.0.0.1:$POOL_PORT" -servername "$n.localhost" \
      -alpn ntske/1 -CAfile "$P/ca.pem" -verify_return_error >/dev/null 2>&1
  line=$(grep 'outcome=ok' "$D/nts-pool-ke.log" | tail -n 1)
  grep -q " subpool=$((n + 1))" <<<"$line" || { say "no answer from sub-pool $n:"; indent <<<"$line"; exit 1; }
  say "  $n.localhost got source $(sed 's/.* source=\([^ ]*\).*/\1/' <<<"$line") from sub-pool $n (the global set's group $n: no geolocation-db here)"
done
say "pool log: $(grep -c 'outcome=ok' "$D/nts-pool-ke.log") sessions served: $(grep -o 'source=ts[12]' "$D/nts-pool-ke.log" | sort | uniq -c | awk '{printf "%s%s x%s", sep, substr($2, 8), $1; sep=", "}')"
status=0
