//! Warnings (预警): rules over records and indicators, evaluated on the data
//! as it is now (as of `today`), each carrying its evidence (the records and
//! figures that fired it), and acknowledged with a note.
//!
//! Rules are pack data (`[[warning]]` tables in `indicators/*.toml`); the
//! field names they read are parameters of the rule, never code:
//!
//! * `price_fluctuation` — 价格异常波动预警: the latest observation of a
//!   commodity (per `key_fields`) moves more than `threshold_pct` % against
//!   its previous observation or the mean of the `mean_days` days before it.
//!   More than twice the threshold is red.
//! * `project_behind` — 重点项目进度滞后: a project of this year whose
//!   completed investment (`done_field`) is behind the time-proportional plan
//!   (`plan_field` × day of year ÷ days in year) by `yellow_pp`..`red_pp`
//!   points (yellow) or more than `red_pp` (red); or not started
//!   (`started_field` empty) `not_started_months` after `start_field` (red).
//! * `statistic_jump` — 统计数据异常（防范统计造假）: an approved monthly
//!   statistic that differs from the same month a year before by more than
//!   `threshold_pct` % (red above twice that).
//! * `overdue_by_unit` — 单位逾期事项: a unit with at least `yellow` (yellow)
//!   or `red` (red) open items past their deadline, over every ledger with a
//!   deadline.
//!
//! **Acknowledgements are events**: kind [`ACK_KIND`] on entity `warning`
//! with the warning's id, written through the store's single writer (so they
//! are hash-chained like every change) and read back from the event log. No
//! table is needed.

use crate::eval::{EvalError, STAT_APPROVED, STAT_LEDGER};
use jiff::civil::Date;
use lvzhi_core::access::Access;
use lvzhi_core::field::FieldRole;
use lvzhi_core::ledger::Pack;
use lvzhi_core::period::Period;
use lvzhi_store::Store;
use lvzhi_store::aggregate::{Agg, AggQuery, Col, Cond, Expr, Op};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The event kind of an acknowledgement.
pub const ACK_KIND: &str = "warning.ack";

/// A warning rule, as written in a pack file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id (`price_fluctuation`).
    pub id: String,
    /// Chinese name (价格异常波动预警).
    pub name: String,
    /// The kind of rule (see the module docs).
    pub rule: RuleKind,
    /// The ledger it reads (not for `overdue_by_unit`).
    pub ledger: Option<String>,
    /// Percent threshold.
    pub threshold_pct: Option<Decimal>,
    /// Days of the mean (price).
    pub mean_days: Option<i64>,
    /// Fields identifying a commodity (price).
    #[serde(default)]
    pub key_fields: Vec<String>,
    /// The date field.
    pub date_field: Option<String>,
    /// The value field (price).
    pub value_field: Option<String>,
    /// Planned investment of the year (project).
    pub plan_field: Option<String>,
    /// Completed investment of the year (project).
    pub done_field: Option<String>,
    /// The plan year (project).
    pub year_field: Option<String>,
    /// Planned start (project).
    pub start_field: Option<String>,
    /// Actual start (project).
    pub started_field: Option<String>,
    /// States not watched (project: 终止, 投产).
    #[serde(default)]
    pub skip_states: Vec<String>,
    /// Yellow from this many points behind (project) or items (overdue).
    pub yellow: Option<Decimal>,
    /// Red above this many points behind (project) or from this many items (overdue).
    pub red: Option<Decimal>,
    /// Months after the planned start without a start (project).
    pub not_started_months: Option<i64>,
}

/// The kinds of rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// 价格异常波动预警.
    PriceFluctuation,
    /// 重点项目进度滞后.
    ProjectBehind,
    /// 统计数据异常波动.
    StatisticJump,
    /// 单位逾期事项.
    OverdueByUnit,
}

