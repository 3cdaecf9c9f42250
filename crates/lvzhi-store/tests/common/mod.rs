//! Shared set-up of the store tests: a fresh database per test on each
//! backend, the 肃州区 organisation with one user per role, and helpers.
//!
//! Every test body is written once, as `async fn name(w: World)`, and run on
//! both backends by [`both!`]: `name::sqlite` and `name::postgres`.

#![allow(dead_code)]

use lvzhi_core::ledger::Pack;
use lvzhi_store::auth::NewUser;
use lvzhi_store::db::{Owned, P, Target};
use lvzhi_store::org::{DEPARTMENT, Division, TOWNSHIP};
use lvzhi_store::records::{ListQuery, RecordView};
use lvzhi_store::{Access, Role, Store, StoreError};
use serde_json::{Map, Value, json};
use sqlx::Connection;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// The PostgreSQL server the tests use.
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The PostgreSQL server, without a database.
pub const PG_BASE: &str = "postgres://postgres@127.0.0.1:5432";
/// The password of every test user.
pub const PASSWORD: &str = "Lvzhi#2026ok";
/// "Now" in every test: 2026-11-25 10:00 in Shanghai.
pub const NOW: &str = "2026-11-25T02:00:00Z";
/// 西洞镇.
pub const XD: &str = "620902100";
/// 清水镇.
pub const QS: &str = "620902101";
/// 总寨镇.
pub const ZZ: &str = "620902102";
/// A village of 西洞镇.
pub const XD_VILLAGE: &str = "620902100201";
/// 肃州区.
pub const COUNTY: &str = "620902";

/// Runs each named `async fn(World)` on SQLite and on PostgreSQL, as the
/// tests `<name>::sqlite` and `<name>::postgres`.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::common::run($crate::common::Backend::Sqlite, super::$name).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::common::run($crate::common::Backend::Postgres, super::$name).await;
            }
        }
    )*};
}

/// A backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, a temp file.
    Sqlite,
    /// PostgreSQL at 127.0.0.1:5432.
    Postgres,
}

/// The county pack, parsed once.
pub fn pack() -> Arc<Pack> {
    static PACK: OnceLock<Arc<Pack>> = OnceLock::new();
    PACK.get_or_init(|| Arc::new(lvzhi_packs::county().expect("the county pack loads")))
        .clone()
}

fn random_hex() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// A database made for one test, removed by [`TestDb::remove`].
pub enum TestDb {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database by name.
    Postgres(String),
}

impl TestDb {
    /// A fresh database on `backend`; `None` when PostgreSQL is not reachable
    /// and not required (after saying so on stderr).
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::Sqlite(
                std::env::temp_dir().join(format!("lvzhi_t_{}.db", random_hex())),
            )),
            Backend::Postgres => {
                let mut admin = pg_admin().await?;
                let name = format!("lvzhi_t_{}", random_hex());
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("CREATE DATABASE");
                let _ = admin.close().await;
                Some(TestDb::Postgres(name))
            }
        }
    }

    /// The `--db` URL of the database.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite(p) => format!("sqlite:{}", p.display()),
            TestDb::Postgres(name) => format!("{PG_BASE}/{name}"),
        }
    }

    /// Opens a store on it with the fixed clock.
    pub async fn open(&self) -> Store {
        self.open_at(NOW).await
    }

    /// Opens a store on it with a clock fixed at `now`.
    pub async fn open_at(&self, now: &str) -> Store {
        let clock = lvzhi_store::fixed_clock(now.parse().expect("now parses"));
        let s = Store::open(&self.url(), pack(), clock).await.expect("store opens");
        s.set_files_dir(self.files_dir());
        s
    }

    /// The attachment directory of this test database (in the temp dir).
    pub fn files_dir(&self) -> PathBuf {
        match self {
            TestDb::Sqlite(p) => {
                let mut s = p.clone().into_os_string();
                s.push(".files");
                PathBuf::from(s)
            }
            TestDb::Postgres(name) => std::env::temp_dir().join(format!("{name}.files")),
        }
    }

    /// Removes the database (the SQLite file with its -wal and -shm).
    pub async fn remove(self) {
        let _ = std::fs::remove_dir_all(self.files_dir());
        match self {
            TestDb::Sqlite(p) => {
                for suffix in ["", "-wal", "-shm", ".anchor"] {
                    let mut s = p.clone().into_os_string();
                    s.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(s));
                }
            }
            TestDb::Postgres(name) => {
                lvzhi_store::anchor::remove_default_pg(&format!("{PG_BASE}/{name}"));
                if let Some(mut admin) = pg_admin().await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                    let _ = admin.close().await;
                }
            }
        }
    }
}

