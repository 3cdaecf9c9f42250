//! The pure half of an import: a [`Sheet`] and a [`Layout`] → validated
//! records, or one [`CellError`] per bad cell (row, column, reason). No
//! database: the web UI previews with this, the CLI's `--dry-run` stops here.
//!
//! The checks are the store's (field validation, references, scope), run
//! ahead so that a file is refused before anything is written.

use crate::fill::{Fill, Filled, Source};
use crate::mapping::{Column, Layout, STATE_TARGET, normalize_header};
use crate::org::OrgIndex;
use crate::sheet::{Cell, Sheet};
use crate::value::{CellRefusal, ErrorKind, cell_value};
use crate::{IoError, Surface};
use lvzhi_core::access::{Access, RecordScope, Role};
use lvzhi_core::field::{FieldDef, FieldRole, FieldType};
use lvzhi_core::ledger::{EXTRA_KEY, Fields, LedgerKind};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// One refused cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellError {
    /// The file's row number (1-based, as Excel shows it).
    pub row: usize,
    /// The column's header.
    pub column: String,
    /// The column's letter.
    pub letter: String,
    /// The field's key (None for a row-level error).
    pub field: Option<String>,
    /// The cell as written.
    pub value: String,
    /// A stable code.
    pub kind: ErrorKind,
    /// The reason, in Chinese.
    pub message: String,
}

impl CellError {
    /// "第12行 D列“隐患等级”：…", for people.
    pub fn chinese(&self) -> String {
        format!("第{}行 {}列“{}”：{}", self.row, self.letter, self.column, self.message)
    }

    /// "row 12, column D (隐患等级): invalid value — …", for the CLI's second language.
    pub fn english(&self) -> String {
        format!(
            "row {}, column {} ({}): {}{}",
            self.row,
            self.letter,
            self.column,
            self.kind.english(),
            if self.value.is_empty() {
                String::new()
            } else {
                format!(" [{}]", self.value)
            }
        )
    }
}

/// Why a row was left out without being an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A 合计/小计/总计 row.
    Total,
    /// A note or signature under the table (注：, 填表人：…).
    Footer,
    /// The header repeated (a sheet printed over several pages).
    RepeatedHeader,
}

impl SkipReason {
    /// In Chinese.
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::Total => "合计行",
            SkipReason::Footer => "表尾说明",
            SkipReason::RepeatedHeader => "重复的表头",
        }
    }
}

/// A row left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    /// The file's row number.
    pub row: usize,
    /// Why.
    pub reason: SkipReason,
}

/// A row that validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoodRow {
    /// The file's row number.
    pub row: usize,
    /// Normalised field values (money in 元, dates `YYYY-MM-DD`, ids).
    pub fields: Fields,
    /// The workflow state to place it in, from a 状态 column.
    pub state: Option<String>,
}

/// A sheet checked against a ledger.
#[derive(Debug, Clone, Serialize)]
pub struct Prepared {
    /// The ledger key.
    pub ledger: String,
    /// The sheet's name.
    pub sheet: String,
    /// Where the table is and what each column holds.
    pub layout: Layout,
    /// The rows that validated, in file order.
    pub rows: Vec<GoodRow>,
    /// Every refused cell, in file order.
    pub errors: Vec<CellError>,
    /// Rows with at least one error.
    pub bad_rows: usize,
    /// Rows left out (totals, notes, repeated headers).
    pub skipped: Vec<Skipped>,
    /// Blank rows (or rows with only a 序号).
    pub blank_rows: usize,
    /// Values the sheet lacked, and where each came from.
    pub filled: Vec<Filled>,
}

impl Prepared {
    /// Whether nothing was refused.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// Rows with data (good + bad).
    pub fn data_rows(&self) -> usize {
        self.rows.len() + self.bad_rows
    }
}

const TOTAL_WORDS: [&str; 5] = ["合计", "总计", "小计", "共计", "累计"];
const FOOTER_WORDS: [&str; 12] = [
    "注:",
    "注：",
    "说明:",
    "说明：",
    "备注:",
    "备注：",
    "填表人",
    "制表人",
    "审核人",
    "填报人",
    "负责人:",
    "负责人：",
];

/// Text of a short text cell, normalised; None for anything else (cheap).
fn short_text(c: &Cell) -> Option<String> {
    match c {
        Cell::Text(t) if t.len() <= 96 => Some(normalize_header(t)),
        _ => None,
    }
}

