//! Evidence for tests that walk a ledger's loop: the attachments the pack's
//! evidence rules ask for, stored for real (a small JPEG, or a .docx for a
//! document kind) and recorded through the store, as an upload would be.

use lvzhi_core::access::Access;
use lvzhi_files::{Limits, sample};
use lvzhi_store::attachments::NewAttachment;
use lvzhi_store::{Store, StoreError};

/// Stores `bytes` named `name` in the store's attachment directory and adds
/// it to `record` as `kind`; returns the attachment id.
pub async fn attach(
    store: &Store,
    actor: &Access,
    record: i64,
    kind: &str,
    name: &str,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    let files = store.files();
    let alg = store.file_alg().await?;
    let bad = |e: lvzhi_files::FileError| StoreError::BadRequest(e.0);
    let mut inc = files.incoming(name, alg, Limits::default()).map_err(bad)?;
    inc.write(bytes).map_err(bad)?;
    let r = inc.finish().map_err(bad)?;
    let i = r.inspect().map_err(bad)?;
    let thumb_hash = match &i.thumbnail {
        Some(t) => Some(files.put_bytes(t, alg).map_err(bad)?),
        None => None,
    };
    let new = NewAttachment {
        kind: kind.into(),
        name: r.name.clone(),
        size: r.size as i64,
        mime: i.kind.mime().into(),
        hash: r.digest.clone(),
        thumb_hash,
        width: i.size_px.map(|p| i64::from(p.0)),
        height: i.size_px.map(|p| i64::from(p.1)),
        taken_at: i.taken_at.clone(),
        gps: i.gps.clone(),
    };
    r.store(&files).map_err(bad)?;
    store.attach(actor, record, new).await
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
