//! Report templates over HTTP on SQLite and PostgreSQL — the API (list with
//! custom templates, source, versions, save with line errors, 403, 409) and
//! the 报告 pages (preview with provenance links, a missing value as a Chinese
//! message, the editor: CSRF, line errors, versions, copy).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::site::*;
use serde_json::json;

const GOOD: &str = "# 隐患整改情况\n\n全县在改隐患{{ ind(\"隐患在改数\") }}。\n";

#[test]
fn template_api_on_both_backends() {
    for s in Server::both() {
        let mut office = s.client("office");
        let path = "/api/v1/reports/%E6%88%91%E7%9A%84%E9%80%9A%E6%8A%A5"; // 我的通报

        // Unknown indicator on line 3: 422 naming the line; nothing saved.
        let bad = "# 通报\n\n本月新增{{ ind(\"没有的指标\") }}。\n";
        let r = office
            .post(&format!("{path}/versions"), &json!({"source": bad}))
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.json()["error"]["details"]["line"], 3);
        assert!(r.json()["error"]["message"].as_str().unwrap().contains("第3行"));
        assert_eq!(office.get(&format!("{path}/versions")).unwrap().status, 404);

        // Saved as version 1, then 2; a stale parent is a 409.
        let r = office
            .post(
                &format!("{path}/versions"),
                &json!({"source": GOOD, "base": "隐患排查整改情况通报"}),
            )
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["version"], 1);
        let two = GOOD.replace("。", "，请加快整改。");
        let r = office
            .post(
                &format!("{path}/versions"),
                &json!({"source": two, "parent": 1, "note": "补充要求"}),
            )
            .unwrap();
        assert_eq!(r.json()["version"], 2, "{}", r.text());
        let r = office
            .post(&format!("{path}/versions"), &json!({"source": GOOD, "parent": 1}))
            .unwrap();
        assert_eq!(r.status, 409, "{}", r.text());

        // Versions, source, list.
        let v = office.get(&format!("{path}/versions")).unwrap().json();
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["version"], 2);
        assert_eq!(items[0]["author"], "office");
        assert_eq!(items[0]["note"], "补充要求");
        let src = office.get(&format!("{path}/source?version=1")).unwrap().json();
        assert_eq!(src["source"], GOOD);
        assert_eq!(src["shipped"], false);
        let src = office
            .get("/api/v1/reports/%E6%9C%88%E5%BA%A6%E7%9D%A3%E6%9F%A5%E9%80%9A%E6%8A%A5/source")
            .unwrap()
            .json();
        assert_eq!(src["shipped"], true);
        assert!(src["source"].as_str().unwrap().contains("unit_rows("));
        let list = office.get("/api/v1/reports").unwrap().json();
        assert!(list["items"].as_array().unwrap().iter().any(|n| n == "我的通报"));
        assert!(
            list["templates"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["name"] == "我的通报" && t["version"] == 2)
        );

        // Rendered by name (latest version), as any reader.
        let mut clerk = s.client("clerk_xd");
        let r = clerk.get(&format!("{path}?period=2026&format=md")).unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("请加快整改"), "{}", r.text());
        // A clerk cannot save; nothing changes.
        let r = clerk
            .post(&format!("{path}/versions"), &json!({"source": GOOD, "parent": 2}))
            .unwrap();
        assert_eq!(r.status, 403);
        assert_eq!(
            office.get(&format!("{path}/versions")).unwrap().json()["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // A shipped template cannot be overwritten.
        let r = office
            .post(
                "/api/v1/reports/%E6%9C%88%E5%BA%A6%E7%9D%A3%E6%9F%A5%E9%80%9A%E6%8A%A5/versions",
                &json!({"source": GOOD}),
            )
            .unwrap();
        assert_eq!(r.status, 400, "{}", r.text());

        assert!(s.rt.block_on(s.store.verify_chain()).unwrap().error.is_none());
        s.stop();
    }
}

