#!/usr/bin/env bash
# The 1,000,000-row GBK CSV import (validated, one hash-chained event per record,
# one durable transaction) side by side with the SQLite floor for the same rows
# and durability (crates/lvzhi-io/benches/sqlite_floor.py, insert-select: SQLite's
# own insert cost from an in-memory table, WAL + synchronous=FULL), in one run,
# alternating ROUNDS times so both see the same load.
#
#   ROWS=1000000 ROUNDS=2 bash benches/import_vs_floor.sh
set -euo pipefail
ROWS=${ROWS:-1000000}
ROUNDS=${ROUNDS:-1}
cd "$(dirname "$0")/.."
cargo bench -p lvzhi-io --bench io --no-run 2>/dev/null
BIN=$(ls -t target/release/deps/io-* | grep -v '\.d$' | head -1)
KEEP=/tmp/lvzhi-floor-src.db
"$BIN" gen --rows "$ROWS" >/dev/null
echo "machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{printf "%.0f GiB", $2/1048576}'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for r in $(seq "$ROUNDS"); do
  echo "── round $r, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  rm -f "$KEEP"
  LVZHI_BENCH_KEEP=$KEEP "$BIN" csv --rows "$ROWS" | grep -E 'lvzhi|CPU'
  echo "   load: $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 crates/lvzhi-io/benches/sqlite_floor.py "$KEEP" "$ROWS" insert-select
  echo "   load: $(cut -d' ' -f1-3 /proc/loadavg)"
done
rm -f "$KEEP"
