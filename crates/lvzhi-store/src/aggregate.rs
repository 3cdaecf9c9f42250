//! Generic aggregate queries over records, for indicators (`lvzhi-metrics`).
//!
//! An [`AggQuery`] names a ledger and a list of [`Cond`]itions over record
//! columns or JSON fields; [`Store::aggregate`] counts, sums, averages, takes
//! the minimum, maximum or number of distinct values of one expression,
//! optionally grouped by another, and (when asked) returns the ids of the
//! records behind every figure, so that each value can show its records.
//!
//! **Invariant (scope):** every query is AND-ed with [`records::own_scope_sql`] of
//! the reader's [`Access`]; nobody aggregates over records they cannot see, and a
//! record counts for its responsible (主办) unit only, never for its 协办 units.
//!
//! **Invariant (exactness):** money and decimal fields are stored as decimal
//! strings; they are never summed as REAL/double in SQL. Sums, averages and
//! numeric comparisons fetch the needed values (and ids) and compute in
//! [`Decimal`]. Only plain counts are left to SQL.
//!
//! The module knows field *types* (from the ledger kind), never field names.

use crate::db::{Dialect, P, Row};
use crate::records::{self, RecordView};
use crate::{Store, StoreError};
use lvzhi_core::Decimal;
use lvzhi_core::access::Access;
use lvzhi_core::event::Event;
use lvzhi_core::field::{FieldRole, FieldType};
use lvzhi_core::ledger::LedgerKind;
use std::collections::{BTreeMap, BTreeSet};

/// A record column usable in aggregate queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Col {
    /// Record id.
    Id,
    /// Workflow state.
    State,
    /// Responsible unit.
    Unit,
    /// Unit that entered it.
    SourceUnit,
    /// Division code.
    Division,
    /// Owning leader (person id).
    Owner,
    /// Deadline in force (`YYYY-MM-DD`).
    Deadline,
    /// In a final state.
    Closed,
    /// Voided.
    Voided,
}

impl Col {
    fn sql(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::State => "state",
            Col::Unit => "unit_id",
            Col::SourceUnit => "source_unit_id",
            Col::Division => "division",
            Col::Owner => "owner_id",
            Col::Deadline => "deadline",
            Col::Closed => "closed",
            Col::Voided => "voided",
        }
    }
    fn integer(self) -> bool {
        matches!(self, Col::Id | Col::Unit | Col::SourceUnit | Col::Owner)
    }
    fn boolean(self) -> bool {
        matches!(self, Col::Closed | Col::Voided)
    }
}

/// What a condition or an aggregate reads: a column or a field of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Expr {
    /// A record column.
    Col(Col),
    /// A field by key. Fields that play a role (unit, division, owner,
    /// deadline) are read from their indexed column.
    Field(String),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal (NULL never matches).
    Ne,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// One of a list.
    In,
    /// None of a list (NULL never matches).
    NotIn,
    /// NULL (or absent).
    IsNull,
    /// Not NULL.
    NotNull,
    /// Text starting with (division codes).
    Prefix,
}

/// The right-hand side of a condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operand {
    /// No operand (`IsNull`, `NotNull`).
    None,
    /// A value as text (numbers, dates, booleans `true`/`false` as text).
    Text(String),
    /// A list of values (`In`, `NotIn`).
    List(Vec<String>),
    /// Another expression of the same record (`closed_on <= deadline`).
    Expr(Expr),
}

/// One condition. All conditions of a query are AND-ed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cond {
    /// What is compared.
    pub expr: Expr,
    /// How.
    pub op: Op,
    /// With what.
    pub value: Operand,
}

impl Cond {
    /// `expr = value`.
    pub fn eq(expr: Expr, v: impl Into<String>) -> Cond {
        Cond {
            expr,
            op: Op::Eq,
            value: Operand::Text(v.into()),
        }
    }
    /// `expr IN (values)`.
    pub fn is_in(expr: Expr, v: Vec<String>) -> Cond {
        Cond {
            expr,
            op: Op::In,
            value: Operand::List(v),
        }
    }
    /// `expr op value`.
    pub fn cmp(expr: Expr, op: Op, v: impl Into<String>) -> Cond {
        Cond {
            expr,
            op,
            value: Operand::Text(v.into()),
        }
    }
}

