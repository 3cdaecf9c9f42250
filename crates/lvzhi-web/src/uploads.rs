//! Uploads parsed at once are limited: at most [`PARSE_SLOTS`] requests that
//! read an uploaded file (the import screens after the upload, the 核查
//! page's submit) run at a time; another gets a 503 page saying so, at once,
//! instead of queueing more memory. Each such file is read within
//! `lvzhi_io::sheet::SheetLimits` (or `lvzhi_limits::DocxLimits`), so the
//! server's memory for uploads is bounded by the slots times one file's limit.
//!
//! A request that is dropped while its file is still being read (the client
//! went away) frees its request slot, but the read itself goes on in a
//! blocking task; so the reads hold a second permit of their own
//! ([`parse_permit`]), moved into the blocking task, which bounds the reads
//! that run whatever the clients do.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Requests that read an uploaded file, at most at once.
pub const PARSE_SLOTS: usize = 2;

/// The request slots of one application (each [`crate::app`] has its own).
#[derive(Clone)]
pub struct Slots(Arc<Semaphore>);

impl Slots {
    /// [`PARSE_SLOTS`] free slots.
    pub fn new() -> Slots {
        Slots(Arc::new(Semaphore::new(PARSE_SLOTS)))
    }
}

impl Default for Slots {
    fn default() -> Self {
        Slots::new()
    }
}

/// The reads running in the process (they only wait for each other, never refuse).
static READS: Semaphore = Semaphore::const_new(PARSE_SLOTS);

/// Whether a request reads an uploaded file.
fn reads_upload(method: &Method, path: &str) -> bool {
    (path.starts_with("/imports/") && !path.ends_with("/result")) || (*method == Method::POST && path == "/check")
}

/// The middleware: a 503 page when [`PARSE_SLOTS`] such requests are running.
pub async fn gate(State(slots): State<Slots>, req: Request, next: Next) -> Response {
    if !reads_upload(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let Ok(_slot) = slots.0.try_acquire() else {
        let mut r = crate::ui::render::error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "服务器正忙",
            &format!("服务器正在处理其他上传的文件（同时最多 {PARSE_SLOTS} 个），请稍后再试。"),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return r;
    };
    next.run(req).await
}

/// A permit to read an uploaded file, to move into the blocking task that
/// reads it (waits while [`PARSE_SLOTS`] reads run).
pub async fn parse_permit() -> Option<SemaphorePermit<'static>> {
    READS.acquire().await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_requests_read_uploads() {
        assert!(reads_upload(&Method::GET, "/imports/abc/mapping"));
        assert!(reads_upload(&Method::POST, "/imports/abc/confirm"));
        assert!(reads_upload(&Method::GET, "/imports/abc/errors.xlsx"));
        assert!(!reads_upload(&Method::GET, "/imports/abc/result"));
        assert!(reads_upload(&Method::POST, "/check"));
        assert!(!reads_upload(&Method::GET, "/check"));
        assert!(!reads_upload(&Method::POST, "/ledgers/hazard/import"));
    }
}
