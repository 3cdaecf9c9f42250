//! 1,000 evaluators casting their ballots at once: every cast goes through
//! the single writer (token guard + ballot + event in one transaction, group
//! commit, reply after COMMIT). Reports the wall time and the p50/p99/max
//! latency of a cast, on SQLite (a temp file) and on PostgreSQL when one
//! answers at 127.0.0.1:5432.
//!
//! `cargo bench -p lvzhi-store --bench ballots` (`BALLOTS=n` to change the
//! number, `SUBJECTS=n` the subjects on each ballot).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_core::assess::{CampaignDef, Grade, GroupDef, Item, SubjectDef};
use lvzhi_store::Store;
use serde_json::{Map, Value, json};
use sqlx::Connection;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn run(label: &str, url: &str, n: usize, subjects: usize) {
    let pack = Arc::new(lvzhi_packs::county().expect("pack"));
    let store = Store::open(url, pack, lvzhi_store::system_clock()).await.expect("open");
    let admin = Store::system_access();
    let now = jiff::Timestamp::now();
    let def = CampaignDef {
        min_ballots: 0,
        year: 2026,
        title: "基准测评".into(),
        groups: [("县级领导", "30"), ("部门主要负责人", "40"), ("乡镇党政正职", "30")]
            .iter()
            .map(|(n, w)| GroupDef {
                name: (*n).into(),
                weight: w.parse().unwrap(),
            })
            .collect(),
        subjects: (0..subjects)
            .map(|i| SubjectDef {
                name: format!("测评对象{i}"),
                post: "副区长".into(),
                person_id: None,
            })
            .collect(),
        opens_at: now.checked_sub(jiff::SignedDuration::from_hours(1)).unwrap(),
        closes_at: now.checked_add(jiff::SignedDuration::from_hours(1)).unwrap(),
    };
    let id = store.create_campaign(&admin, &def).await.expect("campaign");
    let c = store.campaign(id).await.unwrap();
    let mut tokens = Vec::new();
    for (i, g) in c.groups.iter().enumerate() {
        let k = n / 3 + usize::from(i < n % 3);
        for t in store.issue_tokens(&admin, id, g.id, k).await.expect("tokens") {
            tokens.push(t);
        }
    }
    store.open_campaign(&admin, id).await.unwrap();
    let mut ballot = Map::new();
    for (si, s) in c.subjects.iter().enumerate() {
        let mut m = Map::new();
        for item in Item::ALL {
            m.insert(item.label().into(), json!(Grade::ALL[(si + item.index()) % 4].label()));
        }
        ballot.insert(s.id.to_string(), Value::Object(m));
    }
    let ballot = Value::Object(ballot);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(tokens.len());
    for t in tokens {
        let (s, b) = (store.clone(), ballot.clone());
        tasks.push(tokio::spawn(async move {
            let t0 = Instant::now();
            let r = s.cast_ballot(id, &t, &b).await;
            (t0.elapsed(), r.is_ok())
        }));
    }
    let mut lat = Vec::with_capacity(tasks.len());
    let mut ok = 0usize;
    for t in tasks {
        let (d, good) = t.await.unwrap();
        lat.push(d);
        ok += usize::from(good);
    }
    let wall = start.elapsed();
    lat.sort();
    let pct = |p: f64| {
        lat[((lat.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(lat.len() - 1)]
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    store.close_campaign(&admin, id).await.unwrap();
    let rc = store.recount(&admin, id).await.unwrap();
    println!(
        "{label}: {ok}/{n} ballots ({subjects} subjects each) in {:.0} ms = {:.0} ballots/s; \
         latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; recount {} ({} ballots)",
        ms(wall),
        ok as f64 / wall.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(lat[lat.len() - 1]),
        if rc.ok() { "ok" } else { "FAILED" },
        rc.ballots,
    );
    assert_eq!(ok, n, "every ballot accepted");
    assert!(rc.ok(), "{:?}", rc.problems);
    store.close().await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env("BALLOTS", 1000);
    let subjects = env("SUBJECTS", 20);
    let path = std::env::temp_dir().join(format!("lvzhi_bench_ballots_{}.db", std::process::id()));
    run("sqlite", &format!("sqlite:{}", path.display()), n, subjects).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let admin = "postgres://postgres@127.0.0.1:5432/postgres";
    match tokio::time::timeout(Duration::from_secs(3), sqlx::PgConnection::connect(admin)).await {
        Ok(Ok(mut c)) => {
            let name = format!("lvzhi_bench_ballots_{}", std::process::id());
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .unwrap();
            run(
                "postgres",
                &format!("postgres://postgres@127.0.0.1:5432/{name}"),
                n,
                subjects,
            )
            .await;
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await;
        }
        _ => println!("postgres: skipped (not reachable at 127.0.0.1:5432)"),
    }
}
