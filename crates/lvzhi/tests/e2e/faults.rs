//! Fault injection: the database goes away under load and comes back.
//!
//! * PostgreSQL: 16 clients create records while every backend of the test
//!   database is terminated (`pg_terminate_backend`), three times. Writing
//!   resumes by itself within 5 s, every acknowledged create is stored once,
//!   nothing is stored twice, the chain verifies, and the server logs one line
//!   per outage (not one per failed request).

use lvzhi_testkit::TestDb;
use lvzhi_testkit::http::Client;
use sqlx::Connection;
use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "../support/writers.rs"]
mod writers;
use writers::{Load, Seen};
pub use writers::{hazard_writers, init, serve};

#[test]
fn postgres_backends_terminated_under_load() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDb::postgres()) else {
        return;
    };
    let bin = assert_cmd::cargo::cargo_bin("lvzhi");
    init(&db.url, "Fault#county-1");
    let log = std::env::temp_dir().join(format!("lvzhi-faults-{}.log", std::process::id()));
    let (mut child, addr) = serve(&db.url, Some(&log));
    let mut probe = Client::new(addr);
    assert_eq!(probe.login("admin", "Fault#county-1").status, 200);
    let load = Load::start(addr, &probe.token.clone().unwrap(), "故障测试");
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let mut worst = Duration::ZERO;
    for round in 0..3 {
        let before = load.acked();
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
        // Writing resumes by itself: an acknowledgement within 5 s of the kill.
        let what = format!("round {round}, {killed} backends terminated");
        worst = worst.max(load.resumed(&what, killed_at, before, 100));
    }
    let seen = load.stop();
    let health = probe.get("/healthz").unwrap();
    assert_eq!(health.status, 200, "{}", health.text());
    child.kill().unwrap();
    child.wait().unwrap();
    let seen = seen.lock().unwrap();
    writers::stored_once(&rt, &db.url, &seen);
    // The chain verifies, from the command line.
    let out = Command::new(&bin)
        .args(["audit", "verify", "--db", &db.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // One log line per outage, not one per request.
    let text = std::fs::read_to_string(&log).unwrap();
    let outages = writers::outages(&text);
    assert!((1..=3).contains(&outages), "{outages} outage lines:\n{text}");
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

/// A small tmpfs mounted for one test (root only), unmounted on drop.
struct Tmpfs {
    dir: std::path::PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`8m`); None, with the reason printed, where mounting is not permitted.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = std::env::temp_dir().join(format!("lvzhi-tmpfs-{}-{size}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!(
                    "skipped: cannot mount a tmpfs ({}); the disk-full test needs root",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                let _ = std::fs::remove_dir(&dir);
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount ({e}); the disk-full test needs root");
                let _ = std::fs::remove_dir(&dir);
                None
            }
        }
    }

    /// A tmpfs of `size` with a SQLite database initialised on it (admin password `password`), and its URL.
    fn with_county(size: &str, password: &str) -> Option<(Tmpfs, String)> {
        let fs = Tmpfs::mount(size)?;
        let url = format!("sqlite:{}", fs.dir.join("lvzhi.db").display());
        init(&url, password);
        Some((fs, url))
    }

    /// Remounts it read-only.
    fn read_only(&self) {
        let st = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.dir)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Fills the file system of `dir` to the last byte with a file `filler`.
fn fill(dir: &std::path::Path) -> u64 {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    let mut n = 0u64;
    while let Ok(k) = f.write(&chunk) {
        if k == 0 {
            break;
        }
        n += k as u64;
    }
    let _ = f.sync_all();
    n
}

#[test]
fn sqlite_disk_full_answers_507_and_recovers() {
    let Some((fs, url)) = Tmpfs::with_county("16m", "Full#county-1") else {
        return;
    };
    let bin = assert_cmd::cargo::cargo_bin("lvzhi");
    let log = std::env::temp_dir().join(format!("lvzhi-full-{}.log", std::process::id()));
    let (mut child, addr) = serve(&url, Some(&log));
    let mut probe = Client::new(addr);
    assert_eq!(probe.login("admin", "Full#county-1").status, 200);
    let token = probe.token.clone().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let full = Arc::new(Mutex::new(0usize));
    let stop = Arc::new(AtomicBool::new(false));
    let threads = {
        let (seen, full) = (seen.clone(), full.clone());
        hazard_writers(addr, &token, &stop, "满盘测试", move |d, r| {
            let r = r.unwrap();
            match r.status {
                201 => {
                    let mut s = seen.lock().unwrap();
                    s.acked.insert(d, r.json()["id"].as_i64().unwrap());
                    s.times.push(Instant::now());
                }
                507 => {
                    assert_eq!(
                        r.json()["error"]["message"],
                        "存储空间已满，本次修改未保存",
                        "{}",
                        r.text()
                    );
                    *full.lock().unwrap() += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                _ => panic!("unexpected {}: {}", r.status, r.text()),
            }
            true
        })
    };
    let acked = || seen.lock().unwrap().acked.len();
    let wait = |what: &str, cond: &dyn Fn() -> bool| {
        let until = Instant::now() + Duration::from_secs(30);
        while !cond() {
            assert!(Instant::now() < until, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait("100 creates", &|| acked() >= 100);
    let filled = fill(&fs.dir);
    wait("50 answers 507", &|| *full.lock().unwrap() >= 50);
    // /healthz tells the operator while writes fail.
    let h = probe.get("/healthz").unwrap();
    assert_eq!(h.status, 503, "{}", h.text());
    assert!(h.text().contains("存储空间已满"), "{}", h.text());
    let during = acked();
    std::fs::remove_file(fs.dir.join("filler")).unwrap();
    let freed = Instant::now();
    wait("a create after space returned", &|| {
        seen.lock().unwrap().times.iter().any(|t| *t > freed)
    });
    let resumed = freed.elapsed();
    assert!(
        resumed < Duration::from_secs(5),
        "writing resumed only after {resumed:?}"
    );
    assert_eq!(probe.get("/healthz").unwrap().text(), "ok");
    wait("100 more creates", &|| acked() >= during + 100);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let seen = seen.lock().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (check, stored): (String, HashMap<String, i64>) = rt.block_on(async {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&mut c)
            .await
            .unwrap();
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, json_extract(fields, '$.description') FROM records WHERE ledger = 'hazard'")
                .fetch_all(&mut c)
                .await
                .unwrap();
        (check, rows.into_iter().map(|(i, d)| (d, i)).collect())
    });
    assert_eq!(check, "ok");
    for (d, id) in &seen.acked {
        assert_eq!(stored.get(d), Some(id), "acknowledged create {d} lost");
    }
    assert_eq!(stored.len(), seen.acked.len(), "records stored that were answered 507");
    let out = Command::new(&bin)
        .args(["audit", "verify", "--db", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let text = std::fs::read_to_string(&log).unwrap();
    let refused = *full.lock().unwrap();
    let failing = text.matches("database writes failing").count();
    assert_eq!(
        failing, 1,
        "one line for the outage, not one per request ({refused} refused):\n{text}"
    );
    assert_eq!(text.matches("database writes resumed").count(), 1, "{text}");
    assert!(text.lines().count() < 10, "{text}");
    eprintln!(
        "disk full: filled {filled} bytes; {} acknowledged, {refused} answered 507, resumed {resumed:?} after space returned",
        seen.acked.len()
    );
    let _ = std::fs::remove_file(&log);
}

#[test]
fn read_only_database_is_refused_with_a_clear_message() {
    let Some((fs, url)) = Tmpfs::with_county("8m", "Readonly#county-1") else {
        return;
    };
    fs.read_only();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let err = rt
        .block_on(lvzhi_store::Store::open(&url, pack, lvzhi_store::system_clock()))
        .err()
        .expect("a read-only database is refused");
    let msg = err.to_string();
    assert!(msg.contains("不可写入") && msg.contains("请检查"), "{msg}");
    assert!(!msg.contains(" at line "), "{msg}");
    // `lvzhi serve` refuses to start, saying why.
    let out = Command::new(assert_cmd::cargo::cargo_bin("lvzhi"))
        .args(["serve", "--db", &url, "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("不可写入"), "{err}");
}