/// A connection to the `postgres` database, or `None` (with a note) when the
/// server cannot be reached; panics instead when `LVZHI_REQUIRE_PG=1`.
pub async fn pg_admin() -> Option<sqlx::PgConnection> {
    let connect = sqlx::PgConnection::connect(PG_ADMIN_URL);
    match tokio::time::timeout(std::time::Duration::from_secs(5), connect).await {
        Ok(Ok(c)) => Some(c),
        other => {
            let why = match other {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".to_string(),
            };
            if std::env::var("LVZHI_REQUIRE_PG").as_deref() == Ok("1") {
                panic!("PostgreSQL not reachable at 127.0.0.1:5432 and LVZHI_REQUIRE_PG=1: {why}");
            }
            eprintln!("skipped: PostgreSQL not reachable at 127.0.0.1:5432 (set LVZHI_REQUIRE_PG=1 to require it)");
            None
        }
    }
}

/// Runs `body` on a fresh, set-up database of `backend`, then removes the
/// database — also when the body panics (the panic is passed on).
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(World) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_at(backend, NOW, body).await;
}

/// [`run`] with the store's clock fixed at `now` (RFC 3339).
pub async fn run_at<F, Fut>(backend: Backend, now: &str, body: F)
where
    F: FnOnce(World) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let store = match tokio::time::timeout(std::time::Duration::from_secs(30), db.open_at(now)).await {
        Ok(s) => s,
        Err(_) => {
            db.remove().await;
            panic!("opening the store timed out");
        }
    };
    let s = store.clone();
    let r = tokio::spawn(async move {
        let w = World::setup(s).await;
        body(w).await;
    })
    .await;
    store.close().await;
    db.remove().await;
    if let Err(e) = r {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test task failed: {e}");
    }
}

/// The set-up organisation: units, a leader, one user per role.
#[derive(Clone)]
pub struct World {
    /// The store.
    pub store: Store,
    /// 应急管理局 (部门).
    pub yj: i64,
    /// 西洞镇人民政府 (乡镇 620902100).
    pub xd: i64,
    /// 清水镇人民政府 (乡镇 620902101).
    pub qs: i64,
    /// The leader's person id (分管 应急管理局).
    pub leader_person: i64,
    /// 系统管理员.
    pub admin: Access,
    /// 政府办.
    pub office: Access,
    /// 县级领导, 分管 应急管理局.
    pub leader: Access,
    /// 经办人, 西洞镇.
    pub clerk_xd: Access,
    /// 负责人, 西洞镇.
    pub head_xd: Access,
    /// 经办人, 清水镇.
    pub clerk_qs: Access,
    /// 经办人, 应急管理局.
    pub clerk_yj: Access,
    /// 负责人, 应急管理局.
    pub head_yj: Access,
    /// 审计监督.
    pub auditor: Access,
    /// 测评人.
    pub evaluator: Access,
    /// The number of events the set-up wrote.
    pub setup_events: i64,
}

