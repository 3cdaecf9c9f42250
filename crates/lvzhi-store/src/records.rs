//! Reading records: one record, filtered and paginated lists, a record's events.
//!
//! **Invariant:** every read takes the reader's [`Access`]. Lists add
//! [`scope_sql`] to their WHERE clause; single reads call [`check_visible`].
//! Both implement [`Access::sees`]; `tests/store.rs` checks they agree.

use crate::db::{Conn, Dialect, P, Row};
use crate::{Store, StoreError};
use lvzhi_core::access::{Access, RecordScope, Role};
use lvzhi_core::deadline::{Warning, warning};
use lvzhi_core::event::Event;
use lvzhi_core::field::{FieldRole, FieldType};
use lvzhi_core::ledger::{Fields, LedgerKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordRow {
    /// Id.
    pub id: i64,
    /// Ledger key.
    pub ledger: String,
    /// Workflow state.
    pub state: String,
    /// Responsible unit.
    pub unit_id: Option<i64>,
    /// Unit that entered it.
    pub source_unit_id: Option<i64>,
    /// Division code.
    pub division: Option<String>,
    /// Owning leader (person id).
    pub owner_id: Option<i64>,
    /// Deadline in force (`YYYY-MM-DD`).
    pub deadline: Option<String>,
    /// In a final state.
    pub closed: bool,
    /// Voided.
    pub voided: bool,
    /// Why it was voided.
    pub void_reason: Option<String>,
    /// Title for lists.
    pub title: String,
    /// Field values (unmasked).
    pub fields: Fields,
    /// Version, from 1; every change adds one.
    pub version: i64,
    /// When it entered its state (UTC stamp).
    pub state_since: String,
    /// Times urged (催办).
    pub urge_count: i64,
    /// Created (UTC stamp).
    pub created_at: String,
    /// Creator (user id).
    pub created_by: Option<i64>,
    /// Last changed (UTC stamp).
    pub updated_at: String,
    /// Its last event's seq.
    pub last_event: i64,
    /// Its number in the ledger's series of the year (隐患〔2026〕第123号);
    /// none for records created before numbering.
    pub number: Option<String>,
    /// Its 协办 units, ascending. Read by [`fetch`] (single reads and every
    /// write); empty in list rows, whose scope the SQL has already applied.
    #[serde(skip)]
    pub co_units: Vec<i64>,
}

/// The columns [`RecordRow::from_row`] reads, in order.
pub const COLS: &str = "id, ledger, state, unit_id, source_unit_id, division, owner_id, deadline, closed, voided, \
    void_reason, title, fields, version, state_since, urge_count, created_at, created_by, updated_at, last_event, number";

impl RecordRow {
    /// Builds a record from a row of [`COLS`].
    pub fn from_row(r: &Row) -> RecordRow {
        RecordRow {
            id: r.i(0),
            ledger: r.t(1),
            state: r.t(2),
            unit_id: r.oi(3),
            source_unit_id: r.oi(4),
            division: r.ot(5),
            owner_id: r.oi(6),
            deadline: r.ot(7),
            closed: r.b(8),
            voided: r.b(9),
            void_reason: r.ot(10),
            title: r.t(11),
            fields: serde_json::from_str::<Map<String, Value>>(&r.t(12)).unwrap_or_default(),
            version: r.i(13),
            state_since: r.t(14),
            urge_count: r.i(15),
            created_at: r.t(16),
            created_by: r.oi(17),
            updated_at: r.t(18),
            last_event: r.i(19),
            number: r.ot(20),
            co_units: Vec::new(),
        }
    }

    /// The parts that decide who sees it.
    pub fn scope(&self) -> RecordScope<'_> {
        RecordScope {
            unit: self.unit_id,
            source_unit: self.source_unit_id,
            division: self.division.as_deref(),
            owner: self.owner_id,
            co_units: &self.co_units,
        }
    }
}

