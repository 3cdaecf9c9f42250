//! 督查 figures per unit and 评星挂旗: one definition each, used by the
//! 督查督办 page, the bulletins and the API.
//!
//! **Definitions** (over the items of ledgers with a workflow and a deadline,
//! [`deadline_ledgers`], as the reader may see them):
//! * **到期** (`due`) — items whose deadline in force lies in the period and
//!   has arrived (`start ≤ deadline ≤ min(end, today)`).
//! * **按期办结** (`on_time`) — of those, the items closed with their closing
//!   date ([`close_field`]: 办结日期, 整改完成日期…) on or before the deadline.
//! * **按期办结率** — 按期办结 ÷ 到期 × 100 ([`Tally::rate`]; none when nothing
//!   was due).
//! * **超期未办结** (`overdue`) — open items past their deadline as of today,
//!   whatever the period (the same count as the 单位超期事项预警 and the
//!   督查督办 list's 红色).
//! * **临期** (`due_soon`) — open items whose deadline lies within the
//!   ledger's warning days from today (黄色).
//!
//! **评星挂旗** ([`rank`]): units are ranked within their kind (乡镇 with
//! 乡镇, 部门 with 部门), the ranking office ([`ranking_offices`]) left out.
//! Order (the one tie-break): units with at least [`MIN_ITEMS`] items due
//! first, then those with fewer, then those with none; within each, higher
//! on-time rate (compared exactly), fewer 超期未办结, fewer 临期, more items
//! due, then name. Stars ([`stars`]) by the exact rate: ≥95% ★★★★★, ≥90% ★★★★,
//! ≥80% ★★★, ≥70% ★★, ≥60% ★; units with fewer than [`MIN_ITEMS`] items due
//! get none (样本不足). 红旗: every unit of the kind with the best rate among
//! those with enough items.

use crate::eval::{EvalError, STAT_LEDGER};
use jiff::civil::Date;
use lvzhi_core::access::{Access, Role};
use lvzhi_core::field::{FieldRole, FieldType};
use lvzhi_core::ledger::{LedgerKind, Pack};
use lvzhi_core::period::Period;
use lvzhi_store::Store;
use lvzhi_store::aggregate::{AggQuery, Col, Cond, Expr, Op, Operand};
use rust_decimal::Decimal;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Units with fewer items due in the period get no stars (样本不足).
pub const MIN_ITEMS: i64 = 5;

/// The key of items without a responsible unit.
pub const NO_UNIT: &str = "";

/// The ledgers whose items can be due and overdue: a workflow and a
/// date-typed deadline field (statistics excluded).
pub fn deadline_ledgers(pack: &Pack) -> Vec<&LedgerKind> {
    pack.ledgers
        .iter()
        .filter(|k| {
            k.key != STAT_LEDGER
                && k.workflow.is_some()
                && k.fields
                    .iter()
                    .any(|f| f.role == Some(FieldRole::Deadline) && f.ty == FieldType::Date)
        })
        .collect()
}

/// The date a ledger's items are closed on: the last date field a transition
/// requires (整改完成日期, 办结日期, 答复日期…), not the deadline itself.
pub fn close_field(kind: &LedgerKind) -> Option<&str> {
    let wf = kind.workflow.as_ref()?;
    let mut found = None;
    for t in &wf.transitions {
        for r in &t.requires {
            if let Some(f) = kind.field(r)
                && f.ty == FieldType::Date
                && f.role != Some(FieldRole::Deadline)
            {
                found = Some(f.key.as_str());
            }
        }
    }
    found
}

/// The 督查 counts of a unit (or of all units) — see the module docs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// 到期.
    pub due: i64,
    /// 按期办结.
    pub on_time: i64,
    /// 超期未办结 (as of today).
    pub overdue: i64,
    /// 临期 (as of today).
    pub due_soon: i64,
}

impl Tally {
    /// 按期办结率 in percent, exact; None when nothing was due.
    pub fn rate(&self) -> Option<Decimal> {
        (self.due > 0).then(|| Decimal::from(self.on_time.min(self.due)) * Decimal::from(100) / Decimal::from(self.due))
    }

