//! 等保 at the binary (issue 18): a database from before 三员分立 upgraded in
//! place, and `lvzhi serve --tls-cert --tls-key` as an operator runs it.

use assert_cmd::Command;
use lvzhi_store::auth::Policy;
use lvzhi_store::db::parse_url;
use lvzhi_store::{Role, Store};
use lvzhi_testkit::TestDb;
use lvzhi_testkit::raw::{header, http, https};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("lvzhi").unwrap().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The password printed for `login` in lines `… login: <login> / <password>`.
fn printed_password(out: &str, login: &str) -> String {
    out.lines()
        .find_map(|l| {
            l.split_once(&format!("login: {login} / "))
                .map(|(_, pw)| pw.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no password for {login} in {out}"))
}

const OLD_ADMIN_PW: &str = "admin123";
const OLD_AUDITOR_PW: &str = "auditor2pw";

/// A database as the binary left it before the security migrations (0016
/// on): one all-powerful `admin` with a password that passed the old rule
/// (length ≥ 8 only) and an `auditor2` (审计监督) the admin had made.
async fn old_database(db: &TestDb) {
    let mut owned = parse_url(&db.url).unwrap().connect_creating().await.unwrap();
    let mut c = owned.conn();
    lvzhi_store::migrate::run_to(&mut c, 12).await.unwrap();
    let now = "2026-06-01T02:00:00.000000Z";
    c.exec("INSERT INTO meta (key, value) VALUES ('initialized', '620902')", &[])
        .await
        .unwrap();
    for (name, display, pw, role) in [
        ("admin", "管理员", OLD_ADMIN_PW, "admin"),
        ("auditor2", "审计二", OLD_AUDITOR_PW, "auditor"),
    ] {
        let hash = lvzhi_store::auth::hash_password(pw).unwrap();
        c.exec(
            "INSERT INTO users (username, display_name, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[
                lvzhi_store::db::P::T(name.into()),
                lvzhi_store::db::P::T(display.into()),
                lvzhi_store::db::P::T(hash),
                lvzhi_store::db::P::T(role.into()),
                lvzhi_store::db::P::T(now.into()),
            ],
        )
        .await
        .unwrap();
    }
}

/// 三员分立 on a database from before it: the old all-powerful `admin`
/// becomes the 系统管理员 (its password, set under the old rule, must be
/// changed at the next login, and it must enrol a second factor); `lvzhi
/// user administrators` (and `serve` at start) creates the 安全管理员 and
/// 审计管理员, printing their one-time passwords once; run again, it creates
/// nothing. After the upgrade the old admin neither reads the audit log nor
/// takes over the auditor's account (the issue's finding); the security
/// administrator resets it, the audit administrator reads the log, which
/// records the two new accounts.
#[test]
fn pre_separation_database_upgraded_in_place() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in rt.block_on(TestDb::both()) {
        rt.block_on(old_database(&db));
        let (code, out, err) = run(&["user", "administrators", "--db", &db.url]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("三员分立") && !out.contains("login: admin "),
            "the old admin is kept, not re-created: {out}"
        );
        let sec_pw = printed_password(&out, "secadmin");
        let aud_pw = printed_password(&out, "auditadmin");
        assert!(out.contains("安全管理员 / administrator login: secadmin"), "{out}");
        assert!(out.contains("审计管理员 / administrator login: auditadmin"), "{out}");
        let (code, out, _) = run(&["user", "administrators", "--db", &db.url]);
        assert_eq!(code, 0);
        assert!(out.contains("三员齐全"), "{out}");
        let (_, list, _) = run(&["user", "list", "--db", &db.url]);
        for (login, role) in [
            ("admin", "系统管理员"),
            ("secadmin", "安全管理员"),
            ("auditadmin", "审计管理员"),
            ("auditor2", "审计监督"),
        ] {
            assert!(
                list.lines()
                    .any(|l| l.contains(&format!("\t{login}\t")) && l.contains(role)),
                "{login} {role} not in {list}"
            );
        }

        rt.block_on(async {
            let store = Store::open(
                &db.url,
                Arc::new(lvzhi_packs::county().unwrap()),
                lvzhi_store::system_clock(),
            )
            .await
            .unwrap();
            // The old admin logs in with the old password: change first, then enrol TOTP.
            let (_, s) = store.login("admin", OLD_ADMIN_PW, "web").await.unwrap();
            assert_eq!(s.access.role, Role::Admin);
            assert!(
                s.must_change.as_deref().is_some_and(|m| m.contains("密码策略启用之前")),
                "{:?}",
                s.must_change
            );
            assert_eq!(s.second_factor.as_deref(), Some("enrol"));
            let admin = s.access.clone();
            // Outside its duty now: the log, and the auditor's account.
            let e = store.audit_lines(&admin, &Default::default()).await.unwrap_err();
            assert_eq!(e.status(), 403, "{e}");
            let e = store
                .set_password(&admin, "auditor2", "Taken#over-1")
                .await
                .unwrap_err();
            assert_eq!(e.status(), 403, "{e}");
            let e = store.set_policy(&admin, &Policy::default()).await.unwrap_err();
            assert_eq!(e.status(), 403, "{e}");
            // The new administrators log in with the printed passwords, each in its duty.
            let (_, sec) = store.login("secadmin", &sec_pw, "web").await.unwrap();
            assert_eq!(sec.access.role, Role::SecAdmin);
            assert!(sec.must_change.is_some(), "a printed password must be changed");
            store
                .set_password(&sec.access, "auditor2", "Reset#audit-9")
                .await
                .unwrap();
            let (_, aud) = store.login("auditadmin", &aud_pw, "web").await.unwrap();
            assert_eq!(aud.access.role, Role::AuditAdmin);
            let lines = store.audit_lines(&aud.access, &Default::default()).await.unwrap();
            let text = format!("{lines:?}");
            assert!(text.contains("secadmin") && text.contains("auditadmin"), "{text}");
            store.close().await;
        });
        let (code, out, err) = run(&["audit", "verify", "--db", &db.url]);
        assert_eq!(code, 0, "{out}{err}");
        rt.block_on(db.drop_db());
    }
}

/// A self-signed certificate for localhost/127.0.0.1 in a fresh directory: (dir, cert, key, DER).
fn self_signed() -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "lvzhi-e2e-tls-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (dir, cert, key, ck.cert.der().to_vec())
}

