//! The web UI over HTTP against an in-process server with the sample county:
//! login and logout, scope by URL, escaping, CSRF, form errors at their fields,
//! a transition by form, version conflicts, 404s, assets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use lvzhi_testkit::county::{PASSWORD, hazard};

#[path = "ui/import.rs"]
mod import_screens;
#[path = "ui/isolation.rs"]
mod isolation;

impl Server {
    /// Creates a hazard directly in the store as `user`; returns its id.
    fn hazard(&self, user: &str, township: &str, unit: i64, description: &str) -> i64 {
        let a = self.county.access(user);
        self.rt
            .block_on(self.store.create(&a, "hazard", hazard(township, unit, description)))
            .unwrap()
            .id
    }

    fn count(&self, user: &str) -> i64 {
        let a = self.county.access(user);
        let q = lvzhi_store::records::ListQuery {
            count: true,
            include_voided: true,
            ..Default::default()
        };
        self.rt
            .block_on(self.store.list(&a, "hazard", &q))
            .unwrap()
            .total
            .unwrap()
    }
}

#[test]
fn login_flow_lockout_and_logout() {
    let s = Server::start();
    let mut b = s.browser();
    // Not signed in: every page sends to the login page, remembering where.
    let r = b.get("/");
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), "/login");
    let r = b.get("/ledgers/hazard?state=%E6%95%B4%E6%94%B9%E4%B8%AD");
    assert_eq!(r.status, 303);
    assert!(
        location(&r).starts_with("/login?next=%2Fledgers%2Fhazard"),
        "{}",
        location(&r)
    );
    // The login page is Chinese and its form carries a token.
    let page = b.get("/login");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("用户名") && html.contains("密码"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("script-src 'self'")
    );
    // Wrong password: 401, in Chinese, the user name kept.
    let csrf = csrf_of(&html);
    let r = b.post(
        "/login",
        &[
            ("csrf", &csrf),
            ("username", "clerk_xd"),
            ("password", "wrong-password"),
        ],
    );
    assert_eq!(r.status, 401);
    assert!(r.text().contains("用户名或密码错误"), "{}", r.text());
    assert!(r.text().contains("value=\"clerk_xd\""));
    // A login form without its token is refused.
    let r = b.post("/login", &[("username", "clerk_xd"), ("password", PASSWORD)]);
    assert_eq!(r.status, 403);
    assert!(!b.cookies.contains_key("lvzhi_session"));
    // The right password: the API's cookie, HttpOnly and SameSite=Strict, then where we were going.
    let csrf = csrf_of(&b.get("/login").text());
    let r = b.post(
        "/login",
        &[
            ("csrf", &csrf),
            ("username", "clerk_xd"),
            ("password", PASSWORD),
            ("next", "/ledgers/hazard"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(location(&r), "/ledgers/hazard");
    let set = r
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .find(|v| v.starts_with("lvzhi_session="))
        .expect("session cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"));
    assert!(!set.contains("Secure"), "no TLS in this test");
    let home = b.get("/");
    assert_eq!(home.status, 200);
    let html = home.text();
    for s in [
        "我的待办",
        "台账概况",
        "clerk_xd",
        "经办人",
        "西洞镇人民政府",
        "安全生产隐患",
        "督查督办",
    ] {
        assert!(html.contains(s), "home lacks {s}");
    }
    assert!(!html.contains(">审计<"), "clerks have no audit menu");
    // An offsite `next` is ignored.
    let mut other = s.browser();
    let csrf = csrf_of(&other.get("/login").text());
    let r = other.post(
        "/login",
        &[
            ("csrf", &csrf),
            ("username", "auditor"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ],
    );
    assert_eq!(location(&r), "/");
    assert!(other.get("/").text().contains(">审计<"));
    // Logout needs the token; then the session is gone.
    let r = b.post("/logout", &[]);
    assert_eq!(r.status, 403);
    assert_eq!(b.get("/").status, 200);
    let csrf = b.csrf();
    let r = b.post("/logout", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), "/login?out=1");
    assert!(!b.cookies.contains_key("lvzhi_session"));
    assert!(b.get("/login?out=1").text().contains("您已安全退出"));
    // A stale cookie: back to the login page, told why.
    b.cookies.insert("lvzhi_session".into(), "ab".repeat(32));
    let r = b.get("/");
    assert_eq!(r.status, 303);
    assert!(location(&r).contains("expired=1"));
    assert!(b.get(&location(&r)).text().contains("登录已过期"));
    // Five wrong passwords lock the account: 429, said in Chinese.
    let mut l = s.browser();
    let mut last = None;
    for _ in 0..5 {
        last = Some(l.login("clerk_qs", "not-the-password"));
    }
    let r = last.unwrap();
    assert_eq!(r.status, 429);
    assert!(r.text().contains("登录失败次数过多，账号已锁定至"), "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("900"));
    let r = l.login("clerk_qs", PASSWORD);
    assert_eq!(r.status, 429, "still locked with the right password");
    s.stop();
}

#[test]
fn another_townships_record_by_url_is_404_like_a_missing_one() {
    let s = Server::start();
    let qs = s.hazard("clerk_qs", "620902101", s.county.qingshui, "清水镇的隐患");
    let mine = s.hazard("clerk_xd", "620902100", s.county.xidong, "西洞镇的隐患");
    let mut b = s.signed_in("clerk_xd");
    let r = b.get(&format!("/records/{mine}"));
    assert_eq!(r.status, 200);
    assert!(r.text().contains("西洞镇的隐患"));
    for path in [format!("/records/{qs}"), format!("/records/{qs}/edit")] {
        let r = b.get(&path);
        // The same answer as an id that does not exist: existence is not revealed.
        assert_eq!(r.status, 404, "{path}");
        let html = r.text();
        assert!(html.contains("未找到") && html.contains("不存在"), "{html}");
        assert!(!html.contains("清水镇的隐患"));
    }
    let csrf = b.csrf();
    let r = b.post(
        &format!("/records/{qs}/transition"),
        &[("csrf", &csrf), ("version", "1"), ("transition", "提交验收")],
    );
    assert_eq!(r.status, 404);
    let r = b.post(
        &format!("/records/{qs}/void"),
        &[("csrf", &csrf), ("version", "1"), ("reason", "试图作废")],
    );
    assert_eq!(r.status, 404);
    // The list shows only the clerk's own.
    let list = b.get("/ledgers/hazard").text();
    assert!(list.contains("西洞镇的隐患") && !list.contains("清水镇的隐患"));
    // Unknown record, unknown ledger, unknown page: HTML 404; the API keeps JSON.
    assert_eq!(b.get("/records/999999").status, 404);
    assert_eq!(b.get("/ledgers/nope").status, 404);
    let r = b.get("/no/such/page");
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("页面不存在"));
    let r = b.get("/api/v1/no/such");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "not_found");
    s.stop();
}

