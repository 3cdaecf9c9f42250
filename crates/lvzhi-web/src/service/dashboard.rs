//! The leader's dashboard (领导驾驶舱) as data: the indicators of the
//! reader's default scope for this year, 红黄预警 by unit
//! ([`lvzhi_metrics::duty::warned_by_unit`]), monthly trends of up to four
//! flows (this year against last) and a township comparison of the first.
//!
//! Every figure is an indicator value from the engine (its `display`) or a
//! count from `lvzhi-metrics`; nothing is computed here beyond choosing which
//! figures to show. 首页 draws it (`ui::indicators`); `GET /api/v1/dashboard`
//! returns it, each point with the period it is the figure of, so that the
//! consistency test can ask `/api/v1/indicators/{id}?period=…` and
//! `lvzhi indicators` for the same number.

use super::App;
use lvzhi_core::access::{Access, Role};
use lvzhi_core::period::Period;
use lvzhi_metrics::def::{MeasureKind, Source, StatMode};
use lvzhi_metrics::{Engine, EvalError, IndicatorValue, Scope};
use serde::Serialize;

/// Rows of the 红黄预警 table at most (worst first).
pub const UNITS_SHOWN: usize = 12;
/// Trend charts at most.
pub const TRENDS: usize = 4;

/// The default scope of a user: a leader's 分管, else the county.
pub fn default_scope(a: &Access) -> String {
    match (a.role, a.person) {
        (Role::Leader, Some(p)) => format!("leader:{p}"),
        _ => "county".into(),
    }
}

/// A unit's row of 红黄预警.
#[derive(Debug, Clone, Serialize)]
pub struct UnitWarn {
    /// Unit id.
    pub unit_id: i64,
    /// Unit name.
    pub unit: String,
    /// 超期 (红).
    pub red: i64,
    /// 临期 (黄).
    pub yellow: i64,
}

/// One point of a trend: the indicator's value for `period`.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// The x label (3月; the month in progress 12月(至5日)).
    pub label: String,
    /// The period the figure is of (`2026-03`, `2025-12-01..2025-12-05`).
    pub period: String,
    /// The exact value in the indicator's unit (None: no data, no point drawn).
    pub value: Option<String>,
    /// The figure as shown (the engine's `display`).
    pub display: String,
}

/// One line of a trend chart.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Its name (2026年).
    pub name: String,
    /// One point per month.
    pub points: Vec<Point>,
}

/// A monthly trend of one indicator.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    /// Indicator id.
    pub id: String,
    /// Indicator name.
    pub name: String,
    /// The indicator's own unit.
    pub unit: String,
    /// This year, then last year.
    pub lines: Vec<Line>,
}

/// One township's bar.
#[derive(Debug, Clone, Serialize)]
pub struct TownBar {
    /// Division code.
    pub division: String,
    /// Township name.
    pub name: String,
    /// The exact value.
    pub value: String,
    /// The figure as shown.
    pub display: String,
}

/// The township comparison of one indicator (largest first).
#[derive(Debug, Clone, Serialize)]
pub struct Townships {
    /// Indicator id.
    pub id: String,
    /// Indicator name.
    pub name: String,
    /// The indicator's own unit.
    pub unit: String,
    /// The period label of the figures.
    pub period_label: String,
    /// The period the figures are of.
    pub period: String,
    /// One bar per township with records.
    pub bars: Vec<TownBar>,
}

/// The dashboard's data.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// The scope (`leader:7`).
    pub scope: String,
    /// The period (this year).
    pub period: String,
    /// Its label as the figures have it (2026年1-11月).
    pub period_label: String,
    /// 红黄预警 by unit, worst first, at most [`UNITS_SHOWN`].
    pub units: Vec<UnitWarn>,
    /// Monthly trends.
    pub trends: Vec<Trend>,
    /// The township comparison, when the first flow has township figures.
    pub townships: Option<Townships>,
    /// Every indicator of the scope for the year (the table below the charts).
    #[serde(skip)]
    pub values: Vec<IndicatorValue>,
}

/// Whether an indicator adds up over months (a flow): counts and sums with a
/// date, statistics flows.
fn is_flow(eng: &Engine, id: &str) -> bool {
    matches!(
        eng.defs().get(id).map(|i| &i.source),
        Some(Source::Measure {
            kind: MeasureKind::Count | MeasureKind::Sum,
            date: Some(_),
            ..
        }) | Some(Source::Statistic {
            mode: StatMode::Flow,
            ..
        })
    )
}

