//! 主办 and 协办 units (issue 17): a record's responsible unit (`unit_id`) is
//! its 主办单位; a ledger with `[co_units]` in its pack lets the roles named
//! there, handling the record, add 协办单位 (`record_co_units`, migration 0028).
//!
//! **Invariants.** A 协办 unit's clerks and heads, and the leaders who oversee
//! it, *see* the record ([`Access::sees`], [`crate::records::scope_sql`]) but do
//! not *handle* it ([`Access::handles`]): the writer refuses their edits,
//! transitions, voids and 催办 with 403 ([`crate::records::check_handles`]).
//! They add 协办意见: an event `record.opinion` on the record's chain, shown in
//! its 办理过程. Setting the units is an event `record.co_units`; the units
//! added are told (站内信 `co_unit`, "协办：…") in the same transaction, and the
//! responsible unit's handlers are told of an opinion (`opinion`). Indicators,
//! bulletins and 待办 count by the responsible unit only
//! ([`crate::records::own_scope_sql`]): adding a 协办 unit changes no figure.

use crate::db::{Conn, P};
use crate::records::{self, RecordRow, RecordView};
use crate::writer::{Cmd, Head, Out, append};
use crate::{Store, StoreError};
use jiff::Timestamp;
use lvzhi_core::access::{Access, Role};
use lvzhi_core::field::FieldError;
use lvzhi_core::ledger::{LedgerKind, Pack};
use lvzhi_core::time::stamp;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// At most this many 协办 units on one record.
pub const MAX_CO_UNITS: usize = 20;
/// At most this many characters in one 协办意见.
pub const MAX_OPINION_CHARS: usize = 2000;

/// A unit, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedUnit {
    /// Unit id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// One 协办意见, as recorded on the record's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opinion {
    /// The event's seq.
    pub seq: i64,
    /// When (UTC stamp).
    pub at: String,
    /// The 协办 unit.
    pub unit_id: i64,
    /// Its name when the opinion was given.
    pub unit_name: String,
    /// Who gave it (login name).
    pub actor: String,
    /// The opinion.
    pub text: String,
}

/// A record's 主办 and 协办 units, its opinions, and what the reader may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoUnitsView {
    /// Record id.
    pub record_id: i64,
    /// Whether the record's ledger has 协办 units at all (`[co_units]`).
    pub enabled: bool,
    /// The 主办单位 (responsible unit), when set.
    pub lead: Option<NamedUnit>,
    /// The 协办单位, by id.
    pub co_units: Vec<NamedUnit>,
    /// The 协办意见, oldest first.
    pub opinions: Vec<Opinion>,
    /// Whether the reader may change the 协办 units now.
    pub may_set: bool,
    /// Whether the reader may add a 协办意见 now (a clerk or head of a 协办 unit).
    pub may_opine: bool,
    /// The reader's unit, when it is a 协办 unit of the record.
    pub my_co_unit: Option<i64>,
}

/// The 协办 units of record `id`, ascending.
pub(crate) async fn load(conn: &mut Conn<'_>, id: i64) -> Result<Vec<i64>, StoreError> {
    let rows = conn
        .rows(
            "SELECT unit_id FROM record_co_units WHERE record_id = $1 ORDER BY unit_id",
            &[P::I(id)],
        )
        .await?;
    Ok(rows.iter().map(|r| r.i(0)).collect())
}

/// The names of units `ids` (unknown ids left out), in the order given.
async fn names(conn: &mut Conn<'_>, ids: &[i64]) -> Result<Vec<NamedUnit>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        if let Some(r) = conn.row("SELECT name FROM units WHERE id = $1", &[P::I(id)]).await? {
            out.push(NamedUnit { id, name: r.t(0) });
        }
    }
    Ok(out)
}

fn bad(field: &str, label: &str, message: String) -> StoreError {
    StoreError::Invalid(vec![FieldError {
        field: field.into(),
        label: label.into(),
        message,
    }])
}

