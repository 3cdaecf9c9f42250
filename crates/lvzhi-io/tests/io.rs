//! Import and export against a real SQLite store, with files shaped like the
//! ones counties keep: title rows, two-row merged headers, 序号, blank rows,
//! 合计 rows, Excel date serials, GBK CSV.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use lvzhi_core::access::Access;
use lvzhi_io::export::{ExportFormat, export};
use lvzhi_io::import::{ImportOptions, ImportReport};
use lvzhi_io::mapping::Mapping;
use lvzhi_io::prepare::SkipReason;
use lvzhi_io::value::ErrorKind;
use lvzhi_io::{Checked, IoError, ReadOptions, import_file};
use lvzhi_store::Store;
use lvzhi_store::records::ListQuery;
use lvzhi_testkit::{TestDb, county};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};
use serde_json::{Value, json};

const CODE: &str = "91350100M000100Y43";
const PHONE: &str = "13812345678";

async fn setup() -> (TestDb, Store, county::County) {
    let db = TestDb::sqlite();
    let store = lvzhi_testkit::open(&db).await;
    let c = county::build(&store).await;
    (db, store, c)
}

async fn import(
    store: &Store,
    a: &Access,
    bytes: &[u8],
    name: &str,
    opts: ImportOptions,
) -> Result<(Checked, ImportReport), IoError> {
    import_file(
        store,
        a,
        "hazard",
        bytes,
        name,
        &ReadOptions::default(),
        &opts,
        &mut |_| {},
    )
    .await
}

async fn all(store: &Store, a: &Access) -> Vec<lvzhi_store::records::RecordView> {
    let q = ListQuery {
        limit: Some(500),
        ..ListQuery::default()
    };
    let mut items = store.list(a, "hazard", &q).await.unwrap().items;
    items.sort_by_key(|r| r.row.id);
    items
}

use lvzhi_testkit::event_count;

