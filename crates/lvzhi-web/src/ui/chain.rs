//! 督查督办 → 超期升级 (`/supervise/escalations`): the 督查室's view of the
//! escalation chain (issue 17). Every open item overdue past its ledger's
//! first escalation step (`[deadline] escalate_head`/`escalate_leader`), with
//! its number and title (linking to the record), unit, deadline and days
//! overdue, and the chain: when the unit was told (超期), when its head and
//! its 分管领导 were escalated to (names, time), the 催办 so far, and who has
//! read each notice. Filter by ledger and unit. 政府办 and the admin only:
//! the store refuses others (403). The data is
//! `lvzhi_store::Store::escalation_chain`, the same the JSON API
//! (`GET /api/v1/supervise/escalations`) answers.

use super::form::Opt;
use super::render::{Chrome, PageResult, date, page, store_error, when};
use super::session::UiUser;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use lvzhi_store::notices::{ChainItem, ChainStep};
use serde::Deserialize;

/// The filter, as the form sends it (empty: all).
#[derive(Debug, Deserialize, Default)]
pub struct ChainQuery {
    /// A ledger key.
    #[serde(default)]
    ledger: String,
    /// A responsible unit's id.
    #[serde(default)]
    unit: String,
}

/// One step of the chain as a cell shows it.
struct Cell {
    /// `told`, `head` or `leader` (the cell's `data-k`).
    k: &'static str,
    /// The pack's rule for the step (超期3天升级), empty for the unit's notice.
    rule: String,
    /// When first told (Shanghai time), empty when not yet.
    at: String,
    /// Who, each with 已读/未读.
    to: Vec<Person>,
    /// How many of them have read it.
    read: usize,
}

struct Person {
    name: String,
    read: bool,
    title: String,
}

/// One row.
struct Row {
    id: i64,
    href: String,
    number: String,
    title: String,
    ledger: String,
    state: String,
    unit: String,
    deadline: String,
    days: i32,
    day_unit: String,
    chain: Vec<Cell>,
    urged: i64,
    urge: Cell,
}

#[derive(Template)]
#[template(path = "escalations.html")]
struct ChainPage {
    chrome: Chrome,
    title: String,
    today: String,
    f_ledger: Vec<Opt>,
    f_unit: Vec<Opt>,
    rows: Vec<Row>,
    total: usize,
    head_told: usize,
    leader_told: usize,
    unread: usize,
}

fn cell(k: &'static str, rule: String, s: &ChainStep) -> Cell {
    Cell {
        k,
        rule,
        at: s.at.as_deref().map(when).unwrap_or_default(),
        to: s
            .to
            .iter()
            .map(|t| Person {
                name: t.name.clone(),
                read: t.read_at.is_some(),
                title: match &t.read_at {
                    Some(r) => format!("{}：{}通知，{}已读", t.name, when(&t.at), when(r)),
                    None => format!("{}：{}通知，未读", t.name, when(&t.at)),
                },
            })
            .collect(),
        read: s.read(),
    }
}

fn row(i: &ChainItem) -> Row {
    let days = |n: Option<i32>| n.map(|n| format!("超期{n}{}", i.day_unit)).unwrap_or_default();
    Row {
        id: i.id,
        href: format!("/records/{}", i.id),
        number: i.number.clone().unwrap_or_else(|| format!("第{}号", i.id)),
        title: i.title.clone(),
        ledger: i.ledger_name.clone(),
        state: i.state.clone(),
        unit: i.unit.clone(),
        deadline: date(Some(&i.deadline)),
        days: i.days_overdue,
        day_unit: i.day_unit.clone(),
        chain: vec![
            cell("told", String::new(), &i.unit_told),
            cell("head", days(i.escalate_head), &i.head),
            cell("leader", days(i.escalate_leader), &i.leader),
        ],
        urged: i.urged,
        urge: cell("urge", String::new(), &i.last_urge),
    }
}

/// `GET /supervise/escalations?ledger=&unit=`.
pub async fn show(State(st): State<AppState>, u: UiUser, Query(q): Query<ChainQuery>) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    let ledger = q.ledger.trim();
    let unit = match q.unit.trim() {
        "" => None,
        s => Some(
            s.parse::<i64>()
                .map_err(|_| store_error(lvzhi_store::StoreError::BadRequest(format!("责任单位“{s}”无效"))))?,
        ),
    };
    let items = store
        .escalation_chain(a, (!ledger.is_empty()).then_some(ledger), unit)
        .await
        .map_err(store_error)?;
    let names = u.names(store).await?;
    let mut f_ledger = vec![Opt {
        value: String::new(),
        label: "全部台账".into(),
        selected: ledger.is_empty(),
    }];
    f_ledger.extend(
        store
            .pack()
            .ledgers
            .iter()
            .filter(|k| k.workflow.is_some())
            .filter(|k| k.deadline.escalate_head.is_some() || k.deadline.escalate_leader.is_some())
            .map(|k| Opt {
                selected: k.key == ledger,
                value: k.key.clone(),
                label: k.name.clone(),
            }),
    );
    let mut f_unit = vec![Opt {
        value: String::new(),
        label: "全部单位".into(),
        selected: unit.is_none(),
    }];
    f_unit.extend(names.units.iter().map(|x| Opt {
        selected: Some(x.id) == unit,
        value: x.id.to_string(),
        label: x.name.clone(),
    }));
    let rows: Vec<Row> = items.iter().map(row).collect();
    let unread = items
        .iter()
        .map(|i| {
            [&i.unit_told, &i.head, &i.leader]
                .iter()
                .map(|s| s.to.len() - s.read())
                .sum::<usize>()
        })
        .sum();
    Ok(page(
        StatusCode::OK,
        &ChainPage {
            chrome: Chrome::new(store, &u, &names, "/supervise/escalations"),
            title: "超期升级".into(),
            today: lvzhi_core::time::date_cn(store.today()),
            total: rows.len(),
            head_told: items.iter().filter(|i| i.head.at.is_some()).count(),
            leader_told: items.iter().filter(|i| i.leader.at.is_some()).count(),
            unread,
            f_ledger,
            f_unit,
            rows,
        },
    ))
}
