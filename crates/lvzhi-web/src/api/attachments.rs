//! Evidence attachments over JSON: list, upload (multipart: `kind`, one or
//! more `file`), download, thumbnail, void. Streaming and checks are the
//! service's ([`crate::service::attachments`]); scope and events the store's.

use super::J;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::attachments::{UploadError, flags};
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

fn id_of(s: &str) -> Result<i64, ApiError> {
    s.parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("编号“{s}”不存在")))
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::File(f, true) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", f.0),
            UploadError::File(f, false) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "file_refused", f.0),
            UploadError::Malformed(m) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", m),
            UploadError::Store(e) => e.into(),
        }
    }
}

/// `GET /api/v1/records/{id}/attachments`.
pub async fn list(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let a = &c.session.access;
    let id = id_of(&id)?;
    let view = st.store.record(a, id).await?;
    let items = st.store.attachments(a, id).await?;
    let kind = st.store.pack().ledger(&view.row.ledger);
    let items: Vec<Value> = items
        .iter()
        .map(|x| {
            let mut v = serde_json::to_value(x).unwrap_or(Value::Null);
            v["flags"] = json!(kind.map(|k| flags(k, &view.row.fields, x)).unwrap_or_default());
            v
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

/// `POST /api/v1/records/{id}/attachments` (multipart: `kind`, `file`…).
pub async fn upload(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let a = &c.session.access;
    let id = id_of(&id)?;
    st.may_attach(a, id).await?;
    let m = m.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("请以 multipart/form-data 上传：{e}"),
        )
    })?;
    let form = st.receive(m).await?;
    let kind = form.field("kind").unwrap_or("").trim().to_string();
    let ids = st.attach_all(a, id, &kind, form.files).await?;
    Ok((StatusCode::CREATED, Json(json!({"ids": ids}))).into_response())
}

async fn bytes(st: &AppState, c: &Caller, id: &str, thumb: bool) -> Result<Response, ApiError> {
    let (a, bytes, mime) = st.attachment_bytes(&c.session.access, id_of(id)?, thumb).await?;
    let name = if thumb {
        format!("缩略图-{}.jpg", a.file.name)
    } else {
        a.file.name
    };
    Ok(crate::download::file(bytes, mime, &name))
}

/// `GET /api/v1/attachments/{id}`: the file as uploaded.
pub async fn content(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    bytes(&st, &c, &id, false).await
}

/// `GET /api/v1/attachments/{id}/thumbnail`: a photo's thumbnail (JPEG, no EXIF).
pub async fn thumbnail(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    bytes(&st, &c, &id, true).await
}

/// The body of a void.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidBody {
    /// Why.
    reason: String,
}

/// `POST /api/v1/attachments/{id}/void` `{"reason"}`.
pub async fn void(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    J(b): J<VoidBody>,
) -> Result<Json<Value>, ApiError> {
    st.store
        .void_attachment(&c.session.access, id_of(&id)?, &b.reason)
        .await?;
    Ok(Json(json!({"voided": true})))
}
