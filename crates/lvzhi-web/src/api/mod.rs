//! # The JSON API under `/api/v1`
//!
//! A thin adapter over the service layer ([`crate::service::App`]): each
//! handler parses the request, finds the caller ([`crate::auth`]) and calls
//! the store or the service; errors are [`ApiError`]s. Never imports
//! the UI's modules (a unit test in `lib.rs` holds it).
//!
//! * [`indicators`] — 指标 and 预警; [`reports`] — 报告 and templates;
//!   [`assess`] — 民主测评; [`export`] — ledger exports; [`openapi`] — the
//!   document at `/api/v1/openapi.json`.

pub mod accounts;
pub mod assess;
pub mod attachments;
pub mod co_units;
pub mod escalations;
pub mod export;
pub mod indicators;
pub mod notices;
pub mod openapi;
pub mod reports;

use crate::AppState;
use crate::auth::{COOKIE, Caller};
use crate::error::{ApiError, from_json_rejection};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lvzhi_core::access::Role;
use lvzhi_store::auth::NewUser;
use lvzhi_store::records::ListQuery;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// A JSON body whose rejections are API errors.
///
/// A number with no fraction is an integer, whichever way it is written
/// (`207.0` as `207`), as JSON Schema — and so the OpenAPI document — has it.
pub struct J<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for J<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let mut v = match Json::<Value>::from_request(req, state).await {
            Ok(Json(v)) => v,
            Err(r) => return Err(from_json_rejection(r)),
        };
        // Every request body of the API is an object; serde would also read a
        // struct from an array (`[]` as a body with every field defaulted).
        if !v.is_object() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                "请求体应为JSON对象（{…}）".to_string(),
            ));
        }
        integral(&mut v);
        serde_json::from_value(v).map(J).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                format!("请求体不是有效的JSON：{e}"),
            )
        })
    }
}

/// Rewrites every float of `v` that has no fraction and fits an `i64` as that integer.
fn integral(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f >= i64::MIN as f64
                && f < i64::MAX as f64
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral),
        Value::Object(o) => o.values_mut().for_each(integral),
        _ => {}
    }
}

/// A query string whose rejections are API errors (400 naming the parameter).
pub struct Q<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Q(v)),
            Err(r) => Err(ApiError::bad_request(format!("查询参数无效：{}", r.body_text()))),
        }
    }
}

pub(crate) fn parse_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::bad_request(format!("“{s}”不是有效的记录编号")))
}

/// `GET /healthz`: "ok" while writes reach the database; 503 with the writer's
/// state (since when, the last error) while they do not.
async fn healthz(State(st): State<AppState>) -> Response {
    let h = st.store.write_health();
    if h.ok {
        "ok".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ok": false, "writes": h, "message": "数据库写入暂不可用，修改不能保存"})),
        )
            .into_response()
    }
}

