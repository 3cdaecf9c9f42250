//! Reports on the demo county (SQLite): the duty report reproduces the seed's
//! figures, checks clean, is snapshotted; the DOCX has the GB/T 9704 layout
//! (and, when LibreOffice is installed, converts to an A4 PDF); a missing
//! value is an error naming indicator, scope and period; a template naming an
//! unknown indicator is refused at save time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_demo::DemoOptions;
use lvzhi_metrics::Engine;
use lvzhi_report::{Format, ReportError, Request};
use lvzhi_store::Store;
use lvzhi_testkit::TestDb;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

async fn demo(url: &str) -> Store {
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(url, pack, lvzhi_demo::demo_clock()).await.unwrap();
    lvzhi_demo::build(&store, &DemoOptions { seed: 1, scale: 1 })
        .await
        .unwrap();
    store
}

fn req(template: &str, person: Option<&str>, period: &str, store: &Store) -> Request {
    Request {
        issue: None,
        template: template.into(),
        period: period.into(),
        person: person.map(str::to_string),
        scope: "county".into(),
        today: store.today(),
    }
}

fn docx_part(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut f = z.by_name(name).unwrap();
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    s
}

fn out_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/report-pages");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn which(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_county_reports() {
    let db = TestDb::sqlite();
    let store = demo(&db.url).await;
    let files = lvzhi_packs::county_files();
    let engine = lvzhi_metrics::engine_from_files(&files, store.pack()).unwrap();

    // The duty report of the 常务副县长 for 2026.
    let r = req("述职述廉述德报告", Some("常务副县长"), "2026", &store);
    let report = lvzhi_report::render(&store, &engine, &files, &r).await.unwrap();
    let md = report.markdown();
    for fig in [
        "21.6亿元",
        "完成预算18.92亿元的114.2%",
        "同比增收3.87亿元，增长21.8%",
        "增长174.8%",
        "完成全年任务12.67亿元的108.0%",
        "调处成功率达到98.0%",
        "谋划各类项目1141个，总投资2038.2亿元",
        "排名全市第一",
        "同比下降6.38%",
        "下降11.23%",
        "6.32万人",
        "查处价格违法金额398万元",
    ] {
        assert!(md.contains(fig), "missing {fig}:\n{md}");
    }
    assert!(md.starts_with("# 常务副县长述职述廉述德报告\n"));
    for h in [
        "## 一、加强学习",
        "## 二、抓主抓重",
        "## 三、狠抓落实",
        "## 四、强化措施",
        "## 五、严以律己",
    ] {
        assert!(md.contains(h), "missing heading {h}");
    }
    assert!(!md.contains("增长-") && !md.contains("**") && !md.contains("{{"));
    let diags = lvzhi_check::check_with(&md, &lvzhi_check::CheckOptions { markdown: true });
    assert!(!lvzhi_check::has_errors(&diags), "{diags:?}");
    assert!(!lvzhi_check::has_errors(&lvzhi_check::check(&report.plain())));
    insta::assert_snapshot!("duty_report_md", md);

    // HTML: every figure links to its provenance.
    let html = String::from_utf8(report.write(Format::Html).unwrap()).unwrap();
    assert!(html.contains("<a class=\"fig\" href=\"/api/v1/indicators/fiscal_total?period=2026&amp;scope=county\""));
    assert_eq!(html.matches("class=\"fig\"").count(), md_figures(&report));

    // DOCX: the GB/T 9704 layout.
    let docx = report.write(Format::Docx).unwrap();
    let doc = docx_part(&docx, "word/document.xml");
    assert!(doc.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"));
    assert!(doc.contains("w:top=\"2098\"") && doc.contains("w:left=\"1588\""));
    assert!(doc.contains("w:right=\"1474\"") && doc.contains("w:bottom=\"1984\""));
    assert!(doc.contains("<w:docGrid w:type=\"lines\" w:linePitch=\"579\"/>"));
    assert!(doc.contains("<w:spacing w:val=\"-5\"/><w:sz w:val=\"32\"/>"));
    assert!(doc.contains("w:eastAsia=\"仿宋_GB2312\""));
    assert!(doc.contains("w:eastAsia=\"方正小标宋简体\"") && doc.contains("<w:sz w:val=\"44\"/>"));
    assert!(doc.contains("w:eastAsia=\"黑体\""));
    assert!(doc.contains("w:firstLineChars=\"200\""));
    assert!(doc.contains("<w:footerReference w:type=\"even\""));
    let odd = docx_part(&docx, "word/footer1.xml");
    let even = docx_part(&docx, "word/footer2.xml");
    for (f, jc) in [(&odd, "right"), (&even, "left")] {
        assert!(f.contains(&format!("<w:jc w:val=\"{jc}\"/>")));
        assert!(f.contains(">— </w:t>") && f.contains(" PAGE ") && f.contains("> —</w:t>"));
        assert!(f.contains("w:eastAsia=\"宋体\"") && f.contains("<w:sz w:val=\"28\"/>"));
    }
    assert!(docx_part(&docx, "word/settings.xml").contains("<w:evenAndOddHeaders/>"));
    // The chain head at generation is in every written form (Markdown trailer, HTML footer,
    // DOCX core properties), and that line checks against the database as an anchor file.
    let (seq, hash) = store.chain_head().await.unwrap();
    assert!(seq > 1000 && hash.starts_with("sm3:"));
    let line = format!("{seq} {hash}");
    assert_eq!(report.anchor_line().as_deref(), Some(line.as_str()));
    let md_file = String::from_utf8(report.write(Format::Markdown).unwrap()).unwrap();
    assert!(
        md_file.starts_with(&md) && md_file.ends_with(&format!("<!-- 生成时变更日志链头 / chain head: {line} -->\n"))
    );
    assert!(
        html.contains(&format!("<span class=\"anchor\">{line}</span>")),
        "HTML footer"
    );
    assert!(
        docx_part(&docx, "docProps/core.xml").contains(&format!("<cp:keywords>lvzhi-chain-head {line}</cp:keywords>"))
    );
    assert!(docx_part(&docx, "[Content_Types].xml").contains("PartName=\"/docProps/core.xml\""));
    assert!(docx_part(&docx, "_rels/.rels").contains("Target=\"docProps/core.xml\""));
    let anchor = out_dir().join("chain-head-from-report.txt");
    std::fs::write(&anchor, format!("{line}\n")).unwrap();
    let check = store.verify_anchor(&anchor).await.unwrap();
    assert_eq!((check.anchors, check.problem.clone()), (1, None), "{check:?}");
    // A report whose head the database no longer holds (another hash at that seq) is caught.
    std::fs::write(&anchor, format!("{seq} sm3:{}\n", "0".repeat(64))).unwrap();
    assert!(store.verify_anchor(&anchor).await.unwrap().problem.is_some());
    let _ = std::fs::remove_file(&anchor);

    // The checker reads the DOCX back as the same text.
    let back = lvzhi_check::extract_docx_text(&docx).unwrap();
    assert!(back.contains("完成预算18.92亿元的114.2%"));
    assert!(!lvzhi_check::has_errors(&lvzhi_check::check(&back)));
    let dir = out_dir();
    let path = dir.join("述职述廉述德报告.docx");
    std::fs::write(&path, &docx).unwrap();
    std::fs::write(dir.join("述职述廉述德报告.html"), &html).unwrap();
    libreoffice_pdf(&path);

    // The same report is byte-identical when written again.
    let again = lvzhi_report::render(&store, &engine, &files, &r).await.unwrap();
    assert_eq!(again.write(Format::Docx).unwrap(), docx);

    // Sections follow the person's 分管: the 县长 (政府办, 督查室, 审计局, 统计局)
    // gets no section of the 常务副县长's areas; since issue 14 his report is
    // no longer boilerplate only: a section lists the figures of his own 分管
    // units (computed over scope leader:ID), numbered without gaps.
    let mayor = lvzhi_report::render(
        &store,
        &engine,
        &files,
        &req("述职述廉述德报告", Some("县长"), "2026", &store),
    )
    .await
    .unwrap()
    .markdown();
    assert!(mayor.starts_with("# 县长述职述廉述德报告\n"), "{mayor}");
    assert!(
        mayor.contains("## 一、加强学习")
            && mayor.contains("## 二、履职尽责，分管领域")
            && mayor.contains("## 三、严以律己"),
        "{mayor}"
    );
    assert!(mayor.contains("本人分管政府办、督查室、统计局、审计局工作"), "{mayor}");
    assert!(!mayor.contains("财政总收入") && !mayor.contains("## 四、"), "{mayor}");

    // The other templates.
    for (name, period) in [
        ("月度督查通报", "2026-11"),
        ("隐患排查整改情况通报", "2026-11"),
        ("建议提案办理情况报告", "2026"),
    ] {
        let r = req(name, None, period, &store);
        let rep = lvzhi_report::render(&store, &engine, &files, &r).await.unwrap();
        let md = rep.markdown();
        let diags = lvzhi_check::check_with(&md, &lvzhi_check::CheckOptions { markdown: true });
        assert!(!lvzhi_check::has_errors(&diags), "{name}: {diags:?}");
        insta::assert_snapshot!(name, md);
    }

    // 月度督查通报: per unit — due, closed on time, overdue (红), due soon (黄) —
    // ranked, and every overdue item by name; each count is the unit's part
    // of an indicator and links to exactly those records.
    let r = req("月度督查通报", None, "2026-11", &store);
    let rep = lvzhi_report::render(&store, &engine, &files, &r).await.unwrap();
    let md = rep.markdown();
    let values = engine
        .evaluate_all(
            &store,
            &lvzhi_store::Store::system_access(),
            lvzhi_core::period::Period::parse("2026-11").unwrap(),
            &lvzhi_metrics::Scope::County,
            store.today(),
        )
        .await
        .unwrap();
    let value = |name: &str| -> u64 {
        let v = values.iter().find(|v| v.name == name).unwrap();
        v.value.as_deref().unwrap().parse().unwrap()
    };
    let red_total = value("督办事项超期数");
    assert!(red_total > 0);
    let unit_lines: Vec<&str> = md
        .lines()
        .filter(|l| l.split_once(". ").is_some_and(|(n, _)| n.parse::<u32>().is_ok()))
        .collect();
    assert!(!unit_lines.is_empty(), "{md}");
    let count_after = |l: &str, key: &str| -> u64 {
        l.split_once(key)
            .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let red_sum: u64 = unit_lines.iter().map(|l| count_after(l, "超期未办结（红色）")).sum();
    assert_eq!(red_sum, red_total, "{md}");
    let due_sum: u64 = unit_lines.iter().map(|l| count_after(l, "本期到期")).sum();
    assert_eq!(due_sum, value("督办事项到期数"), "{md}");
    // Ranks run 1, 2, 3… within each group (乡镇, 县直部门; a group's
    // heading restarts them) and rates fall (units with nothing due last).
    let mut expect = 1;
    for l in md.lines() {
        if l.starts_with("### ") {
            expect = 1;
        } else if unit_lines.contains(&l) {
            assert!(l.starts_with(&format!("{expect}. ")), "{l}");
            expect += 1;
        }
    }
    // The overdue list names each overdue item once, with its unit and days.
    let items: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with('（') && l.contains("已超期"))
        .collect();
    assert_eq!(items.len() as u64, red_total, "{md}");
    assert!(items.iter().all(|l| l.contains("责任单位：") && l.ends_with("天。")));
    let html = String::from_utf8(rep.write(Format::Html).unwrap()).unwrap();
    assert!(
        html.contains("href=\"/api/v1/records/"),
        "overdue items link to their records"
    );
    assert!(
        html.contains("data-mark=\"overdue_supervision_by_unit@"),
        "unit counts link to the unit's records"
    );

    // No proposal was evaluated in November: 满意率 has no value (除数为零),
    // so the report is refused, naming the indicator, scope and period.
    let e = lvzhi_report::render(
        &store,
        &engine,
        &files,
        &req("建议提案办理情况报告", None, "2026-11", &store),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "指标“建议提案满意率”在全县、2026年11月1日至25日没有数值（除数为零），报告未生成"
    );

    // A missing value: an error naming indicator, scope and period.
    let mut more = files.clone();
    more.push((
        "reports/坏模板.md.j2".into(),
        "# 测试\n\n财政总收入{{ ind(\"财政总收入\") }}，另有{{ ind(\"不存在的指标\") }}。\n".into(),
    ));
    let e = lvzhi_report::render(&store, &engine, &more, &req("坏模板", None, "2026", &store))
        .await
        .unwrap_err();
    match &e {
        ReportError::Missing {
            indicator,
            scope,
            period,
            ..
        } => {
            assert_eq!(indicator, "不存在的指标");
            assert_eq!(scope, "全县");
            assert_eq!(period, "2026年1月1日至11月25日");
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(msg.contains("不存在的指标") && msg.contains("全县") && msg.contains("2026年1月1日至11月25日"));

    // A growth without its base (no 2024 data): missing, never a made-up figure.
    let e = lvzhi_report::render(
        &store,
        &engine,
        &files,
        &req("述职述廉述德报告", Some("常务副县长"), "2025", &store),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ReportError::Missing { .. }), "{e}");

    // An undefined variable is an error too (strict undefined).
    more.push(("reports/未定义.md.j2".into(), "# 测试\n\n{{ nothing_here }}\n".into()));
    let e = lvzhi_report::render(&store, &engine, &more, &req("未定义", None, "2026", &store))
        .await
        .unwrap_err();
    assert!(matches!(e, ReportError::Runtime { line: 3, .. }), "{e}");
    // A runaway loop runs out of fuel.
    more.push((
        "reports/死循环.md.j2".into(),
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}".into(),
    ));
    let e = lvzhi_report::render(&store, &engine, &more, &req("死循环", None, "2026", &store))
        .await
        .unwrap_err();
    assert!(matches!(e, ReportError::Runtime { line: 1, .. }), "{e}");

    bulletin_issue_and_scoped_issuer(&store, &engine, &files).await;
}

