//! 站内信 over HTTP on the sample county: a 催办 through the API reaches the
//! responsible unit's users (JSON list, unread count, mark read), the header's
//! badge counts unread notices, the inbox page links each notice to its record
//! and opening it marks it read; nobody reads another user's notices. A
//! deadline counted through the provisional 2027 calendar says so in the
//! record's JSON.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use lvzhi_testkit::county::hazard;
use serde_json::json;

#[test]
fn urge_reaches_the_unit_inbox_over_api_and_pages() {
    let s = Server::start();
    let office = s.county.access("office");
    let mut f = hazard("620902100", s.county.yingji, "消防通道堵塞");
    f.insert("deadline".into(), json!("2026-11-20"));
    let id = s.rt.block_on(s.store.create(&office, "hazard", f)).unwrap().id;

    // 催办 through the API.
    let mut api = s.client("office");
    // A body that is not an object is refused, nothing sent (serde would read
    // `[]` as a 催办 without a note).
    for bad in [json!([]), json!(["请整改"]), json!("请整改"), json!(1)] {
        let r = api.post(&format!("/api/v1/records/{id}/urge"), &bad).unwrap();
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert!(r.text().contains("请求体应为JSON对象"), "{}", r.text());
    }
    let r = api
        .post(
            &format!("/api/v1/records/{id}/urge"),
            &json!({"note": "请三日内整改到位"}),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());

    // The unit's clerk: one unread notice, linking to the record.
    let mut clerk = s.client("clerk_yj");
    let r = clerk.get("/api/v1/notices").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["unread"], json!(1));
    let n = &v["items"][0];
    assert_eq!(n["kind"], json!("urge"));
    assert_eq!(n["kind_label"], json!("催办"));
    assert_eq!(n["href"], json!(format!("/records/{id}")));
    assert_eq!(n["title"], json!("催办：消防通道堵塞"));
    assert!(
        n["body"].as_str().unwrap().ends_with("催办意见：请三日内整改到位"),
        "{n}"
    );
    let nid = n["id"].as_i64().unwrap();
    // Another user cannot mark it read; the office has no notice.
    let r = s
        .client("clerk_xd")
        .post(&format!("/api/v1/notices/{nid}/read"), &json!({}))
        .unwrap();
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(api.get("/api/v1/notices").unwrap().json()["unread"], json!(0));
    assert_eq!(clerk.get("/api/v1/notices?unread=true&limit=0").unwrap().status, 400);

    // The page: the header's badge, the inbox, opening the record marks it read.
    let mut b = s.signed_in("head_yj");
    let home = b.get("/").text();
    assert!(home.contains("id=\"unread-badge\">1<"), "badge on every page");
    let page = b.get("/inbox").text();
    assert!(
        page.contains("催办：消防通道堵塞") && page.contains("请三日内整改到位"),
        "{page}"
    );
    let open = page
        .split("href=\"/inbox/")
        .nth(1)
        .map(|p| format!("/inbox/{}", &p[..p.find('"').unwrap()]))
        .unwrap()
        .replace("&amp;", "&");
    let r = b.get(&open);
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), format!("/records/{id}"));
    let record = b.get(&format!("/records/{id}")).text();
    assert!(
        record.contains("第1次催办") && record.contains("请三日内整改到位"),
        "催办 in 办理过程"
    );
    assert!(!record.contains("id=\"unread-badge\""), "read now");
    // The clerk's is still unread until marked; mark all read over the API.
    let r = clerk.post("/api/v1/notices/read", &json!({})).unwrap();
    assert_eq!(r.json()["read"], json!(1));
    assert_eq!(
        clerk.get("/api/v1/notices?unread=true").unwrap().json()["items"],
        json!([])
    );
}

