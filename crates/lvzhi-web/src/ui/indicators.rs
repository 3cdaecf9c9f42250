//! 指标: the indicator table for a period and scope (each value a link to
//! the records behind it), the provenance page of one indicator, and the
//! leader's dashboard (领导驾驶舱) on 首页.
//!
//! Figures come from `lvzhi-metrics` within the caller's access (the engine
//! AND-s every query with it); the provenance page lists exactly the records
//! the engine names, fetched through `Store::records_by_ids` (scope and
//! masking are the store's). A base indicator's companions are found in the
//! definitions: its 同比 (a `growth`, else `pp_change` formula of it), its
//! target and completion (a `completion` formula with it as the done part).

use super::charts::{self, Bar, Series};
use super::form::Opt;
use super::render::{Chrome, Names, PageError, PageResult, error_page, page, query, store_error};
use super::rows::Row;
use super::session::UiUser;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lvzhi_core::access::Access;
use lvzhi_core::field::FieldDef;
use lvzhi_core::ledger::LedgerKind;
use lvzhi_core::period::Period;
use lvzhi_metrics::def::{FormulaKind, Source};
use lvzhi_metrics::{Engine, EvalError, IndicatorValue, Scope};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Records per provenance page.
const PAGE: usize = 50;
/// List columns shown per record on a provenance page (the title first; the record's page has the rest).
const PROVENANCE_COLUMNS: usize = 6;

fn eval_page(e: EvalError) -> Response {
    match e {
        EvalError::Store(s) => store_error(s),
        EvalError::Unknown(id) => error_page(StatusCode::NOT_FOUND, "未找到", &format!("指标“{id}”不存在")),
        EvalError::Bad(m) => error_page(StatusCode::BAD_REQUEST, "请求有误", &m),
    }
}

/// The companions of base indicators, from the definitions.
pub struct Companions {
    /// Indicator → its 同比 indicator.
    pub growth: HashMap<String, String>,
    /// Indicator → (target indicator, completion indicator).
    pub target: HashMap<String, (String, String)>,
    /// Indicators shown as another's companion (not as rows of their own).
    pub consumed: HashSet<String>,
}

impl Companions {
    /// Reads them off the engine's definitions.
    pub fn of(eng: &Engine) -> Companions {
        let mut growth = HashMap::new();
        let mut pp = HashMap::new();
        let mut target = HashMap::new();
        for i in &eng.defs().list {
            if let Source::Formula { kind, of } = &i.source {
                match (kind, of.as_slice()) {
                    (FormulaKind::Growth, [x]) => {
                        growth.entry(x.clone()).or_insert_with(|| i.id.clone());
                    }
                    (FormulaKind::PpChange, [x]) => {
                        pp.entry(x.clone()).or_insert_with(|| i.id.clone());
                    }
                    (FormulaKind::Completion, [done, t]) => {
                        target.entry(done.clone()).or_insert_with(|| (t.clone(), i.id.clone()));
                    }
                    _ => {}
                }
            }
        }
        for (k, v) in pp {
            growth.entry(k).or_insert(v);
        }
        let mut consumed: HashSet<String> = growth.values().cloned().collect();
        for (t, c) in target.values() {
            consumed.insert(t.clone());
            consumed.insert(c.clone());
        }
        Companions {
            growth,
            target,
            consumed,
        }
    }
}

/// A figure with its provenance link.
pub struct Fig {
    /// As printed (21.6亿元, 下降6.38%) or why there is none.
    pub display: String,
    /// The provenance page.
    pub href: String,
    /// There is a value.
    pub has: bool,
    /// Declines (同比 only): shown in green/red by the CSS.
    pub down: bool,
}

/// A line of the indicator table.
pub struct IndRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Unit of the value.
    pub unit: String,
    /// The value.
    pub value: Fig,
    /// Records behind it.
    pub records: i64,
    /// 同比.
    pub growth: Option<Fig>,
    /// Target.
    pub target: Option<Fig>,
    /// Completion.
    pub completion: Option<Fig>,
    /// Completion as a progress bar (SVG).
    pub bar: String,
}

/// A category of rows.
pub struct Group {
    /// Category name.
    pub name: String,
    /// Its rows.
    pub rows: Vec<IndRow>,
}

fn fig(v: &IndicatorValue, period: &str, scope: &str) -> Fig {
    Fig {
        display: v.display.clone(),
        href: ind_href(&v.id, period, scope),
        has: v.value.is_some(),
        down: v.value.as_deref().is_some_and(|s| s.starts_with('-')),
    }
}

