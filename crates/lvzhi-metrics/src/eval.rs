//! Evaluating indicators for a period and a scope, with provenance.
//!
//! [`Engine::evaluate_all`] and [`Engine::evaluate`] compute from the records
//! (through `lvzhi_store::aggregate`, AND-ed with the reader's scope) and keep
//! the results in a cache keyed by reader, scope, day and period. Before every
//! read the engine asks the store for the newest event seq; when records
//! changed it drops only the results that depend (through formulas) on the
//! changed ledgers, so reading the dashboard right after one record changes
//! recomputes only that ledger's indicators.

use crate::def::{Definitions, FormulaKind, Indicator, MeasureKind, Source, StatMode, Where};
use crate::format;
use crate::mem::{self, Table};
use crate::scope::Scope;
use jiff::civil::Date;
use lvzhi_core::access::Access;
use lvzhi_core::period::Period;
use lvzhi_store::aggregate::{Agg, AggQuery, Col, Cond, Expr, Op, Operand};
use lvzhi_store::org::Person;
use lvzhi_store::{Store, StoreError};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// The ledger statistics submissions live in.
pub const STAT_LEDGER: &str = "statistic";
/// The state a statistics row must be in to count.
pub const STAT_APPROVED: &str = "已审核";
/// The note of a growth without its base.
pub const NO_PRIOR: &str = "无上年同期数据";

/// The records (or statistics rows) behind a value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRef {
    /// The indicator that read them.
    pub indicator: String,
    /// Ledger key.
    pub ledger: String,
    /// The span read (`2026-01-01..2026-11-30`), or "" for snapshots.
    pub span: String,
    /// How many records.
    pub count: i64,
    /// Their ids, ascending (empty unless provenance was asked for).
    pub ids: Vec<i64>,
}

/// One part of a grouped figure (by unit, division…).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    /// The group key (unit id, division code, field value).
    pub key: String,
    /// Its name.
    pub label: String,
    /// The value, exact.
    pub value: String,
    /// As printed.
    pub display: String,
}

/// A computed figure, before formatting.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Computed {
    /// The value; None when it cannot be computed (see `note`).
    pub value: Option<Decimal>,
    /// Why there is no value (无上年同期数据, 除数为零, 无数据).
    pub note: Option<String>,
    /// Records read.
    pub records: i64,
    /// Provenance.
    pub sources: Vec<SourceRef>,
    /// Breakdown.
    pub parts: Vec<(String, Decimal)>,
}

impl Computed {
    fn none(note: &str, sources: Vec<SourceRef>) -> Computed {
        Computed {
            value: None,
            note: Some(note.to_string()),
            records: sources.iter().map(|s| s.count).sum(),
            sources,
            parts: vec![],
        }
    }
}

/// An indicator's value as the CLI and the API return it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorValue {
    /// Stable id.
    pub id: String,
    /// The Chinese name (财政总收入).
    pub name: String,
    /// Category (财政, 安全生产…).
    pub category: String,
    /// The period as asked (`2026`).
    pub period: String,
    /// The span actually computed, after cutting at today (`2026-01-01..2026-11-30`).
    pub span: String,
    /// Its Chinese label (2026年1-11月).
    pub period_label: String,
    /// 数据截至: the last day the figure's data reach (today for ledgers, the
    /// end of the last approved month for statistics; see [`Horizon`]);
    /// empty for snapshots and targets.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub as_of: String,
    /// The scope (`county`, `division:…`).
    pub scope: String,
    /// Exact decimal in the base unit (元, count, percent); null when not computable.
    pub value: Option<String>,
    /// The unit of `value`.
    pub unit: String,
    /// As a report prints it (21.6亿元, 114.2%, 下降6.38%), or the reason there is no value.
    pub display: String,
    /// Why there is no value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Number of records (statistics rows) behind the value.
    pub records: i64,
    /// Per unit/division/field value, for grouped indicators.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub breakdown: Vec<Part>,
    /// The records behind the value (when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Vec<SourceRef>>,
}

/// Why evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An unknown indicator id.
    #[error("指标“{0}”不存在")]
    Unknown(String),
    /// Anything else wrong with a request.
    #[error("{0}")]
    Bad(String),
}

/// The organisation data evaluation needs (cached until org events).
#[derive(Debug, Clone, Default)]
struct Org {
    county: String,
    people: Vec<Person>,
    units: BTreeMap<i64, String>,
    divisions: BTreeMap<String, String>,
}

type Memo = HashMap<(String, Period), Computed>;

#[derive(Default)]
struct Cache {
    /// The store the cache is about (its address; the head check below
    /// catches a different database at a reused address).
    store: usize,
    /// The data version the cache reflects: the newest event's seq and hash.
    head: (i64, String),
    org: Option<Arc<Org>>,
    /// Per context key (reader, scope, day, provenance): results by (id, span).
    results: HashMap<String, Memo>,
    /// Ledger rows in memory, read with the system access (filtered per reader).
    tables: HashMap<String, Arc<Table>>,
}

/// The indicator engine: definitions, ledger rows held in memory, and a
/// cache of results; all brought up to date from new events.
pub struct Engine {
    defs: Definitions,
    /// Per indicator, the ledgers it depends on (through formulas).
    deps: HashMap<String, BTreeSet<String>>,
    cache: Mutex<Cache>,
    /// Serialises bringing the cache up to date.
    refreshing: tokio::sync::Mutex<()>,
}

/// The span an as-of date cuts out of a period: the whole period when it has
/// ended; otherwise from its start to today ("2026" on 2026-12-05 is
/// 2026年1月1日至12月5日), never past its end. This is the ledgers' horizon:
/// records reach today, so 同比 compares like for like — 2026-01-01..12-05
/// against 2025-01-01..12-05, never against the whole of 2025. Figures over
/// statistics are cut further at the last approved month ([`cut`],
/// [`Engine::span`]).
pub fn effective(p: Period, today: Date) -> Period {
    cut(p, today)
}

