//! Personal fields encrypted at rest (SM4-GCM) and the field keys.
//!
//! A field the pack marks `encrypt = true` (身份证号, phone numbers, the
//! names of petitioners, parties and complainants) is stored — in the
//! record's `fields` JSON and in every event's `before`/`after` — as
//! `enc:sm4gcm:<key id>:<commitment>:<nonce‖ciphertext‖tag>`
//! ([`lvzhi_core::crypto::FieldKey::seal`]). The writer seals; every read of
//! a record or its history opens ([`Keys::open_fields`]) before masking, so
//! the UI, API, exports and reports see plaintext.
//!
//! **The chain.** Events are hashed over the commitment in place of the
//! ciphertext ([`lvzhi_core::event::canonical_json_hashed`]): `audit verify`
//! needs no key, and [`Store::rotate_key`] re-encrypts events without
//! changing one hash (the salt, so the commitment, is kept).
//!
//! **Keys** live outside the database, one `id:32-hex-digits` a line (the
//! last line is the key new values are sealed with; earlier lines only open):
//! `LVZHI_KEY` (the lines themselves), else the file `LVZHI_KEY_FILE`, else
//! `<sqlite file>.key`. A database holding sealed values carries a check
//! value in `meta` (`crypt.check`); opening it without a key that opens the
//! check is refused ([`Store::open`]).
//!
//! **Search** on these fields is exact: the search column carries a keyed
//! blind index (HMAC-SM3, 96 bits) of each value, and a list's `q` matches
//! it when `q` is a whole value. Substring search (part of a name, the last
//! four digits) is lost for them — as it was, since masked fields were never
//! in the search text.

use crate::db::{Conn, Dialect, P};
use crate::{Store, StoreError};
use lvzhi_core::crypto::{FieldKey, open_sealed, reseal, sealed_key_id};
use lvzhi_core::ledger::{LedgerKind, Pack};
use rand::RngCore;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// What a value that cannot be opened shows (a key missing from the key file).
pub const UNREADABLE: &str = "【无法解密】";

/// The `meta` key of the check value.
const CHECK_KEY: &str = "crypt.check";
const CHECK_AAD: &str = "meta/crypt.check";
const CHECK_TEXT: &str = "lvzhi";

/// The field keys of a store: the last one seals, all of them open.
#[derive(Debug, Default)]
pub struct Keys {
    ring: RwLock<Vec<FieldKey>>,
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `LVZHI_KEY`, `LVZHI_KEY_FILE`, or the file beside a SQLite database.
    Default,
    /// These keys (tests, tools).
    Given(Vec<FieldKey>),
    /// This key file.
    File(PathBuf),
    /// None: personal fields stay in plaintext (only for a database that has never been encrypted).
    None,
}

/// Reads a key file's lines (`#` starts a comment).
pub fn parse_keys(text: &str, from: &str) -> Result<Vec<FieldKey>, StoreError> {
    let mut keys = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        for part in line.split([',', ';', ' ']).filter(|p| !p.is_empty()) {
            keys.push(FieldKey::parse(part).ok_or_else(|| {
                StoreError::BadRequest(format!(
                    "{from}第{}行不是有效的密钥（应为“密钥编号:32位十六进制数”）",
                    i + 1
                ))
            })?);
        }
    }
    Ok(keys)
}

/// The default key file of a database: `LVZHI_KEY_FILE`, else `<sqlite file>.key`.
pub fn default_key_file(target: &crate::db::Target) -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LVZHI_KEY_FILE")
        && !p.is_empty()
    {
        return Some(PathBuf::from(p));
    }
    match target {
        crate::db::Target::Sqlite(file) if !file.contains(":memory:") => Some(PathBuf::from(format!("{file}.key"))),
        // PostgreSQL has no "beside": LVZHI_KEY_FILE (or LVZHI_KEY) names the key.
        _ => None,
    }
}

