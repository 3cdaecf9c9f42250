//! Bulk creation (imports): the same records, events and checks as
//! [`Store::create_many`], streamed through the writer in a few statements a
//! chunk.
//!
//! Also the one place for the checks every new record passes, whichever way it
//! comes in ([`prepare_new`], [`RefKind`]): `writer::create` (one record,
//! `create_many`) and the bulk path call the same functions.
//!
//! How a bulk import runs ([`Store::bulk_create`] → [`BulkCreate::push`]… →
//! [`BulkCreate::finish`]):
//! * the writer runs one [`Cmd::CreateBulk`] command: it holds one transaction
//!   open for the whole import. It first tells the caller's side where the
//!   import starts — the last record id, the chain's head (seq, hash) and the
//!   events' time: the writer is the only writer and holds the lock, so nobody
//!   else can take those ids or seqs;
//! * the caller's side, on a blocking thread, validates each chunk
//!   ([`prepare_new`]: role, field validation, the clerk's unit, the default
//!   deadline, the state, placement in scope), allots its ids and seqs, seals
//!   its events in order — the same canonical JSON as `Event::seal`, streamed
//!   into SHA-256 — and serialises the chunk into the two statements' JSON
//!   parameters, while the writer is still writing the chunk before: the Rust
//!   work and SQLite's work overlap on two cores;
//! * the writer takes the chunks from a bounded channel, checks that each
//!   follows on from the last (ids, seq, prev hash), checks the references
//!   (units, people, divisions, records) with one query per field over the
//!   chunk's distinct values (cached across chunks), and writes the chunk: on
//!   SQLite through cached multi-row INSERTs of [`LITE_GROUP`] rows, every
//!   value bound to its own parameter ([`write_lite`]); on PostgreSQL with two
//!   statements, one for the events and one for the records, each taking the
//!   whole chunk as one JSON parameter (`json_array_elements`). The statements'
//!   text never changes, so each is prepared once and reused;
//! * on SQLite the import runs with a larger page cache and no automatic
//!   checkpoint; the commit is durable once the WAL is synced
//!   (`synchronous=FULL`), and the writer checkpoints after it has answered.
//!
//! **All or nothing:** a refused row, a failed chunk, or a [`BulkCreate`]
//! dropped before `finish` makes the command fail, and the writer rolls back
//! its savepoint: nothing of the import is written. Other writes wait behind an
//! import in progress (they queue at the single writer). Error messages name
//! the row as `第N条` (1-based over the whole import).

use crate::db::{Conn, Dialect, P};
use crate::writer::{Cmd, Derived, Head, Out, derive};
use crate::{Store, StoreError};
use jiff::Timestamp;
use lvzhi_core::access::{Access, RecordScope, Role};
use lvzhi_core::calendar::Calendar;
use lvzhi_core::field::{FieldDef, FieldError, FieldRole, FieldType};
use lvzhi_core::ledger::{Fields, LedgerKind, Pack};
use lvzhi_core::time::stamp;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Rows per chunk of [`Store::create_bulk`].
pub const CHUNK_ROWS: usize = 2_000;

/// Chunks validated ahead of the writer (bounds memory).
const AHEAD: usize = 2;

/// Refuses a role that may not create records in `kind`.
pub(crate) fn check_create_role(kind: &LedgerKind, actor: &Access) -> Result<(), StoreError> {
    if kind.create_roles.contains(&actor.role) {
        Ok(())
    } else {
        Err(StoreError::Forbidden(format!(
            "{}不能在“{}”台账中新建记录",
            actor.role.label(),
            kind.name
        )))
    }
}

/// The checks a new record passes before its references are looked up: role,
/// field validation, the clerk's own unit when none is named, the default
/// deadline, the state to place it in, and placement within the actor's scope.
/// Pure. Returns the fields (nulls dropped), the state and the derived columns.
pub(crate) fn prepare_new(
    kind: &LedgerKind,
    actor: &Access,
    raw: &Map<String, Value>,
    state: Option<&str>,
    today: jiff::civil::Date,
    cal: &Calendar,
    departments: &HashSet<i64>,
) -> Result<(Fields, String, Derived), StoreError> {
    check_create_role(kind, actor)?;
    let mut fields = kind.validate(raw, false).map_err(StoreError::Invalid)?;
    fields.retain(|_, v| !v.is_null());
    // A clerk's record is the clerk's unit's unless the form names another.
    if let (Some(uf), Some(u)) = (kind.role_field(FieldRole::Unit), actor.unit)
        && !fields.contains_key(&uf.key)
        && matches!(actor.role, Role::UnitClerk | Role::UnitHead)
    {
        fields.insert(uf.key.clone(), Value::from(u));
    }
    kind.apply_default_deadline(&mut fields, today, cal)?;
    kind.check_dates(&fields, today, None).map_err(StoreError::Invalid)?;
    let state = match state {
        Some(s) => {
            let known = kind
                .workflow
                .as_ref()
                .is_some_and(|w| w.states.iter().any(|st| st.name == s));
            if !known && s != kind.initial_state() {
                return Err(StoreError::BadRequest(format!("“{}”台账没有状态“{s}”", kind.name)));
            }
            s.to_string()
        }
        None => kind.initial_state().to_string(),
    };
    let d = derive(kind, &fields, &state, today, cal)?;
    let scope = RecordScope {
        unit: d.unit,
        source_unit: actor.unit,
        division: d.division.as_deref(),
        owner: d.owner,
        co_units: &[],
    };
    if !actor.may_place_in(d.division.as_deref()) || !actor.sees(&scope) {
        return Err(StoreError::Forbidden(
            "超出本人权限范围：不能为其他乡镇或单位登记记录".into(),
        ));
    }
    check_create_unit(kind, actor, &state, d.unit, departments)?;
    Ok((fields, state, d))
}

