//! 督查督办: overdue (红) and due-soon (黄) items across every ledger and
//! unit in the caller's scope, bulk 催办, unit rankings (评星挂旗) and
//! warnings (预警) with their evidence and acknowledgement.
//!
//! Everyone but 测评人 may look (within their scope, as the store filters);
//! only 政府办 and 系统管理员 get the checkboxes, the 催办 form and the
//! acknowledgement form (leaders read only). Every 催办 goes through
//! `Store::urge` (one `record.urge` event per item), every acknowledgement
//! through `lvzhi_metrics::warn::acknowledge` (a `warning.ack` event).

use super::form::Opt;
use super::render::{Chrome, Names, PageResult, date, page, query, see_other, store_error};
use super::session::{UiUser, check_csrf, field};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Query, State, rejection::FormRejection};
use axum::http::StatusCode;
use lvzhi_core::access::{Access, Role};

use lvzhi_core::ledger::LedgerKind;
use lvzhi_core::period::Period;
use lvzhi_metrics::duty::{self, UnitTally};
use lvzhi_store::{Store, StoreError};
use std::sync::Arc;

type FormBody = Result<Form<Vec<(String, String)>>, FormRejection>;

/// Items shown at most (the total is always given; filters narrow the list).
const SHOWN: usize = 100;
/// Warnings shown at most (red first; a filter by rule narrows them).
const WARNINGS_SHOWN: usize = 40;
/// At most this many items in one bulk 催办.
const MAX_URGE: usize = 500;
/// Units with fewer items due in the period get no stars (样本不足).
pub const MIN_ITEMS: i64 = duty::MIN_ITEMS;

/// Whether the role may 催办 and acknowledge here.
fn manages(a: &Access) -> bool {
    matches!(a.role, Role::Office | Role::Admin)
}

/// An overdue or due-soon item.
#[derive(Clone)]
pub struct Item {
    /// Record id.
    pub id: i64,
    /// Its page.
    pub href: String,
    /// Ledger name.
    pub ledger: String,
    /// Title.
    pub title: String,
    /// Responsible unit.
    pub unit: String,
    /// Current state.
    pub state: String,
    /// Deadline (2026年11月25日).
    pub deadline: String,
    /// `red` / `yellow`.
    pub warn: &'static str,
    /// 超期 / 临期.
    pub warn_label: &'static str,
    /// 催办 so far.
    pub urged: i64,
}

/// A unit's line of 评星挂旗 (definitions: [`lvzhi_metrics::duty`]).
pub struct Rank {
    /// 乡镇 or 县直部门: units are ranked within their kind.
    pub group: &'static str,
    /// Place within the group (1 = best).
    pub place: usize,
    /// Unit name.
    pub unit: String,
    /// 到期: deadline in the period and arrived.
    pub due: i64,
    /// 按期办结: of those, closed by the deadline.
    pub on_time: i64,
    /// 超期未办结 as of today (as the warnings and the list count it).
    pub overdue: i64,
    /// On-time rate as text (96.3%).
    pub rate: String,
    /// ★ count (0–5).
    pub stars: String,
    /// ☆ to pad to five.
    pub blanks: String,
    /// 红旗: the best rate of the period.
    pub flag: bool,
    /// Too few items to be starred.
    pub few: bool,
}

/// A piece of a warning's evidence.
pub struct Proof {
    /// What.
    pub label: String,
    /// Value.
    pub value: String,
    /// The record it comes from, if any.
    pub href: String,
}

/// A warning as the page shows it.
pub struct WarnRow {
    /// Stable id (the acknowledgement form's `id`).
    pub id: String,
    /// Rule id.
    pub rule: String,
    /// Rule name.
    pub name: String,
    /// `red` / `yellow`.
    pub level: String,
    /// 红色 / 黄色.
    pub level_label: &'static str,
    /// What it is about.
    pub subject: String,
    /// Message.
    pub message: String,
    /// Evidence.
    pub evidence: Vec<Proof>,
    /// Records behind it: (id, page).
    pub records: Vec<(i64, String)>,
    /// Acknowledged: by, when, note.
    pub ack: Option<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "supervise.html")]
struct SupervisePage<'a> {
    chrome: Chrome,
    title: String,
    today: String,
    manage: bool,
    items: &'a [Item],
    total: usize,
    red: usize,
    yellow: usize,
    f_ledger: Vec<Opt>,
    f_unit: Vec<Opt>,
    f_level: Vec<Opt>,
    period: String,
    period_label: String,
    period_error: String,
    ranks: &'a [Rank],
    min_items: i64,
    warnings: Vec<&'a WarnRow>,
    warnings_total: usize,
    f_rule: Vec<Opt>,
    message: String,
    error: String,
    back: String,
}

