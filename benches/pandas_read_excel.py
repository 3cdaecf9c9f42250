"""Times pandas.read_excel (openpyxl engine) just reading a sheet: the
baseline that benches/io_vs_pandas.sh sets against lvzhi's read + validate.

usage: python3 benches/pandas_read_excel.py FILE.xlsx
"""
import sys
import time

import pandas as pd

path = sys.argv[1]
t = time.perf_counter()
df = pd.read_excel(path, engine="openpyxl", header=None)
secs = time.perf_counter() - t
print(f"pandas.read_excel(openpyxl) {len(df)} rows x {len(df.columns)} cols: {secs:.2f}s = {len(df) / secs:.0f} rows/s "
      f"(pandas {pd.__version__})")
