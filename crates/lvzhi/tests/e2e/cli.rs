//! The binary: init, users, audit verify (with tampering), backup and restore, help and exit codes.

use assert_cmd::Command;
use lvzhi_testkit::TestDb;
use sqlx::Connection;

fn lvzhi() -> Command {
    Command::cargo_bin("lvzhi").unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = lvzhi().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        vec!["--help"],
        vec!["init", "--help"],
        vec!["serve", "--help"],
        vec!["user", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "passwd", "--help"],
        vec!["user", "list", "--help"],
        vec!["user", "disable", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["demo", "--help"],
        vec!["indicators", "--help"],
        vec!["warnings", "--help"],
        vec!["report", "--help"],
        vec!["import", "--help"],
        vec!["export", "--help"],
    ] {
        let (code, out, _) = run(&sub);
        assert_eq!(code, 0, "{sub:?}");
        assert!(out.contains("Usage"), "{sub:?}: {out}");
    }
    assert_eq!(run(&["nonsense"]).0, 2);
    assert_eq!(run(&["init", "--bogus"]).0, 2);
}

#[test]
fn init_users_audit_and_tampering() {
    let db = TestDb::sqlite();
    let url = db.url.clone();
    let (code, out, err) = run(&["init", "--db", &url, "--admin-password", "Secret#county-1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("肃州区") && out.contains("admin / Secret#county-1"),
        "{out}"
    );
    // 三员分立: init makes the three administrators and prints their logins once.
    for login in [
        "系统管理员 / administrator login: admin / ",
        "安全管理员 / administrator login: secadmin / ",
        "审计管理员 / administrator login: auditadmin / ",
    ] {
        assert!(out.contains(login), "{login} not in {out}");
    }
    let (code, _, err) = run(&["init", "--db", &url]);
    assert_eq!(code, 2, "second init refused: {err}");
    let (code, out, err) = run(&[
        "user",
        "add",
        "--db",
        &url,
        "auditor1",
        "--role",
        "auditor",
        "--password",
        "Audit#county-2",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = run(&["user", "add", "--db", &url, "x", "--role", "king"]);
    assert_eq!(code, 2);
    assert!(err.contains("角色"), "{err}");
    let (code, _, err) = run(&["user", "add", "--db", &url, "c1", "--role", "unit_clerk"]);
    assert_eq!(code, 2, "a clerk needs a unit: {err}");
    let (_, out, _) = run(&["user", "list", "--db", &url]);
    assert!(out.contains("admin") && out.contains("auditor1"), "{out}");
    assert_eq!(run(&["user", "disable", "--db", &url, "auditor1"]).0, 0);
    assert!(run(&["user", "list", "--db", &url]).1.contains("已停用"));
    assert_eq!(
        run(&[
            "user",
            "passwd",
            "--db",
            &url,
            "admin",
            "--password",
            "Another#county-3"
        ])
        .0,
        0
    );
    let (code, out, _) = run(&["audit", "verify", "--db", &url]);
    assert_eq!(code, 0);
    let n: i64 = out
        .trim()
        .strip_prefix("ok: ")
        .and_then(|s| s.strip_suffix(" events"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 5, "{out}");
    // Edit the database directly: the chain names the event.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE events SET actor_name = 'mallory' WHERE seq = 3")
            .execute(&mut c)
            .await
            .unwrap();
    });
    let (code, out, _) = run(&["audit", "verify", "--db", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("#3"), "{out}");
    let (code, _, err) = run(&["audit", "verify", "--db", "mysql://nope"]);
    assert_eq!(code, 2, "{err}");
    rt.block_on(db.drop_db());
}

#[test]
fn backup_and_restore() {
    let db = TestDb::sqlite();
    let url = db.url.clone();
    assert_eq!(run(&["init", "--db", &url, "--admin-password", "Secret#county-1"]).0, 0);
    let backup = std::env::temp_dir().join(format!("lvzhi-backup-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&backup);
    let b = backup.to_string_lossy().into_owned();
    let (code, out, err) = run(&["backup", "--db", &url, &b]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(run(&["backup", "--db", &url, &b]).0, 2, "never overwrites");
    // Change the live database, then restore the backup: the change is gone.
    assert_eq!(
        run(&[
            "user",
            "add",
            "--db",
            &url,
            "later",
            "--role",
            "auditor",
            "--password",
            "Quiet#county-4"
        ])
        .0,
        0
    );
    let (code, out, err) = run(&["restore", "--db", &url, &b]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!run(&["user", "list", "--db", &url]).1.contains("later"));
    assert_eq!(run(&["audit", "verify", "--db", &url]).0, 0);
    // A corrupt backup is refused and the database is untouched.
    std::fs::write(&backup, b"not a database").unwrap();
    let (code, _, err) = run(&["restore", "--db", &url, &b]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(run(&["audit", "verify", "--db", &url]).0, 0);
    let _ = std::fs::remove_file(&backup);
    tokio::runtime::Runtime::new().unwrap().block_on(db.drop_db());
}

/// The seq of the last line of an anchor file (`seq hash` per line).
fn last_anchored(path: &str) -> i64 {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .last()
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .parse()
        .unwrap()
}

/// `audit verify --anchor`: the anchor file beside the database reports
/// truncation (`delete from events where seq > N`) and the restore of an
/// older backup over newer work, naming the last anchored event missing
/// (exit 1); the chain alone still says ok.
#[test]
fn audit_verify_anchor_truncation_and_rollback() {
    let db = TestDb::sqlite();
    let url = db.url.clone();
    let anchor = format!("{}.anchor", url.trim_start_matches("sqlite:"));
    assert_eq!(run(&["init", "--db", &url, "--admin-password", "Secret#county-1"]).0, 0);
    let add = |name: &str| {
        let (code, out, err) = run(&[
            "user",
            "add",
            "--db",
            &url,
            name,
            "--role",
            "auditor",
            "--password",
            "Audit#county-2",
        ]);
        assert_eq!(code, 0, "{out}{err}");
    };
    add("auditor1");
    add("auditor2");
    let (code, out, _) = run(&["audit", "verify", "--db", &url, "--anchor", &anchor]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("锚定校验通过"), "{out}");
    let last = last_anchored(&anchor);

    // Truncation.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM events WHERE seq > {}",
            last - 2
        )))
        .execute(&mut c)
        .await
        .unwrap();
    });
    assert_eq!(
        run(&["audit", "verify", "--db", &url]).0,
        0,
        "the chain alone cannot tell"
    );
    let (code, out, _) = run(&["audit", "verify", "--db", &url, "--anchor", &anchor]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("截断") && out.contains(&format!("#{last}")), "{out}");

    // Rollback: a fresh database, a backup, newer work, the backup restored.
    let db2 = TestDb::sqlite();
    let url2 = db2.url.clone();
    let anchor2 = format!("{}.anchor", url2.trim_start_matches("sqlite:"));
    assert_eq!(
        run(&["init", "--db", &url2, "--admin-password", "Secret#county-1"]).0,
        0
    );
    let backup = std::env::temp_dir().join(format!("lvzhi-anchor-backup-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&backup);
    let b = backup.to_string_lossy().into_owned();
    assert_eq!(run(&["backup", "--db", &url2, &b]).0, 0);
    let (code, _, err) = run(&[
        "user",
        "add",
        "--db",
        &url2,
        "newer",
        "--role",
        "auditor",
        "--password",
        "Audit#county-2",
    ]);
    assert_eq!(code, 0, "{err}");
    let newest = last_anchored(&anchor2);
    assert_eq!(run(&["restore", "--db", &url2, &b]).0, 0);
    assert_eq!(run(&["audit", "verify", "--db", &url2]).0, 0);
    let (code, out, _) = run(&["audit", "verify", "--db", &url2, "--anchor", &anchor2]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("回滚") && out.contains(&format!("#{newest}")), "{out}");
    assert!(out.contains("恢复操作已记为事件"), "the restore is recorded: {out}");
    let _ = std::fs::remove_file(&backup);
    let _ = std::fs::remove_file(&anchor);
    let _ = std::fs::remove_file(&anchor2);
    rt.block_on(db.drop_db());
    rt.block_on(db2.drop_db());
}

/// `init` on a PostgreSQL database that does not exist creates it where the
/// role may; where it may not, says in Chinese what to run, without the
/// server's source line ("at line 948").
#[test]
fn missing_postgres_database_is_created_or_explained() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Only to learn whether PostgreSQL is here (and skip with a reason if not).
    let Some(probe) = rt.block_on(TestDb::postgres()) else {
        return;
    };
    rt.block_on(probe.drop_db());
    let tag = std::process::id();
    let name = format!("lvzhi_t_missing_{tag}");
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let (code, out, err) = run(&["init", "--db", &url, "--admin-password", "Missing#county-1"]);
    let drop = |sql: String| {
        rt.block_on(async {
            let mut admin = sqlx::PgConnection::connect(lvzhi_testkit::PG_ADMIN_URL).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.unwrap();
        })
    };
    drop(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    assert_eq!(code, 0, "the database is created: {out}{err}");
    // A role that may not create databases.
    let role = format!("lvzhi_nocreate_{tag}");
    drop(format!("DROP ROLE IF EXISTS {role}"));
    drop(format!("CREATE ROLE {role} LOGIN NOCREATEDB"));
    let url = format!("postgres://{role}@127.0.0.1:5432/{name}");
    let (code, _, err) = run(&["init", "--db", &url, "--admin-password", "Missing#county-1"]);
    drop(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    drop(format!("DROP ROLE IF EXISTS {role}"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("数据库“{name}”不存在")) && err.contains(&format!("createdb -O {role} {name}")),
        "{err}"
    );
    assert!(!err.contains(" at line "), "{err}");
}

#[test]
fn calendar_show_and_load() {
    let db = TestDb::sqlite();
    let url = db.url.clone();
    // The embedded 2026 plan, as the notice has it.
    let (code, out, err) = run(&["calendar", "show", "--db", &url, "2026"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2026年节假日安排（系统内置）"), "{out}");
    assert!(
        out.contains("国庆节：2026年10月1日至2026年10月7日放假，共7天；2026年9月20日、2026年10月10日上班"),
        "{out}"
    );
    // A year not yet loaded: a clear message, exit code of a missing thing.
    let (code, _, err) = run(&["calendar", "show", "--db", &url, "2028"]);
    assert_ne!(code, 0);
    assert!(err.contains("2028年的节假日安排尚未录入"), "{err}");
    // The admin loads 2028 from a file in the format `show --toml` prints.
    let (code, toml, _) = run(&["calendar", "show", "--db", &url, "2026", "--toml"]);
    assert_eq!(code, 0);
    let file = std::env::temp_dir().join(format!("lvzhi_cal_{}.toml", std::process::id()));
    let plan = toml
        .replace("year = 2026", "year = 2028")
        .replace("2026-", "2028-")
        .replace("\"2028-01-04\"", "\"2028-01-08\"");
    // 2028-01-08 is a Saturday; every other 2026 make-up day shifted to 2028 may not be.
    let plan: String = plan
        .lines()
        .map(|l| match l.find(", workdays") {
            Some(i) if !l.contains("2028-01-08") => format!("{} }},", &l[..i]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&file, &plan).unwrap();
    let (code, out, err) = run(&["calendar", "load", "--db", &url, file.to_str().unwrap()]);
    assert_eq!(code, 0, "{plan}\n{out}{err}");
    assert!(out.contains("已录入节假日安排：2028年"), "{out}");
    let (code, out, _) = run(&["calendar", "show", "--db", &url, "2028"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("（管理员录入）") && out.contains("2028年1月8日上班"),
        "{out}"
    );
    // A bad file changes nothing and says why.
    std::fs::write(&file, plan.replace("2028-01-08", "2028-01-10")).unwrap();
    let (code, _, err) = run(&["calendar", "load", "--db", &url, file.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("不是周六或周日"), "{err}");
    let _ = std::fs::remove_file(&file);
    tokio::runtime::Runtime::new().unwrap().block_on(db.drop_db());
}

#[test]
fn ledgers_by_chinese_name_or_key() {
    let db = TestDb::sqlite();
    let url = db.url.clone();
    let (code, out, err) = run(&["init", "--db", &url, "--admin-password", "Secret#county-1"]);
    assert_eq!(code, 0, "{out}{err}");
    let dir = std::env::temp_dir().join(format!("lvzhi-cli-ledger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let by_key = dir.join("key.csv");
    let by_name = dir.join("name.csv");
    let (code, _, err) = run(&[
        "export",
        "--db",
        &url,
        "--ledger",
        "hazard",
        "-o",
        by_key.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&[
        "export",
        "--db",
        &url,
        "--ledger",
        "安全生产隐患",
        "-o",
        by_name.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let header = std::fs::read(&by_key).unwrap();
    assert!(!header.is_empty());
    assert_eq!(header, std::fs::read(&by_name).unwrap(), "the same ledger either way");
    // Unknown: a Chinese error listing the valid names, for export and import.
    for sub in ["export", "import"] {
        let mut args = vec![sub, "--db", &url, "--ledger", "安全隐患台账"];
        let out_path = dir.join("x.csv");
        let out_path = out_path.to_str().unwrap();
        if sub == "export" {
            args.extend(["-o", out_path]);
        } else {
            std::fs::write(out_path, "a,b\n1,2\n").unwrap();
            args.push(out_path);
        }
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{sub}: {err}");
        assert!(err.contains("台账“安全隐患台账”不存在"), "{sub}: {err}");
        assert!(
            err.contains("安全生产隐患（hazard）") && err.contains("信访件（petition）"),
            "{sub}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
