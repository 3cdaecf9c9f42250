//! The demo county: every figure of the seed from the records, determinism,
//! PostgreSQL, and every ledger's loop (each transition, each refusal).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use jiff::civil::Date;
use lvzhi_core::access::{Access, Role};
use lvzhi_core::field::FieldType;
use lvzhi_demo::{DemoOptions, DemoSummary};
use lvzhi_store::records::{ListQuery, RecordRow};
use lvzhi_store::{Store, StoreError};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};
use sqlx::Connection;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PG_BASE: &str = "postgres://postgres@127.0.0.1:5432";

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", std::process::id(), nanos & 0xffff_ffff_ffff)
}

async fn open(url: &str) -> Store {
    let pack = Arc::new(lvzhi_packs::county().expect("pack"));
    let s = Store::open(url, pack, lvzhi_demo::demo_clock()).await.expect("open");
    // Evidence photos of the loop walk go to the temp dir, whichever backend.
    s.set_files_dir(std::env::temp_dir().join(format!("lvzhi-demo-files-{}", std::process::id())));
    s
}

async fn build(store: &Store, seed: u64, what: &str) -> DemoSummary {
    let t = Instant::now();
    let s = lvzhi_demo::build(store, &DemoOptions { seed, scale: 1 })
        .await
        .expect("demo builds");
    println!(
        "[{what}] demo county built in {:.2?}: {} records",
        t.elapsed(),
        s.total_records()
    );
    s
}

struct Sqlite(std::path::PathBuf);

impl Sqlite {
    fn new() -> Sqlite {
        Sqlite(std::env::temp_dir().join(format!("lvzhi_demo_{}.db", unique())))
    }
    fn url(&self) -> String {
        format!("sqlite:{}", self.0.display())
    }
}

impl Drop for Sqlite {
    fn drop(&mut self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.0.display()));
        }
    }
}

/// Every record of a ledger, oldest first.
async fn all(store: &Store, ledger: &str) -> Vec<RecordRow> {
    let sys = Store::system_access();
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let q = ListQuery {
            limit: Some(500),
            cursor: cursor.clone(),
            include_voided: true,
            ..Default::default()
        };
        let page = store.list(&sys, ledger, &q).await.expect("list");
        out.extend(page.items.into_iter().map(|v| v.row));
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    out.reverse();
    out
}

fn s<'a>(r: &'a RecordRow, k: &str) -> &'a str {
    r.fields.get(k).and_then(Value::as_str).unwrap_or("")
}

fn i(r: &RecordRow, k: &str) -> Option<i64> {
    r.fields.get(k).and_then(Value::as_i64)
}

fn dec(r: &RecordRow, k: &str) -> Decimal {
    match r.fields.get(k) {
        Some(Value::String(x)) => Decimal::from_str(x).expect("decimal"),
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string()).expect("decimal"),
        _ => Decimal::ZERO,
    }
}

fn date_in(r: &RecordRow, k: &str, from: &str, to: &str) -> bool {
    let d = s(r, k);
    !d.is_empty() && d >= from && d <= to
}

fn d(x: &str) -> Decimal {
    Decimal::from_str(x).expect("literal")
}

fn yi(yuan: Decimal) -> Decimal {
    yuan / d("100000000")
}

fn wan(yuan: Decimal) -> Decimal {
    yuan / d("10000")
}

