//! The JSON API over real HTTP, on SQLite and PostgreSQL.

use crate::server::{Running, start_all};
use lvzhi_testkit::county::hazard;
use serde_json::{Value, json};

fn create_hazard(s: &Running, user: &str, township: &str) -> Value {
    let mut c = s.client(user);
    let r = c
        .post(
            "/api/v1/ledgers/hazard/records",
            &json!({"fields": hazard(township, s.county.yingji, "配电箱未接地")}),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// 交办 of a new hazard by the office, due 2026-12-20.
fn assign(office: &mut lvzhi_testkit::http::Client, id: i64) {
    let r = office
        .post(
            &format!("/api/v1/records/{id}/transitions"),
            &json!({"transition": "交办", "version": 1, "fields": {"deadline": "2026-12-20"}}),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
}

/// The number of change events: every event but the audit trail's records
/// of logins and exports (which reading and refused requests also write).
fn event_count(s: &Running) -> i64 {
    let mut c = s.client("auditor");
    let all = c.get("/api/v1/audit/verify").unwrap().json()["verified"]
        .as_i64()
        .unwrap();
    let audit_only: i64 = ["auth.", "export."]
        .iter()
        .map(|k| {
            let r = c.get(&format!("/api/v1/audit/events?kind={k}&limit=1000")).unwrap();
            r.json()["items"].as_array().map_or(0, |a| a.len() as i64)
        })
        .sum();
    all - audit_only
}

#[test]
fn hazard_loop_through_http_on_both_backends() {
    for s in start_all() {
        let rec = create_hazard(&s, "clerk_xd", "620902100");
        let id = rec["id"].as_i64().unwrap();
        assert_eq!(rec["state"], "待交办");
        assert_eq!(
            rec["fields"]["contact_phone"], "13812345678",
            "clerks of the unit see the company phone"
        );
        let mut office = s.client("office");
        assign(&mut office, id);
        let mut yj = s.client("clerk_yj");
        let r = yj
            .post(
                &format!("/api/v1/records/{id}/transitions"),
                &json!({"transition": "提交验收", "version": 2}),
            )
            .unwrap();
        assert_eq!(r.status, 422, "requires measures: {}", r.text());
        let body = r.json();
        let labels: Vec<&str> = body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["整改措施", "整改完成日期", "附件"]);
        assert!(
            r.text().contains("“提交验收”须先上传至少1份“整改后照片”"),
            "{}",
            r.text()
        );
        after_photo(&mut yj, id);
        let r = yj
            .post(
                &format!("/api/v1/records/{id}/transitions"),
                &json!({"transition": "提交验收", "version": 2, "fields": {"measures": "已重新接地", "rectified_on": "2026-11-24"}}),
            )
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let mut head = s.client("head_yj");
        let r = head
            .post(
                &format!("/api/v1/records/{id}/transitions"),
                &json!({"transition": "退回", "version": 3}),
            )
            .unwrap();
        assert_eq!(r.status, 422, "退回 needs a reason");
        let r = head
            .post(
                &format!("/api/v1/records/{id}/transitions"),
                &json!({"transition": "验收销号", "version": 3, "fields": {"acceptance": "合格", "accepted_by": "张工"}}),
            )
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["state"], "已销号");
        assert_eq!(r.json()["closed"], true);
        let ev = office.get(&format!("/api/v1/records/{id}/events")).unwrap().json();
        let kinds: Vec<&str> = ev["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "record.create",
                "record.transition",
                "record.attach",
                "record.transition",
                "record.transition"
            ]
        );
        let v = s.client("auditor").get("/api/v1/audit/verify").unwrap().json();
        assert!(v["error"].is_null(), "{v}");
        s.stop();
    }
}

