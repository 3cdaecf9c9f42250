//! 报告: write a report from the records, look at where each figure comes
//! from, download it, and edit copies of the templates.
//!
//! * `GET /reports` — pick template, person (leaders), period and scope; the
//!   preview shows the report as HTML with every figure a link to its
//!   provenance; DOCX and Markdown downloads (the API's render endpoint, with
//!   the session cookie). A figure without a value shows the Chinese message
//!   naming the indicator, the scope and the period — never a placeholder.
//! * `GET /reports/figure?mark=…&period=…&scope=…` — the records behind one
//!   figure: exactly the records the indicator counted (for a unit's figure
//!   in a bulletin, exactly that unit's), each linking to its record page.
//! * `GET /reports/templates/edit?name=…[&version=N]` — the template editor:
//!   the source in a textarea, the version history (who, when, note), a copy
//!   button for shipped templates; `GET /reports/templates/copy?from=…` starts
//!   a copy; `POST /reports/templates/save` saves the next version after the
//!   check (syntax, every indicator exists); an error names and shows the line
//!   and nothing is saved. Only the office and the administrator edit.

use super::render::{Chrome, Names, PageResult, page, query, see_other, store_error, when};
use super::session::{UiUser, check_csrf, field};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lvzhi_core::access::Role;
use lvzhi_core::period::Period;
use lvzhi_metrics::Scope;
use lvzhi_report::custom::{self, Save};
use lvzhi_report::html::{Target, target};
use lvzhi_report::{ReportError, Request};
use lvzhi_store::templates::{TemplateVersion, may_edit};
use serde::Deserialize;

type FormBody = Result<Form<Vec<(String, String)>>, FormRejection>;

/// A choice of a select.
pub struct Opt {
    /// Value.
    pub value: String,
    /// Label.
    pub label: String,
    /// Selected.
    pub selected: bool,
}

fn opt(value: &str, label: &str, current: &str) -> Opt {
    Opt {
        value: value.into(),
        label: label.into(),
        selected: value == current,
    }
}

/// A template in the list.
pub struct TemplateRow {
    /// Name.
    pub name: String,
    /// 内置 / 自定义（第N版）.
    pub kind: String,
    /// The editor (or viewer) page.
    pub edit_href: String,
    /// The copy page.
    pub copy_href: String,
    /// Last saved by, at.
    pub saved: String,
}

/// The 报告 page.
#[derive(Template)]
#[template(path = "report_index.html")]
pub struct IndexPage {
    chrome: Chrome,
    title: String,
    templates: Vec<Opt>,
    people: Vec<Opt>,
    scopes: Vec<Opt>,
    period: String,
    /// The 期数 field (bulletins only): shown, and its value.
    issue_field: bool,
    issue: String,
    rows: Vec<TemplateRow>,
    can_edit: bool,
    error: String,
    preview: String,
    heading: String,
    docx_href: String,
    md_href: String,
    figures: usize,
}

/// The query of the 报告 page.
#[derive(Deserialize, Default)]
pub struct IndexQuery {
    /// Template name.
    pub template: Option<String>,
    /// Person (name or post).
    pub person: Option<String>,
    /// Period.
    pub period: Option<String>,
    /// Scope.
    pub scope: Option<String>,
    /// A bulletin's 期数 (11 → 〔2026〕第11期).
    pub issue: Option<String>,
}

fn report_message(e: &ReportError) -> String {
    match e {
        ReportError::Store(s) if s.status() >= 500 => "服务器内部错误，请稍后重试".into(),
        ReportError::Eval(lvzhi_metrics::EvalError::Store(s)) if s.status() >= 500 => {
            "服务器内部错误，请稍后重试".into()
        }
        other => other.to_string(),
    }
}

/// The link of a figure inside the UI (`back`: the report's page, for the way back).
pub fn figure_href(mark: &str, period: &str, scope: &str, back: &str) -> String {
    match target(mark) {
        Target::Record(id) => format!("/records/{id}"),
        _ => format!(
            "/reports/figure?{}",
            query(&[("mark", mark), ("period", period), ("scope", scope), ("back", back)])
        ),
    }
}

/// A way back to a report page: only `/reports?…` (never another site).
fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with("/reports?") && !b.contains("//") && !b.contains('\\') => b.to_string(),
        _ => "/reports".into(),
    }
}

