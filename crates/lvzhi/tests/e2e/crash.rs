//! Crash safety: SIGKILL the server in the middle of concurrent creates; every
//! create that got a 2xx is in the database afterwards, and the chain verifies.

use lvzhi_testkit::TestDb;
use lvzhi_testkit::http::Client;
use serde_json::json;
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn sigkill_loses_no_acknowledged_write() {
    let db = TestDb::sqlite();
    let bin = assert_cmd::cargo::cargo_bin("lvzhi");
    let st = Command::new(&bin)
        .args(["init", "--db", &db.url, "--admin-password", "Crash#county-1"])
        .output()
        .unwrap();
    assert!(st.status.success());
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut child = Command::new(&bin)
        .args(["serve", "--db", &db.url, "--listen", &addr.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut probe = Client::new(addr);
    assert_eq!(probe.login("admin", "Crash#county-1").status, 200);
    let token = probe.token.clone().unwrap();
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let (acked, stop, token) = (acked.clone(), stop.clone(), token.clone());
            std::thread::spawn(move || {
                let mut c = Client::new(addr);
                c.token = Some(token);
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let body = json!({"fields": {"description": format!("崩溃测试{t}-{i}"), "company": "演示公司", "industry": "工贸",
                        "grade": "一般", "township": "620902100", "found_on": "2026-11-20"}});
                    match c.post("/api/v1/ledgers/hazard/records", &body) {
                        Ok(r) if r.status == 201 => acked.lock().unwrap().push(r.json()["id"].as_i64().unwrap()),
                        Ok(r) => panic!("unexpected {}: {}", r.status, r.text()),
                        Err(_) => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Let a few hundred creates through, then kill -9 mid-stream.
    let until = Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 300 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300, "only {} creates acknowledged", acked.len());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = lvzhi_testkit::open(&db).await;
        let admin = lvzhi_store::Store::system_access();
        for id in &acked {
            let r = store
                .record(&admin, *id)
                .await
                .unwrap_or_else(|e| panic!("acknowledged record {id} lost: {e}"));
            assert_eq!(r.row.ledger, "hazard");
        }
        let v = store.verify_chain().await.unwrap();
        assert!(v.error.is_none(), "{:?}", v.error);
        store.close().await;
    });
    eprintln!("crash test: {} acknowledged creates survived SIGKILL", acked.len());
    rt.block_on(db.drop_db());
}
