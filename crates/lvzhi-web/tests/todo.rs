//! `Store::todo` and `Store::open_counts` (首页), `Store::warn_by_unit` (the
//! leader's 红黄预警 by unit) and `Store::warned_items` (督查督办) agree with
//! the per-ledger lists they replace, for every sample user, on SQLite and
//! PostgreSQL: same to-do items in the same order, same totals, same
//! open/red/yellow counts per ledger and per unit, same warned items in the
//! same order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_store::Store;
use lvzhi_store::records::ListQuery;
use lvzhi_testkit::TestDb;
use lvzhi_testkit::county::{USERS, hazard};

/// The old way: one list per ledger and state the role may act from.
async fn naive_todo(store: &Store, a: &lvzhi_core::access::Access) -> (Vec<i64>, i64) {
    let mut items: Vec<lvzhi_store::records::RecordView> = Vec::new();
    let mut total = 0;
    if !a.role.writes() {
        return (vec![], 0);
    }
    for kind in &store.pack().ledgers {
        let Some(wf) = &kind.workflow else { continue };
        let mut states: Vec<&str> = Vec::new();
        for t in wf.transitions.iter().filter(|t| t.roles.contains(&a.role)) {
            for s in &t.from {
                if !states.contains(&s.as_str()) {
                    states.push(s);
                }
            }
        }
        for s in states {
            let q = ListQuery {
                state: Some(s.to_string()),
                open: true,
                sort: Some("deadline".into()),
                limit: Some(500),
                count: true,
                ..ListQuery::default()
            };
            let p = store.list(a, &kind.key, &q).await.unwrap();
            total += p.total.unwrap();
            items.extend(p.items.into_iter().filter(|v| !v.actions.is_empty()));
        }
    }
    items.sort_by(|x, y| {
        let dx = x.row.deadline.as_deref().unwrap_or("9999-12-31");
        let dy = y.row.deadline.as_deref().unwrap_or("9999-12-31");
        dx.cmp(dy).then(x.row.id.cmp(&y.row.id))
    });
    (items.into_iter().map(|v| v.row.id).collect(), total)
}

async fn count(store: &Store, a: &lvzhi_core::access::Access, key: &str, warning: Option<&str>) -> i64 {
    let q = ListQuery {
        open: true,
        warning: warning.map(str::to_string),
        limit: Some(1),
        count: true,
        ..ListQuery::default()
    };
    store.list(a, key, &q).await.unwrap().total.unwrap()
}

