//! Evidence attachments of records (issue 16).
//!
//! The bytes live in a content-addressed store ([`lvzhi_files::FileStore`]):
//! the directory `<sqlite file>.files/` beside the database by default,
//! `LVZHI_FILES` (a directory, or `s3://bucket/prefix` for an S3-compatible
//! bucket, see [`configured_files`]) or [`Store::set_files_dir`] (the
//! setting PostgreSQL deployments use). The
//! `attachments` table (migration 0017) lists them per record, and each
//! upload is a `record.attach` event on the hash chain carrying the digest,
//! name, size, sniffed type, capture time and GPS position — so a swapped file
//! no longer matches the chain. Attachments are never deleted: a
//! `record.attach_void` event voids one with a reason.
//!
//! **Invariants:** who may read a record may read its attachments, and no one
//! else ([`records::check_visible`] on every read, in the writer before every
//! write); a transition whose evidence rule is not met is refused in the
//! writer ([`check_evidence`]), so API and forms refuse alike; `lvzhi audit
//! verify` rehashes every stored file ([`Store::verify_files`]).

use crate::db::{Conn, P};
use crate::records::{self, RecordRow};
use crate::writer::{Cmd, Head, Out, append};
use crate::{Store, StoreError};
use jiff::Timestamp;
use lvzhi_core::access::Access;
use lvzhi_core::crypto::HashAlg;
use lvzhi_core::field::FieldError;
use lvzhi_core::ledger::{LedgerKind, Pack, TransitionDef};
use lvzhi_files::FileStore;
use serde::Serialize;
use serde_json::json;

/// An attachment as uploaded, before it has an id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewAttachment {
    /// Its kind in the ledger (整改后照片).
    pub kind: String,
    /// The file name (cleaned).
    pub name: String,
    /// Bytes.
    pub size: i64,
    /// The MIME type sniffed from the bytes.
    pub mime: String,
    /// Digest of the bytes (`sm3:<hex>` or SHA-256 hex).
    pub hash: String,
    /// Digest of the thumbnail (photos).
    pub thumb_hash: Option<String>,
    /// Photo width.
    pub width: Option<i64>,
    /// Photo height.
    pub height: Option<i64>,
    /// EXIF capture time, local civil time (`2026-12-01T09:30:05`).
    pub taken_at: Option<String>,
    /// EXIF GPS position `lat,lon`.
    pub gps: Option<String>,
}

/// A stored attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Id.
    pub id: i64,
    /// The record.
    pub record_id: i64,
    /// What was uploaded.
    #[serde(flatten)]
    pub file: NewAttachment,
    /// Uploader (user id).
    pub uploaded_by: Option<i64>,
    /// Uploader's login name.
    pub uploader_name: String,
    /// When (UTC stamp).
    pub uploaded_at: String,
    /// Its event.
    pub seq: i64,
    /// Voided.
    pub voided: bool,
    /// Why.
    pub void_reason: Option<String>,
}

impl Attachment {
    /// A photo (counts for photo evidence rules).
    pub fn is_photo(&self) -> bool {
        lvzhi_files::Kind::from_mime(&self.file.mime).is_some_and(lvzhi_files::Kind::is_photo)
    }
}

const COLS: &str = "id, record_id, kind, name, size, mime, hash, thumb_hash, width, height, taken_at, gps, \
                    uploaded_by, uploader_name, uploaded_at, seq, voided, void_reason";

fn from_row(r: &crate::db::Row) -> Attachment {
    Attachment {
        id: r.i(0),
        record_id: r.i(1),
        file: NewAttachment {
            kind: r.t(2),
            name: r.t(3),
            size: r.i(4),
            mime: r.t(5),
            hash: r.t(6),
            thumb_hash: r.ot(7),
            width: r.oi(8),
            height: r.oi(9),
            taken_at: r.ot(10),
            gps: r.ot(11),
        },
        uploaded_by: r.oi(12),
        uploader_name: r.t(13),
        uploaded_at: r.t(14),
        seq: r.i(15),
        voided: r.b(16),
        void_reason: r.ot(17),
    }
}