#[test]
fn provisional_deadline_is_marked_in_the_api() {
    let s = Server::start();
    let office = s.county.access("office");
    let p = json!({
        "subject": "拖欠工程款", "petitioner": "张三", "persons": 1, "form": "来访",
        "visit_type": "初访", "category": "劳动社保", "content": "反映某工地拖欠工资",
        "registered_on": "2026-11-25", "township": "620902100",
    });
    let r =
        s.rt.block_on(s.store.create(&office, "petition", p.as_object().unwrap().clone()))
            .unwrap();
    let mut api = s.client("office");
    let v = api
        .post(
            &format!("/api/v1/records/{}/transitions", r.id),
            &json!({"transition": "受理", "version": r.version, "fields": {"received_on": "2026-11-25"}}),
        )
        .unwrap();
    assert_eq!(v.status, 200, "{}", v.text());
    let v = api.get(&format!("/api/v1/records/{}", r.id)).unwrap().json();
    assert_eq!(v["deadline"], json!("2027-02-24"));
    assert_eq!(v["deadline_note"], json!("按暂定日历计算（2027年放假安排未发布）"));
    let mut b = s.signed_in("office");
    let page = b.get(&format!("/records/{}", r.id)).text();
    assert!(
        page.contains("按暂定日历计算（2027年放假安排未发布）"),
        "on the record page"
    );
}

/// The admin reads the outbound channels (secrets masked) and the delivery
/// log over the API; an urge's notices are queued once per channel; others are refused.
#[test]
fn outbox_log_is_the_admins_and_hides_secrets() {
    let s = Server::start();
    let admin = s.county.access("admin");
    let office = s.county.access("office");
    s.rt.block_on(s.store.add_channel(
        &admin,
        lvzhi_store::outbox::ChannelInput {
            kind: "dingtalk".into(),
            name: "县政府办钉钉群".into(),
            url: "http://127.0.0.1:9/robot/send?access_token=secrettoken".into(),
            secret: "SECsecretvalue".into(),
            ..Default::default()
        },
    ))
    .unwrap();
    let id =
        s.rt.block_on(
            s.store
                .create(&office, "hazard", hazard("620902100", s.county.yingji, "消防通道堵塞")),
        )
        .unwrap()
        .id;
    let r = s
        .client("office")
        .post(
            &format!("/api/v1/records/{id}/urge"),
            &json!({"note": "请三日内整改到位"}),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.client("admin").get("/api/v1/outbox").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(
        !text.contains("secrettoken") && !text.contains("SECsecretvalue"),
        "{text}"
    );
    let v = r.json();
    assert_eq!(v["channels"][0]["kind_label"], json!("钉钉机器人"));
    assert_eq!(v["channels"][0]["secret_set"], json!(true));
    let d = v["deliveries"].as_array().unwrap();
    assert!(!d.is_empty(), "{v}");
    assert!(
        d.iter()
            .all(|x| x["status"] == json!("pending") && x["channel"] == json!("县政府办钉钉群")),
        "{v}"
    );
    assert_eq!(s.client("office").get("/api/v1/outbox").unwrap().status, 403);
    // Over the API: the admin adds an SMS gateway; a bad one is refused in Chinese; others may not.
    let body = json!({"kind": "sms", "name": "短信平台", "url": "http://127.0.0.1:9/sms",
        "body_template": "{\"m\":\"{phone}\",\"c\":\"{text}\"}", "phone": "13800001234"});
    let r = s.client("admin").post("/api/v1/outbox/channels", &body).unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        s.client("office")
            .post("/api/v1/outbox/channels", &body)
            .unwrap()
            .status,
        403
    );
    let r = s
        .client("admin")
        .post(
            "/api/v1/outbox/channels",
            &json!({"kind": "wecom", "name": "群", "url": "ftp://qyapi.weixin.qq.com/x"}),
        )
        .unwrap();
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("http://"), "{}", r.text());
    let v = s.client("admin").get("/api/v1/outbox").unwrap().json();
    assert_eq!(v["channels"][1]["phone"], json!("138****1234"));
}
