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
use lvzhi_core::field::FieldRole;
use lvzhi_core::ledger::{ExtendStep, Fields, LedgerKind, TransitionDef};
use lvzhi_core::time::{date_cn, stamp};
use serde::Serialize;

/// One notice as its reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Id.
    pub id: i64,
    /// `assign` (交办/转办 and other steps handed to a unit), `return` (退回),
    /// `urge` (催办), `due_soon` (临期), `overdue` (超期), `escalate` (超期升级),
    /// `extend` (延期申请 and its decision), `progress` (签收, 答复, 受理 …),
    /// `closed` (a step that closed the record), `ballot` (a 民主测评 opened, to its subjects).
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

/// Every kind of notice written (the channels' kind filter offers these;
/// each has its own label in [`kind_label`]).
pub const KINDS: &[&str] = &[
    "assign", "return", "urge", "due_soon", "overdue", "escalate", "extend", "progress", "closed", "ballot", "digest",
    "co_unit", "opinion",
];

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
        "progress" => "进展",
        "closed" => "办结",
        "ballot" => "测评",
        "digest" => "每日提醒",
        "co_unit" => "协办",
        "opinion" => "协办意见",
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
    debug_assert!(KINDS.contains(&kind), "notice kind {kind} missing from notices::KINDS");
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

/// "，办理时限2026年12月25日" — or the state's own time limit (签收时限) when that is the one in force.
fn deadline_text(kind: &LedgerKind, r: &RecordRow) -> String {
    let Some(d) = r.deadline.as_deref().and_then(|d| d.parse::<jiff::civil::Date>().ok()) else {
        return String::new();
    };
    let field = kind
        .role_field(FieldRole::Deadline)
        .and_then(|f| date_of(&r.fields, &f.key));
    if field.is_some_and(|f| f != d) {
        format!(
            "，本环节时限{}（办理时限{}）",
            date_cn(d),
            field.map(date_cn).unwrap_or_default()
        )
    } else {
        format!("，办理时限{}", date_cn(d))
    }
}

/// Whether a unit's users can take a step from `state` (the unit has work to do there).
fn unit_acts_in(kind: &LedgerKind, state: &str) -> bool {
    kind.workflow.as_ref().is_some_and(|w| {
        w.transitions.iter().any(|t| {
            t.from.iter().any(|f| f == state) && t.roles.iter().any(|r| matches!(r, Role::UnitClerk | Role::UnitHead))
        })
    })
}

/// A record as it was before a step (what its notices compare with).
pub(crate) struct Before {
    /// The responsible unit.
    pub(crate) unit: Option<i64>,
    /// The field values.
    pub(crate) fields: Fields,
}

/// Who handles a record for `unit`: its 承办人 when one is set and is an
/// active user of that unit (migration 0023), else the unit's clerks and heads.
pub(crate) async fn handlers(conn: &mut Conn<'_>, record: i64, unit: i64) -> Result<Vec<i64>, StoreError> {
    let rows = conn
        .rows(
            "SELECT u.id FROM record_assignees ra JOIN users u ON u.id = ra.user_id \
             WHERE ra.record_id = $1 AND u.unit_id = $2 AND u.disabled = $3",
            &[P::I(record), P::I(unit), P::B(false)],
        )
        .await?;
    if rows.is_empty() {
        unit_users(conn, unit).await
    } else {
        Ok(rows.iter().map(|r| r.i(0)).collect())
    }
}

/// Who handed the record over to the actor's unit: the office (or admin, or
/// leader) user who last moved it (交办), else whoever outside the unit last
/// moved it (another unit's 转办), else its creator.
async fn handed_over_by(conn: &mut Conn<'_>, actor: &Access, r: &RecordRow) -> Result<Option<i64>, StoreError> {
    let row = conn
        .row(
            "SELECT e.actor FROM events e JOIN users u ON u.id = e.actor WHERE e.entity = 'record' \
             AND e.entity_id = $1 AND e.kind = 'record.transition' AND e.actor <> $2 \
             AND (u.unit_id IS NULL OR u.unit_id <> $3) \
             ORDER BY CASE WHEN u.role IN ('office', 'admin', 'leader') THEN 0 ELSE 1 END, e.seq DESC LIMIT 1",
            &[
                P::T(r.id.to_string()),
                P::I(actor.user_id),
                P::I(actor.unit.unwrap_or(-1)),
            ],
        )
        .await?;
    Ok(row.and_then(|x| x.oi(0)).or(r.created_by))
}

