//! The single writer.
//!
//! Every change goes through one task. It takes the requests waiting in its
//! queue (up to [`MAX_BATCH`]), runs them in one transaction — each inside a
//! savepoint, so a failing request is rolled back alone — and replies to each
//! only after COMMIT. Concurrent clients thus share one fsync (group commit)
//! and the hash chain is extended by one writer, in order. On PostgreSQL a
//! transaction-scoped advisory lock also serialises writers of other
//! processes; on SQLite `BEGIN IMMEDIATE` does.

use crate::db::{Conn, Owned, P, Target};
use crate::error::Fault;
use crate::records::{self, RecordRow};
use crate::{Clock, StoreError};
use jiff::Timestamp;
use lvzhi_core::access::{Access, RecordScope, Role};
use lvzhi_core::event::{Event, GENESIS};
use lvzhi_core::field::{FieldError, FieldRole};
use lvzhi_core::ledger::{Fields, LedgerKind, Pack};
use lvzhi_core::time::{local_date, stamp};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// The most requests committed together.
pub const MAX_BATCH: usize = 512;

/// A change to make.
#[derive(Debug, Clone)]
pub enum Cmd {
    /// Create one record.
    Create {
        /// Who.
        actor: Access,
        /// Ledger key.
        ledger: String,
        /// Raw field values.
        fields: Map<String, Value>,
    },
    /// Create many records, all or nothing (imports, the demo county).
    CreateMany {
        /// Who.
        actor: Access,
        /// Ledger key.
        ledger: String,
        /// Raw field values, one map a record; an optional state to place each in.
        rows: Vec<(Map<String, Value>, Option<String>)>,
        /// A tag written into each event (the import's id).
        tag: Option<String>,
    },
    /// Create many records streamed in chunks, all or nothing (imports; see [`crate::bulk`]).
    CreateBulk {
        /// Who.
        actor: Access,
        /// Ledger key.
        ledger: String,
        /// A tag written into each event (the import's id).
        tag: Option<String>,
        /// Where the validated chunks come from.
        feed: crate::bulk::BulkFeed,
    },
    /// Change fields of an open record.
    Update {
        /// Who.
        actor: Access,
        /// Record id.
        id: i64,
        /// The version the client saw.
        version: i64,
        /// Raw values of the fields to change.
        fields: Map<String, Value>,
    },
    /// Take a workflow transition.
    Transition {
        /// Who.
        actor: Access,
        /// Record id.
        id: i64,
        /// The version the client saw.
        version: i64,
        /// The transition's name (交办).
        name: String,
        /// Values for the fields the transition requires.
        fields: Map<String, Value>,
        /// The reason, where the transition asks for one.
        reason: Option<String>,
    },
    /// Void a record (no hard delete).
    Void {
        /// Who.
        actor: Access,
        /// Record id.
        id: i64,
        /// The version the client saw.
        version: i64,
        /// Why.
        reason: String,
    },
    /// Urge (催办) the responsible unit of an open record.
    Urge {
        /// Who.
        actor: Access,
        /// Record id.
        id: i64,
        /// A note.
        note: String,
    },
    /// Set the 协办 units of a record (see [`crate::co_units`]).
    CoUnits {
        /// Who.
        actor: Access,
        /// Record id.
        id: i64,
        /// The whole new set of 协办 units.
        units: Vec<i64>,
    },
    /// A 协办 unit's opinion (协办意见) on a record.
    Opinion {
        /// Who (a clerk or head of a 协办 unit).
        actor: Access,
        /// Record id.
        id: i64,
        /// The opinion.
        text: String,
    },
    /// Any other evented change (org, users): SQL statements plus one event.
    Plain {
        /// Who.
        actor: Access,
        /// The statements, run in order; `$ID` in later statements is not
        /// supported: use [`Cmd::Insert`] when the id is needed.
        statements: Vec<(String, Vec<P>)>,
        /// Event kind.
        kind: String,
        /// Event entity.
        entity: String,
        /// Event entity id.
        entity_id: Option<String>,
        /// Event data.
        data: Value,
    },
    /// An INSERT … RETURNING id, then one event whose entity id is the new id.
    Insert {
        /// Who.
        actor: Access,
        /// The statement; must end in `RETURNING id`.
        sql: String,
        /// Its parameters.
        params: Vec<P>,
        /// Event kind.
        kind: String,
        /// Event entity.
        entity: String,
        /// Event data.
        data: Value,
    },
    /// Statements off the chain (a notice marked read): no event. Answers
    /// `Out::Ids` with the number of rows changed.
    Quiet {
        /// The statements, run in order.
        statements: Vec<(String, Vec<P>)>,
    },
    /// Like [`Cmd::Quiet`], answering the rows changed by each statement.
    QuietEach {
        /// The statements, run in order.
        statements: Vec<(String, Vec<P>)>,
    },
    /// Store the admin's calendar plans (one `calendar.load` event), then
    /// recompute, in the same transaction, the deadlines of open records that
    /// were counted through a provisional year the load makes official (one
    /// `record.update` event each, see [`crate::calendar::recompute`]).
    LoadCalendar {
        /// Who (the admin).
        actor: Access,
        /// The plans, checked.
        plans: Vec<lvzhi_core::calendar::YearPlan>,
    },
    /// Steps run in order, each with an [`Expect`]ation, then one event (the
    /// assessment's ballots and campaign changes). A step expecting
    /// [`Expect::One`] that changes any other number of rows refuses the
    /// command (409, its message) and nothing is written: an atomic "only if
    /// still unused" guard. A step with [`Expect::Id`] returns an id
    /// (`RETURNING id`) that replaces `$ID` in the SQL of later steps and is the
    /// event's entity id.
    Steps {
        /// Who.
        actor: Access,
        /// The steps.
        steps: Vec<SqlStep>,
        /// Event kind.
        kind: String,
        /// Event entity.
        entity: String,
        /// Event entity id (unless a step returns one).
        entity_id: Option<String>,
        /// Event data.
        data: Value,
        /// Stamp the event with the hour only (ballots: against timing correlation).
        coarse_time: bool,
    },
    /// Add an evidence attachment (its file already stored) to a record.
    Attach {
        /// Who.
        actor: Access,
        /// Record id.
        id: i64,
        /// What was uploaded.
        file: Box<crate::attachments::NewAttachment>,
    },
    /// A create or a transition together with the evidence uploaded in the
    /// same form (files already stored), all or nothing: a transition's files
    /// are attached first (so its evidence rules count them), a create's
    /// after the record exists. Any refusal rolls back the attachments too.
    WithFiles {
        /// What was uploaded.
        files: Vec<crate::attachments::NewAttachment>,
        /// A [`Cmd::Create`] or a [`Cmd::Transition`].
        cmd: Box<Cmd>,
    },
    /// Void an attachment with a reason (never deleted).
    VoidAttachment {
        /// Who.
        actor: Access,
        /// Attachment id.
        id: i64,
        /// Why.
        reason: String,
    },
}