/// The records an aggregate runs over.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AggQuery {
    /// Ledger key.
    pub ledger: String,
    /// Conditions, AND-ed (and AND-ed with the reader's scope).
    pub conds: Vec<Cond>,
    /// Include voided records (default: excluded).
    pub include_voided: bool,
}

impl AggQuery {
    /// All non-voided records of a ledger.
    pub fn new(ledger: &str) -> AggQuery {
        AggQuery {
            ledger: ledger.to_string(),
            conds: Vec::new(),
            include_voided: false,
        }
    }
    /// Adds a condition.
    pub fn with(mut self, c: Cond) -> AggQuery {
        self.conds.push(c);
        self
    }
}

/// An aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Agg {
    /// Number of records.
    Count,
    /// Exact sum of a numeric expression (records where it is empty are skipped).
    Sum,
    /// Exact mean of a numeric expression.
    Avg,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Number of distinct non-empty values.
    Distinct,
}

/// One group's result (the only one when ungrouped).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bucket {
    /// The group key (None when ungrouped, or the group of empty keys).
    pub key: Option<String>,
    /// Records matched.
    pub count: i64,
    /// The aggregate (the count for [`Agg::Count`]); None when no value.
    pub value: Option<Decimal>,
    /// Ids of the records that produced the value (when asked), ascending.
    pub ids: Vec<i64>,
}

/// A value read for each record by [`Store::fetch_values`].
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Record id.
    pub id: i64,
    /// The requested expressions' values as text (None for NULL/absent).
    pub values: Vec<Option<String>>,
}

/// One record as [`Store::ledger_rows`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    /// Record id.
    pub id: i64,
    /// Workflow state.
    pub state: String,
    /// Responsible unit.
    pub unit: Option<i64>,
    /// Unit that entered it.
    pub source_unit: Option<i64>,
    /// Division code.
    pub division: Option<String>,
    /// Owning leader.
    pub owner: Option<i64>,
    /// Deadline in force.
    pub deadline: Option<String>,
    /// In a final state.
    pub closed: bool,
    /// Voided.
    pub voided: bool,
    /// The requested fields as text (None for NULL/absent), as SQL reads them.
    pub values: Vec<Option<String>>,
}

/// A row of `ledger_rows`' JSON form, read as the row form reads it: text as
/// text, integers as their digits, JSON true/false as text, and (SQLite)
/// fractional numbers as NULL, like a REAL cell.
fn json_row(r: &[serde_json::Value], d: Dialect, n: usize) -> LedgerRow {
    use serde_json::Value;
    let at = |i: usize| r.get(i).unwrap_or(&Value::Null);
    let text = |i: usize| match at(i) {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(x) if x.is_i64() || x.is_u64() || d == Dialect::Postgres => Some(x.to_string()),
        Value::Number(_) => None,
        Value::Bool(b) => Some(if d == Dialect::Sqlite {
            i64::from(*b).to_string()
        } else {
            b.to_string()
        }),
        other => Some(other.to_string()),
    };
    let int = |i: usize| at(i).as_i64();
    let boolean = |i: usize| match at(i) {
        Value::Bool(b) => *b,
        v => v.as_i64().is_some_and(|x| x != 0),
    };
    LedgerRow {
        id: int(0).unwrap_or_default(),
        state: text(1).unwrap_or_default(),
        unit: int(2),
        source_unit: int(3),
        division: text(4),
        owner: int(5),
        deadline: text(6),
        closed: boolean(7),
        voided: boolean(8),
        values: (0..n).map(|i| text(9 + i)).collect(),
    }
}

/// Record changes after an event seq ([`Store::record_changes_since`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Per ledger, the ids of the records that changed.
    pub records: BTreeMap<String, BTreeSet<i64>>,
    /// Ledgers with a change naming no record: re-read them whole.
    pub whole: BTreeSet<String>,
    /// An organisation or user event happened.
    pub other: bool,
    /// The hash of the event changes were asked after (None if it does not exist).
    pub base_hash: Option<String>,
    /// The newest event read (seq, hash).
    pub head: Option<(i64, String)>,
}

