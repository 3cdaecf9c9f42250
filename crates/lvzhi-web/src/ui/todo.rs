//! 我的待办 in full: every open item in the user's scope waiting for an action
//! their role may take, soonest deadline first (首页 shows the first 30).

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
}

/// `GET /todo`: the whole to-do list.
pub async fn todo_page(State(st): State<AppState>, u: UiUser) -> PageResult {
    let store = &st.store;
    let names = u.names(store).await?;
    let memo = todo(store, &u, &names, TODO_MAX).await.map_err(store_error)?;
    let (rows, total) = (&memo.0, memo.1);
    Ok(page(
        StatusCode::OK,
        &TodoPage {
            chrome: Chrome::new(store, &u, &names, "/todo"),
            title: "我的待办".into(),
            rows,
            total,
        },
    ))
}
