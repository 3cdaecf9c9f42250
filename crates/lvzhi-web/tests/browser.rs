//! The web UI in a real browser: headless Chromium driven over WebDriver
//! (chromedriver) with fantoccini. A 西洞镇 clerk logs in, registers a hazard
//! through the form (first with a mistake), finds it in the list and opens
//! it; the office logs in and takes 交办. Screenshots of each main page go to
//! `target/ui-screenshots/`.
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use common::browser::set_value;
use fantoccini::Client;
use lvzhi_testkit::TestDb;
use lvzhi_testkit::county::PASSWORD;
use serde_json::json;

/// A screenshot of the whole page (the window grown to the page's height).
async fn shot(c: &Client, name: &str) {
    browser::shot_page(c, name, 1366, 700, 4000).await;
}

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    browser::css_within(c, sel, 10).await
}

async fn login(c: &Client, base: &str, user: &str) {
    browser::login(c, base, user, PASSWORD).await;
}

async fn body_text(c: &Client) -> String {
    css(c, "body").await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_registers_office_assigns() {
    let Some(tools) = browser::tools() else {
        return;
    };

    // The server, with the sample county.
    let db = TestDb::sqlite();
    let store = lvzhi_testkit::open(&db).await;
    let county = lvzhi_testkit::county::build(&store).await;
    // An overdue (red) and a due-soon (yellow) item, for the list's colours.
    let clerk = county.access("clerk_xd");
    for (text, deadline) in [("仓库消防通道被杂物占用", "2026-11-20"), ("配电箱未接地", "2026-11-27")]
    {
        let mut f = lvzhi_testkit::county::hazard("620902100", county.xidong, text);
        f.insert("deadline".into(), json!(deadline));
        store.create(&clerk, "hazard", f).await.unwrap();
    }
    let base = browser::serve(&store).await;

    let b = tools.launch().await;
    let c = b.c.clone();
    let result = run(&c, &base, county.xidong).await;
    b.close().await;
    store.close().await;
    db.drop_db().await;
    result.unwrap();
}

async fn run(c: &Client, base: &str, xidong: i64) -> Result<(), String> {
    // Not signed in: the login page.
    c.goto(&format!("{base}/ledgers/hazard")).await.unwrap();
    css(c, "#username").await;
    shot(c, "01-login").await;

    // A wrong password is said in Chinese.
    css(c, "#username").await.send_keys("clerk_xd").await.unwrap();
    css(c, "#password").await.send_keys("wrong-password").await.unwrap();
    css(c, "button[type=submit]").await.click().await.unwrap();
    let banner = css(c, ".banner").await.text().await.unwrap();
    assert!(banner.contains("用户名或密码错误"), "{banner}");

    // The 西洞镇 clerk signs in and lands where they were going.
    css(c, "#password").await.send_keys(PASSWORD).await.unwrap();
    css(c, "button[type=submit]").await.click().await.unwrap();
    css(c, ".top .user").await;
    let url = c.current_url().await.unwrap();
    assert!(url.path().ends_with("/ledgers/hazard"), "{url}");
    c.goto(&format!("{base}/")).await.unwrap();
    css(c, ".panel").await;
    let text = body_text(c).await;
    assert!(text.contains("我的待办") && text.contains("台账概况"), "{text}");
    shot(c, "02-home-clerk").await;

    // A new hazard through the form: first without the company.
    c.goto(&format!("{base}/ledgers/hazard/new")).await.unwrap();
    css(c, "#f-description")
        .await
        .send_keys("西洞村加油站消防通道堵塞，灭火器过期")
        .await
        .unwrap();
    css(c, "#f-industry").await.select_by_value("消防").await.unwrap();
    css(c, "#f-grade").await.select_by_value("一般").await.unwrap();
    css(c, "#f-township").await.select_by_value("620902100").await.unwrap();
    set_value(c, "f-found_on", "2026-11-20").await;
    set_value(c, "f-credit_code", "12345").await;
    shot(c, "03-new-form").await;
    // The browser would stop an empty required field itself; the server must say it too.
    c.execute("document.querySelector('form.record-form').noValidate = true;", vec![])
        .await
        .unwrap();
    css(c, "form.record-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let err = css(c, "[data-field=company] .field-error").await.text().await.unwrap();
    assert!(err.contains("必填"), "{err}");
    let err = css(c, "[data-field=credit_code] .field-error")
        .await
        .text()
        .await
        .unwrap();
    assert!(!err.is_empty());
    let kept = css(c, "#f-description")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(kept.contains("消防通道堵塞"), "entered values are kept: {kept}");
    shot(c, "04-new-form-errors").await;
    css(c, "#f-company").await.send_keys("肃州区西洞加油站").await.unwrap();
    set_value(c, "f-credit_code", "").await;
    css(c, "form.record-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let notice = css(c, ".notice").await.text().await.unwrap();
    assert!(notice.contains("已登记"), "{notice}");
    let url = c.current_url().await.unwrap();
    let id: i64 = url
        .path()
        .trim_start_matches("/records/")
        .parse()
        .map_err(|_| format!("not a record page: {url}"))?;
    shot(c, "05-record-clerk").await;

    // In the list; open it from there.
    c.goto(&format!("{base}/ledgers/hazard")).await.unwrap();
    css(c, "table.records").await;
    let text = body_text(c).await;
    assert!(text.contains("西洞村加油站消防通道堵塞"), "{text}");
    shot(c, "06-list").await;
    css(c, &format!("table.records a[href='/records/{id}']"))
        .await
        .click()
        .await
        .unwrap();
    css(c, ".facts").await;
    assert!(body_text(c).await.contains("肃州区西洞加油站"));
    browser::logout(c).await;

    // The office takes 交办.
    login(c, base, "office").await;
    shot(c, "07-home-office").await;
    c.goto(&format!("{base}/records/{id}")).await.unwrap();
    // The 交办 step's form (the record page also has the 上传附件 form in a details.action).
    let assign_step = "details.action:has(input[name=transition][value='交办'])";
    css(c, &format!("{assign_step} summary")).await.click().await.unwrap();
    let unit_id = "t-交办-responsible_unit";
    let deadline_id = "t-交办-deadline";
    css(c, &format!("[id='{unit_id}']"))
        .await
        .select_by_value(&xidong.to_string())
        .await
        .unwrap();
    set_value(c, deadline_id, "2026-12-20").await;
    shot(c, "08-record-office-assign").await;
    css(c, &format!("{assign_step} button[type=submit]"))
        .await
        .click()
        .await
        .unwrap();
    let notice = css(c, ".notice").await.text().await.unwrap();
    assert!(notice.contains("已办理"), "{notice}");
    let text = body_text(c).await;
    assert!(text.contains("交办：待交办 → 整改中"), "{text}");
    assert!(text.contains("2026年12月20日"));
    let current = css(c, ".steps li.current").await.text().await.unwrap();
    assert!(current.contains("整改中"), "{current}");
    shot(c, "09-record-after-assign").await;
    c.goto(&format!("{base}/ledgers/hazard?state=整改中")).await.unwrap();
    css(c, "table.records").await;
    shot(c, "10-list-filtered").await;
    Ok(())
}
