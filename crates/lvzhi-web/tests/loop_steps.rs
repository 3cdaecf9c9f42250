//! The loop steps of issue 17 over the JSON API, on the sample county with a
//! clock the test moves: one 信访 case registered by 西洞镇 goes 受理 → 交办 →
//! 转办 → 签收 → 延期申请 (too long: refused; then approved) → 答复 (办结) →
//! 回访 不满意 (the case reopens: 重新办理) → 答复 → 回访 满意 (已化解). The
//! deadlines are counted in working days across 2026's 中秋/国庆 holiday
//! (10月1日–7日) and its 调休 days (9月20日 Sunday, 10月10日 Saturday), and after
//! every step exactly the concerned users find a new notice in their inbox,
//! the record's 承办人 instead of the whole unit once one is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use jiff::Timestamp;
use lvzhi_testkit::county::PASSWORD;
use lvzhi_testkit::http::Client;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The sample county served with a clock the test sets.
struct Site {
    addr: std::net::SocketAddr,
    store: lvzhi_store::Store,
    county: lvzhi_testkit::county::County,
    now: Arc<AtomicI64>,
    rt: tokio::runtime::Runtime,
    _db: lvzhi_testkit::TestDb,
}

impl Site {
    fn start(at: &str) -> Site {
        let now = Arc::new(AtomicI64::new(secs(at)));
        let clock: lvzhi_store::Clock = {
            let now = now.clone();
            Arc::new(move || Timestamp::from_second(now.load(Ordering::SeqCst)).unwrap())
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let db = lvzhi_testkit::TestDb::sqlite();
        let (store, county, addr) = rt.block_on(async {
            let pack = Arc::new(lvzhi_packs::county().unwrap());
            let store = lvzhi_store::Store::open(&db.url, pack, clock).await.unwrap();
            store.set_files_dir(db.files_dir());
            let county = lvzhi_testkit::county::build(&store).await;
            // The clock jumps months: no password expiry in this test.
            let mut p = store.policy();
            p.expiry_days = 0;
            store
                .set_policy(&lvzhi_store::Store::system_access(), &p)
                .await
                .unwrap();
            let addr = common::serve(&store).await;
            (store, county, addr)
        });
        Site {
            addr,
            store,
            county,
            now,
            rt,
            _db: db,
        }
    }

    /// Sets the clock to 10:00 Beijing time of `day`.
    fn on(&self, day: &str) {
        self.now.store(secs(&format!("{day}T02:00:00Z")), Ordering::SeqCst);
    }

    /// A fresh API session (the clock's jumps end older ones).
    fn client(&self, user: &str) -> Client {
        let mut c = Client::new(self.addr);
        let r = c.login(user, PASSWORD);
        assert_eq!(r.status, 200, "login {user}: {}", r.text());
        c
    }

    fn record(&self, id: i64) -> Value {
        self.client("office")
            .get(&format!("/api/v1/records/{id}"))
            .unwrap()
            .json()
    }

    /// Takes a step through the API as `user`; the record after it.
    fn step(&self, user: &str, id: i64, name: &str, fields: Value, reason: Option<&str>) -> Value {
        let version = self.record(id)["version"].as_i64().unwrap();
        let r = self
            .client(user)
            .post(
                &format!("/api/v1/records/{id}/transitions"),
                &json!({"transition": name, "version": version, "fields": fields, "reason": reason}),
            )
            .unwrap();
        assert_eq!(r.status, 200, "{name} by {user}: {}", r.text());
        r.json()
    }
}

fn secs(at: &str) -> i64 {
    at.parse::<Timestamp>().unwrap().as_second()
}

/// The users whose inboxes are watched.
const WATCHED: &[&str] = &[
    "office", "leader", "clerk_xd", "head_xd", "clerk_yj", "head_yj", "clerk_qs",
];

/// Every watched user's notices, newest first.
struct Inboxes {
    seen: BTreeMap<String, usize>,
}

impl Inboxes {
    fn new() -> Inboxes {
        Inboxes {
            seen: WATCHED.iter().map(|u| (u.to_string(), 0)).collect(),
        }
    }

    /// The notices each user received since the last call (users with none left out).
    fn fresh(&mut self, s: &Site) -> BTreeMap<String, Vec<Value>> {
        let mut out = BTreeMap::new();
        for u in WATCHED {
            let v = s.client(u).get("/api/v1/notices?limit=200").unwrap().json();
            let items = v["items"].as_array().unwrap().clone();
            let before = self.seen.insert(u.to_string(), items.len()).unwrap();
            let new: Vec<Value> = items[..items.len() - before].to_vec();
            if !new.is_empty() {
                out.insert(u.to_string(), new);
            }
        }
        out
    }

