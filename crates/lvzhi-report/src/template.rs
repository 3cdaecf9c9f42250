//! The template environment: minijinja with strict undefined (a misspelt
//! variable is an error, never an empty string), no auto-escaping (the text is
//! Markdown) and bounded execution (fuel), plus the report functions:
//!
//! * `ind("财政总收入预算完成率")` — the indicator's display for the report's
//!   period and scope (114.2%); an unknown indicator or one without a value is
//!   an error naming the indicator, the scope and the period.
//! * `val("…")` — its exact value as a decimal string (for conditions and the
//!   helpers); `parts("…")` — its breakdown (`label`, `value`, `display`).
//! * `h1(title)`, `h2(title)`, `h3(title)` — numbered headings (一、（一）1.),
//!   the counters follow the sections actually printed, so a section left out
//!   for a leader without that 分管 does not leave a gap.
//! * `oversees("财政局", …)` — whether the report's person oversees any of the units.
//! * `area_figures()` — the figures of the person's own 分管 units.
//! * `addressee(t)`, `signature(t)`, `doc_number(t)` — a line laid out as
//!   GB/T 9704 lays out 主送机关 (flush left), 落款 and 成文日期 (right), and
//!   the 期数 (centred; the variable `issue` is 〔2026〕第11期 for 2026-11).
//! * filters: `amount`, `growth`, `income_change`, `points`, `rank`, `cn_date`,
//!   `cn_number`, `heading`, `ordinal`.

use crate::helpers;
use crate::{FIG_CLOSE, FIG_MID, FIG_OPEN, Figure, ReportError};
use jiff::civil::Date;
use lvzhi_metrics::IndicatorValue;
use lvzhi_store::org::{Person, Unit};
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Fuel for one render: enough for a long report, bounded for a runaway loop.
pub const FUEL: u64 = 200_000;

/// The functions that name an indicator (`unit_rows` names several).
const IND_FUNCS: [&str; 5] = ["ind(", "val(", "parts(", "overdue_items(", "unit_rows("];

/// What a template sees.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Every indicator, evaluated.
    pub values: Vec<IndicatorValue>,
    /// Scope string.
    pub scope: String,
    /// The scope in words (全县, 西洞镇…), for messages.
    pub scope_label: String,
    /// Period as asked.
    pub period: String,
    /// Its label.
    pub period_label: String,
    /// As-of day.
    pub today: Date,
    /// The 期数 / 文号 (〔2026〕第11期), `issue` in the template.
    pub issue: Option<String>,
    /// The person (duty reports).
    pub person: Option<Person>,
    /// Every unit.
    pub units: Vec<Unit>,
    /// The units that rank others (left out of their own ranking).
    pub offices: Vec<i64>,
    /// Every indicator over the person's 分管 units (`leader:ID`), for
    /// `area_figures()`; empty without a person.
    pub area: Vec<IndicatorValue>,
    /// The records behind each indicator a template lists by name
    /// (`overdue_items("…")`), read before rendering: indicator → items.
    pub lists: BTreeMap<String, Vec<ListedItem>>,
}

/// One record of a list printed by name (the overdue list of a bulletin).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ListedItem {
    /// Record id (the provenance link).
    pub id: i64,
    /// Its title, on one line.
    pub title: String,
    /// Responsible unit's name (or 未指定单位).
    pub unit: String,
    /// Deadline in force (`YYYY-MM-DD`).
    pub deadline: String,
    /// Days past the deadline as of the report's day (0 if not yet past).
    pub days: i64,
}

