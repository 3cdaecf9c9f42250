//! The field pages in a real browser (headless Chromium) on the demo county.
//!
//! `hazard_loop_on_a_phone`: at 390×844, 西洞镇's clerk and head take a hazard from
//! 登记 to 销号 — the clerk registers it, the head 交办s it to the township
//! itself, the clerk 提交验收, the head 验收销号 (验收人 filled from the session,
//! not typed) — with a 整改前照片 taken in the create form and the 整改后照片 in
//! 提交验收's own form (a first try with a wrong date is refused and keeps no
//! photo); both shown side by side with their capture times. On every page they use (login, 首页, 我的待办, the create form,
//! the record page with each transition form open, the list) nothing scrolls
//! sideways (`scrollWidth <= clientWidth`) and every control is at least 44 px
//! tall and wide; the menu is folded away until 菜单 is tapped.
//! Screenshots: `target/ui-screenshots/field-*.png`.
//!
//! `every_ledger_list_fits_1366`: at 1366×768 as the office, every ledger's list
//! has `scrollWidth == clientWidth` (page and table), says 共N条 第1/M页, and its
//! page numbers lead to page 2 and back; a user's column choice is kept.
//!
//! Without chromium/chromedriver the tests say so and pass, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes them fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use common::browser::set_value;
use fantoccini::Client;
use serde_json::json;
use std::collections::HashMap;

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    browser::css_within(c, sel, 15).await
}

/// Sizes the window so that the page's viewport is `w`×`h`. Chromium may
/// apply a resize a moment after answering (seen on a loaded machine), so the
/// size is set again until the page reports it, for up to ten seconds.
async fn viewport(c: &Client, w: u32, h: u32) {
    let inner = || async {
        let v = c
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .unwrap();
        (v[0].as_u64().unwrap() as u32, v[1].as_u64().unwrap() as u32)
    };
    let (mut ww, mut wh) = (w, h);
    let mut seen = (0, 0);
    for _ in 0..40 {
        c.set_window_size(ww, wh).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        seen = inner().await;
        if seen == (w, h) {
            return;
        }
        // The window's frame takes the difference: grow the window by it.
        if seen.0 <= ww && seen.1 <= wh {
            ww = w + (ww - seen.0.min(ww)).min(200);
            wh = h + (wh - seen.1.min(wh)).min(300);
        }
    }
    assert_eq!(seen.0, w, "viewport width");
}

/// A screenshot of the viewport as it is.
async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(browser::shots_dir().join(format!("field-{name}.png")), png).unwrap();
}

/// Asserts the page does not scroll sideways and every visible control is at
/// least 44×44 px; `what` names the page in the message.
async fn fits_phone(c: &Client, what: &str) {
    let v = c
        .execute(
            "var d = document.documentElement;\
             var bad = [];\
             var sel = 'a.btn, button, input:not([type=hidden]):not([type=checkbox]):not(.nav-toggle), select, textarea, \
                        summary, .menu-btn, nav.side a, .crumbs a, table.stack a, label.check, .pager a';\
             document.querySelectorAll(sel).forEach(function (e) {\
               var r = e.getBoundingClientRect();\
               if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') return;\
               if (r.height < 43.5 || r.width < 43.5) bad.push(e.tagName + '.' + e.className + ' \"' + \
                 (e.textContent || e.name || '').trim().slice(0, 12) + '\" ' + Math.round(r.width) + '×' + Math.round(r.height));\
             });\
             return [d.scrollWidth, d.clientWidth, bad];",
            vec![],
        )
        .await
        .unwrap();
    let (sw, cw) = (v[0].as_i64().unwrap(), v[1].as_i64().unwrap());
    assert!(sw <= cw, "{what}: scrolls sideways ({sw} > {cw})");
    let bad: Vec<String> = v[2]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap_or("").to_string())
        .collect();
    assert!(bad.is_empty(), "{what}: touch targets under 44 px: {bad:?}");
}

