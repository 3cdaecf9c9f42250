//! Custom report templates on SQLite and PostgreSQL: saving checks the text
//! (unknown indicator or syntax error → refused naming the line, nothing
//! saved, no event); every version is kept and is an event on the hash chain;
//! a stale save is refused; restoring is saving an old text again; rendering
//! finds custom templates beside the pack's; only office and admin edit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_report::custom::{self, Save};
use lvzhi_report::{ReportError, Request};
use lvzhi_store::StoreError;
use lvzhi_testkit::TestDb;

const GOOD: &str = "# 隐患整改情况\n\n截至目前，全县在改隐患{{ ind(\"隐患在改数\") }}。\n";
const GOOD2: &str = "# 隐患整改情况\n\n全县在改隐患{{ ind(\"隐患在改数\") }}，请各单位加快整改。\n";

fn save<'a>(name: &'a str, parent: i64, source: &'a str) -> Save<'a> {
    Save {
        name,
        parent,
        source,
        base: None,
        note: "",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_templates_on_both_backends() {
    for db in TestDb::both().await {
        let store = lvzhi_testkit::open(&db).await;
        let county = lvzhi_testkit::county::build(&store).await;
        let files = lvzhi_packs::county_files();
        let engine = lvzhi_metrics::engine_from_files(&files, store.pack()).unwrap();
        let office = county.access("office");
        let kind = lvzhi_store::templates::SAVE_KIND;
        let events = || async { store.events_of_kind(kind).await.unwrap().len() };

        // An unknown indicator: refused naming the line; nothing saved, no event.
        let bad = "# 通报\n\n全县在改隐患{{ ind(\"隐患在改数\") }}。\n本月新增{{ ind(\"不存在的指标\") }}。\n";
        let e = custom::save(&store, &engine, &files, &office, &save("我的通报", 0, bad))
            .await
            .unwrap_err();
        assert!(matches!(&e, ReportError::UnknownIndicator { line: 4, indicator } if indicator == "不存在的指标"));
        assert_eq!(e.to_string(), "模板第4行：指标“不存在的指标”不存在");
        assert_eq!(custom::error_line(&e), Some(4));
        // A syntax error: refused naming the line.
        let e = custom::save(
            &store,
            &engine,
            &files,
            &office,
            &save("我的通报", 0, "# 通报\n\n{% if %}\n正文\n"),
        )
        .await
        .unwrap_err();
        assert_eq!(custom::error_line(&e), Some(3), "{e}");
        assert!(e.to_string().starts_with("模板第3行："), "{e}");
        assert!(store.template_versions("我的通报").await.unwrap().is_empty());
        assert_eq!(events().await, 0);

        // A shipped name cannot be overwritten; a clerk cannot save.
        let e = custom::save(&store, &engine, &files, &office, &save("月度督查通报", 0, GOOD))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("内置模板"), "{e}");
        let clerk = county.access("clerk_xd");
        let e = custom::save(&store, &engine, &files, &clerk, &save("我的通报", 0, GOOD))
            .await
            .unwrap_err();
        assert!(matches!(e, ReportError::Store(StoreError::Forbidden(_))), "{e:?}");
        // Directly at the store, too.
        let e = store
            .save_template(&clerk, "我的通报", 0, GOOD, None, "")
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Forbidden(_)));
        // A bad name.
        let e = custom::save(&store, &engine, &files, &office, &save("a/b", 0, GOOD))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("模板名称"), "{e}");

        // Version 1 (a copy of a shipped template), then 2.
        let v1 = custom::save(
            &store,
            &engine,
            &files,
            &office,
            &Save {
                name: "我的通报",
                parent: 0,
                source: GOOD,
                base: Some("隐患排查整改情况通报"),
                note: "复制",
            },
        )
        .await
        .unwrap();
        assert_eq!(v1, 1);
        let v2 = custom::save(&store, &engine, &files, &office, &save("我的通报", 1, GOOD2))
            .await
            .unwrap();
        assert_eq!(v2, 2);
        // A save from a stale editor (parent 1 again) is refused: nothing lost.
        let e = custom::save(&store, &engine, &files, &office, &save("我的通报", 1, GOOD))
            .await
            .unwrap_err();
        assert!(matches!(e, ReportError::Store(StoreError::Conflict(_))), "{e:?}");
        // So is a parent past the last version (no gap), the largest one too (was an overflow panic).
        for parent in [5, i64::MAX] {
            let e = custom::save(&store, &engine, &files, &office, &save("我的通报", parent, GOOD))
                .await
                .unwrap_err();
            assert!(
                matches!(e, ReportError::Store(StoreError::Conflict(_))),
                "{parent}: {e:?}"
            );
        }
        // Restore version 1 by saving its text again: version 3.
        let old = custom::source(&store, &files, "我的通报", Some(1)).await.unwrap();
        assert_eq!(old.source, GOOD);
        let admin = county.access("admin");
        let v3 = custom::save(
            &store,
            &engine,
            &files,
            &admin,
            &Save {
                name: "我的通报",
                parent: 2,
                source: &old.source,
                base: None,
                note: "恢复自第1版",
            },
        )
        .await
        .unwrap();
        assert_eq!(v3, 3);
        let versions = custom::versions(&store, "我的通报").await.unwrap();
        let seen: Vec<(i64, &str, &str)> = versions
            .iter()
            .map(|v| (v.version, v.author.as_str(), v.note.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![(3, "admin", "恢复自第1版"), (2, "office", ""), (1, "office", "复制")]
        );
        assert_eq!(versions[2].base.as_deref(), Some("隐患排查整改情况通报"));
        assert_eq!(versions[0].source, GOOD);

        // Every version is an event carrying its text; the chain verifies.
        let ev = store.events_of_kind(kind).await.unwrap();
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[1].data["version"], 2);
        assert_eq!(ev[1].data["source"], GOOD2);
        assert_eq!(ev[1].entity_id.as_deref(), Some("我的通报"));
        assert_eq!(ev[1].actor_name, "office");
        let ver = store.verify_chain().await.unwrap();
        assert!(ver.error.is_none(), "{ver:?}");

        // Listed beside the pack's templates; rendered by name (latest version).
        let list = custom::list(&store, &files).await.unwrap();
        assert!(list.iter().any(|t| t.name == "月度督查通报" && t.shipped));
        let mine = list.iter().find(|t| t.name == "我的通报").unwrap();
        assert_eq!((mine.shipped, mine.version), (false, Some(3)));
        let req = Request {
            issue: None,
            template: "我的通报".into(),
            period: "2026".into(),
            person: None,
            scope: "county".into(),
            today: store.today(),
        };
        let md = lvzhi_report::render(&store, &engine, &files, &req)
            .await
            .unwrap()
            .markdown();
        assert!(
            md.starts_with("# 隐患整改情况\n") && md.contains("截至目前，全县在改隐患"),
            "{md}"
        );
        // A name that is neither: not found.
        let e = lvzhi_report::render(
            &store,
            &engine,
            &files,
            &Request {
                issue: None,
                template: "没有这个模板".into(),
                ..req
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ReportError::NoTemplate(_)));

        store.close().await;
        db.drop_db().await;
    }
}