/// The function that lists records by name.
pub const LIST_FUNC: &str = "overdue_items(";

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn num(v: &Value) -> Result<rust_decimal::Decimal, Error> {
    helpers::dec(&v.to_string()).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

fn dp(d: Option<u32>, default: u32) -> u32 {
    d.unwrap_or(default).min(6)
}

fn unsigned(v: &Value) -> Result<u64, Error> {
    let d = num(v)?;
    u64::try_from(d.trunc()).map_err(|_| Error::new(ErrorKind::InvalidOperation, format!("“{v}”不是非负整数")))
}

/// Adds the helpers as filters (shared with the save-time check).
pub fn add_helpers(env: &mut Environment<'_>) {
    env.add_filter("amount", |v: Value, d: Option<u32>| -> Result<String, Error> {
        Ok(helpers::amount(num(&v)?, dp(d, 2)))
    });
    env.add_filter("growth", |v: Value, d: Option<u32>| -> Result<String, Error> {
        Ok(helpers::growth(num(&v)?, dp(d, 1)))
    });
    env.add_filter("income_change", |v: Value, d: Option<u32>| -> Result<String, Error> {
        Ok(helpers::income_change(num(&v)?, dp(d, 2)))
    });
    env.add_filter("points", |v: Value, d: Option<u32>| -> Result<String, Error> {
        Ok(helpers::points(num(&v)?, dp(d, 2)))
    });
    env.add_filter("rank", |v: Value, area: Option<String>| -> Result<String, Error> {
        Ok(helpers::rank(unsigned(&v)?, area.as_deref().unwrap_or("全市")))
    });
    env.add_filter("cn_number", |v: Value| -> Result<String, Error> {
        Ok(helpers::cn_number(unsigned(&v)?))
    });
    env.add_filter("ordinal", |v: Value| -> Result<String, Error> {
        Ok(helpers::ordinal_shi(unsigned(&v)?))
    });
    env.add_filter("heading", |v: Value, level: u8| -> Result<String, Error> {
        Ok(helpers::heading_number(level, unsigned(&v)?))
    });
    env.add_filter("cn_date", |v: Value| -> Result<String, Error> {
        helpers::cn_date(&v.to_string()).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
}

fn environment<'a>() -> Environment<'a> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    add_helpers(&mut env);
    env
}

struct State {
    ctx: Ctx,
    by_key: BTreeMap<String, usize>,
    figures: Mutex<Vec<Figure>>,
    missing: Mutex<Option<ReportError>>,
    counters: Mutex<[u64; 3]>,
}

impl State {
    fn lookup(&self, name: &str) -> Result<&IndicatorValue, Error> {
        let found = self.by_key.get(name).and_then(|i| self.ctx.values.get(*i));
        match found {
            Some(v) if v.value.is_some() => Ok(v),
            other => {
                let reason = match other {
                    None => "指标不存在".to_string(),
                    Some(v) => v.note.clone().unwrap_or_else(|| "无数据".into()),
                };
                let err = ReportError::Missing {
                    indicator: name.to_string(),
                    scope: self.ctx.scope_label.clone(),
                    period: self.ctx.period_label.clone(),
                    reason,
                };
                let msg = err.to_string();
                lock(&self.missing).get_or_insert(err);
                Err(Error::new(ErrorKind::InvalidOperation, msg))
            }
        }
    }

    /// Per unit: 到期, 按期办结, 超期未办结 (红) and 临期 (黄) from four
    /// indicators grouped by unit, ranked by [`lvzhi_metrics::duty::rank`]
    /// (the one 评星挂旗 rule: 乡镇 with 乡镇, 部门 with 部门, the ranking
    /// office left out). Rows come in groups (`group`: 乡镇, 部门, then
    /// 不参与排名 for the office and items without a unit, `rank` null), so
    /// the rows add up to the indicators' totals. Each count links to
    /// exactly the unit's records behind it (`indicator@unit`).
    ///
    /// An optional fifth indicator grouped by unit (信访件延期数) adds the
    /// column `extended` (`extended_n`): its per-unit parts, a unit that only
    /// has those getting a row of its own (ranked with no 到期), so this
    /// column too adds up to the indicator's total. The figure is the
    /// indicator's, never counted here.
    fn unit_rows(&self, names: &[&str]) -> Result<Value, Error> {
        use lvzhi_metrics::duty::{self, Tally, UnitTally};
        let mut inds = Vec::with_capacity(names.len());
        for &n in names {
            let v = self.lookup(n)?;
            if v.breakdown.is_empty() && v.value.as_deref().is_some_and(|x| x != "0") {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("指标“{n}”没有按单位分组（需要 group_by = \"unit\"）"),
                ));
            }
            inds.push(v);
        }
        let mut rows: BTreeMap<String, UnitTally> = BTreeMap::new();
        let mut extended: BTreeMap<String, i64> = BTreeMap::new();
        for (k, v) in inds.iter().enumerate() {
            for p in &v.breakdown {
                let n = i64::try_from(unsigned(&Value::from(p.value.clone()))?).unwrap_or(i64::MAX);
                let e = rows.entry(p.key.clone()).or_insert_with(|| {
                    let kind = p
                        .key
                        .parse::<i64>()
                        .ok()
                        .and_then(|id| self.ctx.units.iter().find(|u| u.id == id))
                        .map(|u| u.kind.clone())
                        .unwrap_or_default();
                    UnitTally {
                        key: p.key.clone(),
                        label: p.label.clone(),
                        kind,
                        tally: Tally::default(),
                    }
                });
                let t = &mut e.tally;
                match k {
                    0 => t.due = n,
                    1 => t.on_time = n,
                    2 => t.overdue = n,
                    3 => t.due_soon = n,
                    _ => {
                        extended.insert(p.key.clone(), n);
                    }
                }
            }
        }
        let rows: Vec<UnitTally> = rows.into_values().collect();
        let unit_of = |i: usize| inds.get(i).map(|v| v.unit.clone()).unwrap_or_default();
        let cell = |i: usize, key: &str, n: i64| -> String {
            let shown = format!("{n}{}", unit_of(i));
            match inds.get(i) {
                Some(v) if n > 0 => format!("{FIG_OPEN}{}@{key}{FIG_MID}{shown}{FIG_CLOSE}", v.id),
                _ => shown,
            }
        };
        let line = |group: &str, rank: Option<usize>, u: &UnitTally, stars: u8, flag: bool| {
            let c = &u.tally;
            serde_json::json!({
                "group": group,
                "rank": rank,
                "unit": u.label,
                "due": cell(0, &u.key, c.due),
                "on_time": cell(1, &u.key, c.on_time),
                "red": cell(2, &u.key, c.overdue),
                "yellow": cell(3, &u.key, c.due_soon),
                "extended": cell(4, &u.key, extended.get(&u.key).copied().unwrap_or(0)),
                "due_n": c.due, "on_time_n": c.on_time, "red_n": c.overdue, "yellow_n": c.due_soon,
                "extended_n": extended.get(&u.key).copied().unwrap_or(0),
                "rate": c.rate().map(|_| c.rate_text()),
                "stars": stars,
                "flag": flag,
            })
        };
        let mut out = Vec::with_capacity(rows.len());
        let mut ranked_keys = std::collections::BTreeSet::new();
        for group in [lvzhi_store::org::TOWNSHIP, lvzhi_store::org::DEPARTMENT] {
            for r in duty::rank(&rows, group, &self.ctx.offices) {
                ranked_keys.insert(r.unit.key.clone());
                out.push(line(group, Some(r.place), &r.unit, r.stars, r.flag));
            }
        }
        for u in rows.iter().filter(|u| !ranked_keys.contains(&u.key)) {
            out.push(line("不参与排名", None, u, 0, false));
        }
        Ok(Value::from_serialize(&out))
    }

    /// The figures of the person's own 分管 areas: every indicator (its total;
    /// not the `*_by_unit` lists, nor rates) counted over ledger records with
    /// a non-zero value, computed
    /// over the units the person oversees (scope `leader:ID`), in definition
    /// order. Each links to its provenance in that scope (`id@leader:ID`).
    fn area_figures(&self) -> Value {
        let list: Vec<serde_json::Value> = self
            .ctx
            .area
            .iter()
            // Per-unit lists (`*_by_unit`) are the bulletins' material; an indicator
            // grouped by unit only for a bulletin's column (信访件延期数) keeps its
            // total here, as before it was grouped.
            .filter(|v| v.unit != "%" && !v.id.ends_with("_by_unit"))
            .filter(|v| {
                v.value
                    .as_deref()
                    .is_some_and(|x| helpers::dec(x).is_ok_and(|d| !d.is_zero()))
            })
            .filter(|v| v.records > 0)
            .map(|v| {
                serde_json::json!({
                    "id": v.id,
                    "name": v.name,
                    "category": v.category,
                    "display": format!("{FIG_OPEN}{}@{}{FIG_MID}{}{FIG_CLOSE}", v.id, v.scope, v.display),
                    "plain": v.display,
                })
            })
            .collect();
        Value::from_serialize(&list)
    }

    fn heading(&self, level: usize, title: &str) -> String {
        let mut c = lock(&self.counters);
        let Some(slot) = c.get_mut(level) else {
            return title.to_string();
        };
        *slot += 1;
        let n = *slot;
        for deeper in c.iter_mut().skip(level + 1) {
            *deeper = 0;
        }
        let level_u8 = u8::try_from(level + 1).unwrap_or(4);
        let num = helpers::heading_number(level_u8, n);
        match level {
            0 => format!("## {num}{title}"),
            1 => format!("### {num}{title}"),
            _ => format!("{num}{title}"),
        }
    }
}

