//! `lvzhi` — the command-line binary. Thin: every command is one small
//! function (`init`, `serve`, `demo`, …) that takes its parsed arguments and
//! calls the library crates. A ledger is named by its key or its Chinese
//! name (`--ledger hazard` = `--ledger 安全生产隐患`). Exit codes: 0 ok, 1 a check
//! failed, 2 usage or I/O error.

mod calendar;

use clap::{Parser, Subcommand};
use lvzhi_core::access::Role;
use lvzhi_store::auth::NewUser;
use lvzhi_store::{Store, StoreError};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "lvzhi",
    version,
    about = "履职：县级政府台账、闭环管理与述职报告系统 / county government work system"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone)]
struct DbArg {
    /// Database: sqlite:PATH (default ./lvzhi.db) or postgres://USER@HOST/DB
    #[arg(long, env = "LVZHI_DB", default_value = "sqlite:./lvzhi.db")]
    db: String,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create the database, load a county's townships, and create the admin user.
    Init(InitArgs),
    /// Serve the web UI and the JSON API (initialising an empty database first).
    Serve(ServeArgs),
    /// Build the demo county (演示数据) into an empty database and serve it.
    Demo(DemoArgs),
    /// Print every indicator (指标) for a period, computed from the records.
    Indicators(IndicatorsArgs),
    /// List the warnings (预警) that fire now, with their evidence.
    Warnings(WarningsArgs),
    /// Write a report (述职报告, 通报) from the records: Markdown, HTML or DOCX (GB/T 9704).
    Report(ReportArgs),
    /// Import a ledger from .xlsx/.xls/.csv (UTF-8/GBK/GB18030): all or nothing per file.
    Import(ImportArgs),
    /// List the extra columns imported records carry (columns that are no field), most frequent first.
    Extras(ExtrasArgs),
    /// Export a ledger list (your scope, personal data masked) to .xlsx or .csv.
    Export(ExportArgs),
    /// Write a ledger's import template (.xlsx: headers, drop-down lists, one example row).
    Template(TemplateArgs),
    /// Manage users.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Audit the change log.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// The field keys of the personal data encrypted at rest (SM4).
    Key {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
    /// The working-day calendar (holidays and 调休).
    Calendar {
        #[command(subcommand)]
        cmd: calendar::CalendarCmd,
    },
    /// Copy a consistent snapshot of the database to FILE (SQLite: VACUUM INTO; PostgreSQL:
    /// pg_dump) and the attachment files to FILE.files (safe while serving).
    Backup(BackupArgs),
    /// Replace the database with a checked backup and add back its attachment files (stop the server first).
    Restore(RestoreArgs),
    /// Check report texts for numeric and template defects.
    Check(CheckArgs),
}

/// Arguments of `lvzhi init`.
#[derive(clap::Args)]
struct InitArgs {
    #[command(flatten)]
    db: DbArg,
    /// GB/T 2260 code of the county (620902 = 肃州区)
    #[arg(long, default_value = "620902")]
    division: String,
    /// Admin password (default: a random one, printed)
    #[arg(long)]
    admin_password: Option<String>,
}

/// Arguments of `lvzhi serve`.
#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArg,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Mark cookies Secure and send HSTS (when served behind a TLS proxy; implied by --tls-cert)
    #[arg(long)]
    secure_cookies: bool,
    /// PEM certificate chain: serve HTTPS on --tls-listen; --listen then only redirects to HTTPS
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// PEM private key of --tls-cert
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Address of the HTTPS listener (with --tls-cert)
    #[arg(long, default_value = "127.0.0.1:8443")]
    tls_listen: std::net::SocketAddr,
    /// Append the change log's head to this file after every commit, for `audit verify --anchor`
    /// [default: $LVZHI_ANCHOR; beside a SQLite file (<file>.anchor); for PostgreSQL
    /// ~/.local/share/lvzhi/lvzhi-<host>-<port>-<database>.anchor ($LVZHI_DATA_DIR overrides the directory)]
    #[arg(long, value_name = "PATH")]
    anchor: Option<std::path::PathBuf>,
}