/// Reads a key file.
pub fn read_key_file(path: &Path) -> Result<Vec<FieldKey>, StoreError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| StoreError::BadRequest(format!("无法读取密钥文件 {}：{e}", path.display())))?;
    parse_keys(&text, &format!("密钥文件 {} ", path.display()))
}

/// The keys `source` names; `None` when there are none.
pub(crate) fn load(source: &KeySource, target: &crate::db::Target) -> Result<Option<Vec<FieldKey>>, StoreError> {
    let keys = match source {
        KeySource::None => return Ok(None),
        KeySource::Given(k) => k.clone(),
        KeySource::File(p) => read_key_file(p)?,
        KeySource::Default => {
            if let Ok(text) = std::env::var("LVZHI_KEY")
                && !text.trim().is_empty()
            {
                parse_keys(&text, "环境变量 LVZHI_KEY ")?
            } else {
                match default_key_file(target) {
                    Some(p) if p.exists() => read_key_file(&p)?,
                    _ => return Ok(None),
                }
            }
        }
    };
    Ok((!keys.is_empty()).then_some(keys))
}

/// A new random key named `k<yyyymmdd><4 hex digits>`.
pub fn new_key(today: jiff::civil::Date) -> FieldKey {
    let mut rng = rand::rng();
    let mut k = [0u8; 16];
    rng.fill_bytes(&mut k);
    let tag = rng.next_u32() & 0xffff;
    FieldKey::new(&format!("k{}{tag:04x}", today.strftime("%Y%m%d")), k)
}

