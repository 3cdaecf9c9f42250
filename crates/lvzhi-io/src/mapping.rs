//! Finding the table in a sheet and mapping its columns to fields.
//!
//! Real ledger sheets have title rows above the header ("XX县2026年安全隐患排查
//! 整治台账", "填报单位：… 填报日期：…"), often a two-row header whose upper row
//! groups columns ("整改情况" over "整改措施 | 完成时限"), a 序号 column, blank
//! rows, and 合计 rows and signatures at the bottom. The header is the row (or
//! pair of rows) among the first [`HEADER_SCAN`] whose cells name the most
//! fields, by label, alias or key. A saved [`Mapping`] (TOML) pins the header
//! rows and any column whose name is not a label or alias.

use crate::IoError;
use crate::sheet::{Sheet, column_letter};
use crate::vocab::{AUTO, Form, Matcher, SUGGEST};
use lvzhi_core::ledger::LedgerKind;
use lvzhi_core::money::MoneyUnit;
use lvzhi_core::vocabulary::Vocabulary;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many leading rows may hold the header.
pub const HEADER_SCAN: usize = 30;

/// The target of a column that sets the record's workflow state.
pub const STATE_TARGET: &str = "@state";

/// The target of a column kept as extra information on the record.
pub const EXTRA_TARGET: &str = "@extra";

/// A mapping saved for reuse: header text → field key ("" ignores the column).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The ledger the mapping is for.
    #[serde(default)]
    pub ledger: Option<String>,
    /// The header's first row, 1-based (found when absent).
    #[serde(default)]
    pub header_row: Option<usize>,
    /// Header rows: 1 or 2 (found when absent).
    #[serde(default)]
    pub header_rows: Option<usize>,
    /// Header text → field key (or `@state`, `@extra` to keep as extra information,
    /// or "" to ignore).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

impl Mapping {
    /// Parses a mapping file.
    pub fn from_toml(text: &str) -> Result<Mapping, IoError> {
        toml::from_str(text).map_err(|e| IoError::Mapping(e.to_string()))
    }

    /// The mapping as TOML, to save and reuse.
    pub fn to_toml(&self) -> String {
        let mut s = String::from("# lvzhi 导入列映射 / import column mapping\n");
        if let Some(l) = &self.ledger {
            s.push_str(&format!("ledger = {}\n", toml_str(l)));
        }
        if let Some(r) = self.header_row {
            s.push_str(&format!("header_row = {r}\n"));
        }
        if let Some(r) = self.header_rows {
            s.push_str(&format!("header_rows = {r}\n"));
        }
        s.push_str("\n[columns]\n");
        for (k, v) in &self.columns {
            s.push_str(&format!("{} = {}\n", toml_str(k), toml_str(v)));
        }
        s
    }

    /// Checks every target is a field of `kind`.
    pub fn check(&self, kind: &LedgerKind) -> Result<(), IoError> {
        if let Some(l) = &self.ledger
            && l != &kind.key
        {
            return Err(IoError::Mapping(format!(
                "映射文件是台账“{l}”的，不是“{}”的 / mapping is for another ledger",
                kind.key
            )));
        }
        for (h, f) in &self.columns {
            if !f.is_empty() && f != STATE_TARGET && f != EXTRA_TARGET && kind.field(f).is_none() {
                return Err(IoError::Mapping(format!(
                    "列“{h}”映射到的字段“{f}”不在台账“{}”中 / unknown field",
                    kind.name
                )));
            }
        }
        Ok(())
    }
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One column of the table and the field it fills.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// 0-based column index.
    pub index: usize,
    /// Its letter (A, B…).
    pub letter: String,
    /// The header as written (the lower row's text under a group header).
    pub header: String,
    /// The group header above it in a two-row header ("整改情况" over "整改措施").
    pub group: Option<String>,
    /// Whether the column, having no field, comes in as extra information on the
    /// record (not for 序号 columns or columns the mapping ignores).
    pub extra: bool,
    /// The field key, `@state`, or None when ignored.
    pub field: Option<String>,
    /// A money unit named in the header ("金额（万元）").
    pub unit: Option<MoneyUnit>,
    /// Fields this column may be, when it is not mapped with confidence (best first).
    pub suggestions: Vec<Suggestion>,
}

/// A field a column may be: offered to the clerk, never applied without them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The field key.
    pub field: String,
    /// The field's label.
    pub label: String,
    /// How alike the header and the field's names are, 0–100.
    pub score: u8,
    /// Why, in Chinese ("“治理期限”≈“整改期限”").
    pub reason: String,
}

