//! Backup and restore of a SQLite database.
//!
//! `backup` uses `VACUUM INTO`, which reads one consistent snapshot: it is
//! safe while the server is writing. `restore` first checks the backup
//! (SQLite integrity check and the event chain), then swaps it in atomically.

use crate::db::{P, Target};
use crate::{Store, StoreError};
use std::path::Path;

impl Store {
    /// Writes a consistent copy of the SQLite database to `file` (which must not exist).
    pub async fn backup(&self, file: &Path) -> Result<u64, StoreError> {
        if !matches!(self.target(), Target::Sqlite(_)) {
            return Err(StoreError::Config(
                "PostgreSQL 请使用 pg_dump 备份 / use pg_dump for PostgreSQL".into(),
            ));
        }
        if file.exists() {
            return Err(StoreError::Config(format!(
                "{} 已存在，不会覆盖 / exists, not overwriting",
                file.display()
            )));
        }
        let mut c = self.pool.acquire().await?;
        c.conn()
            .exec("VACUUM INTO $1", &[P::T(file.to_string_lossy().into_owned())])
            .await?;
        let head = c
            .conn()
            .row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &[])
            .await?
            .map(|r| (r.i(0), r.t(1)));
        drop(c);
        let bytes = std::fs::metadata(file)
            .map(|m| m.len())
            .map_err(|e| StoreError::Config(e.to_string()))?;
        // The attachments go beside the copy (content-addressed: a file
        // written after the snapshot is merely extra).
        let files = self.backup_files(&files_beside(file))?;
        // The backup is an event (after the copy: the copy ends at `head`).
        self.audit_event(
            &Store::system_access(),
            "backup.create",
            "database",
            None,
            serde_json::json!({"file": file.display().to_string(), "bytes": bytes,
                "head_seq": head.as_ref().map(|h| h.0), "head_hash": head.map(|h| h.1), "files": files, "result": "ok"}),
        )
        .await?;
        Ok(bytes)
    }

    /// Copies the attachment directory into `dest` (both backends: with a
    /// PostgreSQL dump, this is the other half of a backup); returns the
    /// number of files copied.
    pub fn backup_files(&self, dest: &Path) -> Result<u64, StoreError> {
        self.files()
            .copy_to(dest)
            .map_err(|e| StoreError::Config(format!("附件备份失败：{e}")))
    }

    /// Adds the files of a backup's attachment directory `src` that the
    /// attachment directory lacks (nothing is overwritten or removed).
    pub fn restore_files(&self, src: &Path) -> Result<u64, StoreError> {
        self.files()
            .restore_from(src)
            .map_err(|e| StoreError::Config(format!("附件恢复失败：{e}")))
    }

    /// Sets a value in the `meta` table (evented).
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.writer
            .send(crate::writer::Cmd::Plain {
                actor: Store::system_access(),
                statements: vec![(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                        .into(),
                    vec![P::T(key.into()), P::T(value.into())],
                )],
                kind: "meta.set".into(),
                entity: "meta".into(),
                entity_id: Some(key.into()),
                data: serde_json::json!({"key": key, "value": value}),
            })
            .await?;
        Ok(())
    }
}