/// Writes `keys` to `path` atomically (a temporary file renamed over it,
/// then the directory synced), readable by the owner only (0600).
pub fn write_key_file(path: &Path, keys: &[FieldKey]) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::BadRequest(format!("无法写入密钥文件 {}：{e}", path.display()));
    let mut text = String::from(
        "# lvzhi 个人信息加密密钥（SM4）。最后一行用于加密，其余行仅用于解密。\n# 请妥善保管并与数据库分开备份；丢失密钥将无法读取已加密的个人信息。\n",
    );
    for k in keys {
        text.push_str(&k.to_line());
        text.push('\n');
    }
    let tmp = path.with_extension("key.tmp");
    {
        use std::io::Write;
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

/// The additional data a field's values are sealed with.
fn aad(ledger: &str, field: &str) -> String {
    format!("{ledger}/{field}")
}

impl Keys {
    /// Keys from a list (the last seals).
    pub fn new(keys: Vec<FieldKey>) -> Keys {
        Keys {
            ring: RwLock::new(keys),
        }
    }

    fn ring(&self) -> Vec<FieldKey> {
        self.ring.read().map(|r| r.clone()).unwrap_or_default()
    }

    /// Replaces the keys.
    pub fn set(&self, keys: Vec<FieldKey>) {
        if let Ok(mut r) = self.ring.write() {
            *r = keys;
        }
    }

    /// The key new values are sealed with (`None`: encryption off).
    pub fn current(&self) -> Option<FieldKey> {
        self.ring.read().ok().and_then(|r| r.last().cloned())
    }

    /// The ids of the keys, oldest first.
    pub fn ids(&self) -> Vec<String> {
        self.ring().into_iter().map(|k| k.id).collect()
    }

    /// Seals the plaintext values of `kind`'s encrypted fields in `fields`
    /// (a no-op without a key).
    pub fn seal_fields(&self, kind: &LedgerKind, fields: &mut Map<String, Value>) {
        let Some(key) = self.current() else { return };
        for f in kind.fields.iter().filter(|f| f.encrypt) {
            if let Some(Value::String(s)) = fields.get_mut(&f.key)
                && sealed_key_id(s).is_none()
            {
                *s = key.seal(&random(), &random(), &aad(&kind.key, &f.key), s);
            }
        }
    }

    /// Opens the sealed values of `kind`'s encrypted fields in `fields`; a
    /// value no key opens reads [`UNREADABLE`].
    pub fn open_fields(&self, kind: &LedgerKind, fields: &mut Map<String, Value>) {
        let mut ring = None;
        for f in kind.fields.iter().filter(|f| f.encrypt) {
            if let Some(Value::String(s)) = fields.get_mut(&f.key)
                && sealed_key_id(s).is_some()
            {
                let ring = ring.get_or_insert_with(|| self.ring());
                *s = open_sealed(ring, &aad(&kind.key, &f.key), s).unwrap_or_else(|| UNREADABLE.to_string());
            }
        }
    }

    /// Opens a record read from the database.
    pub fn open_record(&self, pack: &Pack, row: &mut crate::records::RecordRow) {
        if let Some(kind) = pack.ledger(&row.ledger) {
            self.open_fields(kind, &mut row.fields);
        }
    }

    /// Opens the `before`/`after` field maps of a record event's data.
    pub fn open_event(&self, kind: &LedgerKind, data: &mut Value) {
        for part in ["before", "after"] {
            if let Some(Value::Object(m)) = data.get_mut(part) {
                self.open_fields(kind, m);
            }
        }
    }

    /// Seals the `before`/`after` field maps of a record event's data.
    pub fn seal_event(&self, kind: &LedgerKind, data: &mut Value) {
        for part in ["before", "after"] {
            if let Some(Value::Object(m)) = data.get_mut(part) {
                self.seal_fields(kind, m);
            }
        }
    }

    /// The blind-index tokens of `kind`'s encrypted values in `fields`
    /// (plaintext), appended to the search column under the current key.
    pub fn search_tokens(&self, kind: &LedgerKind, fields: &Map<String, Value>) -> String {
        let Some(key) = self.current() else {
            return String::new();
        };
        let mut out = String::new();
        for f in kind.fields.iter().filter(|f| f.encrypt) {
            if let Some(Value::String(s)) = fields.get(&f.key)
                && sealed_key_id(s).is_none()
            {
                out.push_str(&token(&key, &kind.key, &f.key, s));
                out.push(' ');
            }
        }
        out
    }

    /// The tokens a list's search text `q` matches when it is a whole value
    /// of one of `kind`'s encrypted fields (normalised as the field stores it),
    /// under every key (a rotation may be under way).
    pub fn query_tokens(&self, kind: &LedgerKind, q: &str) -> Vec<String> {
        let ring = self.ring();
        let mut out = Vec::new();
        for f in kind.fields.iter().filter(|f| f.encrypt) {
            if let Ok(Some(Value::String(v))) = f.validate(&Value::String(q.to_string())) {
                for k in &ring {
                    let t = token(k, &kind.key, &f.key, &v);
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
        out
    }
}

/// The additional data a user's TOTP secret is sealed with: bound to the
/// account, so a sealed secret copied to another user's row does not open.
/// The pending (enrolment) and the confirmed secret share it, because
/// confirming moves the one into the other in SQL.
pub(crate) fn totp_aad(user_id: i64) -> String {
    format!("users/totp/{user_id}")
}

impl Keys {
    /// Seals a secret the server must read back (a TOTP key) under the
    /// current key; without a key it stays as it is (and is sealed at the
    /// next start that has one: [`seal_plain_secrets`]).
    pub fn seal_secret(&self, aad: &str, plain: &str) -> String {
        match self.current() {
            Some(key) => key.seal(&random(), &random(), aad, plain),
            None => plain.to_string(),
        }
    }

    /// Opens a stored secret: a plaintext one as it is, a sealed one with
    /// whichever key it names; `None` when no loaded key opens it.
    pub fn open_secret(&self, aad: &str, stored: &str) -> Option<String> {
        match sealed_key_id(stored) {
            None => Some(stored.to_string()),
            Some(_) => open_sealed(&self.ring(), aad, stored),
        }
    }
}

/// The secrets the server must read back, by table and column: the users'
/// TOTP keys and the outbound channels' signing secrets / SMTP passwords.
const SECRET_COLUMNS: [(&str, &str); 3] = [
    ("users", "totp_secret"),
    ("users", "totp_pending"),
    ("channels", "secret"),
];

/// What binds a secret of `table` row `id` to its place.
fn secret_aad(table: &str, id: i64) -> String {
    if table == "channels" {
        crate::outbox::SECRET_AAD.to_string()
    } else {
        totp_aad(id)
    }
}

/// Seals every secret still stored in plaintext (a database from before
/// they were encrypted, or one that ran without a key) under the current
/// key, then rewrites the storage so the plaintext is gone from it too
/// (SQLite: checkpoint and `VACUUM`, the old pages and WAL frames overwritten;
/// PostgreSQL: `VACUUM users`, dead row versions reclaimed). Run at open, on
/// the writer's connection before the writer starts. Returns how many values
/// were sealed.
pub(crate) async fn seal_plain_secrets(conn: &mut Conn<'_>, keys: &[FieldKey]) -> Result<u64, StoreError> {
    let Some(key) = keys.last() else { return Ok(0) };
    let mut n = 0;
    for (table, col) in SECRET_COLUMNS {
        let rows = conn
            .rows(
                &format!(
                    "SELECT id, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> '' AND {col} NOT LIKE 'enc:sm4gcm:%'"
                ),
                &[],
            )
            .await?;
        for r in &rows {
            let sealed = key.seal(&random(), &random(), &secret_aad(table, r.i(0)), &r.t(1));
            conn.exec(
                &format!("UPDATE {table} SET {col} = $1 WHERE id = $2"),
                &[P::T(sealed), P::I(r.i(0))],
            )
            .await?;
            n += 1;
        }
    }
    if n > 0 {
        match conn.dialect() {
            Dialect::Sqlite => {
                conn.script("PRAGMA wal_checkpoint(TRUNCATE)").await?;
                conn.script("VACUUM").await?;
                conn.script("PRAGMA wal_checkpoint(TRUNCATE)").await?;
            }
            Dialect::Postgres => conn.script("VACUUM users, channels").await?,
        }
    }
    Ok(n)
}

/// Re-seals the users' secrets under `new` (a key rotation), in one transaction.
async fn rotate_secrets(conn: &mut Conn<'_>, keys: &[FieldKey], new: &FieldKey) -> Result<u64, StoreError> {
    let mut n = 0;
    for (table, col) in SECRET_COLUMNS {
        let rows = conn
            .rows(
                &format!("SELECT id, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> ''"),
                &[],
            )
            .await?;
        for r in &rows {
            let (id, stored) = (r.i(0), r.t(1));
            let aad = secret_aad(table, id);
            let sealed = match sealed_key_id(&stored) {
                Some(k) if k == new.id => continue,
                Some(k) => reseal(keys, new, &random(), &aad, &stored).ok_or_else(|| {
                    StoreError::BadRequest(format!(
                        "{}#{id}的密钥无法用现有密钥解密（密钥 {k}），轮换已停止，已完成的部分保持可读",
                        if table == "channels" { "通知渠道" } else { "用户" }
                    ))
                })?,
                None => new.seal(&random(), &random(), &aad, &stored),
            };
            conn.exec(
                &format!("UPDATE {table} SET {col} = $1 WHERE id = $2"),
                &[P::T(sealed), P::I(id)],
            )
            .await?;
            n += 1;
        }
    }
    Ok(n)
}

/// One blind-index token: a unit separator (U+001F, which no text field
/// accepts, so typed text never matches it) and 96 bits of HMAC-SM3.
fn token(key: &FieldKey, ledger: &str, field: &str, value: &str) -> String {
    let bi = key.blind_index(&aad(ledger, field), value);
    format!("\u{1f}{}", &bi[..24])
}

/// Checks the keys against the database's check value, writing one when a
/// key is given to a database that has none. Refused: sealed data and no key
/// (or no key that opens it).
pub(crate) async fn check(
    conn: &mut Conn<'_>,
    keys: Option<&[FieldKey]>,
    source: &KeySource,
    target: &crate::db::Target,
) -> Result<(), StoreError> {
    let stored = conn
        .row("SELECT value FROM meta WHERE key = $1", &[P::T(CHECK_KEY.into())])
        .await?
        .map(|r| r.t(0));
    let where_ = || match (source, default_key_file(target)) {
        (KeySource::File(p), _) => format!("密钥文件 {}", p.display()),
        (_, Some(p)) => format!("环境变量 LVZHI_KEY、LVZHI_KEY_FILE 或密钥文件 {}", p.display()),
        _ => "环境变量 LVZHI_KEY 或 LVZHI_KEY_FILE".to_string(),
    };
    match (stored, keys) {
        (Some(_), None) => Err(StoreError::BadRequest(format!(
            "数据库中的个人信息（身份证号、电话、姓名）已加密存储，但未找到密钥，无法启动。请通过{}提供密钥（密钥应与数据库分开保管）。",
            where_()
        ))),
        (Some(check), Some(keys)) => {
            if open_sealed(keys, CHECK_AAD, &check).as_deref() == Some(CHECK_TEXT) {
                Ok(())
            } else {
                Err(StoreError::BadRequest(format!(
                    "密钥与数据库不符：{}中没有数据库所用的密钥（{}），无法解密个人信息，无法启动。",
                    where_(),
                    sealed_key_id(&check).unwrap_or("?")
                )))
            }
        }
        (None, Some(keys)) => {
            let Some(k) = keys.last() else { return Ok(()) };
            let sealed = k.seal(&random(), &random(), CHECK_AAD, CHECK_TEXT);
            conn.exec(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[P::T(CHECK_KEY.into()), P::T(sealed)],
            )
            .await?;
            Ok(())
        }
        (None, None) => Ok(()),
    }
}

/// What [`Store::rotate_key`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rotation {
    /// Records whose values were (re-)encrypted.
    pub records: u64,
    /// Events whose values were re-encrypted.
    pub events: u64,
    /// Users' secrets (TOTP keys) re-encrypted.
    pub secrets: u64,
    /// The key now in use.
    pub key_id: String,
}

/// Rows re-encrypted per transaction.
const ROTATE_BATCH: i64 = 500;

impl Store {
    /// The store's field keys.
    pub fn keys(&self) -> &Arc<Keys> {
        &self.keys
    }

    /// Re-encrypts every encrypted value — records and events, and values
    /// still in plaintext — under the last of `keys` (all of `keys` open),
    /// in transactions of 500 rows that hold the writer's lock. The event
    /// hashes do not change (the chain covers the commitment). Idempotent:
    /// a value already under the new key is left alone, so an interrupted
    /// rotation is finished by running it again with the same keys; until
    /// then every value is under one of them. Writes a `crypt.rotate` event.
    pub async fn rotate_key(&self, keys: Vec<FieldKey>) -> Result<Rotation, StoreError> {
        self.rotate_key_in(keys, ROTATE_BATCH).await
    }

    /// [`Store::rotate_key`] with `batch` rows per transaction.
    pub async fn rotate_key_in(&self, keys: Vec<FieldKey>, batch: i64) -> Result<Rotation, StoreError> {
        let batch = batch.max(1);
        let new = keys
            .last()
            .cloned()
            .ok_or_else(|| StoreError::BadRequest("没有新密钥".into()))?;
        self.keys.set(keys.clone());
        let mut out = Rotation {
            key_id: new.id.clone(),
            ..Rotation::default()
        };
        let mut last = 0i64;
        loop {
            let (n, next) = self.rotate_records(&keys, &new, last, batch).await?;
            out.records += n;
            match next {
                Some(id) => last = id,
                None => break,
            }
        }
        let mut last = 0i64;
        loop {
            let (n, next) = self.rotate_events(&keys, &new, last, batch).await?;
            out.events += n;
            match next {
                Some(seq) => last = seq,
                None => break,
            }
        }
        // The check value last: until here the old key still opens it.
        let mut c = self.pool.acquire().await?;
        let mut conn = c.conn();
        begin_locked(&mut conn).await?;
        let r = rotate_secrets(&mut conn, &keys, &new).await;
        out.secrets = end(&mut conn, r).await?;
        begin_locked(&mut conn).await?;
        let r = async {
            conn.exec("DELETE FROM meta WHERE key = $1", &[P::T(CHECK_KEY.into())])
                .await?;
            conn.exec(
                "INSERT INTO meta (key, value) VALUES ($1, $2)",
                &[
                    P::T(CHECK_KEY.into()),
                    P::T(new.seal(&random(), &random(), CHECK_AAD, CHECK_TEXT)),
                ],
            )
            .await
        }
        .await;
        end(&mut conn, r).await?;
        // The old ciphertexts stay in free pages and the WAL (SQLite) or in dead
        // row versions (PostgreSQL) until overwritten: rewrite the file / reclaim them.
        match conn.dialect() {
            Dialect::Sqlite => {
                conn.script("PRAGMA wal_checkpoint(TRUNCATE)").await?;
                conn.script("VACUUM").await?;
                conn.script("PRAGMA wal_checkpoint(TRUNCATE)").await?;
            }
            Dialect::Postgres => conn.script("VACUUM records, events, meta, users").await?,
        }
        drop(c);
        self.audit_event(
            &Store::system_access(),
            "crypt.rotate",
            "crypt",
            None,
            serde_json::json!({"key": new.id, "records": out.records, "events": out.events, "secrets": out.secrets, "result": "ok"}),
        )
        .await?;
        Ok(out)
    }

    /// One batch of records after id `after`: (rows changed, last id or `None` at the end).
    async fn rotate_records(
        &self,
        keys: &[FieldKey],
        new: &FieldKey,
        after: i64,
        batch: i64,
    ) -> Result<(u64, Option<i64>), StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut conn = c.conn();
        begin_locked(&mut conn).await?;
        let r = rotate_records(&mut conn, &self.pack, keys, new, after, batch).await;
        end(&mut conn, r).await
    }

    /// One batch of events after seq `after` that hold sealed values.
    async fn rotate_events(
        &self,
        keys: &[FieldKey],
        new: &FieldKey,
        after: i64,
        batch: i64,
    ) -> Result<(u64, Option<i64>), StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut conn = c.conn();
        begin_locked(&mut conn).await?;
        let r = rotate_events(&mut conn, keys, new, after, batch).await;
        end(&mut conn, r).await
    }
}

/// Begins a transaction holding the writer's lock (as the writer takes it).
async fn begin_locked(conn: &mut Conn<'_>) -> Result<(), StoreError> {
    match conn.dialect() {
        Dialect::Sqlite => conn.script("BEGIN IMMEDIATE").await,
        Dialect::Postgres => {
            conn.script("BEGIN").await?;
            conn.script("SELECT pg_advisory_xact_lock(7011442)").await
        }
    }
}

/// Commits after `r` succeeded, else rolls back.
async fn end<T>(conn: &mut Conn<'_>, r: Result<T, StoreError>) -> Result<T, StoreError> {
    match r {
        Ok(v) => {
            conn.script("COMMIT").await?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.script("ROLLBACK").await;
            Err(e)
        }
    }
}

async fn rotate_records(
    conn: &mut Conn<'_>,
    pack: &Pack,
    keys: &[FieldKey],
    new: &FieldKey,
    after: i64,
    batch: i64,
) -> Result<(u64, Option<i64>), StoreError> {
    let rows = conn
        .rows(
            &format!("SELECT id, ledger, fields FROM records WHERE id > $1 ORDER BY id LIMIT {batch}"),
            &[P::I(after)],
        )
        .await?;
    let last = rows.last().map(|r| r.i(0));
    let only_new = Keys::new(vec![new.clone()]);
    let mut n = 0;
    for r in &rows {
        let Some(kind) = pack.ledger(&r.t(1)) else { continue };
        if !kind.fields.iter().any(|f| f.encrypt) {
            continue;
        }
        let mut fields: Map<String, Value> = serde_json::from_str(&r.t(2)).unwrap_or_default();
        let mut plain = fields.clone();
        let mut changed = false;
        for f in kind.fields.iter().filter(|f| f.encrypt) {
            let Some(Value::String(s)) = fields.get_mut(&f.key) else {
                continue;
            };
            let a = aad(&kind.key, &f.key);
            let pt = match sealed_key_id(s) {
                None => s.clone(),
                Some(_) => open_sealed(keys, &a, s).ok_or_else(|| {
                    StoreError::BadRequest(format!(
                        "记录{}的“{}”无法用现有密钥解密（密钥 {}），轮换已停止，已完成的部分保持可读",
                        r.i(0),
                        f.label,
                        sealed_key_id(s).unwrap_or("?")
                    ))
                })?,
            };
            if sealed_key_id(s) != Some(new.id.as_str()) {
                // Keeps the salt of a sealed value (one commitment per value, as in the events).
                *s = match reseal(keys, new, &random(), &a, s) {
                    Some(x) => x,
                    None => new.seal(&random(), &random(), &a, &pt),
                };
                changed = true;
            }
            plain.insert(f.key.clone(), Value::String(pt));
        }
        if !changed {
            continue;
        }
        let search = format!("{}{}", kind.search_text(&plain), only_new.search_tokens(kind, &plain));
        conn.exec(
            "UPDATE records SET fields = $1, search = $2 WHERE id = $3",
            &[P::T(Value::Object(fields).to_string()), P::T(search), P::I(r.i(0))],
        )
        .await?;
        n += 1;
    }
    Ok((n, last))
}

async fn rotate_events(
    conn: &mut Conn<'_>,
    keys: &[FieldKey],
    new: &FieldKey,
    after: i64,
    batch: i64,
) -> Result<(u64, Option<i64>), StoreError> {
    let rows = conn
        .rows(
            &format!(
                "SELECT seq, ledger, data FROM events WHERE seq > $1 AND data LIKE '%enc:sm4gcm:%' \
                 ORDER BY seq LIMIT {batch}"
            ),
            &[P::I(after)],
        )
        .await?;
    let last = rows.last().map(|r| r.i(0));
    let mut n = 0;
    for r in &rows {
        let ledger = r.ot(1).unwrap_or_default();
        let mut data: Value = serde_json::from_str(&r.t(2)).unwrap_or(Value::Null);
        let mut failed = None;
        let changed = reseal_tree(&mut data, &ledger, None, keys, new, &mut failed);
        if let Some(f) = failed {
            return Err(StoreError::BadRequest(format!(
                "事件 #{} 中的“{f}”无法用现有密钥解密，轮换已停止，已完成的部分保持可读",
                r.i(0)
            )));
        }
        if changed {
            conn.exec(
                "UPDATE events SET data = $1 WHERE seq = $2",
                &[P::T(data.to_string()), P::I(r.i(0))],
            )
            .await?;
            n += 1;
        }
    }
    Ok((n, last))
}

/// Re-seals every sealed string under `new` (its field: the object key it is under).
fn reseal_tree(
    v: &mut Value,
    ledger: &str,
    field: Option<&str>,
    keys: &[FieldKey],
    new: &FieldKey,
    failed: &mut Option<String>,
) -> bool {
    match v {
        Value::String(s) => match sealed_key_id(s) {
            Some(id) if id != new.id => match reseal(keys, new, &random(), &aad(ledger, field.unwrap_or("")), s) {
                Some(x) => {
                    *s = x;
                    true
                }
                None => {
                    *failed = Some(field.unwrap_or("").to_string());
                    false
                }
            },
            _ => false,
        },
        Value::Object(m) => {
            let mut any = false;
            for (k, x) in m.iter_mut() {
                any |= reseal_tree(x, ledger, Some(k), keys, new, failed);
            }
            any
        }
        Value::Array(a) => {
            let mut any = false;
            for x in a.iter_mut() {
                any |= reseal_tree(x, ledger, field, keys, new, failed);
            }
            any
        }
        _ => false,
    }
}
