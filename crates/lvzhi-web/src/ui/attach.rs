//! The attachment routes of the record page (证据材料): upload, download,
//! thumbnail and voiding. `POST /records/{id}/attachments`,
//! `GET /attachments/{id}`, `GET /attachments/{id}/thumb`,
//! `POST /attachments/{id}/void`. The section itself is `ui/evidence.rs`
//! (kept apart so the record page can show it without importing these
//! handlers, which answer a refusal with the record page).

use super::render::{PageResult, see_other, store_error};
use super::session::{UiUser, check_csrf, field};
use crate::AppState;
use crate::service::attachments::UploadError;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;

fn parse_id(s: &str) -> Result<i64, Response> {
    s.parse()
        .map_err(|_| store_error(lvzhi_store::StoreError::NotFound(format!("编号“{s}”不存在"))))
}

/// `POST /records/{id}/attachments`: upload (multipart: `csrf`, `kind`, `file`…).
pub async fn upload(
    State(st): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let id = parse_id(&id)?;
    let a = &u.session.access;
    st.may_attach(a, id).await.map_err(store_error)?;
    let m = match m {
        Ok(m) => m,
        Err(_) => return refused(&st, &u, id, UploadError::Malformed("请用页面上的表单上传".into())).await,
    };
    let form = match st.receive(m).await {
        Ok(f) => f,
        Err(e) => return refused(&st, &u, id, e).await,
    };
    check_csrf(&u, &form.fields)?;
    let kind = field(&form.fields, "kind").unwrap_or("").trim().to_string();
    match st.attach_all(a, id, &kind, form.files).await {
        Ok(_) => Ok(see_other(&format!("/records/{id}?msg=attached#evidence"))),
        Err(e) => refused(&st, &u, id, e).await,
    }
}

/// The record page with the refusal; nothing was stored.
async fn refused(st: &AppState, u: &UiUser, id: i64, e: UploadError) -> PageResult {
    let status = match &e {
        UploadError::File(_, true) => StatusCode::PAYLOAD_TOO_LARGE,
        UploadError::Store(s) => StatusCode::from_u16(s.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    super::record::page_with_banner(st, u, id, status, format!("附件未上传：{e}。未保存任何文件。")).await
}

async fn bytes(st: &AppState, u: &UiUser, id: &str, thumb: bool) -> PageResult {
    let (a, bytes, mime) = st
        .attachment_bytes(&u.session.access, parse_id(id)?, thumb)
        .await
        .map_err(store_error)?;
    let mut r = crate::download::file(bytes, mime, &a.file.name);
    // Photos and PDFs open in the browser; other files download.
    if thumb || mime.starts_with("image/") && mime != "image/heic" || mime == "application/pdf" {
        r.headers_mut().remove(axum::http::header::CONTENT_DISPOSITION);
        r.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("private, max-age=3600"),
        );
    }
    r.headers_mut().insert(
        "x-content-type-options",
        axum::http::HeaderValue::from_static("nosniff"),
    );
    Ok(r)
}

/// `GET /attachments/{id}`: the file.
pub async fn content(State(st): State<AppState>, u: UiUser, Path(id): Path<String>) -> PageResult {
    bytes(&st, &u, &id, false).await
}

/// `GET /attachments/{id}/thumb`: the thumbnail (no EXIF).
pub async fn thumb(State(st): State<AppState>, u: UiUser, Path(id): Path<String>) -> PageResult {
    bytes(&st, &u, &id, true).await
}

/// `POST /attachments/{id}/void` (`csrf`, `reason`).
pub async fn void(
    State(st): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    f: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let id = parse_id(&id)?;
    let a = &u.session.access;
    let att = st.store.attachment(a, id).await.map_err(store_error)?;
    let reason = field(&f, "reason").unwrap_or("");
    match st.store.void_attachment(a, id, reason).await {
        Ok(()) => Ok(see_other(&format!(
            "/records/{}?msg=attachment_voided#evidence",
            att.record_id
        ))),
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            super::record::page_with_banner(&st, &u, att.record_id, status, format!("附件未作废：{e}")).await
        }
    }
}
