//! 导入 in a real browser (headless Chromium over chromedriver, with
//! fantoccini) on the demo county, as 西洞镇's clerk would do it:
//!
//! an Excel ledger as townships keep it (a title row "XX县2026年安全隐患排查整治台账",
//! a two-row header with merged cells, 序号, a 合计 row, an alias header 隐患内容,
//! dates as date cells and as "2026年3月5日", and one 统一社会信用代码 with a wrong
//! check character) is uploaded from the list page; the mapping screen proposes
//! the fields, one column is mapped by hand; the preview marks the bad cell at
//! its row and column with a Chinese reason and 确认导入 is refused with nothing
//! written; the 错误说明 copy is downloaded and has its added column; the fixed
//! file is imported, the records are on the list page and their history names
//! the import. Then a GBK CSV with a bad date, imported with 跳过错误行. Last,
//! a sheet whose 描述 column is only suggested as 隐患描述: the clerk presses 采用,
//! sets 行业 once for the file (统一设定), and imports.
//! Screenshots of every screen go to `target/ui-screenshots/import-*.png`.
//!
//! Without chromium/chromedriver the test says so and passes, unless
//! `LVZHI_REQUIRE_CHROMIUM=1` (CI), which makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::browser;
use fantoccini::{Client, Locator};
use lvzhi_store::records::ListQuery;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};
use std::collections::HashMap;
use std::path::PathBuf;

/// A valid 统一社会信用代码, and the same with a wrong check character.
const CODE: &str = "91350100M000100Y43";
const BAD_CODE: &str = "91350100M000100Y44";

/// In every imported description, to find the records again.
const MARK: &str = "（浏览器导入测试）";

async fn shot(c: &Client, name: &str) {
    browser::shot_page(c, &format!("import-{name}"), 1366, 700, 4000).await;
}

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    browser::css_within(c, sel, 15).await
}

async fn body_text(c: &Client) -> String {
    css(c, "body").await.text().await.unwrap()
}

/// Asserts that the page's tables fit the 1366-pixel window (no sideways scrolling).
async fn fits(c: &Client) {
    let wide = c
        .execute(
            "return Array.from(document.querySelectorAll('.table-wrap'))\
               .filter(function (w) { return w.scrollWidth > w.clientWidth + 1; })\
               .map(function (w) { return w.scrollWidth + '>' + w.clientWidth; });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wide, serde_json::json!([]), "a table wider than the page");
}

async fn count(c: &Client, sel: &str) -> usize {
    c.find_all(Locator::Css(sel)).await.unwrap().len()
}

/// The hazard ledger of 西洞镇 as its clerk keeps it in Excel: title rows, a
/// two-row header (groups merged across, single columns merged down), 序号,
/// a 合计 row and a signature line. Row 6 of the sheet carries `code2`.
fn ledger_xlsx(code2: &str) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("隐患台账").unwrap();
    let title = Format::new().set_bold().set_align(FormatAlign::Center);
    let head = Format::new().set_bold().set_align(FormatAlign::Center);
    let date = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
    ws.merge_range(0, 0, 0, 9, "XX县2026年安全隐患排查整治台账", &title)
        .unwrap();
    ws.write_string(1, 0, "填报单位（盖章）：西洞镇人民政府").unwrap();
    ws.write_string(1, 7, "填报日期：2026年11月").unwrap();
    for (c, h) in [
        (0, "序号"),
        (4, "所属行业"),
        (5, "隐患级别"),
        (6, "所在乡镇"),
        (9, "检查活动"),
    ] {
        ws.merge_range(2, c, 3, c, h, &head).unwrap();
    }
    ws.merge_range(2, 1, 2, 3, "隐患基本情况", &head).unwrap();
    ws.write_string_with_format(3, 1, "隐患内容", &head).unwrap();
    ws.write_string_with_format(3, 2, "企业名称", &head).unwrap();
    ws.write_string_with_format(3, 3, "统一社会信用代码", &head).unwrap();
    ws.merge_range(2, 7, 2, 8, "排查整改情况", &head).unwrap();
    ws.write_string_with_format(3, 7, "排查日期", &head).unwrap();
    ws.write_string_with_format(3, 8, "整改时限", &head).unwrap();
    let rows = [
        (
            "消防通道堵塞",
            "西洞镇甲商贸有限公司",
            CODE,
            "工贸",
            "一般隐患",
            "西洞镇",
        ),
        (
            "配电箱未接地",
            "西洞镇乙化工有限公司",
            code2,
            "危化品",
            "重大隐患",
            "西洞镇",
        ),
        ("灭火器过期失效", "西洞镇丙砖厂", "", "工贸", "一般", "西洞镇"),
        ("液化气瓶露天存放", "西洞镇丁饭店", "", "燃气", "一般", "西洞镇"),
    ];
    for (i, (desc, company, code, industry, grade, town)) in rows.iter().enumerate() {
        let r = 4 + i as u32;
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        ws.write_string(r, 1, format!("{desc}{MARK}")).unwrap();
        ws.write_string(r, 2, *company).unwrap();
        if !code.is_empty() {
            ws.write_string(r, 3, *code).unwrap();
        }
        ws.write_string(r, 4, *industry).unwrap();
        ws.write_string(r, 5, *grade).unwrap();
        ws.write_string(r, 6, *town).unwrap();
        match i {
            0 => {
                ws.write_datetime_with_format(r, 7, ExcelDateTime::from_ymd(2026, 3, 4).unwrap(), &date)
                    .unwrap();
            }
            1 => {
                ws.write_string(r, 7, "2026年3月5日").unwrap();
                ws.write_string(r, 8, "2026年6月30日").unwrap();
            }
            2 => {
                ws.write_string(r, 7, "2026.3.6").unwrap();
            }
            _ => {
                ws.write_string(r, 7, "2026/3/7").unwrap();
            }
        }
        ws.write_string(r, 9, "2026年春季安全生产大检查").unwrap();
    }
    ws.merge_range(8, 0, 8, 6, "合    计", &head).unwrap();
    ws.write_string(8, 7, "4条").unwrap();
    ws.write_string(10, 0, "填表人：张三    审核人：李四").unwrap();
    wb.save_to_buffer().unwrap()
}