/// `GET /reports`
pub async fn index(State(st): State<AppState>, u: UiUser, Query(q): Query<IndexQuery>) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    if !a.role.sees_ledgers() {
        return Err(super::render::error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            "测评账号不能生成报告。",
        ));
    }
    let names = Names::load(store).await.map_err(store_error)?;
    let files = st.files();
    let all = custom::list(store, files).await.map_err(report_store_error)?;
    let today = store.today();
    let template = q.template.clone().filter(|t| !t.is_empty());
    // The person is chosen by id; a leader's own report is theirs by default.
    let person = q.person.clone().filter(|t| !t.trim().is_empty()).or_else(|| {
        (a.role == Role::Leader)
            .then_some(a.person)
            .flatten()
            .map(|id| id.to_string())
    });
    let period = q
        .period
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| today.year().to_string());
    let scope = q
        .scope
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "county".into());

    let current_t = template.clone().unwrap_or_default();
    let templates = all
        .iter()
        .map(|t| {
            let label = match t.version {
                Some(v) => format!("{}（自定义，第{v}版）", t.name),
                None => t.name.clone(),
            };
            opt(&t.name, &label, &current_t)
        })
        .collect();
    let current_p = person.clone().unwrap_or_default();
    // “（不指定）” only for a template that is not about one person.
    let about_one = match &template {
        Some(t) => custom::source(store, files, t, None)
            .await
            .is_ok_and(|src| lvzhi_report::needs_person(&src.source)),
        None => false,
    };
    // A bulletin's 期数: the office sets it; by default the next one.
    let mut issue_field = false;
    let mut issue = q.issue.clone().unwrap_or_default().trim().to_string();
    if let Some(t) = &template
        && let Ok(src) = custom::source(store, files, t, None).await
        && lvzhi_report::has_issue(&src.source)
    {
        issue_field = true;
        if issue.is_empty()
            && let Ok(p) = Period::parse(period.trim())
        {
            issue = lvzhi_report::next_issue(store, t, p, today)
                .await
                .map_err(report_store_error)?
                .to_string();
        }
    }
    let mut people = Vec::new();
    if !about_one {
        people.push(opt("", "（不指定）", &current_p));
    }
    for p in names.people.iter().filter(|p| p.is_leader) {
        people.push(opt(&p.id.to_string(), &format!("{}（{}）", p.post, p.name), &current_p));
    }
    let mut scopes = vec![opt("county", "全县", &scope)];
    for d in names.divisions.iter().filter(|d| d.code.len() == 9) {
        scopes.push(opt(&format!("division:{}", d.code), &d.name, &scope));
    }
    let can_edit = may_edit(a);
    let rows = all
        .iter()
        .map(|t| TemplateRow {
            name: t.name.clone(),
            kind: match t.version {
                Some(v) => format!("自定义（第{v}版）"),
                None => "内置".into(),
            },
            edit_href: format!("/reports/templates/edit?{}", query(&[("name", &t.name)])),
            copy_href: format!("/reports/templates/copy?{}", query(&[("from", &t.name)])),
            saved: match (&t.author, &t.at) {
                (Some(by), Some(at)) => format!("{by} {}", when(at)),
                _ => String::new(),
            },
        })
        .collect();

    let mut error = String::new();
    let mut preview = String::new();
    let mut heading = String::new();
    let mut docx_href = String::new();
    let mut md_href = String::new();
    let mut figures = 0;
    if let Some(t) = &template {
        let engine = st.engine();
        // A number the user typed is the office's choice (remembered); the
        // offered default is not, until the bulletin is downloaded with it.
        let typed = q.issue.as_deref().is_some_and(|t| !t.trim().is_empty());
        let parsed = lvzhi_report::parse_issue(if issue_field && typed { &issue } else { "" });
        let req = Request {
            issue: parsed.as_ref().ok().copied().flatten(),
            template: t.clone(),
            period: period.trim().to_string(),
            person: person.clone(),
            scope: scope.clone(),
            today,
        };
        let rendered = match parsed {
            Ok(_) => lvzhi_report::render_as(store, engine, files, &req, a).await,
            Err(e) => Err(e),
        };
        match rendered {
            Ok(report) => {
                let mut here: Vec<(&str, &str)> = vec![("template", t), ("period", &req.period), ("scope", &req.scope)];
                if let Some(p) = &req.person {
                    here.push(("person", p));
                }
                // Downloads carry the number shown; the way back only a typed one.
                let n = if issue_field { issue.clone() } else { String::new() };
                if typed && !n.is_empty() {
                    here.push(("issue", &n));
                }
                let back = format!("/reports?{}", query(&here));
                preview = lvzhi_report::html::body(&report, &|m| figure_href(m, &report.period, &report.scope, &back));
                figures = report.figures.len();
                heading = format!("{}（{}）", t, report.period_label);
                let mut qs: Vec<(&str, &str)> = vec![("period", &req.period), ("scope", &req.scope)];
                if let Some(p) = &req.person {
                    qs.push(("person", p));
                }
                if !n.is_empty() {
                    qs.push(("issue", &n));
                }
                let base = format!("/api/v1/reports/{}", lvzhi_report::html::query(t));
                let mut docx = qs.clone();
                docx.push(("format", "docx"));
                docx_href = format!("{base}?{}", query(&docx));
                let mut md = qs;
                md.push(("format", "md"));
                md_href = format!("{base}?{}", query(&md));
            }
            Err(e) => error = report_message(&e),
        }
    }
    Ok(page(
        if error.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &IndexPage {
            chrome: Chrome::new(store, &u, &names, "/reports"),
            title: "报告".into(),
            templates,
            people,
            scopes,
            period,
            issue_field,
            issue,
            rows,
            can_edit,
            error,
            preview,
            heading,
            docx_href,
            md_href,
            figures,
        },
    ))
}

