//! Ledger rows held in memory, and aggregates over them.
//!
//! The engine reads each ledger once (one query: the record columns plus the
//! few JSON fields any indicator uses, [`lvzhi_store::Store::ledger_rows`])
//! into a [`Table`], keeps it, and afterwards re-reads only the records named
//! by new events ([`Table::apply`]). Every measure is then evaluated over the
//! table in Rust by [`aggregate`] / [`matching`], which take the same
//! [`AggQuery`] as [`lvzhi_store::Store::aggregate`] and follow its semantics
//! condition by condition (text comparisons, exact numeric comparisons,
//! NULLs never matching, empty lists) and accumulate with the store's own
//! [`Acc`]; `tests/mem.rs` checks both give identical buckets.
//!
//! **Scope:** tables are read with the system access; every evaluation keeps
//! only the rows the reader's [`Access::sees`] (the Rust twin of the store's
//! scope SQL, proptested equal in the store), so nobody gets a figure over
//! records they cannot see.

use lvzhi_core::Decimal;
use lvzhi_core::access::{Access, RecordScope};
use lvzhi_core::field::{FieldRole, FieldType};
use lvzhi_core::ledger::LedgerKind;
use lvzhi_store::StoreError;
use lvzhi_store::aggregate::{Acc, Agg, AggQuery, Bucket, Col, Cond, Expr, LedgerRow, Op, Operand};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

/// The rows of one ledger (non-voided, ascending id) with the fields loaded.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The JSON fields loaded, in the order of [`LedgerRow::values`].
    pub keys: Vec<String>,
    /// The rows, ascending id.
    pub rows: Vec<LedgerRow>,
    /// Row positions by the value of one loaded field (built on first use,
    /// dropped on change).
    index: OnceLock<(usize, HashMap<String, Vec<usize>>)>,
}

impl Table {
    /// A table over rows read by `ledger_rows(…, keys, None)`.
    pub fn new(keys: Vec<String>, mut rows: Vec<LedgerRow>) -> Table {
        rows.retain(|r| !r.voided);
        rows.sort_by_key(|r| r.id);
        Table {
            keys,
            rows,
            index: OnceLock::new(),
        }
    }

    /// The positions of the rows whose field `key` (a loaded field) equals
    /// `value`, ascending; None when `key` is not loaded. One field is
    /// indexed per table (the first asked for).
    pub fn positions(&self, key: &str, value: &str) -> Option<&[usize]> {
        let k = self.keys.iter().position(|x| x == key)?;
        let (ik, map) = self.index.get_or_init(|| {
            let mut map: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, r) in self.rows.iter().enumerate() {
                if let Some(v) = r.values.get(k).and_then(|v| v.as_deref()) {
                    map.entry(v.to_string()).or_default().push(i);
                }
            }
            (k, map)
        });
        if *ik != k {
            return None;
        }
        Some(map.get(value).map(Vec::as_slice).unwrap_or(&[]))
    }

    /// Applies re-read records: `asked` are the ids events named, `fresh` what
    /// the store returned for them. A voided or vanished record leaves the
    /// table; any other is inserted or replaced.
    pub fn apply(&mut self, asked: &BTreeSet<i64>, fresh: Vec<LedgerRow>) {
        self.index = OnceLock::new();
        let mut by_id: BTreeMap<i64, LedgerRow> = fresh.into_iter().map(|r| (r.id, r)).collect();
        for id in asked {
            let pos = self.rows.binary_search_by_key(id, |r| r.id);
            match (by_id.remove(id).filter(|r| !r.voided), pos) {
                (Some(r), Ok(i)) => {
                    if let Some(slot) = self.rows.get_mut(i) {
                        *slot = r;
                    }
                }
                (Some(r), Err(i)) => self.rows.insert(i, r),
                (None, Ok(i)) => {
                    self.rows.remove(i);
                }
                (None, Err(_)) => {}
            }
        }
    }
}

/// How a row's expression is read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Get {
    Col(Col),
    Val(usize),
}