/// The create-time unit rule: a unit's clerk or head registers a record for
/// their own unit (the default when the field is left empty). They may name a
/// county department (a unit without a division: `departments`) only where the
/// record starts in a state that a 交办/转办 step leaves — a transition whose
/// `requires` names the unit field, taken by the head or office, who confirm or
/// change it. Another township's government is never named at creation: that
/// is a 交办/转办 after registration. Admin, office and leaders are not bound.
pub(crate) fn check_create_unit(
    kind: &LedgerKind,
    actor: &Access,
    state: &str,
    unit: Option<i64>,
    departments: &HashSet<i64>,
) -> Result<(), StoreError> {
    let (Some(uf), Some(u)) = (kind.role_field(FieldRole::Unit), unit) else {
        return Ok(());
    };
    if !matches!(actor.role, Role::UnitClerk | Role::UnitHead) || Some(u) == actor.unit {
        return Ok(());
    }
    let dispatched = kind.workflow.as_ref().is_some_and(|w| {
        w.transitions
            .iter()
            .any(|t| t.from.iter().any(|f| f == state) && t.requires.contains(&uf.key))
    });
    if dispatched && departments.contains(&u) {
        return Ok(());
    }
    Err(StoreError::Invalid(vec![FieldError {
        field: uf.key.clone(),
        label: uf.label.clone(),
        message: if dispatched {
            "登记时只能填写本单位或县直部门；交给其他乡镇办理，请登记后走“交办/转办”流程".into()
        } else {
            "登记时只能填写本单位；交给其他乡镇或部门办理，请登记后走“交办/转办”流程".into()
        },
    }]))
}

/// The county departments (units without a division), for [`check_create_unit`].
pub(crate) async fn departments(conn: &mut Conn<'_>) -> Result<HashSet<i64>, StoreError> {
    Ok(conn
        .rows("SELECT id FROM units WHERE division IS NULL", &[])
        .await?
        .iter()
        .map(|r| r.i(0))
        .collect())
}

/// A field that refers to a row of another table, and how to look it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RefKind {
    /// `units.id`.
    Unit,
    /// `people.id`.
    Person,
    /// `divisions.code`.
    Division,
    /// A live record of the field's ledger.
    Record,
}

impl RefKind {
    /// The kind of reference a field makes, if any.
    pub(crate) fn of(f: &FieldDef) -> Option<RefKind> {
        match f.ty {
            FieldType::Unit => Some(RefKind::Unit),
            FieldType::Person => Some(RefKind::Person),
            FieldType::Division => Some(RefKind::Division),
            FieldType::Record => Some(RefKind::Record),
            _ => None,
        }
    }

    fn what(self) -> &'static str {
        match self {
            RefKind::Unit => "单位",
            RefKind::Person => "人员",
            RefKind::Division => "行政区划",
            RefKind::Record => "关联记录",
        }
    }

    fn key(v: &Value) -> String {
        v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
    }

    /// The query that finds one referenced row, with its parameters.
    pub(crate) fn one(self, f: &FieldDef, v: &Value) -> (&'static str, Vec<P>) {
        let id = P::I(v.as_i64().unwrap_or(0));
        match self {
            RefKind::Unit => ("SELECT 1 FROM units WHERE id = $1", vec![id]),
            RefKind::Person => ("SELECT 1 FROM people WHERE id = $1", vec![id]),
            RefKind::Division => (
                "SELECT 1 FROM divisions WHERE code = $1",
                vec![P::T(v.as_str().unwrap_or("").into())],
            ),
            RefKind::Record => (
                "SELECT 1 FROM records WHERE id = $1 AND ledger = $2 AND voided = FALSE",
                vec![id, P::T(f.ledger.clone().unwrap_or_default())],
            ),
        }
    }

    /// The query that returns which of a JSON array of keys (`$1`) exist.
    fn many(self, d: Dialect) -> &'static str {
        match (self, d) {
            (RefKind::Unit, Dialect::Sqlite) => "SELECT id FROM units WHERE id IN (SELECT value FROM json_each($1))",
            (RefKind::Person, Dialect::Sqlite) => "SELECT id FROM people WHERE id IN (SELECT value FROM json_each($1))",
            (RefKind::Division, Dialect::Sqlite) => {
                "SELECT code FROM divisions WHERE code IN (SELECT value FROM json_each($1))"
            }
            (RefKind::Record, Dialect::Sqlite) => {
                "SELECT id FROM records WHERE ledger = $2 AND voided = FALSE AND id IN (SELECT value FROM json_each($1))"
            }
            (RefKind::Unit, Dialect::Postgres) => {
                "SELECT id FROM units WHERE id IN (SELECT x::bigint FROM json_array_elements_text($1::json) x)"
            }
            (RefKind::Person, Dialect::Postgres) => {
                "SELECT id FROM people WHERE id IN (SELECT x::bigint FROM json_array_elements_text($1::json) x)"
            }
            (RefKind::Division, Dialect::Postgres) => {
                "SELECT code FROM divisions WHERE code IN (SELECT x FROM json_array_elements_text($1::json) x)"
            }
            (RefKind::Record, Dialect::Postgres) => {
                "SELECT id FROM records WHERE ledger = $2 AND voided = FALSE \
                 AND id IN (SELECT x::bigint FROM json_array_elements_text($1::json) x)"
            }
        }
    }

    /// The error for a reference to nothing.
    pub(crate) fn missing(self, f: &FieldDef, v: &Value) -> FieldError {
        FieldError {
            field: f.key.clone(),
            label: f.label.clone(),
            message: format!("{}“{}”不存在", self.what(), RefKind::key(v)),
        }
    }
}

/// Prefixes a refusal with the row it concerns (`第N条`, 1-based).
pub(crate) fn numbered(i: usize, e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid(errs) => StoreError::Invalid(
            errs.into_iter()
                .map(|mut fe| {
                    fe.message = format!("第{}条：{}", i + 1, fe.message);
                    fe
                })
                .collect(),
        ),
        StoreError::Forbidden(m) => StoreError::Forbidden(format!("第{}条：{m}", i + 1)),
        StoreError::BadRequest(m) => StoreError::BadRequest(format!("第{}条：{m}", i + 1)),
        other => other,
    }
}

