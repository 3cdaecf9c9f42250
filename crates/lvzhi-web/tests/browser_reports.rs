//! 报告 in a real browser (headless Chromium over chromedriver, fantoccini) on
//! the demo county: the office generates the 述职述廉述德报告 of the 常务副县长
//! for 2026, sees 114.2% in the preview, follows a figure to its records,
//! downloads the DOCX (a zip whose word/document.xml has 114.2%), copies the
//! template, saves it (version 1), adds an unknown indicator and sees the
//! error at its line, fixes it and saves version 2; each 副县长, chosen by id,
//! gets a report signed by that person with their 分管 figures; the
//! 常务副县长 signs in and generates her own report. Screenshots go to
//! `target/ui-screenshots/report-*.png`.
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use common::browser::set_value;
use common::browser::shots_dir;
use fantoccini::{Client, Locator};
use lvzhi_core::access::Role;
use serde_json::json;
use std::io::Read;

/// A screenshot of the whole page (the window grown to the page's height).
async fn shot(c: &Client, name: &str) {
    browser::shot_page(c, name, 1366, 700, 5000).await;
}

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    browser::css_within(c, sel, 30).await
}

/// A screenshot of the window as it is (after scrolling).
async fn view_shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots_dir().join(format!("{name}.png")), png).unwrap();
}

async fn value_of(c: &Client, id: &str) -> String {
    c.execute("return document.getElementById(arguments[0]).value;", vec![json!(id)])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

async fn body_text(c: &Client) -> String {
    css(c, "body").await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_writes_the_duty_report_and_edits_a_template() {
    let Some(tools) = browser::tools() else {
        return;
    };

    // The demo county (the seed's figures need it), on the demo's clock.
    let demo = browser::Demo::start().await;
    let office = demo.users.iter().find(|u| u.role == Role::Office).unwrap().clone();

    let people = demo.store.people().await.unwrap();
    let leader = demo.users.iter().find(|u| u.role == Role::Leader).unwrap().clone();

    let b = tools.launch().await;
    let c = b.c.clone();
    let mut result = run(&c, &demo.base, &office.username, &office.password, &people).await;
    if result.is_ok() {
        result = deputies(&c, &demo.base, &people).await;
    }
    if result.is_ok() {
        browser::logout(&c).await;
        result = own_report(&c, &demo.base, &leader.username, &leader.password, &people).await;
    }
    b.close().await;
    let versions = demo.store.template_versions("述职报告-修改稿").await.unwrap();
    demo.stop().await;
    result.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].author, office.username);
}

/// The person holding a post (the first, for posts several hold).
fn person_id(people: &[lvzhi_store::org::Person], post: &str) -> String {
    people.iter().find(|p| p.post == post).unwrap().id.to_string()
}

/// Each 副县长, chosen by id in the 述职人 list (all four share the post):
/// the report is signed by that person and carries their 分管 figures.
async fn deputies(c: &Client, base: &str, people: &[lvzhi_store::org::Person]) -> Result<(), String> {
    for p in people.iter().filter(|p| p.post == "副县长") {
        c.goto(&format!("{base}/reports")).await.unwrap();
        css(c, "#tpl-select").await;
        set_value(c, "tpl-select", "述职述廉述德报告").await;
        set_value(c, "person-select", &p.id.to_string()).await;
        set_value(c, "period-input", "2026").await;
        set_value(c, "scope-select", "county").await;
        css(c, "#generate").await.click().await.unwrap();
        let preview = css(c, "#report-preview").await.text().await.unwrap();
        let end: Vec<&str> = preview.lines().filter(|l| !l.trim().is_empty()).collect();
        if end.iter().rev().nth(1).map(|l| l.trim()) != Some(p.name.as_str()) {
            return Err(format!("{} chosen, signed otherwise: {preview}", p.name));
        }
        if !preview.contains("分管领域主要工作指标") {
            return Err(format!("{}: no figures of their 分管: {preview}", p.name));
        }
    }
    shot(c, "report-05-deputy").await;
    Ok(())
}

/// The 常务副县长 signs in and generates her own report (she is the default 述职人).
async fn own_report(
    c: &Client,
    base: &str,
    user: &str,
    password: &str,
    people: &[lvzhi_store::org::Person],
) -> Result<(), String> {
    browser::login(c, base, user, password).await;
    c.goto(&format!("{base}/reports")).await.unwrap();
    css(c, "#tpl-select").await;
    if value_of(c, "person-select").await != person_id(people, "常务副县长") {
        return Err("the leader is not the default 述职人".into());
    }
    set_value(c, "tpl-select", "述职述廉述德报告").await;
    set_value(c, "period-input", "2026").await;
    css(c, "#generate").await.click().await.unwrap();
    let preview = css(c, "#report-preview").await.text().await.unwrap();
    shot(c, "report-06-own").await;
    let name = &people.iter().find(|p| p.post == "常务副县长").unwrap().name;
    if !preview.contains("社会消费品零售总额完成67.53亿元") || !preview.contains(name.as_str()) {
        return Err(format!("her own report: {preview}"));
    }
    Ok(())
}