/// Reads a record by id, whoever asks (internal), its personal fields opened.
pub(crate) async fn fetch(
    conn: &mut Conn<'_>,
    keys: &crate::crypt::Keys,
    pack: &lvzhi_core::ledger::Pack,
    id: i64,
) -> Result<RecordRow, StoreError> {
    let sql = format!("SELECT {COLS} FROM records WHERE id = $1");
    let mut row = conn
        .row(&sql, &[P::I(id)])
        .await?
        .map(|r| RecordRow::from_row(&r))
        .ok_or_else(|| StoreError::NotFound(format!("记录{id}不存在")))?;
    keys.open_record(pack, &mut row);
    row.co_units = crate::co_units::load(conn, id).await?;
    Ok(row)
}

/// Refuses a record the user may not change although they see it: one they
/// see only as (the 分管 leader of) a 协办 unit, 403. Call after [`check_visible`].
pub fn check_handles(a: &Access, r: &RecordRow) -> Result<(), StoreError> {
    if a.handles(&r.scope()) {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "协办单位只能查看本事项并填写协办意见，不能修改或办理；请由主办单位办理".into(),
        ))
    }
}

/// Refuses a record outside the user's scope (404, as for a missing id).
pub fn check_visible(a: &Access, r: &RecordRow) -> Result<(), StoreError> {
    if a.sees(&r.scope()) {
        Ok(())
    } else {
        // The same answer as a missing record: whether an id exists outside
        // one's scope must not be learnt by probing.
        Err(StoreError::NotFound(format!("记录{}不存在", r.id)))
    }
}

/// The SQL condition of [`Access::sees`], with its parameters numbered from `next`:
/// [`own_scope_sql`] or a 协办 unit of the reader's (an indexed subquery on
/// `record_co_units`, so lists keep to their indexes).
pub fn scope_sql(a: &Access, next: &mut usize, params: &mut Vec<P>) -> String {
    let own = own_scope_sql(a, next, params);
    let co: Vec<i64> = match a.role {
        Role::UnitClerk | Role::UnitHead => a.unit.into_iter().collect(),
        Role::Leader => a.oversees.clone(),
        _ => return own,
    };
    if co.is_empty() {
        return own;
    }
    let list: Vec<String> = co
        .into_iter()
        .map(|u| {
            params.push(P::I(u));
            let s = format!("${next}");
            *next += 1;
            s
        })
        .collect();
    let unit = if list.len() == 1 {
        format!("unit_id = {}", list[0])
    } else {
        format!("unit_id IN ({})", list.join(", "))
    };
    format!("({own} OR id IN (SELECT record_id FROM record_co_units WHERE {unit}))")
}

/// The SQL condition of [`Access::handles`] (the scope without 协办 units):
/// what indicators, bulletins and 待办 count, so that a record counts for its
/// responsible unit only.
pub fn own_scope_sql(a: &Access, next: &mut usize, params: &mut Vec<P>) -> String {
    let mut push = |p: P, params: &mut Vec<P>| {
        params.push(p);
        let s = format!("${next}");
        *next += 1;
        s
    };
    let division_cond = |d: &Option<String>, params: &mut Vec<P>, push: &mut dyn FnMut(P, &mut Vec<P>) -> String| {
        d.as_ref().map(|prefix| {
            let (lo, hi) = code_range(prefix);
            let lo = push(P::T(lo), params);
            let hi = push(P::T(hi), params);
            format!("(division >= {lo} AND division < {hi})")
        })
    };
    match a.role {
        Role::Admin | Role::Office | Role::Auditor => {
            division_cond(&a.division, params, &mut push).unwrap_or_else(|| "1=1".into())
        }
        Role::Leader => {
            let mut ors = Vec::new();
            if !a.oversees.is_empty() {
                let list: Vec<String> = a.oversees.iter().map(|u| push(P::I(*u), params)).collect();
                ors.push(format!("unit_id IN ({})", list.join(", ")));
            }
            if let Some(p) = a.person {
                ors.push(format!("owner_id = {}", push(P::I(p), params)));
            }
            if let Some(c) = division_cond(&a.division, params, &mut push) {
                ors.push(c);
            }
            if ors.is_empty() {
                "1=0".into()
            } else {
                format!("({})", ors.join(" OR "))
            }
        }
        Role::UnitClerk | Role::UnitHead => {
            let mut ors = Vec::new();
            if let Some(u) = a.unit {
                let p1 = push(P::I(u), params);
                let p2 = push(P::I(u), params);
                ors.push(format!("unit_id = {p1} OR source_unit_id = {p2}"));
            }
            if let Some(c) = division_cond(&a.division, params, &mut push) {
                ors.push(c);
            }
            if ors.is_empty() {
                "1=0".into()
            } else {
                format!("({})", ors.join(" OR "))
            }
        }
        Role::Evaluator | Role::SecAdmin | Role::AuditAdmin => "1=0".into(),
    }
}