impl Rule {
    /// Checks the rule against the pack's ledgers.
    pub fn check(&self, pack: &Pack) -> Result<(), String> {
        if self.rule == RuleKind::OverdueByUnit {
            return Ok(());
        }
        let key = self.ledger.as_deref().ok_or("缺少 ledger")?;
        let l = pack.ledger(key).ok_or_else(|| format!("台账“{key}”不存在"))?;
        let fields: Vec<&Option<String>> = match self.rule {
            RuleKind::PriceFluctuation => vec![&self.date_field, &self.value_field],
            RuleKind::ProjectBehind => vec![
                &self.plan_field,
                &self.done_field,
                &self.year_field,
                &self.start_field,
                &self.started_field,
            ],
            RuleKind::StatisticJump | RuleKind::OverdueByUnit => vec![],
        };
        for f in fields {
            let k = f.as_deref().ok_or("规则缺少字段参数")?;
            l.field(k).ok_or_else(|| format!("台账“{}”没有字段“{k}”", l.name))?;
        }
        for k in &self.key_fields {
            l.field(k).ok_or_else(|| format!("台账“{}”没有字段“{k}”", l.name))?;
        }
        Ok(())
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// What it is (上次监测价格, 年度计划投资…).
    pub label: String,
    /// The figure as shown.
    pub value: String,
    /// The record it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<i64>,
}

/// An acknowledgement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ack {
    /// Who.
    pub by: String,
    /// When (UTC stamp).
    pub at: String,
    /// The note.
    pub note: String,
}

/// A warning that fires now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// Stable id: `<rule>:<subject>` (`project_behind:1234`).
    pub id: String,
    /// The rule's id.
    pub rule: String,
    /// The rule's name.
    pub name: String,
    /// `red` or `yellow`.
    pub level: String,
    /// What it is about (the commodity, the project, the unit).
    pub subject: String,
    /// One sentence in Chinese.
    pub message: String,
    /// The figures that fired it.
    pub evidence: Vec<Evidence>,
    /// The records behind it.
    pub records: Vec<i64>,
    /// The latest acknowledgement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack: Option<Ack>,
}

fn pct(x: Decimal) -> String {
    format!("{}%", crate::format::fixed(x, 1))
}

fn hundred() -> Decimal {
    Decimal::from(100)
}

/// Evaluates every rule as of `today`, over the records `access` sees.
pub async fn evaluate(
    rules: &[(String, Rule)],
    store: &Store,
    access: &Access,
    today: Date,
) -> Result<Vec<Warning>, EvalError> {
    let mut out = Vec::new();
    for (_, r) in rules {
        match r.rule {
            RuleKind::PriceFluctuation => price(r, store, access, today, &mut out).await?,
            RuleKind::ProjectBehind => project(r, store, access, today, &mut out).await?,
            RuleKind::StatisticJump => statistic(r, store, access, today, &mut out).await?,
            RuleKind::OverdueByUnit => overdue(r, store, access, today, &mut out).await?,
        }
    }
    let acks = acks(store).await?;
    for w in &mut out {
        w.ack = acks.get(&w.id).cloned();
    }
    out.sort_by(|a, b| (a.level != "red", &a.rule, &a.id).cmp(&(b.level != "red", &b.rule, &b.id)));
    Ok(out)
}

/// The latest acknowledgement of every warning id.
pub async fn acks(store: &Store) -> Result<BTreeMap<String, Ack>, EvalError> {
    let mut m = BTreeMap::new();
    for e in store.events_of_kind(ACK_KIND).await? {
        if let Some(id) = e.entity_id {
            let note = e.data.get("note").and_then(|v| v.as_str()).unwrap_or("").to_string();
            m.insert(
                id,
                Ack {
                    by: e.actor_name,
                    at: e.at,
                    note,
                },
            );
        }
    }
    Ok(m)
}

/// Acknowledges a warning with a note (an event; the warning keeps firing
/// while its condition holds, now marked as acknowledged).
pub async fn acknowledge(store: &Store, access: &Access, id: &str, note: &str) -> Result<(), EvalError> {
    // The roles the 督办 page lets acknowledge (county-wide warnings: the office, the admin).
    if !matches!(access.role, lvzhi_store::Role::Office | lvzhi_store::Role::Admin) {
        return Err(EvalError::Store(lvzhi_store::StoreError::Forbidden(format!(
            "{}不能确认预警",
            access.role.label()
        ))));
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(EvalError::Bad("请填写处理说明".into()));
    }
    if note.chars().count() > 1000 || id.len() > 200 {
        return Err(EvalError::Bad("说明或编号过长".into()));
    }
    store
        .note_event(access, ACK_KIND, "warning", id, serde_json::json!({ "note": note }))
        .await?;
    Ok(())
}