fn pct(x: Decimal, places: u32) -> Decimal {
    (x * d("100")).round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

fn growth(now: Decimal, before: Decimal, places: u32) -> Decimal {
    pct(now / before - Decimal::ONE, places)
}

const FROM: &str = "2026-01-01";
const TO: &str = "2026-11-30";
/// A ledger's 同比 compares like for like: the demo's today (11-25) against the same day of 2025.
const LAST_YEAR_TO: &str = "2025-11-25";

/// The statistics: sums of monthly rows (已审核) and month-end levels.
struct Stats(Vec<RecordRow>);

impl Stats {
    fn rows<'a>(&'a self, name: &'a str, division: &'a str) -> impl Iterator<Item = &'a RecordRow> + 'a {
        self.0
            .iter()
            .filter(move |r| r.state == "已审核" && s(r, "indicator") == name && s(r, "division") == division)
    }
    /// Sum of the monthly rows of `year`-01..`year`-11.
    fn flow_in(&self, name: &str, year: i32, division: &str) -> Decimal {
        self.rows(name, division)
            .filter(|r| {
                let p = s(r, "period");
                p.len() == 7 && p >= format!("{year}-01").as_str() && p <= format!("{year}-11").as_str()
            })
            .map(|r| dec(r, "value"))
            .sum()
    }
    fn flow(&self, name: &str, year: i32) -> Decimal {
        self.flow_in(name, year, "620902")
    }
    /// The row of one period.
    fn at(&self, name: &str, period: &str) -> Decimal {
        let v: Vec<Decimal> = self
            .rows(name, "620902")
            .filter(|r| s(r, "period") == period)
            .map(|r| dec(r, "value"))
            .collect();
        assert_eq!(v.len(), 1, "{name} {period}: {v:?}");
        v[0]
    }
}

