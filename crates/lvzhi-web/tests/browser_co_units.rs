//! 主办/协办 (issue 17) in a real browser (headless Chromium over chromedriver)
//! on the sample county: the office adds 西洞镇 as 协办 unit of a 督办事项 that
//! 应急管理局 主办s, with the record page's own form; 西洞镇's clerk finds the
//! item in its list, reads its page (主办单位, 协办单位; no 编辑, no step) and
//! gives a 协办意见; 应急管理局's head reads it in the record's 办理过程.
//! Screenshots: `target/ui-screenshots/co-units-*.png`.
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use fantoccini::Locator;
use lvzhi_testkit::county::PASSWORD;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_adds_a_co_unit_whose_clerk_gives_an_opinion_in_chromium() {
    let Some(tools) = browser::tools() else {
        return;
    };
    let db = lvzhi_testkit::TestDb::sqlite();
    let store = lvzhi_testkit::open(&db).await;
    let county = lvzhi_testkit::county::build(&store).await;
    let base = browser::serve(&store).await;
    let b = tools.launch().await;
    let c = b.c.clone();
    c.set_window_size(1366, 900).await.unwrap();

    let f = json!({"title": "督促落实冬季燃气安全专项整治", "source": "会议", "urgency": "紧急",
        "unit": county.yingji, "assigned_on": "2026-11-20"});
    let id = store
        .create(&county.access("office"), "supervision", f.as_object().unwrap().clone())
        .await
        .unwrap()
        .id;
    let page = format!("{base}/records/{id}");

    // The office: 设置协办单位 → 西洞镇.
    browser::login(&c, &base, "office", PASSWORD).await;
    c.goto(&page).await.unwrap();
    assert_eq!(
        browser::css_within(&c, "#co-lead", 15).await.text().await.unwrap(),
        "应急管理局"
    );
    browser::css_within(&c, "#set-co-units > summary", 15)
        .await
        .click()
        .await
        .unwrap();
    browser::css_within(
        &c,
        &format!("#set-co-units input[name=units][value='{}']", county.xidong),
        15,
    )
    .await
    .click()
    .await
    .unwrap();
    browser::submit(&c, "#set-co-units form").await;
    browser::notice_containing(&c, "已保存协办单位").await;
    assert_eq!(
        browser::css_within(&c, "#co-list", 15).await.text().await.unwrap(),
        "西洞镇人民政府"
    );
    browser::logout(&c).await;

    // 西洞镇's clerk: the item is in its list; its page is read-only, with the opinion form.
    browser::login(&c, &base, "clerk_xd", PASSWORD).await;
    c.goto(&format!("{base}/ledgers/supervision")).await.unwrap();
    browser::css_within(&c, &format!("a[href='/records/{id}']"), 15)
        .await
        .click()
        .await
        .unwrap();
    browser::css_within(&c, "#co-units", 15).await;
    assert_eq!(c.current_url().await.unwrap().path(), format!("/records/{id}"));
    let panel = c.find(Locator::Css("#co-units")).await.unwrap().text().await.unwrap();
    assert!(
        panel.contains("应急管理局") && panel.contains("本单位（西洞镇人民政府）为协办单位"),
        "{panel}"
    );
    assert!(
        c.find_all(Locator::Css(&format!("a[href='/records/{id}/edit']")))
            .await
            .unwrap()
            .is_empty(),
        "no 编辑 for a 协办 unit"
    );
    assert!(
        c.find_all(Locator::Css("input[name=transition]"))
            .await
            .unwrap()
            .is_empty(),
        "no step for a 协办 unit"
    );
    browser::css_within(&c, "#opinion > summary", 15)
        .await
        .click()
        .await
        .unwrap();
    browser::css_within(&c, "#opinion-text", 15)
        .await
        .send_keys("西洞镇已完成辖区燃气用户入户检查，发现问题3处已督促整改")
        .await
        .unwrap();
    browser::shot_page(&c, "co-units-opinion-form", 1366, 768, 3000).await;
    browser::submit(&c, "#opinion form").await;
    browser::notice_containing(&c, "已提交协办意见").await;
    browser::logout(&c).await;

    // 应急管理局's head: the opinion in 办理过程, with unit and person.
    browser::login(&c, &base, "head_yj", PASSWORD).await;
    c.goto(&page).await.unwrap();
    browser::css_within(&c, "ol.timeline", 15).await;
    let src = c.source().await.unwrap();
    assert!(src.contains("协办意见（西洞镇人民政府）"), "the opinion in 办理过程");
    assert!(src.contains("意见：西洞镇已完成辖区燃气用户入户检查"), "its text");
    let opinions = browser::css_within(&c, "#co-opinions", 15).await.text().await.unwrap();
    assert!(
        opinions.contains("西洞镇人民政府") && opinions.contains("clerk_xd"),
        "{opinions}"
    );
    browser::shot_page(&c, "co-units-lead-unit", 1366, 768, 3600).await;

    b.close().await;
    store.close().await;
    db.drop_db().await;
}