impl Changes {
    /// These changes if they follow the event whose hash is `hash` (the
    /// history a cache saw), else None (another or a rewound database).
    pub fn filter_base(self, hash: &str) -> Option<Changes> {
        (self.base_hash.as_deref() == Some(hash)).then_some(self)
    }
}

fn numeric_type(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::Integer | FieldType::Decimal | FieldType::Money | FieldType::Percent
    )
}

struct Built {
    where_sql: String,
    params: Vec<P>,
    /// Numeric conditions checked in Rust: (index into the fetched extra columns, op, operand).
    rust_conds: Vec<(usize, Op, Decimal)>,
    extra_exprs: Vec<String>,
}

fn role_col(r: FieldRole) -> Option<Col> {
    match r {
        FieldRole::Unit => Some(Col::Unit),
        FieldRole::Division => Some(Col::Division),
        FieldRole::Owner => Some(Col::Owner),
        FieldRole::Deadline => Some(Col::Deadline),
        FieldRole::Title => None,
    }
}

/// How an expression is read: its SQL, whether it is a JSON scalar that is not
/// text (needs a cast to compare as text), whether it is boolean, numeric.
struct ExprSql {
    col: Option<Col>,
    sql: String,
    cast: bool,
    boolean: bool,
    numeric: bool,
}

fn expr_sql(kind: &LedgerKind, e: &Expr, d: Dialect) -> Result<ExprSql, StoreError> {
    match e {
        Expr::Col(c) => Ok(ExprSql {
            col: Some(*c),
            sql: c.sql().to_string(),
            cast: false,
            boolean: c.boolean(),
            numeric: c.integer(),
        }),
        Expr::Field(key) => {
            let f = kind
                .field(key)
                .ok_or_else(|| StoreError::BadRequest(format!("“{}”台账没有字段“{key}”", kind.name)))?;
            if let Some(c) = f.role.and_then(role_col) {
                return expr_sql(kind, &Expr::Col(c), d);
            }
            if f.encrypt {
                return Err(encrypted_field(f));
            }
            let non_text = matches!(
                f.ty,
                FieldType::Integer | FieldType::Bool | FieldType::Unit | FieldType::Person | FieldType::Record
            );
            Ok(ExprSql {
                col: None,
                sql: d.json_text("fields", &f.key),
                cast: non_text,
                boolean: f.ty == FieldType::Bool,
                numeric: numeric_type(f.ty),
            })
        }
    }
}

fn bool_text(v: &str) -> bool {
    matches!(v, "true" | "1" | "是")
}

impl Store {
    /// The ledger kind named `ledger`, or "台账…不存在".
    pub(crate) fn kind(&self, ledger: &str) -> Result<&LedgerKind, StoreError> {
        self.pack
            .ledger(ledger)
            .ok_or_else(|| StoreError::NotFound(format!("台账“{ledger}”不存在")))
    }