async fn of_record(conn: &mut Conn<'_>, record: i64) -> Result<Vec<Attachment>, StoreError> {
    let sql = format!("SELECT {COLS} FROM attachments WHERE record_id = $1 ORDER BY id");
    Ok(conn.rows(&sql, &[P::I(record)]).await?.iter().map(from_row).collect())
}

/// The refusals of transition `t` of `record` whose evidence rules its live
/// attachments do not meet (called by the writer, with the missing fields).
pub(crate) async fn check_evidence(
    conn: &mut Conn<'_>,
    t: &TransitionDef,
    record: i64,
) -> Result<Vec<FieldError>, StoreError> {
    if t.evidence.is_empty() {
        return Ok(vec![]);
    }
    let live: Vec<Attachment> = of_record(conn, record)
        .await?
        .into_iter()
        .filter(|a| !a.voided)
        .collect();
    Ok(t.evidence
        .iter()
        .filter(|e| live.iter().filter(|a| e.counts(&a.file.kind, a.is_photo())).count() < e.min as usize)
        .map(|e| FieldError {
            field: "attachments".into(),
            label: "附件".into(),
            message: e.message(&t.name),
        })
        .collect())
}

/// The checks before an attachment is added to or voided on `record`.
fn check_writable(kind: &LedgerKind, actor: &Access, old: &RecordRow) -> Result<(), StoreError> {
    records::check_visible(actor, old)?;
    // A 协办 unit reads the record and its evidence; it adds none (issue 17).
    records::check_handles(actor, old)?;
    // Who may edit the record's fields, or take one of its next steps.
    let mut steps = kind
        .workflow
        .iter()
        .flat_map(|w| &w.transitions)
        .filter(|t| t.from.contains(&old.state));
    let may =
        actor.role.writes() && (kind.edit_roles.contains(&actor.role) || steps.any(|t| t.roles.contains(&actor.role)));
    if !may {
        return Err(StoreError::Forbidden(format!(
            "{}不能上传或作废这条记录的附件",
            actor.role.label()
        )));
    }
    if old.voided {
        return Err(StoreError::Conflict("记录已作废，不能再上传或作废附件".into()));
    }
    if kind.is_final(&old.state) {
        return Err(StoreError::Conflict(format!(
            "记录已处于“{}”状态，附件已随之归档，不能再上传或作废",
            old.state
        )));
    }
    Ok(())
}

/// `Cmd::Attach` in the writer.
pub(crate) async fn apply_attach(
    conn: &mut Conn<'_>,
    head: &mut Head,
    pack: &Pack,
    actor: &Access,
    record: i64,
    file: &NewAttachment,
    now: Timestamp,
) -> Result<Out, StoreError> {
    let old = records::fetch(conn, &head.keys.clone(), pack, record).await?;
    let kind = pack
        .ledger(&old.ledger)
        .ok_or_else(|| StoreError::NotFound(format!("台账“{}”不存在", old.ledger)))?;
    check_writable(kind, actor, &old)?;
    let kinds = kind.attachments.kinds();
    if !kinds.contains(&file.kind) {
        return Err(StoreError::Invalid(vec![FieldError {
            field: "kind".into(),
            label: "附件类别".into(),
            message: format!("“{}”不是本台账的附件类别（可选：{}）", file.kind, kinds.join("、")),
        }]));
    }
    let id = conn
        .row(
            "INSERT INTO attachments (record_id, kind, name, size, mime, hash, thumb_hash, width, height, taken_at, gps, \
             uploaded_by, uploader_name, uploaded_at, seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            &[
                P::I(record),
                P::T(file.kind.clone()),
                P::T(file.name.clone()),
                P::I(file.size),
                P::T(file.mime.clone()),
                P::T(file.hash.clone()),
                P::OT(file.thumb_hash.clone()),
                P::OI(file.width),
                P::OI(file.height),
                P::OT(file.taken_at.clone()),
                P::OT(file.gps.clone()),
                P::OI((actor.user_id > 0).then_some(actor.user_id)),
                P::T(actor.username.clone()),
                P::T(lvzhi_core::time::stamp(now)),
                P::I(head.seq + 1),
            ],
        )
        .await?
        .map(|r| r.i(0))
        .ok_or_else(|| StoreError::Internal("INSERT returned no id".into()))?;
    let mut data = serde_json::to_value(file).map_err(|e| StoreError::Internal(e.to_string()))?;
    if let Some(m) = data.as_object_mut() {
        m.retain(|_, v| !v.is_null());
        m.insert("attachment".into(), json!(id));
    }
    append(
        conn,
        head,
        now,
        actor,
        "record.attach",
        "record",
        Some(record.to_string()),
        Some(kind.key.clone()),
        data,
    )
    .await?;
    Ok(Out::Ids(vec![id]))
}