/// A span's Chinese label: whole months as 2026年1-11月, a span cut at a day
/// within one year as 2026年1月1日至12月5日 (the year said once; the month
/// too within one month: 2026年11月1日至25日).
pub fn span_label(p: Period) -> String {
    match p {
        Period::Range(a, b) if a.year() == b.year() && !(a.day() == 1 && b == b.last_of_month()) => {
            if a.month() == b.month() {
                return format!("{}年{}月{}日至{}日", a.year(), a.month(), a.day(), b.day());
            }
            format!(
                "{}年{}月{}日至{}月{}日",
                a.year(),
                a.month(),
                a.day(),
                b.month(),
                b.day()
            )
        }
        p => p.label(),
    }
}

/// The part of `p` up to `horizon` (the last day data reach): `p` itself when
/// the horizon is at or past its end, or before its start (nothing to cut —
/// the figure then has no data); else `start..horizon`.
pub fn cut(p: Period, horizon: Date) -> Period {
    if p.end() <= horizon || horizon < p.start() {
        return p;
    }
    Period::Range(p.start(), horizon)
}

/// The label a page, table or report gives a set of figures: that of the
/// shortest span among those with a value that the period cut (statistics
/// to November make 2026 read 2026年1-11月); None when there are none.
pub fn common_label(values: &[IndicatorValue]) -> Option<String> {
    values
        .iter()
        .filter(|v| v.value.is_some() && !v.as_of.is_empty())
        .min_by_key(|v| v.span.split_once("..").map(|(_, end)| end.to_string()))
        .map(|v| v.period_label.clone())
}

/// How far a figure's data reach (数据截至).
///
/// **Definition (period semantics, one rule for CLI, API, pages and
/// reports):** a ledger's data reach today; the 统计报表 figure named N
/// reaches the end of the last month for which an approved (已审核) row of N
/// exists (any division). A figure computed from several sources reaches the
/// earliest of their horizons. A period still in progress is cut at the
/// horizon, and 同比 compares that cut span with the same span a year before:
/// 2026 on 2026-12-05 with statistics to November is 2026年1-11月 against
/// 2025年1-11月. Ledger spans end today ([`effective`]): 2026 on 2026-12-05
/// is 2026年1月1日至12月5日 against 2025年1月1日至12月5日.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizon {
    /// Ledger records: up to today.
    Today(Date),
    /// 统计报表 rows: up to the end of the last approved month.
    Statistics(Date),
    /// A snapshot or a target: the period is not cut by data.
    None,
}

impl Horizon {
    /// The last day this horizon's data reach, if any.
    pub fn date(&self) -> Option<Date> {
        match self {
            Horizon::Today(d) | Horizon::Statistics(d) => Some(*d),
            Horizon::None => None,
        }
    }

    /// The earlier of two horizons (a snapshot or target does not cut).
    fn min(self, other: Horizon) -> Horizon {
        match (self.date(), other.date()) {
            (None, _) => other,
            (_, None) => self,
            (Some(a), Some(b)) => {
                if b < a {
                    other
                } else {
                    self
                }
            }
        }
    }

    /// The span of `p` this horizon covers.
    /// Ledgers end today ([`effective`]); statistics at their last approved
    /// month; snapshots and targets at the end of today's month.
    pub fn span(&self, p: Period, today: Date) -> Period {
        let months = cut(p, today.last_of_month());
        match self {
            Horizon::Today(_) => effective(p, today),
            Horizon::Statistics(d) => cut(months, *d),
            Horizon::None => months,
        }
    }

    /// 数据截至 as text (2026-11-30), empty when the figure is a snapshot.
    pub fn as_of(&self) -> String {
        self.date().map(|d| d.to_string()).unwrap_or_default()
    }
}

struct Ctx<'a> {
    store: &'a Store,
    tables: HashMap<String, Arc<Table>>,
    access: &'a Access,
    today: Date,
    scope: &'a Scope,
    org: Arc<Org>,
    with_ids: bool,
    memo: Memo,
    /// The last day of approved statistics, per statistic name.
    stat_horizons: HashMap<String, Option<Date>>,
}

/// What an evaluation runs against: the store and data version it checked.
struct Snap {
    org: Arc<Org>,
    store: usize,
    head: (i64, String),
}

impl Snap {
    /// Whether the cache still holds this snapshot's data.
    fn current(&self, c: &Cache) -> bool {
        c.store == self.store && c.head == self.head
    }
}

