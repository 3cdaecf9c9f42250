//! The demo county (seed 1) reproduces every figure of the seed report, by
//! name, value and display — on SQLite and on PostgreSQL — and a count's
//! provenance is exactly the records counted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_core::access::Role;
use lvzhi_core::period::Period;
use lvzhi_demo::DemoOptions;
use lvzhi_metrics::{Engine, Scope};
use lvzhi_store::Store;
use lvzhi_store::records::ListQuery;
use lvzhi_testkit::TestDb;
use std::collections::BTreeMap;
use std::sync::Arc;

/// (name, value, display) of every seed figure.
pub const SEED: &[(&str, &str, &str)] = &[
    ("谋划项目数", "1141", "1141个"),
    ("谋划项目总投资", "203820000000", "2038.2亿元"),
    ("500万元以上项目数", "256", "256个"),
    ("500万元以上项目计划投资", "18100000000", "181亿元"),
    ("财政总收入", "2160000000", "21.6亿元"),
    ("财政总收入预算", "1892000000", "18.92亿元"),
    ("财政总收入预算完成率", "114.16", "114.2%"),
    ("财政总收入同比增收", "387000000", "增收3.87亿元"),
    ("财政总收入同比增长", "21.83", "增长21.8%"),
    ("一般公共预算收入", "748000000", "7.48亿元"),
    ("一般公共预算收入同比增长", "5.8", "增长5.8%"),
    ("政府性基金收入", "360000000", "3.6亿元"),
    ("政府性基金收入同比增收", "229000000", "增收2.29亿元"),
    ("政府性基金收入同比增长", "174.81", "增长174.8%"),
    ("争取到位资金", "1368000000", "13.68亿元"),
    ("争取到位资金全年任务", "1267000000", "12.67亿元"),
    ("争取到位资金完成率", "107.97", "108.0%"),
    ("招商签约项目数", "10", "10项"),
    ("招商签约金额", "3600000000", "36亿元"),
    ("社会消费品零售总额", "6753000000", "67.53亿元"),
    ("社会消费品零售总额同比增长", "8.4", "增长8.4%"),
    ("社会消费品零售总额全市排名", "1", "第1位"),
    ("商贸物流项目数", "25", "25个"),
    ("商贸物流项目总投资", "7600000000", "76亿元"),
    ("商贸物流项目年度投资", "1160000000", "11.6亿元"),
    ("电子商务交易额", "800000000", "8亿元"),
    ("电子商务交易额同比增长", "33.33", "增长33.3%"),
    ("进出口备案企业数", "88", "88户"),
    ("新增进出口备案企业数", "8", "8户"),
    ("进出口备案企业数同比增长", "10", "增长10.0%"),
    ("城镇新增就业", "7090", "7090人"),
    ("城镇登记失业率", "3.05", "3.05%"),
    ("培训城乡劳动力", "9965", "9965人"),
    ("输转农村劳动力", "63200", "6.32万人"),
    ("劳务收入", "1097000000", "10.97亿元"),
    ("社会保险参保人数", "426000", "42.6万人"),
    ("欠薪协调会议", "9", "9次"),
    ("价格专项检查", "9", "9次"),
    ("查处价格违法金额", "3980000", "398万元"),
    ("清退群众金额", "2960000", "296万元"),
    ("查处治安案件", "3670", "3670起"),
    ("治安拘留人数", "926", "926人"),
    ("涉黄涉赌案件", "156", "156起"),
    ("火灾起数同比", "-6.38", "下降6.38%"),
    ("火灾直接财产损失同比", "-11.23", "下降11.23%"),
    ("带队安全检查次数", "11", "11次"),
    ("检查企事业单位", "4331", "4331户次"),
    ("排查隐患", "4496", "4496条"),
    ("排查矛盾纠纷", "3365", "3365件"),
    ("成功调处", "3298", "3298件"),
    ("调处成功率", "98.01", "98.0%"),
    ("主持交通消防安全推进会议", "8", "8次"),
    ("外出招商", "2", "2次"),
];

fn engine(store: &Store) -> Engine {
    lvzhi_metrics::engine_from_files(&lvzhi_packs::county_files(), store.pack()).unwrap()
}

async fn demo(url: &str) -> Store {
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(url, pack, lvzhi_demo::demo_clock()).await.unwrap();
    lvzhi_demo::build(&store, &DemoOptions { seed: 1, scale: 1 })
        .await
        .unwrap();
    store
}