/// `Cmd::VoidAttachment` in the writer.
pub(crate) async fn apply_void(
    conn: &mut Conn<'_>,
    head: &mut Head,
    pack: &Pack,
    actor: &Access,
    id: i64,
    reason: &str,
    now: Timestamp,
) -> Result<Out, StoreError> {
    let att = conn
        .row(&format!("SELECT {COLS} FROM attachments WHERE id = $1"), &[P::I(id)])
        .await?
        .map(|r| from_row(&r))
        .ok_or_else(|| StoreError::NotFound(format!("附件{id}不存在")))?;
    let old = records::fetch(conn, &head.keys.clone(), pack, att.record_id).await?;
    // Outside the reader's scope: the same answer as a missing attachment.
    records::check_visible(actor, &old).map_err(|_| StoreError::NotFound(format!("附件{id}不存在")))?;
    let kind = pack
        .ledger(&old.ledger)
        .ok_or_else(|| StoreError::NotFound(format!("台账“{}”不存在", old.ledger)))?;
    check_writable(kind, actor, &old)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::Invalid(vec![FieldError {
            field: "reason".into(),
            label: "作废原因".into(),
            message: "作废附件须填写原因".into(),
        }]));
    }
    if att.voided {
        return Err(StoreError::Conflict(format!("附件“{}”已作废", att.file.name)));
    }
    conn.exec(
        "UPDATE attachments SET voided = TRUE, void_reason = $1 WHERE id = $2",
        &[P::T(reason.to_string()), P::I(id)],
    )
    .await?;
    append(
        conn,
        head,
        now,
        actor,
        "record.attach_void",
        "record",
        Some(old.id.to_string()),
        Some(kind.key.clone()),
        json!({"attachment": id, "name": att.file.name, "hash": att.file.hash, "reason": reason}),
    )
    .await?;
    Ok(Out::Done)
}

/// One stored file that does not match the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    /// The attachment.
    pub attachment: i64,
    /// Its record.
    pub record_id: i64,
    /// Its name.
    pub name: String,
    /// The file checked (the original or its thumbnail).
    pub what: String,
    /// Where it should be.
    pub path: String,
    /// 缺失 or 已被篡改.
    pub problem: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "附件{}（记录{}，“{}”{}）{}：{}",
            self.attachment, self.record_id, self.name, self.what, self.problem, self.path
        )
    }
}

/// What [`Store::verify_files`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FilesReport {
    /// Files checked (originals and thumbnails).
    pub checked: u64,
    /// The missing or altered ones.
    pub problems: Vec<FileProblem>,
}