fn report_store_error(e: ReportError) -> Response {
    match e {
        ReportError::Store(s) => store_error(s),
        other => super::render::error_page(StatusCode::BAD_REQUEST, "请求有误", &other.to_string()),
    }
}

/// One source record of a figure.
pub struct SourceRow {
    /// Record page.
    pub href: String,
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Ledger name.
    pub ledger: String,
    /// Responsible unit.
    pub unit: String,
    /// State.
    pub state: String,
    /// Deadline.
    pub deadline: String,
}

/// A source (ledger, span, count) of a figure.
pub struct SourceSummary {
    /// The indicator that read it.
    pub indicator: String,
    /// Ledger name.
    pub ledger: String,
    /// Span read (or 截至今日).
    pub span: String,
    /// Count.
    pub count: i64,
}

/// The provenance page of one figure.
#[derive(Template)]
#[template(path = "report_figure.html")]
pub struct FigurePage {
    chrome: Chrome,
    title: String,
    name: String,
    display: String,
    period_label: String,
    scope_label: String,
    part: String,
    sources: Vec<SourceSummary>,
    rows: Vec<SourceRow>,
    total: usize,
    next_href: String,
    note: String,
    back: String,
}

/// The query of the provenance page.
#[derive(Deserialize, Default)]
pub struct FigureQuery {
    /// The figure's mark (`indicator`, `indicator@group`).
    pub mark: Option<String>,
    /// Period.
    pub period: Option<String>,
    /// Scope.
    pub scope: Option<String>,
    /// Offset into the records.
    pub from: Option<usize>,
    /// The report page to go back to.
    pub back: Option<String>,
}

fn cn(d: &str) -> String {
    lvzhi_report::helpers::cn_date(d).unwrap_or_else(|_| d.to_string())
}

/// Records shown per page of the provenance page.
const PER_PAGE: usize = 100;

