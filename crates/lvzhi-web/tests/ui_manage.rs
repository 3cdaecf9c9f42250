//! 核查 and 管理 over HTTP against an in-process server with the sample county:
//! highlights at the right char offsets (multi-byte text included), .docx and
//! GBK uploads, size limits; the admin pages' access rules, CSRF, field
//! errors, events, targets read by the indicators, and the chain check.
//! The admin tests run on SQLite and PostgreSQL (when reachable).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use std::io::Write;

impl Server {
    /// Sets the county code as `lvzhi init` does: the indicators find the county by it.
    fn initialised(self) -> Server {
        self.rt.block_on(self.store.set_meta("initialized", "620902")).unwrap();
        self
    }

    fn sqlite() -> Server {
        Server::start().initialised()
    }

    /// On SQLite, and on PostgreSQL when reachable.
    fn all() -> Vec<Server> {
        Server::both().into_iter().map(Server::initialised).collect()
    }
}

/// The checked text of a 核查 page as (text, marked) pieces, reference marks removed.
fn highlighted(html: &str) -> Vec<(String, bool)> {
    let start = html.find("<div class=\"checked-text\"").expect("checked text");
    let body = &html[start..];
    let body = &body[body.find('>').unwrap() + 1..body.find("</div>").unwrap()];
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        if rest.starts_with("<a class=\"dref") {
            rest = &rest[rest.find("</a>").unwrap() + 4..];
        } else if rest.starts_with("<mark") {
            let inner = &rest[rest.find('>').unwrap() + 1..];
            let end = inner.find("</mark>").unwrap();
            out.push((inner[..end].to_string(), true));
            rest = &inner[end + 7..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            out.push((rest[..end].to_string(), false));
            rest = &rest[end..];
        }
    }
    out
}

// ------------------------------------------------------------------ 核查

/// Multi-byte text before the defects (emoji outside the BMP, CJK, full-width
/// digits): offsets are chars, so the marks must land exactly on the defects.
const REPORT: &str =
    "😀🚩 一、经济运行\n全县财政总收入２１.６亿元，完成预算18.92亿元的112%。\n二、下一步工作\n抓好XX项目的的建设。";