#[derive(Debug, Clone, Copy)]
struct Getter {
    get: Get,
    boolean: bool,
    numeric: bool,
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

fn integer_col(c: Col) -> bool {
    matches!(c, Col::Id | Col::Unit | Col::SourceUnit | Col::Owner)
}

fn boolean_col(c: Col) -> bool {
    matches!(c, Col::Closed | Col::Voided)
}

/// The JSON field a key reads, or None when it plays a role (read from its
/// column) — what a [`Table`] must load for an expression.
pub fn json_key(kind: &LedgerKind, key: &str) -> Option<String> {
    let f = kind.field(key)?;
    if f.role.and_then(role_col).is_some() {
        None
    } else {
        Some(f.key.clone())
    }
}

fn getter(kind: &LedgerKind, t: &Table, e: &Expr) -> Result<Getter, StoreError> {
    match e {
        Expr::Col(c) => Ok(Getter {
            get: Get::Col(*c),
            boolean: boolean_col(*c),
            numeric: integer_col(*c),
        }),
        Expr::Field(key) => {
            let f = kind
                .field(key)
                .ok_or_else(|| StoreError::BadRequest(format!("“{}”台账没有字段“{key}”", kind.name)))?;
            if let Some(c) = f.role.and_then(role_col) {
                return getter(kind, t, &Expr::Col(c));
            }
            let i = t
                .keys
                .iter()
                .position(|k| *k == f.key)
                .ok_or_else(|| StoreError::Internal(format!("字段“{key}”未载入内存表")))?;
            Ok(Getter {
                get: Get::Val(i),
                boolean: f.ty == FieldType::Bool,
                numeric: matches!(
                    f.ty,
                    FieldType::Integer | FieldType::Decimal | FieldType::Money | FieldType::Percent
                ),
            })
        }
    }
}

/// The value of an expression as SQL returns it as text.
fn text<'r>(r: &'r LedgerRow, g: Get) -> Option<Cow<'r, str>> {
    match g {
        Get::Val(i) => r.values.get(i).and_then(|v| v.as_deref()).map(Cow::Borrowed),
        Get::Col(c) => match c {
            Col::Id => Some(Cow::Owned(r.id.to_string())),
            Col::State => Some(Cow::Borrowed(r.state.as_str())),
            Col::Unit => r.unit.map(|v| Cow::Owned(v.to_string())),
            Col::SourceUnit => r.source_unit.map(|v| Cow::Owned(v.to_string())),
            Col::Division => r.division.as_deref().map(Cow::Borrowed),
            Col::Owner => r.owner.map(|v| Cow::Owned(v.to_string())),
            Col::Deadline => r.deadline.as_deref().map(Cow::Borrowed),
            Col::Closed => Some(Cow::Borrowed(if r.closed { "1" } else { "0" })),
            Col::Voided => Some(Cow::Borrowed(if r.voided { "1" } else { "0" })),
        },
    }
}

fn int(r: &LedgerRow, c: Col) -> Option<i64> {
    match c {
        Col::Id => Some(r.id),
        Col::Unit => r.unit,
        Col::SourceUnit => r.source_unit,
        Col::Owner => r.owner,
        _ => None,
    }
}

fn boolean(r: &LedgerRow, c: Col) -> bool {
    match c {
        Col::Closed => r.closed,
        _ => r.voided,
    }
}

fn bool_text(v: &str) -> bool {
    matches!(v, "true" | "1" | "是")
}

fn holds(o: std::cmp::Ordering, op: Op) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => o == Equal,
        Op::Ne => o != Equal,
        Op::Lt => o == Less,
        Op::Le => o != Greater,
        Op::Gt => o == Greater,
        Op::Ge => o != Less,
        _ => false,
    }
}

/// A condition compiled against a table.
enum Test {
    Null(Get, bool),
    BoolField(Get, bool),
    Prefix(Get, String),
    Const(bool),
    IntIn(Col, Vec<i64>, bool),
    BoolIn(Col, Vec<bool>, bool),
    TextIn(Get, Vec<String>, bool),
    Num(Get, Op, Decimal),
    IntCmp(Col, Op, i64),
    BoolCmp(Col, Op, bool),
    TextCmp(Get, Op, String),
    IntPair(Col, Op, Col),
    TextPair(Get, Op, Get),
}

