//! Completeness of the event log: the chain head anchored outside the database.
//!
//! The hash chain proves order, not completeness: deleting the newest events
//! (`delete from events where seq > N`) or restoring an older backup over
//! newer work leaves a chain that verifies. So after every committed change
//! the head (seq and hash) is appended to an **anchor file** outside the
//! database (append-only; default `<sqlite file>.anchor`, else the
//! `LVZHI_ANCHOR` environment variable or [`Store::set_anchor_file`]).
//! [`Store::verify_anchor`] then checks every anchored head against the
//! database and names the last anchored event that is missing.
//!
//! The head is anchored after the writer's COMMIT and before the caller is
//! answered: [`Writer`] wraps the writer's handle, so the single writer
//! itself is unchanged.

use crate::db::{P, Pool};
use crate::writer::{Cmd, Handle, Out};
use crate::{Store, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the head is anchored, and the last seq anchored by this process.
#[derive(Debug, Default)]
pub struct Anchor {
    path: std::sync::RwLock<Option<PathBuf>>,
    last: tokio::sync::Mutex<i64>,
}

impl Anchor {
    /// An anchor writing to `path` (none: anchoring off).
    pub fn new(path: Option<PathBuf>) -> Anchor {
        Anchor {
            path: std::sync::RwLock::new(path),
            last: tokio::sync::Mutex::new(0),
        }
    }

    /// The anchor file, if any.
    pub fn path(&self) -> Option<PathBuf> {
        self.path
            .read()
            .map(|p| p.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    fn set_path(&self, p: Option<PathBuf>) {
        match self.path.write() {
            Ok(mut g) => *g = p,
            Err(e) => *e.into_inner() = p,
        }
    }

    /// Appends the database's head to the file if it moved past what this
    /// process anchored last. Concurrent callers queue on one lock, so one
    /// append (and one fsync) covers every commit before it.
    pub async fn after_commit(&self, pool: &Pool) -> Result<(), StoreError> {
        let Some(path) = self.path() else { return Ok(()) };
        let mut last = self.last.lock().await;
        let head = {
            let mut c = pool.acquire().await?;
            c.conn()
                .row("SELECT seq, hash, at FROM events ORDER BY seq DESC LIMIT 1", &[])
                .await?
        };
        let Some(head) = head else { return Ok(()) };
        if head.i(0) <= *last {
            return Ok(());
        }
        append_line(&path, head.i(0), &head.t(1), &head.t(2))?;
        *last = head.i(0);
        Ok(())
    }
}

/// Appends one anchor line (`seq hash at`) and syncs it to disk.
pub fn append_line(path: &Path, seq: i64, hash: &str, at: &str) -> Result<(), StoreError> {
    let io = |e: std::io::Error| {
        StoreError::Config(format!(
            "锚定文件 {} 写入失败 / anchor write failed: {e}",
            path.display()
        ))
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    f.write_all(format!("{seq} {hash} {at}\n").as_bytes()).map_err(io)?;
    f.sync_data().map_err(io)
}

/// The default anchor file of a database: `LVZHI_ANCHOR` if set, else beside a SQLite file.
pub fn default_path(target: &crate::db::Target) -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LVZHI_ANCHOR")
        && !p.is_empty()
    {
        return Some(PathBuf::from(p));
    }
    match target {
        crate::db::Target::Sqlite(file) if !file.contains(":memory:") => Some(PathBuf::from(format!("{file}.anchor"))),
        _ => None,
    }
}

/// The writer's handle, anchoring the head after each committed change.
#[derive(Clone)]
pub struct Writer {
    inner: Handle,
    anchor: Arc<Anchor>,
    pool: Pool,
}

impl Writer {
    /// Wraps the writer's handle.
    pub fn new(inner: Handle, anchor: Arc<Anchor>, pool: Pool) -> Writer {
        Writer { inner, anchor, pool }
    }

    /// Sends a change, waits for its COMMIT, then anchors the head. A failed
    /// anchor write does not undo the committed change; it is logged loudly
    /// and `audit verify --anchor` will report the head as unanchored.
    pub async fn send(&self, cmd: Cmd) -> Result<Out, StoreError> {
        let out = self.inner.send(cmd).await?;
        if let Err(e) = self.anchor.after_commit(&self.pool).await {
            tracing::error!("anchor: {e}");
        }
        Ok(out)
    }

    /// Stops the writer once the queue before this call is done.
    pub async fn shutdown(&self) {
        self.inner.shutdown().await;
    }

    /// Whether writes currently reach the database (see [`Handle::health`]).
    pub fn health(&self) -> crate::writer::WriteHealth {
        self.inner.health()
    }
}

/// The result of checking the log against an anchor file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AnchorCheck {
    /// Lines read from the anchor file.
    pub anchors: usize,
    /// The database's head seq.
    pub head: i64,
    /// The last (highest) anchored event that is not in the database as anchored.
    pub missing: Option<i64>,
    /// `truncated`: the log ends before anchored events; `rolled_back`: the
    /// log diverges from anchored events (an older copy was put back and
    /// written on).
    pub problem: Option<String>,
    /// The seq after which the database and the anchors diverge (rollback).
    pub diverges_after: Option<i64>,
    /// A recorded restore that explains it (its seq), if the log has one.
    pub restore_event: Option<i64>,
    /// The verdict in Chinese (and English).
    pub message: String,
}

/// Reads `seq hash` pairs from an anchor file.
pub fn read_anchors(path: &Path) -> Result<Vec<(i64, String)>, StoreError> {
    let f = std::fs::File::open(path).map_err(|e| {
        StoreError::Config(format!(
            "锚定文件 {} 无法读取 / cannot read anchor file: {e}",
            path.display()
        ))
    })?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| StoreError::Config(e.to_string()))?;
        let mut parts = line.split_whitespace();
        let (Some(seq), Some(hash)) = (parts.next(), parts.next()) else {
            continue;
        };
        let seq: i64 = seq
            .parse()
            .map_err(|_| StoreError::Config(format!("锚定文件第{}行无效 / bad anchor line {}", n + 1, n + 1)))?;
        out.push((seq, hash.to_string()));
    }
    Ok(out)
}

