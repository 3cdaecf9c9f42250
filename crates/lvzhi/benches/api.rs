//! HTTP API benchmark (issue 2): records created per second through the API
//! with 16 concurrent clients, and p50/p99 latency of filtered, paginated
//! lists over a large ledger, on SQLite and on PostgreSQL.
//!
//! `cargo bench -p lvzhi --bench api` — env: `LVZHI_BENCH_RECORDS` (default
//! 1,000,000 records for the list test), `LVZHI_BENCH_SECONDS` (default 10 s
//! of creates), `LVZHI_BENCH_BACKENDS` (default `sqlite,postgres`), `LVZHI_BENCH_SAVE`
//! (a file to keep the loaded SQLite database in; the PostgreSQL database is then kept too and its
//! URL printed), `LVZHI_BENCH_FROM` (run only the list benchmark on a copy of such a file, or on
//! such a PostgreSQL URL).
//! The server runs in this process on its own 2-thread runtime; the 16
//! clients are OS threads with keep-alive connections, on the same 2 cores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_core::access::Role;
use lvzhi_store::Store;
use lvzhi_store::auth::NewUser;
use lvzhi_store::org::DEPARTMENT;
use lvzhi_testkit::TestDb;
use lvzhi_testkit::http::Client;
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const INDUSTRIES: [&str; 6] = ["危险化学品", "非煤矿山", "工贸", "建筑施工", "消防", "燃气"];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn hazard(i: u64, townships: &[String], units: &[i64]) -> Map<String, Value> {
    let t = &townships[(i as usize * 7) % townships.len()];
    let month = 1 + (i % 11);
    let day = 1 + (i % 28);
    json!({
        "description": format!("第{i}号隐患：配电箱未可靠接地，消防通道堆放杂物"),
        "company": format!("演示企业{}有限公司", i % 5000),
        "industry": INDUSTRIES[(i % 6) as usize],
        "grade": if i.is_multiple_of(10) { "重大" } else { "一般" },
        "township": t,
        "responsible_unit": units[(i as usize) % units.len()],
        "found_on": format!("2026-{month:02}-{day:02}"),
        "deadline": format!("2026-{:02}-{day:02}", (month + 1).min(12)),
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

struct Setup {
    addr: SocketAddr,
    store: Store,
    townships: Vec<String>,
    units: Vec<i64>,
}

/// Serves lvzhi on `store` at a free loopback port, on the current runtime.
async fn serve(store: &Store) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = lvzhi_web::state(store.clone(), false).unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            lvzhi_web::app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    addr
}

async fn setup(db: &TestDb) -> Setup {
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(&db.url, pack, lvzhi_store::system_clock()).await.unwrap();
    let sys = Store::system_access();
    let divisions = lvzhi_store::org::embedded_county("620902").unwrap();
    store.import_divisions(&sys, &divisions).await.unwrap();
    let townships: Vec<String> = divisions
        .iter()
        .filter(|d| d.level == 2)
        .map(|d| d.code.clone())
        .collect();
    let mut units = vec![];
    for name in [
        "应急管理局",
        "住建局",
        "交通运输局",
        "市场监管局",
        "消防救援大队",
        "商务局",
        "水务局",
        "农业农村局",
    ] {
        units.push(store.add_unit(&sys, name, DEPARTMENT, None).await.unwrap());
    }
    store
        .add_user(
            &sys,
            &NewUser {
                username: "bench".into(),
                display_name: "bench".into(),
                password: "Kx7#perf-run".into(),
                role: Role::Office,
                unit_id: None,
                division: None,
                person_id: None,
            },
        )
        .await
        .unwrap();
    let addr = serve(&store).await;
    Setup {
        addr,
        store,
        townships,
        units,
    }
}

fn bench_backend(name: &str, db: TestDb, records: u64, seconds: u64) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = rt.block_on(setup(&db));
    let mut login = Client::new(s.addr);
    assert_eq!(login.login("bench", "Kx7#perf-run").status, 200);
    let token = login.token.clone().unwrap();
    let mut out = vec![];

    // 1. Creates through HTTP, 16 clients.
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let lat = Arc::new(Mutex::new(Vec::<f64>::new()));
    let (townships, units) = (Arc::new(s.townships.clone()), Arc::new(s.units.clone()));
    let start = Instant::now();
    let threads: Vec<_> = (0..16u64)
        .map(|t| {
            let (done, stop, lat, token) = (done.clone(), stop.clone(), lat.clone(), token.clone());
            let (townships, units) = (townships.clone(), units.clone());
            let addr = s.addr;
            std::thread::spawn(move || {
                let mut c = Client::new(addr);
                c.token = Some(token);
                let mut mine = vec![];
                let mut i = t * 1_000_000_000;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let body = json!({"fields": hazard(i, &townships, &units)});
                    let t0 = Instant::now();
                    let r = c.post("/api/v1/ledgers/hazard/records", &body).unwrap();
                    assert_eq!(r.status, 201, "{}", r.text());
                    mine.push(t0.elapsed().as_secs_f64() * 1000.0);
                    done.fetch_add(1, Ordering::Relaxed);
                }
                lat.lock().unwrap().extend(mine);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    let mut l = lat.lock().unwrap().clone();
    l.sort_by(|a, b| a.total_cmp(b));
    out.push(format!(
        "| {name} | HTTP creates, 16 clients, {seconds} s | {:.0} records/s | p50 {:.1} ms, p99 {:.1} ms ({n} creates) |",
        n as f64 / elapsed,
        pct(&l, 0.5),
        pct(&l, 0.99)
    ));
    eprintln!("{}", out.last().unwrap());

    // 2. Load the ledger up to `records` through the store's bulk path.
    let have = n;
    let t0 = Instant::now();
    let sys = Store::system_access();
    let mut i = have;
    while i < records {
        let chunk = (records - i).min(5000);
        let rows: Vec<(Map<String, Value>, Option<String>)> = (i..i + chunk)
            .map(|k| {
                let state = match k % 10 {
                    0..=5 => "已销号",
                    6 | 7 => "整改中",
                    8 => "待验收",
                    _ => "待交办",
                };
                (hazard(k, &s.townships, &s.units), Some(state.to_string()))
            })
            .collect();
        rt.block_on(s.store.create_many(&sys, "hazard", rows, None)).unwrap();
        i += chunk;
    }
    let load = t0.elapsed().as_secs_f64();
    out.push(format!(
        "| {name} | bulk load to {records} records (validated, evented) | {:.0} records/s | {:.0} s |",
        (records - have) as f64 / load.max(1e-9),
        load
    ));
    eprintln!("{}", out.last().unwrap());

    // 3. Filtered, paginated lists over the whole ledger.
    // Statistics and visibility maps, as a database in use has them (PostgreSQL's
    // autovacuum does this after bulk inserts; here it is not left to chance).
    rt.block_on(async {
        let mut o = s.store.target().connect().await.unwrap();
        let sql = if name == "postgres" {
            "VACUUM ANALYZE records"
        } else {
            "ANALYZE"
        };
        o.conn().script(sql).await.unwrap();
        // `LVZHI_BENCH_SAVE=FILE`: keep a copy of the loaded SQLite database, to study its
        // query plans with the sqlite3 shell.
        if let (Ok(path), "sqlite") = (std::env::var("LVZHI_BENCH_SAVE"), name) {
            let _ = std::fs::remove_file(&path);
            o.conn()
                .script(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
                .await
                .unwrap();
            eprintln!("saved the loaded database to {path}");
        }
    });
    out.extend(list_latency(name, s.addr, &token, records));
    let keep = name == "postgres" && std::env::var("LVZHI_BENCH_SAVE").is_ok();
    rt.block_on(async {
        s.store.close().await;
        if keep {
            eprintln!("kept the loaded database: {}", db.url);
        } else {
            db.drop_db().await;
        }
    });
    out
}

/// The filter shapes of the list benchmark.
const QUERIES: [&str; 6] = [
    "state=%E6%95%B4%E6%94%B9%E4%B8%AD&limit=50",
    "division=620902101&limit=50",
    "warning=red&limit=50",
    "unit=3&open=true&sort=deadline&limit=50",
    "date_field=found_on&from=2026-03-01&to=2026-03-31&limit=50",
    "state=%E5%BE%85%E4%BA%A4%E5%8A%9E&division=620902105&sort=updated&limit=50",
];

/// p50/p99 of filtered, paginated lists: 50 rounds (the first is warm-up) of each filter
/// shape, first page then two pages on by cursor.
fn list_latency(name: &str, addr: SocketAddr, token: &str, records: u64) -> Vec<String> {
    let queries = QUERIES;
    let mut out = vec![];
    let mut c = Client::new(addr);
    c.token = Some(token.to_string());
    let mut lat = vec![];
    let mut per: Vec<Vec<f64>> = vec![vec![]; queries.len()];
    for round in 0..50 {
        for (k, q) in queries.iter().enumerate() {
            // First page, then two pages on by cursor.
            let mut path = format!("/api/v1/ledgers/hazard/records?{q}");
            for _ in 0..3 {
                let t0 = Instant::now();
                let r = c.get(&path).unwrap();
                let ms = t0.elapsed().as_secs_f64() * 1000.0;
                assert_eq!(r.status, 200, "{}", r.text());
                if round > 0 {
                    lat.push(ms);
                    per[k].push(ms);
                }
                match r.json()["next"].as_str() {
                    Some(next) => {
                        path = format!(
                            "/api/v1/ledgers/hazard/records?{q}&cursor={}",
                            next.replace(':', "%3A").replace('+', "%2B")
                        )
                    }
                    None => break,
                }
            }
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    out.push(format!(
        "| {name} | filtered list, 50 rows/page, over {records} records ({} requests, 6 filters × 3 pages) | p50 {:.2} ms | p99 {:.2} ms |",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    ));
    eprintln!("{}", out.last().unwrap());
    for (q, l) in queries.iter().zip(per.iter_mut()) {
        l.sort_by(|a, b| a.total_cmp(b));
        out.push(format!(
            "| {name} | — `{q}` | p50 {:.2} ms | p99 {:.2} ms |",
            pct(l, 0.5),
            pct(l, 0.99)
        ));
        eprintln!("{}", out.last().unwrap());
    }
    out
}

/// `LVZHI_BENCH_FROM=FILE`: the list benchmark alone, on a copy of a database saved by
/// `LVZHI_BENCH_SAVE` (its `bench` user), without creating and loading again.
fn lists_on_saved(file: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pg = file.starts_with("postgres");
    let copy = format!("{file}.run");
    let url = if pg {
        file.to_string()
    } else {
        std::fs::copy(file, &copy).unwrap();
        format!("sqlite:{copy}")
    };
    let (addr, store) = rt.block_on(async {
        let pack = Arc::new(lvzhi_packs::county().unwrap());
        let store = Store::open(&url, pack, lvzhi_store::system_clock()).await.unwrap();
        (serve(&store).await, store)
    });
    let mut login = Client::new(addr);
    assert_eq!(login.login("bench", "Kx7#perf-run").status, 200);
    let token = login.token.clone().unwrap();
    let records = rt.block_on(async {
        let mut c = store.target().connect().await.unwrap();
        c.conn()
            .row("SELECT COUNT(*) FROM records", &[])
            .await
            .unwrap()
            .map(|r| r.i(0))
            .unwrap_or(0)
    });
    let out = list_latency(if pg { "postgres" } else { "sqlite" }, addr, &token, records as u64);
    rt.block_on(store.close());
    if !pg {
        let _ = std::fs::remove_file(&copy);
    }
    out
}

/// The peer: the same durability without lvzhi — 16 concurrent tasks each
/// inserting a JSON row in its own autocommit transaction (one fsync per row
/// on SQLite with WAL + synchronous=FULL; one commit per row on PostgreSQL),
/// no validation, no events, no HTTP.
fn naive_peer(name: &str, db: TestDb, seconds: u64) -> String {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let n = rt.block_on(async {
        let target = lvzhi_store::db::parse_url(&db.url).unwrap();
        let pool = target.pool(16).await.unwrap();
        {
            let mut c = pool.acquire().await.unwrap();
            c.conn()
                .script("CREATE TABLE naive (id BIGINT PRIMARY KEY, data TEXT NOT NULL)")
                .await
                .unwrap();
        }
        let done = Arc::new(AtomicU64::new(0));
        let until = Instant::now() + Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..16i64)
            .map(|t| {
                let (pool, done) = (pool.clone(), done.clone());
                tokio::spawn(async move {
                    let mut i = 0i64;
                    while Instant::now() < until {
                        i += 1;
                        let mut c = pool.acquire().await.unwrap();
                        c.conn()
                            .exec(
                                "INSERT INTO naive (id, data) VALUES ($1, $2)",
                                &[
                                    lvzhi_store::db::P::I(t * 1_000_000_000 + i),
                                    lvzhi_store::db::P::T(
                                        json!({"description": "配电箱未接地", "grade": "一般"}).to_string(),
                                    ),
                                ],
                            )
                            .await
                            .unwrap();
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        pool.close().await;
        done.load(Ordering::Relaxed)
    });
    rt.block_on(db.drop_db());
    format!(
        "| {name} | peer: 16 tasks, one autocommit INSERT per row (same durability settings, no validation/events/HTTP), {seconds} s | {:.0} rows/s | {n} rows |",
        n as f64 / seconds as f64
    )
}

fn main() {
    // `cargo test --benches` runs benches with `--bench`-less args: do nothing then.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let records = env_u64("LVZHI_BENCH_RECORDS", 1_000_000);
    let seconds = env_u64("LVZHI_BENCH_SECONDS", 10);
    let backends = std::env::var("LVZHI_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let mut lines = vec![
        "| backend | what | result | detail |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    if let Ok(file) = std::env::var("LVZHI_BENCH_FROM") {
        lines.extend(lists_on_saved(&file));
        println!("{}", lines.join("\n"));
        return;
    }
    for b in backends.split(',') {
        let db = match b {
            "sqlite" => Some(TestDb::sqlite()),
            "postgres" => tokio::runtime::Runtime::new().unwrap().block_on(TestDb::postgres()),
            other => panic!("unknown backend {other}"),
        };
        if let Some(db) = db {
            lines.extend(bench_backend(b, db, records, seconds));
            let peer = match b {
                "sqlite" => Some(TestDb::sqlite()),
                _ => tokio::runtime::Runtime::new().unwrap().block_on(TestDb::postgres()),
            };
            if let Some(peer) = peer {
                lines.push(naive_peer(b, peer, seconds));
                eprintln!("{}", lines.last().unwrap());
            }
        }
    }
    println!("{}", lines.join("\n"));
}
