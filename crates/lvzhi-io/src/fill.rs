//! Values a sheet lacks: derived where the data allow it, otherwise set once for
//! the whole file.
//!
//! Real sheets seldom carry every field the pack requires. Before a file is
//! refused with `缺少必填列`, each such field gets a [`Fill`]: the sources its
//! value may come from, tried in order for every row that has none —
//! 1. another column the pack's vocabulary names for it (`[[derive]]`:
//!    发现日期 from 检查时间);
//! 2. for the 乡镇 (division) field, a township name inside an address or unit
//!    column (`division_from`: "西洞镇红林村三组" → 西洞镇);
//! 3. a value set for the whole file (`lvzhi import --set 行业=工贸`, the mapping
//!    screen's 统一设定);
//! 4. for the 乡镇 field, the importing clerk's own township.
//!
//! A required field with no source is refused up front, naming it and `--set`.
//! The preview and the CLI say which values were derived and from what
//! ([`Prepared::filled`](crate::prepare::Prepared)).

use crate::IoError;
use crate::mapping::Layout;
use crate::vocab::Matcher;
use lvzhi_core::access::Access;
use lvzhi_core::field::{FieldRole, FieldType};
use lvzhi_core::ledger::LedgerKind;
use lvzhi_core::vocabulary::Vocabulary;
use serde::Serialize;

/// Where a value may come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Another column's cell.
    Column {
        /// The column's index.
        index: usize,
        /// Its header.
        header: String,
    },
    /// A township name inside these columns' cells.
    DivisionIn {
        /// The columns' indexes.
        indexes: Vec<usize>,
        /// Their headers.
        headers: Vec<String>,
    },
    /// A value set for the whole file.
    Set {
        /// The value as given.
        value: String,
    },
    /// The importing clerk's own township.
    OwnDivision {
        /// Its code.
        code: String,
    },
}

impl Source {
    /// In Chinese, for the preview: "“检查时间”列", "统一设定值“工贸”".
    pub fn describe(&self) -> String {
        match self {
            Source::Column { header, .. } => format!("“{header}”列"),
            Source::DivisionIn { headers, .. } => format!(
                "{}中的乡镇名",
                headers.iter().map(|h| format!("“{h}”")).collect::<Vec<_>>().join("、")
            ),
            Source::Set { value } => format!("统一设定值“{value}”"),
            Source::OwnDivision { .. } => "导入人所在乡镇".into(),
        }
    }
}

/// A field's sources, tried in order for rows without a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fill {
    /// The field key.
    pub field: String,
    /// The field's label.
    pub label: String,
    /// The sources, best first.
    pub sources: Vec<Source>,
}

/// How many rows took a value from one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filled {
    /// The field key.
    pub field: String,
    /// The field's label.
    pub label: String,
    /// The source.
    pub source: Source,
    /// Rows that took their value from it.
    pub rows: usize,
}

impl Filled {
    /// "乡镇 ← “隐患地址”中的乡镇名（2行）".
    pub fn chinese(&self) -> String {
        format!("{} ← {}（{}行）", self.label, self.source.describe(), self.rows)
    }
}

/// Parses `字段=值` (the field by label or key; `＝` too).
pub fn parse_set(kind: &LedgerKind, text: &str) -> Result<(String, String), IoError> {
    let (name, value) = text
        .split_once('=')
        .or_else(|| text.split_once('＝'))
        .ok_or_else(|| IoError::Mapping(format!("“{text}”应写作“字段=值”，如 行业=工贸")))?;
    let (name, value) = (name.trim(), value.trim());
    let f = kind
        .fields
        .iter()
        .find(|f| f.label == name || f.key == name)
        .ok_or_else(|| IoError::Mapping(format!("“{}”台账没有字段“{name}”（--set 字段=值）", kind.name)))?;
    if value.is_empty() {
        return Err(IoError::Mapping(format!("--set {name}= 缺少值")));
    }
    Ok((f.key.clone(), value.to_string()))
}

/// The fills for a table: every field given a value with `set` (field key → value),
/// and every required field without a column. Refuses a required field no source fills.
pub fn plan(
    kind: &LedgerKind,
    layout: &Layout,
    vocab: &Vocabulary,
    set: &[(String, String)],
    access: &Access,
) -> Result<Vec<Fill>, IoError> {
    let m = Matcher::new(vocab);
    let has_column = |key: &str| layout.columns.iter().any(|c| c.field.as_deref() == Some(key));
    let column_named = |names: &[String]| -> Vec<(usize, String)> {
        let wanted: Vec<String> = names.iter().map(|n| m.canon(n)).collect();
        let mut out = Vec::new();
        for w in &wanted {
            for c in &layout.columns {
                if c.field.is_none() && m.canon(&c.extra_name()) == *w && !out.iter().any(|(i, _)| *i == c.index) {
                    out.push((c.index, c.extra_name()));
                }
            }
        }
        out
    };
    let mut fills = Vec::new();
    let mut missing = Vec::new();
    for f in &kind.fields {
        let given = set.iter().find(|(k, _)| *k == f.key).map(|(_, v)| v.clone());
        if has_column(&f.key) && given.is_none() {
            continue;
        }
        if !f.required && given.is_none() {
            continue;
        }
        let mut sources = Vec::new();
        if !has_column(&f.key) {
            for rule in vocab.derive.iter().filter(|r| r.ledger == kind.key && r.field == f.key) {
                for (index, header) in column_named(&rule.from) {
                    sources.push(Source::Column { index, header });
                }
            }
            if f.role == Some(FieldRole::Division) && f.ty == FieldType::Division {
                let words: Vec<String> = vocab.division_from.iter().map(|w| m.canon(w)).collect();
                let cols: Vec<(usize, String)> = layout
                    .columns
                    .iter()
                    .filter(|c| c.field.as_deref() != Some(f.key.as_str()))
                    .filter(|c| {
                        let h = m.canon(&c.extra_name());
                        words.iter().any(|w| h.contains(w.as_str()))
                    })
                    .map(|c| (c.index, c.extra_name()))
                    .collect();
                if !cols.is_empty() {
                    sources.push(Source::DivisionIn {
                        indexes: cols.iter().map(|(i, _)| *i).collect(),
                        headers: cols.into_iter().map(|(_, h)| h).collect(),
                    });
                }
            }
        }
        if let Some(value) = given {
            sources.push(Source::Set { value });
        }
        if f.role == Some(FieldRole::Division)
            && let Some(code) = access.division.clone()
        {
            sources.push(Source::OwnDivision { code });
        }
        if sources.is_empty() {
            if f.required {
                missing.push(f.label.clone());
            }
            continue;
        }
        fills.push(Fill {
            field: f.key.clone(),
            label: f.label.clone(),
            sources,
        });
    }
    if !missing.is_empty() {
        return Err(IoError::MissingColumns(missing));
    }
    Ok(fills)
}