/// What a change produced.
#[derive(Debug, Clone)]
pub enum Out {
    /// The record as now stored.
    Record(Box<RecordRow>),
    /// New ids.
    Ids(Vec<i64>),
    /// Records whose provisional deadlines were recomputed: all of them, and
    /// those whose deadline changed.
    Recomputed {
        /// Every record counted through a provisional year now official.
        checked: Vec<i64>,
        /// Those whose deadline moved.
        changed: Vec<i64>,
    },
    /// Done.
    Done,
}

struct Job {
    cmd: Cmd,
    reply: oneshot::Sender<Result<Out, StoreError>>,
}

enum Msg {
    Job(Box<Job>),
    Shutdown(oneshot::Sender<()>),
}

/// A handle on the writer task.
#[derive(Clone)]
pub struct Handle {
    tx: mpsc::Sender<Msg>,
    health: Arc<Mutex<WriteHealth>>,
}

/// Whether writes reach the database, as the writer last saw it (`/healthz`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WriteHealth {
    /// Writes go through.
    pub ok: bool,
    /// Since when writes fail (UTC, RFC 3339), while they do.
    pub since: Option<String>,
    /// The last failure, in Chinese, while writes fail.
    pub error: Option<String>,
}

impl Handle {
    /// Sends a change and waits until it is committed (or refused).
    pub async fn send(&self, cmd: Cmd) -> Result<Out, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Job(Box::new(Job { cmd, reply })))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Stops the writer once the queue before this call is done.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Whether writes currently reach the database.
    pub fn health(&self) -> WriteHealth {
        match self.health.lock() {
            Ok(h) => h.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

/// How long a batch waits for a lost database to come back before its
/// callers are answered 503; once an outage is older than this, each batch
/// makes one attempt to reconnect and is answered at once.
pub const RECONNECT_WINDOW: Duration = Duration::from_secs(10);

/// How often one batch is retried after losing the connection before COMMIT.
const MAX_TRIES: u32 = 4;

/// Starts the writer on its own connection; `target` is where it reconnects.
pub fn spawn(
    conn: Owned,
    target: Target,
    pack: Arc<Pack>,
    clock: Clock,
    anchor: Arc<crate::anchor::Anchor>,
    keys: Arc<crate::crypt::Keys>,
) -> Handle {
    let (tx, rx) = mpsc::channel(4096);
    let health = Arc::new(Mutex::new(WriteHealth {
        ok: true,
        since: None,
        error: None,
    }));
    let w = Writer {
        owned: Some(conn),
        target,
        pack,
        clock,
        keys,
        health: health.clone(),
        down_since: None,
        anchorer: crate::anchor::Anchorer::start(anchor.clone()),
        anchor,
    };
    tokio::spawn(w.run(rx));
    Handle { tx, health }
}

/// The writer task's state.
struct Writer {
    /// The connection; `None` after it broke, until a reconnect succeeds.
    owned: Option<Owned>,
    target: Target,
    pack: Arc<Pack>,
    clock: Clock,
    /// The field keys: personal fields are sealed before they are written.
    keys: Arc<crate::crypt::Keys>,
    health: Arc<Mutex<WriteHealth>>,
    /// When the current outage began.
    down_since: Option<Instant>,
    /// Where the head is anchored (see [`crate::anchor`]).
    anchor: Arc<crate::anchor::Anchor>,
    /// The anchor thread: anchors each committed batch's head, then answers it.
    anchorer: crate::anchor::Anchorer,
}

/// How a batch ended.
enum Outcome {
    /// Every job was answered.
    Done,
    /// COMMIT succeeded: the answers, to send once the head (`last`: seq,
    /// hash, time of the batch's last event) is anchored.
    Committed {
        batch: Vec<Job>,
        results: Vec<Result<Out, StoreError>>,
        last: Option<(i64, String, String)>,
    },
    /// Every job was answered 507 or 503: the disk is full or the database
    /// read-only (the text says which, for the log and `/healthz`).
    Faulted(String),
    /// An unguarded create failed after writing: redo the batch with savepoints.
    Redo(Vec<Job>),
    /// The connection broke before COMMIT was sent: nothing was committed.
    Lost(Vec<Job>, String),
    /// The connection broke while COMMIT was under way: committed or not is
    /// decided by looking for the batch's last event (`last`: seq and hash).
    InDoubt {
        batch: Vec<Job>,
        results: Vec<Result<Out, StoreError>>,
        last: Option<(i64, String, String)>,
        error: String,
    },
}

fn answer_all(batch: Vec<Job>, e: impl Fn() -> StoreError) {
    for j in batch {
        let _ = j.reply.send(Err(e()));
    }
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        let mut stop: Option<oneshot::Sender<()>> = None;
        while let Some(first) = rx.recv().await {
            let mut batch = Vec::new();
            match first {
                Msg::Job(j) => batch.push(*j),
                Msg::Shutdown(s) => stop = Some(s),
            }
            while stop.is_none() && batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(Msg::Job(j)) => batch.push(*j),
                    Ok(Msg::Shutdown(s)) => stop = Some(s),
                    Err(_) => break,
                }
            }
            if !batch.is_empty() {
                let bulk = batch.iter().any(|j| matches!(j.cmd, Cmd::CreateBulk { .. }));
                self.process(batch).await;
                if bulk && let Some(o) = self.owned.as_mut() {
                    // After the replies: the import's commit is durable already.
                    crate::bulk::after_bulk(&mut o.conn()).await;
                }
            }
            if let Some(s) = stop.take() {
                let _ = s.send(());
                break;
            }
        }
    }

    /// Runs a batch to its end: committed and answered, or answered 503.
    /// A batch that lost its connection before COMMIT is retried on a new
    /// one; one that lost it during COMMIT is looked for and answered by
    /// what is found (retried only where its last event is certainly absent).
    async fn process(&mut self, mut batch: Vec<Job>) {
        let mut tries = 0;
        loop {
            tries += 1;
            if !self.connect().await {
                return answer_all(batch, || StoreError::Unavailable(crate::error::NOT_SAVED.into()));
            }
            let Some(owned) = self.owned.as_mut() else {
                return answer_all(batch, || StoreError::Unavailable(crate::error::NOT_SAVED.into()));
            };
            let mut conn = owned.conn();
            let mut out = try_batch(&mut conn, batch, &self.pack, &self.keys, &self.clock, false).await;
            if let Outcome::Redo(b) = out {
                out = try_batch(&mut conn, b, &self.pack, &self.keys, &self.clock, true).await;
            }
            batch = match out {
                Outcome::Done => {
                    self.up();
                    return;
                }
                Outcome::Committed { batch, results, last } => {
                    self.up();
                    return self.answer(batch, results, last);
                }
                Outcome::Faulted(error) => {
                    self.down_since.get_or_insert_with(Instant::now);
                    self.note(&error);
                    return;
                }
                // Only unguarded jobs ask for a redo; with every job guarded none does.
                Outcome::Redo(b) => {
                    return answer_all(b, || StoreError::Internal("batch redo failed".into()));
                }
                Outcome::Lost(b, error) => {
                    self.lost(&error);
                    b
                }
                Outcome::InDoubt {
                    batch: b,
                    results,
                    last,
                    error,
                } => {
                    self.lost(&error);
                    match self.committed(last.as_ref().map(|(s, h, _)| (*s, h.clone()))).await {
                        Some(true) => {
                            self.up();
                            return self.answer(b, results, last);
                        }
                        Some(false) => b,
                        None => {
                            return answer_all(b, || StoreError::Unavailable(crate::error::UNCONFIRMED.into()));
                        }
                    }
                }
            };
            // A bulk import's feed is spent: it cannot be replayed.
            let (bulk, rest): (Vec<Job>, Vec<Job>) =
                batch.into_iter().partition(|j| matches!(j.cmd, Cmd::CreateBulk { .. }));
            answer_all(bulk, || StoreError::Unavailable(crate::error::NOT_SAVED.into()));
            batch = rest;
            if batch.is_empty() {
                return;
            }
            if tries >= MAX_TRIES {
                return answer_all(batch, || StoreError::Unavailable(crate::error::NOT_SAVED.into()));
            }
        }
    }

    /// Answers a committed batch: through the anchor thread when anchoring is
    /// on and the batch wrote events (the callers hear back once its head is
    /// anchored), else at once.
    fn answer(&self, batch: Vec<Job>, results: Vec<Result<Out, StoreError>>, last: Option<(i64, String, String)>) {
        let replies = batch.into_iter().map(|j| j.reply).zip(results).collect::<Vec<_>>();
        match last {
            Some(head) if self.anchor.is_on() => self.anchorer.send(crate::anchor::Sealed { head, replies }),
            _ => {
                for (tx, r) in replies {
                    let _ = tx.send(r);
                }
            }
        }
    }

    /// Makes sure there is a connection: reconnects with backoff (50 ms
    /// doubling to 1 s) until [`RECONNECT_WINDOW`] after the outage began,
    /// then once a batch. False while the database stays unreachable.
    async fn connect(&mut self) -> bool {
        if self.owned.is_some() {
            return true;
        }
        let began = *self.down_since.get_or_insert_with(Instant::now);
        let until = began + RECONNECT_WINDOW;
        let mut pause = Duration::from_millis(50);
        loop {
            match self.target.connect().await {
                Ok(o) => {
                    self.owned = Some(o);
                    return true;
                }
                Err(e) => {
                    self.note(&format!("数据库连接中断，正在重连：{e}"));
                    if Instant::now() + pause > until {
                        return false;
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    /// Whether the batch whose COMMIT was in flight is in the database: its
    /// last event, by seq and hash. Waits (at most 5 s) for the lost session's
    /// transaction to end first: on PostgreSQL it held the advisory lock.
    /// `None` when that cannot be decided.
    async fn committed(&mut self, last: Option<(i64, String)>) -> Option<bool> {
        // A batch that wrote no event wrote nothing: answering it is safe.
        let Some((seq, hash)) = last else {
            return Some(true);
        };
        if !self.connect().await {
            return None;
        }
        let owned = self.owned.as_mut()?;
        let mut conn = owned.conn();
        let found = async {
            match conn {
                Conn::Lite(_) => conn.script("BEGIN IMMEDIATE").await?,
                Conn::Pg(_) => {
                    conn.script("BEGIN").await?;
                    conn.script("SET LOCAL lock_timeout = '5s'").await?;
                    conn.script("SELECT pg_advisory_xact_lock(7011442)").await?;
                }
            }
            let row = conn.row("SELECT hash FROM events WHERE seq = $1", &[P::I(seq)]).await?;
            Ok::<_, StoreError>(row.is_some_and(|r| r.t(0) == hash))
        }
        .await;
        let _ = conn.script("ROLLBACK").await;
        match found {
            Ok(f) => Some(f),
            Err(e) => {
                if e.class() == Fault::Disconnected {
                    self.owned = None;
                }
                self.note(&e.to_string());
                None
            }
        }
    }

    /// The connection broke: drop it, and log the outage once.
    fn lost(&mut self, error: &str) {
        self.owned = None;
        self.down_since.get_or_insert_with(Instant::now);
        self.note(&format!("数据库连接中断，正在重连：{error}"));
    }

    /// Records a failure of the database; logs only the first of an outage.
    fn note(&self, error: &str) {
        let mut h = match self.health.lock() {
            Ok(h) => h,
            Err(p) => p.into_inner(),
        };
        if h.ok {
            tracing::warn!(error, "数据库写入失败，修改暂不能保存 / database writes failing");
            h.ok = false;
            h.since = Some(jiff::Timestamp::now().to_string());
        }
        h.error = Some(error.to_string());
    }

    /// A batch went through: the outage, if any, is over.
    fn up(&mut self) {
        let began = self.down_since.take();
        let mut h = match self.health.lock() {
            Ok(h) => h,
            Err(p) => p.into_inner(),
        };
        if !h.ok {
            let secs = began.map(|b| b.elapsed().as_secs_f64()).unwrap_or(0.0);
            tracing::warn!(
                seconds = format!("{secs:.1}"),
                "数据库写入已恢复 / database writes resumed"
            );
            *h = WriteHealth {
                ok: true,
                since: None,
                error: None,
            };
        }
    }
}

/// The chain's head: the last event's seq and hash.
#[derive(Debug, Clone, Default)]
pub(crate) struct Head {
    pub seq: i64,
    pub hash: String,
    /// References (`unit:3`, `division:620902100` …) found to exist in this
    /// transaction, so a batch of creates checks each once. Restored with the
    /// rest of the head when a job rolls back.
    pub refs: std::collections::HashSet<String>,
    /// The field keys (personal fields are sealed with them).
    pub keys: Arc<crate::crypt::Keys>,
    /// The time of the last event written in this transaction (for the anchor line).
    pub at: String,
    /// The county departments, read once per batch when a clerk creates
    /// (the create-time unit rule, [`crate::bulk::check_create_unit`]).
    pub departments: Option<Arc<std::collections::HashSet<i64>>>,
}

/// Whether an error ends the whole batch: the connection is gone, the disk
/// is full or the database cannot be written (SQLite may then have rolled
/// the transaction back by itself, so no later job may run in it).
fn fatal(e: &StoreError) -> bool {
    e.class() != Fault::Other
}

/// Runs a batch in one transaction and replies to every job after COMMIT.
/// With `guard_all` false, creates run without a savepoint; should one fail
/// after writing, the transaction is rolled back, nobody is answered, and the
/// batch comes back to be redone with `guard_all`. A lost connection comes
/// back as [`Outcome::Lost`] (before COMMIT) or [`Outcome::InDoubt`] (during
/// it); a full disk or read-only database answers every job (507 / 503).
async fn try_batch(
    conn: &mut Conn<'_>,
    batch: Vec<Job>,
    pack: &Pack,
    keys: &Arc<crate::crypt::Keys>,
    clock: &Clock,
    guard_all: bool,
) -> Outcome {
    let begin = match conn {
        Conn::Lite(_) => "BEGIN IMMEDIATE",
        Conn::Pg(_) => "BEGIN",
    };
    let started: Result<Head, StoreError> = async {
        conn.script(begin).await?;
        if matches!(conn, Conn::Pg(_)) {
            conn.script("SELECT pg_advisory_xact_lock(7011442)").await?;
        }
        let head = conn
            .row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &[])
            .await?;
        Ok(head
            .map(|r| Head {
                seq: r.i(0),
                hash: r.t(1),
                keys: keys.clone(),
                ..Head::default()
            })
            .unwrap_or(Head {
                seq: 0,
                hash: GENESIS.into(),
                keys: keys.clone(),
                ..Head::default()
            }))
    }
    .await;
    let mut head = match started {
        Ok(h) => h,
        Err(e) => return abandon(conn, batch, e).await,
    };
    let first_seq = head.seq;
    let mut results = Vec::with_capacity(batch.len());
    for job in &batch {
        let saved = head.clone();
        // A create writes nothing before its checks pass, so it needs no savepoint
        // of its own; if it fails after writing, the batch is redone with savepoints.
        let guarded = guard_all || !matches!(job.cmd, Cmd::Create { .. });
        if guarded && let Err(e) = conn.script("SAVEPOINT job").await {
            if fatal(&e) {
                return abandon(conn, batch, e).await;
            }
            results.push(Err(e));
            continue;
        }
        let now = clock();
        let r = apply(conn, &mut head, pack, &job.cmd, now).await;
        if let Err(e) = &r
            && fatal(e)
        {
            return abandon(conn, batch, r.err().unwrap_or(StoreError::WriterGone)).await;
        }
        match r {
            Ok(out) if !guarded => results.push(Ok(out)),
            Ok(out) => match conn.script("RELEASE SAVEPOINT job").await {
                Ok(()) => results.push(Ok(out)),
                Err(e) if fatal(&e) => return abandon(conn, batch, e).await,
                Err(e) => {
                    head = saved;
                    results.push(Err(e));
                }
            },
            Err(e) if !guarded => {
                if !matches!(
                    e,
                    StoreError::Forbidden(_)
                        | StoreError::Invalid(_)
                        | StoreError::BadRequest(_)
                        | StoreError::NotFound(_)
                ) {
                    // It may have written part of itself: undo the batch and redo it guarded.
                    let _ = conn.script("ROLLBACK").await;
                    return Outcome::Redo(batch);
                }
                head = saved;
                results.push(Err(e));
            }
            Err(e) => {
                head = saved;
                let _ = conn.script("ROLLBACK TO SAVEPOINT job").await;
                let _ = conn.script("RELEASE SAVEPOINT job").await;
                results.push(Err(e));
            }
        }
    }
    let last = (head.seq > first_seq).then(|| (head.seq, head.hash.clone(), head.at.clone()));
    match conn.script("COMMIT").await {
        Ok(()) => Outcome::Committed { batch, results, last },
        Err(e) if e.class() == Fault::Disconnected => Outcome::InDoubt {
            batch,
            results,
            last,
            error: e.to_string(),
        },
        Err(e) => {
            let _ = conn.script("ROLLBACK").await;
            refuse_all(batch, e, "提交失败 / commit failed: ")
        }
    }
}

/// Answers every job of a batch that was rolled back with the error: 507 or
/// 503 for a full disk or a read-only database ([`Outcome::Faulted`]), else 500.
fn refuse_all(batch: Vec<Job>, e: StoreError, prefix: &str) -> Outcome {
    let detail = e.to_string();
    let e = e.classified();
    let faulted = matches!(e, StoreError::StorageFull(_) | StoreError::Unavailable(_));
    let msg = e.to_string();
    for job in batch {
        let _ = job.reply.send(Err(match &e {
            StoreError::StorageFull(m) => StoreError::StorageFull(m.clone()),
            StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
            _ => StoreError::Internal(format!("{prefix}{msg}")),
        }));
    }
    if faulted {
        Outcome::Faulted(format!("{msg}：{detail}"))
    } else {
        Outcome::Done
    }
}

/// Ends a batch that failed before COMMIT: a lost connection hands the batch
/// back to be retried; anything else rolls back and answers every job.
async fn abandon(conn: &mut Conn<'_>, batch: Vec<Job>, e: StoreError) -> Outcome {
    if e.class() == Fault::Disconnected {
        return Outcome::Lost(batch, e.to_string());
    }
    let _ = conn.script("ROLLBACK").await;
    refuse_all(batch, e, "")
}

/// Appends one event to the chain (inside the caller's transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn append(
    conn: &mut Conn<'_>,
    head: &mut Head,
    now: Timestamp,
    actor: &Access,
    kind: &str,
    entity: &str,
    entity_id: Option<String>,
    ledger: Option<String>,
    data: Value,
) -> Result<i64, StoreError> {
    let e = Event {
        seq: head.seq + 1,
        at: stamp(now),
        actor: if actor.user_id > 0 { Some(actor.user_id) } else { None },
        actor_name: actor.username.clone(),
        kind: kind.into(),
        entity: entity.into(),
        entity_id,
        ledger,
        data,
        prev_hash: head.hash.clone(),
        hash: String::new(),
    }
    .seal();
    let mut data_text = String::new();
    lvzhi_core::event::canonical_json(&e.data, &mut data_text);
    conn.exec(
        "INSERT INTO events (seq, at, actor, actor_name, kind, entity, entity_id, ledger, data, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            P::I(e.seq),
            P::T(e.at.clone()),
            P::OI(e.actor),
            P::T(e.actor_name.clone()),
            P::T(e.kind.clone()),
            P::T(e.entity.clone()),
            P::OT(e.entity_id.clone()),
            P::OT(e.ledger.clone()),
            P::T(data_text),
            P::T(e.prev_hash.clone()),
            P::T(e.hash.clone()),
        ],
    )
    .await?;
    head.seq = e.seq;
    head.hash = e.hash;
    head.at = e.at;
    Ok(e.seq)
}

async fn apply(
    conn: &mut Conn<'_>,
    head: &mut Head,
    pack: &Pack,
    cmd: &Cmd,
    now: Timestamp,
) -> Result<Out, StoreError> {
    match cmd {
        Cmd::Create { actor, ledger, fields } => {
            let kind = ledger_of(pack, ledger)?;
            let row = create(conn, head, kind, actor, fields, None, None, now).await?;
            Ok(Out::Record(Box::new(row)))
        }
        Cmd::CreateMany {
            actor,
            ledger,
            rows,
            tag,
        } => {
            let kind = ledger_of(pack, ledger)?;
            let mut ids = Vec::with_capacity(rows.len());
            for (i, (fields, state)) in rows.iter().enumerate() {
                let row = create(conn, head, kind, actor, fields, state.as_deref(), tag.as_deref(), now)
                    .await
                    .map_err(|e| crate::bulk::numbered(i, e))?;
                ids.push(row.id);
            }
            Ok(Out::Ids(ids))
        }
        Cmd::CreateBulk {
            actor, ledger, feed, ..
        } => crate::bulk::run(conn, head, pack, actor, ledger, feed, now).await,
        Cmd::Update {
            actor,
            id,
            version,
            fields,
        } => {
            let (kind, old) = load_for_write(conn, &head.keys, pack, actor, *id, *version).await?;
            if !kind.edit_roles.contains(&actor.role) {
                return Err(StoreError::Forbidden(format!(
                    "{}不能修改“{}”台账的记录",
                    actor.role.label(),
                    kind.name
                )));
            }
            if kind.is_final(&old.state) {
                return Err(StoreError::Conflict(format!(
                    "记录已处于“{}”状态，不能再修改",
                    old.state
                )));
            }
            let mut changes = kind.validate(fields, true).map_err(StoreError::Invalid)?;
            crate::calendar::fill_deadline(conn, kind, &old.fields, &mut changes, now).await?;
            let row = save_change(conn, head, kind, actor, old, changes, None, None, now).await?;
            Ok(Out::Record(Box::new(row)))
        }
        Cmd::Transition {
            actor,
            id,
            version,
            name,
            fields,
            reason,
        } => {
            let (kind, old) = load_for_write(conn, &head.keys, pack, actor, *id, *version).await?;
            let wf = kind
                .workflow
                .as_ref()
                .ok_or_else(|| StoreError::Conflict(format!("“{}”台账没有流程", kind.name)))?;
            let t = wf
                .transitions
                .iter()
                .find(|t| &t.name == name && t.from.contains(&old.state))
                .ok_or_else(|| {
                    if wf.transitions.iter().any(|t| &t.name == name) {
                        StoreError::Conflict(format!("当前状态“{}”不能执行“{name}”", old.state))
                    } else {
                        StoreError::NotFound(format!("“{}”台账没有名为“{name}”的流转", kind.name))
                    }
                })?;
            if !t.roles.contains(&actor.role) {
                return Err(StoreError::Forbidden(format!(
                    "{}不能执行“{}”",
                    actor.role.label(),
                    t.name
                )));
            }
            let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            if t.reason && reason.is_none() {
                return Err(StoreError::Invalid(vec![FieldError {
                    field: "reason".into(),
                    label: "原因".into(),
                    message: format!("“{}”须填写原因", t.name),
                }]));
            }
            let mut changes = kind.validate(fields, true).map_err(StoreError::Invalid)?;
            crate::calendar::fill_deadline(conn, kind, &old.fields, &mut changes, now).await?;
            let mut merged = old.fields.clone();
            for (k, v) in &changes {
                merged.insert(k.clone(), v.clone());
            }
            let missing: Vec<FieldError> = t
                .requires
                .iter()
                .filter(|k| merged.get(k.as_str()).is_none_or(lvzhi_core::field::FieldDef::is_empty))
                .filter_map(|k| kind.field(k))
                .map(|f| FieldError {
                    field: f.key.clone(),
                    label: f.label.clone(),
                    message: format!("“{}”须填写此项", t.name),
                })
                .collect();
            let mut missing = missing;
            // Evidence rules (issue 16): the attachments the step needs.
            missing.extend(crate::attachments::check_evidence(conn, t, old.id).await?);
            if !missing.is_empty() {
                return Err(StoreError::Invalid(missing));
            }
            // The step's own rules (转办, 延期, a branch by the value set).
            let cal = crate::calendar::for_kind(conn, kind).await?;
            let plan = kind
                .plan_step(t, &old.fields, &changes, local_date(now), &cal)
                .map_err(StoreError::Invalid)?;
            changes.extend(plan.changes);
            // A reopened case's new 办理时限 is told in the event with the step's own reason.
            let logged = match (reason, &plan.note) {
                (Some(r), Some(n)) => Some(format!("{r}；{n}")),
                (r, n) => r.map(str::to_string).or_else(|| n.clone()),
            };
            let step = Step {
                name: t.name.clone(),
                to: plan.to,
                reason: logged,
            };
            let before = crate::notices::Before {
                unit: old.unit_id,
                fields: old.fields.clone(),
            };
            let row = save_change(conn, head, kind, actor, old, changes, Some(step), None, now).await?;
            crate::notices::after_transition(conn, kind, actor, t, reason, &before, &row).await?;
            Ok(Out::Record(Box::new(row)))
        }
        Cmd::Void {
            actor,
            id,
            version,
            reason,
        } => {
            let (kind, old) = load_for_write(conn, &head.keys, pack, actor, *id, *version).await?;
            if !kind.void_roles.contains(&actor.role) {
                return Err(StoreError::Forbidden(format!("{}不能作废记录", actor.role.label())));
            }
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(StoreError::Invalid(vec![FieldError {
                    field: "reason".into(),
                    label: "作废原因".into(),
                    message: "必填".into(),
                }]));
            }
            let row = save_change(
                conn,
                head,
                kind,
                actor,
                old,
                Map::new(),
                None,
                Some(reason.to_string()),
                now,
            )
            .await?;
            Ok(Out::Record(Box::new(row)))
        }
        Cmd::Urge { actor, id, note } => {
            if !matches!(actor.role, Role::Admin | Role::Office | Role::Leader) {
                return Err(StoreError::Forbidden(format!("{}不能催办", actor.role.label())));
            }
            let old = records::fetch(conn, &head.keys, pack, *id).await?;
            records::check_visible(actor, &old)?;
            records::check_handles(actor, &old)?;
            let kind = ledger_of(pack, &old.ledger)?;
            if old.closed || old.voided {
                return Err(StoreError::Conflict("记录已办结或已作废，无需催办".into()));
            }
            let seq = append(
                conn,
                head,
                now,
                actor,
                "record.urge",
                "record",
                Some(old.id.to_string()),
                Some(kind.key.clone()),
                json!({"note": note.trim(), "urge_count": old.urge_count + 1}),
            )
            .await?;
            conn.exec(
                "UPDATE records SET urge_count = urge_count + 1, last_event = $1 WHERE id = $2",
                &[P::I(seq), P::I(old.id)],
            )
            .await?;
            let row = records::fetch(conn, &head.keys.clone(), pack, *id).await?;
            crate::notices::after_urge(conn, kind, actor, &row, note, &stamp(now)).await?;
            Ok(Out::Record(Box::new(row)))
        }
        Cmd::CoUnits { actor, id, units } => {
            let row = crate::co_units::apply_set(conn, head, pack, actor, *id, units, now).await?;
            Ok(Out::Record(Box::new(row)))
        }
        Cmd::Opinion { actor, id, text } => {
            let row = crate::co_units::apply_opinion(conn, head, pack, actor, *id, text, now).await?;
            Ok(Out::Record(Box::new(row)))
        }
        Cmd::Plain {
            actor,
            statements,
            kind,
            entity,
            entity_id,
            data,
        } => {
            for (sql, params) in statements {
                conn.exec(sql, params).await.map_err(unique_to_conflict)?;
            }
            append(
                conn,
                head,
                now,
                actor,
                kind,
                entity,
                entity_id.clone(),
                None,
                data.clone(),
            )
            .await?;
            Ok(Out::Done)
        }
        Cmd::Insert {
            actor,
            sql,
            params,
            kind,
            entity,
            data,
        } => {
            let row = conn.row(sql, params).await.map_err(unique_to_conflict)?;
            let id = row
                .map(|r| r.i(0))
                .ok_or_else(|| StoreError::Internal("INSERT returned no id".into()))?;
            append(
                conn,
                head,
                now,
                actor,
                kind,
                entity,
                Some(id.to_string()),
                None,
                data.clone(),
            )
            .await?;
            Ok(Out::Ids(vec![id]))
        }
        Cmd::Quiet { statements } => {
            let mut n = 0;
            for (sql, params) in statements {
                n += conn.exec(sql, params).await?;
            }
            Ok(Out::Ids(vec![i64::try_from(n).unwrap_or(i64::MAX)]))
        }
        Cmd::QuietEach { statements } => {
            let mut ns = Vec::with_capacity(statements.len());
            for (sql, params) in statements {
                ns.push(i64::try_from(conn.exec(sql, params).await?).unwrap_or(i64::MAX));
            }
            Ok(Out::Ids(ns))
        }
        Cmd::LoadCalendar { actor, plans } => {
            crate::calendar::load_and_recompute(conn, head, pack, actor, plans, now).await
        }
        Cmd::Steps {
            actor,
            steps,
            kind,
            entity,
            entity_id,
            data,
            coarse_time,
        } => {
            let mut id: Option<i64> = None;
            for step in steps {
                let sql = match id {
                    Some(i) => step.sql.replace("$ID", &i.to_string()),
                    None => step.sql.clone(),
                };
                match &step.expect {
                    Expect::Any => {
                        conn.exec(&sql, &step.params).await.map_err(unique_to_conflict)?;
                    }
                    Expect::One(refusal) => {
                        let n = conn.exec(&sql, &step.params).await.map_err(unique_to_conflict)?;
                        if n != 1 {
                            return Err(StoreError::Conflict(refusal.clone()));
                        }
                    }
                    Expect::Id => {
                        let row = conn.row(&sql, &step.params).await.map_err(unique_to_conflict)?;
                        id = Some(
                            row.map(|r| r.i(0))
                                .ok_or_else(|| StoreError::Internal("INSERT returned no id".into()))?,
                        );
                    }
                }
            }
            let at = if *coarse_time {
                let s = now.as_second();
                Timestamp::from_second(s - s.rem_euclid(3600)).unwrap_or(now)
            } else {
                now
            };
            append(
                conn,
                head,
                at,
                actor,
                kind,
                entity,
                id.map(|i| i.to_string()).or_else(|| entity_id.clone()),
                None,
                data.clone(),
            )
            .await?;
            Ok(match id {
                Some(i) => Out::Ids(vec![i]),
                None => Out::Done,
            })
        }
        Cmd::Attach { actor, id, file } => {
            crate::attachments::apply_attach(conn, head, pack, actor, *id, file, now).await
        }
        Cmd::VoidAttachment { actor, id, reason } => {
            crate::attachments::apply_void(conn, head, pack, actor, *id, reason, now).await
        }
        Cmd::WithFiles { files, cmd } => match cmd.as_ref() {
            Cmd::Create { actor, .. } => {
                let out = Box::pin(apply(conn, head, pack, cmd, now)).await?;
                let Out::Record(row) = &out else {
                    return Err(StoreError::Internal("create returned no record".into()));
                };
                for f in files {
                    crate::attachments::apply_attach(conn, head, pack, actor, row.id, f, now).await?;
                }
                Ok(out)
            }
            Cmd::Transition { actor, id, .. } => {
                for f in files {
                    crate::attachments::apply_attach(conn, head, pack, actor, *id, f, now).await?;
                }
                Box::pin(apply(conn, head, pack, cmd, now)).await
            }
            _ => Err(StoreError::Internal("WithFiles takes a create or a transition".into())),
        },
    }
}

