//! 站内信 in a real browser (headless Chromium over chromedriver) on the demo
//! county: the office filters 督查督办 to 应急管理局's overdue items, ticks
//! them all and 催办 with a note; the bureau's clerk then sees the unread count
//! in the header, one 催办 notice per item in the inbox, opens one (its record,
//! with the note in 办理过程; the count drops) and marks all read.
//! Screenshots: `target/ui-screenshots/inbox-*.png` (1366×768 and 390×844).
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use fantoccini::{Client, Locator};

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    browser::css_within(c, sel, 15).await
}

async fn count(c: &Client, sel: &str) -> usize {
    c.find_all(Locator::Css(sel)).await.unwrap().len()
}

async fn badge(c: &Client) -> Option<i64> {
    match c.find(Locator::Css("#unread-badge")).await {
        Ok(e) => e.text().await.ok().and_then(|t| t.trim().parse().ok()),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_urge_reaches_the_clerks_inbox_in_chromium() {
    let Some(tools) = browser::tools() else {
        return;
    };
    let demo = browser::Demo::start().await;
    let b = tools.launch().await;
    let c = b.c.clone();
    let result = run(&c, &demo).await;
    b.close().await;
    demo.stop().await;
    result.unwrap();
}

async fn run(c: &Client, demo: &browser::Demo) -> Result<(), String> {
    let base = &demo.base;
    let clerk = demo.access("yingji_clerk").await;
    let head = demo.access("yingji_head").await;
    let unit = clerk.unit.unwrap();
    let before_clerk = demo.store.unread_notices(&clerk).await.unwrap();

    // The office: 应急管理局's overdue items, all ticked, 催办 with a note.
    browser::login(c, base, "office", &demo.user("office").password).await;
    c.goto(&format!("{base}/supervise?unit={unit}&level=red"))
        .await
        .unwrap();
    css(c, "#items table").await;
    let rows = count(c, "#items tbody tr").await;
    assert!(rows > 50, "the bureau has many overdue items: {rows}");
    css(c, ".check-all").await.click().await.unwrap();
    assert_eq!(count(c, "#items input[name=id]:checked").await, rows);
    css(c, ".bulk-bar input[name=note]")
        .await
        .send_keys("请于12月10日前办结并报送整改情况")
        .await
        .unwrap();
    css(c, ".bulk-bar button[type=submit]").await.click().await.unwrap();
    let notice = css(c, ".notice").await.text().await.unwrap();
    assert!(notice.contains(&format!("已催办{rows}项")), "{notice}");
    browser::logout(c).await;

    // Each responsible clerk and head: one 催办 notice per item, in the same transaction.
    let clerk_now = demo.store.unread_notices(&clerk).await.unwrap();
    assert_eq!(clerk_now - before_clerk, rows as i64);
    let urges = demo.store.notices(&head, true, 500, None).await.unwrap();
    assert_eq!(urges.iter().filter(|n| n.kind == "urge").count(), rows);

    // The clerk: the badge, the inbox, one notice opened.
    browser::login(c, base, "yingji_clerk", &demo.user("yingji_clerk").password).await;
    assert_eq!(badge(c).await, Some(clerk_now), "header badge");
    browser::shot_page(c, "inbox-01-header-badge", 1366, 768, 768).await;
    css(c, ".inbox-link").await.click().await.unwrap();
    css(c, "ul.inbox").await;
    assert_eq!(count(c, "li.inbox-item.unread").await, 50.min(clerk_now as usize));
    let first = css(c, "li.inbox-item").await.text().await.unwrap();
    assert!(
        first.contains("催办") && first.contains("请于12月10日前办结并报送整改情况"),
        "{first}"
    );
    browser::shot_page(c, "inbox-02-list", 1366, 768, 4000).await;
    c.set_window_size(390, 844).await.unwrap();
    browser::shot_page(c, "inbox-03-list-phone", 390, 844, 4000).await;
    c.set_window_size(1366, 768).await.unwrap();
    css(c, "li.inbox-item a.notice-title").await.click().await.unwrap();
    css(c, ".top .user").await;
    let url = c.current_url().await.unwrap();
    assert!(url.path().starts_with("/records/"), "{url}");
    let text = css(c, "body").await.text().await.unwrap();
    assert!(text.contains("请于12月10日前办结并报送整改情况"), "催办 in 办理过程");
    assert_eq!(badge(c).await, Some(clerk_now - 1));
    // Mark all read: the badge goes.
    c.goto(&format!("{base}/inbox")).await.unwrap();
    css(c, ".page-head form button").await.click().await.unwrap();
    css(c, "ul.inbox").await;
    assert_eq!(count(c, "li.inbox-item.unread").await, 0);
    assert_eq!(badge(c).await, None);
    browser::shot_page(c, "inbox-04-all-read", 1366, 768, 4000).await;
    browser::logout(c).await;
    Ok(())
}
