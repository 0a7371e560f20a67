#!/usr/bin/env bash
# The long fault campaigns (issue 7), against the release binary; each prints a
# "SOAK ..." line with its figures and fails loudly on any lost, duplicated or
# orphaned file. Quick versions of the same campaigns run with `cargo test`.
#
#   tests/soak.sh                     # 20 kill -9 rounds over 500 files, 20,000 files frozen
#   LIPUTAN_SOAK_ROUNDS=50 LIPUTAN_SOAK_FILES=2000 LIPUTAN_SOAK_LOST_FILES=50000 tests/soak.sh
#
# Also LIPUTAN_SOAK_SEED (the kill moments; default 2026). Needs ~2 GB of free
# space in $TMPDIR for the 20,000-file campaign.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
started=$(date +%s)
cargo test --locked --release --test it -- --ignored --exact --nocapture --test-threads 1 \
  soak::soak_kill_9_during_ingest_and_refiling \
  soak::soak_20000_files_while_the_watcher_cannot_keep_up 2>&1 | tee "$log"
echo
echo "== soak figures ($(($(date +%s) - started)) s in all)"
grep -o 'SOAK .*' "$log"
grep -q '^test result: ok. 2 passed' "$log" || { echo "soak FAILED"; exit 1; }