/// The half-open range of division codes under a prefix, as bounds a btree
/// index can use on both backends (a `LIKE 'p%'` cannot, under PostgreSQL's
/// non-C collations). Codes are digits only, and digits sort before letters
/// in every collation, so `[p, p + "A")` holds exactly the codes starting with p.
fn code_range(prefix: &str) -> (String, String) {
    let p: String = prefix.chars().filter(char::is_ascii_digit).collect();
    (p.clone(), format!("{p}A"))
}

/// `s` as a literal inside a `LIKE … ESCAPE '\'` pattern: `%`, `_` and `\` escaped.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Filters, sort and page of a record list. Every field is optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ListQuery {
    /// Workflow state.
    pub state: Option<String>,
    /// Responsible unit id.
    pub unit: Option<i64>,
    /// Division code prefix (a township's code lists its villages too).
    pub division: Option<String>,
    /// Owning leader (person id).
    pub owner: Option<i64>,
    /// A date field to range over (its key); with `from`/`to`.
    pub date_field: Option<String>,
    /// First day (inclusive), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day (inclusive), `YYYY-MM-DD`.
    pub to: Option<String>,
    /// `red` (overdue), `yellow` (due soon) or `warned` (either).
    pub warning: Option<String>,
    /// Text to search for in the record's text fields.
    pub q: Option<String>,
    /// Include voided records.
    #[serde(default)]
    pub include_voided: bool,
    /// Only open (not final) records.
    #[serde(default)]
    pub open: bool,
    /// `id` (default, newest first), `deadline` (soonest first), `updated` (latest first).
    pub sort: Option<String>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// Also count all matching records.
    #[serde(default)]
    pub count: bool,
}

/// Rows the first ordered window of a list page examines (each further window is four times
/// larger), and the window after which the rest of the page is fetched through the filters' own
/// indexes and sorted (the filter is then selective, so few rows match).
///
/// SQLite walks up to 32,000 rows: its windows are read from the covering order index at about
/// 0.1 µs a row, and its fallback uses one filter index only. PostgreSQL stops at 8,000: its
/// index-only scans cost several times more a row, and its fallback combines the filters'
/// indexes (bitmap AND), so a selective filter is cheaper to fetch and sort there.
pub(crate) fn list_windows(dialect: Dialect) -> (i64, i64) {
    match dialect {
        Dialect::Sqlite => (2_000, 32_000),
        Dialect::Postgres => (2_000, 8_000),
    }
}

/// One run of a list's order: the rows meeting `cond`, ordered by `key` (when set) then id.
#[derive(Debug)]
struct Segment {
    /// The sort column; `None` orders by id alone.
    key: Option<&'static str>,
    /// Newest/latest first.
    desc: bool,
    /// The rows of this run.
    cond: Option<&'static str>,
    /// The SQLite index that walks this order (SQLite's planner, without statistics, would
    /// rather sort every filtered row than walk an order; PostgreSQL chooses by cost). It
    /// carries the filter and scope columns (migration 0010), so windows filter inside it.
    index: &'static str,
}

/// How a list query names the order's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cols {
    /// As they are, so that an index on them can bound and order the scan.
    Indexed,
    /// As expressions no index matches (`+col` on SQLite, `(col || '')` / `(id + 0)` on
    /// PostgreSQL), so that the planner fetches the rows through the filters' indexes and
    /// sorts them instead of walking the order's index.
    Bare(Dialect),
}

impl Cols {
    fn key(self, k: &str) -> String {
        match self {
            Cols::Indexed => k.to_string(),
            Cols::Bare(Dialect::Sqlite) => format!("+{k}"),
            Cols::Bare(Dialect::Postgres) => format!("({k} || '')"),
        }
    }

