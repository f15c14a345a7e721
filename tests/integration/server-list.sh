# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/integration/run (its helpers, counters and clean-up):
# the server list file (servers.json) and the watch that reloads without
# signals.
#
#   - list errors: syntax (file, line, column), a duplicate uuid, a
#     missing member and a wrong type (entry index and uuid): exit 78;
#   - a list of token sources (tokens derived from the base secret,
#     checked against openssl's SHA3-256) joined by an [upstream] section;
#     -t shows the regions; ipv4-capable false keeps IPv4 clients away;
#   - the list rewritten as Kubernetes does (..data symlink swapped to a
#     new timestamped directory) while clients run, watch-interval-s = 1:
#     the new source serves within the interval plus a margin, no session
#     fails, no signal is sent; a broken version keeps the old list and is
#     logged once with its line; the next good version is picked up; a
#     file rewritten unchanged does not reload, a changed one does whatever
#     its modification time;
#   - a 10,000-source list replaced by the watch while clients run: no
#     session fails.

# derive UUID RANDOMIZER: the token the pool derives (first secret line).
derive() {
  printf '%s%s%s' "$LIST_SECRET" "$1" "$2" | openssl dgst -sha3-256 -r | cut -d' ' -f1
}

# entry UUID PORT [MEMBERS]: one servers.json object for a localhost source.
entry() {
  printf '{"uuid": "%s", "domain": "localhost", "port": %s%s}' "$1" "$2" "${3:+, $3}"
}

# k8s_list DIR NAME CONTENT: DIR/NAME as a Kubernetes volume shows it: a
# new timestamped directory, ..data pointed at it by an atomic rename, and
# NAME a link through ..data (made once).
k8s_seq=0
k8s_list() {
  local dir=$1 name=$2 ts
  k8s_seq=$((k8s_seq + 1))
  ts="..2026_12_01_00_00_00.$k8s_seq"
  mkdir -p "$dir/$ts"
  printf '%s\n' "$3" >"$dir/$ts/$name"
  ln -s "$ts" "$dir/..data_tmp"
  mv -T "$dir/..data_tmp" "$dir/..data"
  [ -L "$dir/$name" ] || ln -s "..data/$name" "$dir/$name"
}

# clients_start OUT [CLIENT ARGS]: one IPv4 session every 0.1 s against
# pool $CLIENTS_PORT until $OUT.stop exists (at most 300).
clients_start() {
  local out=$1
  shift
  rm -f "$out.stop"
  (
    for _ in $(seq 300); do
      [ -e "$out.stop" ] && break
      client -a 127.0.0.1 -p "$CLIENTS_PORT" -c 1 "$@"
      sleep 0.1
    done
  ) >"$out" 2>&1 &
  CLIENTS_PID=$!
  PIDS+=("$CLIENTS_PID")
}
clients_stop() {
  touch "$1.stop"
  wait_exit "$CLIENTS_PID" 300
}

# served_within OUT REGEX TENTHS [BEFORE]: until more than BEFORE (0)
# lines of OUT match; the time it took, in seconds, in $TOOK.
served_within() {
  local t0 i
  t0=$(date +%s.%N)
  for i in $(seq "$3"); do
    [ "$(grep -cE "$2" "$1")" -gt "${4:-0}" ] && break
    sleep 0.1
  done
  TOOK=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  [ "$(grep -cE "$2" "$1")" -gt "${4:-0}" ]
}

LIST_SECRET=list-base-secret-$$
BASE=$(secret list-base "$LIST_SECRET")
UA=6d1a0c9e-0000-4000-8000-00000000000a
UB=6d1a0c9e-0000-4000-8000-00000000000b
# Token sources whose certificate names localhost, the list's domain.
start_source LA list-a.test -k "$PKI/localhost.pem" -K "$KEY" -t "$(derive "$UA" "")" ||
  not_ok "start list source A"