fn row_kind(cells: &[Cell], headers: &[(usize, String)]) -> Option<SkipReason> {
    let mut filled = cells.iter().filter(|c| !c.is_empty());
    let first3: Vec<Option<String>> = filled.by_ref().take(3).map(short_text).collect();
    let more = filled.next().is_some();
    if first3
        .iter()
        .flatten()
        .any(|t| TOTAL_WORDS.iter().any(|w| t.starts_with(w)))
    {
        return Some(SkipReason::Total);
    }
    if !more
        && first3
            .first()
            .and_then(Option::as_ref)
            .is_some_and(|t| FOOTER_WORDS.iter().any(|w| t.starts_with(&normalize_header(w))))
    {
        return Some(SkipReason::Footer);
    }
    // A repeated header: the first two mapped columns hold their headers, then half of all.
    let is_head = |(i, h): &(usize, String)| cells.get(*i).and_then(short_text).is_some_and(|t| &t == h);
    if headers.len() >= 2 && headers.iter().take(2).all(is_head) {
        let same = headers.iter().filter(|x| is_head(x)).count();
        if same * 2 >= headers.len() {
            return Some(SkipReason::RepeatedHeader);
        }
    }
    None
}

/// Refuses an import the user's role may not make at all.
pub fn check_role(kind: &LedgerKind, access: &Access) -> Result<(), IoError> {
    if kind.create_roles.contains(&access.role) && access.role.writes() {
        Ok(())
    } else {
        Err(IoError::Forbidden(format!(
            "{}不能在“{}”台账中新建记录 / your role may not create records in this ledger",
            access.role.label(),
            kind.name
        )))
    }
}

/// What became of one row.
enum Outcome {
    Blank,
    Skip(Skipped),
    /// A good row, and (fill, source) for each value it took from a fill.
    Good(GoodRow, Vec<(usize, usize)>),
    Bad(Vec<CellError>),
}

/// Everything a row check needs, shared by the worker threads.
struct Ctx<'a> {
    kind: &'a LedgerKind,
    layout: &'a Layout,
    org: &'a OrgIndex,
    access: &'a Access,
    mapped: Vec<(&'a Column, Option<&'a FieldDef>)>,
    /// Columns kept as extra information, with the name each gets (unique).
    extras: Vec<(&'a Column, String)>,
    /// Values the sheet lacks.
    fills: &'a [Fill],
    /// Whose hints the messages give.
    surface: Surface,
    /// Required fields no column fills (checked after the fills).
    unmapped_required: Vec<&'a FieldDef>,
    headers: Vec<(usize, String)>,
    states: Vec<String>,
    unit_key: Option<String>,
    division_key: Option<String>,
    owner_key: Option<String>,
}

type Cache = HashMap<(usize, String), Result<Value, CellRefusal>>;

/// The extra columns of a layout and their names, made unique ("备注", "备注（F列）").
fn extra_names(layout: &Layout) -> Vec<(&Column, String)> {
    let mut seen = std::collections::HashSet::new();
    layout
        .columns
        .iter()
        .filter(|c| c.extra && c.field.is_none())
        .map(|c| {
            let mut name = c.extra_name();
            if !seen.insert(name.clone()) {
                name = format!("{name}（{}列）", c.letter);
                seen.insert(name.clone());
            }
            (c, name)
        })
        .collect()
}

/// Below this many rows one thread does it all.
const PARALLEL_FROM: usize = 20_000;

/// Checks every data row of `sheet` against `kind` (on all cores for big files).
pub fn prepare(
    kind: &LedgerKind,
    sheet: &Sheet,
    layout: Layout,
    org: &OrgIndex,
    access: &Access,
) -> Result<Prepared, IoError> {
    prepare_with(kind, sheet, layout, &[], org, access, Surface::Cli)
}

/// [`prepare`] filling values the sheet lacks from `fills` (see [`crate::fill`]).
pub fn prepare_with(
    kind: &LedgerKind,
    sheet: &Sheet,
    layout: Layout,
    fills: &[Fill],
    org: &OrgIndex,
    access: &Access,
    surface: Surface,
) -> Result<Prepared, IoError> {
    prepare_streaming(kind, sheet, layout, fills, org, access, surface, &mut |_| true)
}

