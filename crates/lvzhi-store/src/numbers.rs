//! Record numbers people can say on the phone (隐患〔2026〕第123号): one series
//! per ledger and year, allotted by the writer inside the create transaction
//! (`record_numbers` holds the last number given). A rolled-back transaction
//! gives its numbers back, so the series stays gapless; the unique index
//! `records_number` makes a number name one record.

use crate::StoreError;
use crate::db::{Conn, P};
use lvzhi_core::ledger::LedgerKind;

/// Allots `n` numbers of `kind`'s series for `year`; returns the first.
async fn allot(conn: &mut Conn<'_>, kind: &LedgerKind, year: i16, n: i64) -> Result<i64, StoreError> {
    let last = conn
        .row(
            "INSERT INTO record_numbers (ledger, year, last) VALUES ($1, $2, $3) \
             ON CONFLICT (ledger, year) DO UPDATE SET last = record_numbers.last + excluded.last RETURNING last",
            &[P::T(kind.key.clone()), P::I(i64::from(year)), P::I(n)],
        )
        .await?
        .ok_or_else(|| StoreError::Internal("record_numbers returned no row".into()))?
        .i(0);
    Ok(last - n + 1)
}

/// Allots `n` numbers of `kind`'s series for the Shanghai year of `at` (a UTC
/// stamp): the number's head (隐患〔2026〕第) and the first number. For inserts
/// that write the number with the row (the bulk import).
pub(crate) async fn allot_series(
    conn: &mut Conn<'_>,
    kind: &LedgerKind,
    at: &str,
    n: i64,
) -> Result<(String, i64), StoreError> {
    let year = at
        .parse::<jiff::Timestamp>()
        .map(|t| lvzhi_core::time::local_date(t).year())
        .map_err(|e| StoreError::Internal(format!("bad stamp {at}: {e}")))?;
    let start = allot(conn, kind, year, n).await?;
    Ok((kind.number_head(year), start))
}

/// Numbers the records `first_id ..= first_id + n - 1` (just inserted, in id
/// order) in `kind`'s series for the Shanghai year of `at` (a UTC stamp).
/// Returns the first record's number.
pub(crate) async fn number_records(
    conn: &mut Conn<'_>,
    kind: &LedgerKind,
    at: &str,
    first_id: i64,
    n: i64,
) -> Result<Option<String>, StoreError> {
    if n <= 0 {
        return Ok(None);
    }
    let (head, start) = allot_series(conn, kind, at, n).await?;
    conn.exec(
        "UPDATE records SET number = $1 || CAST($2 + id - $3 AS TEXT) || '号' WHERE id >= $3 AND id <= $4",
        &[P::T(head.clone()), P::I(start), P::I(first_id), P::I(first_id + n - 1)],
    )
    .await?;
    Ok(Some(format!("{head}{start}号")))
}