#[test]
fn check_highlights_at_char_offsets() {
    let s = Server::sqlite();
    // Every signed-in role has the page, the evaluator too.
    for user in ["evaluator", "clerk_xd", "leader"] {
        let mut b = s.signed_in(user);
        let r = b.get("/check");
        assert_eq!(r.status, 200, "{user}");
        assert!(r.text().contains("enctype=\"multipart/form-data\""));
        assert!(r.text().contains("href=\"/check\" class=\"nav-top active\""));
    }
    let mut b = s.signed_in("clerk_xd");
    let csrf = b.csrf();
    let diags = lvzhi_check::check(REPORT);
    assert!(diags.len() >= 2, "{diags:?}");
    // Pasted text (browsers send CRLF).
    let r = b.multipart(
        "/check",
        &[("csrf", &csrf), ("text", &REPORT.replace('\n', "\r\n"))],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    let pieces = highlighted(&html);
    let joined: String = pieces.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(joined, REPORT, "the text is shown whole and unchanged");
    // The marked characters are exactly the union of the diagnostics' spans.
    let chars: Vec<char> = REPORT.chars().collect();
    let mut expect = vec![false; chars.len()];
    for d in &diags {
        for m in &mut expect[d.start..d.end] {
            *m = true;
        }
    }
    let mut got = Vec::new();
    for (t, m) in &pieces {
        got.extend(std::iter::repeat_n(*m, t.chars().count()));
    }
    assert_eq!(got, expect);
    // Each diagnostic is explained: its number, message, suggestion, counts.
    let errors = diags
        .iter()
        .filter(|d| d.severity == lvzhi_check::Severity::Error)
        .count();
    assert!(html.contains(&format!("错误 {errors}")), "{html}");
    assert!(html.contains(&format!("提醒 {}", diags.len() - errors)));
    for (i, d) in diags.iter().enumerate() {
        assert!(html.contains(&format!("id=\"d-{}\"", i + 1)));
        assert!(html.contains(&d.message), "{}", d.message);
        assert!(html.contains(&format!("第{}行第{}列", d.line, d.column)));
    }
    assert!(html.contains("数字计算") && html.contains("建议："));
    assert!(html.contains("114.2%"), "the completion's right figure is suggested");
    // A clean text: 未发现问题.
    let r = b.post("/check", &[("csrf", &csrf), ("text", "全县财政总收入21.6亿元。")]);
    assert_eq!(r.status, 200);
    assert!(r.text().contains("未发现问题"));
    assert!(!r.text().contains("<mark"));
    // Escaped, never markup.
    let r = b.post(
        "/check",
        &[("csrf", &csrf), ("text", "<script>alert(1)</script>抓好XX项目")],
    );
    assert!(!r.text().contains("<script>alert"));
    let t = r.text();
    assert!(
        t.contains("&lt;script&gt;") || t.contains("&#60;script&#62;"),
        "{}",
        &t[t.find("checked-text").unwrap()..]
    );
    // Without the token: refused.
    let r = b.post("/check", &[("text", "抓好XX项目")]);
    assert_eq!(r.status, 403);
    let r = b.multipart("/check", &[("text", "抓好XX项目")], None);
    assert_eq!(r.status, 403);
    // Empty and too long: said in Chinese.
    let r = b.post("/check", &[("csrf", &csrf), ("text", "  ")]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("请粘贴要核查的文字"));
    let long = "很".repeat(lvzhi_web::ui::check::MAX_CHARS + 1);
    let r = b.multipart("/check", &[("csrf", &csrf), ("text", &long)], None);
    assert_eq!(r.status, 422);
    assert!(
        r.text().contains("超过单次核查上限"),
        "{}",
        &r.text()[..300.min(r.text().len())]
    );
    // An announced body over the limit: an HTML page, before the upload.
    b.prepare();
    let r =
        b.c.announce("POST", "/check", lvzhi_web::BODY_LIMIT + 10, b"--x")
            .unwrap();
    assert_eq!(r.status, 413);
    assert!(r.text().contains("上限") && r.text().contains("<html"), "{}", r.text());
    s.stop();
}

/// A minimal .docx holding `paragraphs`.
fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>",
    );
    for p in paragraphs {
        xml.push_str(&format!("<w:p><w:r><w:t>{p}</w:t></w:r></w:p>"));
    }
    xml.push_str("</w:body></w:document>");
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        z.start_file("[Content_Types].xml", opts).unwrap();
        z.write_all(
            b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>",
        )
        .unwrap();
        z.start_file("word/document.xml", opts).unwrap();
        z.write_all(xml.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    out.into_inner()
}