    fn id(self) -> &'static str {
        match self {
            Cols::Indexed => "id",
            Cols::Bare(Dialect::Sqlite) => "+id",
            Cols::Bare(Dialect::Postgres) => "(id + 0)",
        }
    }
}

/// The ids of up to `limit` rows of a window (`conds` holds its filters and bounds), in the
/// segment's order, read from the order's index.
fn window_ids_sql(s: &Segment, indexed_by: &str, conds: &str, limit: usize) -> String {
    format!(
        "SELECT id FROM records{indexed_by} WHERE {conds} ORDER BY {} LIMIT {limit}",
        s.order_by(Cols::Indexed)
    )
}

impl Segment {
    /// The ` INDEXED BY` clause that makes SQLite walk this order's index (PostgreSQL: none).
    fn indexed_by(&self, dialect: Dialect) -> String {
        match dialect {
            Dialect::Sqlite => format!(" INDEXED BY {}", self.index),
            Dialect::Postgres => String::new(),
        }
    }

    /// `(key, id)` compared with a position, with parameters appended to `params`.
    fn cmp(&self, op: &str, at: &(String, i64), params: &mut Vec<P>, cols: Cols) -> String {
        params.push(P::I(at.1));
        let id = format!("${}", params.len());
        match self.key {
            None => format!("{} {op} {id}", cols.id()),
            Some(k) => {
                params.push(P::T(at.0.clone()));
                format!("({}, {}) {op} (${}, {id})", cols.key(k), cols.id(), params.len())
            }
        }
    }

    /// Strictly after `at` in this order.
    fn after(&self, at: &(String, i64), params: &mut Vec<P>, cols: Cols) -> String {
        self.cmp(if self.desc { "<" } else { ">" }, at, params, cols)
    }

    /// Up to and including `at` in this order.
    fn up_to(&self, at: &(String, i64), params: &mut Vec<P>) -> String {
        self.cmp(if self.desc { ">=" } else { "<=" }, at, params, Cols::Indexed)
    }

    /// The ORDER BY list.
    fn order_by(&self, cols: Cols) -> String {
        let dir = if self.desc { "DESC" } else { "ASC" };
        match self.key {
            None => format!("{} {dir}", cols.id()),
            Some(k) => format!("{} {dir}, {} {dir}", cols.key(k), cols.id()),
        }
    }
}

/// The orders of a record list (`sort=`), each made of one or more [`Segment`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListOrder {
    /// Newest first (`id`; also `created`: ids are assigned in creation order).
    Id,
    /// Soonest deadline first, records without a deadline last (oldest first).
    Deadline,
    /// Latest change first.
    Updated,
}

const ID_ORDER: [Segment; 1] = [Segment {
    key: None,
    desc: true,
    cond: None,
    index: "records_order_id",
}];
const DEADLINE_ORDER: [Segment; 2] = [
    Segment {
        key: Some("deadline"),
        desc: false,
        cond: Some("deadline IS NOT NULL"),
        index: "records_order_deadline",
    },
    Segment {
        key: None,
        desc: false,
        cond: Some("deadline IS NULL"),
        index: "records_order_id",
    },
];
const UPDATED_ORDER: [Segment; 1] = [Segment {
    key: Some("updated_at"),
    desc: true,
    cond: None,
    index: "records_order_updated",
}];

impl ListOrder {
    fn parse(s: &str) -> Result<ListOrder, StoreError> {
        match s {
            "id" | "created" => Ok(ListOrder::Id),
            "deadline" => Ok(ListOrder::Deadline),
            "updated" => Ok(ListOrder::Updated),
            other => Err(StoreError::BadRequest(format!(
                "不支持按“{other}”排序（可选：id、deadline、updated、created）"
            ))),
        }
    }

