//! Export: a ledger list (its filters, the reader's scope, personal data masked
//! for the reader's role — all applied by [`Store::list`]) to xlsx or CSV; and
//! the error copy of an import file (the input with a 错误说明 column).
//!
//! xlsx: Chinese headers (money headers name their unit: "金额（万元）"), dates
//! as date cells, money as numbers with two decimals, a frozen bold header, an
//! autofilter, column widths that fit CJK text (a CJK character counts two).
//! CSV: UTF-8 with a BOM, so Excel opens it as UTF-8. Either imports back to
//! the same records.
//!
//! **Formula injection** (OWASP): a text cell that starts with `=`, `+`, `-`,
//! `@`, a tab or a CR is written to CSV with a leading `'`, and to xlsx with
//! the quote-prefix style (the value unchanged); numbers, negative amounts
//! included, stay numbers. The CSV reader drops exactly the quote the export
//! added ([`crate::sheet::unneutralise`]), so an export imports back unchanged.

use crate::IoError;
use crate::org::OrgIndex;
use crate::prepare::Prepared;
use crate::sheet::{Cell, Sheet};
use lvzhi_core::access::Access;
use lvzhi_core::field::{FieldDef, FieldType};
use lvzhi_core::ledger::{EXTRA_KEY, LedgerKind};
use lvzhi_core::money::MoneyUnit;
use lvzhi_store::Store;
use lvzhi_store::records::{ListQuery, RecordView};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet};
use serde_json::Value;
use std::io::Write;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Office Open XML workbook.
    Xlsx,
    /// UTF-8 CSV with a BOM.
    Csv,
}

