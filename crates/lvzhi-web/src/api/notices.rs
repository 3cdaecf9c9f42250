//! 站内信 over HTTP: the caller's own notices.
//!
//! * `GET /api/v1/notices?unread=true&before=ID&limit=50` — newest first, with the unread count.
//! * `POST /api/v1/notices/{id}/read` — mark one read.
//! * `POST /api/v1/notices/read` — mark all read.
//! * `GET /api/v1/outbox` — the outbound channels (secrets masked) and the delivery log (admin).
//! * `POST /api/v1/outbox/channels` — add a channel (admin), with its audience
//!   (`units`, `leaders`, `notice_kinds`; none of them: every notice).

use super::Q;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

/// The list's query.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    /// Only unread notices.
    #[serde(default)]
    pub unread: Option<bool>,
    /// Older than this notice (paging).
    pub before: Option<i64>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
}

/// `GET /api/v1/notices`
pub async fn list(State(st): State<AppState>, c: Caller, Q(q): Q<NoticeQuery>) -> Result<Json<Value>, ApiError> {
    let a = &c.session.access;
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("limit 须在1至500之间"));
    }
    let items = st.store.notices(a, q.unread.unwrap_or(false), limit, q.before).await?;
    let unread = st.store.unread_notices(a).await?;
    let items: Vec<Value> = items
        .iter()
        .map(|n| {
            let mut v = serde_json::to_value(n).unwrap_or(Value::Null);
            v["kind_label"] = Value::String(n.kind_label().into());
            v["href"] = n
                .record_id
                .map(|r| Value::String(format!("/records/{r}")))
                .unwrap_or(Value::Null);
            v
        })
        .collect();
    Ok(Json(json!({"items": items, "unread": unread})))
}

/// `POST /api/v1/notices/{id}/read`
pub async fn read_one(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = super::parse_id(&id)?;
    let n = st.store.mark_notices_read(&c.session.access, Some(id)).await?;
    let unread = st.store.unread_notices(&c.session.access).await?;
    Ok(Json(json!({"read": n, "unread": unread})))
}

/// `POST /api/v1/notices/read`
pub async fn read_all(State(st): State<AppState>, c: Caller) -> Result<Json<Value>, ApiError> {
    let n = st.store.mark_notices_read(&c.session.access, None).await?;
    Ok(Json(json!({"read": n, "unread": 0})))
}

/// `GET /api/v1/outbox` (admin): channels with secrets masked, the latest 200 deliveries.
pub async fn outbox(State(st): State<AppState>, c: Caller) -> Result<Json<Value>, ApiError> {
    let a = &c.session.access;
    let channels = st.store.channels(a).await?;
    let deliveries = st.store.deliveries(a, 200).await?;
    Ok(Json(json!({"channels": channels, "deliveries": deliveries})))
}

/// A channel to add.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelBody {
    /// `wecom`, `dingtalk`, `sms`, `email`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// The `http://` or `https://` address; for e-mail `smtp://host:port` or `smtps://host:port`.
    pub url: String,
    /// 钉钉's signing secret, or the SMTP password.
    #[serde(default)]
    pub secret: String,
    /// `POST` (default) or `GET` (SMS gateway).
    #[serde(default)]
    pub method: String,
    /// SMS body template with {phone} and {text}.
    #[serde(default)]
    pub body_template: String,
    /// SMS recipient.
    #[serde(default)]
    pub phone: String,
    /// PEM file of the CAs to trust (empty: the system's bundle).
    #[serde(default)]
    pub ca_file: String,
    /// SMTP login.
    #[serde(default)]
    pub smtp_user: String,
    /// Sender address (e-mail).
    #[serde(default)]
    pub mail_from: String,
    /// Recipients, comma-separated (e-mail).
    #[serde(default)]
    pub mail_to: String,
    /// The units whose accounts' notices the channel carries (a unit's own
    /// group). With none and `leaders` false, it carries every notice.
    #[serde(default)]
    pub units: Vec<i64>,
    /// Whether it carries the notices to the 县级领导 (a leaders' group).
    #[serde(default)]
    pub leaders: bool,
    /// The kinds of notice it carries (`urge`, `escalate`, …); none: every kind.
    #[serde(default)]
    pub notice_kinds: Vec<String>,
}

/// `POST /api/v1/outbox/channels` (admin).
pub async fn add_channel(
    State(st): State<AppState>,
    c: Caller,
    super::J(b): super::J<ChannelBody>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let id = st
        .store
        .add_channel(
            &c.session.access,
            lvzhi_store::outbox::ChannelInput {
                kind: b.kind,
                name: b.name,
                url: b.url,
                secret: b.secret,
                method: b.method,
                body_template: b.body_template,
                phone: b.phone,
                ca_file: b.ca_file,
                smtp_user: b.smtp_user,
                mail_from: b.mail_from,
                mail_to: b.mail_to,
                units: b.units,
                leaders: b.leaders,
                notice_kinds: b.notice_kinds,
            },
        )
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}
