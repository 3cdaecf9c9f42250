//! # lvzhi-store — persistence on SQLite and PostgreSQL
//!
//! * [`db`] — the two backends behind one interface (`$n` parameters, portable types).
//! * [`migrate`] — embedded schema migrations, one folder per backend.
//! * [`writer`] — the single writer: every change goes through one task that
//!   batches concurrent requests into one transaction (group commit), writes
//!   each record change together with its event, and extends the hash chain.
//! * [`calendar`] — the working-day calendar: plans loaded by the admin over the embedded ones.
//! * [`notices`] — 站内信: notices written with the changes they report, daily 临期/超期 reminders.
//! * [`records`] — reading records: one record, filtered and paginated lists,
//!   a record's events; every read goes through the user's scope.
//! * [`org`] — divisions, units, people, 分管.
//! * [`auth`] — users, argon2 passwords, sessions and tokens, login lockout.
//! * [`audit`] — verifying the event chain; the audit log in Chinese, filtered.
//! * [`anchor`] — the chain head anchored outside the database (completeness).
//! * [`manage`] — the admin pages' changes: renaming and disabling units, editing people, unlocking users.
//! * [`attachments`] — evidence files of records: content-addressed on disk, evented, verified.
//! * [`templates`] — report templates edited in the UI, every version kept and evented.
//!
//! **Invariants:**
//! * An acknowledged write is durable: the writer replies only after COMMIT
//!   (SQLite WAL with `synchronous=FULL`; PostgreSQL commit).
//! * A record row and its event are written in one transaction; nothing is
//!   deleted (void is a state with a reason).
//! * Scope is enforced here, not in handlers: every read of records takes an
//!   [`Access`] and every write checks it ([`records::scope_sql`] for lists,
//!   [`Access::sees`] for single records).

pub mod aggregate;
pub mod anchor;
pub mod api;
pub mod assess;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bulk;
pub mod calendar;
pub mod co_units;
pub mod crypt;
pub mod db;
pub mod digest;
pub mod error;
pub mod extras;
pub mod manage;
pub mod migrate;
pub mod notices;
mod numbers;
pub mod org;
pub mod outbox;
pub mod prefs;
pub mod records;
pub mod second_factor;
pub mod templates;
pub mod todo;
pub mod transport;
pub mod writer;

pub use error::StoreError;
pub use lvzhi_core::access::{Access, Role};

use db::{Pool, Target};
use jiff::Timestamp;
use lvzhi_core::ledger::Pack;
use std::sync::Arc;

/// The source of "now". Tests pass a fixed clock; the server passes the system clock.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The error for a database that cannot be written (or opened): what and
/// where, and what to check, in Chinese; other errors pass unchanged.
fn unwritable(target: &Target, e: StoreError) -> StoreError {
    let why = match e.class() {
        error::Fault::DiskFull => "磁盘已满".to_string(),
        error::Fault::ReadOnly => "只读或无法打开".to_string(),
        error::Fault::Disconnected | error::Fault::Other => return e,
    };
    let where_ = match target {
        Target::Sqlite(p) => format!("数据库文件“{p}”"),
        Target::Postgres(_) => "PostgreSQL数据库".to_string(),
    };
    let hint = match target {
        Target::Sqlite(_) => "请检查该文件及其所在目录对运行lvzhi的账号可写、文件系统未以只读方式挂载、磁盘未满",
        Target::Postgres(_) => "请确认连接的是主库（不是只读备库）、账号有写权限且未设置 default_transaction_read_only",
    };
    StoreError::Config(format!("{where_}不可写入（{why}）。{hint}。"))
}

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// A fixed clock (for tests and reproducible demos).
pub fn fixed_clock(t: Timestamp) -> Clock {
    Arc::new(move || t)
}

/// A clock that reads `start` now and then runs in real time (the demo's).
pub fn offset_clock(start: Timestamp) -> Clock {
    let real0 = Timestamp::now();
    Arc::new(move || {
        let elapsed = Timestamp::now().duration_since(real0);
        start.checked_add(elapsed).unwrap_or(start)
    })
}

pub(crate) fn now_stamp() -> String {
    lvzhi_core::time::stamp(Timestamp::now())
}

/// A handle on an open database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    pub(crate) pack: Arc<Pack>,
    pub(crate) writer: writer::Handle,
    /// Where the chain head is anchored outside the database.
    pub(crate) anchor: Arc<anchor::Anchor>,
    pub(crate) clock: Clock,
    target: Target,
    /// Rows examined by a list's first and last ordered windows (see `records::list_segment`).
    pub(crate) list_windows: (i64, i64),
    /// The working-day calendar as readers use it (see [`calendar`]).
    pub(crate) calendar: calendar::Cached,
    /// The identification and authentication policy (see [`auth::Policy`]), cached from `meta`.
    pub(crate) policy: Arc<std::sync::RwLock<auth::Policy>>,
    /// The field keys (see [`crypt`]).
    pub(crate) keys: Arc<crypt::Keys>,
    /// The attachment store: a directory or a bucket ([`attachments`]).
    pub(crate) files: Arc<std::sync::RwLock<lvzhi_files::FileStore>>,
}

