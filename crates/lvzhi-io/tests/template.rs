//! Over every ledger of the demo county: the import template (`lvzhi template`)
//! imports back as it is (its example row validates) and carries drop-down lists
//! for the enum fields; and a sample of each ledger's export imports back
//! unchanged — no manual mapping, the same field values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use lvzhi_core::field::FieldType;
use lvzhi_demo::DemoOptions;
use lvzhi_io::export::ExportFormat;
use lvzhi_io::import::ImportOptions;
use lvzhi_io::{ReadOptions, check_file};
use lvzhi_store::Store;
use lvzhi_testkit::TestDb;
use std::io::Read;
use std::sync::Arc;

/// Rows per ledger taken from each export (the first ones).
const SAMPLE: usize = 40;

/// A file of the xlsx zip, as text.
fn zip_text(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// The first `n` records of a CSV export (header kept; quoted newlines respected).
fn head_csv(bytes: &[u8], n: usize) -> Vec<u8> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    for rec in r.records().take(n + 1) {
        w.write_record(&rec.unwrap()).unwrap();
    }
    w.into_inner().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_and_exports_of_every_ledger_import_back() {
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
    for kind in &kinds {
        // ── The template ──
        let t = lvzhi_io::template::template_for(&store, &sys, &kind.key).await.unwrap();
        let sheet1 = zip_text(&t, "xl/worksheets/sheet1.xml");
        let enums: Vec<_> = kind.fields.iter().filter(|f| f.ty == FieldType::Enum).collect();
        let lists = sheet1.matches("<dataValidation type=\"list\"").count();
        assert!(
            lists >= enums.len(),
            "{}: {} drop-downs for {} enum fields",
            kind.key,
            lists,
            enums.len()
        );
        // Each enum column's drop-down names its list on the hidden sheet, which holds its values.
        let strings = zip_text(&t, "xl/sharedStrings.xml");
        for f in &enums {
            let col = kind.fields.iter().position(|x| x.key == f.key).unwrap();
            let sqref = format!("sqref=\"{0}2:{0}5001\"", lvzhi_io::sheet::column_letter(col));
            assert!(
                sheet1.contains(&sqref),
                "{}: {} has a drop-down ({sqref})",
                kind.key,
                f.label
            );
            for v in &f.values {
                assert!(
                    strings.contains(&format!(">{v}<")),
                    "{}: {} offers {v}",
                    kind.key,
                    f.label
                );
            }
        }
        assert!(
            zip_text(&t, "xl/workbook.xml").contains("state=\"hidden\""),
            "the lists' sheet is hidden"
        );
        let checked = check_file(&store, &sys, &kind.key, &t, "模板.xlsx", &read).await;
        match checked {
            Ok(c) if c.prepared.is_clean() && c.prepared.rows.len() == 1 => {
                let rep =
                    lvzhi_io::import::write(&store, &sys, &c.prepared, &ImportOptions::default(), &mut |_| {}).await;
                if let Err(e) = rep {
                    failures.push(format!("{} template: not written: {e}", kind.key));
                }
            }
            Ok(c) => failures.push(format!(
                "{} template: {} rows, errors {:?}",
                kind.key,
                c.prepared.rows.len(),
                c.prepared.errors.iter().map(|e| &e.message).collect::<Vec<_>>()
            )),
            Err(e) => failures.push(format!("{} template: {e}", kind.key)),
        }

        // ── A sample of the export, imported back unchanged ──
        let (csv, sum) = common::export_all(&store, &sys, &kind.key, ExportFormat::Csv).await;
        assert!(sum.rows > 0, "{}: the demo has records", kind.key);
        let sample = head_csv(&csv, SAMPLE);
        let c = match check_file(&store, &sys, &kind.key, &sample, "导出.csv", &read).await {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{} export: {e}", kind.key));
                continue;
            }
        };
        if !c.prepared.is_clean() {
            failures.push(format!(
                "{} export: {:?}",
                kind.key,
                c.prepared.errors.iter().take(3).map(|e| &e.message).collect::<Vec<_>>()
            ));
            continue;
        }
        let n = c.prepared.rows.len();
        assert_eq!(n, SAMPLE.min(sum.rows), "{}", kind.key);
        let rep = match lvzhi_io::import::write(&store, &sys, &c.prepared, &ImportOptions::default(), &mut |_| {}).await
        {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{} export: not written: {e}", kind.key));
                continue;
            }
        };
        // The same field values as the records exported (their ids are the 编号 column).
        let mut r = csv::ReaderBuilder::new().from_reader(sample.strip_prefix(b"\xEF\xBB\xBF").unwrap());
        let old_ids: Vec<i64> = r.records().map(|x| x.unwrap()[0].parse().unwrap()).collect();
        for (old, new) in old_ids.iter().zip(&rep.ids) {
            let a = store.record(&sys, *old).await.unwrap();
            let b = store.record(&sys, *new).await.unwrap();
            if a.row.fields != b.row.fields || a.row.state != b.row.state {
                failures.push(format!(
                    "{} record {old} came back as {new} changed:\n  {:?} ({})\n  {:?} ({})",
                    kind.key, a.row.fields, a.row.state, b.row.fields, b.row.state
                ));
                break;
            }
        }
    }
    store.close().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
