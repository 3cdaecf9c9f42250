//! Who is calling: a bearer token (scripts) or the session cookie (browser).
//!
//! **Invariant:** a write authenticated by cookie must carry the session's
//! CSRF token in `X-CSRF-Token`; bearer tokens are not sent by browsers on
//! their own, so they need none.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{Method, StatusCode, request::Parts};
use lvzhi_store::auth::Session;
use std::net::{IpAddr, SocketAddr};

/// The session cookie's name.
pub const COOKIE: &str = "lvzhi_session";

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The session.
    pub session: Session,
    /// The raw token (for logout).
    pub token: String,
}

/// Finds a cookie's value in the request headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let (token, via_cookie) = match bearer {
            Some(t) => (t.to_string(), false),
            None => match cookie(parts, COOKIE) {
                Some(t) => (t.to_string(), true),
                None => {
                    return Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "unauthorized",
                        "未登录或登录已过期",
                    ));
                }
            },
        };
        let session = state.store.session(&token).await?;
        // A login that still owes its second factor allows nothing but
        // giving it (or enrolling), `me` and logging out.
        if session.second_factor.is_some() && !SECOND_FACTOR_PATHS.contains(&parts.uri.path()) {
            let why = if session.second_factor.as_deref() == Some(lvzhi_store::second_factor::PENDING_ENROL) {
                "您的角色要求双因素认证：请先绑定动态验证码（POST /api/v1/auth/totp/enrol）"
            } else {
                "请输入动态验证码完成登录（POST /api/v1/auth/totp）"
            };
            return Err(ApiError::new(StatusCode::FORBIDDEN, "second_factor_required", why));
        }
        // A password that must be changed (first login, an administrator's
        // reset, expiry) allows nothing but changing it, `me` and logging out.
        if let Some(why) = &session.must_change
            && session.second_factor.is_none()
            && !PASSWORD_CHANGE_PATHS.contains(&parts.uri.path())
        {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "password_change_required", why));
        }
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if via_cookie && !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), session.csrf.as_bytes()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "缺少或错误的CSRF令牌，请刷新页面后重试",
                ));
            }
        }
        Ok(Caller { session, token })
    }
}

/// What a session that owes its second factor may still call.
pub const SECOND_FACTOR_PATHS: &[&str] = &[
    "/api/v1/auth/totp",
    "/api/v1/auth/totp/enrol",
    "/api/v1/auth/totp/confirm",
    "/api/v1/auth/logout",
    "/api/v1/me",
];

/// What a session that must change its password may still call.
pub const PASSWORD_CHANGE_PATHS: &[&str] = &["/api/v1/auth/password", "/api/v1/auth/logout", "/api/v1/me"];

/// The caller's source address (the TCP peer; a reverse proxy's
/// `X-Forwarded-For` is not trusted), for the audit trail and the
/// per-address login lockout. `None` when the server was not started with
/// connection info (some tests).
#[derive(Debug, Clone, Default)]
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

impl ClientAddr {
    /// The address as the store takes it.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client's IP address (from the connection; absent in in-process tests).
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(a)| a.ip()),
        ))
    }
}

/// An `otpauth://` URI as an SVG QR code for TOTP enrolment (the API's and
/// the page's; no image crate: `qrcode`'s SVG renderer).
pub fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}
