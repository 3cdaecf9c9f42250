//! The import template of a ledger (`lvzhi template`, the 下载导入模板 button on
//! the web import page): an xlsx whose first sheet has the ledger's headers as
//! the import reads them, one example row that imports as it is, and drop-down
//! lists (data validation) on the columns with fixed choices — enum and yes/no
//! fields, and the units, townships and people the county has. A second sheet,
//! 填写说明, says for each field whether it is required, what it takes and the
//! pack's help text; a hidden sheet holds the lists.
//!
//! **Invariant:** the template imports back unchanged — its example row
//! validates for the user it was made for (`tests/template.rs`, every ledger of
//! the demo county).

use crate::IoError;
use crate::export::field_header;
use crate::org::OrgIndex;
use crate::sheet::column_letter;
use lvzhi_core::access::Access;
use lvzhi_core::field::{FieldDef, FieldType};
use lvzhi_core::ledger::LedgerKind;
use lvzhi_store::Store;
use lvzhi_store::records::ListQuery;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, ExcelDateTime, Format, FormatBorder, Formula, Workbook, XlsxError,
};
use std::collections::BTreeMap;

/// Rows below the header the drop-downs cover.
const ROWS: u32 = 5_000;

/// What the example row is made of: the org lists and the user's own place.
#[derive(Debug, Clone)]
pub struct TemplateInput<'a> {
    /// Units, people and divisions (names for the drop-downs and the example).
    pub org: &'a OrgIndex,
    /// Today (the example's dates).
    pub today: jiff::civil::Date,
    /// The unit the example row names (the user's own, so it imports in their scope).
    pub unit: Option<String>,
    /// The division the example row names (likewise).
    pub division: Option<String>,
    /// An existing record's id per ledger, for 关联记录 fields.
    pub records: BTreeMap<String, i64>,
}

fn xerr(e: XlsxError) -> IoError {
    IoError::Xlsx(e.to_string())
}

/// An example cell.
enum Example {
    Empty,
    Text(String),
    Number(f64),
    Date(jiff::civil::Date),
}

/// The text inside the first “…” of a help text ("如“清水镇人民调解委员会”").
fn quoted_example(help: Option<&str>) -> Option<String> {
    let h = help?;
    let (_, rest) = h.split_once('“')?;
    let (ex, _) = rest.split_once('”')?;
    (!ex.is_empty()).then(|| ex.to_string())
}

/// A number within the field's bounds.
fn bounded(f: &FieldDef, want: i64) -> f64 {
    let mut d = Decimal::from(want);
    if let Some(min) = f.min
        && d < min
    {
        d = min.ceil();
    }
    if let Some(max) = f.max
        && d > max
    {
        d = max.floor();
    }
    d.to_string().parse().unwrap_or(0.0)
}

fn example(f: &FieldDef, input: &TemplateInput<'_>) -> Example {
    let cut = |s: String| match f.max_len {
        Some(n) => s.chars().take(n).collect(),
        None => s,
    };
    match f.ty {
        FieldType::Text | FieldType::LongText => Example::Text(cut(
            quoted_example(f.help.as_deref()).unwrap_or_else(|| format!("示例{}", f.label))
        )),
        FieldType::Integer | FieldType::Decimal => Example::Number(bounded(f, 1)),
        FieldType::Money => Example::Number(bounded(f, 10)),
        FieldType::Percent => Example::Number(bounded(f, 50)),
        FieldType::Date => Example::Date(input.today),
        FieldType::Datetime => Example::Text(format!("{} 00:00:00", input.today)),
        FieldType::Period => Example::Text(format!("{}-{:02}", input.today.year(), input.today.month())),
        FieldType::Enum | FieldType::MultiEnum => match f.values.first() {
            Some(v) => Example::Text(v.clone()),
            None => Example::Empty,
        },
        FieldType::Bool => Example::Text("否".into()),
        FieldType::Division => match input
            .division
            .clone()
            .or_else(|| input.org.division_names(2).first().map(|s| s.to_string()))
        {
            Some(d) => Example::Text(d),
            None => Example::Empty,
        },
        FieldType::Unit => match input
            .unit
            .clone()
            .or_else(|| input.org.unit_names().first().map(|s| s.to_string()))
        {
            Some(u) => Example::Text(u),
            None => Example::Empty,
        },
        FieldType::Person => match input.org.person_names().first() {
            Some(p) => Example::Text(p.to_string()),
            None => Example::Empty,
        },
        FieldType::Record => match f.ledger.as_ref().and_then(|l| input.records.get(l)) {
            Some(id) => Example::Number(*id as f64),
            None => Example::Empty,
        },
        FieldType::CreditCode => {
            Example::Text(lvzhi_core::ids::complete_credit_code("91620902MA0000000").unwrap_or_default())
        }
        FieldType::IdCard => Example::Text(lvzhi_core::ids::complete_id_card("62090219900101123").unwrap_or_default()),
        FieldType::Phone => Example::Text("13800138000".into()),
    }
}