/// The API routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(|| async { Json(openapi::document()) }))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/password", post(change_password))
        .route("/api/v1/auth/sessions", get(sessions))
        .route("/api/v1/auth/sessions/{id}", axum::routing::delete(revoke_session))
        .route("/api/v1/me", get(me))
        .route("/api/v1/org/divisions", get(divisions))
        .route("/api/v1/org/units", get(units))
        .route("/api/v1/org/people", get(people))
        .route("/api/v1/users", get(users).post(add_user))
        .route("/api/v1/auth/totp", post(accounts::verify))
        .route("/api/v1/auth/totp/enrol", post(accounts::enrol))
        .route("/api/v1/auth/totp/confirm", post(accounts::confirm))
        .route("/api/v1/users/import", post(accounts::import_users))
        .route("/api/v1/users/{name}/role", post(accounts::set_role))
        .route("/api/v1/users/{name}/password", post(accounts::reset_password))
        .route("/api/v1/users/{name}/unlock", post(accounts::unlock))
        .route("/api/v1/users/{name}/state", post(accounts::set_state))
        .route("/api/v1/users/{name}/totp/reset", post(accounts::totp_reset))
        .route(
            "/api/v1/security/policy",
            get(accounts::policy).put(accounts::set_policy),
        )
        .route("/api/v1/ledgers", get(ledgers))
        .route("/api/v1/ledgers/{ledger}", get(ledger))
        .route(
            "/api/v1/ledgers/{ledger}/records",
            get(list_records).post(create_record),
        )
        .route("/api/v1/ledgers/{ledger}/export", get(export::export))
        .route("/api/v1/records/{id}", get(get_record).patch(update_record))
        .route("/api/v1/records/{id}/transitions", post(transition))
        .route("/api/v1/records/{id}/void", post(void_record))
        .route("/api/v1/records/{id}/urge", post(urge))
        .route("/api/v1/records/{id}/events", get(record_events))
        .route("/api/v1/records/{id}/co-units", get(co_units::get).put(co_units::put))
        .route("/api/v1/records/{id}/opinions", post(co_units::opinion))
        .route(
            "/api/v1/records/{id}/attachments",
            get(attachments::list)
                .post(attachments::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::service::attachments::body_limit(),
                )),
        )
        .route("/api/v1/attachments/{id}", get(attachments::content))
        .route("/api/v1/attachments/{id}/thumbnail", get(attachments::thumbnail))
        .route("/api/v1/attachments/{id}/void", post(attachments::void))
        .route("/api/v1/notices", get(notices::list))
        .route("/api/v1/outbox", get(notices::outbox))
        .route("/api/v1/outbox/channels", post(notices::add_channel))
        .route("/api/v1/notices/read", post(notices::read_all))
        .route("/api/v1/notices/{id}/read", post(notices::read_one))
        .route("/api/v1/audit/events", get(audit_events))
        .route("/api/v1/audit/verify", get(audit_verify))
        .route("/api/v1/indicators", get(indicators::list))
        .route("/api/v1/indicators/{id}", get(indicators::one))
        .route("/api/v1/warnings", get(indicators::warnings))
        .route("/api/v1/supervise/ranks", get(indicators::ranks))
        .route("/api/v1/supervise/warned", get(indicators::warned))
        .route("/api/v1/supervise/escalations", get(escalations::list))
        .route("/api/v1/dashboard", get(indicators::dashboard))
        .route("/api/v1/warnings/{id}/ack", post(indicators::ack))
        .route("/api/v1/reports", get(reports::list))
        .route("/api/v1/reports/{template}", get(reports::one))
        .route("/api/v1/reports/{template}/source", get(reports::source))
        .route(
            "/api/v1/reports/{template}/versions",
            get(reports::versions).post(reports::save),
        )
        .route("/api/v1/assessments", get(assess::list).post(assess::create))
        .route("/api/v1/assessments/ballot", post(assess::ballot))
        .route("/api/v1/assessments/ballot/cast", post(assess::cast))
        .route("/api/v1/assessments/receipts/{code}", get(assess::receipt))
        .route("/api/v1/assessments/{id}", get(assess::one))
        .route("/api/v1/assessments/{id}/tokens", post(assess::tokens))
        .route("/api/v1/assessments/{id}/open", post(assess::open))
        .route("/api/v1/assessments/{id}/close", post(assess::close))
        .route("/api/v1/assessments/{id}/publish", post(assess::publish))
        .route("/api/v1/assessments/{id}/turnout", get(assess::turnout))
        .route("/api/v1/assessments/{id}/results", get(assess::results))
        .route("/api/v1/assessments/{id}/recount", get(assess::recount))
        .route("/api/v1/assessments/{id}/receipts", get(assess::receipts))
        .route("/api/v1/assessments/{id}/sheet", get(assess::sheet))
        .fallback(|| async { ApiError::not_found("没有这个接口") })
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(st): State<AppState>,
    addr: crate::auth::ClientAddr,
    J(b): J<LoginBody>,
) -> Result<Response, ApiError> {
    let (token, s) = st.store.login_from(&b.username, &b.password, "api", addr.get()).await?;
    let secure = if st.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        st.store.policy().session_hours * 3600
    );
    let mut r = Json(
        json!({"token": token, "csrf": s.csrf, "expires_at": s.expires_at, "must_change": s.must_change,
        "second_factor": s.second_factor,
        "user": {"username": s.access.username, "display_name": s.display_name, "role": s.access.role,
                 "unit": s.access.unit, "division": s.access.division}}),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn logout(State(st): State<AppState>, c: Caller, addr: crate::auth::ClientAddr) -> Result<Response, ApiError> {
    st.store.logout_from(&c.token, addr.get()).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("lvzhi_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

async fn me(c: Caller) -> Json<Value> {
    let a = &c.session.access;
    Json(
        json!({"username": a.username, "display_name": c.session.display_name, "role": a.role,
        "role_label": a.role.label(), "unit": a.unit, "division": a.division, "person": a.person,
        "oversees": a.oversees, "csrf": c.session.csrf, "expires_at": c.session.expires_at,
        "must_change": c.session.must_change, "second_factor": c.session.second_factor}),
    )
}

#[derive(Deserialize)]
struct Prefix {
    prefix: Option<String>,
}

async fn divisions(State(st): State<AppState>, _c: Caller, Q(p): Q<Prefix>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"items": st.store.divisions(p.prefix.as_deref().unwrap_or("")).await?}),
    ))
}