/// The provenance page of an indicator.
pub fn ind_href(id: &str, period: &str, scope: &str) -> String {
    let qs = query(&[("period", period), ("scope", scope)]);
    if qs.is_empty() {
        format!("/indicators/{id}")
    } else {
        format!("/indicators/{id}?{qs}")
    }
}

/// Groups values into the table's rows (companions attached, not repeated).
/// `only_data` drops rows without records (a leader's dashboard).
pub fn groups(eng: &Engine, values: &[IndicatorValue], period: &str, scope: &str, only_data: bool) -> Vec<Group> {
    let comp = Companions::of(eng);
    let by_id: HashMap<&str, &IndicatorValue> = values.iter().map(|v| (v.id.as_str(), v)).collect();
    let mut out: Vec<Group> = Vec::new();
    for v in values {
        if comp.consumed.contains(&v.id) || (only_data && (v.records == 0 || v.value.is_none())) {
            continue;
        }
        let growth = comp
            .growth
            .get(&v.id)
            .and_then(|g| by_id.get(g.as_str()))
            .map(|g| fig(g, period, scope));
        let (target, completion) = match comp.target.get(&v.id) {
            Some((t, c)) => (
                by_id.get(t.as_str()).map(|t| fig(t, period, scope)),
                by_id.get(c.as_str()).map(|c| fig(c, period, scope)),
            ),
            None => (None, None),
        };
        let bar = match comp.target.get(&v.id).and_then(|(_, c)| by_id.get(c.as_str())) {
            Some(c) => {
                let pct = c.value.as_deref().and_then(|s| s.parse::<f64>().ok());
                charts::progress_bar(&format!("{}完成率", v.name), pct, &c.display)
            }
            None => String::new(),
        };
        let r = IndRow {
            id: v.id.clone(),
            name: v.name.clone(),
            unit: lvzhi_metrics::format::shown_unit(&v.display, &v.unit),
            value: fig(v, period, scope),
            records: v.records,
            growth,
            target,
            completion,
            bar,
        };
        let cat = if v.category.is_empty() { "其他" } else { &v.category };
        match out.iter_mut().find(|g| g.name == cat) {
            Some(g) => g.rows.push(r),
            None => out.push(Group {
                name: cat.to_string(),
                rows: vec![r],
            }),
        }
    }
    out
}

/// The scope choices: 全县, townships, units, leaders' 分管.
fn scope_opts(names: &Names, current: &str) -> Vec<(String, Vec<Opt>)> {
    let o = |value: String, label: String| Opt {
        selected: value == current,
        value,
        label,
    };
    vec![
        ("全县".into(), vec![o("county".into(), "全县".into())]),
        (
            "乡镇".into(),
            names
                .divisions
                .iter()
                .filter(|d| d.level == 2)
                .map(|d| o(format!("division:{}", d.code), d.name.clone()))
                .collect(),
        ),
        (
            "分管领导".into(),
            names
                .people
                .iter()
                .filter(|p| p.is_leader)
                .map(|p| o(format!("leader:{}", p.id), format!("{}分管", names.person(p.id))))
                .collect(),
        ),
        (
            "单位".into(),
            names
                .units
                .iter()
                .map(|u| o(format!("unit:{}", u.id), u.name.clone()))
                .collect(),
        ),
    ]
}

/// The default scope of a user: a leader's 分管, else the county.
pub fn default_scope(a: &Access) -> String {
    crate::service::dashboard::default_scope(a)
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    chrome: Chrome,
    title: String,
    period: String,
    period_label: String,
    scope_groups: Vec<(String, Vec<Opt>)>,
    scope_label: String,
    groups: Vec<Group>,
    error: String,
}