/// A bulletin's 期数 is the office's: set on the request, remembered per kind
/// and year, the next one offered by default; a scoped 督查 bulletin names
/// its scope as the issuer wherever the county one names 县政府督查室.
async fn bulletin_issue_and_scoped_issuer(store: &Store, engine: &Engine, files: &[(String, String)]) {
    let t = "月度督查通报";
    let p = lvzhi_core::period::Period::parse("2026-11").unwrap();
    // Nothing set yet: the month of a monthly bulletin.
    assert_eq!(lvzhi_report::next_issue(store, t, p, store.today()).await.unwrap(), 11);
    let mut r = req(t, None, "2026-11", store);
    r.issue = Some(12);
    let rep = lvzhi_report::render(store, engine, files, &r).await.unwrap();
    assert_eq!(rep.issue.as_deref(), Some("〔2026〕第12期"));
    assert!(rep.markdown().contains("\n〔2026〕第12期\n"), "{}", rep.markdown());
    assert_eq!(
        rep.file_name(Format::Docx),
        "月度督查通报-2026年11月1日至25日-〔2026〕第12期.docx"
    );
    // Remembered for this kind and year: the next is 13; another kind is not moved.
    assert_eq!(lvzhi_report::next_issue(store, t, p, store.today()).await.unwrap(), 13);
    let q4 = lvzhi_core::period::Period::Quarter(2026, 4);
    assert_eq!(lvzhi_report::next_issue(store, t, q4, store.today()).await.unwrap(), 13);
    assert_eq!(
        lvzhi_report::next_issue(store, "隐患排查整改情况通报", p, store.today())
            .await
            .unwrap(),
        11
    );
    let rep = lvzhi_report::render(store, engine, files, &req(t, None, "2026-11", store))
        .await
        .unwrap();
    assert_eq!(
        rep.issue.as_deref(),
        Some("〔2026〕第13期"),
        "the default is the next one"
    );
    // A reader who is not the office does not move the office's number.
    let mut leader = lvzhi_store::Store::system_access();
    leader.role = lvzhi_core::access::Role::Leader;
    r.issue = Some(40);
    lvzhi_report::render_as(store, engine, files, &r, &leader)
        .await
        .unwrap();
    assert_eq!(lvzhi_report::next_issue(store, t, p, store.today()).await.unwrap(), 13);
    assert!(lvzhi_report::parse_issue("第0期").is_err());
    assert!(
        lvzhi_report::parse_issue("十二")
            .unwrap_err()
            .to_string()
            .contains("期数“十二”无效")
    );
    assert_eq!(lvzhi_report::parse_issue(" 第7期 ").unwrap(), Some(7));
    // Not a bulletin: no 期数.
    let rep = lvzhi_report::render(store, engine, files, &req("建议提案办理情况报告", None, "2026", store))
        .await
        .unwrap();
    assert_eq!(rep.issue, None);

    // Scoped to 西洞镇: the issuer is 西洞镇人民政府 throughout, not 县政府督查室.
    let mut r = req(t, None, "2026", store);
    r.scope = "division:620902100".into();
    let md = lvzhi_report::render(store, engine, files, &r).await.unwrap().markdown();
    assert!(!md.contains("县政府督查室"), "{md}");
    assert!(md.contains("西洞镇人民政府对"), "{md}");
    assert!(
        md.contains("向西洞镇人民政府书面报告") || !md.contains("书面报告"),
        "{md}"
    );
    assert!(md.contains("西洞镇人民政府将持续跟踪督办"), "{md}");
    assert!(
        md.trim_end().lines().rev().nth(2).unwrap().contains("西洞镇人民政府"),
        "{md}"
    );
}