/// The actor of the step that led the record into its state before this step
/// (the 延期申请 an approval decides).
async fn requested_by(conn: &mut Conn<'_>, r: &RecordRow) -> Result<Option<i64>, StoreError> {
    let row = conn
        .row(
            "SELECT e.actor FROM events e WHERE e.entity = 'record' AND e.entity_id = $1 \
             AND e.kind = 'record.transition' AND e.seq < $2 ORDER BY e.seq DESC LIMIT 1",
            &[P::T(r.id.to_string()), P::I(r.last_event)],
        )
        .await?;
    Ok(row.and_then(|x| x.oi(0)))
}

/// The active unit heads of a unit.
async fn unit_heads(conn: &mut Conn<'_>, unit: i64) -> Result<Vec<i64>, StoreError> {
    unit_role_users(conn, unit, "unit_head").await
}

fn date_of(fields: &Fields, key: &str) -> Option<jiff::civil::Date> {
    fields.get(key).and_then(|v| v.as_str()).and_then(|s| s.parse().ok())
}

/// The notices of a transition, in the writer's transaction (each to its
/// recipients but never to the actor):
/// - a 延期 step: the request → the unit's heads (when they may decide) and
///   whoever handed the record over; the decision → the applicant, the record's
///   handlers and whoever handed it over (kind `extend`);
/// - a record handed to a unit (交办, 转办, a 回访 that reopens it — any step by
///   someone outside the unit into a state where the unit acts) → the record's
///   handlers: its 承办人, else the unit's users (`assign`);
/// - a step taken by the unit → whoever handed it over (`return` for a step
///   with a reason such as 退回, else `progress`: 签收, 答复);
/// - any other step by someone outside the unit (受理, the closing 回访) → the
///   handlers and the record's creator (`progress`, `closed` in a final state).
pub(crate) async fn after_transition(
    conn: &mut Conn<'_>,
    kind: &LedgerKind,
    actor: &Access,
    t: &TransitionDef,
    reason: Option<&str>,
    before: &Before,
    new: &RecordRow,
) -> Result<(), StoreError> {
    let at = new.updated_at.clone();
    let why = reason.map(|r| format!("原因：{r}")).unwrap_or_default();
    let title = format!("{}：{}", t.name, new.title);
    let in_unit = actor.unit.is_some() && (actor.unit == before.unit || actor.unit == new.unit_id);
    let branch = t
        .branch
        .as_ref()
        .and_then(|b| Some((kind.field(&b.field)?, new.fields.get(&b.field)?.as_str()?)))
        .map(|(f, v)| format!("（{}：{v}）", f.label))
        .unwrap_or_default();
    let (users, k, body) =
        if let (Some(step), Some(x), Some(df)) = (t.extend, &kind.extension, kind.role_field(FieldRole::Deadline)) {
            let cn = |d: Option<jiff::civil::Date>| d.map(date_cn).unwrap_or_default();
            let old_due = cn(date_of(&before.fields, &df.key));
            let mut users = Vec::new();
            let body = match step {
                ExtendStep::Request => {
                    let may_decide = kind.workflow.as_ref().is_some_and(|w| {
                        w.transitions.iter().any(|d| {
                            d.extend == Some(ExtendStep::Approve)
                                && d.from.contains(&new.state)
                                && d.roles.contains(&Role::UnitHead)
                        })
                    });
                    if let (true, Some(u)) = (may_decide, new.unit_id) {
                        users.extend(unit_heads(conn, u).await?);
                    }
                    format!(
                        "{}申请将{}{}的办理时限由{old_due}延至{}，请审批。{why}",
                        actor.username,
                        kind.name,
                        named(new),
                        cn(date_of(&new.fields, &x.field))
                    )
                }
                ExtendStep::Approve => {
                    users.extend(requested_by(conn, new).await?);
                    format!(
                        "{}批准延期：{}{}的办理时限由{old_due}延至{}。{why}",
                        actor.username,
                        kind.name,
                        named(new),
                        cn(date_of(&new.fields, &df.key))
                    )
                }
                ExtendStep::Refuse => {
                    users.extend(requested_by(conn, new).await?);
                    format!(
                        "{}不予延期：{}{}的办理时限仍为{old_due}。{why}",
                        actor.username,
                        kind.name,
                        named(new)
                    )
                }
            };
            if step != ExtendStep::Request
                && let Some(u) = new.unit_id
            {
                users.extend(handlers(conn, new.id, u).await?);
            }
            users.extend(handed_over_by(conn, actor, new).await?);
            (users, "extend", body)
        } else if let Some(u) = new.unit_id
            && actor.unit != Some(u)
            && (before.unit != Some(u) || unit_acts_in(kind, &new.state))
            && !kind.is_final(&new.state)
        {
            let users = handlers(conn, new.id, u).await?;
            let from = if t.transfer && before.unit.is_some() && before.unit != Some(u) {
                "（由原责任单位转来）"
            } else if t.branch.is_some() && new.state != t.to {
                // A 回访 that found the result wanting: the case is handled again.
                "，请重新办理"
            } else {
                ""
            };
            let body = format!(
                "{}执行“{}”{branch}：{}{}由本单位办理{from}，当前状态“{}”{}。{why}",
                actor.username,
                t.name,
                kind.name,
                named(new),
                new.state,
                deadline_text(kind, new)
            );
            (users, "assign", body)
        } else if in_unit {
            let to: Vec<i64> = handed_over_by(conn, actor, new).await?.into_iter().collect();
            let k = if t.reason { "return" } else { "progress" };
            let body = format!(
                "{}对{}{}执行了“{}”，当前状态“{}”{}。{why}",
                actor.username,
                kind.name,
                named(new),
                t.name,
                new.state,
                deadline_text(kind, new)
            );
            (to, k, body)
        } else {
            let mut users = match new.unit_id {
                Some(u) => handlers(conn, new.id, u).await?,
                None => Vec::new(),
            };
            users.extend(new.created_by);
            let closed = kind.is_final(&new.state);
            let body = format!(
                "{}执行“{}”{branch}：{}{}当前状态“{}”{}。{why}",
                actor.username,
                t.name,
                kind.name,
                named(new),
                new.state,
                if closed {
                    "，已办结".to_string()
                } else {
                    deadline_text(kind, new)
                }
            );
            (users, if closed { "closed" } else { "progress" }, body)
        };
    write(
        conn,
        &users,
        actor.user_id,
        k,
        Some(new.id),
        &title,
        &body,
        &actor.username,
        &at,
        None,
    )
    .await?;
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
    let users = handlers(conn, r.id, u).await?;
    let title = format!("催办：{}", r.title);
    let mut body = format!(
        "{}催办{}{}（第{}次）{}。",
        actor.username,
        kind.name,
        named(r),
        r.urge_count,
        deadline_text(kind, r)
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
    /// head, the 分管领导; once per item and deadline — a case reopened or
    /// extended with a new 办理时限 escalates again when that one passes too,
    /// key `escalate_head:<record>:<deadline>:<user>`). Each notice has a unique key, so
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
                let users = handlers(&mut c.conn(), r.id, unit).await?;
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
                        key: format!("escalate_head:{}:{due}", r.id),
                    });
                }
                if level(kind.deadline.escalate_leader) {
                    planned.push(Planned {
                        users: overseers(&mut c.conn(), unit).await?,
                        kind: "escalate",
                        record: r.id,
                        title: format!("超期升级：{}", r.title),
                        body: format!("{body}（超期{over}{}，报分管领导）", kind.deadline.unit()),
                        key: format!("escalate_leader:{}:{due}", r.id),
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

impl Store {
    /// The open records escalated to the signed-in leader: overdue past the
    /// pack's `escalate_leader` days in a unit she oversees (分管), as
    /// [`Store::scan_deadlines`] wrote them to her inbox for the record's
    /// current deadline (not one a 延期 or 重新办理 replaced) — most overdue first,
    /// at most `limit`. Empty for anyone but a leader.
    pub async fn escalated_to_me(&self, a: &Access, limit: i64) -> Result<Vec<crate::records::RecordView>, StoreError> {
        if a.role != Role::Leader {
            return Ok(Vec::new());
        }
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                "SELECT r.id FROM records r WHERE r.closed = $1 AND r.voided = $1 AND r.id IN \
                 (SELECT n.record_id FROM notices n WHERE n.user_id = $2 AND n.kind = 'escalate' \
                 AND n.day_key LIKE 'escalate_leader:' || CAST(r.id AS TEXT) || ':' || r.deadline || ':%') \
                 ORDER BY r.deadline, r.id LIMIT $3",
                &[P::B(false), P::I(a.user_id), P::I(limit.clamp(1, 200))],
            )
            .await?;
        drop(c);
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            match self.record(a, r.i(0)).await {
                Ok(v) => out.push(v),
                // Moved out of her reach since: not hers to see.
                Err(StoreError::NotFound(_) | StoreError::Forbidden(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// Someone a notice of the escalation chain went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Told {
    /// The user's login name.
    pub username: String,
    /// The user's display name (the login name when it has none).
    pub name: String,
    /// When the first notice of this step reached them (UTC, RFC 3339).
    pub at: String,
    /// When they first read one (`None`: unread).
    pub read_at: Option<String>,
}

/// One step of the escalation chain: who was told, first when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChainStep {
    /// When the step's first notice was written (`None`: not yet).
    pub at: Option<String>,
    /// Its recipients, in the order they were told.
    pub to: Vec<Told>,
}

impl ChainStep {
    /// How many of the recipients have read it.
    pub fn read(&self) -> usize {
        self.to.iter().filter(|t| t.read_at.is_some()).count()
    }
}

/// An escalated item as the 督查室 follows it (see [`Store::escalation_chain`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainItem {
    /// Record id.
    pub id: i64,
    /// Ledger key.
    pub ledger: String,
    /// Ledger name.
    pub ledger_name: String,
    /// Record number (隐患〔2026〕第12号), when the ledger numbers its records.
    pub number: Option<String>,
    /// Title.
    pub title: String,
    /// Current state.
    pub state: String,
    /// Responsible unit id.
    pub unit_id: i64,
    /// Responsible unit's name.
    pub unit: String,
    /// The deadline in force (`YYYY-MM-DD`).
    pub deadline: String,
    /// Days past it, in the ledger's count.
    pub days_overdue: i32,
    /// The unit of those days (天 or 个工作日).
    pub day_unit: String,
    /// The ledger's `escalate_head` days (`None`: no such step).
    pub escalate_head: Option<i32>,
    /// The ledger's `escalate_leader` days.
    pub escalate_leader: Option<i32>,
    /// 超期 notices to the unit's handlers since the deadline passed.
    pub unit_told: ChainStep,
    /// The escalation to the unit's head(s) for this deadline.
    pub head: ChainStep,
    /// The escalation to the 分管领导 for this deadline.
    pub leader: ChainStep,
    /// 催办 of the record so far (all time).
    pub urged: i64,
    /// The latest 催办's notices to the unit.
    pub last_urge: ChainStep,
}

/// Collects notices (`(user, name, created_at, read_at)`, oldest first) into a step.
fn step_of(notices: &[(String, String, String, Option<String>)]) -> ChainStep {
    let mut s = ChainStep::default();
    for (user, name, at, read) in notices {
        if s.at.is_none() {
            s.at = Some(at.clone());
        }
        match s.to.iter_mut().find(|t| &t.username == user) {
            Some(t) => {
                if t.read_at.is_none() {
                    t.read_at.clone_from(read);
                }
            }
            None => s.to.push(Told {
                username: user.clone(),
                name: if name.is_empty() { user.clone() } else { name.clone() },
                at: at.clone(),
                read_at: read.clone(),
            }),
        }
    }
    s
}

impl Store {
    /// The escalation chain for the 督查室 (政府办 and the admin; others are
    /// refused): every open item overdue at least the pack's first escalation
    /// step (`[deadline] escalate_head`, else `escalate_leader`, in the
    /// ledger's day count) — with, for its current deadline, when its unit was
    /// told (the daily 超期 notices), when its head and its 分管领导 were
    /// escalated to (by [`Store::scan_deadlines`]), the 催办 so far and who
    /// has read which notice. Filtered by ledger (one with escalation steps,
    /// else not found) and unit; most overdue first.
    pub async fn escalation_chain(
        &self,
        a: &Access,
        ledger: Option<&str>,
        unit: Option<i64>,
    ) -> Result<Vec<ChainItem>, StoreError> {
        if !matches!(a.role, Role::Office | Role::Admin) {
            return Err(StoreError::Forbidden(
                "只有政府办（督查室）和系统管理员可以查看超期升级情况".into(),
            ));
        }
        let kinds: Vec<&LedgerKind> = self
            .pack
            .ledgers
            .iter()
            .filter(|k| k.workflow.is_some())
            .filter(|k| k.deadline.escalate_head.is_some() || k.deadline.escalate_leader.is_some())
            .filter(|k| ledger.is_none_or(|l| l == k.key))
            .collect();
        if let Some(l) = ledger
            && kinds.is_empty()
        {
            return Err(StoreError::NotFound(format!("台账“{l}”不存在或没有超期升级规则")));
        }
        let today = lvzhi_core::time::local_date(self.now());
        let cal = self.fresh_calendar().await?;
        let units: std::collections::BTreeMap<i64, String> =
            self.units().await?.into_iter().map(|u| (u.id, u.name)).collect();
        let mut c = self.pool.acquire().await?;
        let mut out = Vec::new();
        for kind in kinds {
            let first = [kind.deadline.escalate_head, kind.deadline.escalate_leader]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(i32::MAX);
            let mut params = vec![P::T(kind.key.clone()), P::B(false), P::T(today.to_string())];
            let by_unit = match unit {
                Some(u) => {
                    params.push(P::I(u));
                    " AND unit_id = $4"
                }
                None => "",
            };
            let sql = format!(
                "SELECT {} FROM records WHERE ledger = $1 AND closed = $2 AND voided = $2 \
                 AND deadline IS NOT NULL AND deadline < $3 AND unit_id IS NOT NULL{by_unit} ORDER BY id",
                crate::records::COLS
            );
            let rows = c.conn().rows(&sql, &params).await?;
            for r in rows.iter().map(RecordRow::from_row) {
                let (Some(unit_id), Some(due)) = (r.unit_id, r.deadline.clone()) else {
                    continue;
                };
                let Ok(due_date) = due.parse::<jiff::civil::Date>() else {
                    continue;
                };
                let Ok(over) = kind.deadline.days_overdue(&cal, due_date, today) else {
                    continue;
                };
                if over < first || crate::records::check_visible(a, &r).is_err() {
                    continue;
                }
                let notices = c
                    .conn()
                    .rows(
                        "SELECT n.kind, n.day_key, n.created_at, n.read_at, u.username, u.display_name \
                         FROM notices n JOIN users u ON u.id = n.user_id \
                         WHERE n.record_id = $1 AND n.kind IN ('overdue', 'escalate', 'urge') ORDER BY n.id",
                        &[P::I(r.id)],
                    )
                    .await?;
                type N = (String, String, String, Option<String>);
                let (mut told, mut head, mut leader, mut urges): (Vec<N>, Vec<N>, Vec<N>, Vec<N>) = Default::default();
                let head_key = format!("escalate_head:{}:{due}:", r.id);
                let leader_key = format!("escalate_leader:{}:{due}:", r.id);
                for n in &notices {
                    let key = n.ot(1).unwrap_or_default();
                    let item = (n.t(4), n.ot(5).unwrap_or_default(), n.t(2), n.ot(3));
                    match n.t(0).as_str() {
                        // overdue:<record>:<day>:<user> — the days after this deadline.
                        "overdue" => {
                            let day = key.split(':').nth(2).unwrap_or_default();
                            if day > due.as_str() {
                                told.push(item);
                            }
                        }
                        "escalate" if key.starts_with(&head_key) => head.push(item),
                        "escalate" if key.starts_with(&leader_key) => leader.push(item),
                        "urge" => {
                            // Only the latest 催办's notices (written in one transaction, one stamp).
                            if urges.last().is_some_and(|u: &N| u.2 != item.2) {
                                urges.clear();
                            }
                            urges.push(item);
                        }
                        _ => {}
                    }
                }
                out.push(ChainItem {
                    id: r.id,
                    ledger: kind.key.clone(),
                    ledger_name: kind.name.clone(),
                    number: r.number.clone(),
                    title: r.title.clone(),
                    state: r.state.clone(),
                    unit_id,
                    unit: units.get(&unit_id).cloned().unwrap_or_else(|| format!("单位{unit_id}")),
                    deadline: due,
                    days_overdue: over,
                    day_unit: kind.deadline.unit().to_string(),
                    escalate_head: kind.deadline.escalate_head,
                    escalate_leader: kind.deadline.escalate_leader,
                    unit_told: step_of(&told),
                    head: step_of(&head),
                    leader: step_of(&leader),
                    urged: r.urge_count,
                    last_urge: step_of(&urges),
                });
            }
        }
        out.sort_by(|x, y| y.days_overdue.cmp(&x.days_overdue).then(x.id.cmp(&y.id)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_kind_has_its_own_label() {
        let mut labels = std::collections::BTreeSet::new();
        for k in super::KINDS {
            let l = super::kind_label(k);
            assert_ne!(l, "通知", "{k} has no label");
            assert!(labels.insert(l), "{k}: label {l} used twice");
        }
    }
}
