//! 站内信: every user's inbox (migration 0019).
//!
//! A change that concerns someone writes their notice in the writer, in the
//! same transaction as the change ([`after_transition`], [`after_urge`]): the
//! notice exists exactly when the change does. The daily 临期/超期 notices and
//! the escalations are written by [`Store::scan_deadlines`] with a unique
//! `day_key` (kind:record:day:user) and `ON CONFLICT DO NOTHING`, so they are
//! written once per item, person and day however many servers scan one database.

use crate::db::{Conn, P, Row};
use crate::records::RecordRow;
use crate::writer::Cmd;
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::ledger::{LedgerKind, TransitionDef};
use lvzhi_core::time::{date_cn, stamp};
use serde::Serialize;

/// One notice as its reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Id.
    pub id: i64,
    /// `assign` (交办/转办 and other steps handed to a unit), `return` (退回),
    /// `urge` (催办), `due_soon` (临期), `overdue` (超期), `escalate` (超期升级).
    pub kind: String,
    /// The record it is about.
    pub record_id: Option<i64>,
    /// One line.
    pub title: String,
    /// The message.
    pub body: String,
    /// Who made the change (empty for the daily reminders).
    pub actor_name: String,
    /// When (UTC, RFC 3339).
    pub created_at: String,
    /// When its reader marked it read.
    pub read_at: Option<String>,
}

impl Notice {
    fn from_row(r: &Row) -> Notice {
        Notice {
            id: r.i(0),
            kind: r.t(1),
            record_id: r.oi(2),
            title: r.t(3),
            body: r.t(4),
            actor_name: r.t(5),
            created_at: r.t(6),
            read_at: r.ot(7),
        }
    }

    /// The kind as a reader reads it.
    pub fn kind_label(&self) -> &'static str {
        kind_label(&self.kind)
    }
}

/// A kind of notice as a reader reads it.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "assign" => "交办",
        "return" => "退回",
        "urge" => "催办",
        "due_soon" => "临期",
        "overdue" => "超期",
        "escalate" => "超期升级",
        "extend" => "延期",
        "digest" => "每日提醒",
        _ => "通知",
    }
}

const COLS: &str = "id, kind, record_id, title, body, actor_name, created_at, read_at";

/// The users who handle a unit's items: its active clerks and heads.
pub(crate) async fn unit_users(conn: &mut Conn<'_>, unit: i64) -> Result<Vec<i64>, StoreError> {
    let rows = conn
        .rows(
            "SELECT id FROM users WHERE unit_id = $1 AND role IN ('unit_clerk', 'unit_head') AND disabled = $2 ORDER BY id",
            &[P::I(unit), P::B(false)],
        )
        .await?;
    Ok(rows.iter().map(|r| r.i(0)).collect())
}

/// Writes one notice to each of `users` (none twice; never to `skip`, the
/// actor). With a `day_key`, a notice already written under the same key for
/// that user is left alone.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write(
    conn: &mut Conn<'_>,
    users: &[i64],
    skip: i64,
    kind: &str,
    record: Option<i64>,
    title: &str,
    body: &str,
    actor_name: &str,
    at: &str,
    day_key: Option<&str>,
) -> Result<u64, StoreError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut n = 0;
    for &u in users {
        if u == skip || !seen.insert(u) {
            continue;
        }
        n += conn
            .exec(
                "INSERT INTO notices (user_id, kind, record_id, title, body, actor_name, created_at, day_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (day_key) DO NOTHING",
                &[
                    P::I(u),
                    P::T(kind.into()),
                    P::OI(record),
                    P::T(title.into()),
                    P::T(body.into()),
                    P::T(actor_name.into()),
                    P::T(at.into()),
                    P::OT(day_key.map(|k| format!("{k}:{u}"))),
                ],
            )
            .await?;
    }
    Ok(n)
}

/// "信访〔2026〕12号“拖欠工程款”" — how a notice names its record.
fn named(r: &RecordRow) -> String {
    match &r.number {
        Some(n) => format!("{n}“{}”", r.title),
        None => format!("“{}”", r.title),
    }
}

fn deadline_text(r: &RecordRow) -> String {
    r.deadline
        .as_deref()
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .map(|d| format!("，办理时限{}", date_cn(d)))
        .unwrap_or_default()
}

