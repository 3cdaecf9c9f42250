//! Bulk creation for imports: the same records and events as
//! [`Store::create_many`], written in multi-row statements.
//!
//! `create_many` runs five statements a record (two reference checks, the
//! INSERT, its event, the `last_event` UPDATE): about 4,400 records a second on
//! SQLite. Here, inside the writer's one transaction:
//! * every row is validated by [`LedgerKind::validate`] and placed in scope by
//!   the same rules as `create` (a clerk's record is the clerk's unit's; the
//!   default deadline; `may_place_in` and `sees`);
//! * references (units, people, divisions, records) are checked once per
//!   distinct value;
//! * ids are allotted from `MAX(id)`, so each record's event seq — and so its
//!   `last_event` — is known before anything is written (the writer is the only
//!   writer, and holds the lock, so nobody else takes an id meanwhile);
//! * records go in by [`ROWS_PER_INSERT`] a statement, and events likewise:
//!   each event is built and sealed exactly as `writer::append` does (same
//!   fields, same canonical JSON, `prev_hash` = the hash before it), so the
//!   chain verifies with `audit::verify_chain` unchanged.
//!
//! All or nothing: any refusal returns an error and the writer rolls back the
//! command's savepoint, as for `create_many`. Error messages name the row as
//! `第N条` (1-based in `rows`).
//!
//! Wiring (in `writer.rs`): a `Cmd::CreateBulk { actor, ledger, rows, tag }`
//! variant whose `apply` arm is
//! `crate::bulk::create_bulk(conn, head, pack, actor, ledger, rows, tag.as_deref(), now).await.map(Out::Ids)`.

use crate::db::{Conn, P};
use crate::writer::{Cmd, Head, Out};
use crate::{Store, StoreError};
use jiff::Timestamp;
use lvzhi_core::access::{Access, RecordScope, Role};
use lvzhi_core::event::Event;
use lvzhi_core::field::{FieldError, FieldRole, FieldType};
use lvzhi_core::ledger::{Fields, LedgerKind, Pack};
use lvzhi_core::time::{local_date, stamp};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Rows a multi-row INSERT carries. Measured on SQLite (100,000 hazard rows):
/// 16 → 10,900 records/s, 64 → 7,800/s, 1,000 → 1,100/s: the cost of binding
/// grows faster than the parameter count in sqlx, so bigger statements lose.
pub const ROWS_PER_INSERT: usize = 16;

impl Store {
    /// Creates many records, all or nothing, in multi-row statements (imports).
    /// Same records, events and checks as [`Store::create_many`].
    pub async fn create_bulk(
        &self,
        a: &Access,
        ledger: &str,
        rows: Vec<(Map<String, Value>, Option<String>)>,
        tag: Option<String>,
    ) -> Result<Vec<i64>, StoreError> {
        match self
            .writer
            .send(Cmd::CreateBulk {
                actor: a.clone(),
                ledger: ledger.into(),
                rows,
                tag,
            })
            .await?
        {
            Out::Ids(ids) => Ok(ids),
            _ => Err(StoreError::Internal("unexpected writer output".into())),
        }
    }
}