fn store_id(store: &Store) -> usize {
    std::ptr::from_ref(store) as usize
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn hundred() -> Decimal {
    Decimal::from(100)
}

/// The factor from a statistic row's measure to the indicator's unit.
fn factor(measure: &str, unit: &str) -> Decimal {
    match (measure, unit) {
        ("万元", "元") => Decimal::from(10_000),
        ("亿元", "元") => Decimal::from(100_000_000),
        (m, u) if m.starts_with('万') && m.trim_start_matches('万') == u => Decimal::from(10_000),
        _ => Decimal::ONE,
    }
}

impl Engine {
    /// An engine over these definitions.
    pub fn new(defs: Definitions) -> Engine {
        let deps = defs.list.iter().map(|i| (i.id.clone(), defs.deps(&i.id))).collect();
        Engine {
            defs,
            deps,
            cache: Mutex::new(Cache::default()),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// The definitions.
    pub fn defs(&self) -> &Definitions {
        &self.defs
    }

    /// Drops everything held: results and ledger rows (the next evaluation
    /// reads the ledgers again).
    pub fn clear_cache(&self) {
        *lock(&self.cache) = Cache::default();
    }

    /// Drops the cached results but keeps the ledger rows in memory (the next
    /// evaluation computes every indicator again from them).
    pub fn clear_results(&self) {
        lock(&self.cache).results.clear();
    }

    /// The JSON fields of `kind` any indicator reads (role fields are columns).
    fn keys_for(&self, kind: &lvzhi_core::ledger::LedgerKind) -> Vec<String> {
        let mut keys = BTreeSet::new();
        if kind.key == STAT_LEDGER {
            keys.extend(["indicator", "period", "value", "measure"].map(String::from));
        }
        for ind in &self.defs.list {
            if let Source::Measure {
                ledger,
                field,
                days,
                date,
                conds,
                ..
            } = &ind.source
                && *ledger == kind.key
            {
                keys.extend(field.iter().cloned());
                keys.extend(date.iter().cloned());
                if let Some((a, b)) = days {
                    keys.insert(a.clone());
                    keys.insert(b.clone());
                }
                for w in conds {
                    keys.insert(w.field.clone());
                    keys.extend(w.le_field.iter().cloned());
                    keys.extend(w.gt_field.iter().cloned());
                }
                if let Some(g) = &ind.group_by
                    && !matches!(g.as_str(), "unit" | "division" | "owner" | "state")
                {
                    keys.insert(g.clone());
                }
            }
        }
        keys.into_iter()
            .filter_map(|k| crate::mem::json_key(kind, &k))
            .collect()
    }

    /// The in-memory tables of these ledgers, reading those not held yet.
    /// Only tables of the snapshot's data are shared through the cache; if
    /// another store (or newer data) took the cache meanwhile, the tables are
    /// read for this evaluation alone.
    async fn tables(
        &self,
        store: &Store,
        snap: &Snap,
        ledgers: &BTreeSet<String>,
    ) -> Result<HashMap<String, Arc<Table>>, EvalError> {
        let mut out = HashMap::new();
        let held = |l: &str| {
            let c = lock(&self.cache);
            if snap.current(&c) {
                c.tables.get(l).cloned()
            } else {
                None
            }
        };
        for l in ledgers {
            if let Some(t) = held(l) {
                out.insert(l.clone(), t);
                continue;
            }
            let _guard = self.refreshing.lock().await;
            if let Some(t) = held(l) {
                out.insert(l.clone(), t);
                continue;
            }
            let kind = store
                .pack()
                .ledger(l)
                .ok_or_else(|| EvalError::Bad(format!("台账“{l}”不存在")))?;
            let keys = self.keys_for(kind);
            let rows = store.ledger_rows(&Store::system_access(), l, &keys, None).await?;
            let t = Arc::new(Table::new(keys, rows));
            let mut c = lock(&self.cache);
            if snap.current(&c) {
                c.tables.insert(l.clone(), t.clone());
            }
            out.insert(l.clone(), t);
        }
        Ok(out)
    }

    /// Brings the cache up to date with the store. Unless the newest event is
    /// the one seen last time, reads which records changed since, re-reads
    /// just those into the tables held, and drops the results that depend
    /// (through formulas) on their ledgers; organisation changes drop all
    /// results; another database (or a rewound one) drops everything.
    async fn refresh(&self, store: &Store) -> Result<Snap, EvalError> {
        let sid = store_id(store);
        let seen = || {
            let c = lock(&self.cache);
            if c.store == sid {
                (c.head.clone(), c.org.clone())
            } else {
                ((0, String::new()), None)
            }
        };
        // One query: the events from the one seen last (its hash proves the
        // same history) to the newest. Nothing new: done.
        let since = |old: (i64, String), known: bool| async move {
            if old.0 > 0 && known {
                let ch = store
                    .record_changes_since(old.0, &[crate::warn::ACK_KIND, lvzhi_store::templates::SAVE_KIND])
                    .await?;
                Ok::<_, EvalError>(ch.filter_base(&old.1))
            } else {
                Ok(None)
            }
        };
        let (old, org) = seen();
        let first = since(old.clone(), org.is_some()).await?;
        if let (Some(ch), Some(org)) = (&first, &org)
            && ch.head.as_ref() == Some(&old)
        {
            return Ok(Snap {
                org: org.clone(),
                store: sid,
                head: old,
            });
        }
        let _guard = self.refreshing.lock().await;
        let (now, org) = seen();
        let changes = if now == old {
            first
        } else {
            since(now.clone(), org.is_some()).await?
        };
        let Some(changes) = changes else {
            let head = store.head_event().await?;
            let org = Arc::new(load_org(store).await?);
            let mut c = lock(&self.cache);
            *c = Cache {
                store: sid,
                head: head.clone(),
                org: Some(org.clone()),
                ..Cache::default()
            };
            return Ok(Snap { org, store: sid, head });
        };
        let org = match org {
            Some(o) if !changes.other => o,
            _ => Arc::new(load_org(store).await?),
        };
        // Re-read the changed records of the ledgers held in memory.
        // (Only the field lists are copied: holding the tables' Arcs here
        // would make the in-place update below copy whole tables.)
        let held: HashMap<String, Vec<String>> = lock(&self.cache)
            .tables
            .iter()
            .map(|(l, t)| (l.clone(), t.keys.clone()))
            .collect();
        let mut updated = Vec::new();
        for (ledger, ids) in &changes.records {
            if changes.whole.contains(ledger) {
                continue;
            }
            if let Some(keys) = held.get(ledger) {
                let list: Vec<i64> = ids.iter().copied().collect();
                let fresh = store
                    .ledger_rows(&Store::system_access(), ledger, keys, Some(&list))
                    .await?;
                updated.push((ledger.clone(), ids, fresh));
            }
        }
        let mut c = lock(&self.cache);
        for l in &changes.whole {
            c.tables.remove(l);
        }
        for (ledger, ids, fresh) in updated {
            if let Some(t) = c.tables.get_mut(&ledger) {
                Arc::make_mut(t).apply(ids, fresh);
            }
        }
        let ledgers: BTreeSet<String> = changes.records.keys().chain(changes.whole.iter()).cloned().collect();
        if changes.other {
            c.results.clear();
        } else if !ledgers.is_empty() {
            let stale: BTreeSet<String> = self
                .deps
                .iter()
                .filter(|(_, d)| !d.is_disjoint(&ledgers))
                .map(|(i, _)| i.clone())
                .collect();
            for memo in c.results.values_mut() {
                memo.retain(|(id, _), _| !stale.contains(id));
            }
        }
        let head = changes.head.clone().unwrap_or(now);
        c.head = head.clone();
        c.org = Some(org.clone());
        Ok(Snap { org, store: sid, head })
    }

    fn ctx_key(access: &Access, scope: &Scope, today: Date, with_ids: bool) -> String {
        format!("{access:?}|{scope}|{today}|{with_ids}")
    }

    /// Every indicator for a period and scope, as `access` may see it.
    pub async fn evaluate_all(
        &self,
        store: &Store,
        access: &Access,
        period: Period,
        scope: &Scope,
        today: Date,
    ) -> Result<Vec<IndicatorValue>, EvalError> {
        let ids: Vec<String> = self.defs.list.iter().map(|i| i.id.clone()).collect();
        self.evaluate_ids(store, access, period, scope, today, &ids, false)
            .await
    }

    /// Some indicators (by id), without provenance: what a dashboard needs for
    /// one chart, cheaper than [`Engine::evaluate_all`].
    pub async fn evaluate_some(
        &self,
        store: &Store,
        access: &Access,
        ids: &[String],
        period: Period,
        scope: &Scope,
        today: Date,
    ) -> Result<Vec<IndicatorValue>, EvalError> {
        self.evaluate_ids(store, access, period, scope, today, ids, false).await
    }

    /// One indicator (by id or Chinese name) with its provenance.
    pub async fn evaluate(
        &self,
        store: &Store,
        access: &Access,
        id: &str,
        period: Period,
        scope: &Scope,
        today: Date,
    ) -> Result<IndicatorValue, EvalError> {
        let ind = self.defs.find(id).ok_or_else(|| EvalError::Unknown(id.to_string()))?;
        let ids = vec![ind.id.clone()];
        self.evaluate_ids(store, access, period, scope, today, &ids, true)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| EvalError::Unknown(id.to_string()))
    }

    #[allow(clippy::too_many_arguments)]
    async fn evaluate_ids(
        &self,
        store: &Store,
        access: &Access,
        period: Period,
        scope: &Scope,
        today: Date,
        ids: &[String],
        with_ids: bool,
    ) -> Result<Vec<IndicatorValue>, EvalError> {
        let snap = self.refresh(store).await?;
        let key = Engine::ctx_key(access, scope, today, with_ids);
        // Taken out while evaluating (put back after): no copy.
        let memo = {
            let mut c = lock(&self.cache);
            if snap.current(&c) {
                c.results.remove(&key).unwrap_or_default()
            } else {
                Memo::default()
            }
        };
        let mut ledgers = BTreeSet::new();
        for id in ids {
            if let Some(d) = self.deps.get(id) {
                ledgers.extend(d.iter().cloned());
            }
        }
        let tables = self.tables(store, &snap, &ledgers).await?;
        let org = snap.org.clone();
        let mut ctx = Ctx {
            store,
            tables,
            access,
            today,
            scope,
            org,
            with_ids,
            memo,
            stat_horizons: HashMap::new(),
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let ind = self.defs.get(id).ok_or_else(|| EvalError::Unknown(id.clone()))?;
            let horizon = self.horizon_of(&mut ctx, id)?;
            let eff = horizon.span(period, today);
            let c = self.eval(&mut ctx, id, eff).await?;
            let mut v = self.present(ind, &c, period, eff, scope, &ctx.org, with_ids);
            v.as_of = horizon.as_of();
            out.push(v);
        }
        let mut c = lock(&self.cache);
        if snap.current(&c) {
            c.results.insert(key, ctx.memo);
        }
        Ok(out)
    }

    /// The span an indicator is computed over for `period` as of `today`
    /// (see [`Horizon`]): what pages print as its period (2026年1-11月).
    pub async fn span(&self, store: &Store, id: &str, period: Period, today: Date) -> Result<Period, EvalError> {
        Ok(self.horizon(store, id, today).await?.span(period, today))
    }

    /// How far an indicator's data reach as of `today` (see [`Horizon`]).
    pub async fn horizon(&self, store: &Store, id: &str, today: Date) -> Result<Horizon, EvalError> {
        let ind = self.defs.find(id).ok_or_else(|| EvalError::Unknown(id.to_string()))?;
        let snap = self.refresh(store).await?;
        let ledgers = self.deps.get(&ind.id).cloned().unwrap_or_default();
        let tables = self.tables(store, &snap, &ledgers).await?;
        let access = Store::system_access();
        let scope = Scope::County;
        let mut ctx = Ctx {
            store,
            tables,
            access: &access,
            today,
            scope: &scope,
            org: snap.org.clone(),
            with_ids: false,
            memo: Memo::default(),
            stat_horizons: HashMap::new(),
        };
        self.horizon_of(&mut ctx, &ind.id)
    }

    /// The horizon of an indicator: the earliest of its sources' (through
    /// formulas). Ledger measures over a date reach today; statistics (flows
    /// and levels) their last approved month; snapshots and targets do not cut.
    fn horizon_of(&self, ctx: &mut Ctx<'_>, id: &str) -> Result<Horizon, EvalError> {
        let mut h = Horizon::None;
        let mut stack = vec![id.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(i) = stack.pop() {
            if !seen.insert(i.clone()) {
                continue;
            }
            let ind = self.defs.get(&i).ok_or_else(|| EvalError::Unknown(i.clone()))?;
            match &ind.source {
                Source::Measure { date: Some(_), .. } => h = h.min(Horizon::Today(ctx.today)),
                Source::Measure { date: None, .. } | Source::Targets(_) => {}
                Source::Statistic {
                    mode: StatMode::Target, ..
                } => {}
                Source::Statistic { name, .. } => {
                    if let Some(d) = stat_horizon(ctx, name)? {
                        h = h.min(Horizon::Statistics(d));
                    }
                }
                Source::Formula { of, .. } => stack.extend(of.iter().cloned()),
            }
        }
        Ok(h)
    }

    #[allow(clippy::too_many_arguments)]
    fn present(
        &self,
        ind: &Indicator,
        c: &Computed,
        period: Period,
        eff: Period,
        scope: &Scope,
        org: &Org,
        with_ids: bool,
    ) -> IndicatorValue {
        let formula = match &ind.source {
            Source::Formula { kind, .. } => Some(*kind),
            _ => None,
        };
        let (value, display) = match c.value {
            Some(v) => (
                Some(format::value_text(v, &ind.unit)),
                format::display(v, &ind.unit, ind.decimals, formula),
            ),
            None => (None, c.note.clone().unwrap_or_else(|| "无数据".into())),
        };
        let breakdown = c
            .parts
            .iter()
            .map(|(k, v)| {
                let label = match ind.group_by.as_deref() {
                    Some("unit") => k.parse::<i64>().ok().and_then(|u| org.units.get(&u).cloned()),
                    Some("division") => org.divisions.get(k).cloned(),
                    _ => None,
                }
                .unwrap_or_else(|| if k.is_empty() { "（未填）".into() } else { k.clone() });
                Part {
                    key: k.clone(),
                    label,
                    value: format::value_text(*v, &ind.unit),
                    display: format::display(*v, &ind.unit, ind.decimals, formula),
                }
            })
            .collect();
        IndicatorValue {
            id: ind.id.clone(),
            name: ind.name.clone(),
            category: ind.category.clone(),
            period: period.to_string(),
            span: format!("{}..{}", eff.start(), eff.end()),
            period_label: span_label(eff),
            as_of: String::new(),
            scope: scope.to_string(),
            value,
            unit: ind.unit.clone(),
            display,
            note: c.note.clone(),
            records: c.records,
            breakdown,
            provenance: with_ids.then(|| c.sources.clone()),
        }
    }

    fn eval<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_>,
        id: &'a str,
        p: Period,
    ) -> Pin<Box<dyn Future<Output = Result<Computed, EvalError>> + Send + 'a>>
    where
        'a: 'a,
    {
        Box::pin(async move {
            if let Some(c) = ctx.memo.get(&(id.to_string(), p)) {
                return Ok(c.clone());
            }
            let ind = self.defs.get(id).ok_or_else(|| EvalError::Unknown(id.to_string()))?;
            let c = match &ind.source {
                Source::Measure { .. } => self.measure(ctx, ind, p).await?,
                Source::Statistic { name, mode } => {
                    let division = match ctx.scope {
                        Scope::Division(d) => d.clone(),
                        _ => ctx.org.county.clone(),
                    };
                    stat(ctx, ind, name, *mode, p, &division).await?
                }
                Source::Targets(t) => match t.get(&p.end().year()) {
                    Some(v) => Computed {
                        value: Some(*v),
                        ..Computed::default()
                    },
                    None => Computed::none(&format!("未设{}年目标", p.end().year()), vec![]),
                },
                Source::Formula { kind, of } => self.formula(ctx, ind, *kind, of, p).await?,
            };
            ctx.memo.insert((id.to_string(), p), c.clone());
            Ok(c)
        })
    }

    async fn formula(
        &self,
        ctx: &mut Ctx<'_>,
        ind: &Indicator,
        kind: FormulaKind,
        of: &[String],
        p: Period,
    ) -> Result<Computed, EvalError> {
        let first = of.first().map(String::as_str).unwrap_or("");
        let a = self.eval(ctx, first, p).await?;
        match kind {
            FormulaKind::Ratio | FormulaKind::Share | FormulaKind::Completion | FormulaKind::Diff => {
                let second = of.get(1).map(String::as_str).unwrap_or("");
                let b = self.eval(ctx, second, p).await?;
                let mut sources = a.sources.clone();
                sources.extend(b.sources.iter().cloned());
                let (Some(x), Some(y)) = (a.value, b.value) else {
                    let note = a.note.or(b.note).unwrap_or_else(|| "无数据".into());
                    return Ok(Computed::none(&note, sources));
                };
                let value = if kind == FormulaKind::Diff {
                    x - y
                } else if y.is_zero() {
                    return Ok(Computed::none("除数为零", sources));
                } else {
                    x / y * hundred()
                };
                Ok(Computed {
                    value: Some(value),
                    note: None,
                    records: a.records + b.records,
                    sources,
                    parts: vec![],
                })
            }
            FormulaKind::Growth | FormulaKind::Increase | FormulaKind::PpChange => {
                let prev = self.eval(ctx, first, p.year_before()).await?;
                let mut sources = a.sources.clone();
                sources.extend(prev.sources.iter().cloned());
                let Some(x) = a.value else {
                    return Ok(Computed::none(a.note.as_deref().unwrap_or("无数据"), sources));
                };
                let measured = matches!(self.defs.get(first).map(|i| &i.source), Some(Source::Measure { .. }));
                let Some(y) = prev.value.filter(|_| !(measured && prev.records == 0)) else {
                    return Ok(Computed::none(NO_PRIOR, sources));
                };
                let value = match kind {
                    FormulaKind::Growth => {
                        if y.is_zero() {
                            return Ok(Computed::none("上年同期为零，无法计算增幅", sources));
                        }
                        (x - y) / y * hundred()
                    }
                    _ => x - y,
                };
                Ok(Computed {
                    value: Some(value),
                    note: None,
                    records: a.records + prev.records,
                    sources,
                    parts: vec![],
                })
            }
            FormulaKind::Rank => {
                let Some(Source::Statistic { name, mode }) = self.defs.get(first).map(|i| i.source.clone()) else {
                    return Err(EvalError::Bad(format!("{}：排名只能基于统计报表指标", ind.id)));
                };
                let base = self.defs.get(first).ok_or_else(|| EvalError::Unknown(first.into()))?;
                let own = match ctx.scope {
                    Scope::Division(d) => d.clone(),
                    _ => ctx.org.county.clone(),
                };
                let siblings = siblings(&ctx.org, &own);
                let mut values = Vec::new();
                let mut sources = Vec::new();
                let mut records = 0;
                for code in &siblings {
                    let c = stat(ctx, base, &name, mode, p, code).await?;
                    records += c.records;
                    sources.extend(c.sources);
                    if let Some(v) = c.value {
                        values.push((code.clone(), v));
                    }
                }
                let Some(mine) = values.iter().find(|(c, _)| *c == own).map(|(_, v)| *v) else {
                    return Ok(Computed::none("本地区无数据，无法排名", sources));
                };
                let rank = 1 + values.iter().filter(|(_, v)| *v > mine).count() as i64;
                Ok(Computed {
                    value: Some(Decimal::from(rank)),
                    note: None,
                    records,
                    sources,
                    parts: values,
                })
            }
        }
    }

    async fn measure(&self, ctx: &mut Ctx<'_>, ind: &Indicator, p: Period) -> Result<Computed, EvalError> {
        let Source::Measure {
            kind,
            ledger,
            field,
            days,
            date,
            conds,
            states,
            open,
            overdue,
            due_soon,
        } = &ind.source
        else {
            return Err(EvalError::Bad("not a measure".into()));
        };
        let mut q = AggQuery::new(ledger);
        if let Some(d) = date {
            q = q
                .with(Cond::cmp(Expr::Field(d.clone()), Op::Ge, p.start().to_string()))
                .with(Cond::cmp(Expr::Field(d.clone()), Op::Le, p.end().to_string()));
        }
        if !states.is_empty() {
            q = q.with(Cond::is_in(Expr::Col(Col::State), states.clone()));
        }
        if let Some(o) = open {
            q = q.with(Cond::eq(Expr::Col(Col::Closed), if *o { "false" } else { "true" }));
        }
        if *overdue || *due_soon {
            let today = ctx.today.to_string();
            q = q.with(Cond::eq(Expr::Col(Col::Closed), "false"));
            if *overdue {
                q = q.with(Cond::cmp(Expr::Col(Col::Deadline), Op::Lt, today));
            } else {
                // 临期 counts the ledger's days (calendar or working days).
                let soon = match ctx.store.pack().ledger(ledger) {
                    Some(l) => {
                        let cal = ctx.store.fresh_calendar().await?;
                        l.deadline.yellow_until(&cal, ctx.today).map_err(StoreError::from)?
                    }
                    None => ctx.today,
                };
                q = q
                    .with(Cond::cmp(Expr::Col(Col::Deadline), Op::Ge, today))
                    .with(Cond::cmp(Expr::Col(Col::Deadline), Op::Le, soon.to_string()));
            }
        }
        for w in conds {
            q.conds.extend(where_conds(w, p, ctx.today, &ctx.org.people));
        }
        q.conds.extend(scope_conds(ctx.scope, &ctx.org.people, false));
        let span = if date.is_some() {
            format!("{}..{}", p.start(), p.end())
        } else {
            String::new()
        };
        let lk = ctx
            .store
            .pack()
            .ledger(ledger)
            .ok_or_else(|| EvalError::Bad(format!("台账“{ledger}”不存在")))?;
        let table = ctx
            .tables
            .get(ledger)
            .cloned()
            .ok_or_else(|| EvalError::Bad(format!("台账“{ledger}”未载入")))?;
        // County leaders read aggregates over every record (the figure is
        // published to them); the ids behind it stay within their scope.
        let system = Store::system_access();
        let published = published_to(ctx.access);
        let reader: &Access = if published { &system } else { ctx.access };
        let (value, count, mut ids) = if *kind == MeasureKind::AvgDays {
            let (a, b) = days.clone().unwrap_or_default();
            let exprs = [Expr::Field(a), Expr::Field(b)];
            let mut n = 0i64;
            let mut total = 0i64;
            let mut ids = Vec::new();
            for row in mem::matching(lk, &table, reader, &q)? {
                let r = mem::values(lk, &table, row, &exprs)?;
                let d = |i: usize| r.get(i).and_then(|v| v.as_deref()).and_then(|s| s.parse::<Date>().ok());
                if let (Some(x), Some(y)) = (d(0), d(1)) {
                    let days = (y - x).get_days();
                    n += 1;
                    total += i64::from(days);
                    ids.push(row.id);
                }
            }
            let v = (n > 0).then(|| Decimal::from(total) / Decimal::from(n));
            (v, n, ids)
        } else {
            let agg = match kind {
                MeasureKind::Count => Agg::Count,
                MeasureKind::Sum => Agg::Sum,
                MeasureKind::Avg => Agg::Avg,
                MeasureKind::Min => Agg::Min,
                MeasureKind::Max => Agg::Max,
                MeasureKind::Distinct => Agg::Distinct,
                MeasureKind::AvgDays => Agg::Count,
            };
            let value_expr = field.clone().map(Expr::Field);
            let b = mem::aggregate(lk, &table, reader, &q, agg, value_expr.as_ref(), None, ctx.with_ids)?;
            let first = b.into_iter().next().unwrap_or_default();
            (first.value, first.count, first.ids)
        };
        let mut parts = Vec::new();
        if let Some(g) = &ind.group_by
            && *kind != MeasureKind::AvgDays
        {
            let gexpr = match g.as_str() {
                "unit" => Expr::Col(Col::Unit),
                "division" => Expr::Col(Col::Division),
                "owner" => Expr::Col(Col::Owner),
                "state" => Expr::Col(Col::State),
                f => Expr::Field(f.to_string()),
            };
            let agg = match kind {
                MeasureKind::Sum => Agg::Sum,
                MeasureKind::Avg => Agg::Avg,
                MeasureKind::Min => Agg::Min,
                MeasureKind::Max => Agg::Max,
                MeasureKind::Distinct => Agg::Distinct,
                _ => Agg::Count,
            };
            let value_expr = field.clone().map(Expr::Field);
            let buckets = mem::aggregate(lk, &table, reader, &q, agg, value_expr.as_ref(), Some(&gexpr), false)?;
            let mut list: Vec<(String, Decimal)> = buckets
                .into_iter()
                .filter_map(|b| Some((b.key.unwrap_or_default(), b.value?)))
                .collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            parts = list;
        }
        if published && !ids.is_empty() {
            let visible: BTreeSet<i64> = mem::matching(lk, &table, ctx.access, &q)?
                .iter()
                .map(|r| r.id)
                .collect();
            ids.retain(|i| visible.contains(i));
        }
        let note = value.is_none().then(|| "无数据".to_string());
        Ok(Computed {
            value,
            note,
            records: count,
            sources: vec![SourceRef {
                indicator: ind.id.clone(),
                ledger: ledger.clone(),
                span,
                count,
                ids,
            }],
            parts,
        })
    }
}

/// The end of the last month (or 旬) with an approved 统计报表 row named
/// `name` in any division, if any (memoised per evaluation).
fn stat_horizon(ctx: &mut Ctx<'_>, name: &str) -> Result<Option<Date>, EvalError> {
    if let Some(h) = ctx.stat_horizons.get(name) {
        return Ok(*h);
    }
    let Some(lk) = ctx.store.pack().ledger(STAT_LEDGER) else {
        return Ok(None);
    };
    let Some(table) = ctx.tables.get(STAT_LEDGER).cloned() else {
        return Ok(None);
    };
    let q = AggQuery::new(STAT_LEDGER)
        .with(Cond::eq(Expr::Col(Col::State), STAT_APPROVED))
        .with(Cond::eq(Expr::Field("indicator".into()), name));
    let only = table.positions("indicator", name);
    let exprs = [Expr::Field("period".into())];
    let mut last: Option<Date> = None;
    for row in mem::matching_in(lk, &table, &Store::system_access(), &q, only)? {
        let r = mem::values(lk, &table, row, &exprs)?;
        let per = r.first().and_then(|v| v.as_deref()).and_then(|x| Period::parse(x).ok());
        if let Some(per @ (Period::Month(..) | Period::Xun(..))) = per {
            last = last.max(Some(per.end()));
        }
    }
    ctx.stat_horizons.insert(name.to_string(), last);
    Ok(last)
}

/// Whether a reader reads aggregates over every record: every county leader
/// does — county-level figures (published 统计报表 figures: 财政, 社零,
/// 就业…, and the ledgers' counts and sums) are readable by all of them,
/// whatever their 分管 — while the records behind a figure (provenance ids,
/// drill-down) stay within the reader's scope. Other roles' figures count
/// only what they see.
pub fn published_to(a: &Access) -> bool {
    a.role == lvzhi_core::access::Role::Leader
}

/// The 统计报表 figure of one division for a period.
async fn stat(
    ctx: &mut Ctx<'_>,
    ind: &Indicator,
    name: &str,
    mode: StatMode,
    p: Period,
    division: &str,
) -> Result<Computed, EvalError> {
    let mut q = AggQuery::new(STAT_LEDGER)
        .with(Cond::eq(Expr::Col(Col::State), STAT_APPROVED))
        .with(Cond::eq(Expr::Field("indicator".into()), name))
        .with(Cond::eq(Expr::Col(Col::Division), division));
    q.conds.extend(scope_conds(ctx.scope, &ctx.org.people, true));
    let lk = ctx
        .store
        .pack()
        .ledger(STAT_LEDGER)
        .ok_or_else(|| EvalError::Bad(format!("台账“{STAT_LEDGER}”不存在")))?;
    let table = ctx
        .tables
        .get(STAT_LEDGER)
        .cloned()
        .ok_or_else(|| EvalError::Bad(format!("台账“{STAT_LEDGER}”未载入")))?;
    let exprs = [
        Expr::Field("period".into()),
        Expr::Field("value".into()),
        Expr::Field("measure".into()),
    ];
    let mut parsed: Vec<(i64, Period, Decimal)> = Vec::new();
    // Only the rows of this statistic (every condition is still checked).
    let only = table.positions("indicator", name);
    // Published statistics are read county-wide by every county leader; the
    // drill-down (the ids behind the value) stays within the reader's scope.
    let system = Store::system_access();
    let published = published_to(ctx.access);
    let reader = if published { &system } else { ctx.access };
    let visible: Option<BTreeSet<i64>> = if published {
        Some(
            mem::matching_in(lk, &table, ctx.access, &q, only)?
                .iter()
                .map(|r| r.id)
                .collect(),
        )
    } else {
        None
    };
    for row in mem::matching_in(lk, &table, reader, &q, only)? {
        let r = mem::values(lk, &table, row, &exprs)?;
        let get = |i: usize| r.get(i).and_then(|v| v.as_deref());
        let Some(per) = get(0).and_then(|x| Period::parse(x).ok()) else {
            continue;
        };
        let Some(v) = get(1).and_then(|x| x.parse::<Decimal>().ok()) else {
            continue;
        };
        let m = get(2).unwrap_or_default();
        parsed.push((row.id, per, v * factor(m, &ind.unit)));
    }
    let inside = |x: &Period| p.start() <= x.start() && x.end() <= p.end();
    let used: Vec<&(i64, Period, Decimal)> = match mode {
        StatMode::Flow => {
            let months: Vec<_> = parsed
                .iter()
                .filter(|(_, x, _)| matches!(x, Period::Month(..)) && inside(x))
                .collect();
            if months.is_empty() {
                parsed
                    .iter()
                    .filter(|(_, x, _)| matches!(x, Period::Xun(..)) && inside(x))
                    .collect()
            } else {
                months
            }
        }
        StatMode::Level => parsed
            .iter()
            .filter(|(_, x, _)| matches!(x, Period::Month(..)) && inside(x))
            .max_by_key(|(_, x, _)| x.start())
            .into_iter()
            .collect(),
        StatMode::Target => parsed
            .iter()
            .filter(|(_, x, _)| *x == Period::Year(p.end().year()))
            .take(1)
            .collect(),
    };
    let mut ids: Vec<i64> = used.iter().map(|(id, _, _)| *id).collect();
    ids.sort_unstable();
    let count = ids.len() as i64;
    if let Some(v) = &visible {
        ids.retain(|i| v.contains(i));
    }
    let source = SourceRef {
        indicator: ind.id.clone(),
        ledger: STAT_LEDGER.into(),
        span: format!("{}..{}", p.start(), p.end()),
        count,
        ids: if ctx.with_ids { ids } else { vec![] },
    };
    if used.is_empty() {
        return Ok(Computed::none("无数据", vec![source]));
    }
    let mut total = Decimal::ZERO;
    for (_, _, v) in &used {
        total = total.checked_add(*v).ok_or_else(|| EvalError::Bad("合计溢出".into()))?;
    }
    Ok(Computed {
        value: Some(total),
        note: None,
        records: count,
        sources: vec![source],
        parts: vec![],
    })
}

fn where_conds(w: &Where, p: Period, today: Date, people: &[Person]) -> Vec<Cond> {
    let e = || Expr::Field(w.field.clone());
    let val = |v: &String| match v.as_str() {
        "$year" => p.end().year().to_string(),
        "$today" => today.to_string(),
        _ => v.clone(),
    };
    let mut out = Vec::new();
    if let Some(v) = &w.eq {
        out.push(Cond::eq(e(), val(v)));
    }
    if let Some(v) = &w.ne {
        out.push(Cond::cmp(e(), Op::Ne, val(v)));
    }
    if let Some(v) = &w.one_of {
        out.push(Cond::is_in(e(), v.iter().map(val).collect()));
    }
    if let Some(v) = &w.not_in {
        out.push(Cond {
            expr: e(),
            op: Op::NotIn,
            value: Operand::List(v.iter().map(val).collect()),
        });
    }
    for (v, op) in [(&w.ge, Op::Ge), (&w.gt, Op::Gt), (&w.le, Op::Le), (&w.lt, Op::Lt)] {
        if let Some(v) = v {
            out.push(Cond::cmp(e(), op, val(v)));
        }
    }
    for (v, op) in [(&w.le_field, Op::Le), (&w.gt_field, Op::Gt)] {
        if let Some(other) = v {
            out.push(Cond {
                expr: e(),
                op,
                value: Operand::Expr(Expr::Field(other.clone())),
            });
        }
    }
    if let Some(empty) = w.empty {
        out.push(Cond {
            expr: e(),
            op: if empty { Op::IsNull } else { Op::NotNull },
            value: Operand::None,
        });
    }
    if let Some(post) = &w.post {
        let ids: Vec<String> = people
            .iter()
            .filter(|x| &x.post == post)
            .map(|x| x.id.to_string())
            .collect();
        out.push(Cond::is_in(e(), ids));
    }
    out
}

/// The conditions of a scope. Statistics rows are picked by division code
/// separately, so a division scope adds nothing for them.
fn scope_conds(scope: &Scope, people: &[Person], statistic: bool) -> Vec<Cond> {
    match scope {
        Scope::County => vec![],
        Scope::Division(code) if statistic => {
            let _ = code;
            vec![]
        }
        Scope::Division(code) => vec![Cond::cmp(Expr::Col(Col::Division), Op::Prefix, code.clone())],
        Scope::Unit(u) => vec![Cond::eq(Expr::Col(Col::Unit), u.to_string())],
        Scope::Oversees(pid) => {
            let units: Vec<String> = people
                .iter()
                .find(|x| x.id == *pid)
                .map(|x| x.oversees.iter().map(|u| u.to_string()).collect())
                .unwrap_or_default();
            vec![Cond::is_in(Expr::Col(Col::Unit), units)]
        }
        Scope::Owns(pid) => vec![Cond::eq(Expr::Col(Col::Owner), pid.to_string())],
    }
}

/// The divisions a division ranks among: counties of its city (6 digits),
/// townships of its county (9), villages of its township (12), itself included.
fn siblings(org: &Org, code: &str) -> Vec<String> {
    let (prefix_len, len) = match code.len() {
        6 => (4, 6),
        9 => (6, 9),
        _ => (9, 12),
    };
    let prefix = code.get(..prefix_len).unwrap_or(code);
    let mut out: Vec<String> = org
        .divisions
        .keys()
        .filter(|c| c.len() == len && c.starts_with(prefix) && !(len == 6 && c.ends_with("00")))
        .cloned()
        .collect();
    if !out.iter().any(|c| c == code) {
        out.push(code.to_string());
    }
    out
}

async fn load_org(store: &Store) -> Result<Org, EvalError> {
    let county = store.meta("initialized").await?.unwrap_or_default();
    let people = store.people().await?;
    let units = store.units().await?.into_iter().map(|u| (u.id, u.name)).collect();
    let divisions = store
        .divisions("")
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    Ok(Org {
        county,
        people,
        units,
        divisions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn effective_cuts_at_today() {
        let today = date(2026, 11, 25);
        assert_eq!(
            effective(Period::Year(2026), today),
            Period::Range(date(2026, 1, 1), date(2026, 11, 25))
        );
        assert_eq!(effective(Period::Year(2025), today), Period::Year(2025));
        assert_eq!(
            effective(Period::Month(2026, 11), today),
            Period::Range(date(2026, 11, 1), today)
        );
        assert_eq!(effective(Period::Month(2026, 10), today), Period::Month(2026, 10));
        assert_eq!(
            effective(Period::Xun(2026, 11, 3), today),
            Period::Range(date(2026, 11, 21), today)
        );
        assert_eq!(effective(Period::Quarter(2027, 1), today), Period::Quarter(2027, 1));
        assert_eq!(
            effective(Period::Quarter(2026, 4), today),
            Period::Range(date(2026, 10, 1), today)
        );
        // Like for like: the base of 同比 is cut at the same day.
        let dec5 = date(2026, 12, 5);
        let e = effective(Period::Year(2026), dec5);
        assert_eq!(e.year_before(), Period::Range(date(2025, 1, 1), date(2025, 12, 5)));
        assert_eq!(span_label(e), "2026年1月1日至12月5日");
        assert_eq!(span_label(e.year_before()), "2025年1月1日至12月5日");
        assert_eq!(span_label(cut(Period::Year(2026), date(2026, 11, 30))), "2026年1-11月");
        assert_eq!(span_label(Period::Year(2026)), "2026年");
        assert_eq!(
            span_label(effective(Period::Month(2026, 11), today)),
            "2026年11月1日至25日"
        );
    }

    #[test]
    fn factors() {
        assert_eq!(factor("万元", "元"), Decimal::from(10_000));
        assert_eq!(factor("亿元", "元"), Decimal::from(100_000_000));
        assert_eq!(factor("万人", "人"), Decimal::from(10_000));
        assert_eq!(factor("人", "人"), Decimal::ONE);
        assert_eq!(factor("%", "%"), Decimal::ONE);
    }
}
