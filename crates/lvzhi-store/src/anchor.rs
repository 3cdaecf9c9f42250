//! Completeness of the event log: the chain head anchored outside the database.
//!
//! The hash chain proves order, not completeness: deleting the newest events
//! (`delete from events where seq > N`) or restoring an older backup over
//! newer work leaves a chain that verifies. So after every committed change
//! the head (seq and hash) is appended to an **anchor file** outside the
//! database (append-only). Where it is: `lvzhi serve --anchor PATH` (or
//! [`Store::set_anchor_file`]), else the `LVZHI_ANCHOR` environment variable,
//! else beside a SQLite file (`<file>.anchor`), else for PostgreSQL
//! `<data dir>/lvzhi-<host>-<port>-<database>.anchor` ([`default_path`]).
//! [`Store::verify_anchor`] then checks every anchored head against the
//! database and names the last anchored event that is missing.
//!
//! **Where it runs.** The writer knows the head it committed, so it anchors
//! once per commit batch, off the async workers: after COMMIT it hands the
//! batch's head and its callers' answers to the anchor thread ([`Anchorer`]),
//! which appends one line for every batch waiting (the highest head), syncs
//! the file once, and only then answers those callers — an answered write is
//! in the database *and* anchored. The writer meanwhile runs the next batch.

use crate::db::P;
use crate::writer::Out;
use crate::{Store, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Where the head is anchored (none: anchoring off). Shared by the store and
/// the anchor thread, so the file can be set or changed while serving.
#[derive(Debug, Default)]
pub struct Anchor {
    path: std::sync::RwLock<Option<PathBuf>>,
}

impl Anchor {
    /// An anchor writing to `path` (none: anchoring off).
    pub fn new(path: Option<PathBuf>) -> Anchor {
        Anchor {
            path: std::sync::RwLock::new(path),
        }
    }

    /// The anchor file, if any.
    pub fn path(&self) -> Option<PathBuf> {
        self.path
            .read()
            .map(|p| p.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Whether anchoring is on.
    pub fn is_on(&self) -> bool {
        match self.path.read() {
            Ok(p) => p.is_some(),
            Err(e) => e.into_inner().is_some(),
        }
    }

    fn set_path(&self, p: Option<PathBuf>) {
        match self.path.write() {
            Ok(mut g) => *g = p,
            Err(e) => *e.into_inner() = p,
        }
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
    let open = || std::fs::OpenOptions::new().create(true).append(true).open(path);
    let mut f = match open() {
        // The default directory of a PostgreSQL anchor is made on first use.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            open().map_err(io)?
        }
        other => other.map_err(io)?,
    };
    f.write_all(format!("{seq} {hash} {at}\n").as_bytes()).map_err(io)?;
    f.sync_data().map_err(io)
}

/// The default anchor file of a database: `LVZHI_ANCHOR` if set; beside a
/// SQLite file; for PostgreSQL, `lvzhi-<host>-<port>-<database>.anchor` in
/// `LVZHI_DATA_DIR`, else `$XDG_DATA_HOME/lvzhi`, else `~/.local/share/lvzhi`
/// (the directory is made when missing). None for an in-memory database.
pub fn default_path(target: &crate::db::Target) -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LVZHI_ANCHOR")
        && !p.is_empty()
    {
        return Some(PathBuf::from(p));
    }
    match target {
        crate::db::Target::Sqlite(file) if !file.contains(":memory:") => Some(PathBuf::from(format!("{file}.anchor"))),
        crate::db::Target::Sqlite(_) => None,
        crate::db::Target::Postgres(url) => {
            let dir = std::env::var_os("LVZHI_DATA_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("XDG_DATA_HOME")
                        .filter(|d| !d.is_empty())
                        .map(|d| PathBuf::from(d).join("lvzhi"))
                })
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/lvzhi")))?;
            Some(dir.join(format!("{}.anchor", pg_anchor_name(url))))
        }
    }
}

/// Removes the default anchor file of a PostgreSQL database made by a test
/// (never a file `LVZHI_ANCHOR` names).
pub fn remove_default_pg(url: &str) {
    let file = default_path(&crate::db::Target::Postgres(url.to_string()));
    if let Some(f) = file.filter(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("lvzhi-"))) {
        let _ = std::fs::remove_file(f);
    }
}

