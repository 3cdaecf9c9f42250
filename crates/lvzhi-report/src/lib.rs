//! # lvzhi-report — reports written from live data
//!
//! The template carries the prose and the structure; the indicators carry the
//! figures. Templates are pack data (`packs/county/reports/<name>.md.j2`,
//! minijinja with strict undefined and bounded execution (fuel)); a figure is
//! written as `{{ ind("财政总收入预算完成率") }}`, which prints the indicator's
//! display (114.2%) for the report's period and scope and **fails** when the
//! indicator is unknown or has no value — naming the indicator, the scope and
//! the period. A generated report never contains a placeholder, and every
//! report must pass the report checker (`lvzhi_check`) with zero errors before
//! it is returned.
//!
//! * [`helpers`] — Chinese number and text helpers (万元/亿元, 增长/下降, 增收/减收,
//!   个百分点, 全市第一, 2026年11月25日, 一、（一）1.（1）), also template filters.
//! * [`template`] — the minijinja environment, the template functions and the
//!   save-time check ([`template::validate`]).
//! * [`docx`] — DOCX in the GB/T 9704 layout, written part by part.
//! * [`html`] — an HTML preview in which every figure links to its provenance.
//! * [`custom`] — templates copied and edited in the UI: saved after
//!   [`template::validate`], every version kept in the store and evented;
//!   rendering finds them by name beside the pack's templates.
//!
//! Flow: [`render`] evaluates every indicator for the period and scope once,
//! renders the template to a marked-up text (figures wrapped in private-use
//! markers carrying their indicator id), parses it into [`Block`]s, strips the
//! markers for Markdown, checks it, and then writes the asked format.

pub mod assess_sheet;
pub mod custom;
pub mod docx;
pub mod helpers;
pub mod html;
pub mod template;

use jiff::civil::Date;
use lvzhi_core::period::Period;
use lvzhi_metrics::{Engine, IndicatorValue, Scope};
use lvzhi_store::Store;
use std::collections::BTreeMap;

/// Opens a figure: `FIG_OPEN id FIG_MID display FIG_CLOSE`.
pub(crate) const FIG_OPEN: char = '\u{E000}';
pub(crate) const FIG_MID: char = '\u{E001}';
pub(crate) const FIG_CLOSE: char = '\u{E002}';

/// Why a report cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A figure the template needs has no value.
    #[error("指标“{indicator}”在{scope}、{period}没有数值（{reason}），报告未生成")]
    Missing {
        /// The indicator (name or id as the template wrote it).
        indicator: String,
        /// The scope.
        scope: String,
        /// The period label.
        period: String,
        /// Why (不存在, 无上年同期数据, 除数为零…).
        reason: String,
    },
    /// The template names an indicator that does not exist (at save time).
    #[error("模板第{line}行：指标“{indicator}”不存在")]
    UnknownIndicator {
        /// 1-based line.
        line: usize,
        /// As written.
        indicator: String,
    },
    /// The template does not parse (at save time), with the line.
    #[error("模板第{line}行：{message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No template of that name.
    #[error("报告模板“{0}”不存在")]
    NoTemplate(String),
    /// No person of that name.
    #[error("人员“{0}”不存在")]
    NoPerson(String),
    /// The template itself is wrong (syntax, undefined variable, out of fuel).
    #[error("报告模板错误：{0}")]
    Template(String),
    /// The template failed while rendering (bad include, out of fuel,
    /// recursion, undefined value), with the 1-based line: 422, not 500.
    #[error("报告模板第{line}行：{message}")]
    Runtime {
        /// 1-based line.
        line: usize,
        /// What went wrong, in Chinese.
        message: String,
    },
    /// The generated text failed the report checker.
    #[error("生成的报告未通过检查：{0}")]
    Check(String),
    /// Bad arguments (period, scope, format).
    #[error("{0}")]
    Bad(String),
    /// Evaluation failed.
    #[error(transparent)]
    Eval(#[from] lvzhi_metrics::EvalError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] lvzhi_store::StoreError),
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown (title `#`, level-1 headings `##`, level-2 `###`).
    Markdown,
    /// An HTML preview with provenance links.
    Html,
    /// Word (GB/T 9704 layout).
    Docx,
}

impl Format {
    /// Parses `md`, `html` or `docx`.
    pub fn parse(s: &str) -> Result<Format, ReportError> {
        match s {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "docx" => Ok(Format::Docx),
            o => Err(ReportError::Bad(format!("输出格式“{o}”无效（可选：md、html、docx）"))),
        }
    }
}