async fn check_seed(store: &Store) {
    let eng = engine(store);
    let sys = Store::system_access();
    let today = store.today();
    let all = eng
        .evaluate_all(store, &sys, Period::Year(2026), &Scope::County, today)
        .await
        .unwrap();
    let by_name: BTreeMap<&str, _> = all.iter().map(|v| (v.name.as_str(), v)).collect();
    let mut wrong = Vec::new();
    for (name, value, display) in SEED {
        match by_name.get(name) {
            None => wrong.push(format!("{name}: missing")),
            Some(v) => {
                if v.value.as_deref() != Some(*value) || v.display != *display {
                    wrong.push(format!(
                        "{name}: got {:?} / {} (note {:?}), want {value} / {display}",
                        v.value, v.display, v.note
                    ));
                }
                assert_eq!(v.period, "2026");
                // Statistics reach November; ledgers reach today (2026-11-25).
                let want = if v.as_of == "2026-11-25" {
                    "2026年1月1日至11月25日"
                } else {
                    "2026年1-11月"
                };
                assert_eq!(v.period_label, want, "{name} (as of {})", v.as_of);
            }
        }
    }
    assert!(wrong.is_empty(), "seed figures differ:\n{}", wrong.join("\n"));

    // The CLI's JSON: a list of objects with id, name, period, value, unit, display.
    let files = lvzhi_packs::county_files();
    let out = lvzhi_metrics::render::indicators_command(store, &files, Some("2026"), "county", "json", today)
        .await
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let f = list.iter().find(|v| v["name"] == "财政总收入").unwrap();
    assert_eq!(f["id"], "fiscal_total");
    assert_eq!(f["period"], "2026");
    assert_eq!(f["value"], "2160000000");
    assert_eq!(f["unit"], "元");
    assert_eq!(f["display"], "21.6亿元");
    let table = lvzhi_metrics::render::indicators_command(store, &files, None, "county", "table", today)
        .await
        .unwrap();
    assert!(table.starts_with("2026年1月1日至11月25日（county）"), "{table}");
    assert!(table.contains("财政总收入预算完成率") && table.contains("114.2%"));
    let csv = lvzhi_metrics::render::indicators_command(store, &files, Some("2026"), "county", "csv", today)
        .await
        .unwrap();
    assert!(csv.contains("fire_loss_growth,火灾直接财产损失同比,"));
    let warns = lvzhi_metrics::render::warnings_command(store, &files, "json", today)
        .await
        .unwrap();
    let warns: Vec<serde_json::Value> = serde_json::from_str(&warns).unwrap();
    assert!(
        warns.iter().any(|w| w["rule"] == "overdue_by_unit"),
        "the demo has overdue items"
    );
    assert!(
        warns.iter().any(|w| w["rule"] == "project_behind"),
        "the demo has late projects"
    );

    // Every indicator computes (the daily ones have values on the demo).
    for v in &all {
        assert!(
            v.value.is_some() || v.note.is_some(),
            "{}: neither value nor note",
            v.id
        );
    }

    // Provenance: the ids behind 排查隐患 are exactly the hazards found in 1-11月.
    let one = eng
        .evaluate(store, &sys, "hazards_found", Period::Year(2026), &Scope::County, today)
        .await
        .unwrap();
    let prov = one.provenance.clone().unwrap();
    assert_eq!(prov.len(), 1);
    assert_eq!(prov[0].ids.len(), 4496);
    let mut listed = Vec::new();
    let mut q = ListQuery {
        date_field: Some("found_on".into()),
        from: Some("2026-01-01".into()),
        to: Some("2026-11-30".into()),
        limit: Some(500),
        ..ListQuery::default()
    };
    loop {
        let page = store.list(&sys, "hazard", &q).await.unwrap();
        listed.extend(page.items.iter().map(|r| r.row.id));
        match page.next {
            Some(n) => q.cursor = Some(n),
            None => break,
        }
    }
    listed.sort_unstable();
    assert_eq!(prov[0].ids, listed);

    // Statistics provenance: 财政总收入 is the 11 monthly rows of 2026.
    let fiscal = eng
        .evaluate(store, &sys, "财政总收入", Period::Year(2026), &Scope::County, today)
        .await
        .unwrap();
    let rows = store
        .records_by_ids(&sys, &fiscal.provenance.unwrap()[0].ids)
        .await
        .unwrap();
    assert_eq!(rows.len(), 11);
    assert!(
        rows.iter()
            .all(|r| r.row.ledger == "statistic" && r.row.state == "已审核")
    );

    // Scope: a unit clerk's figure counts only what the clerk sees.
    let users = store.users().await.unwrap();
    let clerk = users.iter().find(|u| u.role == Role::UnitClerk).unwrap();
    let (ca, _) = store.access_for(clerk.id).await.unwrap();
    let mine = eng
        .evaluate(store, &ca, "hazards_found", Period::Year(2026), &Scope::County, today)
        .await
        .unwrap();
    let n: i64 = mine.value.unwrap().parse().unwrap();
    assert!(n < 4496, "a clerk sees {n} hazards");
    for id in &mine.provenance.unwrap()[0].ids {
        store.record(&ca, *id).await.unwrap();
    }
    let total = store
        .list(
            &ca,
            "hazard",
            &ListQuery {
                date_field: Some("found_on".into()),
                from: Some("2026-01-01".into()),
                to: Some("2026-11-30".into()),
                count: true,
                ..ListQuery::default()
            },
        )
        .await
        .unwrap()
        .total
        .unwrap();
    assert_eq!(n, total);

    in_progress_year_is_like_for_like(store, &eng).await;
}

