//! Readers: xlsx/xls (calamine) and CSV (UTF-8 with or without BOM, GBK,
//! GB18030, UTF-16 with BOM) into one shape, a [`Sheet`] of [`Cell`]s whose
//! row and column indexes are the file's own (row 0 is the sheet's first row,
//! whatever calamine's used range starts at), with merged cells filled with
//! their top-left value.
//!
//! **Invariant:** readers never panic, and what they hold is bounded by
//! [`SheetLimits`] whatever the file says, checked before the memory is
//! spent: an xlsx is inflated and scanned once by [`crate::bounds`] (size,
//! shared strings, merges, tag length) before calamine opens it; every cell
//! goes through one [`Builder`] that counts rows, columns, cells (row widths,
//! so a sparse sheet cannot allocate more) and text; merges are filled only
//! inside rows that hold data and within the same cell count. A file over a
//! limit is refused with a Chinese message naming the limit.

use crate::IoError;
pub use lvzhi_limits::SheetLimits;
use lvzhi_limits::human_bytes;
use serde::Serialize;
use std::io::Cursor;

/// The most columns a sheet may have by default (a ledger has at most a few dozen).
pub const MAX_COLUMNS: usize = 1024;

/// The most rows a sheet may have by default (Excel's own limit).
pub const MAX_ROWS: usize = 1_048_576;

/// One cell as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text (CSV cells are always text).
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number.
    Number(f64),
    /// TRUE / FALSE.
    Bool(bool),
    /// A date or time cell: the Excel serial, already in the 1900 system.
    Date(f64),
    /// An Excel error value (#DIV/0!, #REF!…).
    Error(String),
}

impl Cell {
    /// Whether the cell holds nothing (blank text counts as nothing).
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a person reads it (for headers, messages and the error copy).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Number(f) => number_text(*f),
            Cell::Bool(b) => if *b { "是" } else { "否" }.to_string(),
            Cell::Date(serial) => match crate::value::serial_to_datetime(*serial) {
                Some(dt) if dt.time() == jiff::civil::Time::midnight() => dt.date().to_string(),
                Some(dt) => dt.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                None => number_text(*serial),
            },
            Cell::Error(e) => e.clone(),
        }
    }
}

/// A number as Excel shows it in General format: no exponent, shortest form.
pub fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{}", f as i64);
    }
    format!("{f}")
}

/// A sheet: rows of cells, merged cells filled.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sheet {
    /// The sheet's name (the file name for CSV).
    pub name: String,
    /// Rows from the sheet's first row; row `i` is the file's row `i + 1`.
    pub rows: Vec<Vec<Cell>>,
    /// Merged regions: (first row, first col, last row, last col), 0-based inclusive.
    pub merges: Vec<(u32, u32, u32, u32)>,
}

impl Sheet {
    /// The cell at (row, col), or empty.
    pub fn cell(&self, row: usize, col: usize) -> &Cell {
        self.rows.get(row).and_then(|r| r.get(col)).unwrap_or(&Cell::Empty)
    }

    /// The widest row's length.
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// Fills every merged region with its top-left value, within the rows
    /// that hold data, the column limit and the cell limit.
    fn fill_merges(&mut self, limits: &SheetLimits) -> Result<(), IoError> {
        if self.merges.len() > limits.max_merges {
            return Err(too_many_merges(limits));
        }
        let mut cells: usize = self.rows.iter().map(Vec::len).sum();
        let max_col = limits.max_columns.max(1);
        for &(r0, c0, r1, c1) in &self.merges {
            let (r0, c0, r1, c1) = (r0 as usize, c0 as usize, r1 as usize, c1 as usize);
            if r0 > r1 || c0 > c1 {
                continue;
            }
            let v = self.cell(r0, c0).clone();
            if v.is_empty() {
                continue;
            }
            let last_row = r1.min(self.rows.len().saturating_sub(1));
            for r in r0..=last_row {
                let Some(row) = self.rows.get_mut(r) else { break };
                let last_col = c1.min(max_col - 1);
                if row.len() <= last_col {
                    cells += last_col + 1 - row.len();
                    if cells > limits.max_cells {
                        return Err(too_many_cells(limits));
                    }
                    row.resize(last_col + 1, Cell::Empty);
                }
                for c in c0..=last_col {
                    if (r, c) != (r0, c0)
                        && let Some(cell) = row.get_mut(c)
                    {
                        *cell = v.clone();
                    }
                }
            }
        }
        Ok(())
    }
}

