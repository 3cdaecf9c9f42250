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
//! **Invariants:** a refused code writes nothing; failed code guesses are
//! counted per client IP ([`Guard`]: more than [`MAX_FAILURES`] a minute →
//! 429 without looking the code up); nothing here records which code was
//! handed to or used by whom, or the client's address with a ballot.

use crate::AppState;
use crate::api::{J, Q};
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::assess::{CampaignDef, Grade, Item};
use lvzhi_store::StoreError;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failed code guesses allowed per client IP within [`WINDOW`].
pub const MAX_FAILURES: usize = 10;
/// The window of [`MAX_FAILURES`].
pub const WINDOW: Duration = Duration::from_secs(60);

/// Failed code guesses per client IP, in memory (one per server).
#[derive(Default)]
pub struct Guard {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Guard {
    /// A new, empty guard (as an extension layer value).
    pub fn new() -> Arc<Guard> {
        Arc::new(Guard::default())
    }

    /// Whether `ip` has used up its failures in the last minute.
    pub fn blocked(&self, ip: Option<IpAddr>) -> bool {
        let Some(ip) = ip else { return false };
        let now = Instant::now();
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(q) = m.get_mut(&ip) else { return false };
        while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            q.pop_front();
        }
        if q.is_empty() {
            m.remove(&ip);
            return false;
        }
        q.len() >= MAX_FAILURES
    }

    /// Records a failed guess from `ip`.
    pub fn failed(&self, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        let now = Instant::now();
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bound the memory a flood of addresses can take.
        if m.len() > 100_000 {
            m.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let q = m.entry(ip).or_default();
        q.push_back(now);
        while q.len() > MAX_FAILURES {
            q.pop_front();
        }
    }

    /// The 429 answered while blocked.
    pub fn refusal() -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "输入错误的选票码次数过多，请一分钟后再试",
        );
        e.details = json!({"retry_after_seconds": WINDOW.as_secs()});
        e
    }

    /// Runs a code lookup under the guard: refused while blocked; a 404
    /// (unknown code) counts as a failure.
    pub async fn check<T>(
        &self,
        ip: Option<IpAddr>,
        f: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        if self.blocked(ip) {
            return Err(StoreError::BadRequest(GUARD_MARK.into()));
        }
        let r = f.await;
        if matches!(r, Err(StoreError::NotFound(_))) {
            self.failed(ip);
        }
        r
    }
}

/// Marks a refusal by the guard inside a `StoreError` (mapped to 429).
const GUARD_MARK: &str = "\u{1}guard";

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

/// The Chinese part of a store message ("选票码无效 / unknown …" → "选票码无效").
pub fn chinese(msg: &str) -> String {
    msg.split(" / ").next().unwrap_or(msg).to_string()
}

/// A store error for an evaluator: Chinese only; the guard's mark as 429.
pub fn evaluator_error(e: StoreError) -> ApiError {
    if let StoreError::BadRequest(m) = &e
        && m == GUARD_MARK
    {
        return Guard::refusal();
    }
    let mut a = ApiError::from(e);
    a.message = chinese(&a.message);
    a
}

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

/// The ballot a code opens: campaign, subjects, items and grades.
pub async fn ballot_for(st: &AppState, guard: &Guard, ip: Option<IpAddr>, code: &str) -> Result<Value, StoreError> {
    let campaign = guard.check(ip, st.store.token_campaign(code)).await?;
    let c = guard.check(ip, st.store.ballot_campaign(campaign, code)).await?;
    Ok(json!({
        "campaign": {"id": c.id, "year": c.year, "title": c.title, "closes_at": c.closes_at},
        "subjects": c.subjects.iter().map(|s| json!({"id": s.id, "name": s.name, "post": s.post})).collect::<Vec<_>>(),
        "items": Item::ALL.iter().map(|i| i.label()).collect::<Vec<_>>(),
        "grades": Grade::ALL.iter().map(|g| g.label()).collect::<Vec<_>>(),
    }))
}

/// `POST /api/v1/assessments/ballot`
pub async fn ballot(
    State(st): State<AppState>,
    Extension(guard): Extension<Arc<Guard>>,
    ClientIp(ip): ClientIp,
    J(b): J<BallotBody>,
) -> Result<Json<Value>, ApiError> {
    ballot_for(&st, &guard, ip, &b.code)
        .await
        .map(Json)
        .map_err(evaluator_error)
}

/// Casts a ballot under the guard; returns the receipt.
pub async fn cast_for(
    st: &AppState,
    guard: &Guard,
    ip: Option<IpAddr>,
    campaign: i64,
    code: &str,
    grades: &Value,
) -> Result<String, StoreError> {
    guard.check(ip, st.store.cast_ballot(campaign, code, grades)).await
}

/// `POST /api/v1/assessments/ballot/cast`
pub async fn cast(
    State(st): State<AppState>,
    Extension(guard): Extension<Arc<Guard>>,
    ClientIp(ip): ClientIp,
    J(b): J<BallotBody>,
) -> Result<Response, ApiError> {
    let campaign = b
        .campaign
        .ok_or_else(|| ApiError::bad_request("缺少测评编号（campaign）"))?;
    let grades = b.grades.unwrap_or(Value::Null);
    let receipt = cast_for(&st, &guard, ip, campaign, &b.code, &grades)
        .await
        .map_err(evaluator_error)?;
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
    let (bytes, ctype, name) = sheet_bytes(&st, &c.session.access, id, &format).await?;
    Ok(download(bytes, ctype, &name))
}

/// The result sheet of campaign `id` in `format` (`docx`/`xlsx`): bytes,
/// content type and file name.
pub async fn sheet_bytes(
    st: &AppState,
    access: &Access,
    id: i64,
    format: &str,
) -> Result<(Vec<u8>, &'static str, String), ApiError> {
    let r = st.store.campaign_results(access, id).await?;
    let engine = crate::indicators::engine(st)?;
    let objective = lvzhi_report::assess_sheet::objective(&st.store, engine, access, &r.campaign, st.store.today())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let sheet = lvzhi_report::assess_sheet::Sheet::new(&r, objective, st.store.today());
    let bad =
        |e: lvzhi_report::ReportError| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string());
    match format {
        "docx" => Ok((
            sheet.docx().map_err(bad)?,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            format!("{}测评结果.docx", r.campaign.title),
        )),
        "xlsx" => Ok((
            sheet.xlsx().map_err(bad)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{}测评结果.xlsx", r.campaign.title),
        )),
        o => Err(ApiError::bad_request(format!("格式“{o}”无效（可选：docx、xlsx）"))),
    }
}

/// A file download with a UTF-8 file name.
pub fn download(bytes: Vec<u8>, ctype: &'static str, name: &str) -> Response {
    let mut resp = (StatusCode::OK, [(header::CONTENT_TYPE, ctype)], bytes).into_response();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = format!("attachment; filename*=UTF-8''{encoded}").parse() {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_blocks_after_ten_failures_per_ip() {
        let g = Guard::default();
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        let b = Some(IpAddr::from([10, 0, 0, 2]));
        for _ in 0..MAX_FAILURES - 1 {
            g.failed(a);
        }
        assert!(!g.blocked(a));
        g.failed(a);
        assert!(g.blocked(a));
        assert!(!g.blocked(b), "per address");
        assert!(!g.blocked(None));
    }

    #[test]
    fn chinese_part() {
        assert_eq!(chinese("选票码无效 / unknown ballot code"), "选票码无效");
        assert_eq!(chinese("测评已经结束"), "测评已经结束");
    }
}