async fn price(r: &Rule, store: &Store, a: &Access, today: Date, out: &mut Vec<Warning>) -> Result<(), EvalError> {
    let (Some(ledger), Some(df), Some(vf)) = (&r.ledger, &r.date_field, &r.value_field) else {
        return Ok(());
    };
    let threshold = r.threshold_pct.unwrap_or(Decimal::from(10));
    let mean_days = r.mean_days.unwrap_or(30);
    let mut exprs: Vec<Expr> = vec![Expr::Field(df.clone()), Expr::Field(vf.clone())];
    exprs.extend(r.key_fields.iter().map(|k| Expr::Field(k.clone())));
    let since = today
        .checked_sub(jiff::Span::new().days(mean_days * 2))
        .unwrap_or(today);
    let q = AggQuery::new(ledger)
        .with(Cond::cmp(Expr::Field(df.clone()), Op::Ge, since.to_string()))
        .with(Cond::cmp(Expr::Field(df.clone()), Op::Le, today.to_string()));
    let rows = store.fetch_values(a, &q, &exprs).await?;
    let mut series: BTreeMap<String, Vec<(Date, Decimal, i64)>> = BTreeMap::new();
    for row in rows {
        let v = |i: usize| row.values.get(i).cloned().flatten();
        let (Some(d), Some(p)) = (
            v(0).and_then(|s| s.parse::<Date>().ok()),
            v(1).and_then(|s| s.parse::<Decimal>().ok()),
        ) else {
            continue;
        };
        let key: Vec<String> = (2..2 + r.key_fields.len()).map(|i| v(i).unwrap_or_default()).collect();
        series.entry(key.join("·")).or_default().push((d, p, row.id));
    }
    let window_start = today.checked_sub(jiff::Span::new().days(mean_days)).unwrap_or(today);
    for (key, mut obs) in series {
        obs.sort_by_key(|(d, _, id)| (*d, *id));
        let Some(&(d, p, id)) = obs.last() else { continue };
        if d < window_start {
            continue;
        }
        let before = &obs[..obs.len() - 1];
        let mut evidence = vec![Evidence {
            label: format!("{}监测价格", lvzhi_core::time::date_cn(d)),
            value: crate::format::round(p, 2).to_string(),
            record: Some(id),
        }];
        let mut worst = Decimal::ZERO;
        let mut records = vec![id];
        if let Some(&(pd, pp, pid)) = before.last()
            && !pp.is_zero()
        {
            let change = (p - pp) / pp * hundred();
            evidence.push(Evidence {
                label: format!("上次（{}）价格，环比", lvzhi_core::time::date_cn(pd)),
                value: format!("{}，{}", crate::format::round(pp, 2), pct(change)),
                record: Some(pid),
            });
            records.push(pid);
            worst = worst.max(change.abs());
        }
        let from = d.checked_sub(jiff::Span::new().days(mean_days)).unwrap_or(d);
        let window: Vec<&(Date, Decimal, i64)> = before.iter().filter(|(x, _, _)| *x >= from).collect();
        if !window.is_empty() {
            let mean = window.iter().map(|(_, v, _)| *v).sum::<Decimal>() / Decimal::from(window.len() as i64);
            if !mean.is_zero() {
                let change = (p - mean) / mean * hundred();
                evidence.push(Evidence {
                    label: format!("前{mean_days}日均价（{}次），偏离", window.len()),
                    value: format!("{}，{}", crate::format::round(mean, 2), pct(change)),
                    record: None,
                });
                records.extend(window.iter().map(|(_, _, i)| *i));
                worst = worst.max(change.abs());
            }
        }
        if worst > threshold {
            records.sort_unstable();
            records.dedup();
            out.push(Warning {
                id: format!("{}:{id}", r.id),
                rule: r.id.clone(),
                name: r.name.clone(),
                level: if worst > threshold * Decimal::from(2) {
                    "red"
                } else {
                    "yellow"
                }
                .into(),
                subject: key.clone(),
                message: format!("{key}价格波动{}，超过预警线{}", pct(worst), pct(threshold)),
                evidence,
                records,
                ack: None,
            });
        }
    }
    Ok(())
}

