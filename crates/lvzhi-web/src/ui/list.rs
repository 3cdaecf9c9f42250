//! A ledger's list (`/ledgers/{key}`): filters, sort, pages with numbers and
//! the total (共8,712条 第1/175页), and the columns — the pack's `list = true`
//! fields by default, or the ones the user chose (saved per user and ledger,
//! `POST /ledgers/{key}/columns`, store `ui_prefs`).
//!
//! Pages: the store's lists are keyset-paged (a cursor per page, bounded work
//! whatever the ledger's size), so 下一页 follows the cursor; a numbered page
//! reached directly walks the cursors from the first page, 500 rows a step, up
//! to [`MAX_SKIP`] rows (page 401 of 50) — beyond that the list asks for a
//! filter or the other sort.

use super::form::Opt;
use super::render::{Chrome, PageResult, error_page, page, query, see_other, store_error};
use super::rows::{Row, list_fields, row_of};
use super::session::{UiUser, check_csrf};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lvzhi_core::access::Access;
use lvzhi_core::field::{FieldDef, FieldRole, FieldType};
use lvzhi_core::ledger::LedgerKind;
use lvzhi_store::records::ListQuery;
use lvzhi_store::{Store, StoreError};

/// Rows a list page shows.
pub const PAGE_SIZE: i64 = 50;
/// The most rows a numbered page skips (walking cursors from the first page).
pub const MAX_SKIP: i64 = 20_000;
/// The most columns a user may choose (beyond 编号, 状态 and 更新时间), so the
/// list still fits a 1366-px window.
pub const MAX_COLUMNS: usize = 7;
/// The columns shown by default: the first of the pack's `list = true` fields
/// (the title first, the deadline next, then in the pack's order).
pub const DEFAULT_COLUMNS: usize = 6;

/// A sortable column header.
pub struct SortLink {
    /// Label.
    pub label: String,
    /// The list sorted by it.
    pub href: String,
    /// The current sort.
    pub active: bool,
}

/// A link of the pager: a page number, or a gap (…) when `href` and `label` are empty.
pub struct PageLink {
    /// The page's number as shown.
    pub label: String,
    /// Its URL (empty: the current page, or a gap).
    pub href: String,
    /// The current page.
    pub current: bool,
}

/// A column the user may show or hide.
pub struct ColumnChoice {
    /// Field key.
    pub key: String,
    /// Field label.
    pub label: String,
    /// Shown now.
    pub shown: bool,
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
    /// 8,712.
    total_text: String,
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
    prev_href: String,
    /// The current page (1-based) and the number of pages.
    page_no: i64,
    pages: i64,
    page_links: Vec<PageLink>,
    /// The current filters and sort, as hidden inputs of the 跳转 form.
    keep: Vec<(String, String)>,
    filtered: bool,
    /// The columns the user may choose from, and whether they chose their own.
    choices: Vec<ColumnChoice>,
    custom_columns: bool,
    max_columns: usize,
    /// This page's URL (where the column form comes back to).
    here: String,
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

/// 8712 → "8,712".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The key of a user's column choice for a ledger in `ui_prefs`.
fn columns_pref(ledger: &str) -> String {
    format!("list_columns:{ledger}")
}

/// The columns of `kind`'s list for a saved choice (field keys joined by
/// commas; unknown keys dropped, at most [`MAX_COLUMNS`]), or the first
/// [`DEFAULT_COLUMNS`] of the pack's `list = true` fields; the title first and
/// the deadline next, as [`list_fields`] orders them.
pub fn chosen_fields<'k>(kind: &'k LedgerKind, saved: Option<&str>) -> Vec<&'k FieldDef> {
    let default = || list_fields(kind).into_iter().take(DEFAULT_COLUMNS).collect();
    let Some(saved) = saved else { return default() };
    let keys: Vec<&str> = saved.split(',').map(str::trim).collect();
    let mut v: Vec<&FieldDef> = kind
        .fields
        .iter()
        .filter(|f| keys.contains(&f.key.as_str()))
        .take(MAX_COLUMNS)
        .collect();
    if v.is_empty() {
        return default();
    }
    v.sort_by_key(|f| match f.role {
        Some(FieldRole::Title) => 0,
        Some(FieldRole::Deadline) => 1,
        _ => 2,
    });
    v
}

