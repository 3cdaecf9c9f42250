//! # lvzhi-metrics — indicators (指标) and warnings (预警)
//!
//! In a county office today, indicators are typed by hand into Word; here
//! they are computed from the ledgers and every value can show the records
//! behind it.
//!
//! * [`def`] — definitions as pack data (`packs/county/indicators/*.toml`):
//!   measures over a ledger (count, sum, avg, min, max, distinct, average
//!   days), 统计报表 figures (flows, levels, targets), targets set in the
//!   pack, and formulas (ratio, share, completion, growth, increase, change in
//!   percentage points, difference, rank among sibling divisions). Checked at
//!   load: unknown ledgers, fields, states or indicators and cycles are
//!   refused naming the file and the id.
//! * [`eval`] — the [`Engine`]: evaluates for a [`Period`](lvzhi_core::period::Period)
//!   (year, quarter, month, 旬, ranges; year-over-year on the same span a
//!   year before) and a [`Scope`], always within the reader's access, with
//!   provenance (the record ids behind each value), and caches results until
//!   the ledgers they depend on change.
//! * [`duty`] — 督查 counts per unit (到期, 按期办结, 按期办结率, 超期未办结,
//!   临期) and 评星挂旗 (ranks, stars, 红旗): one definition each.
//! * [`format`] — values as reports print them (21.6亿元, 114.2%, 下降6.38%).
//! * [`scope`] — county, township, unit, a leader's 分管 and 包挂.
//! * [`render`] — the `lvzhi indicators` / `lvzhi warnings` commands (table, JSON, CSV).
//! * [`warn`] — warning rules (价格异常波动, 项目进度滞后, 统计数据异常,
//!   单位逾期) with evidence, acknowledged by events.
//!
//! **Invariants:**
//! * A value is computed from records the reader can see, never typed in; the
//!   store's `aggregate` module AND-s every query with the reader's scope.
//! * Money and statistics are exact: sums in `Decimal`, never f64.
//! * A figure that cannot be computed has no value and says why
//!   (无上年同期数据, 除数为零, 无数据): never a made-up number.

pub mod def;
pub mod duty;
pub mod eval;
pub mod format;
pub mod mem;
pub mod render;
pub mod scope;
pub mod warn;

pub use def::{DefError, Definitions, Indicator};
pub use eval::{Engine, EvalError, Horizon, IndicatorValue, cut, effective, span_label};
pub use scope::Scope;

use lvzhi_core::ledger::Pack;

/// Builds an engine from a pack's files (`lvzhi_packs::county_files()`).
pub fn engine_from_files(files: &[(String, String)], pack: &Pack) -> Result<Engine, DefError> {
    Ok(Engine::new(Definitions::from_files(files, pack)?))
}

impl Engine {
    /// Every warning that fires as of `today`, over the records `access` sees,
    /// with its acknowledgement.
    pub async fn warnings(
        &self,
        store: &lvzhi_store::Store,
        access: &lvzhi_core::access::Access,
        today: jiff::civil::Date,
    ) -> Result<Vec<warn::Warning>, EvalError> {
        warn::evaluate(&self.defs().warnings, store, access, today).await
    }
}
