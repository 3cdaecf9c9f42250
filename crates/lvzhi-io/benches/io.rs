//! Import benchmarks on real-shaped hazard ledgers (generated once, cached in
//! `/tmp/lvzhi-bench/`):
//!
//! * `xlsx` — read and validate an N-row xlsx (no database): what
//!   `benches/io_vs_pandas.sh` sets against `pandas.read_excel`.
//! * `csv` — import an N-row GBK CSV into a fresh SQLite database: read,
//!   validate, and write through the store with one event per record.
//! * `gen` — only make the files.
//!
//! `cargo bench -p lvzhi-io --bench io -- [xlsx|csv|gen|all] [--rows N] [--chunk N] [--pg]`
//!
//! `csv` runs what `lvzhi import` runs (`lvzhi_io::import_file`: reading and
//! checking overlap the write); `LVZHI_BENCH_TWO_PASS=1` or `--chunk N` checks the
//! whole file first, then writes (and times the two apart).
//!
//! `--pg` imports into a fresh PostgreSQL database (127.0.0.1:5432) instead of
//! SQLite; `LVZHI_BENCH_KEEP=PATH` keeps the SQLite database (for
//! `sqlite_floor.py`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_io::import::ImportOptions;
use lvzhi_io::{ReadOptions, check_bytes};
use rust_xlsxwriter::{Format, Workbook};
use std::path::PathBuf;
use std::time::Instant;

const INDUSTRIES: [&str; 6] = ["危化品", "工贸", "建筑", "消防", "燃气", "特种设备"];
const TOWNS: [&str; 3] = ["西洞镇", "清水镇", "总寨镇"];
const UNITS: [&str; 3] = ["应急管理局", "西洞镇人民政府", "清水镇人民政府"];

