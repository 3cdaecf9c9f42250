//! # The web UI: a server-rendered Chinese workplace
//!
//! Pages are askama templates (`templates/`, escaped by default: user data is
//! never marked `|safe`); the CSS and the small script are the project's own,
//! embedded in the binary (`assets/`, served at `/assets/…`). Nothing is
//! fetched from elsewhere: no CDN, no web fonts.
//!
//! * [`session`] — the signed-in user of a page (the `lvzhi_session` cookie,
//!   the same as the API's), login, logout, the `csrf` hidden field of forms.
//! * [`pages`] — 首页 (my to-do items, counts per ledger), ledger lists, the audit log.
//! * [`rows`] — a record as a table row (lists, 我的待办, provenance pages).
//! * [`record`] — a record's page (fields, loop, history, actions), the
//!   create/edit forms and the POSTs behind the action forms.
//! * [`reports`] — 报告: preview with provenance links, downloads, the
//!   provenance page of a figure, the template editor with its versions.
//! * [`import`] — 导入 (upload → column mapping → preview → confirm → result) and 导出 of a filtered list.
//! * [`form`] — form inputs generated from a ledger's field definitions, and
//!   the submitted values turned back into the store's JSON.
//! * [`check`] — 核查: a pasted text or an uploaded .docx/.txt, highlighted and explained.
//! * [`admin`] — 管理: units, people and 分管, users and roles, annual targets; the chain check.
//! * [`todo`] — 我的待办 in full (首页 shows the first 30).
//! * [`inbox`] — 站内信: the user's notices, mark read, each opening its record.
//! * [`channels`] — 管理 → 通知渠道: outbound channels, test message, delivery log (admin).
//! * [`supervise`] — 督查督办: overdue/due-soon items, bulk 催办, 评星挂旗, 预警.
//! * [`chain`] — 督查督办 → 超期升级: the 督查室's view of the escalation chain.
//! * [`indicators`] — 指标 with provenance pages; the leader's dashboard.
//! * [`charts`] — server-drawn SVG charts (lines, bars, progress).
//! * [`upload`] — forms with a file (axum's multipart parser), for 导入 and 核查.
//! * [`render`] — the layout, error pages, names of units/divisions/people,
//!   Shanghai times, security headers.
//!
//! **Invariants:** every page goes through the store with the user's
//! [`lvzhi_core::access::Access`], so scope and masking are the store's; every
//! POST form carries the session's CSRF token (`csrf`), checked in constant
//! time before anything is written; pages are sent with a strict
//! Content-Security-Policy (no inline script or style).

// Handlers return `Result<_, Response>`: the error is the page to answer with,
// built once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod account;
pub mod admin;
pub mod assess;
pub mod attach;
pub mod chain;
pub mod channels;
pub mod charts;
pub mod check;
pub mod escalation;
pub mod evidence;
pub mod form;
pub mod import;
pub mod inbox;
pub mod indicators;
pub mod list;
pub mod pages;
pub mod record;
pub mod render;
pub mod reports;
pub mod rows;
pub mod security;
pub mod session;
pub mod steps;
pub mod supervise;
pub mod todo;
pub mod upload;

use crate::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// The embedded CSS and JavaScript.
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