/// Where a bulk import starts, sent by the writer when it takes the command:
/// the writer is the only writer and holds its lock for the whole import, so
/// the caller's side can allot ids and event seqs and seal the chain itself.
#[derive(Debug, Clone)]
pub(crate) struct Start {
    /// The last record id (new ids follow it).
    last_id: i64,
    /// The chain's head before the import.
    seq: i64,
    hash: String,
    /// The events' time.
    at: String,
}

/// A chunk ready to write: validated, ids and seqs allotted, events sealed,
/// serialised into the two statements' JSON parameters (PostgreSQL) or kept
/// as rows to bind (SQLite).
pub(crate) struct Built {
    /// Index of the chunk's first row in the import.
    first: usize,
    /// Its first record id and event seq; ids and seqs run on by one a row.
    first_id: i64,
    first_seq: i64,
    /// The hash the chunk's first event links to, and its last event's hash.
    prev_hash: String,
    last_hash: String,
    /// (index into the ledger's fields, value) of each reference, a row each.
    refs: Vec<Vec<(usize, Value)>>,
    /// PostgreSQL: `[[seq, entity_id, data, prev_hash, hash], …]`
    events: String,
    /// PostgreSQL: `[[id, state, unit, division, owner, deadline, closed, title, search, fields, last_event], …]`
    records: String,
    /// SQLite: the rows, bound column by column into cached multi-row INSERTs.
    lite: Vec<LiteRow>,
}

/// One row of a chunk as SQLite takes it: each value bound to its own
/// parameter of a prepared multi-row INSERT (no JSON to parse in the database).
struct LiteRow {
    id: i64,
    seq: i64,
    /// The event's data (canonical JSON text).
    data: String,
    prev_hash: String,
    hash: String,
    state: String,
    closed: bool,
    d: Derived,
    /// The record's fields (canonical JSON text).
    fields: String,
}

/// What the caller's side sends the writer.
pub(crate) enum Feed {
    /// A chunk ready to write.
    Rows(Built),
    /// The caller gave up (a refused row): roll back.
    Fail(StoreError),
    /// All rows sent: commit.
    Done,
}

/// The writer's end of a bulk import (inside a [`Cmd::CreateBulk`]): the
/// chunks' channel, and where to say where the import starts.
#[derive(Clone)]
pub struct BulkFeed(Arc<Mutex<Option<FeedEnds>>>);

/// The chunks' receiver and the start's sender.
type FeedEnds = (mpsc::Receiver<Feed>, oneshot::Sender<Start>);

impl std::fmt::Debug for BulkFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BulkFeed")
    }
}

/// Appends `s` as a JSON string: the runs that need no escape are copied whole.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.push_str(&s[from..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b => out.push_str(&format!("\\u{b:04x}")),
        }
        from = i + 1;
    }
    out.push_str(&s[from..]);
    out.push('"');
}

fn push_opt_i(out: &mut String, v: Option<i64>) {
    match v {
        Some(i) => out.push_str(&i.to_string()),
        None => out.push_str("null"),
    }
}

fn push_opt_s(out: &mut String, v: Option<&str>) {
    match v {
        Some(s) => push_json_str(out, s),
        None => out.push_str("null"),
    }
}

/// The caller's side's place in the import: the last id and event allotted.
struct Cursor {
    last_id: i64,
    seq: i64,
    hash: String,
    hasher: Hasher,
    /// The field keys: personal fields are sealed here, on the caller's side.
    keys: Arc<crate::crypt::Keys>,
}

/// One row validated and serialised, before its place in the chain.
struct Ready {
    fields_json: String,
    data_json: String,
    /// The event data the chain hashes when personal fields are sealed (commitments in place of ciphertexts).
    hash_json: Option<String>,
    state: String,
    d: Derived,
    refs: Vec<(usize, Value)>,
}

/// Chunks at least this long are validated on two threads.
const PARALLEL_FROM: usize = 256;

