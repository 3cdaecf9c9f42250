//! The two backends behind one small interface.
//!
//! All SQL in lvzhi is written once, with `$1, $2…` parameters (which both
//! SQLite and PostgreSQL accept through sqlx) and portable types: integers,
//! text (decimals, JSON and UTC timestamps are text), booleans. [`Conn`] runs a
//! statement on either backend and returns rows as [`Row`]s of [`Cell`]s;
//! [`Dialect`] holds the few fragments that differ.

use crate::StoreError;
use sqlx::{
    AssertSqlSafe, Column, Connection, PgConnection, Row as _, SqliteConnection, TypeInfo, ValueRef,
    postgres::{PgPoolOptions, PgRow},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous},
};
use std::time::Duration;

/// Which SQL dialect a statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL ≥ 13.
    Postgres,
}

impl Dialect {
    /// An expression extracting a text value of a JSON field from `fields`.
    /// `key` must be a validated field key (ASCII letters, digits, `_`).
    pub fn json_text(self, column: &str, key: &str) -> String {
        debug_assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        match self {
            Dialect::Sqlite => format!("json_extract({column}, '$.{key}')"),
            Dialect::Postgres => format!("(({column})::jsonb ->> '{key}')"),
        }
    }
}

/// A bind parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum P {
    /// An integer.
    I(i64),
    /// Text.
    T(String),
    /// A nullable integer.
    OI(Option<i64>),
    /// Nullable text.
    OT(Option<String>),
    /// A boolean.
    B(bool),
}

impl From<i64> for P {
    fn from(v: i64) -> P {
        P::I(v)
    }
}
impl From<&str> for P {
    fn from(v: &str) -> P {
        P::T(v.to_string())
    }
}
impl From<String> for P {
    fn from(v: String) -> P {
        P::T(v)
    }
}
impl From<Option<i64>> for P {
    fn from(v: Option<i64>) -> P {
        P::OI(v)
    }
}
impl From<Option<String>> for P {
    fn from(v: Option<String>) -> P {
        P::OT(v)
    }
}
impl From<bool> for P {
    fn from(v: bool) -> P {
        P::B(v)
    }
}

/// One value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// NULL.
    Null,
    /// An integer (or boolean, as 0/1).
    I(i64),
    /// Text.
    T(String),
}

/// A result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    /// Column `i` as an integer (booleans as 0/1); 0 for NULL.
    pub fn i(&self, i: usize) -> i64 {
        match self.0.get(i) {
            Some(Cell::I(v)) => *v,
            Some(Cell::T(s)) => s.parse().unwrap_or(0),
            _ => 0,
        }
    }
    /// Column `i` as an optional integer.
    pub fn oi(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Cell::I(v)) => Some(*v),
            Some(Cell::T(s)) => s.parse().ok(),
            _ => None,
        }
    }
    /// Column `i` as text; "" for NULL.
    pub fn t(&self, i: usize) -> String {
        self.ot(i).unwrap_or_default()
    }
    /// Column `i` as optional text.
    pub fn ot(&self, i: usize) -> Option<String> {
        match self.0.get(i) {
            Some(Cell::T(s)) => Some(s.clone()),
            Some(Cell::I(v)) => Some(v.to_string()),
            _ => None,
        }
    }
    /// Column `i` as a boolean.
    pub fn b(&self, i: usize) -> bool {
        self.i(i) != 0
    }
}

/// A connection to either backend.
pub enum Conn<'c> {
    /// SQLite.
    Lite(&'c mut SqliteConnection),
    /// PostgreSQL.
    Pg(&'c mut PgConnection),
}

macro_rules! bind_all {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                P::I(v) => q.bind(*v),
                P::T(v) => q.bind(v.clone()),
                P::OI(v) => q.bind(*v),
                P::OT(v) => q.bind(v.clone()),
                P::B(v) => q.bind(*v),
            };
        }
        q
    }};
}

fn lite_row(r: &SqliteRow) -> Result<Row, sqlx::Error> {
    let mut out = Vec::with_capacity(r.columns().len());
    for i in 0..r.columns().len() {
        let raw = r.try_get_raw(i)?;
        if raw.is_null() {
            out.push(Cell::Null);
            continue;
        }
        let ty = raw.type_info().name().to_string();
        out.push(match ty.as_str() {
            "INTEGER" | "BOOLEAN" | "INT8" | "INT" => Cell::I(r.try_get::<i64, _>(i)?),
            "REAL" => Cell::T(r.try_get::<f64, _>(i)?.to_string()),
            _ => Cell::T(r.try_get::<String, _>(i)?),
        });
    }
    Ok(Row(out))
}