    /// 按期办结率 as printed (96.3%), or 无到期事项.
    pub fn rate_text(&self) -> String {
        match self.rate() {
            Some(r) => format!(
                "{:.1}%",
                r.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            ),
            None => "无到期事项".into(),
        }
    }

    fn add(&mut self, o: &Tally) {
        self.due += o.due;
        self.on_time += o.on_time;
        self.overdue += o.overdue;
        self.due_soon += o.due_soon;
    }
}

/// One unit's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitTally {
    /// Unit id as text ([`NO_UNIT`] for items without one).
    pub key: String,
    /// Unit name (（未指定单位）).
    pub label: String,
    /// 乡镇 / 部门 / "" (unknown).
    pub kind: String,
    /// The counts.
    pub tally: Tally,
}

/// The sum of the rows: the totals a bulletin prints.
pub fn total(rows: &[UnitTally]) -> Tally {
    let mut t = Tally::default();
    for r in rows {
        t.add(&r.tally);
    }
    t
}

/// Per unit, the 督查 counts of `ledgers` (all [`deadline_ledgers`] when
/// empty) for `period` as of `today`, over the records `a` sees. Items
/// without a unit form a row of their own, so the rows always add up to the
/// totals. Rows in unit-id order.
pub async fn unit_tallies(
    store: &Store,
    a: &Access,
    ledgers: &[&str],
    period: Period,
    today: Date,
) -> Result<Vec<UnitTally>, EvalError> {
    let start = period.start().to_string();
    let until = period.end().min(today).to_string();
    let t = today.to_string();
    let mut m: BTreeMap<Option<i64>, Tally> = BTreeMap::new();
    let unit_of = |v: Option<&str>| v.and_then(|u| u.parse::<i64>().ok());
    for kind in deadline_ledgers(store.pack()) {
        if !ledgers.is_empty() && !ledgers.contains(&kind.key.as_str()) {
            continue;
        }
        let cf = close_field(kind);
        // 到期 and 按期办结.
        let q = AggQuery::new(&kind.key)
            .with(Cond::cmp(Expr::Col(Col::Deadline), Op::Ge, start.clone()))
            .with(Cond::cmp(Expr::Col(Col::Deadline), Op::Le, until.clone()));
        let mut exprs = vec![Expr::Col(Col::Unit), Expr::Col(Col::Deadline), Expr::Col(Col::Closed)];
        if let Some(cf) = cf {
            exprs.push(Expr::Field(cf.into()));
        }
        for r in store.fetch_values(a, &q, &exprs).await? {
            let get = |i: usize| r.values.get(i).and_then(|v| v.as_deref());
            let e = m.entry(unit_of(get(0))).or_default();
            e.due += 1;
            let closed = matches!(get(2), Some("true" | "1" | "t"));
            if closed
                && let (Some(d), Some(c)) = (get(1), get(3))
                && c.get(..10).unwrap_or(c) <= d.get(..10).unwrap_or(d)
            {
                e.on_time += 1;
            }
        }
        // 超期未办结 and 临期, as of today.
        let soon = today
            .checked_add(jiff::Span::new().days(kind.deadline.warn_days))
            .unwrap_or(today)
            .to_string();
        let q = AggQuery::new(&kind.key)
            .with(Cond::eq(Expr::Col(Col::Closed), "false"))
            .with(Cond {
                expr: Expr::Col(Col::Deadline),
                op: Op::NotNull,
                value: Operand::None,
            })
            .with(Cond::cmp(Expr::Col(Col::Deadline), Op::Le, soon));
        for r in store
            .fetch_values(a, &q, &[Expr::Col(Col::Unit), Expr::Col(Col::Deadline)])
            .await?
        {
            let get = |i: usize| r.values.get(i).and_then(|v| v.as_deref());
            let Some(d) = get(1) else { continue };
            let e = m.entry(unit_of(get(0))).or_default();
            if d.get(..10).unwrap_or(d) < t.as_str() {
                e.overdue += 1;
            } else {
                e.due_soon += 1;
            }
        }
    }
    let units: BTreeMap<i64, (String, String)> = store
        .units()
        .await?
        .into_iter()
        .map(|u| (u.id, (u.name, u.kind)))
        .collect();
    Ok(m.into_iter()
        .filter(|(_, c)| *c != Tally::default())
        .map(|(u, tally)| {
            let (label, kind) = match u {
                Some(id) => units
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| (format!("单位{id}"), String::new())),
                None => ("（未指定单位）".to_string(), String::new()),
            };
            UnitTally {
                key: u.map(|i| i.to_string()).unwrap_or_default(),
                label,
                kind,
                tally,
            }
        })
        .collect())
}

