//! Shared by the fault tests (`e2e/faults.rs`, `pg_restart.rs`): a real
//! `lvzhi serve`, 16 writing clients, what they saw.

#![allow(dead_code)]

use lvzhi_testkit::http::Client;
use serde_json::json;
use sqlx::Connection;
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `lvzhi init` on `url` with the admin password `password`.
pub fn init(url: &str, password: &str) {
    let st = Command::new(assert_cmd::cargo::cargo_bin("lvzhi"))
        .args(["init", "--db", url, "--admin-password", password])
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(lvzhi_testkit::no_forced_change(url));
}

/// Starts `lvzhi serve` on `url`, its stderr in `log` (if any); waits until it listens.
pub fn serve(url: &str, log: Option<&std::path::Path>) -> (Child, SocketAddr) {
    serve_with(url, log, &[])
}

/// [`serve`] with more arguments (`--anchor FILE`).
pub fn serve_with(url: &str, log: Option<&std::path::Path>, extra: &[&str]) -> (Child, SocketAddr) {
    let bin = assert_cmd::cargo::cargo_bin("lvzhi");
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(&bin)
        .args(["serve", "--db", url, "--listen", &addr.to_string()])
        .args(extra)
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
pub struct Seen {
    /// Acknowledged creates: description → id.
    pub acked: HashMap<String, i64>,
    /// Creates answered 503 "未确认" (may or may not be stored, at most once).
    pub unconfirmed: Vec<String>,
    /// Creates answered 503 "未保存" / "请稍后重试".
    pub refused: usize,
    /// When each create was acknowledged.
    pub times: Vec<Instant>,
}

/// Every acknowledged create of `seen` is stored exactly once, nothing is
/// stored twice, and nothing is stored that no client was told about (beyond
/// the creates answered "未确认").
pub fn stored_once(rt: &tokio::runtime::Runtime, url: &str, seen: &Seen) {
    // Every acknowledged create is stored exactly once; nothing is stored twice.
    let stored: HashMap<String, Vec<i64>> = rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
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
}

/// Records one writer's answer in `seen`: 201 acknowledged, 503 unconfirmed
/// or refused; anything else fails the test.
pub fn note(seen: &std::sync::Mutex<Seen>, d: String, r: std::io::Result<lvzhi_testkit::http::Response>) -> bool {
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
}

/// 16 writing clients ([`hazard_writers`]) whose answers go through [`note`]:
/// the load both fault tests put on a server while its database goes away.
pub struct Load {
    /// What the clients saw so far.
    pub seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    /// Starts the clients (descriptions `{prefix}{thread}-{n}`) and waits up to
    /// 30 s until 200 creates are acknowledged.
    pub fn start(addr: SocketAddr, token: &str, prefix: &'static str) -> Load {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let threads = {
            let seen = seen.clone();
            hazard_writers(addr, token, &stop, prefix, move |d, r| note(&seen, d, r))
        };
        let load = Load { seen, stop, threads };
        let until = Instant::now() + Duration::from_secs(30);
        while load.acked() < 200 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            load.acked() >= 200,
            "only {} creates before the first fault",
            load.acked()
        );
        load
    }

    /// How many creates are acknowledged.
    pub fn acked(&self) -> usize {
        self.seen.lock().unwrap().acked.len()
    }

    /// How long after `since` the first create was acknowledged; fails
    /// (naming `what`) if none is within 5 s. Then waits until `more` creates
    /// past `before` are acknowledged (within 30 s of `since`).
    pub fn resumed(&self, what: &str, since: Instant, before: usize, more: usize) -> Duration {
        let resumed = loop {
            let s = self.seen.lock().unwrap();
            if let Some(t) = s.times.iter().rev().find(|t| **t > since) {
                break *t - since;
            }
            drop(s);
            assert!(
                since.elapsed() < Duration::from_secs(5),
                "{what}: no write acknowledged within 5 s"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        while self.acked() < before + more {
            assert!(since.elapsed() < Duration::from_secs(30), "{what}: writing slowed down");
            std::thread::sleep(Duration::from_millis(10));
        }
        resumed
    }

    /// Stops the clients and waits for them.
    pub fn stop(self) -> Arc<Mutex<Seen>> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        self.seen
    }
}

/// The number of outages `serve`'s log `text` reports: as many "failing"
/// lines as "resumed" lines, one per outage, never one per request.
pub fn outages(text: &str) -> usize {
    let failing = text.matches("database writes failing").count();
    assert_eq!(failing, text.matches("database writes resumed").count(), "{text}");
    failing
}