/// Validates rows, allots their ids and seqs after `cur`, seals their events
/// in order and serialises the chunk (the caller's side; pure).
#[allow(clippy::too_many_arguments)]
fn build_rows(
    kind: &LedgerKind,
    actor: &Access,
    rows: &[(Map<String, Value>, Option<String>)],
    first: usize,
    tag: Option<&str>,
    today: jiff::civil::Date,
    cal: &Calendar,
    departments: &HashSet<i64>,
    cur: &mut Cursor,
    lite: bool,
) -> Result<Built, StoreError> {
    let ref_fields: Vec<(usize, &FieldDef)> = kind
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| RefKind::of(f).is_some())
        .collect();
    let mut tail = String::new();
    if let Some(t) = tag {
        tail.push_str(",\"import\":");
        push_json_str(&mut tail, t);
    }
    tail.push_str(",\"state\":");
    let mut built = Built {
        first,
        first_id: cur.last_id + 1,
        first_seq: cur.seq + 1,
        prev_hash: cur.hash.clone(),
        last_hash: String::new(),
        refs: Vec::with_capacity(rows.len()),
        events: String::with_capacity(if lite { 0 } else { rows.len() * 768 }),
        records: String::with_capacity(if lite { 0 } else { rows.len() * 1024 }),
        lite: Vec::with_capacity(if lite { rows.len() } else { 0 }),
    };
    // Validation and each row's JSON on up to two threads (they do not depend on
    // one another); then, in order, the chain hashes and the chunk's parameters.
    let keys = cur.keys.clone();
    let encrypted = keys.current().is_some() && kind.fields.iter().any(|f| f.encrypt);
    let ready_row = |(raw, state): &(Map<String, Value>, Option<String>)| -> Result<Ready, StoreError> {
        let (fields, state, mut d) = prepare_new(kind, actor, raw, state.as_deref(), today, cal, departments)?;
        // Personal fields: sealed in the row and the event, found by their blind index; the
        // chain hashes their commitments (`canonical_json_hashed`), as `Event::seal` does.
        let mut sealed = Value::Object(fields.clone());
        if encrypted {
            d.search.push_str(&keys.search_tokens(kind, &fields));
            if let Value::Object(m) = &mut sealed {
                keys.seal_fields(kind, m);
            }
        }
        let mut fields_json = String::with_capacity(512);
        lvzhi_core::event::canonical_json(&sealed, &mut fields_json);
        // {"after":…,"import":…,"state":…} — keys in canonical order.
        let mut data_json = String::with_capacity(fields_json.len() + tail.len() + 32);
        data_json.push_str("{\"after\":");
        data_json.push_str(&fields_json);
        data_json.push_str(&tail);
        push_json_str(&mut data_json, &state);
        data_json.push('}');
        let hash_json = encrypted.then(|| {
            let mut h = String::with_capacity(data_json.len());
            h.push_str("{\"after\":");
            lvzhi_core::event::canonical_json_hashed(&sealed, &mut h);
            h.push_str(&tail);
            push_json_str(&mut h, &state);
            h.push('}');
            h
        });
        let refs = ref_fields
            .iter()
            .filter_map(|(k, f)| fields.get(&f.key).map(|v| (*k, v.clone())))
            .collect();
        Ok(Ready {
            fields_json,
            data_json,
            hash_json,
            state,
            d,
            refs,
        })
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(2);
    let ready: Vec<Result<Ready, StoreError>> = if threads > 1 && rows.len() >= PARALLEL_FROM {
        let half = rows.len().div_ceil(threads);
        std::thread::scope(|sc| {
            let parts: Vec<_> = rows
                .chunks(half)
                .map(|part| sc.spawn(move || part.iter().map(ready_row).collect::<Vec<_>>()))
                .collect();
            let mut all = Vec::with_capacity(rows.len());
            for p in parts {
                match p.join() {
                    Ok(v) => all.extend(v),
                    Err(_) => all.push(Err(StoreError::Internal("validation thread panicked".into()))),
                }
            }
            all
        })
    } else {
        rows.iter().map(ready_row).collect()
    };
    let (ev, rec) = (&mut built.events, &mut built.records);
    if !lite {
        ev.push('[');
        rec.push('[');
    }
    for (i, r) in ready.into_iter().enumerate() {
        let Ready {
            fields_json,
            data_json,
            hash_json,
            state,
            d,
            refs,
        } = r.map_err(|e| numbered(first + i, e))?;
        built.refs.push(refs);
        let id = cur.last_id + 1;
        let seq = cur.seq + 1;
        let hash = cur
            .hasher
            .hash(&cur.hash, hash_json.as_deref().unwrap_or(&data_json), id, seq);
        if lite {
            let closed = kind.is_final(&state);
            let prev_hash = std::mem::replace(&mut cur.hash, hash.clone());
            built.lite.push(LiteRow {
                id,
                seq,
                data: data_json,
                prev_hash,
                hash,
                state,
                closed,
                d,
                fields: fields_json,
            });
            cur.last_id = id;
            cur.seq = seq;
            continue;
        }
        if i > 0 {
            ev.push(',');
            rec.push(',');
        }
        // [seq, entity_id, data, prev_hash, hash]
        ev.push('[');
        ev.push_str(&seq.to_string());
        ev.push_str(",\"");
        ev.push_str(&id.to_string());
        ev.push_str("\",");
        // The data and the fields go in as JSON values, not strings: no escaping
        // here and no unescaping in the database (SQLite's `->` and PostgreSQL's
        // `->>` on `json` give back their text as written, byte for byte).
        ev.push_str(&data_json);
        ev.push_str(",\"");
        ev.push_str(&cur.hash);
        ev.push_str("\",\"");
        ev.push_str(&hash);
        ev.push_str("\"]");
        // [id, state, unit, division, owner, deadline, closed, title, search, fields, last_event]
        rec.push('[');
        rec.push_str(&id.to_string());
        rec.push(',');
        push_json_str(rec, &state);
        rec.push(',');
        push_opt_i(rec, d.unit);
        rec.push(',');
        push_opt_s(rec, d.division.as_deref());
        rec.push(',');
        push_opt_i(rec, d.owner);
        rec.push(',');
        push_opt_s(rec, d.deadline.as_deref());
        rec.push_str(if kind.is_final(&state) { ",true," } else { ",false," });
        push_json_str(rec, &d.title);
        rec.push(',');
        push_json_str(rec, &d.search);
        rec.push(',');
        rec.push_str(&fields_json);
        rec.push(',');
        rec.push_str(&seq.to_string());
        rec.push(']');
        cur.last_id = id;
        cur.seq = seq;
        cur.hash = hash;
    }
    if !lite {
        ev.push(']');
        rec.push(']');
    }
    built.last_hash = cur.hash.clone();
    Ok(built)
}

/// A bulk import in progress: push chunks, then [`finish`](BulkCreate::finish).
/// Dropping it without `finish` rolls everything back.
pub struct BulkCreate {
    tx: mpsc::Sender<Feed>,
    done: Option<oneshot::Receiver<Result<Out, StoreError>>>,
    pack: Arc<Pack>,
    actor: Arc<Access>,
    ledger: String,
    tag: Option<Arc<str>>,
    today: jiff::civil::Date,
    /// The working-day calendar the rows' deadlines are counted by.
    cal: Arc<Calendar>,
    /// The county departments, for the create-time unit rule.
    departments: Arc<HashSet<i64>>,
    sent: usize,
    /// The field keys.
    keys: Arc<crate::crypt::Keys>,
    /// Where the writer says the import starts (until the first push).
    start: Option<oneshot::Receiver<Start>>,
    /// The ids and events allotted so far.
    cursor: Option<Cursor>,
    /// SQLite (rows bound column by column) rather than PostgreSQL (JSON).
    lite: bool,
}