impl World {
    /// Imports divisions, units, the leader and the users.
    pub async fn setup(store: Store) -> World {
        let sys = Store::system_access();
        let div = |code: &str, name: &str, level: i64, parent: Option<&str>| Division {
            code: code.into(),
            name: name.into(),
            level,
            parent: parent.map(str::to_string),
        };
        store
            .import_divisions(
                &sys,
                &[
                    div(COUNTY, "肃州区", 1, None),
                    div(XD, "西洞镇", 2, Some(COUNTY)),
                    div(QS, "清水镇", 2, Some(COUNTY)),
                    div(ZZ, "总寨镇", 2, Some(COUNTY)),
                    div(XD_VILLAGE, "西洞村", 3, Some(XD)),
                ],
            )
            .await
            .expect("divisions");
        let yj = store
            .add_unit(&sys, "应急管理局", DEPARTMENT, None)
            .await
            .expect("unit");
        let xd = store
            .add_unit(&sys, "西洞镇人民政府", TOWNSHIP, Some(XD))
            .await
            .expect("unit");
        let qs = store
            .add_unit(&sys, "清水镇人民政府", TOWNSHIP, Some(QS))
            .await
            .expect("unit");
        let leader_person = store
            .add_person(&sys, "王建国", "副区长", None, true)
            .await
            .expect("person");
        store
            .set_oversight(&sys, leader_person, &[yj])
            .await
            .expect("oversight");
        let users: [(&str, Role, Option<i64>, Option<i64>); 10] = [
            ("admin", Role::Admin, None, None),
            ("office", Role::Office, None, None),
            ("leader", Role::Leader, None, Some(leader_person)),
            ("clerk_xd", Role::UnitClerk, Some(xd), None),
            ("head_xd", Role::UnitHead, Some(xd), None),
            ("clerk_qs", Role::UnitClerk, Some(qs), None),
            ("clerk_yj", Role::UnitClerk, Some(yj), None),
            ("head_yj", Role::UnitHead, Some(yj), None),
            ("auditor", Role::Auditor, None, None),
            ("evaluator", Role::Evaluator, None, None),
        ];
        let mut accesses = Vec::new();
        for (name, role, unit_id, person_id) in users {
            let id = store
                .add_user(
                    &sys,
                    &NewUser {
                        username: name.into(),
                        display_name: name.into(),
                        password: PASSWORD.into(),
                        role,
                        unit_id,
                        division: None,
                        person_id,
                    },
                )
                .await
                .expect("user");
            accesses.push(store.access_for(id).await.expect("access").0);
        }
        let mut it = accesses.into_iter();
        let mut next = || it.next().expect("ten users");
        let (admin, office, leader, clerk_xd, head_xd) = (next(), next(), next(), next(), next());
        let (clerk_qs, clerk_yj, head_yj, auditor, evaluator) = (next(), next(), next(), next(), next());
        let setup_events = event_count(&store).await;
        World {
            store,
            yj,
            xd,
            qs,
            leader_person,
            admin,
            office,
            leader,
            clerk_xd,
            head_xd,
            clerk_qs,
            clerk_yj,
            head_yj,
            auditor,
            evaluator,
            setup_events,
        }
    }

    /// Every user, with its name.
    pub fn users(&self) -> Vec<(&'static str, &Access)> {
        vec![
            ("admin", &self.admin),
            ("office", &self.office),
            ("leader", &self.leader),
            ("clerk_xd", &self.clerk_xd),
            ("head_xd", &self.head_xd),
            ("clerk_qs", &self.clerk_qs),
            ("clerk_yj", &self.clerk_yj),
            ("head_yj", &self.head_yj),
            ("auditor", &self.auditor),
            ("evaluator", &self.evaluator),
        ]
    }

    /// The record's version (read as admin) and the number of events: what
    /// must not change when a write is refused.
    pub async fn snapshot(&self, id: i64) -> (i64, i64) {
        let r = self.store.record(&self.admin, id).await.expect("record");
        (r.row.version, event_count(&self.store).await)
    }
}

/// The number of events in the log.
pub async fn event_count(store: &Store) -> i64 {
    let mut c = store.pool().acquire().await.expect("acquire");
    c.conn()
        .row("SELECT COUNT(*) FROM events", &[])
        .await
        .expect("count")
        .map(|r| r.i(0))
        .unwrap_or(-1)
}