fn dir() -> PathBuf {
    let d = PathBuf::from("/tmp/lvzhi-bench");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn codes() -> Vec<String> {
    (0..997)
        .map(|i| lvzhi_core::ids::complete_credit_code(&format!("91620902MA{:07}", i * 7919 % 10_000_000)).unwrap())
        .collect()
}

struct Row {
    desc: String,
    company: String,
    code: String,
    industry: &'static str,
    grade: &'static str,
    town: &'static str,
    unit: &'static str,
    serial: f64,
    deadline: String,
    phone: String,
}

fn row(i: usize, codes: &[String]) -> Row {
    Row {
        desc: format!("第{i}号隐患：消防通道堵塞，应急照明损坏，灭火器压力不足"),
        company: format!("酒泉市演示{}有限责任公司", i % 5000),
        code: codes[i % codes.len()].clone(),
        industry: INDUSTRIES[i % INDUSTRIES.len()],
        grade: if i.is_multiple_of(17) { "重大隐患" } else { "一般" },
        town: TOWNS[i % TOWNS.len()],
        unit: UNITS[i % UNITS.len()],
        serial: 46023.0 + (i % 300) as f64,
        deadline: format!("2026年{}月{}日", 1 + i % 12, 1 + i % 28),
        phone: format!("138{:08}", i % 100_000_000),
    }
}

const HEADERS: [&str; 11] = [
    "序号",
    "隐患描述",
    "企业名称",
    "统一社会信用代码",
    "所属行业",
    "隐患等级",
    "所在乡镇",
    "责任单位",
    "排查日期",
    "整改期限",
    "企业联系电话",
];

fn make_xlsx(n: usize, path: &PathBuf) {
    let codes = codes();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory().unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string(0, 0, "XX县2026年安全隐患排查整治台账").unwrap();
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    for i in 0..n {
        let r = (i + 2) as u32;
        let x = row(i, &codes);
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        ws.write_string(r, 1, &x.desc).unwrap();
        ws.write_string(r, 2, &x.company).unwrap();
        ws.write_string(r, 3, &x.code).unwrap();
        ws.write_string(r, 4, x.industry).unwrap();
        ws.write_string(r, 5, x.grade).unwrap();
        ws.write_string(r, 6, x.town).unwrap();
        ws.write_string(r, 7, x.unit).unwrap();
        ws.write_number_with_format(r, 8, x.serial, &date).unwrap();
        ws.write_string(r, 9, &x.deadline).unwrap();
        ws.write_string(r, 10, &x.phone).unwrap();
    }
    ws.write_string((n + 2) as u32, 0, "合计").unwrap();
    wb.save(path).unwrap();
}

fn make_gbk_csv(n: usize, path: &PathBuf) {
    let codes = codes();
    let mut s = String::with_capacity(n * 200);
    s.push_str("XX县2026年安全隐患排查整治台账,,,,,,,,,,\n");
    s.push_str(&HEADERS.join(","));
    s.push('\n');
    for i in 0..n {
        let x = row(i, &codes);
        let d = lvzhi_io::value::serial_to_datetime(x.serial).unwrap().date();
        s.push_str(&format!(
            "{},\"{}\",{},{},{},{},{},{},{},{},{}\n",
            i + 1,
            x.desc,
            x.company,
            x.code,
            x.industry,
            x.grade,
            x.town,
            x.unit,
            d.strftime("%Y/%-m/%-d"),
            x.deadline,
            x.phone
        ));
    }
    s.push_str("合计,,,,,,,,,,\n");
    let (bytes, _, _) = encoding_rs::GBK.encode(&s);
    std::fs::write(path, bytes).unwrap();
}

fn file(kind: &str, n: usize) -> PathBuf {
    let (name, make): (String, fn(usize, &PathBuf)) = match kind {
        "xlsx" => (format!("hazard-{n}.xlsx"), make_xlsx),
        _ => (format!("hazard-{n}-gbk.csv"), make_gbk_csv),
    };
    let p = dir().join(name);
    if !p.exists() {
        let t = Instant::now();
        let tmp = p.with_extension("part");
        make(n, &tmp);
        std::fs::rename(&tmp, &p).unwrap();
        eprintln!("generated {} in {:.1}s", p.display(), t.elapsed().as_secs_f64());
    }
    p
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// CPU seconds (user + system) used so far by this process's live threads,
/// summed by thread name: where the time goes, whatever the machine's load.
fn thread_cpu() -> Vec<(String, f64)> {
    let mut by: std::collections::BTreeMap<String, f64> = Default::default();
    for e in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let (Some(a), Some(b)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[a + 1..b].to_string();
        let f: Vec<&str> = stat[b + 2..].split_whitespace().collect();
        let ticks: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0)
            + f.get(12).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        *by.entry(name).or_default() += ticks / 100.0;
    }
    by.into_iter().collect()
}

/// CPU seconds (user + system) of the whole process, ended threads included.
fn process_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    (f.get(11).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0))
        / 100.0
}

fn show_cpu(n: usize) {
    let p = process_cpu();
    println!("  CPU of the process: {p:.1}s = {:.1} µs/row", p * 1e6 / n as f64);
    let all = thread_cpu();
    let total: f64 = all.iter().map(|(_, s)| s).sum();
    let parts: Vec<String> = all
        .iter()
        .filter(|(_, s)| *s >= 0.05)
        .map(|(k, s)| format!("{k} {s:.1}s = {:.1} µs/row", s * 1e6 / n as f64))
        .collect();
    println!(
        "  CPU of live threads: {total:.1}s = {:.1} µs/row ({})",
        total * 1e6 / n as f64,
        parts.join(", ")
    );
}

fn org() -> lvzhi_io::org::OrgIndex {
    use lvzhi_store::org::{Division, Unit};
    let d = |code: &str, name: &str, level| Division {
        code: code.into(),
        name: name.into(),
        level,
        parent: None,
    };
    let u = |id, name: &str| Unit {
        id,
        name: name.into(),
        kind: "部门".into(),
        division: None,
    };
    lvzhi_io::org::OrgIndex::new(
        &[u(1, UNITS[0]), u(2, UNITS[1]), u(3, UNITS[2])],
        &[],
        &[
            d("620902", "肃州区", 1),
            d("620902100", "西洞镇", 2),
            d("620902101", "清水镇", 2),
            d("620902102", "总寨镇", 2),
        ],
    )
}

