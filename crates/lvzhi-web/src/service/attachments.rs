//! Evidence uploads, for both adapters: a multipart body streamed part by
//! part into the attachment directory's temp folder while it is hashed
//! (memory: one chunk at a time, whatever the file's size), refused at the
//! per-file limit; then sniffed and — for photos — decoded within limits on
//! a blocking thread, the thumbnail stored, the file renamed into place and
//! the `record.attach` event written. A refused file leaves nothing behind.

use super::App;
use axum::extract::Multipart;
use lvzhi_core::access::Access;
use lvzhi_files::{FileError, Limits, Received};
use lvzhi_store::StoreError;
use lvzhi_store::attachments::NewAttachment;

/// Upload routes' body limit over the file limit (the other form fields).
pub const FORM_OVERHEAD: u64 = 64 * 1024;

/// Why an upload was refused.
#[derive(Debug)]
pub enum UploadError {
    /// The file (named in the message) is refused: 422, or 413 at the size limit.
    File(FileError, bool),
    /// The body is not a readable multipart form.
    Malformed(String),
    /// The store refused (scope, role, kind, state).
    Store(StoreError),
}

impl From<StoreError> for UploadError {
    fn from(e: StoreError) -> Self {
        UploadError::Store(e)
    }
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadError::File(e, _) => write!(f, "{e}"),
            UploadError::Malformed(m) => f.write_str(m),
            UploadError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// A submitted upload form: its text fields and the received files.
pub struct UploadForm {
    /// Text fields in order.
    pub fields: Vec<(String, String)>,
    /// Files of the `file` and `file-…` field(s), each in its temp file.
    pub files: Vec<Received>,
    /// The form field each of `files` came in (`file`, `file-1`…), in the same order.
    pub file_fields: Vec<String>,
}

impl UploadForm {
    /// The first value of a text field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// At most this many files in one form.
pub const MAX_FILES: usize = 10;

impl App {
    /// The per-file limits: `LVZHI_MAX_UPLOAD_MB` (default 20 MB).
    pub fn upload_limits(&self) -> Limits {
        limits()
    }

    /// Reads a multipart form, streaming each `file` part to disk.
    pub async fn receive(&self, mut m: Multipart) -> Result<UploadForm, UploadError> {
        let files = self.store.files();
        let alg = self.store.file_alg().await?;
        let lim = limits();
        let mut out = UploadForm {
            fields: vec![],
            files: vec![],
            file_fields: vec![],
        };
        let malformed = |e: axum::extract::multipart::MultipartError| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                UploadError::File(
                    FileError(format!(
                        "上传的内容超过单个附件的大小上限（{} MB），已拒收",
                        lim.max_bytes / (1024 * 1024)
                    )),
                    true,
                )
            } else {
                UploadError::Malformed(format!("上传的表单无法读取：{}", e.body_text()))
            }
        };
        while let Some(mut field) = m.next_field().await.map_err(malformed)? {
            let name = field.name().unwrap_or("").to_string();
            match field.file_name().map(str::to_string) {
                Some(fname) if name == "file" || name.starts_with("file-") => {
                    if fname.is_empty() {
                        // An empty file input.
                        while field.chunk().await.map_err(malformed)?.is_some() {}
                        continue;
                    }
                    if out.files.len() >= MAX_FILES {
                        return Err(UploadError::File(
                            FileError(format!("一次最多上传{MAX_FILES}个文件")),
                            false,
                        ));
                    }
                    let mut inc = files
                        .incoming(&fname, alg, lim)
                        .map_err(|e| UploadError::File(e, false))?;
                    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                        inc.write(&chunk).map_err(|e| UploadError::File(e, true))?;
                    }
                    out.files.push(inc.finish().map_err(|e| UploadError::File(e, false))?);
                    out.file_fields.push(name);
                }
                _ => {
                    let v = field.text().await.map_err(malformed)?;
                    if v.len() > 4096 {
                        return Err(UploadError::Malformed(format!("表单字段“{name}”过长")));
                    }
                    out.fields.push((name, v));
                }
            }
        }
        Ok(out)
    }

    /// Checks that `actor` may add attachments to `record` before any file is
    /// read (scope → 404, role → 403, closed → 409).
    pub async fn may_attach(&self, actor: &Access, record: i64) -> Result<(), StoreError> {
        self.store.check_attach(actor, record).await
    }

    /// Inspects, stores and records each received file as an attachment of
    /// `kind` on `record`; all files are inspected before any is stored, so
    /// one bad file refuses the whole form with nothing written.
    pub async fn attach_all(
        &self,
        actor: &Access,
        record: i64,
        kind: &str,
        files: Vec<Received>,
    ) -> Result<Vec<i64>, UploadError> {
        if files.is_empty() {
            return Err(UploadError::File(FileError("请选择要上传的文件".into()), false));
        }
        let staged = self
            .stage_all(files.into_iter().map(|r| (kind.to_string(), r)).collect())
            .await?;
        let mut ids = Vec::new();
        for new in staged {
            ids.push(self.store.attach(actor, record, new).await?);
        }
        Ok(ids)
    }

    /// Inspects every received file (each with its attachment kind) on a
    /// blocking thread — one bad file refuses them all with nothing stored —
    /// then places them in the attachment directory and returns what their
    /// `record.attach` events will record (`Store::attach`,
    /// `create_with_files`, `transition_with_files`).
    pub async fn stage_all(&self, files: Vec<(String, Received)>) -> Result<Vec<NewAttachment>, UploadError> {
        let store = self.store.files();
        let alg = self.store.file_alg().await?;
        // Decoding is CPU work bounded by the limits: on a blocking thread, at
        // most `PARSE_SLOTS` at once in the process.
        let _permit = crate::uploads::parse_permit().await;
        tokio::task::spawn_blocking(move || {
            let checked = files
                .into_iter()
                .map(|(kind, r)| lvzhi_store::attachments::inspect(r, &kind))
                .collect::<Result<Vec<_>, FileError>>()?;
            checked
                .into_iter()
                .map(|c| c.place(&store, alg))
                .collect::<Result<Vec<_>, FileError>>()
        })
        .await
        .map_err(|e| UploadError::Malformed(e.to_string()))?
        .map_err(|e| UploadError::File(e, false))
    }

    /// The bytes of attachment `id` (or its thumbnail), if the reader sees its record.
    pub async fn attachment_bytes(
        &self,
        actor: &Access,
        id: i64,
        thumb: bool,
    ) -> Result<(lvzhi_store::attachments::Attachment, Vec<u8>, &'static str), StoreError> {
        let a = self.store.attachment(actor, id).await?;
        let (digest, mime) = if thumb {
            match &a.file.thumb_hash {
                Some(h) => (h.clone(), "image/jpeg"),
                None => return Err(StoreError::NotFound(format!("附件{id}没有缩略图"))),
            }
        } else {
            let mime = lvzhi_files::Kind::from_mime(&a.file.mime).map_or("application/octet-stream", |k| k.mime());
            (a.file.hash.clone(), mime)
        };
        // A directory's file or a bucket's object, streamed on a blocking thread
        // (at most the upload limit, checked against the digest before serving).
        let files = self.store.files();
        let d = digest.clone();
        let read = tokio::task::spawn_blocking(move || {
            let mut r = files.open(&d)?;
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut r, &mut bytes)
                .map_err(|e| lvzhi_files::Problem::Unreadable(e.to_string()))?;
            Ok::<_, lvzhi_files::Problem>(bytes)
        })
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?;
        let bytes = match read {
            Ok(b) => b,
            Err(lvzhi_files::Problem::Unreadable(why)) => {
                tracing::warn!("attachment {id} unreadable: {why}");
                return Err(StoreError::Unavailable(format!(
                    "附件“{}”的文件暂时无法读取（附件存储不可用），请稍后再试或联系管理员",
                    a.file.name
                )));
            }
            Err(_) => {
                return Err(StoreError::NotFound(format!(
                    "附件“{}”的文件缺失，请联系管理员核查",
                    a.file.name
                )));
            }
        };
        if lvzhi_core::crypto::hex_digest(lvzhi_core::crypto::HashAlg::of_digest(&digest), &bytes) != digest {
            return Err(StoreError::Conflict(format!(
                "附件“{}”的文件与变更日志中的摘要不符（可能已被篡改），不予提供",
                a.file.name
            )));
        }
        Ok((a, bytes, mime))
    }
}