/// "合并单元格超过 N 处上限".
pub(crate) fn too_many_merges(limits: &SheetLimits) -> IoError {
    IoError::Unreadable(format!(
        "合并单元格超过 {} 处上限 / more than {} merged regions",
        limits.max_merges, limits.max_merges
    ))
}

/// "工作表超过 N 个单元格上限".
pub(crate) fn too_many_cells(limits: &SheetLimits) -> IoError {
    IoError::Unreadable(format!(
        "工作表超过 {} 个单元格上限 / more than {} cells",
        limits.max_cells, limits.max_cells
    ))
}

/// "工作表超过 N 列上限" (at 0-based row `r`, column `c`).
pub(crate) fn too_many_columns(limits: &SheetLimits, r: u64, c: u64) -> IoError {
    IoError::Unreadable(format!(
        "工作表超过 {} 列上限（第{}行第{}列） / more than {} columns",
        limits.max_columns,
        r + 1,
        c + 1,
        limits.max_columns
    ))
}

/// "工作表超过 N 行上限".
pub(crate) fn too_many_rows(limits: &SheetLimits) -> IoError {
    IoError::Unreadable(format!(
        "工作表超过 {} 行上限 / more than {} rows",
        limits.max_rows, limits.max_rows
    ))
}

/// Builds a sheet's rows cell by cell within [`SheetLimits`]: the one place
/// where a reader's memory grows.
pub struct Builder<'a> {
    limits: &'a SheetLimits,
    rows: Vec<Vec<Cell>>,
    /// Cells held: the sum of the rows' lengths.
    cells: usize,
    /// Bytes of text held.
    text: usize,
}

impl<'a> Builder<'a> {
    /// An empty sheet under `limits`.
    pub fn new(limits: &'a SheetLimits) -> Builder<'a> {
        Builder {
            limits,
            rows: Vec::new(),
            cells: 0,
            text: 0,
        }
    }

    /// Checks a cell's text against the limits before it is copied.
    pub fn check_text(&self, r: usize, c: usize, s: &str) -> Result<(), IoError> {
        let l = self.limits;
        if s.len() > l.max_cell_chars && s.chars().count() > l.max_cell_chars {
            return Err(IoError::Unreadable(format!(
                "第{}行第{}列的文字超过 {} 字上限 / cell {}{} is longer than {} characters",
                r + 1,
                column_letter(c),
                l.max_cell_chars,
                column_letter(c),
                r + 1,
                l.max_cell_chars
            )));
        }
        if self.text + s.len() > l.max_text_bytes {
            return Err(IoError::Unreadable(format!(
                "工作表的文字超过 {} 上限 / more than {} of text",
                human_bytes(l.max_text_bytes as u64),
                human_bytes(l.max_text_bytes as u64)
            )));
        }
        Ok(())
    }

    /// Puts a cell at (row, col), growing the rows as needed, within the limits.
    pub fn put(&mut self, r: usize, c: usize, cell: Cell) -> Result<(), IoError> {
        let l = self.limits;
        if c >= l.max_columns {
            return Err(too_many_columns(l, r as u64, c as u64));
        }
        if r >= l.max_rows {
            return Err(too_many_rows(l));
        }
        if let Cell::Text(s) | Cell::Error(s) = &cell {
            self.check_text(r, c, s)?;
            self.text += s.len();
        }
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        let Some(row) = self.rows.get_mut(r) else {
            return Ok(());
        };
        if row.len() <= c {
            self.cells += c + 1 - row.len();
            if self.cells > l.max_cells {
                return Err(too_many_cells(l));
            }
            row.resize(c + 1, Cell::Empty);
        }
        if let Some(slot) = row.get_mut(c) {
            *slot = cell;
        }
        Ok(())
    }

    /// Appends a row (CSV): the row's cells go through [`Builder::put`].
    pub fn push_row(&mut self, cells: Vec<Cell>) -> Result<(), IoError> {
        let r = self.rows.len();
        if r >= self.limits.max_rows {
            return Err(too_many_rows(self.limits));
        }
        self.rows.push(Vec::new());
        for (c, cell) in cells.into_iter().enumerate() {
            if cell != Cell::Empty {
                self.put(r, c, cell)?;
            }
        }
        Ok(())
    }

    /// The rows built.
    pub fn finish(self) -> Vec<Vec<Cell>> {
        self.rows
    }
}

/// Whether a text cell would be read as a formula by a spreadsheet (OWASP's
/// CSV-injection rule): it starts with `=`, `+`, `-`, `@`, a tab or a CR,
/// possibly after quotes this rule added (so the rule can be undone exactly).
pub fn formula_like(s: &str) -> bool {
    s.trim_start_matches('\'').starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The text as a CSV export writes it: a formula-like text gets a leading
/// `'` (a text that already starts with quotes before `=`… gets one more),
/// so a spreadsheet shows it as text. Numbers are never passed here.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(s) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Undoes [`neutralise`] on a CSV cell read back: one leading `'` is dropped
/// where it stands before a formula-like text (`'=1` → `=1`, `''=1` → `'=1`);
/// any other text (`'abc`, `'123`) is left as it is.
pub fn unneutralise(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => s,
    }
}

/// A text encoding for CSV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Encoding {
    /// Detect: a BOM, else valid UTF-8, else GB18030 (a superset of GBK).
    #[default]
    Auto,
    /// UTF-8 (a BOM is dropped).
    Utf8,
    /// GBK (decoded as GB18030, its superset).
    Gbk,
    /// GB18030.
    Gb18030,
}

