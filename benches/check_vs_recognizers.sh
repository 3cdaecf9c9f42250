#!/usr/bin/env bash
# Runs, in one go and single-threaded, the lvzhi-check corpus benchmark and
# Microsoft Recognizers-Text's Chinese number-with-unit extraction over the same
# corpus (../shared/corpus), and prints both throughputs and their ratio.
#
#   bash benches/check_vs_recognizers.sh            # whole corpus for both
#   LIMIT_BYTES=500000 bash benches/check_vs_recognizers.sh   # Recognizers on a prefix only
#
# Needs: cargo; python3 with `pip install recognizers-text-suite "emoji<2"`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"

echo "== lvzhi-check (Rust, single thread) =="
check_out=$(LVZHI_BENCH_ONCE=1 taskset -c 0 cargo bench -q -p lvzhi-check --bench check_corpus 2>/dev/null || LVZHI_BENCH_ONCE=1 cargo bench -q -p lvzhi-check --bench check_corpus)
echo "$check_out"
check_mbs=$(echo "$check_out" | sed -n 's/^lvzhi-check MB\/s: //p')

echo "== Recognizers-Text (Python, single thread) =="
limit=()
if [[ -n "${LIMIT_BYTES:-}" ]]; then limit=(--limit-bytes "$LIMIT_BYTES"); fi
rec_out=$(python3 benches/recognizers_compare.py "${limit[@]}")
echo "$rec_out"
rec_mbs=$(echo "$rec_out" | sed -n 's/^recognizers MB\/s: //p')

if [[ -z "$check_mbs" || -z "$rec_mbs" ]]; then
  echo "a benchmark was skipped (no corpus?)" >&2
  exit 0
fi
python3 -c "import sys; c, r = float(sys.argv[1]), float(sys.argv[2]); print(f'lvzhi-check: {c:.1f} MB/s; Recognizers-Text number-with-unit: {r:.3f} MB/s; ratio: {c / r:,.0f}x')" "$check_mbs" "$rec_mbs"