async fn units(State(st): State<AppState>, _c: Caller) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": st.store.units().await?})))
}

async fn people(State(st): State<AppState>, _c: Caller) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": st.store.people().await?})))
}

/// The user list: the system and the security administrator.
async fn users(State(st): State<AppState>, c: Caller) -> Result<Json<Value>, ApiError> {
    if !matches!(c.session.access.role, Role::Admin | Role::SecAdmin) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "只有系统管理员和安全管理员可以查看用户",
        ));
    }
    Ok(Json(json!({"items": st.store.users().await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    username: String,
    #[serde(default)]
    display_name: String,
    password: String,
    role: String,
    unit_id: Option<i64>,
    division: Option<String>,
    person_id: Option<i64>,
}

async fn add_user(State(st): State<AppState>, c: Caller, J(b): J<UserBody>) -> Result<Response, ApiError> {
    let role = Role::parse(&b.role).ok_or_else(|| ApiError::bad_request(format!("角色“{}”不存在", b.role)))?;
    let id = st
        .store
        .add_user(
            &c.session.access,
            &NewUser {
                username: b.username,
                display_name: b.display_name,
                password: b.password,
                role,
                unit_id: b.unit_id,
                division: b.division,
                person_id: b.person_id,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

async fn ledgers(State(st): State<AppState>, c: Caller) -> Json<Value> {
    let role = c.session.access.role;
    let items: Vec<Value> = if !role.sees_ledgers() {
        vec![]
    } else {
        st.store
            .pack()
            .ledgers
            .iter()
            .map(|l| {
                json!({"key": l.key, "name": l.name, "category": l.category, "description": l.description,
                            "can_create": l.create_roles.contains(&role)})
            })
            .collect()
    };
    Json(json!({"items": items}))
}

async fn ledger(State(st): State<AppState>, c: Caller, Path(key): Path<String>) -> Result<Json<Value>, ApiError> {
    if !c.session.access.role.sees_ledgers() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "测评人不能查看台账"));
    }
    let l = st
        .store
        .pack()
        .ledger(&key)
        .ok_or_else(|| ApiError::not_found(format!("台账“{key}”不存在")))?;
    Ok(Json(serde_json::to_value(l).unwrap_or(Value::Null)))
}

async fn list_records(
    State(st): State<AppState>,
    c: Caller,
    Path(key): Path<String>,
    Q(q): Q<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    page_limit(q.limit, 500)?;
    let page = st.store.list(&c.session.access, &key, &q).await?;
    Ok(Json(serde_json::to_value(page).unwrap_or(Value::Null)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    fields: Map<String, Value>,
}

async fn create_record(
    State(st): State<AppState>,
    c: Caller,
    Path(key): Path<String>,
    J(b): J<CreateBody>,
) -> Result<Response, ApiError> {
    let a = &c.session.access;
    let row = st.store.create(a, &key, b.fields).await?;
    let view = st.store.view(a, row)?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn get_record(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let v = st.store.record(&c.session.access, parse_id(&id)?).await?;
    Ok(Json(serde_json::to_value(v).unwrap_or(Value::Null)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    version: i64,
    fields: Map<String, Value>,
}

async fn update_record(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    J(b): J<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let a = &c.session.access;
    let row = st.store.update(a, parse_id(&id)?, b.version, b.fields).await?;
    Ok(Json(
        serde_json::to_value(st.store.view(a, row)?).unwrap_or(Value::Null),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionBody {
    transition: String,
    version: i64,
    #[serde(default)]
    fields: Map<String, Value>,
    reason: Option<String>,
}

async fn transition(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    J(b): J<TransitionBody>,
) -> Result<Json<Value>, ApiError> {
    let a = &c.session.access;
    let row = st
        .store
        .transition(a, parse_id(&id)?, b.version, &b.transition, b.fields, b.reason)
        .await?;
    Ok(Json(
        serde_json::to_value(st.store.view(a, row)?).unwrap_or(Value::Null),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoidBody {
    version: i64,
    reason: String,
}

async fn void_record(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    J(b): J<VoidBody>,
) -> Result<Json<Value>, ApiError> {
    let a = &c.session.access;
    let row = st.store.void(a, parse_id(&id)?, b.version, &b.reason).await?;
    Ok(Json(
        serde_json::to_value(st.store.view(a, row)?).unwrap_or(Value::Null),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UrgeBody {
    #[serde(default)]
    note: String,
}

async fn urge(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    J(b): J<UrgeBody>,
) -> Result<Json<Value>, ApiError> {
    let a = &c.session.access;
    let row = st.store.urge(a, parse_id(&id)?, &b.note).await?;
    Ok(Json(
        serde_json::to_value(st.store.view(a, row)?).unwrap_or(Value::Null),
    ))
}

async fn record_events(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let events = st.store.record_events(&c.session.access, parse_id(&id)?).await?;
    Ok(Json(json!({"items": events})))
}

/// A page size the client asked for must be 1 to `max`, as the OpenAPI document says.
pub(crate) fn page_limit(limit: Option<i64>, max: i64) -> Result<(), ApiError> {
    match limit {
        Some(l) if !(1..=max).contains(&l) => Err(ApiError::bad_request(format!("每页条数应为1至{max}"))),
        _ => Ok(()),
    }
}

/// `GET /api/v1/audit/events?before&kind&actor&from&to&record&limit`: the
/// log, filtered; each item is the event plus its Chinese line (`line`).
async fn audit_events(
    State(st): State<AppState>,
    c: Caller,
    Q(q): Q<lvzhi_store::audit::EventFilter>,
) -> Result<Json<Value>, ApiError> {
    page_limit(q.limit, 1000)?;
    let events = st.store.events_filtered(&c.session.access, &q).await?;
    let lines = st.store.audit_lines(&c.session.access, &q).await?;
    let items: Vec<Value> = events
        .iter()
        .zip(lines)
        .map(|(e, l)| {
            let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
            v["line"] = serde_json::to_value(l).unwrap_or(Value::Null);
            v
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

#[derive(Deserialize)]
struct PasswordBody {
    old: String,
    new: String,
}

/// `POST /api/v1/auth/password`: the caller changes their own password
/// (the current one, then a new one meeting the policy); every session of
/// the user ends, this one included.
async fn change_password(
    State(st): State<AppState>,
    c: Caller,
    addr: crate::auth::ClientAddr,
    J(b): J<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    st.store
        .change_password(&c.session.access, &b.old, &b.new, addr.get())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct SessionsQuery {
    username: Option<String>,
}

/// `GET /api/v1/auth/sessions[?username=]`: live sessions (one's own; an administrator's for anyone).
async fn sessions(State(st): State<AppState>, c: Caller, Q(q): Q<SessionsQuery>) -> Result<Json<Value>, ApiError> {
    let a = &c.session.access;
    let name = q.username.unwrap_or_else(|| a.username.clone());
    Ok(Json(json!({"items": st.store.sessions_of(a, &name).await?})))
}

/// `DELETE /api/v1/auth/sessions/{id}`: ends a session.
async fn revoke_session(
    State(st): State<AppState>,
    c: Caller,
    addr: crate::auth::ClientAddr,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    st.store.revoke_session(&c.session.access, &id, addr.get()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn audit_verify(State(st): State<AppState>, c: Caller) -> Result<Json<Value>, ApiError> {
    if !c.session.access.role.reads_audit_log() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "只有审计管理员和审计监督人员可以校验变更日志",
        ));
    }
    Ok(Json(
        serde_json::to_value(st.store.verify_chain().await?).unwrap_or(Value::Null),
    ))
}

/// Keeps `JsonRejection` in the public docs of the error mapping.
pub type BodyRejection = JsonRejection;

#[cfg(test)]
mod tests {
    use super::integral;
    use serde_json::json;

    #[test]
    fn integral_floats_become_integers_and_nothing_else_changes() {
        let mut v = json!({"version": 207.0, "n": [1.0, -3.0, 2.5], "deep": {"x": 1e3, "s": "7.0", "big": 1e300}});
        integral(&mut v);
        assert_eq!(
            v,
            json!({"version": 207, "n": [1, -3, 2.5], "deep": {"x": 1000, "s": "7.0", "big": 1e300}})
        );
        assert!(v["version"].is_i64());
    }

    /// A large integer written as a float reads back exactly (serde_json's
    /// `float_roundtrip`; without it `3854904430930274.0` read as …273.5 and a
    /// valid id was refused as a fraction).
    #[test]
    fn large_integral_floats_read_exactly() {
        let mut v: serde_json::Value =
            serde_json::from_str(r#"{"unit": 3854904430930274.0, "top": 9007199254740992.0}"#).unwrap();
        integral(&mut v);
        assert_eq!(v, json!({"unit": 3854904430930274_i64, "top": 9007199254740992_i64}));
    }
}
