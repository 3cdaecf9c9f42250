//! The demo county (`lvzhi demo`, seed 1) built once per `cargo test` run
//! and copied for each test that needs it.
//!
//! Building the demo county takes a while in a debug build; a dozen test
//! binaries need it. The first one to ask builds it into a template directory
//! in the temp dir named after the `cargo` process running the tests (its pid
//! and start time) and the pack's files; every test — in that binary and the
//! binaries after it — gets a copy of the SQLite file and the files beside it
//! (`.anchor`, `.key`, the attachment directory) under a fresh name. A file
//! lock makes concurrent builders wait for the first. Run outside `cargo`
//! (no cargo parent), each test builds its own. Templates of `cargo` runs
//! that have ended are removed.

use lvzhi_core::access::Role;
use lvzhi_demo::DemoUser;
use lvzhi_testkit::TestDb;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// A copy of the demo county in a database of its own, and its users.
pub struct DemoDb {
    /// The database (the caller drops it).
    pub db: TestDb,
    /// The demo users and their passwords.
    pub users: Vec<DemoUser>,
}

/// The files beside a SQLite database that belong to it (the template is
/// closed and never written again, so its `-wal` and `-shm` agree).
const SIDE: [&str; 4] = ["-wal", "-shm", ".anchor", ".key"];

/// The `cargo` process this test binary runs under: (pid, start time), when it is one.
fn cargo_run() -> Option<(u32, String)> {
    let ppid = std::os::unix::process::parent_id();
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    if !comm.trim().starts_with("cargo") {
        return None;
    }
    Some((ppid, start_time(ppid)?))
}

/// A process's start time (clock ticks since boot, `/proc/PID/stat` field 22).
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command may hold spaces: fields after its closing parenthesis.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(19).map(str::to_string)
}

/// A fingerprint of the county pack (a changed pack builds a new template).
fn pack_hash() -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    lvzhi_packs::county_files().hash(&mut h);
    h.finish()
}

fn write_users(path: &Path, users: &[DemoUser]) {
    let lines: Vec<String> = users
        .iter()
        .map(|u| {
            [
                u.id.to_string(),
                u.username.clone(),
                u.display_name.clone(),
                u.role.key().to_string(),
                u.unit.clone().unwrap_or_default(),
                u.password.clone(),
            ]
            .join("\t")
        })
        .collect();
    std::fs::write(path, lines.join("\n")).unwrap();
}

fn read_users(path: &Path) -> Vec<DemoUser> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            DemoUser {
                id: f[0].parse().unwrap(),
                username: f[1].into(),
                display_name: f[2].into(),
                role: Role::parse(f[3]).unwrap(),
                unit: Some(f[4].to_string()).filter(|s| !s.is_empty()),
                password: f[5].into(),
            }
        })
        .collect()
}

/// Copies a directory tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// Copies the SQLite database `from` and the files beside it to `to`.
fn copy_db(from: &str, to: &str) {
    std::fs::copy(from, to).unwrap();
    for s in SIDE {
        let f = format!("{from}{s}");
        if Path::new(&f).is_file() {
            std::fs::copy(&f, format!("{to}{s}")).unwrap();
        }
    }
    let files = PathBuf::from(format!("{from}.files"));
    if files.is_dir() {
        copy_dir(&files, Path::new(&format!("{to}.files")));
    }
}

/// Builds the demo county into the database at `url` (closed afterwards); its users.
async fn build_into(url: &str) -> Vec<DemoUser> {
    let pack = std::sync::Arc::new(lvzhi_packs::county().unwrap());
    let store = lvzhi_store::Store::open(url, pack, lvzhi_demo::demo_clock())
        .await
        .unwrap();
    let summary = lvzhi_demo::build(&store, &lvzhi_demo::DemoOptions::default())
        .await
        .unwrap();
    store.close().await;
    summary.users
}

/// Removes the templates of `cargo` runs that have ended.
fn sweep(tmp: &Path, keep: &str) {
    let Ok(dir) = std::fs::read_dir(tmp) else { return };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("lvzhi-demo-tpl-") else {
            continue;
        };
        if name == keep {
            continue;
        }
        let mut parts = rest.split('-');
        let (Some(pid), Some(start)) = (parts.next(), parts.next()) else {
            continue;
        };
        let alive = pid.parse::<u32>().ok().and_then(start_time).is_some_and(|s| s == start);
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// A fresh copy of the demo county (seed 1, on the demo's clock when opened
/// with [`lvzhi_demo::demo_clock`]).
pub async fn demo_db() -> DemoDb {
    let db = TestDb::sqlite();
    let Some((pid, start)) = cargo_run() else {
        let users = build_into(&db.url).await;
        return DemoDb { db, users };
    };
    let tmp = std::env::temp_dir();
    let name = format!("lvzhi-demo-tpl-{pid}-{start}-{:x}", pack_hash());
    sweep(&tmp, &name);
    let dir = tmp.join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("demo.db").to_string_lossy().into_owned();
    let users_file = dir.join("users.tsv");
    let done = dir.join("done");
    // One builder at a time; the others wait on the lock and then copy.
    let lock = std::fs::File::create(dir.join("lock")).unwrap();
    let lock = tokio::task::spawn_blocking(move || {
        lock.lock().unwrap();
        lock
    })
    .await
    .unwrap();
    if !done.exists() {
        let users = build_into(&format!("sqlite:{template}")).await;
        write_users(&users_file, &users);
        std::fs::write(&done, b"").unwrap();
    }
    drop(lock);
    copy_db(&template, db.path());
    DemoDb {
        db,
        users: read_users(&users_file),
    }
}
