//! 我的待办 in full: every open item in the user's scope waiting for an action
//! their role may take, soonest deadline first (首页 shows the first 30); then
//! the items the user's unit 协办s and has given no 协办意见 on yet.

use super::pages::todo;
use super::render::{Chrome, PageResult, page, store_error};
use super::session::UiUser;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

/// The most items the page lists.
pub const TODO_MAX: usize = 1000;

#[derive(Template)]
#[template(path = "todo.html")]
struct TodoPage<'a> {
    chrome: Chrome,
    title: String,
    rows: &'a [super::rows::Row],
    total: i64,
    /// Open items the reader's unit 协办s without its 协办意见 yet.
    opinions: Vec<super::rows::Row>,
}

/// `GET /todo`: the whole to-do list.
pub async fn todo_page(State(st): State<AppState>, u: UiUser) -> PageResult {
    let store = &st.store;
    let names = u.names(store).await?;
    let memo = todo(store, &u, &names, TODO_MAX).await.map_err(store_error)?;
    let (rows, total) = (&memo.0, memo.1);
    let opinions = store
        .awaiting_opinion(&u.session.access, TODO_MAX as i64)
        .await
        .map_err(store_error)?
        .iter()
        .filter_map(|v| {
            let k = store.pack().ledger(&v.row.ledger)?;
            Some(super::rows::row(k, &names, v))
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &TodoPage {
            chrome: Chrome::new(store, &u, &names, "/todo"),
            title: "我的待办".into(),
            rows,
            total,
            opinions,
        },
    ))
}
