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
    #[error("数据库错误 / database error: {}", db_text(.0))]
    Db(#[from] sqlx::Error),
    /// The writer task is gone (shutting down).
    #[error("写入服务已停止 / writer stopped")]
    WriterGone,
    /// The database cannot take writes right now (connection lost, read-only
    /// file); the message says whether the change was saved (HTTP 503).
    #[error("{0}")]
    Unavailable(String),
    /// The disk is full: the change was not saved (HTTP 507).
    #[error("{0}")]
    StorageFull(String),
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
            StoreError::Unavailable(_) | StoreError::WriterGone => 503,
            StoreError::StorageFull(_) => 507,
            StoreError::Db(_) => match self.class() {
                Fault::Disconnected | Fault::ReadOnly => 503,
                Fault::DiskFull => 507,
                Fault::Other => 500,
            },
            StoreError::Internal(_) => 500,
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
            StoreError::Db(_) => match self.class() {
                Fault::Disconnected | Fault::ReadOnly => "unavailable",
                Fault::DiskFull => "storage_full",
                Fault::Other => "database_error",
            },
            StoreError::WriterGone | StoreError::Unavailable(_) => "unavailable",
            StoreError::StorageFull(_) => "storage_full",
            StoreError::Internal(_) => "internal",
        }
    }
}

/// A database error as users may read it: the server's message without
/// PostgreSQL's source line ("… at line 948").
fn db_text(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        _ => e.to_string(),
    }
}

/// The message for a request that failed because the database could not be reached.
pub const DISCONNECTED: &str = "数据库连接中断，请稍后重试";

/// The message for a change refused because the disk is full.
pub const DISK_FULL: &str = "存储空间已满，本次修改未保存";
/// The message for a change refused while the database cannot be reached.
pub const NOT_SAVED: &str = "数据库连接中断，本次修改未保存，请稍后重试";
/// The message for a change whose COMMIT was sent but not confirmed.
pub const UNCONFIRMED: &str = "数据库连接中断，本次修改未确认，请核对后重试";
/// The message for a change refused because the database is read-only.
pub const READ_ONLY: &str = "数据库为只读，本次修改未保存";

/// What kind of failure a database error is (see [`StoreError::class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection is gone (server restarted, backend terminated, network).
    Disconnected,
    /// The disk (or the database's quota) is full.
    DiskFull,
    /// The database or its directory cannot be written.
    ReadOnly,
    /// Anything else.
    Other,
}

fn io_fault(e: &std::io::Error) -> Fault {
    use std::io::ErrorKind as K;
    match e.raw_os_error() {
        Some(28) | Some(122) => return Fault::DiskFull,          // ENOSPC, EDQUOT
        Some(30) | Some(13) | Some(1) => return Fault::ReadOnly, // EROFS, EACCES, EPERM
        _ => {}
    }
    match e.kind() {
        K::StorageFull => Fault::DiskFull,
        K::ReadOnlyFilesystem | K::PermissionDenied => Fault::ReadOnly,
        K::BrokenPipe
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::ConnectionRefused
        | K::NotConnected
        | K::UnexpectedEof
        | K::TimedOut => Fault::Disconnected,
        _ => Fault::Other,
    }
}