start_source LB list-b.test -k "$PKI/localhost.pem" -K "$KEY" -t "$(derive "$UB" salt)" ||
  not_ok "start list source B"

# list_conf FILE LIST [SERVER LINES] [UPSTREAM-TLS LINES]: a pool reading
# LIST.
list_conf() {
  pool_conf "$1" "${3:-}" "[upstream-tls]
base-shared-secret-path = $BASE
server-list-path = $2
${4:-}"
}

# ---- errors -----------------------------------------------------------------

LERR=$WORK/list-err.json
list_conf "$WORK/list-err.conf" "$LERR"
# list_error NAME EXPECTED < list: -t exits 78 with exactly EXPECTED.
list_error() {
  local out rc
  cat >"$LERR"
  out=$("$DAEMON" -t -c "$WORK/list-err.conf" 2>&1)
  rc=$?
  if [ "$rc" -eq 78 ] && [ "$out" = "$2" ]; then
    ok "list: $1"
  else
    not_ok "list: $1" "status $rc, got: $out" "expected: $2"
  fi
}
list_error "syntax error names file, line and column" \
  "$LERR:3:0: ']' expected near end of file" <<EOF
[
  $(entry "$UA" 1)
EOF
list_error "duplicate uuid names the entry and the uuid" \
  "$LERR: entry 2 (uuid $UA): the same uuid as entry 0" <<EOF
[$(entry "$UA" 1), $(entry "$UB" 2), $(entry "$UA" 3)]
EOF
list_error "missing port names the entry and the uuid" \
  "$LERR: entry 1 (uuid $UB): missing required member \"port\"" <<EOF
[$(entry "$UA" 1), {"uuid": "$UB", "domain": "localhost"}]
EOF
list_error "wrong type names the entry and the uuid" \
  "$LERR: entry 0 (uuid $UA): \"weight\" must be an integer, not a string" <<EOF
[$(entry "$UA" 1 '"weight": "2"')]
EOF
rm -f "$LERR"
out=$("$DAEMON" -t -c "$WORK/list-err.conf" 2>&1)
check "list: a missing list file is named (exit 78)" \
  test "$?" -eq 78 -a "$out" = "$LERR: cannot open: No such file or directory"

# Secrets readable by the daemon's own group only (a Kubernetes Secret with
# defaultMode 0440 and fsGroup) draw no warning; group-writable ones do.
cp "$PKI/localhost.key" "$WORK/own-group.key"
chmod 640 "$WORK/own-group.key"
chmod 640 "$BASE"
list_conf "$WORK/own-group.conf" "$WORK/empty.json"
printf '[]\n' >"$WORK/empty.json"
sed -i "s|^private-key-path = .*|private-key-path = $WORK/own-group.key|" "$WORK/own-group.conf"
out=$("$DAEMON" -t -c "$WORK/own-group.conf" 2>&1)
check "secrets: readable by the daemon's own group only, no warning" \
  test "$out" = "$WORK/own-group.conf: configuration OK
sources: 0 (0 from $WORK/empty.json)
region ipv4 * sources=0 groups=0,0,0,0
region ipv6 * sources=0 groups=0,0,0,0
geolocation-db: none (every client is global)"
chmod 660 "$WORK/own-group.key"
out=$("$DAEMON" -t -c "$WORK/own-group.conf" 2>&1)
check "secrets: a group-writable key warns" \
  grep -q "secret file $WORK/own-group.key is readable by group or others (mode 0660)" <<<"$out"
chmod 600 "$BASE"

# ---- sources from the list --------------------------------------------------

LDIR=$WORK/k8s
k8s_list "$LDIR" servers.json "[$(entry "$UA" "$LA_PORT" '"regions": ["EUROPE", "NL"]'),
 $(entry "$UB" "$LB_PORT" '"randomizer": "salt", "weight": 5, "ipv4-capable": false')]"