/// Every role against every record endpoint, on a record of 西洞镇 whose
/// responsible unit is 应急管理局.
#[test]
fn every_role_against_every_endpoint() {
    for s in start_all() {
        let rec = create_hazard(&s, "clerk_xd", "620902100");
        let id = rec["id"].as_i64().unwrap();
        // (user, sees, may edit fields, may take 交办, may void, may urge)
        let matrix = [
            ("admin", true, true, true, true, true),
            ("office", true, true, true, true, true),
            ("leader", true, false, false, false, true),
            ("clerk_xd", true, true, false, false, false),
            ("head_xd", true, true, true, true, false),
            ("clerk_yj", true, true, false, false, false),
            ("head_yj", true, true, true, true, false),
            ("clerk_qs", false, false, false, false, false),
            ("auditor", true, false, false, false, false),
            ("evaluator", false, false, false, false, false),
        ];
        for (user, sees, edit, dispatch, void, urge) in matrix {
            let mut c = s.client(user);
            let before = event_count(&s);
            let version = s.client("admin").get(&format!("/api/v1/records/{id}")).unwrap().json()["version"]
                .as_i64()
                .unwrap();
            let get = c.get(&format!("/api/v1/records/{id}")).unwrap();
            // Out of scope answers as a missing id does (404), so existence cannot be probed.
            assert_eq!(get.status, if sees { 200 } else { 404 }, "{user} GET: {}", get.text());
            let events = c.get(&format!("/api/v1/records/{id}/events")).unwrap();
            assert_eq!(events.status, if sees { 200 } else { 404 }, "{user} events");
            let list = c.get("/api/v1/ledgers/hazard/records?limit=500").unwrap();
            let listed = list.json()["items"]
                .as_array()
                .map(|a| a.iter().any(|r| r["id"] == id))
                .unwrap_or(false);
            assert_eq!(listed, sees, "{user} list");
            // Export: the same scope as the list (a clerk of another township never gets the record).
            let x = c.get("/api/v1/ledgers/hazard/export?format=csv").unwrap();
            if user == "evaluator" {
                assert_eq!(x.status, 403, "{user} export");
            } else {
                assert_eq!(x.status, 200, "{user} export: {}", x.text());
                let exported = x
                    .text()
                    .lines()
                    .any(|l| l.split(',').next() == Some(id.to_string().as_str()));
                assert_eq!(exported, sees, "{user} export");
            }
            // Writes that must be refused change nothing.
            let refused = |status: u16| status == 403 || (!sees && status == 404);
            if !edit {
                let r = c
                    .patch(
                        &format!("/api/v1/records/{id}"),
                        &json!({"version": version, "fields": {"inspection": "改"}}),
                    )
                    .unwrap();
                assert!(refused(r.status), "{user} PATCH: {} {}", r.status, r.text());
            }
            if !dispatch {
                let r = c
                    .post(
                        &format!("/api/v1/records/{id}/transitions"),
                        &json!({"transition": "交办", "version": version, "fields": {"deadline": "2026-12-30"}}),
                    )
                    .unwrap();
                assert!(refused(r.status), "{user} 交办: {} {}", r.status, r.text());
            }
            if !void {
                let r = c
                    .post(
                        &format!("/api/v1/records/{id}/void"),
                        &json!({"version": version, "reason": "测试"}),
                    )
                    .unwrap();
                assert!(refused(r.status), "{user} void: {} {}", r.status, r.text());
            }
            if !urge {
                let r = c
                    .post(&format!("/api/v1/records/{id}/urge"), &json!({"note": "请加快"}))
                    .unwrap();
                assert!(refused(r.status), "{user} urge: {} {}", r.status, r.text());
            }
            assert_eq!(event_count(&s), before, "{user}: a refused request wrote an event");
            // Allowed writes go through (edit and urge; 交办 and void end the loop, so only probe them).
            if edit {
                let r = c
                    .patch(
                        &format!("/api/v1/records/{id}"),
                        &json!({"version": version, "fields": {"inspection": format!("{user}检查")}}),
                    )
                    .unwrap();
                assert_eq!(r.status, 200, "{user} PATCH allowed: {}", r.text());
            }
            if urge {
                let r = c
                    .post(&format!("/api/v1/records/{id}/urge"), &json!({"note": "请加快"}))
                    .unwrap();
                assert_eq!(r.status, 200, "{user} urge allowed: {}", r.text());
            }
        }
        // The creator's township cannot be left by a clerk of another township.
        let mut qs = s.client("clerk_qs");
        let r = qs
            .post(
                "/api/v1/ledgers/hazard/records",
                &json!({"fields": hazard("620902100", s.county.qingshui, "越界登记")}),
            )
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text());
        let mut ev = s.client("evaluator");
        assert_eq!(
            ev.get("/api/v1/ledgers").unwrap().json()["items"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        assert_eq!(ev.get("/api/v1/audit/events").unwrap().status, 403);
        assert_eq!(s.client("clerk_xd").get("/api/v1/users").unwrap().status, 403);
        s.stop();
    }
}

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    for s in start_all() {
        let rec = create_hazard(&s, "office", "620902100");
        let id = rec["id"].as_i64().unwrap();
        let before = event_count(&s);
        let mut c = s.client("office");
        let path = "/api/v1/ledgers/hazard/records";
        // Oversized.
        let r = c
            .announce("POST", path, 2 * 1024 * 1024, b"{\"fields\": {\"description\": \"")
            .unwrap();
        assert_eq!(r.status, 413, "{}", r.text());
        assert_eq!(r.json()["error"]["code"], "payload_too_large");
        // Malformed JSON, wrong type, unknown keys, wrong shapes.
        let r = c
            .send("POST", path, Some(b"{\"fields\": {"), "application/json")
            .unwrap();
        assert_eq!((r.status, r.json()["error"]["code"].as_str()), (400, Some("bad_json")));
        let r = c
            .send("POST", path, Some(b"fields=1"), "application/x-www-form-urlencoded")
            .unwrap();
        assert_eq!(r.status, 415);
        let r = c.post(path, &json!({"fields": {}, "extra": 1})).unwrap();
        assert_eq!(r.status, 400, "{}", r.text());
        let r = c.post(path, &json!({"fields": [1, 2]})).unwrap();
        assert_eq!(r.status, 400);
        let r = c
            .send("POST", path, Some(&[0xff, 0xfe, 0x00]), "application/json")
            .unwrap();
        assert_eq!(r.status, 400);
        // Field validation: every bad field named.
        let mut f = hazard("620902100", s.county.yingji, "x");
        f.insert("credit_code".into(), json!("91350100M000100Y44"));
        f.insert("found_on".into(), json!("2026-02-30"));
        f.insert("grade".into(), json!("特大"));
        f.insert("nope".into(), json!(1));
        let r = c.post(path, &json!({"fields": f})).unwrap();
        assert_eq!(r.status, 422);
        let mut fields: Vec<String> = r.json()["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap().to_string())
            .collect();
        fields.sort();
        assert_eq!(fields, ["credit_code", "found_on", "grade", "nope"]);
        // Forged and malformed ids, unknown ledgers.
        assert_eq!(c.get("/api/v1/records/99999999").unwrap().status, 404);
        assert_eq!(c.get("/api/v1/records/abc").unwrap().status, 400);
        assert_eq!(c.get("/api/v1/records/-1").unwrap().status, 400);
        assert_eq!(c.get("/api/v1/ledgers/nope/records").unwrap().status, 404);
        assert_eq!(c.get("/api/v1/ledgers/hazard/records?unit=abc").unwrap().status, 400);
        assert_eq!(c.get("/api/v1/ledgers/hazard/records?cursor=zzz").unwrap().status, 400);
        assert_eq!(c.get("/api/v1/nothing").unwrap().status, 404);
        // Stale version.
        let r = c
            .patch(
                &format!("/api/v1/records/{id}"),
                &json!({"version": 99, "fields": {"inspection": "x"}}),
            )
            .unwrap();
        assert_eq!(r.status, 409, "{}", r.text());
        // No or bad credentials.
        let mut anon = s.client("");
        assert_eq!(anon.get("/api/v1/me").unwrap().status, 401);
        anon.token = Some("0".repeat(64));
        assert_eq!(anon.get("/api/v1/me").unwrap().status, 401);
        assert_eq!(event_count(&s), before, "a refused request wrote an event");
        s.stop();
    }
}

#[test]
fn cookie_sessions_need_the_csrf_token_and_logins_lock() {
    for s in start_all() {
        let mut c = s.client("");
        let r = c
            .post(
                "/api/v1/auth/login",
                &json!({"username": "office", "password": lvzhi_testkit::county::PASSWORD}),
            )
            .unwrap();
        let cookie = r.header("set-cookie").unwrap().to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let csrf = r.json()["csrf"].as_str().unwrap().to_string();
        let session = cookie.split(';').next().unwrap().to_string();
        let mut b = s.client("");
        b.headers.push(("Cookie".into(), session));
        assert_eq!(b.get("/api/v1/me").unwrap().status, 200);
        let body = json!({"fields": hazard("620902100", s.county.yingji, "CSRF")});
        let r = b.post("/api/v1/ledgers/hazard/records", &body).unwrap();
        assert_eq!((r.status, r.json()["error"]["code"].as_str()), (403, Some("csrf")));
        b.headers.push(("X-CSRF-Token".into(), "0".repeat(64)));
        assert_eq!(b.post("/api/v1/ledgers/hazard/records", &body).unwrap().status, 403);
        b.headers.pop();
        b.headers.push(("X-CSRF-Token".into(), csrf));
        assert_eq!(b.post("/api/v1/ledgers/hazard/records", &body).unwrap().status, 201);
        assert_eq!(b.post("/api/v1/auth/logout", &json!({})).unwrap().status, 204);
        assert_eq!(b.get("/api/v1/me").unwrap().status, 401);
        // Lockout after five failures, even for the right password.
        let mut x = s.client("");
        for _ in 0..4 {
            assert_eq!(
                x.post(
                    "/api/v1/auth/login",
                    &json!({"username": "clerk_qs", "password": "wrong-pass"})
                )
                .unwrap()
                .status,
                401
            );
        }
        let r = x
            .post(
                "/api/v1/auth/login",
                &json!({"username": "clerk_qs", "password": "wrong-pass"}),
            )
            .unwrap();
        assert_eq!(r.status, 429);
        assert!(r.header("retry-after").is_some());
        let r = x.login("clerk_qs", lvzhi_testkit::county::PASSWORD);
        assert_eq!(r.status, 429, "{}", r.text());
        s.stop();
    }
}

#[test]
fn openapi_document_is_served() {
    let s = crate::server::start(lvzhi_testkit::TestDb::sqlite());
    let doc = s.client("").get("/api/v1/openapi.json").unwrap().json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/records/{id}/transitions"]["post"].is_object());
    s.stop();
}

/// Uploads the after photo 提交验收 needs (issue 16) through the API.
fn after_photo(c: &mut lvzhi_testkit::http::Client, id: i64) {
    let photo = lvzhi_files::sample::photo(320, 240, Some("2026:11:24 10:00:00"), None);
    let r = c
        .upload(
            &format!("/api/v1/records/{id}/attachments"),
            &[("kind", "整改后照片")],
            &[("整改后.jpg", &photo)],
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
}

/// Dates that make sense (issue 16): the pack's date rules refuse a 整改完成日期
/// before the 发现日期 or in the future, with the message naming both fields.
#[test]
fn date_rules_refuse_over_http_with_the_fields_named() {
    for s in start_all() {
        let rec = create_hazard(&s, "clerk_xd", "620902100");
        let id = rec["id"].as_i64().unwrap();
        let mut office = s.client("office");
        assign(&mut office, id);
        let mut yj = s.client("clerk_yj");
        after_photo(&mut yj, id);
        let submit = |yj: &mut lvzhi_testkit::http::Client, on: &str| {
            yj.post(
                &format!("/api/v1/records/{id}/transitions"),
                &json!({"transition": "提交验收", "version": 2, "fields": {"measures": "已重新接地", "rectified_on": on}}),
            )
            .unwrap()
        };
        // found_on is 2026-11-20 (testkit's hazard).
        let r = submit(&mut yj, "2026-11-01");
        assert_eq!(r.status, 422, "{}", r.text());
        let d = &r.json()["error"]["details"][0];
        assert_eq!(d["field"], "rectified_on");
        assert_eq!(
            d["message"],
            "整改完成日期（2026年11月1日）不能早于发现日期（2026年11月20日）"
        );
        // 25 days past the later of the real day and the servers' (demo-clocked) day.
        let today = lvzhi_core::time::local_date(jiff::Timestamp::now()).max(jiff::civil::date(2026, 11, 25));
        let future = today.checked_add(jiff::Span::new().days(25)).unwrap();
        let r = submit(&mut yj, &future.to_string());
        assert_eq!(r.status, 422, "{}", r.text());
        let msg = r.json()["error"]["details"][0]["message"].as_str().unwrap().to_string();
        let head = format!("整改完成日期（{}）不能晚于今天（", lvzhi_core::time::date_cn(future));
        assert!(msg.starts_with(&head) && msg.ends_with("日）"), "{msg}");
        // Nothing changed; the same day as found is fine.
        let r = submit(&mut yj, "2026-11-20");
        assert_eq!(r.status, 200, "{}", r.text());
        // A create with a future 发现日期 is refused the same way.
        let mut fields = lvzhi_testkit::county::hazard("620902100", s.county.yingji, "未来的隐患");
        fields.insert("found_on".into(), json!(future.to_string()));
        let r = s
            .client("clerk_xd")
            .post("/api/v1/ledgers/hazard/records", &json!({ "fields": fields }))
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.json()["error"]["details"][0]["field"], "found_on");
        s.stop();
    }
}

/// The write routes and the roles that may use them. Every write operation
/// of the OpenAPI document must be listed here (a new route fails the test
/// until someone decides who may call it). `None`: not a role's route
/// (login, logout, the anonymous ballot with its token, and each user's own
/// password and sessions, which every signed-in user manages for themself —
/// tested in lvzhi-web's tests/security.rs).
const WRITE_ROLES: &[(&str, &str, Option<&[&str]>)] = &[
    ("post", "/api/v1/auth/login", None),
    ("post", "/api/v1/auth/logout", None),
    ("post", "/api/v1/auth/password", None),
    ("delete", "/api/v1/auth/sessions/{id}", None),
    ("post", "/api/v1/assessments/ballot", None),
    ("post", "/api/v1/assessments/ballot/cast", None),
    // Self-service: each user marks only their own notices read (tested in lvzhi-web tests/inbox.rs).
    ("post", "/api/v1/notices/read", None),
    ("post", "/api/v1/notices/{id}/read", None),
    // 协办 (issue 17): only ledgers with `[co_units]` take these, never this test's hazards; every role
    // against both routes on a 督办事项 is lvzhi-web's tests/co_units.rs (`co_unit_routes_against_every_role`).
    ("put", "/api/v1/records/{id}/co-units", None),
    ("post", "/api/v1/records/{id}/opinions", None),
    ("post", "/api/v1/auth/totp", None),
    ("post", "/api/v1/auth/totp/enrol", None),
    ("post", "/api/v1/auth/totp/confirm", None),
    // 三员分立: the system administrator makes ordinary accounts and acts on
    // them; the security administrator owns roles, unlocking, second factors
    // and the policy (and the administrators' accounts); the audit
    // administrator writes nothing at all.
    ("post", "/api/v1/users", Some(&["admin"])),
    ("post", "/api/v1/users/import", Some(&["admin"])),
    ("post", "/api/v1/outbox/channels", Some(&["admin"])),
    ("post", "/api/v1/users/{name}/role", Some(&["secadmin"])),
    ("post", "/api/v1/users/{name}/password", Some(&["admin", "secadmin"])),
    ("post", "/api/v1/users/{name}/state", Some(&["admin", "secadmin"])),
    ("post", "/api/v1/users/{name}/unlock", Some(&["secadmin"])),
    ("post", "/api/v1/users/{name}/totp/reset", Some(&["secadmin"])),
    ("put", "/api/v1/security/policy", Some(&["secadmin"])),
    (
        "post",
        "/api/v1/ledgers/{ledger}/records",
        Some(&[
            "admin", "office", "clerk_xd", "head_xd", "clerk_qs", "clerk_yj", "head_yj",
        ]),
    ),
    (
        "patch",
        "/api/v1/records/{id}",
        Some(&["admin", "office", "clerk_xd", "head_xd", "clerk_yj", "head_yj"]),
    ),
    (
        "post",
        "/api/v1/records/{id}/transitions",
        Some(&["admin", "office", "head_xd", "head_yj"]),
    ),
    (
        "post",
        "/api/v1/records/{id}/void",
        Some(&["admin", "office", "head_xd", "head_yj"]),
    ),
    (
        "post",
        "/api/v1/records/{id}/urge",
        Some(&["admin", "office", "leader"]),
    ),
    (
        "post",
        "/api/v1/records/{id}/attachments",
        Some(&["admin", "office", "clerk_xd", "head_xd", "clerk_yj", "head_yj"]),
    ),
    (
        "post",
        "/api/v1/attachments/{id}/void",
        Some(&["admin", "office", "clerk_xd", "head_xd", "clerk_yj", "head_yj"]),
    ),
    ("post", "/api/v1/warnings/{id}/ack", Some(&["admin", "office"])),
    (
        "post",
        "/api/v1/reports/{template}/versions",
        Some(&["admin", "office"]),
    ),
    ("post", "/api/v1/assessments", Some(&["admin", "office"])),
    ("post", "/api/v1/assessments/{id}/tokens", Some(&["admin", "office"])),
    ("post", "/api/v1/assessments/{id}/open", Some(&["admin", "office"])),
    ("post", "/api/v1/assessments/{id}/close", Some(&["admin", "office"])),
    ("post", "/api/v1/assessments/{id}/publish", Some(&["admin", "office"])),
];

/// The API routes the web crate declares (`.route("/api/…", …)` in its
/// source, wherever the router is split), with their methods.
fn declared_routes() -> std::collections::BTreeSet<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut texts = vec![];
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lvzhi-web/src"),
        &mut texts,
    );
    let mut out = std::collections::BTreeSet::new();
    for text in texts {
        for seg in text.split(".route(").skip(1) {
            let seg = seg.trim_start();
            let Some(rest) = seg.strip_prefix('"') else { continue };
            let Some((path, tail)) = rest.split_once('"') else {
                continue;
            };
            if !path.starts_with("/api/") {
                continue;
            }
            // The handlers up to the route's closing parenthesis.
            let mut depth = 1;
            let end = tail
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(tail.len(), |(i, _)| i);
            for m in ["get", "post", "patch", "put", "delete"] {
                let t = &tail[..end];
                if t.contains(&format!("{m}(")) && !t.contains(&format!("_{m}(")) || t.starts_with(&format!(", {m}(")) {
                    out.insert((m.to_string(), path.to_string()));
                }
            }
        }
    }
    out
}

