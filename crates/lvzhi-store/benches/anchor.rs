//! Create throughput with the chain head anchored (issue 15): 16 concurrent
//! creates through the store for a few seconds, on SQLite files, in three
//! modes side by side in one run (same process, same machine load):
//!
//! * `off` — no anchor file (the floor);
//! * `per-caller` — the anchoring this session removed, reproduced here line
//!   for line: after its own COMMIT each caller takes an async mutex, SELECTs
//!   the head, and appends + `sync_data`s the file on the runtime worker;
//! * `writer` — the anchoring now in the store: once per commit batch, by the
//!   anchor thread, with the head the writer knows.
//!
//! `cargo bench -p lvzhi-store --bench anchor` (env `SECONDS`, default 8;
//! `ROUNDS`, default 2: the modes alternate, so a load change hits each alike).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_store::Store;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn hazard(i: u64, township: &str, unit: i64) -> Map<String, Value> {
    json!({
        "description": format!("第{i}号隐患：配电箱未可靠接地"),
        "company": format!("演示企业{}有限公司", i % 500),
        "industry": "工贸",
        "grade": "一般",
        "township": township,
        "responsible_unit": unit,
        "found_on": "2026-11-20",
    })
    .as_object()
    .cloned()
    .unwrap()
}

/// The removed per-caller anchoring, as it was (`Anchor::after_commit`).
struct PerCaller {
    path: PathBuf,
    last: tokio::sync::Mutex<i64>,
}

impl PerCaller {
    async fn after_commit(&self, store: &Store) {
        let mut last = self.last.lock().await;
        let head = {
            let mut c = store.pool().acquire().await.unwrap();
            c.conn()
                .row("SELECT seq, hash, at FROM events ORDER BY seq DESC LIMIT 1", &[])
                .await
                .unwrap()
        };
        let Some(head) = head else { return };
        if head.i(0) <= *last {
            return;
        }
        append(&self.path, head.i(0), &head.t(1), &head.t(2));
        *last = head.i(0);
    }
}

fn append(path: &Path, seq: i64, hash: &str, at: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(format!("{seq} {hash} {at}\n").as_bytes()).unwrap();
    f.sync_data().unwrap();
}

async fn run(mode: &str, secs: u64) -> (f64, f64, f64, u64) {
    let file = std::env::temp_dir().join(format!("lvzhi-anchor-bench-{}-{mode}.db", std::process::id()));
    let url = format!("sqlite:{}", file.display());
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(&url, pack, lvzhi_store::system_clock()).await.unwrap();
    let anchor_file = PathBuf::from(format!("{}.anchor", file.display()));
    let sys = Store::system_access();
    let divisions = lvzhi_store::org::embedded_county("620902").unwrap();
    store.import_divisions(&sys, &divisions).await.unwrap();
    let township = divisions.iter().find(|d| d.level == 2).unwrap().code.clone();
    let unit = store
        .add_unit(&sys, "应急管理局", lvzhi_store::org::DEPARTMENT, None)
        .await
        .unwrap();
    let per_caller = match mode {
        "off" => {
            store.set_anchor_file(None);
            None
        }
        "per-caller" => {
            store.set_anchor_file(None);
            Some(Arc::new(PerCaller {
                path: anchor_file.clone(),
                last: tokio::sync::Mutex::new(0),
            }))
        }
        _ => {
            store.set_anchor_file(Some(anchor_file.clone()));
            None
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..16u64)
        .map(|t| {
            let (store, stop, count, pc, township) = (
                store.clone(),
                stop.clone(),
                count.clone(),
                per_caller.clone(),
                township.clone(),
            );
            let sys = sys.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut i = t * 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let t0 = Instant::now();
                    store.create(&sys, "hazard", hazard(i, &township, unit)).await.unwrap();
                    if let Some(pc) = &pc {
                        pc.after_commit(&store).await;
                    }
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                    count.fetch_add(1, Ordering::Relaxed);
                }
                lat
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];
    let n = count.load(Ordering::Relaxed);
    // Anchored heads must be in the database (the writer's anchoring, checked).
    if mode == "writer" {
        let check = store.verify_anchor(&anchor_file).await.unwrap();
        assert!(check.problem.is_none(), "{}", check.message);
    }
    store.close().await;
    for suffix in ["", "-wal", "-shm", ".anchor"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    (n as f64 / elapsed, pct(0.5), pct(0.99), n)
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let secs = env("SECONDS", 8);
    let rounds = env("ROUNDS", 2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("load average at start: {}", load());
    println!("| round | anchoring | creates/s | p50 ms | p99 ms | creates | load (1/5/15 min) |");
    println!("|---|---|---|---|---|---|---|");
    for round in 1..=rounds {
        for mode in ["off", "per-caller", "writer"] {
            let (rate, p50, p99, n) = rt.block_on(run(mode, secs));
            println!(
                "| {round} | {mode} | {rate:.0} | {p50:.1} | {p99:.1} | {n} | {} |",
                load()
            );
        }
    }
}