impl Store {
    /// The attachment directory.
    pub fn files(&self) -> FileStore {
        self.files
            .read()
            .map(|f| f.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Puts attachments in `dir` (PostgreSQL deployments; tests).
    pub fn set_files_dir(&self, dir: impl Into<std::path::PathBuf>) {
        self.set_files(FileStore::new(dir));
    }

    /// Puts attachments in `fs` (a directory or a bucket; tests).
    pub fn set_files(&self, fs: FileStore) {
        match self.files.write() {
            Ok(mut f) => *f = fs,
            Err(p) => *p.into_inner() = fs,
        }
    }

    /// The algorithm new files are hashed with: the chain's (SM3 unless the
    /// chain is an unsealed SHA-256 one).
    pub async fn file_alg(&self) -> Result<HashAlg, StoreError> {
        let mut c = self.pool.acquire().await?;
        let head = c
            .conn()
            .row("SELECT hash FROM events ORDER BY seq DESC LIMIT 1", &[])
            .await?
            .map(|r| r.t(0));
        Ok(head.map_or(HashAlg::Sm3, |h| HashAlg::of_digest(&h)))
    }

    /// Adds an attachment (whose file is already in [`Store::files`]) to a record.
    pub async fn attach(&self, actor: &Access, record: i64, file: NewAttachment) -> Result<i64, StoreError> {
        match self
            .writer
            .send(Cmd::Attach {
                actor: actor.clone(),
                id: record,
                file: Box::new(file),
            })
            .await?
        {
            Out::Ids(ids) => ids.first().copied().ok_or_else(|| StoreError::Internal("no id".into())),
            _ => Err(StoreError::Internal("attach returned no id".into())),
        }
    }

    /// Voids an attachment with a reason.
    pub async fn void_attachment(&self, actor: &Access, id: i64, reason: &str) -> Result<(), StoreError> {
        self.writer
            .send(Cmd::VoidAttachment {
                actor: actor.clone(),
                id,
                reason: reason.to_string(),
            })
            .await?;
        Ok(())
    }

    /// Refuses `actor` adding attachments to `record` (scope → 404, role → 403,
    /// a closed or voided record → 409), before any file is received.
    pub async fn check_attach(&self, actor: &Access, record: i64) -> Result<(), StoreError> {
        let mut c = self.pool.acquire().await?;
        let r = records::fetch(&mut c.conn(), &self.keys, &self.pack, record).await?;
        let kind = self
            .pack
            .ledger(&r.ledger)
            .ok_or_else(|| StoreError::NotFound(format!("台账“{}”不存在", r.ledger)))?;
        check_writable(kind, actor, &r)
    }

    /// A record's attachments (voided ones too), if the reader sees the record.
    pub async fn attachments(&self, actor: &Access, record: i64) -> Result<Vec<Attachment>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut conn = c.conn();
        let r = records::fetch(&mut conn, &self.keys, &self.pack, record).await?;
        records::check_visible(actor, &r)?;
        of_record(&mut conn, record).await
    }

    /// One attachment, if the reader sees its record (else 404, as missing).
    pub async fn attachment(&self, actor: &Access, id: i64) -> Result<Attachment, StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut conn = c.conn();
        let missing = || StoreError::NotFound(format!("附件{id}不存在"));
        let a = conn
            .row(&format!("SELECT {COLS} FROM attachments WHERE id = $1"), &[P::I(id)])
            .await?
            .map(|r| from_row(&r))
            .ok_or_else(missing)?;
        let r = records::fetch(&mut conn, &self.keys, &self.pack, a.record_id).await?;
        records::check_visible(actor, &r).map_err(|_| missing())?;
        Ok(a)
    }

