//! 导入 and 导出 screens over HTTP (part of `tests/ui.rs`): upload → column
//! mapping → preview with errors per cell → confirm (all or nothing, then
//! 跳过错误行) → result and the error copy; who may import; export of the
//! filtered list within scope.

use super::*;

/// A hazard CSV as a township clerk keeps it: a title row, 序号, a bad date in
/// row 5 (the file's numbering), a 合计 row.
pub const CSV: &str = "西洞镇2026年安全隐患排查整治台账,,,,,,,\n\
序号,隐患描述,企业名称,所属行业,隐患等级,所在乡镇,排查日期,备注\n\
1,消防通道堵塞,酒泉市甲公司,工贸,一般,西洞镇,2026年3月5日,\n\
2,配电箱未接地,酒泉市乙公司,危化品,重大隐患,西洞镇,2026/3/6,\n\
3,灭火器过期,酒泉市丙公司,工贸,一般,西洞镇,2026-02-30,\n\
合计,,,,,,,\n";

/// The value of the selected option of `<select name="{name}"`.
fn selected(html: &str, name: &str) -> String {
    let i = html
        .find(&format!("<select name=\"{name}\""))
        .unwrap_or_else(|| panic!("no select {name}"));
    let block = &html[i..];
    let block = &block[..block.find("</select>").unwrap()];
    let j = block
        .find(" selected>")
        .unwrap_or_else(|| panic!("nothing selected in {name}"));
    let before = &block[..j];
    let k = before.rfind("value=\"").unwrap() + 7;
    before[k..].split('"').next().unwrap().to_string()
}