/// A unit's 红黄预警: its open items past their deadline (红, 超期) and
/// within the ledger's warning days (黄, 临期) as of today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UnitWarned {
    /// Unit id.
    pub unit: i64,
    /// 超期 (红).
    pub red: i64,
    /// 临期 (黄).
    pub yellow: i64,
}

/// **红黄预警 by unit** — per responsible unit, the open items of the
/// [`deadline_ledgers`] (the items the 督查督办 page lists, with the same
/// 红/黄 as its totals and [`Tally::overdue`]/[`Tally::due_soon`]) that `a`
/// sees; units with neither left out, worst first (more 红, then more 黄,
/// then unit id). `ledgers` narrows the ledgers (all when empty). The
/// leader's 首页 and `GET /api/v1/dashboard` read it.
pub async fn warned_by_unit(
    store: &Store,
    a: &Access,
    ledgers: &[&str],
) -> Result<Vec<UnitWarned>, lvzhi_store::StoreError> {
    let keys: Vec<&str> = deadline_ledgers(store.pack())
        .into_iter()
        .map(|k| k.key.as_str())
        .filter(|k| ledgers.is_empty() || ledgers.contains(k))
        .collect();
    let mut out: Vec<UnitWarned> = store
        .warn_by_unit(a, &keys)
        .await?
        .into_iter()
        .filter(|(_, c)| c.red + c.yellow > 0)
        .map(|(unit, c)| UnitWarned {
            unit,
            red: c.red,
            yellow: c.yellow,
        })
        .collect();
    out.sort_by(|x, y| (y.red, y.yellow, x.unit).cmp(&(x.red, x.yellow, y.unit)));
    Ok(out)
}

/// The units that rank others (the units of 政府办 users): left out of
/// their own ranking.
pub async fn ranking_offices(store: &Store) -> Result<Vec<i64>, EvalError> {
    Ok(store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Office)
        .filter_map(|u| u.unit_id)
        .collect())
}

/// Stars for an exact on-time rate in percent (see the module docs).
pub fn stars(rate: Decimal) -> u8 {
    let at = |n: i64| rate >= Decimal::from(n);
    if at(95) {
        5
    } else if at(90) {
        4
    } else if at(80) {
        3
    } else if at(70) {
        2
    } else if at(60) {
        1
    } else {
        0
    }
}

/// A unit's line of 评星挂旗.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    /// Place within its kind (1 = best).
    pub place: usize,
    /// The unit and its counts.
    pub unit: UnitTally,
    /// 按期办结率, exact (None: nothing due).
    pub rate: Option<Decimal>,
    /// ★ (0–5).
    pub stars: u8,
    /// 红旗.
    pub flag: bool,
    /// Fewer than [`MIN_ITEMS`] items due (样本不足, no stars).
    pub few: bool,
}

/// One unit's place in the order (see the module docs).
fn order(x: &UnitTally, y: &UnitTally) -> Ordering {
    let class = |u: &UnitTally| match u.tally.due {
        0 => 2,
        d if d < MIN_ITEMS => 1,
        _ => 0,
    };
    let (a, b) = (&x.tally, &y.tally);
    class(x)
        .cmp(&class(y))
        .then_with(|| (i128::from(b.on_time) * i128::from(a.due)).cmp(&(i128::from(a.on_time) * i128::from(b.due))))
        .then(a.overdue.cmp(&b.overdue))
        .then(a.due_soon.cmp(&b.due_soon))
        .then(b.due.cmp(&a.due))
        .then_with(|| x.label.cmp(&y.label))
}