/// The cursor after the first `skip` rows of the list `lq`, walking the
/// store's pages 500 rows at a time; `None` when the list has no more rows.
async fn skip_rows(
    store: &Store,
    a: &Access,
    key: &str,
    lq: &ListQuery,
    skip: i64,
) -> Result<Option<String>, StoreError> {
    let mut cursor: Option<String> = None;
    let mut left = skip;
    while left > 0 {
        let step = left.min(500);
        let q = ListQuery {
            cursor: cursor.clone(),
            limit: Some(step),
            count: false,
            ..lq.clone()
        };
        let pg = store.list(a, key, &q).await?;
        left -= pg.items.len() as i64;
        match pg.next {
            Some(n) => cursor = Some(n),
            None => return Ok(None),
        }
    }
    Ok(cursor)
}

/// The numbers the pager links: the first, the last, and two either side of
/// the current page, with gaps (0) between runs.
fn page_numbers(current: i64, pages: i64) -> Vec<i64> {
    let mut v: Vec<i64> = Vec::new();
    for p in [1, current - 2, current - 1, current, current + 1, current + 2, pages] {
        if p >= 1 && p <= pages && !v.contains(&p) {
            v.push(p);
        }
    }
    v.sort_unstable();
    let mut out = Vec::new();
    for (i, p) in v.iter().enumerate() {
        if i > 0 && *p > v[i - 1] + 1 {
            out.push(0);
        }
        out.push(*p);
    }
    out
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
        return Err(error_page(StatusCode::FORBIDDEN, "无权访问", "测评人不能查看台账。"));
    }
    let kind = store
        .pack()
        .ledger(&key)
        .ok_or_else(|| error_page(StatusCode::NOT_FOUND, "未找到", &format!("台账“{key}”不存在")))?;
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
    let mut page_no: i64 = p("page").parse().unwrap_or(1).max(1);
    let sort = if matches!(sort.as_str(), "deadline" | "updated") {
        sort
    } else {
        "id".to_string()
    };
    let date_fields: Vec<&FieldDef> = kind.fields.iter().filter(|f| f.ty == FieldType::Date).collect();
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
    let saved = store.user_pref(a, &columns_pref(&key)).await.map_err(store_error)?;
    let shown = chosen_fields(kind, saved.as_deref());
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
        limit: Some(PAGE_SIZE),
        count: true,
        ..ListQuery::default()
    };
    if lq.cursor.is_none() && (page_no - 1) * PAGE_SIZE > MAX_SKIP {
        error = format!(
            "不能直接跳到第{page_no}页（超过{}条）。请用筛选条件缩小范围，或改变排序后从第一页往后翻。",
            thousands(MAX_SKIP)
        );
        page_no = 1;
    }
    // The same list at the same version of the data is the same page: memoised per reader.
    let col_keys: Vec<&str> = shown.iter().map(|f| f.key.as_str()).collect();
    let memo_key = format!("list|{key}|{lq:?}|{page_no}|{}", col_keys.join(","));
    let listed = u
        .memo_scoped(store, &memo_key, || async {
            let mut q = lq.clone();
            if q.cursor.is_none() && page_no > 1 {
                q.cursor = skip_rows(store, a, &key, &lq, (page_no - 1) * PAGE_SIZE).await?;
                if q.cursor.is_none() {
                    // Past the end: an empty page, with the total.
                    let mut counted = lq.clone();
                    counted.limit = Some(1);
                    let pg = store.list(a, &key, &counted).await?;
                    return Ok::<_, StoreError>((Vec::new(), pg.total.unwrap_or(0), None));
                }
            }
            let pg = store.list(a, &key, &q).await?;
            let rows: Vec<Row> = pg.items.iter().map(|v| row_of(kind, &shown, &names, v)).collect();
            Ok((rows, pg.total.unwrap_or(0), pg.next))
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
    let columns = shown
        .iter()
        .map(|f| {
            let link = (f.role == Some(FieldRole::Deadline)).then(|| sort_link(&f.label, "deadline"));
            (f.label.clone(), link)
        })
        .collect();
    let (rows, total, next): (&[Row], i64, Option<String>) = match &page_ {
        Some(pg) => (&pg.0, pg.1, pg.2.clone()),
        None => (&[], 0, None),
    };
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let sort_q = if sort == "id" { "" } else { sort.as_str() };
    let page_href = |n: i64| {
        let ns = n.to_string();
        href(&[("sort", sort_q), ("page", if n == 1 { "" } else { &ns })])
    };
    let next_page = (page_no + 1).to_string();
    let next_href = next
        .as_ref()
        .map(|n| href(&[("sort", sort_q), ("cursor", n), ("page", &next_page)]))
        .unwrap_or_default();
    let prev_href = if page_no > 1 {
        page_href(page_no - 1)
    } else {
        String::new()
    };
    let page_links = page_numbers(page_no, pages)
        .into_iter()
        .map(|n| match n {
            0 => PageLink {
                label: "…".into(),
                href: String::new(),
                current: false,
            },
            n if n == page_no => PageLink {
                label: n.to_string(),
                href: String::new(),
                current: true,
            },
            // The next page through its cursor; others reached by walking (within MAX_SKIP).
            n if n == page_no + 1 && !next_href.is_empty() => PageLink {
                label: n.to_string(),
                href: next_href.clone(),
                current: false,
            },
            n if (n - 1) * PAGE_SIZE <= MAX_SKIP => PageLink {
                label: n.to_string(),
                href: page_href(n),
                current: false,
            },
            n => PageLink {
                label: n.to_string(),
                href: String::new(),
                current: false,
            },
        })
        .collect();
    let mut keep: Vec<(String, String)> = filters
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !sort_q.is_empty() {
        keep.push(("sort".into(), sort_q.into()));
    }
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
    let choices = kind
        .fields
        .iter()
        .map(|f| ColumnChoice {
            key: f.key.clone(),
            label: f.label.clone(),
            shown: shown.iter().any(|s| s.key == f.key),
        })
        .collect();
    let here = page_href(page_no);
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
            total_text: thousands(total),
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
            prev_href,
            page_no,
            pages,
            page_links,
            keep,
            filtered,
            choices,
            custom_columns: saved.is_some(),
            max_columns: MAX_COLUMNS,
            here,
        },
    ))
}