fn param(params: &[(String, String)], k: &str) -> String {
    params
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

fn forbid_evaluator(a: &Access) -> Result<(), Response> {
    if !a.role.sees_ledgers() {
        return Err(error_page(StatusCode::FORBIDDEN, "无权访问", "测评人不能查看指标。"));
    }
    Ok(())
}

fn scope_label(names: &Names, s: &Scope) -> String {
    match s {
        Scope::County => "全县".into(),
        Scope::Division(c) => names.division(c),
        Scope::Unit(u) => names.unit(*u),
        Scope::Oversees(p) => format!("{}分管", names.person(*p)),
        Scope::Owns(p) => format!("{}包挂", names.person(*p)),
    }
}

/// `GET /indicators?period=&scope=`
pub async fn table(State(st): State<AppState>, u: UiUser, Query(params): Query<Vec<(String, String)>>) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    forbid_evaluator(a)?;
    let names = u.names(store).await?;
    let today = store.today();
    let mut error = String::new();
    let mut period_s = param(&params, "period");
    if period_s.is_empty() {
        period_s = today.year().to_string();
    }
    let period = match Period::parse(&period_s) {
        Ok(p) => p,
        Err(e) => {
            error = e.to_string();
            Period::Year(today.year())
        }
    };
    let mut scope_s = param(&params, "scope");
    if scope_s.is_empty() {
        scope_s = default_scope(a);
    }
    let scope = match Scope::parse(&scope_s) {
        Ok(s) => s,
        Err(e) => {
            error = e.to_string();
            scope_s = "county".into();
            Scope::County
        }
    };
    let eng = st.engine();
    let values = u
        .memo_scoped(store, &format!("evaluate_all|{period}|{scope}"), || {
            eng.evaluate_all(store, a, period, &scope, today)
        })
        .await
        .map_err(eval_page)?;
    let ps = period.to_string();
    let groups = groups(eng, &values, &ps, &scope_s, false);
    Ok(page(
        StatusCode::OK,
        &IndicatorsPage {
            chrome: Chrome::new(store, &u, &names, "/indicators"),
            title: "指标".into(),
            period: period_s,
            period_label: lvzhi_metrics::eval::common_label(&values).unwrap_or_else(|| period.label()),
            scope_groups: scope_opts(&names, &scope_s),
            scope_label: scope_label(&names, &scope),
            groups,
            error,
        },
    ))
}

/// The records of one ledger on a provenance page.
pub struct RecGroup {
    /// Ledger name.
    pub ledger: String,
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Row>,
}

impl RecGroup {
    /// The columns a provenance page shows for `kind`: its list columns (the
    /// title first), at most [`PROVENANCE_COLUMNS`]; the record's page has the rest.
    pub fn fields(kind: &LedgerKind) -> Vec<&FieldDef> {
        let mut f = super::rows::list_fields(kind);
        f.truncate(PROVENANCE_COLUMNS);
        f
    }