impl Encoding {
    /// Parses `--encoding` values: auto, utf-8, gbk, gb18030 (any case).
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Some(Encoding::Auto),
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "gbk" | "cp936" | "gb2312" => Some(Encoding::Gbk),
            "gb18030" => Some(Encoding::Gb18030),
            _ => None,
        }
    }
}

/// Decodes CSV bytes; returns the text and the encoding's name.
pub fn decode(bytes: &[u8], enc: Encoding) -> Result<(String, &'static str), IoError> {
    let strict = |e: &'static encoding_rs::Encoding, b: &[u8], name: &'static str| {
        let (text, had_errors) = e.decode_without_bom_handling(b);
        if had_errors {
            Err(IoError::Encoding(name.into()))
        } else {
            Ok((text.into_owned(), name))
        }
    };
    match enc {
        Encoding::Utf8 => strict(
            encoding_rs::UTF_8,
            bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes),
            "UTF-8",
        ),
        Encoding::Gbk => strict(encoding_rs::GB18030, bytes, "GBK"),
        Encoding::Gb18030 => strict(encoding_rs::GB18030, bytes, "GB18030"),
        Encoding::Auto => {
            if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
                return strict(encoding_rs::UTF_8, rest, "UTF-8");
            }
            if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
                return strict(encoding_rs::UTF_16LE, rest, "UTF-16LE");
            }
            if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
                return strict(encoding_rs::UTF_16BE, rest, "UTF-16BE");
            }
            if let Ok(s) = std::str::from_utf8(bytes) {
                return Ok((s.to_string(), "UTF-8"));
            }
            strict(encoding_rs::GB18030, bytes, "GB18030")
        }
    }
}

/// Reads a CSV file (any of the encodings above; `,` or, when the first line
/// has more tabs than commas, tab separated) within the default limits.
pub fn read_csv(bytes: &[u8], enc: Encoding, name: &str) -> Result<Sheet, IoError> {
    read_csv_with(bytes, enc, name, &SheetLimits::default())
}

/// [`read_csv`] within `limits`: file size, line length, rows, columns,
/// cells and text.
pub fn read_csv_with(bytes: &[u8], enc: Encoding, name: &str, limits: &SheetLimits) -> Result<Sheet, IoError> {
    check_file_size(bytes.len() as u64, limits)?;
    let (text, _) = decode(bytes, enc)?;
    if text.contains('\0') {
        return Err(IoError::Unreadable(
            "文件含有空字符，不是文本表格 / binary data in a CSV file".into(),
        ));
    }
    let first = text.lines().next().unwrap_or("");
    let delim = if first.matches('\t').count() > first.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let mut b = Builder::new(limits);
    let mut rec = csv::StringRecord::new();
    let mut line = 0usize;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                line += 1;
                if rec.as_slice().len() > limits.max_token_bytes {
                    return Err(IoError::Unreadable(format!(
                        "第{line}行超过 {} 上限 / line {line} is longer than {}",
                        human_bytes(limits.max_token_bytes as u64),
                        human_bytes(limits.max_token_bytes as u64)
                    )));
                }
                if rec.len() > limits.max_columns {
                    return Err(IoError::Unreadable(format!(
                        "工作表超过 {} 列上限（第{line}行有{}列） / more than {} columns",
                        limits.max_columns,
                        rec.len(),
                        limits.max_columns
                    )));
                }
                let cells: Vec<Cell> = rec
                    .iter()
                    .map(|s| {
                        if s.is_empty() {
                            Cell::Empty
                        } else {
                            Cell::Text(unneutralise(s).to_string())
                        }
                    })
                    .collect();
                b.push_row(cells)?;
            }
            Ok(false) => break,
            Err(e) => {
                return Err(IoError::Unreadable(format!(
                    "第{}行无法解析 / CSV error: {e}",
                    line + 1
                )));
            }
        }
    }
    let mut rows = b.finish();
    for r in &mut rows {
        while r.last().is_some_and(Cell::is_empty) {
            r.pop();
        }
    }
    Ok(Sheet {
        name: name.to_string(),
        rows,
        merges: vec![],
    })
}