impl StoreError {
    /// Classifies a database error (anything not from the database is [`Fault::Other`]).
    pub fn class(&self) -> Fault {
        let StoreError::Db(e) = self else {
            return Fault::Other;
        };
        match e {
            sqlx::Error::Io(io) => io_fault(io),
            sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
                Fault::Disconnected
            }
            sqlx::Error::Database(d) => {
                let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
                if let Ok(n) = code.parse::<i32>() {
                    // SQLite: the primary result code is the low byte of the extended one.
                    match n & 0xff {
                        13 => Fault::DiskFull, // SQLITE_FULL
                        8 => Fault::ReadOnly,  // SQLITE_READONLY
                        14 => Fault::ReadOnly, // SQLITE_CANTOPEN (no -wal/-shm in a read-only directory)
                        _ => Fault::Other,
                    }
                } else {
                    // PostgreSQL SQLSTATE.
                    match code.as_str() {
                        "53100" => Fault::DiskFull,
                        "25006" => Fault::ReadOnly,
                        "57P01" | "57P02" | "57P03" => Fault::Disconnected,
                        c if c.starts_with("08") => Fault::Disconnected,
                        _ => Fault::Other,
                    }
                }
            }
            _ => Fault::Other,
        }
    }

    /// Turns a disk-full or read-only database error into the error users read
    /// (507 / 503 with a Chinese message saying nothing was saved); others pass.
    pub fn classified(self) -> StoreError {
        match self.class() {
            Fault::DiskFull => StoreError::StorageFull(DISK_FULL.into()),
            Fault::ReadOnly => StoreError::Unavailable(READ_ONLY.into()),
            Fault::Disconnected => StoreError::Unavailable(NOT_SAVED.into()),
            Fault::Other => self,
        }
    }

    /// The message a client may read: the error itself below 500, a
    /// classified message for 503 and 507, and a generic one for 500 (whose
    /// details go to the log, see [`StoreError::report`]).
    pub fn public_message(&self) -> String {
        match (self, self.class()) {
            (StoreError::Db(_), Fault::Disconnected) => DISCONNECTED.into(),
            (StoreError::Db(_), Fault::DiskFull) => DISK_FULL.into(),
            (StoreError::Db(_), Fault::ReadOnly) => READ_ONLY.into(),
            (StoreError::WriterGone, _) => "写入服务已停止，请稍后重试".into(),
            _ if self.status() >= 500 && !matches!(self, StoreError::Unavailable(_) | StoreError::StorageFull(_)) => {
                "服务器内部错误，请稍后重试".into()
            }
            _ => self.to_string(),
        }
    }

    /// Logs a server-side error (5xx) for the operator, at most once per
    /// [`LOG_INTERVAL`] for the same kind and message: the next line after
    /// the interval says how many were left out. Faults the writer reports
    /// itself (503/507 from the writer) are not logged again.
    pub fn report(&self) {
        if self.status() < 500 || matches!(self, StoreError::Unavailable(_) | StoreError::StorageFull(_)) {
            return;
        }
        // Faults (lost connection, full disk) count as one error whatever the driver said.
        let key = match self.class() {
            Fault::Other => format!("{}: {self}", self.code()),
            _ => self.code().to_string(),
        };
        if let Some(repeats) = LIMITER.admit(&key, std::time::Instant::now()) {
            if repeats > 0 {
                tracing::error!(error = %self, repeats, "服务器错误（上一周期内另有重复） / server error (repeats left out)");
            } else {
                tracing::error!(error = %self, "服务器错误 / server error");
            }
        }
    }
}

/// The shortest time between two log lines of the same error.
pub const LOG_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Which errors were logged when, and how many since.
struct Limiter(std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, u64)>>);

static LIMITER: std::sync::LazyLock<Limiter> =
    std::sync::LazyLock::new(|| Limiter(std::sync::Mutex::new(std::collections::HashMap::new())));

impl Limiter {
    /// `Some(left out since the last line)` when `key` may be logged now, else `None` (counted).
    fn admit(&self, key: &str, now: std::time::Instant) -> Option<u64> {
        let mut m = match self.0.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if m.len() > 1000 {
            m.retain(|_, (at, _)| now.duration_since(*at) < LOG_INTERVAL);
        }
        match m.get_mut(key) {
            Some((at, n)) if now.duration_since(*at) < LOG_INTERVAL => {
                *n += 1;
                None
            }
            Some((at, n)) => {
                let left_out = *n;
                *at = now;
                *n = 0;
                Some(left_out)
            }
            None => {
                m.insert(key.to_string(), (now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_errors_are_logged_once_per_interval_with_a_count() {
        let l = Limiter(std::sync::Mutex::new(Default::default()));
        let t0 = std::time::Instant::now();
        assert_eq!(l.admit("a", t0), Some(0));
        for i in 1..=5 {
            assert_eq!(l.admit("a", t0 + std::time::Duration::from_secs(i)), None);
        }
        assert_eq!(l.admit("b", t0), Some(0), "another error is logged at once");
        assert_eq!(
            l.admit("a", t0 + LOG_INTERVAL + std::time::Duration::from_secs(1)),
            Some(5)
        );
        assert_eq!(
            l.admit("a", t0 + LOG_INTERVAL + std::time::Duration::from_secs(2)),
            None
        );
    }

    fn io(kind: std::io::ErrorKind, os: Option<i32>) -> StoreError {
        StoreError::Db(sqlx::Error::Io(match os {
            Some(c) => std::io::Error::from_raw_os_error(c),
            None => std::io::Error::from(kind),
        }))
    }

    #[test]
    fn faults_are_classified() {
        assert_eq!(io(std::io::ErrorKind::Other, Some(28)).status(), 507);
        assert_eq!(io(std::io::ErrorKind::Other, Some(28)).public_message(), DISK_FULL);
        assert_eq!(io(std::io::ErrorKind::Other, Some(30)).status(), 503);
        assert_eq!(io(std::io::ErrorKind::BrokenPipe, None).class(), Fault::Disconnected);
        assert_eq!(
            io(std::io::ErrorKind::UnexpectedEof, None).public_message(),
            DISCONNECTED
        );
        assert_eq!(
            StoreError::Internal("x".into()).public_message(),
            "服务器内部错误，请稍后重试"
        );
        assert_eq!(StoreError::StorageFull(DISK_FULL.into()).status(), 507);
        assert_eq!(StoreError::NotFound("没有".into()).public_message(), "没有");
    }
}
