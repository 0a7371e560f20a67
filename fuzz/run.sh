#!/usr/bin/env bash
# fuzz/run.sh [SECONDS]: builds every cargo-fuzz target of fuzz/ and runs each for
# SECONDS (default 60), one after another, from seeds written by seeds.py. Exits
# non-zero, naming the target and the artifact (the crashing input), when any target
# crashes, hangs past the per-input timeout, or runs out of memory.
#
# Works on the stable toolchain: cargo-fuzz passes nightly-only flags (-Zsanitizer),
# which stable accepts under RUSTC_BOOTSTRAP=1. Needs cargo-fuzz
# (`cargo install --locked cargo-fuzz@0.13.2`) and python3 (for the seeds).
# A crash found becomes a regression test: see tests/fuzz_regressions.rs.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
case $seconds in '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2 ;; esac

if ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi
# -a: debug assertions and overflow checks, so arithmetic that would wrap in a
# release build is found too. 16 codegen units: the library is one big crate, and
# cargo-fuzz's default of 1 leaves the second core idle while it compiles. The same
# flags go to `run`, or it would rebuild.
build_flags=(--debug-assertions --codegen-units 16)

python3 seeds.py corpus
# cargo-fuzz has no --locked: check that the committed Cargo.lock is complete first.
cargo fetch --locked

start=$(date +%s)
cargo fuzz build "${build_flags[@]}"
echo "fuzz: built all targets in $(($(date +%s) - start)) s"

# Per-input limits: a reader must answer in well under a second and in bounded
# memory; these are generous so that a slow CI runner does not fail spuriously.
limits=(-timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1)

failed=()
for target in $(cargo fuzz list); do
    args=("-max_total_time=$seconds" "${limits[@]}")
    [ -f "dicts/$target.dict" ] && args+=("-dict=dicts/$target.dict")
    case $target in
        metadata | clockshot) args+=(-max_len=131072) ;;
        *) args+=(-max_len=4096) ;;
    esac
    mkdir -p "corpus/$target" "artifacts/$target"
    log="artifacts/$target/run.log"
    echo "fuzz: $target for $seconds s"
    status=0
    cargo fuzz run "${build_flags[@]}" "$target" "corpus/$target" -- "${args[@]}" >"$log" 2>&1 || status=$?
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|Done [0-9]+ runs)' "$log" |
        sed "s/^/fuzz: $target: /" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log"
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        echo "fuzz: $target FAILED (exit $status); artifact: ${artifact:-none written} (full log: fuzz/$log)"
        [ -n "$artifact" ] && echo "fuzz: reproduce with: cargo fuzz run ${build_flags[*]} $target $artifact"
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
    exit 1
fi
echo "fuzz: every target ran $seconds s without a crash"