#[test]
fn user_text_is_escaped() {
    let s = Server::start();
    let id = s.hazard("clerk_xd", "620902100", s.county.xidong, "<script>alert(1)</script>");
    let mut b = s.signed_in("clerk_xd");
    let mut head = s.signed_in("head_xd");
    for (as_head, path) in [
        (false, format!("/records/{id}")),
        (false, "/ledgers/hazard".to_string()),
        (true, "/".to_string()),
    ] {
        let who = if as_head { &mut head } else { &mut b };
        let html = who.get(&path).text();
        assert!(!html.contains("<script>alert(1)</script>"), "{path} not escaped");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;alert(1)"),
            "{path} lacks the escaped text"
        );
    }
    // Search text and filters are echoed escaped too.
    let html = b.get("/ledgers/hazard?q=%22%3E%3Cb%3Ex").text();
    assert!(!html.contains("\"><b>x"));
    s.stop();
}

#[test]
fn a_form_post_without_the_csrf_token_changes_nothing() {
    let s = Server::start();
    let mut b = s.signed_in("clerk_xd");
    let before = s.count("admin");
    let fields = [
        ("f.description", "未带令牌的隐患"),
        ("f.company", "演示企业"),
        ("f.industry", "工贸"),
        ("f.grade", "一般"),
        ("f.township", "620902100"),
        ("f.found_on", "2026-11-20"),
    ];
    let r = b.post("/ledgers/hazard/new", &fields);
    assert_eq!(r.status, 403);
    assert!(r.text().contains("安全令牌"));
    let mut wrong = fields.to_vec();
    wrong.push(("csrf", "00"));
    assert_eq!(b.post("/ledgers/hazard/new", &wrong).status, 403);
    assert_eq!(s.count("admin"), before, "nothing written");
    // The same form with the session's token goes through.
    let csrf = b.csrf();
    let mut ok = fields.to_vec();
    ok.push(("csrf", &csrf));
    let r = b.post("/ledgers/hazard/new", &ok);
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(location(&r).starts_with("/records/"));
    assert_eq!(s.count("admin"), before + 1);
    let page = b.get(&location(&r));
    assert!(page.text().contains("已登记") && page.text().contains("未带令牌的隐患"));
    // Another session's token is no good either.
    let mut other = s.signed_in("clerk_xd");
    let theirs = other.csrf();
    assert_ne!(theirs, csrf);
    let id = location(&r)
        .trim_start_matches("/records/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let r = b.post(
        &format!("/records/{id}/void"),
        &[("csrf", &theirs), ("version", "1"), ("reason", "x")],
    );
    assert_eq!(r.status, 403);
    s.stop();
}