/// Every write route of the router, against every role: a role that may not
/// use it is refused (403, or 404 where it does not see the record) and
/// nothing is written; a role that may is never told 401/403. The routes come
/// from the OpenAPI document, checked against the routes the web crate declares.
#[test]
fn every_write_route_against_every_role() {
    let s = crate::server::start(lvzhi_testkit::TestDb::sqlite());
    let doc = s.client("").get("/api/v1/openapi.json").unwrap().json();
    let mut documented = std::collections::BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for m in ops.as_object().unwrap().keys() {
            documented.insert((m.clone(), path.clone()));
        }
    }
    for r in declared_routes() {
        assert!(
            documented.contains(&r),
            "route {r:?} is in the router but not in the OpenAPI document"
        );
    }
    let writes: Vec<_> = documented.iter().filter(|(m, _)| m != "get").collect();
    assert!(writes.len() >= 15, "{writes:?}");
    for (m, p) in &writes {
        assert!(
            WRITE_ROLES.iter().any(|(wm, wp, _)| wm == m && wp == p),
            "write route {m} {p} has no entry in WRITE_ROLES: decide who may call it"
        );
    }
    let users = [
        "admin",
        "office",
        "leader",
        "clerk_xd",
        "head_xd",
        "clerk_qs",
        "clerk_yj",
        "head_yj",
        "auditor",
        "secadmin",
        "auditadmin",
        "evaluator",
    ];
    // The account the account routes act on (an ordinary one), and an
    // administrator's account only the security administrator may touch.
    let sys = lvzhi_store::Store::system_access();
    for (name, role) in [
        ("rt_target", lvzhi_core::access::Role::Evaluator),
        ("rt_sysadmin2", lvzhi_core::access::Role::Admin),
    ] {
        s.rt.block_on(s.store.add_user(
            &sys,
            &lvzhi_store::auth::NewUser {
                username: name.into(),
                display_name: name.into(),
                password: "Target#county-1".into(),
                role,
                unit_id: None,
                division: None,
                person_id: None,
            },
        ))
        .unwrap();
    }
    let policy = serde_json::to_value(s.store.policy()).unwrap();
    for (m, p, roles) in WRITE_ROLES {
        let Some(roles) = roles else { continue };
        for user in users {
            // A fresh 西洞镇 record for each call on a record, so no call changes the next one's state.
            let (id, version) = if p.contains("/records/{id}") {
                let rec = create_hazard(&s, "clerk_xd", "620902100");
                (rec["id"].as_i64().unwrap(), rec["version"].as_i64().unwrap())
            } else {
                (0, 0)
            };
            let path = p
                .replace("{ledger}", "hazard")
                .replace("{template}", "月度督查通报")
                .replace("{name}", "rt_target")
                .replace(
                    "{id}",
                    &if p.contains("/records/") {
                        id.to_string()
                    } else {
                        "1".into()
                    },
                );
            let body = match *p {
                "/api/v1/records/{id}/transitions" => {
                    json!({"transition": "交办", "version": version, "fields": {"deadline": "2026-12-30"}})
                }
                "/api/v1/records/{id}" => json!({"version": version, "fields": {"inspection": "改"}}),
                "/api/v1/records/{id}/void" => json!({"version": version, "reason": "角色测试"}),
                "/api/v1/records/{id}/urge" => json!({"note": "请加快"}),
                "/api/v1/attachments/{id}/void" => json!({"reason": "角色测试"}),
                "/api/v1/warnings/{id}/ack" => json!({"note": "已处理"}),
                "/api/v1/users" => {
                    json!({"username": format!("rt_{user}"), "password": "role-test-pass-1", "role": "evaluator"})
                }
                // In the caller's own township (清水镇 for its clerk).
                "/api/v1/ledgers/{ledger}/records" => {
                    let town = if user == "clerk_qs" { "620902101" } else { "620902100" };
                    json!({"fields": hazard(town, s.county.yingji, "角色测试")})
                }
                "/api/v1/reports/{template}/versions" => json!({"source": "# 角色测试", "parent": 0}),
                "/api/v1/assessments" => {
                    json!({"year": 2026, "title": "角色测试", "groups": [{"name": "县级领导", "weight": "100"}],
                    "subjects": [{"name": "王建国", "post": "副区长"}],
                    "opens_at": "2026-11-20T00:00:00Z", "closes_at": "2026-12-20T00:00:00Z"})
                }
                "/api/v1/assessments/{id}/tokens" => json!({"group_id": 1, "count": 1}),
                "/api/v1/users/{name}/role" => json!({"role": "evaluator"}),
                "/api/v1/users/{name}/password" => json!({"password": format!("Reset#{user}-2026")}),
                "/api/v1/users/{name}/state" => json!({"disabled": false}),
                "/api/v1/security/policy" => policy.clone(),
                "/api/v1/outbox/channels" => {
                    json!({"kind": "wecom", "name": format!("角色测试{user}"), "url": "http://127.0.0.1:9/robot"})
                }
                _ => json!({}),
            };
            let mut c = s.client(user);
            let before = event_count(&s);
            let r = c
                .send(
                    &m.to_uppercase(),
                    &path,
                    Some(body.to_string().as_bytes()),
                    "application/json",
                )
                .unwrap();
            if roles.contains(&user) {
                assert!(
                    r.status != 401 && r.status != 403,
                    "{user} may {m} {path}: {} {}",
                    r.status,
                    r.text()
                );
            } else {
                assert!(
                    r.status == 403 || r.status == 404,
                    "{user} may not {m} {path}: {} {}",
                    r.status,
                    r.text()
                );
                assert_eq!(
                    event_count(&s),
                    before,
                    "{user} {m} {path}: a refused request wrote an event"
                );
            }
        }
    }
    // No administrator acts as another: the system administrator may not
    // reset or disable an administrator's account, nor give anyone an
    // administrator's role; the audit log is the audit administrator's (and
    // the auditors'), not the other two administrators'.
    let mut admin = s.client("admin");
    for (path, body) in [
        (
            "/api/v1/users/rt_sysadmin2/password",
            json!({"password": "Reset#admin-2026"}),
        ),
        ("/api/v1/users/rt_sysadmin2/state", json!({"disabled": true})),
        ("/api/v1/users/rt_target/role", json!({"role": "audit_admin"})),
        // An account that reads the audit log is the security administrator's too
        // (else a reset would hand the system administrator the log).
        (
            "/api/v1/users/auditor/password",
            json!({"password": "Reset#audit-2026"}),
        ),
        ("/api/v1/users/auditor/state", json!({"disabled": true})),
    ] {
        let before = event_count(&s);
        let r = admin.post(path, &body).unwrap();
        assert_eq!(r.status, 403, "admin {path}: {}", r.text());
        assert_eq!(event_count(&s), before);
    }
    for role in ["sec_admin", "auditor"] {
        let r = admin
            .post(
                "/api/v1/users",
                &json!({"username": "rt_sec2", "password": "Second#county-1", "role": role}),
            )
            .unwrap();
        assert_eq!(
            r.status,
            403,
            "the system administrator made a {role} account: {}",
            r.text()
        );
    }
    let mut sec = s.client("secadmin");
    let r = sec
        .post("/api/v1/users/secadmin/role", &json!({"role": "audit_admin"}))
        .unwrap();
    assert_eq!(
        r.status,
        403,
        "the security administrator changed their own role: {}",
        r.text()
    );
    let r = sec
        .post(
            "/api/v1/users/rt_sysadmin2/password",
            &json!({"password": "Reset#sec-2026"}),
        )
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.text());
    for path in ["/api/v1/audit/events", "/api/v1/audit/verify"] {
        for (user, status) in [("admin", 403), ("secadmin", 403), ("auditadmin", 200), ("auditor", 200)] {
            let r = s.client(user).get(path).unwrap();
            assert_eq!(r.status, status, "{user} GET {path}: {}", r.text());
        }
    }
    // The audit and security administrators see no ledger.
    for user in ["secadmin", "auditadmin"] {
        let r = s.client(user).get("/api/v1/ledgers/hazard/records").unwrap();
        assert!(
            r.status == 403 || r.json()["items"].as_array().is_some_and(|a| a.is_empty()),
            "{user} read records: {} {}",
            r.status,
            r.text()
        );
    }
    // Warnings: the role check is in `acknowledge` itself (the API and the 督办 page alike).
    let clerk = s.county.access("clerk_xd");
    let e =
        s.rt.block_on(lvzhi_metrics::warn::acknowledge(
            &s.store,
            &clerk,
            "overdue:市场监管局",
            "已处理",
        ))
        .unwrap_err();
    assert!(e.to_string().contains("不能确认预警"), "{e}");
    s.stop();
}

/// Export reads its filters as `/records` does: a malformed or unknown value
/// is a 400, not the whole ledger (issue 15).
#[test]
fn export_validates_its_filters() {
    let s = crate::server::start(lvzhi_testkit::TestDb::sqlite());
    create_hazard(&s, "clerk_xd", "620902100");
    let mut c = s.client("office");
    for bad in ["unit=abc", "warning=bogus", "owner=x"] {
        let list = c.get(&format!("/api/v1/ledgers/hazard/records?{bad}")).unwrap();
        assert_eq!(list.status, 400, "records {bad}: {}", list.text());
        let x = c
            .get(&format!("/api/v1/ledgers/hazard/export?format=csv&{bad}"))
            .unwrap();
        assert_eq!(x.status, 400, "export {bad}: {}", x.text());
    }
    let ok = c
        .get("/api/v1/ledgers/hazard/export?format=csv&warning=red&q=_")
        .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(
        ok.text().lines().count(),
        1,
        "only the header: nothing is red, nothing contains _"
    );
    s.stop();
}