/// A free local port (bound and released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the server when the test ends, passed or not.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real binary: `lvzhi serve --tls-cert --tls-key --tls-listen` with
/// `--listen` beside it. HTTPS answers with HSTS; the API's login reply
/// (it carries the token) is `no-store`, `nosniff`, its cookie `Secure`;
/// the login page's cookies are `Secure` too; plain HTTP answers only a 308
/// to the same path over HTTPS — the API login included, with no token.
#[test]
fn serve_with_tls_flags_redirects_and_sets_hsts_and_secure_cookies() {
    let db = TestDb::sqlite();
    let (code, out, err) = run(&["init", "--db", &db.url, "--admin-password", "Secret#county-1"]);
    assert_eq!(code, 0, "{out}{err}");
    let (dir, cert, key, der) = self_signed();
    let (tls_port, http_port) = (free_port(), free_port());
    let https_addr: SocketAddr = format!("127.0.0.1:{tls_port}").parse().unwrap();
    let http_addr: SocketAddr = format!("127.0.0.1:{http_port}").parse().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("lvzhi");
    let mut child = std::process::Command::new(bin)
        .args([
            "serve",
            "--db",
            &db.url,
            "--listen",
            &http_addr.to_string(),
            "--tls-listen",
            &https_addr.to_string(),
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    // Wait for the line saying where it serves.
    let started = Instant::now();
    let mut said = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        if line.contains("serving on https://") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{said}");
    }
    assert!(
        said.contains(&format!("https://{https_addr}/")) && said.contains(&format!("http://{http_addr}/ redirects")),
        "{said}"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let body = r#"{"username":"admin","password":"Secret#county-1"}"#;
        let r = https(
            https_addr,
            &der,
            &format!(
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.contains("\"token\""), "{r}");
        assert_eq!(header(&r, "strict-transport-security"), ["max-age=31536000"], "{r}");
        assert_eq!(header(&r, "cache-control"), ["no-store"], "{r}");
        assert_eq!(header(&r, "x-content-type-options"), ["nosniff"], "{r}");
        let cookies = header(&r, "set-cookie");
        assert!(
            !cookies.is_empty() && cookies.iter().all(|c| c.contains("Secure") && c.contains("HttpOnly")),
            "{cookies:?}"
        );

        let r = https(
            https_addr,
            &der,
            "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.contains("登录"), "{r}");
        assert_eq!(header(&r, "strict-transport-security"), ["max-age=31536000"]);
        assert!(header(&r, "set-cookie").iter().all(|c| c.contains("Secure")), "{r}");

        // Plain HTTP: only the redirect, to the same path and query over HTTPS.
        let r = http(
            http_addr,
            &format!("GET /ledgers/hazard?page=2 HTTP/1.1\r\nHost: 127.0.0.1:{http_port}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 308"), "{r}");
        assert_eq!(
            header(&r, "location"),
            [format!("https://127.0.0.1:{tls_port}/ledgers/hazard?page=2").as_str()]
        );
        let r = http(
            http_addr,
            &format!(
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{http_port}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 308"), "{r}");
        assert!(!r.contains("token") && header(&r, "set-cookie").is_empty(), "{r}");
    });
    drop(_server);
    std::fs::remove_dir_all(&dir).unwrap();
    rt.block_on(db.drop_db());
}

/// The source files of the tree (crates/**.rs), as (path from the root, text).
fn sources(root: &std::path::Path) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut stack = vec![root.join("crates")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "target") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out
}

/// The test references of a matrix cell: every backticked `file.rs`,
/// `file.rs::test`, `file.rs::tests::test` or `::test` (the file before it).
fn references(cell: &str) -> Vec<(String, Option<String>)> {
    let mut out = vec![];
    let mut last_file: Option<String> = None;
    for (i, span) in cell.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        let span = span.trim();
        let (file, rest) = match span.find(".rs") {
            Some(at) => (Some(span[..at + 3].to_string()), &span[at + 3..]),
            None if span.starts_with("::") => (last_file.clone(), span),
            None => continue,
        };
        let Some(file) = file else { continue };
        if file.contains(' ') {
            continue;
        }
        last_file = Some(file.clone());
        let name = rest
            .trim_start_matches("::")
            .rsplit("::")
            .next()
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(str::to_string);
        out.push((file, name));
    }
    out
}

/// The compliance matrix (`docs/等保2.0与密评.md`) names only tests that
/// exist: each backticked reference `path.rs::name` (or `::name` after one)
/// resolves to a file of the tree (a bare `store.rs` to the one file of that
/// name that holds the test) defining `fn name`; and every row that is not
/// out of scope names at least one test.
#[test]
fn compliance_matrix_names_tests_that_exist() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/等保2.0与密评.md")).unwrap();
    let files = sources(&root);
    let mut problems = vec![];
    let mut rows = 0;
    let mut checked = 0;
    for line in doc.lines().filter(|l| l.starts_with('|') && !l.starts_with("| ---")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        // The two tables: 条款|要求|how|tests|状态 and 要求|how|tests|状态.
        let (tests, status) = match cells.len() {
            5 => (cells[3], cells[4]),
            4 => (cells[2], cells[3]),
            _ => continue,
        };
        if tests == "证明它的测试" {
            continue;
        }
        rows += 1;
        let refs = references(tests);
        if refs.iter().all(|(_, n)| n.is_none()) && !status.contains("out of scope") {
            problems.push(format!("a row that is not out of scope names no test: {line}"));
        }
        for (file, name) in refs {
            let candidates: Vec<&(String, String)> = files
                .iter()
                .filter(|(p, _)| p.ends_with(&format!("/{file}")) || *p == file)
                .collect();
            if candidates.is_empty() {
                problems.push(format!("no file {file}"));
                continue;
            }
            if let Some(name) = name {
                checked += 1;
                let defined = candidates
                    .iter()
                    .any(|(_, text)| text.contains(&format!("fn {name}(")) || text.contains(&format!("fn {name}<")));
                if !defined {
                    problems.push(format!("{file}::{name}: no such test"));
                }
            }
        }
    }
    assert!(
        rows >= 30 && checked >= 40,
        "the matrix was not read: {rows} rows, {checked} tests"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
