#!/usr/bin/env bash
# Ingest throughput: `liputan ingest` next to `b3sum` on the same files, same run.
#
#   bench/ingest.sh [COUNT] [SOURCE_JPEG...]
#
# Makes COUNT (default 200) large camera JPEGs by copying the given real camera
# files (default: tests/fixtures/real-cameras full-size bodies) with a unique
# trailer each, so every file has distinct content. Then, on a cold-ish page
# cache where possible (drop_caches needs root), times:
#   1. b3sum over all files (the floor: read + hash only)
#   2. liputan ingest --json (read + hash + EXIF + copy + fsync + read-back + catalog)
# and prints files/s, MB/s and the ratio. Needs: b3sum (apt-get install b3sum).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
shift || true
sources=("$@")
if [ ${#sources[@]} -eq 0 ]; then
  mapfile -t sources < <(find tests/fixtures/real-cameras -name '*.jpg' -size +2M | sort)
fi
command -v b3sum >/dev/null || { echo "b3sum is missing: apt-get install b3sum" >&2; exit 1; }
cargo build --release --locked --quiet
bin=target/release/liputan

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/card/DCIM/100CANON"
for i in $(seq 1 "$count"); do
  src=${sources[$(( (i - 1) % ${#sources[@]} ))]}
  dst=$(printf '%s/card/DCIM/100CANON/IMG_%04d.JPG' "$work" "$i")
  cat "$src" > "$dst"
  printf 'liputan-bench-%08d' "$i" >> "$dst"   # after EOI: still a valid JPEG, distinct content
done
bytes=$(du -sb "$work/card" | cut -f1)
mb=$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}')
cat > "$work/liputan.toml" <<TOML
[paths]
inbox = ["inbox"]
archive = "archive"
data = "data"
[ingest]
min_free_mb = 1
TOML

drop() { sync; if [ -w /proc/sys/vm/drop_caches ]; then echo 3 > /proc/sys/vm/drop_caches; fi; }

drop
t0=$(date +%s.%N)
find "$work/card" -type f -print0 | xargs -0 b3sum > "$work/b3sum.txt"
t1=$(date +%s.%N)
# The peer pipeline's metadata step, when exiftool is installed (libimage-exiftool-perl).
te=0
if command -v exiftool >/dev/null; then
  drop
  e0=$(date +%s.%N)
  exiftool -q -json -n -r "$work/card" > "$work/exiftool.json"
  e1=$(date +%s.%N)
  te=$(echo "$e1 - $e0" | bc)
fi
drop
t2=$(date +%s.%N)
"$bin" --config "$work/liputan.toml" ingest --json "$work/card" > "$work/summary.json"
t3=$(date +%s.%N)

# Check: every archive file is byte-identical (b3sum of the archive = b3sum of the card).
(cd "$work/archive" && find . -path ./.staging -prune -o -type f -print0 | xargs -0 b3sum | cut -d' ' -f1 | sort) > "$work/archive.sums"
cut -d' ' -f1 "$work/b3sum.txt" | sort > "$work/card.sums"
if ! cmp -s "$work/archive.sums" "$work/card.sums"; then
  echo "MISMATCH: archive content differs from the card" >&2; exit 1
fi
archived=$(python3 -c "import json,sys;print(json.load(open('$work/summary.json'))['archived'])")

awk -v n="$count" -v mb="$mb" -v b="$(echo "$t1 - $t0" | bc)" -v l="$(echo "$t3 - $t2" | bc)" -v e="$te" -v a="$archived" 'BEGIN{
  printf "%d files, %s MB; liputan archived %d, all byte-identical (b3sum)\n", n, mb, a;
  printf "b3sum             %6.2f s  %7.1f files/s  %7.1f MB/s\n", b, n/b, mb/b;
  if (e > 0) printf "b3sum + exiftool  %6.2f s  %7.1f files/s  %7.1f MB/s\n", b+e, n/(b+e), mb/(b+e);
  printf "liputan ingest    %6.2f s  %7.1f files/s  %7.1f MB/s\n", l, n/l, mb/l;
  printf "ratio liputan/b3sum time: %.2fx\n", l/b;
  if (e > 0) printf "ratio liputan/(b3sum+exiftool) time: %.2fx\n", l/(b+e) }'