impl Store {
    /// Starts a bulk import into `ledger` (see the module's description); the
    /// role is checked now, every row as it is pushed.
    pub async fn bulk_create(&self, a: &Access, ledger: &str, tag: Option<String>) -> Result<BulkCreate, StoreError> {
        let kind = self.kind(ledger)?;
        check_create_role(kind, a)?;
        let (tx, rx) = mpsc::channel(AHEAD);
        let (start_tx, start) = oneshot::channel();
        let feed = BulkFeed(Arc::new(Mutex::new(Some((rx, start_tx)))));
        let writer = self.writer.clone();
        let cmd = Cmd::CreateBulk {
            actor: a.clone(),
            ledger: kind.key.clone(),
            tag: tag.clone(),
            feed,
        };
        let (done_tx, done) = oneshot::channel();
        tokio::spawn(async move {
            let _ = done_tx.send(writer.send(cmd).await);
        });
        Ok(BulkCreate {
            tx,
            done: Some(done),
            pack: self.pack.clone(),
            actor: Arc::new(a.clone()),
            ledger: kind.key.clone(),
            tag: tag.map(Arc::from),
            today: self.today(),
            cal: self.fresh_calendar().await?,
            departments: Arc::new({
                let mut c = self.pool.acquire().await?;
                departments(&mut c.conn()).await?
            }),
            sent: 0,
            keys: self.keys.clone(),
            start: Some(start),
            cursor: None,
            lite: self.pool.dialect() == Dialect::Sqlite,
        })
    }

    /// Creates many records, all or nothing, through [`Store::bulk_create`] in
    /// chunks of [`CHUNK_ROWS`]: the same records, events and checks as
    /// [`Store::create_many`], much faster for big imports.
    pub async fn create_bulk(
        &self,
        a: &Access,
        ledger: &str,
        mut rows: Vec<(Map<String, Value>, Option<String>)>,
        tag: Option<String>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut bulk = self.bulk_create(a, ledger, tag).await?;
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(CHUNK_ROWS));
            bulk.push(std::mem::replace(&mut rows, rest)).await?;
        }
        bulk.finish().await
    }
}

impl BulkCreate {
    /// Rows pushed so far.
    pub fn pushed(&self) -> usize {
        self.sent
    }

    /// Validates `rows`, allots their ids, seals their events and serialises
    /// them (on a blocking thread), and hands them to the writer. A refused row
    /// fails the whole import: the error is returned here (rows numbered over
    /// the whole import) and nothing will be written.
    pub async fn push(&mut self, rows: Vec<(Map<String, Value>, Option<String>)>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut cur = match self.cursor.take() {
            Some(c) => c,
            None => match self.start.take() {
                Some(rx) => match rx.await {
                    Ok(st) => Cursor {
                        hasher: Hasher::new(&self.actor, &st.at, &self.ledger),
                        last_id: st.last_id,
                        seq: st.seq,
                        hash: st.hash,
                        keys: self.keys.clone(),
                    },
                    // The writer refused the command before it started.
                    Err(_) => return Err(self.failed().await),
                },
                None => return Err(StoreError::Internal("bulk import already failed".into())),
            },
        };
        let lite = self.lite;
        let (pack, actor, ledger, tag, today, first, cal, departments) = (
            self.pack.clone(),
            self.actor.clone(),
            self.ledger.clone(),
            self.tag.clone(),
            self.today,
            self.sent,
            self.cal.clone(),
            self.departments.clone(),
        );
        let n = rows.len();
        let (built, cur) = tokio::task::spawn_blocking(move || {
            let built = match pack.ledger(&ledger) {
                Some(kind) => build_rows(
                    kind,
                    &actor,
                    &rows,
                    first,
                    tag.as_deref(),
                    today,
                    &cal,
                    &departments,
                    &mut cur,
                    lite,
                ),
                None => Err(StoreError::NotFound(format!("台账“{ledger}”不存在"))),
            };
            (built, cur)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("validation task failed: {e}")))?;
        match built {
            Ok(b) => {
                if self.tx.send(Feed::Rows(b)).await.is_err() {
                    return Err(self.failed().await);
                }
                self.cursor = Some(cur);
                self.sent += n;
                Ok(())
            }
            Err(e) => {
                let msg = e.to_string();
                let _ = self.tx.send(Feed::Fail(StoreError::Internal(msg))).await;
                if let Some(d) = self.done.take() {
                    let _ = d.await;
                }
                Err(e)
            }
        }
    }

    /// The writer's error after it stopped taking chunks.
    async fn failed(&mut self) -> StoreError {
        match self.done.take() {
            Some(d) => match d.await {
                Ok(Err(e)) => e,
                Ok(Ok(_)) => StoreError::Internal("bulk import ended early".into()),
                Err(_) => StoreError::WriterGone,
            },
            None => StoreError::Internal("bulk import already failed".into()),
        }
    }

    /// Commits the import; returns the new ids in the order pushed.
    pub async fn finish(mut self) -> Result<Vec<i64>, StoreError> {
        if self.tx.send(Feed::Done).await.is_err() {
            return Err(self.failed().await);
        }
        match self.done.take() {
            Some(d) => match d.await.map_err(|_| StoreError::WriterGone)?? {
                Out::Ids(ids) => Ok(ids),
                _ => Err(StoreError::Internal("unexpected writer output".into())),
            },
            None => Err(StoreError::Internal("bulk import already failed".into())),
        }
    }
}

/// The keys of one reference field not looked up yet: their texts and values.
type Unknown = (HashSet<String>, Vec<Value>);

/// Which referenced keys exist, cached across chunks.
#[derive(Default)]
struct Refs {
    known: HashMap<(RefKind, String, String), bool>,
}