/// Refuses a file of `len` bytes over `max_file_bytes` ("文件超过 100MB 上限").
pub(crate) fn check_file_size(len: u64, limits: &SheetLimits) -> Result<(), IoError> {
    if len > limits.max_file_bytes {
        return Err(IoError::Unreadable(format!(
            "文件超过 {} 上限 / the file is larger than {}",
            human_bytes(limits.max_file_bytes),
            human_bytes(limits.max_file_bytes)
        )));
    }
    Ok(())
}

fn from_data(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => {
            if s.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(s.clone())
            }
        }
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => Cell::Date(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// The kind of a spreadsheet file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Office Open XML workbook.
    Xlsx,
    /// Excel 97–2003 workbook.
    Xls,
    /// Comma (or tab) separated text.
    Csv,
}

impl FileKind {
    /// From the file's leading bytes, then its name.
    pub fn detect(bytes: &[u8], name: &str) -> FileKind {
        if bytes.starts_with(b"PK\x03\x04") {
            return FileKind::Xlsx;
        }
        if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            return FileKind::Xls;
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") {
            FileKind::Xlsx
        } else if lower.ends_with(".xls") {
            FileKind::Xls
        } else {
            FileKind::Csv
        }
    }
}

/// Reads a workbook's sheet (`sheet` by name, else the first sheet with data)
/// within the default limits.
pub fn read_workbook(bytes: &[u8], kind: FileKind, sheet: Option<&str>) -> Result<Sheet, IoError> {
    read_workbook_with(bytes, kind, sheet, &SheetLimits::default())
}

/// [`read_workbook`] within `limits` (an xlsx is pre-checked by
/// [`crate::bounds::precheck_xlsx`] before calamine opens it).
///
/// calamine can panic on malformed files (found by `fuzz/fuzz_targets/
/// xlsx_reader.rs`: an arithmetic overflow on a cell reference such as
/// `A99999999999` in calamine 0.38 `get_row_and_optional_column`, in builds with
/// overflow checks); such a file is refused as unreadable instead.
pub fn read_workbook_with(
    bytes: &[u8],
    kind: FileKind,
    sheet: Option<&str>,
    limits: &SheetLimits,
) -> Result<Sheet, IoError> {
    check_file_size(bytes.len() as u64, limits)?;
    if kind == FileKind::Xlsx {
        crate::bounds::precheck_xlsx(bytes, limits)?;
    }
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_cells(bytes, kind, sheet, limits)));
    let mut out = read.unwrap_or_else(|_| {
        Err(IoError::Unreadable(
            "工作簿已损坏，无法读取 / the workbook is corrupt".into(),
        ))
    })?;
    for r in &mut out.rows {
        while r.last().is_some_and(Cell::is_empty) {
            r.pop();
        }
    }
    out.fill_merges(limits)?;
    Ok(out)
}

