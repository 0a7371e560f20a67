#!/usr/bin/env bash
# Whole ingest against the peer pipeline, on the same generated card, in the same run.
#
#   bench/pipeline.sh [COUNT]        default 200; CARD=DIR reuses a generated card
#
# Card: COUNT 6000x4000 camera JPEGs (q90, 10-11 MB, realistic EXIF) made by
# benches/thumbs.rs under a mktemp dir (deleted at the end). The page cache is dropped
# before each timed step where root may. Timed, wall clock:
#   peer   the ingest made of standard tools, every stage given both cores (xargs -P2:
#          one process per core over half the files), stages one after another:
#          b3sum; exiftool -json; vipsthumbnail -s 320; vipsthumbnail -s 1600; cp; sync
#          (wall time, and the CPU time of all its processes)
#   cp     cp -r of the card + sync: the floor for "archive" (copy + durability)
#   ingest target/release/liputan --config TMP ingest --json CARD  (LIPUTAN_INGEST_CMD
#          below), under /usr/bin/time -v for its peak RSS. It includes thumbnails only
#          if they are wired into `ingest`: the script checks whether data/thumbs/ got
#          files and says which number you are looking at.
#   alone  the same ingest over hard links of the card named .dat (kind "other": no
#          EXIF, no thumbnails), i.e. archive + catalog alone, for the goal
#          "archive + catalog >= 80% of cp speed".
# Needs: b3sum, exiftool, vipsthumbnail, GNU time
#   (apt-get install b3sum libimage-exiftool-perl libvips-tools time).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
for tool in b3sum exiftool vipsthumbnail /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (see the header of $0)" >&2; exit 1; }
done

