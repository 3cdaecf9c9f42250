//! Reports over HTTP (issue 5).
//!
//! * `GET /api/v1/reports` — the report templates of the county pack.
//! * `GET /api/v1/reports/{template}?period=2026&person=常务副县长&scope=county&format=md|html|docx`
//!   — the report, written from the indicators the caller may see; a figure
//!   without a value is a 422 naming the indicator, scope and period (the
//!   report is never written with a gap).

use crate::AppState;
use crate::api::Q;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lvzhi_report::{Format, ReportError, Request};
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
}

fn report_error(e: ReportError) -> ApiError {
    match e {
        ReportError::NoTemplate(_) | ReportError::NoPerson(_) => ApiError::not_found(e.to_string()),
        ReportError::Missing { .. } | ReportError::Check(_) | ReportError::UnknownIndicator { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", e.to_string())
        }
        ReportError::Store(s) => s.into(),
        ReportError::Eval(lvzhi_metrics::EvalError::Store(s)) => s.into(),
        ReportError::Template(_) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        other => ApiError::bad_request(other.to_string()),
    }
}

/// `GET /api/v1/reports`
pub async fn list(_c: Caller) -> Json<Value> {
    let names: Vec<String> = lvzhi_report::templates(&lvzhi_packs::county_files())
        .into_keys()
        .collect();
    Json(json!({ "items": names }))
}

/// `GET /api/v1/reports/{template}`
pub async fn one(
    State(st): State<AppState>,
    c: Caller,
    Path(template): Path<String>,
    Q(q): Q<ReportQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(q.format.as_deref().unwrap_or("md")).map_err(report_error)?;
    let today = st.store.today();
    let req = Request {
        template,
        period: q.period.unwrap_or_else(|| today.year().to_string()),
        person: q.person.filter(|p| !p.trim().is_empty()),
        scope: q.scope.unwrap_or_else(|| "county".into()),
        today,
    };
    let files = lvzhi_packs::county_files();
    let engine = crate::indicators::engine(&st)?;
    let report = lvzhi_report::render_as(&st.store, engine, &files, &req, &c.session.access)
        .await
        .map_err(report_error)?;
    let bytes = report.write(format).map_err(report_error)?;
    let ctype = match format {
        Format::Markdown => "text/markdown; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
        Format::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    };
    let mut resp = (StatusCode::OK, [(header::CONTENT_TYPE, ctype)], bytes).into_response();
    if format == Format::Docx {
        let name = format!("{}.docx", req.template);
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
    }
    Ok(resp)
}