    /// Rehashes every stored attachment and thumbnail against the digest the
    /// chain holds; names each missing or altered file. Pages through the
    /// table, so memory stays constant.
    pub async fn verify_files(&self) -> Result<FilesReport, StoreError> {
        let files = self.files();
        let mut report = FilesReport::default();
        let mut after = 0i64;
        loop {
            let rows = {
                let mut c = self.pool.acquire().await?;
                c.conn()
                    .rows(
                        &format!("SELECT {COLS} FROM attachments WHERE id > $1 ORDER BY id LIMIT 500"),
                        &[P::I(after)],
                    )
                    .await?
            };
            if rows.is_empty() {
                break;
            }
            for a in rows.iter().map(from_row) {
                after = a.id;
                let checks = std::iter::once(("", a.file.hash.clone()))
                    .chain(a.file.thumb_hash.clone().map(|h| ("的缩略图", h)));
                for (what, digest) in checks {
                    report.checked += 1;
                    let fs = files.clone();
                    let d = digest.clone();
                    let r = tokio::task::spawn_blocking(move || fs.verify(&d))
                        .await
                        .map_err(|e| StoreError::Internal(e.to_string()))?;
                    if let Err(p) = r {
                        report.problems.push(FileProblem {
                            attachment: a.id,
                            record_id: a.record_id,
                            name: a.file.name.clone(),
                            what: what.into(),
                            path: files.location(&digest),
                            problem: match p {
                                lvzhi_files::Problem::Missing => "缺失".into(),
                                lvzhi_files::Problem::Altered => "已被篡改（内容与变更日志中的摘要不符）".into(),
                                lvzhi_files::Problem::Unreadable(why) => format!("无法读取（{why}）"),
                            },
                        });
                    }
                }
            }
        }
        Ok(report)
    }
}

/// A received file that passed inspection, ready to be placed and recorded.
pub struct Staged {
    received: lvzhi_files::Received,
    info: lvzhi_files::Inspected,
    kind: String,
}

/// Inspects `r` as an attachment of `kind` (sniffing, bounded decoding,
/// thumbnail, EXIF — CPU work: call it on a blocking thread). Nothing is
/// written; a refused file's temp file goes when `r` is dropped.
pub fn inspect(r: lvzhi_files::Received, kind: &str) -> Result<Staged, lvzhi_files::FileError> {
    let info = r.inspect()?;
    Ok(Staged {
        received: r,
        info,
        kind: kind.to_string(),
    })
}

impl Staged {
    /// Places the thumbnail and the file in `files` under their digests and
    /// returns what the `record.attach` event records. A placed file whose
    /// attachment is then refused stays unreferenced in the content-addressed
    /// directory (never served: downloads go through an attachment row).
    pub fn place(self, files: &FileStore, alg: HashAlg) -> Result<NewAttachment, lvzhi_files::FileError> {
        let thumb_hash = match &self.info.thumbnail {
            Some(t) => Some(files.put_bytes(t, alg)?),
            None => None,
        };
        let r = self.received;
        let i = self.info;
        let new = NewAttachment {
            kind: self.kind,
            name: r.name.clone(),
            size: i64::try_from(r.size).unwrap_or(i64::MAX),
            mime: i.kind.mime().to_string(),
            hash: r.digest.clone(),
            thumb_hash,
            width: i.size_px.map(|p| i64::from(p.0)),
            height: i.size_px.map(|p| i64::from(p.1)),
            taken_at: i.taken_at,
            gps: i.gps,
        };
        r.store(files)?;
        Ok(new)
    }
}

impl Store {
    /// Receives `bytes` named `name` as an upload would (hashed, inspected
    /// within the default limits, placed in [`Store::files`]) and returns the
    /// attachment to record; a refused file is `BadRequest` with its Chinese
    /// message and leaves nothing behind.
    pub async fn stage_bytes(&self, kind: &str, name: &str, bytes: &[u8]) -> Result<NewAttachment, StoreError> {
        let files = self.files();
        let alg = self.file_alg().await?;
        let bad = |e: lvzhi_files::FileError| StoreError::BadRequest(e.0);
        let mut inc = files.incoming(name, alg, lvzhi_files::Limits::default()).map_err(bad)?;
        inc.write(bytes).map_err(bad)?;
        let r = inc.finish().map_err(bad)?;
        let kind = kind.to_string();
        tokio::task::spawn_blocking(move || inspect(r, &kind)?.place(&files, alg))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .map_err(bad)
    }

