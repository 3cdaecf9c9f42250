//! The writing half of an import: validated rows → the store, through
//! [`Store::bulk_create`] (one event per record, each tagged with the import;
//! the store validates every row again and writes each chunk with a few
//! statements, see `lvzhi_store::bulk`).
//!
//! **Invariant (all or nothing per file):** nothing is written unless every
//! data row validated (or `skip_invalid` was asked for). With the default
//! `chunk_rows = 0` the whole file goes in one bulk import, which is one
//! transaction: a failure at any row (the database full, a reference the
//! store refuses) leaves the database as it was. With `chunk_rows = N` the
//! file is written in transactions of N rows, so other writers are not held
//! up behind a huge import; every row has been validated before the first
//! chunk, so only a database failure can stop it part-way, and the report
//! then says how many rows were committed: their events carry the import's
//! tag (`data.import`), which finds them to void.

use crate::prepare::{CellError, GoodRow, Prepared};
use crate::{Checked, IoError, ReadOptions};
use lvzhi_core::access::Access;
use lvzhi_core::field::FieldType;
use lvzhi_core::ledger::LedgerKind;
use lvzhi_store::bulk::CHUNK_ROWS;
use lvzhi_store::{Store, StoreError};
use serde::Serialize;
use serde_json::{Map, Value};

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Import the good rows of a file with errors (and report the rest).
    pub skip_invalid: bool,
    /// Check only; write nothing.
    pub dry_run: bool,
    /// Rows per transaction; 0 writes the whole file in one transaction.
    pub chunk_rows: usize,
    /// The import's tag (written into each event); made up when None.
    pub tag: Option<String>,
}

/// Progress of a long step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Rows done.
    pub done: usize,
    /// Rows in all.
    pub total: usize,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The tag written into each event.
    pub tag: String,
    /// The ledger.
    pub ledger: String,
    /// Rows with data.
    pub data_rows: usize,
    /// Records written.
    pub imported: usize,
    /// Rows refused.
    pub rejected_rows: usize,
    /// Every refused cell.
    pub errors: Vec<CellError>,
    /// Whether anything was written.
    pub written: bool,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Ids of the new records, in file order.
    pub ids: Vec<i64>,
}

/// A tag for an import: ledger, the time in China (Asia/Shanghai, as the county
/// reads clocks: `import-hazard-20261205-090902-1a2b3c4d`), and a hash of the content.
pub fn make_tag(ledger: &str, now: jiff::Timestamp, content: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    content.hash(&mut h);
    now.as_nanosecond().hash(&mut h);
    format!(
        "import-{ledger}-{}-{:08x}",
        now.to_zoned(lvzhi_core::time::shanghai()).strftime("%Y%m%d-%H%M%S"),
        h.finish() as u32
    )
}

/// The raw form of validated values that validates to itself again in the
/// store (money carries its unit, so a field read in 万元 is not scaled twice).
fn store_raw(kind: &LedgerKind, row: &GoodRow) -> Map<String, Value> {
    let mut m = row.fields.clone();
    for f in &kind.fields {
        if f.ty == FieldType::Money
            && let Some(Value::String(s)) = m.get_mut(&f.key)
        {
            s.push('元');
        }
    }
    m
}

