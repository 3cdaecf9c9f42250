//! Nothing typed is lost: columns that are no field of the ledger come in as extra
//! information on the record (header → text), in its event, searchable, listed for
//! the admin, and exported back under their own headers — so export → import gives
//! the same records and extras.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use lvzhi_io::export::ExportFormat;
use lvzhi_io::import::ImportOptions;
use lvzhi_io::{ReadOptions, import_file};
use lvzhi_store::records::ListQuery;
use lvzhi_testkit::{TestDb, county};
use serde_json::{Value, json};

const CSV: &str = "隐患描述,企业名称,行业,隐患等级,乡镇,发现日期,督办领导,检查人,备注说明\n\
配电箱未接地,甲公司,工贸,一般,西洞镇,2026-03-05,张三,李四,已约谈\n\
消防通道堵塞,乙公司,商场,重大,西洞镇,2026-03-06,王五,,\n";

#[tokio::test]
async fn extra_columns_round_trip_sqlite() {
    round_trip(TestDb::sqlite()).await;
}

#[tokio::test]
async fn extra_columns_round_trip_postgres() {
    if let Some(db) = TestDb::postgres().await {
        round_trip(db).await;
    }
}

async fn round_trip(db: TestDb) {
    let store = lvzhi_testkit::open(&db).await;
    let c = county::build(&store).await;
    let admin = c.access("admin");
    let (checked, report) = import_file(
        &store,
        &admin,
        "hazard",
        CSV.as_bytes(),
        "隐患.csv",
        &ReadOptions::default(),
        &ImportOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(report.written, "{:?}", checked.prepared.errors);
    let extras: Vec<&str> = checked
        .prepared
        .layout
        .columns
        .iter()
        .filter(|c| c.extra)
        .map(|c| c.header.as_str())
        .collect();
    assert_eq!(extras, ["督办领导", "检查人", "备注说明"]);
    let q = ListQuery {
        limit: Some(50),
        ..ListQuery::default()
    };
    let mut recs = store.list(&admin, "hazard", &q).await.unwrap().items;
    recs.sort_by_key(|r| r.row.id);
    assert_eq!(recs.len(), 2);
    assert_eq!(
        recs[0].row.fields["extra"],
        json!({"督办领导": "张三", "检查人": "李四", "备注说明": "已约谈"})
    );
    assert_eq!(
        recs[1].row.fields["extra"],
        json!({"督办领导": "王五"}),
        "empty cells are left out"
    );
    // In the record's event, so on the hash chain.
    let ev = store.record_events(&admin, recs[0].row.id).await.unwrap();
    assert_eq!(
        ev[0].data["after"]["extra"]["督办领导"],
        json!("张三"),
        "{}",
        ev[0].data
    );
    // Searchable.
    let found = store
        .list(
            &admin,
            "hazard",
            &ListQuery {
                q: Some("王五".into()),
                ..q.clone()
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].row.id, recs[1].row.id);
    // The admin sees which extra columns are frequent.
    let cols = store.extra_columns(Some("hazard")).await.unwrap();
    let listed: Vec<(&str, i64)> = cols.iter().map(|e| (e.name.as_str(), e.records)).collect();
    assert_eq!(listed, [("督办领导", 2), ("备注说明", 1), ("检查人", 1)]);

    // Export → import gives the same records and extras.
    for format in [ExportFormat::Xlsx, ExportFormat::Csv] {
        let (bytes, _) = common::export_all(&store, &admin, "hazard", format).await;
        let name = if format == ExportFormat::Csv {
            "导出.csv"
        } else {
            "导出.xlsx"
        };
        let before: Vec<i64> = store
            .list(&admin, "hazard", &q)
            .await
            .unwrap()
            .items
            .iter()
            .map(|r| r.row.id)
            .collect();
        let (ch, rep) = import_file(
            &store,
            &admin,
            "hazard",
            &bytes,
            name,
            &ReadOptions::default(),
            &ImportOptions::default(),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert!(rep.written, "{format:?}: {:?}", ch.prepared.errors);
        let again: Vec<_> = store
            .list(
                &admin,
                "hazard",
                &ListQuery {
                    limit: Some(50),
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|r| !before.contains(&r.row.id))
            .collect();
        // Every exported record comes back with the same fields, extras and state.
        let strip = |r: &lvzhi_store::records::RecordView| {
            let mut m = r.row.fields.clone();
            m.retain(|_, x| !x.is_null());
            (Value::Object(m), r.row.state.clone())
        };
        let originals: Vec<_> = recs.iter().map(strip).collect();
        assert_eq!(again.len(), rep.imported, "{format:?}");
        assert!(again.len() >= 2, "{format:?}");
        for b in &again {
            assert!(
                originals.contains(&strip(b)),
                "{format:?}: {:?} is not an original",
                strip(b)
            );
        }
        for a in &originals {
            assert!(
                again.iter().any(|b| &strip(b) == a),
                "{format:?}: {a:?} did not come back"
            );
        }
    }
    store.close().await;
    db.drop_db().await;
}