/// Where the table is and what each column holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    /// The header's first row, 0-based.
    pub header_row: usize,
    /// 1 or 2.
    pub header_rows: usize,
    /// Every column with a header.
    pub columns: Vec<Column>,
}

impl Column {
    /// The name the column's cells get as extra information: the header, under a
    /// group header "组/列" ("整改情况/未治理").
    pub fn extra_name(&self) -> String {
        match &self.group {
            Some(g) => format!("{g}/{}", self.header),
            None => self.header.clone(),
        }
    }
}

impl Layout {
    /// The first data row, 0-based.
    pub fn first_data_row(&self) -> usize {
        self.header_row + self.header_rows
    }

    /// The mapping this layout amounts to (to save).
    pub fn to_mapping(&self, ledger: &str) -> Mapping {
        Mapping {
            ledger: Some(ledger.to_string()),
            header_row: Some(self.header_row + 1),
            header_rows: Some(self.header_rows),
            columns: self
                .columns
                .iter()
                .map(|c| {
                    let target = match &c.field {
                        Some(f) => f.clone(),
                        None if c.extra => EXTRA_TARGET.to_string(),
                        None => String::new(),
                    };
                    (c.header.clone(), target)
                })
                .collect(),
        }
    }
}

/// A header's text made comparable: no blanks, no required-marks, ASCII parentheses.
pub fn normalize_header(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '＊' | '★' | '※'))
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            _ => c,
        })
        .collect()
}

/// The money unit a header names ("(万元)", "单位:亿元", "金额万元").
pub fn header_unit(s: &str) -> Option<MoneyUnit> {
    let n = normalize_header(s);
    if n.contains("亿元") {
        Some(MoneyUnit::Yi)
    } else if n.contains("万元") {
        Some(MoneyUnit::Wan)
    } else if n.contains("(元)") || n.ends_with("元)") || n.ends_with(":元") {
        Some(MoneyUnit::Yuan)
    } else {
        None
    }
}

/// The names a state column goes by.
const STATE_NAMES: [&str; 5] = ["状态", "办理状态", "当前状态", "整改状态", "流程状态"];

/// Headers of columns that number or select rows, or carry the record number of an
/// export (编号): never data.
const ROW_NUMBER_NAMES: [&str; 10] = [
    "序号",
    "序",
    "行号",
    "选择",
    "操作",
    "NO",
    "No",
    "No.",
    "编号",
    "系统编号",
];

/// The field a header names with confidence (no vocabulary: label, alias or key,
/// after normalisation), as [`find_layout`] would map a one-column table.
pub fn match_header(kind: &LedgerKind, header: &str) -> Option<String> {
    let index = FieldIndex::new(kind, &Vocabulary::default());
    let names = [(0, header.to_string(), vec![header.to_string()], None)];
    resolve(kind, &index, &Mapping::default(), &names)
        .into_iter()
        .next()
        .and_then(|c| c.field)
}

/// A field's key, label, and its names' forms with each name as written.
type FieldNames = (String, String, Vec<(Form, String)>);

/// Every field's names (label, aliases, key) read through the vocabulary, once per table.
struct FieldIndex {
    matcher: Matcher,
    /// (field key, label, its names' forms with the name as written).
    fields: Vec<FieldNames>,
    states: Vec<String>,
}

impl FieldIndex {
    fn new(kind: &LedgerKind, vocab: &Vocabulary) -> FieldIndex {
        let matcher = Matcher::new(vocab);
        let fields = kind
            .fields
            .iter()
            .map(|f| {
                let mut forms = Vec::new();
                for name in std::iter::once(&f.label).chain(&f.aliases) {
                    for form in matcher.forms(name) {
                        forms.push((form, name.clone()));
                    }
                }
                forms.push((
                    Form {
                        text: f.key.clone(),
                        weight: 100,
                    },
                    f.key.clone(),
                ));
                (f.key.clone(), f.label.clone(), forms)
            })
            .collect();
        let states = if kind.workflow.is_some() {
            STATE_NAMES.iter().map(|s| matcher.canon(s)).collect()
        } else {
            Vec::new()
        };
        FieldIndex {
            matcher,
            fields,
            states,
        }
    }