/// What to write.
#[derive(Debug, Clone)]
pub struct Request {
    /// Template name (述职述廉述德报告), i.e. `reports/<name>.md.j2`.
    pub template: String,
    /// Period (`2026`, `2026-11`, `2026Q3`…).
    pub period: String,
    /// The person a duty report is about: by id (`17`), by name, or by a
    /// post only one person holds (two 副县长: ask by id or name).
    pub person: Option<String>,
    /// Scope (`county` by default).
    pub scope: String,
    /// The as-of day.
    pub today: Date,
    /// The 期数 the office sets on a bulletin (11 → 〔2026〕第11期); None: the
    /// next after the last one set for this kind of bulletin this year
    /// ([`next_issue`]).
    pub issue: Option<u32>,
}

/// One block of a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The title (方正小标宋简体 二号, centred).
    Title(String),
    /// A level-1 heading (一、…; 黑体).
    H1(String),
    /// A level-2 heading (（一）…; 楷体_GB2312).
    H2(String),
    /// A body paragraph (仿宋_GB2312, indented two characters).
    Para(String),
    /// 主送机关: flush left, not indented (GB/T 9704 7.3.3).
    Flush(String),
    /// 发文机关署名 and 成文日期: right-aligned, four characters in from the
    /// right margin (GB/T 9704 7.3.5).
    Right(String),
    /// 发文字号 / 期数 (〔2026〕第11期): centred under the title.
    Centre(String),
}

/// Line prefixes a template's layout functions write (`addressee()`,
/// `signature()`, `doc_number()`), read by [`parse_blocks`].
pub(crate) const FLUSH: char = '\u{E010}';
pub(crate) const RIGHT: char = '\u{E011}';
pub(crate) const CENTRE: char = '\u{E012}';

impl Block {
    /// The text, with figure markers.
    pub fn raw(&self) -> &str {
        match self {
            Block::Title(s)
            | Block::H1(s)
            | Block::H2(s)
            | Block::Para(s)
            | Block::Flush(s)
            | Block::Right(s)
            | Block::Centre(s) => s,
        }
    }
}

/// A figure used in a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Indicator id.
    pub id: String,
    /// Indicator name.
    pub name: String,
    /// As printed.
    pub display: String,
    /// Records behind it.
    pub records: i64,
}

/// A written report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The template's name (月度督查通报).
    pub template: String,
    /// Its 期数 / 文号 when it has one (〔2026〕第11期).
    pub issue: Option<String>,
    /// Blocks with figure markers.
    pub blocks: Vec<Block>,
    /// The period as asked.
    pub period: String,
    /// Its label (2026年1-11月).
    pub period_label: String,
    /// The scope string.
    pub scope: String,
    /// Figures used, in order of first use.
    pub figures: Vec<Figure>,
    /// The change log's head (seq, hash) when the report was generated: in
    /// every written form (Markdown trailer, HTML footer, DOCX core
    /// properties), a second anchor outside the database that
    /// `lvzhi audit verify --anchor` checks ([`Report::anchor_line`]).
    pub chain_head: Option<(i64, String)>,
}

/// Removes figure markers, keeping the displays.
pub fn strip(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut skip = false;
    for c in s.chars() {
        match c {
            FIG_OPEN => skip = true,
            FIG_MID => skip = false,
            FIG_CLOSE => {}
            c if !skip => out.push(c),
            _ => {}
        }
    }
    out
}

impl Report {
    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            let t = strip(b.raw());
            match b {
                Block::Title(_) => out.push_str(&format!("# {t}\n\n")),
                Block::H1(_) => out.push_str(&format!("## {t}\n\n")),
                Block::H2(_) => out.push_str(&format!("### {t}\n\n")),
                Block::Para(_) | Block::Flush(_) | Block::Right(_) | Block::Centre(_) => {
                    out.push_str(&format!("{t}\n\n"))
                }
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    }

    /// The report as plain text (one block a line), as the checker sees it.
    pub fn plain(&self) -> String {
        self.blocks.iter().map(|b| strip(b.raw()) + "\n").collect()
    }

