//! The `lvzhi indicators` and `lvzhi warnings` commands' output: a table for
//! people, JSON (a list of objects) and CSV (UTF-8 with BOM, for Excel/WPS)
//! for programs.

use crate::Engine;
use crate::eval::{EvalError, IndicatorValue};
use crate::scope::Scope;
use crate::warn::Warning;
use jiff::civil::Date;
use lvzhi_core::period::Period;
use lvzhi_store::Store;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// A JSON list.
    Json,
    /// CSV with a header.
    Csv,
}

impl Format {
    /// Parses `table`, `json` or `csv`.
    pub fn parse(s: &str) -> Result<Format, EvalError> {
        match s {
            "table" | "" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            o => Err(EvalError::Bad(format!("输出格式“{o}”无效（可选：table、json、csv）"))),
        }
    }
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) < 0x1100 { 1 } else { 2 }).sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, EvalError> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| EvalError::Bad(e.to_string()))
}

/// Renders indicator values.
pub fn values(items: &[IndicatorValue], f: Format) -> Result<String, EvalError> {
    match f {
        Format::Json => json(&items),
        Format::Csv => {
            let mut out = String::from("\u{feff}id,name,category,period,span,scope,value,unit,display,records\n");
            for v in items {
                let row = [
                    v.id.clone(),
                    v.name.clone(),
                    v.category.clone(),
                    v.period.clone(),
                    v.span.clone(),
                    v.scope.clone(),
                    v.value.clone().unwrap_or_default(),
                    v.unit.clone(),
                    v.display.clone(),
                    v.records.to_string(),
                ];
                out.push_str(&row.iter().map(|s| csv(s)).collect::<Vec<_>>().join(","));
                out.push('\n');
            }
            Ok(out)
        }
        Format::Table => {
            let head = ["类别", "指标", "数值", "记录数"];
            let rows: Vec<[String; 4]> = items
                .iter()
                .map(|v| {
                    [
                        v.category.clone(),
                        v.name.clone(),
                        v.display.clone(),
                        v.records.to_string(),
                    ]
                })
                .collect();
            let mut w = head.map(width);
            for r in &rows {
                for (i, c) in r.iter().enumerate() {
                    w[i] = w[i].max(width(c));
                }
            }
            let mut out = String::new();
            if let Some(first) = items.first() {
                let label = crate::eval::common_label(items).unwrap_or_else(|| first.period_label.clone());
                out.push_str(&format!("{label}（{}）\n", first.scope));
            }
            let line = |r: [&str; 4]| {
                let cells: Vec<String> = r.iter().enumerate().map(|(i, c)| pad(c, w[i])).collect();
                cells.join("  ").trim_end().to_string() + "\n"
            };
            out.push_str(&line(head));
            for r in &rows {
                out.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
            }
            Ok(out)
        }
    }
}

/// Renders warnings.
pub fn warnings(items: &[Warning], f: Format) -> Result<String, EvalError> {
    match f {
        Format::Json => json(&items),
        Format::Csv => {
            let mut out = String::from("\u{feff}id,rule,name,level,subject,message,records,acknowledged\n");
            for w in items {
                let row = [
                    w.id.clone(),
                    w.rule.clone(),
                    w.name.clone(),
                    w.level.clone(),
                    w.subject.clone(),
                    w.message.clone(),
                    w.records.len().to_string(),
                    w.ack.as_ref().map(|a| a.note.clone()).unwrap_or_default(),
                ];
                out.push_str(&row.iter().map(|s| csv(s)).collect::<Vec<_>>().join(","));
                out.push('\n');
            }
            Ok(out)
        }
        Format::Table => {
            let mut out = String::new();
            for w in items {
                let level = if w.level == "red" { "红" } else { "黄" };
                out.push_str(&format!("[{level}] {} {}  ({})\n", w.name, w.message, w.id));
                for e in &w.evidence {
                    out.push_str(&format!("      {}：{}\n", e.label, e.value));
                }
                if let Some(a) = &w.ack {
                    out.push_str(&format!("      已处理（{} {}）：{}\n", a.by, a.at, a.note));
                }
            }
            out.push_str(&format!("共{}条预警\n", items.len()));
            Ok(out)
        }
    }
}

/// `lvzhi indicators`: every indicator of the county pack for `period`
/// (default: the year of `today`) and `scope`, as the system sees them.
pub async fn indicators_command(
    store: &Store,
    files: &[(String, String)],
    period: Option<&str>,
    scope: &str,
    format: &str,
    today: Date,
) -> Result<String, EvalError> {
    indicators_command_as(store, files, period, scope, format, today, &Store::system_access()).await
}

/// [`indicators_command`] as `access` sees them (what a reader's pages and
/// API answers must equal).
pub async fn indicators_command_as(
    store: &Store,
    files: &[(String, String)],
    period: Option<&str>,
    scope: &str,
    format: &str,
    today: Date,
    access: &lvzhi_core::access::Access,
) -> Result<String, EvalError> {
    let f = Format::parse(format)?;
    let period = match period {
        Some(p) => Period::parse(p).map_err(|e| EvalError::Bad(e.to_string()))?,
        None => Period::Year(today.year()),
    };
    let scope = Scope::parse(scope).map_err(|e| EvalError::Bad(e.to_string()))?;
    let engine = Engine::new(
        crate::def::Definitions::from_files(files, store.pack()).map_err(|e| EvalError::Bad(e.to_string()))?,
    );
    let items = engine.evaluate_all(store, access, period, &scope, today).await?;
    values(&items, f)
}

/// `lvzhi warnings`: every warning that fires as of `today`.
pub async fn warnings_command(
    store: &Store,
    files: &[(String, String)],
    format: &str,
    today: Date,
) -> Result<String, EvalError> {
    let f = Format::parse(format)?;
    let engine = Engine::new(
        crate::def::Definitions::from_files(files, store.pack()).map_err(|e| EvalError::Bad(e.to_string()))?,
    );
    let items = engine.warnings(store, &Store::system_access(), today).await?;
    warnings(&items, f)
}
