//! API errors: `{"error": {"code", "message", "details"}}` with the right status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lvzhi_store::StoreError;
use serde_json::{Value, json};

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Chinese message.
    pub message: String,
    /// Details (field errors…).
    pub details: Value,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }
    /// 400.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let details = match &e {
            StoreError::Invalid(errs) => json!(errs),
            _ => Value::Null,
        };
        // 5xx details go to the log (once per interval), not to the client.
        e.report();
        let message = e.public_message();
        ApiError {
            status,
            code: e.code(),
            message,
            details,
        }
    }
}

impl From<lvzhi_metrics::EvalError> for ApiError {
    fn from(e: lvzhi_metrics::EvalError) -> ApiError {
        use lvzhi_metrics::EvalError;
        match e {
            EvalError::Store(s) => s.into(),
            EvalError::Unknown(id) => ApiError::not_found(format!("指标“{id}”不存在")),
            EvalError::Bad(m) => ApiError::bad_request(m),
        }
    }
}

impl From<lvzhi_report::ReportError> for ApiError {
    fn from(e: lvzhi_report::ReportError) -> ApiError {
        use lvzhi_report::ReportError;
        match e {
            ReportError::NoTemplate(_) | ReportError::NoPerson(_) => ApiError::not_found(e.to_string()),
            ReportError::UnknownIndicator { line, .. }
            | ReportError::Syntax { line, .. }
            | ReportError::Runtime { line, .. } => {
                let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", e.to_string());
                err.details = json!({ "line": line });
                err
            }
            ReportError::Missing { .. } | ReportError::Check(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", e.to_string())
            }
            ReportError::Store(s) => s.into(),
            ReportError::Eval(lvzhi_metrics::EvalError::Store(s)) => s.into(),
            // A template that fails is the template's fault, not the server's.
            ReportError::Template(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", e.to_string()),
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let secs = self.details["retry_after_seconds"].as_u64().unwrap_or(900);
        let body = json!({"error": {"code": self.code, "message": self.message, "details": self.details}});
        let mut r = (self.status, Json(body)).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            r.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from(secs));
        }
        r
    }
}

/// The response of a handler that panicked: a JSON 500, never a dropped connection.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误").into_response()
}

/// Maps axum's JSON body rejections to API errors (400 malformed, 413 too large, 415 wrong type).
pub fn from_json_rejection(r: axum::extract::rejection::JsonRejection) -> ApiError {
    let status = r.status();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "payload_too_large",
            format!("请求体超过上限{}KB", crate::BODY_LIMIT / 1024),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "请求体应为JSON（Content-Type: application/json）",
        ),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("请求体不是有效的JSON：{}", r.body_text()),
        ),
    }
}