cargo build --release --quiet
helper=$(cargo bench --bench thumbs --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "thumbs":
        print(m["executable"])')
bin=$PWD/target/release/liputan

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
card=${CARD:-}
if [ -z "$card" ]; then
  card=$work/card
  echo "generating $count 6000x4000 JPEGs in $card ..." >&2
  "$helper" gen "$card" "$count"
fi
mapfile -t files < <(find "$card" -type f | sort)
n=${#files[@]}
half=$(( (n + 1) / 2 ))
mb=$(du -sm "$card" | cut -f1)
echo "$n files, $mb MB, $(nproc) cores"

drop() { sync; if [ -w /proc/sys/vm/drop_caches ]; then echo 3 > /proc/sys/vm/drop_caches; fi; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
par() { printf '%s\0' "${files[@]}" | xargs -0 -P2 -n "$half" "$@"; }
# CPU seconds (user + sys) of this shell's finished children, read from `times` in
# this shell itself (a $(subshell) would count only its own children).
children_cpu() { awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] } printf "%.2f", t }' "$work/times"; }

# ---- peer pipeline ------------------------------------------------------------------
mkdir -p "$work/peer/thumbs" "$work/peer/previews" "$work/peer/archive" "$work/peer/exif"
drop
times > "$work/times"; c0=$(children_cpu)
t0=$(now)
s=$(now); par b3sum > "$work/peer/b3sums"; t_b3=$(since "$s")
s=$(now); par sh -c 'exiftool -q -json -n "$@" > "$0/$$.json"' "$work/peer/exif"; t_exif=$(since "$s")
s=$(now); VIPS_CONCURRENCY=1 par vipsthumbnail -s 320 -o "$work/peer/thumbs/%s.jpg[Q=80]"; t_v320=$(since "$s")
s=$(now); VIPS_CONCURRENCY=1 par vipsthumbnail -s 1600 -o "$work/peer/previews/%s.jpg[Q=85]"; t_v1600=$(since "$s")
s=$(now); par cp -t "$work/peer/archive"; sync; t_cp=$(since "$s")
t_peer=$(since "$t0")
times > "$work/times"; c1=$(children_cpu)
cpu_peer=$(awk -v a="$c0" -v b="$c1" 'BEGIN{printf "%.2f", b-a}')

# ---- cp -r + sync -------------------------------------------------------------------
drop
s=$(now); cp -r "$card" "$work/cp-copy"; sync; t_cpr=$(since "$s")
rm -rf "$work/cp-copy"

# ---- liputan ingest -----------------------------------------------------------------
config() { # DIR: a config whose paths all live in DIR
  mkdir -p "$1"
  printf '[paths]\ninbox = ["%s/inbox"]\narchive = "%s/archive"\ndata = "%s/data"\n[ingest]\nmin_free_mb = 1\n' \
    "$1" "$1" "$1" > "$1/liputan.toml"
}
config "$work/lp"
# LIPUTAN_INGEST_CMD: the measured command (the daemon's one-shot ingest of the card).
LIPUTAN_INGEST_CMD=("$bin" --config "$work/lp/liputan.toml" ingest --json "$card")
drop
s=$(now)
/usr/bin/time -v -o "$work/lp/time.txt" "${LIPUTAN_INGEST_CMD[@]}" > "$work/lp/summary.json" 2> "$work/lp/log"
t_lp=$(since "$s")
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/lp/time.txt")
cpu_lp=$(awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.2f", t }' "$work/lp/time.txt")
archived=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["archived"])' "$work/lp/summary.json")
thumbs=$(find "$work/lp/data/thumbs" -type f 2>/dev/null | wc -l)
previews=$(find "$work/lp/data/previews" -type f 2>/dev/null | wc -l)
if [ "$thumbs" -gt 0 ]; then
  what="archive + catalog + index + thumbnails ($thumbs thumbs, $previews previews)"
else
  what="ARCHIVE + CATALOG ONLY: data/thumbs/ is empty, thumbnails are not wired into ingest"
fi

# ---- archive + catalog alone (.dat hard links: no EXIF, no thumbnails) ----------------
mkdir -p "$work/dat"
for f in "${files[@]}"; do ln "$f" "$work/dat/$(basename "${f%.*}").dat"; done
config "$work/lp2"
drop
s=$(now)
"$bin" --config "$work/lp2/liputan.toml" ingest --json "$work/dat" > "$work/lp2/summary.json" 2> "$work/lp2/log"
t_alone=$(since "$s")

awk -v n="$n" -v mb="$mb" -v b3="$t_b3" -v ex="$t_exif" -v v1="$t_v320" -v v2="$t_v1600" \
    -v cp="$t_cp" -v peer="$t_peer" -v cpr="$t_cpr" -v lp="$t_lp" -v alone="$t_alone" \
    -v rss="$rss_kb" -v arch="$archived" -v what="$what" -v cpeer="$cpu_peer" -v clp="$cpu_lp" 'BEGIN{
  printf "\npeer pipeline (xargs -P2 per stage), wall seconds:\n";
  printf "  b3sum %.2f | exiftool -json %.2f | vipsthumbnail 320 %.2f | vipsthumbnail 1600 %.2f | cp + sync %.2f\n", b3, ex, v1, v2, cp;
  printf "  total                                   %7.2f s  %6.1f files/s  %6.1f MB/s  CPU %.1f s\n", peer, n/peer, mb/peer, cpeer;
  printf "liputan ingest                            %7.2f s  %6.1f files/s  %6.1f MB/s  CPU %.1f s  (archived %d)\n", lp, n/lp, mb/lp, clp, arch;
  printf "  measured: %s\n", what;
  printf "  peak RSS %.0f MiB\n", rss/1024;
  printf "cp -r + sync                              %7.2f s  %6.1f MB/s\n", cpr, mb/cpr;
  printf "liputan ingest of .dat links (archive + catalog alone) %.2f s\n", alone;
  printf "\nratios:\n";
  printf "  liputan ingest / peer pipeline time:            %.2f  (below 1: liputan is faster)\n", lp/peer;
  printf "  liputan ingest / peer pipeline CPU time:        %.2f  (steadier when the machine is shared)\n", clp/cpeer;
  printf "  archive + catalog alone, share of cp speed:     %.0f%%  (goal >= 80%%)\n", 100*cpr/alone;
  printf "  full liputan ingest, share of cp speed:         %.0f%%\n", 100*cpr/lp }'