/// A GBK CSV as exported by an older system: a title row, alias headers and
/// one header no alias knows (发现时间, the required 发现日期), a bad date on
/// the file's row 4, a 合计 row.
fn gbk_csv() -> Vec<u8> {
    let text = format!(
        "西洞镇2026年安全隐患排查整治台账,,,,,,\r\n\
         序号,存在问题,被检查单位,行业领域,等级,属地,排查批次\r\n\
         1,仓库电线私拉乱接{MARK}CSV,西洞镇戊物流有限公司,工贸,一般,西洞镇,2026-03-05\r\n\
         2,锅炉安全阀未校验{MARK}CSV,西洞镇己食品厂,特种设备,重大,西洞镇,2026-02-30\r\n\
         3,加油站静电接地失效{MARK}CSV,西洞镇庚加油站,危化,一般,西洞镇,2026年3月9日\r\n\
         合计,,,,,,\r\n"
    );
    encoding_rs::GBK.encode(&text).0.into_owned()
}

/// The hazards carrying [`MARK`], as the office sees them.
async fn marked(
    store: &lvzhi_store::Store,
    office: &lvzhi_core::access::Access,
) -> Vec<lvzhi_store::records::RecordView> {
    let q = ListQuery {
        q: Some(MARK.into()),
        ..Default::default()
    };
    store.list(office, "hazard", &q).await.unwrap().items
}

struct Ctx {
    c: Client,
    demo: browser::Demo,
    office: lvzhi_core::access::Access,
    files: PathBuf,
    downloads: PathBuf,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_screens_in_chromium() {
    let Some(tools) = browser::tools() else {
        return;
    };
    let demo = browser::Demo::start().await;
    let office = demo.access("office").await;
    let dir = std::env::temp_dir().join(format!("lvzhi-import-browser-{}", std::process::id()));
    let (files, downloads) = (dir.join("files"), dir.join("downloads"));
    std::fs::create_dir_all(&files).unwrap();
    std::fs::create_dir_all(&downloads).unwrap();
    let b = tools.launch_with(Some(&downloads)).await;
    let ctx = Ctx {
        c: b.c.clone(),
        demo,
        office,
        files,
        downloads,
    };
    // In a task, so that a failed assertion still closes the browser below.
    let result = tokio::spawn(async move {
        run(&ctx).await;
        ctx
    })
    .await;
    b.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(ctx) => ctx.demo.stop().await,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("{e}"),
    }
}

impl Ctx {
    async fn login(&self, user: &str) {
        let d = &self.demo;
        browser::login(&self.c, &d.base, user, &d.user(user).password).await;
    }

