//! The demo county exports byte for byte the same from two builds with the
//! same seed (every ledger, xlsx and CSV), and differently with another seed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lvzhi_demo::DemoOptions;
use lvzhi_io::export::{ExportFormat, export};
use lvzhi_store::Store;
use lvzhi_store::records::ListQuery;
use lvzhi_testkit::TestDb;
use std::sync::Arc;

/// Every ledger of a freshly built demo county, exported as (ledger, format, bytes).
async fn exports(seed: u64) -> Vec<(String, ExportFormat, Vec<u8>)> {
    let db = TestDb::sqlite();
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(&db.url, pack, lvzhi_demo::demo_clock()).await.unwrap();
    lvzhi_demo::build(&store, &DemoOptions { seed, scale: 1 })
        .await
        .unwrap();
    let sys = Store::system_access();
    let mut out = Vec::new();
    let keys: Vec<String> = store.pack().ledgers.iter().map(|k| k.key.clone()).collect();
    for key in keys {
        for format in [ExportFormat::Xlsx, ExportFormat::Csv] {
            let mut buf = Vec::new();
            export(&store, &sys, &key, &ListQuery::default(), format, &mut buf, &mut |_| {})
                .await
                .unwrap();
            out.push((key.clone(), format, buf));
        }
    }
    store.close().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_exports_are_byte_identical_per_seed() {
    let a = exports(1).await;
    let b = exports(1).await;
    assert_eq!(a.len(), b.len());
    assert!(a.len() >= 30, "every ledger in both formats: {}", a.len());
    let mut rows = 0usize;
    for ((ka, fa, xa), (kb, fb, xb)) in a.iter().zip(&b) {
        assert_eq!((ka, fa), (kb, fb));
        assert!(xa == xb, "{ka} as {fa:?} differs between two builds with seed 1");
        if *fa == ExportFormat::Csv {
            rows += xa.iter().filter(|&&c| c == b'\n').count();
        }
    }
    assert!(rows > 20_000, "the exports carry the demo's records: {rows} CSV lines");
    let c = exports(7).await;
    let differing = a.iter().zip(&c).filter(|((_, _, x), (_, _, y))| x != y).count();
    assert!(differing > 0, "another seed gives other exports");
}