/// `lvzhi-<host>-<port>-<database>` of a PostgreSQL URL, safe as a file name.
pub fn pg_anchor_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (hostport, db) = match rest.rsplit_once('@') {
        Some((_, h)) => h,
        None => rest,
    }
    .split_once('/')
    .unwrap_or((rest, "postgres"));
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "5432"));
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let host = if host.is_empty() { "localhost" } else { host };
    format!("lvzhi-{}-{}-{}", clean(host), clean(port), clean(db))
}

/// A caller waiting for its answer, and the answer.
pub(crate) type Reply = (oneshot::Sender<Result<Out, StoreError>>, Result<Out, StoreError>);

/// One commit batch waiting to be anchored: its head and its callers' answers.
pub(crate) struct Sealed {
    /// The batch's last event: seq, hash, time.
    pub head: (i64, String, String),
    /// Each caller and its answer, sent once the head is anchored.
    pub replies: Vec<Reply>,
}

/// The anchor thread's inbox (a plain OS thread: the append and its fsync
/// block, so they stay off the async runtime's workers).
#[derive(Clone)]
pub(crate) struct Anchorer {
    tx: std::sync::mpsc::Sender<Sealed>,
}

impl Anchorer {
    /// Starts the anchor thread writing to `anchor`'s file.
    pub(crate) fn start(anchor: Arc<Anchor>) -> Anchorer {
        let (tx, rx) = std::sync::mpsc::channel::<Sealed>();
        let spawned = std::thread::Builder::new()
            .name("lvzhi-anchor".into())
            .spawn(move || run(&anchor, &rx));
        if let Err(e) = spawned {
            tracing::error!("anchor thread: {e}");
        }
        Anchorer { tx }
    }

    /// Anchors a batch's head, then answers its callers. Should the thread be
    /// gone, the callers are answered at once (the commit stands).
    pub(crate) fn send(&self, sealed: Sealed) {
        if let Err(std::sync::mpsc::SendError(s)) = self.tx.send(sealed) {
            answer(s.replies);
        }
    }
}

fn answer(replies: Vec<Reply>) {
    for (tx, r) in replies {
        let _ = tx.send(r);
    }
}

/// The anchor thread: takes every batch waiting, appends the highest head
/// once, syncs once, answers them all. A failed write does not undo the
/// committed changes: it is logged (once a minute at most, with the count)
/// and `audit verify --anchor` will find the head unanchored.
fn run(anchor: &Anchor, rx: &std::sync::mpsc::Receiver<Sealed>) {
    let mut last = 0i64;
    let mut failed: Option<(Instant, u64)> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let top = batch.iter().map(|b| &b.head).max_by_key(|h| h.0);
        if let (Some(path), Some((seq, hash, at))) = (anchor.path(), top)
            && *seq > last
        {
            match append_line(&path, *seq, hash, at) {
                Ok(()) => last = *seq,
                Err(e) => match &mut failed {
                    Some((since, n)) if since.elapsed() < Duration::from_secs(60) => *n += 1,
                    _ => {
                        let left_out = failed.map_or(0, |(_, n)| n);
                        tracing::error!(left_out, "anchor: {e}");
                        failed = Some((Instant::now(), 0));
                    }
                },
            }
        }
        for b in batch {
            answer(b.replies);
        }
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

    /// Checks that the anchor file can be appended to (making its directory
    /// when missing), so `serve` refuses to start rather than run unanchored.
    pub fn check_anchor_file(&self) -> Result<(), StoreError> {
        let Some(path) = self.anchor.path() else { return Ok(()) };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Config(format!(
                    "无法创建锚定文件目录 {}：{e} / cannot create anchor directory",
                    dir.display()
                ))
            })?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map(drop)
            .map_err(|e| {
                StoreError::Config(format!(
                    "锚定文件 {} 无法写入：{e}；请用 --anchor 指定可写的文件 / anchor file not writable",
                    path.display()
                ))
            })
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