/// A hazard ledger as a county office keeps it in Excel.
fn real_xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("隐患台账").unwrap();
    let title = Format::new().set_bold().set_align(FormatAlign::Center);
    let head = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
    ws.merge_range(0, 0, 0, 10, "XX县2026年安全隐患排查整治台账", &title)
        .unwrap();
    ws.write_string(1, 0, "填报单位（盖章）：应急管理局").unwrap();
    ws.write_string(1, 8, "填报日期：2026年11月").unwrap();
    // Two header rows: groups above, columns below; single columns merged down.
    for (c, h) in [
        (0, "序号"),
        (4, "所属行业"),
        (5, "隐患级别"),
        (6, "所在乡镇"),
        (7, "责任单位"),
    ] {
        ws.merge_range(2, c, 3, c, h, &head).unwrap();
    }
    ws.merge_range(2, 1, 2, 3, "隐患基本情况", &head).unwrap();
    ws.write_string_with_format(3, 1, "存在问题", &head).unwrap();
    ws.write_string_with_format(3, 2, "企业（单位）名称", &head).unwrap();
    ws.write_string_with_format(3, 3, "社会信用代码", &head).unwrap();
    ws.merge_range(2, 8, 2, 10, "排查整改情况", &head).unwrap();
    ws.write_string_with_format(3, 8, "排查日期", &head).unwrap();
    ws.write_string_with_format(3, 9, "整改时限", &head).unwrap();
    ws.write_string_with_format(3, 10, "企业联系电话", &head).unwrap();
    let rows: Vec<(&str, &str, &str, &str, &str)> = vec![
        ("消防通道堵塞", "危化品", "一般隐患", "西洞镇", "应急管理局"),
        ("配电箱未接地", "工贸", "重大隐患", "西洞", "应急局"),
        ("灭火器过期", "消防", "一般", "620902101", "清水镇人民政府"),
        ("脚手架未验收", "建筑", "重大", "肃州区西洞镇", "西洞镇"),
        ("燃气管道腐蚀", "燃气", "一般", "清水镇", "应急管理局"),
        ("特种设备未检", "特种设备", "一般", "西洞镇", ""),
    ];
    let mut r = 4u32;
    for (i, (desc, ind, grade, town, unit)) in rows.iter().enumerate() {
        if i == 3 {
            r += 1; // a blank row in the middle
        }
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        ws.write_string(r, 1, *desc).unwrap();
        ws.write_string(r, 2, format!("演示企业{i}有限公司")).unwrap();
        ws.write_string(r, 3, CODE).unwrap();
        ws.write_string(r, 4, *ind).unwrap();
        ws.write_string(r, 5, *grade).unwrap();
        ws.write_string(r, 6, *town).unwrap();
        if !unit.is_empty() {
            ws.write_string(r, 7, *unit).unwrap();
        }
        // Every date form: a date cell, a bare serial, and the written forms.
        match i {
            0 => {
                ws.write_datetime_with_format(r, 8, ExcelDateTime::from_ymd(2026, 3, 5).unwrap(), &date)
                    .unwrap();
            }
            1 => {
                ws.write_number(r, 8, 46086.0).unwrap();
            }
            2 => {
                ws.write_string(r, 8, "2026年3月5日").unwrap();
            }
            3 => {
                ws.write_string(r, 8, "2026.3.5").unwrap();
            }
            4 => {
                ws.write_string(r, 8, "2026/3/5").unwrap();
            }
            _ => {
                ws.write_string(r, 8, "2026-03-05").unwrap();
            }
        }
        if i == 1 {
            ws.write_string(r, 9, "2026年6月30日").unwrap();
        }
        ws.write_number(r, 10, 13812345678.0).unwrap(); // a phone typed as a number
        r += 1;
    }
    ws.merge_range(r, 0, r, 7, "合    计", &head).unwrap();
    ws.write_string(r, 8, "6条").unwrap();
    ws.write_string(r + 2, 0, "填表人：张三    审核人：李四").unwrap();
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn real_shaped_xlsx_imports_every_form() {
    let (db, store, c) = setup().await;
    let admin = c.access("admin");
    let before = event_count(&store).await;
    let (checked, report) = import(&store, &admin, &real_xlsx(), "台账.xlsx", ImportOptions::default())
        .await
        .unwrap();
    let p = &checked.prepared;
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert_eq!(p.layout.header_row, 2);
    assert_eq!(p.layout.header_rows, 2);
    assert_eq!(p.rows.len(), 6);
    assert_eq!(p.rows[0].row, 5, "file row numbers");
    assert_eq!(p.rows[3].row, 9, "after the blank row");
    assert_eq!(
        p.blank_rows, 2,
        "the one between the rows and the one above the signature"
    );
    let reasons: Vec<SkipReason> = p.skipped.iter().map(|s| s.reason).collect();
    assert_eq!(reasons, vec![SkipReason::Total, SkipReason::Footer]);
    assert_eq!(report.imported, 6);
    assert!(report.written);

    let recs = all(&store, &admin).await;
    assert_eq!(recs.len(), 6);
    let f = |i: usize, k: &str| recs[i].row.fields.get(k).cloned().unwrap_or(Value::Null);
    for i in 0..6 {
        assert_eq!(f(i, "found_on"), json!("2026-03-05"), "row {i}");
        assert_eq!(f(i, "credit_code"), json!(CODE));
        assert_eq!(f(i, "contact_phone"), json!(PHONE));
    }
    assert_eq!(f(0, "industry"), json!("危险化学品"));
    assert_eq!(f(0, "grade"), json!("一般"));
    assert_eq!(f(1, "grade"), json!("重大"));
    assert_eq!(f(3, "industry"), json!("建筑施工"));
    assert_eq!(f(0, "township"), json!("620902100"));
    assert_eq!(f(1, "township"), json!("620902100"));
    assert_eq!(f(2, "township"), json!("620902101"));
    assert_eq!(f(3, "township"), json!("620902100"));
    assert_eq!(f(0, "responsible_unit"), json!(c.yingji));
    assert_eq!(f(1, "responsible_unit"), json!(c.yingji));
    assert_eq!(f(2, "responsible_unit"), json!(c.qingshui));
    assert_eq!(f(3, "responsible_unit"), json!(c.xidong));
    assert_eq!(f(5, "responsible_unit"), Value::Null);
    assert_eq!(f(1, "deadline"), json!("2026-06-30"));
    assert_eq!(f(0, "deadline"), json!("2026-12-25"), "default deadline: 30 days");

    // One event per record, each tagged with the import.
    assert_eq!(event_count(&store).await, before + 6);
    for r in &recs {
        let ev = store.record_events(&admin, r.row.id).await.unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].data["import"], json!(report.tag));
    }
    store.close().await;
    db.drop_db().await;
}

fn gbk(s: &str) -> Vec<u8> {
    let (b, _, bad) = encoding_rs::GBK.encode(s);
    assert!(!bad);
    b.into_owned()
}

const CSV_HEAD: &str = "XX县2026年安全隐患排查整治台账,,,,,,,\n\
    序号,隐患内容,检查对象,所属行业,等级,属地,整改责任单位,检查日期\n";

