//! The event log: reading it and verifying its hash chain.

use crate::db::{P, Row};
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::event::{ChainError, ChainVerifier, Event};
use serde::Serialize;

/// The columns [`event_from_row`] reads, in order.
pub const EVENT_COLS: &str = "seq, at, actor, actor_name, kind, entity, entity_id, ledger, data, prev_hash, hash";

/// Builds an event from a row of [`EVENT_COLS`]. Data that is not JSON (a
/// tampered row) is kept as a JSON string so that verification reports it.
pub fn event_from_row(r: &Row) -> Event {
    let data_text = r.t(8);
    Event {
        seq: r.i(0),
        at: r.t(1),
        actor: r.oi(2),
        actor_name: r.t(3),
        kind: r.t(4),
        entity: r.t(5),
        entity_id: r.ot(6),
        ledger: r.ot(7),
        data: serde_json::from_str(&data_text).unwrap_or(serde_json::Value::String(data_text)),
        prev_hash: r.t(9),
        hash: r.t(10),
    }
}

/// The result of a chain verification.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Events verified before the first break (all of them when intact).
    pub verified: i64,
    /// The first break, if any.
    pub error: Option<String>,
    /// Seq of the first broken event.
    pub broken_at: Option<i64>,
}

impl Store {
    /// Recomputes the whole chain, in pages, and names the first broken link.
    pub async fn verify_chain(&self) -> Result<Verification, StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut v = ChainVerifier::default();
        let mut after = 0i64;
        loop {
            let rows = c
                .conn()
                .rows(
                    &format!("SELECT {EVENT_COLS} FROM events WHERE seq > $1 ORDER BY seq LIMIT 5000"),
                    &[P::I(after)],
                )
                .await?;
            if rows.is_empty() {
                return Ok(Verification {
                    verified: v.count(),
                    error: None,
                    broken_at: None,
                });
            }
            for r in &rows {
                let e = event_from_row(r);
                if let Err(err) = v.push(&e) {
                    let at = match err {
                        ChainError::Hash { seq } | ChainError::Link { seq, .. } => seq,
                        ChainError::Gap { found, .. } => found,
                    };
                    return Ok(Verification {
                        verified: v.count(),
                        error: Some(err.to_string()),
                        broken_at: Some(at),
                    });
                }
                after = e.seq;
            }
        }
    }

    /// A page of the event log (auditors and admins), newest first, before `before`.
    pub async fn events(
        &self,
        a: &Access,
        before: Option<i64>,
        kind: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        if !matches!(a.role, Role::Auditor | Role::Admin) {
            return Err(StoreError::Forbidden(
                "只有审计监督人员和管理员可以查看完整变更日志".into(),
            ));
        }
        let mut params = vec![P::I(before.unwrap_or(i64::MAX))];
        let mut sql = format!("SELECT {EVENT_COLS} FROM events WHERE seq < $1");
        if let Some(k) = kind.filter(|k| !k.is_empty()) {
            sql.push_str(" AND kind LIKE $2");
            params.push(P::T(format!("{k}%")));
        }
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT {}", limit.clamp(1, 1000)));
        let mut c = self.pool.acquire().await?;
        let rows = c.conn().rows(&sql, &params).await?;
        let mut events: Vec<Event> = rows.iter().map(event_from_row).collect();
        // Personal data inside record events is masked like everywhere else.
        for e in &mut events {
            if let Some(kind) = e.ledger.as_deref().and_then(|l| self.pack.ledger(l)) {
                for part in ["before", "after"] {
                    if let Some(serde_json::Value::Object(m)) = e.data.get_mut(part) {
                        crate::records::mask_fields(kind, a.role, m);
                    }
                }
            }
        }
        Ok(events)
    }
}
