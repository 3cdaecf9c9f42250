//! 首页 in two queries: the reader's to-do items ([`Store::todo`]) and the
//! open/red/yellow counts of every ledger ([`Store::open_counts`]), instead of
//! one list per ledger × state and three counts per ledger.
//!
//! **Invariant (scope):** both are AND-ed with [`records::scope_sql`] of the
//! reader's [`Access`], like every list; the warning rules are the lists'
//! (`warning=red`: open, deadline before today; `yellow`: open, deadline from
//! today to today + the ledger's `warn_days`, in calendar or working days).

use crate::db::P;
use crate::records::{self, COLS, RecordView};
use crate::{Store, StoreError};
use lvzhi_core::access::Access;

/// A ledger's counts of open items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenCounts {
    /// Open (not final, not voided).
    pub open: i64,
    /// Of which overdue (红).
    pub red: i64,
    /// Of which due soon (黄).
    pub yellow: i64,
}

fn bind(v: P, params: &mut Vec<P>) -> String {
    params.push(v);
    format!("${}", params.len())
}

impl Store {
    /// Open records in `a`'s scope whose (ledger, state) has a transition `a`'s
    /// role may take, soonest deadline first (none last), then by id: the first
    /// `limit` of them that `a` may act on now, and how many match in all.
    pub async fn todo(&self, a: &Access, limit: i64) -> Result<(Vec<RecordView>, i64), StoreError> {
        if !a.role.writes() {
            return Ok((vec![], 0));
        }
        let mut params: Vec<P> = Vec::new();
        let mut arms: Vec<String> = Vec::new();
        for kind in &self.pack.ledgers {
            let Some(wf) = &kind.workflow else { continue };
            let mut states: Vec<&str> = Vec::new();
            for t in wf.transitions.iter().filter(|t| t.roles.contains(&a.role)) {
                for s in &t.from {
                    if !states.contains(&s.as_str()) {
                        states.push(s);
                    }
                }
            }
            if states.is_empty() {
                continue;
            }
            let l = bind(P::T(kind.key.clone()), &mut params);
            let ss: Vec<String> = states.iter().map(|s| bind(P::T(s.to_string()), &mut params)).collect();
            arms.push(format!("ledger = {l} AND state IN ({})", ss.join(", ")));
        }
        if arms.is_empty() {
            return Ok((vec![], 0));
        }
        let v = bind(P::B(false), &mut params);
        let c = bind(P::B(false), &mut params);
        let mut next = params.len() + 1;
        let scope = records::scope_sql(a, &mut next, &mut params);
        // One arm per ledger, each through its (ledger, state) index, instead
        // of one OR over all of them (which scans the table): every arm
        // counts its rows and yields its own first rows; the union is sorted.
        let cond = |arm: &str| format!("{arm} AND voided = {v} AND closed = {c} AND {scope}");
        let mut conn = self.pool.acquire().await?;
        let count_sql = arms
            .iter()
            .map(|arm| format!("SELECT COUNT(*) AS n FROM records WHERE {}", cond(arm)))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let total = conn
            .conn()
            .row(
                &format!("SELECT CAST(SUM(n) AS BIGINT) FROM ({count_sql}) AS counts"),
                &params,
            )
            .await?
            .map(|r| r.i(0))
            .unwrap_or(0);
        // Items the role may not act on now (a transition limited to another
        // unit's records…) are skipped: read a few more than asked.
        let n = limit.clamp(1, 500) * 2;
        let rows_sql = arms
            .iter()
            .enumerate()
            .map(|(i, arm)| {
                format!(
                    "SELECT * FROM (SELECT {COLS}, COALESCE(deadline, '9999-12-31') AS todo_due \
                     FROM records WHERE {} ORDER BY todo_due, id LIMIT {n}) AS arm{i}",
                    cond(arm)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let rows = conn
            .conn()
            .rows(&format!("{rows_sql} ORDER BY todo_due, id LIMIT {n}"), &params)
            .await?;
        drop(conn);
        let mut items = Vec::new();
        for r in rows.iter().map(|r| self.open_row(r)) {
            let view = self.view(a, r)?;
            if !view.actions.is_empty() {
                items.push(view);
            }
            if items.len() as i64 >= limit {
                break;
            }
        }
        Ok((items, total))
    }

    /// Per ledger key: open, red and yellow items in `a`'s scope (ledgers
    /// without open items are absent).
    pub async fn open_counts(&self, a: &Access) -> Result<Vec<(String, OpenCounts)>, StoreError> {
        let rows = self.open_counts_by(a, "ledger", false).await?;
        Ok(rows.into_iter().map(|(k, c)| (k.t(0), c)).collect())
    }

    /// Per responsible unit: open, red and yellow items in `a`'s scope, over
    /// the ledgers with a workflow (units without open items, and items
    /// without a unit, are absent) — the leader dashboard's 红黄预警 by unit.
    pub async fn warn_by_unit(&self, a: &Access) -> Result<Vec<(i64, OpenCounts)>, StoreError> {
        let rows = self.open_counts_by(a, "unit_id", true).await?;
        Ok(rows.into_iter().filter_map(|(k, c)| k.oi(0).map(|u| (u, c))).collect())
    }

    /// Open/red/yellow counts grouped by `col` (a trusted column name), the
    /// group's value first in each returned row.
    async fn open_counts_by(
        &self,
        a: &Access,
        col: &str,
        workflow_only: bool,
    ) -> Result<Vec<(crate::db::Row, OpenCounts)>, StoreError> {
        let today = self.today();
        let cal = self.fresh_calendar().await?;
        let mut params: Vec<P> = Vec::new();
        let t = bind(P::T(today.to_string()), &mut params);
        let mut soon = String::from("CASE ledger");
        let mut kinds: Vec<String> = Vec::new();
        for kind in &self.pack.ledgers {
            let until = kind.deadline.yellow_until(&cal, today)?;
            let k = bind(P::T(kind.key.clone()), &mut params);
            let d = bind(P::T(until.to_string()), &mut params);
            soon.push_str(&format!(" WHEN {k} THEN {d}"));
            if kind.workflow.is_some() {
                kinds.push(k);
            }
        }
        soon.push_str(&format!(" ELSE {t} END"));
        let v = bind(P::B(false), &mut params);
        let c = bind(P::B(false), &mut params);
        let mut next = params.len() + 1;
        let scope = records::scope_sql(a, &mut next, &mut params);
        let only = match (workflow_only, kinds.is_empty()) {
            (false, _) => String::new(),
            (true, true) => " AND 1 = 0".into(),
            (true, false) => format!(" AND ledger IN ({})", kinds.join(", ")),
        };
        let sql = format!(
            "SELECT {col}, COUNT(*), \
             SUM(CASE WHEN deadline < {t} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN deadline >= {t} AND deadline <= {soon} THEN 1 ELSE 0 END) \
             FROM records WHERE voided = {v} AND closed = {c}{only} AND {scope} GROUP BY {col}"
        );
        let mut conn = self.pool.acquire().await?;
        let rows = conn.conn().rows(&sql, &params).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let c = OpenCounts {
                    open: r.i(1),
                    red: r.i(2),
                    yellow: r.i(3),
                };
                (r, c)
            })
            .collect())
    }