    /// Each field's best score for a column's candidate texts, best first.
    fn scores(&self, cands: &[String]) -> Vec<Suggestion> {
        // A grouped column's qualifiers are its group's too ("2026年计划" over "投资").
        let whole = if cands.len() >= 3 { cands.last() } else { cands.first() }
            .cloned()
            .unwrap_or_default();
        let quals_owned: Vec<String> = self
            .matcher
            .qualifiers(&self.matcher.canon(&whole))
            .into_iter()
            .map(str::to_string)
            .collect();
        let quals: Vec<&str> = quals_owned.iter().map(String::as_str).collect();
        let forms: Vec<Form> = cands.iter().flat_map(|c| self.matcher.forms(c)).collect();
        let mut out: Vec<Suggestion> = Vec::new();
        for (key, label, names) in &self.fields {
            let mut best: Option<Suggestion> = None;
            for hf in &forms {
                for (nf, name) in names {
                    let exact_key = hf.text.eq_ignore_ascii_case(key) && nf.text == *key;
                    let (score, why) = if exact_key {
                        (100, "相同")
                    } else if nf.text == *key {
                        continue;
                    } else {
                        self.matcher.score(hf, nf, &quals)
                    };
                    if score > best.as_ref().map_or(0, |b| b.score) {
                        best = Some(Suggestion {
                            field: key.clone(),
                            label: label.clone(),
                            score,
                            reason: reason(why, name),
                        });
                    }
                }
            }
            if let Some(b) = best.filter(|b| b.score >= SUGGEST) {
                out.push(b);
            }
        }
        if forms.iter().any(|f| self.states.contains(&f.text)) {
            out.push(Suggestion {
                field: STATE_TARGET.to_string(),
                label: "状态".into(),
                score: 100,
                reason: "是状态列".into(),
            });
        }
        out.sort_by_key(|x| std::cmp::Reverse(x.score));
        out
    }
}

fn reason(why: &str, name: &str) -> String {
    match why {
        "相同" => format!("与“{name}”相同"),
        "以其结尾" => format!("以“{name}”结尾"),
        "是其简称" => format!("是“{name}”的简称"),
        _ => format!("与“{name}”字面相近"),
    }
}