/// "督办〔2026〕12号“…”" — how a notice names its record.
fn named(r: &RecordRow) -> String {
    match &r.number {
        Some(n) => format!("{n}“{}”", r.title),
        None => format!("“{}”", r.title),
    }
}

fn rule_of<'p>(pack: &'p Pack, r: &RecordRow) -> Result<&'p LedgerKind, StoreError> {
    let kind = pack
        .ledger(&r.ledger)
        .ok_or_else(|| StoreError::NotFound(format!("台账“{}”不存在", r.ledger)))?;
    if kind.co_units.is_none() {
        return Err(StoreError::Conflict(format!("“{}”台账不设协办单位", kind.name)));
    }
    Ok(kind)
}

/// Whether `a` may set the 协办 units of `r` (of ledger `kind`): a role of the
/// ledger's `[co_units]`, handling the record, which is open.
pub fn may_set(a: &Access, kind: &LedgerKind, r: &RecordRow) -> bool {
    kind.co_units.as_ref().is_some_and(|c| c.roles.contains(&a.role))
        && a.handles(&r.scope())
        && !r.closed
        && !r.voided
        && r.unit_id.is_some()
        && match a.role {
            // A unit head sets them for their own unit's items only (not those it entered).
            Role::UnitHead | Role::UnitClerk => a.unit.is_some() && a.unit == r.unit_id,
            _ => true,
        }
}

/// The writer's side of [`Store::set_co_units`].
pub(crate) async fn apply_set(
    conn: &mut Conn<'_>,
    head: &mut Head,
    pack: &Pack,
    actor: &Access,
    id: i64,
    units: &[i64],
    now: Timestamp,
) -> Result<RecordRow, StoreError> {
    let old = records::fetch(conn, &head.keys, pack, id).await?;
    records::check_visible(actor, &old)?;
    records::check_handles(actor, &old)?;
    let kind = rule_of(pack, &old)?;
    if old.closed || old.voided {
        return Err(StoreError::Conflict("事项已办结或已作废，不能调整协办单位".into()));
    }
    if !may_set(actor, kind, &old) {
        return Err(StoreError::Forbidden(format!(
            "{}不能设置“{}”的协办单位",
            actor.role.label(),
            kind.name
        )));
    }
    let new: BTreeSet<i64> = units.iter().copied().collect();
    if units.len() > MAX_CO_UNITS {
        return Err(bad("units", "协办单位", format!("最多{MAX_CO_UNITS}个")));
    }
    for &u in &new {
        if Some(u) == old.unit_id {
            return Err(bad("units", "协办单位", "主办单位不能同时是协办单位".into()));
        }
        let known = conn
            .row("SELECT disabled FROM units WHERE id = $1", &[P::I(u)])
            .await?
            .map(|r| r.b(0));
        match known {
            None => return Err(bad("units", "协办单位", format!("单位{u}不存在"))),
            Some(true) if !old.co_units.contains(&u) => {
                return Err(bad("units", "协办单位", format!("单位{u}已停用")));
            }
            _ => {}
        }
    }
    let before: BTreeSet<i64> = old.co_units.iter().copied().collect();
    let added: Vec<i64> = new.difference(&before).copied().collect();
    let removed: Vec<i64> = before.difference(&new).copied().collect();
    if added.is_empty() && removed.is_empty() {
        return Ok(old);
    }
    let at = stamp(now);
    for &u in &removed {
        conn.exec(
            "DELETE FROM record_co_units WHERE record_id = $1 AND unit_id = $2",
            &[P::I(id), P::I(u)],
        )
        .await?;
    }
    for &u in &added {
        conn.exec(
            "INSERT INTO record_co_units (record_id, unit_id, added_at, added_by) VALUES ($1, $2, $3, $4)",
            &[P::I(id), P::I(u), P::T(at.clone()), P::I(actor.user_id)],
        )
        .await?;
    }
    let all: Vec<i64> = new.iter().copied().collect();
    let (all_n, added_n, removed_n) = (
        names(conn, &all).await?,
        names(conn, &added).await?,
        names(conn, &removed).await?,
    );
    let list = |v: &[NamedUnit]| Value::Array(v.iter().map(|u| json!({"id": u.id, "name": u.name})).collect());
    let seq = append(
        conn,
        head,
        now,
        actor,
        "record.co_units",
        "record",
        Some(id.to_string()),
        Some(kind.key.clone()),
        json!({"unit": old.unit_id, "co_units": list(&all_n), "added": list(&added_n), "removed": list(&removed_n)}),
    )
    .await?;
    conn.exec(
        "UPDATE records SET last_event = $1 WHERE id = $2",
        &[P::I(seq), P::I(id)],
    )
    .await?;
    let lead = names(conn, &old.unit_id.into_iter().collect::<Vec<_>>()).await?;
    let lead = lead.first().map(|u| u.name.clone()).unwrap_or_default();
    for u in &added_n {
        let users = crate::notices::unit_users(conn, u.id).await?;
        let body = format!(
            "{}请{}协办{}{}，主办单位：{lead}。请在记录的办理过程中填写协办意见。",
            actor.username,
            u.name,
            kind.name,
            named(&old)
        );
        crate::notices::write(
            conn,
            &users,
            actor.user_id,
            "co_unit",
            Some(id),
            &format!("协办：{}", old.title),
            &body,
            &actor.username,
            &at,
            None,
        )
        .await?;
    }
    Ok(RecordRow {
        co_units: all,
        last_event: seq,
        ..old
    })
}

