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

/// 管理 → 安全策略: the security administrator sees the policy in force and
/// changes it; an out-of-range number is named at its field in Chinese and
/// nothing is saved; the change takes effect at once (the new length is
/// required of a password change) and is on the audit trail as a
/// configuration change with the policy before and after. Everyone else,
/// the system administrator included, gets 403 and saves nothing.
#[test]
fn security_policy_page_for_the_security_administrator() {
    for s in Server::both() {
        let mut sec = s.signed_in("secadmin");
        let page = sec.get("/admin/security");
        assert_eq!(page.status, 200, "{}", page.text());
        let html = page.text();
        for needle in [
            "安全策略",
            "密码最短长度",
            "无操作自动退出",
            "name=\"idle_minutes\" value=\"30\"",
            "name=\"expiry_days\" value=\"90\"",
            "须用动态验证码登录的角色",
        ] {
            assert!(html.contains(needle), "{needle} not on the page");
        }
        assert!(
            !html.contains("min_length\" value=\"0"),
            "the page shows the policy in force"
        );
        let csrf = sec.csrf();
        let mut form: Vec<(&str, &str)> = vec![
            ("csrf", &csrf),
            ("min_length", "10"),
            ("min_classes", "3"),
            ("history", "5"),
            ("expiry_days", "90"),
            ("max_failed", "4"),
            ("max_failed_per_address", "20"),
            ("lock_minutes", "15"),
            ("idle_minutes", "2000"),
            ("session_hours", "12"),
            ("first_login_change", "1"),
            ("totp_roles", "auditor"),
            ("totp_roles", "leader"),
        ];
        let before = s.store.policy();
        let r = sec.post("/admin/security", &form);
        assert_eq!(r.status, 422);
        assert!(r.text().contains("无操作自动退出应在1到1440分钟之间"), "{}", r.text());
        assert!(r.text().contains("value=\"2000\""), "the entered value is kept");
        assert_eq!(s.store.policy(), before, "a refused form saved something");
        form[8] = ("idle_minutes", "20");
        let r = sec.post("/admin/security", &form);
        assert_eq!(
            (r.status, location(&r)),
            (303, "/admin/security?ok=saved".to_string()),
            "{}",
            r.text()
        );
        let p = s.store.policy();
        assert_eq!((p.min_length, p.max_failed, p.idle_minutes), (10, 4, 20), "{p:?}");
        assert_eq!(
            p.totp_roles,
            vec![lvzhi_store::Role::Auditor, lvzhi_store::Role::Leader]
        );
        let page = sec.get("/admin/security?ok=saved").text();
        assert!(page.contains("已保存安全策略") && page.contains("name=\"min_length\" value=\"10\""));
        assert_eq!(s.last_event_kinds(1), vec!["config.policy"]);
        let aud = s.county.access("auditadmin");
        let ev =
            s.rt.block_on(s.store.events(&aud, None, Some("config.policy"), 1))
                .unwrap();
        let data = &ev[0].data;
        assert_eq!(
            (
                data["before"]["min_length"].clone(),
                data["after"]["min_length"].clone()
            ),
            (json!(8), json!(10))
        );
        // In force at once: a 9-character password no longer passes.
        let mut c = s.client("clerk_qs");
        let r = c
            .post("/api/v1/auth/password", &json!({"old": PASSWORD, "new": "Nine#char"}))
            .unwrap();
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains("10"), "{}", r.text());
        // Nobody else: view or save.
        for user in ["admin", "auditadmin", "office", "clerk_xd"] {
            let mut b = s.signed_in(user);
            assert_eq!(b.get("/admin/security").status, 403, "{user} viewed the policy page");
            let csrf = b.csrf();
            let mut f = form.clone();
            f[0] = ("csrf", &csrf);
            f[1] = ("min_length", "8");
            assert_eq!(b.post("/admin/security", &f).status, 403, "{user} saved the policy");
        }
        assert_eq!(s.store.policy().min_length, 10);
        // The tab: the security administrator's, not the system administrator's.
        assert!(sec.get("/admin/users").text().contains("href=\"/admin/security\""));
        assert!(
            !s.signed_in("admin")
                .get("/admin/users")
                .text()
                .contains("href=\"/admin/security\"")
        );
    }
}

