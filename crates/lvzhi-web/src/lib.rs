//! # lvzhi-web — the HTTP server
//!
//! The JSON API under `/api/v1`, described by the OpenAPI document at
//! `/api/v1/openapi.json` ([`openapi`]). Handlers are thin: they parse the
//! request, find the caller's session ([`auth`]), and call the store, which
//! enforces scope, validates and writes. Errors are always
//! `{"error": {"code", "message", "details"}}` ([`error`]).
//!
//! **Invariants:** request bodies are limited ([`BODY_LIMIT`]); cookie-
//! authenticated writes carry the session's CSRF token; session cookies are
//! `HttpOnly; SameSite=Strict`.

pub mod api;
pub mod assess;
pub mod auth;
pub mod cache;
pub mod error;
pub mod export;
pub mod indicators;
pub mod openapi;
pub mod reports;
pub mod ui;
pub mod uploads;

use axum::Router;
use lvzhi_store::Store;
use std::net::SocketAddr;

/// The largest request body accepted (1 MiB); larger ones get 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// Whether cookies get the `Secure` flag (behind TLS).
    pub secure_cookies: bool,
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    api::router()
        .merge(ui::router())
        .fallback(ui::fallback)
        .layer(axum::Extension(assess::Guard::new()))
        .layer(axum::Extension(cache::PageCache::new()))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            uploads::Slots::new(),
            uploads::gate,
        ))
        .layer(axum::middleware::from_fn(refuse_announced_oversize))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
        .with_state(state)
}

/// Serves until SIGINT/SIGTERM, then finishes in-flight requests and stops the writer.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(state, listener).await
}

/// Serves on an already bound listener (tests bind port 0).
pub async fn serve_on(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let store = state.store.clone();
    let app = app(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    store.close().await;
    Ok(())
}

/// Answers 413 at once when the announced Content-Length is over the limit,
/// before the client uploads the body (the extractor's limit covers bodies
/// without a length).
async fn refuse_announced_oversize(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // The import upload screen takes bigger files (its route sets its own body limit).
    let limit = if req.uri().path().ends_with("/import") && req.uri().path().starts_with("/ledgers/") {
        ui::import::UPLOAD_LIMIT
    } else {
        BODY_LIMIT
    };
    if announced.is_some_and(|n| n > limit as u64) {
        // Pages (核查, 导入 uploads) get a page that says what to do; the API its JSON.
        let mut r = if !req.uri().path().starts_with("/api/") {
            ui::render::error_page(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "提交的内容过大",
                &format!(
                    "提交的内容超过{}KB上限，未作处理。请上传较小的文件，或分段粘贴文字。",
                    limit / 1024
                ),
            )
        } else {
            error::ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("请求体超过上限{}KB", limit / 1024),
            )
            .into_response()
        };
        r.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        return r;
    }
    next.run(req).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