impl Store {
    /// Opens (creating if needed) the database at `url`, applies migrations and
    /// starts the writer.
    ///
    /// The field keys come from `LVZHI_KEY`, `LVZHI_KEY_FILE` or the file
    /// beside a SQLite database ([`crypt::KeySource::Default`]); a database
    /// whose personal fields are encrypted is refused without its key.
    pub async fn open(url: &str, pack: Arc<Pack>, clock: Clock) -> Result<Store, StoreError> {
        Store::open_keyed(url, pack, clock, crypt::KeySource::Default).await
    }

    /// [`Store::open`] with the field keys from `keys`.
    pub async fn open_keyed(
        url: &str,
        pack: Arc<Pack>,
        clock: Clock,
        keys: crypt::KeySource,
    ) -> Result<Store, StoreError> {
        let target = db::parse_url(url)?;
        // The attachment store first: a bucket that cannot be reached is a
        // clear refusal at startup, not an error on every upload.
        let files = attachments::configured_files(&target)?;
        attachments::check_files(&files).await?;
        let ring = crypt::load(&keys, &target)?;
        let mut owned = target.connect_creating().await.map_err(|e| unwritable(&target, e))?;
        migrate::run(&mut owned.conn())
            .await
            .map_err(|e| unwritable(&target, e))?;
        crypt::check(&mut owned.conn(), ring.as_deref(), &keys, &target).await?;
        if let Some(ring) = ring.as_deref() {
            // Secrets kept in plaintext before (TOTP keys) are sealed on the first start with a key.
            let n = crypt::seal_plain_secrets(&mut owned.conn(), ring).await?;
            if n > 0 {
                tracing::info!("sealed {n} plaintext secrets (TOTP keys) under the field key");
            }
        }
        let keys = Arc::new(crypt::Keys::new(ring.unwrap_or_default()));
        let cal = calendar::Cached::new(calendar::load(&mut owned.conn()).await?);
        let pool = target.pool(8).await.map_err(|e| unwritable(&target, e))?;
        let anchor = Arc::new(anchor::Anchor::new(anchor::default_path(&target)));
        let writer = writer::spawn(
            owned,
            target.clone(),
            pack.clone(),
            clock.clone(),
            anchor.clone(),
            keys.clone(),
        );
        let list_windows = records::list_windows(pool.dialect());
        let files = Arc::new(std::sync::RwLock::new(files));
        let store = Store {
            calendar: cal,
            list_windows,
            pool,
            pack,
            writer,
            clock,
            target,
            policy: Arc::default(),
            anchor,
            keys,
            files,
        };
        store.load_policy().await?;
        Ok(store)
    }

    /// Sets the sizes of the first and last ordered windows a record list
    /// walks before it sorts through the filters' indexes (default 2,000 and
    /// 32,000 on SQLite, 8,000 on PostgreSQL). Tests shrink them to walk every path on a few records.
    pub fn set_list_windows(&mut self, first: i64, last: i64) {
        self.list_windows = (first.max(1), last.max(first.max(1)));
    }

    /// The pack the store validates against.
    pub fn pack(&self) -> &Arc<Pack> {
        &self.pack
    }

    /// Now, by the store's clock.
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Today in Asia/Shanghai, by the store's clock.
    pub fn today(&self) -> jiff::civil::Date {
        lvzhi_core::time::local_date(self.now())
    }

    /// The database target (for backup and diagnostics).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Checks, on a connection of its own, that the database takes writes (a
    /// row written and rolled back). `serve` calls it before it listens: a
    /// read-only file, directory or file system, or a read-only PostgreSQL
    /// (standby, `default_transaction_read_only`), is refused with a message
    /// saying what to fix, instead of a server whose every save fails.
    pub async fn check_writable(&self) -> Result<(), StoreError> {
        let probe = async {
            let mut owned = self.target.connect().await?;
            let mut c = owned.conn();
            c.script(match c.dialect() {
                db::Dialect::Sqlite => "BEGIN IMMEDIATE",
                db::Dialect::Postgres => "BEGIN",
            })
            .await?;
            let r = c
                .exec(
                    "INSERT INTO meta (key, value) VALUES ($1, $2)",
                    &[db::P::T("write_probe".into()), db::P::T(now_stamp())],
                )
                .await;
            let _ = c.script("ROLLBACK").await;
            r.map(|_| ())
        };
        probe.await.map_err(|e| unwritable(&self.target, e))
    }

    /// Whether writes currently reach the database (for `/healthz`).
    pub fn write_health(&self) -> writer::WriteHealth {
        self.writer.health()
    }

    /// The pool of readers.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Stops the writer after the requests already queued and closes the pool.
    pub async fn close(&self) {
        self.writer.shutdown().await;
        self.pool.close().await;
    }

    /// A value from the `meta` table.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut c = self.pool.acquire().await?;
        Ok(c.conn()
            .row("SELECT value FROM meta WHERE key = $1", &[db::P::T(key.into())])
            .await?
            .map(|r| r.t(0)))
    }

    /// The access of the system itself (CLI set-up, demo generation): admin, county-wide.
    pub fn system_access() -> Access {
        Access {
            user_id: 0,
            username: "system".into(),
            role: Role::Admin,
            unit: None,
            division: None,
            person: None,
            oversees: vec![],
        }
    }
}