/// `POST /api/v1/users/import`: the system administrator sends the xlsx as
/// the body; bad rows come back as `{row, field, message}` with 422 and
/// nothing is created; `check=true` only checks; the good sheet creates
/// every account (201) with a one-time password that must be changed at the
/// first login; others get 403.
#[test]
fn bulk_accounts_over_the_api() {
    let sheet = |rows: &[[&str; 4]]| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["姓名", "手机号", "单位", "角色"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    };
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    for s in Server::both() {
        let good = [
            ["李明", "13800000001", "西洞镇人民政府", "经办人"],
            ["王芳", "13900000002", "应急管理局", "单位负责人"],
        ];
        let mut bad = good.to_vec();
        bad.push(["钱一", "1360000", "不存在局", "审计监督"]);
        let users_before = s.rt.block_on(s.store.users()).unwrap().len();
        let mut admin = s.client("admin");
        let r = admin
            .send("POST", "/api/v1/users/import?name=账号.xlsx", Some(&sheet(&bad)), XLSX)
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text());
        let j = r.json();
        assert_eq!(j["error"]["code"], "invalid");
        assert!(j["error"]["message"].as_str().unwrap().contains("未创建任何用户"));
        let cells: Vec<(i64, String)> = j["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["row"].as_i64().unwrap(), p["field"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            cells,
            vec![(4, "手机号".into()), (4, "角色".into()), (4, "单位".into())],
            "{j}"
        );
        assert_eq!(s.rt.block_on(s.store.users()).unwrap().len(), users_before);
        let r = admin
            .send("POST", "/api/v1/users/import?check=true", Some(&sheet(&good)), XLSX)
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["problems"], json!([]));
        assert_eq!(s.rt.block_on(s.store.users()).unwrap().len(), users_before);
        for user in ["secadmin", "auditadmin", "office"] {
            let r = s
                .client(user)
                .send("POST", "/api/v1/users/import", Some(&sheet(&good)), XLSX)
                .unwrap();
            assert_eq!(r.status, 403, "{user}: {}", r.text());
        }
        let r = admin
            .send("POST", "/api/v1/users/import", Some(b"not a sheet"), XLSX)
            .unwrap();
        assert_eq!(r.status, 400, "{}", r.text());
        let r = admin
            .send("POST", "/api/v1/users/import", Some(&sheet(&good)), XLSX)
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        let created = r.json()["created"].as_array().unwrap().clone();
        assert_eq!(created.len(), 2);
        assert_eq!(
            (created[1]["row"].clone(), created[1]["username"].clone()),
            (json!(3), json!("13900000002"))
        );
        assert_eq!(s.rt.block_on(s.store.users()).unwrap().len(), users_before + 2);
        assert_eq!(s.last_event_kinds(1), vec!["user.import"]);
        let pw = created[1]["password"].as_str().unwrap();
        let mut c = lvzhi_testkit::http::Client::new(s.addr);
        let r = c.login("13900000002", pw);
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json()["must_change"].is_string(), "{}", r.text());
        assert_eq!(c.get("/api/v1/ledgers").unwrap().status, 403, "forced change first");
    }
}

/// 登录会话: a user sees her live logins on `/account/sessions` (this one
/// marked 本次, the API one as 接口), ends another one there (that device is
/// sent to the login page, an `auth.revoke` event is written), cannot end
/// someone else's (the same answer as a missing one), and ending this one
/// logs her out.
#[test]
fn own_sessions_listed_and_ended_on_the_account_page() {
    for s in Server::both() {
        let mut phone = s.browser();
        assert_eq!(phone.login("clerk_xd", PASSWORD).status, 303);
        let mut desk = s.browser();
        assert_eq!(desk.login("clerk_xd", PASSWORD).status, 303);
        let mut api = lvzhi_testkit::http::Client::new(s.addr);
        assert_eq!(api.login("clerk_xd", PASSWORD).status, 200);

        let page = desk.get("/account/sessions");
        assert_eq!(page.status, 200, "{}", page.text());
        let html = page.text();
        let ids: Vec<String> = html
            .split("name=\"id\" value=\"")
            .skip(1)
            .map(|t| t.split('"').next().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), 3, "{html}");
        assert_eq!(html.matches("（本次）").count(), 1, "{html}");
        assert_eq!(html.matches("<td>接口").count(), 1, "{html}");
        assert!(html.contains("登录时间") && html.contains("年"), "{html}");
        assert!(desk.get("/").text().contains("href=\"/account/sessions\""));

        // The phone's session: the newest web one that is not this one.
        let phone_page = phone.get("/account/sessions").text();
        let current_of = |h: &str| {
            let i = h.find("（本次）").unwrap();
            let t = &h[i..];
            let j = t.find("name=\"id\" value=\"").unwrap() + "name=\"id\" value=\"".len();
            t[j..].split('"').next().unwrap().to_string()
        };
        let phone_id = current_of(&phone_page);
        let desk_id = current_of(&html);
        assert_ne!(phone_id, desk_id);

        // Someone else cannot end it: the answer of a missing session.
        let mut other = s.browser();
        assert_eq!(other.login("clerk_qs", PASSWORD).status, 303);
        let csrf = other.csrf();
        let r = other.post("/account/sessions/end", &[("csrf", &csrf), ("id", &phone_id)]);
        assert_eq!(r.status, 404, "{}", r.text());
        assert_eq!(phone.get("/todo").status, 200, "the phone is still signed in");
        let r = other.post("/account/sessions/end", &[("csrf", "wrong"), ("id", &phone_id)]);
        assert_eq!(r.status, 403);

        let events = |kind: &str| {
            s.rt.block_on(async {
                let mut c = s.store.pool().acquire().await.unwrap();
                c.conn()
                    .rows(&format!("SELECT COUNT(*) FROM events WHERE kind = '{kind}'"), &[])
                    .await
                    .unwrap()[0]
                    .i(0)
            })
        };
        let before = events("auth.revoke");
        let csrf = desk.csrf();
        let r = desk.post("/account/sessions/end", &[("csrf", &csrf), ("id", &phone_id)]);
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("已结束该登录会话"));
        assert_eq!(r.text().matches("name=\"id\" value=\"").count(), 2);
        assert_eq!(events("auth.revoke"), before + 1);
        let r = phone.get("/todo");
        assert_eq!(r.status, 303);
        assert!(location(&r).starts_with("/login"), "{}", location(&r));

        // Ending this one is a logout.
        let r = desk.post("/account/sessions/end", &[("csrf", &csrf), ("id", &desk_id)]);
        assert_eq!((r.status, location(&r)), (303, "/login".to_string()));
        assert!(location(&desk.get("/todo")).starts_with("/login"));
        assert_eq!(api.get("/api/v1/me").unwrap().status, 200, "the API session lives on");
    }
}
