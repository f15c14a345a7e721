# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/integration/run (its helpers, counters and clean-up):
# the geographic selection and the numbered names.
#
#   - a MaxMind DB written here (tests/integration/make-geodb, never
#     downloaded) maps loopback addresses: 127.0.0.2 NL/EU, 127.0.0.3
#     US/NA, 127.0.0.4 FR/EU, 127.0.0.5 JP/AS, ::1 NL/EU; 127.0.0.1 is
#     not in it.  Clients bind those addresses (test-client -b);
#   - four sources: nl (NL, EUROPE), de (DE, EUROPE, IPv4 only), us (US,
#     NORTH_AMERICA), any (no region); -t prints the sets per region and
#     family;
#   - clients from NL and US reach only their country's source, in both
#     families; FR (no source) gets EUROPE's, JP and an unmapped address
#     the global set; the metrics count each level;
#   - 0.pool.test and 1.pool.test (a certificate made here names them) get
#     disjoint sources, from NL and from JP;
#   - the database replaced while serving (watch-interval-s = 1): the new
#     mapping applies without a signal; a broken one keeps the old;
#   - nts-pool-ke built with GEO=0, and a missing file, fail -t saying why.

GEO_DB=$WORK/geo.mmdb
MAKE_GEODB=tests/integration/make-geodb
GEO_NOGEO=$B/tests/helpers/nts-pool-ke-nogeo
geo_map="127.0.0.2/32=NL/EU 127.0.0.3/32=US/NA 127.0.0.4/32=FR/EU 127.0.0.5/32=JP/AS ::1/128=NL/EU"
# shellcheck disable=SC2086 # the map is words
$MAKE_GEODB "$GEO_DB" $geo_map || not_ok "geo: make-geodb wrote the test database"

# A certificate for the numbered names, from the test CA.
GEO_CERT=$WORK/pool-names.pem GEO_KEY=$WORK/pool-names.key
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$GEO_KEY" -subj /CN=pool.test -out "$WORK/pool-names.csr" 2>/dev/null &&
  openssl x509 -req -in "$WORK/pool-names.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
    -set_serial 4242 -days 2 -out "$GEO_CERT" -extfile <(printf '%s\n' \
      'subjectAltName=DNS:pool.test,DNS:0.pool.test,DNS:1.pool.test,DNS:localhost,IP:127.0.0.1,IP:::1' \
      'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature' 'extendedKeyUsage=serverAuth') 2>/dev/null ||
  not_ok "geo: openssl made the certificate for 0.pool.test and 1.pool.test"
chmod 600 "$GEO_KEY"