/// Builds the dashboard of `a` as of the store's today.
pub async fn build(app: &App, a: &Access) -> Result<Dashboard, EvalError> {
    let store = &app.store;
    let eng = app.engine();
    let today = store.today();
    let scope_s = default_scope(a);
    let scope = Scope::parse(&scope_s).unwrap_or(Scope::County);
    let year = Period::Year(today.year());
    let values = eng.evaluate_all(store, a, year, &scope, today).await?;
    // 红黄预警 by unit: the 督查督办 page's definition.
    let unit_names = store.units().await?;
    let units: Vec<UnitWarn> = lvzhi_metrics::duty::warned_by_unit(store, a, &[])
        .await?
        .into_iter()
        .take(UNITS_SHOWN)
        .map(|w| UnitWarn {
            unit_id: w.unit,
            unit: unit_names
                .iter()
                .find(|u| u.id == w.unit)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| format!("单位{}", w.unit)),
            red: w.red,
            yellow: w.yellow,
        })
        .collect();
    // Monthly trends: up to four flows with data, this year against last.
    let flows: Vec<&IndicatorValue> = values
        .iter()
        .filter(|v| v.records > 0 && v.value.is_some() && is_flow(eng, &v.id))
        .take(TRENDS)
        .collect();
    let ids: Vec<String> = flows.iter().map(|v| v.id.clone()).collect();
    let months = today.month();
    // The month in progress is marked partial (its figures run to today;
    // statistics not yet reported are gaps, never 0).
    let labels: Vec<String> = (1..=months)
        .map(|m| {
            if m == months && today != today.last_of_month() {
                format!("{m}月(至{}日)", today.day())
            } else {
                format!("{m}月")
            }
        })
        .collect();
    let mut lines: Vec<Vec<Line>> = flows
        .iter()
        .map(|_| {
            [today.year(), today.year() - 1]
                .iter()
                .map(|y| Line {
                    name: format!("{y}年"),
                    points: Vec::new(),
                })
                .collect()
        })
        .collect();
    if !ids.is_empty() {
        for m in 1..=months {
            for (li, y) in [today.year(), today.year() - 1].into_iter().enumerate() {
                // Like for like: the month in progress against the same days
                // of that month a year before (lvzhi_metrics::effective).
                let p = match jiff::civil::Date::new(y, m, today.day()) {
                    Ok(d) if m == months && y < today.year() => lvzhi_metrics::cut(Period::Month(y, m), d),
                    _ => Period::Month(y, m),
                };
                let vs = eng.evaluate_some(store, a, &ids, p, &scope, today).await?;
                for (i, v) in vs.iter().enumerate() {
                    lines[i][li].points.push(Point {
                        label: labels[usize::try_from(m - 1).unwrap_or(0)].clone(),
                        period: p.to_string(),
                        value: v.value.clone(),
                        display: v.display.clone(),
                    });
                }
            }
        }
    }
    let trends = flows
        .iter()
        .zip(lines)
        .map(|(v, lines)| Trend {
            id: v.id.clone(),
            name: v.name.clone(),
            unit: v.unit.clone(),
            lines,
        })
        .collect();
    // Township comparison of the first flow.
    let townships = match flows.first() {
        Some(v) => {
            let mut bars: Vec<(lvzhi_core::Decimal, TownBar)> = Vec::new();
            for d in store.divisions("").await?.into_iter().filter(|d| d.level == 2) {
                let s = Scope::Division(d.code.clone());
                let vs = eng
                    .evaluate_some(store, a, std::slice::from_ref(&v.id), year, &s, today)
                    .await?;
                if let Some(x) = vs.first().filter(|x| x.records > 0)
                    && let Some(value) = x.value.clone()
                    && let Ok(n) = value.parse::<lvzhi_core::Decimal>()
                {
                    bars.push((
                        n,
                        TownBar {
                            division: d.code.clone(),
                            name: d.name.clone(),
                            value,
                            display: x.display.clone(),
                        },
                    ));
                }
            }
            // Largest first; equal figures by name.
            bars.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.name.cmp(&y.1.name)));
            (!bars.is_empty()).then(|| Townships {
                id: v.id.clone(),
                name: v.name.clone(),
                unit: v.unit.clone(),
                period_label: v.period_label.clone(),
                period: year.to_string(),
                bars: bars.into_iter().map(|b| b.1).collect(),
            })
        }
        None => None,
    };
    Ok(Dashboard {
        scope: scope.to_string(),
        period: year.to_string(),
        period_label: lvzhi_metrics::eval::common_label(&values).unwrap_or_else(|| year.label()),
        units,
        trends,
        townships,
        values,
    })
}