    fn segments(self) -> &'static [Segment] {
        match self {
            ListOrder::Id => &ID_ORDER,
            ListOrder::Deadline => &DEADLINE_ORDER,
            ListOrder::Updated => &UPDATED_ORDER,
        }
    }

    /// The segment and position a cursor (`value~id`) continues after.
    fn parse_cursor(self, cur: &str) -> Result<(usize, Option<(String, i64)>), StoreError> {
        let (v, id) = cur
            .rsplit_once('~')
            .and_then(|(v, id)| Some((v.to_string(), id.parse::<i64>().ok()?)))
            .ok_or_else(|| StoreError::BadRequest(format!("分页游标“{cur}”无效")))?;
        Ok(match self {
            ListOrder::Id => (0, Some((String::new(), id))),
            // An empty value is the run without deadlines ("9999-12-31": cursors of older versions).
            ListOrder::Deadline if v.is_empty() || v == "9999-12-31" => (1, Some((String::new(), id))),
            ListOrder::Deadline | ListOrder::Updated => (0, Some((v, id))),
        })
    }

    /// The cursor that continues after `r`.
    fn cursor_of(self, r: &RecordRow) -> String {
        match self {
            ListOrder::Id => format!("~{}", r.id),
            ListOrder::Deadline => format!("{}~{}", r.deadline.as_deref().unwrap_or(""), r.id),
            ListOrder::Updated => format!("{}~{}", r.updated_at, r.id),
        }
    }
}

/// A record as a user may see it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    /// The record (fields masked for the reader's role).
    #[serde(flatten)]
    pub row: RecordRow,
    /// 红/黄 warning today.
    pub warning: Warning,
    /// Transitions the reader may take now.
    pub actions: Vec<String>,
    /// Whether the reader may edit fields.
    pub can_edit: bool,
    /// Whether the reader may void it.
    pub can_void: bool,
    /// Beside the deadline when it was counted through a year whose holiday
    /// arrangement is not published: "按暂定日历计算（2027年放假安排未发布）".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_note: Option<String>,
}

/// A page of records.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The records.
    pub items: Vec<RecordView>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// The number of matching records (when asked for).
    pub total: Option<i64>,
}

impl Store {
    /// The record as `a` may see it.
    pub async fn record(&self, a: &Access, id: i64) -> Result<RecordView, StoreError> {
        let mut c = self.pool.acquire().await?;
        let row = fetch(&mut c.conn(), &self.keys, &self.pack, id).await?;
        check_visible(a, &row)?;
        self.view(a, row)
    }

    /// Masks and annotates a record for a reader.
    pub fn view(&self, a: &Access, mut row: RecordRow) -> Result<RecordView, StoreError> {
        let kind = self
            .pack
            .ledger(&row.ledger)
            .ok_or_else(|| StoreError::Internal(format!("unknown ledger {}", row.ledger)))?;
        let open = !row.closed && !row.voided;
        let deadline_note = if open {
            crate::calendar::provisional_note(&self.provisional_years(&row))
        } else {
            None
        };
        mask_fields(kind, a.role, &mut row.fields);
        let deadline = row.deadline.as_deref().and_then(|d| d.parse().ok());
        let today = self.today();
        let w = match deadline {
            Some(_) if open => warning(
                deadline,
                today,
                kind.deadline.yellow_until(&self.calendar(), today)?,
                open,
            ),
            _ => lvzhi_core::deadline::Warning::None,
        };
        // A 协办 unit's users (and their 分管 leaders) read it; they do not move or edit it.
        let handles = a.handles(&row.scope());
        let actions = if row.voided || !a.role.writes() || !handles {
            vec![]
        } else {
            kind.transitions_for(&row.state, a.role)
                .into_iter()
                .map(|t| t.name.clone())
                .collect()
        };
        Ok(RecordView {
            warning: w,
            actions,
            can_edit: open && a.role.writes() && handles && kind.edit_roles.contains(&a.role),
            can_void: !row.voided && handles && kind.void_roles.contains(&a.role),
            deadline_note,
            row,
        })
    }

