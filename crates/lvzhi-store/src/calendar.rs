//! The working-day calendar in the database: the plans the admin loaded
//! (`calendar_years`, one TOML plan a year) over the plans embedded in the
//! core ([`Calendar::embedded`]).
//!
//! The writer reads the table inside its transaction whenever a ledger that
//! counts working days computes a deadline, so a plan loaded by another
//! process counts at once. Readers (warnings on pages) use a copy cached in
//! the [`Store`], refreshed after a load here and at most a minute old.

use crate::db::{Conn, P};
use crate::writer::Cmd;
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, Role};
use lvzhi_core::calendar::{Calendar, CalendarError, YearPlan};
use lvzhi_core::field::FieldRole;
use lvzhi_core::ledger::{DayCount, Fields, LedgerKind};
use serde_json::json;
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
    /// stored or embedded plan of that year. One event per load. Returns the years loaded.
    pub async fn load_calendar(&self, actor: &Access, text: &str) -> Result<Vec<i16>, StoreError> {
        if actor.role != Role::Admin {
            return Err(StoreError::Forbidden("只有系统管理员可以维护节假日日历".into()));
        }
        let plans = Calendar::parse(text).map_err(StoreError::BadRequest)?;
        if plans.is_empty() {
            return Err(StoreError::BadRequest("日历文件中没有任何年度".into()));
        }
        let now = lvzhi_core::time::stamp(self.now());
        let statements = plans
            .iter()
            .map(|p| {
                (
                    "INSERT INTO calendar_years (year, plan, source, loaded_at, loaded_by) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (year) DO UPDATE SET \
                     plan = excluded.plan, source = excluded.source, \
                     loaded_at = excluded.loaded_at, loaded_by = excluded.loaded_by"
                        .to_string(),
                    vec![
                        P::I(i64::from(p.year)),
                        P::T(p.to_toml()),
                        P::T(p.source.clone()),
                        P::T(now.clone()),
                        P::T(actor.username.clone()),
                    ],
                )
            })
            .collect();
        let years: Vec<i16> = plans.iter().map(|p| p.year).collect();
        let data = json!({
            "years": years,
            "plans": plans.iter().map(|p| json!({"year": p.year, "source": p.source, "holidays": p.describe()})).collect::<Vec<_>>(),
        });
        self.writer
            .send(Cmd::Plain {
                actor: actor.clone(),
                statements,
                kind: "calendar.load".into(),
                entity: "calendar".into(),
                entity_id: Some(years.iter().map(i16::to_string).collect::<Vec<_>>().join(",")),
                data,
            })
            .await?;
        let mut c = self.pool.acquire().await?;
        let cal = load(&mut c.conn()).await?;
        self.calendar.set(cal);
        Ok(years)
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