    /// The file name a download carries: which report, for which period
    /// and issue (`月度督查通报-2026年11月-〔2026〕第11期.docx`).
    pub fn file_name(&self, format: Format) -> String {
        let ext = match format {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Docx => "docx",
        };
        let mut name = format!("{}-{}", self.template, self.period_label);
        if let Some(i) = &self.issue {
            name.push('-');
            name.push_str(i);
        }
        let name: String = name
            .chars()
            .map(|c| {
                if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        format!("{name}.{ext}")
    }

    /// The chain head as an anchor-file line (`seq hash`): saved into a file,
    /// `lvzhi audit verify --anchor FILE` checks the database still holds it.
    pub fn anchor_line(&self) -> Option<String> {
        self.chain_head.as_ref().map(|(seq, hash)| format!("{seq} {hash}"))
    }

    /// The report in `format`, as bytes.
    pub fn write(&self, format: Format) -> Result<Vec<u8>, ReportError> {
        match format {
            Format::Markdown => {
                let mut md = self.markdown();
                if let Some(a) = self.anchor_line() {
                    md.push_str(&format!("\n<!-- 生成时变更日志链头 / chain head: {a} -->\n"));
                }
                Ok(md.into_bytes())
            }
            Format::Html => Ok(html::render(self).into_bytes()),
            Format::Docx => docx::render(self),
        }
    }
}

/// The templates of a pack: name → text (`reports/<name>.md.j2`).
pub fn templates(files: &[(String, String)]) -> BTreeMap<String, String> {
    files
        .iter()
        .filter_map(|(p, t)| {
            let name = p.strip_prefix("reports/")?.strip_suffix(".md.j2")?;
            Some((name.to_string(), t.clone()))
        })
        .collect()
}

/// Writes a report: evaluates every indicator for the period and scope,
/// renders the template, parses it into blocks and checks it.
pub async fn render(
    store: &Store,
    engine: &Engine,
    files: &[(String, String)],
    req: &Request,
) -> Result<Report, ReportError> {
    render_as(store, engine, files, req, &Store::system_access()).await
}

/// [`render`] with the figures computed over the records `access` may see
/// (the API renders as the caller).
pub async fn render_as(
    store: &Store,
    engine: &Engine,
    files: &[(String, String)],
    req: &Request,
    access: &lvzhi_core::access::Access,
) -> Result<Report, ReportError> {
    let text = custom::source(store, files, &req.template, None).await?.source;
    let text = &text;
    let period = Period::parse(&req.period).map_err(|e| ReportError::Bad(e.to_string()))?;
    let scope = Scope::parse(&req.scope).map_err(|e| ReportError::Bad(e.to_string()))?;
    let values: Vec<IndicatorValue> = engine.evaluate_all(store, access, period, &scope, req.today).await?;
    let lists = listed_records(store, engine, access, text, period, &scope, req.today).await?;
    let period_label = report_period_label(&values, period);
    let people = store.people().await?;
    let units = store.units().await?;
    let person = match &req.person {
        None if needs_person(text) => {
            return Err(ReportError::Bad(format!(
                "“{}”须指定述职人：请选择一位人员",
                req.template
            )));
        }
        None => None,
        Some(p) => Some(find_person(&people, p)?.clone()),
    };
    // A duty report also carries the figures of the person's own 分管 areas.
    let area = match &person {
        Some(p) if !p.oversees.is_empty() => {
            engine
                .evaluate_all(store, access, period, &Scope::Oversees(p.id), req.today)
                .await?
        }
        _ => Vec::new(),
    };
    let scope_label = scope_label(store, &scope, &people, &units).await?;
    let issue = if has_issue(text) {
        let n = match req.issue {
            Some(n) => n,
            None => next_issue(store, &req.template, period, req.today).await?,
        };
        Some(issue_text(req.today.year(), n))
    } else {
        None
    };
    let ctx = template::Ctx {
        values,
        scope: req.scope.clone(),
        scope_label,
        period: req.period.clone(),
        period_label: period_label.clone(),
        today: req.today,
        issue: issue.clone(),
        person,
        units,
        area,
        offices: lvzhi_metrics::duty::ranking_offices(store).await?,
        lists,
    };
    let (marked, figures) = template::run(&req.template, text, ctx)?;
    let blocks = parse_blocks(&marked);
    let report = Report {
        template: req.template.clone(),
        issue,
        blocks,
        period: req.period.clone(),
        period_label,
        scope: req.scope.clone(),
        figures,
        chain_head: Some(store.chain_head().await?),
    };
    let md = report.markdown();
    if md.chars().any(|c| matches!(c, FIG_OPEN | FIG_MID | FIG_CLOSE)) {
        return Err(ReportError::Template("图表标记未闭合".into()));
    }
    let diags = lvzhi_check::check_with(&md, &lvzhi_check::CheckOptions { markdown: true });
    if lvzhi_check::has_errors(&diags) {
        let msgs: Vec<String> = diags
            .iter()
            .filter(|d| d.severity == lvzhi_check::Severity::Error)
            .map(|d| format!("第{}行 {} {}：{}", d.line, d.code, d.text, d.message))
            .collect();
        return Err(ReportError::Check(msgs.join("；")));
    }
    // The office's 期数 is remembered: the next bulletin of this kind and year
    // is offered the number after it.
    if let (Some(n), true) = (req.issue, report.issue.is_some())
        && matches!(
            access.role,
            lvzhi_core::access::Role::Office | lvzhi_core::access::Role::Admin
        )
    {
        remember_issue(store, &req.template, req.today.year(), n).await?;
    }
    Ok(report)
}

/// The period a report states: the shortest span its figures were computed
/// over (statistics to November make a report on 2026 say 2026年1-11月;
/// see `lvzhi_metrics::Horizon`), or the period itself.
pub fn report_period_label(values: &[IndicatorValue], period: Period) -> String {
    lvzhi_metrics::eval::common_label(values).unwrap_or_else(|| period.label())
}

/// Whether a template prints a 期数 (it calls `doc_number(…)`: the bulletins).
pub fn has_issue(text: &str) -> bool {
    text.contains("doc_number(")
}

/// A 期数 as printed (〔2026〕第11期).
pub fn issue_text(year: i16, n: u32) -> String {
    format!("〔{year}〕第{n}期")
}

/// The key under which the last 期数 the office set for `template` in `year`
/// is kept (store `meta`).
fn issue_key(template: &str, year: i16) -> String {
    format!("report.issue.{year}.{template}")
}

/// The 期数 a bulletin gets when none is set: the one after the last the
/// office set for this kind of bulletin in the year of `today`; with none set
/// yet, the month of a monthly bulletin of this year (2026-11 → 第11期), else 1.
pub async fn next_issue(store: &Store, template: &str, period: Period, today: Date) -> Result<u32, ReportError> {
    let year = today.year();
    let last = store
        .meta(&issue_key(template, year))
        .await?
        .and_then(|v| v.parse::<u32>().ok());
    Ok(match (last, period) {
        (Some(n), _) => n.saturating_add(1),
        (None, Period::Month(y, m)) if y == year => u32::try_from(m).unwrap_or(1),
        (None, _) => 1,
    })
}

/// Remembers the 期数 the office set for `template` in `year` (the next
/// bulletin of the kind is offered the number after it).
pub async fn remember_issue(store: &Store, template: &str, year: i16, n: u32) -> Result<(), ReportError> {
    let key = issue_key(template, year);
    if store.meta(&key).await?.as_deref() != Some(n.to_string().as_str()) {
        store.set_meta(&key, &n.to_string()).await?;
    }
    Ok(())
}

/// Reads the 期数 typed on a form or in a query (`11`, `第11期`): 1-9999.
pub fn parse_issue(s: &str) -> Result<Option<u32>, ReportError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let digits = t.trim_start_matches('第').trim_end_matches('期').trim();
    match digits.parse::<u32>() {
        Ok(n) if (1..=9999).contains(&n) => Ok(Some(n)),
        _ => Err(ReportError::Bad(format!("期数“{t}”无效：应为1至9999之间的整数"))),
    }
}

/// Whether a template is about one person (it reads `person.`): such a
/// report cannot be written without one, and a form should not offer
/// “（不指定）” for it.
pub fn needs_person(text: &str) -> bool {
    text.contains("person.")
}

/// The person `key` names: an id, a name, or a post held by exactly one
/// person (a post several people hold is refused, naming them).
pub fn find_person<'a>(
    people: &'a [lvzhi_store::org::Person],
    key: &str,
) -> Result<&'a lvzhi_store::org::Person, ReportError> {
    let key = key.trim();
    if let Ok(id) = key.parse::<i64>() {
        return people
            .iter()
            .find(|x| x.id == id)
            .ok_or_else(|| ReportError::NoPerson(key.to_string()));
    }
    if let Some(p) = people.iter().find(|x| x.name == key) {
        return Ok(p);
    }
    let holders: Vec<&lvzhi_store::org::Person> = people.iter().filter(|x| x.post == key).collect();
    match holders.as_slice() {
        [one] => Ok(one),
        [] => Err(ReportError::NoPerson(key.to_string())),
        many => Err(ReportError::Bad(format!(
            "职务“{key}”有{}人（{}），请按姓名选择述职人",
            many.len(),
            many.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join("、")
        ))),
    }
}