#[test]
fn check_uploads_docx_and_gbk() {
    let s = Server::sqlite();
    let mut b = s.signed_in("office");
    let csrf = b.csrf();
    // .docx: the paragraphs, one a line, checked like the CLI does.
    let file = docx(&["全县财政总收入21.6亿元，完成预算18.92亿元的112%。", "抓好**项目建设。"]);
    let r = b.multipart(
        "/check",
        &[("csrf", &csrf), ("text", "")],
        Some(("2026年工作报告.docx", &file)),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    assert!(html.contains("文件：2026年工作报告.docx"));
    let text = lvzhi_check::extract_docx_text(&file).unwrap();
    let diags = lvzhi_check::check(&text);
    assert!(diags.iter().any(|d| d.code == "arithmetic.completion"));
    assert!(diags.iter().any(|d| d.family() == "placeholder"));
    let joined: String = highlighted(&html).into_iter().map(|(t, _)| t).collect();
    assert_eq!(joined, text);
    for d in &diags {
        assert!(html.contains(&d.message));
    }
    // A GBK .txt: “抓好XX项目。” decoded, the placeholder found.
    let gbk: Vec<u8> = vec![0xD7, 0xA5, 0xBA, 0xC3, b'X', b'X', 0xCF, 0xEE, 0xC4, 0xBF, 0xA1, 0xA3];
    let r = b.multipart("/check", &[("csrf", &csrf)], Some(("旧材料.txt", &gbk)));
    assert_eq!(r.status, 200, "{}", r.text());
    let pieces = highlighted(&r.text());
    assert_eq!(
        pieces,
        vec![
            ("抓好".to_string(), false),
            ("XX".to_string(), true),
            ("项目。".to_string(), false)
        ]
    );
    // The file wins over the box; a broken .docx or an old .doc is said plainly.
    let r = b.multipart(
        "/check",
        &[("csrf", &csrf), ("text", "别的文字")],
        Some(("坏.docx", b"PK\x03\x04junk")),
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("无法读取文件“坏.docx”"));
    let r = b.multipart(
        "/check",
        &[("csrf", &csrf)],
        Some(("旧.doc", &[0xD0, 0xCF, 0x11, 0xE0, 0, 0])),
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("另存为 .docx"));
    s.stop();
}

// ------------------------------------------------------------------ 管理

#[test]
fn admin_pages_access_and_csrf() {
    for s in Server::all() {
        // Clerks, leaders, auditors: no admin pages, no menu link.
        for user in ["clerk_xd", "leader", "auditor", "evaluator"] {
            let mut b = s.signed_in(user);
            for p in ["/admin/units", "/admin/people", "/admin/users", "/admin/targets"] {
                assert_eq!(b.get(p).status, 403, "{user} {p}");
            }
            assert!(!b.get("/").text().contains("href=\"/admin/units\""));
            let csrf = b.csrf();
            let r = b.post("/admin/units", &[("csrf", &csrf), ("name", "新单位"), ("kind", "部门")]);
            assert_eq!(r.status, 403, "{user}");
        }
        let before = s.rt.block_on(s.store.units()).unwrap().len();
        // The office reads users but may not change them.
        let mut o = s.signed_in("office");
        let r = o.get("/admin/users");
        assert_eq!(r.status, 200);
        assert!(r.text().contains("clerk_xd") && r.text().contains("仅供查看"));
        assert!(!r.text().contains("action=\"/admin/users\""));
        let csrf = o.csrf();
        let r = o.post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "x1"),
                ("display_name", "x"),
                ("role", "auditor"),
                ("password", "Qs#clerk-2026"),
                ("password2", "Qs#clerk-2026"),
            ],
        );
        assert_eq!(r.status, 403);
        // Without the token nothing is written.
        let mut a = s.signed_in("admin");
        for (path, form) in [
            ("/admin/units", vec![("name", "无令牌局"), ("kind", "部门")]),
            ("/admin/units/1", vec![("action", "disable")]),
            ("/admin/users/clerk_qs/state", vec![("action", "disable")]),
            (
                "/admin/users/clerk_qs/password",
                vec![("password", "Qs#reset-2026"), ("password2", "Qs#reset-2026")],
            ),
            ("/admin/people", vec![("name", "无令牌")]),
            (
                "/admin/targets",
                vec![
                    ("indicator", "fiscal_total_budget"),
                    ("value", "1"),
                    ("measure", "亿元"),
                ],
            ),
        ] {
            let r = a.post(path, &form);
            assert_eq!(r.status, 403, "{path}");
            assert!(r.text().contains("CSRF"));
        }
        assert_eq!(s.rt.block_on(s.store.units()).unwrap().len(), before);
        assert!(s.rt.block_on(s.store.disabled_units()).unwrap().is_empty());
        assert_eq!(s.signed_in("clerk_qs").get("/").status, 200, "clerk_qs still works");
        s.stop();
    }
}

