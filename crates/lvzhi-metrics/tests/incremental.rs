//! The in-memory evaluation against the store, on the demo county, on both
//! backends:
//!
//! * `lvzhi_metrics::mem::aggregate` gives the same buckets (keys, counts,
//!   values, ids) as `Store::aggregate` for queries with every condition
//!   kind, for readers with different scopes;
//! * an engine kept warm across a scripted sequence of changes (creates,
//!   updates, transitions, voids) — which re-reads only the changed records —
//!   returns exactly what a new engine computes from scratch, for several
//!   readers, scopes and periods, provenance included.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_core::access::{Access, Role};
use lvzhi_core::period::Period;
use lvzhi_demo::DemoOptions;
use lvzhi_metrics::mem::{self, Table};
use lvzhi_metrics::{Engine, Scope};
use lvzhi_store::Store;
use lvzhi_store::aggregate::{Agg, AggQuery, Col, Cond, Expr, Op, Operand};
use lvzhi_testkit::TestDb;
use serde_json::{Map, Value, json};
use std::sync::Arc;

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

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

/// Readers with different scopes: the system, a township clerk, a unit
/// clerk, a leader (分管 units and 包挂 items).
async fn readers(store: &Store) -> Vec<Access> {
    let units = store.units().await.unwrap();
    let people = store.people().await.unwrap();
    let township = units.iter().find(|u| u.division.is_some()).unwrap();
    let dept = units.iter().find(|u| u.division.is_none()).unwrap();
    let leader = people.iter().find(|p| p.is_leader && !p.oversees.is_empty()).unwrap();
    let base = Access {
        user_id: 1,
        username: "t".into(),
        role: Role::UnitClerk,
        unit: None,
        division: None,
        person: None,
        oversees: vec![],
    };
    vec![
        Store::system_access(),
        Access {
            unit: Some(township.id),
            division: township.division.clone(),
            ..base.clone()
        },
        Access {
            unit: Some(dept.id),
            ..base.clone()
        },
        Access {
            role: Role::Leader,
            person: Some(leader.id),
            oversees: leader.oversees.clone(),
            ..base
        },
    ]
}

async fn same_as_from_scratch(store: &Store, warm: &Engine, step: &str) {
    let cold = engine(store);
    let today = store.today();
    let readers = readers(store).await;
    let division = readers[1].division.clone().unwrap();
    for a in &readers {
        for scope in [Scope::County, Scope::Division(division.clone())] {
            for p in [Period::Year(2026), Period::Month(2026, 11)] {
                let x = warm.evaluate_all(store, a, p, &scope, today).await.unwrap();
                let y = cold.evaluate_all(store, a, p, &scope, today).await.unwrap();
                assert_eq!(x, y, "{step}: {} {scope} {p}", a.role.key());
            }
        }
    }
    let sys = Store::system_access();
    for ind in &warm.defs().list {
        let x = warm
            .evaluate(store, &sys, &ind.id, Period::Year(2026), &Scope::County, today)
            .await
            .unwrap();
        let y = cold
            .evaluate(store, &sys, &ind.id, Period::Year(2026), &Scope::County, today)
            .await
            .unwrap();
        assert_eq!(x, y, "{step}: provenance of {}", ind.id);
    }
}

async fn hazards(store: &Store) -> Vec<lvzhi_store::aggregate::LedgerRow> {
    store
        .ledger_rows(&Store::system_access(), "hazard", &[], None)
        .await
        .unwrap()
}