/// `GET /reports/figure`
pub async fn figure(State(st): State<AppState>, u: UiUser, Query(q): Query<FigureQuery>) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    let bad = |m: String| super::render::error_page(StatusCode::BAD_REQUEST, "请求有误", &m);
    let mark = q.mark.clone().unwrap_or_default();
    // `id@leader:7`: a figure over another scope (a leader's 分管).
    let mut other_scope = None;
    let (id, part) = match target(&mark) {
        Target::Record(r) => return Ok(see_other(&format!("/records/{r}"))),
        Target::Indicator(i) => (i.to_string(), None),
        Target::Part(i, k) if k.contains(':') => {
            other_scope = Some(k.to_string());
            (i.to_string(), None)
        }
        Target::Part(i, k) => (i.to_string(), Some(k.to_string())),
    };
    let today = store.today();
    let period_s = q.period.clone().unwrap_or_else(|| today.year().to_string());
    let period = Period::parse(&period_s).map_err(|e| bad(e.to_string()))?;
    let scope_s = other_scope
        .or_else(|| q.scope.clone())
        .unwrap_or_else(|| "county".into());
    let scope = Scope::parse(&scope_s).map_err(|e| bad(e.to_string()))?;
    let engine = st.engine();
    let def = engine
        .defs()
        .find(&id)
        .ok_or_else(|| super::render::error_page(StatusCode::NOT_FOUND, "未找到", &format!("指标“{id}”不存在")))?;
    let group_by = def.group_by.clone();
    let v = engine
        .evaluate(store, a, &id, period, &scope, today)
        .await
        .map_err(|e| match e {
            lvzhi_metrics::EvalError::Store(s) => store_error(s),
            other => bad(other.to_string()),
        })?;
    let names = Names::load(store).await.map_err(store_error)?;
    let pack = store.pack();
    let ledger_name = |k: &str| pack.ledger(k).map_or_else(|| k.to_string(), |l| l.name.clone());
    let provenance = v.provenance.clone().unwrap_or_default();
    let sources = provenance
        .iter()
        .map(|s| SourceSummary {
            indicator: engine
                .defs()
                .get(&s.indicator)
                .map_or_else(|| s.indicator.clone(), |d| d.name.clone()),
            ledger: ledger_name(&s.ledger),
            span: if s.span.is_empty() {
                format!("截至{}", cn(&today.to_string()))
            } else {
                s.span.split("..").map(cn).collect::<Vec<_>>().join("至")
            },
            count: s.count,
        })
        .collect();
    let ids: Vec<i64> = provenance.iter().flat_map(|s| s.ids.iter().copied()).collect();
    let from = q.from.unwrap_or(0);
    // A unit's (or township's…) part: exactly the records of that group.
    let (selected, part_label, display) = match &part {
        None => (ids, String::new(), v.display.clone()),
        Some(key) => {
            let mut keep = Vec::new();
            for chunk in ids.chunks(500) {
                for r in store.records_by_ids(a, chunk).await.map_err(store_error)? {
                    let row = &r.row;
                    let in_group = match group_by.as_deref() {
                        Some("unit") => row.unit_id.is_some_and(|u| key.parse::<i64>().is_ok_and(|k| k == u)),
                        Some("division") => row.division.as_deref().is_some_and(|d| d.starts_with(key.as_str())),
                        Some(f) => row.fields.get(f).is_some_and(|x| match x {
                            serde_json::Value::String(s) => s == key,
                            other => other.to_string().as_str() == key.as_str(),
                        }),
                        None => true,
                    };
                    if in_group {
                        keep.push(row.id);
                    }
                }
            }
            let p = v.breakdown.iter().find(|p| &p.key == key);
            let label = p.map_or_else(|| key.clone(), |p| p.label.clone());
            let display = p.map_or_else(|| format!("0{}", v.unit), |p| p.display.clone());
            (keep, label, display)
        }
    };
    let page_ids: Vec<i64> = selected.iter().skip(from).take(PER_PAGE).copied().collect();
    let records = store.records_by_ids(a, &page_ids).await.map_err(store_error)?;
    let rows = records
        .iter()
        .map(|r| SourceRow {
            href: format!("/records/{}", r.row.id),
            id: r.row.id,
            title: r.row.title.clone(),
            ledger: ledger_name(&r.row.ledger),
            unit: r.row.unit_id.map(|i| names.unit(i)).unwrap_or_default(),
            state: if r.row.voided {
                "已作废".into()
            } else {
                r.row.state.clone()
            },
            deadline: super::render::date(r.row.deadline.as_deref()),
        })
        .collect();
    let total = selected.len();
    let next_href = if from + PER_PAGE < total {
        format!(
            "/reports/figure?{}",
            query(&[
                ("mark", &mark),
                ("period", &period_s),
                ("scope", &scope_s),
                ("from", &(from + PER_PAGE).to_string()),
                ("back", q.back.as_deref().unwrap_or("")),
            ])
        )
    } else {
        String::new()
    };
    let scope_label = match &scope {
        Scope::County => "全县".to_string(),
        other => {
            let s = other.to_string();
            match s.strip_prefix("division:") {
                Some(code) => names.division(code),
                None => s,
            }
        }
    };
    let note = if provenance.is_empty() {
        "该数值由其他指标计算得出（比率、同比等）或来自统计报表，下列为参与计算的来源。".to_string()
    } else {
        String::new()
    };
    Ok(page(
        StatusCode::OK,
        &FigurePage {
            chrome: Chrome::new(store, &u, &names, "/reports"),
            title: format!("数据来源：{}", v.name),
            name: v.name.clone(),
            display,
            period_label: v.period_label.clone(),
            scope_label,
            part: part_label,
            sources,
            rows,
            total,
            next_href,
            note,
            back: safe_back(q.back.as_deref()),
        },
    ))
}