#[test]
fn admin_units_and_people() {
    for s in Server::all() {
        let mut a = s.signed_in("office");
        let csrf = a.csrf();
        let r = a.get("/admin/units");
        assert_eq!(r.status, 200);
        assert!(r.text().contains("西洞镇人民政府") && r.text().contains("class=\"tabs\""));
        // Errors at their fields, values kept.
        let r = a.post("/admin/units", &[("csrf", &csrf), ("name", ""), ("kind", "乡镇")]);
        assert_eq!(r.status, 422);
        let html = r.text();
        assert!(field_block(&html, "name").contains("请填写单位名称"));
        assert!(field_block(&html, "division").contains("须选择所属乡镇"));
        assert!(field_block(&html, "kind").contains("value=\"乡镇\" selected"));
        let r = a.post(
            "/admin/units",
            &[("csrf", &csrf), ("name", "应急管理局"), ("kind", "部门")],
        );
        assert_eq!(r.status, 422);
        assert!(field_block(&r.text(), "name").contains("已有名为“应急管理局”的单位"));
        // Added, evented.
        let r = a.post(
            "/admin/units",
            &[("csrf", &csrf), ("name", "自然资源局"), ("kind", "部门")],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(location(&r), "/admin/units?ok=unit_added");
        assert!(a.get(&location(&r)).text().contains("已添加单位"));
        assert_eq!(s.last_event_kinds(1), vec!["org.unit.add"]);
        let id =
            s.rt.block_on(s.store.units())
                .unwrap()
                .into_iter()
                .find(|u| u.name == "自然资源局")
                .unwrap()
                .id;
        // Rename: an empty or taken name is refused at the row.
        let r = a.post(
            &format!("/admin/units/{id}"),
            &[("csrf", &csrf), ("action", "rename"), ("name", "清水镇人民政府")],
        );
        assert_eq!(r.status, 422);
        assert!(r.text().contains("已有名为“清水镇人民政府”的单位"));
        let r = a.post(
            &format!("/admin/units/{id}"),
            &[("csrf", &csrf), ("action", "rename"), ("name", "自然资源和规划局")],
        );
        assert_eq!(r.status, 303);
        assert_eq!(s.last_event_kinds(1), vec!["org.unit.rename"]);
        // Disable: the hazard form no longer offers it; enable again.
        let mut c = s.signed_in("office");
        assert!(c.get("/ledgers/hazard/new").text().contains("自然资源和规划局"));
        let r = a.post(&format!("/admin/units/{id}"), &[("csrf", &csrf), ("action", "disable")]);
        assert_eq!(r.status, 303);
        assert_eq!(s.last_event_kinds(1), vec!["org.unit.disable"]);
        assert!(!c.get("/ledgers/hazard/new").text().contains("自然资源和规划局"));
        assert!(a.get("/admin/units").text().contains("已停用"));
        let r = a.post(&format!("/admin/units/{id}"), &[("csrf", &csrf), ("action", "enable")]);
        assert_eq!(r.status, 303);
        assert!(c.get("/ledgers/hazard/new").text().contains("自然资源和规划局"));
        // People: add, then make a leader with 分管 (two events).
        let r = a.post("/admin/people", &[("csrf", &csrf), ("name", " "), ("post", "副县长")]);
        assert_eq!(r.status, 422);
        assert!(field_block(&r.text(), "name").contains("请填写姓名"));
        assert!(field_block(&r.text(), "post").contains("value=\"副县长\""));
        let r = a.post(
            "/admin/people",
            &[("csrf", &csrf), ("name", "王明"), ("post", "副县长")],
        );
        assert_eq!(r.status, 303);
        assert_eq!(s.last_event_kinds(1), vec!["org.person.add"]);
        let pid =
            s.rt.block_on(s.store.people())
                .unwrap()
                .into_iter()
                .find(|p| p.name == "王明")
                .unwrap()
                .id;
        let yj = s.county.yingji.to_string();
        let r = a.post(
            &format!("/admin/people/{pid}"),
            &[("csrf", &csrf), ("name", "王明"), ("post", "副县长"), ("oversees", &yj)],
        );
        assert_eq!(r.status, 422, "分管 needs a leader");
        assert!(r.text().contains("只有县级领导才有分管单位"));
        let r = a.post(
            &format!("/admin/people/{pid}"),
            &[
                ("csrf", &csrf),
                ("name", "王明"),
                ("post", "常务副县长"),
                ("is_leader", "1"),
                ("oversees", &yj),
                ("oversees", &id.to_string()),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(s.last_event_kinds(2), vec!["org.oversight", "org.person.update"]);
        let p =
            s.rt.block_on(s.store.people())
                .unwrap()
                .into_iter()
                .find(|p| p.id == pid)
                .unwrap();
        assert!(p.is_leader && p.post == "常务副县长");
        let mut want = vec![s.county.yingji, id];
        want.sort_unstable();
        assert_eq!(p.oversees, want);
        let html = a.get("/admin/people").text();
        assert!(html.contains("应急管理局、自然资源和规划局") || html.contains("自然资源和规划局、应急管理局"));
        s.stop();
    }
}

#[test]
fn admin_users_roles_passwords_locks() {
    for s in Server::all() {
        let mut a = s.signed_in("admin");
        let csrf = a.csrf();
        // Field errors: name, short password, a clerk without a unit.
        let r = a.post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "张三"),
                ("display_name", "张三"),
                ("role", "unit_clerk"),
                ("password", "short"),
                ("password2", "short"),
            ],
        );
        assert_eq!(r.status, 422);
        let html = r.text();
        assert!(field_block(&html, "username").contains("只能使用字母"));
        assert!(field_block(&html, "password").contains("至少8位"));
        assert!(field_block(&html, "unit").contains("须选择所属单位"));
        assert!(field_block(&html, "role").contains("value=\"unit_clerk\" selected"));
        assert!(!html.contains("value=\"short\""), "passwords are not sent back");
        let r = a.post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "clerk_xd"),
                ("display_name", "重复"),
                ("role", "auditor"),
                ("password", "Qs#clerk-2026"),
                ("password2", "Qs#clerk-2025"),
            ],
        );
        assert!(field_block(&r.text(), "username").contains("已被使用"));
        assert!(field_block(&r.text(), "password2").contains("不一致"));
        let r = a.post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "lead2"),
                ("display_name", "领导"),
                ("role", "leader"),
                ("password", "Qs#clerk-2026"),
                ("password2", "Qs#clerk-2026"),
            ],
        );
        assert!(field_block(&r.text(), "person").contains("须关联人员"));
        // A clerk of 清水镇: added, evented, signs in, sees only 清水镇.
        let qs = s.county.qingshui.to_string();
        let r = a.post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "qs_clerk2"),
                ("display_name", "清水镇新经办人"),
                ("role", "unit_clerk"),
                ("unit", &qs),
                ("password", "Qs#clerk-2026"),
                ("password2", "Qs#clerk-2026"),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(s.last_event_kinds(1), vec!["user.add"]);
        let mut n = s.browser();
        assert_eq!(n.login("qs_clerk2", "Qs#clerk-2026").status, 303);
        assert!(n.get("/").text().contains("清水镇人民政府"));
        // Reset password: mismatch at the row; then set, old sessions end.
        let r = a.post(
            "/admin/users/qs_clerk2/password",
            &[
                ("csrf", &csrf),
                ("password", "Qs#reset-2026"),
                ("password2", "Qs#reset-2025"),
            ],
        );
        assert_eq!(r.status, 422);
        assert!(r.text().contains("两次输入的密码不一致"));
        let r = a.post(
            "/admin/users/qs_clerk2/password",
            &[
                ("csrf", &csrf),
                ("password", "Qs#reset-2026"),
                ("password2", "Qs#reset-2026"),
            ],
        );
        assert_eq!(r.status, 303);
        assert_eq!(s.last_event_kinds(1), vec!["user.password"]);
        assert_eq!(n.get("/").status, 303, "the old session ended");
        assert_eq!(s.browser().login("qs_clerk2", "Qs#reset-2026").status, 303);
        // Lock by five wrong passwords; the list says so; unlock.
        let mut x = s.browser();
        for _ in 0..5 {
            x.login("qs_clerk2", "wrong-pass");
        }
        assert_eq!(x.login("qs_clerk2", "Qs#reset-2026").status, 429);
        let html = a.get("/admin/users").text();
        assert!(
            html.contains("锁定至") && !html.contains("解除锁定"),
            "the unlock button is the security administrator's"
        );
        let html = s.signed_in("secadmin").get("/admin/users").text();
        assert!(html.contains("锁定至") && html.contains("解除锁定"));
        // Unlocking is the security administrator's (三员分立); not the system administrator's.
        let r = a.post("/admin/users/qs_clerk2/state", &[("csrf", &csrf), ("action", "unlock")]);
        assert_eq!(r.status, 403);
        let mut sec = s.signed_in("secadmin");
        let sec_csrf = sec.csrf();
        let r = sec.post(
            "/admin/users/qs_clerk2/state",
            &[("csrf", &sec_csrf), ("action", "unlock")],
        );
        assert_eq!(r.status, 303);
        assert_eq!(s.last_event_kinds(1), vec!["user.unlock"]);
        assert_eq!(s.browser().login("qs_clerk2", "Qs#reset-2026").status, 303);
        // Disable: cannot sign in; one's own account cannot be disabled.
        let r = a.post(
            "/admin/users/qs_clerk2/state",
            &[("csrf", &csrf), ("action", "disable")],
        );
        assert_eq!(r.status, 303);
        assert_eq!(s.last_event_kinds(1), vec!["user.disable"]);
        assert_eq!(s.browser().login("qs_clerk2", "Qs#reset-2026").status, 401);
        let r = a.post("/admin/users/admin/state", &[("csrf", &csrf), ("action", "disable")]);
        assert_eq!(r.status, 422);
        assert!(r.text().contains("不能停用自己的账号"));
        s.stop();
    }
}