fn bench_xlsx(n: usize) {
    let path = file("xlsx", n);
    let pack = lvzhi_packs::county().unwrap();
    let kind = pack.ledger("hazard").unwrap();
    let org = org();
    let admin = lvzhi_store::Store::system_access();
    let t = Instant::now();
    let bytes = std::fs::read(&path).unwrap();
    // A million rows is over the default import limits: the bench raises them.
    let limits = lvzhi_io::sheet::SheetLimits::bulk();
    let sheet = lvzhi_io::sheet::read_bytes_with(&bytes, "x.xlsx", None, Default::default(), &limits).unwrap();
    let read = t.elapsed().as_secs_f64();
    let layout = lvzhi_io::mapping::layout(&sheet, kind, &Default::default()).unwrap();
    let p = lvzhi_io::prepare::prepare(kind, &sheet, layout, &org, &admin).unwrap();
    let total = t.elapsed().as_secs_f64();
    assert_eq!(p.rows.len(), n, "{:?}", p.errors.first());
    assert!(p.errors.is_empty());
    println!(
        "lvzhi xlsx read+validate {n} rows: {total:.2}s (read {read:.2}s, validate {:.2}s) = {:.0} rows/s, peak RSS {:.0} MB",
        total - read,
        n as f64 / total,
        peak_rss_mb()
    );
    // The same through the public one-call API, for the record.
    drop(p);
    drop(sheet);
    let t = Instant::now();
    let read = ReadOptions {
        limits,
        ..ReadOptions::default()
    };
    let c = check_bytes(kind, &org, &admin, &bytes, "x.xlsx", &read).unwrap();
    println!(
        "lvzhi check_bytes (second run) {} rows: {:.2}s",
        c.prepared.rows.len(),
        t.elapsed().as_secs_f64()
    );
}

/// calamine alone: the whole range, and the streaming cell reader.
fn bench_raw(n: usize) {
    use calamine::Reader;
    let bytes = std::fs::read(file("xlsx", n)).unwrap();
    let t = Instant::now();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(&bytes[..])).unwrap();
    let opened = t.elapsed().as_secs_f64();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    println!(
        "calamine open {opened:.2}s, worksheet_range {:.2}s ({} rows)",
        t.elapsed().as_secs_f64(),
        range.height()
    );
    drop(range);
    let t = Instant::now();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(&bytes[..])).unwrap();
    let mut cells = 0usize;
    let mut r = wb.worksheet_cells_reader(&name).unwrap();
    while let Ok(Some(_c)) = r.next_cell() {
        cells += 1;
    }
    println!(
        "calamine cells_reader {:.2}s ({cells} cells)",
        t.elapsed().as_secs_f64()
    );
}

fn file_mb(p: &str) -> f64 {
    std::fs::metadata(p).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0)
}