#[tokio::test]
async fn gbk_csv_with_title_and_totals() {
    let (db, store, c) = setup().await;
    let admin = c.access("admin");
    let text = format!(
        "{CSV_HEAD}1,楼梯间堆放杂物,甲公司,商场,一般,西洞镇,应急管理局,46086\n\
         2,\"电线私拉乱接，存在火灾隐患\",乙公司,学校,重大,清水镇,应急管理局,2026年3月5日\n\
         ,,,,,,,\n\
         合计,2条,,,,,,\n"
    );
    let bytes = gbk(&text);
    let (checked, report) = import(&store, &admin, &bytes, "hazard.csv", ImportOptions::default())
        .await
        .unwrap();
    assert!(checked.prepared.errors.is_empty(), "{:#?}", checked.prepared.errors);
    // The title row above is not part of the header: one header row, the second line.
    assert_eq!(checked.prepared.layout.header_row, 1);
    assert_eq!(checked.prepared.layout.header_rows, 1);
    assert_eq!(report.imported, 2);
    let recs = all(&store, &admin).await;
    assert_eq!(recs[1].row.fields["description"], json!("电线私拉乱接，存在火灾隐患"));
    assert_eq!(recs[0].row.fields["industry"], json!("人员密集场所"));
    assert_eq!(recs[0].row.fields["found_on"], json!("2026-03-05"));
    assert_eq!(recs[1].row.fields["found_on"], json!("2026-03-05"));

    // UTF-8 with a BOM reads the same; a forced wrong encoding is refused clearly.
    let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    let read = ReadOptions::default();
    let (ch, _) = import_file(
        &store,
        &admin,
        "hazard",
        &bom,
        "x.csv",
        &read,
        &ImportOptions {
            dry_run: true,
            ..ImportOptions::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(ch.prepared.rows.len(), 2);
    let forced = ReadOptions {
        encoding: lvzhi_io::sheet::Encoding::Utf8,
        ..ReadOptions::default()
    };
    let e = import_file(
        &store,
        &admin,
        "hazard",
        &bytes,
        "x.csv",
        &forced,
        &ImportOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(e, IoError::Encoding(_)), "{e}");
    assert!(e.to_string().contains("--encoding"));
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn every_error_kind_is_reported_and_nothing_written() {
    let (db, store, c) = setup().await;
    let admin = c.access("admin");
    let sys = Store::system_access();
    store.add_unit(&sys, "自然资源局", "部门", None).await.unwrap();
    store.add_unit(&sys, "自然保护局", "部门", None).await.unwrap();
    let before = event_count(&store).await;
    let head = "隐患描述,企业名称,统一社会信用代码,行业,隐患等级,乡镇,责任单位,发现日期,企业联系电话,状态\n";
    let rows = [
        "好的一行,甲公司,,工贸,一般,西洞镇,应急管理局,2026-03-05,,", // row 2: fine
        "缺企业,,,工贸,一般,西洞镇,应急管理局,2026-03-05,,",         // 3: required
        "等级错,甲公司,,工贸,特大,西洞镇,应急管理局,2026-03-05,,",   // 4: invalid enum
        "日期错,甲公司,,工贸,一般,西洞镇,应急管理局,2026-02-30,,",   // 5: invalid date
        "代码错,甲公司,91440300708461136K,工贸,一般,西洞镇,,2026-03-05,,", // 6: check digit
        "乡镇错,甲公司,,工贸,一般,东风镇,,2026-03-05,,",             // 7: unknown reference
        "单位含糊,甲公司,,工贸,一般,西洞镇,自然局,2026-03-05,,",     // 8: ambiguous
        "科学计数,甲公司,9.13501E+17,工贸,一般,西洞镇,,2026-03-05,,", // 9: precision
        "电话错,甲公司,,工贸,一般,西洞镇,,2026-03-05,12345,",        // 10: invalid phone
        "状态错,甲公司,,工贸,一般,西洞镇,,2026-03-05,,已完成",       // 11: unknown state
    ];
    let text = format!("{head}{}\n", rows.join("\n"));
    let (checked, report) = import(&store, &admin, text.as_bytes(), "e.csv", ImportOptions::default())
        .await
        .unwrap();
    let errs = &checked.prepared.errors;
    let got: Vec<(usize, &str, ErrorKind)> = errs.iter().map(|e| (e.row, e.column.as_str(), e.kind)).collect();
    assert_eq!(
        got,
        vec![
            (3, "企业名称", ErrorKind::Required),
            (4, "隐患等级", ErrorKind::Invalid),
            (5, "发现日期", ErrorKind::Invalid),
            (6, "统一社会信用代码", ErrorKind::Invalid),
            (7, "乡镇", ErrorKind::UnknownReference),
            (8, "责任单位", ErrorKind::AmbiguousReference),
            (9, "统一社会信用代码", ErrorKind::Precision),
            (10, "企业联系电话", ErrorKind::Invalid),
            (11, "状态", ErrorKind::UnknownState),
        ]
    );
    assert!(errs[1].message.contains("“特大”不是可选值"), "{}", errs[1].message);
    assert!(errs[3].message.contains("校验位"), "{}", errs[3].message);
    assert_eq!(errs[1].letter, "E");
    assert_eq!(errs[1].chinese(), format!("第4行 E列“隐患等级”：{}", errs[1].message));
    assert!(
        errs[1]
            .english()
            .starts_with("row 4, column E (隐患等级): invalid value [特大]")
    );
    assert_eq!(report.rejected_rows, 9);
    assert_eq!(report.imported, 0);
    assert!(!report.written);
    assert_eq!(event_count(&store).await, before, "a file with errors writes nothing");
    assert!(all(&store, &admin).await.is_empty());

    // Out of scope: a 西洞镇 clerk importing a 清水镇 hazard.
    let clerk = c.access("clerk_xd");
    let text =
        format!("{head}越权,甲公司,,工贸,一般,清水镇,,2026-03-05,,\n本镇,甲公司,,工贸,一般,西洞镇,,2026-03-05,,\n");
    let (checked, _) = import(&store, &clerk, text.as_bytes(), "s.csv", ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(checked.prepared.errors.len(), 1);
    assert_eq!(checked.prepared.errors[0].kind, ErrorKind::OutOfScope);
    assert_eq!(checked.prepared.errors[0].row, 2);
    assert_eq!(event_count(&store).await, before);

    // --skip-invalid: the good rows go in, the rest are reported.
    let (_, report) = import(
        &store,
        &clerk,
        text.as_bytes(),
        "s.csv",
        ImportOptions {
            skip_invalid: true,
            ..ImportOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((report.imported, report.rejected_rows), (1, 1));
    let mine = all(&store, &clerk).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0].row.unit_id,
        Some(c.xidong),
        "a clerk's record is the clerk's unit's"
    );

    // File-level refusals: no header, a missing required column, a role that may not create.
    let e = import(&store, &admin, b"a,b\n1,2\n", "x.csv", ImportOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, IoError::NoHeader(_)), "{e}");
    let e = import(
        &store,
        &admin,
        "隐患描述,企业名称\n甲,乙\n".as_bytes(),
        "x.csv",
        ImportOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("缺少必填列：行业、隐患等级、发现日期"), "{e}");
    let e = import(
        &store,
        &c.access("auditor"),
        text.as_bytes(),
        "s.csv",
        ImportOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, IoError::Forbidden(_)), "{e}");
    let e = import(&store, &admin, b"PK\x03\x04garbage", "x.xlsx", ImportOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, IoError::Unreadable(_)), "{e}");
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn the_error_copy_has_an_explanation_column() {
    let (db, store, c) = setup().await;
    let admin = c.access("admin");
    let text = "标题行,,,,,,\n隐患描述,企业名称,行业,隐患等级,乡镇,发现日期\n好,甲,工贸,一般,西洞镇,2026-03-05\n坏,甲,工贸,特大,西洞镇,2026-13-05\n";
    let (checked, _) = import(&store, &admin, text.as_bytes(), "e.csv", ImportOptions::default())
        .await
        .unwrap();
    let book = lvzhi_io::export::error_workbook(&checked.sheet, &checked.prepared).unwrap();
    let sheet = lvzhi_io::sheet::read_bytes(&book, "e.xlsx", None, Default::default()).unwrap();
    assert_eq!(sheet.cell(1, 6).text(), "错误说明");
    assert_eq!(sheet.cell(2, 6).text(), "");
    let note = sheet.cell(3, 6).text();
    assert!(note.contains("D列“隐患等级”：“特大”不是可选值"), "{note}");
    assert!(note.contains("F列“发现日期”"), "{note}");
    assert_eq!(sheet.cell(3, 3).text(), "特大");
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_bad_last_row_of_20000_leaves_the_database_unchanged() {
    let (db, store, c) = setup().await;
    let admin = c.access("admin");
    let before = event_count(&store).await;
    let mut text = String::from("隐患描述,企业名称,行业,隐患等级,乡镇,责任单位,发现日期,关联安全检查\n");
    for i in 0..20_000 {
        text.push_str(&format!("隐患{i},企业{i},工贸,一般,西洞镇,应急管理局,2026-03-05,\n"));
    }
    let mut bad = text.clone();
    bad.push_str("最后一行,企业,工贸,一般,西洞镇,应急管理局,2026-02-30,\n");
    let (checked, report) = import(&store, &admin, &gbk(&bad), "big.csv", ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(checked.prepared.rows.len(), 20_000);
    assert_eq!(checked.prepared.errors.len(), 1);
    assert_eq!(checked.prepared.errors[0].row, 20_002);
    assert_eq!(report.imported, 0);
    assert_eq!(event_count(&store).await, before);

    // A refusal only the store can make (a record reference that does not
    // exist) at the very last row: the one transaction rolls back whole.
    let mut late = text.clone();
    late.push_str("最后一行,企业,工贸,一般,西洞镇,应急管理局,2026-03-05,999999\n");
    let e = import(&store, &admin, late.as_bytes(), "big.csv", ImportOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, IoError::Write { committed: 0, .. }), "{e}");
    assert!(e.to_string().contains("关联记录"), "{e}");
    assert_eq!(event_count(&store).await, before, "nothing half-written");
    let n = store
        .list(
            &admin,
            "hazard",
            &ListQuery {
                count: true,
                ..ListQuery::default()
            },
        )
        .await
        .unwrap()
        .total;
    assert_eq!(n, Some(0));

    // And the good file goes in whole.
    let (_, report) = import(&store, &admin, text.as_bytes(), "big.csv", ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(report.imported, 20_000);
    assert_eq!(event_count(&store).await, before + 20_000);
    let v = store.verify_chain().await.unwrap();
    assert_eq!((v.error, v.verified), (None, before + 20_000), "the chain verifies");
    // Records and events agree (last_event is the record's create event).
    let recs = store
        .list(
            &admin,
            "hazard",
            &ListQuery {
                limit: Some(3),
                ..ListQuery::default()
            },
        )
        .await
        .unwrap()
        .items;
    for r in recs {
        let ev = store.record_events(&admin, r.row.id).await.unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].seq, r.row.last_event);
        assert_eq!(ev[0].data["after"]["description"], r.row.fields["description"]);
    }
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_saved_mapping_names_unusual_columns() {
    let (db, store, c) = setup().await;
    let admin = c.access("admin");
    let text = "问题线索,主体,行业类别,级别,镇,时间\n电梯未年检,甲,特种设备,一般,西洞镇,2026/3/5\n";
    let read = |m: Mapping| ReadOptions {
        mapping: m,
        ..ReadOptions::default()
    };
    let mapping = Mapping::from_toml(
        "ledger = \"hazard\"\n[columns]\n\"问题线索\" = \"description\"\n\"主体\" = \"company\"\n\
         \"行业类别\" = \"industry\"\n\"级别\" = \"grade\"\n\"镇\" = \"township\"\n\"时间\" = \"found_on\"\n",
    )
    .unwrap();
    let (checked, report) = import_file(
        &store,
        &admin,
        "hazard",
        text.as_bytes(),
        "m.csv",
        &read(mapping.clone()),
        &ImportOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 1);
    // The layout saves as a mapping that reads the file the same way again.
    let saved = checked.prepared.layout.to_mapping("hazard");
    let again = Mapping::from_toml(&saved.to_toml()).unwrap();
    assert_eq!(again.columns, mapping.columns);
    assert_eq!(again.header_row, Some(1));
    let bad = Mapping::from_toml("[columns]\n\"问题线索\" = \"nope\"\n").unwrap();
    let e = import_file(
        &store,
        &admin,
        "hazard",
        text.as_bytes(),
        "m.csv",
        &read(bad),
        &ImportOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(e, IoError::Mapping(_)), "{e}");
    store.close().await;
    db.drop_db().await;
}

/// A record's state and fields, in description order (ids differ between databases).
fn comparable(recs: &[lvzhi_store::records::RecordView]) -> Vec<(String, String, lvzhi_core::ledger::Fields)> {
    let mut v: Vec<_> = recs
        .iter()
        .map(|r| (r.row.title.clone(), r.row.state.clone(), r.row.fields.clone()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[tokio::test]
async fn export_then_import_gives_the_same_records() {
    let (db, store, c) = setup().await;
    let admin = c.access("admin");
    let (_, report) = import(&store, &admin, &real_xlsx(), "台账.xlsx", ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(report.imported, 6);
    // Move one record along its loop so the state column is exercised.
    let first = all(&store, &admin).await[0].clone();
    store
        .transition(
            &admin,
            first.row.id,
            first.row.version,
            "交办",
            Default::default(),
            None,
        )
        .await
        .unwrap();
    let original = comparable(&all(&store, &admin).await);
    for format in [ExportFormat::Xlsx, ExportFormat::Csv] {
        let (buf, sum) = common::export_all(&store, &admin, "hazard", format).await;
        assert_eq!(sum.rows, 6);
        let name = if format == ExportFormat::Csv {
            assert!(buf.starts_with(b"\xEF\xBB\xBF"), "CSV carries a BOM");
            "out.csv"
        } else {
            "out.xlsx"
        };
        let db2 = TestDb::sqlite();
        let store2 = lvzhi_testkit::open(&db2).await;
        let c2 = county::build(&store2).await;
        let (checked, report) = import(&store2, &c2.access("admin"), &buf, name, ImportOptions::default())
            .await
            .unwrap();
        assert!(
            checked.prepared.errors.is_empty(),
            "{format:?}: {:#?}",
            checked.prepared.errors
        );
        assert_eq!(report.imported, 6);
        let back = comparable(&all(&store2, &c2.access("admin")).await);
        assert_eq!(back, original, "{format:?}");
        store2.close().await;
        db2.drop_db().await;
    }
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn export_keeps_scope_and_masks_personal_data() {
    let (db, store, c) = setup().await;
    let admin = c.access("admin");
    import(&store, &admin, &real_xlsx(), "台账.xlsx", ImportOptions::default())
        .await
        .unwrap();
    let read_back = |buf: &[u8]| lvzhi_io::sheet::read_bytes(buf, "x.xlsx", None, Default::default()).unwrap();
    // The 清水镇 clerk sees the two 清水镇 records only.
    let mut buf = Vec::new();
    let s = export(
        &store,
        &c.access("clerk_qs"),
        "hazard",
        &ListQuery::default(),
        ExportFormat::Xlsx,
        &mut buf,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(s.rows, 2);
    let sheet = read_back(&buf);
    assert_eq!(sheet.rows.len(), 3);
    assert_eq!(sheet.cell(0, 1).text(), "隐患描述");
    assert!(sheet.rows.iter().skip(1).all(|r| r[6].text() == "清水镇"));
    // The auditor reads everything, with phone numbers masked.
    let mut buf = Vec::new();
    export(
        &store,
        &c.access("auditor"),
        "hazard",
        &ListQuery::default(),
        ExportFormat::Xlsx,
        &mut buf,
        &mut |_| {},
    )
    .await
    .unwrap();
    let sheet = read_back(&buf);
    let phone_col = (0..sheet.width())
        .find(|&i| sheet.cell(0, i).text() == "企业联系电话")
        .unwrap();
    assert_eq!(sheet.rows.len(), 7);
    assert!(
        sheet
            .rows
            .iter()
            .skip(1)
            .all(|r| r[phone_col].text() != PHONE && r[phone_col].text().contains('*'))
    );
    // Filters apply: only 重大.
    let mut buf = Vec::new();
    let q = ListQuery {
        q: Some("配电箱".into()),
        ..ListQuery::default()
    };
    let s = export(&store, &admin, "hazard", &q, ExportFormat::Csv, &mut buf, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(s.rows, 1);
    let text = String::from_utf8(buf[3..].to_vec()).unwrap();
    assert!(text.starts_with("编号,隐患描述,企业名称"), "{text}");
    assert!(text.contains("配电箱未接地"));
    store.close().await;
    db.drop_db().await;
}

/// A ledger with money, percent, integer, bool and datetime fields, for the pure checks.
fn money_ledger() -> lvzhi_core::ledger::LedgerKind {
    toml::from_str(
        r#"
key = "fund"
name = "资金"
[[fields]]
key = "name"
label = "项目名称"
type = "text"
required = true
[[fields]]
key = "amount"
label = "金额"
type = "money"
unit = "万元"
aliases = ["资金"]
[[fields]]
key = "paid"
label = "已拨付"
type = "money"
[[fields]]
key = "rate"
label = "完成率"
type = "percent"
[[fields]]
key = "n"
label = "户数"
type = "integer"
[[fields]]
key = "ok"
label = "是否完成"
type = "bool"
[[fields]]
key = "at"
label = "时间"
type = "datetime"
"#,
    )
    .unwrap()
}

#[test]
fn amounts_convert_to_the_fields_unit() {
    let kind = money_ledger();
    let org = lvzhi_io::org::OrgIndex::default();
    let admin = Store::system_access();
    // 金额 is kept in 万元 by the field; 已拨付 in 元; the header may name another unit.
    let csv = "项目名称,金额,已拨付（万元）,完成率,户数,是否完成,时间\n\
               甲,21.6亿元,\"5,000\",85.5%,\"1,141\",是,2026-03-05 14:30\n\
               乙,\"5,000万\",1.2万元,12,3,否,46086.5\n\
               丙,398,1.234元,x,3.5,也许,明天\n";
    let c = lvzhi_io::check_bytes(&kind, &org, &admin, csv.as_bytes(), "f.csv", &ReadOptions::default()).unwrap();
    let r = &c.prepared.rows;
    assert_eq!(r.len(), 1 + 1, "{:#?}", c.prepared.errors);
    assert_eq!(r[0].fields["amount"], json!("2160000000"));
    assert_eq!(r[0].fields["paid"], json!("50000000"));
    assert_eq!(r[0].fields["rate"], json!("85.5"));
    assert_eq!(r[0].fields["n"], json!(1141));
    assert_eq!(r[0].fields["ok"], json!(true));
    assert_eq!(r[0].fields["at"], json!("2026-03-05T06:30:00.000000Z"));
    assert_eq!(r[1].fields["amount"], json!("50000000"));
    assert_eq!(r[1].fields["paid"], json!("12000"));
    assert_eq!(
        r[1].fields["at"],
        json!("2026-03-05T04:00:00.000000Z"),
        "a serial with a time, Shanghai"
    );
    let bad: Vec<(&str, ErrorKind)> = c.prepared.errors.iter().map(|e| (e.column.as_str(), e.kind)).collect();
    assert_eq!(
        bad,
        vec![
            ("已拨付（万元）", ErrorKind::Invalid),
            ("完成率", ErrorKind::Invalid),
            ("户数", ErrorKind::Invalid),
            ("是否完成", ErrorKind::Invalid),
            ("时间", ErrorKind::Invalid),
        ]
    );
    assert!(c.prepared.errors.iter().all(|e| e.row == 4));

    // xlsx numbers: a bare 398 in a 万元 field, an id number typed as a number, an error cell.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in ["项目名称", "金额", "已拨付(元)"].iter().enumerate() {
        ws.write_string(0, i as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "丁").unwrap();
    ws.write_number(1, 1, 398).unwrap();
    ws.write_number(1, 2, 1234.5).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let c = lvzhi_io::check_bytes(&kind, &org, &admin, &bytes, "f.xlsx", &ReadOptions::default()).unwrap();
    assert!(c.prepared.errors.is_empty(), "{:#?}", c.prepared.errors);
    assert_eq!(c.prepared.rows[0].fields["amount"], json!("3980000"));
    assert_eq!(c.prepared.rows[0].fields["paid"], json!("1234.5"));
}

#[test]
fn cells_excel_has_already_spoiled_are_refused_with_the_reason() {
    use lvzhi_io::sheet::Cell;
    use lvzhi_io::value::cell_value;
    let pack = lvzhi_packs::county().unwrap();
    let kind = pack.ledger("petition").or(pack.ledger("hazard")).unwrap();
    let org = lvzhi_io::org::OrgIndex::default();
    let f = |ty: lvzhi_core::field::FieldType| {
        kind.fields.iter().find(|f| f.ty == ty).cloned().unwrap_or_else(|| {
            let mut d = kind.fields[0].clone();
            d.ty = ty;
            d
        })
    };
    let id = f(lvzhi_core::field::FieldType::IdCard);
    let e = cell_value(&Cell::Number(110105194912310020.0), &id, None, &org).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Precision);
    assert!(e.message.contains("文本格式"));
    let e = cell_value(&Cell::Error("#DIV/0!".into()), &id, None, &org).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CellError);
    assert!(e.message.contains("#DIV/0!"));
    let date = f(lvzhi_core::field::FieldType::Date);
    let e = cell_value(&Cell::Number(60.0), &date, None, &org).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
}

#[tokio::test]
async fn the_cli_reports_in_both_languages_and_writes_the_error_copy() {
    use lvzhi_io::cli::{ExportArgs, ImportArgs, run_export, run_import};
    let (db, store, c) = setup().await;
    let dir = std::env::temp_dir().join(format!("lvzhi-io-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("台账.csv");
    std::fs::write(
        &file,
        gbk("隐患描述,企业名称,行业,隐患等级,乡镇,发现日期\n好,甲,工贸,一般,西洞镇,2026-03-05\n坏,甲,工贸,特大,西洞镇,2026-03-05\n"),
    )
    .unwrap();
    let args = ImportArgs {
        ledger: "hazard".into(),
        file: file.clone(),
        as_user: Some("clerk_xd".into()),
        save_mapping: Some(dir.join("m.toml")),
        ..ImportArgs::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_import(&store, &args, &mut out, &mut err).await.unwrap();
    let text = String::from_utf8(err).unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("第3行 D列“隐患等级”：“特大”不是可选值"), "{text}");
    assert!(
        text.contains("row 3, column D (隐患等级): invalid value [特大]"),
        "{text}"
    );
    assert!(text.contains("nothing written"), "{text}");
    assert!(dir.join("台账.错误.xlsx").exists());
    assert!(all(&store, &c.access("admin")).await.is_empty());
    // Again with the saved mapping and --skip-invalid.
    let args = ImportArgs {
        mapping: Some(dir.join("m.toml")),
        save_mapping: None,
        skip_invalid: true,
        json: true,
        ..args
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_import(&store, &args, &mut out, &mut err).await.unwrap();
    let text = String::from_utf8(err).unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("已导入1条"), "{text}");
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["imported"], json!(1));
    let e = run_import(
        &store,
        &ImportArgs {
            as_user: Some("nobody".into()),
            ..args.clone()
        },
        &mut Vec::new(),
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("no such user"));

    let out_file = dir.join("导出.xlsx");
    let mut err = Vec::new();
    let code = run_export(
        &store,
        &ExportArgs {
            ledger: "hazard".into(),
            output: out_file.clone(),
            as_user: Some("clerk_xd".into()),
            query: ListQuery::default(),
        },
        &mut err,
    )
    .await
    .unwrap();
    assert_eq!(code, 0);
    assert!(String::from_utf8(err).unwrap().contains("exported 1 records"));
    let sheet =
        lvzhi_io::sheet::read_bytes(&std::fs::read(&out_file).unwrap(), "x.xlsx", None, Default::default()).unwrap();
    assert_eq!(sheet.rows.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
    store.close().await;
    db.drop_db().await;
}

#[test]
fn a_workbook_that_makes_calamine_panic_is_refused() {
    // Found by fuzz/fuzz_targets/xlsx_reader.rs: a cell reference that overflows in calamine.
    let bytes = include_bytes!("data/fuzz-calamine-overflow.xlsx");
    let r = lvzhi_io::sheet::read_bytes(bytes, "x.xlsx", None, Default::default());
    assert!(matches!(r, Err(IoError::Unreadable(_)) | Ok(_)), "{r:?}");
}

/// Dates that make sense (issue 16): an import whose 整改完成日期 is before its
/// 发现日期 is refused with the same message as the form and the API, and
/// nothing is written.
#[tokio::test]
async fn an_import_breaking_a_date_rule_is_refused_with_the_same_message() {
    let (db, store, c) = setup().await;
    let admin = c.access("admin");
    let before = event_count(&store).await;
    let text = "隐患描述,企业名称,行业,隐患等级,乡镇,责任单位,发现日期,整改完成日期\n\
                楼梯间堆放杂物,甲公司,商场,一般,西洞镇,应急管理局,2026-03-01,2026-03-05\n\
                电线私拉乱接,乙公司,学校,重大,清水镇,应急管理局,2026年3月5日,2026年3月1日\n";
    let e = import(&store, &admin, text.as_bytes(), "hazard.csv", ImportOptions::default())
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("整改完成日期（2026年3月1日）不能早于发现日期（2026年3月5日）"),
        "{msg}"
    );
    assert!(
        msg.contains("第2行") || msg.contains("第 2 行") || msg.contains('2'),
        "{msg}"
    );
    assert_eq!(event_count(&store).await, before, "nothing written");
    assert!(all(&store, &admin).await.is_empty());
    // The same file with the dates in order imports.
    let ok = text.replace("2026年3月5日,2026年3月1日", "2026年3月1日,2026年3月5日");
    let (_, report) = import(&store, &admin, ok.as_bytes(), "hazard.csv", ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(report.imported, 2);
    store.close().await;
    db.drop_db().await;
}