fn pg_row(r: &PgRow) -> Result<Row, sqlx::Error> {
    let mut out = Vec::with_capacity(r.columns().len());
    for (i, col) in r.columns().iter().enumerate() {
        let raw = r.try_get_raw(i)?;
        if raw.is_null() {
            out.push(Cell::Null);
            continue;
        }
        out.push(match col.type_info().name() {
            "INT8" => Cell::I(r.try_get::<i64, _>(i)?),
            "INT4" => Cell::I(i64::from(r.try_get::<i32, _>(i)?)),
            "INT2" => Cell::I(i64::from(r.try_get::<i16, _>(i)?)),
            "BOOL" => Cell::I(i64::from(r.try_get::<bool, _>(i)?)),
            _ => Cell::T(r.try_get::<String, _>(i)?),
        });
    }
    Ok(Row(out))
}

impl Conn<'_> {
    /// The dialect of this connection.
    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::Lite(_) => Dialect::Sqlite,
            Conn::Pg(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement; returns the number of rows affected.
    pub async fn exec(&mut self, sql: &str, params: &[P]) -> Result<u64, StoreError> {
        let sql = AssertSqlSafe(sql.to_string());
        Ok(match self {
            Conn::Lite(c) => bind_all!(sqlx::query(sql), params)
                .execute(&mut **c)
                .await?
                .rows_affected(),
            Conn::Pg(c) => bind_all!(sqlx::query(sql), params)
                .execute(&mut **c)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a query; returns all rows.
    pub async fn rows(&mut self, sql: &str, params: &[P]) -> Result<Vec<Row>, StoreError> {
        let sql = AssertSqlSafe(sql.to_string());
        Ok(match self {
            Conn::Lite(c) => {
                let rows = bind_all!(sqlx::query(sql), params).fetch_all(&mut **c).await?;
                rows.iter().map(lite_row).collect::<Result<_, _>>()?
            }
            Conn::Pg(c) => {
                let rows = bind_all!(sqlx::query(sql), params).fetch_all(&mut **c).await?;
                rows.iter().map(pg_row).collect::<Result<_, _>>()?
            }
        })
    }

    /// Runs a query; returns the first row, if any.
    pub async fn row(&mut self, sql: &str, params: &[P]) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(sql, params).await?.into_iter().next())
    }

    /// Runs a script of several statements without parameters (migrations).
    pub async fn script(&mut self, sql: &str) -> Result<(), StoreError> {
        use sqlx::Executor;
        let sql = AssertSqlSafe(sql.to_string());
        match self {
            Conn::Lite(c) => {
                c.execute(sql).await?;
            }
            Conn::Pg(c) => {
                c.execute(sql).await?;
            }
        }
        Ok(())
    }
}

/// A pool of connections to one database.
#[derive(Clone, Debug)]
pub enum Pool {
    /// SQLite (WAL, synchronous=FULL, foreign keys on).
    Lite(sqlx::SqlitePool),
    /// PostgreSQL.
    Pg(sqlx::PgPool),
}

/// A dedicated connection (the writer's).
pub enum Owned {
    /// SQLite.
    Lite(SqliteConnection),
    /// PostgreSQL.
    Pg(PgConnection),
}

impl Owned {
    /// Borrows it as a [`Conn`].
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Owned::Lite(c) => Conn::Lite(c),
            Owned::Pg(c) => Conn::Pg(c),
        }
    }
}

/// Parses a `--db` URL: `sqlite:PATH`, `sqlite://PATH`, a bare path, or `postgres://…`.
pub fn parse_url(url: &str) -> Result<Target, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres(url.to_string()));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.is_empty() {
        return Err(StoreError::Config("数据库地址为空 / empty database URL".into()));
    }
    if path.contains("://") {
        return Err(StoreError::Config(format!(
            "不支持的数据库地址“{url}”，应为 sqlite:路径 或 postgres://… / unsupported database URL"
        )));
    }
    Ok(Target::Sqlite(path.to_string()))
}

/// Where a database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file path.
    Sqlite(String),
    /// A PostgreSQL URL.
    Postgres(String),
}

/// Page cache of each SQLite connection, in KiB.
pub(crate) const CACHE_KIB: i64 = 65_536;

/// WAL pages after which a SQLite commit copies the WAL into the database
/// (SQLite's default, set explicitly: bulk imports turn it off and back on).
pub(crate) const WAL_AUTOCHECKPOINT: i64 = 1000;

