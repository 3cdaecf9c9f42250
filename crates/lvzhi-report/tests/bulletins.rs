//! Bulletins add up: for every month of 2026, the 月度督查通报's per-unit rows
//! (到期, 按期办结, 超期未办结, 临期) sum to the totals its text states, and
//! every row equals `lvzhi_metrics::duty::unit_tallies` over the 督办 ledger —
//! one definition for the bulletin, the 督查督办 page and the API. The
//! 隐患 bulletin's per-unit lists sum to its totals too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_core::period::Period;
use lvzhi_demo::DemoOptions;
use lvzhi_metrics::duty;
use lvzhi_report::Request;
use lvzhi_store::Store;
use lvzhi_testkit::TestDb;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The number right after `key` in `line` (0 when absent).
fn after(line: &str, key: &str) -> i64 {
    line.split_once(key)
        .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_month_adds_up() {
    let db = TestDb::sqlite();
    let pack = Arc::new(lvzhi_packs::county().unwrap());
    let store = Store::open(&db.url, pack, lvzhi_demo::demo_clock()).await.unwrap();
    lvzhi_demo::build(&store, &DemoOptions { seed: 1, scale: 1 })
        .await
        .unwrap();
    let files = lvzhi_packs::county_files();
    let engine = lvzhi_metrics::engine_from_files(&files, store.pack()).unwrap();
    let sys = Store::system_access();
    let today = store.today();
    let units: BTreeMap<String, i64> = store
        .units()
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.name, u.id))
        .collect();
    for m in 1..=12 {
        let period = format!("2026-{m:02}");
        let req = Request {
            template: "月度督查通报".into(),
            period: period.clone(),
            person: None,
            scope: "county".into(),
            today,
        };
        let md = lvzhi_report::render(&store, &engine, &files, &req)
            .await
            .unwrap_or_else(|e| panic!("{period}: {e}"))
            .markdown();
        if let Ok(dir) = std::env::var("LVZHI_BULLETIN_DIR") {
            std::fs::write(format!("{dir}/{period}.md"), &md).unwrap();
        }
        let rows: Vec<&str> = md
            .lines()
            .filter(|l| l.contains("：本期") && l.contains("超期未办结（红色）"))
            .collect();
        let sum = |key: &str| rows.iter().map(|l| after(l, key)).sum::<i64>();
        let total_line = md.lines().find(|l| l.contains("全县")).unwrap();
        let want = duty::total(
            &duty::unit_tallies(&store, &sys, &["supervision"], Period::parse(&period).unwrap(), today)
                .await
                .unwrap(),
        );
        assert_eq!(sum("本期到期"), want.due, "{period}: 到期\n{md}");
        assert_eq!(sum("按期办结"), want.on_time, "{period}: 按期办结\n{md}");
        assert_eq!(sum("超期未办结（红色）"), want.overdue, "{period}\n{md}");
        assert_eq!(sum("临期（黄色）"), want.due_soon, "{period}\n{md}");
        if want.due > 0 {
            assert_eq!(
                after(total_line, "全县到期督办事项"),
                want.due,
                "{period}: {total_line}"
            );
            assert_eq!(
                after(total_line, "其中按期办结"),
                want.on_time,
                "{period}: {total_line}"
            );
        }
        assert_eq!(
            after(total_line, "超期未办结（红色）"),
            want.overdue,
            "{period}: {total_line}"
        );
        // Each row is the unit's tally (the one definition).
        let tallies = duty::unit_tallies(&store, &sys, &["supervision"], Period::parse(&period).unwrap(), today)
            .await
            .unwrap();
        for l in &rows {
            let name = l.split_once('：').unwrap().0;
            let name = name.split_once(". ").map_or(name, |(_, n)| n);
            let key = units.get(name).map(i64::to_string).unwrap_or_default();
            let t = tallies
                .iter()
                .find(|t| t.key == key)
                .unwrap_or_else(|| panic!("{name}"));
            assert_eq!(
                (
                    after(l, "本期到期"),
                    after(l, "按期办结"),
                    after(l, "（红色）"),
                    after(l, "（黄色）")
                ),
                (t.tally.due, t.tally.on_time, t.tally.overdue, t.tally.due_soon),
                "{period}: {l}"
            );
        }
        // Ranks within each group run 1, 2, 3…; the office is not ranked.
        assert!(!rows.iter().any(|l| l.contains(". 政府办")), "{md}");
    }

    // The 隐患 bulletin: the units named under 超期未整改 add up to the total.
    let req = Request {
        template: "隐患排查整改情况通报".into(),
        period: "2026-11".into(),
        person: None,
        scope: "county".into(),
        today,
    };
    let md = lvzhi_report::render(&store, &engine, &files, &req)
        .await
        .unwrap()
        .markdown();
    let total = md
        .lines()
        .find_map(|l| l.contains("其中超期未整改").then(|| after(l, "其中超期未整改")))
        .unwrap();
    let line = md.lines().find(|l| l.starts_with("存在超期未整改隐患的单位")).unwrap();
    let listed: i64 = line.split('（').skip(1).map(|p| after(&format!("x{p}"), "x")).sum();
    assert_eq!(listed, total, "{line}");
    store.close().await;
    db.drop_db().await;
}