#[test]
fn upload_mapping_preview_confirm() {
    let s = Server::start();
    let before = s.count("admin");
    let mut b = s.signed_in("clerk_xd");
    // The list page offers 导入 and 导出.
    let list = b.get("/ledgers/hazard").text();
    assert!(list.contains("href=\"/ledgers/hazard/import\""), "导入 button");
    assert!(list.contains("/ledgers/hazard/export?format=xlsx"), "导出 button");
    let page = b.get("/ledgers/hazard/import");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("enctype=\"multipart/form-data\""));
    let csrf = b.csrf();
    // Without the CSRF token nothing is taken.
    let r = b.upload("/ledgers/hazard/import", &[], ("h.csv", CSV.as_bytes()));
    assert_eq!(r.status, 403);
    // Not a table file.
    let r = b.upload("/ledgers/hazard/import", &[("csrf", &csrf)], ("h.docx", b"x"));
    assert_eq!(r.status, 422);
    assert!(r.text().contains("不是 xlsx、xls 或 csv 文件"));
    // GBK, as counties send them.
    let (gbk, _, _) = encoding_rs::GBK.encode(CSV);
    let r = b.upload("/ledgers/hazard/import", &[("csrf", &csrf)], ("隐患台账.csv", &gbk));
    assert_eq!(r.status, 303, "{}", r.text());
    let to = location(&r);
    assert!(to.starts_with("/imports/") && to.ends_with("/mapping"), "{to}");
    let id = to
        .trim_start_matches("/imports/")
        .trim_end_matches("/mapping")
        .to_string();
    // The mapping screen: each column's detected field, selectable.
    let m = b.get(&to);
    assert_eq!(m.status, 200, "{}", m.text());
    let html = m.text();
    assert!(html.contains("表头在第"), "{html}");
    assert_eq!(selected(&html, "col1"), "description");
    assert_eq!(selected(&html, "col5"), "township");
    assert_eq!(selected(&html, "col0"), "", "序号 is not imported");
    // Another user cannot reach this upload.
    let mut other = s.signed_in("clerk_qs");
    assert_eq!(other.get(&format!("/imports/{id}/preview")).status, 404);
    // Keep the mapping, but do not import 备注.
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
    for (c, f) in [
        (0, ""),
        (1, "description"),
        (2, "company"),
        (3, "industry"),
        (4, "grade"),
        (5, "township"),
        (6, "found_on"),
        (7, ""),
    ] {
        form.push((format!("col{c}"), f.into()));
    }
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = b.post(&format!("/imports/{id}/mapping"), &form_ref);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(location(&r), format!("/imports/{id}/preview"));
    // The preview: counts, the bad cell marked with its reason in Chinese.
    let p = b.get(&format!("/imports/{id}/preview"));
    assert_eq!(p.status, 200);
    let html = p.text();
    assert!(
        html.contains("可导入 <strong>2</strong> 行，有误 <strong class=\"bad-count\">1</strong> 行"),
        "{html}"
    );
    let cell = html.find("class=\"cell-error\"").expect("a marked cell");
    assert!(
        html[cell..].contains("2026-02-30"),
        "the bad value is in the marked cell"
    );
    assert!(
        html.contains("第5行 G列“排查日期”：“2026-02-30”不是有效日期"),
        "error list names row and column"
    );
    assert!(html.contains("跳过错误行"));
    // Confirm, all or nothing: refused, nothing written.
    let r = b.post(&format!("/imports/{id}/confirm"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("未导入任何记录"));
    assert_eq!(s.count("admin"), before);
    // The error copy.
    let x = b.get(&format!("/imports/{id}/errors.xlsx"));
    assert_eq!(x.status, 200);
    assert!(x.header("content-type").unwrap().contains("spreadsheetml"));
    assert!(x.body.starts_with(b"PK"));
    // Confirm again, skipping the bad row.
    let r = b.post(
        &format!("/imports/{id}/confirm"),
        &[("csrf", &csrf), ("skip_invalid", "1")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("已导入 <strong>2</strong> 条记录，跳过有误的 <strong>1</strong> 行"),
        "{html}"
    );
    assert_eq!(s.count("admin"), before + 2);
    // A second confirm (a reload) does not import twice.
    let r = b.post(
        &format!("/imports/{id}/confirm"),
        &[("csrf", &csrf), ("skip_invalid", "1")],
    );
    assert_eq!(r.status, 303);
    assert_eq!(s.count("admin"), before + 2);
    // The records are the clerk's, and evented with the import's tag.
    let a = s.county.access("clerk_xd");
    let page =
        s.rt.block_on(s.store.list(
            &a,
            "hazard",
            &lvzhi_store::records::ListQuery {
                q: Some("配电箱未接地".into()),
                ..Default::default()
            },
        ))
        .unwrap();
    let rec = &page.items[0].row;
    assert_eq!(rec.fields["grade"], "重大");
    let ev = s.rt.block_on(s.store.record_events(&a, rec.id)).unwrap();
    assert!(ev[0].data["import"].as_str().unwrap().starts_with("import-hazard-"));
    s.stop();
}

#[test]
fn only_creators_import() {
    let s = Server::start();
    for user in ["auditor", "leader"] {
        let mut b = s.signed_in(user);
        assert!(
            !b.get("/ledgers/hazard").text().contains("/ledgers/hazard/import"),
            "{user}: no 导入 button"
        );
        assert_eq!(b.get("/ledgers/hazard/import").status, 403, "{user}");
        let csrf = b.csrf();
        let r = b.upload("/ledgers/hazard/import", &[("csrf", &csrf)], ("h.csv", CSV.as_bytes()));
        assert_eq!(r.status, 403, "{user}");
    }
    // A file over the upload limit is refused before it is read.
    let mut b = s.signed_in("clerk_xd");
    let csrf = b.csrf();
    let big = vec![b'a'; lvzhi_web::ui::import::UPLOAD_LIMIT + 10];
    let r = b.upload("/ledgers/hazard/import", &[("csrf", &csrf)], ("h.csv", &big));
    assert_eq!(r.status, 413);
    s.stop();
}

#[test]
fn export_is_the_filtered_list_within_scope() {
    let s = Server::start();
    let (yj, xd, qs) = (s.county.yingji, "620902100", "620902101");
    let mine = s.hazard("clerk_xd", xd, yj, "西洞镇的隐患甲");
    let closed = s.hazard("clerk_xd", xd, yj, "西洞镇的隐患乙");
    let theirs = s.hazard("clerk_qs", qs, yj, "清水镇的隐患");
    let a = s.county.access("office");
    s.rt.block_on(s.store.transition(&a, closed, 1, "交办", Default::default(), None))
        .ok();
    let mut b = s.signed_in("clerk_xd");
    let csv = b.get("/ledgers/hazard/export?format=csv");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-disposition").unwrap().contains("filename*=UTF-8''"));
    assert!(csv.body.starts_with(b"\xEF\xBB\xBF"), "BOM");
    let text = csv.text();
    let ids: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert!(ids.contains(&mine.to_string().as_str()) && ids.contains(&closed.to_string().as_str()));
    assert!(
        !ids.contains(&theirs.to_string().as_str()),
        "another township's record is not exported"
    );
    // Exactly the filtered rows.
    let filtered = b
        .get(&format!("/ledgers/hazard/export?format=csv&q={}", pct("隐患甲")))
        .text();
    let ids: Vec<&str> = filtered.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids, [mine.to_string().as_str()]);
    // The list page's export links carry its filters.
    let list = b.get(&format!("/ledgers/hazard?q={}", pct("隐患甲"))).text();
    assert!(
        list.contains(&format!("/ledgers/hazard/export?format=csv&q={}", pct("隐患甲"))),
        "{list}"
    );
    let x = b.get("/ledgers/hazard/export?format=xlsx");
    assert_eq!(x.status, 200);
    assert!(x.body.starts_with(b"PK"));
    let mut e = s.signed_in("evaluator");
    assert_eq!(e.get("/ledgers/hazard/export?format=csv").status, 403);
    s.stop();
}

