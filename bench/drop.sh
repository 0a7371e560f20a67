#!/usr/bin/env bash
# Drop-to-archive latency of the daemon: copy COUNT camera JPEGs (default 2000)
# into a watched inbox of a running `liputan serve` and time until every one is
# catalogued. Prints the time for the copy and for the whole card.
#
#   bench/drop.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000}
cargo build --release --locked --quiet
bin=$PWD/target/release/liputan
work=$(mktemp -d)
trap 'pkill -TERM -f "$work/liputan.toml" || true; rm -rf "$work"' EXIT
mapfile -t sources < <(find tests/fixtures/real-cameras -name '*.jpg' | sort)
mkdir -p "$work/card" "$work/inbox"
for i in $(seq 1 "$count"); do
  dst=$(printf '%s/card/IMG_%04d.JPG' "$work" "$i")
  cat "${sources[$(( i % ${#sources[@]} ))]}" > "$dst"
  printf 'liputan-drop-%08d' "$i" >> "$dst"   # distinct content, still a valid JPEG
done
mb=$(du -sm "$work/card" | cut -f1)
printf '[paths]\ninbox = ["inbox"]\narchive = "archive"\ndata = "data"\n[server]\nlisten = "127.0.0.1:0"\n[ingest]\nmin_free_mb = 1\n' > "$work/liputan.toml"
"$bin" --config "$work/liputan.toml" serve 2> "$work/serve.log" &
sleep 1
count_assets() { python3 -c "import sqlite3,sys;print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from assets where status='archived'\").fetchone()[0])" "$work/data/catalog.sqlite"; }
t0=$(date +%s.%N)
mkdir -p "$work/inbox/budi/DCIM"
cp -r "$work/card" "$work/inbox/budi/DCIM/100CANON"
t1=$(date +%s.%N)
while [ "$(count_assets)" -lt "$count" ]; do sleep 0.2; done
t2=$(date +%s.%N)
awk -v n="$count" -v mb="$mb" -v c="$(echo "$t1 - $t0" | bc)" -v a="$(echo "$t2 - $t0" | bc)" 'BEGIN{
  printf "%d files (%d MB): copied into the inbox in %.1f s; all archived %.1f s after the copy began (%.1f s after it ended)\n", n, mb, c, a, a - c }'
