//! # lvzhi-web — the HTTP server
//!
//! One [`service::App`] per server (the axum state, [`AppState`]) owns the
//! store, the indicator engine, the pack's files, the page cache, the
//! ballot-code guard and the staged uploads. Two thin adapters call it:
//!
//! * [`api`] — the JSON API under `/api/v1`, described by the OpenAPI
//!   document at `/api/v1/openapi.json`. Errors are always
//!   `{"error": {"code", "message", "details"}}` ([`error`]).
//! * [`ui`] — the server-rendered Chinese web UI.
//!
//! They never import each other; what both need is in [`service`] or in the
//! neutral modules [`auth`] (who is calling), [`error`] and [`download`].
//! The store enforces scope, validates and writes.
//!
//! **Invariants:** request bodies are limited ([`BODY_LIMIT`]); cookie-
//! authenticated writes carry the session's CSRF token; session cookies are
//! `HttpOnly; SameSite=Strict` (and `Secure` under TLS); API responses carry
//! `Cache-Control: no-store` and `nosniff`, every response HSTS under TLS
//! ([`security_headers`]; `tests/security.rs` `api_security_headers`).

pub mod api;
pub mod auth;
pub mod download;
pub mod error;
pub mod service;
pub mod tls;
pub mod ui;
pub mod uploads;

pub use service::{App, cache};

use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

/// The largest request body accepted (1 MiB); larger ones get 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Shared state of every handler: the server's [`App`].
pub type AppState = Arc<App>;

/// The state of a server over `store`: a new [`App`] of its own (the
/// indicator definitions are checked here).
pub fn state(store: lvzhi_store::Store, secure_cookies: bool) -> Result<AppState, lvzhi_metrics::DefError> {
    Ok(Arc::new(App::new(store, secure_cookies)?))
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let tls = state.secure_cookies;
    api::router()
        .merge(ui::router())
        .fallback(ui::fallback)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            uploads::Slots::new(),
            uploads::gate,
        ))
        .layer(axum::middleware::from_fn(refuse_announced_oversize))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn(move |req, next| {
            security_headers(tls, req, next)
        }))
        .with_state(state)
}

/// The headers of every API response (what pages get from
/// `ui::render::secure_headers`): never cached (the login reply carries the
/// token), never sniffed, never framed; and under TLS, HSTS on everything.
async fn security_headers(
    tls: bool,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let api = req.uri().path().starts_with("/api/") || req.uri().path() == "/healthz";
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    if api {
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
            );
        }
    }
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    r
}

/// Serves until SIGINT/SIGTERM, then finishes in-flight requests and stops the writer.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(state, listener).await
}

/// Serves on an already bound listener (tests bind port 0).
pub async fn serve_on(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let store = state.store.clone();
    let reminders = tokio::spawn(reminders(store.clone()));
    let sender = tokio::spawn(sender(store.clone()));
    let digests = tokio::spawn(lvzhi_store::digest::run(store.clone()));
    let app = app(state);
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    reminders.abort();
    sender.abort();
    digests.abort();
    store.close().await;
    served
}