/// The writer's side of [`Store::add_opinion`].
pub(crate) async fn apply_opinion(
    conn: &mut Conn<'_>,
    head: &mut Head,
    pack: &Pack,
    actor: &Access,
    id: i64,
    text: &str,
    now: Timestamp,
) -> Result<RecordRow, StoreError> {
    let old = records::fetch(conn, &head.keys, pack, id).await?;
    records::check_visible(actor, &old)?;
    let kind = rule_of(pack, &old)?;
    let Some(unit) = actor.co_unit_of(&old.scope()) else {
        return Err(StoreError::Forbidden(
            "只有协办单位的经办人或负责人可以填写协办意见".into(),
        ));
    };
    if old.closed || old.voided {
        return Err(StoreError::Conflict("事项已办结或已作废，不再接收协办意见".into()));
    }
    if text.chars().count() > MAX_OPINION_CHARS {
        return Err(bad("text", "协办意见", format!("不能超过{MAX_OPINION_CHARS}字")));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("text", "协办意见", "不能为空".into()));
    }
    let unit_name = names(conn, &[unit]).await?.pop().map(|u| u.name).unwrap_or_default();
    let seq = append(
        conn,
        head,
        now,
        actor,
        "record.opinion",
        "record",
        Some(id.to_string()),
        Some(kind.key.clone()),
        json!({"unit": unit, "unit_name": unit_name, "text": text}),
    )
    .await?;
    conn.exec(
        "UPDATE records SET last_event = $1 WHERE id = $2",
        &[P::I(seq), P::I(id)],
    )
    .await?;
    if let Some(lead) = old.unit_id {
        let users = crate::notices::handlers(conn, id, lead).await?;
        let body = format!(
            "{unit_name}（{}）对{}{}提出协办意见：{text}",
            actor.username,
            kind.name,
            named(&old)
        );
        crate::notices::write(
            conn,
            &users,
            actor.user_id,
            "opinion",
            Some(id),
            &format!("协办意见：{}", old.title),
            &body,
            &actor.username,
            &stamp(now),
            None,
        )
        .await?;
    }
    Ok(RecordRow { last_event: seq, ..old })
}

fn record(out: Out) -> Result<RecordRow, StoreError> {
    match out {
        Out::Record(r) => Ok(*r),
        _ => Err(StoreError::Internal("unexpected writer answer".into())),
    }
}