/// Whether a unit's users can take a step from `state` (the unit has work to do there).
fn unit_acts_in(kind: &LedgerKind, state: &str) -> bool {
    kind.workflow.as_ref().is_some_and(|w| {
        w.transitions.iter().any(|t| {
            t.from.iter().any(|f| f == state) && t.roles.iter().any(|r| matches!(r, Role::UnitClerk | Role::UnitHead))
        })
    })
}

/// The notices of a transition, in the writer's transaction: a record handed
/// to a unit (交办, 转办, 重新办理 — any step by someone outside the unit into a
/// state where the unit acts) tells the unit's users; a step with a reason
/// taken by the unit (退回) tells whoever handed it over.
pub(crate) async fn after_transition(
    conn: &mut Conn<'_>,
    kind: &LedgerKind,
    actor: &Access,
    t: &TransitionDef,
    reason: Option<&str>,
    old_unit: Option<i64>,
    new: &RecordRow,
) -> Result<(), StoreError> {
    let at = new.updated_at.clone();
    let why = reason.map(|r| format!("原因：{r}")).unwrap_or_default();
    let unit_actor = matches!(actor.role, Role::UnitClerk | Role::UnitHead);
    if let Some(u) = new.unit_id
        && actor.unit != Some(u)
        && (old_unit != Some(u) || unit_acts_in(kind, &new.state))
        && !kind.is_final(&new.state)
    {
        let users = unit_users(conn, u).await?;
        let title = format!("{}：{}", t.name, new.title);
        let mut body = format!(
            "{}执行“{}”：{}{}由本单位办理，当前状态“{}”{}。",
            actor.username,
            t.name,
            kind.name,
            named(new),
            new.state,
            deadline_text(new)
        );
        if !why.is_empty() {
            body.push_str(&why);
        }
        write(
            conn,
            &users,
            actor.user_id,
            "assign",
            Some(new.id),
            &title,
            &body,
            &actor.username,
            &at,
            None,
        )
        .await?;
    } else if unit_actor && t.reason {
        // Whoever outside the unit last moved the record (the 交办 by the office), else its creator.
        let row = conn
            .row(
                "SELECT e.actor FROM events e WHERE e.entity = 'record' AND e.entity_id = $1 \
                 AND e.kind = 'record.transition' AND e.actor IS NOT NULL AND e.actor <> $2 \
                 AND e.actor NOT IN (SELECT id FROM users WHERE unit_id = $3) ORDER BY e.seq DESC LIMIT 1",
                &[
                    P::T(new.id.to_string()),
                    P::I(actor.user_id),
                    P::I(actor.unit.unwrap_or(-1)),
                ],
            )
            .await?;
        let to = row.and_then(|r| r.oi(0)).or(new.created_by);
        if let Some(to) = to {
            let title = format!("{}：{}", t.name, new.title);
            let body = format!(
                "{}对{}{}执行了“{}”，当前状态“{}”。{why}",
                actor.username,
                kind.name,
                named(new),
                t.name,
                new.state
            );
            write(
                conn,
                &[to],
                actor.user_id,
                "return",
                Some(new.id),
                &title,
                &body,
                &actor.username,
                &at,
                None,
            )
            .await?;
        }
    }
    Ok(())
}

/// The notice of a 催办, in the writer's transaction: the responsible unit's users.
pub(crate) async fn after_urge(
    conn: &mut Conn<'_>,
    kind: &LedgerKind,
    actor: &Access,
    r: &RecordRow,
    note: &str,
    at: &str,
) -> Result<(), StoreError> {
    let Some(u) = r.unit_id else {
        return Ok(());
    };
    let users = unit_users(conn, u).await?;
    let title = format!("催办：{}", r.title);
    let mut body = format!(
        "{}催办{}{}（第{}次）{}。",
        actor.username,
        kind.name,
        named(r),
        r.urge_count,
        deadline_text(r)
    );
    let note = note.trim();
    if !note.is_empty() {
        body.push_str(&format!("催办意见：{note}"));
    }
    write(
        conn,
        &users,
        actor.user_id,
        "urge",
        Some(r.id),
        &title,
        &body,
        &actor.username,
        at,
        None,
    )
    .await?;
    Ok(())
}

