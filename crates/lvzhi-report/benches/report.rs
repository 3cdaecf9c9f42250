//! The duty report (述职述廉述德报告) as DOCX on the demo county, including the
//! evaluation of every indicator (a fresh engine each round, so nothing is
//! cached). Goal: ≤ 200 ms. Run: `cargo bench -p lvzhi-report --bench report`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_demo::DemoOptions;
use lvzhi_report::{Format, Request};
use lvzhi_store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let path = std::env::temp_dir().join(format!("lvzhi-report-bench-{}.db", std::process::id()));
        let url = format!("sqlite:{}", path.display());
        let pack = Arc::new(lvzhi_packs::county().unwrap());
        let store = Store::open(&url, pack, lvzhi_demo::demo_clock()).await.unwrap();
        let t = Instant::now();
        lvzhi_demo::build(&store, &DemoOptions { seed: 1, scale: 1 })
            .await
            .unwrap();
        println!("demo county built in {:.1} s", t.elapsed().as_secs_f64());
        let files = lvzhi_packs::county_files();
        let req = Request {
            issue: None,
            template: "述职述廉述德报告".into(),
            period: "2026".into(),
            person: Some("常务副县长".into()),
            scope: "county".into(),
            today: store.today(),
        };
        let mut times: Vec<Duration> = Vec::new();
        let mut size = 0;
        for _ in 0..12 {
            let t = Instant::now();
            let engine = lvzhi_metrics::engine_from_files(&files, store.pack()).unwrap();
            let report = lvzhi_report::render(&store, &engine, &files, &req).await.unwrap();
            let docx = report.write(Format::Docx).unwrap();
            times.push(t.elapsed());
            size = docx.len();
        }
        // Warm cache: the same engine, indicators cached.
        let engine = lvzhi_metrics::engine_from_files(&files, store.pack()).unwrap();
        lvzhi_report::render(&store, &engine, &files, &req).await.unwrap();
        let t = Instant::now();
        let report = lvzhi_report::render(&store, &engine, &files, &req).await.unwrap();
        report.write(Format::Docx).unwrap();
        let warm = t.elapsed();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "duty report → DOCX ({size} bytes), cold engine, 12 runs: min {:.1} ms, median {:.1} ms, max {:.1} ms; warm engine: {:.1} ms",
            ms(times[0]),
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1]),
            ms(warm)
        );
        drop(store);
        let _ = std::fs::remove_file(&path);
    });
}
