"""Makes the xls fixtures of tests/io.rs and bounds.rs (xlwt 1.3.0, `pip install xlwt`).

small.xls   - 3 rows: its Workbook stream is under 4096 bytes (in the CFB mini stream)
large.xls   - 400 rows x 5 columns: the Workbook stream is in regular sectors
range-bomb.xls - one cell at A1 and one at IV65536: calamine would build a 16.7 M-cell grid
"""
import xlwt

def book(path, cells):
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("隐患")
    for (r, c, v) in cells:
        ws.write(r, c, v)
    wb.save(path)

book("small.xls", [(0, 0, "隐患描述"), (0, 1, "乡镇"), (1, 0, "消防通道堵塞"), (1, 1, "城关镇"), (2, 0, 21.6)])
book("large.xls", [(0, c, "列%d" % c) for c in range(5)] + [(r, c, "第%d行%d" % (r, c)) for r in range(1, 400) for c in range(5)])
book("range-bomb.xls", [(0, 0, "a"), (65535, 255, "b")])
