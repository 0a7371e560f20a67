#!/usr/bin/env bash
# Thumbnails alone: liputan's media::thumbs::derive (320 px thumbnail AND ~1600 px
# preview from one decode) next to vipsthumbnail (-s 320 and -s 1600: two runs, two
# decodes), on the same generated files, in the same run.
#
#   bench/thumbs.sh [COUNT]          default 200; CARD=DIR reuses a generated card
#
# Generates COUNT 6000x4000 camera JPEGs (q90, gradient + blobs + sensor-like noise:
# 10-11 MB each, EOS-style EXIF with GPS) with benches/thumbs.rs under a mktemp dir,
# then, with the page cache dropped before each timed step where root may:
#   1. one core:  derive with 1 thread  | vipsthumbnail in 1 process, VIPS_CONCURRENCY=1
#   2. two cores: derive with 2 threads | vipsthumbnail via xargs -P2 (one process per
#                                          core over half the files), VIPS_CONCURRENCY=1
# and prints ms/image and ratios. `derive` also reads each file's metadata first (for
# the orientation), as the ingest worker does. vipsthumbnail -s 1600 decodes at 1/2
# (3000 px) and shrinks; derive decodes at 1/4 and keeps that (1500 px, the DCT scale
# nearest 1600): a "-s 1500" row shows vips at derive's output size too.
# Needs: libvips-tools (apt-get install libvips-tools). Generated data is deleted.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
command -v vipsthumbnail >/dev/null || { echo "vipsthumbnail is missing: apt-get install libvips-tools" >&2; exit 1; }

helper=$(cargo bench --bench thumbs --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "thumbs":
        print(m["executable"])')
[ -x "$helper" ] || { echo "could not build benches/thumbs.rs" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
card=${CARD:-}
if [ -z "$card" ]; then
  card=$work/card
  echo "generating $count 6000x4000 JPEGs in $card ..." >&2
  "$helper" gen "$card" "$count"
fi
mapfile -t files < <(find "$card" -type f -iname '*.jpg' | sort)
n=${#files[@]}
mb=$(du -sm "$card" | cut -f1)
echo "$n files, $mb MB, $(nproc) cores, $(vipsthumbnail --vips-version)"

drop() { sync; if [ -w /proc/sys/vm/drop_caches ]; then echo 3 > /proc/sys/vm/drop_caches; fi; }
now() { date +%s.%N; }
half=$(( (n + 1) / 2 ))

# derive: the helper prints its own wall time (ms_per_image=...).
run_derive() { # THREADS
  drop
  "$helper" derive "$1" "$work/out-derive-$1" "${files[@]}" | sed -n 's/.*ms_per_image=\([0-9.]*\).*/\1/p'
}
# vipsthumbnail at SIZE with JOBS processes; prints ms/image.
run_vips() { # SIZE QUALITY JOBS
  local out=$work/out-vips-$1-$3; mkdir -p "$out"
  drop
  local t0; t0=$(now)
  printf '%s\0' "${files[@]}" | VIPS_CONCURRENCY=1 xargs -0 -P "$3" -n "$(( $3 == 1 ? n : half ))" \
    vipsthumbnail -s "$1" -o "$out/%s.jpg[Q=$2]"
  awk -v a="$t0" -v b="$(now)" -v n="$n" 'BEGIN{printf "%.1f", (b-a)*1000/n}'
}

for jobs in 1 2; do
  d=$(run_derive "$jobs")
  v320=$(run_vips 320 80 "$jobs")
  v1600=$(run_vips 1600 85 "$jobs")
  v1500=$(run_vips 1500 85 "$jobs")
  awk -v j="$jobs" -v d="$d" -v a="$v320" -v b="$v1600" -v c="$v1500" 'BEGIN{
    printf "\n%d core(s), ms per image (wall time / files):\n", j;
    printf "  liputan derive (320 + preview, one decode)   %7.1f\n", d;
    printf "  vipsthumbnail -s 320                         %7.1f\n", a;
    printf "  vipsthumbnail -s 1600                        %7.1f\n", b;
    printf "  vipsthumbnail -s 320 + -s 1600               %7.1f   ratio derive/vips: %.2f\n", a+b, d/(a+b);
    printf "  vipsthumbnail -s 320 + -s 1500 (same sizes)  %7.1f   ratio derive/vips: %.2f\n", a+c, d/(a+c) }'
done
