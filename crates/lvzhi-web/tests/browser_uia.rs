//! 督查督办, 指标 and the leader's dashboard in a real browser (headless
//! Chromium over chromedriver, with fantoccini) on the demo county: the
//! office ticks items and 催办 them, acknowledges a warning, opens the
//! indicator table and the records behind a value; the leader sees the
//! dashboard's charts and the read-only 督查督办. Screenshots go to
//! `target/ui-screenshots/uia-*.png`.
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use fantoccini::{Client, Locator};

/// A screenshot of the whole page (the window grown to the page's height).
async fn shot(c: &Client, name: &str) {
    browser::shot_page(c, name, 1366, 700, 4000).await;
}

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    browser::css_within(c, sel, 10).await
}

async fn body_text(c: &Client) -> String {
    css(c, "body").await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervise_indicators_dashboard_in_chromium() {
    let Some(tools) = browser::tools() else {
        return;
    };
    // The demo county, served on its clock.
    let demo = browser::Demo::start().await;
    let users: Vec<(String, String)> = demo
        .users
        .iter()
        .map(|u| (u.username.clone(), u.password.clone()))
        .collect();

    let b = tools.launch().await;
    let c = b.c.clone();
    let result = run(&c, &demo.base, &users, &demo.store).await;
    b.close().await;
    demo.stop().await;
    result.unwrap();
}

async fn count(c: &Client, sel: &str) -> usize {
    c.find_all(Locator::Css(sel)).await.unwrap().len()
}

async fn run(c: &Client, base: &str, users: &[(String, String)], store: &lvzhi_store::Store) -> Result<(), String> {
    let pw = |u: &str| users.iter().find(|(n, _)| n == u).unwrap().1.clone();

    // The office: 督查督办 with red items first.
    browser::login(c, base, "office", &pw("office")).await;
    css(c, ".side a[href='/supervise']").await.click().await.unwrap();
    css(c, "#items table").await;
    shot(c, "uia-01-supervise-office").await;
    let rows = count(c, "#items tbody tr").await;
    assert!(rows > 2, "overdue items listed");
    assert!(count(c, "#items tbody tr.warn-red").await > 0);
    // "Select all" ticks every row; unticking again leaves none.
    css(c, ".check-all").await.click().await.unwrap();
    assert_eq!(count(c, "#items input[name=id]:checked").await, rows);
    css(c, ".check-all").await.click().await.unwrap();
    assert_eq!(count(c, "#items input[name=id]:checked").await, 0);
    // Tick two, write a message, 催办.
    let boxes = c.find_all(Locator::Css("#items input[name=id]")).await.unwrap();
    boxes[0].click().await.unwrap();
    boxes[1].click().await.unwrap();
    let before = store.events_of_kind("record.urge").await.unwrap().len();
    css(c, ".bulk-bar input[name=note]")
        .await
        .send_keys("请于3日内办结并报送整改情况")
        .await
        .unwrap();
    css(c, ".bulk-bar button[type=submit]").await.click().await.unwrap();
    let notice = css(c, ".notice").await.text().await.unwrap();
    assert!(notice.contains("已催办2项"), "{notice}");
    assert_eq!(store.events_of_kind("record.urge").await.unwrap().len(), before + 2);
    shot(c, "uia-02-supervise-urged").await;

    // Acknowledge the first warning.
    c.goto(&format!("{base}/supervise#warnings")).await.unwrap();
    css(c, "form.ack input[name=note]")
        .await
        .send_keys("已通知责任单位核实整改")
        .await
        .unwrap();
    css(c, "form.ack button[type=submit]").await.click().await.unwrap();
    let notice = css(c, ".notice").await.text().await.unwrap();
    assert!(notice.contains("预警已确认"), "{notice}");
    assert!(body_text(c).await.contains("已确认："));
    shot(c, "uia-03-warning-acked").await;

    // 指标: the county table, then the records behind a value.
    css(c, ".side a[href='/indicators']").await.click().await.unwrap();
    css(c, "table.indicators").await;
    let text = body_text(c).await;
    assert!(
        text.contains("财政") && text.contains("同比") && text.contains("完成率"),
        "{text}"
    );
    assert!(count(c, "svg.chart.progress").await > 0, "completion bars");
    shot(c, "uia-04-indicators-office").await;
    c.find(Locator::Css("a[href^='/indicators/hazards_found']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    css(c, "table.provenance").await;
    let text = body_text(c).await;
    assert!(text.contains("依据的记录") && text.contains("安全生产隐患"), "{text}");
    shot(c, "uia-05-provenance").await;
    browser::logout(c).await;

    // The leader: the dashboard, read-only 督查督办, the 分管 indicators.
    browser::login(c, base, "leader", &pw("leader")).await;
    css(c, ".dash").await;
    assert!(count(c, "svg.chart.line").await > 0, "monthly trends");
    assert!(count(c, "svg.chart.bars").await > 0, "bars");
    assert!(body_text(c).await.contains("分管领域指标"));
    shot(c, "uia-06-dashboard-leader").await;
    css(c, ".side a[href='/supervise']").await.click().await.unwrap();
    css(c, "#ranks").await;
    assert_eq!(count(c, "#items input[name=id]").await, 0, "leaders do not 催办");
    assert_eq!(count(c, "form.ack").await, 0, "leaders do not acknowledge");
    shot(c, "uia-07-supervise-leader").await;
    css(c, ".side a[href='/indicators']").await.click().await.unwrap();
    css(c, "table.indicators").await;
    shot(c, "uia-08-indicators-leader").await;
    browser::logout(c).await;
    Ok(())
}
