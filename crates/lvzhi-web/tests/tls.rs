//! TLS built in and the second factor, end to end (issue 18): a self-signed
//! certificate made here (rcgen), `serve_tls` with the plain-HTTP redirect,
//! HSTS, Secure cookies and the API's security headers; then headless
//! Chromium over TLS: enrolment with a TOTP code, the forced password change,
//! a login with a code, and the idle timeout (the server's clock is moved).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::browser::{self, css_within, shot_page};
use fantoccini::Locator;
use jiff::{Span, Timestamp};
use lvzhi_store::auth::Policy;
use lvzhi_store::second_factor::code_at;
use lvzhi_store::{Role, Store};
use lvzhi_testkit::county::PASSWORD;
use lvzhi_testkit::raw::{header, https};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

const NOW: &str = "2026-12-05T01:00:00Z";

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM
/// files into a fresh directory: (dir, cert, key, DER of the cert).
fn self_signed() -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("lvzhi-tls-test-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (dir, cert, key, ck.cert.der().to_vec())
}

fn rand_suffix() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// The sample county on SQLite, on a clock the test moves (seconds past NOW).
async fn county_on_moving_clock() -> (lvzhi_testkit::TestDb, Store, Arc<AtomicI64>) {
    let db = lvzhi_testkit::TestDb::sqlite();
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let base: Timestamp = NOW.parse().unwrap();
    let clock: lvzhi_store::Clock =
        Arc::new(move || base.checked_add(Span::new().seconds(o.load(Ordering::SeqCst))).unwrap());
    let store = Store::open(&db.url, Arc::new(lvzhi_packs::county().unwrap()), clock)
        .await
        .unwrap();
    lvzhi_testkit::county::build(&store).await;
    (db, store, offset)
}

/// Serves `store` over TLS on a free port, with the redirect on another; (https, http).
async fn serve_tls(store: &Store, cert: &std::path::Path, key: &std::path::Path) -> (SocketAddr, SocketAddr) {
    let config = lvzhi_web::tls::server_config(cert, key).unwrap();
    let https = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addrs = (https.local_addr().unwrap(), http.local_addr().unwrap());
    let state = lvzhi_web::state(store.clone(), true).unwrap();
    tokio::spawn(lvzhi_web::serve_tls(state, https, config, Some(http)));
    addrs
}

/// Types `value` into the input `sel`.
async fn fill(c: &fantoccini::Client, sel: &str, value: &str) {
    css_within(c, sel, 15).await.send_keys(value).await.unwrap();
}

/// Clicks `sel`.
async fn click(c: &fantoccini::Client, sel: &str) {
    css_within(c, sel, 15).await.click().await.unwrap();
}

/// HTTPS answers with HSTS; the login reply (it carries the token) is never
/// cached or sniffed and its cookie is Secure; plain HTTP is redirected to
/// HTTPS with the path kept; a client that does not trust the certificate
/// gets no answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_hsts_secure_cookies_and_redirect() {
    let (db, store, _) = county_on_moving_clock().await;
    let (dir, cert, key, der) = self_signed();
    let (https_addr, http_addr) = serve_tls(&store, &cert, &key).await;

    let body = format!(r#"{{"username":"office","password":"{PASSWORD}"}}"#);
    let r = https(
        https_addr,
        &der,
        &format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert_eq!(header(&r, "cache-control"), ["no-store"], "{r}");
    assert_eq!(header(&r, "x-content-type-options"), ["nosniff"]);
    assert_eq!(header(&r, "strict-transport-security"), ["max-age=31536000"]);
    let cookie = header(&r, "set-cookie").join("; ");
    assert!(
        cookie.contains("lvzhi_session=") && cookie.contains("Secure"),
        "{cookie}"
    );
    // A page over TLS: HSTS too, and the login form's cookie is Secure.
    let r = https(
        https_addr,
        &der,
        "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert_eq!(header(&r, "strict-transport-security"), ["max-age=31536000"]);
    assert!(header(&r, "set-cookie").iter().all(|c| c.contains("Secure")), "{r}");

    // Plain HTTP: a redirect to the same path over HTTPS, nothing served.
    let mut plain = lvzhi_testkit::http::Client::new(http_addr);
    let r = plain.get("/ledgers/hazard?page=2").unwrap();
    assert_eq!(r.status, 308);
    assert_eq!(
        r.header("location").unwrap(),
        format!("https://127.0.0.1:{}/ledgers/hazard?page=2", https_addr.port())
    );
    let r = plain
        .post(
            "/api/v1/auth/login",
            &serde_json::json!({"username": "office", "password": PASSWORD}),
        )
        .unwrap();
    assert_eq!(r.status, 308, "{}", r.text());
    assert!(!r.text().contains("token"));

    // A client that does not trust this certificate: the handshake fails.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let untrusted = tokio::spawn({
        let der = other.cert.der().to_vec();
        async move { https(https_addr, &der, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await }
    })
    .await;
    assert!(untrusted.is_err(), "a client with another CA was served");

    store.close().await;
    db.drop_db().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// API answers without TLS carry `no-store` and `nosniff` too, and no HSTS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_security_headers_without_tls() {
    let (db, store, _) = county_on_moving_clock().await;
    let addr = common::serve(&store).await;
    let mut c = lvzhi_testkit::http::Client::new(addr);
    let r = c.login("office", PASSWORD);
    assert_eq!(r.status, 200);
    for r in [r, c.get("/api/v1/me").unwrap(), c.get("/api/v1/nothing").unwrap()] {
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("strict-transport-security"), None);
    }
    store.close().await;
    db.drop_db().await;
}

