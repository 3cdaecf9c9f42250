//! 督查督办 → 超期升级 in a real browser (headless Chromium over chromedriver)
//! on the demo county, 2026年11月25日: after the daily scan, 应急管理局's head
//! reads her inbox and the office urges one item; the office opens the page at
//! 1366×768 from the 督查督办 tabs, and every figure of every row read out of
//! the rendered page — number, unit, deadline, 超期N天, who was told at each
//! step, when, read or not, the 催办 count — equals
//! `GET /api/v1/supervise/escalations` (same for the unit filter, chosen in
//! the form). A clerk gets 无权访问 (403) on the page and the API.
//! Screenshots: `target/ui-screenshots/chain-*.png`.
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use fantoccini::{Client, Locator};
use serde_json::Value;

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    browser::css_within(c, sel, 15).await
}

/// The time as the page shows it (Shanghai, 2026年11月25日 10:00).
fn when(stamp: &str) -> String {
    let z = stamp
        .parse::<jiff::Timestamp>()
        .unwrap()
        .to_zoned(lvzhi_core::time::shanghai());
    format!(
        "{}年{}月{}日 {:02}:{:02}",
        z.year(),
        z.month(),
        z.day(),
        z.hour(),
        z.minute()
    )
}

fn date_cn(d: &str) -> String {
    let d: jiff::civil::Date = d.parse().unwrap();
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The API's answer, fetched by the signed-in browser (the session cookie).
async fn api(c: &Client, base: &str, query: &str) -> Value {
    c.goto(&format!("{base}/api/v1/supervise/escalations{query}"))
        .await
        .unwrap();
    let text = css(c, "body").await.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// What the rendered page shows, row by row (read in one script: the text
/// as displayed, `innerText`).
const READ_ROWS: &str = r#"
return Array.from(document.querySelectorAll('#chain tbody tr')).map(tr => {
  const t = k => { const e = tr.querySelector('[data-k="' + k + '"]'); return e ? e.innerText.trim() : null; };
  const cell = k => {
    const td = tr.querySelector('td[data-k="' + k + '"]');
    return {at: td.getAttribute('data-at'), text: td.innerText,
      people: Array.from(td.querySelectorAll('[data-name]')).map(p => ({name: p.getAttribute('data-name'), label: p.innerText.trim()}))};
  };
  return {id: tr.getAttribute('data-id'), number: t('number'), title: t('title'), unit: t('unit'),
    deadline: t('deadline'), days: t('days'), told: cell('told'), head: cell('head'), leader: cell('leader'),
    urged: t('urged')};
});
"#;

/// Every row of the page against the API's items, in order (the API's answer
/// first checked against its documented schema). Returns the rows compared.
async fn compare(c: &Client, want: &Value) -> usize {
    let doc = lvzhi_web::api::openapi::document();
    let schema = serde_json::json!({"$ref": "#/components/schemas/Escalations"});
    lvzhi_web::api::openapi::validate(&doc, &schema, want, "escalations").unwrap();
    let items = want["items"].as_array().unwrap();
    let text = |sel: &'static str| async move { css(c, sel).await.text().await.unwrap() };
    assert_eq!(text("#chain-total").await, want["total"].to_string(), "total");
    let rows = c.execute(READ_ROWS, vec![]).await.unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), items.len(), "rows");
    let (mut head, mut leader, mut unread) = (0, 0, 0);
    for (r, i) in rows.iter().zip(items) {
        let id = r["id"].as_str().unwrap();
        assert_eq!(id, i["id"].to_string());
        let number = i["number"].as_str().map_or_else(|| format!("第{id}号"), str::to_string);
        assert_eq!(r["number"], number.as_str());
        assert_eq!(r["title"], i["title"]);
        assert_eq!(r["unit"], i["unit"]);
        assert_eq!(r["deadline"], date_cn(i["deadline"].as_str().unwrap()).as_str());
        assert_eq!(r["days"], i["days_overdue"].to_string().as_str(), "{id}: 超期");
        for (k, key) in [("told", "unit_told"), ("head", "head"), ("leader", "leader")] {
            let step = &i[key];
            let cell = &r[k];
            let at = step["at"].as_str().map(when).unwrap_or_default();
            assert_eq!(cell["at"], at.as_str(), "{id} {k}");
            let shown = cell["text"].as_str().unwrap();
            if at.is_empty() {
                assert!(shown.contains("未通知"), "{id} {k}: {shown}");
            } else {
                assert!(shown.contains(&at), "{id} {k}: {shown}");
            }
            let people = cell["people"].as_array().unwrap();
            let to = step["to"].as_array().unwrap();
            assert_eq!(people.len(), to.len(), "{id} {k}: recipients");
            for (p, t) in people.iter().zip(to) {
                assert_eq!(p["name"], t["name"]);
                let read = t["read_at"].is_string();
                let label = p["label"].as_str().unwrap();
                assert!(label.ends_with(if read { "已读" } else { "未读" }), "{id} {k}: {label}");
                unread += usize::from(!read);
            }
            head += usize::from(k == "head" && !at.is_empty());
            leader += usize::from(k == "leader" && !at.is_empty());
        }
        let urged = r["urged"].as_str().unwrap();
        match i["urged"].as_i64().unwrap() {
            0 => assert!(urged.contains("未催办"), "{id}: {urged}"),
            n => {
                assert!(urged.starts_with(&format!("{n}次")), "{id}: {urged}");
                let last = &i["last_urge"];
                let to = last["to"].as_array().unwrap();
                let read = to.iter().filter(|t| t["read_at"].is_string()).count();
                assert!(urged.contains(&format!("已读{read}/{}", to.len())), "{id}: {urged}");
                assert!(urged.contains(&when(last["at"].as_str().unwrap())), "{id}: {urged}");
            }
        }
    }
    // The summary line is the rows' sum.
    assert_eq!(text("#chain-head").await, head.to_string());
    assert_eq!(text("#chain-leader").await, leader.to_string());
    assert_eq!(text("#chain-unread").await, unread.to_string());
    rows.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_sees_the_escalation_chain_in_chromium() {
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
    let s = &demo.store;
    // The daily scan writes the 超期 notices and the escalations.
    s.scan_deadlines().await.unwrap();
    let office = demo.access("office").await;
    let head = demo.access("yingji_head").await;
    let unit = head.unit.unwrap();
    s.mark_notices_read(&head, None).await.unwrap();
    let chain = s.escalation_chain(&office, None, Some(unit)).await.unwrap();
    assert!(chain.len() > 5, "the bureau has escalated items: {}", chain.len());
    assert!(chain.iter().any(|i| i.head.at.is_some() && i.leader.at.is_some()));
    s.urge(&office, chain[0].id, "请于12月1日前办结").await.unwrap();

    // From 督查督办's tabs to the page, at 1366×768.
    browser::login(c, base, "office", &demo.user("office").password).await;
    c.set_window_size(1366, 768).await.unwrap();
    c.goto(&format!("{base}/supervise")).await.unwrap();
    css(c, "nav.tabs a[href='/supervise/escalations']")
        .await
        .click()
        .await
        .unwrap();
    css(c, "#chain").await;
    browser::shot_page(c, "chain-01-all", 1366, 768, 768).await;
    c.set_window_size(1366, 768).await.unwrap();
    let want = api(c, base, "").await;
    c.goto(&format!("{base}/supervise/escalations")).await.unwrap();
    css(c, "#chain").await;
    let all = compare(c, &want).await;
    assert!(all >= chain.len(), "all units, the bureau among them: {all}");

    // The unit filter, chosen in the form.
    let select = css(c, "select[name=unit]").await;
    select.select_by_value(&unit.to_string()).await.unwrap();
    css(c, "#chain form button[type=submit]").await.click().await.unwrap();
    css(c, "#chain tbody tr").await;
    let url = c.current_url().await.unwrap();
    assert!(url.query().unwrap_or("").contains(&format!("unit={unit}")), "{url}");
    browser::shot_page(c, "chain-02-unit", 1366, 768, 768).await;
    c.set_window_size(1366, 768).await.unwrap();
    let want = api(c, base, &format!("?unit={unit}")).await;
    c.goto(url.as_str()).await.unwrap();
    css(c, "#chain").await;
    let n = compare(c, &want).await;
    assert_eq!(n, chain.len());
    // The urged item: 1次, its clerk and head told, none read yet.
    let first = &want["items"][0];
    assert_eq!(first["urged"], 1);
    assert!(first["head"]["to"][0]["read_at"].is_string(), "the head read hers");
    browser::logout(c).await;

    // A clerk: 无权访问 on the page and from the API.
    browser::login(c, base, "yingji_clerk", &demo.user("yingji_clerk").password).await;
    c.goto(&format!("{base}/supervise/escalations")).await.unwrap();
    let text = css(c, "body").await.text().await.unwrap();
    assert!(text.contains("无权访问"), "{text}");
    c.goto(&format!("{base}/api/v1/supervise/escalations")).await.unwrap();
    let text = css(c, "body").await.text().await.unwrap();
    assert!(text.contains("forbidden"), "{text}");
    c.goto(&format!("{base}/supervise")).await.unwrap();
    css(c, "#items").await;
    assert!(
        c.find(Locator::Css("nav.tabs a[href='/supervise/escalations']"))
            .await
            .is_err(),
        "no tab for the clerk"
    );
    browser::logout(c).await;
    Ok(())
}
