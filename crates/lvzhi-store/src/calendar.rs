//! The working-day calendar in the database: the plans the admin loaded
//! (`calendar_years`, one TOML plan a year) over the plans embedded in the
//! core ([`Calendar::embedded`]).
//!
//! The writer reads the table inside its transaction whenever a ledger that
//! counts working days computes a deadline, so a plan loaded by another
//! process counts at once. Readers (warnings on pages) use a copy cached in
//! the [`Store`], refreshed after a load here and at most a minute old.

use crate::db::{Conn, P};
use crate::records::RecordRow;
use crate::writer::{Cmd, Head, Out};
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::calendar::{Calendar, CalendarError, YearPlan};
use lvzhi_core::field::FieldRole;
use lvzhi_core::ledger::{DayCount, Fields, LedgerKind, Pack};
use lvzhi_core::time::{local_date, stamp};
use serde_json::{Value, json};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long readers use a cached calendar before reading the table again.
const FRESH: Duration = Duration::from_secs(60);

impl From<CalendarError> for StoreError {
    fn from(e: CalendarError) -> Self {
        StoreError::BadRequest(e.to_string())
    }
}

/// The calendar cached for readers.
#[derive(Clone)]
pub(crate) struct Cached(Arc<RwLock<(Instant, Arc<Calendar>)>>);

impl Cached {
    pub(crate) fn new(cal: Calendar) -> Cached {
        Cached(Arc::new(RwLock::new((Instant::now(), Arc::new(cal)))))
    }
    fn get(&self) -> (Instant, Arc<Calendar>) {
        match self.0.read() {
            Ok(g) => (g.0, g.1.clone()),
            Err(p) => (p.get_ref().0, p.get_ref().1.clone()),
        }
    }
    fn set(&self, cal: Calendar) {
        let v = (Instant::now(), Arc::new(cal));
        match self.0.write() {
            Ok(mut g) => *g = v,
            Err(p) => *p.into_inner() = v,
        }
    }
}

/// The embedded plans with the stored ones over them.
pub(crate) async fn load(conn: &mut Conn<'_>) -> Result<Calendar, StoreError> {
    let rows = conn
        .rows("SELECT year, plan FROM calendar_years ORDER BY year", &[])
        .await?;
    let mut plans = Vec::new();
    for r in rows {
        let parsed =
            Calendar::parse(&r.t(1)).map_err(|e| StoreError::Internal(format!("calendar_years {}: {e}", r.i(0))))?;
        plans.extend(parsed);
    }
    Ok(Calendar::embedded().with(plans))
}

/// The calendar a ledger's deadlines need: read from the table for a ledger
/// counting working days, none (never consulted) for calendar days.
pub(crate) async fn for_kind(conn: &mut Conn<'_>, kind: &LedgerKind) -> Result<Calendar, StoreError> {
    match kind.deadline.count {
        DayCount::WorkingDays => load(conn).await,
        DayCount::CalendarDays => Ok(Calendar::default()),
    }
}

/// Fills the deadline of an edited record from the pack's default rule when
/// the change leaves it empty and gives what the rule counts from (信访: the
/// 受理日期 set on 受理 starts the 60 working days). Adds it to `changes`.
pub(crate) async fn fill_deadline(
    conn: &mut Conn<'_>,
    kind: &LedgerKind,
    old: &Fields,
    changes: &mut Fields,
    now: jiff::Timestamp,
) -> Result<(), StoreError> {
    let (Some(dd), Some(df)) = (&kind.deadline.default_days, kind.role_field(FieldRole::Deadline)) else {
        return Ok(());
    };
    if dd.from.is_none() {
        return Ok(());
    }
    let mut merged = old.clone();
    for (k, v) in changes.iter() {
        merged.insert(k.clone(), v.clone());
    }
    merged.retain(|_, v| !v.is_null());
    let cal = for_kind(conn, kind).await?;
    if kind.apply_default_deadline(&mut merged, lvzhi_core::time::local_date(now), &cal)?
        && let Some(v) = merged.get(&df.key)
    {
        changes.insert(df.key.clone(), v.clone());
    }
    Ok(())
}