fn unique_to_conflict(e: StoreError) -> StoreError {
    match &e {
        StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation() => {
            StoreError::Conflict("名称已存在 / already exists".into())
        }
        StoreError::Db(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
            StoreError::BadRequest("引用的单位、人员或区划不存在 / unknown reference".into())
        }
        _ => e,
    }
}

fn ledger_of<'p>(pack: &'p Pack, key: &str) -> Result<&'p LedgerKind, StoreError> {
    pack.ledger(key)
        .ok_or_else(|| StoreError::NotFound(format!("台账“{key}”不存在")))
}

async fn load_for_write<'p>(
    conn: &mut Conn<'_>,
    keys: &crate::crypt::Keys,
    pack: &'p Pack,
    actor: &Access,
    id: i64,
    version: i64,
) -> Result<(&'p LedgerKind, RecordRow), StoreError> {
    let old = records::fetch(conn, keys, pack, id).await?;
    records::check_visible(actor, &old)?;
    records::check_handles(actor, &old)?;
    if old
        .fields
        .values()
        .any(|v| v.as_str() == Some(crate::crypt::UNREADABLE))
    {
        return Err(StoreError::Conflict(
            "记录中的个人信息无法用现有密钥解密，暂不能修改；请联系系统管理员检查密钥文件".into(),
        ));
    }
    if !actor.role.writes() {
        return Err(StoreError::Forbidden(format!(
            "{}只能查看，不能修改",
            actor.role.label()
        )));
    }
    if old.voided {
        return Err(StoreError::Conflict(format!(
            "记录已作废（{}），不能再修改",
            old.void_reason.clone().unwrap_or_default()
        )));
    }
    if old.version != version {
        return Err(StoreError::Conflict(format!(
            "记录已被他人修改（当前版本{}，提交的版本{version}），请刷新后重试",
            old.version
        )));
    }
    let kind = ledger_of(pack, &old.ledger)?;
    Ok((kind, old))
}

