//! Evidence for tests that walk a ledger's loop: the attachments the pack's
//! evidence rules ask for, stored for real (a small JPEG, or a .docx for a
//! document kind) and recorded through the store, as an upload would be.

use lvzhi_core::access::Access;
use lvzhi_files::sample;
use lvzhi_store::{Store, StoreError};

/// Stores `bytes` named `name` in the store's attachment directory and adds
/// it to `record` as `kind` ([`Store::attach_bytes`]); returns the attachment id.
pub async fn attach(
    store: &Store,
    actor: &Access,
    record: i64,
    kind: &str,
    name: &str,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    store.attach_bytes(actor, record, kind, name, bytes).await
}

/// Attaches whatever the evidence rules of `record`'s transition `name`
/// require (nothing when it has none).
pub async fn for_transition(store: &Store, actor: &Access, record: i64, name: &str) -> Result<(), StoreError> {
    let view = store.record(actor, record).await?;
    let Some(kind) = store.pack().ledger(&view.row.ledger) else {
        return Ok(());
    };
    let Some(t) = kind
        .workflow
        .as_ref()
        .and_then(|w| w.transitions.iter().find(|t| t.name == name))
    else {
        return Ok(());
    };
    for e in &t.evidence {
        let kinds = kind.attachments.kinds();
        let k = e.kind.clone().unwrap_or_else(|| kinds[0].clone());
        for i in 0..e.min {
            if k.contains("报告") || k.contains("材料") && !e.photo {
                attach(store, actor, record, &k, &format!("{k}{i}.docx"), &sample::docx(&k)).await?;
            } else {
                let jpg = sample::photo(64, 48, Some("2026:12:01 09:30:00"), None);
                attach(store, actor, record, &k, &format!("{k}{i}.jpg"), &jpg).await?;
            }
        }
    }
    Ok(())
}