/// Whether a row holds at most one distinct text (a title, merged across the row or
/// not), or only "标签：值" notes (填报单位：…  单位：万元).
fn is_title_row(sheet: &Sheet, row: usize) -> bool {
    let width = sheet.rows.get(row).map_or(0, Vec::len);
    let mut texts: Vec<String> = (0..width)
        .map(|c| sheet.cell(row, c).text().trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    texts.dedup();
    texts.len() <= 1 || texts.iter().all(|t| t.contains(':') || t.contains('：'))
}

/// A column's header: (index, shown text, candidate texts, group text above it).
type HeaderName = (usize, String, Vec<String>, Option<String>);

fn header_names(sheet: &Sheet, row: usize, rows: usize) -> Vec<HeaderName> {
    let len = |r: usize| sheet.rows.get(r).map_or(0, Vec::len);
    let width = if rows == 2 {
        len(row).max(len(row + 1))
    } else {
        len(row)
    };
    let mut out = Vec::new();
    // The group over the columns so far: a group header not merged across its
    // sub-columns (a CSV, or a sheet without merges) stands over the first one only,
    // and the sub-columns after it have an empty upper cell.
    // Not from a title row ("报送部门：…  单位：万元" is no group).
    let carry = rows == 2 && !is_title_row(sheet, row);
    let mut run: Option<String> = None;
    for c in 0..width {
        let mut upper = sheet.cell(row, c).text().trim().to_string();
        let lower = if rows == 2 {
            sheet.cell(row + 1, c).text().trim().to_string()
        } else {
            String::new()
        };
        if carry {
            match (upper.is_empty(), lower.is_empty(), &run) {
                (true, false, Some(g)) => upper = g.clone(),
                (false, false, _) if upper != lower => run = Some(upper.clone()),
                _ => run = None,
            }
        }
        let mut cands = Vec::new();
        let shown = if !lower.is_empty() {
            lower.clone()
        } else {
            upper.clone()
        };
        if shown.is_empty() {
            continue;
        }
        if !lower.is_empty() {
            cands.push(lower.clone());
        }
        if !upper.is_empty() {
            cands.push(upper.clone());
        }
        let mut group = None;
        if !lower.is_empty() && !upper.is_empty() && lower != upper {
            cands.push(format!("{upper}{lower}"));
            group = Some(upper.clone());
        }
        out.push((c, shown, cands, group));
    }
    out
}

fn resolve(kind: &LedgerKind, index: &FieldIndex, mapping: &Mapping, names: &[HeaderName]) -> Vec<Column> {
    let mut cols: Vec<Column> = Vec::with_capacity(names.len());
    let mut pinned: Vec<bool> = Vec::with_capacity(names.len());
    let mut scored: Vec<Vec<Suggestion>> = Vec::with_capacity(names.len());
    for (c, shown, cands, group) in names {
        let mut field = None;
        let mut pin = false;
        let mut keep = false;
        for cand in cands {
            if let Some(f) = mapping
                .columns
                .get(cand)
                .or_else(|| mapping.columns.get(&normalize_header(cand)))
            {
                keep = f == EXTRA_TARGET;
                field = (!f.is_empty() && !keep).then(|| f.clone());
                pin = true;
                break;
            }
        }
        // A column that numbers rows (序号, an export's 编号) is scored only when a field is
        // labelled with its very name (建议提案's 编号): an alias is not enough (督办编号's
        // alias 编号 would take an export's record numbers).
        let norm = normalize_header(shown);
        let row_number = ROW_NUMBER_NAMES.contains(&norm.as_str());
        let own_label = row_number && kind.fields.iter().any(|f| normalize_header(&f.label) == norm);
        scored.push(if pin || (row_number && !own_label) {
            Vec::new()
        } else {
            index.scores(cands)
        });
        cols.push(Column {
            index: *c,
            letter: column_letter(*c),
            header: shown.clone(),
            group: group.clone(),
            unit: cands.iter().find_map(|h| header_unit(h)),
            extra: keep || (!pin && !row_number),
            field,
            suggestions: Vec::new(),
        });
        pinned.push(pin);
    }
    // Pinned fields are taken; the rest go to the best-scoring column, highest
    // score first. A column whose two best fields tie, or a field two columns
    // claim with the same score, is left to the clerk.
    let mut used: std::collections::HashSet<String> = cols.iter().filter_map(|c| c.field.clone()).collect();
    let mut claims: Vec<(u8, usize, String)> = Vec::new();
    for (i, s) in scored.iter().enumerate() {
        let Some(best) = s.first().filter(|b| b.score >= AUTO) else {
            continue;
        };
        if s.get(1).is_some_and(|n| n.score == best.score) {
            continue;
        }
        for x in s.iter().filter(|x| x.score >= AUTO) {
            claims.push((x.score, i, x.field.clone()));
        }
    }
    claims.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut contested: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (k, (score, i, f)) in claims.iter().enumerate() {
        if cols[*i].field.is_some() || used.contains(f) || contested.contains(f) {
            continue;
        }
        let rival = claims
            .iter()
            .enumerate()
            .any(|(k2, (s2, i2, f2))| k2 != k && s2 == score && f2 == f && i2 != i && cols[*i2].field.is_none());
        if rival {
            contested.insert(f.clone());
            continue;
        }
        cols[*i].field = Some(f.clone());
        used.insert(f.clone());
    }
    for (i, col) in cols.iter_mut().enumerate() {
        if col.field.is_some() {
            col.extra = false;
            continue;
        }
        if pinned[i] {
            continue;
        }
        col.suggestions = scored[i]
            .iter()
            .filter(|x| !used.contains(&x.field))
            .take(3)
            .cloned()
            .collect();
    }
    cols
}

/// Finds the header and maps the columns; refuses a table without a column for
/// a required field. Reads headers without a vocabulary (see [`layout_with`]).
pub fn layout(sheet: &Sheet, kind: &LedgerKind, mapping: &Mapping) -> Result<Layout, IoError> {
    layout_with(sheet, kind, &Vocabulary::default(), mapping)
}

/// [`layout`] reading headers through a pack's vocabulary.
pub fn layout_with(sheet: &Sheet, kind: &LedgerKind, vocab: &Vocabulary, mapping: &Mapping) -> Result<Layout, IoError> {
    let layout = find_layout_with(sheet, kind, vocab, mapping)?;
    let missing = missing_required(kind, &layout);
    if !missing.is_empty() {
        return Err(IoError::MissingColumns(missing.iter().map(|s| s.to_string()).collect()));
    }
    Ok(layout)
}

/// The labels of required fields no column fills.
pub fn missing_required<'k>(kind: &'k LedgerKind, layout: &Layout) -> Vec<&'k str> {
    unmapped_required(kind, layout)
        .into_iter()
        .map(|f| f.label.as_str())
        .collect()
}

