#!/usr/bin/env python3
"""DuckDB computing the same aggregates as lvzhi's indicator engine.

Reads the records exported by `cargo bench -p lvzhi-metrics --bench indicators`
(LVZHI_BENCH_EXPORT=DIR: records.csv, people.csv, meta.json), loads them into
DuckDB (converted once to Parquet; load time reported apart), and times
computing every measure and statistic that `lvzhi indicators --period 2026`
computes -- the same ledgers, filters, date spans, year-before spans and
sibling rankings, generated from the same pack files (packs/county/indicators
and packs/county/ledgers) -- as SQL over the JSON `fields` column, exactly as
lvzhi stores them. Sums are DECIMAL (exact), like lvzhi's.

usage: duckdb_indicators.py EXPORT_DIR [ITERATIONS]
"""

import calendar
import datetime as dt
import glob
import json
import os
import statistics
import sys
import time
import tomllib

import duckdb

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PACK = os.path.join(ROOT, "packs", "county")


def load_pack():
    ledgers = {}
    for f in glob.glob(os.path.join(PACK, "ledgers", "*.toml")):
        d = tomllib.load(open(f, "rb"))
        ledgers[d["key"]] = d
    inds = {}
    for f in sorted(glob.glob(os.path.join(PACK, "indicators", "*.toml"))):
        d = tomllib.load(open(f, "rb"))
        for i in d.get("indicator", []):
            inds[i["id"]] = i
    return ledgers, inds


ROLE_COL = {"unit": "unit_id", "division": "division", "owner": "owner_id", "deadline": "deadline"}


def q(s):
    return "'" + str(s).replace("'", "''") + "'"


def expr(ledger, key):
    f = next(x for x in ledger["fields"] if x["key"] == key)
    if f.get("role") in ROLE_COL:
        return ROLE_COL[f["role"]], f
    return f"json_extract_string(fields, '$.{key}')", f


def measure_sql(ledgers, ind, span, today):
    led = ledgers[ind["ledger"]]
    conds = [f"ledger = {q(ind['ledger'])}", "NOT voided"]
    if "date" in ind:
        e, _ = expr(led, ind["date"])
        conds.append(f"{e} BETWEEN {q(span[0])} AND {q(span[1])}")
    if ind.get("states"):
        conds.append("state IN (" + ", ".join(q(s) for s in ind["states"]) + ")")
    if "open" in ind:
        conds.append("NOT closed" if ind["open"] else "closed")
    if ind.get("overdue"):
        conds.append(f"NOT closed AND deadline < {q(today)}")
    if ind.get("due_soon"):
        warn = led.get("deadline", {}).get("warn_days", 0)
        soon = (dt.date.fromisoformat(today) + dt.timedelta(days=warn)).isoformat()
        conds.append(f"NOT closed AND deadline BETWEEN {q(today)} AND {q(soon)}")
    for w in ind.get("where", []):
        e, f = expr(led, w["field"])
        numeric = f["type"] in ("integer", "decimal", "money", "percent")
        def val(v):
            return str(span[1][:4]) if v == "$year" else v
        if "eq" in w:
            conds.append(f"{e} = {q(val(w['eq']))}")
        if "ne" in w:
            conds.append(f"{e} <> {q(val(w['ne']))}")
        if "in" in w:
            conds.append(f"{e} IN (" + ", ".join(q(val(v)) for v in w["in"]) + ")")
        for k, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if k in w:
                lhs = f"CAST({e} AS DECIMAL(38,2))" if numeric else e
                rhs = w[k] if numeric else q(w[k])
                conds.append(f"{lhs} {op} {rhs}")
        if "le_field" in w:
            conds.append(f"{e} <= {expr(led, w['le_field'])[0]}")
        if "empty" in w:
            conds.append(f"{e} IS NULL" if w["empty"] else f"{e} IS NOT NULL")
        if "post" in w:
            conds.append(f"{e} IN (SELECT id FROM people WHERE post = {q(w['post'])})")
    where = " AND ".join(conds)
    kind = ind["measure"]
    if kind == "count":
        agg = "COUNT(*)"
    elif kind == "avg_days":
        a, _ = expr(led, ind["from"])
        b, _ = expr(led, ind["to"])
        agg = f"AVG(date_diff('day', CAST({a} AS DATE), CAST({b} AS DATE)))"
    elif kind == "distinct":
        agg = f"COUNT(DISTINCT {expr(led, ind['field'])[0]})"
    else:
        fn = {"sum": "SUM", "avg": "AVG", "min": "MIN", "max": "MAX"}[kind]
        agg = f"{fn}(CAST({expr(led, ind['field'])[0]} AS DECIMAL(38,2)))"
    sqls = [f"SELECT {agg} FROM records WHERE {where}"]
    if ind.get("group_by"):
        g = {"unit": "unit_id", "division": "division", "owner": "owner_id", "state": "state"}.get(ind["group_by"])
        sqls.append(f"SELECT {g}, {agg} FROM records WHERE {where} GROUP BY {g}")
    return sqls