#[test]
fn form_errors_are_shown_at_their_fields_with_values_kept() {
    let s = Server::start();
    let mut b = s.signed_in("clerk_xd");
    let form = b.get("/ledgers/hazard/new");
    assert_eq!(form.status, 200);
    let html = form.text();
    // Inputs by type.
    assert!(field_block(&html, "found_on").contains("type=\"date\""));
    assert!(field_block(&html, "industry").contains("<select"));
    assert!(field_block(&html, "description").contains("<textarea"));
    assert!(field_block(&html, "responsible_unit").contains("应急管理局"));
    let township = field_block(&html, "township");
    assert!(
        township.contains("西洞镇") && !township.contains("清水镇"),
        "a township clerk places records in their township"
    );
    assert!(field_block(&html, "deadline").contains("一般隐患30天"), "help text");
    assert!(field_block(&html, "company").contains("class=\"req\""), "required mark");
    assert!(
        !html.contains("data-field=\"acceptance\""),
        "later steps' fields are not asked on create"
    );
    let csrf = csrf_of(&html);
    let before = s.count("admin");
    let r = b.post(
        "/ledgers/hazard/new",
        &[
            ("csrf", &csrf),
            ("f.description", "保留我写的内容"),
            ("f.company", ""),
            ("f.credit_code", "123"),
            ("f.industry", "工贸"),
            ("f.grade", "一般"),
            ("f.township", "620902100"),
            ("f.found_on", "2026-13-45"),
        ],
    );
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(field_block(&html, "found_on").contains("field-error"));
    assert!(
        field_block(&html, "found_on").contains("不是有效日期"),
        "{}",
        field_block(&html, "found_on")
    );
    assert!(field_block(&html, "company").contains("field-error"));
    assert!(field_block(&html, "credit_code").contains("field-error"));
    assert!(!field_block(&html, "industry").contains("field-error"));
    assert!(
        field_block(&html, "description").contains("保留我写的内容"),
        "entered values are kept"
    );
    assert!(field_block(&html, "industry").contains("<option value=\"工贸\" selected>"));
    assert_eq!(s.count("admin"), before);
    s.stop();
}

#[test]
fn a_transition_by_form_and_a_version_conflict() {
    let s = Server::start();
    let id = s.hazard("clerk_xd", "620902100", s.county.xidong, "待交办的隐患");
    let mut office = s.signed_in("office");
    let page = office.get(&format!("/records/{id}"));
    let html = page.text();
    assert!(html.contains("交办") && html.contains("name=\"transition\" value=\"交办\""));
    assert!(html.contains("催办") && html.contains("作废"));
    let csrf = csrf_of(&html);
    // The deadline is required by 交办: an emptied one is an error at the field.
    let r = office.post(
        &format!("/records/{id}/transition"),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("transition", "交办"),
            ("f.responsible_unit", &s.county.xidong.to_string()),
            ("f.deadline", ""),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let html = r.text();
    assert!(field_block(&html, "deadline").contains("须填写此项"));
    assert!(html.contains("<details class=\"action\" open>"));
    let r = office.post(
        &format!("/records/{id}/transition"),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("transition", "交办"),
            ("f.responsible_unit", &s.county.xidong.to_string()),
            ("f.deadline", "2026-12-20"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let html = office.get(&location(&r)).text();
    assert!(html.contains("已办理"));
    assert!(html.contains("交办：待交办 → 整改中"), "the loop's timeline");
    assert!(html.contains("2026年12月20日"));
    // The same form again: the version is stale, said clearly, nothing changes.
    let r = office.post(
        &format!("/records/{id}/transition"),
        &[("csrf", &csrf), ("version", "1"), ("transition", "交办")],
    );
    assert_eq!(r.status, 409);
    assert!(r.text().contains("记录已被他人修改"), "{}", r.text());
    // The clerk sees it in their to-do list now (提交验收 is theirs).
    let mut clerk = s.signed_in("clerk_xd");
    let home = clerk.get("/").text();
    assert!(home.contains("待交办的隐患"));
    // An edit with a stale version: 409, entered values kept.
    let csrf = clerk.csrf();
    let r = clerk.post(
        &format!("/records/{id}/edit"),
        &[("csrf", &csrf), ("version", "1"), ("f.company", "改过的企业名称")],
    );
    assert_eq!(r.status, 409, "{}", r.text());
    let html = r.text();
    assert!(html.contains("记录已被他人修改") && html.contains("改过的企业名称"));
    s.stop();
}

#[test]
fn assets_are_embedded_and_cached() {
    let s = Server::start();
    let mut b = s.signed_in("clerk_xd");
    let html = b.get("/").text();
    let i = html.find("/assets/app.css?v=").expect("versioned css link");
    let url = html[i..].split('"').next().unwrap().to_string();
    let r = b.get(&url);
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/css"));
    assert!(r.header("cache-control").unwrap().contains("max-age=31536000"));
    assert!(r.text().contains("Noto Sans CJK SC"));
    let r = b.get("/assets/app.js");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/javascript"));
    assert_eq!(b.get("/assets/nope.css").status, 404);
    s.stop();
}
