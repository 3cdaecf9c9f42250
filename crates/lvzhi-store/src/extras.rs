//! Extra information on records: columns of imported sheets that are no field of
//! the ledger, kept on each record under `fields.extra` (header → text, see
//! `lvzhi_core::ledger::EXTRA_KEY`). This module answers which extra columns a
//! ledger's records carry and how often: the export writes them back under their
//! own headers, and the admin sees which are frequent enough to become a field.

use crate::db::Dialect;
use crate::{Store, StoreError};
use lvzhi_core::ledger::EXTRA_KEY;

/// One extra column of a ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExtraColumn {
    /// The ledger's key.
    pub ledger: String,
    /// The header as imported.
    pub name: String,
    /// Live (not voided) records carrying it.
    pub records: i64,
}

impl Store {
    /// The extra columns of a ledger's live records (or of every ledger when
    /// `ledger` is None), most frequent first, then by name.
    pub async fn extra_columns(&self, ledger: Option<&str>) -> Result<Vec<ExtraColumn>, StoreError> {
        let sql = match self.pool.dialect() {
            Dialect::Sqlite => format!(
                "SELECT r.ledger, e.key, COUNT(*) FROM records r, json_each(r.fields, '$.{EXTRA_KEY}') e \
                 WHERE NOT r.voided AND ($1 = '' OR r.ledger = $1) GROUP BY r.ledger, e.key"
            ),
            Dialect::Postgres => format!(
                "SELECT r.ledger, e.key, COUNT(*) FROM records r, \
                 jsonb_each(CASE WHEN jsonb_typeof(r.fields::jsonb -> '{EXTRA_KEY}') = 'object' \
                 THEN r.fields::jsonb -> '{EXTRA_KEY}' ELSE '{{}}'::jsonb END) e \
                 WHERE NOT r.voided AND ($1 = '' OR r.ledger = $1) GROUP BY r.ledger, e.key"
            ),
        };
        let mut c = self.pool.acquire().await?;
        let rows = c
            .conn()
            .rows(&sql, &[crate::db::P::from(ledger.unwrap_or("").to_string())])
            .await?;
        let mut out: Vec<ExtraColumn> = rows
            .iter()
            .map(|r| ExtraColumn {
                ledger: r.t(0),
                name: r.t(1),
                records: r.i(2),
            })
            .collect();
        out.sort_by(|a, b| {
            b.records
                .cmp(&a.records)
                .then_with(|| a.ledger.cmp(&b.ledger))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(out)
    }
}