impl Store {
    /// The 主办 and 协办 units of record `id`, its 协办意见, and what `a` may do.
    pub async fn co_units(&self, a: &Access, id: i64) -> Result<CoUnitsView, StoreError> {
        let mut c = self.pool.acquire().await?;
        let row = records::fetch(&mut c.conn(), &self.keys, &self.pack, id).await?;
        records::check_visible(a, &row)?;
        let kind = self
            .pack
            .ledger(&row.ledger)
            .ok_or_else(|| StoreError::Internal("unknown ledger".into()))?;
        let enabled = kind.co_units.is_some();
        let lead = match row.unit_id {
            Some(u) => names(&mut c.conn(), &[u]).await?.pop(),
            None => None,
        };
        let co_units = names(&mut c.conn(), &row.co_units).await?;
        let rows = c
            .conn()
            .rows(
                "SELECT seq, at, actor_name, data FROM events \
                 WHERE entity = 'record' AND entity_id = $1 AND kind = 'record.opinion' ORDER BY seq",
                &[P::T(id.to_string())],
            )
            .await?;
        let opinions = rows
            .iter()
            .map(|r| {
                let d: Value = serde_json::from_str(&r.t(3)).unwrap_or(Value::Null);
                Opinion {
                    seq: r.i(0),
                    at: r.t(1),
                    unit_id: d["unit"].as_i64().unwrap_or(0),
                    unit_name: d["unit_name"].as_str().unwrap_or_default().to_string(),
                    actor: r.t(2),
                    text: d["text"].as_str().unwrap_or_default().to_string(),
                }
            })
            .collect();
        let my_co_unit = a.co_unit_of(&row.scope());
        Ok(CoUnitsView {
            record_id: id,
            enabled,
            lead,
            co_units,
            opinions,
            may_set: may_set(a, kind, &row),
            may_opine: enabled && my_co_unit.is_some() && !row.closed && !row.voided,
            my_co_unit,
        })
    }

    /// Sets the 协办 units of record `id` to `units` (the whole set; an empty
    /// list removes them all): an event `record.co_units`, and a notice to the
    /// users of each unit added. Nothing changes, and no event, when the set is
    /// the same.
    pub async fn set_co_units(&self, a: &Access, id: i64, units: Vec<i64>) -> Result<RecordRow, StoreError> {
        record(
            self.writer
                .send(Cmd::CoUnits {
                    actor: a.clone(),
                    id,
                    units,
                })
                .await?,
        )
    }

    /// Adds `a`'s 协办意见 on record `id` (`a` a clerk or head of one of its 协办
    /// units): an event `record.opinion`, and a notice to the responsible
    /// unit's handlers.
    pub async fn add_opinion(&self, a: &Access, id: i64, text: &str) -> Result<RecordRow, StoreError> {
        record(
            self.writer
                .send(Cmd::Opinion {
                    actor: a.clone(),
                    id,
                    text: text.into(),
                })
                .await?,
        )
    }

    /// The open records of which `a`'s unit is a 协办 unit and has given no
    /// 协办意见 yet (for its 我的待办), newest first, at most `limit`.
    pub async fn awaiting_opinion(&self, a: &Access, limit: i64) -> Result<Vec<RecordView>, StoreError> {
        let Some(unit) = a.unit.filter(|_| matches!(a.role, Role::UnitClerk | Role::UnitHead)) else {
            return Ok(vec![]);
        };
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                &format!(
                    "SELECT {} FROM records WHERE id IN (SELECT record_id FROM record_co_units WHERE unit_id = $1) \
                     AND closed = $2 AND voided = $2 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.entity = 'record' \
                     AND e.entity_id = CAST(records.id AS TEXT) AND e.kind = 'record.opinion' AND e.actor IN \
                     (SELECT id FROM users WHERE unit_id = $1)) ORDER BY id DESC LIMIT {}",
                    records::COLS,
                    limit.clamp(1, 500)
                ),
                &[P::I(unit), P::B(false)],
            )
            .await?;
        drop(c);
        let mut out = Vec::new();
        for r in rows {
            let mut row = self.open_row(&r);
            row.co_units = vec![unit];
            if a.sees(&row.scope()) {
                out.push(self.view(a, row)?);
            }
        }
        Ok(out)
    }
}