/// What a field takes, in Chinese, for 填写说明.
fn takes(f: &FieldDef) -> String {
    match f.ty {
        FieldType::Enum => format!("从下拉列表选择：{}", f.values.join("、")),
        FieldType::MultiEnum => format!("一个或多个，用“、”分隔：{}", f.values.join("、")),
        FieldType::Bool => "是 或 否".into(),
        FieldType::Date => "日期，如 2026-12-5 或 2026年12月5日".into(),
        FieldType::Datetime => "日期和时间，如 2026-12-5 9:30".into(),
        FieldType::Period => "期间，如 2026、2026Q4、2026-12".into(),
        FieldType::Money => format!("金额（{}），只填数字", f.unit.map_or("元", |u| u.label())),
        FieldType::Unit => "单位全称（可从下拉列表选择）".into(),
        FieldType::Division => "乡镇或村名称（可从下拉列表选择乡镇）".into(),
        FieldType::Person => "人员姓名（可从下拉列表选择）".into(),
        FieldType::Record => "关联记录的编号（数字）".into(),
        FieldType::CreditCode => "18位统一社会信用代码（请把该列设为文本格式）".into(),
        FieldType::IdCard => "18位身份证号（请把该列设为文本格式）".into(),
        FieldType::Phone => "手机或固定电话".into(),
        other => other.label().to_string(),
    }
}

/// The drop-down choices of a field, and whether other values are refused
/// (enum, yes/no) or only warned about (names: a village or a synonym is fine).
fn choices<'a>(f: &'a FieldDef, org: &'a OrgIndex) -> Option<(Vec<&'a str>, bool)> {
    let list: (Vec<&str>, bool) = match f.ty {
        FieldType::Enum => (f.values.iter().map(String::as_str).collect(), f.synonyms.is_empty()),
        FieldType::MultiEnum => (f.values.iter().map(String::as_str).collect(), false),
        FieldType::Bool => (vec!["是", "否"], true),
        FieldType::Unit => (org.unit_names(), false),
        FieldType::Division => (org.division_names(2), false),
        FieldType::Person => (org.person_names(), false),
        _ => return None,
    };
    (!list.0.is_empty()).then_some(list)
}