/// Renders a template; returns the marked text and the figures used.
pub fn run(name: &str, text: &str, ctx: Ctx) -> Result<(String, Vec<Figure>), ReportError> {
    let mut by_key = BTreeMap::new();
    for (i, v) in ctx.values.iter().enumerate() {
        by_key.insert(v.id.clone(), i);
        by_key.insert(v.name.clone(), i);
    }
    let person = ctx.person.clone();
    let oversees: Vec<String> = person
        .as_ref()
        .map(|p| {
            ctx.units
                .iter()
                .filter(|u| p.oversees.contains(&u.id))
                .map(|u| u.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let today = ctx.today;
    let vars = serde_json::json!({
        "period": ctx.period,
        "period_label": ctx.period_label,
        "scope": ctx.scope,
        "scope_label": ctx.scope_label,
        "issue": ctx.issue,
        "today": today.to_string(),
        "year": today.year(),
        "person": person.as_ref().map(|p| serde_json::json!({
            "name": p.name, "post": p.post, "oversees": oversees,
        })),
    });
    let state = Arc::new(State {
        ctx,
        by_key,
        figures: Mutex::new(Vec::new()),
        missing: Mutex::new(None),
        counters: Mutex::new([0; 3]),
    });
    let mut env = environment();
    let s = state.clone();
    env.add_function(
        "ind",
        move |name: String, how: Option<String>| -> Result<String, Error> {
            let v = s.lookup(&name)?;
            let exact = || num(&Value::from(v.value.clone().unwrap_or_default()));
            let display = match how.as_deref() {
                None | Some("display") => v.display.clone(),
                Some("rank") => helpers::rank(unsigned(&Value::from(v.value.clone().unwrap_or_default()))?, "全市"),
                Some("amount") => helpers::amount(exact()?, 2),
                Some("growth") => helpers::growth(exact()?, 1),
                Some("value") => v.value.clone().unwrap_or_default(),
                Some(o) => {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        format!("ind 的第二个参数“{o}”无效（可选：display、rank、amount、growth、value）"),
                    ));
                }
            };
            let mut figs = lock(&s.figures);
            if !figs.iter().any(|f| f.id == v.id) {
                figs.push(Figure {
                    id: v.id.clone(),
                    name: v.name.clone(),
                    display: display.clone(),
                    records: v.records,
                });
            }
            Ok(format!("{FIG_OPEN}{}{FIG_MID}{display}{FIG_CLOSE}", v.id))
        },
    );
    let s = state.clone();
    env.add_function("val", move |name: String| -> Result<String, Error> {
        Ok(s.lookup(&name)?.value.clone().unwrap_or_default())
    });
    let s = state.clone();
    env.add_function("parts", move |name: String| -> Result<Value, Error> {
        let v = s.lookup(&name)?;
        let mut rows: Vec<(rust_decimal::Decimal, serde_json::Value)> = v
            .breakdown
            .iter()
            .map(|p| {
                let n = helpers::dec(&p.value).unwrap_or_default();
                (
                    n,
                    serde_json::json!({"key": p.key, "label": p.label, "value": p.value, "display": p.display}),
                )
            })
            .collect();
        // Largest first; ties by name, so a ranking is stable.
        rows.sort_by(|a, b| {
            b.0.cmp(&a.0).then_with(|| {
                a.1["label"]
                    .as_str()
                    .unwrap_or("")
                    .cmp(b.1["label"].as_str().unwrap_or(""))
            })
        });
        let list: Vec<serde_json::Value> = rows.into_iter().map(|r| r.1).collect();
        Ok(Value::from_serialize(&list))
    });
    let s = state.clone();
    env.add_function(
        "unit_rows",
        move |due: String,
              on_time: String,
              red: String,
              yellow: String,
              extended: Option<String>|
              -> Result<Value, Error> {
            let mut names = vec![due.as_str(), on_time.as_str(), red.as_str(), yellow.as_str()];
            names.extend(extended.as_deref());
            s.unit_rows(&names)
        },
    );
    let s = state.clone();
    env.add_function("overdue_items", move |name: String| -> Result<Value, Error> {
        let v = s.lookup(&name)?;
        let items = s.ctx.lists.get(&v.id).cloned().unwrap_or_default();
        let list: Vec<serde_json::Value> = items
            .iter()
            .map(|i| {
                serde_json::json!({
                    "id": i.id,
                    "title": format!("{FIG_OPEN}record:{}{FIG_MID}{}{FIG_CLOSE}", i.id, i.title),
                    "plain_title": i.title,
                    "unit": i.unit,
                    "deadline": i.deadline,
                    "days": i.days,
                })
            })
            .collect();
        Ok(Value::from_serialize(&list))
    });
    // GB/T 9704 layout: 主送机关 flush left, 落款 and date right, 期数 centred.
    env.add_function("addressee", |t: String| format!("{}{t}", crate::FLUSH));
    env.add_function("signature", |t: String| format!("{}{t}", crate::RIGHT));
    env.add_function("doc_number", |t: String| format!("{}{t}", crate::CENTRE));
    let s = state.clone();
    env.add_function("area_figures", move || -> Value { s.area_figures() });
    let s = state.clone();
    env.add_function("h1", move |t: String| s.heading(0, &t));
    let s = state.clone();
    env.add_function("h2", move |t: String| s.heading(1, &t));
    let s = state.clone();
    env.add_function("h3", move |t: String| s.heading(2, &t));
    let ov = oversees.clone();
    env.add_function("oversees", move |names: minijinja::value::Rest<String>| {
        names.iter().any(|n| ov.iter().any(|o| o == n))
    });
    let tmpl = env.template_from_named_str(name, text).map_err(|e| match e.line() {
        Some(line) => ReportError::Syntax {
            line,
            message: e.detail().map_or_else(|| e.kind().to_string(), str::to_string),
        },
        None => ReportError::Template(describe(&e)),
    })?;
    let out = tmpl.render(Value::from_serialize(&vars));
    match out {
        Ok(text) => Ok((text, lock(&state.figures).clone())),
        Err(e) => match lock(&state.missing).take() {
            Some(m) => Err(m),
            None => Err(runtime(&e, text)),
        },
    }
}

/// A render-time failure of the template itself — an include of a template
/// that does not exist, running out of fuel, too deep recursion, an undefined
/// value — as [`ReportError::Runtime`] with the line (the last line when the
/// engine names none) and a Chinese reason.
fn runtime(e: &Error, text: &str) -> ReportError {
    let detail = e.detail().map(str::to_string);
    let message = match e.kind() {
        ErrorKind::TemplateNotFound => {
            "引用的模板不存在：报告模板不能用 include、import 或 extends 引用其他模板".to_string()
        }
        ErrorKind::OutOfFuel => "模板运行步数超过上限，可能有死循环或过大的循环".to_string(),
        ErrorKind::UndefinedError => match &detail {
            Some(d) => format!("使用了未定义的值（{d}）"),
            None => "使用了未定义的值".to_string(),
        },
        _ if e.to_string().contains("recursion") => "嵌套或递归层数超过上限".to_string(),
        _ => detail.unwrap_or_else(|| e.kind().to_string()),
    };
    let line = e.line().unwrap_or_else(|| text.lines().count().max(1));
    ReportError::Runtime { line, message }
}

fn describe(e: &Error) -> String {
    match e.line() {
        Some(l) => format!("第{l}行：{}", e.detail().unwrap_or(&e.kind().to_string())),
        None => e.to_string(),
    }
}

/// The save-time check of an edited template: it must parse, and every
/// indicator it names (`ind("…")`, `val("…")`, `parts("…")`) must exist
/// among `known` (ids and names); the error names the line.
pub fn validate(text: &str, known: &dyn Fn(&str) -> bool) -> Result<(), ReportError> {
    let env = environment();
    env.template_from_named_str("模板", text).map_err(|e| match e.line() {
        Some(line) => ReportError::Syntax {
            line,
            message: e.detail().map_or_else(|| e.kind().to_string(), str::to_string),
        },
        None => ReportError::Template(describe(&e)),
    })?;
    for (line, name) in named(text, &IND_FUNCS) {
        if !known(&name) {
            return Err(ReportError::UnknownIndicator { line, indicator: name });
        }
    }
    Ok(())
}

/// Every string argument of a call to one of `funcs` in `text` (comments
/// excluded), with its 1-based line: `ind("财政总收入")` → `(3, "财政总收入")`.
pub fn named(text: &str, funcs: &[&str]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    // Comments ({# … #}) name no indicator; blank them, keeping the lines.
    let mut scan = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(a) = rest.find("{#") {
        scan.push_str(&rest[..a]);
        let after = &rest[a..];
        let end = after.find("#}").map_or(after.len(), |e| e + 2);
        scan.extend(after[..end].chars().filter(|c| *c == '\n'));
        rest = &after[end..];
    }
    scan.push_str(rest);
    for (i, line) in scan.lines().enumerate() {
        for f in funcs {
            let mut rest = line;
            while let Some(pos) = rest.find(f) {
                let prev = rest[..pos].chars().next_back();
                rest = &rest[pos + f.len()..];
                if prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                // The first argument names an indicator; every argument of `unit_rows`.
                let all = *f == "unit_rows(";
                let mut args = rest;
                loop {
                    let arg = args.trim_start().trim_start_matches(',').trim_start();
                    let Some(q) = arg.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                        break;
                    };
                    let body = &arg[q.len_utf8()..];
                    let Some(end) = body.find(q) else { break };
                    found.push((i + 1, body[..end].to_string()));
                    if !all {
                        break;
                    }
                    args = &body[end + q.len_utf8()..];
                }
            }
        }
    }
    found
}