    /// A filtered page of a ledger's records, within `a`'s scope.
    pub async fn list(&self, a: &Access, ledger: &str, q: &ListQuery) -> Result<Page, StoreError> {
        let kind = self.kind(ledger)?;
        let dialect = self.pool.dialect();
        if kind.deadline.count == lvzhi_core::ledger::DayCount::WorkingDays {
            // Warnings count working days: read a plan loaded elsewhere since.
            self.fresh_calendar().await?;
        }
        let (where_sql, params) = self.where_clause(a, kind, q, dialect)?;
        let limit = q.limit.unwrap_or(50).clamp(1, 500);
        let total = if q.count {
            let mut c = self.pool.acquire().await?;
            let sql = format!("SELECT COUNT(*) FROM records WHERE {where_sql}");
            Some(c.conn().row(&sql, &params).await?.map(|r| r.i(0)).unwrap_or(0))
        } else {
            None
        };
        let order = ListOrder::parse(q.sort.as_deref().unwrap_or("id"))?;
        let (mut seg, mut pos) = match &q.cursor {
            Some(cur) => order.parse_cursor(cur)?,
            None => (0, None),
        };
        let want = (limit + 1) as usize;
        let mut items: Vec<RecordRow> = Vec::new();
        let mut c = self.pool.acquire().await?;
        while seg < order.segments().len() && items.len() < want {
            let s = &order.segments()[seg];
            let got = self
                .list_segment(
                    &mut c.conn(),
                    kind,
                    s,
                    &where_sql,
                    &params,
                    pos.take(),
                    want - items.len(),
                )
                .await?;
            items.extend(got);
            seg += 1;
        }
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|r| order.cursor_of(r))
        } else {
            None
        };
        let items = items.into_iter().map(|r| self.view(a, r)).collect::<Result<_, _>>()?;
        Ok(Page { items, next, total })
    }

    /// Up to `need` rows of one segment of a list, after `pos`.
    ///
    /// A filtered page ordered by an index is found by walking that index in
    /// windows of growing size (2,000 rows, then 8,000, then 32,000) and
    /// applying the filters inside each window: cheap whenever the filter
    /// matches more than a few rows in a thousand, whatever it is. When the
    /// windows have found too few, the filter is selective and the rest is
    /// fetched through the filters' indexes and sorted. Either way a page costs
    /// a bounded amount of work on a ledger of any size.
    #[allow(clippy::too_many_arguments)]
    async fn list_segment(
        &self,
        conn: &mut Conn<'_>,
        kind: &LedgerKind,
        s: &Segment,
        where_sql: &str,
        params: &[P],
        mut pos: Option<(String, i64)>,
        need: usize,
    ) -> Result<Vec<RecordRow>, StoreError> {
        let dialect = self.pool.dialect();
        let indexed_by = s.indexed_by(dialect);
        let bare = Cols::Bare(dialect);
        let cond = s.cond.map(|c| format!(" AND {c}")).unwrap_or_default();
        let mut out = Vec::new();
        let (mut window, last_window) = self.list_windows;
        loop {
            // Where the window ends: the window-th row of the order after `pos`, whatever the
            // filters (read from the order's index alone).
            let mut bp = vec![P::T(kind.key.clone())];
            let after = pos
                .as_ref()
                .map(|p| format!(" AND {}", s.after(p, &mut bp, Cols::Indexed)));
            let sql = format!(
                "SELECT {}id FROM records{indexed_by} WHERE ledger = $1{cond}{} ORDER BY {} LIMIT 1 OFFSET {}",
                s.key.map(|k| format!("{k}, ")).unwrap_or_default(),
                after.unwrap_or_default(),
                s.order_by(Cols::Indexed),
                window - 1
            );
            let end = conn.row(&sql, &bp).await?.map(|r| match s.key {
                Some(_) => (r.ot(0).unwrap_or_default(), r.i(1)),
                None => (String::new(), r.i(0)),
            });
            // The window's matching ids, found in the order's index (which carries the filter
            // and scope columns), then their rows.
            let mut p = params.to_vec();
            let mut conds = format!("{where_sql}{cond}");
            if let Some(at) = &pos {
                conds.push_str(&format!(" AND {}", s.after(at, &mut p, Cols::Indexed)));
            }
            if let Some(at) = &end {
                conds.push_str(&format!(" AND {}", s.up_to(at, &mut p)));
            }
            let sql = format!(
                "SELECT {COLS} FROM records WHERE id IN ({}) ORDER BY {}",
                window_ids_sql(s, &indexed_by, &conds, need - out.len()),
                s.order_by(bare)
            );
            out.extend(conn.rows(&sql, &p).await?.iter().map(|r| self.open_row(r)));
            let Some(end) = end else { break };
            if out.len() >= need {
                break;
            }
            if window >= last_window {
                // Few rows match: fetch the rest through the filters' own indexes and sort them
                // (the bare order keeps either planner from walking the order's index again).
                let mut p = params.to_vec();
                let after = s.after(&end, &mut p, bare);
                let sql = format!(
                    "SELECT {COLS} FROM records WHERE {where_sql}{cond} AND {after} ORDER BY {} LIMIT {}",
                    s.order_by(bare),
                    need - out.len()
                );
                out.extend(conn.rows(&sql, &p).await?.iter().map(|r| self.open_row(r)));
                break;
            }
            pos = Some(end);
            window *= 4;
        }
        Ok(out)
    }

    /// The query plan of a list's first window (the ids read from the order's index), as the
    /// database explains it: for diagnostics, and for the test that keeps the common filters
    /// inside the order indexes (SQLite's plan then says `COVERING INDEX`).
    #[doc(hidden)]
    pub async fn explain_list_window(
        &self,
        a: &Access,
        ledger: &str,
        q: &ListQuery,
    ) -> Result<Vec<String>, StoreError> {
        let kind = self.kind(ledger)?;
        let dialect = self.pool.dialect();
        let (where_sql, mut params) = self.where_clause(a, kind, q, dialect)?;
        let order = ListOrder::parse(q.sort.as_deref().unwrap_or("id"))?;
        let s = &order.segments()[0];
        let at = (String::from("2026-01-01"), 1);
        let conds = format!(
            "{where_sql}{} AND {} AND {}",
            s.cond.map(|c| format!(" AND {c}")).unwrap_or_default(),
            s.after(&at, &mut params, Cols::Indexed),
            s.up_to(&at, &mut params)
        );
        let explain = match dialect {
            Dialect::Sqlite => "EXPLAIN QUERY PLAN",
            Dialect::Postgres => "EXPLAIN",
        };
        let indexed_by = s.indexed_by(dialect);
        let sql = format!("{explain} {}", window_ids_sql(s, &indexed_by, &conds, 51));
        let mut c = self.pool.acquire().await?;
        let rows = c.conn().rows(&sql, &params).await?;
        Ok(rows
            .iter()
            .map(|r| match dialect {
                Dialect::Sqlite => r.t(3),
                Dialect::Postgres => r.t(0),
            })
            .collect())
    }

    /// The WHERE clause (without cursor) of a list, and its parameters.
    pub fn where_clause(
        &self,
        a: &Access,
        kind: &LedgerKind,
        q: &ListQuery,
        dialect: Dialect,
    ) -> Result<(String, Vec<P>), StoreError> {
        let mut params = vec![P::T(kind.key.clone())];
        let mut next = 2usize;
        let mut conds = vec!["ledger = $1".to_string()];
        let mut add = |cond: &str, p: P, params: &mut Vec<P>, next: &mut usize| {
            conds.push(cond.replace("$?", &format!("${next}")));
            params.push(p);
            *next += 1;
        };
        if !q.include_voided {
            add("voided = $?", P::B(false), &mut params, &mut next);
        }
        if q.open {
            add("closed = $?", P::B(false), &mut params, &mut next);
        }
        if let Some(s) = q.state.as_deref().filter(|s| !s.is_empty()) {
            add("state = $?", P::T(s.into()), &mut params, &mut next);
        }
        if let Some(u) = q.unit {
            add("unit_id = $?", P::I(u), &mut params, &mut next);
        }
        if let Some(d) = q.division.as_deref().filter(|s| !s.is_empty()) {
            if !d.chars().all(|c| c.is_ascii_digit()) {
                return Err(StoreError::BadRequest(format!("行政区划代码“{d}”无效")));
            }
            let (lo, hi) = code_range(d);
            add("division >= $?", P::T(lo), &mut params, &mut next);
            add("division < $?", P::T(hi), &mut params, &mut next);
        }
        if let Some(o) = q.owner {
            add("owner_id = $?", P::I(o), &mut params, &mut next);
        }
        if q.from.is_some() || q.to.is_some() {
            // Without `date_field`, the ledger's first date field (its 登记/发现 date).
            let f = match q.date_field.as_deref() {
                Some(key) => kind
                    .field(key)
                    .filter(|f| f.ty == FieldType::Date)
                    .ok_or_else(|| StoreError::BadRequest(format!("“{key}”不是“{}”台账的日期字段", kind.name)))?,
                None => kind
                    .fields
                    .iter()
                    .find(|f| f.ty == FieldType::Date)
                    .ok_or_else(|| StoreError::BadRequest(format!("“{}”台账没有日期字段", kind.name)))?,
            };
            let expr = if f.role == Some(FieldRole::Deadline) {
                "deadline".to_string()
            } else {
                dialect.json_text("fields", &f.key)
            };
            for (bound, op) in [(&q.from, ">="), (&q.to, "<=")] {
                if let Some(b) = bound {
                    let d: jiff::civil::Date = b
                        .parse()
                        .map_err(|_| StoreError::BadRequest(format!("日期“{b}”无效，应为YYYY-MM-DD")))?;
                    add(&format!("{expr} {op} $?"), P::T(d.to_string()), &mut params, &mut next);
                }
            }
        }
        if let Some(w) = q.warning.as_deref().filter(|s| !s.is_empty()) {
            let today = self.today();
            let soon = kind.deadline.yellow_until(&self.calendar(), today)?.to_string();
            add("closed = $?", P::B(false), &mut params, &mut next);
            match w {
                "red" => add("deadline < $?", P::T(today.to_string()), &mut params, &mut next),
                "yellow" => {
                    add("deadline >= $?", P::T(today.to_string()), &mut params, &mut next);
                    add("deadline <= $?", P::T(soon), &mut params, &mut next);
                }
                "warned" => add("deadline <= $?", P::T(soon), &mut params, &mut next),
                other => {
                    return Err(StoreError::BadRequest(format!(
                        "预警筛选“{other}”无效（可选：red、yellow、warned）"
                    )));
                }
            }
        }
        if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            // The text, or the record's number (第123号, 〔2026〕第123号), or the whole value of an
            // encrypted field (its blind index in the search column, under any of the keys).
            let like = format!("%{}%", like_escape(text));
            let tokens = self.keys.query_tokens(kind, text);
            let mut cond = String::from("(search LIKE $? ESCAPE '\\' OR number LIKE $? ESCAPE '\\'");
            for i in 0..tokens.len() {
                cond.push_str(&format!(" OR search LIKE ${}", next + 1 + i));
            }
            cond.push(')');
            add(&cond, P::T(like), &mut params, &mut next);
            for t in tokens {
                params.push(P::T(format!("%{t}%")));
                next += 1;
            }
        }
        let scope = scope_sql(a, &mut next, &mut params);
        conds.push(scope);
        Ok((conds.join(" AND "), params))
    }

    /// The events of a record, oldest first, masked for the reader.
    pub async fn record_events(&self, a: &Access, id: i64) -> Result<Vec<Event>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let row = fetch(&mut c.conn(), &self.keys, &self.pack, id).await?;
        check_visible(a, &row)?;
        let kind = self
            .pack
            .ledger(&row.ledger)
            .ok_or_else(|| StoreError::Internal("unknown ledger".into()))?;
        let rows = c
            .conn()
            .rows(
                &format!(
                    "SELECT {} FROM events WHERE entity = 'record' AND entity_id = $1 ORDER BY seq",
                    crate::audit::EVENT_COLS
                ),
                &[P::T(id.to_string())],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let mut e = crate::audit::event_from_row(r);
                self.keys.open_event(kind, &mut e.data);
                for part in ["before", "after"] {
                    if let Some(Value::Object(m)) = e.data.get_mut(part) {
                        mask_fields(kind, a.role, m);
                    }
                }
                e
            })
            .collect())
    }
}

impl Store {
    /// A record read from the database, its personal fields opened.
    pub(crate) fn open_row(&self, r: &Row) -> RecordRow {
        let mut row = RecordRow::from_row(r);
        self.keys.open_record(&self.pack, &mut row);
        row
    }
}

/// Masks the personal fields of `fields` for `role`.
pub fn mask_fields(kind: &LedgerKind, role: Role, fields: &mut Map<String, Value>) {
    for f in &kind.fields {
        if let Some(v) = fields.get_mut(&f.key) {
            *v = f.mask_for(role, v);
        }
    }
}