/// Period semantics: on 2026-12-05 with no December statistics, 2026 is
/// computed as 1-11月 against 1-11月 of 2025 — the same figures as the
/// period 2026-01..2026-11 — and says so; the CLI's JSON says the same.
async fn in_progress_year_is_like_for_like(store: &Store, eng: &Engine) {
    let sys = Store::system_access();
    let dec5 = jiff::civil::date(2026, 12, 5);
    let year = eng
        .evaluate_all(store, &sys, Period::Year(2026), &Scope::County, dec5)
        .await
        .unwrap();
    let jan_nov = eng
        .evaluate_all(
            store,
            &sys,
            Period::parse("2026-01..2026-11").unwrap(),
            &Scope::County,
            dec5,
        )
        .await
        .unwrap();
    for name in [
        "一般公共预算收入",
        "一般公共预算收入同比增长",
        "财政总收入同比增长",
        "财政总收入同比增收",
        "社会消费品零售总额",
        "社会消费品零售总额同比增长",
        "社会消费品零售总额全市排名",
    ] {
        let a = year.iter().find(|v| v.name == name).unwrap();
        let b = jan_nov.iter().find(|v| v.name == name).unwrap();
        assert_eq!((&a.value, &a.display), (&b.value, &b.display), "{name}");
        assert_eq!(a.period_label, "2026年1-11月", "{name}");
        assert_eq!(a.as_of, "2026-11-30", "{name}");
    }
    let g = year.iter().find(|v| v.name == "一般公共预算收入同比增长").unwrap();
    assert_eq!(g.display, "增长5.8%", "the seed's 同比, not against the whole of 2025");
    // A ledger figure reaches today; a quarter in progress is cut the same way.
    let hz = year.iter().find(|v| v.id == "hazards_found").unwrap();
    assert_eq!(hz.as_of, "2026-12-05");
    // A ledger 同比 is like for like: 1月1日至12月5日 of 2026 against the same
    // days of 2025 — not against the whole of 2025 — and its label says so.
    let sys_ = &sys;
    let fires = |p: &str| {
        let p = Period::parse(p).unwrap();
        async move {
            eng.evaluate(store, sys_, "fires", p, &Scope::County, dec5)
                .await
                .unwrap()
        }
    };
    let growth = year.iter().find(|v| v.id == "fires_growth").unwrap();
    assert_eq!(growth.period_label, "2026年1月1日至12月5日");
    assert_eq!(growth.span, "2026-01-01..2026-12-05");
    let now = fires("2026-01-01..2026-12-05").await;
    let base = fires("2025-01-01..2025-12-05").await;
    let whole_2025 = fires("2025").await;
    let n = |v: &lvzhi_metrics::IndicatorValue| v.value.as_deref().unwrap().parse::<i64>().unwrap();
    assert!(n(&base) < n(&whole_2025), "the demo has fires after 5 December 2025");
    let want = lvzhi_metrics::format::display(
        lvzhi_core::Decimal::from(n(&now) - n(&base)) * lvzhi_core::Decimal::from(100)
            / lvzhi_core::Decimal::from(n(&base)),
        "%",
        Some(2),
        Some(lvzhi_metrics::def::FormulaKind::Growth),
    );
    assert_eq!(growth.display, want, "{} fires against {}", n(&now), n(&base));
    let q4 = eng
        .evaluate(
            store,
            &sys,
            "一般公共预算收入同比增长",
            Period::Quarter(2026, 4),
            &Scope::County,
            dec5,
        )
        .await
        .unwrap();
    assert_eq!(q4.period_label, "2026年10-11月");
    let dec = eng
        .evaluate(
            store,
            &sys,
            "一般公共预算收入",
            Period::Month(2026, 12),
            &Scope::County,
            dec5,
        )
        .await
        .unwrap();
    assert_eq!(dec.value, None, "December is not reported yet");
    let files = lvzhi_packs::county_files();
    let out = lvzhi_metrics::render::indicators_command(store, &files, Some("2026"), "county", "json", dec5)
        .await
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let f = list.iter().find(|v| v["name"] == "一般公共预算收入同比增长").unwrap();
    assert_eq!(f["display"], "增长5.8%");
    assert_eq!(f["period_label"], "2026年1-11月");
    assert_eq!(f["as_of"], "2026-11-30");
    // The table's heading states the span the statistics were computed over.
    let table = lvzhi_metrics::render::indicators_command(store, &files, Some("2026"), "county", "table", dec5)
        .await
        .unwrap();
    assert!(table.starts_with("2026年1-11月（county）"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_figures_on_sqlite() {
    let db = TestDb::sqlite();
    let store = demo(&db.url).await;
    check_seed(&store).await;
    store.close().await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_figures_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = demo(&db.url).await;
    check_seed(&store).await;
    store.close().await;
    db.drop_db().await;
}
