//! 首页 in two queries: the reader's to-do items ([`Store::todo`]) and the
//! open/red/yellow counts of every ledger ([`Store::open_counts`]), instead of
//! one list per ledger × state and three counts per ledger.
//!
//! **Invariant (scope):** both are AND-ed with [`records::own_scope_sql`] of the
//! reader's [`Access`] (a list's scope without the 协办 units: 待办 is the
//! responsible unit's); the warning rules are the lists'
//! (`warning=red`: open, deadline before today; `yellow`: open, deadline from
//! today to today + the ledger's `warn_days`, in calendar or working days).

use crate::db::P;
use crate::records::{self, COLS, RecordView};
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, Role};

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
    /// role may take — those assigned to `a` (承办人) first, then the rest; each
    /// part soonest deadline first (none last), then by id: the first `limit`
    /// of them that `a` may act on now, and how many match in all.
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
        let me = bind(P::I(a.user_id), &mut params);
        let mut next = params.len() + 1;
        let scope = records::own_scope_sql(a, &mut next, &mut params);
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
                    "SELECT * FROM (SELECT {COLS}, COALESCE(deadline, '9999-12-31') AS todo_due, \
                     CASE WHEN EXISTS (SELECT 1 FROM record_assignees x WHERE x.record_id = records.id \
                     AND x.user_id = {me}) THEN 0 ELSE 1 END AS todo_mine \
                     FROM records WHERE {} ORDER BY todo_mine, todo_due, id LIMIT {n}) AS arm{i}",
                    cond(arm)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let rows = conn
            .conn()
            .rows(
                &format!("{rows_sql} ORDER BY todo_mine, todo_due, id LIMIT {n}"),
                &params,
            )
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
        let rows = self.open_counts_by(a, "ledger", None).await?;
        Ok(rows.into_iter().map(|(k, c)| (k.t(0), c)).collect())
    }

    /// Per responsible unit: open, red and yellow items in `a`'s scope, over
    /// `ledgers` (units without open items, and items without a unit, are
    /// absent) — the leader dashboard's 红黄预警 by unit, over the ledgers
    /// 督查督办 lists (`lvzhi_metrics::duty::warned_by_unit`).
    pub async fn warn_by_unit(&self, a: &Access, ledgers: &[&str]) -> Result<Vec<(i64, OpenCounts)>, StoreError> {
        let rows = self.open_counts_by(a, "unit_id", Some(ledgers)).await?;
        Ok(rows.into_iter().filter_map(|(k, c)| k.oi(0).map(|u| (u, c))).collect())
    }

    /// Open/red/yellow counts grouped by `col` (a trusted column name), the
    /// group's value first in each returned row.
    async fn open_counts_by(
        &self,
        a: &Access,
        col: &str,
        only: Option<&[&str]>,
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
            if only.is_some_and(|o| o.contains(&kind.key.as_str())) {
                kinds.push(k);
            }
        }
        soon.push_str(&format!(" ELSE {t} END"));
        let v = bind(P::B(false), &mut params);
        let c = bind(P::B(false), &mut params);
        let mut next = params.len() + 1;
        let scope = records::own_scope_sql(a, &mut next, &mut params);
        let only = match (only.is_some(), kinds.is_empty()) {
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
        conds.push(records::own_scope_sql(a, &mut next, &mut params));
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

/// A record's 承办人.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignee {
    /// User id.
    pub user_id: i64,
    /// Display name.
    pub name: String,
}

impl Store {
    /// The 承办人 of record `id` (visible to `a`), if one was assigned.
    pub async fn assignee(&self, a: &Access, id: i64) -> Result<Option<Assignee>, StoreError> {
        self.record(a, id).await?;
        let mut c = self.pool.acquire().await?;
        Ok(c.conn()
            .row(
                "SELECT x.user_id, u.display_name FROM record_assignees x JOIN users u ON u.id = x.user_id \
                 WHERE x.record_id = $1",
                &[P::I(id)],
            )
            .await?
            .map(|r| Assignee {
                user_id: r.i(0),
                name: r.t(1),
            }))
    }

    /// Of `ids`, the records assigned to `a` (their 承办人 is `a`).
    pub async fn assigned_to_me(&self, a: &Access, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut params = vec![P::I(a.user_id)];
        let marks: Vec<String> = ids.iter().map(|id| bind(P::I(*id), &mut params)).collect();
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                &format!(
                    "SELECT record_id FROM record_assignees WHERE user_id = $1 AND record_id IN ({})",
                    marks.join(", ")
                ),
                &params,
            )
            .await?;
        Ok(rows.iter().map(|r| r.i(0)).collect())
    }

    /// Whether `a` may choose the 承办人 of `v`: an open record, by the office or
    /// an admin, or by the head of its responsible unit.
    pub fn may_assign(a: &Access, v: &RecordView) -> bool {
        let open = !v.row.closed && !v.row.voided && v.row.unit_id.is_some();
        open && match a.role {
            Role::Admin | Role::Office => true,
            Role::UnitHead => a.unit.is_some() && a.unit == v.row.unit_id,
            _ => false,
        }
    }

    /// The users who may be 承办人 of record `id`: the enabled clerks and heads
    /// of its responsible unit, by id.
    pub async fn assignable(&self, a: &Access, id: i64) -> Result<Vec<Assignee>, StoreError> {
        let v = self.record(a, id).await?;
        let Some(unit) = v.row.unit_id else { return Ok(vec![]) };
        Ok(self
            .users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && u.unit_id == Some(unit) && matches!(u.role, Role::UnitClerk | Role::UnitHead))
            .map(|u| Assignee {
                user_id: u.id,
                name: u.display_name,
            })
            .collect())
    }

    /// Makes `user` the 承办人 of record `id` (an event `record.assign` on the
    /// record's chain). Only [`Store::may_assign`]; the user must be an enabled
    /// clerk or head of the record's responsible unit.
    pub async fn assign(&self, a: &Access, id: i64, user: i64) -> Result<Assignee, StoreError> {
        let v = self.record(a, id).await?;
        if !Self::may_assign(a, &v) {
            return Err(StoreError::Forbidden(
                "只有责任单位负责人或政府办可以为未办结的事项指派承办人".into(),
            ));
        }
        let Some(who) = self.assignable(a, id).await?.into_iter().find(|u| u.user_id == user) else {
            return Err(StoreError::BadRequest(
                "承办人须为责任单位的在用账号（经办人或负责人）".into(),
            ));
        };
        let now = lvzhi_core::time::stamp(self.now());
        self.writer
            .send(crate::writer::Cmd::Plain {
                actor: a.clone(),
                statements: vec![
                    ("DELETE FROM record_assignees WHERE record_id = $1".into(), vec![P::I(id)]),
                    (
                        "INSERT INTO record_assignees (record_id, user_id, assigned_at, assigned_by) VALUES ($1, $2, $3, $4)"
                            .into(),
                        vec![P::I(id), P::I(user), P::T(now), P::I(a.user_id)],
                    ),
                ],
                kind: "record.assign".into(),
                entity: "record".into(),
                entity_id: Some(id.to_string()),
                data: serde_json::json!({ "assignee": user, "name": who.name, "unit": v.row.unit_id }),
            })
            .await?;
        Ok(who)
    }
}
