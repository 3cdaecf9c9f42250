//! The outbox survives SIGKILL (issue 17 item 3): a real `lvzhi serve` with
//! two channels whose receiver is not up yet; the office 催办s 15 items over
//! the API (a bulk action: one message per channel, listing every item);
//! the server is killed with messages undelivered; after a restart, with the
//! receiver up, every item reaches every channel — none lost — and each
//! delivered message has its own idempotency key.

use lvzhi_testkit::TestDb;
use lvzhi_testkit::http::Client;
use lvzhi_testkit::receiver::Receiver;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

#[test]
fn sigkill_with_undelivered_messages_loses_none() {
    let db = TestDb::sqlite();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The sample county, 15 open hazards of 应急管理局.
    let ids: Vec<i64> = rt.block_on(async {
        let store = lvzhi_testkit::open(&db).await;
        let county = lvzhi_testkit::county::build(&store).await;
        let office = county.access("office");
        let mut ids = Vec::new();
        for i in 0..15 {
            let f = lvzhi_testkit::county::hazard("620902100", county.yingji, &format!("断电测试隐患{i:02}号"));
            ids.push(store.create(&office, "hazard", f).await.unwrap().id);
        }
        store.close().await;
        ids
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (mut child, addr) = crate::faults::serve(&db.url, None);
    let mut admin = Client::new(addr);
    assert_eq!(admin.login("admin", lvzhi_testkit::county::PASSWORD).status, 200);
    for (kind, path) in [
        ("wecom", "/wecom/send?key=abc123"),
        ("dingtalk", "/ding/send?access_token=t1"),
    ] {
        let r = admin
            .post(
                "/api/v1/outbox/channels",
                &json!({"kind": kind, "name": format!("{kind}值班群"), "url": format!("http://127.0.0.1:{port}{path}"),
                    "secret": if kind == "dingtalk" { "SECtest" } else { "" }}),
            )
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
    }
    // 催办 of the 15 items as the office, over the API (the receiver is not up).
    let mut office = Client::new(addr);
    assert_eq!(office.login("office", lvzhi_testkit::county::PASSWORD).status, 200);
    for id in &ids {
        let r = office
            .post(&format!("/api/v1/records/{id}/urge"), &json!({"note": "请本周内整改"}))
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let v = admin.get("/api/v1/outbox").unwrap().json();
    let pending = v["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] == json!("pending"))
        .count();
    assert!(pending >= 2, "{v}");
    child.kill().unwrap(); // SIGKILL on Unix, messages undelivered
    child.wait().unwrap();

    // Restart with the receiver up: everything goes out.
    let receiver = Receiver::start_on(port);
    let (mut child, addr) = crate::faults::serve(&db.url, None);
    let all: BTreeSet<String> = (0..15).map(|i| format!("断电测试隐患{i:02}号")).collect();
    let seen = || -> HashMap<&'static str, BTreeSet<String>> {
        let mut by: HashMap<&'static str, BTreeSet<String>> = HashMap::new();
        for g in receiver.got() {
            let text = g.content();
            if !text.contains("催办") {
                continue;
            }
            let ch = if g.path().starts_with("/wecom") {
                "wecom"
            } else {
                "dingtalk"
            };
            for item in &all {
                if text.contains(item.as_str()) {
                    by.entry(ch).or_default().insert(item.clone());
                }
            }
        }
        by
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let by = seen();
        if by.get("wecom") == Some(&all) && by.get("dingtalk") == Some(&all) {
            break;
        }
        assert!(Instant::now() < deadline, "not all delivered after restart: {by:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let mut admin = Client::new(addr);
    assert_eq!(admin.login("admin", lvzhi_testkit::county::PASSWORD).status, 200);
    let v = admin.get("/api/v1/outbox").unwrap().json();
    child.kill().unwrap();
    child.wait().unwrap();
    let got = receiver.got();
    let keys: BTreeSet<&str> = got.iter().map(|g| g.header("X-Idempotency-Key")).collect();
    assert_eq!(keys.len(), got.len(), "one delivery per message: {got:?}");
    // (The day's 临期/超期 and digest notices were written at the first start,
    // before the channels existed: only the 催办 went out.)
    for g in &got {
        let text = g.content();
        assert!(text.starts_with("【履职】催办"), "{text}");
    }
    assert!(
        v["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == json!("delivered")),
        "{v}"
    );
    eprintln!(
        "outbox crash test: {} undelivered at SIGKILL, {} messages delivered after restart",
        pending,
        got.len()
    );
    rt.block_on(db.drop_db());
}
