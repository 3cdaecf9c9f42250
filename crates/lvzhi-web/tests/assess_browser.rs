//! 民主测评 in a real browser (headless Chromium over chromedriver): on the
//! demo county the office creates a campaign with the county leaders as
//! subjects, opens it, prints codes for the three groups; 50 evaluators vote
//! through the ballot page (one browser, one navigation per voter); the
//! office watches the turnout, closes the campaign, reads the results and
//! downloads the result sheet (DOCX: a zip whose document.xml has the
//! figures). Screenshots: `target/ui-screenshots/assess-*.png`, including the
//! ballot on a phone-sized window.
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use fantoccini::{Client, Locator};
use lvzhi_core::access::Role;
use serde_json::json;
use std::io::Read;
use std::time::Instant;

async fn shot_sized(c: &Client, name: &str, width: u32) {
    browser::shot_page(c, &format!("assess-{name}"), width, 600, 5000).await;
}

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    browser::css_within(c, sel, 20).await
}

async fn shot(c: &Client, name: &str) {
    shot_sized(c, name, 1366).await;
}

/// The page's URL and every URL it loaded (navigation and resources).
async fn urls(c: &Client) -> Vec<String> {
    let mut out = vec![c.current_url().await.unwrap().to_string()];
    let v = c
        .execute(
            "return performance.getEntries().map(function (e) { return e.name; }).concat([document.referrer]);",
            vec![],
        )
        .await
        .unwrap();
    out.extend(
        v.as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x.as_str().map(String::from)),
    );
    out
}

async fn body_text(c: &Client) -> String {
    css(c, "body").await.text().await.unwrap()
}