start_source GNL ntp-nl.test || not_ok "geo: start source nl"
start_source GDE ntp-de.test || not_ok "geo: start source de"
start_source GUS ntp-us.test || not_ok "geo: start source us"
start_source GANY ntp-any.test || not_ok "geo: start source any"
GC=$WORK/geo.conf
pool_conf "$GC" "geolocation-db = $GEO_DB
watch-interval-s = 1" "$(upstream nl ts1.test "$GNL_PORT" 'region = NL
region = EUROPE')
$(upstream de ts1.test "$GDE_PORT" 'regions = DE, EUROPE
ipv6 = false')
$(upstream us ts1.test "$GUS_PORT" 'regions = US NORTH_AMERICA')
$(upstream any ts1.test "$GANY_PORT")"
sed -i "s|^certificate-chain-path = .*|certificate-chain-path = $GEO_CERT|; s|^private-key-path = $KEY\$|private-key-path = $GEO_KEY|" "$GC"

out=$("$DAEMON" -t -c "$GC" 2>&1)
check "geo: -t accepts geolocation-db" test "$?" -eq 0
for line in 'region ipv4 \* sources=4 ' 'region ipv4 EUROPE sources=2 ' 'region ipv6 EUROPE sources=1 ' \
  'region ipv4 NL sources=1 ' 'region ipv6 NORTH_AMERICA sources=1 ' "geolocation-db: $GEO_DB"; do
  grep -q "^$line" <<<"$out" || not_ok "geo: -t prints '$line'" "$out"
done
ok "geo: -t prints the sources per region and family"

start_pool GP "$GC" || not_ok "geo: start pool"

# servers_of OUTPUT: the distinct NTP servers of the ok lines.
servers_of() { sed -n 's/^ok server=\([^ ]*\) .*/\1/p' <<<"$1" | sort -u | tr '\n' ' '; }
# geo_client LOCAL [ARGS...]: 8 exchanges from LOCAL to the pool.
geo_client() {
  local from=$1 to=127.0.0.1
  shift
  case $from in *:*) to=::1 ;; esac
  client -a "$to" -p "$([ "$to" = ::1 ] && echo "$GP_PORT6" || echo "$GP_PORT")" -b "$from" -c 8 "$@"
}

out=$(geo_client 127.0.0.2)
check "geo: a client in NL reaches only NL's source (IPv4)" \
  test "$(count_lines "$out" '^ok ')" -eq 8 -a "$(servers_of "$out")" = "ntp-nl.test "
out=$(geo_client ::1)
check "geo: a client in NL reaches only NL's source (IPv6)" \
  test "$(count_lines "$out" '^ok ')" -eq 8 -a "$(servers_of "$out")" = "ntp-nl.test "
out=$(geo_client 127.0.0.3)
check "geo: a client in US reaches only US's source" \
  test "$(count_lines "$out" '^ok ')" -eq 8 -a "$(servers_of "$out")" = "ntp-us.test "
out=$(geo_client 127.0.0.4 -c 16)
srv=$(servers_of "$out")
check "geo: a client in FR (no source) falls back to EUROPE (got: $srv)" \
  test "$(count_lines "$out" '^ok ')" -eq 16 -a "$srv" = "ntp-de.test ntp-nl.test "
out=$(geo_client 127.0.0.5 -c 24)
srv=$(servers_of "$out")
check "geo: a client in JP (no source, nor in ASIA) falls back to the global set (got: $srv)" \
  test "$(count_lines "$out" '^ok ')" -eq 24 -a "$(wc -w <<<"$srv")" -ge 3
out=$(client -a 127.0.0.1 -p "$GP_PORT" -c 4)
check "geo: an address the database does not know is global" \
  test "$(count_lines "$out" '^ok ')" -eq 4
check "geo: the log says which set served (region=1 from the country)" \
  grep -qE 'client session peer=127\.0\.0\.2:[0-9]+ outcome=ok source=nl .* region=1 subpool=0' "$GP_LOG"

# Numbered names: disjoint sources from the same place.
for from in 127.0.0.2 127.0.0.5; do
  o0=$(geo_client $from -n 0.pool.test)
  o1=$(geo_client $from -n 1.pool.test)
  s0=$(servers_of "$o0") s1=$(servers_of "$o1")
  common=$(comm -12 <(tr ' ' '\n' <<<"$s0" | sed '/^$/d') <(tr ' ' '\n' <<<"$s1" | sed '/^$/d'))
  check "geo: 0.pool.test and 1.pool.test from $from get disjoint sources (0: $s0; 1: $s1)" \
    test "$(count_lines "$o0" '^ok ')" -eq 8 -a "$(count_lines "$o1" '^ok ')" -eq 8 -a -z "$common"
done

page=$(metrics "$GP_METRICS")
sel=nts_pool_ke_selections_total
check "geo: metrics count country selections (NL v4+v6, US: 24)" \
  test "$(metric "$page" "$sel{region=\"country\",subpool=\"none\"}")" = 24
check "geo: metrics count continent selections (FR: 16)" \
  test "$(metric "$page" "$sel{region=\"continent\",subpool=\"none\"}")" = 16
check "geo: metrics count global selections (JP and unmapped: 28)" \
  test "$(metric "$page" "$sel{region=\"global\",subpool=\"none\"}")" = 28
n0=$(($(metric "$page" "$sel{region=\"country\",subpool=\"0\"}") + $(metric "$page" "$sel{region=\"continent\",subpool=\"0\"}") + $(metric "$page" "$sel{region=\"global\",subpool=\"0\"}")))
check "geo: metrics count the sub-pool 0 selections (16)" test "$n0" -eq 16

# The database replaced while serving: NL's address moves to US.
# shellcheck disable=SC2086
$MAKE_GEODB "$GEO_DB" ${geo_map/127.0.0.2\/32=NL\/EU/127.0.0.2/32=US/NA}
wait_for "$GP_LOG" "changed path=$GEO_DB: reloading" 50 &&
  wait_count "$GP_LOG" 'config: reloaded path=' 1
out=$(geo_client 127.0.0.2)
check "geo: a replaced database applies without a signal (127.0.0.2 now in US)" \
  test "$(count_lines "$out" '^ok ')" -eq 8 -a "$(servers_of "$out")" = "ntp-us.test "
printf 'not a MaxMind DB\n' >"$GEO_DB.new" && mv "$GEO_DB.new" "$GEO_DB"
wait_for "$GP_LOG" "reload failed, keeping the running configuration: .*geolocation-db $GEO_DB: cannot open" 50
check "geo: a database that does not open is logged and the old one kept" \
  grep -q "reload failed, keeping the running configuration: $GC: geolocation-db $GEO_DB: cannot open" "$GP_LOG"
out=$(geo_client 127.0.0.2)
check "geo: ... and still serves by the old mapping" \
  test "$(count_lines "$out" '^ok ')" -eq 8 -a "$(servers_of "$out")" = "ntp-us.test "
stop "$GP_PID"
for s in GNL GDE GUS GANY; do
  pid=${s}_PID
  stop "${!pid}"
done

# Without libmaxminddb (GEO=0), or without the file: -t fails saying why.
# shellcheck disable=SC2086
$MAKE_GEODB "$GEO_DB" $geo_map
out=$("$GEO_NOGEO" -t -c "$GC" 2>&1)
rc=$?
check "geo: GEO=0 fails -t with a geolocation-db, saying why" \
  test "$rc" -ne 0 -a "$out" = "$GC: geolocation-db $GEO_DB: this nts-pool-ke was built without libmaxminddb (make GEO=0) and cannot read it; remove the key or build with GEO=1"
sed "s|^geolocation-db = .*|geolocation-db = $WORK/absent.mmdb|" "$GC" >"$WORK/geo-absent.conf"
out=$("$DAEMON" -t -c "$WORK/geo-absent.conf" 2>&1)
rc=$?
check "geo: a missing database fails -t, saying which" \
  test "$rc" -ne 0 -a -n "$(grep -F "geolocation-db $WORK/absent.mmdb: cannot open" <<<"$out")"
sed '/^geolocation-db = /d' "$GC" >"$WORK/geo-none.conf"
out=$("$GEO_NOGEO" -t -c "$WORK/geo-none.conf" 2>&1)
check "geo: GEO=0 runs without the key (every client global)" \
  test "$?" -eq 0 -a -n "$(grep -F 'geolocation-db: none (every client is global)' <<<"$out")"