fn opts(pairs: Vec<(String, String)>, current: &str) -> Vec<Opt> {
    pairs
        .into_iter()
        .map(|(value, label)| Opt {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

/// The ledgers with deadlines (those that can be overdue): one definition,
/// [`duty::deadline_ledgers`].
fn ledgers_with_deadlines(store: &Store) -> Vec<&LedgerKind> {
    duty::deadline_ledgers(store.pack())
}

/// Overdue/due-soon items of the caller's scope, red first then by deadline,
/// and how many of each there are in all ([`crate::service::supervise::warned`],
/// as `GET /api/v1/supervise/warned` counts them).
pub async fn items(
    store: &Store,
    a: &Access,
    names: &Names,
    ledger: &str,
    unit: Option<i64>,
    level: &str,
) -> Result<(Vec<Item>, usize, usize), StoreError> {
    let level = Some(level).filter(|l| !l.is_empty());
    let (views, red, yellow) = crate::service::supervise::warned(store, a, ledger, unit, level, SHOWN as i64).await?;
    let pack = store.pack();
    let list = views
        .into_iter()
        .map(|v| Item {
            id: v.row.id,
            href: format!("/records/{}", v.row.id),
            ledger: pack
                .ledger(&v.row.ledger)
                .map(|k| k.name.clone())
                .unwrap_or_else(|| v.row.ledger.clone()),
            title: if v.row.title.is_empty() {
                format!("第{}号记录", v.row.id)
            } else {
                v.row.title.clone()
            },
            unit: v.row.unit_id.map(|u| names.unit(u)).unwrap_or_default(),
            state: v.row.state.clone(),
            deadline: date(v.row.deadline.as_deref()),
            warn: v.warning.key(),
            warn_label: v.warning.label(),
            urged: v.row.urge_count,
        })
        .collect();
    Ok((list, red.max(0) as usize, yellow.max(0) as usize))
}

/// 评星挂旗 as the page shows it: [`lvzhi_metrics::duty`]'s counts and
/// ranking (乡镇 with 乡镇, then 部门 with 部门; the ranking office left out),
/// unit names from the counts. No figure is computed here.
pub fn rank_rows(tallies: &[UnitTally], offices: &[i64]) -> Vec<Rank> {
    let mut out = Vec::new();
    {
        for (group, r) in duty::ranked_groups(tallies, offices) {
            let n = usize::from(r.stars);
            out.push(Rank {
                group,
                place: r.place,
                unit: r.unit.label.clone(),
                due: r.unit.tally.due,
                on_time: r.unit.tally.on_time,
                overdue: r.unit.tally.overdue,
                rate: r.unit.tally.rate_text(),
                stars: "★".repeat(n),
                blanks: if r.few {
                    String::new()
                } else {
                    "☆".repeat(5 - n.min(5))
                },
                flag: r.flag,
                few: r.few,
            });
        }
    }
    out
}

/// The warnings of the caller's scope, with evidence linked to records.
/// Warnings and rankings only change when an event is written (催办,
/// acknowledgements and every record change are events): memoised per reader
/// until the store's head moves (`UiUser::memo_scoped`).
async fn warnings(st: &AppState, u: &UiUser) -> Result<Arc<Vec<WarnRow>>, axum::response::Response> {
    let eng = st.engine();
    let a = &u.session.access;
    let today = st.store.today();
    u.memo_scoped(&st.store, "warnings", || async {
        Ok(warn_rows(eng.warnings(&st.store, a, today).await?))
    })
    .await
    .map_err(|e| match e {
        lvzhi_metrics::EvalError::Store(s) => store_error(s),
        other => super::render::error_page(StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误", &other.to_string()),
    })
}

/// Warnings as the page shows them.
fn warn_rows(ws: Vec<lvzhi_metrics::warn::Warning>) -> Vec<WarnRow> {
    ws.into_iter()
        .map(|w| WarnRow {
            level_label: if w.level == "red" { "红色" } else { "黄色" },
            evidence: w
                .evidence
                .iter()
                .map(|e| Proof {
                    label: e.label.clone(),
                    value: e.value.clone(),
                    href: e.record.map(|r| format!("/records/{r}")).unwrap_or_default(),
                })
                .collect(),
            records: w
                .records
                .iter()
                .take(20)
                .map(|r| (*r, format!("/records/{r}")))
                .collect(),
            ack: w.ack.map(|k| (k.by, super::render::when(&k.at), k.note)),
            id: w.id,
            rule: w.rule,
            name: w.name,
            level: w.level,
            subject: w.subject,
            message: w.message,
        })
        .collect()
}

/// `GET /supervise?ledger=&unit=&level=&period=`
pub async fn show(State(st): State<AppState>, u: UiUser, Query(params): Query<Vec<(String, String)>>) -> PageResult {
    render(&st, &u, &params, StatusCode::OK, String::new()).await
}

async fn render(
    st: &AppState,
    u: &UiUser,
    params: &[(String, String)],
    status: StatusCode,
    error: String,
) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    if !a.role.sees_ledgers() {
        return Err(super::render::error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            "测评人不能查看督查督办。",
        ));
    }
    let p = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let (ledger, unit, level, period_s) = (p("ledger"), p("unit"), p("level"), p("period"));
    let level = if matches!(level.as_str(), "red" | "yellow") {
        level
    } else {
        String::new()
    };
    let names = u.names(store).await?;
    let today = store.today();
    let memo = u
        .memo_scoped(store, &format!("items|{ledger}|{unit}|{level}"), || {
            items(store, a, &names, &ledger, unit.parse().ok(), &level)
        })
        .await
        .map_err(store_error)?;
    let (list, red, yellow) = (&memo.0, memo.1, memo.2);
    let mut period_error = String::new();
    let period = if period_s.is_empty() {
        Period::Year(today.year())
    } else {
        match Period::parse(&period_s) {
            Ok(p) => p,
            Err(e) => {
                period_error = e.to_string();
                Period::Year(today.year())
            }
        }
    };
    let eff = lvzhi_metrics::effective(period, today);
    let ranks = u
        .memo_scoped(store, &format!("ranks|{eff}"), || async {
            let tallies = duty::unit_tallies(store, a, &[], eff, today).await?;
            let offices = duty::ranking_offices(store).await?;
            Ok::<_, lvzhi_metrics::EvalError>(rank_rows(&tallies, &offices))
        })
        .await
        .map_err(|e| match e {
            lvzhi_metrics::EvalError::Store(s) => store_error(s),
            other => super::render::error_page(StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误", &other.to_string()),
        })?;
    let all_warnings = warnings(st, u).await?;
    let wrule = p("wrule");
    let mut rule_opts = vec![(String::new(), format!("全部预警（{}条）", all_warnings.len()))];
    for w in all_warnings.iter() {
        if !rule_opts.iter().any(|(k, _)| *k == w.rule) {
            let n = all_warnings.iter().filter(|x| x.rule == w.rule).count();
            rule_opts.push((w.rule.clone(), format!("{}（{n}条）", w.name)));
        }
    }
    let mut warnings: Vec<&WarnRow> = all_warnings
        .iter()
        .filter(|w| wrule.is_empty() || w.rule == wrule)
        .collect();
    let warnings_total = warnings.len();
    warnings.truncate(WARNINGS_SHOWN);
    let mut ledger_opts = vec![(String::new(), "全部台账".to_string())];
    ledger_opts.extend(
        ledgers_with_deadlines(store)
            .into_iter()
            .map(|k| (k.key.clone(), k.name.clone())),
    );
    let mut unit_opts = vec![(String::new(), "全部单位".to_string())];
    unit_opts.extend(names.units.iter().map(|x| (x.id.to_string(), x.name.clone())));
    let message = match (p("urged").parse::<usize>(), p("failed").parse::<usize>()) {
        (Ok(n), Ok(0)) | (Ok(n), Err(_)) => format!("已催办{n}项，每项记录一次催办。"),
        (Ok(n), Ok(f)) => format!("已催办{n}项；{f}项未催办（已办结、已作废或无权催办）。"),
        _ if p("acked") == "1" => "预警已确认，处理说明已记录。".to_string(),
        _ => String::new(),
    };
    let back = {
        let qs = query(&[
            ("ledger", &ledger),
            ("unit", &unit),
            ("level", &level),
            ("period", &period_s),
            ("wrule", &wrule),
        ]);
        if qs.is_empty() {
            "/supervise".to_string()
        } else {
            format!("/supervise?{qs}")
        }
    };
    let total = red + yellow;
    Ok(page(
        status,
        &SupervisePage {
            chrome: Chrome::new(store, u, &names, "/supervise"),
            title: "督查督办".into(),
            today: lvzhi_core::time::date_cn(today),
            manage: manages(a),
            items: list,
            total,
            red,
            yellow,
            f_ledger: opts(ledger_opts, &ledger),
            f_unit: opts(unit_opts, &unit),
            f_level: opts(
                vec![
                    (String::new(), "红黄预警".into()),
                    ("red".into(), "红色预警（超期）".into()),
                    ("yellow".into(), "黄色预警（临期）".into()),
                ],
                &level,
            ),
            period: if period_s.is_empty() {
                period.to_string()
            } else {
                period_s.clone()
            },
            period_label: lvzhi_metrics::span_label(eff),
            period_error,
            ranks: &ranks,
            min_items: MIN_ITEMS,
            warnings,
            warnings_total,
            f_rule: opts(rule_opts, &wrule),
            message,
            error,
            back,
        },
    ))
}

/// Only same-site `/supervise…` URLs are followed back.
fn back_to(f: &[(String, String)]) -> String {
    match field(f, "back") {
        Some(b) if b.starts_with("/supervise") && !b.contains("//") => b.to_string(),
        _ => "/supervise".to_string(),
    }
}

fn with_msg(back: &str, msg: &str) -> String {
    let sep = if back.contains('?') { '&' } else { '?' };
    format!("{back}{sep}{msg}")
}

/// `POST /supervise/urge`: 催办 every checked item (`id` repeated), with a message (`note`).
pub async fn urge(State(st): State<AppState>, u: UiUser, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let a = &u.session.access;
    if !manages(a) {
        return Err(super::render::error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            &format!("{}不能在此批量催办。", a.role.label()),
        ));
    }
    let back = back_to(&f);
    let note = field(&f, "note").unwrap_or("").trim().to_string();
    let mut ids: Vec<i64> = Vec::new();
    for (k, v) in &f {
        if k == "id" {
            match v.trim().parse::<i64>() {
                Ok(i) if !ids.contains(&i) => ids.push(i),
                Ok(_) => {}
                Err(_) => {
                    return Err(super::render::error_page(
                        StatusCode::BAD_REQUEST,
                        "请求有误",
                        &format!("记录编号“{v}”无效"),
                    ));
                }
            }
        }
    }
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(back.split_once('?').map(|x| x.1).unwrap_or("")).unwrap_or_default();
    if ids.is_empty() {
        return render(
            &st,
            &u,
            &params,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请先勾选要催办的事项。".into(),
        )
        .await;
    }
    if ids.len() > MAX_URGE {
        return render(
            &st,
            &u,
            &params,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("一次最多催办{MAX_URGE}项，请缩小范围。"),
        )
        .await;
    }
    if note.chars().count() > 500 {
        return render(
            &st,
            &u,
            &params,
            StatusCode::UNPROCESSABLE_ENTITY,
            "催办说明不能超过500字。".into(),
        )
        .await;
    }
    let (mut done, mut failed) = (0usize, 0usize);
    for id in ids {
        match st.store.urge(a, id, &note).await {
            Ok(_) => done += 1,
            Err(StoreError::Conflict(_) | StoreError::Forbidden(_) | StoreError::NotFound(_)) => failed += 1,
            Err(e) => return Err(store_error(e)),
        }
    }
    Ok(see_other(&with_msg(&back, &format!("urged={done}&failed={failed}"))))
}

/// `POST /supervise/ack`: acknowledge warning `id` with a `note`.
pub async fn ack(State(st): State<AppState>, u: UiUser, f: FormBody) -> PageResult {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let a = &u.session.access;
    if !manages(a) {
        return Err(super::render::error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            &format!("{}不能确认预警。", a.role.label()),
        ));
    }
    let back = back_to(&f);
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(back.split_once('?').map(|x| x.1).unwrap_or("")).unwrap_or_default();
    let id = field(&f, "id").unwrap_or("").to_string();
    let note = field(&f, "note").unwrap_or("").to_string();
    let current = warnings(&st, &u).await?;
    if !current.iter().any(|w| w.id == id) {
        return render(&st, &u, &params, StatusCode::NOT_FOUND, "该预警不存在或已解除。".into()).await;
    }
    match lvzhi_metrics::warn::acknowledge(&st.store, a, &id, &note).await {
        Ok(()) => Ok(see_other(&format!("{}#warnings", with_msg(&back, "acked=1")))),
        Err(lvzhi_metrics::EvalError::Bad(m)) => render(&st, &u, &params, StatusCode::UNPROCESSABLE_ENTITY, m).await,
        Err(lvzhi_metrics::EvalError::Store(e)) => Err(store_error(e)),
        Err(e) => Err(super::render::error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "服务器内部错误",
            &e.to_string(),
        )),
    }
}