/// How often the server writes the day's 临期/超期 notices and escalations.
const REMINDER_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// The daily reminders ([`lvzhi_store::Store::scan_deadlines`]): at start and
/// every ten minutes; each notice is written once a day whatever the number
/// of servers, so the first scan after midnight (Shanghai) writes the day's.
async fn reminders(store: lvzhi_store::Store) {
    let mut tick = tokio::time::interval(REMINDER_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match store.scan_deadlines().await {
            Ok(s) if s.overdue + s.due_soon + s.escalated > 0 => tracing::info!(
                overdue = s.overdue,
                due_soon = s.due_soon,
                escalated = s.escalated,
                "站内信：临期/超期提醒已写入"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("站内信提醒未写入：{e}"),
        }
    }
}

/// How often the sender looks for outbox messages to deliver.
const SEND_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The outbound sender ([`lvzhi_store::Store::deliver_due`]): every five
/// seconds delivers the pending outbox messages that are due (those left by
/// a previous run included: at least once).
async fn sender(store: lvzhi_store::Store) {
    let mut tick = tokio::time::interval(SEND_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match store.deliver_due().await {
            Ok(p) if p.delivered + p.failed > 0 => {
                tracing::info!(delivered = p.delivered, failed = p.failed, "外发通知：本轮已发送")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("外发通知未发送：{e}"),
        }
    }
}

/// Serves over TLS on `listener` until SIGINT/SIGTERM; with `redirect`, a
/// plain-HTTP listener that sends every request to HTTPS. The state should
/// be made with `secure_cookies` (Secure cookies, HSTS).
pub async fn serve_tls(
    state: AppState,
    listener: tokio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    redirect: Option<tokio::net::TcpListener>,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let https_port = listener.local_addr()?.port();
    if let Some(plain) = redirect {
        tokio::spawn(async move {
            let _ = axum::serve(plain, tls::redirect_app(https_port))
                .with_graceful_shutdown(shutdown_signal())
                .await;
        });
    }
    let store = state.store.clone();
    let reminders = tokio::spawn(reminders(store.clone()));
    let sender = tokio::spawn(sender(store.clone()));
    let digests = tokio::spawn(lvzhi_store::digest::run(store.clone()));
    let app = app(state);
    let listener = tls::TlsListener::new(listener, config)?.tap_io(|_| {});
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    reminders.abort();
    sender.abort();
    digests.abort();
    served?;
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
    } else if (req.uri().path().ends_with("/attachments") && req.uri().path().contains("/records/"))
        || req.uri().path().ends_with("/files")
    {
        service::attachments::body_limit()
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    /// `api/` and `ui/` are adapters over the service layer: neither names
    /// the other, and the service layer names neither.
    #[test]
    fn adapters_do_not_import_each_other() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let rules: [(&str, &[&str]); 3] = [
            ("api", &["crate::ui", "super::ui", "super::super::ui"]),
            ("ui", &["crate::api", "super::api", "super::super::api"]),
            ("service", &["crate::api", "crate::ui", "super::api", "super::ui"]),
        ];
        let mut found = Vec::new();
        let mut scanned = 0;
        for (dir, banned) in rules {
            let mut stack = vec![src.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rs") {
                        scanned += 1;
                        let text = std::fs::read_to_string(&p).unwrap();
                        // Code only: doc comments may link to the other adapter.
                        for (n, line) in text.lines().enumerate() {
                            if line.trim_start().starts_with("//") {
                                continue;
                            }
                            if let Some(b) = banned.iter().find(|b| line.contains(*b)) {
                                found.push(format!("{}:{}: {b}", p.display(), n + 1));
                            }
                        }
                    }
                }
            }
        }
        assert!(scanned > 20, "scanned only {scanned} files");
        assert!(found.is_empty(), "imports across adapters:\n{}", found.join("\n"));
    }

    /// The modules of one layer (`src/<dir>/*.rs`, `mod.rs` aside) and the
    /// sibling modules each one names in code (`super::x`, `crate::<dir>::x`).
    fn sibling_imports(dir: &str) -> Vec<(String, std::collections::BTreeSet<String>)> {
        let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
        let mut files: Vec<(String, String)> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| {
                let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
                (stem, std::fs::read_to_string(&p).unwrap())
            })
            .filter(|(stem, _)| stem != "mod")
            .collect();
        files.sort();
        let names: std::collections::BTreeSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
        let prefixes = ["super::".to_string(), format!("crate::{dir}::")];
        files
            .iter()
            .map(|(m, text)| {
                let mut uses = std::collections::BTreeSet::new();
                for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                    for p in &prefixes {
                        for (i, _) in line.match_indices(p.as_str()) {
                            let rest = &line[i + p.len()..];
                            let id: String = rest
                                .chars()
                                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                                .collect();
                            if names.contains(&id) && &id != m {
                                uses.insert(id);
                            }
                        }
                    }
                }
                (m.clone(), uses)
            })
            .collect()
    }

    /// No circle of imports among the modules of `api/`, `ui/` or `service/`
    /// (a circle means two modules that are really one, or a helper in the
    /// wrong place).
    #[test]
    fn no_import_circles_within_a_layer() {
        for dir in ["api", "ui", "service"] {
            let graph = sibling_imports(dir);
            let edges: std::collections::BTreeMap<&str, &std::collections::BTreeSet<String>> =
                graph.iter().map(|(m, u)| (m.as_str(), u)).collect();
            assert!(dir != "ui" || edges.len() > 10, "ui modules: {edges:?}");
            // Depth-first search from every module; a module met again on the path is a circle.
            fn visit<'a>(
                m: &'a str,
                edges: &std::collections::BTreeMap<&'a str, &'a std::collections::BTreeSet<String>>,
                path: &mut Vec<&'a str>,
                done: &mut std::collections::BTreeSet<&'a str>,
            ) -> Option<Vec<String>> {
                if let Some(i) = path.iter().position(|p| *p == m) {
                    let mut c: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
                    c.push(m.to_string());
                    return Some(c);
                }
                if !done.insert(m) {
                    return None;
                }
                path.push(m);
                for n in edges.get(m).into_iter().flat_map(|s| s.iter()) {
                    if let Some((k, _)) = edges.get_key_value(n.as_str())
                        && let Some(c) = visit(k, edges, path, done)
                    {
                        return Some(c);
                    }
                }
                path.pop();
                None
            }
            let mut done = std::collections::BTreeSet::new();
            for m in edges.keys() {
                let circle = visit(m, &edges, &mut Vec::new(), &mut done);
                assert!(
                    circle.is_none(),
                    "{dir}/: import circle {}",
                    circle.unwrap_or_default().join(" → ")
                );
            }
        }
    }
}
