//! 管理 → 通知渠道 in a real browser (headless Chromium) on the demo county:
//! the system administrator adds a 企业微信 robot pointing at a local
//! receiver, sends a test message (the receiver gets it, the page says so),
//! narrows it to 应急管理局's notices (接收范围 on the change form), then the
//! office's 催办 of one item of 应急管理局 is queued and, after a sender pass,
//! shows as 已送达 in the log. Screenshots:
//! `target/ui-screenshots/channels-*.png` (1366×768 and 390×844).
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use fantoccini::Client;
use lvzhi_testkit::receiver::Receiver;

/// The shared local receiver: its port and the bodies it got, in the
/// `(port, got)` shape these tests read.
fn receiver() -> (u16, Receiver) {
    let r = Receiver::start();
    (r.port, r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_sets_up_a_robot_in_chromium() {
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
    let (port, got) = receiver();
    browser::login(c, base, "admin", &demo.user("admin").password).await;
    c.goto(&format!("{base}/admin/channels")).await.unwrap();
    browser::css_within(c, "#channel-form", 15).await;
    browser::set_value(c, "c-name", "县政府办值班群").await;
    browser::set_value(
        c,
        "c-url",
        &format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key=abcdef123456"),
    )
    .await;
    browser::css_within(c, "#channel-form button[type=submit]", 15)
        .await
        .click()
        .await
        .unwrap();
    let n = browser::notice_containing(c, "已添加渠道").await;
    assert!(n.contains("外发"), "{n}");
    let row = browser::css_within(c, "table.channels tbody tr", 15)
        .await
        .text()
        .await
        .unwrap();
    assert!(row.contains("key=abcd****") && !row.contains("abcdef123456"), "{row}");

    browser::css_within(c, "table.channels form[action$='/test'] button", 15)
        .await
        .click()
        .await
        .unwrap();
    browser::notice_containing(c, "接收方已确认收到").await;
    assert!(got.bodies().iter().any(|g| g.contains("测试消息")));

    // 接收范围: the robot narrowed to 应急管理局's notices on the change form.
    let unit = demo.access("yingji_clerk").await.unit.unwrap();
    let row = browser::css_within(c, "table.channels tbody tr td.audience", 15)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(row, "全部通知");
    browser::css_within(c, "table.channels a[href*='edit=']", 15)
        .await
        .click()
        .await
        .unwrap();
    browser::css_within(c, "input[name=audience][value=units]", 15)
        .await
        .click()
        .await
        .unwrap();
    browser::css_within(c, &format!("input[name=units][value='{unit}']"), 15)
        .await
        .click()
        .await
        .unwrap();
    browser::css_within(c, "#channel-form button[type=submit]", 15)
        .await
        .click()
        .await
        .unwrap();
    browser::notice_containing(c, "已保存渠道设置").await;
    let row = browser::css_within(c, "table.channels tbody tr td.audience", 15)
        .await
        .text()
        .await
        .unwrap();
    assert!(row.contains("应急管理局") && row.ends_with("的全部通知"), "{row}");

    // A 催办 by the office of an item of 应急管理局 is queued on the channel;
    // one sender pass delivers it.
    let office = demo.access("office").await;
    let keys: Vec<&str> = demo.store.pack().ledgers.iter().map(|l| l.key.as_str()).collect();
    let (items, _, _) = demo
        .store
        .warned_items(&office, &keys, Some(unit), None, 1)
        .await
        .unwrap();
    let open = items[0].row.id;
    demo.store.urge(&office, open, "请尽快办理").await.unwrap();
    let at = demo
        .store
        .now()
        .checked_add(jiff::SignedDuration::from_secs(11))
        .unwrap();
    let p = demo.store.deliver_due_at(at).await.unwrap();
    assert_eq!(p.delivered, 1, "{p:?}");
    c.goto(&format!("{base}/admin/channels")).await.unwrap();
    let log = browser::css_within(c, "table.deliveries tbody", 15)
        .await
        .text()
        .await
        .unwrap();
    assert!(log.contains("已送达") && log.contains("催办："), "{log}");
    assert!(log.contains("年") && log.contains("送达于"), "{log}");
    browser::shot_page(c, "channels-1366", 1366, 768, 2400).await;
    browser::shot_page(c, "channels-390", 390, 844, 4000).await;
    c.set_window_size(390, 844).await.unwrap();
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth + 2;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, serde_json::json!(false), "no sideways scroll at 390 px");
    Ok(())
}
