//! `import_file` (what `lvzhi import` runs) writes while it checks: blocks of
//! checked rows go to one bulk import as the rest of the file is checked. It
//! stays all or nothing: a refused row in a later block, after earlier blocks
//! were written, leaves nothing behind, every error is still reported, and the
//! writer and the chain go on as before.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_io::import::ImportOptions;
use lvzhi_io::prepare::BLOCK_ROWS;
use lvzhi_io::{ReadOptions, import_file};
use lvzhi_testkit::{TestDb, county};

/// A hazard CSV of `n` rows; `bad` rows get an impossible date.
fn csv(n: usize, bad: &[usize]) -> Vec<u8> {
    let mut s = String::from("隐患描述,企业名称,行业,隐患等级,乡镇,发现日期\n");
    for i in 0..n {
        let date = if bad.contains(&i) { "2026-02-30" } else { "2026-03-05" };
        s.push_str(&format!("第{i}号隐患：配电箱未接地,甲公司,工贸,一般,西洞镇,{date}\n"));
    }
    s.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_row_in_a_later_block_writes_nothing() {
    let db = TestDb::sqlite();
    let store = lvzhi_testkit::open(&db).await;
    let c = county::build(&store).await;
    let admin = c.access("admin");
    let events0 = store.events_of_kind("record.create").await.unwrap().len();
    let n = 2 * BLOCK_ROWS + 7;
    let import = |bytes: Vec<u8>| {
        let (store, admin) = (&store, &admin);
        async move {
            import_file(
                store,
                admin,
                "hazard",
                &bytes,
                "隐患.csv",
                &ReadOptions::default(),
                &ImportOptions::default(),
                &mut |_| {},
            )
            .await
            .unwrap()
        }
    };
    // Bad rows in the third block only: the first two blocks were sent to the
    // writer before the checker met them.
    let (checked, report) = import(csv(n, &[2 * BLOCK_ROWS + 1, n - 1])).await;
    assert!(!report.written);
    assert_eq!(report.imported, 0);
    assert_eq!(checked.prepared.bad_rows, 2, "every error is reported");
    assert_eq!(checked.prepared.rows.len(), n - 2);
    assert!(
        checked.prepared.errors.iter().any(|e| e.row == 2 * BLOCK_ROWS + 3),
        "the file's row numbers (header is row 1)"
    );
    assert_eq!(
        store.events_of_kind("record.create").await.unwrap().len(),
        events0,
        "nothing written"
    );
    // The writer is free and the chain intact.
    assert_eq!(store.verify_chain().await.unwrap().broken_at, None);
    // The same file without the bad rows: every row, in file order, one transaction.
    let (checked, report) = import(csv(n, &[])).await;
    assert!(checked.prepared.is_clean());
    assert!(report.written);
    assert_eq!(report.imported, n);
    assert!(report.ids.windows(2).all(|w| w[1] == w[0] + 1), "ids in file order");
    let first = store.record(&admin, report.ids[0]).await.unwrap();
    assert_eq!(first.row.fields["description"], "第0号隐患：配电箱未接地");
    let last = store.record(&admin, report.ids[n - 1]).await.unwrap();
    assert_eq!(
        last.row.fields["description"],
        format!("第{}号隐患：配电箱未接地", n - 1)
    );
    assert_eq!(store.events_of_kind("record.create").await.unwrap().len(), events0 + n);
    let v = store.verify_chain().await.unwrap();
    assert_eq!(v.broken_at, None);
    store.close().await;
}