impl ExportFormat {
    /// From a file name's extension (xlsx unless it ends in .csv).
    pub fn from_path(path: &str) -> ExportFormat {
        if path.to_ascii_lowercase().ends_with(".csv") {
            ExportFormat::Csv
        } else {
            ExportFormat::Xlsx
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    /// Records written.
    pub rows: usize,
}

/// One value of an exported cell.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Empty,
    Text(String),
    Number(Decimal),
    Date(jiff::civil::Date),
}

/// The header of a field's column.
pub fn field_header(f: &FieldDef) -> String {
    if f.ty == FieldType::Money {
        format!("{}（{}）", f.label, f.unit.unwrap_or(MoneyUnit::Yuan).label())
    } else {
        f.label.clone()
    }
}

fn field_out(f: &FieldDef, v: &Value, org: &OrgIndex) -> Out {
    match (f.ty, v) {
        (_, Value::Null) => Out::Empty,
        (FieldType::Money, Value::String(s)) => match s.parse::<Decimal>() {
            Ok(d) => Out::Number(d / f.unit.unwrap_or(MoneyUnit::Yuan).factor()),
            Err(_) => Out::Text(s.clone()),
        },
        (FieldType::Date, Value::String(s)) => match s.parse() {
            Ok(d) => Out::Date(d),
            Err(_) => Out::Text(s.clone()),
        },
        (FieldType::Datetime, Value::String(s)) => match s.parse::<jiff::Timestamp>() {
            Ok(t) => Out::Text(
                t.to_zoned(lvzhi_core::time::shanghai())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string(),
            ),
            Err(_) => Out::Text(s.clone()),
        },
        (FieldType::Unit, Value::Number(n)) => match n.as_i64().and_then(|id| org.unit_name(id)) {
            Some(name) => Out::Text(name.to_string()),
            None => Out::Text(n.to_string()),
        },
        (FieldType::Person, Value::Number(n)) => match n.as_i64().and_then(|id| org.person_name(id)) {
            Some(name) => Out::Text(name.to_string()),
            None => Out::Text(n.to_string()),
        },
        (FieldType::Division, Value::String(code)) => match org.division_name(code) {
            Some(name) => Out::Text(name.to_string()),
            None => Out::Text(code.clone()),
        },
        (FieldType::Integer | FieldType::Decimal, Value::Number(n)) => match n.to_string().parse() {
            Ok(d) => Out::Number(d),
            Err(_) => Out::Text(n.to_string()),
        },
        (FieldType::Integer | FieldType::Decimal, Value::String(s)) => match s.parse() {
            Ok(d) => Out::Number(d),
            Err(_) => Out::Text(s.clone()),
        },
        _ => Out::Text(f.display(v)),
    }
}

/// The columns: 编号, every field, 状态, then the extra columns the records carry
/// (under their own headers, so the file imports back with them).
fn headers(kind: &LedgerKind, extras: &[String]) -> Vec<String> {
    // 编号, unless a field is labelled so (建议提案's 编号): then 系统编号.
    let id = if kind.fields.iter().any(|f| f.label == "编号") {
        "系统编号"
    } else {
        "编号"
    };
    let mut h = vec![id.to_string()];
    h.extend(kind.fields.iter().map(field_header));
    if kind.workflow.is_some() {
        h.push("状态".into());
    }
    h.extend(extras.iter().cloned());
    h
}

fn record_cells(kind: &LedgerKind, r: &RecordView, org: &OrgIndex, extras: &[String]) -> Vec<Out> {
    let mut cells = vec![Out::Number(Decimal::from(r.row.id))];
    for f in &kind.fields {
        cells.push(field_out(f, r.row.fields.get(&f.key).unwrap_or(&Value::Null), org));
    }
    if kind.workflow.is_some() {
        cells.push(Out::Text(r.row.state.clone()));
    }
    let extra = r.row.fields.get(EXTRA_KEY).and_then(Value::as_object);
    for name in extras {
        cells.push(match extra.and_then(|e| e.get(name)).and_then(Value::as_str) {
            Some(t) => Out::Text(t.to_string()),
            None => Out::Empty,
        });
    }
    cells
}

/// Display width of text: CJK and other wide characters count two.
pub fn text_width(s: &str) -> usize {
    s.lines()
        .map(|l| {
            l.chars()
                .map(|c| {
                    let u = c as u32;
                    let wide = (0x1100..=0x115F).contains(&u)
                        || (0x2E80..=0xA4CF).contains(&u)
                        || (0xAC00..=0xD7A3).contains(&u)
                        || (0xF900..=0xFAFF).contains(&u)
                        || (0xFE30..=0xFE4F).contains(&u)
                        || (0xFF00..=0xFF60).contains(&u)
                        || (0xFFE0..=0xFFE6).contains(&u)
                        || (0x20000..=0x3FFFD).contains(&u);
                    if wide { 2 } else { 1 }
                })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

fn out_text(o: &Out) -> String {
    match o {
        Out::Empty => String::new(),
        Out::Text(s) => s.clone(),
        Out::Number(d) => lvzhi_core::money::trim_decimal(*d),
        Out::Date(d) => d.to_string(),
    }
}

/// A cell as CSV text: text a spreadsheet would take for a formula is
/// neutralised ([`crate::sheet::neutralise`]); numbers (a negative amount)
/// are written as they are.
fn csv_text(o: &Out) -> String {
    match o {
        Out::Text(s) => crate::sheet::neutralise(s).into_owned(),
        other => out_text(other),
    }
}

struct XlsxOut {
    wb: Workbook,
    header: Format,
    date: Format,
    money: Format,
    widths: Vec<usize>,
    money_cols: Vec<bool>,
    /// Text that a spreadsheet would take for a formula: quote-prefixed.
    quoted: Format,
    row: u32,
}

fn xerr(e: rust_xlsxwriter::XlsxError) -> IoError {
    IoError::Xlsx(e.to_string())
}

impl XlsxOut {
    fn new(
        headers: &[String],
        money_cols: Vec<bool>,
        sheet_name: &str,
        created: jiff::Timestamp,
    ) -> Result<XlsxOut, IoError> {
        let mut wb = Workbook::new();
        // The document's creation time is the export's (by the store's clock),
        // not the wall clock: the same data and clock give the same bytes.
        let t = created.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let at = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
            .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second() as u8))
            .map_err(xerr)?;
        wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&at));
        let header = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_border(FormatBorder::Thin)
            .set_text_wrap();
        let ws = wb.add_worksheet_with_constant_memory().map_err(xerr)?;
        ws.set_name(sheet_name).map_err(xerr)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &header).map_err(xerr)?;
        }
        Ok(XlsxOut {
            wb,
            header,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            money: Format::new().set_num_format("#,##0.00"),
            widths: headers.iter().map(|h| text_width(h)).collect(),
            money_cols,
            quoted: Format::new().set_quote_prefix(),
            row: 1,
        })
    }

    fn ws(&mut self) -> Result<&mut Worksheet, IoError> {
        self.wb.worksheet_from_index(0).map_err(xerr)
    }

    fn push(&mut self, cells: &[Out]) -> Result<(), IoError> {
        let row = self.row;
        let (date, money, quoted) = (self.date.clone(), self.money.clone(), self.quoted.clone());
        let money_cols = self.money_cols.clone();
        let mut widths = std::mem::take(&mut self.widths);
        let ws = self.ws()?;
        for (c, v) in cells.iter().enumerate() {
            let col = c as u16;
            let w = match v {
                Out::Empty => 0,
                Out::Text(s) if crate::sheet::formula_like(s) => {
                    // Shown and kept as text, even when the cell is edited
                    // (the value itself is unchanged, so it reads back as is).
                    ws.write_string_with_format(row, col, s, &quoted).map_err(xerr)?;
                    text_width(s)
                }
                Out::Text(s) => {
                    ws.write_string(row, col, s).map_err(xerr)?;
                    text_width(s)
                }
                Out::Number(d) => {
                    let text = lvzhi_core::money::trim_decimal(*d);
                    // A number only where f64 holds it exactly as written.
                    match text.parse::<f64>() {
                        Ok(x) if crate::sheet::number_text(x) == text => {
                            if money_cols.get(c).copied().unwrap_or(false) {
                                ws.write_number_with_format(row, col, x, &money).map_err(xerr)?;
                            } else {
                                ws.write_number(row, col, x).map_err(xerr)?;
                            }
                        }
                        _ => {
                            ws.write_string(row, col, &text).map_err(xerr)?;
                        }
                    }
                    text.len() + 3
                }
                Out::Date(d) => {
                    let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).map_err(xerr)?;
                    ws.write_datetime_with_format(row, col, &dt, &date).map_err(xerr)?;
                    10
                }
            };
            if let Some(x) = widths.get_mut(c) {
                *x = (*x).max(w);
            }
        }
        self.widths = widths;
        self.row += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>, IoError> {
        let widths = std::mem::take(&mut self.widths);
        let last_row = self.row.saturating_sub(1);
        let _ = &self.header;
        let ws = self.ws()?;
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, ((*w).clamp(4, 60) + 2) as f64)
                .map_err(xerr)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xerr)?;
        if !widths.is_empty() {
            ws.autofilter(0, 0, last_row, (widths.len() - 1) as u16).map_err(xerr)?;
        }
        self.wb.save_to_buffer().map_err(xerr)
    }
}