fn cmp_op(op: Op) -> Result<Op, StoreError> {
    match op {
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => Ok(op),
        _ => Err(StoreError::BadRequest("条件无效".into())),
    }
}

fn compile(kind: &LedgerKind, t: &Table, c: &Cond) -> Result<Test, StoreError> {
    let x = getter(kind, t, &c.expr)?;
    let col = match x.get {
        Get::Col(c) => Some(c),
        Get::Val(_) => None,
    };
    Ok(match (&c.op, &c.value) {
        (Op::IsNull, _) => Test::Null(x.get, true),
        (Op::NotNull, _) => Test::Null(x.get, false),
        (Op::Eq | Op::Ne, Operand::Text(v)) if x.boolean && col.is_none() => {
            Test::BoolField(x.get, bool_text(v) == (c.op == Op::Eq))
        }
        (Op::Prefix, Operand::Text(v)) => {
            Test::Prefix(x.get, v.chars().filter(|ch| !matches!(ch, '%' | '_' | '\\')).collect())
        }
        (Op::In | Op::NotIn, Operand::List(vs)) => {
            let not = c.op == Op::NotIn;
            if vs.is_empty() {
                Test::Const(not)
            } else {
                match col {
                    Some(cc) if integer_col(cc) => {
                        Test::IntIn(cc, vs.iter().map(|v| v.parse().unwrap_or(i64::MIN)).collect(), not)
                    }
                    Some(cc) if boolean_col(cc) => Test::BoolIn(cc, vs.iter().map(|v| bool_text(v)).collect(), not),
                    _ => Test::TextIn(x.get, vs.clone(), not),
                }
            }
        }
        (op, Operand::Text(v)) if x.numeric && matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
            let dv: Decimal = v
                .parse()
                .map_err(|_| StoreError::BadRequest(format!("“{v}”不是数值")))?;
            Test::Num(x.get, *op, dv)
        }
        (op, Operand::Text(v)) => {
            let op = cmp_op(*op)?;
            match col {
                Some(cc) if integer_col(cc) => Test::IntCmp(cc, op, v.parse().unwrap_or(i64::MIN)),
                Some(cc) if boolean_col(cc) => Test::BoolCmp(cc, op, bool_text(v)),
                _ => Test::TextCmp(x.get, op, v.clone()),
            }
        }
        (op, Operand::Expr(other)) => {
            let op = cmp_op(*op)?;
            let y = getter(kind, t, other)?;
            match (x.get, y.get) {
                (Get::Col(a), Get::Col(b)) if integer_col(a) && integer_col(b) => Test::IntPair(a, op, b),
                _ => Test::TextPair(x.get, op, y.get),
            }
        }
        _ => return Err(StoreError::BadRequest("条件无效".into())),
    })
}

impl Test {
    fn check(&self, r: &LedgerRow) -> bool {
        match self {
            Test::Null(g, want) => text(r, *g).is_none() == *want,
            Test::BoolField(g, want) => text(r, *g).is_some_and(|v| {
                if *want {
                    matches!(v.as_ref(), "true" | "1")
                } else {
                    matches!(v.as_ref(), "false" | "0")
                }
            }),
            Test::Prefix(g, p) => text(r, *g).is_some_and(|v| v.starts_with(p.as_str())),
            Test::Const(b) => *b,
            Test::IntIn(c, list, not) => int(r, *c).is_some_and(|v| list.contains(&v) != *not),
            Test::BoolIn(c, list, not) => list.contains(&boolean(r, *c)) != *not,
            Test::TextIn(g, list, not) => text(r, *g).is_some_and(|v| list.iter().any(|x| x == v.as_ref()) != *not),
            Test::Num(g, op, want) => text(r, *g)
                .and_then(|v| v.parse::<Decimal>().ok())
                .is_some_and(|v| holds(v.cmp(want), *op)),
            Test::IntCmp(c, op, want) => int(r, *c).is_some_and(|v| holds(v.cmp(want), *op)),
            Test::BoolCmp(c, op, want) => holds(boolean(r, *c).cmp(want), *op),
            Test::TextCmp(g, op, want) => text(r, *g).is_some_and(|v| holds(v.as_ref().cmp(want.as_str()), *op)),
            Test::IntPair(a, op, b) => match (int(r, *a), int(r, *b)) {
                (Some(x), Some(y)) => holds(x.cmp(&y), *op),
                _ => false,
            },
            Test::TextPair(a, op, b) => match (text(r, *a), text(r, *b)) {
                (Some(x), Some(y)) => holds(x.cmp(&y), *op),
                _ => false,
            },
        }
    }
}