/// The template of `kind` as xlsx bytes (see the module's description).
pub fn template_xlsx(kind: &LedgerKind, input: &TemplateInput<'_>) -> Result<Vec<u8>, IoError> {
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let head_required = head.clone().set_font_color(Color::RGB(0xC00000));
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let text = Format::new().set_num_format("@");
    let sheet = crate::export::sheet_name(&kind.name);
    // The lists first (a hidden sheet), so the validations can name them.
    let mut lists: Vec<(usize, Vec<&str>, bool)> = Vec::new();
    for (c, f) in kind.fields.iter().enumerate() {
        if let Some((values, strict)) = choices(f, input.org) {
            lists.push((c, values, strict));
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet).map_err(xerr)?;
        for (c, f) in kind.fields.iter().enumerate() {
            let col = c as u16;
            let h = field_header(f);
            ws.write_string_with_format(0, col, &h, if f.required { &head_required } else { &head })
                .map_err(xerr)?;
            let width = crate::export::text_width(&h).clamp(8, 40) + 4;
            if matches!(f.ty, FieldType::CreditCode | FieldType::IdCard | FieldType::Phone) {
                // Long digit strings stay text (Excel would round them as numbers).
                ws.set_column_format(col, &text).map_err(xerr)?;
            }
            ws.set_column_width(col, width as f64).map_err(xerr)?;
            match example(f, input) {
                Example::Empty => {}
                Example::Text(s) => {
                    ws.write_string(1, col, &s).map_err(xerr)?;
                }
                Example::Number(x) => {
                    ws.write_number(1, col, x).map_err(xerr)?;
                }
                Example::Date(d) => {
                    let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).map_err(xerr)?;
                    ws.write_datetime_with_format(1, col, &dt, &date).map_err(xerr)?;
                }
            }
        }
        for (i, (c, values, strict)) in lists.iter().enumerate() {
            let f = &kind.fields[*c];
            let range = format!("='选项'!${0}$2:${0}${1}", column_letter(i), values.len() + 1);
            let mut dv = DataValidation::new()
                .allow_list_formula(Formula::new(range))
                .set_input_title(cut_utf16(&f.label, 32))
                .map_err(xerr)?
                .set_input_message(cut_utf16(&takes(f), 255))
                .map_err(xerr)?;
            if *strict {
                dv = dv
                    .set_error_title("请从下拉列表选择")
                    .map_err(xerr)?
                    .set_error_message(cut_utf16(&format!("“{}”只能是：{}", f.label, values.join("、")), 255))
                    .map_err(xerr)?;
            } else {
                dv = dv
                    .set_error_style(DataValidationErrorStyle::Warning)
                    .set_error_message(cut_utf16(&format!("“{}”不在下拉列表中，请核对", f.label), 255))
                    .map_err(xerr)?;
            }
            ws.add_data_validation(1, *c as u16, ROWS, *c as u16, &dv)
                .map_err(xerr)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xerr)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("填写说明").map_err(xerr)?;
        for (c, h) in ["字段", "是否必填", "填写内容", "说明"].iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &head).map_err(xerr)?;
        }
        for (r, f) in kind.fields.iter().enumerate() {
            let row = (r + 1) as u32;
            ws.write_string(row, 0, field_header(f)).map_err(xerr)?;
            ws.write_string(row, 1, if f.required { "必填" } else { "" })
                .map_err(xerr)?;
            ws.write_string(row, 2, takes(f)).map_err(xerr)?;
            ws.write_string(row, 3, f.help.as_deref().unwrap_or("")).map_err(xerr)?;
        }
        let last = kind.fields.len() as u32 + 2;
        ws.write_string(
            last,
            0,
            "第一行是表头，第二行是示例（导入前请改成实际内容或删除）；红色表头为必填字段；表中没有的列可在导入时统一设定。",
        )
        .map_err(xerr)?;
        for (c, w) in [18.0, 10.0, 48.0, 40.0].iter().enumerate() {
            ws.set_column_width(c as u16, *w).map_err(xerr)?;
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("选项").map_err(xerr)?;
        for (i, (c, values, _)) in lists.iter().enumerate() {
            let col = i as u16;
            ws.write_string_with_format(0, col, &kind.fields[*c].label, &head)
                .map_err(xerr)?;
            for (r, v) in values.iter().enumerate() {
                ws.write_string((r + 1) as u32, col, *v).map_err(xerr)?;
            }
        }
        ws.set_hidden(true);
    }
    wb.save_to_buffer().map_err(xerr)
}

/// `s` cut to at most `n` UTF-16 units (Excel's limits on validation texts).
fn cut_utf16(s: &str, n: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    for ch in s.chars() {
        used += ch.len_utf16();
        if used > n {
            break;
        }
        out.push(ch);
    }
    out
}

/// The template of `ledger` for `a`: the example row names `a`'s own unit and
/// township (so it imports in their scope) and an existing record they can see
/// for each 关联记录 field.
pub async fn template_for(store: &Store, a: &Access, ledger: &str) -> Result<Vec<u8>, IoError> {
    let kind = store
        .pack()
        .ledger(ledger)
        .ok_or_else(|| IoError::UnknownLedger(ledger.to_string()))?;
    let org = OrgIndex::load(store).await.map_err(IoError::Store)?;
    let mut records = BTreeMap::new();
    for f in kind.fields.iter().filter(|f| f.ty == FieldType::Record) {
        let Some(l) = &f.ledger else { continue };
        let q = ListQuery {
            limit: Some(1),
            ..ListQuery::default()
        };
        if let Ok(page) = store.list(a, l, &q).await
            && let Some(r) = page.items.first()
        {
            records.insert(l.clone(), r.row.id);
        }
    }
    let unit = a.unit.and_then(|u| org.unit_name(u)).map(str::to_string);
    let division = a
        .division
        .as_deref()
        .and_then(|d| org.division_name(d))
        .map(str::to_string);
    let input = TemplateInput {
        org: &org,
        today: store.today(),
        unit,
        division,
        records,
    };
    template_xlsx(kind, &input)
}

/// The template's file name: "安全生产隐患导入模板.xlsx".
pub fn file_name(kind: &LedgerKind) -> String {
    format!("{}导入模板.xlsx", kind.name)
}