fn read_cells(bytes: &[u8], kind: FileKind, sheet: Option<&str>, limits: &SheetLimits) -> Result<Sheet, IoError> {
    use calamine::Reader;
    let cur = Cursor::new(bytes);
    let bad = |e: String| IoError::Unreadable(format!("无法读取工作簿 / cannot read workbook: {e}"));
    let merges_of = |m: Vec<calamine::Dimensions>| -> Result<Vec<(u32, u32, u32, u32)>, IoError> {
        if m.len() > limits.max_merges {
            return Err(too_many_merges(limits));
        }
        Ok(m.iter().map(|d| (d.start.0, d.start.1, d.end.0, d.end.1)).collect())
    };
    let out = match kind {
        FileKind::Xls => {
            crate::bounds::precheck_xls(bytes, limits)?;
            let mut wb: calamine::Xls<_> =
                calamine::open_workbook_from_rs(cur).map_err(|e: calamine::XlsError| bad(e.to_string()))?;
            let names = wb.sheet_names();
            let mut found = None;
            for name in candidates(&names, sheet)? {
                let range = wb.worksheet_range(&name).map_err(|e| bad(e.to_string()))?;
                if !range.is_empty() || sheet.is_some() {
                    found = Some((name, range));
                    break;
                }
            }
            let (name, range) = found.unwrap_or_default();
            let merges = merges_of(wb.merge_cells_by_sheet_name(&name).unwrap_or_default())?;
            let mut b = Builder::new(limits);
            let mut conv = DateConv::default();
            for c in range.used_cells() {
                let (r, col) = (
                    c.0 + range.start().map_or(0, |s| s.0 as usize),
                    c.1 + range.start().map_or(0, |s| s.1 as usize),
                );
                b.put(r, col, conv.cell(c.2))?;
            }
            Sheet {
                name,
                rows: b.finish(),
                merges,
            }
        }
        _ => {
            let mut wb: calamine::Xlsx<_> =
                calamine::open_workbook_from_rs(cur).map_err(|e: calamine::XlsxError| bad(e.to_string()))?;
            let names = wb.sheet_names();
            let mut out = Sheet::default();
            for name in candidates(&names, sheet)? {
                let mut b = Builder::new(limits);
                let mut conv = DateConv::default();
                {
                    let mut reader = wb.worksheet_cells_reader(&name).map_err(|e| bad(e.to_string()))?;
                    while let Some(c) = reader.next_cell().map_err(|e| bad(e.to_string()))? {
                        let (r, col) = c.get_position();
                        let (r, col) = (r as usize, col as usize);
                        // Shared strings are checked before they are copied.
                        if let calamine::DataRef::SharedString(s) = c.get_value() {
                            b.check_text(r, col, s)?;
                        }
                        let cell = conv.cell_ref(c.get_value());
                        if cell != Cell::Empty {
                            b.put(r, col, cell)?;
                        }
                    }
                }
                let rows = b.finish();
                if !rows.is_empty() || sheet.is_some() {
                    out = Sheet {
                        rows,
                        merges: merges_of(wb.merge_cells_by_sheet_name(&name).unwrap_or_default())?,
                        name,
                    };
                    break;
                }
            }
            out
        }
    };
    Ok(out)
}

/// Date cells to 1900-system serials; the workbook's epoch (1900 or 1904) is
/// found from the first date cell.
#[derive(Default)]
struct DateConv {
    offset: Option<f64>,
}

impl DateConv {
    fn date(&mut self, dt: &calamine::ExcelDateTime) -> Cell {
        let v = dt.as_f64();
        let offset = *self.offset.get_or_insert_with(|| {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            let same = crate::value::serial_to_datetime(v)
                .is_some_and(|x| (x.year() as u16, x.month() as u8, x.day() as u8) == (y, m, d));
            if same { 0.0 } else { 1462.0 }
        });
        Cell::Date(v + offset)
    }

    fn cell(&mut self, d: &calamine::Data) -> Cell {
        match d {
            calamine::Data::DateTime(dt) => self.date(dt),
            other => from_data(other),
        }
    }

    fn cell_ref(&mut self, d: &calamine::DataRef<'_>) -> Cell {
        use calamine::DataRef;
        match d {
            DataRef::Empty => Cell::Empty,
            DataRef::String(s) if s.is_empty() => Cell::Empty,
            DataRef::SharedString("") => Cell::Empty,
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_string()),
            DataRef::Int(i) => Cell::Int(*i),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::DateTime(dt) => self.date(dt),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
            DataRef::Error(e) => Cell::Error(e.to_string()),
        }
    }
}

/// The sheets to try, in order: the one asked for, or all.
fn candidates(names: &[String], wanted: Option<&str>) -> Result<Vec<String>, IoError> {
    match wanted {
        Some(_) => Ok(vec![pick_sheet(names, wanted)?]),
        None if names.is_empty() => Err(IoError::Unreadable("工作簿中没有工作表 / no sheets".into())),
        None => Ok(names.to_vec()),
    }
}

