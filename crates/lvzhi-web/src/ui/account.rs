//! The user's own account pages besides the password and the second factor:
//! `/account/sessions` lists the live logins (when, from where, web or
//! API, this one marked) and ends any of them (等保 8.1.4.1: a user's active
//! sessions listed and revocable; each end is an `auth.revoke` event).

use super::render::{PageResult, page, see_other, store_error, when};
use super::session::{UiUser, check_csrf, field, form};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{StatusCode, header};
use lvzhi_store::StoreError;

/// One row of the sessions page.
pub struct SessionRow {
    /// The session's id (a hash; naming it lets nobody use it).
    pub id: String,
    /// 网页 or 接口.
    pub kind: &'static str,
    /// Opened at, Shanghai time.
    pub opened: String,
    /// Last request, Shanghai time.
    pub seen: String,
    /// Ends at the latest, Shanghai time.
    pub expires: String,
    /// Source address, or "—".
    pub address: String,
    /// Whether it is the session showing the page.
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account_sessions.html")]
struct SessionsPage {
    css: String,
    js: String,
    csrf: String,
    username: String,
    display_name: String,
    rows: Vec<SessionRow>,
    idle_minutes: u32,
    notice: String,
    error: String,
}

async fn view(st: &AppState, u: &UiUser, status: StatusCode, notice: &str, error: &str) -> PageResult {
    let a = &u.session.access;
    let mine = lvzhi_store::auth::session_id(&u.token);
    let rows = st
        .store
        .sessions_of(a, &a.username)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == mine,
            kind: if s.kind == "api" { "接口" } else { "网页" },
            opened: when(&s.created_at),
            seen: when(&s.last_seen),
            expires: when(&s.expires_at),
            address: s.address.unwrap_or_else(|| "—".into()),
            id: s.id,
        })
        .collect();
    Ok(page(
        status,
        &SessionsPage {
            css: super::asset_url("app.css"),
            js: super::asset_url("app.js"),
            csrf: u.session.csrf.clone(),
            username: a.username.clone(),
            display_name: u.session.display_name.clone(),
            rows,
            idle_minutes: st.store.policy().idle_minutes as u32,
            notice: notice.into(),
            error: error.into(),
        },
    ))
}

/// `GET /account/sessions`: my live logins.
pub async fn sessions(State(st): State<AppState>, u: UiUser) -> PageResult {
    view(&st, &u, StatusCode::OK, "", "").await
}

/// `POST /account/sessions/end` (`id`, `csrf`): ends one of my sessions;
/// ending this one is a logout.
pub async fn end(
    State(st): State<AppState>,
    u: UiUser,
    addr: crate::auth::ClientAddr,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let f = form(f)?;
    check_csrf(&u, &f)?;
    let id = field(&f, "id").unwrap_or("").trim();
    let current = id == lvzhi_store::auth::session_id(&u.token);
    match st.store.revoke_session(&u.session.access, id, addr.get()).await {
        Ok(()) if current => {
            let mut r = see_other("/login");
            r.headers_mut().append(
                header::SET_COOKIE,
                super::session::clear_cookie(crate::auth::COOKIE, "/"),
            );
            Ok(r)
        }
        Ok(()) => {
            view(
                &st,
                &u,
                StatusCode::OK,
                "已结束该登录会话，使用它的设备需要重新登录。",
                "",
            )
            .await
        }
        // Another user's session reads as a missing one: ids cannot be probed.
        Err(StoreError::NotFound(_) | StoreError::Forbidden(_)) => {
            view(&st, &u, StatusCode::NOT_FOUND, "", "会话不存在或已结束").await
        }
        Err(e) => Err(store_error(e)),
    }
}