#[test]
fn a_suggested_column_accepted_and_a_value_set_once() {
    let s = Server::start();
    let before = s.count("admin");
    let mut b = s.signed_in("clerk_xd");
    let csrf = b.csrf();
    let csv = "描述,企业名称,隐患等级,检查时间,督办领导\n配电箱未接地,酒泉市甲公司,一般,2026-03-05,张三\n";
    let r = b.upload("/ledgers/hazard/import", &[("csrf", &csrf)], ("h.csv", csv.as_bytes()));
    assert_eq!(r.status, 303, "{}", r.text());
    let to = location(&r);
    let id = to
        .trim_start_matches("/imports/")
        .trim_end_matches("/mapping")
        .to_string();
    let html = b.get(&to).text();
    // "描述" is only suggested as 隐患描述, never chosen for the clerk.
    assert_eq!(selected(&html, "col0"), "@extra", "{html}");
    assert!(html.contains("建议：隐患描述"), "{html}");
    assert_eq!(selected(&html, "col3"), "found_on", "检查时间 ≈ 发现日期");
    assert_eq!(
        selected(&html, "col4"),
        "@extra",
        "督办领导 is kept as extra information"
    );
    // 行业 has no column: it can be set once for the file.
    assert!(html.contains("name=\"set.industry\""), "{html}");
    let r = b.post(
        &format!("/imports/{id}/mapping"),
        &[
            ("csrf", &csrf),
            ("col0", "description"),
            ("col1", "company"),
            ("col2", "grade"),
            ("col3", "found_on"),
            ("col4", "@extra"),
            ("set.industry", "工贸"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let p = b.get(&format!("/imports/{id}/preview")).text();
    assert!(p.contains("可导入 <strong>1</strong> 行"), "{p}");
    assert!(p.contains("补全：行业 ← 统一设定值“工贸”（1行）"), "{p}");
    assert!(p.contains("补全：乡镇 ← 导入人所在乡镇（1行）"), "{p}");
    let r = b.post(&format!("/imports/{id}/confirm"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("已导入 <strong>1</strong> 条记录"), "{}", r.text());
    assert_eq!(s.count("admin"), before + 1);
    let a = s.county.access("admin");
    let q = lvzhi_store::records::ListQuery {
        limit: Some(1),
        ..Default::default()
    };
    let rec = s.rt.block_on(s.store.list(&a, "hazard", &q)).unwrap().items.remove(0);
    assert_eq!(rec.row.fields["industry"], serde_json::json!("工贸"));
    assert_eq!(
        rec.row.fields["township"],
        serde_json::json!("620902100"),
        "the clerk's township"
    );
    assert_eq!(rec.row.fields["extra"], serde_json::json!({"督办领导": "张三"}));
    s.stop();
}

#[test]
fn the_template_downloads_and_imports_back() {
    let s = Server::start();
    let before = s.count("admin");
    let mut b = s.signed_in("clerk_xd");
    // The upload page links the template.
    let page = b.get("/ledgers/hazard/import").text();
    assert!(page.contains("href=\"/ledgers/hazard/import/template\""), "{page}");
    let t = b.get("/ledgers/hazard/import/template");
    assert_eq!(t.status, 200);
    assert!(t.header("content-type").unwrap().contains("spreadsheetml"));
    assert!(t.header("content-disposition").unwrap().contains("filename*=UTF-8''"));
    assert!(t.body.starts_with(b"PK"));
    // Uploaded as it is: every column maps, nothing is missing, the example row is good.
    let csrf = b.csrf();
    let r = b.upload("/ledgers/hazard/import", &[("csrf", &csrf)], ("模板.xlsx", &t.body));
    assert_eq!(r.status, 303, "{}", r.text());
    let to = location(&r);
    let id = to
        .trim_start_matches("/imports/")
        .trim_end_matches("/mapping")
        .to_string();
    let m = b.get(&to).text();
    assert!(!m.contains("mapping-missing"), "{m}");
    assert_eq!(selected(&m, "col0"), "description");
    let p = b.get(&format!("/imports/{id}/preview")).text();
    assert!(p.contains("可导入 <strong>1</strong> 行"), "{p}");
    let r = b.post(&format!("/imports/{id}/confirm"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.count("admin"), before + 1);
    // Who may not import may not have the template either.
    let mut l = s.signed_in("leader");
    assert_eq!(l.get("/ledgers/hazard/import/template").status, 403);
    s.stop();
}