impl Store {
    /// The calendar as readers use it (at most a minute old; see [`Store::fresh_calendar`]).
    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendar.get().1
    }

    /// The calendar, read again from the database when the cached copy is
    /// more than a minute old (another process may have loaded a year).
    pub async fn fresh_calendar(&self) -> Result<Arc<Calendar>, StoreError> {
        let (at, cal) = self.calendar.get();
        if at.elapsed() < FRESH {
            return Ok(cal);
        }
        let mut c = self.pool.acquire().await?;
        let cal = load(&mut c.conn()).await?;
        self.calendar.set(cal);
        Ok(self.calendar())
    }

    /// Loads the plans of a calendar file (admin only): each year replaces the
    /// stored or embedded plan of that year, one event per load. In the same
    /// transaction the open records whose deadlines were counted through a
    /// provisional (暂定) year this load makes official are recomputed.
    pub async fn load_calendar(&self, actor: &Access, text: &str) -> Result<CalendarLoad, StoreError> {
        if actor.role != Role::Admin {
            return Err(StoreError::Forbidden("只有系统管理员可以维护节假日日历".into()));
        }
        let plans = Calendar::parse(text).map_err(StoreError::BadRequest)?;
        if plans.is_empty() {
            return Err(StoreError::BadRequest("日历文件中没有任何年度".into()));
        }
        let years: Vec<i16> = plans.iter().map(|p| p.year).collect();
        let out = self
            .writer
            .send(Cmd::LoadCalendar {
                actor: actor.clone(),
                plans,
            })
            .await?;
        let mut c = self.pool.acquire().await?;
        let cal = load(&mut c.conn()).await?;
        self.calendar.set(cal);
        let (recomputed, changed) = match out {
            Out::Recomputed { checked, changed } => (checked, changed),
            _ => (Vec::new(), Vec::new()),
        };
        Ok(CalendarLoad {
            years,
            recomputed,
            changed,
        })
    }

    /// The plan of one year in force (stored, else embedded), and whether it
    /// was loaded by the admin (false: embedded in the binary).
    pub async fn calendar_plan(&self, year: i16) -> Result<Option<(YearPlan, bool)>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let stored = c
            .conn()
            .row(
                "SELECT plan FROM calendar_years WHERE year = $1",
                &[P::I(i64::from(year))],
            )
            .await?
            .is_some();
        let cal = load(&mut c.conn()).await?;
        self.calendar.set(cal.clone());
        Ok(cal.plan(year).cloned().map(|p| (p, stored)))
    }
}

/// What a calendar load did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarLoad {
    /// The years loaded.
    pub years: Vec<i16>,
    /// Open records whose deadline had been counted through a provisional
    /// year now made official, recomputed by the loaded plan.
    pub recomputed: Vec<i64>,
    /// Those of them whose deadline moved.
    pub changed: Vec<i64>,
}

/// The writer's side of [`Store::load_calendar`]: stores the plans with one
/// `calendar.load` event, then recomputes (see [`recompute`]).
pub(crate) async fn load_and_recompute(
    conn: &mut Conn<'_>,
    head: &mut Head,
    pack: &Pack,
    actor: &Access,
    plans: &[YearPlan],
    now: jiff::Timestamp,
) -> Result<Out, StoreError> {
    let before = load(conn).await?;
    let at = stamp(now);
    for p in plans {
        conn.exec(
            "INSERT INTO calendar_years (year, plan, source, loaded_at, loaded_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (year) DO UPDATE SET \
             plan = excluded.plan, source = excluded.source, \
             loaded_at = excluded.loaded_at, loaded_by = excluded.loaded_by",
            &[
                P::I(i64::from(p.year)),
                P::T(p.to_toml()),
                P::T(p.source.clone()),
                P::T(at.clone()),
                P::T(actor.username.clone()),
            ],
        )
        .await?;
    }
    let years: Vec<i16> = plans.iter().map(|p| p.year).collect();
    let data = json!({
        "years": years,
        "plans": plans.iter().map(|p| json!({"year": p.year, "source": p.source, "provisional": p.provisional, "holidays": p.describe()})).collect::<Vec<_>>(),
    });
    crate::writer::append(
        conn,
        head,
        now,
        actor,
        "calendar.load",
        "calendar",
        Some(years.iter().map(i16::to_string).collect::<Vec<_>>().join(",")),
        None,
        data,
    )
    .await?;
    let after = load(conn).await?;
    let official: Vec<i16> = years
        .iter()
        .copied()
        .filter(|y| before.is_provisional(*y) && !after.is_provisional(*y))
        .collect();
    if official.is_empty() {
        return Ok(Out::Recomputed {
            checked: Vec::new(),
            changed: Vec::new(),
        });
    }
    recompute(conn, head, pack, actor, &before, &after, &official, now).await
}

