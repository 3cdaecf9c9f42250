//! Backup and restore of a database and its attachment files.
//!
//! SQLite: `backup` uses `VACUUM INTO`, which reads one consistent snapshot:
//! it is safe while the server is writing. `restore` first checks the backup
//! (SQLite integrity check and the event chain), then swaps it in atomically.
//!
//! PostgreSQL: `backup` runs `pg_dump --format=custom` (one snapshot, safe
//! while the server writes). `restore` loads the dump into a scratch
//! database with `pg_restore`, checks its event chain there, then swaps it in
//! by renaming the databases (the old one is dropped; stop the server first).
//!
//! Both: the attachment store is copied to `<backup>.files` (a directory,
//! also when the attachments live in an S3 bucket: it is listed and each
//! object streamed down) and, on restore, the files missing from the
//! attachment store are added back (content-addressed: nothing is
//! overwritten).

use crate::db::{P, Target};
use crate::{Store, StoreError};
use std::path::Path;

impl Store {
    /// Writes a consistent copy of the database to `file` (which must not
    /// exist): SQLite's `VACUUM INTO`, PostgreSQL's `pg_dump` (custom format);
    /// the attachments go to `<file>.files`.
    pub async fn backup(&self, file: &Path) -> Result<u64, StoreError> {
        if file.exists() {
            return Err(StoreError::Config(format!(
                "{} 已存在，不会覆盖 / exists, not overwriting",
                file.display()
            )));
        }
        let mut c = self.pool.acquire().await?;
        match self.target() {
            Target::Sqlite(_) => {
                c.conn()
                    .exec("VACUUM INTO $1", &[P::T(file.to_string_lossy().into_owned())])
                    .await?;
            }
            Target::Postgres(url) => {
                let args = [
                    "--format=custom".into(),
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    format!("--file={}", file.display()),
                    format!("--dbname={url}"),
                ];
                pg_tool("pg_dump", &args).await?;
            }
        }
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
        let (fs, dest) = (self.files(), files_beside(file));
        let files = tokio::task::spawn_blocking(move || fs.copy_to(&dest))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .map_err(|e| StoreError::Config(format!("附件备份失败：{e}")))?;
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

/// Replaces the database at `url` with the backup `file`, after checking the
/// backup, and adds back the attachment files saved beside it; returns the
/// number of events verified. Stop the server first.
pub async fn restore(url: &str, file: &Path) -> Result<i64, StoreError> {
    let target = crate::db::parse_url(url)?;
    // An attachment bucket that cannot be used refuses the restore before
    // anything is swapped in.
    crate::attachments::check_files(&crate::attachments::configured_files(&target)?).await?;
    let dest = match target {
        Target::Sqlite(dest) => dest,
        Target::Postgres(u) => return restore_pg(&u, file).await,
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
        drop(owned);
        verify_events(&target).await
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
    let target = Target::Sqlite(dest.clone());
    restore_files_beside(&target, file).await?;
    let _ = std::fs::remove_file(format!("{dest}-wal"));
    let _ = std::fs::remove_file(format!("{dest}-shm"));
    record_restore(&target, file, verified, replaced).await?;
    Ok(verified)
}

/// The attachments saved beside the backup `file` come back into the
/// database's attachment store (`LVZHI_FILES` — a directory or a bucket — or
/// the default directory).
async fn restore_files_beside(target: &Target, file: &Path) -> Result<(), StoreError> {
    let src = files_beside(file);
    if src.exists() {
        let files = crate::attachments::configured_files(target)?;
        crate::attachments::check_files(&files).await?;
        tokio::task::spawn_blocking(move || files.restore_from(&src))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .map_err(|e| StoreError::Config(format!("附件恢复失败：{e}")))?;
    }
    Ok(())
}

/// Recomputes the event chain of the database at `target`; the number of
/// events, or the break.
async fn verify_events(target: &Target) -> Result<i64, StoreError> {
    let pool = target.pool(1).await?;
    let checked = async {
        let mut c = pool.acquire().await?;
        let mut v = lvzhi_core::event::ChainVerifier::default();
        let mut after = 0i64;
        loop {
            let rows = c
                .conn()
                .rows(
                    &format!(
                        "SELECT {} FROM events WHERE seq > $1 ORDER BY seq LIMIT 5000",
                        crate::audit::EVENT_COLS
                    ),
                    &[P::I(after)],
                )
                .await?;
            if rows.is_empty() {
                return Ok(v.count());
            }
            for r in &rows {
                let e = crate::audit::event_from_row(r);
                after = e.seq;
                v.push(&e).map_err(|e| {
                    StoreError::Config(format!("备份文件的变更日志校验失败 / backup chain broken: {e}"))
                })?;
            }
        }
    }
    .await;
    pool.close().await;
    checked
}

/// Runs a PostgreSQL client tool (`pg_dump`, `pg_restore`) with `args`;
/// its error output, in the refusal, when it fails.
async fn pg_tool(tool: &str, args: &[String]) -> Result<(), StoreError> {
    // std's process on a blocking thread: the workspace's tokio has no `process` feature.
    let (t, a) = (tool.to_string(), args.to_vec());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&t)
            .args(&a)
            .stdin(std::process::Stdio::null())
            .output()
    })
    .await
    .map_err(|e| StoreError::Internal(e.to_string()))?
    .map_err(|e| {
        StoreError::Config(format!(
            "无法运行 {tool}（请安装 PostgreSQL 客户端工具，如 postgresql-client）：{e}"
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(StoreError::Config(format!(
            "{tool} 失败 / failed ({}): {}",
            out.status,
            err.trim()
        )))
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> Result<String, StoreError> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let rest = base
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| StoreError::Config(format!("无法解析数据库地址 / bad URL: {url}")))?;
    let head = match rest.find('/') {
        Some(i) => &base[..base.len() - rest.len() + i],
        None => base,
    };
    Ok(match query {
        Some(q) => format!("{head}/{name}?{q}"),
        None => format!("{head}/{name}"),
    })
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// [`restore`] on PostgreSQL: `pg_restore` into a scratch database, its
/// chain checked there, then the scratch database renamed into place.
async fn restore_pg(url: &str, file: &Path) -> Result<i64, StoreError> {
    use sqlx::Connection;
    use std::str::FromStr;
    if !file.exists() {
        return Err(StoreError::Config(format!(
            "备份文件 {} 不存在 / backup not found",
            file.display()
        )));
    }
    let opts = sqlx::postgres::PgConnectOptions::from_str(url)?;
    let name = opts.get_database().unwrap_or_default().to_string();
    if name.is_empty() {
        return Err(StoreError::Config(format!(
            "数据库地址未指明数据库名 / no database in {url}"
        )));
    }
    let scratch = format!("{name}_restore_check");
    let scratch_url = with_database(url, &scratch)?;
    let mut admin = sqlx::PgConnection::connect_with(&opts.clone().database("postgres")).await?;
    let run = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
    run(format!("DROP DATABASE IF EXISTS {}", quote_ident(&scratch)))
        .execute(&mut admin)
        .await?;
    run(format!("CREATE DATABASE {}", quote_ident(&scratch)))
        .execute(&mut admin)
        .await?;
    let loaded = async {
        let args = [
            "--no-owner".into(),
            "--no-privileges".into(),
            "--exit-on-error".into(),
            "--single-transaction".into(),
            format!("--dbname={scratch_url}"),
            file.display().to_string(),
        ];
        pg_tool("pg_restore", &args).await?;
        verify_events(&Target::Postgres(scratch_url.clone())).await
    }
    .await;
    let verified = match loaded {
        Ok(n) => n,
        Err(e) => {
            let _ = run(format!("DROP DATABASE IF EXISTS {}", quote_ident(&scratch)))
                .execute(&mut admin)
                .await;
            return Err(e);
        }
    };
    let target = Target::Postgres(url.to_string());
    let exists = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await?
        > 0;
    let replaced = if exists {
        head_of(&target).await.ok().flatten()
    } else {
        None
    };
    if exists {
        let old = format!("{name}_replaced");
        run(format!("DROP DATABASE IF EXISTS {}", quote_ident(&old)))
            .execute(&mut admin)
            .await?;
        run(format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(&name),
            quote_ident(&old)
        ))
        .execute(&mut admin)
        .await
        .map_err(|e| {
            StoreError::Config(format!(
                "无法替换数据库“{name}”（请先停止服务，断开所有连接）：{}",
                StoreError::from(e)
            ))
        })?;
        run(format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(&scratch),
            quote_ident(&name)
        ))
        .execute(&mut admin)
        .await?;
        run(format!("DROP DATABASE IF EXISTS {}", quote_ident(&old)))
            .execute(&mut admin)
            .await?;
    } else {
        run(format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(&scratch),
            quote_ident(&name)
        ))
        .execute(&mut admin)
        .await?;
    }
    let _ = admin.close().await;
    restore_files_beside(&target, file).await?;
    record_restore(&target, file, verified, replaced).await?;
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
    target: &Target,
    file: &Path,
    verified: i64,
    replaced: Option<(i64, String)>,
) -> Result<(), StoreError> {
    let mut owned = target.connect().await?;
    let mut conn = owned.conn();
    conn.script(match target {
        Target::Sqlite(_) => "BEGIN IMMEDIATE",
        Target::Postgres(_) => "BEGIN",
    })
    .await?;
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
            if let Some(path) = crate::anchor::default_path(target) {
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