impl Store {
    /// The newest notices of the signed-in user (`unread`: only those not
    /// read), at most `limit`, older than `before` when given.
    pub async fn notices(
        &self,
        a: &Access,
        unread: bool,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<Notice>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let filter = if unread { " AND read_at IS NULL" } else { "" };
        let rows = c
            .conn()
            .rows(
                &format!("SELECT {COLS} FROM notices WHERE user_id = $1 AND id < $2{filter} ORDER BY id DESC LIMIT $3"),
                &[
                    P::I(a.user_id),
                    P::I(before.unwrap_or(i64::MAX)),
                    P::I(limit.clamp(1, 500)),
                ],
            )
            .await?;
        Ok(rows.iter().map(Notice::from_row).collect())
    }

    /// How many notices of the user are unread.
    pub async fn unread_notices(&self, a: &Access) -> Result<i64, StoreError> {
        let mut c = self.pool.acquire().await?;
        let row = c
            .conn()
            .row(
                "SELECT COUNT(*) FROM notices WHERE user_id = $1 AND read_at IS NULL",
                &[P::I(a.user_id)],
            )
            .await?;
        Ok(row.map(|r| r.i(0)).unwrap_or(0))
    }

    /// Marks one notice of the user read (`Some(id)`), or all of them
    /// (`None`). Returns how many were unread. Another user's notice is not found.
    pub async fn mark_notices_read(&self, a: &Access, id: Option<i64>) -> Result<u64, StoreError> {
        let now = stamp(self.now());
        let (sql, params) = match id {
            Some(id) => (
                "UPDATE notices SET read_at = $1 WHERE user_id = $2 AND id = $3 AND read_at IS NULL",
                vec![P::T(now), P::I(a.user_id), P::I(id)],
            ),
            None => (
                "UPDATE notices SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
                vec![P::T(now), P::I(a.user_id)],
            ),
        };
        if let Some(id) = id {
            let mut c = self.pool.acquire().await?;
            let mine = c
                .conn()
                .row(
                    "SELECT 1 FROM notices WHERE id = $1 AND user_id = $2",
                    &[P::I(id), P::I(a.user_id)],
                )
                .await?;
            if mine.is_none() {
                return Err(StoreError::NotFound("没有这条消息".into()));
            }
        }
        let n = self
            .writer
            .send(Cmd::Quiet {
                statements: vec![(sql.to_string(), params)],
            })
            .await?;
        Ok(match n {
            crate::writer::Out::Ids(v) => v.first().copied().unwrap_or(0).max(0) as u64,
            _ => 0,
        })
    }
}

/// What one scan of deadlines wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scan {
    /// 临期 notices written (not written before today).
    pub due_soon: u64,
    /// 超期 notices written.
    pub overdue: u64,
    /// Escalations to unit heads and 分管领导 written (each once per item).
    pub escalated: u64,
}

/// The active users of a unit with one role.
async fn unit_role_users(conn: &mut Conn<'_>, unit: i64, role: &str) -> Result<Vec<i64>, StoreError> {
    let rows = conn
        .rows(
            "SELECT id FROM users WHERE unit_id = $1 AND role = $2 AND disabled = $3 ORDER BY id",
            &[P::I(unit), P::T(role.into()), P::B(false)],
        )
        .await?;
    Ok(rows.iter().map(|r| r.i(0)).collect())
}

/// The active leader users who oversee (分管) a unit.
pub(crate) async fn overseers(conn: &mut Conn<'_>, unit: i64) -> Result<Vec<i64>, StoreError> {
    let rows = conn
        .rows(
            "SELECT u.id FROM users u JOIN oversight o ON o.person_id = u.person_id \
             WHERE o.unit_id = $1 AND u.role = 'leader' AND u.disabled = $2 ORDER BY u.id",
            &[P::I(unit), P::B(false)],
        )
        .await?;
    Ok(rows.iter().map(|r| r.i(0)).collect())
}

/// One notice to write in a scan.
struct Planned {
    users: Vec<i64>,
    kind: &'static str,
    record: i64,
    title: String,
    body: String,
    key: String,
}