/// Rows checked per block by [`prepare_streaming`].
pub const BLOCK_ROWS: usize = 20_000;

/// [`prepare_with`], handing the good rows to `sink` block by block
/// ([`BLOCK_ROWS`] data rows, in file order) while the next block is checked —
/// as long as no row so far was refused. Once a row is refused (or `sink`
/// returns false) `sink` is not called again, and every later row is still
/// checked so that the result lists every error. The result is the same as
/// [`prepare_with`]'s.
#[allow(clippy::too_many_arguments)]
pub fn prepare_streaming(
    kind: &LedgerKind,
    sheet: &Sheet,
    layout: Layout,
    fills: &[Fill],
    org: &OrgIndex,
    access: &Access,
    surface: Surface,
    sink: &mut dyn FnMut(&[&GoodRow]) -> bool,
) -> Result<Prepared, IoError> {
    check_role(kind, access)?;
    let ctx = Ctx {
        surface,
        fills,
        unmapped_required: crate::mapping::unmapped_required(kind, &layout),
        kind,
        layout: &layout,
        org,
        access,
        mapped: layout
            .columns
            .iter()
            .filter_map(|c| {
                let f = c.field.as_deref()?;
                if f == STATE_TARGET {
                    Some((c, None))
                } else {
                    kind.field(f).map(|fd| (c, Some(fd)))
                }
            })
            .collect(),
        extras: extra_names(&layout),
        headers: layout
            .columns
            .iter()
            .filter(|c| c.field.is_some())
            .map(|c| (c.index, normalize_header(&c.header)))
            .collect(),
        states: kind
            .workflow
            .as_ref()
            .map(|w| w.states.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default(),
        unit_key: kind.role_field(FieldRole::Unit).map(|f| f.key.clone()),
        division_key: kind.role_field(FieldRole::Division).map(|f| f.key.clone()),
        owner_key: kind.role_field(FieldRole::Owner).map(|f| f.key.clone()),
    };
    let start = layout.first_data_row().min(sheet.rows.len());
    let data = sheet.rows.get(start..).unwrap_or(&[]);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let run = |offset: usize, rows: &[Vec<Cell>]| -> Vec<Outcome> {
        let mut cache = Cache::new();
        rows.iter()
            .enumerate()
            .map(|(i, cells)| check_row(&ctx, start + offset + i, cells, &mut cache))
            .collect()
    };
    // One block: its rows checked (on all cores when it is big).
    let check_block = |offset: usize, block: &[Vec<Cell>]| -> Result<Vec<Outcome>, IoError> {
        if threads <= 1 || block.len() < PARALLEL_FROM {
            return Ok(run(offset, block));
        }
        let per = block.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = block
                .chunks(per)
                .enumerate()
                .map(|(k, part)| {
                    let run = &run;
                    s.spawn(move || run(offset + k * per, part))
                })
                .collect();
            let mut all = Vec::with_capacity(block.len());
            for h in handles {
                match h.join() {
                    Ok(mut v) => all.append(&mut v),
                    Err(_) => return Err(IoError::Unreadable("校验线程失败 / a checking thread failed".into())),
                }
            }
            Ok(all)
        })
    };
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(data.len());
    let mut streaming = true;
    for (b, block) in data.chunks(BLOCK_ROWS.max(1)).enumerate() {
        let from = outcomes.len();
        outcomes.append(&mut check_block(b * BLOCK_ROWS, block)?);
        let fresh = &outcomes[from..];
        if streaming && fresh.iter().any(|o| matches!(o, Outcome::Bad(_))) {
            streaming = false;
        }
        if streaming {
            let good: Vec<&GoodRow> = fresh
                .iter()
                .filter_map(|o| match o {
                    Outcome::Good(g, _) => Some(g),
                    _ => None,
                })
                .collect();
            if !good.is_empty() {
                streaming = sink(&good);
            }
        }
    }
    let mut out = Prepared {
        ledger: kind.key.clone(),
        sheet: sheet.name.clone(),
        rows: Vec::new(),
        errors: Vec::new(),
        bad_rows: 0,
        skipped: Vec::new(),
        blank_rows: 0,
        layout: layout.clone(),
        filled: Vec::new(),
    };
    let mut counts: HashMap<(usize, usize), usize> = HashMap::new();
    out.rows.reserve(outcomes.len());
    for o in outcomes {
        match o {
            Outcome::Blank => out.blank_rows += 1,
            Outcome::Skip(s) => out.skipped.push(s),
            Outcome::Good(g, f) => {
                out.rows.push(g);
                for k in f {
                    *counts.entry(k).or_default() += 1;
                }
            }
            Outcome::Bad(mut e) => {
                out.bad_rows += 1;
                out.errors.append(&mut e);
            }
        }
    }
    let mut keys: Vec<(usize, usize)> = counts.keys().copied().collect();
    keys.sort_unstable();
    for (fi, si) in keys {
        if let Some(src) = fills.get(fi).and_then(|f| f.sources.get(si)) {
            out.filled.push(Filled {
                field: fills[fi].field.clone(),
                label: fills[fi].label.clone(),
                source: src.clone(),
                rows: counts[&(fi, si)],
            });
        }
    }
    Ok(out)
}

