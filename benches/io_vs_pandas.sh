#!/usr/bin/env bash
# Side by side, one run, the same files: a ROWS-row (default 1,000,000)
# real-shaped hazard ledger xlsx read + validated by lvzhi versus just read by
# pandas.read_excel(engine="openpyxl"); then a ROWS-row GBK CSV imported into
# SQLite by lvzhi with validation and one event per record.
# The files are generated once into /tmp/lvzhi-bench/.
#   ROWS=100000 bash benches/io_vs_pandas.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-1000000}"
python3 -c "import pandas, openpyxl" 2>/dev/null || pip install --quiet pandas openpyxl
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo bench -p lvzhi-io --bench io --no-run 2>&1 | tail -1
cargo bench -p lvzhi-io --bench io -- gen --rows "$ROWS"
XLSX="/tmp/lvzhi-bench/hazard-$ROWS.xlsx"
echo "== xlsx: $(du -h "$XLSX" | cut -f1)"
cargo bench -p lvzhi-io --bench io -- xlsx --rows "$ROWS" | tee /tmp/lvzhi-bench/lvzhi-xlsx.txt
python3 benches/pandas_read_excel.py "$XLSX" | tee /tmp/lvzhi-bench/pandas-xlsx.txt
python3 - <<'PY'
import re
l = open("/tmp/lvzhi-bench/lvzhi-xlsx.txt").read()
p = open("/tmp/lvzhi-bench/pandas-xlsx.txt").read()
a = float(re.search(r"rows: ([0-9.]+)s", l).group(1))
b = float(re.search(r": ([0-9.]+)s", p).group(1))
print(f"== lvzhi read+validate is {b / a:.1f}x faster than pandas.read_excel just reading (goal >= 5x)")
PY
echo "== GBK CSV: $(du -h "/tmp/lvzhi-bench/hazard-$ROWS-gbk.csv" | cut -f1)"
cargo bench -p lvzhi-io --bench io -- csv --rows "$ROWS" ${CHUNK:+--chunk $CHUNK}