    fn build(&self, a: &Access, q: &AggQuery, d: Dialect, first_param: usize) -> Result<Built, StoreError> {
        let kind = self.kind(&q.ledger)?;
        let mut params = vec![P::T(kind.key.clone())];
        let mut next = first_param + 1;
        let mut conds = vec![format!("ledger = ${first_param}")];
        let mut rust_conds = Vec::new();
        let mut extra_exprs = Vec::new();
        if !q.include_voided {
            conds.push(format!("voided = ${next}"));
            params.push(P::B(false));
            next += 1;
        }
        for c in &q.conds {
            let x = expr_sql(kind, &c.expr, d)?;
            let lhs = if x.cast {
                format!("CAST({} AS TEXT)", x.sql)
            } else {
                x.sql.clone()
            };
            let bind = |v: &str, params: &mut Vec<P>, next: &mut usize| -> String {
                let p = if let Some(col) = x.col {
                    if col.integer() {
                        P::I(v.parse().unwrap_or(i64::MIN))
                    } else if col.boolean() {
                        P::B(bool_text(v))
                    } else {
                        P::T(v.to_string())
                    }
                } else {
                    P::T(v.to_string())
                };
                params.push(p);
                let s = format!("${next}");
                *next += 1;
                s
            };
            match (&c.op, &c.value) {
                (Op::IsNull, _) => conds.push(format!("{} IS NULL", x.sql)),
                (Op::NotNull, _) => conds.push(format!("{} IS NOT NULL", x.sql)),
                (Op::Eq | Op::Ne, Operand::Text(v)) if x.boolean && x.col.is_none() => {
                    let want = bool_text(v) == (c.op == Op::Eq);
                    let list = if want { "('true', '1')" } else { "('false', '0')" };
                    conds.push(format!("CAST({} AS TEXT) IN {list}", x.sql));
                }
                (Op::Prefix, Operand::Text(v)) => {
                    let clean: String = v.chars().filter(|ch| !matches!(ch, '%' | '_' | '\\')).collect();
                    let p = bind(&format!("{clean}%"), &mut params, &mut next);
                    conds.push(format!("{} LIKE {p}", x.sql));
                }
                (Op::In | Op::NotIn, Operand::List(vs)) => {
                    if vs.is_empty() {
                        conds.push(if c.op == Op::In { "1=0".into() } else { "1=1".into() });
                    } else {
                        let ps: Vec<String> = vs.iter().map(|v| bind(v, &mut params, &mut next)).collect();
                        let not = if c.op == Op::NotIn { "NOT " } else { "" };
                        conds.push(format!("{lhs} {not}IN ({})", ps.join(", ")));
                    }
                }
                (op, Operand::Text(v)) if x.numeric && matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                    let dv: Decimal = v
                        .parse()
                        .map_err(|_| StoreError::BadRequest(format!("“{v}”不是数值")))?;
                    conds.push(format!("{} IS NOT NULL", x.sql));
                    rust_conds.push((extra_exprs.len(), *op, dv));
                    extra_exprs.push(x.sql.clone());
                }
                (op, Operand::Text(v)) => {
                    let sym = match op {
                        Op::Eq => "=",
                        Op::Ne => "<>",
                        Op::Lt => "<",
                        Op::Le => "<=",
                        Op::Gt => ">",
                        Op::Ge => ">=",
                        _ => return Err(StoreError::BadRequest("条件无效".into())),
                    };
                    let p = bind(v, &mut params, &mut next);
                    conds.push(format!("{lhs} {sym} {p}"));
                }
                (op, Operand::Expr(other)) => {
                    let y = expr_sql(kind, other, d)?;
                    let sym = match op {
                        Op::Eq => "=",
                        Op::Ne => "<>",
                        Op::Lt => "<",
                        Op::Le => "<=",
                        Op::Gt => ">",
                        Op::Ge => ">=",
                        _ => return Err(StoreError::BadRequest("条件无效".into())),
                    };
                    conds.push(format!("{} {sym} {}", x.sql, y.sql));
                }
                _ => return Err(StoreError::BadRequest("条件无效".into())),
            }
        }
        let scope = records::own_scope_sql(a, &mut next, &mut params);
        conds.push(scope);
        Ok(Built {
            where_sql: conds.join(" AND "),
            params,
            rust_conds,
            extra_exprs,
        })
    }

    /// Reads, for every record matching `q` within `a`'s scope, its id and the
    /// values of `exprs` (as text), in id order. Numeric conditions are applied.
    pub async fn fetch_values(&self, a: &Access, q: &AggQuery, exprs: &[Expr]) -> Result<Vec<Fetched>, StoreError> {
        let d = self.pool.dialect();
        let kind = self.kind(&q.ledger)?;
        let built = self.build(a, q, d, 1)?;
        let mut cols = vec!["id".to_string()];
        for e in exprs {
            cols.push(expr_sql(kind, e, d)?.sql);
        }
        let n = exprs.len();
        cols.extend(built.extra_exprs.iter().cloned());
        let sql = format!(
            "SELECT {} FROM records WHERE {} ORDER BY id",
            cols.join(", "),
            built.where_sql
        );
        let mut c = self.pool.acquire().await?;
        let rows = c.conn().rows(&sql, &built.params).await?;
        Ok(rows
            .iter()
            .filter(|r| rust_ok(r, 1 + n, &built.rust_conds))
            .map(|r| Fetched {
                id: r.i(0),
                values: (0..n).map(|i| r.ot(1 + i)).collect(),
            })
            .collect())
    }

    /// Aggregates `value` (ignored for [`Agg::Count`]) over the records of `q`
    /// visible to `a`, grouped by `group` when given; with `with_ids`, every
    /// bucket lists the ids of the records that produced it. Groups are in
    /// key order (the empty key first).
    pub async fn aggregate(
        &self,
        a: &Access,
        q: &AggQuery,
        agg: Agg,
        value: Option<&Expr>,
        group: Option<&Expr>,
        with_ids: bool,
    ) -> Result<Vec<Bucket>, StoreError> {
        let d = self.pool.dialect();
        let kind = self.kind(&q.ledger)?;
        if agg != Agg::Count && value.is_none() {
            return Err(StoreError::BadRequest("聚合缺少数值字段".into()));
        }
        let built = self.build(a, q, d, 1)?;
        // Plain counts without ids or numeric conditions: COUNT(*) in SQL.
        if agg == Agg::Count && !with_ids && built.rust_conds.is_empty() {
            let mut c = self.pool.acquire().await?;
            return match group {
                None => {
                    let sql = format!("SELECT COUNT(*) FROM records WHERE {}", built.where_sql);
                    let n = c.conn().row(&sql, &built.params).await?.map(|r| r.i(0)).unwrap_or(0);
                    Ok(vec![Bucket {
                        key: None,
                        count: n,
                        value: Some(Decimal::from(n)),
                        ids: vec![],
                    }])
                }
                Some(g) => {
                    let gs = expr_sql(kind, g, d)?.sql;
                    let sql = format!(
                        "SELECT {gs}, COUNT(*) FROM records WHERE {} GROUP BY {gs}",
                        built.where_sql
                    );
                    let rows = c.conn().rows(&sql, &built.params).await?;
                    let mut out: BTreeMap<Option<String>, i64> = BTreeMap::new();
                    for r in &rows {
                        *out.entry(r.ot(0)).or_default() += r.i(1);
                    }
                    Ok(out
                        .into_iter()
                        .map(|(key, n)| Bucket {
                            key,
                            count: n,
                            value: Some(Decimal::from(n)),
                            ids: vec![],
                        })
                        .collect())
                }
            };
        }
        let mut exprs: Vec<Expr> = Vec::new();
        if let Some(g) = group {
            exprs.push(g.clone());
        }
        if let Some(v) = value.filter(|_| agg != Agg::Count) {
            exprs.push(v.clone());
        }
        let rows = self.fetch_values(a, q, &exprs).await?;
        let gi = group.map(|_| 0usize);
        let vi = (agg != Agg::Count).then(|| usize::from(group.is_some()));
        let mut acc: BTreeMap<Option<String>, Acc> = BTreeMap::new();
        if group.is_none() {
            acc.insert(None, Acc::default());
        }
        for r in rows {
            let key = gi.and_then(|i| r.values.get(i).cloned().flatten());
            let e = acc.entry(key).or_default();
            match vi {
                None => e.add_count(r.id, with_ids),
                Some(i) => {
                    let v = r.values.get(i).and_then(|v| v.as_deref());
                    e.add(agg, r.id, v, with_ids)?;
                }
            }
        }
        Ok(acc.into_iter().map(|(key, a)| a.finish(key, agg)).collect())
    }

    /// The records with these ids that `a` may see, masked for `a`, in the
    /// given order (ids `a` may not see or that do not exist are skipped).
    pub async fn records_by_ids(&self, a: &Access, ids: &[i64]) -> Result<Vec<RecordView>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        if ids.is_empty() {
            return Ok(out);
        }
        let mut c = self.pool.acquire().await?;
        for chunk in ids.chunks(500) {
            let ps: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT {} FROM records WHERE id IN ({})", records::COLS, ps.join(", "));
            let params: Vec<P> = chunk.iter().map(|i| P::I(*i)).collect();
            let rows = c.conn().rows(&sql, &params).await?;
            let mut by_id: BTreeMap<i64, records::RecordRow> =
                rows.iter().map(|r| self.open_row(r)).map(|r| (r.id, r)).collect();
            for id in chunk {
                if let Some(r) = by_id.remove(id)
                    && a.sees(&r.scope())
                {
                    out.push(self.view(a, r)?);
                }
            }
        }
        Ok(out)
    }

    /// Reads the rows of a ledger for an in-memory aggregate cache: for every
    /// non-voided record of `ledger` that `a` sees (all of them, or only
    /// `only` ids when given — then voided ones too, so a cache learns of
    /// voids), its columns and the text of the JSON `fields` named in
    /// `fields` (fields that play a role are read from their column by the
    /// caller; pass only the others), in id order. One query per ledger (and
    /// per 500 ids).
    ///
    /// A cache filled with a wide access (e.g. [`Store::system_access`]) must
    /// filter its rows with the *reader's* [`Access::sees`] before computing
    /// anything from them; the scope invariant then holds as for
    /// [`Store::aggregate`].
    pub async fn ledger_rows(
        &self,
        a: &Access,
        ledger: &str,
        fields: &[String],
        only: Option<&[i64]>,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        let d = self.pool.dialect();
        let kind = self.kind(ledger)?;
        let mut cols = String::from("id, state, unit_id, source_unit_id, division, owner_id, deadline, closed, voided");
        for key in fields {
            let f = kind
                .field(key)
                .ok_or_else(|| StoreError::BadRequest(format!("“{}”台账没有字段“{key}”", kind.name)))?;
            if f.encrypt {
                return Err(encrypted_field(f));
            }
            cols.push_str(", ");
            cols.push_str(&d.json_text("fields", &f.key));
        }
        let read = |r: &Row| LedgerRow {
            id: r.i(0),
            state: r.t(1),
            unit: r.oi(2),
            source_unit: r.oi(3),
            division: r.ot(4),
            owner: r.oi(5),
            deadline: r.ot(6),
            closed: r.b(7),
            voided: r.b(8),
            values: (0..fields.len()).map(|i| r.ot(9 + i)).collect(),
        };
        let mut c = self.pool.acquire().await?;
        let mut out = Vec::new();
        match only {
            None => {
                // The whole ledger as ONE row holding a JSON array of row
                // arrays: no per-row overhead in the driver (a third of the
                // time, or less), then parsed here.
                let mut params = vec![P::T(kind.key.clone()), P::B(false)];
                let mut next = 3;
                let scope = records::own_scope_sql(a, &mut next, &mut params);
                let sql = match d {
                    Dialect::Sqlite => format!(
                        "SELECT json_group_array(json_array({cols})) FROM \
                         (SELECT * FROM records WHERE ledger = $1 AND voided = $2 AND {scope} ORDER BY id)"
                    ),
                    Dialect::Postgres => format!(
                        "SELECT CAST(json_agg(json_build_array({cols}) ORDER BY id) AS TEXT) FROM records \
                         WHERE ledger = $1 AND voided = $2 AND {scope}"
                    ),
                };
                let text = c.conn().row(&sql, &params).await?.and_then(|r| r.ot(0));
                if let Some(text) = text {
                    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_str(&text)
                        .map_err(|e| StoreError::Internal(format!("台账数据读取失败：{e}")))?;
                    out.extend(rows.iter().map(|r| json_row(r, d, fields.len())));
                }
            }
            Some(ids) => {
                for chunk in ids.chunks(500) {
                    let mut params = vec![P::T(kind.key.clone())];
                    let mut ps = Vec::with_capacity(chunk.len());
                    for id in chunk {
                        params.push(P::I(*id));
                        ps.push(format!("${}", params.len()));
                    }
                    let mut next = params.len() + 1;
                    let scope = records::own_scope_sql(a, &mut next, &mut params);
                    let sql = format!(
                        "SELECT {cols} FROM records WHERE ledger = $1 AND id IN ({}) AND {scope} ORDER BY id",
                        ps.join(", ")
                    );
                    out.extend(c.conn().rows(&sql, &params).await?.iter().map(read));
                }
            }
        }
        Ok(out)
    }

    /// The newest event's seq and hash (`(0, "")` when there is none). The
    /// hash chains every event before it, so the pair names one version of
    /// the data: a cache keyed by it can never mix two databases.
    pub async fn head_event(&self) -> Result<(i64, String), StoreError> {
        let mut c = self.pool.acquire().await?;
        Ok(c.conn()
            .row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &[])
            .await?
            .map(|r| (r.i(0), r.t(1)))
            .unwrap_or((0, String::new())))
    }

    /// What changed after event `seq`, record by record: the ids of the
    /// records each ledger's events name, the ledgers with an event naming no
    /// record (to be re-read whole), and whether any other (organisation,
    /// user) event happened — event kinds in `ignore_kinds` left out — plus
    /// the hash of event `seq` itself (one query), so that a cache can check
    /// it is still looking at the same history.
    pub async fn record_changes_since(&self, seq: i64, ignore_kinds: &[&str]) -> Result<Changes, StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                "SELECT ledger, kind, entity, entity_id, seq, hash FROM events WHERE seq >= $1 ORDER BY seq",
                &[P::I(seq)],
            )
            .await?;
        let mut out = Changes::default();
        for r in rows {
            out.head = Some((r.i(4), r.t(5)));
            if r.i(4) == seq {
                out.base_hash = Some(r.t(5));
                continue;
            }
            let kind = r.t(1);
            if ignore_kinds.contains(&kind.as_str()) {
                continue;
            }
            match r.ot(0) {
                Some(l) => {
                    let id = (r.t(2) == "record")
                        .then(|| r.ot(3).and_then(|s| s.parse::<i64>().ok()))
                        .flatten();
                    match id {
                        Some(id) => {
                            out.records.entry(l).or_default().insert(id);
                        }
                        None => {
                            out.whole.insert(l);
                        }
                    }
                }
                None => out.other = true,
            }
        }
        Ok(out)
    }

    /// The seq of the newest event (0 when there is none): a cheap "has
    /// anything changed" probe for caches of aggregates.
    pub async fn last_event_seq(&self) -> Result<i64, StoreError> {
        let mut c = self.pool.acquire().await?;
        Ok(c.conn()
            .row("SELECT COALESCE(MAX(seq), 0) FROM events", &[])
            .await?
            .map(|r| r.i(0))
            .unwrap_or(0))
    }

    /// What changed after event `seq`: the ledgers of record events, and
    /// whether any other (organisation, user) event happened, excluding the
    /// event kinds in `ignore_kinds`.
    pub async fn changed_since(&self, seq: i64, ignore_kinds: &[&str]) -> Result<(BTreeSet<String>, bool), StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows("SELECT DISTINCT ledger, kind FROM events WHERE seq > $1", &[P::I(seq)])
            .await?;
        let mut ledgers = BTreeSet::new();
        let mut other = false;
        for r in rows {
            let kind = r.t(1);
            if ignore_kinds.contains(&kind.as_str()) {
                continue;
            }
            match r.ot(0) {
                Some(l) => {
                    ledgers.insert(l);
                }
                None => other = true,
            }
        }
        Ok((ledgers, other))
    }

    /// Appends an event that changes no table: an acknowledgement or a note
    /// about something derived (a warning), e.g. kind `warning.ack`, entity
    /// `warning`. Only writing roles may; the event is hash-chained like any
    /// other. `kind` must start with `entity` and a dot.
    pub async fn note_event(
        &self,
        actor: &Access,
        kind: &str,
        entity: &str,
        entity_id: &str,
        data: serde_json::Value,
    ) -> Result<(), StoreError> {
        if !actor.role.writes() {
            return Err(StoreError::Forbidden("本角色不能执行此操作".into()));
        }
        if !kind.starts_with(&format!("{entity}.")) || entity == "record" {
            return Err(StoreError::BadRequest(format!("事件类型“{kind}”无效")));
        }
        self.writer
            .send(crate::writer::Cmd::Plain {
                actor: actor.clone(),
                statements: vec![],
                kind: kind.to_string(),
                entity: entity.to_string(),
                entity_id: Some(entity_id.to_string()),
                data,
            })
            .await?;
        Ok(())
    }

    /// Every event of a kind, oldest first (e.g. all `warning.ack`).
    pub async fn events_of_kind(&self, kind: &str) -> Result<Vec<Event>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(
                &format!(
                    "SELECT {} FROM events WHERE kind = $1 ORDER BY seq",
                    crate::audit::EVENT_COLS
                ),
                &[P::T(kind.to_string())],
            )
            .await?;
        Ok(rows.iter().map(crate::audit::event_from_row).collect())
    }
}