async fn incremental_equals_from_scratch(store: &Store) {
    let sys = Store::system_access();
    let warm = engine(store);
    same_as_from_scratch(store, &warm, "start").await;
    let unit = store.units().await.unwrap()[0].id;

    // Create.
    let rec = store
        .create(
            &sys,
            "hazard",
            obj(json!({
                "description": "增量测试隐患", "company": "测试建材有限公司", "industry": "工贸",
                "grade": "重大", "township": "620902100", "responsible_unit": unit, "found_on": "2026-11-20",
            })),
        )
        .await
        .unwrap();
    same_as_from_scratch(store, &warm, "create").await;

    // Update a field indicators filter on.
    let v = store.record(&sys, rec.id).await.unwrap();
    store
        .update(
            &sys,
            rec.id,
            v.row.version,
            obj(json!({"grade": "一般", "found_on": "2026-10-02"})),
        )
        .await
        .unwrap();
    same_as_from_scratch(store, &warm, "update").await;

    // Transitions: assign, then close another one awaiting acceptance.
    let v = store.record(&sys, rec.id).await.unwrap();
    store
        .transition(
            &sys,
            rec.id,
            v.row.version,
            "交办",
            obj(json!({"deadline": "2026-11-10"})),
            None,
        )
        .await
        .unwrap();
    same_as_from_scratch(store, &warm, "transition 交办").await;
    if let Some(h) = hazards(store).await.into_iter().find(|h| h.state == "待验收") {
        let v = store.record(&sys, h.id).await.unwrap();
        store
            .transition(
                &sys,
                h.id,
                v.row.version,
                "验收销号",
                obj(json!({"acceptance": "已整改到位", "accepted_by": "测试验收人"})),
                None,
            )
            .await
            .unwrap();
        same_as_from_scratch(store, &warm, "transition 验收销号").await;
    }

    // Void: the new one and an old one, plus a statistics row.
    let v = store.record(&sys, rec.id).await.unwrap();
    store.void(&sys, rec.id, v.row.version, "测试作废").await.unwrap();
    let old = hazards(store).await[3].id;
    let v = store.record(&sys, old).await.unwrap();
    store.void(&sys, old, v.row.version, "测试作废").await.unwrap();
    let stat = store
        .ledger_rows(&sys, "statistic", &[], None)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.state == "已审核")
        .unwrap();
    let v = store.record(&sys, stat.id).await.unwrap();
    store.void(&sys, stat.id, v.row.version, "测试作废").await.unwrap();
    same_as_from_scratch(store, &warm, "void").await;

    // Several changes across ledgers between two reads.
    for i in 0..3 {
        store
            .create(
                &sys,
                "hazard",
                obj(json!({
                    "description": format!("批量测试隐患{i}"), "company": "测试公司", "industry": "工贸",
                    "grade": "一般", "township": "620902101", "responsible_unit": unit, "found_on": "2026-11-0{}".replace("{}", &(i + 1).to_string()),
                })),
            )
            .await
            .unwrap();
    }
    same_as_from_scratch(store, &warm, "batch").await;
}

fn cond(expr: Expr, op: Op, value: Operand) -> Cond {
    Cond { expr, op, value }
}