LC=$WORK/list.conf
list_conf "$LC" "$LDIR/servers.json" "watch-interval-s = 1"
printf '%s\n' "$(upstream manual ts2.test "$S2_PORT")" >>"$LC"
out=$("$DAEMON" -t -c "$LC" 2>&1)
check "list: -t lists the joined sources with their regions" test "$out" = "$LC: configuration OK
sources: 3 (2 from $LDIR/servers.json)
source manual domain=ts2.test port=$S2_PORT weight=1 ipv4=yes ipv6=yes enabled=yes uuid=- token=set regions=-
source $UA domain=localhost port=$LA_PORT weight=1 ipv4=yes ipv6=yes enabled=yes uuid=$UA token=set regions=EUROPE,NL
source $UB domain=localhost port=$LB_PORT weight=5 ipv4=no ipv6=yes enabled=yes uuid=$UB token=set regions=-
region ipv4 * sources=2 groups=1,1,0,0
region ipv4 EUROPE sources=1 groups=1,0,0,0
region ipv4 NL sources=1 groups=1,0,0,0
region ipv6 * sources=3 groups=1,1,1,0
region ipv6 EUROPE sources=1 groups=1,0,0,0
region ipv6 NL sources=1 groups=1,0,0,0
geolocation-db: none (every client is global)"
start_pool PL "$LC" || not_ok "start list pool"
out=$(client -a 127.0.0.1 -p "$PL_PORT" -c 12)
check "list: list and [upstream] sources both serve IPv4 clients, B (IPv6 only) never" \
  test "$(count_lines "$out" '^ok server=\(list-a\|ntp2\).test ')" -eq 12 -a \
  "$(count_lines "$out" '^ok server=list-a.test ')" -ge 1
out=$(client -a 127.0.0.1 -p "$PL_PORT" -d ts2.test -c 6)
check "list: the token derived for A is accepted (6 of 6 denying ts2)" \
  test "$(count_lines "$out" '^ok server=list-a.test ')" -eq 6

# ---- the watch: a Kubernetes-style swap, no signal ----------------------------

CLIENTS_PORT=$PL_PORT
clients_start "$WORK/watch.out" -d ts2.test
sleep 1
k8s_list "$LDIR" servers.json "[$(entry "$UB" "$LB_PORT" '"randomizer": "salt"')]"
served_within "$WORK/watch.out" '^ok server=list-b.test ' 40
check "watch: the new list serves within 1 s + 2 s ($TOOK s), no signal sent" \
  awk -v t="$TOOK" 'BEGIN { exit !(t <= 3.0) }'
check "watch: the change is logged with its file" \
  grep -q "INFO  nts_pool_ke::config: changed path=$LDIR/servers.json: reloading" "$PL_LOG"

k8s_list "$LDIR" servers.json '[{"uuid": "broken",
  "port": }]'
wait_for "$PL_LOG" 'reload failed' 40
check "watch: a broken list keeps the old one, logged with file, line and column" \
  grep -q "ERROR nts_pool_ke::config: reload failed, keeping the running configuration: $LDIR/servers.json:2:11: unexpected token near '}'" "$PL_LOG"
sleep 2.5 # two more intervals: the same broken content is not tried again
check "watch: the broken version is reported once" \
  test "$(grep -c 'reload failed' "$PL_LOG")" -eq 1
page=$(metrics "$PL_METRICS")
check "watch: the failed reload is counted" \
  test "$(metric "$page" 'nts_pool_ke_config_reloads_total{result="failed"}')" = 1
n_b=$(grep -c '^ok server=list-b.test ' "$WORK/watch.out")
sleep 0.5
check "watch: the old list keeps serving" \
  test "$(grep -c '^ok server=list-b.test ' "$WORK/watch.out")" -gt "$n_b"
n_a=$(grep -c '^ok server=list-a.test ' "$WORK/watch.out")
k8s_list "$LDIR" servers.json "[$(entry "$UA" "$LA_PORT")]"
check "watch: the next good version is picked up" \
  served_within "$WORK/watch.out" "^ok server=list-a.test " 40 "$n_a"