    async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.demo.base)).await.unwrap();
    }

    /// Writes `bytes` as `name` and uploads it from the ledger's list page
    /// (its 导入 button); returns on the mapping screen.
    async fn upload(&self, name: &str, bytes: &[u8]) {
        let c = &self.c;
        let path = self.files.join(name);
        std::fs::write(&path, bytes).unwrap();
        self.goto("/ledgers/hazard").await;
        css(c, "#import-link").await.click().await.unwrap();
        css(c, "#upload-form input[type=file]")
            .await
            .send_keys(&path.to_string_lossy())
            .await
            .unwrap();
        css(c, "#upload-form button[type=submit]").await.click().await.unwrap();
        css(c, "#mapping-form").await;
    }

    /// The mapping screen's choice per column: form name → (header shown, field).
    async fn mapping(&self) -> HashMap<String, (String, String)> {
        let v = self
            .c
            .execute(
                "return Array.from(document.querySelectorAll('#mapping-form select')).map(function (s) {\
                   return [s.name, s.closest('tr').cells[1].textContent.trim(), s.value]; });",
                vec![],
            )
            .await
            .unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let s = |i: usize| x[i].as_str().unwrap().to_string();
                (s(0), (s(1), s(2)))
            })
            .collect()
    }

    /// Chooses `field` for the column named `col` on the mapping screen.
    async fn choose(&self, col: &str, field: &str) {
        css(&self.c, &format!("#mapping-form select[name={col}]"))
            .await
            .select_by_value(field)
            .await
            .unwrap();
    }

    /// Submits the mapping screen; on the preview, checks its counts.
    async fn preview(&self, good: usize, bad: usize) {
        let c = &self.c;
        css(c, "#mapping-form button[type=submit]").await.click().await.unwrap();
        let summary = css(c, "#import-summary").await.text().await.unwrap();
        assert!(
            summary.contains(&format!("可导入 {good} 行")) && summary.contains(&format!("有误 {bad} 行")),
            "{summary}"
        );
    }

    async fn record_creates(&self) -> usize {
        self.demo.store.events_of_kind("record.create").await.unwrap().len()
    }
}

