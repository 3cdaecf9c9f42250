//! Formula injection (issue 18 item 7): CSV and xlsx exports neutralise text
//! that a spreadsheet would run as a formula (OWASP: `=`, `+`, `-`, `@`, tab,
//! CR) — a leading `'` in CSV, the quote-prefix style in xlsx — and an import
//! of either export reads every value back unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use lvzhi_io::export::ExportFormat;
use lvzhi_io::import::ImportOptions;
use lvzhi_io::{ReadOptions, import_file};
use lvzhi_store::Store;
use lvzhi_store::records::ListQuery;
use lvzhi_testkit::{TestDb, county};
use serde_json::Value;

const HOSTILE: [&str; 8] = [
    "=HYPERLINK(\"http://evil.example/\",\"点击查看\")",
    "+86 13812345678 通知",
    "-消防通道堵塞",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=已加引号",
    "'普通引号开头",
];

fn input() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["隐患描述", "企业名称", "所属行业", "隐患等级", "所在乡镇", "排查日期"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, d) in HOSTILE.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, *d).unwrap();
        ws.write_string(r, 1, format!("={i}号公司")).unwrap();
        ws.write_string(r, 2, "工贸").unwrap();
        ws.write_string(r, 3, "一般").unwrap();
        ws.write_string(r, 4, "西洞镇").unwrap();
        ws.write_string(r, 5, "2026-03-05").unwrap();
    }
    wb.save_to_buffer().unwrap()
}

async fn import(store: &Store, a: &lvzhi_core::access::Access, bytes: &[u8], name: &str) -> usize {
    let (checked, report) = import_file(
        store,
        a,
        "hazard",
        bytes,
        name,
        &ReadOptions::default(),
        &ImportOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(
        checked.prepared.errors.is_empty(),
        "{name}: {:#?}",
        checked.prepared.errors
    );
    report.imported
}

async fn texts(store: &Store, a: &lvzhi_core::access::Access) -> Vec<(String, String)> {
    let q = ListQuery {
        limit: Some(100),
        ..ListQuery::default()
    };
    let mut v: Vec<(String, String)> = store
        .list(a, "hazard", &q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| {
            let s = |k: &str| r.row.fields.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            (s("description"), s("company"))
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn exports_neutralise_formulas_and_read_back_unchanged() {
    let db = TestDb::sqlite();
    let store = lvzhi_testkit::open(&db).await;
    let c = county::build(&store).await;
    let admin = c.access("admin");
    assert_eq!(import(&store, &admin, &input(), "in.xlsx").await, HOSTILE.len());
    let original = texts(&store, &admin).await;
    assert!(original.iter().any(|(d, _)| d == HOSTILE[0]), "{original:?}");
    for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
        let (buf, _) = common::export_all(&store, &admin, "hazard", format).await;
        let name = if format == ExportFormat::Csv {
            let text = String::from_utf8(buf.clone()).unwrap();
            // Every hostile cell starts with a quote; the id column (a number) does not.
            assert!(text.contains("\"'=HYPERLINK("), "{text}");
            assert!(text.contains("'-消防通道堵塞"), "{text}");
            assert!(text.contains("'@SUM("), "{text}");
            assert!(text.contains("'+86"), "{text}");
            assert!(text.contains("''=已加引号"), "{text}");
            assert!(
                text.contains(",'普通引号开头,") || text.contains("\n'普通引号开头"),
                "{text}"
            );
            for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
                assert!(line.starts_with(|c: char| c.is_ascii_digit()), "{line}");
            }
            "out.csv"
        } else {
            // The values are stored as they are, with the quote-prefix style.
            let sheet = lvzhi_io::sheet::read_bytes(&buf, "out.xlsx", None, Default::default()).unwrap();
            assert!(
                sheet
                    .rows
                    .iter()
                    .any(|r| r.get(1).map(|c| c.text()) == Some(HOSTILE[0].to_string()))
            );
            let mut styles = String::new();
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(&buf)).unwrap();
            std::io::Read::read_to_string(&mut z.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
            assert!(styles.contains("quotePrefix=\"1\""), "{styles}");
            "out.xlsx"
        };
        let db2 = TestDb::sqlite();
        let store2 = lvzhi_testkit::open(&db2).await;
        let c2 = county::build(&store2).await;
        assert_eq!(import(&store2, &c2.access("admin"), &buf, name).await, HOSTILE.len());
        assert_eq!(texts(&store2, &c2.access("admin")).await, original, "{format:?}");
        store2.close().await;
        db2.drop_db().await;
    }
    store.close().await;
    db.drop_db().await;
}