#[test]
fn report_pages_and_template_editor() {
    let s = Server::start();
    let mut b = s.signed_in("office");

    // The page: nav entry, the templates, leaders to pick.
    let page = b.get("/reports");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("href=\"/reports\" class=\"nav-top active\">报告</a>"));
    assert!(html.contains("述职述廉述德报告") && html.contains("常务副县长（演示领导）"));

    // A figure without a value: a Chinese message naming indicator, scope and
    // period, and no preview (the sample county has no proposals: 满意率 has
    // nothing to divide by).
    let r = b.get("/reports?template=%E5%BB%BA%E8%AE%AE%E6%8F%90%E6%A1%88%E5%8A%9E%E7%90%86%E6%83%85%E5%86%B5%E6%8A%A5%E5%91%8A&period=2026&scope=county");
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("报告未生成：指标“"), "{html}");
    assert!(html.contains("在全县、2026年1月1日至11月25日没有数值"), "{html}");
    assert!(!html.contains("id=\"report-preview\""));

    // Save without the CSRF token: refused, nothing saved.
    let r = b.post(
        "/reports/templates/save",
        &[
            ("name", "我的通报"),
            ("parent", "0"),
            ("new_copy", "1"),
            ("source", GOOD),
        ],
    );
    assert_eq!(r.status, 403);
    // The copy page, then a save with an unknown indicator: the line shown.
    let r = b.get("/reports/templates/copy?from=%E9%9A%90%E6%82%A3%E6%8E%92%E6%9F%A5%E6%95%B4%E6%94%B9%E6%83%85%E5%86%B5%E9%80%9A%E6%8A%A5");
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("隐患排查整改情况通报-副本") && html.contains("<textarea"));
    let csrf = csrf_of(&html);
    let bad = "# 通报\r\n\r\n本月新增{{ ind(\"没有的指标\") }}。\r\n";
    let r = b.post(
        "/reports/templates/save",
        &[
            ("csrf", &csrf),
            ("name", "我的通报"),
            ("parent", "0"),
            ("new_copy", "1"),
            ("base", "隐患排查整改情况通报"),
            ("source", bad),
        ],
    );
    assert_eq!(r.status, 422);
    let html = r.text();
    assert!(html.contains("未保存：模板第3行：指标“没有的指标”不存在"), "{html}");
    assert!(html.contains("<span class=\"hit\">   3 │ 本月新增"), "{html}");
    assert!(s.rt.block_on(s.store.template_versions("我的通报")).unwrap().is_empty());
    // Fixed: saved as version 1, shown with its history.
    let r = b.post(
        "/reports/templates/save",
        &[
            ("csrf", &csrf),
            ("name", "我的通报"),
            ("parent", "0"),
            ("new_copy", "1"),
            ("base", "隐患排查整改情况通报"),
            ("source", GOOD),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let to = r.header("location").unwrap().to_string();
    let html = b.get(&to).text();
    assert!(html.contains("已保存为第1版。"), "{html}");
    assert!(html.contains("第1版</a></td><td>office</td>"), "{html}");
    // Its preview: the figure links to its records in the UI.
    let r = b.get("/reports?template=%E6%88%91%E7%9A%84%E9%80%9A%E6%8A%A5&period=2026&scope=county");
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("<a class=\"fig\" href=\"/reports/figure?mark=open_hazards&amp;period=2026&amp;scope=county&amp;back=%2Freports%3Ftemplate%3D"),
        "{html}"
    );
    assert!(html.contains("format=docx") && html.contains("format=md"));
    let r = b.get("/reports/figure?mark=open_hazards&period=2026&scope=county&back=%2Freports%3Ftemplate%3Dx");
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("隐患在改数"));
    assert!(
        html.contains("id=\"back-to-report\" href=\"/reports?template=x\""),
        "{html}"
    );
    // The way back goes nowhere but the 报告 page.
    let html = b
        .get("/reports/figure?mark=open_hazards&period=2026&scope=county&back=%2F%2Fevil.example")
        .text();
    assert!(html.contains("id=\"back-to-report\" href=\"/reports\""), "{html}");
    // A clerk sees the page but cannot open the copy page or save.
    let mut clerk = s.signed_in("clerk_xd");
    assert_eq!(clerk.get("/reports").status, 200);
    assert_eq!(
        clerk
            .get("/reports/templates/copy?from=%E6%88%91%E7%9A%84%E9%80%9A%E6%8A%A5")
            .status,
        403
    );
    let csrf = csrf_of(&clerk.get("/reports").text());
    let r = clerk.post(
        "/reports/templates/save",
        &[("csrf", &csrf), ("name", "我的通报"), ("parent", "1"), ("source", GOOD)],
    );
    assert_eq!(r.status, 403);
    assert_eq!(s.rt.block_on(s.store.template_versions("我的通报")).unwrap().len(), 1);

    s.stop();
}