/// A row's value for a fill, from the first source that has one: (value, source index).
fn fill_value(ctx: &Ctx<'_>, f: &FieldDef, fill: &Fill, cells: &[Cell]) -> Option<(Value, usize)> {
    for (si, src) in fill.sources.iter().enumerate() {
        let raw = match src {
            Source::Column { index, .. } => match cells.get(*index) {
                Some(c) if !c.is_empty() => cell_value(c, f, None, ctx.org).ok(),
                _ => None,
            },
            Source::DivisionIn { indexes, .. } => indexes
                .iter()
                .filter_map(|i| cells.get(*i))
                .find_map(|c| ctx.org.township_in(&c.text()))
                .map(Value::String),
            Source::Set { value } => cell_value(&Cell::Text(value.clone()), f, None, ctx.org).ok(),
            Source::OwnDivision { code } => Some(Value::String(code.clone())),
        };
        if let Some(Ok(Some(v))) = raw.map(|r| f.validate(&r)) {
            return Some((v, si));
        }
    }
    None
}

fn check_row(ctx: &Ctx<'_>, ri: usize, cells: &[Cell], cache: &mut Cache) -> Outcome {
    let (layout, access) = (ctx.layout, ctx.access);
    let row_no = ri + 1;
    if cells.iter().all(Cell::is_empty) {
        return Outcome::Blank;
    }
    if let Some(r) = row_kind(cells, &ctx.headers) {
        return Outcome::Skip(Skipped { row: row_no, reason: r });
    }
    // Only a 序号 (a pre-numbered template row) counts as blank too.
    if ctx
        .mapped
        .iter()
        .all(|(c, _)| cells.get(c.index).is_none_or(Cell::is_empty))
    {
        return Outcome::Blank;
    }
    let mut fields = Fields::new();
    let mut state = None;
    let mut row_errors: Vec<CellError> = Vec::new();
    for (col, fd) in &ctx.mapped {
        let cell = cells.get(col.index).unwrap_or(&Cell::Empty);
        let err = |kind: ErrorKind, message: String| CellError {
            row: row_no,
            column: col.header.clone(),
            letter: col.letter.clone(),
            field: col.field.clone(),
            value: cell.text(),
            kind,
            message,
        };
        let Some(f) = fd else {
            // The 状态 column.
            if !cell.is_empty() {
                let s = cell.text().trim().to_string();
                if ctx.states.contains(&s) {
                    state = Some(s);
                } else {
                    row_errors.push(err(
                        ErrorKind::UnknownState,
                        format!("“{s}”不是本台账的状态（可选：{}）", ctx.states.join("、")),
                    ));
                }
            }
            continue;
        };
        let is_ref = matches!(f.ty, FieldType::Unit | FieldType::Person | FieldType::Division);
        let raw = if is_ref && let Cell::Text(t) = cell {
            match cache.get(&(col.index, t.clone())) {
                Some(v) => v.clone(),
                None => {
                    let v = cell_value(cell, f, col.unit, ctx.org);
                    if cache.len() < 100_000 {
                        cache.insert((col.index, t.clone()), v.clone());
                    }
                    v
                }
            }
        } else {
            cell_value(cell, f, col.unit, ctx.org)
        };
        match raw {
            Err(r) => row_errors.push(err(r.kind, r.message)),
            Ok(raw) => match f.validate(&raw) {
                Ok(Some(v)) => {
                    fields.insert(f.key.clone(), v);
                }
                Ok(None) if f.required => row_errors.push(err(ErrorKind::Required, "必填，不能为空".into())),
                Ok(None) => {}
                Err(e) => row_errors.push(err(ErrorKind::Invalid, e.message)),
            },
        }
    }
    let mut took = Vec::new();
    for (fi, fill) in ctx.fills.iter().enumerate() {
        if fields.get(&fill.field).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let Some(f) = ctx.kind.field(&fill.field) else { continue };
        if let Some((v, si)) = fill_value(ctx, f, fill, cells) {
            // A value derived from the row's own cells clears the cell's "required" error.
            row_errors.retain(|e| !(e.kind == ErrorKind::Required && e.field.as_deref() == Some(f.key.as_str())));
            fields.insert(f.key.clone(), v);
            took.push((fi, si));
        }
    }
    for f in &ctx.unmapped_required {
        if fields.get(&f.key).is_none_or(|v| v.is_null()) {
            let hint = ctx
                .fills
                .iter()
                .find(|x| x.field == f.key)
                .map(|x| x.sources.iter().map(Source::describe).collect::<Vec<_>>().join("、"))
                .unwrap_or_default();
            row_errors.push(CellError {
                row: row_no,
                column: f.label.clone(),
                letter: String::new(),
                field: Some(f.key.clone()),
                value: String::new(),
                kind: ErrorKind::Required,
                message: if hint.is_empty() {
                    format!("必填“{}”没有值（{}）", f.label, ctx.surface.set_hint(&f.label))
                } else {
                    format!(
                        "必填“{}”没有值：{hint}都没有给出（{}）",
                        f.label,
                        ctx.surface.set_hint(&f.label)
                    )
                },
            });
        }
    }
    if !ctx.extras.is_empty() {
        let mut extra = serde_json::Map::new();
        for (col, name) in &ctx.extras {
            if let Some(cell) = cells.get(col.index).filter(|c| !c.is_empty()) {
                extra.insert(name.clone(), Value::String(cell.text().trim().to_string()));
            }
        }
        match lvzhi_core::ledger::validate_extra(&Value::Object(extra)) {
            Ok(Some(v)) => {
                fields.insert(EXTRA_KEY.to_string(), v);
            }
            Ok(None) => {}
            Err(e) => row_errors.push(CellError {
                row: row_no,
                column: String::new(),
                letter: String::new(),
                field: Some(EXTRA_KEY.to_string()),
                value: String::new(),
                kind: ErrorKind::Invalid,
                message: format!("附加信息：{}", e.message),
            }),
        }
    }
    if row_errors.is_empty() {
        // The store's scope rule, ahead of the store.
        let get_i = |k: &Option<String>| k.as_ref().and_then(|k| fields.get(k)).and_then(Value::as_i64);
        let mut unit = get_i(&ctx.unit_key);
        if unit.is_none() && matches!(access.role, Role::UnitClerk | Role::UnitHead) && ctx.unit_key.is_some() {
            unit = access.unit;
        }
        let division = ctx
            .division_key
            .as_ref()
            .and_then(|k| fields.get(k))
            .and_then(Value::as_str);
        let scope = RecordScope {
            unit,
            source_unit: access.unit,
            division,
            owner: get_i(&ctx.owner_key),
            co_units: &[],
        };
        if !access.may_place_in(division) || !access.sees(&scope) {
            let col = layout
                .columns
                .iter()
                .find(|c| c.field.is_some() && c.field == ctx.division_key)
                .or_else(|| {
                    layout
                        .columns
                        .iter()
                        .find(|c| c.field.is_some() && c.field == ctx.unit_key)
                });
            row_errors.push(CellError {
                row: row_no,
                column: col.map(|c| c.header.clone()).unwrap_or_default(),
                letter: col.map(|c| c.letter.clone()).unwrap_or_default(),
                field: col.and_then(|c| c.field.clone()),
                value: col.and_then(|c| cells.get(c.index)).map(Cell::text).unwrap_or_default(),
                kind: ErrorKind::OutOfScope,
                message: "超出本人权限范围：不能为其他乡镇或单位登记记录".into(),
            });
        }
    }
    let _ = ctx.kind;
    if row_errors.is_empty() {
        Outcome::Good(
            GoodRow {
                row: row_no,
                fields,
                state,
            },
            took,
        )
    } else {
        Outcome::Bad(row_errors)
    }
}