/// A version in the history list.
pub struct VersionRow {
    /// 1, 2…
    pub version: i64,
    /// Who.
    pub author: String,
    /// When (Shanghai time).
    pub at: String,
    /// Note.
    pub note: String,
    /// Open this version in the editor.
    pub href: String,
    /// Shown now.
    pub current: bool,
}

/// The template editor.
#[derive(Template)]
#[template(path = "report_editor.html")]
pub struct EditorPage {
    chrome: Chrome,
    title: String,
    name: String,
    /// A new copy: the name is asked for.
    new_copy: bool,
    shipped: bool,
    can_edit: bool,
    source: String,
    parent: i64,
    base: String,
    note: String,
    shown_version: i64,
    latest: i64,
    versions: Vec<VersionRow>,
    error: String,
    error_lines: Vec<ErrLine>,
    saved: String,
    copy_href: String,
    preview_href: String,
    rows: usize,
}

/// The query of the editor.
#[derive(Deserialize, Default)]
pub struct EditQuery {
    /// Template name.
    pub name: Option<String>,
    /// A custom template's version to load (latest by default).
    pub version: Option<i64>,
    /// The version just saved.
    pub saved: Option<i64>,
}

/// The query of the copy page.
#[derive(Deserialize, Default)]
pub struct CopyQuery {
    /// The template to copy.
    pub from: Option<String>,
}

fn editor_rows(source: &str) -> usize {
    source.lines().count().clamp(12, 40) + 2
}

fn history(name: &str, versions: &[TemplateVersion], shown: i64) -> Vec<VersionRow> {
    versions
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            author: v.author.clone(),
            at: when(&v.at),
            note: v.note.clone(),
            href: format!(
                "/reports/templates/edit?{}",
                query(&[("name", name), ("version", &v.version.to_string())])
            ),
            current: v.version == shown,
        })
        .collect()
}

fn preview_href(name: &str) -> String {
    format!("/reports?{}", query(&[("template", name)]))
}

/// `GET /reports/templates/edit`
pub async fn edit(State(st): State<AppState>, u: UiUser, Query(q): Query<EditQuery>) -> PageResult {
    let store = &st.store;
    let names = Names::load(store).await.map_err(store_error)?;
    let name = q.name.clone().unwrap_or_default();
    let files = st.files();
    let src = custom::source(store, files, &name, q.version)
        .await
        .map_err(|e| match e {
            ReportError::NoTemplate(_) => super::render::error_page(StatusCode::NOT_FOUND, "未找到", &e.to_string()),
            other => report_store_error(other),
        })?;
    let versions = if src.shipped {
        vec![]
    } else {
        store.template_versions(&name).await.map_err(store_error)?
    };
    let latest = versions.first().map_or(0, |v| v.version);
    let shown = src.version.unwrap_or(0);
    let base = versions.iter().find_map(|v| v.base.clone()).unwrap_or_default();
    let note = if shown != latest {
        format!("恢复自第{shown}版")
    } else {
        String::new()
    };
    Ok(page(
        StatusCode::OK,
        &EditorPage {
            chrome: Chrome::new(store, &u, &names, "/reports"),
            title: if src.shipped {
                format!("报告模板：{name}（内置）")
            } else {
                format!("编辑报告模板：{name}")
            },
            name: name.clone(),
            new_copy: false,
            shipped: src.shipped,
            can_edit: may_edit(&u.session.access),
            rows: editor_rows(&src.source),
            source: src.source,
            parent: latest,
            base,
            note,
            shown_version: shown,
            latest,
            versions: history(&name, &versions, shown),
            error: String::new(),
            error_lines: vec![],
            saved: q.saved.map(|v| format!("已保存为第{v}版。")).unwrap_or_default(),
            copy_href: format!("/reports/templates/copy?{}", query(&[("from", &name)])),
            preview_href: preview_href(&name),
        },
    ))
}

fn forbidden_edit() -> Response {
    super::render::error_page(
        StatusCode::FORBIDDEN,
        "无权访问",
        "只有政府办（督查室）和系统管理员可以修改报告模板。",
    )
}