    /// Asserts that exactly `who` got one new notice each, of `kind`, about
    /// `record`, its body containing each of `says`.
    fn expect(&mut self, s: &Site, step: &str, record: i64, who: &[&str], kind: &str, says: &[&str]) {
        let fresh = self.fresh(s);
        let got: Vec<&str> = fresh.keys().map(String::as_str).collect();
        let mut want = who.to_vec();
        want.sort();
        assert_eq!(got, want, "{step}: who was told: {fresh:#?}");
        for (u, items) in &fresh {
            assert_eq!(items.len(), 1, "{step}: {u} got one notice: {items:#?}");
            let n = &items[0];
            assert_eq!(n["kind"], json!(kind), "{step}: {u}: {n}");
            assert_eq!(n["href"], json!(format!("/records/{record}")), "{step}: {u}");
            let body = n["body"].as_str().unwrap();
            for w in says {
                assert!(body.contains(w), "{step}: {u}: “{w}” not in “{body}”");
            }
            assert!(!body.contains("王秀兰"), "{step}: no personal data: {body}");
        }
    }
}

#[test]
fn petition_loop_across_the_national_day_with_notices_at_every_step() {
    let s = Site::start("2026-09-24T02:00:00Z");
    let mut inbox = Inboxes::new();

    // 9月24日 (Thursday): 西洞镇's clerk registers a visit.
    let r = s
        .client("clerk_xd")
        .post(
            "/api/v1/ledgers/petition/records",
            &json!({"fields": {
                "subject": "工程款拖欠未结", "petitioner": "王秀兰", "persons": 1, "form": "来访",
                "visit_type": "初访", "category": "劳动社保", "content": "反映某工地拖欠工程款",
                "registered_on": "2026-09-24", "township": "620902100",
            }}),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    // 受理 within 15 working days: 中秋 (9月25–27日) and 国庆 (10月1–7日) are not
    // counted, the 调休 Saturday 10月10日 is → 10月22日 (15 calendar days: 10月9日).
    assert_eq!(s.record(id)["deadline"], json!("2026-10-22"));
    inbox.expect(&s, "登记", id, &[], "", &[]);

    // 9月28日 (Monday): the office accepts it; 60 working days from 受理日期 → 12月25日.
    s.on("2026-09-28");
    let v = s.step("office", id, "受理", json!({"received_on": "2026-09-28"}), None);
    assert_eq!(v["state"], json!("已受理"));
    assert_eq!(v["fields"]["deadline"], json!("2026-12-25"));
    assert_eq!(v["deadline"], json!("2026-12-25"));
    // The township that registered it hears it was accepted, with the term.
    inbox.expect(
        &s,
        "受理",
        id,
        &["clerk_xd", "head_xd"],
        "progress",
        &["执行“受理”", "当前状态“已受理”", "办理时限2026年12月25日"],
    );

    // 9月29日: 交办 to 西洞镇 by mistake; 9月30日 (Wednesday) its head transfers it to 应急管理局.
    s.on("2026-09-29");
    s.step("office", id, "交办", json!({"unit": s.county.xidong}), None);
    inbox.expect(&s, "交办", id, &["clerk_xd", "head_xd"], "assign", &["由本单位办理"]);
    s.on("2026-09-30");
    let v = s.step(
        "head_xd",
        id,
        "转办",
        json!({"unit": s.county.yingji}),
        Some("属安全生产监管职责，转应急管理局办理"),
    );
    assert_eq!(v["state"], json!("已交办"));
    // 签收 within 3 working days of its own: 10月1–7日 off, 8日, 9日, Saturday 10日
    // worked → 10月10日, while the 办理时限 stays 12月25日.
    assert_eq!(v["deadline"], json!("2026-10-10"));
    assert_eq!(v["fields"]["deadline"], json!("2026-12-25"));
    // The new unit's users are told, with the reason and the 签收 limit.
    inbox.expect(
        &s,
        "转办",
        id,
        &["clerk_yj", "head_yj"],
        "assign",
        &[
            "由原责任单位转来",
            "本环节时限2026年10月10日（办理时限2026年12月25日）",
            "原因：属安全生产监管职责，转应急管理局办理",
        ],
    );
    // 转办 to the same unit is refused.
    let version = s.record(id)["version"].as_i64().unwrap();
    let r = s
        .client("head_yj")
        .post(
            &format!("/api/v1/records/{id}/transitions"),
            &json!({"transition": "转办", "version": version, "fields": {"unit": s.county.yingji}, "reason": "x"}),
        )
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("须转给其他单位办理"), "{}", r.text());

    // 10月9日: the clerk signs; the 办理时限 is in force again. The head makes the clerk 承办人.
    s.on("2026-10-09");
    let v = s.step("clerk_yj", id, "签收", json!({}), None);
    assert_eq!(
        (v["state"].clone(), v["deadline"].clone()),
        (json!("办理中"), json!("2026-12-25"))
    );
    inbox.expect(&s, "签收", id, &["office"], "progress", &["执行了“签收”"]);
    let head = s.county.access("head_yj");
    let clerk = s.county.access("clerk_yj");
    s.rt.block_on(s.store.assign(&head, id, clerk.user_id)).unwrap();

    // 12月1日: 延期申请. 30 working days past 12月25日 is the most: 2027年3月1日 is refused.
    s.on("2026-12-01");
    let version = s.record(id)["version"].as_i64().unwrap();
    let r = s
        .client("clerk_yj")
        .post(
            &format!("/api/v1/records/{id}/transitions"),
            &json!({"transition": "申请延期", "version": version,
                    "fields": {"extend_to": "2027-03-01"}, "reason": "需跨部门核实"}),
        )
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("延期不能超过30个工作日"), "{}", r.text());
    let v = s.step(
        "clerk_yj",
        id,
        "申请延期",
        json!({"extend_to": "2026-12-31"}),
        Some("涉及多个部门，需进一步调查核实"),
    );
    assert_eq!(v["state"], json!("延期待批"));
    assert_eq!(v["deadline"], json!("2026-12-25"), "the deadline stands until approved");
    // The unit's head (who decides) and the office (who handed it over) are asked.
    inbox.expect(
        &s,
        "申请延期",
        id,
        &["head_yj", "office"],
        "extend",
        &[
            "办理时限由2026年12月25日延至2026年12月31日",
            "原因：涉及多个部门，需进一步调查核实",
        ],
    );

