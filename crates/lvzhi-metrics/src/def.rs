//! Indicator definitions: the `indicators/*.toml` files of a pack, parsed and
//! checked against the pack's ledgers.
//!
//! A file holds `[[indicator]]` tables. Each is exactly one of:
//!
//! * a **measure** over a ledger: `measure = "count" | "sum" | "avg" | "min" |
//!   "max" | "distinct" | "avg_days"`, `ledger`, `field` (the value; for
//!   `avg_days` the `from` and `to` date fields), `date` (the date field the
//!   period applies to; none = a snapshot as of today), `where` (field
//!   conditions), `states`, `open`, `overdue`, `due_soon`, `group_by`;
//! * a **statistic** (统计报表): `statistic = "<指标名称>"`, `mode = "flow" |
//!   "level" | "target"`;
//! * **targets** set in the pack: `[indicator.targets] 2026 = "1892000000"`;
//! * a **formula** over other indicators: `formula = "ratio" | "share" |
//!   "completion" | "growth" | "increase" | "pp_change" | "diff" | "rank"`,
//!   `of = [ids]`.
//!
//! A definition that refers to an unknown ledger, field, state or indicator,
//! or a formula cycle, refuses to load with an error naming file and id.

use lvzhi_core::field::FieldType;
use lvzhi_core::ledger::Pack;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// Why a definition file does not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("指标定义 {file}{}：{message}", .id.as_ref().map(|i| format!("（{i}）")).unwrap_or_default())]
pub struct DefError {
    /// The file (`indicators/fiscal.toml`).
    pub file: String,
    /// The indicator's id, when the error is about one.
    pub id: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// A measure's aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// Number of records.
    Count,
    /// Sum of a numeric field.
    Sum,
    /// Mean of a numeric field.
    Avg,
    /// Smallest value of a numeric field.
    Min,
    /// Largest value of a numeric field.
    Max,
    /// Number of distinct values of a field.
    Distinct,
    /// Mean number of days from one date field to another.
    AvgDays,
}

/// How a statistic's rows make a figure for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatMode {
    /// Sum of the monthly (or 旬) rows inside the period.
    Flow,
    /// The row of the last month of the period.
    Level,
    /// The row of the period's year (年度目标).
    Target,
}

/// A formula over other indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormulaKind {
    /// a ÷ b × 100 (percent).
    Ratio,
    /// part ÷ whole × 100 (percent).
    Share,
    /// done ÷ target × 100 (percent).
    Completion,
    /// a ÷ a(year before) − 1, in percent (增长/下降).
    Growth,
    /// a − a(year before) (增收/减收, 增加/减少).
    Increase,
    /// a − a(year before) in percentage points.
    PpChange,
    /// a − b.
    Diff,
    /// Rank of this division among its siblings by a (1 = largest).
    Rank,
}

/// A condition on a field, as written in a pack file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Where {
    /// The field's key.
    pub field: String,
    /// Equal to (`"$year"` = the period's year; in any comparison `"$today"` = the as-of day).
    pub eq: Option<String>,
    /// Not equal to.
    pub ne: Option<String>,
    /// One of.
    #[serde(rename = "in")]
    pub one_of: Option<Vec<String>>,
    /// None of.
    pub not_in: Option<Vec<String>>,
    /// ≥ (numbers compared exactly; dates as dates).
    pub ge: Option<String>,
    /// >.
    pub gt: Option<String>,
    /// ≤.
    pub le: Option<String>,
    /// <.
    pub lt: Option<String>,
    /// ≤ another field of the same record (`closed_on` ≤ `deadline`).
    pub le_field: Option<String>,
    /// > another field of the same record.
    pub gt_field: Option<String>,
    /// Empty (true) or filled (false).
    pub empty: Option<bool>,
    /// A person field: the person holding this post (常务副县长).
    pub post: Option<String>,
}

/// The source of an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// An aggregate over a ledger.
    Measure {
        /// Aggregation.
        kind: MeasureKind,
        /// Ledger key.
        ledger: String,
        /// The value field (sum/avg/min/max/distinct).
        field: Option<String>,
        /// For `avg_days`: from and to.
        days: Option<(String, String)>,
        /// The date field the period applies to; None = a snapshot.
        date: Option<String>,
        /// Field conditions.
        conds: Vec<Where>,
        /// Workflow states.
        states: Vec<String>,
        /// Only open (true) or only closed (false) records.
        open: Option<bool>,
        /// Only open records past their deadline (红).
        overdue: bool,
        /// Only open records due within the ledger's warning days (黄).
        due_soon: bool,
    },
    /// Rows of the 统计报表 ledger.
    Statistic {
        /// The `indicator` name of the rows.
        name: String,
        /// How rows make a figure.
        mode: StatMode,
    },
    /// Targets per year, set in the pack (in the indicator's unit).
    Targets(BTreeMap<i16, Decimal>),
    /// A formula.
    Formula {
        /// Kind.
        kind: FormulaKind,
        /// Inputs (indicator ids).
        of: Vec<String>,
    },
}

