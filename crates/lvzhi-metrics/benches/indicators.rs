//! Indicator benchmarks (harness = false): all indicators of the demo county
//! for one period, cold (nothing held: ledgers read from the database), with
//! the ledger rows held in memory but no results, unchanged, and right after
//! one record changes (only that record re-read),
//! and an export of the same records for `benches/duckdb_indicators.py`.
//!
//! ```text
//! LVZHI_BENCH_DB=/tmp/lvzhi-bench-1.db LVZHI_BENCH_SCALE=1 \
//! LVZHI_BENCH_EXPORT=/tmp/lvzhi-bench-1 cargo bench -p lvzhi-metrics --bench indicators
//! ```
//!
//! The database is built once (demo, seed 1, the given scale) and reused.
//! Prints one JSON line per measurement (`{"bench": …, "median_ms": …}`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_core::period::Period;
use lvzhi_demo::DemoOptions;
use lvzhi_metrics::{Engine, Scope};
use lvzhi_store::Store;
use lvzhi_store::db::P;
use serde_json::json;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

async fn export(store: &Store, dir: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let mut c = store.pool().acquire().await.unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(format!("{dir}/records.csv")).unwrap());
    writeln!(
        f,
        "id,ledger,state,unit_id,division,owner_id,deadline,closed,voided,fields"
    )
    .unwrap();
    let mut after = 0i64;
    loop {
        let rows = c
            .conn()
            .rows(
                "SELECT id, ledger, state, unit_id, division, owner_id, deadline, closed, voided, fields \
                 FROM records WHERE id > $1 ORDER BY id LIMIT 20000",
                &[P::I(after)],
            )
            .await
            .unwrap();
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            after = r.i(0);
            let cols: Vec<String> = (0..10)
                .map(|i| match i {
                    7 | 8 => (if r.b(i) { "true" } else { "false" }).to_string(),
                    _ => csv_field(&r.ot(i).unwrap_or_default()),
                })
                .collect();
            writeln!(f, "{}", cols.join(",")).unwrap();
        }
    }
    let mut p = std::io::BufWriter::new(std::fs::File::create(format!("{dir}/people.csv")).unwrap());
    writeln!(p, "id,post").unwrap();
    for person in store.people().await.unwrap() {
        writeln!(p, "{},{}", person.id, csv_field(&person.post)).unwrap();
    }
    let mut m = std::fs::File::create(format!("{dir}/meta.json")).unwrap();
    writeln!(
        m,
        "{}",
        json!({"county": store.meta("initialized").await.unwrap(), "today": store.today().to_string()})
    )
    .unwrap();
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let db = std::env::var("LVZHI_BENCH_DB").unwrap_or_else(|_| "/tmp/lvzhi-bench-1.db".into());
    let scale: u32 = std::env::var("LVZHI_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let iters: usize = std::env::var("LVZHI_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if scale > 10 { 5 } else { 30 });
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let fresh = !std::path::Path::new(&db).exists();
    let store = Store::open(&format!("sqlite:{db}"), pack.clone(), lvzhi_demo::demo_clock())
        .await
        .unwrap();
    if fresh {
        let t = Instant::now();
        lvzhi_demo::build(&store, &DemoOptions { seed: 1, scale })
            .await
            .unwrap();
        eprintln!("built demo scale {scale} into {db} in {:.1?}", t.elapsed());
    }
    if let Ok(dir) = std::env::var("LVZHI_BENCH_EXPORT") {
        let t = Instant::now();
        export(&store, &dir).await;
        eprintln!("exported records to {dir} in {:.1?}", t.elapsed());
    }
    let engine: Engine = lvzhi_metrics::engine_from_files(&lvzhi_packs::county_files(), &pack).unwrap();
    let sys = Store::system_access();
    let today = store.today();
    let period = Period::Year(2026);
    let n_ind = engine.defs().list.len();

    // Cold: every indicator computed from the records.
    let mut cold = Vec::new();
    for _ in 0..iters {
        engine.clear_cache();
        let t = Instant::now();
        let all = engine
            .evaluate_all(&store, &sys, period, &Scope::County, today)
            .await
            .unwrap();
        cold.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(all.len(), n_ind);
    }
    println!(
        "{}",
        json!({"bench": "all_indicators_cold", "scale": scale, "indicators": n_ind, "iters": iters,
               "median_ms": median(cold.clone()), "min_ms": cold.iter().cloned().fold(f64::MAX, f64::min)})
    );

    // Ledger rows held in memory, results dropped: every indicator computed
    // again (what DuckDB does over its loaded table).
    let mut rows_held = Vec::new();
    for _ in 0..iters {
        engine.clear_results();
        let t = Instant::now();
        let all = engine
            .evaluate_all(&store, &sys, period, &Scope::County, today)
            .await
            .unwrap();
        rows_held.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(all.len(), n_ind);
    }
    println!(
        "{}",
        json!({"bench": "all_indicators_rows_in_memory", "scale": scale, "iters": iters,
               "median_ms": median(rows_held.clone()), "min_ms": rows_held.iter().cloned().fold(f64::MAX, f64::min)})
    );

    // Warm: nothing changed (one event-head probe).
    let mut warm = Vec::new();
    for _ in 0..iters {
        let t = Instant::now();
        engine
            .evaluate_all(&store, &sys, period, &Scope::County, today)
            .await
            .unwrap();
        warm.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "{}",
        json!({"bench": "all_indicators_unchanged", "scale": scale, "median_ms": median(warm)})
    );

    // After one record changes: a new hazard; only hazard-dependent indicators recompute.
    let units = store.units().await.unwrap();
    let unit = units.first().map(|u| u.id).unwrap();
    let mut after = Vec::new();
    for i in 0..iters.min(10) {
        let fields = json!({
            "description": format!("基准测试隐患{i}"), "company": "基准建材有限公司", "industry": "工贸",
            "grade": "一般", "township": "620902100", "responsible_unit": unit, "found_on": "2026-11-20",
        });
        let rec = store
            .create(&sys, "hazard", fields.as_object().cloned().unwrap())
            .await
            .unwrap();
        let t = Instant::now();
        let all = engine
            .evaluate_all(&store, &sys, period, &Scope::County, today)
            .await
            .unwrap();
        after.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(all.iter().any(|v| v.id == "hazards_found"));
        let v = store.record(&sys, rec.id).await.unwrap();
        store.void(&sys, rec.id, v.row.version, "基准测试数据").await.unwrap();
        engine
            .evaluate_all(&store, &sys, period, &Scope::County, today)
            .await
            .unwrap();
    }
    println!(
        "{}",
        json!({"bench": "all_indicators_after_one_change", "scale": scale, "median_ms": median(after)})
    );
    store.close().await;
}