/// The UI routes (no fallback: the application's fallback is [`fallback`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/password", get(session::password_page).post(session::password_change))
        .route("/login/totp", get(session::totp_page).post(session::totp_submit))
        .route("/account/sessions", get(account::sessions))
        .route("/account/sessions/end", post(account::end))
        .route("/account/totp", get(session::enrol_page))
        .route("/account/totp/begin", post(session::enrol_begin))
        .route("/account/totp/confirm", post(session::enrol_confirm))
        .route("/assets/{*path}", get(asset))
        .route("/ledgers/{key}", get(list::list))
        .route("/ledgers/{key}/columns", post(list::save_columns))
        .route("/ledgers/{key}/new", get(record::new_page).post(record::create))
        .route("/records/{id}", get(record::show))
        .route("/records/{id}/edit", get(record::edit_page).post(record::update))
        .route("/records/{id}/transition", post(record::transition))
        .route("/records/{id}/void", post(record::void))
        .route("/records/{id}/urge", post(record::urge))
        .route("/records/{id}/assign", post(record::assign))
        .route("/records/{id}/co-units", post(record::set_co_units))
        .route("/records/{id}/opinion", post(record::opinion))
        .route(
            "/records/{id}/attachments",
            post(attach::upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::service::attachments::body_limit(),
            )),
        )
        .route(
            "/records/{id}/transition/files",
            post(attach::step).layer(axum::extract::DefaultBodyLimit::max(
                crate::service::attachments::body_limit(),
            )),
        )
        .route(
            "/ledgers/{key}/new/files",
            post(attach::create).layer(axum::extract::DefaultBodyLimit::max(
                crate::service::attachments::body_limit(),
            )),
        )
        .route("/attachments/{id}", get(attach::content))
        .route("/attachments/{id}/thumb", get(attach::thumb))
        .route("/attachments/{id}/void", post(attach::void))
        .route("/audit", get(pages::audit))
        .route("/audit/verify", get(admin::audit_verify))
        .route("/todo", get(todo::todo_page))
        .route("/inbox", get(inbox::show))
        .route("/inbox/read", post(inbox::read))
        .route("/inbox/{id}/open", get(inbox::open))
        .route("/check", get(check::check_page).post(check::check_submit))
        .route("/admin", get(admin::index))
        .route("/admin/units", get(admin::units).post(admin::unit_add))
        .route("/admin/units/{id}", post(admin::unit_change))
        .route("/admin/people", get(admin::people).post(admin::person_add))
        .route("/admin/people/{id}", post(admin::person_save))
        .route("/admin/users", get(admin::users).post(admin::user_add))
        .route("/admin/users/{name}/password", post(admin::user_password))
        .route("/admin/users/{name}/role", post(admin::user_role))
        .route("/admin/users/import", post(admin::users_import))
        .route("/admin/users/{name}/state", post(admin::user_state))
        .route("/admin/targets", get(admin::targets).post(admin::target_set))
        .route("/admin/channels", get(channels::show).post(channels::add))
        .route("/admin/channels/{id}", post(channels::save))
        .route("/admin/channels/{id}/state", post(channels::state))
        .route("/admin/channels/{id}/test", post(channels::test))
        .route("/admin/security", get(security::show).post(security::save))
        .route("/reports", get(reports::index))
        .route("/reports/figure", get(reports::figure))
        .route("/reports/templates/edit", get(reports::edit))
        .route("/reports/templates/copy", get(reports::copy))
        .route("/reports/templates/save", post(reports::save))
        .route("/assess", get(assess::list))
        .route("/assess/new", get(assess::new_page).post(assess::create))
        .route("/assess/{id}", get(assess::show))
        .route("/assess/{id}/open", post(assess::open))
        .route("/assess/{id}/close", post(assess::close))
        .route("/assess/{id}/tokens", post(assess::tokens))
        .route("/assess/{id}/results", get(assess::results))
        .route("/assess/{id}/sheet/{ext}", get(assess::sheet))
        .route("/vote", get(assess::vote_home).post(assess::vote_cast))
        .route("/vote/open", post(assess::vote_open))
        .route("/vote/receipt", get(assess::receipt))
        .route("/supervise", get(supervise::show))
        .route("/supervise/urge", post(supervise::urge))
        .route("/supervise/ack", post(supervise::ack))
        .route("/supervise/escalations", get(chain::show))
        .route("/indicators", get(indicators::table))
        .route("/indicators/{id}", get(indicators::provenance))
        .route(
            "/ledgers/{key}/import",
            get(import::upload_page)
                .post(import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(import::UPLOAD_LIMIT)),
        )
        .route("/ledgers/{key}/import/template", get(import::template))
        .route("/ledgers/{key}/export", get(import::export_page))
        .route(
            "/imports/{id}/mapping",
            get(import::mapping_page).post(import::save_mapping),
        )
        .route("/imports/{id}/preview", get(import::preview))
        .route("/imports/{id}/confirm", post(import::confirm))
        .route("/imports/{id}/result", get(import::result))
        .route("/imports/{id}/errors.xlsx", get(import::errors_xlsx))
}

/// Unknown paths: the API's JSON 404 under `/api/`, an HTML page elsewhere.
pub async fn fallback(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::error::ApiError::not_found("没有这个接口").into_response()
    } else {
        render::error_page(
            StatusCode::NOT_FOUND,
            "页面不存在",
            "您要找的页面不存在，请检查地址是否正确。",
        )
    }
}

/// The URL of an embedded asset, with its content hash so it can be cached for good.
pub fn asset_url(name: &str) -> String {
    match Assets::get(name) {
        Some(f) => format!("/assets/{name}?v={}", short_hash(&f.metadata.sha256_hash())),
        None => format!("/assets/{name}"),
    }
}

fn short_hash(h: &[u8; 32]) -> String {
    h.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(f) = Assets::get(&path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{}\"", short_hash(&f.metadata.sha256_hash()));
    let mime = match path.rsplit_once('.').map(|(_, e)| e) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    };
    let mut r = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, mime)], f.data.into_owned()).into_response()
    };
    let h = r.headers_mut();
    // Pages link assets with `?v=<hash>`: a new build gets new URLs.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}