/// Exports the records of `ledger` that `q` selects (every page) as `a` may see them.
pub async fn export(
    store: &Store,
    a: &Access,
    ledger: &str,
    q: &ListQuery,
    format: ExportFormat,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(usize),
) -> Result<ExportSummary, IoError> {
    let kind = store
        .pack()
        .ledger(ledger)
        .ok_or_else(|| IoError::UnknownLedger(ledger.to_string()))?
        .clone();
    let org = OrgIndex::load(store).await.map_err(IoError::Store)?;
    let extras: Vec<String> = store
        .extra_columns(Some(ledger))
        .await
        .map_err(IoError::Store)?
        .into_iter()
        .map(|e| e.name)
        .collect();
    let heads = headers(&kind, &extras);
    let mut q = q.clone();
    q.limit = Some(500);
    q.cursor = None;
    q.count = false;
    let mut n = 0;
    let mut xlsx = None;
    let mut csvw: Option<csv::Writer<Vec<u8>>> = None;
    match format {
        ExportFormat::Xlsx => {
            let mut money = vec![false];
            money.extend(kind.fields.iter().map(|f| f.ty == FieldType::Money));
            xlsx = Some(XlsxOut::new(&heads, money, &sheet_name(&kind.name), store.now())?);
        }
        ExportFormat::Csv => {
            out.write_all(b"\xEF\xBB\xBF").map_err(IoError::Io)?;
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            w.write_record(&heads).map_err(|e| IoError::Csv(e.to_string()))?;
            csvw = Some(w);
        }
    }
    loop {
        let page = store.list(a, ledger, &q).await.map_err(IoError::Store)?;
        for r in &page.items {
            let cells = record_cells(&kind, r, &org, &extras);
            if let Some(x) = xlsx.as_mut() {
                x.push(&cells)?;
            }
            if let Some(w) = csvw.as_mut() {
                w.write_record(cells.iter().map(csv_text))
                    .map_err(|e| IoError::Csv(e.to_string()))?;
            }
            n += 1;
        }
        if let Some(w) = csvw.take() {
            let buf = w.into_inner().map_err(|e| IoError::Csv(e.to_string()))?;
            out.write_all(&buf).map_err(IoError::Io)?;
            let mut buf = buf;
            buf.clear();
            csvw = Some(csv::WriterBuilder::new().from_writer(buf));
        }
        progress(n);
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    if let Some(w) = csvw {
        let buf = w.into_inner().map_err(|e| IoError::Csv(e.to_string()))?;
        out.write_all(&buf).map_err(IoError::Io)?;
    }
    if let Some(x) = xlsx {
        out.write_all(&x.finish()?).map_err(IoError::Io)?;
    }
    Ok(ExportSummary { rows: n })
}

/// A worksheet name Excel accepts (at most 31 characters, none of []:*?/\).
pub(crate) fn sheet_name(s: &str) -> String {
    let n: String = s
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if n.is_empty() { "Sheet1".into() } else { n }
}

/// The input file with a 错误说明 column (and the refused cells in red), to
/// hand back to whoever filled it in.
pub fn error_workbook(sheet: &Sheet, prepared: &Prepared) -> Result<Vec<u8>, IoError> {
    let mut wb = Workbook::new();
    let bad = Format::new()
        .set_background_color(Color::RGB(0xFFC7CE))
        .set_font_color(Color::RGB(0x9C0006));
    let note = Format::new().set_font_color(Color::RGB(0x9C0006)).set_text_wrap();
    let head = Format::new().set_bold().set_background_color(Color::RGB(0xFFEB9C));
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet_with_constant_memory().map_err(xerr)?;
    ws.set_name(sheet_name(&sheet.name)).map_err(xerr)?;
    let note_col = sheet.width().min(16_383) as u16;
    let mut by_row: std::collections::BTreeMap<usize, Vec<&crate::prepare::CellError>> = Default::default();
    for e in &prepared.errors {
        by_row.entry(e.row).or_default().push(e);
    }
    let header_last = prepared.layout.header_row + prepared.layout.header_rows - 1;
    for (ri, cells) in sheet.rows.iter().enumerate().take(1_048_576) {
        let r = ri as u32;
        let errs = by_row.get(&(ri + 1));
        for (ci, cell) in cells.iter().enumerate().take(16_383) {
            let c = ci as u16;
            let is_bad = errs.is_some_and(|es| es.iter().any(|e| e.letter == crate::sheet::column_letter(ci)));
            let fmt = if is_bad { Some(&bad) } else { None };
            match (cell, fmt) {
                (Cell::Empty, Some(f)) => ws.write_blank(r, c, f).map(|_| ()),
                (Cell::Empty, None) => Ok(()),
                (Cell::Number(x), None) => ws.write_number(r, c, *x).map(|_| ()),
                (Cell::Int(i), None) => ws.write_number(r, c, *i as f64).map(|_| ()),
                (Cell::Bool(b), None) => ws.write_boolean(r, c, *b).map(|_| ()),
                (Cell::Date(x), None) => match ExcelDateTime::from_serial_datetime(*x) {
                    Ok(d) => ws.write_datetime_with_format(r, c, &d, &date).map(|_| ()),
                    Err(_) => ws.write_number(r, c, *x).map(|_| ()),
                },
                (other, Some(f)) => ws.write_string_with_format(r, c, other.text(), f).map(|_| ()),
                (other, None) => ws.write_string(r, c, other.text()).map(|_| ()),
            }
            .map_err(xerr)?;
        }
        if ri == header_last {
            ws.write_string_with_format(r, note_col, "错误说明", &head)
                .map_err(xerr)?;
        }
        if let Some(es) = errs {
            let text = es
                .iter()
                .map(|e| format!("{}列“{}”：{}", e.letter, e.column, e.message))
                .collect::<Vec<_>>()
                .join("；");
            ws.write_string_with_format(r, note_col, text, &note).map_err(xerr)?;
        }
    }
    ws.set_column_width(note_col, 60).map_err(xerr)?;
    wb.save_to_buffer().map_err(xerr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_neutralise_text_not_numbers() {
        assert_eq!(csv_text(&Out::Number(Decimal::new(-500, 2))), "-5");
        assert_eq!(csv_text(&Out::Text("-5".into())), "'-5");
        assert_eq!(csv_text(&Out::Text("=1+1".into())), "'=1+1");
        assert_eq!(csv_text(&Out::Text("消防".into())), "消防");
    }

    #[test]
    fn widths_count_cjk_double() {
        assert_eq!(text_width("隐患描述"), 8);
        assert_eq!(text_width("ab"), 2);
        assert_eq!(text_width("第一行\nab"), 6);
        assert_eq!(sheet_name("a/b[c]"), "abc");
    }
}