/// The required fields no column fills.
pub fn unmapped_required<'k>(kind: &'k LedgerKind, layout: &Layout) -> Vec<&'k lvzhi_core::field::FieldDef> {
    kind.fields
        .iter()
        .filter(|f| {
            f.required
                && !layout
                    .columns
                    .iter()
                    .any(|c| c.field.as_deref() == Some(f.key.as_str()))
        })
        .collect()
}

/// Finds the header and maps the columns (whether or not every required field has
/// one), without a vocabulary.
pub fn find_layout(sheet: &Sheet, kind: &LedgerKind, mapping: &Mapping) -> Result<Layout, IoError> {
    find_layout_with(sheet, kind, &Vocabulary::default(), mapping)
}

/// Finds the header and maps the columns through a pack's vocabulary.
pub fn find_layout_with(
    sheet: &Sheet,
    kind: &LedgerKind,
    vocab: &Vocabulary,
    mapping: &Mapping,
) -> Result<Layout, IoError> {
    mapping.check(kind)?;
    let index = FieldIndex::new(kind, vocab);
    let score = |cols: &[Column]| cols.iter().filter(|c| c.field.is_some()).count();
    let candidates: Vec<(usize, usize)> = match (mapping.header_row, mapping.header_rows) {
        (Some(r), Some(n)) => vec![(r.saturating_sub(1), n.clamp(1, 2))],
        (Some(r), None) => vec![(r.saturating_sub(1), 1), (r.saturating_sub(1), 2)],
        (None, n) => (0..sheet.rows.len().min(HEADER_SCAN))
            .flat_map(|r| match n {
                Some(n) => vec![(r, n.clamp(1, 2))],
                None => vec![(r, 1), (r, 2)],
            })
            .collect(),
    };
    let mut best: Option<(usize, Layout)> = None;
    for (r, n) in candidates {
        let names = header_names(sheet, r, n);
        // Two rows where a group header stands over two or more sub-columns.
        let grouped = n == 2 && {
            let groups: Vec<&String> = names.iter().filter_map(|x| x.3.as_ref()).collect();
            groups.iter().enumerate().any(|(i, g)| groups[i + 1..].contains(g))
        };
        let cols = resolve(kind, &index, mapping, &names);
        let s = score(&cols);
        // A better match wins; so does, at an equal match, a one-row header ending where a
        // two-row one did when the upper row of that one is a title (one text across the row,
        // e.g. "XX县2026年安全隐患排查整治台账", or only "填报单位：…" notes), not a row of
        // group headers.
        let better = match &best {
            None => s > 0,
            Some((bs, b)) => {
                s > *bs
                    || (s == *bs
                        && n < b.header_rows
                        && r + n == b.header_row + b.header_rows
                        && is_title_row(sheet, b.header_row))
                    // …and, at an equal match, a grouped two-row header over the one-row
                    // header of its upper row (whose sub-columns would lose their names).
                    || (s == *bs && grouped && b.header_rows == 1 && b.header_row == r)
            }
        };
        if better {
            best = Some((
                s,
                Layout {
                    header_row: r,
                    header_rows: n,
                    columns: cols,
                },
            ));
        }
    }
    let Some((_, layout)) = best else {
        let names: Vec<&str> = kind.fields.iter().map(|f| f.label.as_str()).collect();
        return Err(IoError::NoHeader(format!(
            "前{HEADER_SCAN}行中没有找到表头：没有一列的名称是“{}”台账的字段（{}） / no header row found",
            kind.name,
            names.join("、")
        )));
    };
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_normalise() {
        assert_eq!(normalize_header(" 隐患\n描述* "), "隐患描述");
        assert_eq!(header_unit("总投资（万元）"), Some(MoneyUnit::Wan));
        assert_eq!(header_unit("金额(元)"), Some(MoneyUnit::Yuan));
        assert_eq!(header_unit("单位：亿元"), Some(MoneyUnit::Yi));
        assert_eq!(header_unit("隐患描述"), None);
    }

    #[test]
    fn mapping_round_trips_as_toml() {
        let mut m = Mapping {
            ledger: Some("hazard".into()),
            header_row: Some(3),
            header_rows: Some(2),
            ..Mapping::default()
        };
        m.columns.insert("存在的\"问题\"".into(), "description".into());
        m.columns.insert("序号".into(), String::new());
        m.columns.insert("督办领导".into(), EXTRA_TARGET.into());
        assert_eq!(Mapping::from_toml(&m.to_toml()).unwrap(), m);
        assert!(Mapping::from_toml("bogus = 1").is_err());
    }
}