impl Refs {
    /// Checks every reference of a chunk's rows (`rows[i]`: row `first + i`'s
    /// references), one query per field over its unknown keys.
    async fn check(
        &mut self,
        conn: &mut Conn<'_>,
        kind: &LedgerKind,
        rows: &[Vec<(usize, Value)>],
        first: usize,
    ) -> Result<(), StoreError> {
        let dialect = conn.dialect();
        let mut todo: HashMap<(RefKind, String), Unknown> = HashMap::new();
        for r in rows {
            for (k, v) in r {
                let Some(f) = kind.fields.get(*k) else { continue };
                let Some(rk) = RefKind::of(f) else { continue };
                let ledger = f.ledger.clone().unwrap_or_default();
                let key = RefKind::key(v);
                if self.known.contains_key(&(rk, ledger.clone(), key.clone())) {
                    continue;
                }
                let e = todo.entry((rk, ledger)).or_insert_with(|| (HashSet::new(), Vec::new()));
                if e.0.insert(key) {
                    e.1.push(v.clone());
                }
            }
        }
        for ((rk, ledger), (keys, values)) in todo {
            let mut params = vec![P::T(Value::Array(values).to_string())];
            if rk == RefKind::Record {
                params.push(P::T(ledger.clone()));
            }
            let found: HashSet<String> = conn
                .rows(rk.many(dialect), &params)
                .await?
                .iter()
                .map(|r| r.t(0))
                .collect();
            for k in keys {
                let ok = found.contains(&k);
                self.known.insert((rk, ledger.clone(), k), ok);
            }
        }
        for (i, r) in rows.iter().enumerate() {
            let mut errors = Vec::new();
            for (k, v) in r {
                let Some(f) = kind.fields.get(*k) else { continue };
                let Some(rk) = RefKind::of(f) else { continue };
                let key = (rk, f.ledger.clone().unwrap_or_default(), RefKind::key(v));
                if !self.known.get(&key).copied().unwrap_or(false) {
                    errors.push(rk.missing(f, v));
                }
            }
            if !errors.is_empty() {
                return Err(numbered(first + i, StoreError::Invalid(errors)));
            }
        }
        Ok(())
    }
}

const EVENTS_PG: &str = "INSERT INTO events (seq, at, actor, actor_name, kind, entity, entity_id, ledger, data, \
    prev_hash, hash) SELECT (value ->> 0)::bigint, $2, $3, $4, 'record.create', 'record', value ->> 1, $5, \
    value ->> 2, value ->> 3, value ->> 4 FROM json_array_elements($1::json) AS value";
const RECORDS_PG: &str = "INSERT INTO records (id, ledger, state, unit_id, source_unit_id, division, owner_id, \
    deadline, closed, voided, title, search, fields, version, state_since, created_at, created_by, updated_at, \
    last_event, number) SELECT (value ->> 0)::bigint, $2, value ->> 1, (value ->> 2)::bigint, $3, value ->> 3, \
    (value ->> 4)::bigint, value ->> 5, (value ->> 6)::boolean, FALSE, value ->> 7, value ->> 8, value ->> 9, 1, \
    $4, $4, $5, $4, (value ->> 10)::bigint, \
    $6 || ($7::bigint + (value ->> 0)::bigint - $8::bigint)::text || '号' FROM json_array_elements($1::json) AS value";

/// Rows per multi-row INSERT on SQLite (the chunk's last rows go one by one).
const LITE_GROUP: usize = 64;

/// What every row of a SQLite chunk shares.
struct LiteConsts<'a> {
    at: Arc<str>,
    created_by: Option<i64>,
    actor_name: Arc<str>,
    ledger: Arc<str>,
    source_unit: Option<i64>,
    /// The records' numbers: `{number_head}{number_start + (id - first_id)}号`.
    number_head: &'a str,
    number_start: i64,
}

/// The text of the statement that inserts `k` rows' events and records (two
/// INSERTs, one parameter list: the events' values row by row, then the
/// records'). Constant for a given `k`, so sqlx prepares it once per
/// connection and reuses it (its statement cache).
///
/// The parameters are anonymous (`?`), each bound once: SQLite looks a
/// numbered parameter's name up by a linear scan, and sqlx asks for every
/// parameter's name, which made numbered parameters quadratic in `k`.
fn lite_sql(k: usize) -> String {
    const EV_ROW: &str = "(?,?,?,?,'record.create','record',CAST(? AS TEXT),?,?,?,?)";
    const REC_ROW: &str = "(?,?,?,?,?,?,?,?,?,FALSE,?,?,?,1,?,?,?,?,?,?)";
    let mut sql = String::from(
        "INSERT INTO events (seq, at, actor, actor_name, kind, entity, entity_id, ledger, data, prev_hash, hash) VALUES ",
    );
    sql.push_str(&vec![EV_ROW; k].join(","));
    sql.push_str(
        ";\nINSERT INTO records (id, ledger, state, unit_id, source_unit_id, division, owner_id, deadline, closed, \
         voided, title, search, fields, version, state_since, created_at, created_by, updated_at, last_event, number) VALUES ",
    );
    sql.push_str(&vec![REC_ROW; k].join(","));
    sql
}

/// The statements' texts by rows per statement, made once per import.
type LiteStatements = HashMap<usize, String>;