/// One indicator.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Indicator {
    /// Stable id (`fiscal_total`).
    pub id: String,
    /// The Chinese name as reports phrase it (财政总收入).
    pub name: String,
    /// The unit of `value`: 元 for money, % for rates, 个/人/户… for counts.
    pub unit: String,
    /// Decimals shown (`display`); values keep two more at most.
    pub decimals: Option<u32>,
    /// Group the figure by `unit`, `division` or a field (breakdown).
    pub group_by: Option<String>,
    /// Where it comes from.
    pub source: Source,
    /// The file it was defined in.
    pub file: String,
    /// A note for people reading the definition.
    pub description: String,
    /// Category for dashboards (财政, 安全生产…).
    pub category: String,
}

impl Indicator {
    /// The ledgers this indicator reads directly (formulas: none).
    pub fn ledgers(&self) -> Vec<String> {
        match &self.source {
            Source::Measure { ledger, .. } => vec![ledger.clone()],
            Source::Statistic { .. } => vec!["statistic".into()],
            Source::Targets(_) | Source::Formula { .. } => vec![],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    category: String,
    #[serde(default)]
    indicator: Vec<RawIndicator>,
    #[serde(default)]
    warning: Vec<crate::warn::Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    name: String,
    unit: String,
    #[serde(default)]
    description: String,
    category: Option<String>,
    decimals: Option<u32>,
    group_by: Option<String>,
    // measure
    measure: Option<MeasureKind>,
    ledger: Option<String>,
    field: Option<String>,
    from: Option<String>,
    to: Option<String>,
    date: Option<String>,
    #[serde(default, rename = "where")]
    conds: Vec<Where>,
    #[serde(default)]
    states: Vec<String>,
    open: Option<bool>,
    #[serde(default)]
    overdue: bool,
    #[serde(default)]
    due_soon: bool,
    // statistic
    statistic: Option<String>,
    mode: Option<StatMode>,
    // targets
    targets: Option<BTreeMap<String, String>>,
    // formula
    formula: Option<FormulaKind>,
    #[serde(default)]
    of: Vec<String>,
}

/// Every indicator of a pack, in file and definition order.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    /// The indicators.
    pub list: Vec<Indicator>,
    /// The warning rules (`[[warning]]` tables), with their files.
    pub warnings: Vec<(String, crate::warn::Rule)>,
}

impl Definitions {
    /// Parses the `indicators/*.toml` files among a pack's files (other files
    /// are ignored) and checks them against the pack's ledgers.
    pub fn from_files(files: &[(String, String)], pack: &Pack) -> Result<Definitions, DefError> {
        let mut ind_files: Vec<&(String, String)> = files
            .iter()
            .filter(|(p, _)| p.starts_with("indicators/") && p.ends_with(".toml"))
            .collect();
        ind_files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut list: Vec<Indicator> = Vec::new();
        let mut warnings = Vec::new();
        for (path, text) in ind_files {
            let raw: RawFile = toml::from_str(text).map_err(|e| DefError {
                file: path.clone(),
                id: None,
                message: e.to_string(),
            })?;
            for r in raw.indicator {
                let ind = convert(path, &raw.category, r)?;
                if list.iter().any(|x| x.id == ind.id) {
                    return Err(DefError {
                        file: path.clone(),
                        id: Some(ind.id.clone()),
                        message: "指标编号重复".into(),
                    });
                }
                list.push(ind);
            }
            for w in raw.warning {
                warnings.push((path.clone(), w));
            }
        }
        let defs = Definitions { list, warnings };
        defs.check(pack)?;
        Ok(defs)
    }

    /// An indicator by id.
    pub fn get(&self, id: &str) -> Option<&Indicator> {
        self.list.iter().find(|i| i.id == id)
    }

    /// An indicator by id or by its Chinese name.
    pub fn find(&self, id_or_name: &str) -> Option<&Indicator> {
        self.get(id_or_name)
            .or_else(|| self.list.iter().find(|i| i.name == id_or_name))
    }

