//! The attachment routes of the record page (证据材料): upload, download,
//! thumbnail and voiding. `POST /records/{id}/attachments`,
//! `GET /attachments/{id}`, `GET /attachments/{id}/thumb`,
//! `POST /attachments/{id}/void`; and the multipart forms that carry files
//! with a step or a create (`POST /records/{id}/transition/files`,
//! `POST /ledgers/{key}/new/files`: the files and the change commit together
//! or not at all). The section itself is `ui/evidence.rs`
//! (kept apart so the record page can show it without importing these
//! handlers, which answer a refusal with the record page).

use super::render::{PageResult, see_other, store_error};
use super::session::{UiUser, check_csrf, field};
use crate::AppState;
use crate::service::attachments::{UploadError, UploadForm};
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
    let form = match received(&st, &u, id, m, "请用页面上的表单上传").await? {
        Ok(f) => f,
        Err(refusal) => return refusal,
    };
    let kind = field(&form.fields, "kind").unwrap_or("").trim().to_string();
    match st.attach_all(a, id, &kind, form.files).await {
        Ok(_) => Ok(see_other(&format!("/records/{id}?msg=attached#evidence"))),
        Err(e) => refused(&st, &u, id, e).await,
    }
}

/// A record page's multipart form, received and inspected: before a byte is
/// read, scope (404), role (403) and a closed record (409) are checked; then
/// the files are received and the CSRF token compared. `Ok(Err(page))` is the
/// record page with the refusal (`malformed` when the body is not multipart).
async fn received(
    st: &AppState,
    u: &UiUser,
    id: i64,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    malformed: &str,
) -> Result<Result<UploadForm, PageResult>, Response> {
    st.may_attach(&u.session.access, id).await.map_err(store_error)?;
    let m = match m {
        Ok(m) => m,
        Err(_) => return Ok(Err(refused(st, u, id, UploadError::Malformed(malformed.into())).await)),
    };
    let form = match st.receive(m).await {
        Ok(f) => f,
        Err(e) => return Ok(Err(refused(st, u, id, e).await)),
    };
    check_csrf(u, &form.fields)?;
    Ok(Ok(form))
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

fn status_of(e: &UploadError) -> StatusCode {
    match e {
        UploadError::File(_, true) => StatusCode::PAYLOAD_TOO_LARGE,
        UploadError::Store(s) => StatusCode::from_u16(s.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// A form's text fields.
type Fields = Vec<(String, String)>;
/// Received files, each with its attachment kind.
type Kinded = Vec<(String, lvzhi_files::Received)>;

/// Pairs each received file with the attachment kind of the input it came
/// in (`inputs` are the form's file inputs, recomputed on the server); on a
/// refusal, the text fields (to refill the form) and why.
fn with_kinds(
    form: UploadForm,
    inputs: &[super::evidence::FileInput],
) -> Result<(Fields, Kinded), (Fields, UploadError)> {
    let UploadForm {
        fields,
        files,
        file_fields,
    } = form;
    let mut out = Vec::with_capacity(files.len());
    for (f, r) in file_fields.into_iter().zip(files) {
        match inputs.iter().find(|i| i.field == f) {
            Some(i) => out.push((i.kind.clone(), r)),
            None => {
                return Err((
                    fields,
                    UploadError::Malformed(format!("表单中的文件栏“{f}”不属于这一步，请刷新页面后重试")),
                ));
            }
        }
    }
    Ok((fields, out))
}

/// `POST /records/{id}/transition/files`: a step's form with its evidence
/// (multipart: `csrf`, `version`, `transition`, the step's fields, `file-N`).
/// The files are received and inspected first; then the files and the step
/// are one writer command: a refused step records no attachment.
pub async fn step(
    State(st): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let id = parse_id(&id)?;
    let a = &u.session.access;
    let form = match received(&st, &u, id, m, "请用页面上的表单提交").await? {
        Ok(f) => f,
        Err(refusal) => return refusal,
    };
    let name = field(&form.fields, "transition").unwrap_or("").to_string();
    let view = st.store.record(a, id).await.map_err(store_error)?;
    let kind = st
        .store
        .pack()
        .ledger(&view.row.ledger)
        .ok_or_else(|| store_error(lvzhi_store::StoreError::Internal("unknown ledger".into())))?;
    let inputs = kind
        .workflow
        .iter()
        .flat_map(|w| &w.transitions)
        .find(|t| t.name == name && t.from.contains(&view.row.state))
        .map(|t| super::evidence::step_inputs(kind, t, &[]))
        .unwrap_or_default();
    let (fields, files) = match with_kinds(form, &inputs) {
        Ok(x) => x,
        Err((fields, e)) => return step_refused(&st, &u, id, fields, e).await,
    };
    match st.stage_all(files).await {
        // No file chosen (the rule already met): `staged` is empty, the step alone.
        Ok(staged) => super::record::take_step(&st, &u, id, fields, staged).await,
        Err(e) => step_refused(&st, &u, id, fields, e).await,
    }
}

async fn step_refused(st: &AppState, u: &UiUser, id: i64, fields: Vec<(String, String)>, e: UploadError) -> PageResult {
    let banner = format!("办理未完成：{e}。本次未保存任何内容（文件与办理均未记入），请修改后重新提交。");
    super::record::step_refused(st, u, id, status_of(&e), fields, banner).await
}

/// `POST /ledgers/{key}/new/files`: the create form with its before photo
/// (multipart: `csrf`, the fields, `file-1`); the record and the photo are
/// one writer command.
pub async fn create(
    State(st): State<AppState>,
    u: UiUser,
    Path(key): Path<String>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let kind = st
        .store
        .pack()
        .ledger(&key)
        .ok_or_else(|| store_error(lvzhi_store::StoreError::NotFound(format!("台账“{key}”不存在"))))?;
    let role = u.session.access.role;
    if !role.writes() || !kind.create_roles.contains(&role) {
        return Err(store_error(lvzhi_store::StoreError::Forbidden(format!(
            "{}不能在“{}”台账中登记记录",
            role.label(),
            kind.name
        ))));
    }
    let bad = |e: UploadError| {
        let banner = format!("未能登记：{e}。本次未保存任何内容，请重新选择照片后提交。");
        (status_of(&e), banner)
    };
    let m = m.map_err(|_| store_error(lvzhi_store::StoreError::BadRequest("请用页面上的表单提交".into())))?;
    let form = match st.receive(m).await {
        Ok(f) => f,
        Err(e) => return super::record::create_with(&st, &u, &key, vec![], Err(bad(e))).await,
    };
    check_csrf(&u, &form.fields)?;
    let inputs = super::evidence::create_inputs(kind);
    let (fields, files) = match with_kinds(form, &inputs) {
        Ok(x) => x,
        Err((fields, e)) => return super::record::create_with(&st, &u, &key, fields, Err(bad(e))).await,
    };
    let staged = if files.is_empty() {
        Ok(vec![])
    } else {
        st.stage_all(files).await.map_err(bad)
    };
    super::record::create_with(&st, &u, &key, fields, staged).await
}