async fn run(x: &Ctx) {
    let c = &x.c;
    let creates0 = x.record_creates().await;
    x.login("xidong_clerk").await;

    // The upload screen, reached from the list page.
    x.goto("/ledgers/hazard").await;
    css(c, "#import-link").await.click().await.unwrap();
    css(c, "#upload-form").await;
    let text = body_text(c).await;
    assert!(text.contains("上传文件") && text.contains("xlsx"), "{text}");
    shot(c, "01-upload").await;

    // The Excel ledger with a wrong check character in row 6.
    x.upload("西洞镇隐患台账.xlsx", &ledger_xlsx(BAD_CODE)).await;
    let text = body_text(c).await;
    assert!(text.contains("西洞镇隐患台账.xlsx"), "{text}");
    let m = x.mapping().await;
    let field = |col: &str| m.get(col).map(|(_, f)| f.as_str()).unwrap_or("?").to_string();
    for (col, want) in [
        ("col0", ""), // 序号
        ("col1", "description"),
        ("col2", "company"),
        ("col3", "credit_code"),
        ("col4", "industry"),
        ("col5", "grade"),
        ("col6", "township"),
        ("col7", "found_on"),
        ("col8", "deadline"),
        ("col9", "@extra"), // 检查活动: no field by default (kept as extra); chosen by hand below
    ] {
        assert_eq!(field(col), want, "{col}: {m:?}");
    }
    assert!(m["col1"].0.contains("隐患内容"), "the alias header is shown: {m:?}");
    // Samples are whole values of data rows (not the 合计 row, not cut short).
    let form = css(c, "#mapping-form").await.text().await.unwrap();
    assert!(form.contains(CODE) && !form.contains("计"), "{form}");
    fits(c).await;
    shot(c, "02-mapping").await;
    x.choose("col9", "inspection").await;

    // The preview: the bad cell at row 6, column D, in Chinese.
    x.preview(3, 1).await;
    assert_eq!(count(c, "table.preview td.cell-error").await, 1);
    let bad = css(c, "table.preview td.cell-error").await.text().await.unwrap();
    assert!(bad.contains(BAD_CODE) && bad.contains("校验"), "{bad}");
    let bad_row = css(c, "table.preview tr.row-bad td").await.text().await.unwrap();
    assert_eq!(bad_row, "6", "the file's row number");
    let errors = css(c, "ul.import-errors").await.text().await.unwrap();
    assert!(errors.contains("第6行 D列“统一社会信用代码”"), "{errors}");
    // The hand-made choice is in the preview's columns, with the field it fills.
    let heads = css(c, "table.preview thead").await.text().await.unwrap();
    assert!(heads.contains("J 检查活动") && heads.contains("→ 所属检查"), "{heads}");
    // Good rows show the values to be stored where they read differently.
    let table = css(c, "table.preview tbody").await.text().await.unwrap();
    assert!(
        table.contains("一般隐患\n→ 一般") && table.contains("2026.3.6\n→ 2026-03-06"),
        "{table}"
    );
    // The 合计 row is skipped, not an error.
    assert!(body_text(c).await.contains("合计"));
    fits(c).await;
    shot(c, "03-preview-errors").await;

    // 确认导入 without 跳过错误行: refused, nothing written.
    css(c, "#confirm-form button[type=submit]").await.click().await.unwrap();
    let banner = css(c, ".banner").await.text().await.unwrap();
    assert!(banner.contains("未导入任何记录"), "{banner}");
    shot(c, "04-confirm-refused").await;
    assert_eq!(x.record_creates().await, creates0, "nothing written");
    assert!(marked(&x.demo.store, &x.office).await.is_empty());

    // The 错误说明 copy, downloaded from the preview.
    css(c, "a[href$='/preview']").await.click().await.unwrap();
    css(c, "a[href$='/errors.xlsx']").await.click().await.unwrap();
    let copy = browser::downloaded(&x.downloads, "西洞镇隐患台账.错误说明.xlsx", 20).await;
    let sheet = lvzhi_io::sheet::read_bytes(&copy, "e.xlsx", None, Default::default()).unwrap();
    let (mut note_col, mut note_row) = (None, None);
    for r in 0..sheet.rows.len() {
        for col in 0..sheet.width() {
            let t = sheet.cell(r, col).text();
            if t == "错误说明" {
                note_col = Some(col);
            } else if t.contains("统一社会信用代码") && t.contains("校验") {
                note_row = Some((r, col));
            }
        }
    }
    let note_col = note_col.expect("a 错误说明 column");
    assert!(note_col >= 10, "added after the file's columns");
    let (r, col) = note_row.expect("the reason in the copy");
    assert_eq!((r + 1, col), (6, note_col), "on the bad row, in the added column");
    assert_eq!(sheet.cell(r, 3).text(), BAD_CODE, "the file's cells are kept");

    // The fixed file: imported whole.
    x.upload("西洞镇隐患台账（已改）.xlsx", &ledger_xlsx(CODE)).await;
    x.choose("col9", "inspection").await;
    x.preview(4, 0).await;
    assert_eq!(count(c, "table.preview td.cell-error").await, 0);
    assert_eq!(count(c, "input[name=skip_invalid]").await, 0);
    shot(c, "05-preview-clean").await;
    css(c, "#confirm-form button[type=submit]").await.click().await.unwrap();
    let result = css(c, "#import-result").await.text().await.unwrap();
    assert!(result.contains("已导入 4 条记录"), "{result}");
    let tag_text = body_text(c).await;
    let tag = tag_text
        .split_whitespace()
        .flat_map(|w| w.split(['：', '（', '）', '；']))
        .find(|w| w.starts_with("import-hazard-"))
        .unwrap_or_else(|| panic!("no tag in {tag_text}"))
        .to_string();
    shot(c, "06-result").await;
    assert_eq!(x.record_creates().await, creates0 + 4);
    let items = marked(&x.demo.store, &x.office).await;
    assert_eq!(items.len(), 4);
    let alarm = items
        .iter()
        .find(|i| i.row.fields["description"].as_str().unwrap().starts_with("配电箱"))
        .unwrap();
    assert_eq!(alarm.row.fields["grade"], "重大");
    assert_eq!(alarm.row.fields["industry"], "危险化学品");
    assert_eq!(alarm.row.fields["found_on"], "2026-03-05");
    assert_eq!(alarm.row.fields["deadline"], "2026-06-30");
    assert_eq!(alarm.row.fields["credit_code"], CODE);
    assert_eq!(alarm.row.fields["inspection"], "2026年春季安全生产大检查");

    // The list page shows them; a record's history names the import.
    css(c, "a.btn.primary[href='/ledgers/hazard']")
        .await
        .click()
        .await
        .unwrap();
    css(c, "input[name=q]").await.send_keys(MARK).await.unwrap();
    c.execute("document.querySelector('input[name=q]').form.submit();", vec![])
        .await
        .unwrap();
    css(c, "table.records").await;
    let rows = count(c, "table.records tbody tr a[href^='/records/']").await;
    assert!(rows >= 4, "{rows} links");
    let list = css(c, "table.records").await.text().await.unwrap();
    for d in ["消防通道堵塞", "配电箱未接地", "灭火器过期失效", "液化气瓶露天存放"] {
        assert!(list.contains(d), "{d} in {list}");
    }
    shot(c, "07-list").await;
    x.goto(&format!("/records/{}", alarm.row.id)).await;
    let history = css(c, "table.history").await.text().await.unwrap();
    assert!(history.contains("导入") && history.contains(&tag), "{history}");
    shot(c, "08-record-history").await;

    // A GBK CSV with a bad date: imported with 跳过错误行. Its date column's
    // header (排查批次) is no word the vocabulary knows: the mapping screen says the required field
    // has no column, and the clerk chooses it.
    x.upload("西洞镇隐患台账.csv", &gbk_csv()).await;
    let banner = css(c, "#mapping-missing").await.text().await.unwrap();
    assert!(banner.contains("缺少必填列：发现日期"), "{banner}");
    // A web hint, not the CLI's --set.
    assert!(banner.contains("统一设定") && !banner.contains("--set"), "{banner}");
    let m = x.mapping().await;
    let field = |col: &str| m.get(col).map(|(_, f)| f.as_str()).unwrap_or("?").to_string();
    for (col, want) in [
        ("col0", ""),
        ("col1", "description"),
        ("col2", "company"),
        ("col3", "industry"),
        ("col4", "grade"),
        ("col5", "township"),
        ("col6", "@extra"), // 排查批次: no field (the vocabulary would read 发现时间 as 发现日期)
    ] {
        assert_eq!(field(col), want, "{col}: {m:?}");
    }
    assert!(m["col1"].0.contains("存在问题"), "read as GBK: {m:?}");
    shot(c, "09-csv-mapping-missing").await;
    // A slip first: 发现日期 chosen for 属地 as well (乡镇 would then come from
    // the clerk's own township, but a field chosen twice is refused).
    for col in ["col5", "col6"] {
        x.choose(col, "found_on").await;
    }
    css(c, "#mapping-form button[type=submit]").await.click().await.unwrap();
    let banner = css(c, "#mapping-error").await.text().await.unwrap();
    assert!(banner.contains("“发现日期”选给了F、G列"), "{banner}");
    let m = x.mapping().await;
    assert_eq!(
        (m["col5"].1.as_str(), m["col6"].1.as_str()),
        ("found_on", "found_on"),
        "choices kept"
    );
    shot(c, "10-csv-mapping-refused").await;
    x.choose("col5", "township").await;
    x.preview(2, 1).await;
    let heads = css(c, "table.preview thead").await.text().await.unwrap();
    assert!(heads.contains("G 排查批次") && heads.contains("→ 发现日期"), "{heads}");
    let table = css(c, "table.preview tbody").await.text().await.unwrap();
    assert!(table.contains("危化\n→ 危险化学品"), "{table}");
    let errors = css(c, "ul.import-errors").await.text().await.unwrap();
    assert!(
        errors.contains("第4行 G列“排查批次”") && errors.contains("2026-02-30"),
        "{errors}"
    );
    css(c, "input[name=skip_invalid]").await.click().await.unwrap();
    fits(c).await;
    shot(c, "11-csv-preview").await;
    css(c, "#confirm-form button[type=submit]").await.click().await.unwrap();
    let result = css(c, "#import-result").await.text().await.unwrap();
    assert!(
        result.contains("已导入 2 条记录") && result.contains("跳过有误的 1 行"),
        "{result}"
    );
    shot(c, "12-csv-result").await;
    let items = marked(&x.demo.store, &x.office).await;
    assert_eq!(items.len(), 6);
    assert!(
        !items
            .iter()
            .any(|i| i.row.fields["description"].as_str().unwrap().starts_with("锅炉")),
        "the bad row is not imported"
    );
    let station = items
        .iter()
        .find(|i| i.row.fields["description"].as_str().unwrap().starts_with("加油站"))
        .unwrap();
    assert_eq!(station.row.fields["industry"], "危险化学品");
    assert_eq!(station.row.fields["found_on"], "2026-03-09");
    assert_eq!(x.record_creates().await, creates0 + 6);

    suggestion_accepted_and_industry_set_once(x, creates0 + 6).await;
}