/// The record-level columns that fields decide.
pub(crate) struct Derived {
    pub(crate) unit: Option<i64>,
    pub(crate) division: Option<String>,
    pub(crate) owner: Option<i64>,
    pub(crate) deadline: Option<String>,
    pub(crate) title: String,
    pub(crate) search: String,
}

pub(crate) fn derive(
    kind: &LedgerKind,
    fields: &Fields,
    state: &str,
    state_since: jiff::civil::Date,
    cal: &lvzhi_core::calendar::Calendar,
) -> Result<Derived, StoreError> {
    let get_i = |r: FieldRole| {
        kind.role_field(r)
            .and_then(|f| fields.get(&f.key))
            .and_then(Value::as_i64)
    };
    let get_s = |r: FieldRole| {
        kind.role_field(r)
            .and_then(|f| fields.get(&f.key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(Derived {
        unit: get_i(FieldRole::Unit),
        division: get_s(FieldRole::Division),
        owner: get_i(FieldRole::Owner),
        deadline: kind
            .effective_deadline(fields, state, state_since, cal)?
            .map(|d| d.to_string()),
        title: kind.title(fields),
        search: kind.search_text(fields),
    })
}

/// Checks that every unit, person, division and record a record refers to exists.
async fn check_refs(
    conn: &mut Conn<'_>,
    known: &mut std::collections::HashSet<String>,
    kind: &LedgerKind,
    fields: &Fields,
) -> Result<(), StoreError> {
    let mut errors = Vec::new();
    for f in &kind.fields {
        let Some(v) = fields.get(&f.key).filter(|v| !v.is_null()) else {
            continue;
        };
        let Some(rk) = crate::bulk::RefKind::of(f) else {
            continue;
        };
        let key = format!("{:?}:{}:{v}", f.ty, f.ledger.as_deref().unwrap_or(""));
        if known.contains(&key) {
            continue;
        }
        let (sql, params) = rk.one(f, v);
        if conn.row(sql, &params).await?.is_some() {
            // Records can be voided by a later job of the batch: only org references are kept.
            if f.ty != lvzhi_core::field::FieldType::Record {
                known.insert(key);
            }
        } else {
            errors.push(rk.missing(f, v));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(errors))
    }
}

#[allow(clippy::too_many_arguments)]
async fn create(
    conn: &mut Conn<'_>,
    head: &mut Head,
    kind: &LedgerKind,
    actor: &Access,
    raw: &Map<String, Value>,
    state: Option<&str>,
    tag: Option<&str>,
    now: Timestamp,
) -> Result<RecordRow, StoreError> {
    let cal = crate::calendar::for_kind(conn, kind).await?;
    let departments = match &head.departments {
        Some(d) => d.clone(),
        None if matches!(actor.role, Role::UnitClerk | Role::UnitHead) => {
            let d = Arc::new(crate::bulk::departments(conn).await?);
            head.departments = Some(d.clone());
            d
        }
        None => Arc::default(),
    };
    let (fields, state, d) = crate::bulk::prepare_new(kind, actor, raw, state, local_date(now), &cal, &departments)?;
    check_refs(conn, &mut head.refs, kind, &fields).await?;
    let at = stamp(now);
    // Personal fields: sealed in the row and the event; found by their blind index.
    let mut sealed = fields.clone();
    head.keys.seal_fields(kind, &mut sealed);
    let mut d = d;
    d.search.push_str(&head.keys.search_tokens(kind, &fields));
    let fields_json = Value::Object(sealed.clone()).to_string();
    let closed = kind.is_final(&state);
    let row = conn
        .row(
            "INSERT INTO records (ledger, state, unit_id, source_unit_id, division, owner_id, deadline, closed, voided, \
             title, search, fields, version, state_since, created_at, created_by, updated_at, last_event) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, $9, $10, $11, 1, $12, $12, $13, $12, $14) RETURNING id",
            &[
                P::T(kind.key.clone()),
                P::T(state.clone()),
                P::OI(d.unit),
                P::OI(actor.unit),
                P::OT(d.division.clone()),
                P::OI(d.owner),
                P::OT(d.deadline.clone()),
                P::B(closed),
                P::T(d.title.clone()),
                P::T(d.search.clone()),
                P::T(fields_json),
                P::T(at.clone()),
                P::OI(if actor.user_id > 0 { Some(actor.user_id) } else { None }),
                // Its create event is the chain's next (appended right below, same transaction).
                P::I(head.seq + 1),
            ],
        )
        .await?
        .ok_or_else(|| StoreError::Internal("INSERT returned no id".into()))?;
    let id = row.i(0);
    let number = crate::numbers::number_records(conn, kind, &at, id, 1).await?;
    let mut data = json!({"state": state, "after": Value::Object(sealed)});
    if let Some(t) = tag {
        data["import"] = Value::String(t.to_string());
    }
    let seq = append(
        conn,
        head,
        now,
        actor,
        "record.create",
        "record",
        Some(id.to_string()),
        Some(kind.key.clone()),
        data,
    )
    .await?;
    debug_assert_eq!(seq, head.seq);
    Ok(RecordRow {
        id,
        ledger: kind.key.clone(),
        state,
        unit_id: d.unit,
        source_unit_id: actor.unit,
        division: d.division,
        owner_id: d.owner,
        deadline: d.deadline,
        closed,
        voided: false,
        void_reason: None,
        title: d.title,
        fields,
        version: 1,
        state_since: at.clone(),
        urge_count: 0,
        created_at: at.clone(),
        created_by: if actor.user_id > 0 { Some(actor.user_id) } else { None },
        updated_at: at,
        last_event: seq,
        number,
        co_units: Vec::new(),
    })
}

struct Step {
    name: String,
    to: String,
    reason: Option<String>,
}

/// Writes an update, a transition or a void: the new row and one event.
#[allow(clippy::too_many_arguments)]
async fn save_change(
    conn: &mut Conn<'_>,
    head: &mut Head,
    kind: &LedgerKind,
    actor: &Access,
    old: RecordRow,
    changes: Fields,
    step: Option<Step>,
    void_reason: Option<String>,
    now: Timestamp,
) -> Result<RecordRow, StoreError> {
    let mut fields = old.fields.clone();
    let mut before = Map::new();
    let mut after = Map::new();
    for (k, v) in changes {
        let prev = fields.get(&k).cloned().unwrap_or(Value::Null);
        if prev != v {
            before.insert(k.clone(), prev);
            after.insert(k.clone(), v.clone());
            if v.is_null() {
                fields.remove(&k);
            } else {
                fields.insert(k, v);
            }
        }
    }
    // Required fields stay required.
    let emptied: Vec<FieldError> = kind
        .fields
        .iter()
        .filter(|f| f.required && !fields.contains_key(&f.key))
        .map(|f| FieldError {
            field: f.key.clone(),
            label: f.label.clone(),
            message: "必填，不能清空".into(),
        })
        .collect();
    if !emptied.is_empty() {
        return Err(StoreError::Invalid(emptied));
    }
    // The pack's date rules, on the dates this change touches.
    kind.check_dates(&fields, local_date(now), Some(&|k: &str| after.contains_key(k)))
        .map_err(StoreError::Invalid)?;
    if step.is_none() && void_reason.is_none() && after.is_empty() {
        return Ok(old);
    }
    check_refs(conn, &mut head.refs, kind, &fields).await?;
    let at = stamp(now);
    let (state, state_since) = match &step {
        Some(s) => (s.to.clone(), at.clone()),
        None => (old.state.clone(), old.state_since.clone()),
    };
    let since_date = state_since
        .parse::<Timestamp>()
        .map(local_date)
        .unwrap_or_else(|_| local_date(now));
    let cal = crate::calendar::for_kind(conn, kind).await?;
    let mut d = derive(kind, &fields, &state, since_date, &cal)?;
    d.search.push_str(&head.keys.search_tokens(kind, &fields));
    let scope = RecordScope {
        unit: d.unit,
        source_unit: old.source_unit_id,
        division: d.division.as_deref(),
        owner: d.owner,
        co_units: &[],
    };
    // Changing the responsible unit is a 交办/转办 step (or the office's 改派), never a field edit.
    if step.is_none() && d.unit != old.unit_id && !matches!(actor.role, Role::Admin | Role::Office) {
        return Err(StoreError::Forbidden(
            "责任单位不能直接修改；如需交给其他单位办理，请走“交办/转办”流程".into(),
        ));
    }
    if d.division != old.division && !actor.may_place_in(d.division.as_deref()) {
        return Err(StoreError::Forbidden("超出本人权限范围：不能把记录改到其他乡镇".into()));
    }
    // Nobody pushes an item out of their own reach (改派 outside one's scope is the office's job).
    if !actor.sees(&scope) {
        return Err(StoreError::Forbidden(
            "不能把记录移出本人权限范围；如需改派责任单位，请联系政府办".into(),
        ));
    }
    let closed = kind.is_final(&state);
    let voided = void_reason.is_some();
    head.keys.seal_fields(kind, &mut before);
    head.keys.seal_fields(kind, &mut after);
    let (ev_kind, data) = if let Some(r) = &void_reason {
        ("record.void", json!({"reason": r, "state": old.state}))
    } else if let Some(s) = &step {
        (
            "record.transition",
            json!({"transition": s.name, "from": old.state, "to": s.to, "reason": s.reason,
                   "before": Value::Object(before), "after": Value::Object(after)}),
        )
    } else {
        (
            "record.update",
            json!({"before": Value::Object(before), "after": Value::Object(after)}),
        )
    };
    let mut stored = fields.clone();
    head.keys.seal_fields(kind, &mut stored);
    let seq = append(
        conn,
        head,
        now,
        actor,
        ev_kind,
        "record",
        Some(old.id.to_string()),
        Some(kind.key.clone()),
        data,
    )
    .await?;
    let n = conn
        .exec(
            "UPDATE records SET state = $1, unit_id = $2, division = $3, owner_id = $4, deadline = $5, closed = $6, \
             voided = $7, void_reason = $8, title = $9, search = $10, fields = $11, version = version + 1, \
             state_since = $12, updated_at = $13, last_event = $14 WHERE id = $15 AND version = $16",
            &[
                P::T(state.clone()),
                P::OI(d.unit),
                P::OT(d.division.clone()),
                P::OI(d.owner),
                P::OT(d.deadline.clone()),
                P::B(closed),
                P::B(voided),
                P::OT(void_reason.clone()),
                P::T(d.title.clone()),
                P::T(d.search),
                P::T(Value::Object(stored).to_string()),
                P::T(state_since.clone()),
                P::T(at.clone()),
                P::I(seq),
                P::I(old.id),
                P::I(old.version),
            ],
        )
        .await?;
    if n != 1 {
        return Err(StoreError::Conflict("记录已被他人修改，请刷新后重试".into()));
    }
    // Handed to one of its 协办 units (转办): that unit now 主办s it and assists no longer.
    let mut co_units = old.co_units.clone();
    if let Some(u) = d.unit.filter(|u| d.unit != old.unit_id && co_units.contains(u)) {
        conn.exec(
            "DELETE FROM record_co_units WHERE record_id = $1 AND unit_id = $2",
            &[P::I(old.id), P::I(u)],
        )
        .await?;
        co_units.retain(|c| *c != u);
    }
    Ok(RecordRow {
        co_units,
        state,
        unit_id: d.unit,
        division: d.division,
        owner_id: d.owner,
        deadline: d.deadline,
        closed,
        voided,
        void_reason,
        title: d.title,
        fields,
        version: old.version + 1,
        state_since,
        updated_at: at,
        last_event: seq,
        ..old
    })
}

/// One statement of a [`Cmd::Steps`].
#[derive(Debug, Clone)]
pub struct SqlStep {
    /// The SQL (`$ID`: the id returned by an earlier [`Expect::Id`] step).
    pub sql: String,
    /// Its parameters.
    pub params: Vec<P>,
    /// What it must do.
    pub expect: Expect,
}

/// What a [`SqlStep`] must do.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Anything.
    Any,
    /// Change exactly one row, else the command is refused with this message.
    One(String),
    /// Return one row whose first column is the new id.
    Id,
}
