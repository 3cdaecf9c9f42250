//! The engine on small, hand-made data: every measure and formula kind,
//! every period kind (旬 boundaries, leap years, cumulative ranges,
//! year-over-year across them), division by zero and missing prior-year
//! data, scopes and access, provenance, the cache after a change, every
//! warning rule firing and not firing, and definitions that must not load.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use jiff::civil::Date;
use lvzhi_core::period::Period;
use lvzhi_metrics::def::Definitions;
use lvzhi_metrics::{Engine, IndicatorValue, Scope};
use lvzhi_store::Store;
use lvzhi_testkit::TestDb;
use lvzhi_testkit::county::{self, County};
use serde_json::{Map, Value, json};
use std::sync::Arc;

const DEFS: &str = r#"
category = "测试"

[[indicator]]
id = "h_count"
name = "隐患数"
unit = "条"
measure = "count"
ledger = "hazard"
date = "found_on"

[[indicator]]
id = "h_closed"
name = "隐患销号数"
unit = "条"
measure = "count"
ledger = "hazard"
date = "found_on"
states = ["已销号"]

[[indicator]]
id = "h_major"
name = "重大隐患数"
unit = "条"
measure = "count"
ledger = "hazard"
date = "found_on"
where = [{ field = "grade", eq = "重大" }]

[[indicator]]
id = "h_days"
name = "隐患平均整改天数"
unit = "天"
decimals = 1
measure = "avg_days"
ledger = "hazard"
from = "found_on"
to = "rectified_on"
date = "found_on"

[[indicator]]
id = "h_towns"
name = "有隐患的乡镇数"
unit = "个"
measure = "distinct"
ledger = "hazard"
field = "township"
date = "found_on"

[[indicator]]
id = "h_overdue"
name = "隐患超期数"
unit = "条"
measure = "count"
ledger = "hazard"
overdue = true
group_by = "unit"

[[indicator]]
id = "h_rate"
name = "隐患销号率"
unit = "%"
decimals = 1
formula = "ratio"
of = ["h_closed", "h_count"]

[[indicator]]
id = "h_major_share"
name = "重大隐患占比"
unit = "%"
formula = "share"
of = ["h_major", "h_count"]

[[indicator]]
id = "h_per_major"
name = "每条重大隐患对应隐患数"
unit = "%"
formula = "ratio"
of = ["h_count", "h_major"]

[[indicator]]
id = "h_growth"
name = "隐患数同比"
unit = "%"
decimals = 1
formula = "growth"
of = ["h_count"]

[[indicator]]
id = "h_rate_change"
name = "隐患销号率同比变化"
unit = "个百分点"
formula = "pp_change"
of = ["h_rate"]

[[indicator]]
id = "p_count"
name = "项目数"
unit = "个"
measure = "count"
ledger = "project"
date = "planned_on"

[[indicator]]
id = "p_sum"
name = "项目总投资"
unit = "元"
measure = "sum"
ledger = "project"
field = "total_investment"
date = "planned_on"

[[indicator]]
id = "p_avg"
name = "项目平均投资"
unit = "元"
measure = "avg"
ledger = "project"
field = "total_investment"
date = "planned_on"

[[indicator]]
id = "p_min"
name = "项目最小投资"
unit = "元"
measure = "min"
ledger = "project"
field = "total_investment"
date = "planned_on"

[[indicator]]
id = "p_max"
name = "项目最大投资"
unit = "元"
measure = "max"
ledger = "project"
field = "total_investment"
date = "planned_on"

[[indicator]]
id = "p_big"
name = "500万元以上项目数"
unit = "个"
measure = "count"
ledger = "project"
date = "planned_on"
where = [{ field = "total_investment", ge = "5000000" }]

[[indicator]]
id = "p_target"
name = "项目投资目标"
unit = "元"
targets = { "2026" = "20000000" }

[[indicator]]
id = "p_completion"
name = "项目投资目标完成率"
unit = "%"
decimals = 1
formula = "completion"
of = ["p_sum", "p_target"]

[[indicator]]
id = "p_increase"
name = "项目总投资同比增加"
unit = "元"
formula = "increase"
of = ["p_sum"]