    /// An empty group of `kind`, its headers from [`RecGroup::fields`].
    pub fn new(kind: &LedgerKind) -> RecGroup {
        RecGroup {
            ledger: kind.name.clone(),
            columns: RecGroup::fields(kind).iter().map(|f| f.label.clone()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds `view`'s row, its cells from the same column list as the headers.
    pub fn push(&mut self, kind: &LedgerKind, names: &Names, view: &lvzhi_store::records::RecordView) {
        self.rows
            .push(super::rows::row_of(kind, &RecGroup::fields(kind), names, view));
    }
}

/// A source of an indicator's value.
pub struct SourceLine {
    /// The indicator that read it.
    pub indicator: String,
    /// Ledger name.
    pub ledger: String,
    /// Span (2026年1月1日至2026年11月30日), or 当前 for snapshots.
    pub span: String,
    /// Records.
    pub count: i64,
    /// Only this source's records.
    pub href: String,
    /// Currently filtered to it.
    pub active: bool,
}

#[derive(Template)]
#[template(path = "indicator.html")]
struct IndicatorPage<'a> {
    chrome: Chrome,
    title: String,
    name: String,
    display: String,
    unit: String,
    period_label: String,
    scope_label: String,
    description: String,
    sources: Vec<SourceLine>,
    all_href: String,
    filtered: bool,
    total: usize,
    shown_from: usize,
    shown_to: usize,
    hidden: usize,
    groups: &'a [RecGroup],
    next_href: String,
    prev_href: String,
    back_href: String,
}

fn span_cn(span: &str) -> String {
    match span.split_once("..") {
        Some((a, b)) => format!("{}至{}", super::render::date(Some(a)), super::render::date(Some(b))),
        None if span.is_empty() => "当前".into(),
        None => span.to_string(),
    }
}

/// `GET /indicators/{id}?period=&scope=&source=&offset=`: the records behind a value.
pub async fn provenance(
    State(st): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    forbid_evaluator(a)?;
    let today = store.today();
    let period_s = param(&params, "period");
    let period = if period_s.is_empty() {
        Period::Year(today.year())
    } else {
        Period::parse(&period_s).map_err(|e| error_page(StatusCode::BAD_REQUEST, "请求有误", &e.to_string()))?
    };
    let scope_s = param(&params, "scope");
    let scope = Scope::parse(&scope_s).map_err(|e| error_page(StatusCode::BAD_REQUEST, "请求有误", &e.to_string()))?;
    let source: Option<usize> = param(&params, "source").parse().ok();
    let offset: usize = param(&params, "offset").parse().unwrap_or(0);
    let eng = st.engine();
    // The value with its provenance, and each page of its records, memoised
    // per reader until the next event (`UiUser::memo_scoped`).
    let eval_key = format!("evaluate|{id}|{period}|{scope}");
    let v = u
        .memo_scoped(store, &eval_key, || eng.evaluate(store, a, &id, period, &scope, today))
        .await
        .map_err(eval_page)?;
    let names = u.names(store).await?;
    let no_sources = Vec::new();
    let sources = v.provenance.as_ref().unwrap_or(&no_sources);
    if source.is_some_and(|s| s >= sources.len()) {
        return Err(error_page(StatusCode::BAD_REQUEST, "请求有误", "来源序号超出范围"));
    }
    let ps = period.to_string();
    let ss = scope.to_string();
    let href = |src: Option<usize>, off: usize| {
        let src = src.map(|s| s.to_string()).unwrap_or_default();
        let off = if off == 0 { String::new() } else { off.to_string() };
        format!(
            "/indicators/{}?{}",
            v.id,
            query(&[("period", &ps), ("scope", &ss), ("source", &src), ("offset", &off)])
        )
    };
    let pack = store.pack();
    let lines: Vec<SourceLine> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| SourceLine {
            indicator: eng
                .defs()
                .get(&s.indicator)
                .map(|d| d.name.clone())
                .unwrap_or_else(|| s.indicator.clone()),
            ledger: pack
                .ledger(&s.ledger)
                .map(|k| k.name.clone())
                .unwrap_or_else(|| s.ledger.clone()),
            span: span_cn(&s.span),
            count: s.count,
            href: href(Some(i), 0),
            active: source == Some(i),
        })
        .collect();
    // The ids in source order, each once.
    let ids = u
        .memo_scoped(store, &format!("{eval_key}|ids|{source:?}"), || async {
            let mut seen = HashSet::new();
            Ok::<_, lvzhi_store::StoreError>(
                sources
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| source.is_none_or(|s| s == *i))
                    .flat_map(|(_, s)| s.ids.iter().copied())
                    .filter(|id| seen.insert(*id))
                    .collect::<Vec<i64>>(),
            )
        })
        .await
        .map_err(store_error)?;
    let page_ids: Vec<i64> = ids.iter().skip(offset).take(PAGE).copied().collect();
    let shown = u
        .memo_scoped(store, &format!("{eval_key}|page|{source:?}|{offset}"), || async {
            let views = store.records_by_ids(a, &page_ids).await?;
            let hidden = page_ids.len().saturating_sub(views.len());
            let mut groups: Vec<RecGroup> = Vec::new();
            for view in &views {
                let Some(kind) = pack.ledger(&view.row.ledger) else {
                    continue;
                };
                let i = match groups.iter().position(|g| g.ledger == kind.name) {
                    Some(i) => i,
                    None => {
                        groups.push(RecGroup::new(kind));
                        groups.len() - 1
                    }
                };
                groups[i].push(kind, &names, view);
            }
            Ok::<_, lvzhi_store::StoreError>((groups, hidden))
        })
        .await
        .map_err(store_error)?;
    let (groups, hidden) = (&shown.0, shown.1);
    let next_href = if offset + PAGE < ids.len() {
        href(source, offset + PAGE)
    } else {
        String::new()
    };
    let prev_href = if offset > 0 {
        href(source, offset.saturating_sub(PAGE))
    } else {
        String::new()
    };
    let description = eng.defs().get(&v.id).map(|d| d.description.clone()).unwrap_or_default();
    Ok(page(
        StatusCode::OK,
        &IndicatorPage {
            chrome: Chrome::new(store, &u, &names, "/indicators"),
            title: format!("{}：数据来源", v.name),
            name: v.name.clone(),
            display: v.display.clone(),
            unit: v.unit.clone(),
            period_label: v.period_label.clone(),
            scope_label: scope_label(&names, &scope),
            description,
            sources: lines,
            all_href: href(None, 0),
            filtered: source.is_some(),
            total: ids.len(),
            shown_from: if page_ids.is_empty() { 0 } else { offset + 1 },
            shown_to: offset + page_ids.len(),
            hidden,
            groups,
            next_href,
            prev_href,
            back_href: format!("/indicators?{}", query(&[("period", &ps), ("scope", &ss)])),
        },
    ))
}

/// Red/yellow counts of a unit on the dashboard.
pub struct UnitWarn {
    /// Unit name.
    pub unit: String,
    /// Its overdue items.
    pub red: i64,
    /// Its due-soon items.
    pub yellow: i64,
    /// Its overdue items (link).
    pub href_red: String,
}