/// A sheet as another system exports it: 描述 (only *suggested* as 隐患描述 —
/// a two-character name is never mapped without the clerk), no 行业 column,
/// a 督办领导 column that is no field. The clerk presses 采用 on the
/// suggestion, sets 行业 once for the whole file, and imports.
async fn suggestion_accepted_and_industry_set_once(x: &Ctx, creates0: usize) {
    let c = &x.c;
    let csv = format!(
        "描述,企业名称,隐患等级,检查时间,督办领导\r\n\
         仓库灭火器压力不足{MARK}建议,西洞镇辛商贸有限公司,一般,2026-03-11,张副镇长\r\n\
         食堂燃气软管老化{MARK}建议,西洞镇壬餐饮店,重大,2026年3月12日,张副镇长\r\n"
    );
    x.upload("西洞镇检查记录.csv", csv.as_bytes()).await;
    let m = x.mapping().await;
    assert_eq!(m["col0"].1, "@extra", "描述 is not mapped without the clerk: {m:?}");
    assert_eq!(m["col3"].1, "found_on", "检查时间 ≈ 发现日期: {m:?}");
    assert_eq!(m["col4"].1, "@extra", "督办领导 is kept as extra information: {m:?}");
    let hint = css(c, "#mapping-form tr:first-child .mapping-hint")
        .await
        .text()
        .await
        .unwrap();
    assert!(hint.contains("建议：隐患描述"), "{hint}");
    // 行业 has no column: it is offered to be set once for the file.
    css(c, "fieldset.set-once input[name='set.industry']").await;
    shot(c, "13-suggestion").await;
    // 采用: the screen again, the suggestion chosen, nothing else changed.
    css(c, "#accept-col0").await.click().await.unwrap();
    css(c, "#mapping-form").await;
    let m = x.mapping().await;
    assert_eq!(m["col0"].1, "description", "the suggestion is chosen: {m:?}");
    assert_eq!((m["col3"].1.as_str(), m["col4"].1.as_str()), ("found_on", "@extra"));
    let hint = css(c, "#mapping-form tr:first-child .mapping-hint")
        .await
        .text()
        .await
        .unwrap();
    assert!(hint.contains("已采用建议：隐患描述"), "{hint}");
    assert_eq!(count(c, "#accept-col0").await, 0, "no 采用 once accepted");
    assert_eq!(
        count(c, "fieldset.set-once input[name='set.description']").await,
        0,
        "隐患描述 has its column now: not offered to be set once"
    );
    // 行业 once for the file; Enter in the field goes on to the preview.
    let industry = css(c, "fieldset.set-once input[name='set.industry']").await;
    industry.send_keys("工贸").await.unwrap();
    fits(c).await;
    shot(c, "14-suggestion-accepted-industry-set").await;
    industry.send_keys("\u{E007}").await.unwrap();
    let summary = css(c, "#import-summary").await.text().await.unwrap();
    assert!(
        summary.contains("可导入 2 行") && summary.contains("有误 0 行"),
        "{summary}"
    );
    let text = body_text(c).await;
    assert!(text.contains("行业 ← 统一设定值“工贸”（2行）"), "{text}");
    // 乡镇 from the township named in the company's name.
    assert!(text.contains("乡镇 ← “企业名称”中的乡镇名（2行）"), "{text}");
    shot(c, "15-suggestion-preview").await;
    css(c, "#confirm-form button[type=submit]").await.click().await.unwrap();
    let result = css(c, "#import-result").await.text().await.unwrap();
    assert!(result.contains("已导入 2 条记录"), "{result}");
    shot(c, "16-suggestion-result").await;
    assert_eq!(x.record_creates().await, creates0 + 2);
    let items: Vec<_> = marked(&x.demo.store, &x.office)
        .await
        .into_iter()
        .filter(|i| i.row.fields["description"].as_str().unwrap().ends_with("建议"))
        .collect();
    assert_eq!(items.len(), 2);
    for i in &items {
        assert_eq!(i.row.fields["industry"], "工贸", "set once for the file");
        assert_eq!(
            i.row.fields["extra"]["督办领导"], "张副镇长",
            "kept as extra information"
        );
    }
    let gas = items
        .iter()
        .find(|i| i.row.fields["description"].as_str().unwrap().starts_with("食堂"))
        .unwrap();
    assert_eq!(gas.row.fields["grade"], "重大");
    assert_eq!(gas.row.fields["found_on"], "2026-03-12");
    assert_eq!(gas.row.fields["company"], "西洞镇壬餐饮店");
}
