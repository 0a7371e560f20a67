#!/usr/bin/env bash
# Request rate of the archive search page /arsip over a 100,000-asset catalog,
# next to two peers measured in the same run, on the same machine:
#   (a) GET /api/assets?q=...  the same search as JSON: what HTML rendering costs;
#   (b) python3 -m http.server serving a saved copy of the /arsip?q=kunjungan page:
#       the floor of "just serving those bytes over HTTP" here.
# (/healthz would be no fair peer: it does no search and renders nothing.)
#
#   bench/panel.sh [COUNT]        default 100000 assets
#   DURATION=15s                  wrk run per route (default 15s)
#   PANEL_DIR=DIR                 build the data in DIR and keep it; a second run
#                                 with the same DIR reuses it (skips seed + reindex)
#
# How: real ingest of 100,000 files would take hours, and /arsip only reads the
# catalog and the search index, so the catalog is filled with synthetic rows
# (bench/panel_seed.py: five years of Indonesian agenda items, assignments,
# photographers) and the index is built from it by `liputan reindex`, the same
# way a restored catalog would be. Thumbnails are separate requests and are not
# measured; the rows say derived = 'placeholder', there are no files behind them.
#
# wrk -t2 -c16 (--timeout 10s) with a bearer token (an admin KASI account).
# wrk and the daemon share the machine's cores, so the figures are for "client
# and server on one box"; the server's own CPU per request (from /proc) is
# printed too. A fresh run takes ~5.5 min on 2 cores, ~4 of them in reindex
# (it retries every placeholder thumbnail: see the reindex step); PANEL_DIR
# makes later runs take ~1.5 min.
# Fails when a route does not answer 200 or wrk counts any non-2xx response.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
duration=${DURATION:-15s}
command -v wrk >/dev/null || { echo "apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "apt-get install curl" >&2; exit 1; }
cargo build --release --locked --quiet
bin=$PWD/target/release/liputan
# The seeder checks the catalog's PRAGMA user_version against this: the schema
# it writes to must be the one this binary migrated to.
migrations=$(ls src/catalog/migrations/*.sql | wc -l)

if [ -n "${PANEL_DIR:-}" ]; then
  work=$(mkdir -p "$PANEL_DIR" && cd "$PANEL_DIR" && pwd)
else
  work=$(mktemp -d)
fi
server_pid=
static_pid=
cleanup() {
  # Only the processes this script started, by pid. SIGTERM lets liputan drain.
  for pid in $server_pid $static_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $server_pid $static_pid; do wait "$pid" 2>/dev/null || true; done
  if [ -z "${PANEL_DIR:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
static_port=$(free_port)
while [ "$static_port" = "$port" ]; do static_port=$(free_port); done

# Rewritten on every run (the port changes); relative paths resolve against $work.
cat > "$work/liputan.toml" <<TOML
[paths]
inbox = ["inbox"]
archive = "archive"
data = "data"
[server]
listen = "127.0.0.1:$port"
[ingest]
min_free_mb = 1
TOML
lip() { "$bin" --config "$work/liputan.toml" "$@"; }
now() { date +%s.%N; }

echo "== $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); wrk and the server share them"

seeded=0
if [ -f "$work/data/catalog.sqlite" ]; then
  seeded=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM assets").fetchone()[0])' "$work/data/catalog.sqlite")
fi
if [ "$seeded" -gt 0 ]; then
  echo "== reusing $work ($seeded assets; seed and reindex skipped)"
else
  # An ingest of an empty folder creates the catalog and applies the migrations.
  mkdir -p "$work/empty"
  lip ingest --json "$work/empty" > /dev/null 2> "$work/ingest.log"
  python3 bench/panel_seed.py "$work/data/catalog.sqlite" "$count" "$migrations"

  # reindex rebuilds the index, then its workers retry every asset whose images
  # are not on disk; placeholders count as missing (src/app.rs), so every row is
  # tried again: one failed open and one synchronous=FULL UPDATE each. The info
  # log has a "no thumbnail" line per attempt: its first timestamp splits the
  # time into index rebuild and thumbnail retries.
  t0=$(now)
  LIPUTAN_LOG=info lip reindex > "$work/reindex.out" 2> "$work/reindex.log"
  t1=$(now)
  attempts=$(grep -c 'no thumbnail' "$work/reindex.log" || true)
  first=$(grep -m1 'no thumbnail' "$work/reindex.log" | sed 's/\x1b\[[0-9;]*m//g' | cut -d' ' -f1)
  split=$t1
  if [ -n "$first" ]; then split=$(date -d "$first" +%s.%N); fi
  awk -v a="$t0" -v b="$split" -v c="$t1" -v n="$attempts" -v out="$(cat "$work/reindex.out")" 'BEGIN{
    printf "== reindex: %.1f s in all (%s)\n", c-a, out;
    printf "   index rebuild ~%.1f s; then %d thumbnail retries of placeholders ~%.1f s (%.2f ms each)\n",
      b-a, n, c-b, n ? (c-b)*1000/n : 0 }'
  printf 'sandi-bench-1\n' | lip user add bench --role kasi --admin 2> /dev/null
fi
token=$(lip token create bench)
auth="Authorization: Bearer $token"

# Started directly (not through lip(): a function would run in a subshell and
# $! would be that subshell's pid, not the daemon's). stdout goes to the log too,
# so nothing holds this script's output open.
"$bin" --config "$work/liputan.toml" serve > "$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/healthz" -o "$work/healthz.json" && break
  kill -0 "$server_pid" 2>/dev/null || { echo "liputan serve exited:" >&2; tail "$work/serve.log" >&2; exit 1; }
  sleep 0.5
done
# The index must hold every asset and no derived work may be running in the
# background, or the bench measures the workers too.
python3 - "$work/healthz.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
print(f"== serving: {h['archive']['assets']} assets, index {h['index']['documents']} documents,"
      f" waiting: index {h['index']['waiting']}, thumbnails {h['thumbnails']['waiting']}")
if h["index"]["documents"] != h["archive"]["assets"] or h["index"]["waiting"] or h["thumbnails"]["waiting"]:
    sys.exit("the index is not caught up, or thumbnails are still being made")
PY

routes=(
  "/arsip?q=kunjungan"                      # a common word: ~17 % of the archive
  "/arsip"                                  # no query: newest first, page 1
  "/arsip?q=rapat&year=2024"                # text + the year facet (parameter "year")
  "/api/assets?q=kunjungan&per_page=48"     # peer (a): same search, JSON, same page size
)
# One request each first: must be 200 (wrk would not count a 3xx redirect to
# the login page as an error), and it warms the index and page cache.
mkdir -p "$work/static"
for route in "${routes[@]}"; do
  out=$work/first.body
  read -r code size secs < <(curl -s -o "$out" -w '%{http_code} %{size_download} %{time_total}\n' -H "$auth" "http://127.0.0.1:$port$route")
  hits=$(grep -o '<strong>[0-9.]* hasil</strong>' "$out" | sed 's/<[^>]*>//g' || true)
  [ -n "$hits" ] || hits="total $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("total"))' "$out" 2>/dev/null || echo '?')"
  printf '   first %-40s %s, %7d bytes, %4.0f ms, %s\n' "$route" "$code" "$size" "$(awk -v s="$secs" 'BEGIN{print s * 1000}')" "$hits"
  [ "$code" = 200 ] || { echo "FAIL: $route answered $code" >&2; tail "$work/serve.log" >&2; exit 1; }
  if [ "$route" = "/arsip?q=kunjungan" ]; then cp "$out" "$work/static/arsip.html"; fi
done

# Peer (b): the same page's bytes from a stock static file server.
# The interpreter itself, not a version-manager shim, so $! is the server's pid.
py=$(python3 -c 'import sys; print(sys.executable)')
"$py" -m http.server "$static_port" --bind 127.0.0.1 --directory "$work/static" > "$work/static.log" 2>&1 &
static_pid=$!
for _ in $(seq 1 40); do curl -sf -o /dev/null "http://127.0.0.1:$static_port/arsip.html" && break; sleep 0.25; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime of a process
tick=$(getconf CLK_TCK)

# Runs wrk on URL (header given when AUTH is set) and appends one line
# "name req/s p50_ms p99_ms non2xx socket_errors requests server_cpu_ms_per_req bytes_per_req".
results=$work/results.txt
: > "$results"
bench() { # NAME URL PID [HEADER]
  local name=$1 url=$2 pid=$3 log=$work/wrk.$RANDOM.txt c0 c1
  # Other work on the machine shows in the figures: say how busy it was.
  echo "--- $name (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  c0=$(cpu_ticks "$pid")
  # --timeout 10s: wrk's default (2 s) drops slower responses from the latency
  # figures (counted only as "timeout" socket errors), which would flatter p99.
  if [ -n "${4:-}" ]; then
    wrk -t2 -c16 -d"$duration" --timeout 10s --latency -H "$4" "$url" > "$log"
  else
    wrk -t2 -c16 -d"$duration" --timeout 10s --latency "$url" > "$log"
  fi
  c1=$(cpu_ticks "$pid")
  grep -E 'Latency  |requests in|Requests/sec|Non-2xx|Socket errors' "$log" | sed 's/^/    /'
  awk -v name="$name" -v cpu="$(( c1 - c0 ))" -v tick="$tick" '
    function ms(v) { if (v ~ /us$/) return v * 0.001; if (v ~ /ms$/) return v + 0;
                     if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
    function bytes(v) { if (v ~ /KB$/) return v * 1024; if (v ~ /MB$/) return v * 1048576;
                        if (v ~ /GB$/) return v * 1073741824; return v + 0 }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /requests in/ { n = $1; read = bytes($5) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx/ { bad = $NF }
    /Socket errors/ { gsub(",", ""); sock = $4 + $6 + $8 + $10 }
    END { printf "%s %s %.2f %.2f %d %d %d %.2f %d\n", name, rps, p50, p99, bad, sock, n,
            n ? cpu * 1000 / tick / n : 0, n ? read / n : 0 }' "$log" >> "$results"
}

for route in "${routes[@]}"; do
  bench "$route" "http://127.0.0.1:$port$route" "$server_pid" "$auth"
done
bench "static:/arsip.html(python)" "http://127.0.0.1:$static_port/arsip.html" "$static_pid"

echo
echo "== $count assets, wrk -t2 -c16 -d$duration, $(nproc) cores shared by wrk and the server"
awk '{ rps[NR] = $2; line[NR] = $0 } $1 ~ /^static/ { floor = $2 }
  END {
    printf "%-40s %9s %9s %9s %9s %10s %9s\n", "route", "req/s", "p50 ms", "p99 ms", "x static", "srv CPU/req", "bytes";
    for (i = 1; i <= NR; i++) {
      split(line[i], f, " ");
      printf "%-40s %9.1f %9.1f %9.1f %9.3f %8.1f ms %9d\n", f[1], f[2], f[3], f[4], floor ? f[2] / floor : 0, f[8], f[9]
    }
    printf "HTML cost: /arsip?q=kunjungan runs at %.2fx the req/s of /api/assets?q=kunjungan&per_page=48\n", rps[1] / rps[4];
  }' "$results"

# Non-2xx anywhere fails the run; socket errors (timeouts, resets) are reported.
fail=0
while read -r name _ _ _ bad sock _ _ _; do
  if [ "$bad" -gt 0 ]; then echo "FAIL: $name: $bad non-2xx responses" >&2; fail=1; fi
  if [ "$sock" -gt 0 ]; then echo "note: $name: $sock socket errors (see wrk output above)"; fi
done < "$results"
problems=$(sed 's/\x1b\[[0-9;]*m//g' "$work/serve.log" | grep -E ' (WARN|ERROR) ' || true)
if [ -n "$problems" ]; then
  echo "server log warnings/errors:"; echo "$problems" | head -20
else
  echo "server log: no warnings or errors"
fi
exit "$fail"