/// `GET /reports/templates/copy`
pub async fn copy(State(st): State<AppState>, u: UiUser, Query(q): Query<CopyQuery>) -> PageResult {
    if !may_edit(&u.session.access) {
        return Err(forbidden_edit());
    }
    let store = &st.store;
    let names = Names::load(store).await.map_err(store_error)?;
    let from = q.from.clone().unwrap_or_default();
    let files = st.files();
    let src = custom::source(store, files, &from, None).await.map_err(|e| match e {
        ReportError::NoTemplate(_) => super::render::error_page(StatusCode::NOT_FOUND, "未找到", &e.to_string()),
        other => report_store_error(other),
    })?;
    // The base is the shipped template at the root of the copy.
    let base = if src.shipped {
        from.clone()
    } else {
        store
            .template_versions(&from)
            .await
            .map_err(store_error)?
            .iter()
            .find_map(|v| v.base.clone())
            .unwrap_or_default()
    };
    Ok(page(
        StatusCode::OK,
        &EditorPage {
            chrome: Chrome::new(store, &u, &names, "/reports"),
            title: format!("复制报告模板：{from}"),
            name: format!("{from}-副本"),
            new_copy: true,
            shipped: false,
            can_edit: true,
            rows: editor_rows(&src.source),
            source: src.source,
            parent: 0,
            base,
            note: format!("复制自“{from}”"),
            shown_version: 0,
            latest: 0,
            versions: vec![],
            error: String::new(),
            error_lines: vec![],
            saved: String::new(),
            copy_href: String::new(),
            preview_href: String::new(),
        },
    ))
}

/// A line of the template shown with an error.
pub struct ErrLine {
    /// 1-based number.
    pub n: usize,
    /// Its text.
    pub text: String,
    /// The line the error is on.
    pub hit: bool,
}

/// The lines around `line` (1-based), marking it.
fn lines_around(source: &str, line: usize) -> Vec<ErrLine> {
    source
        .lines()
        .enumerate()
        .filter(|(i, _)| (i + 1).abs_diff(line) <= 2)
        .map(|(i, l)| ErrLine {
            n: i + 1,
            text: l.to_string(),
            hit: i + 1 == line,
        })
        .collect()
}

/// `POST /reports/templates/save`
pub async fn save(State(st): State<AppState>, u: UiUser, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    if !may_edit(&u.session.access) {
        return Err(forbidden_edit());
    }
    let store = &st.store;
    let name = field(&f, "name").unwrap_or("").trim().to_string();
    let new_copy = field(&f, "new_copy") == Some("1");
    let parent: i64 = field(&f, "parent").and_then(|p| p.parse().ok()).unwrap_or(0);
    // Browsers send CRLF from a textarea; templates are kept with LF.
    let source = field(&f, "source").unwrap_or("").replace("\r\n", "\n");
    let base = field(&f, "base").unwrap_or("").to_string();
    let note = field(&f, "note").unwrap_or("").trim().to_string();
    let engine = st.engine();
    let files = st.files();
    let result = custom::save(
        store,
        engine,
        files,
        &u.session.access,
        &Save {
            name: &name,
            parent,
            source: &source,
            base: Some(base.as_str()).filter(|b| !b.is_empty()),
            note: &note,
        },
    )
    .await;
    match result {
        Ok(v) => Ok(see_other(&format!(
            "/reports/templates/edit?{}",
            query(&[("name", &name), ("saved", &v.to_string())])
        ))),
        Err(e) => {
            if let ReportError::Store(s) = &e
                && s.status() >= 500
            {
                return Err(store_error(lvzhi_store::StoreError::Internal(s.to_string())));
            }
            let line = custom::error_line(&e);
            let names = Names::load(store).await.map_err(store_error)?;
            let versions = if new_copy {
                vec![]
            } else {
                store.template_versions(&name).await.map_err(store_error)?
            };
            let latest = versions.first().map_or(0, |v| v.version);
            let status = match &e {
                ReportError::Store(s) => StatusCode::from_u16(s.status()).unwrap_or(StatusCode::BAD_REQUEST),
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let error = match &e {
                ReportError::Store(lvzhi_store::StoreError::Conflict(m)) => m.clone(),
                other => format!("未保存：{other}"),
            };
            Ok(page(
                status,
                &EditorPage {
                    chrome: Chrome::new(store, &u, &names, "/reports"),
                    title: if new_copy {
                        "复制报告模板".into()
                    } else {
                        format!("编辑报告模板：{name}")
                    },
                    name: name.clone(),
                    new_copy,
                    shipped: false,
                    can_edit: true,
                    rows: editor_rows(&source),
                    error_lines: line.map(|l| lines_around(&source, l)).unwrap_or_default(),
                    source,
                    parent,
                    base,
                    note,
                    shown_version: parent,
                    latest,
                    versions: history(&name, &versions, parent),
                    error,
                    saved: String::new(),
                    copy_href: String::new(),
                    preview_href: if new_copy { String::new() } else { preview_href(&name) },
                },
            ))
        }
    }
}