impl Store {
    /// The anchor file in use, if any.
    pub fn anchor_file(&self) -> Option<PathBuf> {
        self.anchor.path()
    }

    /// Sets (or, with `None`, stops) the anchor file.
    pub fn set_anchor_file(&self, path: Option<PathBuf>) {
        self.anchor.set_path(path);
    }

    /// The chain head now: (seq, hash); (0, genesis) for an empty log. Shown
    /// in every generated report's metadata, a second anchor outside the database.
    pub async fn chain_head(&self) -> Result<(i64, String), StoreError> {
        let mut c = self.pool.acquire().await?;
        Ok(c.conn()
            .row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &[])
            .await?
            .map(|r| (r.i(0), r.t(1)))
            .unwrap_or((0, lvzhi_core::event::GENESIS.to_string())))
    }

    /// Checks every anchored head of `file` against the log: each must be in
    /// the database with the anchored hash. Names the last anchored event
    /// missing, and whether the log was cut short or rolled back.
    pub async fn verify_anchor(&self, file: &Path) -> Result<AnchorCheck, StoreError> {
        let anchors = read_anchors(file)?;
        let mut wanted: HashMap<i64, Vec<&str>> = HashMap::new();
        for (seq, hash) in &anchors {
            wanted.entry(*seq).or_default().push(hash.as_str());
        }
        let (head, _) = self.chain_head().await?;
        // Walk the anchored seqs that exist, in pages, comparing hashes.
        let mut seqs: Vec<i64> = wanted.keys().copied().filter(|s| *s <= head).collect();
        seqs.sort_unstable();
        let mut mismatched: Vec<i64> = Vec::new();
        let mut c = self.pool.acquire().await?;
        for chunk in seqs.chunks(500) {
            let list = chunk.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",");
            let rows = c
                .conn()
                .rows(&format!("SELECT seq, hash FROM events WHERE seq IN ({list})"), &[])
                .await?;
            let found: HashMap<i64, String> = rows.iter().map(|r| (r.i(0), r.t(1))).collect();
            for s in chunk {
                let have = found.get(s);
                if wanted[s].iter().any(|h| have.map(String::as_str) != Some(*h)) {
                    mismatched.push(*s);
                }
            }
        }
        let restore_event = c
            .conn()
            .row(
                "SELECT MAX(seq) FROM events WHERE kind = $1",
                &[P::T("backup.restore".into())],
            )
            .await?
            .and_then(|r| r.oi(0));
        drop(c);
        let max_anchored = wanted.keys().copied().max().unwrap_or(0);
        let truncated = max_anchored > head;
        let first_mismatch = mismatched.first().copied();
        let missing = if truncated {
            Some(max_anchored)
        } else {
            mismatched.last().copied()
        };
        let (problem, diverges_after, message) = match (first_mismatch, truncated) {
            (None, false) => (
                None,
                None,
                format!(
                    "锚定校验通过：{} 条锚定记录全部在库，最后锚定事件 #{max_anchored}，当前共 {head} 个事件 / anchors ok",
                    anchors.len()
                ),
            ),
            (None, true) => (
                Some("truncated".to_string()),
                None,
                format!(
                    "变更日志被截断：数据库只到事件 #{head}，锚定记录到事件 #{max_anchored}，缺少 #{}–#{max_anchored}；最后锚定的事件 #{max_anchored} 不在数据库中 / log truncated: last anchored event #{max_anchored} missing",
                    head + 1
                ),
            ),
            (Some(first), _) => {
                let last = missing.unwrap_or(first);
                (
                    Some("rolled_back".to_string()),
                    Some(first - 1),
                    format!(
                        "变更日志被回滚：事件 #{first} 起与锚定记录不符（数据库被替换为更早的副本），最后锚定的事件 #{last} 不在数据库中{} / log rolled back after #{}: last anchored event #{last} missing",
                        match restore_event {
                            Some(r) => format!("；恢复操作已记为事件 #{r}"),
                            None => "；数据库中没有恢复记录".into(),
                        },
                        first - 1
                    ),
                )
            }
        };
        Ok(AnchorCheck {
            anchors: anchors.len(),
            head,
            missing,
            problem,
            diverges_after,
            restore_event,
            message,
        })
    }
}