/// Asserts every figure of the seed's table from the records alone.
async fn assert_seed_figures(store: &Store) {
    let exec = store
        .people()
        .await
        .expect("people")
        .into_iter()
        .find(|p| p.post == "常务副县长")
        .expect("常务副县长")
        .id;

    // 项目
    let projects = all(store, "project").await;
    let planned: Vec<&RecordRow> = projects.iter().filter(|r| date_in(r, "planned_on", FROM, TO)).collect();
    assert_eq!(planned.len(), 1141, "谋划项目数");
    let total: Decimal = planned.iter().map(|r| dec(r, "total_investment")).sum();
    assert_eq!(yi(total), d("2038.2"), "谋划项目总投资");
    let big: Vec<&&RecordRow> = planned
        .iter()
        .filter(|r| dec(r, "total_investment") >= d("5000000"))
        .collect();
    assert_eq!(big.len(), 256, "500万元以上项目数");
    let small_max = planned
        .iter()
        .filter(|r| dec(r, "total_investment") < d("5000000"))
        .count();
    assert_eq!(small_max, 885);
    let plan: Decimal = big.iter().map(|r| dec(r, "annual_plan_investment")).sum();
    assert_eq!(yi(plan), d("181"), "500万元以上项目计划投资");
    let trade: Vec<&RecordRow> = projects
        .iter()
        .filter(|r| r.fields.get("is_trade_logistics") == Some(&Value::Bool(true)) && i(r, "plan_year") == Some(2026))
        .collect();
    assert_eq!(trade.len(), 25, "商贸物流项目数");
    assert_eq!(
        yi(trade.iter().map(|r| dec(r, "total_investment")).sum()),
        d("76"),
        "商贸物流项目总投资"
    );
    assert_eq!(
        yi(trade.iter().map(|r| dec(r, "annual_completed_investment")).sum()),
        d("11.6"),
        "商贸物流项目年度投资"
    );

    // 统计报表
    let st = Stats(all(store, "statistic").await);
    let f26 = st.flow("财政总收入", 2026);
    let f25 = st.flow("财政总收入", 2025);
    assert_eq!(f26 / d("10000"), d("21.6"), "财政总收入");
    let budget = st.at("财政总收入预算", "2026");
    assert_eq!(budget / d("10000"), d("18.92"), "财政总收入预算");
    assert_eq!(pct(f26 / budget, 1), d("114.2"), "财政总收入预算完成率");
    assert_eq!((f26 - f25) / d("10000"), d("3.87"), "财政总收入同比增收");
    assert_eq!(growth(f26, f25, 1), d("21.8"), "财政总收入同比增长");
    let g26 = st.flow("一般公共预算收入", 2026);
    assert_eq!(g26 / d("10000"), d("7.48"), "一般公共预算收入");
    assert_eq!(
        growth(g26, st.flow("一般公共预算收入", 2025), 1),
        d("5.8"),
        "一般公共预算收入同比增长"
    );
    let z26 = st.flow("政府性基金收入", 2026);
    let z25 = st.flow("政府性基金收入", 2025);
    assert_eq!(z26 / d("10000"), d("3.6"), "政府性基金收入");
    assert_eq!((z26 - z25) / d("10000"), d("2.29"), "政府性基金收入同比增收");
    assert_eq!(growth(z26, z25, 1), d("174.8"), "政府性基金收入同比增长");
    let q = st.flow("争取到位资金", 2026);
    let task = st.at("争取到位资金全年任务", "2026");
    assert_eq!(q / d("10000"), d("13.68"), "争取到位资金");
    assert_eq!(task / d("10000"), d("12.67"), "争取到位资金全年任务");
    assert_eq!(pct(q / task, 1), d("108.0"), "争取到位资金完成率");
    let r26 = st.flow("社会消费品零售总额", 2026);
    assert_eq!(r26 / d("10000"), d("67.53"), "社会消费品零售总额");
    assert_eq!(
        growth(r26, st.flow("社会消费品零售总额", 2025), 1),
        d("8.4"),
        "社零同比增长"
    );
    let siblings = ["620921", "620922", "620923", "620924", "620981", "620982"];
    let mut city: Vec<(Decimal, &str)> = siblings
        .iter()
        .map(|c| (st.flow_in("社会消费品零售总额", 2026, c), *c))
        .collect();
    assert!(
        city.iter().all(|(v, _)| *v > Decimal::ZERO),
        "every county of the city reports"
    );
    city.push((r26, "620902"));
    city.sort_by_key(|c| std::cmp::Reverse(c.0));
    assert_eq!(city[0].1, "620902", "社会消费品零售总额全市排名 1");
    let e26 = st.flow("电子商务交易额", 2026);
    assert_eq!(e26 / d("10000"), d("8"), "电子商务交易额");
    assert!(
        growth(e26, st.flow("电子商务交易额", 2025), 1) >= d("30"),
        "电子商务交易额同比增长"
    );
    assert_eq!(st.at("进出口备案企业数", "2026-11"), d("88"), "进出口备案企业数");
    assert_eq!(st.flow("新增进出口备案企业数", 2026), d("8"), "新增进出口备案企业数");
    assert_eq!(
        growth(
            st.at("进出口备案企业数", "2026-11"),
            st.at("进出口备案企业数", "2025-11"),
            1
        ),
        d("10.0"),
        "进出口备案企业数同比增长"
    );
    assert_eq!(st.flow("城镇新增就业", 2026), d("7090"), "城镇新增就业");
    assert_eq!(st.at("城镇登记失业率", "2026-11"), d("3.05"), "城镇登记失业率");
    assert_eq!(st.flow("培训城乡劳动力", 2026), d("9965"), "培训城乡劳动力");
    assert_eq!(
        st.flow("输转农村劳动力", 2026) / d("10000"),
        d("6.32"),
        "输转农村劳动力"
    );
    assert_eq!(st.flow("劳务收入", 2026) / d("10000"), d("10.97"), "劳务收入");
    assert_eq!(
        st.at("社会保险参保人数", "2026-11") / d("10000"),
        d("42.6"),
        "社会保险参保人数"
    );
    assert_eq!(st.flow("查处治安案件", 2026), d("3670"), "查处治安案件");
    assert_eq!(st.flow("治安拘留人数", 2026), d("926"), "治安拘留人数");
    assert_eq!(st.flow("涉黄涉赌案件", 2026), d("156"), "涉黄涉赌案件");

    // 招商
    let leads = all(store, "investment_lead").await;
    let signed: Vec<&RecordRow> = leads.iter().filter(|r| date_in(r, "signed_on", FROM, TO)).collect();
    assert_eq!(signed.len(), 10, "招商签约项目数");
    assert_eq!(
        yi(signed.iter().map(|r| dec(r, "signed_amount")).sum()),
        d("36"),
        "招商签约金额"
    );

    // 履职纪实
    let log = all(store, "duty_log").await;
    let mine = |kind: &str, meeting: Option<&str>| {
        log.iter()
            .filter(|r| {
                r.owner_id == Some(exec)
                    && i(r, "leader") == Some(exec)
                    && s(r, "kind") == kind
                    && date_in(r, "held_on", FROM, TO)
                    && meeting.is_none_or(|m| {
                        s(r, "meeting_kind") == m && r.fields.get("presided") == Some(&Value::Bool(true))
                    })
            })
            .count()
    };
    assert_eq!(mine("会议", Some("欠薪协调会议")), 9, "欠薪协调会议");
    assert_eq!(
        mine("会议", Some("交通消防安全推进会议")),
        8,
        "主持交通消防安全推进会议"
    );
    assert_eq!(mine("外出招商", None), 2, "外出招商");
    let met: i64 = log
        .iter()
        .filter(|r| i(r, "leader") == Some(exec) && s(r, "kind") == "外出招商" && date_in(r, "held_on", FROM, TO))
        .filter_map(|r| i(r, "companies_met"))
        .sum();
    assert_eq!(met, 15, "考察洽谈企业");

    // 物价
    let prices = all(store, "price_case").await;
    let in26: Vec<&RecordRow> = prices.iter().filter(|r| date_in(r, "filed_on", FROM, TO)).collect();
    assert_eq!(
        in26.iter().filter(|r| s(r, "form") == "专项检查").count(),
        9,
        "价格专项检查"
    );
    assert_eq!(
        wan(in26.iter().map(|r| dec(r, "illegal_amount")).sum()),
        d("398"),
        "查处价格违法金额"
    );
    assert_eq!(
        wan(in26.iter().map(|r| dec(r, "refund_amount")).sum()),
        d("296"),
        "清退群众金额"
    );
    assert!(
        prices
            .iter()
            .all(|r| dec(r, "refund_amount") <= dec(r, "illegal_amount"))
    );

    // 火灾
    let acc = all(store, "accident").await;
    let fires = |from: &str, to: &str| -> (Decimal, Decimal, i64) {
        let f: Vec<&RecordRow> = acc
            .iter()
            .filter(|r| s(r, "kind") == "火灾" && date_in(r, "occurred_on", from, to))
            .collect();
        let casualties = f
            .iter()
            .map(|r| i(r, "deaths").unwrap_or(0) + i(r, "injuries").unwrap_or(0))
            .sum();
        (
            Decimal::from(f.len()),
            f.iter().map(|r| dec(r, "direct_loss")).sum(),
            casualties,
        )
    };
    let (n26, l26, c26) = fires(FROM, TO);
    let (n25, l25, c25) = fires("2025-01-01", LAST_YEAR_TO);
    assert_eq!(growth(n26, n25, 2), d("-6.38"), "火灾起数同比");
    assert_eq!(growth(l26, l25, 2), d("-11.23"), "火灾直接财产损失同比");
    assert_eq!(c26, c25, "火灾伤亡人数与去年持平");
    for kind in ["道路交通", "生产安全"] {
        let sum = |from: &str, to: &str, f: &dyn Fn(&RecordRow) -> Decimal| -> Decimal {
            acc.iter()
                .filter(|r| s(r, "kind") == kind && date_in(r, "occurred_on", from, to))
                .map(f)
                .sum()
        };
        for (what, f) in [
            (
                "起数",
                &(|_: &RecordRow| Decimal::ONE) as &dyn Fn(&RecordRow) -> Decimal,
            ),
            ("死亡", &|r: &RecordRow| Decimal::from(i(r, "deaths").unwrap_or(0))),
            ("受伤", &|r: &RecordRow| Decimal::from(i(r, "injuries").unwrap_or(0))),
            ("损失", &|r: &RecordRow| dec(r, "direct_loss")),
        ] {
            assert!(
                sum(FROM, TO, f) < sum("2025-01-01", LAST_YEAR_TO, f),
                "{kind}{what}下降"
            );
        }
    }

    // 安全生产
    let insp = all(store, "safety_inspection").await;
    let insp26: Vec<&RecordRow> = insp.iter().filter(|r| date_in(r, "inspected_on", FROM, TO)).collect();
    assert_eq!(
        insp26.iter().filter(|r| i(r, "leader") == Some(exec)).count(),
        11,
        "带队安全检查次数"
    );
    assert_eq!(
        insp26.iter().filter_map(|r| i(r, "units_checked")).sum::<i64>(),
        4331,
        "检查企事业单位"
    );
    assert_eq!(
        insp26.iter().filter_map(|r| i(r, "hazards_found")).sum::<i64>(),
        4496,
        "发现隐患数"
    );
    let hz = all(store, "hazard").await;
    let hz26: Vec<&RecordRow> = hz.iter().filter(|r| date_in(r, "found_on", FROM, TO)).collect();
    assert_eq!(hz26.len(), 4496, "排查隐患");
    let closed = hz26.iter().filter(|r| r.state == "已销号").count();
    assert!(closed * 100 >= hz26.len() * 80, "most hazards are closed: {closed}");
    let today: Date = "2026-11-25".parse().expect("date");
    let red = hz26
        .iter()
        .filter(|r| !r.closed && r.deadline.as_deref().is_some_and(|x| x < "2026-11-25"))
        .count();
    let yellow = hz26
        .iter()
        .filter(|r| {
            !r.closed
                && r.deadline
                    .as_deref()
                    .is_some_and(|x| ("2026-11-25"..="2026-11-30").contains(&x))
        })
        .count();
    assert!(red >= 20 && yellow >= 20, "red {red}, yellow {yellow} on {today}");
    assert!(hz26.iter().any(|r| s(r, "grade") == "重大"));
    let townships: std::collections::BTreeSet<&str> = hz26.iter().map(|r| &s(r, "township")[..9]).collect();
    assert!(townships.len() >= 20, "hazards spread over townships");

    // 矛盾纠纷
    let disputes = all(store, "dispute").await;
    let d26: Vec<&RecordRow> = disputes
        .iter()
        .filter(|r| date_in(r, "received_on", FROM, TO))
        .collect();
    let ok = d26.iter().filter(|r| r.state == "调解成功").count();
    assert_eq!(d26.len(), 3365, "排查矛盾纠纷");
    assert_eq!(ok, 3298, "成功调处");
    assert_eq!(
        pct(Decimal::from(ok) / Decimal::from(d26.len()), 1),
        d("98.0"),
        "调处成功率"
    );
    let kinds: std::collections::BTreeSet<&str> = d26.iter().map(|r| s(r, "kind")).collect();
    assert_eq!(kinds.len(), 9, "disputes of every type");

    // 信访: 包案 leaders, some of them the 常务副县长.
    let pet = all(store, "petition").await;
    assert!(pet.iter().any(|r| r.owner_id == Some(exec)));
    assert!(pet.iter().filter(|r| r.owner_id.is_some()).count() > 50);
}