/// Red/yellow lists of every ledger with a workflow (and, for `deadlines_only`,
/// a deadline field), as (red first, deadline, id) rows.
async fn naive_warned(
    store: &Store,
    a: &lvzhi_core::access::Access,
    deadlines_only: bool,
) -> Vec<(bool, String, i64, Option<i64>)> {
    let mut out = Vec::new();
    for kind in &store.pack().ledgers {
        if kind.workflow.is_none()
            || (deadlines_only
                && (kind.key == lvzhi_metrics::eval::STAT_LEDGER
                    || kind.role_field(lvzhi_core::field::FieldRole::Deadline).is_none()))
        {
            continue;
        }
        for lv in ["red", "yellow"] {
            let q = ListQuery {
                open: true,
                warning: Some(lv.into()),
                limit: Some(500),
                ..ListQuery::default()
            };
            for v in store.list(a, &kind.key, &q).await.unwrap().items {
                out.push((
                    lv != "red",
                    v.row.deadline.clone().unwrap_or_default(),
                    v.row.id,
                    v.row.unit_id,
                ));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todo_and_counts_match_the_lists() {
    for db in TestDb::both().await {
        let store = lvzhi_testkit::open(&db).await;
        let county = lvzhi_testkit::county::build(&store).await;
        let office = county.access("office");
        // Hazards in two townships, due at different dates (red, yellow, later, none), some assigned.
        let deadlines = ["2026-11-01", "2026-11-27", "2026-12-20", "2026-11-24", "2026-11-30", ""];
        for (i, d) in deadlines.iter().cycle().take(24).enumerate() {
            let (user, t, unit) = if i % 2 == 0 {
                ("clerk_xd", "620902100", county.xidong)
            } else {
                ("clerk_qs", "620902101", county.qingshui)
            };
            let mut f = hazard(t, unit, &format!("隐患{i}"));
            if !d.is_empty() {
                f.insert("deadline".into(), (*d).into());
            }
            let r = store.create(&county.access(user), "hazard", f).await.unwrap();
            if i % 3 == 0 {
                let mut m = serde_json::Map::new();
                m.insert(
                    "responsible_unit".into(),
                    if i % 2 == 0 { county.yingji } else { unit }.into(),
                );
                m.insert("deadline".into(), if d.is_empty() { "2026-11-10" } else { d }.into());
                store
                    .transition(&office, r.id, r.version, "交办", m, None)
                    .await
                    .unwrap();
            }
        }
        for (name, _, _) in USERS {
            let a = county.access(name);
            let (want, want_total) = naive_todo(&store, &a).await;
            let (got, total) = store.todo(&a, 30).await.unwrap();
            let got: Vec<i64> = got.iter().map(|v| v.row.id).collect();
            assert_eq!(total, want_total, "{name}: total");
            assert_eq!(got, want.into_iter().take(30).collect::<Vec<_>>(), "{name}: items");
            let counts = store.open_counts(&a).await.unwrap();
            for kind in &store.pack().ledgers {
                let c = counts
                    .iter()
                    .find(|(k, _)| *k == kind.key)
                    .map(|(_, c)| c.clone())
                    .unwrap_or_default();
                let want = (
                    count(&store, &a, &kind.key, None).await,
                    count(&store, &a, &kind.key, Some("red")).await,
                    count(&store, &a, &kind.key, Some("yellow")).await,
                );
                assert_eq!((c.open, c.red, c.yellow), want, "{name} {}", kind.key);
            }
            // Red/yellow per unit.
            // Over the ledgers 督查督办 lists (the dashboard's table links there).
            let warned = naive_warned(&store, &a, true).await;
            let mut want: std::collections::BTreeMap<i64, (i64, i64)> = Default::default();
            for (yellow, _, _, unit) in &warned {
                if let Some(u) = unit {
                    let e = want.entry(*u).or_default();
                    if *yellow {
                        e.1 += 1;
                    } else {
                        e.0 += 1;
                    }
                }
            }
            let got: std::collections::BTreeMap<i64, (i64, i64)> = lvzhi_metrics::duty::warned_by_unit(&store, &a, &[])
                .await
                .unwrap()
                .into_iter()
                .map(|w| (w.unit, (w.red, w.yellow)))
                .filter(|(_, c)| c.0 + c.1 > 0)
                .collect();
            assert_eq!(got, want, "{name}: red/yellow by unit");
            // 督查督办's items: all, by level, by unit, first 5.
            let warned = naive_warned(&store, &a, true).await;
            let keys: Vec<&str> = store
                .pack()
                .ledgers
                .iter()
                .filter(|k| k.workflow.is_some() && k.role_field(lvzhi_core::field::FieldRole::Deadline).is_some())
                .map(|k| k.key.as_str())
                .collect();
            for (level, unit, limit) in [
                (None, None, 100),
                (Some("red"), None, 100),
                (Some("yellow"), None, 100),
                (None, Some(county.yingji), 100),
                (None, None, 5),
            ] {
                let want: Vec<&(bool, String, i64, Option<i64>)> = warned
                    .iter()
                    .filter(|w| level.is_none_or(|l| (l == "yellow") == w.0))
                    .filter(|w| unit.is_none_or(|u| w.3 == Some(u)))
                    .collect();
                let (items, red, yellow) = store.warned_items(&a, &keys, unit, level, limit).await.unwrap();
                let got: Vec<i64> = items.iter().map(|v| v.row.id).collect();
                let want_ids: Vec<i64> = want.iter().take(limit as usize).map(|w| w.2).collect();
                assert_eq!(got, want_ids, "{name} {level:?} {unit:?} {limit}: items");
                let want_red = want.iter().filter(|w| !w.0).count() as i64;
                assert_eq!(
                    (red, yellow),
                    (want_red, want.len() as i64 - want_red),
                    "{name}: totals"
                );
            }
        }
        // Someone has something to do, and some are red and yellow.
        let (items, _) = store.todo(&office, 30).await.unwrap();
        assert!(!items.is_empty());
        let c = store.open_counts(&office).await.unwrap();
        let h = &c.iter().find(|(k, _)| k == "hazard").unwrap().1;
        assert!(h.open == 24 && h.red > 0 && h.yellow > 0, "{h:?}");
        let (items, red, yellow) = store.warned_items(&office, &["hazard"], None, None, 100).await.unwrap();
        assert!(!items.is_empty() && red > 0 && yellow > 0, "{red} {yellow}");
        store.close().await;
        db.drop_db().await;
    }
}