/// Queries covering every condition kind the engine builds.
fn queries() -> Vec<(AggQuery, Agg, Option<Expr>, Option<Expr>)> {
    let f = |k: &str| Expr::Field(k.to_string());
    let t = |s: &str| Operand::Text(s.to_string());
    let l = |v: &[&str]| Operand::List(v.iter().map(|s| s.to_string()).collect());
    let h = || AggQuery::new("hazard");
    let p = || AggQuery::new("project");
    vec![
        (h(), Agg::Count, None, None),
        (h(), Agg::Count, None, Some(Expr::Col(Col::Unit))),
        (
            h().with(cond(f("found_on"), Op::Ge, t("2026-01-01")))
                .with(cond(f("found_on"), Op::Le, t("2026-11-30"))),
            Agg::Count,
            None,
            Some(Expr::Col(Col::State)),
        ),
        (
            h().with(cond(f("grade"), Op::Eq, t("重大"))),
            Agg::Distinct,
            Some(f("township")),
            None,
        ),
        (
            h().with(cond(f("grade"), Op::Ne, t("重大")))
                .with(cond(Expr::Col(Col::Closed), Op::Eq, t("false")))
                .with(cond(Expr::Col(Col::Deadline), Op::Lt, t("2026-11-25"))),
            Agg::Count,
            None,
            Some(Expr::Col(Col::Division)),
        ),
        (
            h().with(cond(f("rectified_on"), Op::NotNull, Operand::None)).with(cond(
                f("rectified_on"),
                Op::Le,
                Operand::Expr(f("deadline")),
            )),
            Agg::Count,
            None,
            None,
        ),
        (
            h().with(cond(f("rectified_on"), Op::IsNull, Operand::None))
                .with(cond(Expr::Col(Col::State), Op::In, l(&["整改中", "待验收"])))
                .with(cond(f("industry"), Op::NotIn, l(&["工贸"]))),
            Agg::Count,
            None,
            Some(f("industry")),
        ),
        (
            h().with(cond(Expr::Col(Col::Division), Op::Prefix, t("620902101"))),
            Agg::Count,
            None,
            None,
        ),
        (
            h().with(cond(Expr::Col(Col::Unit), Op::In, l(&["1", "2", "3", "x"]))),
            Agg::Count,
            None,
            None,
        ),
        (h().with(cond(f("grade"), Op::In, l(&[]))), Agg::Count, None, None),
        (h().with(cond(f("grade"), Op::NotIn, l(&[]))), Agg::Count, None, None),
        (p(), Agg::Sum, Some(f("total_investment")), Some(Expr::Col(Col::Unit))),
        (p(), Agg::Avg, Some(f("total_investment")), None),
        (p(), Agg::Min, Some(f("total_investment")), None),
        (p(), Agg::Max, Some(f("total_investment")), Some(Expr::Col(Col::State))),
        (
            p().with(cond(f("total_investment"), Op::Ge, t("100000000"))),
            Agg::Sum,
            Some(f("total_investment")),
            None,
        ),
        (
            p().with(cond(f("total_investment"), Op::Lt, t("50000000"))),
            Agg::Count,
            None,
            Some(Expr::Col(Col::Owner)),
        ),
        (
            p().with(cond(f("hundred_days"), Op::Eq, t("true")))
                .with(cond(f("plan_year"), Op::Eq, t("2026"))),
            Agg::Sum,
            Some(f("annual_completed_investment")),
            Some(f("plan_year")),
        ),
        (
            p().with(cond(f("hundred_days"), Op::Ne, t("是")))
                .with(cond(f("plan_year"), Op::Ge, t("2026")))
                .with(cond(f("category"), Op::Gt, t("A"))),
            Agg::Count,
            None,
            Some(f("hundred_days")),
        ),
        (
            p().with(cond(Expr::Col(Col::Owner), Op::Eq, t("1"))),
            Agg::Count,
            None,
            None,
        ),
    ]
}

async fn mem_equals_store(store: &Store) {
    let pack = store.pack().clone();
    for (q, agg, value, group) in queries() {
        let kind = pack.ledger(&q.ledger).unwrap();
        let mut keys: Vec<String> = Vec::new();
        for e in q
            .conds
            .iter()
            .flat_map(|c| {
                let mut v = vec![c.expr.clone()];
                if let Operand::Expr(x) = &c.value {
                    v.push(x.clone());
                }
                v
            })
            .chain(value.clone())
            .chain(group.clone())
        {
            if let Expr::Field(k) = e
                && let Some(k) = mem::json_key(kind, &k)
                && !keys.contains(&k)
            {
                keys.push(k);
            }
        }
        let rows = store
            .ledger_rows(&Store::system_access(), &q.ledger, &keys, None)
            .await
            .unwrap();
        let table = Table::new(keys, rows);
        for a in readers(store).await {
            for with_ids in [false, true] {
                let x = store
                    .aggregate(&a, &q, agg, value.as_ref(), group.as_ref(), with_ids)
                    .await
                    .unwrap();
                let y = mem::aggregate(kind, &table, &a, &q, agg, value.as_ref(), group.as_ref(), with_ids).unwrap();
                assert_eq!(
                    x,
                    y,
                    "{q:?} {agg:?} {value:?} {group:?} {} ids={with_ids}",
                    a.role.key()
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_and_incremental_on_sqlite() {
    let db = TestDb::sqlite();
    let store = demo(&db.url).await;
    mem_equals_store(&store).await;
    incremental_equals_from_scratch(&store).await;
    store.close().await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_and_incremental_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = demo(&db.url).await;
    mem_equals_store(&store).await;
    incremental_equals_from_scratch(&store).await;
    store.close().await;
    db.drop_db().await;
}