/// Recomputes the deadlines of the open records of working-day ledgers that
/// were counted through one of `official` (provisional in `before`): a
/// deadline field that is the default rule's term is counted again with
/// `after`, and the deadline column (which also carries state time limits)
/// is derived again. A record whose deadline moves gets a `record.update`
/// event (before/after of the deadline, and why) in this transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn recompute(
    conn: &mut Conn<'_>,
    head: &mut Head,
    pack: &Pack,
    actor: &Access,
    before: &Calendar,
    after: &Calendar,
    official: &[i16],
    now: jiff::Timestamp,
) -> Result<Out, StoreError> {
    let first = official.iter().min().copied().unwrap_or(i16::MAX);
    let from = format!("{first:04}-01-01");
    let mut checked = Vec::new();
    let mut changed = Vec::new();
    let why = format!(
        "{}年放假安排已录入，原按暂定日历计算的办理时限按正式安排重算",
        official.iter().map(i16::to_string).collect::<Vec<_>>().join("、")
    );
    for kind in pack
        .ledgers
        .iter()
        .filter(|k| k.deadline.count == DayCount::WorkingDays)
    {
        let ids: Vec<i64> = conn
            .rows(
                "SELECT id FROM records WHERE ledger = $1 AND closed = $2 AND voided = $2 AND deadline >= $3 ORDER BY id",
                &[P::T(kind.key.clone()), P::B(false), P::T(from.clone())],
            )
            .await?
            .iter()
            .map(|r| r.i(0))
            .collect();
        for id in ids {
            let old = crate::records::fetch(conn, &head.keys.clone(), pack, id).await?;
            let Some((fields, deadline)) = recount(kind, &old, before, after, official)? else {
                continue;
            };
            checked.push(id);
            if fields == old.fields && deadline == old.deadline {
                continue;
            }
            let df = kind
                .role_field(FieldRole::Deadline)
                .map(|f| f.key.clone())
                .unwrap_or_default();
            let data = json!({
                "before": {df.as_str(): old.fields.get(&df).cloned().unwrap_or(Value::Null)},
                "after": {df.as_str(): fields.get(&df).cloned().unwrap_or(Value::Null)},
                "deadline_before": old.deadline,
                "deadline_after": deadline,
                "reason": why,
            });
            let seq = crate::writer::append(
                conn,
                head,
                now,
                actor,
                "record.update",
                "record",
                Some(id.to_string()),
                Some(kind.key.clone()),
                data,
            )
            .await?;
            // The record was read opened: its personal fields are sealed again before it is stored.
            let mut fields = fields;
            head.keys.seal_fields(kind, &mut fields);
            conn.exec(
                "UPDATE records SET fields = $1, deadline = $2, version = version + 1, updated_at = $3, last_event = $4 \
                 WHERE id = $5",
                &[
                    P::T(Value::Object(fields).to_string()),
                    P::OT(deadline),
                    P::T(stamp(now)),
                    P::I(seq),
                    P::I(id),
                ],
            )
            .await?;
            changed.push(id);
        }
    }
    Ok(Out::Recomputed { checked, changed })
}

/// A record's fields and deadline column counted again with `after`, if its
/// deadline had been counted through one of `official` with `before`.
fn recount(
    kind: &LedgerKind,
    r: &RecordRow,
    before: &Calendar,
    after: &Calendar,
    official: &[i16],
) -> Result<Option<(Fields, Option<String>)>, StoreError> {
    let (created, since) = record_dates(r);
    let years = kind.provisional_years(&r.fields, &r.state, since, created, before);
    if !years.iter().any(|y| official.contains(y)) {
        return Ok(None);
    }
    let mut fields = r.fields.clone();
    if let Some(df) = kind.role_field(FieldRole::Deadline)
        && fields.contains_key(&df.key)
        && let Some(d) = kind.rule_deadline(&fields, created, after)?
    {
        fields.insert(df.key.clone(), Value::String(d.to_string()));
    }
    let deadline = kind
        .effective_deadline(&fields, &r.state, since, after)?
        .map(|d| d.to_string());
    Ok(Some((fields, deadline)))
}

/// The local days a record was created and entered its state.
pub(crate) fn record_dates(r: &RecordRow) -> (jiff::civil::Date, jiff::civil::Date) {
    let day = |s: &str| s.parse::<jiff::Timestamp>().map(local_date).ok();
    let created = day(&r.created_at).unwrap_or(jiff::civil::Date::MIN);
    let since = day(&r.state_since).unwrap_or(created);
    (created, since)
}

impl Store {
    /// The provisional (暂定) years a record's deadline in force was counted
    /// through (empty: official plans only, calendar days, or set by hand).
    pub fn provisional_years(&self, r: &RecordRow) -> Vec<i16> {
        let Some(kind) = self.pack().ledger(&r.ledger) else {
            return Vec::new();
        };
        let (created, since) = record_dates(r);
        kind.provisional_years(&r.fields, &r.state, since, created, &self.calendar())
    }
}

/// The note shown beside a deadline counted through provisional years.
pub fn provisional_note(years: &[i16]) -> Option<String> {
    if years.is_empty() {
        return None;
    }
    let y: Vec<String> = years.iter().map(i16::to_string).collect();
    Some(format!("按暂定日历计算（{}年放假安排未发布）", y.join("、")))
}
