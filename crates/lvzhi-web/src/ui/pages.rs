//! 首页 (my to-do items, counts per ledger), ledger lists and the audit log.

use super::form::Opt;
use super::render::{Chrome, Names, PageResult, page, query, store_error};
use super::rows::{Row, list_fields, row};
use super::session::UiUser;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use lvzhi_core::access::Role;
use lvzhi_core::field::{FieldRole, FieldType};
use lvzhi_core::ledger::LedgerKind;
use lvzhi_store::records::ListQuery;
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
        let rows = views
            .iter()
            .filter_map(|v| pack.ledger(&v.row.ledger).map(|k| row(k, names, v)))
            .collect();
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
        },
    ))
}

/// A sortable column header.
pub struct SortLink {
    /// Label.
    pub label: String,
    /// The list sorted by it.
    pub href: String,
    /// The current sort.
    pub active: bool,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage<'a> {
    chrome: Chrome,
    title: String,
    key: String,
    description: String,
    can_create: bool,
    /// The list's filters as a query string, for the 导出 links.
    export_q: String,
    /// Column headers of the list fields; a sort link where sortable.
    columns: Vec<(String, Option<SortLink>)>,
    id_sort: SortLink,
    updated_sort: SortLink,
    rows: &'a [Row],
    total: i64,
    error: String,
    f_state: Vec<Opt>,
    f_unit: Vec<Opt>,
    f_division: Vec<Opt>,
    f_date_field: Vec<Opt>,
    f_warning: Vec<Opt>,
    f_sort: Vec<Opt>,
    from: String,
    to: String,
    q: String,
    next_href: String,
    first_href: String,
    filtered: bool,
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

/// `GET /ledgers/{key}`: the filtered, sorted, paginated list.
pub async fn list(
    State(st): State<AppState>,
    u: UiUser,
    Path(key): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let store = &st.store;
    let a = &u.session.access;
    if !a.role.sees_ledgers() {
        return Err(super::render::error_page(
            StatusCode::FORBIDDEN,
            "无权访问",
            "测评人不能查看台账。",
        ));
    }
    let kind = store
        .pack()
        .ledger(&key)
        .ok_or_else(|| super::render::error_page(StatusCode::NOT_FOUND, "未找到", &format!("台账“{key}”不存在")))?;
    let names = u.names(store).await?;
    let p = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let (state, unit, division, date_field, from, to, warning, q, sort, cursor) = (
        p("state"),
        p("unit"),
        p("division"),
        p("date_field"),
        p("from"),
        p("to"),
        p("warning"),
        p("q"),
        p("sort"),
        p("cursor"),
    );
    let sort = if matches!(sort.as_str(), "deadline" | "updated") {
        sort
    } else {
        "id".to_string()
    };
    let date_fields: Vec<&lvzhi_core::field::FieldDef> =
        kind.fields.iter().filter(|f| f.ty == FieldType::Date).collect();
    let date_field = if date_fields.iter().any(|f| f.key == date_field) {
        date_field
    } else {
        date_fields.first().map(|f| f.key.clone()).unwrap_or_default()
    };
    let warning = if matches!(warning.as_str(), "red" | "yellow" | "warned") {
        warning
    } else {
        String::new()
    };
    let mut error = String::new();
    let lq = ListQuery {
        state: Some(state.clone()).filter(|s| !s.is_empty()),
        unit: unit.parse().ok(),
        division: Some(division.clone()).filter(|s| !s.is_empty()),
        date_field: Some(date_field.clone()).filter(|s| !s.is_empty()),
        from: Some(from.clone()).filter(|s| !s.is_empty()),
        to: Some(to.clone()).filter(|s| !s.is_empty()),
        warning: Some(warning.clone()).filter(|s| !s.is_empty()),
        q: Some(q.clone()).filter(|s| !s.is_empty()),
        sort: Some(sort.clone()),
        cursor: Some(cursor.clone()).filter(|s| !s.is_empty()),
        limit: Some(50),
        count: true,
        ..ListQuery::default()
    };
    // The same list at the same version of the data is the same page: memoised per reader.
    let listed = u
        .memo_scoped(store, &format!("list|{key}|{lq:?}"), || async {
            let pg = store.list(a, &key, &lq).await?;
            let rows: Vec<Row> = pg.items.iter().map(|v| row(kind, &names, v)).collect();
            Ok::<_, StoreError>((rows, pg.total.unwrap_or(0), pg.next))
        })
        .await;
    let page_ = match listed {
        Ok(p) => Some(p),
        Err(e @ StoreError::BadRequest(_)) => {
            error = e.to_string();
            None
        }
        Err(e) => return Err(store_error(e)),
    };
    let filters: Vec<(&str, &str)> = vec![
        ("state", &state),
        ("unit", &unit),
        ("division", &division),
        (
            "date_field",
            if from.is_empty() && to.is_empty() {
                ""
            } else {
                &date_field
            },
        ),
        ("from", &from),
        ("to", &to),
        ("warning", &warning),
        ("q", &q),
    ];
    let href = |extra: &[(&str, &str)]| {
        let mut all = filters.clone();
        all.extend_from_slice(extra);
        let qs = query(&all);
        if qs.is_empty() {
            format!("/ledgers/{key}")
        } else {
            format!("/ledgers/{key}?{qs}")
        }
    };
    let sort_link = |label: &str, s: &str| SortLink {
        label: label.to_string(),
        href: href(&[("sort", if s == "id" { "" } else { s })]),
        active: sort == s,
    };
    let columns = list_fields(kind)
        .into_iter()
        .map(|f| {
            let link = (f.role == Some(FieldRole::Deadline)).then(|| sort_link(&f.label, "deadline"));
            (f.label.clone(), link)
        })
        .collect();
    let (rows, total, next): (&[Row], i64, Option<String>) = match &page_ {
        Some(pg) => (&pg.0, pg.1, pg.2.clone()),
        None => (&[], 0, None),
    };
    let sort_q = if sort == "id" { "" } else { sort.as_str() };
    let next_href = next
        .map(|n| href(&[("sort", sort_q), ("cursor", &n)]))
        .unwrap_or_default();
    let first_href = if cursor.is_empty() {
        String::new()
    } else {
        href(&[("sort", sort_q)])
    };
    let mut state_opts = vec![(String::new(), "全部状态".to_string())];
    if let Some(wf) = &kind.workflow {
        state_opts.extend(wf.states.iter().map(|s| (s.name.clone(), s.name.clone())));
    }
    let mut unit_opts = vec![(String::new(), "全部单位".to_string())];
    unit_opts.extend(names.units.iter().map(|x| (x.id.to_string(), x.name.clone())));
    let mut div_opts = vec![(String::new(), "全部乡镇".to_string())];
    div_opts.extend(
        names
            .divisions
            .iter()
            .filter(|d| d.level == 2)
            .map(|d| (d.code.clone(), d.name.clone())),
    );
    let filtered = filters.iter().any(|(_, v)| !v.is_empty());
    Ok(page(
        StatusCode::OK,
        &ListPage {
            chrome: Chrome::new(store, &u, &names, &format!("/ledgers/{key}")),
            title: kind.name.clone(),
            key: key.clone(),
            description: kind.description.clone(),
            can_create: kind.create_roles.contains(&a.role) && a.role.writes(),
            export_q: super::import::export_query(&[filters.as_slice(), &[("sort", sort_q)]].concat()),
            columns,
            id_sort: sort_link("编号", "id"),
            updated_sort: sort_link("更新时间", "updated"),
            rows,
            total,
            error,
            f_state: opts(state_opts, &state),
            f_unit: opts(unit_opts, &unit),
            f_division: opts(div_opts, &division),
            f_date_field: opts(
                date_fields.iter().map(|f| (f.key.clone(), f.label.clone())).collect(),
                &date_field,
            ),
            f_warning: opts(
                vec![
                    (String::new(), "全部".into()),
                    ("red".into(), "红色预警（超期）".into()),
                    ("yellow".into(), "黄色预警（临期）".into()),
                    ("warned".into(), "红黄预警".into()),
                ],
                &warning,
            ),
            f_sort: opts(
                vec![
                    ("id".into(), "最新登记".into()),
                    ("deadline".into(), "期限最近".into()),
                    ("updated".into(), "最近更新".into()),
                ],
                &sort,
            ),
            from,
            to,
            q,
            next_href,
            first_href,
            filtered,
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
