//! Test support shared by the end-to-end tests and benchmarks.
//!
//! * [`TestDb`] — a fresh SQLite file or PostgreSQL database, dropped afterwards.
//!   PostgreSQL tests are skipped with a printed reason when no server is
//!   reachable, unless `LVZHI_REQUIRE_PG=1` (CI sets it), which makes them fail.
//! * [`http`] — a minimal HTTP/1.1 client with keep-alive (no extra crates).
//! * [`county`] — a small sample county with one user per role.
//! * [`raw`] — one raw request, plain or over TLS (rustls), and its headers.
//! * [`bombs`] — decompression bombs (xlsx, docx) made small and fast.
//! * [`receiver`] — a local HTTP receiver standing in for a robot webhook.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

pub mod bombs;
pub mod county;
pub mod evidence;
pub mod http;
pub mod raw;
pub mod receiver;

use sqlx::Connection;

/// The PostgreSQL server tests use.
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A throw-away database.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    name: String,
}

fn unique() -> String {
    let mut b = [0u8; 6];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    hex::encode(b)
}

/// Whether PostgreSQL tests must run (CI).
pub fn pg_required() -> bool {
    std::env::var("LVZHI_REQUIRE_PG").is_ok_and(|v| v == "1")
}

impl TestDb {
    /// A new SQLite file in the temp dir.
    pub fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("lvzhi-test-{}.db", unique()));
        let p = path.to_string_lossy().into_owned();
        TestDb {
            url: format!("sqlite:{p}"),
            backend: Backend::Sqlite,
            name: p,
        }
    }

    /// A new PostgreSQL database, or None (with a printed reason) when the
    /// server is unreachable and not required.
    pub async fn postgres() -> Option<TestDb> {
        let mut admin = match sqlx::PgConnection::connect(PG_ADMIN_URL).await {
            Ok(c) => c,
            Err(e) => {
                if pg_required() {
                    panic!("LVZHI_REQUIRE_PG=1 but PostgreSQL is not reachable at 127.0.0.1:5432: {e}");
                }
                eprintln!(
                    "skipped: PostgreSQL not reachable at 127.0.0.1:5432 ({e}); set LVZHI_REQUIRE_PG=1 to require it"
                );
                return None;
            }
        };
        let name = format!("lvzhi_t_{}", unique());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        Some(TestDb {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            backend: Backend::Postgres,
            name,
        })
    }

    /// Both backends (PostgreSQL only where reachable).
    pub async fn both() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        if let Some(pg) = TestDb::postgres().await {
            v.push(pg);
        }
        v
    }

    /// Removes the database.
    pub async fn drop_db(self) {
        let _ = std::fs::remove_dir_all(self.files_dir());
        match self.backend {
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm", ".anchor", ".key"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.name));
                }
            }
            Backend::Postgres => {
                lvzhi_store::anchor::remove_default_pg(&self.url);
                if let Ok(mut admin) = sqlx::PgConnection::connect(PG_ADMIN_URL).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    )))
                    .execute(&mut admin)
                    .await;
                }
            }
        }
    }

    /// The attachment directory of this database (beside the SQLite file;
    /// in the temp dir for PostgreSQL).
    pub fn files_dir(&self) -> std::path::PathBuf {
        match self.backend {
            Backend::Sqlite => format!("{}.files", self.name).into(),
            Backend::Postgres => std::env::temp_dir().join(format!("{}.files", self.name)),
        }
    }

    /// The SQLite file path (SQLite only).
    pub fn path(&self) -> &str {
        &self.name
    }
}

/// Opens a store on `db` with the county pack and a fixed clock.
pub async fn open(db: &TestDb) -> lvzhi_store::Store {
    let pack = std::sync::Arc::new(lvzhi_packs::county().unwrap());
    let clock = lvzhi_store::fixed_clock("2026-11-25T02:00:00Z".parse().unwrap());
    let s = lvzhi_store::Store::open(&db.url, pack, clock).await.unwrap();
    s.set_files_dir(db.files_dir());
    s
}

/// Switches off the forced password change at first login in the database at
/// `url` (made by `lvzhi init`), so a test's admin logs in straight away; the
/// forced change has tests of its own.
pub async fn no_forced_change(url: &str) {
    let pack = std::sync::Arc::new(lvzhi_packs::county().unwrap());
    let clock = lvzhi_store::fixed_clock("2026-11-25T02:00:00Z".parse().unwrap());
    let store = lvzhi_store::Store::open(url, pack, clock).await.unwrap();
    let mut policy = store.policy();
    policy.first_login_change = false;
    policy.totp_roles.clear();
    store
        .set_policy(&lvzhi_store::Store::system_access(), &policy)
        .await
        .unwrap();
    // The admin `init` made is already flagged for the change: a test-only
    // shortcut, outside the event log, for the accounts that exist now.
    let mut c = store.pool().acquire().await.unwrap();
    c.conn()
        .exec("UPDATE users SET must_change = $1", &[lvzhi_store::db::P::B(false)])
        .await
        .unwrap();
    drop(c);
    store.close().await;
}

/// The number of events in the store (a test that something was, or was not, written).
pub async fn event_count(store: &lvzhi_store::Store) -> i64 {
    let mut c = store.pool().acquire().await.unwrap();
    c.conn()
        .row("SELECT COUNT(*) FROM events", &[])
        .await
        .unwrap()
        .unwrap()
        .i(0)
}