    /// Open items of `ledgers` in `a`'s scope that are overdue (红) or due
    /// soon (黄) — the lists' `warning=red` / `warning=yellow` — optionally
    /// of one responsible unit and one level: the first `limit`, red first,
    /// then by deadline and id; and how many are red and yellow in all. One
    /// query for the page and one for the totals (督查督办).
    pub async fn warned_items(
        &self,
        a: &Access,
        ledgers: &[&str],
        unit: Option<i64>,
        level: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<RecordView>, i64, i64), StoreError> {
        let kinds: Vec<_> = ledgers.iter().filter_map(|k| self.pack.ledger(k)).collect();
        if kinds.is_empty() {
            return Ok((vec![], 0, 0));
        }
        let today = self.today();
        let cal = self.fresh_calendar().await?;
        let mut params: Vec<P> = Vec::new();
        let t = bind(P::T(today.to_string()), &mut params);
        let mut soon = String::from("CASE ledger");
        let mut keys = Vec::new();
        for kind in &kinds {
            let until = kind.deadline.yellow_until(&cal, today)?;
            let k = bind(P::T(kind.key.clone()), &mut params);
            let d = bind(P::T(until.to_string()), &mut params);
            soon.push_str(&format!(" WHEN {k} THEN {d}"));
            keys.push(k);
        }
        soon.push_str(&format!(" ELSE {t} END"));
        let v = bind(P::B(false), &mut params);
        let c = bind(P::B(false), &mut params);
        let mut conds = vec![
            format!("voided = {v}"),
            format!("closed = {c}"),
            format!("ledger IN ({})", keys.join(", ")),
            format!("deadline <= {soon}"),
        ];
        if let Some(u) = unit {
            let p = bind(P::I(u), &mut params);
            conds.push(format!("unit_id = {p}"));
        }
        match level {
            Some("red") => conds.push(format!("deadline < {t}")),
            Some("yellow") => conds.push(format!("deadline >= {t}")),
            _ => {}
        }
        let mut next = params.len() + 1;
        conds.push(records::scope_sql(a, &mut next, &mut params));
        let where_sql = conds.join(" AND ");
        let mut conn = self.pool.acquire().await?;
        let totals = conn
            .conn()
            .row(
                &format!(
                    "SELECT COUNT(*), SUM(CASE WHEN deadline < {t} THEN 1 ELSE 0 END) \
                     FROM records WHERE {where_sql}"
                ),
                &params,
            )
            .await?;
        let (all, red) = totals.map(|r| (r.i(0), r.i(1))).unwrap_or((0, 0));
        let rows = conn
            .conn()
            .rows(
                &format!(
                    "SELECT {COLS} FROM records WHERE {where_sql} \
                     ORDER BY CASE WHEN deadline < {t} THEN 0 ELSE 1 END, deadline, id LIMIT {}",
                    limit.clamp(1, 1000)
                ),
                &params,
            )
            .await?;
        drop(conn);
        let items = rows
            .iter()
            .map(|r| self.view(a, self.open_row(r)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, red, all - red))
    }
}