/// Replaces the SQLite database at `url` with the backup `file`, after
/// checking the backup; returns the number of events verified. Stop the
/// server first.
pub async fn restore(url: &str, file: &Path) -> Result<i64, StoreError> {
    let Target::Sqlite(dest) = crate::db::parse_url(url)? else {
        return Err(StoreError::Config(
            "PostgreSQL 请使用 pg_restore / use pg_restore for PostgreSQL".into(),
        ));
    };
    if !file.exists() {
        return Err(StoreError::Config(format!(
            "备份文件 {} 不存在 / backup not found",
            file.display()
        )));
    }
    // Check a scratch copy, so the backup itself is never modified.
    let scratch = format!("{dest}.restore-check");
    let _ = std::fs::remove_file(&scratch);
    std::fs::copy(file, &scratch).map_err(|e| StoreError::Config(e.to_string()))?;
    let verified = async {
        let target = Target::Sqlite(scratch.clone());
        let mut owned = target.connect().await?;
        let mut conn = owned.conn();
        let ok = conn
            .row("PRAGMA integrity_check", &[])
            .await?
            .map(|r| r.t(0))
            .unwrap_or_default();
        if ok != "ok" {
            return Err(StoreError::Config(format!("备份文件已损坏 / backup is corrupt: {ok}")));
        }
        let pool = target.pool(1).await?;
        let mut c = pool.acquire().await?;
        let mut v = lvzhi_core::event::ChainVerifier::default();
        let rows = c
            .conn()
            .rows(
                &format!("SELECT {} FROM events ORDER BY seq", crate::audit::EVENT_COLS),
                &[],
            )
            .await?;
        for r in &rows {
            v.push(&crate::audit::event_from_row(r))
                .map_err(|e| StoreError::Config(format!("备份文件的变更日志校验失败 / backup chain broken: {e}")))?;
        }
        drop(c);
        drop(owned);
        pool.close().await;
        Ok(v.count())
    }
    .await;
    let verified = match verified {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&scratch);
            return Err(e);
        }
    };
    let _ = std::fs::remove_file(format!("{scratch}-wal"));
    let _ = std::fs::remove_file(format!("{scratch}-shm"));
    // The head of the database about to be replaced: the restore records what it rolls back.
    let replaced = if Path::new(&dest).exists() {
        head_of(&Target::Sqlite(dest.clone())).await.ok().flatten()
    } else {
        None
    };
    std::fs::rename(&scratch, &dest).map_err(|e| StoreError::Config(e.to_string()))?;
    // The attachments saved beside the backup come back beside the database.
    let src = files_beside(file);
    if src.exists() {
        lvzhi_files::FileStore::new(crate::attachments::default_dir(&Target::Sqlite(dest.clone())))
            .restore_from(&src)
            .map_err(|e| StoreError::Config(format!("附件恢复失败：{e}")))?;
    }
    let _ = std::fs::remove_file(format!("{dest}-wal"));
    let _ = std::fs::remove_file(format!("{dest}-shm"));
    record_restore(&dest, file, verified, replaced).await?;
    Ok(verified)
}

/// Where a backup's attachments go: `<backup file>.files`.
pub fn files_beside(file: &Path) -> std::path::PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".files");
    s.into()
}

/// The last event's seq and hash of a database.
async fn head_of(target: &Target) -> Result<Option<(i64, String)>, StoreError> {
    let mut owned = target.connect().await?;
    Ok(owned
        .conn()
        .row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &[])
        .await?
        .map(|r| (r.i(0), r.t(1))))
}

/// Writes the `backup.restore` event into the restored database (on the
/// chain, after the backup's last event) with the span it rolled back, and
/// anchors the new head.
async fn record_restore(
    dest: &str,
    file: &Path,
    verified: i64,
    replaced: Option<(i64, String)>,
) -> Result<(), StoreError> {
    let target = Target::Sqlite(dest.to_string());
    let mut owned = target.connect().await?;
    let mut conn = owned.conn();
    conn.script("BEGIN IMMEDIATE").await?;
    let written = async {
        let mut head = conn
            .row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &[])
            .await?
            .map(|r| crate::writer::Head {
                seq: r.i(0),
                hash: r.t(1),
                ..Default::default()
            })
            .unwrap_or(crate::writer::Head {
                seq: 0,
                hash: lvzhi_core::event::GENESIS.into(),
                ..Default::default()
            });
        let backup_head = head.seq;
        let (replaced_head, replaced_hash) = replaced.unzip();
        let rolled_back = replaced_head
            .filter(|r| *r > backup_head)
            .map(|r| vec![backup_head + 1, r]);
        let now = jiff::Timestamp::now();
        crate::writer::append(
            &mut conn,
            &mut head,
            now,
            &Store::system_access(),
            "backup.restore",
            "database",
            None,
            None,
            serde_json::json!({
                "file": file.display().to_string(),
                "verified": verified,
                "backup_head": backup_head,
                "replaced_head": replaced_head,
                "replaced_hash": replaced_hash,
                "rolled_back": rolled_back,
                "result": "ok",
            }),
        )
        .await?;
        Ok::<_, StoreError>((head.seq, head.hash, lvzhi_core::time::stamp(now)))
    }
    .await;
    match written {
        Ok((seq, hash, at)) => {
            conn.script("COMMIT").await?;
            if let Some(path) = crate::anchor::default_path(&target) {
                crate::anchor::append_line(&path, seq, &hash, &at)?;
            }
            Ok(())
        }
        Err(e) => {
            let _ = conn.script("ROLLBACK").await;
            Err(e)
        }
    }
}
