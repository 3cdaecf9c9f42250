#!/usr/bin/env bash
# lvzhi's indicator engine vs DuckDB on the same records, side by side.
#
#   benches/indicators_vs_duckdb.sh [SCALE ...]     (default: 1 100)
#
# For each scale: builds the demo county (seed 1) once into
# /tmp/lvzhi-bench-SCALE.db (reused afterwards), exports its records to
# /tmp/lvzhi-bench-SCALE/records.csv (+ parquet), runs the Rust bench
# (all indicators cold, with ledger rows held in memory, unchanged, after one
# record changes) and the DuckDB
# script (the same aggregates), and prints both. Needs `pip install duckdb`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-metrics}"
scales=("$@")
[ ${#scales[@]} -eq 0 ] && scales=(1 100)
echo "machine: $(lscpu | grep 'Model name' | sed 's/ *Model name: *//'), $(nproc) cores"
echo "duckdb: $(python3 -c 'import duckdb; print(duckdb.__version__)')"
for s in "${scales[@]}"; do
  db="/tmp/lvzhi-bench-$s.db"
  dir="/tmp/lvzhi-bench-$s"
  echo "== scale $s"
  LVZHI_BENCH_DB="$db" LVZHI_BENCH_SCALE="$s" LVZHI_BENCH_EXPORT="$dir" \
    cargo bench -q -p lvzhi-metrics --bench indicators 2>/dev/null
  python3 benches/duckdb_indicators.py "$dir" "$([ "$s" -gt 10 ] && echo 5 || echo 30)"
done
