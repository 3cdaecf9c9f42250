//! Crash safety: SIGKILL the server in the middle of concurrent creates; every
//! create that got a 2xx is in the database afterwards, and the chain verifies.

use lvzhi_testkit::TestDb;
use lvzhi_testkit::http::Client;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn sigkill_loses_no_acknowledged_write() {
    let db = TestDb::sqlite();
    let bin = assert_cmd::cargo::cargo_bin("lvzhi");
    let st = Command::new(&bin)
        .args(["init", "--db", &db.url, "--admin-password", "Crash#county-1"])
        .output()
        .unwrap();
    assert!(st.status.success());
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(lvzhi_testkit::no_forced_change(&db.url));
    let (mut child, addr) = crate::faults::serve(&db.url, None);
    let mut probe = Client::new(addr);
    assert_eq!(probe.login("admin", "Crash#county-1").status, 200);
    let token = probe.token.clone().unwrap();
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let threads = {
        let acked = acked.clone();
        crate::faults::hazard_writers(addr, &token, &stop, "崩溃测试", move |_, r| match r {
            Ok(r) if r.status == 201 => {
                acked.lock().unwrap().push(r.json()["id"].as_i64().unwrap());
                true
            }
            Ok(r) => panic!("unexpected {}: {}", r.status, r.text()),
            Err(_) => false, // the server is gone
        })
    };
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