/// The per-file limits from the environment.
pub fn limits() -> Limits {
    let max_bytes = std::env::var("LVZHI_MAX_UPLOAD_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&m| m > 0)
        .map_or(lvzhi_files::DEFAULT_MAX_BYTES, |m| m * 1024 * 1024);
    Limits {
        max_bytes,
        ..Limits::default()
    }
}

/// The body limit of an upload route.
pub fn body_limit() -> usize {
    usize::try_from(limits().max_bytes + FORM_OVERHEAD).unwrap_or(usize::MAX)
}

/// What the page and the API say about a photo's capture time: taken before
/// the record's `captured_after` date (发现日期), or after its upload.
pub fn flags(
    kind: &lvzhi_core::ledger::LedgerKind,
    fields: &lvzhi_core::ledger::Fields,
    a: &lvzhi_store::attachments::Attachment,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(taken) = a.file.taken_at.as_deref() else {
        return out;
    };
    let Ok(taken) = taken.parse::<jiff::civil::DateTime>() else {
        return out;
    };
    if let Some(key) = &kind.attachments.captured_after
        && let Some(day) = fields
            .get(key)
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<jiff::civil::Date>().ok())
        && taken.date() < day
    {
        let label = kind.field(key).map_or(key.as_str(), |f| f.label.as_str());
        out.push(format!("照片拍摄时间早于{label}"));
    }
    if let Ok(up) = a.file_uploaded_at()
        && taken > up
    {
        out.push("照片拍摄时间晚于上传时间".into());
    }
    out
}

trait UploadedAt {
    fn file_uploaded_at(&self) -> Result<jiff::civil::DateTime, jiff::Error>;
}

impl UploadedAt for lvzhi_store::attachments::Attachment {
    /// The upload time in Asia/Shanghai civil time, plus ten minutes of
    /// camera-clock slack.
    fn file_uploaded_at(&self) -> Result<jiff::civil::DateTime, jiff::Error> {
        let t: jiff::Timestamp = self.uploaded_at.parse()?;
        let t = t.checked_add(jiff::SignedDuration::from_mins(10))?;
        Ok(t.to_zoned(lvzhi_core::time::shanghai()).datetime())
    }
}