impl Store {
    /// Writes today's 临期 and 超期 notices to the users of each open item's
    /// responsible unit, and the escalations the pack asks for (`[deadline]
    /// escalate_head`, `escalate_leader`: overdue that many days → the unit's
    /// head, the 分管领导; once per item). Each notice has a unique key, so
    /// running this again — on this server or another on the same database —
    /// writes nothing twice. A ledger whose calendar lacks a year is skipped
    /// (its pages say so).
    pub async fn scan_deadlines(&self) -> Result<Scan, StoreError> {
        let today = lvzhi_core::time::local_date(self.now());
        let cal = self.fresh_calendar().await?;
        let mut planned = Vec::new();
        let mut c = self.pool.acquire().await?;
        for kind in &self.pack.ledgers {
            if kind.workflow.is_none() {
                continue;
            }
            let Ok(until) = kind.deadline.yellow_until(&cal, today) else {
                continue;
            };
            let sql = format!(
                "SELECT {} FROM records WHERE ledger = $1 AND closed = $2 AND voided = $2 \
                 AND deadline IS NOT NULL AND deadline <= $3 AND unit_id IS NOT NULL ORDER BY id",
                crate::records::COLS
            );
            let rows = c
                .conn()
                .rows(&sql, &[P::T(kind.key.clone()), P::B(false), P::T(until.to_string())])
                .await?;
            for r in rows.iter().map(RecordRow::from_row) {
                let (Some(unit), Some(due)) = (r.unit_id, r.deadline.as_deref().and_then(|d| d.parse().ok())) else {
                    continue;
                };
                let users = unit_users(&mut c.conn(), unit).await?;
                let over = kind.deadline.days_overdue(&cal, due, today).unwrap_or(0);
                let (k, title, body) = if due < today {
                    (
                        "overdue",
                        format!("超期：{}", r.title),
                        format!(
                            "{}{}已超过办理时限{}（{}），已超期{over}{}，请抓紧办理。",
                            kind.name,
                            named(&r),
                            date_cn(due),
                            r.state,
                            kind.deadline.unit()
                        ),
                    )
                } else {
                    (
                        "due_soon",
                        format!("临期：{}", r.title),
                        format!(
                            "{}{}将于{}到期（{}），请按时办结。",
                            kind.name,
                            named(&r),
                            date_cn(due),
                            r.state
                        ),
                    )
                };
                planned.push(Planned {
                    users,
                    kind: k,
                    record: r.id,
                    title,
                    body: body.clone(),
                    key: format!("{k}:{}:{today}", r.id),
                });
                let level = |n: Option<i32>| n.is_some_and(|n| due < today && over >= n);
                if level(kind.deadline.escalate_head) {
                    planned.push(Planned {
                        users: unit_role_users(&mut c.conn(), unit, "unit_head").await?,
                        kind: "escalate",
                        record: r.id,
                        title: format!("超期升级：{}", r.title),
                        body: format!("{body}（超期{over}{}，报单位负责人）", kind.deadline.unit()),
                        key: format!("escalate_head:{}", r.id),
                    });
                }
                if level(kind.deadline.escalate_leader) {
                    planned.push(Planned {
                        users: overseers(&mut c.conn(), unit).await?,
                        kind: "escalate",
                        record: r.id,
                        title: format!("超期升级：{}", r.title),
                        body: format!("{body}（超期{over}{}，报分管领导）", kind.deadline.unit()),
                        key: format!("escalate_leader:{}", r.id),
                    });
                }
            }
        }
        drop(c);
        let at = stamp(self.now());
        let mut scan = Scan::default();
        // One writer command per 200 notices keeps a transaction short.
        let mut statements = Vec::new();
        let mut kinds = Vec::new();
        for p in planned {
            for u in p.users {
                statements.push((
                    "INSERT INTO notices (user_id, kind, record_id, title, body, actor_name, created_at, day_key) \
                     VALUES ($1, $2, $3, $4, $5, '', $6, $7) ON CONFLICT (day_key) DO NOTHING"
                        .to_string(),
                    vec![
                        P::I(u),
                        P::T(p.kind.into()),
                        P::I(p.record),
                        P::T(p.title.clone()),
                        P::T(p.body.clone()),
                        P::T(at.clone()),
                        P::T(format!("{}:{u}", p.key)),
                    ],
                ));
                kinds.push(p.kind);
            }
        }
        for (chunk, ks) in statements.chunks(200).zip(kinds.chunks(200)) {
            let out = self
                .writer
                .send(Cmd::QuietEach {
                    statements: chunk.to_vec(),
                })
                .await?;
            if let crate::writer::Out::Ids(ns) = out {
                for (n, k) in ns.iter().zip(ks) {
                    let n = u64::try_from(*n).unwrap_or(0);
                    match *k {
                        "overdue" => scan.overdue += n,
                        "due_soon" => scan.due_soon += n,
                        _ => scan.escalated += n,
                    }
                }
            }
        }
        Ok(scan)
    }
}