/// 评星挂旗 (see the module docs): units of one `kind` (乡镇 or 部门), the
/// offices in `exclude` and units without a name left out, ranked.
pub fn rank(rows: &[UnitTally], kind: &str, exclude: &[i64]) -> Vec<Ranked> {
    let mut v: Vec<&UnitTally> = rows
        .iter()
        .filter(|u| u.kind == kind && !u.key.is_empty())
        .filter(|u| !u.key.parse::<i64>().is_ok_and(|id| exclude.contains(&id)))
        .collect();
    v.sort_by(|x, y| order(x, y));
    let best = v.iter().find(|u| u.tally.due >= MIN_ITEMS).map(|u| u.tally);
    v.into_iter()
        .enumerate()
        .map(|(i, u)| {
            let few = u.tally.due < MIN_ITEMS;
            let rate = u.tally.rate();
            Ranked {
                place: i + 1,
                rate,
                stars: if few { 0 } else { rate.map(stars).unwrap_or(0) },
                flag: !few
                    && best.is_some_and(|b| {
                        i128::from(u.tally.on_time) * i128::from(b.due)
                            == i128::from(b.on_time) * i128::from(u.tally.due)
                    }),
                few,
                unit: u.clone(),
            }
        })
        .collect()
}

/// 评星挂旗 as pages and the API show it: 乡镇 ranked with 乡镇, then 部门
/// with 部门 (the ranking `offices` left out), only units with items due;
/// each row with its group's name (乡镇 / 县直部门).
pub fn ranked_groups(tallies: &[UnitTally], offices: &[i64]) -> Vec<(&'static str, Ranked)> {
    let mut out = Vec::new();
    for (group, name) in [
        (lvzhi_store::org::TOWNSHIP, "乡镇"),
        (lvzhi_store::org::DEPARTMENT, "县直部门"),
    ] {
        out.extend(
            rank(tallies, group, offices)
                .into_iter()
                .filter(|r| r.unit.tally.due > 0)
                .map(|r| (name, r)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(key: &str, kind: &str, due: i64, on_time: i64, overdue: i64) -> UnitTally {
        UnitTally {
            key: key.into(),
            label: format!("单位{key}"),
            kind: kind.into(),
            tally: Tally {
                due,
                on_time,
                overdue,
                due_soon: 0,
            },
        }
    }

    #[test]
    fn star_rule_is_exact() {
        assert_eq!(stars(Decimal::from(100)), 5);
        assert_eq!(stars(Decimal::from(95)), 5);
        assert_eq!(stars(Decimal::new(9499, 2)), 4);
        assert_eq!(stars(Decimal::from(80)), 3);
        assert_eq!(stars(Decimal::from(70)), 2);
        assert_eq!(stars(Decimal::from(60)), 1);
        assert_eq!(stars(Decimal::new(5999, 2)), 0);
    }

    #[test]
    fn ranks_like_with_like_with_one_tie_break() {
        let rows = vec![
            u("1", "部门", 10, 9, 3),
            u("2", "部门", 20, 18, 1),
            u("3", "部门", 3, 3, 0),
            u("4", "乡镇", 10, 10, 0),
            u("5", "部门", 0, 0, 7),
            u("6", "部门", 10, 10, 0),
            u("", "", 4, 1, 1),
        ];
        let d = rank(&rows, "部门", &[6]);
        let keys: Vec<&str> = d.iter().map(|r| r.unit.key.as_str()).collect();
        // Same rate 90%: fewer overdue first; 3 items: after; none due: last;
        // the office (6) and the township (4) are not in the list.
        assert_eq!(keys, ["2", "1", "3", "5"]);
        assert_eq!(d[0].stars, 4);
        assert!(d[0].flag && d[1].flag, "both have the best rate");
        assert!(d[2].few && d[2].stars == 0 && !d[2].flag);
        let t = rank(&rows, "乡镇", &[]);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].stars, 5);
        let all = total(&rows);
        assert_eq!((all.due, all.on_time, all.overdue), (57, 51, 12));
        assert_eq!(u("", "", 3, 2, 0).tally.rate_text(), "66.7%");
    }
}