/// Writes a SQLite chunk: groups of [`LITE_GROUP`] rows through one cached
/// multi-row statement, the rest through one statement of their number (a
/// chunk's tail is the same size chunk after chunk); every value bound to its
/// own parameter.
async fn write_lite(
    c: &mut sqlx::SqliteConnection,
    stmts: &mut LiteStatements,
    k: &LiteConsts<'_>,
    rows: Vec<LiteRow>,
    first_id: i64,
) -> Result<(), StoreError> {
    let mut rows = rows.into_iter();
    while rows.len() > 0 {
        let n = rows.len().min(LITE_GROUP);
        let group: Vec<LiteRow> = rows.by_ref().take(n).collect();
        let sql = stmts.entry(n).or_insert_with(|| lite_sql(n));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        let mut rest = Vec::with_capacity(n);
        for r in group {
            // seq, at, actor, actor_name, entity_id, ledger, data, prev_hash, hash
            q = q
                .bind(r.seq)
                .bind(k.at.clone())
                .bind(k.created_by)
                .bind(k.actor_name.clone())
                .bind(r.id)
                .bind(k.ledger.clone())
                .bind(r.data)
                .bind(r.prev_hash)
                .bind(r.hash);
            rest.push((r.id, r.seq, r.state, r.closed, r.d, r.fields));
        }
        for (id, seq, state, closed, d, fields) in rest {
            let number = format!("{}{}号", k.number_head, k.number_start + (id - first_id));
            // id, ledger, state, unit_id, source_unit_id, division, owner_id, deadline, closed,
            // title, search, fields, state_since, created_at, created_by, updated_at, last_event, number
            q = q
                .bind(id)
                .bind(k.ledger.clone())
                .bind(state)
                .bind(d.unit)
                .bind(k.source_unit)
                .bind(d.division)
                .bind(d.owner)
                .bind(d.deadline)
                .bind(closed)
                .bind(d.title)
                .bind(d.search)
                .bind(fields)
                .bind(k.at.clone())
                .bind(k.at.clone())
                .bind(k.created_by)
                .bind(k.at.clone())
                .bind(seq)
                .bind(number);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// The event hash of a `record.create` event, streamed: equal to
/// `Event::seal` on the same event (tested below).
struct Hasher {
    /// `{"actor":…,"actor_name":…,"at":…,"data":`
    prefix: String,
    /// `,"entity":"record","entity_id":"` … then the id.
    ledger_json: String,
}

impl Hasher {
    fn new(actor: &Access, at: &str, ledger: &str) -> Hasher {
        let mut prefix = String::from("{\"actor\":");
        push_opt_i(&mut prefix, if actor.user_id > 0 { Some(actor.user_id) } else { None });
        prefix.push_str(",\"actor_name\":");
        push_json_str(&mut prefix, &actor.username);
        prefix.push_str(",\"at\":");
        push_json_str(&mut prefix, at);
        prefix.push_str(",\"data\":");
        let mut ledger_json = String::new();
        push_json_str(&mut ledger_json, ledger);
        Hasher { prefix, ledger_json }
    }

    /// The event's hash, with the algorithm [`Event::seal`] would choose
    /// (SM3 on a new or SM3 chain; SHA-256 on an unsealed old one).
    fn hash(&self, prev: &str, data_json: &str, id: i64, seq: i64) -> String {
        use lvzhi_core::crypto::{HashAlg, hex_digest};
        let alg = if prev == lvzhi_core::event::GENESIS || HashAlg::of_digest(prev) == HashAlg::Sm3 {
            HashAlg::Sm3
        } else {
            HashAlg::Sha256
        };
        let mut m = String::with_capacity(prev.len() + self.prefix.len() + data_json.len() + 128);
        m.push_str(prev);
        m.push('\n');
        m.push_str(&self.prefix);
        m.push_str(data_json);
        m.push_str(&format!(
            ",\"entity\":\"record\",\"entity_id\":\"{id}\",\"kind\":\"record.create\",\"ledger\":{},\"seq\":{seq}}}",
            self.ledger_json
        ));
        hex_digest(alg, m.as_bytes())
    }
}

/// The writer's side of [`Cmd::CreateBulk`]: says where the import starts,
/// then takes chunks until `Done` (commit) or a failure (the caller's `Err`
/// rolls the savepoint back).
///
/// On SQLite the import runs with a larger page cache (the index B-trees stay
/// in memory) and without automatic checkpoints: the commit is durable when
/// the WAL is synced (`synchronous=FULL`), and the writer copies the WAL into
/// the database after it has answered ([`after_bulk`]).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run(
    conn: &mut Conn<'_>,
    head: &mut Head,
    pack: &Pack,
    actor: &Access,
    ledger: &str,
    feed: &BulkFeed,
    now: Timestamp,
) -> Result<Out, StoreError> {
    let (rx, start) = feed
        .0
        .lock()
        .map_err(|_| StoreError::Internal("bulk feed poisoned".into()))?
        .take()
        .ok_or_else(|| StoreError::Internal("bulk feed already taken".into()))?;
    let kind = pack
        .ledger(ledger)
        .ok_or_else(|| StoreError::NotFound(format!("台账“{ledger}”不存在")))?;
    check_create_role(kind, actor)?;
    let lite = matches!(conn, Conn::Lite(_));
    let base_sql = if lite {
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM records), 0), \
         COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'records'), 0))"
    } else {
        "SELECT COALESCE(MAX(id), 0) FROM records"
    };
    let last_id = conn.row(base_sql, &[]).await?.map(|r| r.i(0)).unwrap_or(0);
    let at = stamp(now);
    let begun = Start {
        last_id,
        seq: head.seq,
        hash: head.hash.clone(),
        at: at.clone(),
    };
    if start.send(begun).is_err() {
        return Err(StoreError::Internal("导入已中止 / import aborted".into()));
    }
    let mut wal = None;
    if lite {
        conn.script(&format!(
            "PRAGMA cache_size = -{IMPORT_CACHE_KIB}; PRAGMA wal_autocheckpoint = 0"
        ))
        .await?;
        wal = conn
            .rows("PRAGMA database_list", &[])
            .await?
            .iter()
            .find(|r| r.t(1) == "main")
            .map(|r| r.t(2))
            .filter(|f| !f.is_empty())
            .map(|f| WalFlusher::new(format!("{f}-wal")));
    }
    let r = write_chunks(conn, head, kind, actor, rx, last_id, &at, wal.as_mut()).await;
    if lite {
        // Restored whatever happened (the checkpoint is `after_bulk`'s).
        let _ = conn
            .script(&format!("PRAGMA cache_size = -{}", crate::db::CACHE_KIB))
            .await;
    }
    r
}

/// Page cache of the writer's connection during a SQLite import, in KiB.
const IMPORT_CACHE_KIB: i64 = 262_144;

/// After the batch that ran a bulk import is committed and answered (SQLite):
/// copy the WAL into the database (as much as readers allow) and turn
/// automatic checkpoints back on.
pub(crate) async fn after_bulk(conn: &mut Conn<'_>) {
    if matches!(conn, Conn::Lite(_)) {
        let _ = conn.script("PRAGMA wal_checkpoint(PASSIVE)").await;
        let _ = conn
            .script(&format!(
                "PRAGMA wal_autocheckpoint = {}",
                crate::db::WAL_AUTOCHECKPOINT
            ))
            .await;
    }
}