/// A bulletin's 期数 on the 报告 form: offered as the next number, set by the
/// office, remembered per kind and year (a leader's preview does not move
/// it), refused in Chinese when it is not a number; the API takes `issue` too.
#[test]
fn bulletin_issue_on_the_report_form() {
    let s = Server::start();
    let mut office = s.client("office");
    let path = "/api/v1/reports/%E6%88%91%E7%9A%84%E9%80%9A%E6%8A%A5"; // 我的通报
    let src = "# 通报\n\n{{ doc_number(issue) }}\n\n全县在改隐患{{ ind(\"隐患在改数\") }}。\n";
    let r = office
        .post(&format!("{path}/versions"), &json!({"source": src}))
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let page = |b: &mut Browser, extra: &[(&str, &str)]| {
        let mut q = vec![("template", "我的通报"), ("period", "2026-11")];
        q.extend_from_slice(extra);
        b.get(&format!("/reports?{}", enc(&q)))
    };
    let mut b = s.signed_in("office");
    let field = |n: u32| format!("name=\"issue\" id=\"issue-input\" value=\"{n}\"");
    let r = page(&mut b, &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains(&field(11)), "a monthly bulletin starts at its month");
    assert!(r.text().contains("〔2026〕第11期"));
    let r = page(&mut b, &[("issue", "12")]);
    assert!(r.text().contains("〔2026〕第12期") && r.text().contains("issue=12"));
    assert!(
        page(&mut b, &[]).text().contains(&field(13)),
        "the next after the office's"
    );
    let mut leader = s.signed_in("leader");
    assert!(page(&mut leader, &[("issue", "40")]).text().contains("〔2026〕第40期"));
    let r = page(&mut b, &[]);
    assert!(
        r.text().contains(&field(13)),
        "neither a leader's preview nor the office's look moves it"
    );
    // The download carries the number shown; issuing it moves the next on.
    let docx = r
        .text()
        .split("id=\"download-docx\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(docx.contains("issue=13"), "{docx}");
    assert_eq!(b.get(&docx).status, 200);
    assert!(page(&mut b, &[]).text().contains(&field(14)));
    let r = page(&mut b, &[("issue", "abc")]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("期数“abc”无效"), "{}", r.text());
    // Not a bulletin: no 期数 field.
    let r = b.get(&format!(
        "/reports?{}",
        enc(&[("template", "建议提案办理情况报告"), ("period", "2026")])
    ));
    assert!(!r.text().contains("name=\"issue\""));
    // The API.
    let r = office.get(&format!("{path}?period=2026-11&issue=14")).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("〔2026〕第14期"), "{}", r.text());
    let r = office.get(&format!("{path}?period=2026-11&issue=0")).unwrap();
    assert!(r.status >= 400 && r.text().contains("期数“0”无效"), "{}", r.text());
}

/// A custom template that fails while rendering — an include of a template
/// that does not exist, a runaway loop out of fuel, unbounded recursion, an
/// undefined value — is the template's fault: 422 naming the line, in the API
/// (`details.line`) and on the 报告 page, never a 500 (issue 15).
#[test]
fn template_runtime_errors_are_422_with_the_line() {
    let s = Server::start();
    let cases = [
        (
            "坏引用",
            "# 通报\n\n{% include \"别的模板\" %}\n",
            3,
            "引用的模板不存在",
        ),
        (
            "死循环",
            "# 通报\n\n{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\n",
            3,
            "步数超过上限",
        ),
        (
            "递归",
            "# 通报\n\n{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n{{ f(1) }}\n",
            3,
            "层数超过上限",
        ),
        ("未定义", "# 通报\n\n正文\n{{ nothing_here }}\n", 4, "未定义的值"),
    ];
    let mut office = s.client("office");
    let mut b = s.signed_in("office");
    for (name, source, line, says) in cases {
        let enc: String = name.bytes().map(|c| format!("%{c:02X}")).collect();
        let path = format!("/api/v1/reports/{enc}");
        // It parses, so it is saved; it fails only when run.
        let r = office
            .post(&format!("{path}/versions"), &json!({"source": source}))
            .unwrap();
        assert_eq!(r.status, 201, "{name}: {}", r.text());
        let r = office.get(&format!("{path}?period=2026&format=md")).unwrap();
        assert_eq!(r.status, 422, "{name}: {}", r.text());
        let e = &r.json()["error"];
        assert_eq!(e["details"]["line"], line, "{name}: {e}");
        let msg = e["message"].as_str().unwrap();
        assert!(
            msg.contains(&format!("第{line}行")) && msg.contains(says),
            "{name}: {msg}"
        );
        let r = b.get(&format!("/reports?template={enc}&period=2026&scope=county"));
        assert_eq!(r.status, 422, "{name}");
        let html = r.text();
        assert!(
            html.contains(&format!("第{line}行")) && html.contains(says),
            "{name}: {html}"
        );
        assert!(!html.contains("id=\"report-preview\""), "{name}");
    }
    s.stop();
}
