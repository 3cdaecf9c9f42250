//! 站内信: the signed-in user's notices, newest first, each linking to its
//! record; mark one or all read. Opening a notice's record marks it read.

use super::render::{Chrome, PageResult, page, see_other, store_error, when};
use super::session::{UiUser, check_csrf, field};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

type FormBody = Result<Form<Vec<(String, String)>>, FormRejection>;

/// Notices a page shows.
const PAGE: i64 = 50;

/// One notice as the page shows it.
struct Item {
    id: i64,
    kind: &'static str,
    class: &'static str,
    title: String,
    body: String,
    actor: String,
    at: String,
    unread: bool,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    title: String,
    items: Vec<Item>,
    unread_only: bool,
    unread: i64,
    more: Option<String>,
}

/// The page's query: only unread, older than a notice.
#[derive(Debug, Deserialize, Default)]
pub struct InboxQuery {
    /// `1`: only unread notices.
    #[serde(default)]
    unread: Option<String>,
    /// Older than this notice (paging).
    #[serde(default)]
    before: Option<i64>,
}

/// `GET /inbox`.
pub async fn show(State(st): State<AppState>, u: UiUser, Query(q): Query<InboxQuery>) -> PageResult {
    let store = &st.store;
    let names = u.names(store).await?;
    let a = &u.session.access;
    let unread_only = q.unread.as_deref() == Some("1");
    let notices = store
        .notices(a, unread_only, PAGE + 1, q.before)
        .await
        .map_err(store_error)?;
    let more = (notices.len() as i64 > PAGE).then(|| {
        let last = notices[PAGE as usize - 1].id;
        if unread_only {
            format!("/inbox?unread=1&before={last}")
        } else {
            format!("/inbox?before={last}")
        }
    });
    let items = notices
        .iter()
        .take(PAGE as usize)
        .map(|n| Item {
            id: n.id,
            kind: n.kind_label(),
            class: match n.kind.as_str() {
                "overdue" | "escalate" => "red",
                "due_soon" | "urge" => "yellow",
                _ => "none",
            },
            title: n.title.clone(),
            body: n.body.clone(),
            actor: n.actor_name.clone(),
            at: when(&n.created_at),
            unread: n.read_at.is_none(),
            href: n.record_id.map(|r| format!("/inbox/{}/open?record={r}", n.id)),
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &InboxPage {
            chrome: Chrome::new(store, &u, &names, "/inbox"),
            title: "站内信".into(),
            items,
            unread_only,
            unread: u.unread,
            more,
        },
    ))
}

/// The record a notice opens.
#[derive(Debug, Deserialize)]
pub struct OpenQuery {
    record: i64,
}

/// `GET /inbox/{id}/open?record=…`: marks the notice read, then shows its record.
pub async fn open(
    State(st): State<AppState>,
    u: UiUser,
    Path(id): Path<i64>,
    Query(q): Query<OpenQuery>,
) -> PageResult {
    match st.store.mark_notices_read(&u.session.access, Some(id)).await {
        Ok(_) | Err(lvzhi_store::StoreError::NotFound(_)) => Ok(see_other(&format!("/records/{}", q.record))),
        Err(e) => Err(store_error(e)),
    }
}

/// `POST /inbox/read`: marks one notice (`id`) or all (no `id`) read.
pub async fn read(State(st): State<AppState>, u: UiUser, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = field(&f, "id").and_then(|s| s.parse::<i64>().ok());
    st.store
        .mark_notices_read(&u.session.access, id)
        .await
        .map_err(store_error)?;
    Ok(see_other("/inbox"))
}
