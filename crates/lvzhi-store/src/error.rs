//! Store errors. Each maps to one HTTP status and one CLI exit code; messages
//! are in Chinese because users read them.

use lvzhi_core::field::FieldError;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// Outside the user's scope or role (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// A stale version or a state that does not allow the action (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// Field values that do not validate (HTTP 422), every one listed.
    #[error("字段校验失败：{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("；"))]
    Invalid(Vec<FieldError>),
    /// A malformed request (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in, or wrong credentials (HTTP 401).
    #[error("{0}")]
    Unauthorized(String),
    /// Too many failed logins (HTTP 429) until the given instant.
    #[error("登录失败次数过多，账号已锁定至{until}")]
    Locked {
        /// When the lock ends (Shanghai time, for the message).
        until: String,
    },
    /// A bad `--db` URL or similar set-up error.
    #[error("{0}")]
    Config(String),
    /// The database said no.
    #[error("数据库错误 / database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The writer task is gone (shutting down).
    #[error("写入服务已停止 / writer stopped")]
    WriterGone,
    /// Anything else that should not happen.
    #[error("内部错误 / internal error: {0}")]
    Internal(String),
}

impl StoreError {
    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            StoreError::NotFound(_) => 404,
            StoreError::Forbidden(_) => 403,
            StoreError::Conflict(_) => 409,
            StoreError::Invalid(_) => 422,
            StoreError::BadRequest(_) | StoreError::Config(_) => 400,
            StoreError::Unauthorized(_) => 401,
            StoreError::Locked { .. } => 429,
            StoreError::Db(_) | StoreError::WriterGone | StoreError::Internal(_) => 500,
        }
    }

    /// A stable machine-readable code (`not_found`, `forbidden`…).
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound(_) => "not_found",
            StoreError::Forbidden(_) => "forbidden",
            StoreError::Conflict(_) => "conflict",
            StoreError::Invalid(_) => "validation_failed",
            StoreError::BadRequest(_) => "bad_request",
            StoreError::Config(_) => "bad_config",
            StoreError::Unauthorized(_) => "unauthorized",
            StoreError::Locked { .. } => "too_many_attempts",
            StoreError::Db(_) => "database_error",
            StoreError::WriterGone => "unavailable",
            StoreError::Internal(_) => "internal",
        }
    }
}