def months_in(span):
    a, b = dt.date.fromisoformat(span[0]), dt.date.fromisoformat(span[1])
    out = []
    y, m = a.year, a.month
    while (y, m) <= (b.year, b.month):
        first = dt.date(y, m, 1)
        last = dt.date(y, m, calendar.monthrange(y, m)[1])
        if first >= a and last <= b:
            out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


FACTOR = "CASE json_extract_string(fields, '$.measure') WHEN '万元' THEN 10000 WHEN '亿元' THEN 100000000 ELSE 1 END"


def stat_sql(ind, span, divisions):
    mode = ind.get("mode", "flow")
    base = (
        "FROM records WHERE ledger = 'statistic' AND NOT voided AND state = '已审核' "
        f"AND json_extract_string(fields, '$.indicator') = {q(ind['statistic'])} "
        f"AND division IN ({', '.join(q(d) for d in divisions)})"
    )
    val = f"CAST(json_extract_string(fields, '$.value') AS DECIMAL(38,4)) * {FACTOR}"
    per = "json_extract_string(fields, '$.period')"
    if mode == "target":
        return f"SELECT division, {val} {base} AND {per} = {q(span[1][:4])}"
    months = ", ".join(q(m) for m in months_in(span)) or "''"
    if mode == "level":
        return f"SELECT division, arg_max({val}, {per}) {base} AND {per} IN ({months}) GROUP BY division"
    return f"SELECT division, SUM({val}) {base} AND {per} IN ({months}) GROUP BY division"


def year_before(span):
    def shift(s):
        d = dt.date.fromisoformat(s)
        end = d.day == calendar.monthrange(d.year, d.month)[1]
        day = 28 if (d.month == 2 and d.day == 29) else d.day
        nd = dt.date(d.year - 1, d.month, day)
        if end:
            nd = dt.date(nd.year, nd.month, calendar.monthrange(nd.year, nd.month)[1])
        return nd.isoformat()
    return (shift(span[0]), shift(span[1]))


def plan(ledgers, inds, span, today, county, siblings):
    """Every (sql) lvzhi's engine runs for `--period 2026`, in the same spans."""
    needed = set()

    def need(i, sp):
        if (i, sp) in needed:
            return
        needed.add((i, sp))
        d = inds[i]
        if "formula" in d:
            for o in d["of"]:
                need(o, sp)
                if d["formula"] in ("growth", "increase", "pp_change"):
                    need(o, year_before(sp))

    for i in inds:
        need(i, span)
    sqls = []
    for i, sp in sorted(needed):
        d = inds[i]
        if "measure" in d:
            sqls.extend(measure_sql(ledgers, d, sp, today))
        elif "statistic" in d:
            ranked = any(x.get("formula") == "rank" and d["id"] in x["of"] for x in inds.values())
            sqls.append(stat_sql(d, sp, siblings if ranked else [county]))
    return sqls


def main():
    export = sys.argv[1]
    iters = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    meta = json.load(open(os.path.join(export, "meta.json")))
    today, county = meta["today"], meta["county"]
    ledgers, inds = load_pack()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    t = time.perf_counter()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{export}/records.csv', header=true, all_varchar=false, "
        "types={'fields': 'VARCHAR', 'division': 'VARCHAR', 'deadline': 'VARCHAR'})) "
        f"TO '{export}/records.parquet' (FORMAT parquet)"
    )
    con.execute(f"CREATE TABLE records AS SELECT * FROM read_parquet('{export}/records.parquet')")
    con.execute(f"CREATE TABLE people AS SELECT * FROM read_csv('{export}/people.csv', header=true)")
    load_ms = (time.perf_counter() - t) * 1000
    n = con.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    # "2026" as of today: 2026-01-01 .. end of today's month.
    td = dt.date.fromisoformat(today)
    span = ("2026-01-01", dt.date(td.year, td.month, calendar.monthrange(td.year, td.month)[1]).isoformat())
    siblings = [county] + [c for c in ["620921", "620922", "620923", "620924", "620981", "620982"]]
    sqls = plan(ledgers, inds, span, today, county, siblings)
    times = []
    results = None
    for _ in range(iters):
        t = time.perf_counter()
        results = [con.execute(s).fetchall() for s in sqls]
        times.append((time.perf_counter() - t) * 1000)
    check = {}
    for name, i in (("排查隐患", "hazards_found"), ("谋划项目总投资", "projects_planned_investment")):
        check[name] = str(con.execute(measure_sql(ledgers, inds[i], span, today)[0]).fetchone()[0])
    fiscal = con.execute(stat_sql(inds["fiscal_total"], span, [county])).fetchone()
    check["财政总收入"] = str(fiscal[1]) if fiscal else None
    print(json.dumps({
        "bench": "duckdb_all_indicators", "records": n, "queries": len(sqls), "iters": iters,
        "median_ms": statistics.median(times), "min_ms": min(times), "load_ms": load_ms,
        "duckdb": duckdb.__version__, "check": check,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
