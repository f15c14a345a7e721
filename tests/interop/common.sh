# SPDX-License-Identifier: BSD-2-Clause
# Shell helpers of the interop tests (tests/interop/run, tests/interop/ntpsec),
# sourced after `cd` to the tree's top: a private work directory, pass/fail
# counting, starting and stopping daemons by PID, free loopback ports, and
# the stock chrony and NTPsec clients (CHRONYD, NTPD, W set by the caller)
# run so that they can never touch the clock.

# interop_init NAME: the work directory W (kept with KEEP=1), the PIDS to
# stop on exit, the counters of the "NAME: N passed, N failed" line.
interop_init() {
  STAGE=$1
  W=$(mktemp -d "${TMPDIR:-/tmp}/ntspool-$STAGE.XXXXXX")
  PIDS=()
  passed=0 failed=0
  started_at=$SECONDS
  trap cleanup EXIT
}

cleanup() {
  local p i
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for i in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "${KEEP:-}" ] && echo "$STAGE: files kept in $W" || rm -rf "$W"
}

pass() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() {
  local f
  echo "FAIL - $1"
  shift
  for f in "$@"; do
    [ -f "$f" ] && tail -n 25 "$f" | sed "s|^|       $(basename "$f"): |"
  done
  failed=$((failed + 1))
}
finish() {
  echo "$STAGE: $passed passed, $failed failed ($((SECONDS - started_at)) s)"
  [ "$failed" -eq 0 ] && exit 0 || exit 1
}

# stop PID: SIGTERM, up to 5 s, then SIGKILL; forgets the PID.
stop() {
  local p=$1 i keep=()
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  for i in "${PIDS[@]}"; do [ "$i" = "$p" ] || keep+=("$i"); done
  PIDS=("${keep[@]}")
}

# wait_for SECONDS FILE REGEX [PID]: polls FILE until REGEX matches (true)
# or time runs out or PID has died (false).
wait_for() {
  local n=$(($1 * 10)) f=$2 re=$3 pid=${4:-} i
  for i in $(seq "$n"); do
    grep -Eq "$re" "$f" 2>/dev/null && return 0
    [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.1
  done
  grep -Eq "$re" "$f" 2>/dev/null
}

# A free high TCP+UDP port pair base (P and P+1 unused on loopback).
used_ports() { ss -Htaun 2>/dev/null | awk '{print $5}' | sed 's/.*://' | sort -u; }
free_port() {
  local p used
  used=$(used_ports)
  for _ in $(seq 50); do
    p=$((40000 + RANDOM % 20000))
    grep -qx "$p" <<<"$used" || grep -qx "$((p + 1))" <<<"$used" || { echo "$p"; return; }
  done
  echo 0
}

# No CAP_SYS_TIME for the stock daemons, inherited or otherwise.
NOCLOCK=(setpriv --bounding-set=-sys_time --inh-caps=-sys_time)

# chrony_q NAME KE_PORT [HOST]: chronyd -Q (measure, never set the clock) as
# an NTS client of HOST:KE_PORT, with a private configuration, pid file,
# command socket and cookie directory; gives up after CHRONY_WAIT seconds
# (30).
chrony_q() {
  local name=$1 port=$2 host=${3:-localhost} d=$W/$1
  mkdir -p "$d"
  cat >"$d/chrony.conf" <<EOC
server $host nts ntsport $port iburst maxsamples 4 minpoll -2 maxpoll -2
ntstrustedcerts $PKI/ca.pem
pidfile $d/chronyd.pid
cmdport 0
bindcmdaddress $d/run/chronyd.sock
ntsdumpdir $d/nts
EOC
  timeout $((${CHRONY_WAIT:-30} + 10)) "${NOCLOCK[@]}" "$CHRONYD" -Q -u root -f "$d/chrony.conf" -L 0 \
    -t "${CHRONY_WAIT:-30}" >"$d/out" 2>&1
}
offset_of() { grep -o 'System clock wrong by [-+0-9.e]* seconds' "$1" | head -n 1; }

# authentic PEERSTATS: a line whose peer status (4th field, hex) says
# reachable (0x1000) and authentic (0x2000).
authentic() {
  local s
  for s in $(awk '{print $4}' "$1"); do
    [[ $s =~ ^[0-9a-fA-F]{4}$ ]] || continue
    [ $((0x$s & 0x3000)) = $((0x3000)) ] && return 0
  done
  return 1
}

# ntpsec_client NAME HOST:KE_PORT [LISTEN...]: ntpd -n with `disable ntp`
# (no clock discipline) and a private log, pid file and statistics
# directory, listening on the LISTEN addresses (127.0.0.1 ::1 and the
# wildcard addresses, in drop mode; given addresses alone), until its
# peer statistics show an authenticated (status bit 0x2000) reachable
# response, at most 25 s.  NTPsec always binds UDP port 123, so one runs
# at a time per address.
ntpsec_client() {
  local name=$1 server=$2 d=$W/$1 pid ok=1 i a
  shift 2
  # Given addresses alone (no wildcard, no other loopback address): port
  # 123 on the others may be another ntpd's.
  local only='' x
  if [ $# -gt 0 ]; then
    for x in wildcard ::1 127.0.0.1 127.0.0.2; do
      [[ " $* " == *" $x "* ]] || only+="interface ignore $x"$'\n'
    done
  else
    set -- 127.0.0.1 ::1
  fi
  mkdir -p "$d"
  {
    cat <<EOC
server $server nts ca $PKI/ca.pem iburst minpoll 3 maxpoll 4
disable ntp
disable kernel
logfile $d/ntpd.log
statsdir $d/
statistics peerstats rawstats
filegen peerstats file peerstats type none enable
filegen rawstats file rawstats type none enable
interface ignore all
$only
EOC
    for a in "$@"; do echo "interface listen $a"; done
  } >"$d/ntp.conf"
  "${NOCLOCK[@]}" "$NTPD" -n -c "$d/ntp.conf" -p "$d/ntpd.pid" >"$d/out" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for i in $(seq 250); do
    if [ -f "$d/peerstats" ] && authentic "$d/peerstats"; then
      ok=0
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  stop "$pid"
  return $ok
}
# ntpsec_report NAME: the NTS-KE and NTP evidence from its log and stats.
ntpsec_report() {
  local d=$W/$1 st='' off=''
  while read -r _ _ _ st off _; do
    [[ $st =~ ^[0-9a-fA-F]{4}$ ]] && [ $((0x$st & 0x3000)) = $((0x3000)) ] && break
  done <"$d/peerstats"
  printf '%s; %s; peer status %s (reachable, authentic), offset %s s' \
    "$(grep -o 'NTSc: Got [0-9]* cookies, length [0-9]*, aead=[0-9]*' "$d/ntpd.log" | head -n 1 | sed 's/NTSc: //')" \
    "$(grep -Eo 'NTSc: Using (port [0-9]+|server [^ ]+)' "$d/ntpd.log" | head -n 1 | sed 's/NTSc: //')" \
    "$st" "$off"
}