[[indicator]]
id = "p_diff"
name = "项目投资目标差额"
unit = "元"
formula = "diff"
of = ["p_target", "p_sum"]

[[indicator]]
id = "s_flow"
name = "测试收入"
unit = "元"
statistic = "测试收入"

[[indicator]]
id = "s_level"
name = "测试存量"
unit = "户"
statistic = "测试存量"
mode = "level"

[[indicator]]
id = "s_growth"
name = "测试收入同比增长"
unit = "%"
decimals = 1
formula = "growth"
of = ["s_flow"]

[[indicator]]
id = "s_rank"
name = "测试收入排名"
unit = "位"
formula = "rank"
of = ["s_flow"]
"#;

struct Fixture {
    store: Store,
    engine: Engine,
    county: County,
    today: Date,
    ids: std::collections::BTreeMap<&'static str, i64>,
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn hazard(town: &str, unit: i64, found: &str, extra: Value) -> Map<String, Value> {
    let mut m = county::hazard(town, unit, "测试隐患");
    m.insert("found_on".into(), json!(found));
    for (k, v) in obj(extra) {
        m.insert(k, v);
    }
    m
}

fn stat(name: &str, division: &str, period: &str, value: &str, measure: &str) -> Map<String, Value> {
    obj(json!({
        "indicator": name, "domain": "其他", "period": period, "division": division,
        "value": value, "measure": measure,
    }))
}

async fn fixture(url: &str) -> Fixture {
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(url, pack.clone(), lvzhi_demo::demo_clock()).await.unwrap();
    let c = county::build(&store).await;
    let sys = Store::system_access();
    store.set_meta("initialized", "620902").await.unwrap();
    let mut ids = std::collections::BTreeMap::new();
    // Hazards: 上旬's last day, 中旬's first day, a year before, a leap day, a voided one.
    let h = store
        .create_many(
            &sys,
            "hazard",
            vec![
                (
                    hazard(
                        "620902100",
                        c.xidong,
                        "2026-11-10",
                        json!({"rectified_on": "2026-11-20"}),
                    ),
                    Some("已销号".into()),
                ),
                (
                    hazard("620902100", c.xidong, "2026-11-11", json!({"deadline": "2026-11-01"})),
                    Some("整改中".into()),
                ),
                (
                    hazard(
                        "620902101",
                        c.qingshui,
                        "2025-11-15",
                        json!({"rectified_on": "2025-11-19"}),
                    ),
                    Some("已销号".into()),
                ),
                (
                    hazard("620902101", c.yingji, "2024-02-29", json!({"grade": "重大"})),
                    Some("整改中".into()),
                ),
                (
                    hazard("620902102", c.yingji, "2026-11-21", json!({})),
                    Some("待交办".into()),
                ),
            ],
            None,
        )
        .await
        .unwrap();
    ids.insert("h_shangxun", h[0]);
    ids.insert("h_zhongxun", h[1]);
    ids.insert("h_2025", h[2]);
    ids.insert("h_leap", h[3]);
    ids.insert("h_void", h[4]);
    let v = store.record(&sys, h[4]).await.unwrap();
    store.void(&sys, h[4], v.row.version, "重复录入").await.unwrap();
    // Projects: decimals that a double would not sum exactly.
    let p = |name: &str, inv: &str, on: &str, extra: Value| {
        let mut m = obj(json!({"name": name, "category": "工业", "total_investment": inv, "planned_on": on}));
        for (k, v) in obj(extra) {
            m.insert(k, v);
        }
        (m, Some("谋划".to_string()))
    };
    store
        .create_many(
            &sys,
            "project",
            vec![
                p("甲", "1000000元", "2026-03-01", json!({})),
                p("乙", "2505000.50元", "2026-04-01", json!({"unit": c.xidong})),
                p("丙", "6000000元", "2026-05-01", json!({"leader": c.leader_person})),
                p("丁", "0.10元", "2026-06-01", json!({})),
                p("戊", "0.20元", "2026-07-01", json!({})),
                p("己", "5000000元", "2025-03-01", json!({})),
            ],
            None,
        )
        .await
        .unwrap();
    // Statistics: monthly flow rows, 旬 rows, a range row, a draft, a level, and three townships.
    let mut rows = Vec::new();
    for m in 1..=11 {
        rows.push((
            stat("测试收入", "620902", &format!("2026-{m:02}"), &format!("{m}"), "万元"),
            "已审核",
        ));
        rows.push((
            stat(
                "测试存量",
                "620902",
                &format!("2026-{m:02}"),
                &format!("{}", 100 + m),
                "户",
            ),
            "已审核",
        ));
    }
    rows.push((stat("测试收入", "620902", "2026-11-1", "0.4", "万元"), "已审核"));
    rows.push((stat("测试收入", "620902", "2026-11-2", "0.7", "万元"), "已审核"));
    rows.push((stat("测试收入", "620902", "2026-01..2026-11", "66", "万元"), "已审核"));
    rows.push((stat("测试收入", "620902", "2026-12", "999", "万元"), "草稿"));
    rows.push((stat("测试收入", "620902", "2025-10", "10", "万元"), "已审核"));
    rows.push((stat("测试收入", "620902", "2025-11", "2", "万元"), "已审核"));
    for (town, v) in [("620902100", "30"), ("620902101", "50"), ("620902102", "10")] {
        rows.push((stat("测试收入", town, "2026-11", v, "万元"), "已审核"));
    }
    store
        .create_many(
            &sys,
            "statistic",
            rows.into_iter().map(|(m, s)| (m, Some(s.to_string()))).collect(),
            None,
        )
        .await
        .unwrap();
    let mut files = lvzhi_packs::county_files();
    files.retain(|(p, _)| !p.starts_with("indicators/"));
    files.push(("indicators/test.toml".into(), DEFS.into()));
    files.push((
        "indicators/warn.toml".into(),
        lvzhi_packs::county_files()
            .into_iter()
            .find(|(p, _)| p == "indicators/90_warnings.toml")
            .unwrap()
            .1,
    ));
    let engine = Engine::new(Definitions::from_files(&files, &pack).unwrap());
    let today = store.today();
    Fixture {
        store,
        engine,
        county: c,
        today,
        ids,
    }
}

impl Fixture {
    async fn get(&self, id: &str, p: &str) -> IndicatorValue {
        self.scoped(id, p, &Scope::County).await
    }
    async fn scoped(&self, id: &str, p: &str, s: &Scope) -> IndicatorValue {
        self.engine
            .evaluate(
                &self.store,
                &Store::system_access(),
                id,
                Period::parse(p).unwrap(),
                s,
                self.today,
            )
            .await
            .unwrap()
    }
    async fn value(&self, id: &str, p: &str) -> Option<String> {
        self.get(id, p).await.value
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measures_formulas_periods_scopes_provenance() {
    let db = TestDb::sqlite();
    let f = fixture(&db.url).await;
    run_all(&f).await;
    f.store.close().await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let f = fixture(&db.url).await;
    run_all(&f).await;
    f.store.close().await;
    db.drop_db().await;
}

async fn run_all(f: &Fixture) {
    measures(f).await;
    formulas(f).await;
    periods(f).await;
    statistics(f).await;
    scopes(f).await;
    provenance(f).await;
    cache_after_a_change(f).await;
    warnings(f).await;
}

async fn measures(f: &Fixture) {
    // count (voided excluded), sum exact, avg, min, max, distinct, avg_days.
    assert_eq!(f.value("h_count", "2026").await.as_deref(), Some("2"));
    assert_eq!(f.value("p_count", "2026").await.as_deref(), Some("5"));
    assert_eq!(f.value("p_sum", "2026").await.as_deref(), Some("9505000.8"));
    assert_eq!(f.get("p_sum", "2026").await.display, "950.5万元");
    assert_eq!(f.value("p_avg", "2026").await.as_deref(), Some("1901000.16"));
    assert_eq!(f.value("p_min", "2026").await.as_deref(), Some("0.1"));
    assert_eq!(f.value("p_max", "2026").await.as_deref(), Some("6000000"));
    assert_eq!(f.value("p_big", "2026").await.as_deref(), Some("1"));
    assert_eq!(f.value("h_towns", "2026").await.as_deref(), Some("1"));
    assert_eq!(f.value("h_days", "2026").await.as_deref(), Some("10"));
    assert_eq!(f.get("h_days", "2026").await.display, "10.0天");
    // A snapshot ignores the period; grouped by unit.
    let od = f.get("h_overdue", "2020").await;
    assert_eq!(od.value.as_deref(), Some("1"));
    assert_eq!(od.breakdown.len(), 1);
    assert_eq!(od.breakdown[0].label, "西洞镇人民政府");
    // An empty period: a count is 0, an average has no value.
    assert_eq!(f.value("h_count", "2030").await.as_deref(), Some("0"));
    let avg = f.get("p_avg", "2030").await;
    assert_eq!(avg.value, None);
    assert_eq!(avg.display, "无数据");
}

async fn formulas(f: &Fixture) {
    assert_eq!(f.value("h_rate", "2026").await.as_deref(), Some("50"));
    assert_eq!(f.get("h_rate", "2026").await.display, "50.0%");
    assert_eq!(f.value("h_major_share", "2024").await.as_deref(), Some("100"));
    assert_eq!(f.value("p_completion", "2026").await.as_deref(), Some("47.53"));
    assert_eq!(f.get("p_completion", "2026").await.display, "47.5%");
    assert_eq!(f.value("p_increase", "2026").await.as_deref(), Some("4505000.8"));
    assert_eq!(f.get("p_increase", "2026").await.display, "增收450.5万元");
    assert_eq!(f.value("p_diff", "2026").await.as_deref(), Some("10494999.2"));
    // growth 2 vs 1 = +100%; pp change of the rate 50% vs 100%.
    assert_eq!(f.get("h_growth", "2026").await.display, "增长100.0%");
    assert_eq!(f.value("h_rate_change", "2026").await.as_deref(), Some("-50"));
    assert_eq!(f.get("h_rate_change", "2026").await.display, "下降50个百分点");
    // Division by zero says so.
    let z = f.get("h_per_major", "2026").await;
    assert_eq!(z.value, None);
    assert_eq!(z.display, "除数为零");
    // Missing prior-year data: a measure with no records a year before…
    let g = f.get("h_growth", "2025-11").await;
    assert_eq!(g.value, None);
    assert_eq!(g.display, "无上年同期数据");
    // …and a statistic with no rows a year before (2025-01 has none).
    let s = f.get("s_growth", "2026-01").await;
    assert_eq!(s.value, None);
    assert_eq!(s.display, "无上年同期数据");
    // A target year that is not set.
    assert_eq!(f.get("p_completion", "2027").await.display, "未设2027年目标");
}

async fn periods(f: &Fixture) {
    // 旬: day 10 is 上旬, day 11 is 中旬.
    assert_eq!(f.value("h_count", "2026-11-1").await.as_deref(), Some("1"));
    assert_eq!(f.value("h_count", "2026-11-2").await.as_deref(), Some("1"));
    assert_eq!(f.value("h_count", "2026-11-3").await.as_deref(), Some("0"));
    // Leap day: in 2024-02, and February 2025 compares against 2024-02-01..2024-02-29.
    assert_eq!(f.value("h_count", "2024-02").await.as_deref(), Some("1"));
    assert_eq!(f.value("h_count", "2024-02-29..2024-02-29").await.as_deref(), Some("1"));
    assert_eq!(f.value("h_count", "2024-02-3").await.as_deref(), Some("1"));
    assert_eq!(f.value("h_count", "2024Q1").await.as_deref(), Some("1"));
    let feb = f.get("h_growth", "2025-01..2025-02").await;
    assert_eq!(feb.display, "下降100.0%");
    let p = f.get("h_count", "2025-01..2025-02").await;
    assert_eq!(p.value.as_deref(), Some("0"));
    // Cumulative ranges and year-over-year across them.
    assert_eq!(f.value("h_count", "2026-01..2026-11").await.as_deref(), Some("2"));
    assert_eq!(f.value("h_count", "2025-01..2025-11").await.as_deref(), Some("1"));
    assert_eq!(f.get("h_growth", "2026-01..2026-11").await.display, "增长100.0%");
    assert_eq!(f.get("h_growth", "2026-11").await.display, "增长100.0%");
    // "2026" as of 2026-11-25: a ledger reaches today, and says so.
    let y = f.get("h_count", "2026").await;
    assert_eq!(y.span, "2026-01-01..2026-11-25");
    assert_eq!(y.period_label, "2026年1月1日至11月25日");
}

async fn statistics(f: &Fixture) {
    // Flow: months 1..11 (66万元); not the 旬 rows, the range row or the draft.
    assert_eq!(f.value("s_flow", "2026").await.as_deref(), Some("660000"));
    assert_eq!(f.value("s_flow", "2026Q1").await.as_deref(), Some("60000"));
    assert_eq!(f.value("s_flow", "2026-01..2026-02").await.as_deref(), Some("30000"));
    // A 旬 reads the 旬 rows.
    assert_eq!(f.value("s_flow", "2026-11-1").await.as_deref(), Some("4000"));
    assert_eq!(f.value("s_flow", "2026-11-3").await, None);
    // Level: the last month of the period.
    assert_eq!(f.value("s_level", "2026").await.as_deref(), Some("111"));
    assert_eq!(f.value("s_level", "2026Q2").await.as_deref(), Some("106"));
    // Growth of November: 11 vs 2 万元.
    assert_eq!(f.value("s_growth", "2026-11").await.as_deref(), Some("450"));
    // Rank among the townships: 清水镇 50 > 西洞镇 30 > 总寨镇 10.
    let r = f
        .scoped("s_rank", "2026-11", &Scope::Division("620902100".into()))
        .await;
    assert_eq!(r.value.as_deref(), Some("2"));
    assert_eq!(r.display, "第2位");
    let own = f
        .scoped("s_flow", "2026-11", &Scope::Division("620902101".into()))
        .await;
    assert_eq!(own.value.as_deref(), Some("500000"));
}

async fn scopes(f: &Fixture) {
    let c = &f.county;
    let xd = Scope::Division("620902100".into());
    assert_eq!(f.scoped("h_count", "2026", &xd).await.value.as_deref(), Some("2"));
    let qs = Scope::Division("620902101".into());
    assert_eq!(f.scoped("h_count", "2026", &qs).await.value.as_deref(), Some("0"));
    assert_eq!(
        f.scoped("p_count", "2026", &Scope::Unit(c.xidong))
            .await
            .value
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        f.scoped("p_count", "2026", &Scope::Owns(c.leader_person))
            .await
            .value
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        f.scoped("h_count", "2024", &Scope::Oversees(c.leader_person))
            .await
            .value
            .as_deref(),
        Some("1")
    );
    // Access: a clerk of 清水镇 sees none of 西洞镇's hazards, whatever the scope asked.
    let clerk = c.access("clerk_qs");
    let v = f
        .engine
        .evaluate(&f.store, &clerk, "h_count", Period::Year(2026), &Scope::County, f.today)
        .await
        .unwrap();
    assert_eq!(v.value.as_deref(), Some("0"));
    let ev = c.access("evaluator");
    let v = f
        .engine
        .evaluate(&f.store, &ev, "s_flow", Period::Year(2026), &Scope::County, f.today)
        .await
        .unwrap();
    assert_eq!(v.value, None, "an evaluator sees no statistics");
}

async fn provenance(f: &Fixture) {
    let v = f.get("h_count", "2026").await;
    let p = v.provenance.unwrap();
    assert_eq!(p[0].ids, vec![f.ids["h_shangxun"], f.ids["h_zhongxun"]]);
    let g = f.get("h_growth", "2026").await;
    let all: Vec<i64> = g.provenance.unwrap().iter().flat_map(|s| s.ids.clone()).collect();
    assert_eq!(all, vec![f.ids["h_shangxun"], f.ids["h_zhongxun"], f.ids["h_2025"]]);
    let s = f.get("s_flow", "2026Q1").await;
    assert_eq!(s.provenance.unwrap()[0].ids.len(), 3);
}

async fn cache_after_a_change(f: &Fixture) {
    let sys = Store::system_access();
    let before = f
        .engine
        .evaluate_all(&f.store, &sys, Period::Year(2026), &Scope::County, f.today)
        .await
        .unwrap();
    let count = |l: &[IndicatorValue], id: &str| l.iter().find(|v| v.id == id).unwrap().value.clone();
    assert_eq!(count(&before, "h_count").as_deref(), Some("2"));
    f.store
        .create(
            &sys,
            "hazard",
            hazard("620902100", f.county.xidong, "2026-11-12", json!({})),
        )
        .await
        .unwrap();
    let after = f
        .engine
        .evaluate_all(&f.store, &sys, Period::Year(2026), &Scope::County, f.today)
        .await
        .unwrap();
    assert_eq!(count(&after, "h_count").as_deref(), Some("3"));
    assert_eq!(count(&after, "h_rate").as_deref(), Some("33.33"));
    assert_eq!(count(&after, "p_sum"), count(&before, "p_sum"));
}

async fn warnings(f: &Fixture) {
    let sys = Store::system_access();
    let c = &f.county;
    // Prices: 猪肉 jumps 29% (red, > 2 × 10%); 大米 moves 2% (nothing).
    let obs = |item: &str, on: &str, price: &str| {
        (
            obj(
                json!({"item": item, "item_class": "粮油", "point": "东关农贸市场", "observed_on": on,
                        "price": price, "price_unit": "元/公斤"}),
            ),
            None,
        )
    };
    let ids = f
        .store
        .create_many(
            &sys,
            "price_observation",
            vec![
                obs("猪肉", "2026-10-20", "30"),
                obs("猪肉", "2026-11-05", "31"),
                obs("猪肉", "2026-11-20", "40"),
                obs("大米", "2026-10-20", "5.0"),
                obs("大米", "2026-11-05", "5.1"),
                obs("大米", "2026-11-20", "5.2"),
            ],
            None,
        )
        .await
        .unwrap();
    // Projects of 2026: 80% done (yellow: 90.1% of the year gone), 10% (red), 90% (fine),
    // not started 3 months after the planned start (red), planned to start last month (fine).
    let proj = |name: &str, plan: &str, done: &str, start: &str, started: Option<&str>| {
        (
            obj(
                json!({"name": name, "category": "工业", "total_investment": "50000000元", "planned_on": "2025-10-01",
                        "plan_year": 2026, "annual_plan_investment": plan, "annual_completed_investment": done,
                        "planned_start_on": start, "started_on": started}),
            ),
            Some("在建".to_string()),
        )
    };
    let pids = f
        .store
        .create_many(
            &sys,
            "project",
            vec![
                proj("滞后十点", "10000000元", "8000000元", "2026-01-10", Some("2026-01-10")),
                proj("严重滞后", "10000000元", "1000000元", "2026-01-10", Some("2026-01-10")),
                proj("正常推进", "10000000元", "9000000元", "2026-01-10", Some("2026-01-10")),
                proj("迟迟未开工", "10000000元", "0元", "2026-06-01", None),
                proj("新近计划", "0元", "0元", "2026-10-01", None),
            ],
            None,
        )
        .await
        .unwrap();
    let ws = f.engine.warnings(&f.store, &sys, f.today).await.unwrap();
    let find = |id: String| ws.iter().find(|w| w.id == id);
    let pork = find(format!("price_fluctuation:{}", ids[2])).expect("猪肉 fires");
    assert_eq!(pork.level, "red");
    assert!(pork.records.contains(&ids[1]));
    assert!(
        find(format!("price_fluctuation:{}", ids[5])).is_none(),
        "大米 does not fire"
    );
    assert_eq!(find(format!("project_behind:{}", pids[0])).unwrap().level, "yellow");
    assert_eq!(find(format!("project_behind:{}", pids[1])).unwrap().level, "red");
    assert!(find(format!("project_behind:{}", pids[2])).is_none());
    let late = find(format!("project_behind:{}", pids[3])).unwrap();
    assert_eq!(late.level, "red");
    assert!(late.message.contains("未开工"), "{}", late.message);
    assert!(find(format!("project_behind:{}", pids[4])).is_none());
    // Statistics: 2026-11 is 11 vs 2 万元 (+450%, red); 2026-10 is 10 vs 10 (nothing).
    let jumps: Vec<_> = ws.iter().filter(|w| w.rule == "statistic_jump").collect();
    assert_eq!(jumps.len(), 1, "{jumps:?}");
    assert_eq!(jumps[0].level, "red");
    assert_eq!(jumps[0].evidence.len(), 2);
    // Overdue by unit: 西洞镇 has one overdue hazard (yellow); 清水镇 none.
    let od = find(format!("overdue_by_unit:{}", c.xidong)).unwrap();
    assert_eq!(od.level, "yellow");
    assert_eq!(od.records, vec![f.ids["h_zhongxun"]]);
    assert!(find(format!("overdue_by_unit:{}", c.qingshui)).is_none());
    // Acknowledge with a note: an event, read back with the warning.
    assert!(
        lvzhi_metrics::warn::acknowledge(&f.store, &sys, &od.id, "  ")
            .await
            .is_err()
    );
    lvzhi_metrics::warn::acknowledge(&f.store, &sys, &od.id, "已约谈西洞镇，限期整改")
        .await
        .unwrap();
    let ws = f.engine.warnings(&f.store, &sys, f.today).await.unwrap();
    let od = ws.iter().find(|w| w.id == od.id).unwrap();
    assert_eq!(od.ack.as_ref().unwrap().note, "已约谈西洞镇，限期整改");
    assert_eq!(f.store.events_of_kind("warning.ack").await.unwrap().len(), 1);
    assert!(f.store.verify_chain().await.unwrap().error.is_none());
    // An auditor may not acknowledge.
    assert!(
        lvzhi_metrics::warn::acknowledge(&f.store, &c.access("auditor"), &od.id, "看过")
            .await
            .is_err()
    );
    // A clerk of 清水镇 sees no 西洞镇 warning.
    let qs = f
        .engine
        .warnings(&f.store, &c.access("clerk_qs"), f.today)
        .await
        .unwrap();
    assert!(qs.iter().all(|w| w.rule != "overdue_by_unit"));
}

#[test]
fn bad_definitions_are_refused_naming_file_and_id() {
    let pack = lvzhi_packs::county().unwrap();
    let load = |text: &str| Definitions::from_files(&[("indicators/x.toml".into(), text.into())], &pack);
    let e = load("[[indicator]]\nid = \"a\"\nname = \"甲\"\nunit = \"个\"\nmeasure = \"count\"\nledger = \"nope\"\n")
        .unwrap_err();
    assert_eq!((e.file.as_str(), e.id.as_deref()), ("indicators/x.toml", Some("a")));
    assert!(e.to_string().contains("台账“nope”不存在"), "{e}");
    let e = load(
        "[[indicator]]\nid = \"a\"\nname = \"甲\"\nunit = \"元\"\nmeasure = \"sum\"\nledger = \"hazard\"\nfield = \"nofield\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("nofield"), "{e}");
    let e = load("[[indicator]]\nid = \"a\"\nname = \"甲\"\nunit = \"%\"\nformula = \"growth\"\nof = [\"zz\"]\n")
        .unwrap_err();
    assert!(e.to_string().contains("“zz”不存在"), "{e}");
    let e = load(
        "[[indicator]]\nid = \"a\"\nname = \"甲\"\nunit = \"%\"\nformula = \"growth\"\nof = [\"b\"]\n\
         [[indicator]]\nid = \"b\"\nname = \"乙\"\nunit = \"%\"\nformula = \"growth\"\nof = [\"a\"]\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("循环"), "{e}");
    let e = load(
        "[[indicator]]\nid = \"a\"\nname = \"甲\"\nunit = \"个\"\nmeasure = \"count\"\nledger = \"hazard\"\nstates = [\"完成\"]\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("没有状态"), "{e}");
    let e = load(
        "[[indicator]]\nid = \"a\"\nname = \"甲\"\nunit = \"个\"\nmeasure = \"count\"\nledger = \"hazard\"\nwhere = [{ field = \"grade\", eq = \"特大\" }]\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("没有选项"), "{e}");
    // The county pack's own definitions load.
    let d = Definitions::from_files(&lvzhi_packs::county_files(), &pack).unwrap();
    assert!(d.list.len() > 60);
    assert_eq!(d.warnings.len(), 4);
}