clients_stop "$WORK/watch.out"
total=$(grep -c . "$WORK/watch.out")
check "watch: no session failed while the list changed ($total sessions)" \
  test "$total" -ge 20 -a "$(grep -c '^ok ' "$WORK/watch.out")" -eq "$total"
check "watch: two good reloads and one failed, all by the watch" \
  test "$(grep -c 'config: changed path=' "$PL_LOG")" -eq 3 -a \
  "$(grep -c 'config: reloaded path=' "$PL_LOG")" -eq 2

# Contents, not times: the configuration rewritten unchanged (new mtime, new
# inode) is no change; a comment added is one.
cp "$LC" "$LC.new"
touch -d '2001-01-01' "$LC.new"
mv "$LC.new" "$LC"
sleep 2.5
check "watch: a file rewritten with the same content does not reload" \
  test "$(grep -c 'config: changed path=' "$PL_LOG")" -eq 3
printf '# edited\n' >>"$LC"
touch -d '2001-01-01' "$LC"
wait_count "$PL_LOG" 'config: reloaded path=' 3
check "watch: a changed configuration file reloads, whatever its mtime" \
  grep -q "config: changed path=$LC: reloading" "$PL_LOG"

# ---- 10,000 sources replaced under load --------------------------------------

# One source that authenticates the pool by its client certificate, so
# every listed uuid (each with its own token) is served by it; it answers
# after 0.5 s, so sessions are in flight whenever the reload happens.
PCKEY=$WORK/pool-client.key
cp "$PKI/pool-client.key" "$PCKEY"
chmod 600 "$PCKEY"
"$SOURCE" -l 127.0.0.1:0 -n list-many.test -k "$PKI/localhost.pem" -K "$KEY" \
  -A "$PKI/pool-client.pem" -d 500 >"$WORK/source-LM.out" 2>&1 &
PIDS+=("$!")
wait_for "$WORK/source-LM.out" '^listening' || not_ok "start the many-uuid source"
LM_PORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/source-LM.out")
# many GEN: 10,000 entries, uuids and randomizers by generation.
many() {
  awk -v gen="$1" -v port="$LM_PORT" 'BEGIN {
    printf "["
    for (i = 0; i < 10000; i++)
      printf "%s{\"uuid\": \"%08d-0000-4000-8000-%012d\", \"domain\": \"localhost\", \"port\": %d, \"weight\": %d, \"randomizer\": \"g%d\", \"regions\": [\"R%d\"]}\n",
        (i ? "," : ""), gen, i, port, 1 + i % 10, gen, i % 7
    print "]"
  }'
}
MDIR=$WORK/k8s-many
k8s_list "$MDIR" servers.json "$(many 1)"
MC=$WORK/many.conf
list_conf "$MC" "$MDIR/servers.json" "watch-interval-s = 1" \
  "certificate-chain-path = $PKI/pool-client.pem
private-key-path = $PCKEY"
start_pool PM "$MC" || not_ok "start the 10,000-source pool"
check "many: 10,000 listed sources in service" \
  grep -q "server: started .*sources=10000 " "$PM_LOG"
CLIENTS_PORT=$PM_PORT
clients_start "$WORK/many.out"
sleep 1
k8s_list "$MDIR" servers.json "$(many 2)"
wait_count "$PM_LOG" 'config: reloaded path=' 1
sleep 2
clients_stop "$WORK/many.out"
total=$(grep -c . "$WORK/many.out")
check "many: replaced by the watch" \
  grep -q "config: reloaded path=$MC sources=10000" "$PM_LOG"
check "many: no session failed across the 10,000-source reload ($total sessions)" \
  test "$total" -ge 4 -a "$(grep -c '^ok server=list-many.test ' "$WORK/many.out")" -eq "$total"