#[test]
fn admin_targets_feed_the_indicators() {
    for s in Server::all() {
        let mut o = s.signed_in("office");
        let csrf = o.csrf();
        let r = o.get("/admin/targets?year=2026");
        assert_eq!(r.status, 200);
        let html = r.text();
        assert!(html.contains("财政总收入预算") && html.contains("争取到位资金全年任务"));
        assert!(html.contains("无数据") || html.contains("未设定"));
        // Bad values: at the row.
        for (v, m, msg) in [
            ("", "亿元", "请填写目标数值"),
            ("十八", "亿元", "不是数字"),
            ("-1", "亿元", "应大于0"),
            ("5", "斤", "请选择计量单位"),
        ] {
            let r = o.post(
                "/admin/targets",
                &[
                    ("csrf", &csrf),
                    ("indicator", "fiscal_total_budget"),
                    ("year", "2026"),
                    ("value", v),
                    ("measure", m),
                ],
            );
            assert_eq!(r.status, 422, "{v}");
            let html = r.text();
            let row = &html[html.find("id=\"target-fiscal_total_budget\"").unwrap()..];
            let row = &row[..row.find("</tr>").unwrap()];
            assert!(row.contains(msg), "{v}: {row}");
        }
        // Not a target indicator.
        let r = o.post(
            "/admin/targets",
            &[
                ("csrf", &csrf),
                ("indicator", "fiscal_total"),
                ("year", "2026"),
                ("value", "1"),
                ("measure", "亿元"),
            ],
        );
        assert_eq!(r.status, 400);
        // Set: the indicator reads it at once.
        let r = o.post(
            "/admin/targets",
            &[
                ("csrf", &csrf),
                ("indicator", "fiscal_total_budget"),
                ("year", "2026"),
                ("value", "18.92"),
                ("measure", "亿元"),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(s.last_event_kinds(1), vec!["record.create"]);
        let v = o.get("/api/v1/indicators/fiscal_total_budget?period=2026").json();
        assert_eq!(v["indicator"]["value"], "1892000000", "{v}");
        let html = o.get("/admin/targets?year=2026").text();
        assert!(html.contains("18.92亿元"), "{html}");
        // Adjusted: the old row voided with the reason, the new one read.
        let r = o.post(
            "/admin/targets",
            &[
                ("csrf", &csrf),
                ("indicator", "fiscal_total_budget"),
                ("year", "2026"),
                ("value", "190000"),
                ("measure", "万元"),
            ],
        );
        assert_eq!(r.status, 303);
        assert_eq!(s.last_event_kinds(2), vec!["record.create", "record.void"]);
        let v = o.get("/api/v1/indicators/fiscal_total_budget?period=2026").json();
        assert_eq!(v["indicator"]["value"], "1900000000", "{v}");
        let a = s.county.access("auditor");
        let ev = s.rt.block_on(s.store.events(&a, None, Some("record.void"), 1)).unwrap();
        assert_eq!(ev[0].data["reason"], "调整2026年目标：由18.92亿元改为190000万元");
        // Another year is separate.
        let v = o.get("/api/v1/indicators/fiscal_total_budget?period=2025").json();
        assert!(v["indicator"]["value"].is_null(), "{v}");
        s.stop();
    }
}

#[test]
fn audit_verify_button() {
    let s = Server::sqlite();
    let mut au = s.signed_in("auditor");
    let html = au.get("/audit").text();
    assert!(html.contains("action=\"/audit/verify\"") && html.contains("校验哈希链"));
    let n = s.rt.block_on(s.store.verify_chain()).unwrap().verified;
    assert!(n > 10);
    let r = au.get("/audit/verify");
    assert_eq!(r.status, 200);
    assert!(r.text().contains(&format!("校验通过：{n} 条事件")), "{}", r.text());
    assert_eq!(s.signed_in("clerk_xd").get("/audit/verify").status, 403);
    assert_eq!(s.signed_in("office").get("/audit/verify").status, 403);
    // Tampering with an event's data is found and named.
    s.rt.block_on(async {
        let mut c = s.store.pool().acquire().await.unwrap();
        c.conn()
            .exec(
                "UPDATE events SET data = $1 WHERE seq = $2",
                &[lvzhi_store::db::P::T("{\"x\":1}".into()), lvzhi_store::db::P::I(5)],
            )
            .await
            .unwrap();
    });
    let html = s.signed_in("auditadmin").get("/audit/verify").text();
    assert!(html.contains("校验失败：第5号事件"), "{html}");
    assert!(html.contains("此前4条事件校验通过"));
    s.stop();
}

/// An xlsx of accounts (单位, 角色, 姓名, 手机号) uploaded on the users page
/// by the system administrator: a bad file names its rows and creates
/// nothing; the good one creates every account, shows each one-time password
/// once with the day (no leading zeros); the password must be changed at
/// first login. Others may not upload.
#[test]
fn bulk_users_from_xlsx() {
    let s = Server::sqlite();
    let sheet = |rows: &[[&str; 4]]| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["单位", "角色", "姓名", "手机号"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    };
    let good = [
        ["西洞镇人民政府", "经办人", "李明", "13800000001"],
        ["应急管理局", "单位负责人", "王芳", "13900000002"],
    ];
    let mut bad = good.to_vec();
    bad.push(["不存在局", "经办人", "钱一", "13600000004"]);
    let users_before = s.rt.block_on(s.store.users()).unwrap().len();
    let mut a = s.signed_in("admin");
    let page = a.get("/admin/users").text();
    assert!(page.contains("action=\"/admin/users/import\""), "no upload form");
    let csrf = a.csrf();
    let r = a.upload("/admin/users/import", &[("csrf", &csrf)], ("账号.xlsx", &sheet(&bad)));
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(
        html.contains("第4行：单位“不存在局”不存在") && html.contains("未创建任何用户"),
        "{html}"
    );
    assert_eq!(s.rt.block_on(s.store.users()).unwrap().len(), users_before);
    // A header without 手机号.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "单位").unwrap();
    ws.write_string(0, 1, "角色").unwrap();
    ws.write_string(0, 2, "姓名").unwrap();
    let r = a.upload(
        "/admin/users/import",
        &[("csrf", &csrf)],
        ("少列.xlsx", &wb.save_to_buffer().unwrap()),
    );
    assert!(r.text().contains("缺少列：手机号"), "{}", r.text());
    // The security administrator may not.
    let mut sec = s.signed_in("secadmin");
    let sec_csrf = sec.csrf();
    let r = sec.upload(
        "/admin/users/import",
        &[("csrf", &sec_csrf)],
        ("账号.xlsx", &sheet(&good)),
    );
    assert_eq!(r.status, 403);
    // The good file.
    let r = a.upload("/admin/users/import", &[("csrf", &csrf)], ("账号.xlsx", &sheet(&good)));
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("2026年11月25日") && !html.contains("年11月05日"),
        "{html}"
    );
    assert!(html.contains("13900000002") && html.contains("王芳") && html.contains("单位负责人"));
    let pw = html
        .split("<code>")
        .nth(2)
        .and_then(|t| t.split("</code>").next())
        .unwrap()
        .to_string();
    assert_eq!(s.rt.block_on(s.store.users()).unwrap().len(), users_before + 2);
    assert_eq!(s.last_event_kinds(1), vec!["user.import"]);
    // The one-time password: straight to the change page.
    let mut n = s.browser();
    let r = n.login("13900000002", &pw);
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), "/password");
    s.stop();
}
