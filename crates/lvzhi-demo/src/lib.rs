#![doc = include_str!("../README.md")]
// Amounts are written in hundredths with the last group separated (`181_0000_00`
// is 181 0000.00 万元 = 181亿元), which reads better than clippy's grouping.
#![allow(clippy::inconsistent_digit_grouping)]

mod cases;
mod names;
mod org;
mod rng;
mod stats;
mod util;

pub use org::{DEPARTMENTS, LEADERS, SYNTHETIC_TOWNSHIP, VILLAGES};

use lvzhi_core::access::Role;
use lvzhi_store::{Clock, Store, StoreError};
use serde_json::{Map, Value};
use std::fmt;

/// "Now" of the demo county: 2026-11-25 10:00 in Asia/Shanghai. Deadlines,
/// red and yellow warnings are designed against this day.
pub const DEMO_NOW: &str = "2026-11-25T02:00:00Z";

/// The county the demo is built on (肃州区, from the embedded division list).
pub const SEED_COUNTY: &str = "620902";

/// The records per `create_many` call.
pub const CHUNK: usize = 2000;

/// The fixed clock the store must be opened with to build (and serve) the demo.
pub fn demo_clock() -> Clock {
    let t = DEMO_NOW.parse().unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    lvzhi_store::fixed_clock(t)
}

/// What to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// The seed: same seed, same county, record for record.
    pub seed: u64,
    /// Record volumes are multiplied by this (K counties' worth, for
    /// benchmarks); the seed's figures hold for scale 1 only.
    pub scale: u32,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { seed: 1, scale: 1 }
    }
}

/// A demo user and the password it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// User id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The unit of clerks and unit heads (and the office).
    pub unit: Option<String>,
    /// The password (derived from the seed).
    pub password: String,
}

/// What was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// The seed.
    pub seed: u64,
    /// The scale.
    pub scale: u32,
    /// The county's name.
    pub county: String,
    /// Divisions loaded (the county, its townships and villages, and the other counties of the city).
    pub divisions: usize,
    /// Units created.
    pub units: usize,
    /// People created.
    pub people: usize,
    /// Records per ledger, by ledger key, in pack order.
    pub records: Vec<(String, usize)>,
    /// The users, with their passwords.
    pub users: Vec<DemoUser>,
}

impl DemoSummary {
    /// All records.
    pub fn total_records(&self) -> usize {
        self.records.iter().map(|(_, n)| n).sum()
    }
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "演示数据 / demo county: {}（种子 seed {}，规模 scale {}）",
            self.county, self.seed, self.scale
        )?;
        writeln!(
            f,
            "行政区划 {} 个，单位 {} 个，人员 {} 名，记录 {} 条",
            self.divisions,
            self.units,
            self.people,
            self.total_records()
        )?;
        for (ledger, n) in &self.records {
            writeln!(f, "  {ledger:<18} {n:>7}")?;
        }
        writeln!(f, "用户 / users (用户名 / 密码):")?;
        for u in &self.users {
            writeln!(
                f,
                "  {:<13} {:<12} {}（{}{}）",
                u.username,
                u.password,
                u.display_name,
                u.role.label(),
                u.unit.as_deref().map(|s| format!("，{s}")).unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

/// One record to create: its fields and the state to place it in.
pub(crate) type Row = (Map<String, Value>, Option<String>);

/// Creates `rows` in `ledger`, in chunks of [`CHUNK`]; returns the ids in order.
pub(crate) async fn insert(store: &Store, ledger: &str, rows: Vec<Row>) -> Result<Vec<i64>, StoreError> {
    let sys = Store::system_access();
    let mut ids = Vec::with_capacity(rows.len());
    let mut rows = rows;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(CHUNK));
        let tag = Some(format!("demo:{ledger}"));
        ids.extend(store.create_many(&sys, ledger, rows, tag).await?);
        rows = rest;
    }
    Ok(ids)
}

/// Builds the demo county into an empty database. The store must have been
/// opened with [`demo_clock`] for the data to be as designed (deadlines and
/// warnings are relative to [`DEMO_NOW`]). Refuses (409) a database that is
/// already initialised.
pub async fn build(store: &Store, opts: &DemoOptions) -> Result<DemoSummary, StoreError> {
    if store.meta("initialized").await?.is_some() {
        return Err(StoreError::Conflict(
            "数据库已初始化，演示数据只能装入空数据库 / the database is not empty".into(),
        ));
    }
    let seed = opts.seed;
    let scale = opts.scale.max(1);
    let org = org::build(store, seed).await?;
    let users = org::users(store, &org, seed).await?;
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let rows = stats::rows(&org, seed);
    counts.insert("statistic".into(), rows.len());
    insert(store, "statistic", rows).await?;
    for k in 0..scale {
        for (ledger, n) in cases::build(store, &org, seed, k).await? {
            *counts.entry(ledger).or_default() += n;
        }
    }
    store.set_meta("initialized", SEED_COUNTY).await?;
    store
        .set_meta(
            "demo",
            &format!(
                "演示数据：虚构的县情、人员、企业和台账记录，仅供演示、培训和测试，不代表任何真实单位和个人（种子 {seed}，规模 {scale}）"
            ),
        )
        .await?;
    let county = store
        .divisions(SEED_COUNTY)
        .await?
        .into_iter()
        .next()
        .map(|d| format!("{}（演示）", d.name))
        .unwrap_or_default();
    let records = store
        .pack()
        .ledgers
        .iter()
        .map(|l| (l.key.clone(), counts.get(&l.key).copied().unwrap_or(0)))
        .collect();
    Ok(DemoSummary {
        seed,
        scale,
        county,
        divisions: org.counts.0,
        units: org.counts.1,
        people: org.counts.2,
        records,
        users,
    })
}
