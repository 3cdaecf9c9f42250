//! Fault injection: the database goes away under load and comes back.
//!
//! * PostgreSQL: 16 clients create records while every backend of the test
//!   database is terminated (`pg_terminate_backend`), three times. Writing
//!   resumes by itself within 5 s, every acknowledged create is stored once,
//!   nothing is stored twice, the chain verifies, and the server logs one line
//!   per outage (not one per failed request).

use lvzhi_testkit::TestDb;
use lvzhi_testkit::http::Client;
use serde_json::json;
use sqlx::Connection;
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `lvzhi serve` on `url`, its stderr in `log` (if any); waits until it listens.
pub fn serve(url: &str, log: Option<&std::path::Path>) -> (Child, SocketAddr) {
    let bin = assert_cmd::cargo::cargo_bin("lvzhi");
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(&bin)
        .args(["serve", "--db", url, "--listen", &addr.to_string()])
        .stdout(Stdio::null())
        .stderr(log.map_or_else(Stdio::null, |l| std::fs::File::create(l).unwrap().into()))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, addr)
}

/// Starts 16 threads that create hazards (descriptions `{prefix}{thread}-{n}`)
/// until `stop`, handing each answer to `seen`; a thread ends when `seen` says false.
pub fn hazard_writers(
    addr: SocketAddr,
    token: &str,
    stop: &Arc<AtomicBool>,
    prefix: &'static str,
    seen: impl Fn(String, std::io::Result<lvzhi_testkit::http::Response>) -> bool + Send + Sync + 'static,
) -> Vec<std::thread::JoinHandle<()>> {
    let seen = Arc::new(seen);
    (0..16)
        .map(|t| {
            let (seen, stop, token) = (seen.clone(), stop.clone(), token.to_string());
            std::thread::spawn(move || {
                let mut c = Client::new(addr);
                c.token = Some(token);
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let d = format!("{prefix}{t}-{i}");
                    let body = json!({"fields": {"description": d, "company": "演示公司", "industry": "工贸",
                        "grade": "一般", "township": "620902100", "found_on": "2026-11-20"}});
                    if !seen(d, c.post("/api/v1/ledgers/hazard/records", &body)) {
                        break;
                    }
                }
            })
        })
        .collect()
}

/// What the writing clients saw.
#[derive(Default)]
struct Seen {
    /// Acknowledged creates: description → id.
    acked: HashMap<String, i64>,
    /// Creates answered 503 "未确认" (may or may not be stored, at most once).
    unconfirmed: Vec<String>,
    /// Creates answered 503 "未保存" / "请稍后重试".
    refused: usize,
    /// When each create was acknowledged.
    times: Vec<Instant>,
}

#[test]
fn postgres_backends_terminated_under_load() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDb::postgres()) else {
        return;
    };
    let bin = assert_cmd::cargo::cargo_bin("lvzhi");
    let st = Command::new(&bin)
        .args(["init", "--db", &db.url, "--admin-password", "fault-admin-1"])
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let log = std::env::temp_dir().join(format!("lvzhi-faults-{}.log", std::process::id()));
    let (mut child, addr) = serve(&db.url, Some(&log));
    let mut probe = Client::new(addr);
    assert_eq!(probe.login("admin", "fault-admin-1").status, 200);
    let token = probe.token.clone().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let threads = {
        let seen = seen.clone();
        hazard_writers(addr, &token, &stop, "故障测试", move |d, r| {
            let r = r.unwrap();
            let mut s = seen.lock().unwrap();
            match r.status {
                201 => {
                    s.acked.insert(d, r.json()["id"].as_i64().unwrap());
                    s.times.push(Instant::now());
                }
                503 if r.text().contains("未确认") => s.unconfirmed.push(d),
                // Not saved: refused by the writer, or a read on a killed connection before it.
                503 if r.text().contains("未保存") || r.text().contains("请稍后重试") => s.refused += 1,
                _ => panic!("unexpected {}: {}", r.status, r.text()),
            }
            true
        })
    };
    let acked = || seen.lock().unwrap().acked.len();
    let until = Instant::now() + Duration::from_secs(30);
    while acked() < 200 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let mut worst = Duration::ZERO;
    for round in 0..3 {
        let before = acked();
        let killed_at = Instant::now();
        let killed: i64 = rt.block_on(async {
            let mut admin = sqlx::PgConnection::connect(lvzhi_testkit::PG_ADMIN_URL).await.unwrap();
            let rows: Vec<(bool,)> = sqlx::query_as(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            )
            .bind(&name)
            .fetch_all(&mut admin)
            .await
            .unwrap();
            rows.len() as i64
        });
        assert!(killed > 0, "round {round}: no backend terminated");
        // Writing resumes by itself: an acknowledgement after the kill.
        let resumed = loop {
            let s = seen.lock().unwrap();
            if let Some(t) = s.times.iter().rev().find(|t| **t > killed_at) {
                break *t - killed_at;
            }
            drop(s);
            assert!(
                killed_at.elapsed() < Duration::from_secs(5),
                "round {round}: no write acknowledged within 5 s of terminating {killed} backends"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        worst = worst.max(resumed);
        while acked() < before + 100 {
            assert!(
                killed_at.elapsed() < Duration::from_secs(30),
                "round {round}: writing slowed down"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let health = probe.get("/healthz").unwrap();
    assert_eq!(health.status, 200, "{}", health.text());
    child.kill().unwrap();
    child.wait().unwrap();
    let seen = seen.lock().unwrap();
    // Every acknowledged create is stored exactly once; nothing is stored twice.
    let stored: HashMap<String, Vec<i64>> = rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, fields::jsonb ->> 'description' FROM records WHERE ledger = 'hazard'")
                .fetch_all(&mut c)
                .await
                .unwrap();
        let mut m: HashMap<String, Vec<i64>> = HashMap::new();
        for (id, d) in rows {
            m.entry(d).or_default().push(id);
        }
        m
    });
    for (d, ids) in &stored {
        assert_eq!(ids.len(), 1, "{d} stored {} times", ids.len());
    }
    for (d, id) in &seen.acked {
        assert_eq!(
            stored.get(d),
            Some(&vec![*id]),
            "acknowledged create {d} (id {id}) lost"
        );
    }
    let extra = stored.len() - seen.acked.len();
    assert!(
        extra <= seen.unconfirmed.len(),
        "{extra} records stored that no client was told about"
    );
    // The chain verifies, from the command line.
    let out = Command::new(&bin)
        .args(["audit", "verify", "--db", &db.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // One log line per outage, not one per request.
    let text = std::fs::read_to_string(&log).unwrap();
    let outages = text.matches("database writes failing").count();
    let resumed = text.matches("database writes resumed").count();
    assert!((1..=3).contains(&outages), "{outages} outage lines:\n{text}");
    assert_eq!(outages, resumed, "{text}");
    // Reads that hit a killed connection answer 503, logged once an interval.
    assert!(text.matches("server error").count() <= 1, "{text}");
    eprintln!(
        "faults: {} acknowledged, {} refused (503 not saved), {} unconfirmed, worst resume {:?}",
        seen.acked.len(),
        seen.refused,
        seen.unconfirmed.len(),
        worst
    );
    let _ = std::fs::remove_file(&log);
    rt.block_on(db.drop_db());
}
