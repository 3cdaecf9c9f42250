//! The store side of the field pages, on SQLite and PostgreSQL: the person who
//! takes a step is recorded by the system (`fill = "actor"`: 验收人), and a
//! user's list columns are kept per user (`ui_prefs`, each change evented).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_testkit::TestDb;
use lvzhi_testkit::county::hazard;
use serde_json::{Map, Value, json};

fn map(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[tokio::test]
async fn acceptor_is_the_acting_user_and_columns_are_per_user() {
    for db in TestDb::both().await {
        let store = lvzhi_testkit::open(&db).await;
        let county = lvzhi_testkit::county::build(&store).await;
        let (clerk, office, clerk_yj, head_yj) = (
            county.access("clerk_xd"),
            county.access("office"),
            county.access("clerk_yj"),
            county.access("head_yj"),
        );
        let r = store
            .create(&clerk, "hazard", hazard("620902100", county.yingji, "配电箱未接地"))
            .await
            .unwrap();
        let r = store
            .transition(&office, r.id, 1, "交办", map(json!({"deadline": "2026-12-10"})), None)
            .await
            .unwrap();
        let r = store
            .transition(
                &clerk_yj,
                r.id,
                r.version,
                "提交验收",
                map(json!({"measures": "已接地", "rectified_on": "2026-11-24"})),
                None,
            )
            .await
            .unwrap();
        // 验收销号 without 验收人: the store records the head who took the step.
        let closed = store
            .transition(
                &head_yj,
                r.id,
                r.version,
                "验收销号",
                map(json!({"acceptance": "合格"})),
                None,
            )
            .await
            .unwrap();
        assert_eq!(closed.state, "已销号");
        assert_eq!(
            closed.fields["accepted_by"],
            json!("head_yj"),
            "the head's display name"
        );
        let events = store.record_events(&head_yj, r.id).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(
            last.data["after"]["accepted_by"],
            json!("head_yj"),
            "on the chain: {:?}",
            last.data
        );
        // A value given by an API client (a paper record keyed in) is kept.
        let r2 = store
            .create(&clerk, "hazard", hazard("620902100", county.yingji, "灭火器过期"))
            .await
            .unwrap();
        let r2 = store
            .transition(&office, r2.id, 1, "交办", map(json!({"deadline": "2026-12-10"})), None)
            .await
            .unwrap();
        let r2 = store
            .transition(
                &clerk_yj,
                r2.id,
                r2.version,
                "提交验收",
                map(json!({"measures": "已更换", "rectified_on": "2026-11-24"})),
                None,
            )
            .await
            .unwrap();
        let r2 = store
            .transition(
                &head_yj,
                r2.id,
                r2.version,
                "验收销号",
                map(json!({"acceptance": "合格", "accepted_by": "李明（纸质验收单）"})),
                None,
            )
            .await
            .unwrap();
        assert_eq!(r2.fields["accepted_by"], json!("李明（纸质验收单）"));

        // Columns: per user, overwritten, removed; each change is an event.
        let before = lvzhi_testkit::event_count(&store).await;
        assert_eq!(store.user_pref(&clerk, "list_columns:hazard").await.unwrap(), None);
        store
            .set_user_pref(&clerk, "list_columns:hazard", "company,grade")
            .await
            .unwrap();
        store
            .set_user_pref(&clerk, "list_columns:hazard", "company")
            .await
            .unwrap();
        assert_eq!(
            store.user_pref(&clerk, "list_columns:hazard").await.unwrap().as_deref(),
            Some("company")
        );
        assert_eq!(
            store.user_pref(&office, "list_columns:hazard").await.unwrap(),
            None,
            "another user's"
        );
        store.set_user_pref(&clerk, "list_columns:hazard", "").await.unwrap();
        assert_eq!(store.user_pref(&clerk, "list_columns:hazard").await.unwrap(), None);
        assert_eq!(lvzhi_testkit::event_count(&store).await, before + 3);
        assert!(store.set_user_pref(&clerk, "k", &"x".repeat(3000)).await.is_err());
        store.close().await;
        db.drop_db().await;
    }
}