    /// [`Store::stage_bytes`], then [`Store::attach`]: adds `bytes` to
    /// `record` as an attachment of `kind`; returns its id.
    pub async fn attach_bytes(
        &self,
        actor: &Access,
        record: i64,
        kind: &str,
        name: &str,
        bytes: &[u8],
    ) -> Result<i64, StoreError> {
        let new = self.stage_bytes(kind, name, bytes).await?;
        self.attach(actor, record, new).await
    }

    /// Creates a record and adds `files` (already placed) to it in one
    /// transaction: a refused create records none of them.
    pub async fn create_with_files(
        &self,
        a: &Access,
        ledger: &str,
        fields: serde_json::Map<String, serde_json::Value>,
        files: Vec<NewAttachment>,
    ) -> Result<RecordRow, StoreError> {
        let cmd = Cmd::Create {
            actor: a.clone(),
            ledger: ledger.into(),
            fields,
        };
        self.send_with_files(cmd, files).await
    }

    /// Takes transition `name` with `files` (already placed) attached in the
    /// same transaction, before the step's evidence rules are checked: the
    /// files count for them, and a refused step records none of them.
    #[allow(clippy::too_many_arguments)]
    pub async fn transition_with_files(
        &self,
        a: &Access,
        id: i64,
        version: i64,
        name: &str,
        fields: serde_json::Map<String, serde_json::Value>,
        reason: Option<String>,
        files: Vec<NewAttachment>,
    ) -> Result<RecordRow, StoreError> {
        let mut fields = fields;
        self.fill_actor(a, id, name, &mut fields).await?;
        let cmd = Cmd::Transition {
            actor: a.clone(),
            id,
            version,
            name: name.into(),
            fields,
            reason,
        };
        self.send_with_files(cmd, files).await
    }

    async fn send_with_files(&self, cmd: Cmd, files: Vec<NewAttachment>) -> Result<RecordRow, StoreError> {
        let cmd = if files.is_empty() {
            cmd
        } else {
            Cmd::WithFiles {
                files,
                cmd: Box::new(cmd),
            }
        };
        match self.writer.send(cmd).await? {
            Out::Record(r) => Ok(*r),
            _ => Err(StoreError::Internal("unexpected writer output".into())),
        }
    }
}

/// The default attachment directory of a database (without `LVZHI_FILES`).
fn default_dir(target: &crate::db::Target) -> std::path::PathBuf {
    match target {
        crate::db::Target::Sqlite(p) => format!("{p}.files").into(),
        crate::db::Target::Postgres(_) => "lvzhi-files".into(),
    }
}

/// The attachment store of a database: `LVZHI_FILES` when set — a directory,
/// or `s3://bucket/prefix` (endpoint, region and keys from
/// `LVZHI_S3_ENDPOINT`, `LVZHI_S3_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`; uploads in progress in the default directory's
/// `tmp/`) — else the directory beside a SQLite file (`<file>.files`) or
/// `./lvzhi-files` for PostgreSQL. A bucket is not contacted here: see
/// [`check_files`].
pub fn configured_files(target: &crate::db::Target) -> Result<FileStore, StoreError> {
    let local = default_dir(target);
    match std::env::var("LVZHI_FILES") {
        Ok(d) if !d.trim().is_empty() => FileStore::from_setting(&d, local)
            .map_err(|e| StoreError::Config(format!("附件存储（LVZHI_FILES）配置有误：{e}"))),
        _ => Ok(FileStore::new(local)),
    }
}

/// Checks that `files` is usable (a bucket: reachable, existing, readable
/// with the keys given), on a blocking thread; the refusal names the store.
pub async fn check_files(files: &FileStore) -> Result<(), StoreError> {
    if !files.is_object_store() {
        return Ok(());
    }
    let fs = files.clone();
    tokio::task::spawn_blocking(move || fs.check())
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .map_err(|e| StoreError::Config(e.0))
}
