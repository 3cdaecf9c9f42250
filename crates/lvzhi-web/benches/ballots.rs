//! 民主测评 under load (issue 9): N evaluators (default 1,000) vote at the
//! same moment over HTTP against an in-process server on SQLite (WAL,
//! synchronous=FULL: every ballot is committed before its response). Each
//! evaluator is an OS thread with its own connection: it opens the ballot by
//! code (`POST /api/v1/assessments/ballot`) and casts it (`POST
//! /api/v1/assessments/ballot/cast`), 6 subjects × 6 items. Reports the
//! total time from the start signal to the last receipt, ballots per second
//! and p50/p99 of the cast and of open+cast; then checks that every ballot is
//! stored, the recount agrees and the chain verifies.
//!
//! `cargo bench -p lvzhi-web --bench ballots` — env `LVZHI_BENCH_VOTERS`
//! (default 1000). The server runs on its own 2-thread runtime in this
//! process, the clients on the same cores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_testkit::TestDb;
use lvzhi_testkit::http::Client;
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Barrier};
use std::time::Instant;

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let voters: usize = std::env::var("LVZHI_BENCH_VOTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = TestDb::sqlite();
    let (store, addr) = rt.block_on(async {
        let store = lvzhi_testkit::open(&db).await;
        lvzhi_testkit::county::build(&store).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = lvzhi_web::state(store.clone(), false).unwrap();
        tokio::spawn(async move {
            let app = lvzhi_web::app(state);
            let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        (store, addr)
    });

    // The office: 6 subjects, 3 groups, codes for every voter.
    let mut office = Client::new(addr);
    assert_eq!(office.login("office", lvzhi_testkit::county::PASSWORD).status, 200);
    let subjects: Vec<Value> = ["县长", "常务副县长", "副县长甲", "副县长乙", "副县长丙", "副县长丁"]
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"name": format!("测评对象{}", i + 1), "post": p}))
        .collect();
    let r = office
        .post(
            "/api/v1/assessments",
            &json!({"year": 2026, "title": "压力测试民主测评",
                "groups": [{"name": "县级领导", "weight": "30"}, {"name": "部门主要负责人", "weight": "40"}, {"name": "乡镇党政正职", "weight": "30"}],
                "subjects": subjects, "opens_at": "2026-11-25T00:00:00Z", "closes_at": "2026-11-26T00:00:00Z"}),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let c = r.json();
    let id = c["id"].as_i64().unwrap();
    let subject_ids: Vec<i64> = c["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let mut codes = Vec::new();
    let groups = c["groups"].as_array().unwrap().clone();
    for (i, g) in groups.iter().enumerate() {
        let n = voters / 3 + usize::from(i < voters % 3);
        let r = office
            .post(
                &format!("/api/v1/assessments/{id}/tokens"),
                &json!({"group_id": g["id"], "count": n}),
            )
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        for t in r.json()["tokens"].as_array().unwrap() {
            codes.push(t.as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        office
            .post(&format!("/api/v1/assessments/{id}/open"), &json!({}))
            .unwrap()
            .status,
        200
    );

    // Every voter connected and waiting; then all at once.
    let barrier = Arc::new(Barrier::new(voters + 1));
    let grades_for = |v: usize| -> Value {
        let mut o = Map::new();
        for (si, s) in subject_ids.iter().enumerate() {
            let mut m = Map::new();
            for (k, item) in ["德", "能", "勤", "绩", "廉", "总体评价"].iter().enumerate() {
                let g = ["优秀", "称职", "基本称职", "不称职"][(v + si + k) % 7 % 4];
                m.insert((*item).into(), json!(g));
            }
            o.insert(s.to_string(), Value::Object(m));
        }
        Value::Object(o)
    };
    let handles: Vec<_> = codes
        .iter()
        .enumerate()
        .map(|(v, code)| {
            let (barrier, code, grades) = (barrier.clone(), code.clone(), grades_for(v));
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let mut cl = Client::new(addr);
                    // Connect before the start signal (a cheap request).
                    let _ = cl.get("/healthz");
                    barrier.wait();
                    let t0 = Instant::now();
                    let r = cl.post("/api/v1/assessments/ballot", &json!({"code": code})).unwrap();
                    assert_eq!(r.status, 200, "{}", r.text());
                    let t1 = Instant::now();
                    let r = cl
                        .post(
                            "/api/v1/assessments/ballot/cast",
                            &json!({"code": code, "campaign": id, "grades": grades}),
                        )
                        .unwrap();
                    assert_eq!(r.status, 201, "{}", r.text());
                    let done = Instant::now();
                    (
                        done.duration_since(t1).as_secs_f64() * 1000.0,
                        done.duration_since(t0).as_secs_f64() * 1000.0,
                        done,
                    )
                })
                .unwrap()
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut cast_ms = Vec::with_capacity(voters);
    let mut total_ms = Vec::with_capacity(voters);
    let mut last = start;
    for h in handles {
        let (c, t, done) = h.join().unwrap();
        cast_ms.push(c);
        total_ms.push(t);
        last = last.max(done);
    }
    let wall = last.duration_since(start).as_secs_f64();
    cast_ms.sort_by(|a, b| a.total_cmp(b));
    total_ms.sort_by(|a, b| a.total_cmp(b));

    // Every vote durable and counted; the recount agrees; the chain verifies.
    let r = office
        .post(&format!("/api/v1/assessments/{id}/close"), &json!({}))
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["ballots"].as_u64(), Some(voters as u64));
    let mut auditor = Client::new(addr);
    assert_eq!(auditor.login("auditor", lvzhi_testkit::county::PASSWORD).status, 200);
    let rc = auditor
        .get(&format!("/api/v1/assessments/{id}/recount"))
        .unwrap()
        .json();
    assert_eq!(rc["ok"], true, "{rc}");
    let v = rt.block_on(store.verify_chain()).unwrap();
    assert_eq!(v.broken_at, None);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    println!("assessment ballots, sqlite (WAL, synchronous=FULL), {voters} evaluators at once over HTTP");
    println!(
        "  all {voters} ballots stored in {wall:.2} s ({:.0} ballots/s)",
        voters as f64 / wall
    );
    println!(
        "  cast:        p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(&cast_ms, 0.5),
        pct(&cast_ms, 0.99),
        pct(&cast_ms, 1.0)
    );
    println!(
        "  open + cast: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(&total_ms, 0.5),
        pct(&total_ms, 0.99),
        pct(&total_ms, 1.0)
    );
    println!(
        "  recount ok, chain verified ({} events); load average {}",
        v.verified,
        load.trim()
    );
    rt.block_on(async {
        store.close().await;
        db.drop_db().await;
    });
}
