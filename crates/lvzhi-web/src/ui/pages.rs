//! 首页 (my to-do items, counts per ledger) and the audit log (ledger lists: `list.rs`).

use super::render::{Chrome, Names, PageResult, page, store_error};
use super::rows::{Row, row};
use super::session::UiUser;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use lvzhi_core::access::Role;
use lvzhi_core::ledger::LedgerKind;
use lvzhi_store::{Store, StoreError};
use std::sync::Arc;

/// A ledger's counts on 首页.
pub struct Stat {
    /// Ledger key.
    pub key: String,
    /// Ledger name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Open items.
    pub open: i64,
    /// Overdue.
    pub red: i64,
    /// Due soon.
    pub yellow: i64,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    chrome: Chrome,
    title: String,
    today: String,
    show_todo: bool,
    todo: &'a [Row],
    todo_total: i64,
    stats: Vec<Stat>,
    /// The leader's dashboard (领导驾驶舱).
    dash: Option<Arc<super::indicators::Dashboard>>,
    /// An evaluator's 首页 leads to the ballot.
    evaluator: bool,
    /// A leader's escalated items (`ui/escalation.rs`).
    escalated: Vec<super::escalation::Escalated>,
}

/// How many to-do items 首页 shows.
const TODO_SHOWN: usize = 30;

/// The user's to-do items as rows: open records in their scope whose state
/// has a transition their role may take, soonest deadline first; and how many
/// in all (`Store::todo`, memoised per reader until the next event).
pub async fn todo(store: &Store, u: &UiUser, names: &Names, limit: usize) -> Result<Arc<(Vec<Row>, i64)>, StoreError> {
    let a = &u.session.access;
    u.memo_scoped(store, &format!("todo|{limit}"), || async {
        let (views, total) = store.todo(a, limit as i64).await?;
        let pack = store.pack();
        let (cal, today) = (store.fresh_calendar().await?, store.today());
        let ids: Vec<i64> = views.iter().map(|v| v.row.id).collect();
        let mine = store.assigned_to_me(a, &ids).await?;
        let mut rows = Vec::with_capacity(views.len());
        for v in &views {
            let Some(k) = pack.ledger(&v.row.ledger) else { continue };
            let mut r = row(k, names, v);
            r.due = super::rows::due_text(k, &cal, today, v);
            r.mine = mine.contains(&v.row.id);
            rows.push(r);
        }
        Ok((rows, total))
    })
    .await
}

/// `GET /`: 我的待办 and the counts per ledger.
pub async fn home(State(st): State<AppState>, u: UiUser) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    let names = u.names(store).await?;
    let show_todo = a.role.writes();
    let todo_memo = todo(store, &u, &names, TODO_SHOWN).await.map_err(store_error)?;
    let (todo, todo_total) = (&todo_memo.0, todo_memo.1);
    let pack = store.pack();
    let dash = if a.role == Role::Leader {
        Some(super::indicators::dashboard(&st, &u, &names).await?)
    } else {
        None
    };
    let mut stats = Vec::new();
    if a.role.sees_ledgers() {
        // Grouped by category, in the menu's order.
        let mut kinds: Vec<&LedgerKind> = pack.ledgers.iter().collect();
        let order = |c: &str| pack.ledgers.iter().position(|l| l.category == c).unwrap_or(usize::MAX);
        kinds.sort_by_key(|k| order(&k.category));
        let counts = u
            .memo_scoped(store, "open_counts", || store.open_counts(a))
            .await
            .map_err(store_error)?;
        for kind in kinds {
            let c = counts
                .iter()
                .find(|(k, _)| *k == kind.key)
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            stats.push(Stat {
                key: kind.key.clone(),
                name: kind.name.clone(),
                category: kind.category.clone(),
                open: c.open,
                red: c.red,
                yellow: c.yellow,
            });
        }
    }
    Ok(page(
        StatusCode::OK,
        &HomePage {
            chrome: Chrome::new(store, &u, &names, "/"),
            title: "首页".into(),
            today: lvzhi_core::time::date_cn(store.today()),
            show_todo,
            todo,
            todo_total,
            stats,
            dash,
            evaluator: a.role == Role::Evaluator,
            escalated: super::escalation::escalated(&st, &u, &names).await?,
        },
    ))
}

/// The 审计 page: the Chinese lines of the filtered log (see
/// [`lvzhi_store::Store::audit_lines`]) and the filter form's values.
#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    title: String,
    rows: Vec<lvzhi_store::audit::AuditLine>,
    next_href: String,
    filter: AuditForm,
    kinds: Vec<(String, String)>,
}

/// The filter form's values, as typed.
#[derive(Debug, Default, Clone)]
struct AuditForm {
    actor: String,
    from: String,
    to: String,
    kind: String,
    record: String,
}

/// The Chinese name of an event kind.
pub fn kind_label(kind: &str) -> String {
    lvzhi_store::audit::kind_label(kind).to_string()
}

/// `GET /audit?actor&from&to&kind&record&before`: the change log in Chinese,
/// newest first, filtered (auditors and admins).
pub async fn audit(State(st): State<AppState>, u: UiUser, Query(params): Query<Vec<(String, String)>>) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let form = AuditForm {
        actor: get("actor"),
        from: get("from"),
        to: get("to"),
        kind: get("kind"),
        record: get("record"),
    };
    let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
    let filter = lvzhi_store::audit::EventFilter {
        before: get("before").parse().ok(),
        kind: some(&form.kind),
        actor: some(&form.actor),
        from: some(&form.from),
        to: some(&form.to),
        record: form.record.trim_start_matches('#').parse().ok(),
        limit: Some(100),
    };
    // The newest page changes with every event; memoised until then.
    let key = format!("audit|{filter:?}");
    let rows = u
        .memo_scoped(store, &key, || store.audit_lines(a, &filter))
        .await
        .map_err(store_error)?;
    let rows: Vec<lvzhi_store::audit::AuditLine> = rows.as_ref().clone();
    let names = u.names(store).await?;
    let next_href = match rows.last() {
        Some(r) if rows.len() == 100 => {
            let mut q: Vec<(&str, &str)> = vec![];
            for (k, v) in [
                ("actor", &form.actor),
                ("from", &form.from),
                ("to", &form.to),
                ("kind", &form.kind),
                ("record", &form.record),
            ] {
                if !v.is_empty() {
                    q.push((k, v.as_str()));
                }
            }
            let before = r.seq.to_string();
            q.push(("before", &before));
            format!("/audit?{}", super::render::query(&q))
        }
        _ => String::new(),
    };
    let kinds = lvzhi_store::audit::KIND_GROUPS
        .iter()
        .map(|(k, l)| (k.to_string(), l.to_string()))
        .collect();
    Ok(page(
        StatusCode::OK,
        &AuditPage {
            chrome: Chrome::new(store, &u, &names, "/audit"),
            title: "审计：变更日志".into(),
            rows,
            next_href,
            filter: form,
            kinds,
        },
    ))
}