    /// Every ledger an indicator depends on, through its formulas.
    pub fn deps(&self, id: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack = vec![id.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(i) = stack.pop() {
            if !seen.insert(i.clone()) {
                continue;
            }
            if let Some(ind) = self.get(&i) {
                out.extend(ind.ledgers());
                if let Source::Formula { of, .. } = &ind.source {
                    stack.extend(of.iter().cloned());
                }
            }
        }
        out
    }

    fn check(&self, pack: &Pack) -> Result<(), DefError> {
        for ind in &self.list {
            let fail = |m: String| DefError {
                file: ind.file.clone(),
                id: Some(ind.id.clone()),
                message: m,
            };
            match &ind.source {
                Source::Measure {
                    kind,
                    ledger,
                    field,
                    days,
                    date,
                    conds,
                    states,
                    overdue,
                    due_soon,
                    ..
                } => {
                    let l = pack
                        .ledger(ledger)
                        .ok_or_else(|| fail(format!("台账“{ledger}”不存在")))?;
                    let field_of = |k: &str| l.field(k).ok_or_else(|| fail(format!("台账“{}”没有字段“{k}”", l.name)));
                    if let Some(d) = date
                        && field_of(d)?.ty != FieldType::Date
                    {
                        return Err(fail(format!("期间字段“{d}”不是日期字段")));
                    }
                    match kind {
                        MeasureKind::Count => {}
                        MeasureKind::AvgDays => {
                            let (a, b) = days.as_ref().ok_or_else(|| fail("avg_days 需要 from 和 to".into()))?;
                            for k in [a, b] {
                                if field_of(k)?.ty != FieldType::Date {
                                    return Err(fail(format!("“{k}”不是日期字段")));
                                }
                            }
                        }
                        MeasureKind::Distinct => {
                            field_of(field.as_deref().ok_or_else(|| fail("缺少 field".into()))?)?;
                        }
                        _ => {
                            let k = field.as_deref().ok_or_else(|| fail("缺少 field".into()))?;
                            let f = field_of(k)?;
                            if !matches!(
                                f.ty,
                                FieldType::Integer | FieldType::Decimal | FieldType::Money | FieldType::Percent
                            ) {
                                return Err(fail(format!("字段“{k}”不是数值字段")));
                            }
                        }
                    }
                    for w in conds {
                        let f = field_of(&w.field)?;
                        if w.post.is_some() && f.ty != FieldType::Person {
                            return Err(fail(format!("字段“{}”不是人员字段，不能按职务筛选", w.field)));
                        }
                        for other in [&w.le_field, &w.gt_field].into_iter().flatten() {
                            field_of(other)?;
                        }
                        if f.ty == FieldType::Enum {
                            let vals =
                                w.eq.iter()
                                    .chain(w.ne.iter())
                                    .chain(w.one_of.iter().flatten())
                                    .chain(w.not_in.iter().flatten());
                            for v in vals {
                                if !f.values.contains(v) {
                                    return Err(fail(format!("字段“{}”没有选项“{v}”", w.field)));
                                }
                            }
                        }
                    }
                    for s in states {
                        let ok = match &l.workflow {
                            Some(wf) => wf.states.iter().any(|x| &x.name == s),
                            None => s == lvzhi_core::ledger::NO_WORKFLOW_STATE,
                        };
                        if !ok {
                            return Err(fail(format!("台账“{}”没有状态“{s}”", l.name)));
                        }
                    }
                    if (*overdue || *due_soon) && l.role_field(lvzhi_core::field::FieldRole::Deadline).is_none() {
                        return Err(fail(format!("台账“{}”没有期限", l.name)));
                    }
                    if let Some(g) = &ind.group_by
                        && !matches!(g.as_str(), "unit" | "division" | "owner" | "state")
                    {
                        field_of(g)?;
                    }
                }
                Source::Statistic { .. } => {
                    if pack.ledger("statistic").is_none() {
                        return Err(fail("包中没有统计报表台账（statistic）".into()));
                    }
                }
                Source::Targets(_) => {}
                Source::Formula { kind, of } => {
                    let want = match kind {
                        FormulaKind::Growth | FormulaKind::Increase | FormulaKind::PpChange | FormulaKind::Rank => 1,
                        _ => 2,
                    };
                    if of.len() != want {
                        return Err(fail(format!("公式需要{want}个输入指标，给了{}个", of.len())));
                    }
                    for o in of {
                        let target = self.get(o).ok_or_else(|| fail(format!("引用的指标“{o}”不存在")))?;
                        if *kind == FormulaKind::Rank && !matches!(target.source, Source::Statistic { .. }) {
                            return Err(fail(format!("排名只能基于统计报表指标，“{o}”不是")));
                        }
                    }
                }
            }
        }
        for (file, w) in &self.warnings {
            w.check(pack).map_err(|message| DefError {
                file: file.clone(),
                id: Some(w.id.clone()),
                message,
            })?;
        }
        // Cycles: depth-first over formula inputs.
        let mut state: BTreeMap<&str, u8> = BTreeMap::new();
        for ind in &self.list {
            self.visit(&ind.id, &mut state, &mut Vec::new())?;
        }
        Ok(())
    }

    fn visit<'a>(
        &'a self,
        id: &'a str,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Result<(), DefError> {
        match state.get(id) {
            Some(2) => return Ok(()),
            Some(1) => {
                let ind = self.get(id);
                path.push(id);
                return Err(DefError {
                    file: ind.map(|i| i.file.clone()).unwrap_or_default(),
                    id: Some(id.to_string()),
                    message: format!("公式循环引用：{}", path.join(" → ")),
                });
            }
            _ => {}
        }
        state.insert(id, 1);
        path.push(id);
        if let Some(Source::Formula { of, .. }) = self.get(id).map(|i| &i.source) {
            for o in of {
                self.visit(o, state, path)?;
            }
        }
        path.pop();
        state.insert(id, 2);
        Ok(())
    }
}

fn convert(file: &str, file_category: &str, r: RawIndicator) -> Result<Indicator, DefError> {
    let fail = |m: &str| DefError {
        file: file.to_string(),
        id: Some(r.id.clone()),
        message: m.to_string(),
    };
    if r.id.is_empty()
        || !r
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(fail("编号只能由小写字母、数字和下划线组成"));
    }
    let kinds = [
        r.measure.is_some(),
        r.statistic.is_some(),
        r.targets.is_some(),
        r.formula.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if kinds != 1 {
        return Err(fail("须且只能有 measure、statistic、targets、formula 之一"));
    }
    let source = if let Some(kind) = r.measure {
        let ledger = r.ledger.clone().ok_or_else(|| fail("measure 需要 ledger"))?;
        let days = match (kind, &r.from, &r.to) {
            (MeasureKind::AvgDays, Some(a), Some(b)) => Some((a.clone(), b.clone())),
            (MeasureKind::AvgDays, _, _) => return Err(fail("avg_days 需要 from 和 to")),
            _ => None,
        };
        for w in &r.conds {
            let n = [
                w.eq.is_some(),
                w.ne.is_some(),
                w.one_of.is_some(),
                w.not_in.is_some(),
                w.ge.is_some(),
                w.gt.is_some(),
                w.le.is_some(),
                w.lt.is_some(),
                w.le_field.is_some(),
                w.gt_field.is_some(),
                w.empty.is_some(),
                w.post.is_some(),
            ]
            .iter()
            .filter(|x| **x)
            .count();
            if n == 0 {
                return Err(fail(&format!("字段“{}”的条件为空", w.field)));
            }
        }
        Source::Measure {
            kind,
            ledger,
            field: r.field.clone(),
            days,
            date: r.date.clone(),
            conds: r.conds.clone(),
            states: r.states.clone(),
            open: r.open,
            overdue: r.overdue,
            due_soon: r.due_soon,
        }
    } else if let Some(name) = &r.statistic {
        Source::Statistic {
            name: name.clone(),
            mode: r.mode.unwrap_or(StatMode::Flow),
        }
    } else if let Some(t) = &r.targets {
        let mut m = BTreeMap::new();
        for (y, v) in t {
            let year: i16 = y.parse().map_err(|_| fail(&format!("目标年份“{y}”无效")))?;
            let d: Decimal = v.parse().map_err(|_| fail(&format!("目标值“{v}”不是数值")))?;
            m.insert(year, d);
        }
        Source::Targets(m)
    } else if let Some(kind) = r.formula {
        Source::Formula { kind, of: r.of.clone() }
    } else {
        return Err(fail("未知指标类型"));
    };
    Ok(Indicator {
        id: r.id,
        name: r.name,
        unit: r.unit,
        decimals: r.decimals,
        group_by: r.group_by,
        source,
        file: file.to_string(),
        description: r.description,
        category: r.category.unwrap_or_else(|| file_category.to_string()),
    })
}