/// The scope in words, for messages: 全县, 西洞镇, 应急管理局, 常务副县长分管领域…
async fn scope_label(
    store: &Store,
    scope: &Scope,
    people: &[lvzhi_store::org::Person],
    units: &[lvzhi_store::org::Unit],
) -> Result<String, ReportError> {
    let person = |id: i64| people.iter().find(|p| p.id == id).map(|p| p.post.clone());
    Ok(match scope {
        Scope::County => "全县".into(),
        Scope::Division(code) => store
            .divisions(code)
            .await?
            .into_iter()
            .find(|d| &d.code == code)
            .map_or_else(|| format!("区划{code}"), |d| d.name),
        Scope::Unit(id) => units
            .iter()
            .find(|u| u.id == *id)
            .map_or_else(|| format!("单位{id}"), |u| u.name.clone()),
        Scope::Oversees(id) => format!("{}分管领域", person(*id).unwrap_or_else(|| format!("人员{id}"))),
        Scope::Owns(id) => format!("{}包挂事项", person(*id).unwrap_or_else(|| format!("人员{id}"))),
    })
}

/// Reads the records a template lists by name (`overdue_items("…")`): for
/// each such indicator, exactly the records behind its value (its
/// provenance), with title, unit, deadline and days past it as of `today`,
/// most overdue first.
async fn listed_records(
    store: &Store,
    engine: &Engine,
    access: &lvzhi_core::access::Access,
    text: &str,
    period: Period,
    scope: &Scope,
    today: Date,
) -> Result<BTreeMap<String, Vec<template::ListedItem>>, ReportError> {
    let mut out = BTreeMap::new();
    let calls = template::named(text, &[template::LIST_FUNC]);
    if calls.is_empty() {
        return Ok(out);
    }
    let units: BTreeMap<i64, String> = store.units().await?.into_iter().map(|u| (u.id, u.name)).collect();
    for (_, name) in calls {
        let Some(def) = engine.defs().find(&name) else {
            continue; // ind()/overdue_items() report the unknown indicator with its scope and period
        };
        if out.contains_key(&def.id) {
            continue;
        }
        let v = engine.evaluate(store, access, &def.id, period, scope, today).await?;
        let ids: Vec<i64> = v
            .provenance
            .unwrap_or_default()
            .iter()
            .flat_map(|s| s.ids.iter().copied())
            .collect();
        let mut items = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            for r in store.records_by_ids(access, chunk).await? {
                let row = r.row;
                let deadline = row.deadline.clone().unwrap_or_default();
                let days = deadline
                    .parse::<Date>()
                    .ok()
                    .and_then(|d| d.until(today).ok())
                    .map_or(0, |s| i64::from(s.get_days()).max(0));
                let title = row.title.split_whitespace().collect::<Vec<_>>().join(" ");
                items.push(template::ListedItem {
                    id: row.id,
                    title,
                    unit: row
                        .unit_id
                        .and_then(|u| units.get(&u).cloned())
                        .unwrap_or_else(|| "未指定单位".into()),
                    deadline,
                    days,
                });
            }
        }
        items.sort_by(|a, b| {
            b.days
                .cmp(&a.days)
                .then_with(|| a.unit.cmp(&b.unit))
                .then(a.id.cmp(&b.id))
        });
        out.insert(def.id.clone(), items);
    }
    Ok(out)
}

