//! 督查督办's 红黄 items: which ledgers, and the items and totals of a
//! filter — one place for the page (`ui::supervise`) and
//! `GET /api/v1/supervise/warned`.

use lvzhi_core::access::Access;
use lvzhi_core::ledger::Pack;
use lvzhi_store::records::RecordView;
use lvzhi_store::{Store, StoreError};

/// The ledgers whose items can be overdue ([`lvzhi_metrics::duty::deadline_ledgers`]),
/// narrowed to `ledger` when it is not empty.
pub fn ledgers<'a>(pack: &'a Pack, ledger: &str) -> Vec<&'a str> {
    lvzhi_metrics::duty::deadline_ledgers(pack)
        .into_iter()
        .filter(|k| ledger.is_empty() || k.key == ledger)
        .map(|k| k.key.as_str())
        .collect()
}

/// The first `limit` overdue (红) and due-soon (黄) open items of the
/// caller's scope over [`ledgers`], of one unit and level when given, red
/// first then by deadline; and how many are red and yellow in all
/// (`Store::warned_items`).
pub async fn warned(
    store: &Store,
    a: &Access,
    ledger: &str,
    unit: Option<i64>,
    level: Option<&str>,
    limit: i64,
) -> Result<(Vec<RecordView>, i64, i64), StoreError> {
    let kinds = ledgers(store.pack(), ledger);
    let (views, red, yellow) = store.warned_items(a, &kinds, unit, level, limit).await?;
    Ok((views, red.max(0), yellow.max(0)))
}
