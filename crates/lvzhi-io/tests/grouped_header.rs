//! A header under a three-part title — area, company and quarter lines above a
//! grouped two-row header (隐患来源 over 自报/代报, 治理情况 over 未治理/已治理), as
//! quarterly hazard statistics are kept — is found below the title, and the
//! sub-columns keep their names as group/column ("隐患来源/自报"), whether the
//! group headers are merged across their sub-columns (xlsx) or stand over the
//! first one only (a CSV).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lvzhi_io::mapping::{Layout, Mapping, find_layout_with};
use lvzhi_io::org::OrgIndex;
use lvzhi_io::sheet::{Encoding, SheetLimits, read_bytes_with};
use lvzhi_store::Store;
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

const TITLE: [&str; 4] = [
    "安全生产隐患排查治理情况统计表",
    "地区：肃州区西洞镇",
    "企业名称：酒泉市演示化工有限公司",
    "2026年第三季度",
];

/// (upper, lower) of each column; a group's upper text repeats over its sub-columns.
const HEADER: [(&str, &str); 11] = [
    ("序号", "序号"),
    ("隐患描述", "隐患描述"),
    ("隐患等级", "隐患等级"),
    ("所在乡镇", "所在乡镇"),
    ("所属行业", "所属行业"),
    ("发现日期", "发现日期"),
    ("隐患来源", "自报"),
    ("隐患来源", "代报"),
    ("治理情况", "未治理"),
    ("治理情况", "已治理"),
    ("整改期限", "整改期限"),
];

const DATA: [[&str; 11]; 2] = [
    [
        "1",
        "储罐区消防通道堵塞",
        "一般",
        "西洞镇",
        "危化品",
        "2026-08-03",
        "√",
        "",
        "",
        "√",
        "2026-09-30",
    ],
    [
        "2",
        "配电箱未接地",
        "重大",
        "西洞镇",
        "危化品",
        "2026-09-12",
        "",
        "√",
        "√",
        "",
        "2026-12-31",
    ],
];

fn xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let title = Format::new().set_bold().set_align(FormatAlign::Center);
    let head = Format::new().set_bold();
    for (r, t) in TITLE.iter().enumerate() {
        ws.merge_range(r as u32, 0, r as u32, 10, t, &title).unwrap();
    }
    let (up, low) = (TITLE.len() as u32, TITLE.len() as u32 + 1);
    let mut c = 0;
    while c < HEADER.len() {
        let (u, l) = HEADER[c];
        let col = c as u16;
        if u == l {
            ws.merge_range(up, col, low, col, u, &head).unwrap();
            c += 1;
        } else {
            ws.merge_range(up, col, up, col + 1, u, &head).unwrap();
            ws.write_string_with_format(low, col, l, &head).unwrap();
            ws.write_string_with_format(low, col + 1, HEADER[c + 1].1, &head)
                .unwrap();
            c += 2;
        }
    }
    for (i, row) in DATA.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(low + 1 + i as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The same table as a CSV: titles in the first cell, a group's text over its
/// first sub-column only, single columns named in the upper row only.
fn csv() -> Vec<u8> {
    let mut s = String::new();
    for t in TITLE {
        s.push_str(t);
        s.push_str(",,,,,,,,,,\n");
    }
    let mut upper = Vec::new();
    let mut lower = Vec::new();
    for (c, (u, l)) in HEADER.iter().enumerate() {
        if u == l {
            upper.push(*u);
            lower.push("");
        } else {
            upper.push(if c > 0 && HEADER[c - 1].0 == *u { "" } else { u });
            lower.push(l);
        }
    }
    s.push_str(&upper.join(","));
    s.push('\n');
    s.push_str(&lower.join(","));
    s.push('\n');
    for row in DATA {
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s.into_bytes()
}

fn org() -> OrgIndex {
    use lvzhi_store::org::Division;
    let d = |code: &str, name: &str, level| Division {
        code: code.into(),
        name: name.into(),
        level,
        parent: None,
    };
    OrgIndex::new(&[], &[], &[d("620902", "肃州区", 1), d("620902100", "西洞镇", 2)])
}

fn check(bytes: &[u8], name: &str) -> Layout {
    let pack = lvzhi_packs::county().unwrap();
    let kind = pack.ledger("hazard").unwrap();
    let sheet = read_bytes_with(bytes, name, None, Encoding::default(), &SheetLimits::default()).unwrap();
    let layout = find_layout_with(&sheet, kind, &pack.vocabulary, &Mapping::default()).unwrap();
    assert_eq!(
        (layout.header_row, layout.header_rows),
        (4, 2),
        "{name}: the header is the two rows under the four title lines"
    );
    let field = |h: &str| {
        layout
            .columns
            .iter()
            .find(|c| c.header == h)
            .unwrap_or_else(|| panic!("{name}: no column {h}: {:?}", layout.columns))
            .field
            .clone()
    };
    assert_eq!(field("隐患描述").as_deref(), Some("description"));
    assert_eq!(field("隐患等级").as_deref(), Some("grade"));
    assert_eq!(field("所在乡镇").as_deref(), Some("township"));
    assert_eq!(field("所属行业").as_deref(), Some("industry"));
    assert_eq!(field("发现日期").as_deref(), Some("found_on"));
    assert_eq!(field("整改期限").as_deref(), Some("deadline"));
    // The sub-columns: no field, kept as extra information under group/column.
    let subs: Vec<(Option<&str>, String, bool)> = layout
        .columns
        .iter()
        .filter(|c| (6..=9).contains(&c.index))
        .map(|c| (c.field.as_deref(), c.extra_name(), c.extra))
        .collect();
    assert_eq!(
        subs,
        [
            (None, "隐患来源/自报".to_string(), true),
            (None, "隐患来源/代报".to_string(), true),
            (None, "治理情况/未治理".to_string(), true),
            (None, "治理情况/已治理".to_string(), true),
        ],
        "{name}"
    );
    // The rows carry them by those names (the company, named only in the title, set once).
    let read = lvzhi_io::ReadOptions {
        vocabulary: pack.vocabulary.clone(),
        set: vec![("企业名称".into(), "酒泉市演示化工有限公司".into())],
        ..Default::default()
    };
    let p = lvzhi_io::check_bytes(kind, &org(), &Store::system_access(), bytes, name, &read)
        .unwrap()
        .prepared;
    assert_eq!(p.layout, layout);
    assert!(p.is_clean(), "{name}: {:?}", p.errors);
    assert_eq!(p.rows.len(), 2);
    let extra = p.rows[1].fields["extra"].as_object().unwrap();
    assert_eq!(extra["隐患来源/代报"], "√", "{name}: {extra:?}");
    assert_eq!(extra["治理情况/未治理"], "√", "{name}: {extra:?}");
    assert!(!extra.contains_key("隐患来源/自报"), "an empty cell brings nothing");
    layout
}

#[test]
fn a_grouped_header_under_a_three_part_title_keeps_its_sub_columns() {
    let x = check(&xlsx(), "季度统计.xlsx");
    let c = check(&csv(), "季度统计.csv");
    assert_eq!(x.columns.len(), c.columns.len());
}