/// Splits a rendered template into blocks: `# ` title, `## ` level 1,
/// `### ` level 2, any other non-empty line a paragraph.
pub fn parse_blocks(text: &str) -> Vec<Block> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            if let Some(t) = l.strip_prefix(FLUSH) {
                Block::Flush(t.trim().to_string())
            } else if let Some(t) = l.strip_prefix(RIGHT) {
                Block::Right(t.trim().to_string())
            } else if let Some(t) = l.strip_prefix(CENTRE) {
                Block::Centre(t.trim().to_string())
            } else if let Some(t) = l.strip_prefix("### ") {
                Block::H2(t.trim().to_string())
            } else if let Some(t) = l.strip_prefix("## ") {
                Block::H1(t.trim().to_string())
            } else if let Some(t) = l.strip_prefix("# ") {
                Block::Title(t.trim().to_string())
            } else {
                Block::Para(l.to_string())
            }
        })
        .collect()
}

/// `lvzhi report`: renders template `template` for `period` (and `person`,
/// `scope`) as of `today` in `format` (`md`, `html`, `docx`), evaluating the
/// indicators with a fresh engine over the county pack files.
pub async fn report_command(
    store: &Store,
    files: &[(String, String)],
    req: &Request,
    format: &str,
) -> Result<Vec<u8>, ReportError> {
    let format = Format::parse(format)?;
    let engine = lvzhi_metrics::engine_from_files(files, store.pack()).map_err(|e| ReportError::Bad(e.to_string()))?;
    let report = render(store, &engine, files, req).await?;
    report.write(format)
}