/// Writes a prepared file (see the module's invariant).
pub async fn write(
    store: &Store,
    access: &Access,
    prepared: &Prepared,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, IoError> {
    let kind = store
        .pack()
        .ledger(&prepared.ledger)
        .ok_or_else(|| IoError::UnknownLedger(prepared.ledger.clone()))?;
    let tag = opts
        .tag
        .clone()
        .unwrap_or_else(|| make_tag(&kind.key, store.now(), prepared.ledger.as_bytes()));
    let mut report = ImportReport {
        tag: tag.clone(),
        ledger: kind.key.clone(),
        data_rows: prepared.data_rows(),
        imported: 0,
        rejected_rows: prepared.bad_rows,
        errors: prepared.errors.clone(),
        written: false,
        dry_run: opts.dry_run,
        ids: Vec::new(),
    };
    if opts.dry_run || (!prepared.is_clean() && !opts.skip_invalid) || prepared.rows.is_empty() {
        return Ok(report);
    }
    let total = prepared.rows.len();
    let per_tx = if opts.chunk_rows == 0 { total } else { opts.chunk_rows };
    progress(Progress { done: 0, total });
    let fail = |committed: usize, e: StoreError| IoError::Write {
        committed,
        tag: tag.clone(),
        source: e,
    };
    for part in prepared.rows.chunks(per_tx) {
        // One transaction per `part` (the whole file by default), streamed to
        // the writer in chunks that are validated while the one before is written.
        let mut bulk = store
            .bulk_create(access, &kind.key, Some(tag.clone()))
            .await
            .map_err(|e| fail(report.imported, e))?;
        for chunk in part.chunks(CHUNK_ROWS) {
            let rows: Vec<(Map<String, Value>, Option<String>)> =
                chunk.iter().map(|r| (store_raw(kind, r), r.state.clone())).collect();
            bulk.push(rows).await.map_err(|e| fail(report.imported, e))?;
            progress(Progress {
                done: report.imported + bulk.pushed(),
                total,
            });
        }
        let ids = bulk.finish().await.map_err(|e| fail(report.imported, e))?;
        report.imported += ids.len();
        report.ids.extend(ids);
        report.written = true;
        progress(Progress {
            done: report.imported,
            total,
        });
    }
    Ok(report)
}

/// The rows of one checked block, as the store takes them.
type Block = Vec<(Map<String, Value>, Option<String>)>;

/// Reads, checks and writes a file in one pass, all or nothing: each block of
/// checked rows goes to one bulk import (one transaction) while the next block
/// is checked, so reading and checking overlap with writing. A refused row
/// stops the feeding; the rest of the file is still checked (every error is
/// reported) and the import is dropped unfinished, which rolls back everything
/// it wrote. The same outcome as [`crate::check_file`] then [`write`] with
/// these options (`chunk_rows = 0`, no `skip_invalid`, no `dry_run`).
#[allow(clippy::too_many_arguments)]
pub async fn import_streaming(
    store: &Store,
    access: &Access,
    ledger: &str,
    bytes: &[u8],
    file_name: &str,
    read: &ReadOptions,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Checked, ImportReport), IoError> {
    let kind = store
        .pack()
        .ledger(ledger)
        .ok_or_else(|| IoError::UnknownLedger(ledger.to_string()))?
        .clone();
    crate::prepare::check_role(&kind, access)?;
    let org = crate::org::OrgIndex::load(store).await.map_err(IoError::Store)?;
    let mut read = read.clone();
    if read.vocabulary == lvzhi_core::vocabulary::Vocabulary::default() {
        read.vocabulary = store.pack().vocabulary.clone();
    }
    let tag = opts
        .tag
        .clone()
        .unwrap_or_else(|| make_tag(&kind.key, store.now(), bytes));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Block>(1);
    let checking = {
        let (kind, access, bytes, name) = (kind.clone(), access.clone(), bytes.to_vec(), file_name.to_string());
        tokio::task::spawn_blocking(move || {
            crate::check_bytes_streaming(&kind, &org, &access, &bytes, &name, &read, &mut |rows| {
                let block: Block = rows.iter().map(|r| (store_raw(&kind, r), r.state.clone())).collect();
                tx.blocking_send(block).is_ok()
            })
        })
    };
    // The blocks as they are checked, into one bulk import.
    let mut bulk = None;
    let mut failed: Option<StoreError> = None;
    let mut pushed = 0usize;
    while let Some(mut block) = rx.recv().await {
        if failed.is_some() {
            continue;
        }
        if bulk.is_none() {
            match store.bulk_create(access, &kind.key, Some(tag.clone())).await {
                Ok(b) => bulk = Some(b),
                Err(e) => {
                    failed = Some(e);
                    continue;
                }
            }
        }
        let Some(b) = bulk.as_mut() else { continue };
        while !block.is_empty() {
            let rest = block.split_off(block.len().min(CHUNK_ROWS));
            if let Err(e) = b.push(std::mem::replace(&mut block, rest)).await {
                failed = Some(e);
                break;
            }
        }
        pushed = b.pushed();
        progress(Progress { done: pushed, total: 0 });
    }
    let checked = checking
        .await
        .map_err(|e| IoError::Unreadable(format!("校验失败：{e}")))??;
    let prepared = &checked.prepared;
    let mut report = ImportReport {
        tag: tag.clone(),
        ledger: kind.key.clone(),
        data_rows: prepared.data_rows(),
        imported: 0,
        rejected_rows: prepared.bad_rows,
        errors: prepared.errors.clone(),
        written: false,
        dry_run: false,
        ids: Vec::new(),
    };
    if let Some(e) = failed {
        // Dropping the unfinished import rolls back what it wrote.
        drop(bulk);
        return Err(IoError::Write {
            committed: 0,
            tag,
            source: e,
        });
    }
    if !prepared.is_clean() || prepared.rows.is_empty() {
        drop(bulk);
        return Ok((checked, report));
    }
    let Some(b) = bulk else {
        return Err(IoError::Unreadable("导入未开始 / the import did not start".into()));
    };
    if pushed != prepared.rows.len() {
        return Err(IoError::Unreadable(format!(
            "导入行数不符：已送{pushed}行，校验通过{}行 / rows sent do not match",
            prepared.rows.len()
        )));
    }
    let ids = b.finish().await.map_err(|e| IoError::Write {
        committed: 0,
        tag: tag.clone(),
        source: e,
    })?;
    report.imported = ids.len();
    report.ids = ids;
    report.written = true;
    progress(Progress {
        done: report.imported,
        total: report.imported,
    });
    Ok((checked, report))
}