/// The number of records (voided included).
pub async fn record_count(store: &Store) -> i64 {
    let mut c = store.pool().acquire().await.expect("acquire");
    c.conn()
        .row("SELECT COUNT(*) FROM records", &[])
        .await
        .expect("count")
        .map(|r| r.i(0))
        .unwrap_or(-1)
}

/// A separate connection to the store's database (for tampering and schema checks).
pub async fn raw(store: &Store) -> Owned {
    store.target().connect().await.expect("raw connection")
}

/// Runs one statement on a separate connection.
pub async fn raw_exec(store: &Store, sql: &str, params: &[P]) -> u64 {
    let mut o = raw(store).await;
    o.conn().exec(sql, params).await.expect("raw exec")
}

/// Whether the store is on PostgreSQL.
pub fn is_pg(store: &Store) -> bool {
    matches!(store.target(), Target::Postgres(_))
}

/// A JSON object as a field map.
pub fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// Valid hazard fields in `township`, with an optional responsible unit.
pub fn hazard(township: &str, unit: Option<i64>) -> Map<String, Value> {
    map(json!({
        "description": "配电箱未可靠接地，存在触电风险",
        "company": "酒泉市西洞化工有限公司",
        "industry": "危险化学品",
        "grade": "重大",
        "township": township,
        "found_on": "2026-11-20",
        "responsible_unit": unit,
        "contact_phone": "13912345678",
    }))
}

/// Every page of a list, following the cursor.
pub async fn list_all(store: &Store, a: &Access, q: &ListQuery) -> Vec<RecordView> {
    let mut out = Vec::new();
    let mut q = q.clone();
    for _ in 0..10_000 {
        let page = store.list(a, "hazard", &q).await.expect("list");
        out.extend(page.items);
        match page.next {
            Some(n) => q.cursor = Some(n),
            None => return out,
        }
    }
    panic!("list did not end");
}

/// The ids of a list's items.
pub fn ids(items: &[RecordView]) -> Vec<i64> {
    items.iter().map(|v| v.row.id).collect()
}

/// The field keys named by a validation error, or a panic naming the error.
pub fn invalid_fields(r: Result<impl std::fmt::Debug, StoreError>) -> Vec<String> {
    match r {
        Err(StoreError::Invalid(errs)) => errs.into_iter().map(|e| e.field).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// The field labels named by a validation error.
pub fn invalid_labels(r: Result<impl std::fmt::Debug, StoreError>) -> Vec<String> {
    match r {
        Err(StoreError::Invalid(errs)) => errs.into_iter().map(|e| e.label).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// Asserts a result is the given error variant (by HTTP status) and returns its message.
#[track_caller]
pub fn expect_status<T: std::fmt::Debug>(r: Result<T, StoreError>, status: u16) -> String {
    match r {
        Err(e) if e.status() == status => e.to_string(),
        other => panic!("expected status {status}, got {other:?}"),
    }
}

/// A 信访 case about `subject`, registered, 受理 and 交办 by the office to
/// 应急管理局: two notices (its clerk and head); its id.
pub async fn petition_assigned_to_yj(s: &Store, w: &World, subject: &str) -> i64 {
    let fields = map(json!({
        "subject": subject, "petitioner": "张三", "persons": 1, "form": "来访",
        "visit_type": "初访", "category": "劳动社保", "content": "反映某工地拖欠工资",
        "registered_on": "2026-11-20", "township": XD,
    }));
    let r = s.create(&w.office, "petition", fields).await.unwrap();
    let r = s
        .transition(
            &w.office,
            r.id,
            r.version,
            "受理",
            map(json!({"received_on": "2026-11-20"})),
            None,
        )
        .await
        .unwrap();
    s.transition(&w.office, r.id, r.version, "交办", map(json!({"unit": w.yj})), None)
        .await
        .unwrap();
    r.id
}

/// `%XX`-decodes a query value (钉钉's `sign`).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