    // 12月2日: the head approves; the deadline moves, the day is kept for the bulletins.
    s.on("2026-12-02");
    let v = s.step("head_yj", id, "批准延期", json!({}), None);
    assert_eq!(v["state"], json!("办理中"));
    assert_eq!(v["deadline"], json!("2026-12-31"));
    assert_eq!(v["fields"]["extended_on"], json!("2026-12-02"));
    assert!(v["fields"].get("extend_to").is_none_or(Value::is_null), "{v}");
    inbox.expect(
        &s,
        "批准延期",
        id,
        &["clerk_yj", "office"],
        "extend",
        &["批准延期", "由2026年12月25日延至2026年12月31日"],
    );
    // The history keeps the request's reason and the old and new deadline.
    let events = s
        .client("office")
        .get(&format!("/api/v1/records/{id}/events"))
        .unwrap()
        .json();
    let events = events["items"].as_array().unwrap().clone();
    let req = events
        .iter()
        .find(|e| e["data"]["transition"] == json!("申请延期"))
        .unwrap();
    assert_eq!(req["data"]["reason"], json!("涉及多个部门，需进一步调查核实"));
    let ok = events
        .iter()
        .find(|e| e["data"]["transition"] == json!("批准延期"))
        .unwrap();
    assert_eq!(ok["data"]["before"]["deadline"], json!("2026-12-25"));
    assert_eq!(ok["data"]["after"]["deadline"], json!("2026-12-31"));

    // 12月10日: the head replies (办结).
    s.on("2026-12-10");
    let reply = json!({"handling": "已约谈施工单位", "reply": "责令施工单位限期支付", "replied_on": "2026-12-10"});
    let v = s.step("head_yj", id, "答复", reply.clone(), None);
    assert_eq!(v["state"], json!("已答复"));
    inbox.expect(&s, "答复", id, &["office"], "progress", &["执行了“答复”"]);

    // 12月14日: 回访 — 不满意 reopens the case; the 承办人 (not the whole unit) is told to handle it again.
    s.on("2026-12-14");
    let v = s.step("office", id, "回访", json!({"satisfaction": "不满意"}), None);
    assert_eq!(v["state"], json!("办理中"));
    assert_eq!(v["closed"], json!(false));
    inbox.expect(
        &s,
        "回访不满意",
        id,
        &["clerk_yj"],
        "assign",
        &["（信访人评价：不满意）", "请重新办理"],
    );

    // 12月21日: replied again; 12月23日: 回访 满意 closes it (已化解): the 承办人 and
    // the township that registered it are told.
    s.on("2026-12-21");
    s.step(
        "head_yj",
        id,
        "答复",
        json!({"reply": "工程款已全部支付", "replied_on": "2026-12-21"}),
        None,
    );
    inbox.expect(&s, "再次答复", id, &["office"], "progress", &["执行了“答复”"]);
    s.on("2026-12-23");
    let v = s.step("office", id, "回访", json!({"satisfaction": "满意"}), None);
    assert_eq!(
        (v["state"].clone(), v["closed"].clone()),
        (json!("已化解"), json!(true))
    );
    inbox.expect(
        &s,
        "回访满意",
        id,
        &["clerk_yj", "clerk_xd"],
        "closed",
        &["（信访人评价：满意）", "当前状态“已化解”，已办结"],
    );
    let kinds: Vec<String> = events
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(kinds.iter().any(|k| k == "record.assign"), "{kinds:?}");
}
