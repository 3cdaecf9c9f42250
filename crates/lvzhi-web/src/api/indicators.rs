//! Indicators (指标) and warnings (预警) over HTTP.
//!
//! * `GET /api/v1/indicators?period=2026&scope=county` — every indicator.
//! * `GET /api/v1/indicators/{id}?period=&scope=&source=&cursor=&limit=` — one
//!   indicator (by id or Chinese name) with its provenance: the sources (ledger,
//!   span, count) and a page of exactly the records (or statistics rows)
//!   behind the value, as the caller may see them; `links.next` pages on.
//! * `GET /api/v1/warnings?level=&rule=` — the warnings that fire now, with
//!   their evidence and acknowledgement.
//! * `POST /api/v1/warnings/{id}/ack` `{"note": "…"}` — acknowledge (an event).
//!
//! Every figure is computed within the caller's access: nobody sees an
//! indicator over records they cannot see. The period defaults to the current
//! year by the store's clock (so the demo's "today" is the demo's).

use super::{J, Q};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use lvzhi_core::period::Period;
use lvzhi_metrics::Scope;
use serde::Deserialize;
use serde_json::{Value, json};

/// `period` and `scope` of a query.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IndicatorQuery {
    /// `2026`, `2026Q3`, `2026-11`, `2026-11-1`, `2026-01..2026-11` (default: this year).
    pub period: Option<String>,
    /// `county`, `division:CODE`, `unit:ID`, `leader:PERSON`, `owns:PERSON`.
    pub scope: Option<String>,
    /// Only the records of this source (index into `sources`).
    pub source: Option<usize>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<usize>,
}

fn parse(st: &AppState, q: &IndicatorQuery) -> Result<(Period, Scope), ApiError> {
    super::page_limit(q.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX)), 500)?;
    let period = match q.period.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(p) => Period::parse(p).map_err(|e| ApiError::bad_request(e.to_string()))?,
        None => Period::Year(st.store.today().year()),
    };
    let scope = Scope::parse(q.scope.as_deref().unwrap_or("")).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok((period, scope))
}

/// `GET /api/v1/indicators`
pub async fn list(State(st): State<AppState>, c: Caller, Q(q): Q<IndicatorQuery>) -> Result<Json<Value>, ApiError> {
    sees_figures(&c)?;
    let (period, scope) = parse(&st, &q)?;
    let eng = st.engine();
    let items = eng
        .evaluate_all(&st.store, &c.session.access, period, &scope, st.store.today())
        .await?;
    Ok(Json(json!({
        "period": period.to_string(),
        "period_label": lvzhi_metrics::eval::common_label(&items).unwrap_or_else(|| lvzhi_metrics::span_label(lvzhi_metrics::effective(period, st.store.today()))),
        "scope": scope.to_string(),
        "items": items,
    })))
}

/// Figures come from the ledgers: a role that sees no ledger (the evaluator,
/// the security and audit administrators) is refused, as on the pages.
fn sees_figures(c: &Caller) -> Result<(), ApiError> {
    if c.session.access.role.sees_ledgers() {
        Ok(())
    } else {
        Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            "本角色不能查看台账、指标和督查督办",
        ))
    }
}

/// `GET /api/v1/indicators/{id}`
pub async fn one(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Q(q): Q<IndicatorQuery>,
) -> Result<Json<Value>, ApiError> {
    sees_figures(&c)?;
    let (period, scope) = parse(&st, &q)?;
    let eng = st.engine();
    let a = &c.session.access;
    let mut v = eng
        .evaluate(&st.store, a, &id, period, &scope, st.store.today())
        .await?;
    let sources = v.provenance.take().unwrap_or_default();
    if let Some(s) = q.source
        && s >= sources.len()
    {
        return Err(ApiError::bad_request(format!(
            "来源序号{s}超出范围（共{}个）",
            sources.len()
        )));
    }
    let ids: Vec<i64> = sources
        .iter()
        .enumerate()
        .filter(|(i, _)| q.source.is_none_or(|s| s == *i))
        .flat_map(|(_, s)| s.ids.iter().copied())
        .collect();
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let offset: usize = match q.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c
            .parse()
            .map_err(|_| ApiError::bad_request(format!("分页游标“{c}”无效")))?,
    };
    let page: Vec<i64> = ids.iter().skip(offset).take(limit).copied().collect();
    let items = st.store.records_by_ids(a, &page).await?;
    let next = (offset + limit < ids.len()).then(|| (offset + limit).to_string());
    let base = format!("/api/v1/indicators/{}?period={}&scope={}", v.id, period, scope);
    let summary: Vec<Value> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "indicator": s.indicator, "ledger": s.ledger, "span": s.span, "count": s.count,
                "records": format!("{base}&source={i}"),
            })
        })
        .collect();
    Ok(Json(json!({
        "indicator": v,
        "sources": summary,
        "records": {"items": items, "next": next, "total": ids.len()},
        "links": {
            "self": base,
            "next": next.as_ref().map(|n| format!("{base}{}&cursor={n}", q.source.map(|s| format!("&source={s}")).unwrap_or_default())),
        },
    })))
}

/// Filters of the warning list.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WarningQuery {
    /// `red` or `yellow`.
    pub level: Option<String>,
    /// A rule id (`price_fluctuation`).
    pub rule: Option<String>,
}