/// Arguments of `lvzhi demo`.
#[derive(clap::Args)]
struct DemoArgs {
    #[command(flatten)]
    db: DbArg,
    /// Seed: same seed, same county
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Multiply record volumes (K counties' worth, for benchmarks)
    #[arg(long, default_value_t = 1)]
    scale: u32,
    /// Build only, do not serve
    #[arg(long)]
    no_serve: bool,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
}

/// Arguments of `lvzhi indicators`.
#[derive(clap::Args)]
struct IndicatorsArgs {
    #[command(flatten)]
    db: DbArg,
    /// 2026, 2026Q3, 2026-11, 2026-11-1 (上旬; 2 中旬, 3 下旬), 2026-01..2026-11 (default: this year)
    #[arg(long)]
    period: Option<String>,
    /// county, division:CODE, unit:ID, leader:PERSON (分管), owns:PERSON (包挂)
    #[arg(long, default_value = "county")]
    scope: String,
    /// table, json or csv
    #[arg(long, default_value = "table")]
    format: String,
    /// Compute as of this day, YYYY-MM-DD (default: today; a demo database's today is 2026-11-25)
    #[arg(long)]
    as_of: Option<String>,
}

/// Arguments of `lvzhi warnings`.
#[derive(clap::Args)]
struct WarningsArgs {
    #[command(flatten)]
    db: DbArg,
    /// table, json or csv
    #[arg(long, default_value = "table")]
    format: String,
    /// As of this day, YYYY-MM-DD (default: today; a demo database's today is 2026-11-25)
    #[arg(long)]
    as_of: Option<String>,
}

/// Arguments of `lvzhi report`.
#[derive(clap::Args)]
struct ReportArgs {
    #[command(flatten)]
    db: DbArg,
    /// Template name (packs/county/reports/NAME.md.j2), e.g. 述职述廉述德报告, 月度督查通报
    #[arg(long)]
    template: String,
    /// 2026, 2026Q3, 2026-11, 2026-01..2026-11
    #[arg(long)]
    period: String,
    /// The person of a duty report (name or post, e.g. 常务副县长)
    #[arg(long)]
    person: Option<String>,
    /// county, division:CODE, unit:ID, leader:PERSON (分管), owns:PERSON (包挂)
    #[arg(long, default_value = "county")]
    scope: String,
    /// md, html or docx
    #[arg(long, default_value = "md")]
    format: String,
    /// Output file (default: standard output)
    #[arg(short = 'o', long)]
    output: Option<std::path::PathBuf>,
    /// Compute as of this day, YYYY-MM-DD (default: today; a demo database's today is 2026-11-25)
    #[arg(long)]
    as_of: Option<String>,
}

/// Arguments of `lvzhi import`.
#[derive(clap::Args)]
struct ImportArgs {
    #[command(flatten)]
    db: DbArg,
    /// Ledger: key or Chinese name (hazard = 安全生产隐患, petition = 信访件, …)
    #[arg(long)]
    ledger: String,
    /// The file
    file: std::path::PathBuf,
    /// Sheet name or number (default: the first with data)
    #[arg(long)]
    sheet: Option<String>,
    /// A saved column mapping (TOML)
    #[arg(long)]
    mapping: Option<std::path::PathBuf>,
    /// Save the column mapping found to this file
    #[arg(long)]
    save_mapping: Option<std::path::PathBuf>,
    /// CSV encoding: auto, utf-8, gbk, gb18030
    #[arg(long)]
    encoding: Option<String>,
    /// Check only; write nothing
    #[arg(long)]
    dry_run: bool,
    /// Import the good rows and report the rest
    #[arg(long)]
    skip_invalid: bool,
    /// Import as this user (default: the system administrator)
    #[arg(long = "as")]
    as_user: Option<String>,
    /// Where to write the input with a 错误说明 column (default: FILE.错误.xlsx)
    #[arg(long)]
    errors: Option<std::path::PathBuf>,
    /// Rows per transaction (0 = the whole file in one transaction)
    #[arg(long, default_value_t = 0)]
    chunk: usize,
    /// Print the report as JSON on stdout
    #[arg(long)]
    json: bool,
    /// A value for the whole file, 字段=值 (e.g. --set 行业=工贸); repeatable
    #[arg(long = "set", value_name = "字段=值")]
    set: Vec<String>,
}

/// Arguments of `lvzhi extras`.
#[derive(clap::Args)]
struct ExtrasArgs {
    #[command(flatten)]
    db: DbArg,
    /// Only this ledger: key or Chinese name
    #[arg(long)]
    ledger: Option<String>,
}

/// Arguments of `lvzhi template`.
#[derive(clap::Args)]
struct TemplateArgs {
    #[command(flatten)]
    db: DbArg,
    /// Ledger: key or Chinese name
    #[arg(long)]
    ledger: String,
    /// Output file (.xlsx)
    #[arg(short = 'o', long)]
    output: std::path::PathBuf,
    /// Make the example row for this user (their unit and township)
    #[arg(long = "as")]
    as_user: Option<String>,
}

/// Arguments of `lvzhi export`.
#[derive(clap::Args)]
struct ExportArgs {
    #[command(flatten)]
    db: DbArg,
    /// Ledger: key or Chinese name (hazard = 安全生产隐患, …)
    #[arg(long)]
    ledger: String,
    /// Output file (.xlsx or .csv)
    #[arg(short = 'o', long)]
    output: std::path::PathBuf,
    /// Export as this user (scope and masking)
    #[arg(long = "as")]
    as_user: Option<String>,
    /// State
    #[arg(long)]
    state: Option<String>,
    /// Responsible unit id
    #[arg(long)]
    unit: Option<i64>,
    /// Division code prefix
    #[arg(long)]
    division: Option<String>,
    /// Owning leader (person id)
    #[arg(long)]
    owner: Option<i64>,
    /// Date field to range over
    #[arg(long)]
    date_field: Option<String>,
    /// First day
    #[arg(long)]
    from: Option<String>,
    /// Last day
    #[arg(long)]
    to: Option<String>,
    /// red, yellow or warned
    #[arg(long)]
    warning: Option<String>,
    /// Text search
    #[arg(long)]
    q: Option<String>,
    /// Include voided records
    #[arg(long)]
    include_voided: bool,
    /// Only open records
    #[arg(long)]
    open: bool,
}

/// Arguments of `lvzhi backup`.
#[derive(clap::Args)]
struct BackupArgs {
    #[command(flatten)]
    db: DbArg,
    /// Where to write the backup
    file: std::path::PathBuf,
}

/// Arguments of `lvzhi restore`.
#[derive(clap::Args)]
struct RestoreArgs {
    #[command(flatten)]
    db: DbArg,
    /// The backup file
    file: std::path::PathBuf,
}

/// Arguments of `lvzhi check`.
#[derive(clap::Args)]
struct CheckArgs {
    /// Files (.txt, .md, .docx) and options (--format human|json)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user.
    Add {
        #[command(flatten)]
        db: DbArg,
        /// Login name
        username: String,
        /// Role: admin, office, leader, unit_clerk, unit_head, auditor, evaluator
        #[arg(long)]
        role: String,
        /// Display name
        #[arg(long, default_value = "")]
        name: String,
        /// Unit (name or id), for clerks and unit heads
        #[arg(long)]
        unit: Option<String>,
        /// Person id, for leaders
        #[arg(long)]
        person: Option<i64>,
        /// Division code to restrict a county-wide role to
        #[arg(long)]
        division: Option<String>,
        /// Password (default: a random one, printed)
        #[arg(long)]
        password: Option<String>,
    },
    /// Set a user's password.
    Passwd {
        #[command(flatten)]
        db: DbArg,
        /// Login name
        username: String,
        /// New password (default: a random one, printed)
        #[arg(long)]
        password: Option<String>,
    },
    /// List users.
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Disable a user (ends their sessions).
    Disable {
        #[command(flatten)]
        db: DbArg,
        /// Login name
        username: String,
    },
    /// 三员分立: create whichever of the three administrators (system, security, audit) no
    /// enabled account holds, printing their one-time passwords. For a database from before
    /// the separation (its `admin` accounts stay system administrators); `serve` does the same
    /// at start.
    Administrators {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Re-encrypt every personal value under a new key (stop the server first). Crash-safe:
    /// the key file keeps the old key until every value is under the new one; run it again
    /// after an interruption to finish.
    Rotate {
        #[command(flatten)]
        db: DbArg,
        /// The key file (default: LVZHI_KEY_FILE, else beside the SQLite database)
        #[arg(long)]
        key_file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Recompute the event hash chain; exit 1 naming the first broken event.
    Verify {
        #[command(flatten)]
        db: DbArg,
        /// Also check the chain head anchored in this file (truncation, rollback)
        #[arg(long)]
        anchor: Option<std::path::PathBuf>,
    },
}

fn random_password() -> String {
    // 12 characters without look-alikes that meet the password policy.
    lvzhi_store::auth::generate_password(12)
}

/// The county pack shipped in the binary.
fn county_pack() -> Result<lvzhi_core::ledger::Pack, StoreError> {
    lvzhi_packs::county().map_err(|e| StoreError::Config(format!("标准包无效 / invalid pack: {e}")))
}

/// The database of `db` with the county pack, on the system clock.
async fn open(db: &DbArg) -> Result<Store, StoreError> {
    Store::open(&db.db, Arc::new(county_pack()?), lvzhi_store::system_clock()).await
}

/// Opens a database that `init`, `serve` or `demo` may be about to fill: when
/// it is not initialised and no key is configured, a new field key is written
/// beside it (0600) first, so the personal data is encrypted from the start.
async fn open_new(
    db: &str,
    pack: Arc<lvzhi_core::ledger::Pack>,
    clock: lvzhi_store::Clock,
) -> Result<Store, StoreError> {
    let store = Store::open(db, pack.clone(), clock.clone()).await?;
    let env_key = std::env::var("LVZHI_KEY").is_ok_and(|k| !k.trim().is_empty());
    if store.keys().current().is_some() || env_key || store.meta("initialized").await?.is_some() {
        return Ok(store);
    }
    let Some(path) = lvzhi_store::crypt::default_key_file(store.target()) else {
        eprintln!(
            "注意：未配置个人信息加密密钥，身份证号、电话等将以明文存储。PostgreSQL 请设置 LVZHI_KEY_FILE=密钥文件路径（不存在时自动生成）后再初始化，或之后运行 lvzhi key rotate --key-file 文件 加密已有数据。"
        );
        return Ok(store);
    };
    if path.exists() {
        return Ok(store);
    }
    let key = lvzhi_store::crypt::new_key(store.today());
    store.close().await;
    lvzhi_store::crypt::write_key_file(&path, std::slice::from_ref(&key))?;
    println!(
        "已生成个人信息加密密钥 / field key written: {}（权限0600；请与数据库分开备份，丢失后无法读取身份证号、电话等个人信息）",
        path.display()
    );
    Store::open(db, pack, clock).await
}

/// `lvzhi key rotate`: a new key, every value re-encrypted under it, then the old key dropped.
async fn key_rotate(db: DbArg, key_file: Option<std::path::PathBuf>) -> Result<ExitCode, StoreError> {
    use lvzhi_store::crypt;
    if key_file.is_none() && std::env::var("LVZHI_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        return Err(StoreError::BadRequest(
            "密钥由环境变量 LVZHI_KEY 提供，无法自动轮换：请改用密钥文件（LVZHI_KEY_FILE 或 --key-file）后再轮换"
                .into(),
        ));
    }
    let target = lvzhi_store::db::parse_url(&db.db)?;
    let path = key_file
        .or_else(|| crypt::default_key_file(&target))
        .ok_or_else(|| StoreError::BadRequest("请用 --key-file 或 LVZHI_KEY_FILE 指定密钥文件".into()))?;
    let mut keys = if path.exists() {
        crypt::read_key_file(&path)?
    } else {
        Vec::new()
    };
    let pack = Arc::new(county_pack()?);
    if keys.len() >= 2 {
        println!(
            "继续完成上次中断的轮换（新密钥 {}）/ finishing an interrupted rotation",
            keys.last().map(|k| k.id.as_str()).unwrap_or("")
        );
    } else {
        let today = lvzhi_core::time::local_date(jiff::Timestamp::now());
        let new = crypt::new_key(today);
        keys.push(new);
        // The new key is on disk (beside the old one) before any value is sealed with it.
        crypt::write_key_file(&path, &keys)?;
    }
    let store = Store::open_keyed(
        &db.db,
        pack,
        lvzhi_store::system_clock(),
        crypt::KeySource::Given(keys.clone()),
    )
    .await?;
    let done = store.rotate_key(keys.clone()).await?;
    store.close().await;
    let new = keys.last().cloned().into_iter().collect::<Vec<_>>();
    crypt::write_key_file(&path, &new)?;
    println!(
        "密钥已轮换 / key rotated: {}（重新加密记录{}条、日志事件{}条、双因素认证密钥{}个；旧密钥已从 {} 中删除）",
        done.key_id,
        done.records,
        done.events,
        done.secrets,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The three administrators (三员分立): login, display name, role.
const ADMINISTRATORS: [(&str, &str, Role); 3] = [
    ("admin", "系统管理员", Role::Admin),
    ("secadmin", "安全管理员", Role::SecAdmin),
    ("auditadmin", "审计管理员", Role::AuditAdmin),
];

/// Creates each of the three administrators that no enabled account holds
/// yet (a new database: all three; a database from before 三员分立, whose
/// `admin` accounts are system administrators: the other two). Returns
/// `(role, login, password)` of those made, to be printed once.
async fn ensure_administrators(
    store: &Store,
    admin_password: Option<String>,
) -> Result<Vec<(&'static str, String, String)>, StoreError> {
    let sys = Store::system_access();
    let users = store.users().await?;
    let mut made = vec![];
    let mut admin_password = admin_password;
    for (login, display, role) in ADMINISTRATORS {
        if users.iter().any(|u| u.role == role && !u.disabled) {
            continue;
        }
        // A login taken by someone else gets a number.
        let login = (1..)
            .map(|i| {
                if i == 1 {
                    login.to_string()
                } else {
                    format!("{login}{i}")
                }
            })
            .find(|l| !users.iter().any(|u| &u.username == l))
            .unwrap_or_else(|| login.to_string());
        let pw = match role {
            Role::Admin => admin_password.take().unwrap_or_else(random_password),
            _ => random_password(),
        };
        store
            .add_user(
                &sys,
                &NewUser {
                    username: login.clone(),
                    display_name: display.into(),
                    password: pw.clone(),
                    role,
                    unit_id: None,
                    division: None,
                    person_id: None,
                },
            )
            .await?;
        made.push((role.label(), login, pw));
    }
    Ok(made)
}

/// Prints the administrators just made (their passwords are shown this once).
fn print_administrators(made: &[(&str, String, String)]) {
    for (label, login, pw) in made {
        println!("{label} / administrator login: {login} / {pw}");
    }
    if !made.is_empty() {
        println!(
            "以上密码仅显示这一次，首次登录须修改密码并绑定动态验证码 / shown once: change at first login, then enrol TOTP"
        );
    }
}

/// Initialises an empty database; returns the administrators it made.
async fn initialise(
    store: &Store,
    division: &str,
    admin_password: Option<String>,
) -> Result<Vec<(&'static str, String, String)>, StoreError> {
    if store.meta("initialized").await?.is_some() {
        return Err(StoreError::Conflict(
            "数据库已初始化 / database already initialised".into(),
        ));
    }
    let sys = Store::system_access();
    let divisions = lvzhi_store::org::embedded_county(division)?;
    store.import_divisions(&sys, &divisions).await?;
    let made = ensure_administrators(store, admin_password).await?;
    store.set_meta("initialized", division).await?;
    Ok(made)
}

async fn run(cli: Cli) -> Result<ExitCode, StoreError> {
    match cli.cmd {
        Cmd::Init(a) => init(a).await,
        Cmd::Serve(a) => serve(a).await,
        Cmd::Demo(a) => demo(a).await,
        Cmd::Indicators(a) => indicators(a).await,
        Cmd::Warnings(a) => warnings(a).await,
        Cmd::Report(a) => report(a).await,
        Cmd::Import(a) => import(a).await,
        Cmd::Extras(a) => extras(a).await,
        Cmd::Export(a) => export(a).await,
        Cmd::Template(a) => template(a).await,
        Cmd::User { cmd } => user(cmd).await,
        Cmd::Calendar { cmd } => calendar::run(cmd).await.map(|()| ExitCode::SUCCESS),
        Cmd::Key {
            cmd: KeyCmd::Rotate { db, key_file },
        } => key_rotate(db, key_file).await,
        Cmd::Audit {
            cmd: AuditCmd::Verify { db, anchor },
        } => audit_verify(db, anchor).await,
        Cmd::Backup(a) => backup(a).await,
        Cmd::Restore(a) => restore(a).await,
        Cmd::Check(a) => Ok(check(a)),
    }
}

/// `lvzhi init`: a new database with the county's townships and the admin.
async fn init(a: InitArgs) -> Result<ExitCode, StoreError> {
    let store = open_new(&a.db.db, Arc::new(county_pack()?), lvzhi_store::system_clock()).await?;
    let made = initialise(&store, &a.division, a.admin_password).await?;
    let county = store.divisions(&a.division).await?;
    println!(
        "已初始化 / initialised: {}（{}个乡镇街道）",
        county.first().map(|d| d.name.as_str()).unwrap_or(""),
        county.len().saturating_sub(1)
    );
    print_administrators(&made);
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `lvzhi serve`: the web UI and the API (an empty database is initialised first).
async fn serve(a: ServeArgs) -> Result<ExitCode, StoreError> {
    let store = open_new(&a.db.db, Arc::new(county_pack()?), lvzhi_store::system_clock()).await?;
    // A database that cannot take writes is refused before listening (issue 15).
    store.check_writable().await?;
    if store.meta("initialized").await?.is_none() {
        let made = initialise(&store, "620902", None).await?;
        println!("首次启动，已初始化数据库 / first start, database initialised");
        print_administrators(&made);
    } else {
        // A database from before 三员分立: its admins stay system
        // administrators; the security and audit administrators are made now.
        let made = ensure_administrators(&store, None).await?;
        if !made.is_empty() {
            println!("三员分立：已创建以下管理员 / separation of duties: administrators created");
            print_administrators(&made);
        }
    }
    if let Some(file) = a.anchor {
        store.set_anchor_file(Some(file));
    }
    match store.anchor_file() {
        Some(file) => {
            store.check_anchor_file()?;
            println!("链头锚定文件 / anchor file: {}", file.display());
        }
        None => println!("未设置链头锚定文件 / no anchor file"),
    }
    // A chain begun with SHA-256 (before SM3) goes on in SM3 from here.
    if let Some(seq) = store.seal_chain().await? {
        println!("变更日志已从 SHA-256 切换为 SM3（封存至事件 #{seq}）/ chain sealed over to SM3 at #{seq}");
    }
    if let (Some(cert), Some(key)) = (&a.tls_cert, &a.tls_key) {
        let config = lvzhi_web::tls::server_config(cert, key).map_err(StoreError::Config)?;
        let state = lvzhi_web::state(store, true)
            .map_err(|e| StoreError::Config(format!("指标定义无效 / invalid indicator definitions: {e}")))?;
        let bind = |addr: std::net::SocketAddr| async move {
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| StoreError::Config(format!("无法监听 {addr} / cannot listen: {e}")))
        };
        let https = bind(a.tls_listen).await?;
        let http = bind(a.listen).await?;
        println!(
            "履职 lvzhi 已启动 / serving on https://{}/ (http://{}/ redirects)",
            a.tls_listen, a.listen
        );
        lvzhi_web::serve_tls(state, https, config, Some(http))
            .await
            .map_err(|e| StoreError::Config(format!("HTTPS服务出错 / HTTPS server: {e}")))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("履职 lvzhi 已启动 / serving on http://{}/", a.listen);
    serve_web(store, a.secure_cookies, a.listen).await
}

/// Serves `store` on `listen` until stopped.
async fn serve_web(store: Store, secure_cookies: bool, listen: std::net::SocketAddr) -> Result<ExitCode, StoreError> {
    let state = lvzhi_web::state(store, secure_cookies)
        .map_err(|e| StoreError::Config(format!("指标定义无效 / invalid indicator definitions: {e}")))?;
    lvzhi_web::serve(state, listen)
        .await
        .map_err(|e| StoreError::Config(format!("无法监听 {listen} / cannot listen: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// `lvzhi demo`: builds the demo county, then serves it (unless `--no-serve`).
async fn demo(a: DemoArgs) -> Result<ExitCode, StoreError> {
    let pack = Arc::new(county_pack()?);
    // Built at a fixed instant (2026-11-25 10:00 Shanghai), so the same seed gives the same county.
    let store = open_new(&a.db.db, pack.clone(), lvzhi_demo::demo_clock()).await?;
    let t = std::time::Instant::now();
    let options = lvzhi_demo::DemoOptions {
        seed: a.seed,
        scale: a.scale,
    };
    let summary = lvzhi_demo::build(&store, &options).await?;
    store.close().await;
    print!("{summary}");
    println!("用时 / built in {:.1?}", t.elapsed());
    if a.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    // Served on a clock that starts at the demo's instant and runs in real time:
    // red/yellow warnings match the data, and sessions and lockouts still expire.
    let start: jiff::Timestamp = lvzhi_demo::DEMO_NOW
        .parse()
        .map_err(|e| StoreError::Internal(format!("DEMO_NOW: {e}")))?;
    let store = Store::open(&a.db.db, pack, lvzhi_store::offset_clock(start)).await?;
    println!("履职 lvzhi 演示 / serving the demo on http://{}/", a.listen);
    serve_web(store, false, a.listen).await
}

/// `lvzhi indicators`: every indicator for a period.
async fn indicators(a: IndicatorsArgs) -> Result<ExitCode, StoreError> {
    let store = open(&a.db).await?;
    let today = as_of_day(&store, a.as_of.as_deref()).await?;
    let files = lvzhi_packs::county_files();
    let out =
        lvzhi_metrics::render::indicators_command(&store, &files, a.period.as_deref(), &a.scope, &a.format, today)
            .await
            .map_err(metrics_error)?;
    store.close().await;
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `lvzhi warnings`: the warnings that fire now.
async fn warnings(a: WarningsArgs) -> Result<ExitCode, StoreError> {
    let store = open(&a.db).await?;
    let today = as_of_day(&store, a.as_of.as_deref()).await?;
    let out = lvzhi_metrics::render::warnings_command(&store, &lvzhi_packs::county_files(), &a.format, today)
        .await
        .map_err(metrics_error)?;
    store.close().await;
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `lvzhi report`: a report from a template; a missing figure, an unknown
/// template or person, or a failed check exits 1.
async fn report(a: ReportArgs) -> Result<ExitCode, StoreError> {
    let store = open(&a.db).await?;
    let today = as_of_day(&store, a.as_of.as_deref()).await?;
    let req = lvzhi_report::Request {
        issue: None,
        template: a.template,
        period: a.period,
        person: a.person,
        scope: a.scope,
        today,
    };
    let res = lvzhi_report::report_command(&store, &lvzhi_packs::county_files(), &req, &a.format).await;
    store.close().await;
    let bytes = match res {
        Ok(b) => b,
        Err(lvzhi_report::ReportError::Store(e)) => return Err(e),
        Err(e) => {
            eprintln!("错误 / error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let written = match &a.output {
        Some(p) => std::fs::write(p, &bytes),
        None => std::io::Write::write_all(&mut std::io::stdout(), &bytes),
    };
    written.map_err(|e| StoreError::Internal(format!("写入报告失败 / cannot write the report: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// `lvzhi import`: a ledger file, all or nothing (or the good rows with `--skip-invalid`).
async fn import(a: ImportArgs) -> Result<ExitCode, StoreError> {
    let store = open(&a.db).await?;
    let ledger = ledger_key(&store, &a.ledger)?;
    let args = lvzhi_io::cli::ImportArgs {
        ledger,
        file: a.file,
        sheet: a.sheet,
        mapping: a.mapping,
        save_mapping: a.save_mapping,
        encoding: a.encoding,
        dry_run: a.dry_run,
        skip_invalid: a.skip_invalid,
        as_user: a.as_user,
        errors_xlsx: a.errors,
        chunk: a.chunk,
        json: a.json,
        set: a.set,
    };
    let r = lvzhi_io::cli::run_import(&store, &args, &mut std::io::stdout(), &mut std::io::stderr()).await;
    store.close().await;
    Ok(io_exit(r))
}

/// `lvzhi extras`: the extra columns imported records carry, most frequent first.
async fn extras(a: ExtrasArgs) -> Result<ExitCode, StoreError> {
    let store = open(&a.db).await?;
    let ledger = match &a.ledger {
        Some(l) => Some(ledger_key(&store, l)?),
        None => None,
    };
    let r = lvzhi_io::cli::run_extras(&store, ledger.as_deref(), &mut std::io::stdout()).await;
    store.close().await;
    Ok(io_exit(r))
}

/// `lvzhi template`: a ledger's import template.
async fn template(a: TemplateArgs) -> Result<ExitCode, StoreError> {
    let store = open(&a.db).await?;
    let ledger = ledger_key(&store, &a.ledger)?;
    let r = lvzhi_io::cli::run_template(&store, &ledger, &a.output, a.as_user.as_deref(), &mut std::io::stderr()).await;
    store.close().await;
    Ok(io_exit(r))
}

/// `lvzhi export`: a ledger list as the user sees it.
async fn export(a: ExportArgs) -> Result<ExitCode, StoreError> {
    let store = open(&a.db).await?;
    let ledger = ledger_key(&store, &a.ledger)?;
    let query = lvzhi_store::records::ListQuery {
        state: a.state,
        unit: a.unit,
        division: a.division,
        owner: a.owner,
        date_field: a.date_field,
        from: a.from,
        to: a.to,
        warning: a.warning,
        q: a.q,
        include_voided: a.include_voided,
        open: a.open,
        ..Default::default()
    };
    let args = lvzhi_io::cli::ExportArgs {
        ledger,
        output: a.output,
        as_user: a.as_user,
        query,
    };
    let r = lvzhi_io::cli::run_export(&store, &args, &mut std::io::stderr()).await;
    store.close().await;
    Ok(io_exit(r))
}

/// `lvzhi audit verify [--anchor FILE]`: the event hash chain, and the
/// anchored heads (truncation, rollback); exit 1 naming the first broken
/// event or the last anchored event missing.
async fn audit_verify(db: DbArg, anchor: Option<std::path::PathBuf>) -> Result<ExitCode, StoreError> {
    let store = open(&db).await?;
    // Verifying writes nothing; nor does it anchor.
    store.set_anchor_file(None);
    let v = store.verify_chain().await?;
    let anchored = match &anchor {
        Some(file) => Some(store.verify_anchor(file).await?),
        None => None,
    };
    // Evidence files against the digests their events hold (issue 16).
    let files = store.verify_files().await?;
    store.close().await;
    for p in &files.problems {
        println!("附件校验失败 / attachment broken: {p}");
    }
    if files.checked > 0 && files.problems.is_empty() {
        println!(
            "附件 / attachments: {} 个文件与变更日志一致 / files match the chain",
            files.checked
        );
    }
    let anchored_ok = files.problems.is_empty();
    if let Some(a) = &anchored {
        println!("{}", a.message);
    }
    let anchor_ok = anchored_ok && anchored.as_ref().is_none_or(|a| a.problem.is_none());
    Ok(match v.error {
        None if anchor_ok => {
            println!("ok: {} events", v.verified);
            ExitCode::SUCCESS
        }
        None => ExitCode::from(1),
        Some(e) => {
            println!("broken: {e}");
            println!("verified before the break: {} events", v.verified);
            ExitCode::from(1)
        }
    })
}

/// `lvzhi backup`: a consistent copy of the database and its attachment files.
async fn backup(a: BackupArgs) -> Result<ExitCode, StoreError> {
    let store = open(&a.db).await?;
    let n = store.backup(&a.file).await?;
    store.close().await;
    println!("已备份 / backed up to {} ({n} bytes)", a.file.display());
    Ok(ExitCode::SUCCESS)
}

/// `lvzhi restore`: the database replaced by a verified backup.
async fn restore(a: RestoreArgs) -> Result<ExitCode, StoreError> {
    let n = lvzhi_store::backup::restore(&a.db.db, &a.file).await?;
    println!("已恢复 / restored from {} ({n} events verified)", a.file.display());
    Ok(ExitCode::SUCCESS)
}

/// `lvzhi check`: report texts checked by `lvzhi-check`.
fn check(a: CheckArgs) -> ExitCode {
    let code = lvzhi_check::run_cli(&a.args, &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// The key of the ledger `given` by its key (`hazard`) or its Chinese name
/// (`安全生产隐患`); unknown names are refused with the list of valid ones.
fn ledger_key(store: &Store, given: &str) -> Result<String, StoreError> {
    resolve_ledger(store.pack(), given).map(str::to_string)
}

/// [`ledger_key`] over a pack.
fn resolve_ledger<'a>(pack: &'a lvzhi_core::ledger::Pack, given: &str) -> Result<&'a str, StoreError> {
    let given = given.trim();
    if let Some(l) = pack.ledgers.iter().find(|l| l.key == given || l.name == given) {
        return Ok(&l.key);
    }
    let valid: Vec<String> = pack
        .ledgers
        .iter()
        .map(|l| format!("{}（{}）", l.name, l.key))
        .collect();
    Err(StoreError::BadRequest(format!(
        "台账“{given}”不存在。可用的台账：{}",
        valid.join("、")
    )))
}

/// The day indicators and warnings are computed as of: `--as-of`, else the
/// demo's today for a demo database, else today by the store's clock.
async fn as_of_day(store: &Store, given: Option<&str>) -> Result<jiff::civil::Date, StoreError> {
    if let Some(d) = given {
        return d
            .parse()
            .map_err(|_| StoreError::BadRequest(format!("日期“{d}”无效，应为YYYY-MM-DD / invalid --as-of")));
    }
    if store.meta("demo").await?.is_some() {
        let t: jiff::Timestamp = lvzhi_demo::DEMO_NOW
            .parse()
            .map_err(|e| StoreError::Internal(format!("DEMO_NOW: {e}")))?;
        return Ok(lvzhi_core::time::local_date(t));
    }
    Ok(store.today())
}

fn io_exit(r: Result<u8, lvzhi_io::IoError>) -> ExitCode {
    match r {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::from(2)
        }
    }
}

fn metrics_error(e: lvzhi_metrics::EvalError) -> StoreError {
    match e {
        lvzhi_metrics::EvalError::Store(s) => s,
        other => StoreError::BadRequest(other.to_string()),
    }
}

async fn user(cmd: UserCmd) -> Result<ExitCode, StoreError> {
    let sys = Store::system_access();
    match cmd {
        UserCmd::Add {
            db,
            username,
            role,
            name,
            unit,
            person,
            division,
            password,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                StoreError::BadRequest(format!(
                    "角色“{role}”不存在 / unknown role (admin, sec_admin, audit_admin, office, leader, unit_clerk, unit_head, auditor, evaluator)"
                ))
            })?;
            let store = open(&db).await?;
            let unit_id = match unit {
                None => None,
                Some(u) => {
                    let units = store.units().await?;
                    Some(
                        units
                            .iter()
                            .find(|x| x.name == u || x.id.to_string() == u)
                            .map(|x| x.id)
                            .ok_or_else(|| StoreError::NotFound(format!("单位“{u}”不存在 / unknown unit")))?,
                    )
                }
            };
            let pw = password.unwrap_or_else(random_password);
            let id = store
                .add_user(
                    &sys,
                    &NewUser {
                        username: username.clone(),
                        display_name: name,
                        password: pw.clone(),
                        role,
                        unit_id,
                        division,
                        person_id: person,
                    },
                )
                .await?;
            store.close().await;
            println!("已添加用户 / added user #{id}: {username} / {pw}");
        }
        UserCmd::Passwd { db, username, password } => {
            let store = open(&db).await?;
            let pw = password.unwrap_or_else(random_password);
            store.set_password(&sys, &username, &pw).await?;
            store.close().await;
            println!("已修改密码 / password set: {username} / {pw}");
        }
        UserCmd::List { db } => {
            let store = open(&db).await?;
            for u in store.users().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    u.id,
                    u.username,
                    u.display_name,
                    u.role.label(),
                    u.unit_id.map(|x| format!("单位{x}")).unwrap_or_default(),
                    if u.disabled { "\t已停用" } else { "" }
                );
            }
            store.close().await;
        }
        UserCmd::Administrators { db } => {
            let store = open(&db).await?;
            let made = ensure_administrators(&store, None).await?;
            store.close().await;
            if made.is_empty() {
                println!("三员齐全，无需创建 / all three administrators exist");
            } else {
                println!("三员分立：已创建以下管理员 / separation of duties: administrators created");
                print_administrators(&made);
            }
        }
        UserCmd::Disable { db, username } => {
            let store = open(&db).await?;
            store.set_disabled(&sys, &username, true).await?;
            store.close().await;
            println!("已停用 / disabled: {username}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LVZHI_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::from(2)
        }
    }
}
