//! 首页 in two queries: the reader's to-do items ([`Store::todo`]) and the
//! open/red/yellow counts of every ledger ([`Store::open_counts`]), instead of
//! one list per ledger × state and three counts per ledger.
//!
//! **Invariant (scope):** both are AND-ed with [`records::scope_sql`] of the
//! reader's [`Access`], like every list; the warning rules are the lists'
//! (`warning=red`: open, deadline before today; `yellow`: open, deadline from
//! today to today + the ledger's `warn_days`).

use crate::db::P;
use crate::records::{self, COLS, RecordRow, RecordView};
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
        let mut pairs: Vec<String> = Vec::new();
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
            pairs.push(format!("(ledger = {l} AND state IN ({}))", ss.join(", ")));
        }
        if pairs.is_empty() {
            return Ok((vec![], 0));
        }
        let v = bind(P::B(false), &mut params);
        let c = bind(P::B(false), &mut params);
        let mut next = params.len() + 1;
        let scope = records::scope_sql(a, &mut next, &mut params);
        let where_sql = format!("voided = {v} AND closed = {c} AND ({}) AND {scope}", pairs.join(" OR "));
        let mut conn = self.pool.acquire().await?;
        let total = conn
            .conn()
            .row(&format!("SELECT COUNT(*) FROM records WHERE {where_sql}"), &params)
            .await?
            .map(|r| r.i(0))
            .unwrap_or(0);
        // Items the role may not act on now (a transition limited to another
        // unit's records…) are skipped: read a few more than asked.
        let sql = format!(
            "SELECT {COLS} FROM records WHERE {where_sql} \
             ORDER BY COALESCE(deadline, '9999-12-31'), id LIMIT {}",
            limit.clamp(1, 500) * 2
        );
        let rows = conn.conn().rows(&sql, &params).await?;
        drop(conn);
        let mut items = Vec::new();
        for r in rows.iter().map(RecordRow::from_row) {
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
        let today = self.today();
        let mut params: Vec<P> = Vec::new();
        let t = bind(P::T(today.to_string()), &mut params);
        let mut soon = String::from("CASE ledger");
        for kind in &self.pack.ledgers {
            let until = today
                .checked_add(jiff::Span::new().days(kind.deadline.warn_days))
                .unwrap_or(today);
            let k = bind(P::T(kind.key.clone()), &mut params);
            let d = bind(P::T(until.to_string()), &mut params);
            soon.push_str(&format!(" WHEN {k} THEN {d}"));
        }
        soon.push_str(&format!(" ELSE {t} END"));
        let v = bind(P::B(false), &mut params);
        let c = bind(P::B(false), &mut params);
        let mut next = params.len() + 1;
        let scope = records::scope_sql(a, &mut next, &mut params);
        let sql = format!(
            "SELECT ledger, COUNT(*), \
             SUM(CASE WHEN deadline < {t} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN deadline >= {t} AND deadline <= {soon} THEN 1 ELSE 0 END) \
             FROM records WHERE voided = {v} AND closed = {c} AND {scope} GROUP BY ledger"
        );
        let mut conn = self.pool.acquire().await?;
        let rows = conn.conn().rows(&sql, &params).await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.t(0),
                    OpenCounts {
                        open: r.i(1),
                        red: r.i(2),
                        yellow: r.i(3),
                    },
                )
            })
            .collect())
    }
}
