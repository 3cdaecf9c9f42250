//! The leader's 超期升级 block on 首页: the open items of her 分管 units that
//! are overdue past the pack's `escalate_leader` days (`[deadline]` of each
//! ledger), as the daily scan escalated them to her inbox
//! (`Store::escalated_to_me`). Rendered by `templates/_escalation.html`,
//! included in `home.html`.

use super::render::{Names, store_error};
use super::rows::{Row, due_text, row};
use super::session::UiUser;
use crate::AppState;
use axum::response::Response;
use lvzhi_core::access::Role;

/// At most this many escalated items on 首页.
const SHOWN: i64 = 20;

/// One escalated item: its row and its responsible unit.
pub struct Escalated {
    /// The record's row (number, title, state, deadline, 超期N个工作日).
    pub row: Row,
    /// The responsible unit's name.
    pub unit: String,
}

/// The items escalated to the signed-in leader (empty for other roles).
pub async fn escalated(st: &AppState, u: &UiUser, names: &Names) -> Result<Vec<Escalated>, Response> {
    let a = &u.session.access;
    if a.role != Role::Leader {
        return Ok(Vec::new());
    }
    let store = &st.store;
    let views = store.escalated_to_me(a, SHOWN).await.map_err(store_error)?;
    let cal = store.fresh_calendar().await.map_err(store_error)?;
    let today = store.today();
    let pack = store.pack();
    let mut out = Vec::with_capacity(views.len());
    for v in &views {
        let Some(kind) = pack.ledger(&v.row.ledger) else {
            continue;
        };
        let mut r = row(kind, names, v);
        r.due = due_text(kind, &cal, today, v);
        out.push(Escalated {
            unit: v.row.unit_id.map(|id| names.unit(id)).unwrap_or_default(),
            row: r,
        });
    }
    Ok(out)
}