async fn run(
    c: &Client,
    base: &str,
    user: &str,
    password: &str,
    people: &[lvzhi_store::org::Person],
) -> Result<(), String> {
    browser::login(c, base, user, password).await;

    // 报告 from the menu; pick template, person (by id), period, scope.
    css(c, "nav.side a[href=\"/reports\"]").await.click().await.unwrap();
    css(c, "#tpl-select").await;
    shot(c, "report-01-page").await;
    set_value(c, "tpl-select", "述职述廉述德报告").await;
    set_value(c, "person-select", &person_id(people, "常务副县长")).await;
    set_value(c, "period-input", "2026").await;
    set_value(c, "scope-select", "county").await;
    css(c, "#generate").await.click().await.unwrap();
    let preview = css(c, "#report-preview").await.text().await.unwrap();
    if !preview.contains("114.2%") {
        return Err(format!("no 114.2% in the preview: {preview}"));
    }
    shot(c, "report-02-preview").await;
    c.execute(
        "for (const a of document.querySelectorAll('#report-preview a.fig')) \
         { if (a.textContent === '114.2%') { a.scrollIntoView({block: 'center'}); break; } }",
        vec![],
    )
    .await
    .unwrap();
    view_shot(c, "report-02b-preview-figures").await;

    // The figure 114.2% links to its records.
    let links = c.find_all(Locator::Css("#report-preview a.fig")).await.unwrap();
    let mut target = None;
    for l in links {
        if l.text().await.unwrap() == "114.2%" {
            target = Some(l);
            break;
        }
    }
    let target = target.ok_or("no link on 114.2%")?;
    let href = target.attr("href").await.unwrap().unwrap_or_default();
    if !href.starts_with("/reports/figure?") {
        return Err(format!("figure link goes to {href}"));
    }
    // The DOCX link, read before leaving the page.
    let docx_href = css(c, "#download-docx").await.attr("href").await.unwrap().unwrap();
    target.click().await.unwrap();
    css(c, ".page-head h1").await;
    let text = body_text(c).await;
    if !text.contains("114.2%") || !text.contains("数据来源") {
        return Err(format!("figure page: {text}"));
    }
    shot(c, "report-03-figure").await;
    // Back to the same report.
    css(c, "#back-to-report").await.click().await.unwrap();
    let again = css(c, "#report-preview").await.text().await.unwrap();
    if !again.contains("114.2%") {
        return Err("返回报告 did not bring the report back".into());
    }

    // Download the DOCX in the browser's session and look inside.
    c.goto(&format!("{base}/reports")).await.unwrap();
    css(c, "#tpl-select").await;
    let bytes = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.arrayBuffer()) \
             .then(b => done(Array.from(new Uint8Array(b)))).catch(e => done(String(e)));",
            vec![json!(docx_href)],
        )
        .await
        .unwrap();
    let bytes: Vec<u8> = bytes
        .as_array()
        .ok_or_else(|| format!("download failed: {bytes}"))?
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect();
    if !bytes.starts_with(b"PK") {
        return Err("the DOCX is not a zip".into());
    }
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).map_err(|e| e.to_string())?;
    let mut doc = String::new();
    z.by_name("word/document.xml")
        .map_err(|e| e.to_string())?
        .read_to_string(&mut doc)
        .unwrap();
    if !doc.contains("114.2%") {
        return Err("word/document.xml has no 114.2%".into());
    }

    // Copy the shipped template; save the copy as version 1.
    c.goto(&format!(
        "{base}/reports/templates/edit?name=%E8%BF%B0%E8%81%8C%E8%BF%B0%E5%BB%89%E8%BF%B0%E5%BE%B7%E6%8A%A5%E5%91%8A"
    ))
    .await
    .unwrap();
    css(c, "#copy-template").await.click().await.unwrap();
    css(c, "#tpl-source").await;
    set_value(c, "tpl-name", "述职报告-修改稿").await;
    css(c, "#save-template").await.click().await.unwrap();
    let saved = css(c, "#saved-notice").await.text().await.unwrap();
    if saved != "已保存为第1版。" {
        return Err(format!("first save: {saved}"));
    }
    // Add a sentence naming an unknown indicator: refused at its line.
    let original = value_of(c, "tpl-source").await;
    let lines = original.lines().count();
    let bad = format!("{original}\n全年共办理群众诉求{{{{ ind(\"群众诉求办理数\") }}}}。\n");
    set_value(c, "tpl-source", &bad).await;
    css(c, "#save-template").await.click().await.unwrap();
    let err = css(c, "#template-error").await.text().await.unwrap();
    let want = format!("模板第{}行：指标“群众诉求办理数”不存在", lines + 2);
    if !err.contains(&want) {
        return Err(format!("expected “{want}”, got: {err}"));
    }
    shot(c, "report-04-line-error").await;
    // Fix it with an indicator that exists: saved as version 2.
    let fixed = format!("{original}\n全年共调处矛盾纠纷，调处成功率{{{{ ind(\"调处成功率\") }}}}。\n");
    set_value(c, "tpl-source", &fixed).await;
    set_value(c, "tpl-note", "补充矛盾纠纷调处情况").await;
    css(c, "#save-template").await.click().await.unwrap();
    let saved = css(c, "#saved-notice").await.text().await.unwrap();
    if saved != "已保存为第2版。" {
        return Err(format!("second save: {saved}"));
    }
    let history = css(c, "#versions").await.text().await.unwrap();
    if !history.contains("第2版") || !history.contains("第1版") || !history.contains(user) {
        return Err(format!("history: {history}"));
    }
    shot(c, "report-05-versions").await;
    Ok(())
}