fn sees(a: &Access, r: &LedgerRow) -> bool {
    a.sees(&RecordScope {
        unit: r.unit,
        source_unit: r.source_unit,
        division: r.division.as_deref(),
        owner: r.owner,
        co_units: &[],
    })
}

/// The rows of `t` matching `q` that `a` sees, ascending id.
pub fn matching<'t>(
    kind: &LedgerKind,
    t: &'t Table,
    a: &Access,
    q: &AggQuery,
) -> Result<Vec<&'t LedgerRow>, StoreError> {
    matching_in(kind, t, a, q, None)
}

/// [`matching`] among the rows at `only` (positions from
/// [`Table::positions`], ascending) when given.
pub fn matching_in<'t>(
    kind: &LedgerKind,
    t: &'t Table,
    a: &Access,
    q: &AggQuery,
    only: Option<&[usize]>,
) -> Result<Vec<&'t LedgerRow>, StoreError> {
    let tests = q
        .conds
        .iter()
        .map(|c| compile(kind, t, c))
        .collect::<Result<Vec<_>, _>>()?;
    let all = a.county_wide() && a.division.is_none();
    let keep =
        |r: &&LedgerRow| (q.include_voided || !r.voided) && tests.iter().all(|x| x.check(r)) && (all || sees(a, r));
    Ok(match only {
        None => t.rows.iter().filter(keep).collect(),
        Some(pos) => pos.iter().filter_map(|i| t.rows.get(*i)).filter(keep).collect(),
    })
}

/// The text values of `exprs` for a row (as [`lvzhi_store::Store::fetch_values`] returns them).
pub fn values<'r>(
    kind: &LedgerKind,
    t: &Table,
    r: &'r LedgerRow,
    exprs: &[Expr],
) -> Result<Vec<Option<Cow<'r, str>>>, StoreError> {
    exprs
        .iter()
        .map(|e| getter(kind, t, e).map(|g| text(r, g.get)))
        .collect()
}

/// [`lvzhi_store::Store::aggregate`] over a table: the same buckets (keys,
/// counts, values, ids) for the same query and reader.
#[allow(clippy::too_many_arguments)]
pub fn aggregate(
    kind: &LedgerKind,
    t: &Table,
    a: &Access,
    q: &AggQuery,
    agg: Agg,
    value: Option<&Expr>,
    group: Option<&Expr>,
    with_ids: bool,
) -> Result<Vec<Bucket>, StoreError> {
    if agg != Agg::Count && value.is_none() {
        return Err(StoreError::BadRequest("聚合缺少数值字段".into()));
    }
    let rows = matching(kind, t, a, q)?;
    let g = group.map(|e| getter(kind, t, e)).transpose()?;
    let v = value
        .filter(|_| agg != Agg::Count)
        .map(|e| getter(kind, t, e))
        .transpose()?;
    let mut acc: BTreeMap<Option<String>, Acc> = BTreeMap::new();
    if g.is_none() {
        acc.insert(None, Acc::default());
    }
    let mut single = Acc::default();
    for r in rows {
        let e = match g {
            None => &mut single,
            Some(g) => acc.entry(text(r, g.get).map(Cow::into_owned)).or_default(),
        };
        match v {
            None => e.add_count(r.id, with_ids),
            Some(v) => e.add(agg, r.id, text(r, v.get).as_deref(), with_ids)?,
        }
    }
    if g.is_none() {
        acc.insert(None, single);
    }
    Ok(acc.into_iter().map(|(key, a)| a.finish(key, agg)).collect())
}
