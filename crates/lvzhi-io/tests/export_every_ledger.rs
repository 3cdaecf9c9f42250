//! The import of an export of every ledger succeeds unchanged (issue 16): for
//! each of the demo county's 17 ledgers, the *whole* export — xlsx and CSV, as
//! the 导出 button gives them — imports back with no mapping and no error, and
//! every record comes back with the same field values (extra information
//! included) and the same state.
//!
//! (`tests/template.rs` imports a 40-row sample of each CSV export along with the
//! templates; this one takes every row of both formats.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use lvzhi_demo::DemoOptions;
use lvzhi_io::export::ExportFormat;
use lvzhi_io::import::ImportOptions;
use lvzhi_io::{ReadOptions, check_file};
use lvzhi_store::Store;
use lvzhi_testkit::TestDb;
use std::sync::Arc;

/// The record ids of a CSV export, in its order (the first column, 编号 or 系统编号).
fn csv_ids(bytes: &[u8]) -> Vec<i64> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut r = csv::ReaderBuilder::new().from_reader(body);
    let head = r.headers().unwrap().get(0).unwrap().to_string();
    assert!(head == "编号" || head == "系统编号", "the id column first: {head}");
    r.records().map(|x| x.unwrap()[0].parse().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_export_of_every_ledger_imports_back_unchanged() {
    let db = TestDb::sqlite();
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(&db.url, pack, lvzhi_demo::demo_clock()).await.unwrap();
    lvzhi_demo::build(&store, &DemoOptions { seed: 1, scale: 1 })
        .await
        .unwrap();
    let sys = Store::system_access();
    let read = ReadOptions::default();
    let kinds: Vec<_> = store.pack().ledgers.clone();
    assert_eq!(kinds.len(), 17, "the demo county's ledgers");
    let mut failures = Vec::new();
    let (mut records, mut with_extra) = (0usize, 0usize);
    for kind in &kinds {
        // Both exports first, so neither carries the other's imported copies.
        let (csv, sum) = common::export_all(&store, &sys, &kind.key, ExportFormat::Csv).await;
        let (xlsx, xsum) = common::export_all(&store, &sys, &kind.key, ExportFormat::Xlsx).await;
        assert!(sum.rows > 0, "{}: the demo has records", kind.key);
        assert_eq!(sum.rows, xsum.rows, "{}: both formats carry every record", kind.key);
        let old_ids = csv_ids(&csv);
        assert_eq!(old_ids.len(), sum.rows, "{}", kind.key);
        records += old_ids.len();
        for (format, bytes, name) in [
            (ExportFormat::Csv, &csv, "导出.csv"),
            (ExportFormat::Xlsx, &xlsx, "导出.xlsx"),
        ] {
            let what = format!("{} ({format:?}, {} rows)", kind.key, sum.rows);
            let c = match check_file(&store, &sys, &kind.key, bytes, name, &read).await {
                Ok(c) => c,
                Err(e) => {
                    failures.push(format!("{what}: not read: {e}"));
                    continue;
                }
            };
            if !c.prepared.is_clean() {
                failures.push(format!(
                    "{what}: {} rows refused, e.g. {:?}",
                    c.prepared.bad_rows,
                    c.prepared.errors.iter().take(3).map(|e| &e.message).collect::<Vec<_>>()
                ));
                continue;
            }
            if c.prepared.rows.len() != sum.rows {
                failures.push(format!("{what}: {} rows read", c.prepared.rows.len()));
                continue;
            }
            let rep = match lvzhi_io::import::write(&store, &sys, &c.prepared, &ImportOptions::default(), &mut |_| {})
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{what}: not written: {e}"));
                    continue;
                }
            };
            assert_eq!(rep.ids.len(), old_ids.len(), "{what}");
            // Every record, field by field (extras included), and its state.
            for (old, new) in old_ids.iter().zip(&rep.ids) {
                let a = store.record(&sys, *old).await.unwrap();
                let b = store.record(&sys, *new).await.unwrap();
                if a.row.fields != b.row.fields || a.row.state != b.row.state {
                    failures.push(format!(
                        "{what}: record {old} came back as {new} changed:\n  {:?} ({})\n  {:?} ({})",
                        a.row.fields, a.row.state, b.row.fields, b.row.state
                    ));
                    break;
                }
                if format == ExportFormat::Csv && a.row.fields.get("extra").is_some() {
                    with_extra += 1;
                }
            }
        }
    }
    store.close().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(records > 10_000, "every record of the demo: {records}");
    eprintln!("{records} records of 17 ledgers exported and imported back unchanged ({with_extra} with extras)");
}
