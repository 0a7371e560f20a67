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
#   1. one worker:  derive with 1 thread  | vipsthumbnail in 1 process
#   2. two workers: derive with 2 threads | vipsthumbnail via xargs -P2 (one process per
#                                           core over half the files)
# (VIPS_CONCURRENCY=1; both still use a helper thread or two: jpeg-decoder its IDCT
# workers, libvips its read-ahead), and prints wall and CPU ms per image and ratios. `derive` also reads each file's metadata first (for
# the orientation), as the ingest worker does. vipsthumbnail -s 1600 decodes at 1/2
# (3000 px) and shrinks; derive decodes at 1/4 and keeps that (1500 px, the DCT scale
# nearest 1600): a "-s 1500" row shows vips at derive's output size too.
# Needs: libvips-tools and GNU time (apt-get install libvips-tools time). Generated
# data is deleted. Other load on the machine shows in wall times; CPU times hold up.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
command -v vipsthumbnail >/dev/null || { echo "vipsthumbnail is missing: apt-get install libvips-tools" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 1; }

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
half=$(( (n + 1) / 2 ))

# Each run prints "WALL_MS CPU_MS" per image: wall time and user+system CPU time
# (children included) over the files, from GNU time.
timed() {
  drop
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" > /dev/null
  awk -v n="$n" '{printf "%.1f %.1f", $1*1000/n, ($2+$3)*1000/n}' "$work/time"
}
run_derive() { # THREADS
  timed "$helper" derive "$1" "$work/out-derive-$1" "${files[@]}"
}
run_vips() { # SIZE QUALITY JOBS
  local out=$work/out-vips-$1-$3; mkdir -p "$out"
  printf '%s\0' "${files[@]}" > "$work/list"
  VIPS_CONCURRENCY=1 timed xargs -0 -a "$work/list" -P "$3" -n "$(( $3 == 1 ? n : half ))" \
    vipsthumbnail -s "$1" -o "$out/%s.jpg[Q=$2]"
}

for jobs in 1 2; do
  read -r d dc <<< "$(run_derive "$jobs")"
  read -r a ac <<< "$(run_vips 320 80 "$jobs")"
  read -r b bc <<< "$(run_vips 1600 85 "$jobs")"
  read -r c cc <<< "$(run_vips 1500 85 "$jobs")"
  awk -v j="$jobs" -v d="$d" -v dc="$dc" -v a="$a" -v ac="$ac" -v b="$b" -v bc="$bc" -v c="$c" -v cc="$cc" 'BEGIN{
    printf "\n%d worker(s); per image: wall ms (files / wall time), CPU ms (user + sys)\n", j;
    printf "  liputan derive (320 + preview, one decode)   %7.1f  %7.1f\n", d, dc;
    printf "  vipsthumbnail -s 320                         %7.1f  %7.1f\n", a, ac;
    printf "  vipsthumbnail -s 1600                        %7.1f  %7.1f\n", b, bc;
    printf "  vipsthumbnail -s 320 + -s 1600               %7.1f  %7.1f   derive/vips: wall %.2f, CPU %.2f\n", a+b, ac+bc, d/(a+b), dc/(ac+bc);
    printf "  vipsthumbnail -s 320 + -s 1500 (same sizes)  %7.1f  %7.1f   derive/vips: wall %.2f, CPU %.2f\n", a+c, ac+cc, d/(a+c), dc/(ac+cc) }'
done
