//! Ledger exports, shared by `GET /api/v1/ledgers/{ledger}/export` and the
//! list's 导出 links: the same filters as the list, every page, within the
//! reader's scope and masked for the role (both by the store), written by
//! `lvzhi_io::export`.

use super::App;
use lvzhi_core::access::Access;
use lvzhi_core::ledger::LedgerKind;
use lvzhi_io::IoError;
use lvzhi_io::export::{ExportFormat, export};
use lvzhi_store::records::ListQuery;

/// The content type of an xlsx file.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The content type of a CSV export.
pub const CSV: &str = "text/csv; charset=utf-8";

/// The list filters of `/ledgers/{key}` (and of the export API) as a [`ListQuery`].
pub fn list_query(params: &[(String, String)]) -> ListQuery {
    let p = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    ListQuery {
        state: p("state"),
        unit: p("unit").and_then(|v| v.parse().ok()),
        division: p("division"),
        date_field: p("date_field").filter(|_| p("from").is_some() || p("to").is_some()),
        from: p("from"),
        to: p("to"),
        warning: p("warning").filter(|w| matches!(w.as_str(), "red" | "yellow" | "warned")),
        q: p("q"),
        sort: p("sort"),
        owner: p("owner").and_then(|v| v.parse().ok()),
        open: p("open").is_some_and(|v| v == "true" || v == "1"),
        include_voided: p("include_voided").is_some_and(|v| v == "true" || v == "1"),
        ..ListQuery::default()
    }
}

/// The content type of `format`.
pub fn mime(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Xlsx => XLSX,
        ExportFormat::Csv => CSV,
    }
}

impl App {
    /// A ledger's filtered rows as `format`, as `access` may see them.
    pub async fn export_bytes(
        &self,
        access: &Access,
        key: &str,
        q: &ListQuery,
        format: ExportFormat,
    ) -> Result<Vec<u8>, IoError> {
        // `export` takes `&mut dyn Write` and a progress callback (not `Send`):
        // run it on a blocking thread, on this runtime.
        let (store, a, k, q) = (self.store.clone(), access.clone(), key.to_string(), q.clone());
        let rt = tokio::runtime::Handle::current();
        let bytes = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            rt.block_on(export(&store, &a, &k, &q, format, &mut out, &mut |_| {}))?;
            Ok::<_, IoError>(out)
        })
        .await
        .map_err(|e| IoError::Unreadable(format!("导出失败：{e}")))??;
        // Every export is an audit event (等保 安全审计: 导出).
        let name = self
            .store
            .pack()
            .ledger(key)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| key.to_string());
        let ext = match format {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
        };
        self.store
            .audit_event(
                access,
                "export.records",
                "ledger",
                Some(key.to_string()),
                serde_json::json!({"what": format!("{name} {ext}"), "bytes": bytes.len(), "result": "ok"}),
            )
            .await
            .map_err(IoError::Store)?;
        Ok(bytes)
    }

    /// The file name of an export: 安全生产隐患台账-20261125.xlsx.
    pub fn export_name(&self, kind: &LedgerKind, format: ExportFormat) -> String {
        let day = self.store.today().strftime("%Y%m%d").to_string();
        let ext = match format {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
        };
        format!("{}-{day}.{ext}", kind.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query_from_params() {
        let p = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let q = list_query(&p(&[
            ("state", "整改中"),
            ("unit", "3"),
            ("warning", "bogus"),
            ("q", " "),
        ]));
        assert_eq!(q.state.as_deref(), Some("整改中"));
        assert_eq!(q.unit, Some(3));
        assert_eq!(q.warning, None);
        assert_eq!(q.q, None);
    }
}