fn lite_options(path: &str) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("cache_size", format!("-{CACHE_KIB}"))
        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT.to_string())
        // 剩余信息保护 (GB/T 22239 8.1.4.10): deleted rows (ended sessions'
        // token hashes, replaced secrets) are overwritten, not left in free space.
        .pragma("secure_delete", "on")
        .statement_cache_capacity(256)
}

impl Target {
    /// Opens a pool of readers.
    pub async fn pool(&self, readers: u32) -> Result<Pool, StoreError> {
        Ok(match self {
            Target::Sqlite(p) => Pool::Lite(
                SqlitePoolOptions::new()
                    .max_connections(readers.max(1))
                    .min_connections(1)
                    .connect_with(lite_options(p))
                    .await?,
            ),
            Target::Postgres(u) => Pool::Pg(PgPoolOptions::new().max_connections(readers.max(1)).connect(u).await?),
        })
    }

    /// Opens one dedicated connection.
    pub async fn connect(&self) -> Result<Owned, StoreError> {
        Ok(match self {
            Target::Sqlite(p) => Owned::Lite(SqliteConnection::connect_with(&lite_options(p)).await?),
            Target::Postgres(u) => Owned::Pg(PgConnection::connect(u).await?),
        })
    }

    /// Opens one dedicated connection, creating a missing PostgreSQL
    /// database first where the role may (set-up: `init`, `demo`, `serve`).
    pub async fn connect_creating(&self) -> Result<Owned, StoreError> {
        match self {
            Target::Postgres(u) => Ok(Owned::Pg(pg_connect_creating(u).await?)),
            Target::Sqlite(_) => self.connect().await,
        }
    }
}

/// Connects to a PostgreSQL database, first creating it if it does not
/// exist and the role may (`CREATE DATABASE`, through the `postgres`
/// maintenance database); else says in Chinese what to run.
async fn pg_connect_creating(url: &str) -> Result<PgConnection, StoreError> {
    use std::str::FromStr;
    let err = match PgConnection::connect(url).await {
        Ok(c) => return Ok(c),
        Err(e) => e,
    };
    let missing = matches!(&err, sqlx::Error::Database(d) if d.code().as_deref() == Some("3D000"));
    if !missing {
        return Err(err.into());
    }
    let opts = sqlx::postgres::PgConnectOptions::from_str(url)?;
    let name = opts.get_database().unwrap_or_default().to_string();
    let role = opts.get_username().to_string();
    let how = format!(
        "请由数据库管理员执行：createdb -O {role} {name}（或在 psql 中执行 CREATE DATABASE \"{name}\" OWNER \"{role}\";），然后重试"
    );
    let mut admin = match PgConnection::connect_with(&opts.clone().database("postgres")).await {
        Ok(c) => c,
        Err(_) => {
            return Err(StoreError::Config(format!(
                "PostgreSQL数据库“{name}”不存在，且无法连接维护库postgres来创建它。{how}"
            )));
        }
    };
    let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    match sqlx::query(AssertSqlSafe(sql)).execute(&mut admin).await {
        Ok(_) => {
            tracing::warn!(database = %name, "已创建PostgreSQL数据库 / created the PostgreSQL database");
        }
        // Created meanwhile by someone else: fine.
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42P04") => {}
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42501") => {
            return Err(StoreError::Config(format!(
                "PostgreSQL数据库“{name}”不存在，账号“{role}”无权创建数据库。{how}"
            )));
        }
        Err(e) => {
            return Err(StoreError::Config(format!(
                "PostgreSQL数据库“{name}”不存在，创建失败（{}）。{how}",
                crate::StoreError::from(e)
            )));
        }
    }
    let _ = admin.close().await;
    Ok(PgConnection::connect(url).await?)
}

/// A connection checked out of a [`Pool`].
pub enum Pooled {
    /// SQLite.
    Lite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    /// PostgreSQL.
    Pg(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl Pooled {
    /// Borrows it as a [`Conn`].
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Lite(c) => Conn::Lite(c),
            Pooled::Pg(c) => Conn::Pg(c),
        }
    }
}

impl Pool {
    /// Checks out a connection.
    pub async fn acquire(&self) -> Result<Pooled, StoreError> {
        Ok(match self {
            Pool::Lite(p) => Pooled::Lite(p.acquire().await?),
            Pool::Pg(p) => Pooled::Pg(p.acquire().await?),
        })
    }
    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Pool::Lite(_) => Dialect::Sqlite,
            Pool::Pg(_) => Dialect::Postgres,
        }
    }
    /// Closes every connection.
    pub async fn close(&self) {
        match self {
            Pool::Lite(p) => p.close().await,
            Pool::Pg(p) => p.close().await,
        }
    }
}