type FormBody = Result<Form<Vec<(String, String)>>, FormRejection>;

/// `POST /ledgers/{key}/columns`: saves the user's columns of the ledger's
/// list (`col` fields, at most [`MAX_COLUMNS`]), or forgets them (`reset`),
/// and goes back to the list (`back`, a path of this ledger's list).
pub async fn save_columns(
    State(st): State<AppState>,
    u: UiUser,
    Path(key): Path<String>,
    f: FormBody,
) -> Result<Response, Response> {
    let f = super::session::form(f)?;
    check_csrf(&u, &f)?;
    let a = &u.session.access;
    if !a.role.sees_ledgers() {
        return Err(error_page(StatusCode::FORBIDDEN, "无权访问", "测评人不能查看台账。"));
    }
    let kind = st
        .store
        .pack()
        .ledger(&key)
        .ok_or_else(|| error_page(StatusCode::NOT_FOUND, "未找到", &format!("台账“{key}”不存在")))?;
    let chosen: Vec<&str> = f
        .iter()
        .filter(|(k, _)| k == "col")
        .map(|(_, v)| v.as_str())
        .filter(|v| kind.field(v).is_some())
        .collect();
    let reset = f.iter().any(|(k, _)| k == "reset");
    if !reset && chosen.is_empty() {
        return Err(error_page(StatusCode::BAD_REQUEST, "未选择列", "请至少选择一列。"));
    }
    if chosen.len() > MAX_COLUMNS {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            "列太多",
            &format!(
                "最多选择{MAX_COLUMNS}列（已选{}列），以免列表超出屏幕宽度。",
                chosen.len()
            ),
        ));
    }
    let value = if reset { String::new() } else { chosen.join(",") };
    st.store
        .set_user_pref(a, &columns_pref(&key), &value)
        .await
        .map_err(store_error)?;
    let list_path = format!("/ledgers/{key}");
    let back = super::session::field(&f, "back").unwrap_or("");
    let back = if back == list_path || back.starts_with(&format!("{list_path}?")) {
        back
    } else {
        &list_path
    };
    Ok(see_other(back))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separates_groups() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(8712), "8,712");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn page_numbers_keep_ends_and_neighbours() {
        assert_eq!(page_numbers(1, 1), vec![1]);
        assert_eq!(page_numbers(1, 88), vec![1, 2, 3, 0, 88]);
        assert_eq!(page_numbers(10, 88), vec![1, 0, 8, 9, 10, 11, 12, 0, 88]);
        assert_eq!(page_numbers(88, 88), vec![1, 0, 86, 87, 88]);
        assert_eq!(page_numbers(4, 6), vec![1, 2, 3, 4, 5, 6]);
    }
}