/// Headless Chromium over TLS: the audit administrator's first login asks
/// for enrolment (QR code, a confirmation code, recovery codes shown once),
/// then the forced password change; the next login asks for a code; after
/// the idle time the session is gone and the login page says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_over_tls_with_totp_forced_change_and_idle_timeout() {
    let Some(tools) = browser::tools() else { return };
    let (db, store, offset) = county_on_moving_clock().await;
    // 安全管理员's policy: TOTP for the audit administrator, first-login change on, 10 minutes idle.
    let sec = store
        .access_for(
            store
                .users()
                .await
                .unwrap()
                .iter()
                .find(|u| u.role == Role::SecAdmin)
                .unwrap()
                .id,
        )
        .await
        .unwrap()
        .0;
    store
        .set_policy(
            &sec,
            &Policy {
                totp_roles: vec![Role::AuditAdmin],
                first_login_change: true,
                idle_minutes: 10,
                ..store.policy()
            },
        )
        .await
        .unwrap();
    // An administrator's reset: the password must be changed at the next login.
    store
        .set_password(&sec, "auditadmin", "Handed#over-2026")
        .await
        .unwrap();
    let (dir, cert, key, _) = self_signed();
    let (https_addr, _) = serve_tls(&store, &cert, &key).await;
    let base = format!("https://127.0.0.1:{}", https_addr.port());

    let b = tools.launch().await;
    let c = &b.c;
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#username", "auditadmin").await;
    fill(c, "#password", "Handed#over-2026").await;
    click(c, "button[type=submit]").await;
    // Enrolment first (the role requires it).
    click(c, "form[action='/account/totp/begin'] button").await;
    let secret = css_within(c, "code.secret", 15).await.text().await.unwrap();
    assert!(c.find(Locator::Css(".qr svg")).await.is_ok(), "no QR code");
    shot_page(c, "sec-01-totp-enrol", 1366, 768, 1400).await;
    let now = |o: &AtomicI64| {
        u64::try_from(NOW.parse::<Timestamp>().unwrap().as_second() + o.load(Ordering::SeqCst)).unwrap()
    };
    fill(c, "#code", &code_at(&secret, now(&offset)).unwrap()).await;
    click(c, "form[action='/account/totp/confirm'] button").await;
    // Wait for the next page before counting (the click returns before it has loaded).
    css_within(c, ".recovery-codes code", 15).await;
    let codes = c.find_all(Locator::Css(".recovery-codes code")).await.unwrap();
    assert_eq!(codes.len(), 10);
    shot_page(c, "sec-02-recovery-codes", 1366, 768, 1400).await;
    c.find(Locator::LinkText("我已保存，继续"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The forced change.
    // Wait for the next page's notice (the click returns before it has loaded).
    browser::notice_containing(c, "管理员重置").await;
    fill(c, "#old", "Handed#over-2026").await;
    fill(c, "#new", "Audit#county-77").await;
    fill(c, "#new2", "Audit#county-77").await;
    click(c, "button[type=submit]").await;
    browser::notice_containing(c, "密码已修改").await;
    // The next login: password, then a code (a later one: each code is accepted once).
    offset.fetch_add(30, Ordering::SeqCst);
    fill(c, "#username", "auditadmin").await;
    fill(c, "#password", "Audit#county-77").await;
    click(c, "button[type=submit]").await;
    css_within(c, "form[action='/login/totp']", 15).await;
    assert!(c.current_url().await.unwrap().as_str().contains("/login/totp"));
    fill(c, "#code", "000000").await;
    click(c, "form[action='/login/totp'] button").await;
    let err = css_within(c, ".banner", 15).await.text().await.unwrap();
    assert!(err.contains("动态验证码或恢复码不正确"), "{err}");
    shot_page(c, "sec-03-totp-login", 1366, 768, 1000).await;
    fill(c, "#code", &code_at(&secret, now(&offset)).unwrap()).await;
    click(c, "form[action='/login/totp'] button").await;
    css_within(c, ".top .user", 15).await;
    // The audit administrator's page works; a ledger shows nothing of the county.
    c.goto(&format!("{base}/audit")).await.unwrap();
    let body = css_within(c, "main", 15).await.text().await.unwrap();
    assert!(
        body.contains("动态验证码验证") || body.contains("启用双因素认证"),
        "{body}"
    );
    shot_page(c, "sec-04-audit-admin", 1366, 768, 1400).await;
    // Idle past the limit: the next page is the login page, saying why.
    offset.fetch_add(11 * 60, Ordering::SeqCst);
    c.goto(&format!("{base}/audit")).await.unwrap();
    let notice = css_within(c, ".login-box .notice", 15).await.text().await.unwrap();
    assert!(notice.contains("登录已过期"), "{notice}");
    assert!(c.current_url().await.unwrap().as_str().contains("/login?"));
    b.close().await;
    let timeouts = {
        let mut conn = store.pool().acquire().await.unwrap();
        conn.conn()
            .row("SELECT COUNT(*) FROM events WHERE kind = 'auth.timeout'", &[])
            .await
            .unwrap()
            .unwrap()
            .i(0)
    };
    assert_eq!(timeouts, 1);
    store.close().await;
    db.drop_db().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Headless Chromium: the security administrator opens 管理 → 安全策略,
/// enters an idle time out of range (named at the field, nothing saved),
/// then a good one (saved, in force); screenshots at 1366×768 and 390×844.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_security_policy_page() {
    let Some(tools) = browser::tools() else { return };
    let (db, store, _) = county_on_moving_clock().await;
    let sec_id = store
        .users()
        .await
        .unwrap()
        .iter()
        .find(|u| u.username == "secadmin")
        .unwrap()
        .id;
    let sec = store.access_for(sec_id).await.unwrap().0;
    store
        .set_policy(
            &sec,
            &Policy {
                totp_roles: vec![],
                ..store.policy()
            },
        )
        .await
        .unwrap();
    let addr = common::serve(&store).await;
    let base = format!("http://{addr}");
    let b = tools.launch().await;
    let c = &b.c;
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#username", "secadmin").await;
    fill(c, "#password", PASSWORD).await;
    click(c, "button[type=submit]").await;
    css_within(c, ".top .user", 15).await;
    c.goto(&format!("{base}/admin")).await.unwrap();
    // The security administrator's tabs: users and the policy.
    css_within(c, "nav.tabs a[href='/admin/security']", 15)
        .await
        .click()
        .await
        .unwrap();
    css_within(c, "#p-idle_minutes", 15).await;
    shot_page(c, "sec-05-policy", 1366, 768, 1600).await;
    let idle = css_within(c, "#p-idle_minutes", 15).await;
    idle.clear().await.unwrap();
    idle.send_keys("2000").await.unwrap();
    // The browser's own range check would stop the form: submit it as typed.
    c.execute("document.querySelector('form.admin-form').noValidate = true;", vec![])
        .await
        .unwrap();
    click(c, "form.admin-form button[type=submit]").await;
    let err = css_within(c, "[data-field='idle_minutes'] .field-error", 15)
        .await
        .text()
        .await
        .unwrap();
    assert!(err.contains("1到1440分钟"), "{err}");
    shot_page(c, "sec-06-policy-error", 1366, 768, 1600).await;
    assert_eq!(store.policy().idle_minutes, 30);
    let idle = css_within(c, "#p-idle_minutes", 15).await;
    idle.clear().await.unwrap();
    idle.send_keys("20").await.unwrap();
    click(c, "form.admin-form button[type=submit]").await;
    let notice = css_within(c, ".notice", 15).await.text().await.unwrap();
    assert!(notice.contains("已保存安全策略"), "{notice}");
    assert_eq!(store.policy().idle_minutes, 20);
    shot_page(c, "sec-07-policy-390", 390, 844, 2400).await;
    b.close().await;
    store.close().await;
    db.drop_db().await;
}