async fn project(r: &Rule, store: &Store, a: &Access, today: Date, out: &mut Vec<Warning>) -> Result<(), EvalError> {
    let (Some(ledger), Some(pf), Some(df), Some(yf), Some(sf), Some(stf)) = (
        &r.ledger,
        &r.plan_field,
        &r.done_field,
        &r.year_field,
        &r.start_field,
        &r.started_field,
    ) else {
        return Ok(());
    };
    let yellow = r.yellow.unwrap_or(Decimal::from(10));
    let red = r.red.unwrap_or(Decimal::from(30));
    let months = r.not_started_months.unwrap_or(3);
    let mut q = AggQuery::new(ledger).with(Cond::eq(Expr::Field(yf.clone()), today.year().to_string()));
    if !r.skip_states.is_empty() {
        q = q.with(Cond {
            expr: Expr::Col(Col::State),
            op: Op::NotIn,
            value: lvzhi_store::aggregate::Operand::List(r.skip_states.clone()),
        });
    }
    let title = store
        .pack()
        .ledger(ledger)
        .and_then(|l| l.role_field(FieldRole::Title))
        .map(|f| f.key.clone());
    let mut exprs = vec![
        Expr::Field(pf.clone()),
        Expr::Field(df.clone()),
        Expr::Field(sf.clone()),
        Expr::Field(stf.clone()),
    ];
    if let Some(t) = &title {
        exprs.push(Expr::Field(t.clone()));
    }
    let rows = store.fetch_values(a, &q, &exprs).await?;
    let year = Period::Year(today.year());
    let elapsed = Decimal::from(i64::from(today.day_of_year()));
    let days = Decimal::from(i64::from(year.end().day_of_year()));
    let expected = elapsed / days * hundred();
    for row in rows {
        let v = |i: usize| row.values.get(i).cloned().flatten();
        let name = v(4).unwrap_or_else(|| format!("项目{}", row.id));
        let plan = v(0).and_then(|s| s.parse::<Decimal>().ok()).unwrap_or_default();
        let done = v(1).and_then(|s| s.parse::<Decimal>().ok()).unwrap_or_default();
        let planned_start = v(2).and_then(|s| s.parse::<Date>().ok());
        let started = v(3).is_some_and(|s| !s.is_empty());
        let money = |x: Decimal| lvzhi_core::money::format_money(x, 2);
        let mut evidence = vec![
            Evidence {
                label: "年度计划投资".into(),
                value: money(plan),
                record: Some(row.id),
            },
            Evidence {
                label: "年度完成投资".into(),
                value: money(done),
                record: Some(row.id),
            },
        ];
        let late_start = planned_start
            .and_then(|d| d.checked_add(jiff::Span::new().months(months)).ok())
            .is_some_and(|limit| !started && today > limit);
        let (level, message) = if late_start {
            evidence.push(Evidence {
                label: "计划开工日期".into(),
                value: planned_start.map(lvzhi_core::time::date_cn).unwrap_or_default(),
                record: Some(row.id),
            });
            ("red", format!("{name}超过计划开工日期{months}个月仍未开工"))
        } else if plan > Decimal::ZERO {
            let done_pct = done / plan * hundred();
            let gap = expected - done_pct;
            evidence.push(Evidence {
                label: "完成率／时序进度".into(),
                value: format!("{}／{}", pct(done_pct), pct(expected)),
                record: None,
            });
            if gap > red {
                (
                    "red",
                    format!(
                        "{name}年度投资完成率落后时序进度{}个百分点",
                        crate::format::fixed(gap, 1)
                    ),
                )
            } else if gap >= yellow {
                (
                    "yellow",
                    format!(
                        "{name}年度投资完成率落后时序进度{}个百分点",
                        crate::format::fixed(gap, 1)
                    ),
                )
            } else {
                continue;
            }
        } else {
            continue;
        };
        out.push(Warning {
            id: format!("{}:{}", r.id, row.id),
            rule: r.id.clone(),
            name: r.name.clone(),
            level: level.into(),
            subject: name,
            message,
            evidence,
            records: vec![row.id],
            ack: None,
        });
    }
    Ok(())
}