/// Starts writing a big import's WAL to disk while the import goes on.
///
/// SQLite syncs the WAL only at COMMIT; by then a million-row import has left
/// gigabytes of dirty pages in the OS cache (Linux starts writing them back on
/// its own only after 30 s or 10 % of memory), and the commit waits for all of
/// them. An `fdatasync` of the WAL file from a helper thread after every few
/// chunks makes the disk work while the import computes; the commit then
/// syncs only the tail. Extra syncs of the WAL change nothing else: what makes
/// the import durable is still SQLite's sync at COMMIT.
struct WalFlusher {
    path: String,
    busy: Option<tokio::task::JoinHandle<()>>,
}

impl WalFlusher {
    fn new(path: String) -> WalFlusher {
        WalFlusher { path, busy: None }
    }

    /// Starts a sync unless one is still running.
    fn poke(&mut self) {
        if self.busy.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let path = self.path.clone();
        self.busy = Some(tokio::task::spawn_blocking(move || {
            if let Ok(f) = std::fs::File::open(&path) {
                let _ = f.sync_data();
            }
        }));
    }
}

/// Takes the chunks and writes them (see [`run`]).
#[allow(clippy::too_many_arguments)]
async fn write_chunks(
    conn: &mut Conn<'_>,
    head: &mut Head,
    kind: &LedgerKind,
    actor: &Access,
    mut rx: mpsc::Receiver<Feed>,
    mut last_id: i64,
    at: &str,
    mut wal: Option<&mut WalFlusher>,
) -> Result<Out, StoreError> {
    let pg = matches!(conn, Conn::Pg(_));
    let created_by = if actor.user_id > 0 { Some(actor.user_id) } else { None };
    let mut refs = Refs::default();
    let mut stmts = LiteStatements::default();
    let mut ids = Vec::new();
    loop {
        let b = match rx.recv().await {
            Some(Feed::Rows(b)) => b,
            Some(Feed::Done) => break,
            Some(Feed::Fail(e)) => return Err(e),
            None => return Err(StoreError::Internal("导入已中止 / import aborted".into())),
        };
        // The caller's side allotted ids and sealed events after what it was
        // told: they must follow on from what is written.
        if b.first_id != last_id + 1 || b.first_seq != head.seq + 1 || b.prev_hash != head.hash {
            return Err(StoreError::Internal("bulk chunk out of order".into()));
        }
        let n = b.refs.len() as i64;
        refs.check(conn, kind, &b.refs, b.first).await?;
        // The records' numbers are allotted first and written with the rows
        // (an UPDATE after the INSERT would write every row twice).
        let (number_head, number_start) = crate::numbers::allot_series(conn, kind, at, n).await?;
        if let Conn::Lite(c) = conn {
            let consts = LiteConsts {
                at: Arc::from(at),
                created_by,
                actor_name: Arc::from(actor.username.as_str()),
                ledger: Arc::from(kind.key.as_str()),
                source_unit: actor.unit,
                number_head: &number_head,
                number_start,
            };
            write_lite(c, &mut stmts, &consts, b.lite, b.first_id).await?;
        } else {
            conn.exec(
                EVENTS_PG,
                &[
                    P::T(b.events),
                    P::T(at.to_string()),
                    P::OI(created_by),
                    P::T(actor.username.clone()),
                    P::T(kind.key.clone()),
                ],
            )
            .await?;
            conn.exec(
                RECORDS_PG,
                &[
                    P::T(b.records),
                    P::T(kind.key.clone()),
                    P::OI(actor.unit),
                    P::T(at.to_string()),
                    P::OI(created_by),
                    P::T(number_head),
                    P::I(number_start),
                    P::I(b.first_id),
                ],
            )
            .await?;
        }
        if let Some(w) = wal.as_deref_mut() {
            w.poke();
        }
        ids.extend(b.first_id..b.first_id + n);
        last_id += n;
        head.seq += n;
        head.hash = b.last_hash;
        head.at = at.to_string();
    }
    if pg && !ids.is_empty() {
        conn.script("SELECT setval(pg_get_serial_sequence('records', 'id'), (SELECT MAX(id) FROM records))")
            .await?;
    }
    Ok(Out::Ids(ids))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use lvzhi_core::event::Event;

    #[test]
    fn streamed_hash_equals_seal() {
        let actor = Access {
            user_id: 7,
            username: "张\"三\\".into(),
            role: Role::Admin,
            unit: None,
            division: None,
            person: None,
            oversees: vec![],
        };
        let at = "2026-11-25T02:00:00.000000Z";
        let data = serde_json::json!({"after": {"a": "x\ny", "b": 12, "c": {"z": 1, "a": [true, null]}},
                                      "import": "t-1", "state": "待交办"});
        let mut data_json = String::new();
        lvzhi_core::event::canonical_json(&data, &mut data_json);
        let e = Event {
            seq: 42,
            at: at.into(),
            actor: Some(7),
            actor_name: actor.username.clone(),
            kind: "record.create".into(),
            entity: "record".into(),
            entity_id: Some("1001".into()),
            ledger: Some("hazard".into()),
            data,
            prev_hash: "ab".repeat(32),
            hash: String::new(),
        }
        .seal();
        let h = Hasher::new(&actor, at, "hazard").hash(&"ab".repeat(32), &data_json, 1001, 42);
        assert_eq!(h, e.hash);
        // On an SM3 chain too.
        let sm3_prev = format!("sm3:{}", "cd".repeat(32));
        let e3 = Event {
            prev_hash: sm3_prev.clone(),
            hash: String::new(),
            ..e
        }
        .seal();
        assert!(e3.hash.starts_with("sm3:"));
        assert_eq!(
            Hasher::new(&actor, at, "hazard").hash(&sm3_prev, &data_json, 1001, 42),
            e3.hash
        );
    }

    #[test]
    fn json_strings_round_trip() {
        let s = "a\"b\\c\u{1}\n\t中文";
        let mut out = String::new();
        push_json_str(&mut out, s);
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
    }
}