fn pick_sheet(names: &[String], wanted: Option<&str>) -> Result<String, IoError> {
    let w = wanted.unwrap_or("1");
    if let Some(n) = names.iter().find(|n| n.as_str() == w) {
        return Ok(n.clone());
    }
    if let Ok(i) = w.parse::<usize>()
        && i >= 1
        && let Some(n) = names.get(i - 1)
    {
        return Ok(n.clone());
    }
    Err(IoError::Unreadable(format!(
        "没有名为“{w}”的工作表（有：{}） / no sheet named {w}",
        names.join("、")
    )))
}

/// Reads any supported file from its bytes, within the default limits.
pub fn read_bytes(bytes: &[u8], name: &str, sheet: Option<&str>, enc: Encoding) -> Result<Sheet, IoError> {
    read_bytes_with(bytes, name, sheet, enc, &SheetLimits::default())
}

/// Reads any supported file from its bytes, within `limits`.
pub fn read_bytes_with(
    bytes: &[u8],
    name: &str,
    sheet: Option<&str>,
    enc: Encoding,
    limits: &SheetLimits,
) -> Result<Sheet, IoError> {
    match FileKind::detect(bytes, name) {
        FileKind::Csv => read_csv_with(bytes, enc, name, limits),
        k => read_workbook_with(bytes, k, sheet, limits),
    }
}

/// The spreadsheet letters of a 0-based column (0 → A, 27 → AB).
pub fn column_letter(mut col: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn encodings() {
        let (gbk, _, _) = encoding_rs::GBK.encode("隐患描述,乡镇\n");
        assert_eq!(decode(&gbk, Encoding::Auto).unwrap().0, "隐患描述,乡镇\n");
        assert_eq!(decode(&gbk, Encoding::Auto).unwrap().1, "GB18030");
        let bom = [b"\xEF\xBB\xBF".as_slice(), "隐患".as_bytes()].concat();
        assert_eq!(decode(&bom, Encoding::Auto).unwrap().0, "隐患");
        assert_eq!(decode("隐患".as_bytes(), Encoding::Auto).unwrap().1, "UTF-8");
        assert!(matches!(decode(&gbk, Encoding::Utf8), Err(IoError::Encoding(_))));
        assert_eq!(Encoding::parse("GBK"), Some(Encoding::Gbk));
        assert_eq!(Encoding::parse("latin1"), None);
    }

    #[test]
    fn csv_rows_and_tabs() {
        let s = read_csv("a\tb\n1\t\n".as_bytes(), Encoding::Auto, "x.csv").unwrap();
        assert_eq!(
            s.rows,
            vec![
                vec![Cell::Text("a".into()), Cell::Text("b".into())],
                vec![Cell::Text("1".into())]
            ]
        );
    }

    #[test]
    fn merges_fill_within_data_only() {
        let mut s = Sheet {
            name: "s".into(),
            rows: vec![vec![Cell::Text("整改情况".into())], vec![Cell::Text("x".into())]],
            merges: vec![(0, 0, 0, 2), (0, 0, 4_000_000, 16_000)],
        };
        s.fill_merges(&SheetLimits::default()).unwrap();
        assert_eq!(s.rows[0].len(), MAX_COLUMNS);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.cell(0, 2), &Cell::Text("整改情况".into()));
    }

    #[test]
    fn formula_injection_is_neutralised_and_undone_exactly() {
        for s in ["=1+1", "+86", "-5", "@SUM(A1)", "\tx", "\rx", "'=1", "''-2", "=", "'"] {
            let out = neutralise(s);
            assert_eq!(unneutralise(&out), s, "{s:?}");
        }
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-5"), "'-5");
        assert_eq!(neutralise("消防通道"), "消防通道");
        assert_eq!(neutralise("'abc"), "'abc");
        assert_eq!(unneutralise("'abc"), "'abc");
        assert_eq!(unneutralise("'123"), "'123");
        assert_eq!(unneutralise("-5"), "-5");
        let s = read_csv("描述,金额\n'=1+1,-5\n".as_bytes(), Encoding::Auto, "x.csv").unwrap();
        assert_eq!(s.rows[1], vec![Cell::Text("=1+1".into()), Cell::Text("-5".into())]);
    }

    #[test]
    fn numbers_as_excel_shows_them() {
        assert_eq!(number_text(21.6), "21.6");
        assert_eq!(number_text(13812345678.0), "13812345678");
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
    }
}