fn rust_ok(r: &Row, offset: usize, conds: &[(usize, Op, Decimal)]) -> bool {
    conds.iter().all(|(i, op, want)| {
        let Some(v) = r.ot(offset + i).and_then(|s| s.parse::<Decimal>().ok()) else {
            return false;
        };
        match op {
            Op::Lt => v < *want,
            Op::Le => v <= *want,
            Op::Gt => v > *want,
            Op::Ge => v >= *want,
            _ => false,
        }
    })
}

/// Accumulates one bucket of an aggregate exactly as [`Store::aggregate`]
/// does (also used by in-memory evaluators so both agree by construction).
#[derive(Debug, Default)]
pub struct Acc {
    count: i64,
    n: i64,
    sum: Decimal,
    min: Option<Decimal>,
    max: Option<Decimal>,
    distinct: BTreeSet<String>,
    ids: Vec<i64>,
}

impl Acc {
    /// Counts a record (for [`Agg::Count`]).
    pub fn add_count(&mut self, id: i64, with_ids: bool) {
        self.count += 1;
        if with_ids {
            self.ids.push(id);
        }
    }

    /// Adds a record and its value (empty values count as records, not values).
    pub fn add(&mut self, agg: Agg, id: i64, v: Option<&str>, with_ids: bool) -> Result<(), StoreError> {
        self.count += 1;
        let Some(v) = v.filter(|s| !s.is_empty()) else {
            return Ok(());
        };
        if agg == Agg::Distinct {
            if !self.distinct.contains(v) {
                self.distinct.insert(v.to_string());
            }
        } else {
            let d: Decimal = v
                .parse()
                .map_err(|_| StoreError::Internal(format!("记录{id}的数值“{v}”无效")))?;
            self.n += 1;
            self.sum = self
                .sum
                .checked_add(d)
                .ok_or_else(|| StoreError::Internal("合计溢出".into()))?;
            self.min = Some(self.min.map_or(d, |m| m.min(d)));
            self.max = Some(self.max.map_or(d, |m| m.max(d)));
        }
        if with_ids {
            self.ids.push(id);
        }
        Ok(())
    }

    /// The bucket's figure.
    pub fn finish(self, key: Option<String>, agg: Agg) -> Bucket {
        let value = match agg {
            Agg::Count => Some(Decimal::from(self.count)),
            Agg::Sum => Some(self.sum),
            Agg::Avg => (self.n > 0).then(|| self.sum / Decimal::from(self.n)),
            Agg::Min => self.min,
            Agg::Max => self.max,
            Agg::Distinct => Some(Decimal::from(self.distinct.len() as i64)),
        };
        Bucket {
            key,
            count: self.count,
            value,
            ids: self.ids,
        }
    }
}

/// Encrypted personal fields are not computed over (the database holds only their ciphertext).
fn encrypted_field(f: &lvzhi_core::field::FieldDef) -> StoreError {
    StoreError::BadRequest(format!("“{}”是加密存储的个人信息，不能用于统计计算", f.label))
}
