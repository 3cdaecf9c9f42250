//! Reports over HTTP (issue 5).
//!
//! * `GET /api/v1/reports` — the report templates: the county pack's and the
//!   custom ones (copied and edited in the UI).
//! * `GET /api/v1/reports/{template}?period=2026&person=常务副县长&scope=county&format=md|html|docx&issue=11`
//!   — the report (`issue`: a bulletin's 期数 the office sets, remembered per
//!   kind and year; by default the next one), written from the indicators the caller may see; a figure
//!   without a value is a 422 naming the indicator, scope and period (the
//!   report is never written with a gap).
//! * `GET /api/v1/reports/{template}/source?version=N` — a template's text.
//! * `GET /api/v1/reports/{template}/versions` — every saved version of a
//!   custom template (who, when, note, text), newest first.
//! * `POST /api/v1/reports/{template}/versions` `{"source", "parent", "base"?, "note"?}`
//!   — save the next version (office/admin). The text is checked first: a
//!   syntax error or an unknown indicator is a 422 naming the line, and
//!   nothing is saved; a version saved by someone else since `parent` is a 409.

use super::{J, Q};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lvzhi_report::{Format, Request};
use serde::Deserialize;
use serde_json::{Value, json};

/// The query of a report.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `2026`, `2026-11`… (default: this year).
    pub period: Option<String>,
    /// The person of a duty report (name or post).
    pub person: Option<String>,
    /// `county` (default), `division:CODE`, `unit:ID`, `leader:PERSON`.
    pub scope: Option<String>,
    /// `md` (default), `html` or `docx`.
    pub format: Option<String>,
    /// A bulletin's 期数 (`11` → 〔2026〕第11期); default: the next one.
    pub issue: Option<String>,
}

/// `GET /api/v1/reports`
pub async fn list(State(st): State<AppState>, _c: Caller) -> Result<Json<Value>, ApiError> {
    let all = lvzhi_report::custom::list(&st.store, st.files()).await?;
    let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
    Ok(Json(json!({ "items": names, "templates": all })))
}

/// The query of a template's text.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SourceQuery {
    /// A custom template's version (latest by default).
    pub version: Option<i64>,
}

/// `GET /api/v1/reports/{template}/source`
pub async fn source(
    State(st): State<AppState>,
    _c: Caller,
    Path(template): Path<String>,
    Q(q): Q<SourceQuery>,
) -> Result<Json<Value>, ApiError> {
    let s = lvzhi_report::custom::source(&st.store, st.files(), &template, q.version).await?;
    Ok(Json(json!(s)))
}

/// `GET /api/v1/reports/{template}/versions`
pub async fn versions(
    State(st): State<AppState>,
    _c: Caller,
    Path(template): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let v = lvzhi_report::custom::versions(&st.store, &template).await?;
    Ok(Json(json!({ "name": template, "items": v })))
}

/// The body of a save.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveBody {
    /// The text.
    pub source: String,
    /// The version the edit started from (0 for a new copy).
    #[serde(default)]
    pub parent: i64,
    /// The shipped template it was copied from.
    pub base: Option<String>,
    /// A note.
    pub note: Option<String>,
}

/// `POST /api/v1/reports/{template}/versions`
pub async fn save(
    State(st): State<AppState>,
    c: Caller,
    Path(template): Path<String>,
    J(b): J<SaveBody>,
) -> Result<Response, ApiError> {
    let version = lvzhi_report::custom::save(
        &st.store,
        st.engine(),
        st.files(),
        &c.session.access,
        &lvzhi_report::custom::Save {
            name: &template,
            parent: b.parent,
            source: &b.source,
            base: b.base.as_deref().filter(|s| !s.is_empty()),
            note: b.note.as_deref().unwrap_or(""),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "name": template, "version": version })),
    )
        .into_response())
}

/// `GET /api/v1/reports/{template}`
pub async fn one(
    State(st): State<AppState>,
    c: Caller,
    Path(template): Path<String>,
    Q(q): Q<ReportQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(q.format.as_deref().unwrap_or("md"))?;
    let today = st.store.today();
    let req = Request {
        issue: lvzhi_report::parse_issue(q.issue.as_deref().unwrap_or(""))?,
        template,
        period: q.period.unwrap_or_else(|| today.year().to_string()),
        person: q.person.filter(|p| !p.trim().is_empty()),
        scope: q.scope.unwrap_or_else(|| "county".into()),
        today,
    };
    let report = lvzhi_report::render_as(&st.store, st.engine(), st.files(), &req, &c.session.access).await?;
    let bytes = report.write(format)?;
    // The download is an audit event, and the chain head at generation goes
    // into the response's metadata (a second anchor outside the database).
    let (head_seq, head_hash) = st.store.chain_head().await?;
    st.store
        .audit_event(
            &c.session.access,
            "export.report",
            "report",
            Some(req.template.clone()),
            serde_json::json!({"what": format!("{} {:?}", req.template, format), "bytes": bytes.len(),
                   "chain_head": {"seq": head_seq, "hash": head_hash}, "result": "ok"}),
        )
        .await?;
    let ctype = match format {
        Format::Markdown => "text/markdown; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
        Format::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    };
    let mut resp = if format == Format::Docx {
        crate::download::file(bytes, ctype, &report.file_name(format))
    } else {
        (StatusCode::OK, [(header::CONTENT_TYPE, ctype)], bytes).into_response()
    };
    if let Ok(v) = format!("{head_seq} {head_hash}").parse() {
        resp.headers_mut().insert("x-lvzhi-chain-head", v);
    }
    Ok(resp)
}