fn bench_csv(n: usize, chunk: usize, pg: bool) {
    let path = file("csv", n);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = if pg {
            lvzhi_testkit::TestDb::postgres().await.expect("PostgreSQL at 127.0.0.1:5432")
        } else {
            lvzhi_testkit::TestDb::sqlite()
        };
        let store = lvzhi_testkit::open(&db).await;
        let c = lvzhi_testkit::county::build(&store).await;
        let admin = c.access("admin");
        let bytes = std::fs::read(&path).unwrap();
        let backend = if pg { "PostgreSQL" } else { "SQLite" };
        let cpu0 = process_cpu();
        let t = Instant::now();
        let bulk = ReadOptions {
            limits: lvzhi_io::sheet::SheetLimits::bulk(),
            ..ReadOptions::default()
        };
        if chunk == 0 && std::env::var_os("LVZHI_BENCH_TWO_PASS").is_none() {
            // What `lvzhi import` does: read and check while writing (one transaction).
            let (checked, report) = lvzhi_io::import_file(
                &store,
                &admin,
                "hazard",
                &bytes,
                "x.csv",
                &bulk,
                &ImportOptions::default(),
                &mut |_| {},
            )
            .await
            .unwrap();
            let total = t.elapsed().as_secs_f64();
            assert!(checked.prepared.errors.is_empty(), "{:?}", checked.prepared.errors.first());
            assert_eq!(report.imported, n);
            println!(
                "lvzhi GBK CSV import {n} rows into {backend} (streamed: read+validate overlapping the write, one transaction): \
                 {total:.2}s = {:.0} rows/s to the durable commit, peak RSS {:.0} MB",
                n as f64 / total,
                peak_rss_mb()
            );
            let cpu = process_cpu() - cpu0;
            println!(
                "  CPU of the import (read, validate, write; all threads): {cpu:.1}s = {:.1} µs/row",
                cpu * 1e6 / n as f64
            );
            show_cpu(n);
            finish(store, db, pg, t).await;
            return;
        }
        let checked = lvzhi_io::check_file(&store, &admin, "hazard", &bytes, "x.csv", &bulk)
            .await
            .unwrap();
        let validate = t.elapsed().as_secs_f64();
        assert!(checked.prepared.errors.is_empty(), "{:?}", checked.prepared.errors.first());
        let opts = ImportOptions {
            chunk_rows: chunk,
            ..ImportOptions::default()
        };
        let tw = Instant::now();
        let report = lvzhi_io::import::write(&store, &admin, &checked.prepared, &opts, &mut |_| {})
            .await
            .unwrap();
        let write = tw.elapsed().as_secs_f64();
        let total = t.elapsed().as_secs_f64();
        assert_eq!(report.imported, n);
        println!(
            "lvzhi GBK CSV import {n} rows into {backend} (chunk {}): {total:.2}s = {:.0} rows/s \
             (read+validate {validate:.2}s = {:.0} rows/s; store write with events {write:.2}s = {:.0} rows/s), peak RSS {:.0} MB",
            if chunk == 0 { "whole file".to_string() } else { chunk.to_string() },
            n as f64 / total,
            n as f64 / validate,
            n as f64 / write,
            peak_rss_mb()
        );
        let cpu = process_cpu() - cpu0;
        println!(
            "  CPU of the import (read, validate, write; all threads): {cpu:.1}s = {:.1} µs/row",
            cpu * 1e6 / n as f64
        );
        show_cpu(n);
        finish(store, db, pg, t).await;
    });
}

/// Closes the store (on SQLite: the checkpoint the writer runs after an
/// import) and drops or keeps the database.
async fn finish(store: lvzhi_store::Store, db: lvzhi_testkit::TestDb, pg: bool, t: Instant) {
    {
        if !pg {
            let p = db.path().to_string();
            println!(
                "  after commit: database {:.0} MB, WAL {:.0} MB",
                file_mb(&p),
                file_mb(&format!("{p}-wal"))
            );
        }
        let tc = Instant::now();
        store.close().await;
        if !pg {
            println!(
                "  close (checkpoint) {:.2}s; database {:.0} MB; from the start to closed {:.2}s",
                tc.elapsed().as_secs_f64(),
                file_mb(db.path()),
                t.elapsed().as_secs_f64()
            );
        }
        match std::env::var("LVZHI_BENCH_KEEP") {
            Ok(to) if !pg => {
                std::fs::rename(db.path(), &to).unwrap();
                println!("  kept the database as {to}");
            }
            _ => db.drop_db().await,
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let mut rows = 1_000_000;
    let mut chunk = 0;
    let mut what = "all".to_string();
    let mut pg = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rows" => rows = it.next().and_then(|v| v.parse().ok()).unwrap_or(rows),
            "--chunk" => chunk = it.next().and_then(|v| v.parse().ok()).unwrap_or(chunk),
            "--pg" => pg = true,
            other => what = other.to_string(),
        }
    }
    match what.as_str() {
        "gen" => {
            println!("{}", file("xlsx", rows).display());
            println!("{}", file("csv", rows).display());
        }
        "xlsx" => bench_xlsx(rows),
        "raw" => bench_raw(rows),
        "csv" => bench_csv(rows, chunk, pg),
        _ => {
            bench_xlsx(rows);
            bench_csv(rows, chunk, pg);
        }
    }
}
