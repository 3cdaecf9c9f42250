//! `GET /api/v1/ledgers/{ledger}/export?format=xlsx|csv&<list filters>`: a
//! ledger list as a file, for API clients. The same rows as
//! `/api/v1/ledgers/{ledger}/records` with the same filters (every page),
//! within the caller's scope and masked for the caller's role — both applied
//! by the store — written by `lvzhi_io::export`. Errors are the API's JSON.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::export::mime;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lvzhi_io::IoError;
use lvzhi_io::export::ExportFormat;
use lvzhi_store::records::ListQuery;

/// The handler.
pub async fn export(
    State(st): State<AppState>,
    c: Caller,
    Path(key): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let a = &c.session.access;
    let kind = st
        .store
        .pack()
        .ledger(&key)
        .ok_or_else(|| ApiError::not_found(format!("台账“{key}”不存在")))?;
    if !a.role.sees_ledgers() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "测评人不能查看台账"));
    }
    let format = match params.iter().find(|(k, _)| k == "format").map(|(_, v)| v.as_str()) {
        None | Some("xlsx") => ExportFormat::Xlsx,
        Some("csv") => ExportFormat::Csv,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "不支持的导出格式“{other}”（xlsx 或 csv）"
            )));
        }
    };
    let bytes = st
        .export_bytes(a, &key, &strict_query(&params)?, format)
        .await
        .map_err(|e| match e {
            IoError::Store(s) => ApiError::from(s),
            other => ApiError::bad_request(other.to_string()),
        })?;
    Ok(crate::download::file(
        bytes,
        mime(format),
        &st.export_name(kind, format),
    ))
}

/// The list filters of the query (all but `format`), read exactly as
/// `/records` reads them: a malformed value (`unit=abc`) is a 400, and the
/// store refuses an unknown `warning` the same way, instead of exporting the
/// whole ledger.
fn strict_query(params: &[(String, String)]) -> Result<ListQuery, ApiError> {
    let rest: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "format").collect();
    let qs = serde_urlencoded::to_string(&rest).map_err(|e| ApiError::bad_request(format!("查询参数无效：{e}")))?;
    serde_urlencoded::from_str::<ListQuery>(&qs).map_err(|e| ApiError::bad_request(format!("查询参数无效：{e}")))
}