/// A JPEG with EXIF capture time `taken` written to a temp file (the phone's camera).
fn photo_file(what: &str, taken: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("lvzhi-field-{what}-{}.jpg", std::process::id()));
    std::fs::write(&path, lvzhi_files::sample::photo(1200, 900, Some(taken), None)).unwrap();
    path
}

/// The texts of the before/after columns of 证据材料.
async fn compare_columns(c: &Client) -> Vec<String> {
    let v = c
        .execute(
            "return Array.from(document.querySelectorAll('#evidence .compare-col')).map(function (e) { return e.innerText; });",
            vec![],
        )
        .await
        .unwrap();
    let cols: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(cols.len(), 2, "整改前/整改后 columns: {cols:?}");
    cols
}

/// Asserts the two photos stand side by side (same top, left to right, inside
/// the viewport), once their thumbnails have loaded (waiting up to 10 s).
async fn side_by_side(c: &Client) {
    let mut v = json!(null);
    for _ in 0..100 {
        v = c
            .execute(
                "var f = document.querySelectorAll('#evidence .compare-col figure img');\
                 if (f.length < 2) return 'photos: ' + f.length;\
                 f[0].scrollIntoView();\
                 var a = f[0].getBoundingClientRect(), b = f[1].getBoundingClientRect();\
                 return [f[0].complete && f[1].complete, Math.round(a.top) === Math.round(b.top),\
                         a.right <= b.left, b.right <= window.innerWidth, a.width > 100];",
                vec![],
            )
            .await
            .unwrap();
        if v == json!([true, true, true, true, true]) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("整改前/整改后 not side by side: {v}");
}

async fn displayed(c: &Client, sel: &str) -> bool {
    c.execute(
        "var e = document.querySelector(arguments[0]); return !!e && getComputedStyle(e).display !== 'none';",
        vec![json!(sel)],
    )
    .await
    .unwrap()
    .as_bool()
    .unwrap()
}

/// The list's 共N条 第i/M页 once it contains `needle` (after a click that navigates), waiting up to 15 s.
async fn total_with(c: &Client, needle: &str) -> String {
    let mut t = String::new();
    for _ in 0..150 {
        t = c
            .execute(
                "var e = document.getElementById('list-total'); return e ? e.textContent : '';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        if t.contains(needle) {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("list total never showed {needle}: {t}");
}

/// The number of header cells of the list once it is `want` (after a form that reloads the page), waiting up to 15 s.
async fn heads_become(c: &Client, want: impl Fn(i64) -> bool) -> i64 {
    let mut n = -1;
    for _ in 0..150 {
        n = c
            .execute(
                "return document.querySelectorAll('table.records thead th').length;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_i64())
            .unwrap_or(-1);
        if want(n) {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("list headers never matched: {n}");
}

struct Ctx {
    c: Client,
    base: String,
    passwords: HashMap<String, String>,
}

impl Ctx {
    async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    async fn login(&self, user: &str) {
        self.goto("/login").await;
        css(&self.c, "#username").await;
        fits_phone(&self.c, "登录").await;
        browser::login(&self.c, &self.base, user, &self.passwords[user]).await;
    }

    async fn logout(&self) {
        self.goto("/").await;
        css(&self.c, ".logout button").await.click().await.unwrap();
        css(&self.c, "#username").await;
    }

    /// Opens the transition `name` and returns its form's selector.
    async fn open_action(&self, name: &str) -> String {
        browser::open_action(&self.c, name).await
    }

    async fn submit(&self, form: &str) {
        browser::submit(&self.c, form).await
    }

    async fn state(&self) -> String {
        browser::step_state(&self.c).await
    }
}

fn run_in_task<F>(f: F) -> tokio::task::JoinHandle<Result<(), String>>
where
    F: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    tokio::spawn(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hazard_loop_on_a_phone() {
    let Some(tools) = browser::tools() else {
        return;
    };
    let demo = browser::Demo::start().await;
    let units = demo.store.units().await.unwrap();
    let xidong = units.iter().find(|u| u.name == "西洞镇人民政府").unwrap().id;
    let b = tools.launch().await;
    let ctx = Ctx {
        c: b.c.clone(),
        base: demo.base.clone(),
        passwords: demo
            .users
            .iter()
            .map(|u| (u.username.clone(), u.password.clone()))
            .collect(),
    };
    let result = run_in_task(async move { phone_loop(&ctx, xidong).await }).await;
    b.close().await;
    demo.stop().await;
    match result {
        Ok(r) => r.unwrap(),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("{e}"),
    }
}

async fn phone_loop(x: &Ctx, xidong: i64) -> Result<(), String> {
    let c = &x.c;
    viewport(c, 390, 844).await;
    x.goto("/login").await;
    css(c, "#username").await;
    shot(c, "01-login").await;

    // The clerk: the menu is folded away until 菜单 is tapped.
    x.login("xidong_clerk").await;
    assert!(!displayed(c, "nav.side").await, "the menu starts folded");
    fits_phone(c, "首页").await;
    shot(c, "02-home-clerk").await;
    css(c, ".menu-btn").await.click().await.unwrap();
    assert!(displayed(c, "nav.side").await, "菜单 opens the menu");
    fits_phone(c, "首页（菜单展开）").await;
    shot(c, "03-menu-open").await;
    css(c, "nav.side a[href='/todo']").await.click().await.unwrap();
    css(c, "h1 .count").await;
    assert!(!displayed(c, "nav.side").await, "a new page starts folded");
    fits_phone(c, "我的待办").await;
    shot(c, "04-todo-clerk").await;

    // 登记: fields stacked, one column.
    x.goto("/ledgers/hazard/new").await;
    css(c, "#f-description").await;
    let cols = c
        .execute(
            "var a = document.querySelector('[data-field=description]').getBoundingClientRect();\
             var b = document.querySelector('[data-field=company]').getBoundingClientRect();\
             return a.left === b.left && Math.abs(a.width - b.width) < 1;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(cols, json!(true), "fields are stacked in one column");
    fits_phone(c, "登记").await;
    shot(c, "05-new").await;
    css(c, "#f-description")
        .await
        .send_keys("西洞村砖厂配电室电缆裸露（手机闭环测试）")
        .await
        .unwrap();
    css(c, "#f-company").await.send_keys("肃州区西洞砖厂").await.unwrap();
    css(c, "#f-industry").await.select_by_value("工贸").await.unwrap();
    css(c, "#f-grade").await.select_by_value("一般").await.unwrap();
    css(c, "#f-township").await.select_by_value("620902100").await.unwrap();
    set_value(c, "f-found_on", "2026-11-20").await;
    // 整改前照片 with the phone's camera, in the create form itself.
    let cam = css(c, "#f-file-1").await;
    assert_eq!(cam.attr("capture").await.unwrap().as_deref(), Some("environment"));
    assert_eq!(cam.attr("accept").await.unwrap().as_deref(), Some("image/*"));
    let before = photo_file("before", "2026:11:20 08:30:00");
    cam.send_keys(&before.to_string_lossy()).await.unwrap();
    fits_phone(c, "登记（含照片）").await;
    x.submit("form.record-form").await;
    let notice = css(c, ".notice").await.text().await.unwrap();
    assert!(notice.contains("已登记"), "{notice}");
    let url = c.current_url().await.unwrap();
    let id: i64 = url
        .path()
        .trim_start_matches("/records/")
        .parse()
        .map_err(|_| format!("not a record page: {url}"))?;
    assert!(x.state().await.contains("待交办"));
    let cols = compare_columns(c).await;
    assert!(
        cols[0].contains("整改前照片") && cols[0].contains("拍摄于 2026年11月20日 08:30"),
        "the before photo, with its capture time: {cols:?}"
    );
    assert!(
        cols[1].contains("整改后照片") && cols[1].contains("尚未上传"),
        "{cols:?}"
    );
    fits_phone(c, "记录").await;
    shot(c, "06-record-registered").await;
    x.logout().await;

    // The head: 交办 to the township itself, from 我的待办.
    x.login("xidong_head").await;
    x.goto("/todo").await;
    css(c, &format!("table.todo-all a[href='/records/{id}']")).await;
    fits_phone(c, "我的待办（负责人）").await;
    shot(c, "07-todo-head").await;
    x.goto(&format!("/records/{id}")).await;
    let form = x.open_action("交办").await;
    css(c, "[id='t-交办-responsible_unit']")
        .await
        .select_by_value(&xidong.to_string())
        .await
        .unwrap();
    set_value(c, "t-交办-deadline", "2026-12-10").await;
    fits_phone(c, "交办").await;
    shot(c, "08-assign-form").await;
    x.submit(&form).await;
    css(c, ".notice").await;
    assert!(x.state().await.contains("整改中"));
    // …and names the clerk as 承办人.
    css(c, "details#assign > summary").await.click().await.unwrap();
    c.execute(
        "var s = document.getElementById('assign-user');\
         for (var i = 0; i < s.options.length; i++) if (s.options[i].text === '西洞镇经办人') s.selectedIndex = i;",
        vec![],
    )
    .await
    .unwrap();
    fits_phone(c, "指派承办人").await;
    shot(c, "08b-assign-person").await;
    x.submit("details#assign form").await;
    browser::notice_containing(c, "已指派承办人").await;
    let facts = css(c, ".facts").await.text().await.unwrap();
    assert!(facts.contains("承办人") && facts.contains("西洞镇经办人"), "{facts}");
    x.logout().await;

    // The clerk: the record is first in 我的待办 (assigned to them), then 提交验收.
    x.login("xidong_clerk").await;
    x.goto("/todo").await;
    let first = css(c, "table.todo-all tbody tr td a").await.attr("href").await.unwrap();
    assert_eq!(first.as_deref(), Some(format!("/records/{id}").as_str()), "mine first");
    css(c, "table.todo-all tbody tr .badge-mine").await;
    shot(c, "08c-todo-mine-first").await;
    x.goto(&format!("/records/{id}")).await;
    // 提交验收 needs a 整改后照片 (the pack's evidence rule): its own form has the camera input,
    // so the photo and the step are sent together.
    let form = x.open_action("提交验收").await;
    let cam = css(c, "[id='t-提交验收-file-1']").await;
    assert_eq!(cam.attr("capture").await.unwrap().as_deref(), Some("environment"));
    assert_eq!(cam.attr("required").await.unwrap().as_deref(), Some("true"));
    assert_eq!(
        css(c, &form).await.attr("enctype").await.unwrap().as_deref(),
        Some("multipart/form-data")
    );
    let after = photo_file("after", "2026:11:24 15:00:00");
    // First with a 整改完成日期 before 发现日期: refused, and the photo is not kept.
    cam.send_keys(&after.to_string_lossy()).await.unwrap();
    css(c, "[id='t-提交验收-measures']")
        .await
        .send_keys("已更换电缆并加装护套，设置警示标志")
        .await
        .unwrap();
    set_value(c, "t-提交验收-rectified_on", "2026-11-10").await;
    x.submit(&form).await;
    let banner = css(c, ".banner").await.text().await.unwrap();
    assert!(banner.contains("随本次办理选择的文件未保存"), "{banner}");
    assert!(x.state().await.contains("整改中"));
    let cols = compare_columns(c).await;
    assert!(cols[1].contains("尚未上传"), "a refused step leaves no photo: {cols:?}");
    shot(c, "09a-submit-refused").await;
    // Again, right: the form is still open with the text kept; the photo is chosen again.
    set_value(c, "t-提交验收-rectified_on", "2026-11-24").await;
    css(c, "[id='t-提交验收-file-1']")
        .await
        .send_keys(&after.to_string_lossy())
        .await
        .unwrap();
    fits_phone(c, "提交验收").await;
    shot(c, "09-submit-form").await;
    x.submit(&form).await;
    css(c, ".notice").await;
    assert!(x.state().await.contains("待验收"));
    let _ = std::fs::remove_file(&before);
    let _ = std::fs::remove_file(&after);
    x.logout().await;

    // The head: 验收销号; 验收人 is shown, not typed, and recorded as the head.
    // 整改前 and 整改后 side by side, each with its capture time.
    x.login("xidong_head").await;
    x.goto(&format!("/records/{id}")).await;
    let cols = compare_columns(c).await;
    assert!(cols[0].contains("拍摄于 2026年11月20日 08:30"), "{cols:?}");
    assert!(
        cols[1].contains("整改后照片") && cols[1].contains("拍摄于 2026年11月24日 15:00"),
        "{cols:?}"
    );
    side_by_side(c).await;
    c.execute("document.getElementById('evidence').scrollIntoView();", vec![])
        .await
        .unwrap();
    shot(c, "09b-before-after-head").await;
    c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    let form = x.open_action("验收销号").await;
    let who = css(c, "[id='t-验收销号-accepted_by']").await;
    assert_eq!(who.tag_name().await.unwrap(), "div", "验收人 is read-only");
    assert_eq!(who.text().await.unwrap(), "西洞镇负责人");
    css(c, "[id='t-验收销号-acceptance']")
        .await
        .send_keys("现场复查，整改到位，同意销号")
        .await
        .unwrap();
    fits_phone(c, "验收销号").await;
    shot(c, "10-accept-form").await;
    x.submit(&form).await;
    css(c, ".notice").await;
    assert!(x.state().await.contains("已销号"));
    let text = css(c, ".facts").await.text().await.unwrap();
    assert!(text.contains("西洞镇负责人"), "验收人 recorded: {text}");
    fits_phone(c, "已销号").await;
    browser::shot_page(c, "field-11-record-closed", 390, 844, 4000).await;
    viewport(c, 390, 844).await;

    // The list on a phone: no sideways scroll of the page (the table scrolls in its box).
    x.goto("/ledgers/hazard").await;
    css(c, "#list-total").await;
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert!(v[0].as_i64() <= v[1].as_i64(), "list page at 390: {v}");
    shot(c, "12-list").await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ledger_list_fits_1366() {
    let Some(tools) = browser::tools() else {
        return;
    };
    let demo = browser::Demo::start().await;
    let keys: Vec<String> = demo.store.pack().ledgers.iter().map(|l| l.key.clone()).collect();
    let office_password = demo.user("office").password.clone();
    let b = tools.launch().await;
    let c = b.c.clone();
    let base = demo.base.clone();
    let result = run_in_task(async move {
        viewport(&c, 1366, 768).await;
        browser::login(&c, &base, "office", &office_password).await;
        let mut wide = Vec::new();
        for key in &keys {
            c.goto(&format!("{base}/ledgers/{key}")).await.unwrap();
            let total = css(&c, "#list-total").await.text().await.unwrap();
            let v = c
                .execute(
                    "var d = document.documentElement; var t = document.querySelector('.table-wrap');\
                     return [d.scrollWidth, d.clientWidth, t ? t.scrollWidth : 0, t ? t.clientWidth : 0];",
                    vec![],
                )
                .await
                .unwrap();
            if v[0] != v[1] || v[2] != v[3] {
                wide.push(format!("{key}: page {} > {}, table {} > {}", v[0], v[1], v[2], v[3]));
            }
            assert!(total.starts_with('共') && total.contains("第1/"), "{key}: {total}");
            browser::shot_page(&c, &format!("field-20-list-{key}-1366"), 1366, 768, 2400).await;
        }
        assert!(wide.is_empty(), "lists scroll sideways at 1366: {wide:?}");
        // Page numbers: 第2页 and back, the total kept.
        c.goto(&format!("{base}/ledgers/hazard")).await.unwrap();
        let total1 = css(&c, "#list-total").await.text().await.unwrap();
        let first_id = css(&c, "table.records tbody tr td a").await.text().await.unwrap();
        css(&c, ".pager a.page-no[href*='page=2']").await.click().await.unwrap();
        let total2 = total_with(&c, "第2/").await;
        assert!(total2.contains("第2/"), "{total2}");
        assert_eq!(total1.split(' ').next(), total2.split(' ').next());
        let second_first = css(&c, "table.records tbody tr td a").await.text().await.unwrap();
        assert_ne!(first_id, second_first, "page 2 shows other records");
        // The last page through its number, then 上一页.
        let last = c
            .execute(
                "var a = document.querySelectorAll('.pager a.page-no'); return a[a.length - 1].textContent;",
                vec![],
            )
            .await
            .unwrap();
        let last: i64 = last.as_str().unwrap().parse().unwrap();
        c.execute(
            "var a = document.querySelectorAll('.pager a.page-no'); a[a.length - 1].click();",
            vec![],
        )
        .await
        .unwrap();
        let t = total_with(&c, &format!("第{last}/{last}页")).await;
        assert!(t.ends_with(&format!("第{last}/{last}页")), "{t}");
        css(&c, ".pager a[rel=prev]").await.click().await.unwrap();
        let t = total_with(&c, &format!("第{}/", last - 1)).await;
        assert!(t.contains(&format!("第{}/", last - 1)), "{t}");
        browser::shot_page(&c, "field-21-list-page-prev", 1366, 768, 2400).await;
        // 跳至: a page number typed in.
        c.execute("document.querySelector('.page-jump input[name=page]').value = '3';", vec![])
            .await
            .unwrap();
        css(&c, ".page-jump button").await.click().await.unwrap();
        let t = total_with(&c, "第3/").await;
        assert!(t.contains("第3/"), "{t}");

        // Columns: choose 企业名称 and 隐患等级 only; kept on the next visit.
        c.goto(&format!("{base}/ledgers/hazard")).await.unwrap();
        css(&c, "details.columns > summary").await.click().await.unwrap();
        c.execute(
            "document.querySelectorAll('.columns-form input[name=col]').forEach(function (b) {\
               b.checked = (b.value === 'company' || b.value === 'grade'); });",
            vec![],
        )
        .await
        .unwrap();
        css(&c, ".columns-form button[type=submit]").await.click().await.unwrap();
        heads_become(&c, |n| n == 5).await;
        let heads = c
            .execute(
                "return Array.from(document.querySelectorAll('table.records thead th')).map(function (t) { return t.textContent.trim(); });",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(heads, json!(["编号 ▼", "状态", "企业名称", "隐患等级", "更新时间"]), "{heads}");
        browser::shot_page(&c, "field-22-list-columns", 1366, 768, 2400).await;
        c.goto(&format!("{base}/ledgers/hazard?page=2")).await.unwrap();
        css(&c, "#list-total").await;
        let n = c
            .execute("return document.querySelectorAll('table.records thead th').length;", vec![])
            .await
            .unwrap();
        assert_eq!(n, json!(5), "the choice is remembered");
        // 恢复默认.
        css(&c, "details.columns > summary").await.click().await.unwrap();
        css(&c, ".columns-form button[name=reset]").await.click().await.unwrap();
        let n = heads_become(&c, |n| n > 5).await;
        assert!(n > 5, "default columns back: {n}");
        Ok(())
    })
    .await;
    b.close().await;
    demo.stop().await;
    match result {
        Ok(r) => r.unwrap(),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("{e}"),
    }
}
