//! Annual assessment (年度考核 / 民主测评) over HTTP (issue 9).
//!
//! Office and admin (`Access` with role 政府办/管理员) manage campaigns;
//! the auditor reads them and recounts. Evaluators have no login: the
//! one-time code printed on their slip is the only credential.
//!
//! * `POST /api/v1/assessments` — create (year, title, groups with weights,
//!   subjects, open and close instants); `GET /api/v1/assessments` — list;
//!   `GET /api/v1/assessments/{id}` — one.
//! * `POST /api/v1/assessments/{id}/tokens` — `{group_id, count}` → the codes
//!   (the only time they exist in plain text).
//! * `POST /api/v1/assessments/{id}/open|close|publish`.
//! * `GET /api/v1/assessments/{id}/turnout|results|recount|receipts|sheet`.
//! * Evaluators: `POST /api/v1/assessments/ballot` (`{code}` → the ballot),
//!   `POST /api/v1/assessments/ballot/cast` (`{code, campaign, grades}` →
//!   the receipt, all or nothing), `GET /api/v1/assessments/receipts/{code}`.
//!
//! The ballot code's rules and its guard are the service layer's
//! ([`crate::service::assess`]); a guard refusal is a 429.

use super::{J, Q};
use crate::AppState;
use crate::auth::{Caller, ClientIp};
use crate::error::ApiError;
use crate::service::assess::evaluator_error;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::assess::CampaignDef;
use serde::Deserialize;
use serde_json::{Value, json};

fn reader(a: &Access) -> Result<(), ApiError> {
    if matches!(a.role, Role::Admin | Role::Office | Role::Auditor) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "只有管理员、政府办或审计监督可以查看民主测评",
        ))
    }
}

fn id_of(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::bad_request(format!("“{s}”不是有效的测评编号")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// `POST /api/v1/assessments`
pub async fn create(State(st): State<AppState>, c: Caller, J(def): J<CampaignDef>) -> Result<Response, ApiError> {
    let id = st.store.create_campaign(&c.session.access, &def).await?;
    let camp = st.store.campaign(id).await?;
    Ok((StatusCode::CREATED, Json(to_json(&camp))).into_response())
}

/// `GET /api/v1/assessments`
pub async fn list(State(st): State<AppState>, c: Caller) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": st.store.campaigns(&c.session.access).await?})))
}

/// `GET /api/v1/assessments/{id}`
pub async fn one(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    reader(&c.session.access)?;
    Ok(Json(to_json(&st.store.campaign(id_of(&id)?).await?)))
}

/// The body of `POST /api/v1/assessments/{id}/tokens`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensBody {
    /// The evaluator group.
    pub group_id: i64,
    /// How many codes.
    pub count: usize,
}

/// `POST /api/v1/assessments/{id}/tokens`
pub async fn tokens(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    J(b): J<TokensBody>,
) -> Result<Response, ApiError> {
    let tokens = st
        .store
        .issue_tokens(&c.session.access, id_of(&id)?, b.group_id, b.count)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"group_id": b.group_id, "tokens": tokens})),
    )
        .into_response())
}

/// `POST /api/v1/assessments/{id}/open`
pub async fn open(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = id_of(&id)?;
    st.store.open_campaign(&c.session.access, id).await?;
    Ok(Json(to_json(&st.store.campaign(id).await?)))
}

/// `POST /api/v1/assessments/{id}/close` — closes and publishes the tally.
pub async fn close(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = id_of(&id)?;
    let tally = st.store.close_campaign(&c.session.access, id).await?;
    Ok(Json(
        json!({"campaign": st.store.campaign(id).await?, "ballots": tally.total()}),
    ))
}

/// `POST /api/v1/assessments/{id}/publish` — publishes the tally of a
/// closed campaign if closing was interrupted before it.
pub async fn publish(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = id_of(&id)?;
    let tally = st.store.publish_campaign(&c.session.access, id).await?;
    Ok(Json(
        json!({"campaign": st.store.campaign(id).await?, "ballots": tally.total()}),
    ))
}

/// `GET /api/v1/assessments/{id}/turnout`
pub async fn turnout(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let t = st.store.turnout(&c.session.access, id_of(&id)?).await?;
    let issued: i64 = t.iter().map(|g| g.issued).sum();
    let voted: i64 = t.iter().map(|g| g.voted).sum();
    Ok(Json(json!({"items": t, "issued": issued, "voted": voted})))
}

/// `GET /api/v1/assessments/{id}/results`
pub async fn results(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(to_json(
        &st.store.campaign_results(&c.session.access, id_of(&id)?).await?,
    )))
}

/// `GET /api/v1/assessments/{id}/recount`
pub async fn recount(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let r = st.store.recount(&c.session.access, id_of(&id)?).await?;
    let mut v = to_json(&r);
    v["ok"] = json!(r.ok());
    Ok(Json(v))
}

/// `GET /api/v1/assessments/{id}/receipts` — every receipt of a closed campaign.
pub async fn receipts(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    reader(&c.session.access)?;
    Ok(Json(json!({"items": st.store.receipts(id_of(&id)?).await?})))
}

/// The body of the evaluator's calls.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    /// The code on the slip (`ABCDE-FGHJK`; case, spaces and dashes ignored).
    pub code: String,
    /// The campaign the ballot page showed (required to cast).
    pub campaign: Option<i64>,
    /// `{"<subject id>": {"德": "优秀", …, "总体评价": "称职"}, …}` (cast only).
    pub grades: Option<Value>,
}

/// `POST /api/v1/assessments/ballot`
pub async fn ballot(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    J(b): J<BallotBody>,
) -> Result<Json<Value>, ApiError> {
    st.ballot(ip, &b.code).await.map(Json).map_err(evaluator_error)
}

/// `POST /api/v1/assessments/ballot/cast`
pub async fn cast(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    J(b): J<BallotBody>,
) -> Result<Response, ApiError> {
    let campaign = b
        .campaign
        .ok_or_else(|| ApiError::bad_request("缺少测评编号（campaign）"))?;
    let grades = b.grades.unwrap_or(Value::Null);
    let receipt = st.cast(ip, campaign, &b.code, &grades).await.map_err(evaluator_error)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"campaign": campaign, "receipt": receipt})),
    )
        .into_response())
}

/// `GET /api/v1/assessments/receipts/{code}` — whether a ballot with this
/// receipt is stored, and in which campaign.
pub async fn receipt(State(st): State<AppState>, Path(code): Path<String>) -> Result<Json<Value>, ApiError> {
    let found = st.store.find_receipt(&code).await.map_err(evaluator_error)?;
    Ok(Json(json!({
        "counted": !found.is_empty(),
        "campaigns": found.iter().map(|(id, t)| json!({"id": id, "title": t})).collect::<Vec<_>>(),
    })))
}

/// The query of the result sheet.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SheetQuery {
    /// `docx` (default) or `xlsx`.
    pub format: Option<String>,
}

/// `GET /api/v1/assessments/{id}/sheet?format=docx|xlsx` — the result sheet.
pub async fn sheet(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Q(q): Q<SheetQuery>,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let format = q.format.unwrap_or_else(|| "docx".into());
    let (bytes, ctype, name) = st.result_sheet(&c.session.access, id, &format).await?;
    Ok(crate::download::file(bytes, ctype, &name))
}