fn md_figures(report: &lvzhi_report::Report) -> usize {
    report.blocks.iter().map(|b| b.raw().matches('\u{E000}').count()).sum()
}

/// Converts the DOCX to PDF with LibreOffice (when installed), checks the
/// page size and renders the first two pages to PNG for a look.
fn libreoffice_pdf(docx: &std::path::Path) {
    let required = std::env::var("LVZHI_REQUIRE_LIBREOFFICE").is_ok_and(|v| v == "1");
    let lo = ["libreoffice", "soffice"].into_iter().find(|c| which(c));
    let Some(lo) = lo else {
        assert!(
            !required,
            "LVZHI_REQUIRE_LIBREOFFICE=1 but libreoffice is not installed"
        );
        eprintln!("skipped: libreoffice is not installed (apt-get install libreoffice-writer-nogui)");
        return;
    };
    let dir = docx.parent().unwrap();
    let profile = dir.join("lo-profile");
    let st = std::process::Command::new(lo)
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .arg(docx)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let pdf = docx.with_extension("pdf");
    let bytes = std::fs::read(&pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let boxes: Vec<&str> = text.match_indices("/MediaBox").map(|(i, _)| &text[i..i + 40]).collect();
    assert!(!boxes.is_empty());
    for b in &boxes {
        let nums: Vec<f64> = b
            .trim_start_matches("/MediaBox")
            .trim_start()
            .trim_start_matches('[')
            .split(']')
            .next()
            .unwrap()
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        assert_eq!(nums.len(), 4, "{b}");
        assert!(
            (nums[2] - 595.3).abs() < 1.0 && (nums[3] - 841.9).abs() < 1.0,
            "not A4: {b}"
        );
    }
    if which("pdftoppm") {
        let st = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "60", "-f", "1", "-l", "2"])
            .arg(&pdf)
            .arg(dir.join("page"))
            .status()
            .unwrap();
        assert!(st.success());
    }
    if which("pdftotext") {
        // Page 2 is all body text: 22 lines of 28 characters (a line may end
        // with one hanging punctuation mark), then the page number "— 2 —".
        let out = std::process::Command::new("pdftotext")
            .args(["-layout", "-f", "2", "-l", "2"])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let page = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = page.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let (last, body) = lines.split_last().unwrap();
        assert_eq!(last.replace(' ', ""), "—2—", "{page}");
        assert_eq!(body.len(), 22, "{page}");
        let widths: Vec<usize> = body
            .iter()
            .map(|l| l.chars().filter(|c| !c.is_whitespace()).count())
            .collect();
        assert!(widths.iter().all(|w| *w <= 29), "{widths:?}\n{page}");
        assert!(widths.iter().filter(|w| **w == 28).count() >= 10, "{widths:?}\n{page}");
        // The text block starts 28 mm (79.4 pt) from the left edge.
        let bbox = std::process::Command::new("pdftotext")
            .args(["-bbox", "-f", "2", "-l", "2"])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let bbox = String::from_utf8_lossy(&bbox.stdout);
        let xmin = bbox
            .lines()
            .filter_map(|l| l.split("xMin=\"").nth(1)?.split('"').next()?.parse::<f64>().ok())
            .fold(f64::MAX, f64::min);
        assert!((xmin - 79.4).abs() < 3.0, "left margin {xmin} pt");
        let ymin = bbox
            .lines()
            .filter_map(|l| l.split("yMin=\"").nth(1)?.split('"').next()?.parse::<f64>().ok())
            .fold(f64::MAX, f64::min);
        assert!((ymin - 104.9).abs() < 8.0, "top margin {ymin} pt");
    }
    if which("pdffonts") {
        let out = std::process::Command::new("pdffonts").arg(&pdf).output().unwrap();
        eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn unknown_indicator_is_refused_at_save_time() {
    let files = lvzhi_packs::county_files();
    let pack = lvzhi_packs::county().unwrap();
    let defs = lvzhi_metrics::Definitions::from_files(&files, &pack).unwrap();
    let known = |n: &str| defs.find(n).is_some();
    for (name, text) in lvzhi_report::templates(&files) {
        lvzhi_report::template::validate(&text, &known).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let bad = "# 标题\n\n财政总收入{{ ind(\"财政总收入\") }}。\n增长{{ ind('财政总收入增幅') }}。\n";
    match lvzhi_report::template::validate(bad, &known) {
        Err(ReportError::UnknownIndicator { line, indicator }) => {
            assert_eq!(line, 4);
            assert_eq!(indicator, "财政总收入增幅");
        }
        other => panic!("{other:?}"),
    }
    let e = lvzhi_report::template::validate(bad, &known).unwrap_err().to_string();
    assert_eq!(e, "模板第4行：指标“财政总收入增幅”不存在");
    // A syntax error names its line, too.
    match lvzhi_report::template::validate("# 标题\n\n{% if %}\n正文\n", &known) {
        Err(e @ ReportError::Syntax { line: 3, .. }) => assert!(e.to_string().starts_with("模板第3行：")),
        other => panic!("{other:?}"),
    }
    // A second argument of ind() is not an indicator; every argument of unit_rows() is.
    assert!(lvzhi_report::template::validate("{{ ind(\"财政总收入\", \"amount\") }}", &known).is_ok());
    match lvzhi_report::template::validate(
        "\n{{ unit_rows(\"督办事项到期数\", \"督办事项到期按期办结数\", \"没有\", \"督办事项临期数\") }}",
        &known,
    ) {
        Err(ReportError::UnknownIndicator { line: 2, indicator }) => assert_eq!(indicator, "没有"),
        other => panic!("{other:?}"),
    }
}

#[allow(dead_code)]
fn _engine_is_shareable(e: Engine) -> Engine {
    e
}
