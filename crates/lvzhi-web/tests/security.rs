//! Issue 18 over HTTP: the forced and self-service password change, the
//! source address on login events, the 审计 page in Chinese with filters,
//! and exports on the audit trail. Each test runs on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::site::{Server, location};
use lvzhi_testkit::county::PASSWORD;
use serde_json::json;

/// An administrator's reset forces a change: the API refuses everything
/// but the change (403 `password_change_required`), the UI sends every page
/// to /password; the change (current password, policy) ends the sessions.
#[test]
fn forced_and_self_service_change() {
    for s in Server::both() {
        let admin = s.county.access("admin");
        s.rt.block_on(s.store.set_password(&admin, "clerk_qs", "Reset#qs-2026"))
            .unwrap();

        let mut c = lvzhi_testkit::http::Client::new(s.addr);
        let r = c.login("clerk_qs", "Reset#qs-2026");
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json()["must_change"].as_str().unwrap().contains("修改密码"));
        let r = c.get("/api/v1/ledgers").unwrap();
        assert_eq!(
            (r.status, r.json()["error"]["code"].clone()),
            (403, json!("password_change_required")),
            "{}",
            r.text()
        );
        assert_eq!(c.get("/api/v1/me").unwrap().status, 200);
        let weak = c
            .post(
                "/api/v1/auth/password",
                &json!({"old": "Reset#qs-2026", "new": "password1"}),
            )
            .unwrap();
        assert_eq!(weak.status, 400, "{}", weak.text());
        let wrong = c
            .post("/api/v1/auth/password", &json!({"old": "nope", "new": "Fresh#qs-2027"}))
            .unwrap();
        assert_eq!(wrong.status, 400);
        let ok = c
            .post(
                "/api/v1/auth/password",
                &json!({"old": "Reset#qs-2026", "new": "Fresh#qs-2027"}),
            )
            .unwrap();
        assert_eq!(ok.status, 204, "{}", ok.text());
        assert_eq!(c.get("/api/v1/me").unwrap().status, 401, "the change ends the session");
        let r = c.login("clerk_qs", "Fresh#qs-2027");
        assert!(r.json()["must_change"].is_null());
        assert_eq!(c.get("/api/v1/ledgers").unwrap().status, 200);

        // The UI: reset again; the login lands on /password and so does every page.
        s.rt.block_on(s.store.set_password(&admin, "clerk_qs", "Reset#qs-2028"))
            .unwrap();
        let mut b = s.browser();
        let r = b.login("clerk_qs", "Reset#qs-2028");
        assert_eq!((r.status, location(&r)), (303, "/password".to_string()));
        let r = b.get("/todo");
        assert_eq!((r.status, location(&r)), (303, "/password".to_string()));
        let page = b.get("/password");
        assert!(
            page.text().contains("修改密码") && page.text().contains("管理员重置"),
            "{}",
            page.text()
        );
        let csrf = common::site::csrf_of(&page.text());
        let r = b.post(
            "/password",
            &[
                ("csrf", &csrf),
                ("old", "Reset#qs-2028"),
                ("new", "Other#qs-2029"),
                ("new2", "Other#qs-2028"),
            ],
        );
        assert!(r.status == 400 && r.text().contains("不一致"));
        let r = b.post(
            "/password",
            &[
                ("csrf", &csrf),
                ("old", "Reset#qs-2028"),
                ("new", "Other#qs-2029"),
                ("new2", "Other#qs-2029"),
            ],
        );
        assert_eq!((r.status, location(&r)), (303, "/login?changed=1".to_string()));
        let r = s.browser().login("clerk_qs", "Other#qs-2029");
        assert_eq!(r.status, 303);
        assert_ne!(location(&r), "/password");
    }
}

/// Logins carry the source address; the 审计 page shows Chinese (no raw
/// codes, no `user 10`), filters by user and kind; exports are events.
#[test]
fn audit_page_in_chinese_with_filters() {
    for s in Server::both() {
        let mut c = s.client("clerk_xd");
        let _ = lvzhi_testkit::http::Client::new(s.addr).login("clerk_yj", "Wrong#pass-1");
        let r = c.get("/api/v1/ledgers/hazard/export?format=csv").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(s.last_event_kinds(1), vec!["export.records"]);

        let mut b = s.signed_in("auditor");
        let html = b.get("/audit").text();
        for raw in [
            "auth.login",
            "record.create",
            "user.add",
            "export.records",
            ">user ",
            "assess.campaign",
        ] {
            assert!(!html.contains(raw), "raw code {raw} on the page");
        }
        for shown in ["登录", "登录失败", "导出台账", "127.0.0.1", "密码错误", "成功"] {
            assert!(html.contains(shown), "{shown} missing");
        }
        let only = b.get("/audit?actor=clerk_xd&kind=auth.").text();
        assert!(only.contains("<td>clerk_xd</td>"), "{only}");
        assert!(
            !only.contains("导出台账") && !only.contains("<td>auditor</td>") && !only.contains("添加用户"),
            "{only}"
        );
        let api = s
            .client("auditor")
            .get("/api/v1/audit/events?kind=auth.login_failed")
            .unwrap();
        let items = api.json()["items"].as_array().unwrap().clone();
        assert!(!items.is_empty());
        assert!(
            items
                .iter()
                .all(|i| i["line"]["action"] == "登录失败" && i["line"]["address"] == "127.0.0.1")
        );
        assert_eq!(s.client("clerk_xd").get("/api/v1/audit/events").unwrap().status, 403);
        let _ = PASSWORD;
    }
}
