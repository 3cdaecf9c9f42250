#!/usr/bin/env python3
"""The SQLite floor for the import benchmark (issue 8): how fast SQLite itself
takes the same rows, with no validation, no hashing and no Rust.

It copies the `records` and `events` schema (tables and every index) from a
database the import benchmark left behind (`LVZHI_BENCH_KEEP=PATH cargo bench
-p lvzhi-io --bench io -- csv --rows N`), takes its imported rows as the
template, and writes N rows (ids and seqs renumbered) into a fresh database
with lvzhi's settings (WAL, synchronous=FULL, cache_size=-65536), in one
transaction:

* `executemany`: Python's C loop binding every column (the earlier floor);
* `insert-select`: the rows are first loaded into an in-memory temp table,
  then copied with one `INSERT … SELECT` — SQLite's own insert cost, no binding.

Reported per mode: insert time, COMMIT time (WAL fsync), checkpoint time
(copying the WAL into the database file, fsync), bytes written.

    python3 crates/lvzhi-io/benches/sqlite_floor.py SOURCE.db [ROWS] [executemany|insert-select] [CACHE_KIB]
"""

import os
import sqlite3
import sys
import tempfile
import time


def main():
    src = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    mode = sys.argv[3] if len(sys.argv) > 3 else "executemany"
    cache = int(sys.argv[4]) if len(sys.argv) > 4 else 65536
    s = sqlite3.connect(src)
    schema = [
        sql
        for (sql,) in s.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name IN ('records', 'events') AND sql IS NOT NULL "
            "ORDER BY type = 'index', name"
        )
    ]
    rcols = [r[1] for r in s.execute("PRAGMA table_info(records)")]
    ecols = [r[1] for r in s.execute("PRAGMA table_info(events)")]
    recs = s.execute("SELECT * FROM records WHERE ledger = 'hazard' ORDER BY id").fetchall()
    evs = s.execute("SELECT * FROM events WHERE kind = 'record.create' AND ledger = 'hazard' ORDER BY seq").fetchall()
    s.close()
    assert recs and evs, "no imported rows in the source database"
    rid, eseq, eent = rcols.index("id"), ecols.index("seq"), ecols.index("entity_id")
    rle = rcols.index("last_event")

    def rec(i):
        r = list(recs[i % len(recs)])
        r[rid] = i + 1
        r[rle] = i + 1
        return r

    def ev(i):
        e = list(evs[i % len(evs)])
        e[eseq] = i + 1
        e[eent] = str(i + 1)
        return e

    d = tempfile.mkdtemp(prefix="lvzhi-floor-", dir="/tmp")
    path = os.path.join(d, "floor.db")
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=FULL")
    c.execute(f"PRAGMA cache_size=-{cache}")
    for sql in schema:
        c.execute(sql)
    rq = f"INSERT INTO records ({','.join(rcols)}) VALUES ({','.join('?' * len(rcols))})"
    eq = f"INSERT INTO events ({','.join(ecols)}) VALUES ({','.join('?' * len(ecols))})"
    if mode == "insert-select":
        c.execute("PRAGMA temp_store=MEMORY")
        c.execute(f"CREATE TEMP TABLE r AS SELECT * FROM main.records WHERE 0")
        c.execute(f"CREATE TEMP TABLE e AS SELECT * FROM main.events WHERE 0")
        c.execute("BEGIN")
        c.executemany(rq.replace("INTO records", "INTO temp.r"), (rec(i) for i in range(n)))
        c.executemany(eq.replace("INTO events", "INTO temp.e"), (ev(i) for i in range(n)))
        c.execute("COMMIT")
        t = time.perf_counter()
        cpu0 = time.process_time()
        c.execute("BEGIN IMMEDIATE")
        c.execute(f"INSERT INTO main.records SELECT * FROM temp.r")
        c.execute(f"INSERT INTO main.events SELECT * FROM temp.e")
    else:
        rows_r = [rec(i) for i in range(n)]
        rows_e = [ev(i) for i in range(n)]
        t = time.perf_counter()
        cpu0 = time.process_time()
        c.execute("BEGIN IMMEDIATE")
        c.executemany(rq, rows_r)
        c.executemany(eq, rows_e)
    ins = time.perf_counter() - t
    c.execute("PRAGMA wal_autocheckpoint=0")
    t2 = time.perf_counter()
    c.execute("COMMIT")
    com = time.perf_counter() - t2
    cpu = time.process_time() - cpu0
    wal = os.path.getsize(path + "-wal")
    t3 = time.perf_counter()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ck = time.perf_counter() - t3
    db = os.path.getsize(path)
    total = ins + com
    print(
        f"sqlite floor ({mode}, sqlite {sqlite3.sqlite_version}, cache {cache} KiB) {n} rows: "
        f"insert {ins:.2f}s + commit {com:.2f}s = {total:.2f}s = {n / total:,.0f} rows/s to a durable commit; "
        f"checkpoint {ck:.2f}s (with it {n / (total + ck):,.0f} rows/s); "
        f"WAL {wal / 1e6:.0f} MB = {wal / n:.0f} B/row, database {db / 1e6:.0f} MB; "
        f"CPU insert+commit {cpu:.2f}s = {cpu * 1e6 / n:.1f} µs/row"
    )
    c.close()
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    os.rmdir(d)


if __name__ == "__main__":
    main()