/// Every record (and the org) in a canonical text, to compare builds.
async fn dump(store: &Store) -> String {
    let mut out = String::new();
    for d in store.divisions("").await.expect("divisions") {
        out.push_str(&format!("division {} {} {} {:?}\n", d.code, d.name, d.level, d.parent));
    }
    for u in store.units().await.expect("units") {
        out.push_str(&format!("unit {} {} {} {:?}\n", u.id, u.name, u.kind, u.division));
    }
    for p in store.people().await.expect("people") {
        out.push_str(&format!(
            "person {} {} {} {:?} {:?}\n",
            p.id, p.name, p.post, p.unit_id, p.oversees
        ));
    }
    for u in store.users().await.expect("users") {
        out.push_str(&format!("user {} {} {:?} {:?}\n", u.id, u.username, u.role, u.unit_id));
    }
    let mut rows: Vec<RecordRow> = Vec::new();
    for l in &store.pack().ledgers {
        rows.extend(all(store, &l.key).await);
    }
    rows.sort_by_key(|r| r.id);
    for r in rows {
        let fields: BTreeMap<&String, &Value> = r.fields.iter().collect();
        out.push_str(&format!(
            "{} {} {} {:?} {:?} {:?} {:?} {:?} {} {} {} {} {} {} {}\n",
            r.id,
            r.ledger,
            r.state,
            r.unit_id,
            r.source_unit_id,
            r.division,
            r.owner_id,
            r.deadline,
            r.closed,
            r.voided,
            r.title,
            serde_json::to_string(&fields).unwrap_or_default(),
            r.version,
            r.state_since,
            r.created_at
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seed_figure_comes_from_the_records() {
    let db = Sqlite::new();
    let store = open(&db.url()).await;
    let summary = build(&store, 1, "sqlite").await;
    println!("{summary}");
    assert_eq!(
        summary.users.len(),
        11,
        "one per role, the three administrators included"
    );
    assert_eq!(
        store
            .divisions("620902")
            .await
            .expect("divisions")
            .iter()
            .filter(|d| d.level == 2)
            .count(),
        25
    );
    assert_eq!(
        store
            .divisions("620902")
            .await
            .expect("divisions")
            .iter()
            .filter(|d| d.level == 3)
            .count(),
        186
    );
    assert!(
        store
            .meta("demo")
            .await
            .expect("meta")
            .is_some_and(|m| m.contains("演示数据"))
    );
    assert_seed_figures(&store).await;
    // A second build into the same database is refused.
    assert!(matches!(
        lvzhi_demo::build(&store, &DemoOptions::default()).await,
        Err(StoreError::Conflict(_))
    ));
    // The printed passwords work.
    for u in &summary.users {
        store.login(&u.username, &u.password, "web").await.expect("demo login");
    }
    assert!(store.verify_chain().await.expect("verify").error.is_none());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_county() {
    let (a, b, c) = (Sqlite::new(), Sqlite::new(), Sqlite::new());
    let (sa, sb, sc) = (open(&a.url()).await, open(&b.url()).await, open(&c.url()).await);
    let x = build(&sa, 7, "seed 7, first").await;
    let y = build(&sb, 7, "seed 7, second").await;
    build(&sc, 8, "seed 8").await;
    assert_eq!(x, y, "same summary, same passwords");
    let (da, db, dc) = (dump(&sa).await, dump(&sb).await, dump(&sc).await);
    assert!(da.len() > 1_000_000);
    assert!(da == db, "two builds with the same seed differ");
    assert!(da != dc, "another seed gives another county");
    // The figures hold for any seed.
    assert_seed_figures(&sa).await;
    for s in [sa, sb, sc] {
        s.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_demo_loads_on_postgresql() {
    let required = std::env::var("LVZHI_REQUIRE_PG").is_ok_and(|v| v == "1");
    let mut admin = match sqlx::PgConnection::connect(PG_ADMIN_URL).await {
        Ok(c) => c,
        Err(e) => {
            assert!(
                !required,
                "PostgreSQL required (LVZHI_REQUIRE_PG=1) but unreachable: {e}"
            );
            eprintln!("skipped: PostgreSQL at {PG_ADMIN_URL} unreachable ({e})");
            return;
        }
    };
    let name = format!("lvzhi_demo_{}", unique());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    let pg = open(&format!("{PG_BASE}/{name}")).await;
    let lite_db = Sqlite::new();
    let lite = open(&lite_db.url()).await;
    let a = build(&pg, 1, "postgres").await;
    let b = build(&lite, 1, "sqlite").await;
    assert_eq!(a, b);
    assert_seed_figures(&pg).await;
    let (x, y) = (dump(&pg).await, dump(&lite).await);
    let diff = x.lines().zip(y.lines()).find(|(p, q)| p != q);
    assert!(diff.is_none(), "PostgreSQL and SQLite differ: {diff:?}");
    assert_eq!(x.len(), y.len());
    pg.close().await;
    lite.close().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .expect("DROP DATABASE");
}

// ------------------------------------------------------------ loops

/// A valid value for a field, for the loop test.
fn filler(ty: FieldType, f: &lvzhi_core::field::FieldDef, ctx: &Ctx) -> Value {
    match ty {
        FieldType::Text | FieldType::LongText => json!("测试内容"),
        FieldType::Integer => {
            let lo = f.min.map(|m| i64::try_from(m).unwrap_or(1)).unwrap_or(1).max(1);
            json!(lo.max(if f.min.is_some_and(|m| m >= d("2000")) { 2026 } else { 1 }))
        }
        FieldType::Decimal | FieldType::Percent => json!("1"),
        FieldType::Money => json!("10"),
        // Deadlines ahead; every other date (events that happened) on one past day,
        // so the pack's date rules (not in the future, not before another) hold.
        FieldType::Date if f.role == Some(lvzhi_core::field::FieldRole::Deadline) => json!("2026-12-20"),
        FieldType::Date => json!("2026-11-20"),
        FieldType::Datetime => json!("2026-11-25 10:00"),
        FieldType::Period => json!("2026-11"),
        FieldType::Enum => json!(f.values[0]),
        FieldType::MultiEnum => json!([f.values[0]]),
        FieldType::Bool => json!(true),
        FieldType::Division => json!("620902100"),
        FieldType::Unit => json!(ctx.unit),
        FieldType::Person => json!(ctx.exec),
        FieldType::Record => json!(ctx.records.get(f.ledger.as_deref().unwrap_or("")).copied().unwrap_or(0)),
        FieldType::CreditCode => json!(lvzhi_core::ids::complete_credit_code("91620902MA0123456").expect("code")),
        FieldType::IdCard => json!(lvzhi_core::ids::complete_id_card("62090219800101001").expect("id")),
        FieldType::Phone => json!("13909370000"),
    }
}

struct Ctx {
    unit: i64,
    /// Another unit (a 转办 hands the record over to it).
    other_unit: i64,
    exec: i64,
    records: BTreeMap<String, i64>,
    users: BTreeMap<Role, Access>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ledger_loop_every_transition_and_refusal() {
    let db = Sqlite::new();
    let store = open(&db.url()).await;
    let summary = build(&store, 1, "loops").await;
    let mut users = BTreeMap::new();
    for u in &summary.users {
        if u.username == "xidong_clerk" || u.username == "xidong_head" {
            continue;
        }
        users.insert(u.role, store.access_for(u.id).await.expect("access").0);
    }
    let units = store.units().await.expect("units");
    let unit = units.iter().find(|u| u.name == "应急管理局").expect("应急管理局").id;
    let other_unit = units.iter().find(|u| u.id != unit).expect("another unit").id;
    let exec = store
        .people()
        .await
        .expect("people")
        .into_iter()
        .find(|p| p.post == "常务副县长")
        .expect("exec")
        .id;
    let mut records = BTreeMap::new();
    for l in &store.pack().ledgers {
        let page = store
            .list(
                &Store::system_access(),
                &l.key,
                &ListQuery {
                    limit: Some(1),
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        if let Some(r) = page.items.first() {
            records.insert(l.key.clone(), r.row.id);
        }
    }
    let ctx = Ctx {
        unit,
        other_unit,
        exec,
        records,
        users,
    };
    let prefer = [Role::Office, Role::UnitHead, Role::UnitClerk, Role::Leader, Role::Admin];
    let wrong_pref = [Role::Leader, Role::UnitClerk, Role::Office, Role::UnitHead];
    let mut checked = 0;
    for kind in store.pack().ledgers.iter() {
        let Some(wf) = &kind.workflow else { continue };
        for t in &wf.transitions {
            // Shortest path from the initial state to the transition's first source state.
            let target = &t.from[0];
            let mut paths: BTreeMap<String, Vec<&lvzhi_core::ledger::TransitionDef>> = BTreeMap::new();
            paths.insert(wf.initial.clone(), vec![]);
            let mut frontier = vec![wf.initial.clone()];
            while !paths.contains_key(target) && !frontier.is_empty() {
                let mut next = Vec::new();
                for st in &frontier {
                    for tr in wf.transitions.iter().filter(|tr| tr.from.contains(st)) {
                        if !paths.contains_key(&tr.to) {
                            let mut p = paths[st].clone();
                            p.push(tr);
                            paths.insert(tr.to.clone(), p);
                            next.push(tr.to.clone());
                        }
                    }
                }
                frontier = next;
            }
            let path = paths
                .get(target)
                .unwrap_or_else(|| panic!("{}: {target} unreachable", kind.key))
                .clone();
            // A fresh record, visible to every demo user.
            let mut fields = Map::new();
            for f in &kind.fields {
                if f.required || f.role.is_some() {
                    fields.insert(f.key.clone(), filler(f.ty, f, &ctx));
                }
            }
            let admin = &ctx.users[&Role::Admin];
            let mut rec = store
                .create(admin, &kind.key, fields)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", kind.key));
            for step in path.iter().copied().chain(std::iter::once(t)) {
                let is_target = std::ptr::eq(step, t);
                let mut fields: Map<String, Value> = step
                    .requires
                    .iter()
                    .filter_map(|k| kind.field(k).map(|f| (k.clone(), filler(f.ty, f, &ctx))))
                    .collect();
                // Steps with rules of their own (issue 17): 转办 names another unit, a
                // 延期申请 a date a few days past the filler deadline (2026-12-20).
                if step.transfer
                    && let Some(f) = kind.role_field(lvzhi_core::field::FieldRole::Unit)
                {
                    fields.insert(f.key.clone(), json!(ctx.other_unit));
                }
                if step.extend == Some(lvzhi_core::ledger::ExtendStep::Request)
                    && let Some(x) = &kind.extension
                {
                    fields.insert(x.field.clone(), json!("2026-12-28"));
                }
                let reason = step.reason.then(|| "测试原因".to_string());
                if is_target {
                    // One refusal: a role that may not take it.
                    let wrong = wrong_pref
                        .iter()
                        .find(|r| !step.roles.contains(r))
                        .copied()
                        .unwrap_or(Role::Auditor);
                    let err = store
                        .transition(
                            &ctx.users[&wrong],
                            rec.id,
                            rec.version,
                            &step.name,
                            fields.clone(),
                            reason.clone(),
                        )
                        .await;
                    assert!(
                        matches!(err, Err(StoreError::Forbidden(_))),
                        "{} {}: {:?} should be refused, got {err:?}",
                        kind.key,
                        step.name,
                        wrong
                    );
                    if step.reason {
                        let role = *prefer.iter().find(|r| step.roles.contains(r)).expect("a role");
                        let err = store
                            .transition(&ctx.users[&role], rec.id, rec.version, &step.name, fields.clone(), None)
                            .await;
                        assert!(
                            matches!(err, Err(StoreError::Invalid(_))),
                            "{} {}: reason required",
                            kind.key,
                            step.name
                        );
                    }
                }
                let role = *prefer.iter().find(|r| step.roles.contains(r)).expect("a role");
                // The attachments the step's evidence rules ask for (issue 16).
                lvzhi_testkit::evidence::for_transition(&store, &ctx.users[&role], rec.id, &step.name)
                    .await
                    .unwrap_or_else(|e| panic!("{} {} evidence: {e}", kind.key, step.name));
                rec = store
                    .transition(&ctx.users[&role], rec.id, rec.version, &step.name, fields, reason)
                    .await
                    .unwrap_or_else(|e| panic!("{} {} by {role:?}: {e}", kind.key, step.name));
                assert_eq!(rec.state, step.to, "{} {}", kind.key, step.name);
            }
            checked += 1;
        }
    }
    println!("transitions checked: {checked}");
    assert!(checked >= 40);
    store.close().await;
}