/// The leader's dashboard (领导驾驶舱) on 首页, drawn from
/// [`crate::service::dashboard`] (the same data `GET /api/v1/dashboard` returns).
pub struct Dashboard {
    /// The scope's name (张三（常务副县长）分管).
    pub scope_label: String,
    /// Period label (2026年1-11月).
    pub period_label: String,
    /// Indicators with data, by category.
    pub groups: Vec<Group>,
    /// Red/yellow by unit, worst first.
    pub units: Vec<UnitWarn>,
    /// The same as a bar chart (SVG).
    pub units_chart: String,
    /// Monthly trend charts (SVG).
    pub trends: Vec<String>,
    /// Township comparison chart (SVG), when the leader's indicators have a township figure.
    pub townships: String,
    /// Link to the full table.
    pub more_href: String,
}

/// A decimal figure as f64, for drawing only (labels show the exact text).
fn draw(value: Option<&str>) -> Option<f64> {
    value?.parse().ok()
}

/// The unit a chart of money is drawn in (万元, or 亿元 from 1亿 up) and its divisor.
fn draw_scale(unit: &str, max: f64) -> (String, f64) {
    match unit {
        "元" if max >= 1e8 => ("亿元".into(), 1e8),
        "元" => ("万元".into(), 1e4),
        u => (u.to_string(), 1.0),
    }
}

/// The leader's dashboard, memoised per reader until the next event (or day).
pub async fn dashboard(st: &AppState, u: &UiUser, names: &Names) -> Result<Arc<Dashboard>, Response> {
    let a = &u.session.access;
    u.memo_scoped(&st.store, "dashboard", || async {
        draw_dashboard(st, a, names).await.map_err(PageError)
    })
    .await
    .map_err(|e| e.0)
}

/// Draws the dashboard's data: the table of indicators, 红黄预警 by unit
/// (table and bars), the monthly trends and the township comparison.
async fn draw_dashboard(st: &AppState, a: &Access, names: &Names) -> Result<Dashboard, Response> {
    let d = crate::service::dashboard::build(st, a).await.map_err(eval_page)?;
    let eng = st.engine();
    let groups = groups(eng, &d.values, &d.period, &d.scope, true);
    let units: Vec<UnitWarn> = d
        .units
        .iter()
        .map(|w| UnitWarn {
            unit: w.unit.clone(),
            red: w.red,
            yellow: w.yellow,
            href_red: format!("/supervise?unit={}&level=red", w.unit_id),
        })
        .collect();
    let units_chart = charts::bar_chart(
        "超期（红）事项最多的单位",
        &units
            .iter()
            .filter(|w| w.red > 0)
            .map(|w| Bar {
                label: w.unit.clone(),
                value: w.red as f64,
                text: format!("{}件", w.red),
                mark: false,
            })
            .collect::<Vec<_>>(),
    );
    let trends = d
        .trends
        .iter()
        .map(|t| {
            let max = t
                .lines
                .iter()
                .flat_map(|l| &l.points)
                .filter_map(|p| draw(p.value.as_deref()))
                .fold(0.0, f64::max);
            let (unit, div) = draw_scale(&t.unit, max);
            let labels: Vec<String> = t
                .lines
                .first()
                .map(|l| l.points.iter().map(|p| p.label.clone()).collect())
                .unwrap_or_default();
            let series: Vec<Series> = t
                .lines
                .iter()
                .map(|l| Series {
                    name: l.name.clone(),
                    points: l
                        .points
                        .iter()
                        .map(|p| draw(p.value.as_deref()).map(|x| (x / div, p.display.clone())))
                        .collect(),
                })
                .collect();
            charts::line_chart(&format!("{}（{unit}，按月）", t.name), &labels, &series)
        })
        .collect();
    let townships = match &d.townships {
        Some(t) => {
            let max = t.bars.iter().filter_map(|b| draw(Some(&b.value))).fold(0.0, f64::max);
            let (_, div) = draw_scale(&t.unit, max);
            let bars: Vec<Bar> = t
                .bars
                .iter()
                .enumerate()
                .map(|(i, b)| Bar {
                    label: b.name.clone(),
                    value: draw(Some(&b.value)).unwrap_or(0.0) / div,
                    text: b.display.clone(),
                    mark: i == 0,
                })
                .collect();
            charts::bar_chart(&format!("各乡镇{}（{}）", t.name, t.period_label), &bars)
        }
        None => String::new(),
    };
    let scope = Scope::parse(&d.scope).unwrap_or(Scope::County);
    Ok(Dashboard {
        scope_label: scope_label(names, &scope),
        period_label: d.period_label.clone(),
        groups,
        units,
        units_chart,
        trends,
        townships,
        more_href: format!("/indicators?{}", query(&[("period", &d.period), ("scope", &d.scope)])),
    })
}