/// Forms with `data-confirm` ask; the test says yes.
async fn confirm_yes(c: &Client) {
    c.execute("window.confirm = function () { return true; };", vec![])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_sets_up_fifty_vote_office_closes() {
    let Some(tools) = browser::tools() else {
        return;
    };

    // The demo county (肃州区, 6 county leaders with 分管).
    let demo = browser::Demo::start().await;
    let office = demo.users.iter().find(|u| u.role == Role::Office).unwrap().clone();

    let b = tools.launch().await;
    let c = b.c.clone();
    let result = run(&c, &demo.base, &office.username, &office.password).await;
    b.close().await;
    demo.stop().await;
    result.unwrap();
}

async fn run(c: &Client, base: &str, user: &str, password: &str) -> Result<(), String> {
    browser::login(c, base, user, password).await;

    // 考核测评 in the menu → the list → 新建.
    c.find(Locator::LinkText("考核测评"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    css(c, ".page-head h1").await;
    shot(c, "01-list").await;
    css(c, "a[href='/assess/new']").await.click().await.unwrap();
    css(c, "#groups").await;
    let leaders = c
        .find_all(Locator::Css("input[name=leader]:checked"))
        .await
        .unwrap()
        .len();
    assert_eq!(leaders, 6, "the demo's six county leaders are offered and checked");
    shot(c, "02-new").await;
    css(c, ".actions-bar button[type=submit]").await.click().await.unwrap();
    css(c, ".turnout").await;
    let url = c.current_url().await.unwrap();
    let id: i64 = url.path().trim_start_matches("/assess/").parse().unwrap();

    // Open, then codes for each group: 15 + 20 + 15 = 50.
    confirm_yes(c).await;
    css(c, "form[action$='/open'] button").await.click().await.unwrap();
    css(c, ".notice").await;
    let mut codes = Vec::new();
    for (i, n) in [15, 20, 15].into_iter().enumerate() {
        c.goto(&format!("{base}/assess/{id}")).await.unwrap();
        let forms = c.find_all(Locator::Css("form.inline-form")).await.unwrap();
        let input = forms[i].find(Locator::Css("input[name=count]")).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(&n.to_string()).await.unwrap();
        forms[i]
            .find(Locator::Css("button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        css(c, ".slips").await;
        if i == 0 {
            shot(c, "03-code-sheet").await;
        }
        for e in c.find_all(Locator::Css(".slip-code")).await.unwrap() {
            codes.push(e.text().await.unwrap());
        }
    }
    assert_eq!(codes.len(), 50);

    // 50 evaluators vote through the ballot page: each types the code (or a
    // scanner types the slip's QR code) on /vote, which POSTs it.
    let started = Instant::now();
    let mut visited: Vec<String> = Vec::new();
    for (v, code) in codes.iter().enumerate() {
        c.goto(&format!("{base}/vote")).await.unwrap();
        if v % 5 == 0 {
            // Every fifth evaluator types the code key by key …
            css(c, "#code").await.send_keys(code).await.unwrap();
        } else {
            // … the others' codes are put in at once (as a scanner's would be).
            c.execute(
                "document.getElementById('code').value = arguments[0];",
                vec![json!(code)],
            )
            .await
            .unwrap();
        }
        css(c, ".code-form button").await.click().await.unwrap();
        css(c, "form.ballot").await;
        visited.extend(urls(c).await);
        if v == 0 {
            // The first voter clicks every choice (the labels are the targets).
            let items = c.find_all(Locator::Css(".ballot .item")).await.unwrap();
            assert_eq!(items.len(), 36, "6 leaders × 6 items");
            for (k, item) in items.iter().enumerate() {
                let labels = item.find_all(Locator::Css("label")).await.unwrap();
                labels[k % 2].click().await.unwrap();
            }
            shot(c, "04-ballot").await;
        } else {
            // The others choose by script (same form, same submit): voter v
            // gives 优秀 mostly, 称职 to every third, 基本称职 to every 17th.
            c.execute(
                "const v = arguments[0]; document.querySelectorAll('.ballot .item').forEach(function (it, k) { \
                   const g = (v % 17 === 0 && k % 6 === 5) ? 2 : ((v + k) % 3 === 0 ? 1 : 0); \
                   it.querySelectorAll('input')[g].checked = true; });",
                vec![json!(v)],
            )
            .await
            .unwrap();
        }
        if v == 1 {
            shot_sized(c, "05-ballot-mobile", 390).await;
        }
        css(c, ".ballot > button[type=submit]").await.click().await.unwrap();
        let receipt = css(c, "#receipt").await.text().await.unwrap();
        assert_eq!(receipt.len(), 9, "{receipt}");
        visited.extend(urls(c).await);
        if v == 0 {
            shot_sized(c, "06-receipt-mobile", 390).await;
            // The same code again is refused in Chinese.
            c.goto(&format!("{base}/vote")).await.unwrap();
            css(c, "#code").await.send_keys(code).await.unwrap();
            css(c, ".code-form button").await.click().await.unwrap();
            css(c, ".banner").await;
            visited.extend(urls(c).await);
            let t = body_text(c).await;
            assert!(t.contains("该选票码已投过票"), "{t}");
            shot_sized(c, "07-used-code-mobile", 390).await;
            c.goto(&format!("{base}/vote/receipt?code={receipt}")).await.unwrap();
            assert!(body_text(c).await.contains("已计入"));
        }
    }
    eprintln!(
        "50 ballots through the page in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // No ballot code was in any URL the browser visited or fetched.
    assert!(visited.len() >= 100, "{visited:?}");
    for code in &codes {
        let bare = code.replace('-', "");
        for u in &visited {
            let u = u.to_uppercase();
            assert!(!u.contains(code.as_str()) && !u.contains(&bare), "code {code} in {u}");
        }
    }

    // Live turnout, close, results.
    c.goto(&format!("{base}/assess/{id}")).await.unwrap();
    let t = body_text(c).await;
    assert!(t.contains("100.0%"), "every code used: {t}");
    shot(c, "08-turnout").await;
    confirm_yes(c).await;
    css(c, "form[action$='/close'] button").await.click().await.unwrap();
    css(c, "table.results").await;
    let t = body_text(c).await;
    assert!(t.contains("复核一致"), "{t}");
    assert!(t.contains("收回有效选票50张"), "{t}");
    shot(c, "09-results").await;

    // The result sheet: fetched by the page's link, a zip with the figures.
    let href = css(c, "a[href$='/sheet/docx']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let bytes = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(Array.from(new Uint8Array(b))));",
            vec![json!(href)],
        )
        .await
        .unwrap();
    let bytes: Vec<u8> = serde_json::from_value(bytes).unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut xml = String::new();
    z.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    for needle in [
        "结果汇总表",
        "收回有效选票",
        "称职以上率",
        "常务副县长",
        "述职述廉述德报告",
        "100.0%",
    ] {
        assert!(xml.contains(needle), "{needle} not in the DOCX");
    }
    Ok(())
}
