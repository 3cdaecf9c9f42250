//! What the io test binaries share.

use lvzhi_core::access::Access;
use lvzhi_io::export::{ExportFormat, ExportSummary, export};
use lvzhi_store::Store;
use lvzhi_store::records::ListQuery;

/// The whole of `ledger` as `a` exports it in `format`: the file's bytes and the summary.
pub async fn export_all(store: &Store, a: &Access, ledger: &str, format: ExportFormat) -> (Vec<u8>, ExportSummary) {
    let mut buf = Vec::new();
    let sum = export(store, a, ledger, &ListQuery::default(), format, &mut buf, &mut |_| {})
        .await
        .unwrap();
    (buf, sum)
}
