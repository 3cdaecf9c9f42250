//! The PostgreSQL *server* restarts (`pg_ctlcluster <ver> main restart`, in
//! fast and in immediate mode) while 16 clients write to a real `lvzhi serve`:
//! writing resumes by itself within 5 s of the server being back, no
//! acknowledged write is lost, none is applied twice, the chain verifies and
//! so does the anchor file (`serve --anchor`).
//!
//! A test binary of its own: cargo runs test binaries one after another, so
//! no other test is using PostgreSQL while it restarts; and it waits until
//! PostgreSQL is back before it ends, even when it fails. Skipped, with the
//! reason printed, when not root or without `pg_ctlcluster`, unless
//! `LVZHI_REQUIRE_PG=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/writers.rs"]
mod writers;

use lvzhi_testkit::TestDb;
use lvzhi_testkit::http::Client;
use std::process::Command;
use std::time::{Duration, Instant};

/// The local cluster's version (`15` of `/etc/postgresql/15/main`), or why the test cannot run.
fn cluster() -> Result<String, String> {
    let root = Command::new("id").arg("-u").output().map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        return Err("not root (restarting PostgreSQL needs root)".into());
    }
    if Command::new("pg_ctlcluster").arg("--help").output().is_err() {
        return Err("pg_ctlcluster not found".into());
    }
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .map_err(|e| format!("/etc/postgresql: {e}"))?
        .filter_map(|d| d.ok())
        .filter(|d| d.path().join("main").is_dir())
        .map(|d| d.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    versions.pop().ok_or_else(|| "no cluster under /etc/postgresql".into())
}

fn pg_up() -> bool {
    std::net::TcpStream::connect("127.0.0.1:5432").is_ok()
        && tokio::runtime::Runtime::new().unwrap().block_on(async {
            use sqlx::Connection;
            sqlx::PgConnection::connect(lvzhi_testkit::PG_ADMIN_URL).await.is_ok()
        })
}

/// Waits (up to 60 s) until PostgreSQL takes connections again, starting the
/// cluster itself if it is still down after 10 s; false if it never came back.
fn wait_for_pg(version: &str) -> bool {
    let began = Instant::now();
    let mut started = false;
    while !pg_up() {
        if !started && began.elapsed() > Duration::from_secs(10) {
            let _ = Command::new("pg_ctlcluster").args([version, "main", "start"]).status();
            started = true;
        }
        if began.elapsed() > Duration::from_secs(60) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

/// Restarts the cluster in `mode`; returns when the command has returned.
fn restart(version: &str, mode: &str) {
    let out = Command::new("pg_ctlcluster")
        .args([version, "main", "restart", "-m", mode])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_ctlcluster {version} main restart -m {mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes sure PostgreSQL is up when the test ends, however it ends.
struct Back(String);

impl Drop for Back {
    fn drop(&mut self) {
        if !wait_for_pg(&self.0) {
            eprintln!(
                "PostgreSQL is not back 60 s after the test: run pg_ctlcluster {} main start",
                self.0
            );
        }
    }
}

#[test]
fn postgres_server_restarted_under_load() {
    let version = match cluster() {
        Ok(v) => v,
        Err(why) if lvzhi_testkit::pg_required() => panic!("LVZHI_REQUIRE_PG=1 but cannot restart PostgreSQL: {why}"),
        Err(why) => {
            eprintln!("skipped: {why}; set LVZHI_REQUIRE_PG=1 to require it");
            return;
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDb::postgres()) else {
        return;
    };
    let _back = Back(version.clone());
    let bin = assert_cmd::cargo::cargo_bin("lvzhi");
    writers::init(&db.url, "Restart#county-1");
    let dir = std::env::temp_dir().join(format!("lvzhi-pg-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (log, anchor) = (dir.join("serve.log"), dir.join("head.anchor"));
    let (mut child, addr) = writers::serve_with(&db.url, Some(&log), &["--anchor", anchor.to_str().unwrap()]);
    let mut probe = Client::new(addr);
    assert_eq!(probe.login("admin", "Restart#county-1").status, 200);
    let load = writers::Load::start(addr, &probe.token.clone().unwrap(), "重启测试");
    let mut report = Vec::new();
    for mode in ["fast", "immediate"] {
        let before = load.acked();
        let began = Instant::now();
        restart(&version, mode);
        assert!(
            wait_for_pg(&version),
            "{mode}: PostgreSQL did not come back within 60 s"
        );
        let back = Instant::now();
        // Writing resumes by itself: an acknowledgement within 5 s of PostgreSQL being back.
        let resumed = load.resumed(&format!("{mode} restart"), back, before, 100);
        report.push(format!(
            "{mode}: restart took {:.1?}, writing resumed {:.0?} after PostgreSQL was back",
            back - began,
            resumed
        ));
    }
    let seen = load.stop();
    let health = probe.get("/healthz").unwrap();
    assert_eq!(health.status, 200, "{}", health.text());
    child.kill().unwrap();
    child.wait().unwrap();
    let seen = seen.lock().unwrap();
    writers::stored_once(&rt, &db.url, &seen);
    // The chain verifies, and every anchored head is in the database.
    let out = Command::new(&bin)
        .args(["audit", "verify", "--db", &db.url, "--anchor", anchor.to_str().unwrap()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("锚定校验通过"), "{said}");
    let text = std::fs::read_to_string(&log).unwrap();
    let outages = writers::outages(&text);
    assert!((1..=2).contains(&outages), "{outages} outage lines:\n{text}");
    eprintln!(
        "pg restart: {} acknowledged, {} refused (503 not saved), {} unconfirmed; {}",
        seen.acked.len(),
        seen.refused,
        seen.unconfirmed.len(),
        report.join("; ")
    );
    let _ = std::fs::remove_dir_all(&dir);
    rt.block_on(db.drop_db());
}