/// `GET /api/v1/warnings`
pub async fn warnings(State(st): State<AppState>, c: Caller, Q(q): Q<WarningQuery>) -> Result<Json<Value>, ApiError> {
    sees_figures(&c)?;
    let eng = st.engine();
    let mut items = eng.warnings(&st.store, &c.session.access, st.store.today()).await?;
    // The schema's enum has no empty value, so `?level=` is refused like any other bad level.
    if let Some(l) = q.level.as_deref() {
        if !matches!(l, "red" | "yellow") {
            return Err(ApiError::bad_request(format!("预警级别“{l}”无效（可选：red、yellow）")));
        }
        items.retain(|w| w.level == l);
    }
    if let Some(r) = q.rule.as_deref().filter(|s| !s.is_empty()) {
        items.retain(|w| w.rule == r);
    }
    Ok(Json(json!({ "items": items, "total": items.len() })))
}

/// Body of an acknowledgement.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    /// What was done about it.
    pub note: String,
}

/// `POST /api/v1/warnings/{id}/ack`
pub async fn ack(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    J(b): J<AckBody>,
) -> Result<Json<Value>, ApiError> {
    let eng = st.engine();
    let a = &c.session.access;
    let current = eng.warnings(&st.store, a, st.store.today()).await?;
    if !current.iter().any(|w| w.id == id) {
        return Err(ApiError::not_found(format!("预警“{id}”不存在或已解除")));
    }
    lvzhi_metrics::warn::acknowledge(&st.store, a, &id, &b.note).await?;
    let w = eng
        .warnings(&st.store, a, st.store.today())
        .await?
        .into_iter()
        .find(|w| w.id == id);
    Ok(Json(json!({ "warning": w })))
}

/// The query of 评星挂旗.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RanksQuery {
    /// `2026`, `2026-11`, `2026Q4`… (default: this year).
    pub period: Option<String>,
}

/// `GET /api/v1/supervise/ranks?period=2026` — 评星挂旗 over the records the
/// caller sees: per unit 到期, 按期办结, 超期未办结, 临期, 按期办结率, 名次,
/// stars and 红旗 ([`lvzhi_metrics::duty`], the 督查督办 page's rows).
pub async fn ranks(State(st): State<AppState>, c: Caller, Q(q): Q<RanksQuery>) -> Result<Json<Value>, ApiError> {
    use lvzhi_metrics::duty;
    let today = st.store.today();
    let p = q.period.unwrap_or_else(|| today.year().to_string());
    let period = lvzhi_core::period::Period::parse(&p).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let eff = lvzhi_metrics::effective(period, today);
    let a = &c.session.access;
    // As the 督查督办 page: a role that sees no ledger is refused.
    sees_figures(&c)?;
    let tallies = duty::unit_tallies(&st.store, a, &[], eff, today).await?;
    let offices = duty::ranking_offices(&st.store).await?;
    let items: Vec<Value> = duty::ranked_groups(&tallies, &offices)
        .into_iter()
        .map(|(group, r)| {
            json!({
                "group": group, "place": r.place, "unit": r.unit.label, "unit_id": r.unit.key,
                "due": r.unit.tally.due, "on_time": r.unit.tally.on_time,
                "overdue": r.unit.tally.overdue, "due_soon": r.unit.tally.due_soon,
                "rate": r.unit.tally.rate_text(), "stars": r.stars, "flag": r.flag, "few": r.few,
            })
        })
        .collect();
    Ok(Json(json!({
        "period": period.to_string(),
        "period_label": lvzhi_metrics::span_label(eff),
        "items": items,
    })))
}

/// The filter of [`warned`].
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WarnedQuery {
    /// A ledger key (only ledgers with deadlines; default: all of them).
    pub ledger: Option<String>,
    /// A responsible unit's id.
    pub unit: Option<i64>,
}

/// `GET /api/v1/supervise/warned?ledger=&unit=` — the 督查督办 page's
/// 超期 (红) and 临期 (黄) totals over the open items the caller sees, and
/// the same per unit, worst first ([`lvzhi_metrics::duty::warned_by_unit`],
/// the leader's 首页 table).
pub async fn warned(State(st): State<AppState>, c: Caller, Q(q): Q<WarnedQuery>) -> Result<Json<Value>, ApiError> {
    sees_figures(&c)?;
    let a = &c.session.access;
    let ledger = q.ledger.unwrap_or_default();
    if !ledger.is_empty() && crate::service::supervise::ledgers(st.store.pack(), &ledger).is_empty() {
        return Err(ApiError::not_found(format!("台账“{ledger}”不存在或没有办理期限")));
    }
    let (_, red, yellow) = crate::service::supervise::warned(&st.store, a, &ledger, q.unit, None, 1).await?;
    let names = st.store.units().await?;
    let scope: Vec<&str> = if ledger.is_empty() {
        vec![]
    } else {
        vec![ledger.as_str()]
    };
    let units: Vec<Value> = lvzhi_metrics::duty::warned_by_unit(&st.store, a, &scope)
        .await?
        .into_iter()
        .filter(|w| q.unit.is_none_or(|u| u == w.unit))
        .map(|w| {
            let name = names.iter().find(|u| u.id == w.unit).map(|u| u.name.clone());
            json!({"unit_id": w.unit, "unit": name, "red": w.red, "yellow": w.yellow})
        })
        .collect();
    Ok(Json(json!({
        "as_of": st.store.today().to_string(),
        "red": red,
        "yellow": yellow,
        "total": red + yellow,
        "units": units,
    })))
}

/// `GET /api/v1/dashboard` — the 领导驾驶舱 the caller's 首页 draws (a
/// leader's 分管, else the county; this year): 红黄预警 by unit, the monthly
/// trends with the period of every point, the township comparison
/// ([`crate::service::dashboard`]).
pub async fn dashboard(State(st): State<AppState>, c: Caller) -> Result<Json<Value>, ApiError> {
    sees_figures(&c)?;
    let d = crate::service::dashboard::build(&st, &c.session.access).await?;
    Ok(Json(json!(d)))
}