async fn statistic(r: &Rule, store: &Store, a: &Access, today: Date, out: &mut Vec<Warning>) -> Result<(), EvalError> {
    let ledger = r.ledger.clone().unwrap_or_else(|| STAT_LEDGER.into());
    let threshold = r.threshold_pct.unwrap_or(Decimal::from(50));
    let q = AggQuery::new(&ledger).with(Cond::eq(Expr::Col(Col::State), STAT_APPROVED));
    let rows = store
        .fetch_values(
            a,
            &q,
            &[
                Expr::Field("indicator".into()),
                Expr::Col(Col::Division),
                Expr::Field("period".into()),
                Expr::Field("value".into()),
                Expr::Field("last_year_value".into()),
                Expr::Field("measure".into()),
            ],
        )
        .await?;
    type Key = (String, String, String);
    let mut by: BTreeMap<Key, (Period, i64, Decimal, Option<Decimal>, String)> = BTreeMap::new();
    for row in &rows {
        let v = |i: usize| row.values.get(i).cloned().flatten();
        let (Some(ind), Some(div), Some(per), Some(val)) = (
            v(0),
            v(1),
            v(2).and_then(|s| Period::parse(&s).ok()),
            v(3).and_then(|s| s.parse::<Decimal>().ok()),
        ) else {
            continue;
        };
        if !matches!(per, Period::Month(..)) {
            continue;
        }
        let last = v(4).and_then(|s| s.parse::<Decimal>().ok());
        by.insert(
            (ind, div, per.to_string()),
            (per, row.id, val, last, v(5).unwrap_or_default()),
        );
    }
    let recent = today.checked_sub(jiff::Span::new().months(12)).unwrap_or(today);
    for ((ind, div, _), (per, id, val, last, measure)) in &by {
        if per.end() < recent || per.start() > today || measure == "%" {
            continue;
        }
        let prior = by.get(&(ind.clone(), div.clone(), per.year_before().to_string()));
        let (base, base_record) = match (prior, last) {
            (Some((_, pid, pv, _, _)), _) => (*pv, Some(*pid)),
            (None, Some(l)) => (*l, None),
            (None, None) => continue,
        };
        if base.is_zero() {
            continue;
        }
        let change = (*val - base) / base * hundred();
        if change.abs() <= threshold {
            continue;
        }
        let mut records = vec![*id];
        records.extend(base_record);
        out.push(Warning {
            id: format!("{}:{id}", r.id),
            rule: r.id.clone(),
            name: r.name.clone(),
            level: if change.abs() > threshold * Decimal::from(2) {
                "red"
            } else {
                "yellow"
            }
            .into(),
            subject: format!("{ind}（{}，{div}）", per.label()),
            message: format!(
                "{ind}{}同比{}，超出合理区间±{}，请核实数据来源",
                per.label(),
                crate::format::display(change, "%", Some(1), Some(crate::def::FormulaKind::Growth)),
                pct(threshold)
            ),
            evidence: vec![
                Evidence {
                    label: "本期数".into(),
                    value: format!("{}{measure}", lvzhi_core::money::trim_decimal(*val)),
                    record: Some(*id),
                },
                Evidence {
                    label: "上年同期数".into(),
                    value: format!("{}{measure}", lvzhi_core::money::trim_decimal(base)),
                    record: base_record,
                },
            ],
            records,
            ack: None,
        });
    }
    Ok(())
}

async fn overdue(r: &Rule, store: &Store, a: &Access, today: Date, out: &mut Vec<Warning>) -> Result<(), EvalError> {
    let yellow = r.yellow.unwrap_or(Decimal::ONE);
    let red = r.red.unwrap_or(Decimal::from(5));
    /// Overdue items of a unit: count, record ids, count per ledger name.
    type Tally = (i64, Vec<i64>, BTreeMap<String, i64>);
    let mut per_unit: BTreeMap<i64, Tally> = BTreeMap::new();
    // 超期未办结: the definition of `duty` (the same ledgers, open, past the deadline).
    for l in crate::duty::deadline_ledgers(store.pack()) {
        let q = AggQuery::new(&l.key)
            .with(Cond::eq(Expr::Col(Col::Closed), "false"))
            .with(Cond::cmp(Expr::Col(Col::Deadline), Op::Lt, today.to_string()));
        let buckets = store
            .aggregate(a, &q, Agg::Count, None, Some(&Expr::Col(Col::Unit)), true)
            .await?;
        for b in buckets {
            let Some(unit) = b.key.and_then(|k| k.parse::<i64>().ok()) else {
                continue;
            };
            let e = per_unit.entry(unit).or_default();
            e.0 += b.count;
            e.1.extend(b.ids);
            *e.2.entry(l.name.clone()).or_default() += b.count;
        }
    }
    let units: BTreeMap<i64, String> = store.units().await?.into_iter().map(|u| (u.id, u.name)).collect();
    for (unit, (n, mut ids, by_ledger)) in per_unit {
        let nd = Decimal::from(n);
        if nd < yellow {
            continue;
        }
        ids.sort_unstable();
        let name = units.get(&unit).cloned().unwrap_or_else(|| format!("单位{unit}"));
        out.push(Warning {
            id: format!("{}:{unit}", r.id),
            rule: r.id.clone(),
            name: r.name.clone(),
            level: if nd >= red { "red" } else { "yellow" }.into(),
            subject: name.clone(),
            message: format!("{name}有{n}件事项超期未办结"),
            evidence: by_ledger
                .into_iter()
                .map(|(l, c)| Evidence {
                    label: l,
                    value: format!("{c}件"),
                    record: None,
                })
                .collect(),
            records: ids,
            ack: None,
        });
    }
    Ok(())
}