fn numbered(i: usize, e: StoreError) -> StoreError {
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

/// One record ready to write.
struct Ready {
    state: String,
    unit: Option<i64>,
    division: Option<String>,
    owner: Option<i64>,
    deadline: Option<String>,
    closed: bool,
    title: String,
    search: String,
    fields: Fields,
}

/// Reference checks, once per distinct value.
#[derive(Default)]
struct Refs {
    known: HashMap<(&'static str, String), bool>,
}

impl Refs {
    async fn check(&mut self, conn: &mut Conn<'_>, kind: &LedgerKind, fields: &Fields) -> Result<(), StoreError> {
        let mut errors = Vec::new();
        for f in &kind.fields {
            let Some(v) = fields.get(&f.key).filter(|v| !v.is_null()) else {
                continue;
            };
            let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            let (sql, p, what) = match f.ty {
                FieldType::Unit => (
                    "SELECT 1 FROM units WHERE id = $1",
                    P::I(v.as_i64().unwrap_or(0)),
                    "单位",
                ),
                FieldType::Person => (
                    "SELECT 1 FROM people WHERE id = $1",
                    P::I(v.as_i64().unwrap_or(0)),
                    "人员",
                ),
                FieldType::Division => (
                    "SELECT 1 FROM divisions WHERE code = $1",
                    P::T(v.as_str().unwrap_or("").into()),
                    "行政区划",
                ),
                FieldType::Record => (
                    "SELECT 1 FROM records WHERE id = $1 AND ledger = $2 AND voided = FALSE",
                    P::I(v.as_i64().unwrap_or(0)),
                    "关联记录",
                ),
                _ => continue,
            };
            let key = (what, format!("{}\u{1}{text}", f.ledger.as_deref().unwrap_or("")));
            let ok = match self.known.get(&key) {
                Some(ok) => *ok,
                None => {
                    let mut params = vec![p];
                    if f.ty == FieldType::Record {
                        params.push(P::T(f.ledger.clone().unwrap_or_default()));
                    }
                    let ok = conn.row(sql, &params).await?.is_some();
                    self.known.insert(key, ok);
                    ok
                }
            };
            if !ok {
                errors.push(FieldError {
                    field: f.key.clone(),
                    label: f.label.clone(),
                    message: format!("{what}“{text}”不存在"),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Invalid(errors))
        }
    }
}

fn prepare_row(
    kind: &LedgerKind,
    actor: &Access,
    raw: &Map<String, Value>,
    state: Option<&str>,
    today: jiff::civil::Date,
) -> Result<Ready, StoreError> {
    let mut fields = kind.validate(raw, false).map_err(StoreError::Invalid)?;
    fields.retain(|_, v| !v.is_null());
    if let (Some(uf), Some(u)) = (kind.role_field(FieldRole::Unit), actor.unit)
        && !fields.contains_key(&uf.key)
        && matches!(actor.role, Role::UnitClerk | Role::UnitHead)
    {
        fields.insert(uf.key.clone(), Value::from(u));
    }
    kind.apply_default_deadline(&mut fields, today);
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
    let role_i = |r: FieldRole| {
        kind.role_field(r)
            .and_then(|f| fields.get(&f.key))
            .and_then(Value::as_i64)
    };
    let role_s = |r: FieldRole| {
        kind.role_field(r)
            .and_then(|f| fields.get(&f.key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (unit, division, owner) = (
        role_i(FieldRole::Unit),
        role_s(FieldRole::Division),
        role_i(FieldRole::Owner),
    );
    let scope = RecordScope {
        unit,
        source_unit: actor.unit,
        division: division.as_deref(),
        owner,
    };
    if !actor.may_place_in(division.as_deref()) || !actor.sees(&scope) {
        return Err(StoreError::Forbidden(
            "超出本人权限范围：不能为其他乡镇或单位登记记录".into(),
        ));
    }
    Ok(Ready {
        deadline: kind.effective_deadline(&fields, &state, today).map(|d| d.to_string()),
        title: kind.title(&fields),
        search: kind.search_text(&fields),
        closed: kind.is_final(&state),
        state,
        unit,
        division,
        owner,
        fields,
    })
}

/// Validates, checks and writes `rows` (see the module's description).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_bulk(
    conn: &mut Conn<'_>,
    head: &mut Head,
    pack: &Pack,
    actor: &Access,
    ledger: &str,
    rows: &[(Map<String, Value>, Option<String>)],
    tag: Option<&str>,
    now: Timestamp,
) -> Result<Vec<i64>, StoreError> {
    let kind = pack
        .ledger(ledger)
        .ok_or_else(|| StoreError::NotFound(format!("台账“{ledger}”不存在")))?;
    if !kind.create_roles.contains(&actor.role) {
        return Err(StoreError::Forbidden(format!(
            "{}不能在“{}”台账中新建记录",
            actor.role.label(),
            kind.name
        )));
    }
    let today = local_date(now);
    let mut refs = Refs::default();
    let mut ready = Vec::with_capacity(rows.len());
    for (i, (raw, state)) in rows.iter().enumerate() {
        let r = prepare_row(kind, actor, raw, state.as_deref(), today).map_err(|e| numbered(i, e))?;
        refs.check(conn, kind, &r.fields).await.map_err(|e| numbered(i, e))?;
        ready.push(r);
    }
    let base = conn
        .row("SELECT COALESCE(MAX(id), 0) FROM records", &[])
        .await?
        .map(|r| r.i(0))
        .unwrap_or(0);
    let at = stamp(now);
    let created_by = if actor.user_id > 0 { Some(actor.user_id) } else { None };
    let mut ids = Vec::with_capacity(ready.len());
    for (k, chunk) in ready.chunks(ROWS_PER_INSERT).enumerate() {
        let first = k * ROWS_PER_INSERT;
        // Events first: their seqs are the records' last_event.
        let mut ev_sql = String::from(
            "INSERT INTO events (seq, at, actor, actor_name, kind, entity, entity_id, ledger, data, prev_hash, hash) VALUES ",
        );
        let mut ev_params = Vec::with_capacity(chunk.len() * 11);
        let mut seqs = Vec::with_capacity(chunk.len());
        for (j, r) in chunk.iter().enumerate() {
            let id = base + (first + j) as i64 + 1;
            let mut data = json!({"state": r.state, "after": Value::Object(r.fields.clone())});
            if let Some(t) = tag {
                data["import"] = Value::String(t.to_string());
            }
            let e = Event {
                seq: head.seq + 1,
                at: at.clone(),
                actor: created_by,
                actor_name: actor.username.clone(),
                kind: "record.create".into(),
                entity: "record".into(),
                entity_id: Some(id.to_string()),
                ledger: Some(kind.key.clone()),
                data,
                prev_hash: head.hash.clone(),
                hash: String::new(),
            }
            .seal();
            let mut data_text = String::new();
            lvzhi_core::event::canonical_json(&e.data, &mut data_text);
            let n = ev_params.len();
            if j > 0 {
                ev_sql.push_str(", ");
            }
            ev_sql.push('(');
            for c in 1..=11 {
                ev_sql.push_str(&format!("{}${}", if c > 1 { ", " } else { "" }, n + c));
            }
            ev_sql.push(')');
            ev_params.extend([
                P::I(e.seq),
                P::T(e.at),
                P::OI(e.actor),
                P::T(e.actor_name),
                P::T(e.kind),
                P::T(e.entity),
                P::OT(e.entity_id),
                P::OT(e.ledger),
                P::T(data_text),
                P::T(e.prev_hash),
                P::T(e.hash.clone()),
            ]);
            seqs.push(e.seq);
            head.seq = e.seq;
            head.hash = e.hash;
        }
        conn.exec(&ev_sql, &ev_params).await?;
        let mut sql = String::from(
            "INSERT INTO records (id, ledger, state, unit_id, source_unit_id, division, owner_id, deadline, closed, \
             voided, title, search, fields, version, state_since, created_at, created_by, updated_at, last_event) VALUES ",
        );
        let mut params = Vec::with_capacity(chunk.len() * 17);
        for (j, r) in chunk.iter().enumerate() {
            let id = base + (first + j) as i64 + 1;
            let n = params.len();
            if j > 0 {
                sql.push_str(", ");
            }
            // id, ledger, state, unit, source, division, owner, deadline, closed, FALSE,
            // title, search, fields, 1, at, at, created_by, at, last_event
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, FALSE, ${}, ${}, ${}, 1, ${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6,
                n + 7,
                n + 8,
                n + 9,
                n + 10,
                n + 11,
                n + 12,
                n + 13,
                n + 14,
                n + 15,
                n + 16,
                n + 17
            ));
            params.extend([
                P::I(id),
                P::T(kind.key.clone()),
                P::T(r.state.clone()),
                P::OI(r.unit),
                P::OI(actor.unit),
                P::OT(r.division.clone()),
                P::OI(r.owner),
                P::OT(r.deadline.clone()),
                P::B(r.closed),
                P::T(r.title.clone()),
                P::T(r.search.clone()),
                P::T(Value::Object(r.fields.clone()).to_string()),
                P::T(at.clone()),
                P::T(at.clone()),
                P::OI(created_by),
                P::T(at.clone()),
                P::I(seqs[j]),
            ]);
            ids.push(id);
        }
        conn.exec(&sql, &params).await?;
    }
    if matches!(conn, Conn::Pg(_)) && !ids.is_empty() {
        conn.script("SELECT setval(pg_get_serial_sequence('records', 'id'), (SELECT MAX(id) FROM records))")
            .await?;
    }
    Ok(ids)
}
