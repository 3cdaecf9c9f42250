//! Page benchmark (issue 7): server time p50/p99 of each main page of the web
//! UI on the demo county under 16 concurrent clients, and each page's weight
//! (HTML with its inline SVG, plus the CSS and JS it links) without caching.
//!
//! `cargo bench -p lvzhi --bench pages` — env: `LVZHI_BENCH_SECONDS` (default
//! 5 s per page), `LVZHI_BENCH_CLIENTS` (default 16), `LVZHI_BENCH_WRITE_MS`
//! (default 0 = none: a 催办 of one record every so many milliseconds while
//! the clients read, so every page's memoised data goes stale that often and
//! is recomputed under load, as on a working server). The demo county (seed 1,
//! 23,257 records) is built into a temporary SQLite database and served by
//! this process on its own 2-thread runtime, on the demo's clock (like `lvzhi
//! demo`); the clients are OS threads with keep-alive connections on the same
//! machine, so the times include the loopback round trip. Each page is warmed
//! with three requests first (the indicator engine's cache), as a working
//! server would be.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_testkit::TestDb;
use lvzhi_testkit::http::Client;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A client signed in through the API; pages read the same session cookie.
fn client(addr: SocketAddr, user: &str, password: &str) -> Client {
    let mut c = Client::new(addr);
    let r = c.login(user, password);
    assert_eq!(r.status, 200, "login {user}: {}", r.text());
    let token = r.json()["token"].as_str().unwrap().to_string();
    c.token = None;
    c.headers = vec![("Cookie".into(), format!("lvzhi_session={token}"))];
    c
}

/// The URLs of the stylesheets, scripts and images a page links.
fn linked(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for pat in ["<link rel=\"stylesheet\" href=\"", "<script src=\"", "<img src=\""] {
        for part in html.split(pat).skip(1) {
            if let Some(u) = part.split('"').next()
                && u.starts_with('/')
                && !out.contains(&u.to_string())
            {
                out.push(u.replace("&#38;", "&").replace("&amp;", "&"));
            }
        }
    }
    out
}

fn main() {
    let seconds = env_u64("LVZHI_BENCH_SECONDS", 5);
    let clients = env_u64("LVZHI_BENCH_CLIENTS", 16) as usize;
    let db = TestDb::sqlite();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let (addr, users, record) = rt.block_on(async {
        let store = lvzhi_store::Store::open(&db.url, pack.clone(), lvzhi_demo::demo_clock())
            .await
            .unwrap();
        let t = Instant::now();
        let summary = lvzhi_demo::build(&store, &lvzhi_demo::DemoOptions::default())
            .await
            .unwrap();
        store.close().await;
        eprintln!(
            "demo county built: {} records in {:.1?}",
            summary.total_records(),
            t.elapsed()
        );
        let start: jiff::Timestamp = lvzhi_demo::DEMO_NOW.parse().unwrap();
        let store = lvzhi_store::Store::open(&db.url, pack, lvzhi_store::offset_clock(start))
            .await
            .unwrap();
        // A record an office user sees: the newest hazard.
        let office = summary.users.iter().find(|u| u.username == "office").unwrap();
        let (a, _) = store.access_for(office.id).await.unwrap();
        let q = lvzhi_store::records::ListQuery {
            limit: Some(1),
            ..Default::default()
        };
        let record = store.list(&a, "hazard", &q).await.unwrap().items[0].row.id;
        let write_ms = env_u64("LVZHI_BENCH_WRITE_MS", 0);
        if write_ms > 0 {
            let store = store.clone();
            let office = office.id;
            tokio::spawn(async move {
                let (a, _) = store.access_for(office).await.unwrap();
                loop {
                    tokio::time::sleep(Duration::from_millis(write_ms)).await;
                    if let Err(e) = store.urge(&a, record, "请加快办理").await {
                        eprintln!("write failed: {e}");
                    }
                }
            });
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = lvzhi_web::state(store, false).unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                lvzhi_web::app(state).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        let users: Vec<(String, String)> = summary
            .users
            .iter()
            .map(|u| (u.username.clone(), u.password.clone()))
            .collect();
        (addr, users, record)
    });
    let password = |name: &str| users.iter().find(|(u, _)| u == name).unwrap().1.clone();
    let record_path = format!("/records/{record}");
    let pages: Vec<(&str, &str, &str)> = vec![
        ("首页（经办人）", "xidong_clerk", "/"),
        ("首页（领导驾驶舱）", "leader", "/"),
        ("台账列表（隐患，50条）", "office", "/ledgers/hazard"),
        ("记录页", "office", &record_path),
        ("督查督办", "office", "/supervise"),
        ("督查督办（领导）", "leader", "/supervise"),
        ("指标（全县）", "office", "/indicators"),
        (
            "指标数据来源",
            "office",
            "/indicators/hazards_found?period=2026&scope=county",
        ),
        ("审计", "auditor", "/audit"),
    ];
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "pages: {clients} clients, {seconds} s per page, writes: {}, loadavg before: {}",
        match env_u64("LVZHI_BENCH_WRITE_MS", 0) {
            0 => "none".to_string(),
            ms => format!("a 催办 every {ms} ms"),
        },
        load.trim()
    );
    println!("| page | user | requests | p50 ms | p99 ms | max ms | HTML bytes | + CSS/JS bytes | total bytes |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (label, user, path) in pages {
        let pw = password(user);
        // Warm up and weigh.
        let mut c = client(addr, user, &pw);
        let mut html = String::new();
        for _ in 0..3 {
            let r = c.get(path).unwrap();
            assert_eq!(r.status, 200, "{label} {path}: {}", r.text());
            html = r.text();
        }
        let mut assets = 0usize;
        let mut plain = Client::new(addr);
        for u in linked(&html) {
            let r = plain.get(&u).unwrap();
            assert_eq!(r.status, 200, "{u}");
            assets += r.body.len();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let stop = stop.clone();
                let mut c = client(addr, user, &pw);
                let path = path.to_string();
                std::thread::spawn(move || {
                    let mut times = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        let r = c.get(&path).unwrap();
                        assert_eq!(r.status, 200);
                        times.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    times
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        let mut times: Vec<f64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        times.sort_by(f64::total_cmp);
        println!(
            "| {label} | {user} | {} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
            times.len(),
            pct(&times, 0.5),
            pct(&times, 0.99),
            times.last().copied().unwrap_or(f64::NAN),
            html.len(),
            assets,
            html.len() + assets
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("loadavg after: {}", load.trim());
    rt.block_on(db.drop_db());
}
