//! Accounts under 三员分立 and the second factor.
//!
//! * Everyone, for themselves: `POST /api/v1/auth/totp` (`{code}`: the code
//!   or a recovery code a fresh login owes), `POST /api/v1/auth/totp/enrol`
//!   (→ `{secret, uri, qr_svg}`), `POST /api/v1/auth/totp/confirm` (`{code}`
//!   → `{recovery_codes}`, shown once).
//! * 系统管理员: `POST /api/v1/users` (in `mod.rs`), `POST /api/v1/users/{name}/state`
//!   (`{disabled}`, ordinary accounts), password resets of ordinary accounts,
//!   `POST /api/v1/users/import` (accounts in bulk from an xlsx).
//! * 安全管理员: `POST /api/v1/users/{name}/role`, `…/unlock`, `…/totp/reset`,
//!   password resets and disabling of administrators' accounts,
//!   `PUT /api/v1/security/policy`.
//!
//! The store decides every refusal ([`lvzhi_store::auth`]); these handlers
//! only parse.

use super::J;
use crate::AppState;
use crate::auth::{Caller, ClientAddr};
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lvzhi_core::access::Role;
use lvzhi_store::auth::Policy;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub(super) struct CodeBody {
    code: String,
}

/// `POST /api/v1/auth/totp`: the second step of a login.
pub(super) async fn verify(
    State(st): State<AppState>,
    c: Caller,
    addr: ClientAddr,
    J(b): J<CodeBody>,
) -> Result<Json<Value>, ApiError> {
    let s = st.store.totp_verify(&c.token, &b.code, addr.get()).await?;
    Ok(Json(
        json!({"ok": true, "must_change": s.must_change, "second_factor": s.second_factor}),
    ))
}

/// `POST /api/v1/auth/totp/enrol`: a new secret for the caller.
pub(super) async fn enrol(State(st): State<AppState>, c: Caller, addr: ClientAddr) -> Result<Json<Value>, ApiError> {
    let e = st.store.totp_begin(&c.session.access, addr.get()).await?;
    Ok(Json(
        json!({"secret": e.secret, "qr_svg": crate::auth::qr_svg(&e.uri), "uri": e.uri}),
    ))
}

/// `POST /api/v1/auth/totp/confirm`: the first code from the new secret.
pub(super) async fn confirm(
    State(st): State<AppState>,
    c: Caller,
    addr: ClientAddr,
    J(b): J<CodeBody>,
) -> Result<Json<Value>, ApiError> {
    let codes = st
        .store
        .totp_confirm(&c.session.access, &c.token, &b.code, addr.get())
        .await?;
    Ok(Json(json!({"recovery_codes": codes})))
}

/// `POST /api/v1/users/{name}/totp/reset` (安全管理员).
pub(super) async fn totp_reset(
    State(st): State<AppState>,
    c: Caller,
    addr: ClientAddr,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    st.store.totp_reset(&c.session.access, &name, addr.get()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleBody {
    role: String,
    unit_id: Option<i64>,
    division: Option<String>,
}

/// `POST /api/v1/users/{name}/role` (安全管理员): role and scope.
pub(super) async fn set_role(
    State(st): State<AppState>,
    c: Caller,
    Path(name): Path<String>,
    J(b): J<RoleBody>,
) -> Result<StatusCode, ApiError> {
    let role = Role::parse(&b.role).ok_or_else(|| ApiError::bad_request(format!("角色“{}”不存在", b.role)))?;
    st.store
        .set_role(&c.session.access, &name, role, b.unit_id, b.division)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetBody {
    password: String,
}

/// `POST /api/v1/users/{name}/password`: an administrator's reset (the
/// user must change it at the next login).
pub(super) async fn reset_password(
    State(st): State<AppState>,
    c: Caller,
    Path(name): Path<String>,
    J(b): J<ResetBody>,
) -> Result<StatusCode, ApiError> {
    if name == c.session.access.username {
        return Err(ApiError::bad_request(
            "修改本人密码请使用 POST /api/v1/auth/password（需提供当前密码）",
        ));
    }
    st.store.set_password(&c.session.access, &name, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/users/{name}/unlock` (安全管理员).
pub(super) async fn unlock(
    State(st): State<AppState>,
    c: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    st.store.unlock_user(&c.session.access, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateBody {
    disabled: bool,
}

/// `POST /api/v1/users/{name}/state` (`{disabled}`).
pub(super) async fn set_state(
    State(st): State<AppState>,
    c: Caller,
    Path(name): Path<String>,
    J(b): J<StateBody>,
) -> Result<StatusCode, ApiError> {
    st.store.set_disabled(&c.session.access, &name, b.disabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/security/policy`: the policy in force (any signed-in user:
/// the password rules are shown on the change page anyway).
pub(super) async fn policy(State(st): State<AppState>, _c: Caller) -> Json<Policy> {
    Json(st.store.policy())
}

/// `PUT /api/v1/security/policy` (安全管理员): the whole policy.
pub(super) async fn set_policy(
    State(st): State<AppState>,
    c: Caller,
    J(p): J<Policy>,
) -> Result<Json<Policy>, ApiError> {
    st.store.set_policy(&c.session.access, &p).await?;
    Ok(Json(st.store.policy()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportQuery {
    /// The file's name (its extension picks the reader when the bytes do not).
    name: Option<String>,
    /// Only check: answer the problems (or none) and create nothing.
    #[serde(default)]
    check: bool,
}

/// `POST /api/v1/users/import[?name=…&check=true]` (系统管理员): the body is
/// an xlsx (or xls/csv) whose header names 单位, 角色, 姓名, 手机号. Every
/// row is checked first; any bad cell → 422 `invalid` with `details` a list
/// of `{row, field, message}` and nothing created. Else 201 with `created`:
/// each account with its one-time password (shown this once; it must be
/// changed at first login). `check=true` answers 200 `{problems}` instead.
pub(super) async fn import_users(
    State(st): State<AppState>,
    c: Caller,
    axum::extract::Query(q): axum::extract::Query<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let a = &c.session.access;
    if a.role != Role::Admin {
        // Before reading the file: nothing of it is echoed to others.
        return Err(lvzhi_store::StoreError::Forbidden("只有系统管理员可以批量创建用户".into()).into());
    }
    let name = q.name.unwrap_or_else(|| "users.xlsx".into());
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "请求体为空：请以xlsx文件内容作为请求体（表头：单位、角色、姓名、手机号）",
        ));
    }
    let rows = crate::service::accounts::bulk_sheet(&body, &name).map_err(ApiError::bad_request)?;
    let problems = st.store.check_users_bulk(a, &rows).await?;
    if q.check {
        return Ok((StatusCode::OK, Json(json!({"rows": rows.len(), "problems": problems}))));
    }
    if !problems.is_empty() {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("{}处错误，未创建任何用户", problems.len()),
        );
        e.details = json!(problems);
        return Err(e);
    }
    let created = st.store.add_users_bulk(a, &rows).await?;
    Ok((StatusCode::CREATED, Json(json!({"created": created}))))
}
