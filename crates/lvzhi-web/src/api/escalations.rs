//! The 督查室's escalation chain over HTTP (issue 17).
//!
//! * `GET /api/v1/supervise/escalations?ledger=&unit=` — every open item
//!   overdue past its ledger's first escalation step, with when its unit was
//!   told, when its head and its 分管领导 were escalated to, the 催办 and who
//!   has read which notice ([`lvzhi_store::Store::escalation_chain`]; the
//!   page `/supervise/escalations` shows the same). 政府办 and the admin only.

use super::Q;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

/// The filter.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChainQuery {
    /// A ledger key (one with escalation steps; empty or absent: all of them).
    pub ledger: Option<String>,
    /// A responsible unit's id.
    pub unit: Option<i64>,
}

/// `GET /api/v1/supervise/escalations`
pub async fn list(State(st): State<AppState>, c: Caller, Q(q): Q<ChainQuery>) -> Result<Json<Value>, ApiError> {
    let ledger = q.ledger.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let items = st.store.escalation_chain(&c.session.access, ledger, q.unit).await?;
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
            v["href"] = Value::String(format!("/records/{}", i.id));
            v
        })
        .collect();
    Ok(Json(json!({
        "as_of": st.store.today().to_string(),
        "total": items.len(),
        "items": items,
    })))
}
